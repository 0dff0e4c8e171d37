//! The compiler in process: parse + validate + codegen over synthetic specs of 100 to 100,000
//! items, and each stage on its own (`stages/<stage>/10000`: parse, validate, check, markdown,
//! html, schema, rust, example) so that a regression shows in the stage that caused it. `parse`
//! and `validate` are the two stages of a whole spec at once; `check` is what the tool runs:
//! both, item group by item group, plus the lints.
//!
//! Run with `cargo bench -p telemetry-spec --bench pipeline`. The per-item cost is the median
//! time divided by N; `scripts/bench-compiler.sh` prints it, the per-stage medians and the peak
//! memory of `check`.

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

/// The templates the project ships, read where `telemetry-spec generate` reads them.
fn templates() -> telemetry_spec::Templates {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/templates/");
    let read = |name: &str| {
        std::fs::read_to_string(format!("{dir}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    telemetry_spec::Templates {
        markdown: read("telemetry.md.hbs"),
        html: read("telemetry.html.hbs"),
        prose: read("disclosure.toml"),
    }
}

/// Each stage of `check`, `generate` and `rust` alone, on the 10,000 string items of the peer
/// comparison; generators write to a sink, as the command line streams to its files.
fn stages(c: &mut Criterion) {
    let n = 10_000usize;
    let text = synthetic::spec_strings(n);
    let checked = telemetry_spec::check("strings.toml", text.as_bytes());
    assert!(!checked.has_errors(), "{}", checked.render());
    let file = checked.file.clone();
    let Some(spec) = checked.spec else {
        unreachable!("checked above")
    };
    let templates = templates();
    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function(BenchmarkId::new("parse", n), |b| {
        b.iter(|| {
            let mut diags = Vec::new();
            black_box(telemetry_spec::stages::parse(black_box(&text), &mut diags).is_some())
        })
    });
    let mut diags = Vec::new();
    let parsed = telemetry_spec::stages::parse(&text, &mut diags)
        .unwrap_or_else(|| unreachable!("checked above"));
    group.bench_function(BenchmarkId::new("validate", n), |b| {
        b.iter(|| {
            let mut diags = Vec::new();
            black_box(telemetry_spec::stages::validate(&file, &parsed, &mut diags))
        })
    });
    group.bench_function(BenchmarkId::new("check", n), |b| {
        b.iter(|| {
            black_box(telemetry_spec::check(
                "strings.toml",
                black_box(text.as_bytes()),
            ))
        })
    });
    // Each page includes preparing the pages (templates compiled, the context built).
    let page = |b: &mut criterion::Bencher<'_>, html: bool| {
        b.iter(|| {
            let pages =
                telemetry_spec::Pages::new(&spec, &templates).unwrap_or_else(|e| panic!("{e}"));
            let mut sink = std::io::sink();
            let written = if html {
                pages.write_html(&mut sink)
            } else {
                pages.write_markdown(&mut sink)
            };
            written.unwrap_or_else(|e| panic!("{e}"))
        })
    };
    group.bench_function(BenchmarkId::new("markdown", n), |b| page(b, false));
    group.bench_function(BenchmarkId::new("html", n), |b| page(b, true));
    group.bench_function(BenchmarkId::new("schema", n), |b| {
        b.iter(|| {
            telemetry_spec::write_schema(&spec, &mut std::io::sink())
                .unwrap_or_else(|e| panic!("{e}"))
        })
    });
    group.bench_function(BenchmarkId::new("rust", n), |b| {
        b.iter(|| black_box(telemetry_spec::rust(&spec)))
    });
    group.bench_function(BenchmarkId::new("example", n), |b| {
        b.iter(|| black_box(telemetry_spec::example_json(&spec)))
    });
    group.finish();
}

criterion_group!(benches, pipeline, stages);
criterion_main!(benches);
