//! Why the agent did what it did, through `tracing` (feature `tracing`,
//! off by default): a pair failing and why, a pair selected, a role
//! switched, the connection state changing, a check refused, a TURN error.
//! Every line goes to the target `sansrtc_ice` at `DEBUG` level, so a
//! subscriber filtered on `sansrtc_ice=debug` shows the agent's story.
//!
//! Without the feature the macro compiles to nothing (its arguments are
//! type-checked, never evaluated).

/// Logs one decision of the agent.
macro_rules! decision {
    ($($arg:tt)+) => {{
        #[cfg(feature = "tracing")]
        tracing::debug!(target: "sansrtc_ice", $($arg)+);
        #[cfg(not(feature = "tracing"))]
        if false {
            let _ = format_args!($($arg)+);
        }
    }};
}

pub(crate) use decision;
