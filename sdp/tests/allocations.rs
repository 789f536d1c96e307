//! Parsing borrows from the input: it allocates the vectors that hold the
//! lines and lists, never a `String` per value. `into_owned` is what copies
//! text, and the difference shows here.

use sansrtc_sdp::Sdp;

const OFFER: &str = include_str!("data/chrome-offer-av-data.sdp");

#[test]
fn parsing_allocates_less_than_one_block_per_line() {
    let lines = OFFER.lines().count();
    let mut media = 0;
    let parse = allocation_counter::measure(|| {
        let sdp = Sdp::parse(OFFER).unwrap();
        media = sdp.media.len();
    });
    assert_eq!(media, 3);
    let owned = allocation_counter::measure(|| {
        let sdp = Sdp::parse(OFFER).unwrap().into_owned();
        media = sdp.media.len();
    });
    println!(
        "{lines} lines, {} bytes: parse {} allocations ({} bytes), parse + into_owned {} allocations ({} bytes)",
        OFFER.len(),
        parse.count_total,
        parse.bytes_total,
        owned.count_total,
        owned.bytes_total
    );
    assert!(parse.count_total * 2 < lines as u64, "{parse:?}");
    // Every text field and every line's original text becomes a String.
    assert!(
        owned.count_total > parse.count_total + lines as u64,
        "{owned:?}"
    );
}

#[test]
fn writing_unchanged_lines_copies_their_text_once() {
    let sdp = Sdp::parse(OFFER).unwrap();
    let mut out = String::new();
    let write = allocation_counter::measure(|| {
        sdp.write_to(&mut out);
    });
    assert_eq!(out, OFFER);
    // One buffer, grown a few times at most.
    assert!(write.count_total <= 4, "{write:?}");
}
