//! Shared helpers of the sansrtc example programs.

pub mod binding;
