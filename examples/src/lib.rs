//! Shared code of the sansrtc example programs (`examples/src/bin/`):
//!
//! - [`signal`]: the WebSocket signaling server (`signal`);
//! - [`peer`]: the example peer (`peer`), a tokio driver of
//!   [`sansrtc::Peer`]; [`data`]: its data channels; [`timeline`]: what it
//!   prints;
//! - [`demo`]: a whole call on loopback in one process (`demo`);
//! - [`binding`]: the STUN Binding server loop (`stun-server`, `demo`);
//! - [`net`]: resolving, wildcard addresses and random seeds of the STUN
//!   and TURN clients (`stun-client`, `turn-client`);
//! - [`pcmu`]: G.711 µ-law and the test tone; [`wav`]: WAV files;
//! - [`video`]: the peer's video and Opus files; [`ivf`]: IVF files;
//!   [`ogg`]: Ogg Opus files.

extern crate alloc;

pub mod binding;
pub mod data;
pub mod demo;
pub mod diagnostics;
pub mod ivf;
pub mod net;
pub mod ogg;
pub mod pcmu;
pub mod peer;
pub mod signal;
mod signaling;
mod tcp;
pub mod timeline;
pub mod video;
pub mod wav;
