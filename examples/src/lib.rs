//! Shared helpers of the sansrtc example programs.

extern crate alloc;

pub mod binding;
pub mod demo;
pub mod pcmu;
pub mod peer;
pub mod signal;
pub mod wav;
