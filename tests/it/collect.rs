//! The generated payload types and `collect()`: they produce the documented example, keep the
//! spec's order and names, and turn a failing or panicking source into "Unknown" for its items only.

use optimize_telemetry::generated::example::ExampleSources;
use optimize_telemetry::generated::payload::Payload;
use optimize_telemetry::generated::sources::*;
use optimize_telemetry::generated::{UNKNOWN, collect, items};

use crate::{real_spec, snapshot};

/// Serves the example values of the spec; `fail` and `panic` name a source that misbehaves.
#[derive(Default)]
struct Fixture {
    fail: Option<&'static str>,
    panic: Option<&'static str>,
}

impl Fixture {
    fn check(&self, source: &str) -> Result<(), SourceError> {
        if self.panic == Some(source) {
            panic!("the {source} collector has a bug");
        }
        if self.fail == Some(source) {
            return Err(format!("{source} is unreachable").into());
        }
        Ok(())
    }
}

impl Sources for Fixture {
    async fn installation(&self) -> Result<InstallationData, SourceError> {
        self.check("installation")?;
        Ok(InstallationData::example())
    }

    async fn product(&self) -> Result<ProductData, SourceError> {
        self.check("product")?;
        Ok(ProductData::example())
    }

    async fn database(&self) -> Result<DatabaseData, SourceError> {
        self.check("database")?;
        Ok(DatabaseData::example())
    }

    async fn license(&self) -> Result<LicenseData, SourceError> {
        self.check("license")?;
        Ok(LicenseData::example())
    }

    async fn engines(&self) -> Result<EnginesData, SourceError> {
        self.check("engines")?;
        Ok(EnginesData::example())
    }
}

fn pretty(payload: &Payload) -> String {
    let mut text = serde_json::to_string_pretty(payload).unwrap_or_else(|e| panic!("{e}"));
    text.push('\n');
    text
}

#[tokio::test]
async fn collected_example_values_serialize_to_the_locked_example() {
    let payload = collect(&Fixture::default()).await;
    // The snapshot the compiler locks: generated names, renames and order must reproduce it.
    snapshot!("example_payload", pretty(&payload));
    assert_eq!(pretty(&payload), telemetry_spec::example_json(&real_spec()));
}

#[tokio::test]
async fn the_generated_example_sources_give_the_example_payload() {
    let payload = collect(&ExampleSources).await;
    assert_eq!(pretty(&payload), telemetry_spec::example_json(&real_spec()));
}

#[tokio::test]
async fn a_failing_source_costs_only_its_own_items() {
    let payload = collect(&Fixture {
        fail: Some("license"),
        ..Fixture::default()
    })
    .await;
    let license = &payload.product.internals.license_key;
    for value in [
        &license.customer,
        &license.type_,
        &license.valid_until,
        &license.unlimited,
        &license.raw,
        &license.features.optimize,
        &license.features.camunda_bpm,
        &license.features.cawemo,
    ] {
        assert_eq!(value, UNKNOWN);
    }
    assert_eq!(payload.installation, "7b86edba-fcb7-11ea-adc1-0242ac120002");
    assert_eq!(payload.product.internals.database.vendor, "elasticsearch");
    assert_eq!(payload.product.internals.engine_installation_ids.len(), 2);
}

#[tokio::test]
async fn a_panicking_source_costs_only_its_own_items() {
    let payload = collect(&Fixture {
        panic: Some("engines"),
        ..Fixture::default()
    })
    .await;
    assert_eq!(
        payload.product.internals.engine_installation_ids,
        vec![UNKNOWN.to_owned()]
    );
    assert_eq!(payload.product.name, "Camunda Optimize");
    assert_eq!(payload.product.internals.license_key.type_, "UNIFIED");
}

#[test]
fn payload_type_accepts_the_reference_and_refuses_undisclosed_keys() {
    let reference = std::fs::read_to_string(
        crate::repo_root().join("../shared/reference/example-payload.json"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let parsed: Payload = serde_json::from_str(&reference).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        parsed.product.internals.license_key.features.camunda_bpm,
        "false"
    );
    let extra = reference.replacen("\"edition\"", "\"hostname\": \"db01\", \"edition\"", 1);
    assert!(serde_json::from_str::<Payload>(&extra).is_err());
}

#[test]
fn item_table_follows_the_spec() {
    let spec = real_spec();
    assert_eq!(items::ITEMS.len(), spec.items.len());
    for (info, item) in items::ITEMS.iter().zip(&spec.items) {
        assert_eq!(info.id, item.id);
        assert_eq!(info.path, item.path_string());
        assert_eq!(info.label, item.label);
        assert_eq!(info.category, item.category);
        assert_eq!(info.source, item.source_ref());
        // The table is typed: the very types, rules and failure rule the compiler validated.
        assert_eq!(info.value_type, item.value_type);
        assert_eq!(info.rules, *item.rules);
        assert_eq!(info.if_unavailable, item.if_unavailable);
        assert_eq!(info.sensitivity, item.sensitivity);
    }
    let telemetry_types::Shape::Map { keys, .. } = &items::LICENSE_FEATURES.value_type.shape else {
        panic!("license features are a map")
    };
    assert_eq!(keys.as_ref(), ["camundaBPM", "optimize", "cawemo"]);
    assert_eq!(items::LICENSE_RAW.rules.max_length, 4096);
}
