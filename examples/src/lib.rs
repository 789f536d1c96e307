//! Shared helpers of the sansrtc example programs.

extern crate alloc;

pub mod binding;
pub mod signal;
