//! The license source: reads the license key file and takes the disclosed fields from its body.
//!
//! A key is `<signature>;<body>`, optionally between `BEGIN`/`END` armor lines. The signature
//! is cut off here, before anything else happens, so it never reaches a payload. The body is a
//! list of `name = value` (or `name: value`) entries separated by `;`.
//!
//! - `customer`, and `type` (or `licenseType`) are taken as written;
//! - `expiryDate` (`yyyy-MM-dd`) gives Valid Until; a key without it is unlimited;
//! - `optimize`, `camundaBPM` and `cawemo` are the features, `"true"` or `"false"`; a product the
//!   key does not list is not licensed (`"false"`);
//! - without an explicit type, a key that lists product features is a `UNIFIED` key (one key
//!   for several products); otherwise the type is `Unknown`.
//!
//! Anything else stays only in Raw, so properties without a field of their own are not lost.

use crate::generated::UNKNOWN;
use crate::generated::payload::ProductInternalsLicenseKeyFeatures;
use crate::generated::sources::LicenseData;

/// Why a key could not be read at all.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LicenseError {
    #[error("the license key has no `;` between signature and body")]
    NoSignature,
    #[error("the license key body is empty")]
    EmptyBody,
    #[error("the license key body is longer than the {max} bytes the spec discloses for it")]
    TooLong { max: u32 },
}

const FEATURES: [&str; 3] = ["camundaBPM", "optimize", "cawemo"];

/// The disclosed license fields of a key text. Never returns the signature.
pub fn parse(text: &str) -> Result<LicenseData, LicenseError> {
    let key: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !is_armor(l))
        .collect::<Vec<_>>()
        .join(" ");
    let (_signature, body) = key.split_once(';').ok_or(LicenseError::NoSignature)?;
    let raw = body.trim();
    if raw.is_empty() {
        return Err(LicenseError::EmptyBody);
    }
    // The pre-send check would refuse the whole report for it; only this source's items go.
    let max = crate::generated::items::LICENSE_RAW.rules.max_length;
    if raw.len() > max as usize {
        return Err(LicenseError::TooLong { max });
    }
    let fields: Vec<(&str, &str)> = raw
        .split(';')
        .filter_map(|entry| {
            let entry = entry.trim();
            let at = entry.find(['=', ':'])?;
            Some((entry[..at].trim(), entry[at + 1..].trim()))
        })
        .collect();
    let field = |names: &[&str]| {
        fields
            .iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty())
    };
    let flag = |name: &str| match field(&[name]).map(str::to_ascii_lowercase).as_deref() {
        Some("true") => "true".to_owned(),
        Some("false") | None => "false".to_owned(),
        Some(_) => UNKNOWN.to_owned(),
    };
    let lists_features = FEATURES.iter().any(|f| field(&[f]).is_some());
    let kind = match field(&["type", "licenseType"]) {
        Some(t) => t.to_owned(),
        None if lists_features => "UNIFIED".to_owned(),
        None => UNKNOWN.to_owned(),
    };
    let (valid_until, unlimited) = match field(&["expiryDate", "validUntil"]) {
        None => (UNKNOWN.to_owned(), "true".to_owned()),
        Some(date) if is_date(date) => (date.to_owned(), "false".to_owned()),
        Some(_) => (UNKNOWN.to_owned(), "false".to_owned()),
    };
    Ok(LicenseData {
        customer: field(&["customer"]).map_or_else(|| UNKNOWN.to_owned(), str::to_owned),
        kind,
        valid_until,
        unlimited,
        features: ProductInternalsLicenseKeyFeatures {
            camunda_bpm: flag("camundaBPM"),
            optimize: flag("optimize"),
            cawemo: flag("cawemo"),
        },
        raw: raw.to_owned(),
    })
}

/// Blank lines and `--- BEGIN ... ---` / `--- END ... ---` lines around the key.
fn is_armor(line: &str) -> bool {
    line.is_empty() || (line.starts_with("---") && line.ends_with("---"))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str =
        "c2lnbmF0dXJl==;customer = a customer name; expiryDate = 2025-01-01; optimize: true;";

    #[test]
    fn the_documented_example_key() {
        let d = parse(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.customer, "a customer name");
        assert_eq!(d.kind, "UNIFIED");
        assert_eq!(d.valid_until, "2025-01-01");
        assert_eq!(d.unlimited, "false");
        assert_eq!(
            (
                d.features.camunda_bpm.as_str(),
                d.features.optimize.as_str(),
                d.features.cawemo.as_str()
            ),
            ("false", "true", "false")
        );
        assert_eq!(
            d.raw,
            "customer = a customer name; expiryDate = 2025-01-01; optimize: true;"
        );
    }

    #[test]
    fn the_signature_never_survives() {
        let armored = "--------------- BEGIN CAMUNDA LICENSE KEY ---------------\nSECRETSIGNATURE;customer = x;\n--------------- END CAMUNDA LICENSE KEY ---------------\n";
        let d = parse(armored).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{d:?}").contains("SECRETSIGNATURE"));
        assert_eq!(d.raw, "customer = x;");
    }

    #[test]
    fn unlimited_explicit_type_and_odd_values() {
        let d =
            parse("sig;customer = C; licenseType = ENTERPRISE; camundaBPM = TRUE; cawemo = maybe;")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.kind, "ENTERPRISE");
        assert_eq!(d.unlimited, "true");
        assert_eq!(d.valid_until, "Unknown");
        assert_eq!(d.features.camunda_bpm, "true");
        assert_eq!(d.features.cawemo, "Unknown");
        let d =
            parse("sig;customer = C; expiryDate = 01.01.2025;").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                d.valid_until.as_str(),
                d.unlimited.as_str(),
                d.kind.as_str()
            ),
            ("Unknown", "false", "Unknown")
        );
    }

    #[test]
    fn malformed_keys_are_errors() {
        assert_eq!(
            parse("no separator at all").err(),
            Some(LicenseError::NoSignature)
        );
        assert_eq!(parse("sig;   ").err(), Some(LicenseError::EmptyBody));
        assert_eq!(parse("").err(), Some(LicenseError::NoSignature));
        let long = format!("sig;customer = {}", "c".repeat(5000));
        assert_eq!(
            parse(&long).err(),
            Some(LicenseError::TooLong { max: 4096 })
        );
    }
}
