//! Parsing allocates nothing: every parser and iterator runs under a
//! counting global allocator and must leave the count at zero.

#[path = "../../support/hex.rs"]
mod hex;

use hex::hex;
use sansrtc_rtp::rtcp::{Compound, Packet};
use sansrtc_rtp::rtp;

fn visit_rtp(bytes: &[u8]) -> u64 {
    let packet = rtp::Packet::parse(bytes).unwrap();
    let mut acc = u64::from(packet.sequence_number()) + packet.payload().len() as u64;
    for csrc in packet.csrcs() {
        acc += u64::from(csrc);
    }
    for element in packet.extension().unwrap().elements() {
        acc += u64::from(element.id) + element.data.len() as u64;
    }
    acc
}

fn visit_rtcp(bytes: &[u8]) -> u64 {
    let mut acc = 0;
    for packet in Compound::parse(bytes).unwrap().packets() {
        match packet.unwrap() {
            Packet::SenderReport(sr) => {
                acc += sr.ntp_time.0;
                for block in sr.report_blocks {
                    acc += u64::from(block.jitter);
                }
            }
            Packet::ReceiverReport(rr) => {
                for block in rr.report_blocks {
                    acc += u64::from(block.extended_highest_sequence);
                }
            }
            Packet::SourceDescription(sdes) => {
                for chunk in sdes.chunks.iter() {
                    for item in chunk.items.iter() {
                        acc += item.value().len() as u64;
                    }
                }
            }
            Packet::Goodbye(bye) => acc += bye.sources.len() as u64,
            Packet::Nack(nack) => acc += nack.lost_sequence_numbers().map(u64::from).sum::<u64>(),
            other => acc += other.encoded_len() as u64,
        }
    }
    acc
}

#[test]
fn parsing_allocates_nothing() {
    // RTP with a CSRC and three one-byte extension elements.
    let rtp_bytes =
        hex("91e01267 12345678 deadbeef 01020304 bede0003 22123456 31010240 30000000 5a5a5a5a");
    // SR + SDES + NACK + PLI + BYE + an unknown packet type.
    let rtcp_bytes = hex(
        "80c80006 deadbeef e0000000 80000000 12345678 000003e8 000f4240
         81ca0006 deadbeef 0110342d 4f6b3432 6d536a58 436b5649 61360000
         81cd0004 deadbeef 0badcafe 00640005 00c80000
         81ce0002 deadbeef 0badcafe
         81cb0001 deadbeef
         80d00001 00000000",
    );
    // Warm up anything lazily initialised outside the code under test.
    let expected_rtp = visit_rtp(&rtp_bytes);
    let expected_rtcp = visit_rtcp(&rtcp_bytes);

    let mut got = (0, 0);
    let info = allocation_counter::measure(|| {
        got = (visit_rtp(&rtp_bytes), visit_rtcp(&rtcp_bytes));
    });
    assert_eq!(got, (expected_rtp, expected_rtcp));
    assert_eq!(info.count_total, 0, "parsing allocated: {info:?}");

    // The counter does notice allocations.
    let info = allocation_counter::measure(|| {
        core::hint::black_box(vec![1u8; 16]);
    });
    assert!(info.count_total >= 1);
}
