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
    // A failed source leaves out what may be absent: no license key object at all.
    let failed = sources::LicenseData::unknown();
    assert!(failed.customer.is_none() && failed.features.is_none());
}
