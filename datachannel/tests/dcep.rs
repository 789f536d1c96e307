//! DCEP property tests: every message writes what it parses and parses
//! what it writes, and no input makes the parser panic.

// A bad index is a failed test.
#![allow(clippy::indexing_slicing)]

use proptest::prelude::*;
use sansrtc_datachannel::Priority;
use sansrtc_datachannel::dcep::{ChannelType, Message, Open, ParseError};

fn channel_type() -> impl Strategy<Value = ChannelType> {
    prop_oneof![
        Just(ChannelType::Reliable),
        Just(ChannelType::ReliableUnordered),
        Just(ChannelType::PartialReliableRexmit),
        Just(ChannelType::PartialReliableRexmitUnordered),
        Just(ChannelType::PartialReliableTimed),
        Just(ChannelType::PartialReliableTimedUnordered),
    ]
}

proptest! {
    #[test]
    fn open_round_trips(
        kind in channel_type(),
        priority in any::<u16>(),
        reliability_parameter in any::<u32>(),
        label in ".{0,40}",
        protocol in ".{0,40}",
    ) {
        let message = Message::Open(Open {
            channel_type: kind,
            priority: Priority(priority),
            reliability_parameter,
            label: &label,
            protocol: &protocol,
        });
        let mut buf = vec![0u8; message.encoded_len() + 8];
        let len = message.write_to(&mut buf).unwrap();
        prop_assert_eq!(len, 12 + label.len() + protocol.len());
        prop_assert_eq!(Message::parse(&buf[..len]).unwrap(), message);
        // One byte more is trailing garbage, one less is truncated.
        prop_assert_eq!(
            Message::parse(&buf[..len + 1]),
            Err(ParseError::TrailingBytes { extra: 1 })
        );
        let cut = Message::parse(&buf[..len - 1]);
        let refused = matches!(
            cut,
            Err(ParseError::Truncated { .. } | ParseError::NotUtf8 { .. })
        );
        prop_assert!(refused, "{:?}", cut);
    }

    #[test]
    fn any_bytes_parse_or_fail_cleanly_and_what_parses_writes_back(
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        open_header in any::<bool>(),
    ) {
        let mut bytes = bytes;
        if open_header && !bytes.is_empty() {
            // Often a plausible OPEN, so that the deeper checks run.
            bytes[0] = 0x03;
        }
        if let Ok(message) = Message::parse(&bytes) {
            let mut out = vec![0u8; message.encoded_len()];
            prop_assert_eq!(message.write_to(&mut out), Ok(bytes.len()));
            prop_assert_eq!(out, bytes);
        }
    }
}
