//! Building and serializing a report with every source ready: `collect()` over the generated
//! `ExampleSources`, which answer at once, then `serde_json::to_vec`, and the pre-send disclosure check.
//!
//! Run with `cargo bench --bench payload`. Target: build + serialize under 5 µs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use optimize_telemetry::generated::collect;
use optimize_telemetry::generated::example::ExampleSources;

/// Polls a future that never waits (all sources are ready) without a runtime's overhead.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn payload(c: &mut Criterion) {
    c.bench_function("build_and_serialize", |b| {
        b.iter(|| {
            let payload = ready(collect(black_box(&ExampleSources)));
            black_box(serde_json::to_vec(&payload).unwrap_or_default())
        })
    });
    c.bench_function("build_serialize_and_check_disclosed", |b| {
        b.iter(|| {
            let payload = ready(collect(black_box(&ExampleSources)));
            let value = serde_json::to_value(&payload).unwrap_or_default();
            let ok = optimize_telemetry::disclosed::check(&value).is_ok();
            black_box((serde_json::to_vec(&value).unwrap_or_default(), ok))
        })
    });
}

criterion_group!(benches, payload);
criterion_main!(benches);
