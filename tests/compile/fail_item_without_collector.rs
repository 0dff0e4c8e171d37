// The spec gained the item `license_seats` (source `license.seats`); the implementation was not
// updated. This must not compile: the new field of `LicenseData` is never filled.
include!("generated/spec_plus_item.rs");
include!("example_sources.rs");

fn main() {
    let _ = collect(&ExampleSources);
}
