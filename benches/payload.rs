//! Building and serializing a report with every source ready: `collect()` over sources that
//! answer at once, then `serde_json::to_vec`, and the pre-send disclosure check.
//!
//! Run with `cargo bench --bench payload`. Target: build + serialize under 5 µs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use optimize_telemetry::generated::collect;
use optimize_telemetry::generated::payload::ProductInternalsLicenseKeyFeatures;
use optimize_telemetry::generated::sources::*;

struct Ready;

impl Sources for Ready {
    async fn installation(&self) -> Result<InstallationData, SourceError> {
        Ok(InstallationData {
            id: "7b86edba-fcb7-11ea-adc1-0242ac120002".into(),
        })
    }
    async fn product(&self) -> Result<ProductData, SourceError> {
        Ok(ProductData {
            name: "Camunda Optimize".into(),
            version: "3.2.0".into(),
            edition: "enterprise".into(),
        })
    }
    async fn database(&self) -> Result<DatabaseData, SourceError> {
        Ok(DatabaseData {
            vendor: "elasticsearch".into(),
            version: "7.0.0".into(),
        })
    }
    async fn license(&self) -> Result<LicenseData, SourceError> {
        Ok(LicenseData {
            customer: "a customer name".into(),
            kind: "UNIFIED".into(),
            valid_until: "2025-01-01".into(),
            unlimited: "false".into(),
            features: ProductInternalsLicenseKeyFeatures {
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
            let payload = ready(collect(black_box(&Ready)));
            black_box(serde_json::to_vec(&payload).unwrap_or_default())
        })
    });
    c.bench_function("build_serialize_and_check_disclosed", |b| {
        b.iter(|| {
            let payload = ready(collect(black_box(&Ready)));
            let value = serde_json::to_value(&payload).unwrap_or_default();
            let ok = optimize_telemetry::disclosed::check(&value).is_ok();
            black_box((serde_json::to_vec(&value).unwrap_or_default(), ok))
        })
    });
}

criterion_group!(benches, payload);
criterion_main!(benches);
