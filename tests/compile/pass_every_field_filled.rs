// The real spec's generated code and a complete implementation compile together.
include!("generated/spec.rs");
include!("example_sources.rs");

fn main() {
    let _ = collect(&ExampleSources);
}
