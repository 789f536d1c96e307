//! RTP: the packet ([RFC 3550 §5](https://www.rfc-editor.org/rfc/rfc3550#section-5)),
//! header extensions ([RFC 8285](https://www.rfc-editor.org/rfc/rfc8285))
//! and sequence-number arithmetic.

pub mod extension;
mod packet;
pub mod rtx;
mod sequence;

pub use extension::{
    Element, Elements, ExtensionForm, ExtensionKind, ExtensionMap, ExtensionMapError,
    ExtensionValue, HeaderExtension, MAX_EXTENSION_LEN, RewriteError, element_mut, rewrite_element,
};
pub use packet::{Builder, FIXED_HEADER_LEN, MAX_CSRCS, Packet};
pub use sequence::{
    SequenceUnwrapper, TimestampUnwrapper, seq_diff, seq_is_newer, timestamp_diff,
    timestamp_is_newer,
};
