//! Every case of `sansrtc_bench::cases`, one criterion group per input and
//! operation, sansrtc, the peers and the floor back to back. The
//! `report` binary turns the results into `RESULTS.md`.

use criterion::{BatchSize, Criterion, Throughput, criterion_main};
use sansrtc_bench::{Buffer, cases};

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
        // A throughput group is reported in bytes per second, the others
        // in operations per second.
        match all[start].bytes {
            Some(bytes) => {
                // Each run moves megabytes: ten samples are enough.
                benchmark_group.sample_size(10);
                benchmark_group.throughput(Throughput::Bytes(bytes))
            }
            None => benchmark_group.throughput(Throughput::Elements(1)),
        };
        for case in &mut all[start..end] {
            if let (Some(prepare), Some(run)) = (&mut case.prepare, &mut case.run_on) {
                // Inputs made in batches of 32 outside the timing (32
                // packet buffers stay in the first-level caches).
                benchmark_group.bench_function(case.name, |b| {
                    b.iter_batched_ref(
                        || {
                            let mut buffer = Buffer::default();
                            prepare(&mut buffer);
                            buffer
                        },
                        |buffer| run(buffer),
                        BatchSize::NumIterations(32),
                    )
                });
                continue;
            }
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
