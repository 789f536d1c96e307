//! Shared helpers of the sansrtc example programs.
