//! Every case of `sansrtc_bench::cases`, one criterion group per input and
//! operation, sansrtc, the peers and the floor back to back. The
//! `report` binary turns the results into `RESULTS.md`.

use criterion::{Criterion, Throughput, criterion_main};
use sansrtc_bench::cases;

fn compare(c: &mut Criterion) {
    let mut all = cases();
    let mut start = 0;
    while start < all.len() {
        let group = all[start].group;
        let end = all[start..]
            .iter()
            .position(|case| case.group != group)
            .map_or(all.len(), |n| start + n);
        let mut benchmark_group = c.benchmark_group(group);
        benchmark_group.throughput(Throughput::Elements(1));
        for case in &mut all[start..end] {
            let run = &mut case.run;
            benchmark_group.bench_function(case.name, |b| b.iter(&mut *run));
        }
        benchmark_group.finish();
        start = end;
    }
}

mod group {
    //! The criterion group (a module so that its generated items may go
    //! undocumented).
    #![allow(missing_docs)]
    criterion::criterion_group!(compare, super::compare);
}
criterion_main!(group::compare);
