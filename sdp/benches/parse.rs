//! Parsing and writing a 6.6 KB Chrome-style offer (audio, video with VP8,
//! VP9, H.264 and AV1 plus RTX, a data channel, candidates), and answering
//! it.

use core::hint::black_box;
use criterion::{Criterion, Throughput, criterion_main};
use sansrtc_sdp::Sdp;
use sansrtc_sdp::negotiate::{Capabilities, Session, apply_answer, create_answer};

const OFFER: &str = include_str!("../tests/data/chrome-offer-av-data.sdp");

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("chrome_offer");
    group.throughput(Throughput::Bytes(OFFER.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| Sdp::parse(black_box(OFFER)).unwrap())
    });
    // Strict mode rejects Chrome's `a=msid-semantic: WMS` spacing.
    let strict_offer = OFFER.replace(": WMS", ":WMS");
    group.bench_function("parse_strict", |b| {
        b.iter(|| Sdp::parse_strict(black_box(&strict_offer)).unwrap())
    });
    let sdp = Sdp::parse(OFFER).unwrap();
    group.bench_function("write", |b| {
        b.iter(|| {
            let mut out = String::with_capacity(OFFER.len());
            black_box(&sdp).write_to(&mut out);
            out
        })
    });
    let mut canonical = sdp.clone();
    canonical.regenerate();
    group.bench_function("write_from_values", |b| {
        b.iter(|| {
            let mut out = String::with_capacity(OFFER.len());
            black_box(&canonical).write_to(&mut out);
            out
        })
    });
    group.bench_function("parse_into_owned", |b| {
        b.iter(|| Sdp::parse(black_box(OFFER)).unwrap().into_owned())
    });
    group.finish();

    let mut group = c.benchmark_group("negotiate");
    let capabilities = Capabilities::webrtc_defaults(Session::example());
    group.bench_function("create_answer", |b| {
        b.iter(|| create_answer(black_box(&sdp), &capabilities).unwrap())
    });
    let answer = create_answer(&sdp, &capabilities).unwrap();
    group.bench_function("apply_answer", |b| {
        b.iter(|| apply_answer(black_box(&sdp), &answer).unwrap())
    });
    group.finish();
}

mod group {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(parse, super::benches);
}

criterion_main!(group::parse);
