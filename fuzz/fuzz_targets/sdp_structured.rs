#![no_main]
//! Structure-aware SDP: a description generated with the crate's
//! `arbitrary` feature (any line type and attribute of the grammar), written
//! by the crate's writer, then edited by libFuzzer line by line and byte by
//! byte.
//!
//! - As written, the text parses (lenient mode) to the description and
//!   writes back byte for byte.
//! - After the edits, whatever parses, in either mode, writes back to text
//!   that parses to the same description, and so does its canonical form
//!   (the checks of `sdp_parse`).

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

include!("../../sdp/tests/roundtrip/mod.rs");

#[path = "common/edit.rs"]
mod edit;
#[path = "common/text_edit.rs"]
mod text_edit;

#[derive(Arbitrary, Debug)]
struct Input {
    sdp: Sdp<'static>,
    edits: Vec<text_edit::TextEdit>,
}

fuzz_target!(|input: Input| {
    let text = input.sdp.to_string();
    let parsed = Sdp::parse(&text).expect("a generated description parses");
    assert_eq!(parsed, input.sdp);
    assert_eq!(parsed.to_string(), text);
    check_parse(&text);
    if let Some(edited) = text_edit::edited(&text, &input.edits) {
        check_parse(&edited);
    }
});
