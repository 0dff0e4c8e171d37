// The Camunda 7 spec's generated code (enums, records, open maps, optional items and objects)
// compiles, and collect() over its example sources yields exactly its example payload.
include!("generated/camunda7.rs");

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let payload = runtime.block_on(collect(&example::ExampleSources));
    let got = serde_json::to_string(&payload).unwrap_or_else(|e| panic!("{e}"));
    let want: serde_json::Value =
        serde_json::from_str(include_str!("generated/camunda7.example.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    // Equal as text: the same values in the same key order.
    assert_eq!(got, want.to_string());
    // A failed license source leaves the whole license key object out of the report, and the
    // items that fall back still send their fallback.
    struct NoLicense;
    impl sources::Sources for NoLicense {
        async fn installation(&self) -> Result<sources::InstallationData, sources::SourceError> {
            Ok(sources::InstallationData::example())
        }
        async fn product(&self) -> Result<sources::ProductData, sources::SourceError> {
            Err("the product source failed".into())
        }
        async fn database(&self) -> Result<sources::DatabaseData, sources::SourceError> {
            Ok(sources::DatabaseData::example())
        }
        async fn server(&self) -> Result<sources::ServerData, sources::SourceError> {
            Ok(sources::ServerData::example())
        }
        async fn jdk(&self) -> Result<sources::JdkData, sources::SourceError> {
            Ok(sources::JdkData::example())
        }
        async fn usage(&self) -> Result<sources::UsageData, sources::SourceError> {
            Ok(sources::UsageData::example())
        }
        async fn license(&self) -> Result<sources::LicenseData, sources::SourceError> {
            Err("no license key is set".into())
        }
        async fn webapps(&self) -> Result<sources::WebappsData, sources::SourceError> {
            Ok(sources::WebappsData::example())
        }
    }
    let lean: serde_json::Value = serde_json::to_value(runtime.block_on(collect(&NoLicense)))
        .unwrap_or_else(|e| panic!("{e}"));
    let internals = &lean["product"]["internals"];
    assert!(internals.get("license-key").is_none(), "{lean}");
    assert!(internals.get("webapps").is_some(), "{lean}");
    // The edition falls back to "community"; the text items say "Unknown".
    assert_eq!(lean["product"]["edition"], "community", "{lean}");
    assert_eq!(lean["product"]["name"], "Unknown", "{lean}");
}
