//! Runs one case many times, for instruction counts under
//! `valgrind --tool=callgrind` (stable where timings on a shared machine
//! are not). Run it twice with different counts and divide the difference
//! of the totals by the difference of the counts to get instructions per
//! operation without the setup.
//!
//! Usage: `icount <group> <crate> <iterations>`

use sansrtc_bench::cases;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(group), Some(name), Some(iterations)) = (args.next(), args.next(), args.next())
    else {
        eprintln!("usage: icount <group> <crate> <iterations>");
        std::process::exit(2);
    };
    let Ok(iterations) = iterations.parse::<u64>() else {
        eprintln!("iterations: not a number");
        std::process::exit(2);
    };
    let Some(mut case) = cases()
        .into_iter()
        .find(|case| case.group == group && case.name == name)
    else {
        eprintln!("no case {group}/{name}");
        std::process::exit(2);
    };
    let mut acc = 0u64;
    for _ in 0..iterations {
        acc = acc.wrapping_add(core::hint::black_box(case.run_once()));
    }
    println!("{acc}");
}
