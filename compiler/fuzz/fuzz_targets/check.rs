//! Fuzzes the whole spec pipeline on arbitrary bytes: parse, validate, lint, render the
//! diagnostics, and (for specs that validate) generate the Rust code and the example payload.
//! It must never panic, and every input ends in a verdict: a valid spec, or errors saying why.
//! Run: `scripts/fuzz-spec.sh` (see README).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let checked = telemetry_spec::check("fuzz.toml", data);
    let rendered = checked.render();
    if let Some(spec) = &checked.spec {
        assert!(!checked.has_errors(), "a spec with errors must not validate: {rendered}");
        let _ = telemetry_spec::example_json(spec);
        let _ = telemetry_spec::schema_json(spec);
        // Codegen is the expensive part; run it on small specs only, to keep the fuzzer fast.
        if data.len() < 4096 {
            let _ = telemetry_spec::rust(spec);
        }
    } else {
        assert!(checked.has_errors(), "an invalid spec must say why");
    }
});
