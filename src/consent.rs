//! Whether the stored approval covers the spec this binary runs.
//!
//! The decision itself is [`telemetry_types::consent::compare`], the function
//! `telemetry-spec diff` uses too; this module only feeds it the running item table
//! ([`running`]) and the stored approval, and turns the answer into what `status`, `preview`,
//! the control API and the scheduler need ([`Consent`]).

use serde::{Deserialize, Serialize};
use telemetry_types::consent::{Approval, ConsentChange, compare};

use crate::clock::Timestamp;
use crate::store::Settings;

/// How an approval came to be, for the ledger and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalKind {
    /// A superuser switched telemetry on (consent page, API, `enable`, or the host).
    Superuser,
    /// `initializeTelemetry` seeded the setting as on.
    Configuration,
    /// A setting stored before approvals were recorded (a bare `true`), taken as approval of
    /// the spec running at the first start after the upgrade.
    Migration,
}

/// The approval as stored next to the setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredApproval {
    /// Who approved: the superuser's id, or `configuration`.
    pub by: String,
    pub at: Timestamp,
    pub kind: ApprovalKind,
    #[serde(flatten)]
    pub disclosure: Approval,
}

/// What this binary discloses: the generated item table and spec version.
pub fn running() -> Approval {
    Approval::new(
        crate::generated::SPEC_VERSION,
        crate::generated::items::ITEMS
            .iter()
            .map(|i| i.consent_record())
            .collect(),
    )
}

/// Where consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentState {
    /// Telemetry is switched off.
    Off,
    /// The approval covers the running spec.
    Covered,
    /// Switched on without an approval: a bare `true` from before approvals were recorded, or
    /// written during a rolling upgrade by an instance of such a version. The runtime's first
    /// start after the upgrade records it as an approval of its spec (see
    /// `runtime::Shared::migrate`); otherwise nothing is sent until a superuser approves.
    Unrecorded,
    /// Nothing is sent until a superuser approves the running spec.
    NeedsApproval,
}

/// The stored approval compared with the running spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    pub state: ConsentState,
    pub running_version: String,
    pub approved_version: Option<String>,
    pub approved_by: Option<String>,
    /// Every difference since the approval: those with `needsApproval` stop sending, the others
    /// are "new since your approval" and covered.
    pub changes: Vec<ConsentChange>,
}

impl Consent {
    /// Whether reports may be sent as far as consent is concerned: only under an approval that
    /// covers the running spec.
    pub fn allows_sending(&self) -> bool {
        self.state == ConsentState::Covered
    }

    /// The differences that need a new approval.
    pub fn blocking(&self) -> impl Iterator<Item = &ConsentChange> {
        self.changes.iter().filter(|c| c.needs_approval)
    }

    /// One line per difference, for the command line.
    pub fn describe(&self) -> Vec<String> {
        self.changes
            .iter()
            .map(|c| {
                format!(
                    "{} {}: {}{}",
                    if c.needs_approval { "!" } else { "+" },
                    c.item,
                    c.reason,
                    if c.needs_approval {
                        " (needs approval)"
                    } else {
                        " (covered)"
                    }
                )
            })
            .collect()
    }
}

/// Compares the stored setting with `running`.
pub fn evaluate(settings: &Settings, running: &Approval) -> Consent {
    let mut consent = Consent {
        state: ConsentState::Off,
        running_version: running.spec_version.clone(),
        approved_version: None,
        approved_by: None,
        changes: Vec::new(),
    };
    if !settings.metadata_telemetry_enabled {
        return consent;
    }
    let Some(approval) = &settings.approval else {
        consent.state = ConsentState::Unrecorded;
        return consent;
    };
    consent.approved_version = Some(approval.disclosure.spec_version.clone());
    consent.approved_by = Some(approval.by.clone());
    if approval.disclosure.digest != running.digest {
        consent.changes = compare(&approval.disclosure.items, &running.items);
    }
    consent.state = if telemetry_types::consent::needs_approval(&consent.changes) {
        ConsentState::NeedsApproval
    } else {
        ConsentState::Covered
    };
    consent
}

/// The ledger entry of an approval, revocation or migration.
pub fn ledger_event(event: &str, by: &str, disclosure: Option<&Approval>) -> serde_json::Value {
    serde_json::json!({
        "event": event,
        "by": by,
        "specVersion": disclosure.map(|d| d.spec_version.clone()),
        "digest": disclosure.map(|d| d.digest.clone()),
        "items": disclosure.map(|d| d.items.clone()),
    })
}
