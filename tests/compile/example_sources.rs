// A `Sources` implementation that fills every field of every source struct, the way the
// runtime's real sources do. Shared by the pass and fail cases: with the real spec it compiles;
// with one more item in the spec it must not.

use sources::*;

pub struct ExampleSources;

impl Sources for ExampleSources {
    async fn installation(&self) -> Result<InstallationData, SourceError> {
        Ok(InstallationData { id: "7b86edba-fcb7-11ea-adc1-0242ac120002".into() })
    }

    async fn product(&self) -> Result<ProductData, SourceError> {
        Ok(ProductData {
            name: "Camunda Optimize".into(),
            version: "3.2.0".into(),
            edition: "enterprise".into(),
        })
    }

    async fn database(&self) -> Result<DatabaseData, SourceError> {
        Ok(DatabaseData { vendor: "elasticsearch".into(), version: "7.0.0".into() })
    }

    async fn license(&self) -> Result<LicenseData, SourceError> {
        Ok(LicenseData {
            customer: "a customer name".into(),
            kind: "UNIFIED".into(),
            valid_until: "2025-01-01".into(),
            unlimited: "false".into(),
            features: payload::ProductInternalsLicenseKeyFeatures {
                camunda_bpm: "false".into(),
                optimize: "true".into(),
                cawemo: "false".into(),
            },
            raw: "customer = a customer name; expiryDate = 2025-01-01; optimize: true;".into(),
        })
    }

    async fn engines(&self) -> Result<EnginesData, SourceError> {
        Ok(EnginesData {
            installation_ids: vec![
                "8343cc7a-8ad1-42d4-97d2-43452c0bdfa3".into(),
                "22607b92-fcb8-11ea-adc1-0242ac120002".into(),
            ],
        })
    }
}
