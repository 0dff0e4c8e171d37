//! parse + validate + codegen over synthetic specs of 100 to 100,000 items.
//!
//! Run with `cargo bench -p telemetry-spec --bench pipeline`. The per-item cost is the median
//! time divided by N; `scripts/bench-compiler.sh` prints it with the peak memory of `check`.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_validate_codegen");
    for n in [100usize, 1_000, 10_000, 100_000] {
        let text = synthetic::spec(n);
        // Fail the bench rather than measure the error path.
        let checked = telemetry_spec::check("synthetic.toml", text.as_bytes());
        assert!(!checked.has_errors(), "{}", checked.render());
        group.throughput(Throughput::Elements(n as u64));
        if n >= 10_000 {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(if n >= 100_000 { 40 } else { 10 }));
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let checked = telemetry_spec::check("synthetic.toml", black_box(text.as_bytes()));
                let spec = checked
                    .spec
                    .unwrap_or_else(|| unreachable!("checked above"));
                black_box(telemetry_spec::rust(&spec))
            })
        });
    }
    group.finish();
    // Every type of the spec language, side by side with the text-only spec at the same size.
    let mut group = c.benchmark_group("parse_validate_codegen_mixed");
    let n = 10_000usize;
    let text = synthetic::spec_mixed(n);
    let checked = telemetry_spec::check("mixed.toml", text.as_bytes());
    assert!(!checked.has_errors(), "{}", checked.render());
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
        b.iter(|| {
            let checked = telemetry_spec::check("mixed.toml", black_box(text.as_bytes()));
            let spec = checked
                .spec
                .unwrap_or_else(|| unreachable!("checked above"));
            black_box(telemetry_spec::rust(&spec))
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
