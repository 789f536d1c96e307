//! RTCP: reports, source descriptions, feedback and extended reports,
//! decoded lazily from the bytes.
//!
//! Start from [`Compound::parse`] for a datagram, or [`Packet::parse`] for
//! one packet. Each packet type also has its own `parse`, `encoded_len` and
//! `write_to`; [`write_compound`] and [`write_reduced_size`] write several
//! back to back.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6>

mod app;
mod bye;
pub mod ccfb;
mod fir;
pub mod header;
mod nack;
mod packet;
mod pli;
mod remb;
mod report;
mod rpsi;
pub mod sdes;
mod sli;
mod tmmbr;
pub mod twcc;
pub mod xr;

pub use app::ApplicationDefined;
pub use bye::Goodbye;
pub use ccfb::{CcfbMetric, CcfbStream, CcfbStreams, CongestionControlFeedback};
pub use fir::{FirEntry, FullIntraRequest};
pub use header::Header;
pub use nack::{Nack, NackEntry, NackEntryLost, NackPacker};
pub use packet::{
    Compound, Packet, Packets, Unknown, compound_len, write_compound, write_reduced_size,
};
pub use pli::PictureLossIndication;
pub use remb::{REMB_IDENTIFIER, Remb};
pub use report::{ReceiverReport, ReportBlock, SenderReport};
pub use rpsi::ReferencePictureSelection;
pub use sdes::{SdesChunk, SdesChunks, SdesItem, SdesItems, SourceDescription};
pub use sli::{SliEntry, SliceLossIndication};
pub use tmmbr::{Tmmbn, Tmmbr, TmmbrEntry};
pub use twcc::{PacketStatus, PacketStatuses, TransportCc};
pub use xr::{ExtendedReport, XrBlock, XrBlocks};
