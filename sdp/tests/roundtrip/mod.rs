// The check shared by the `sdp_parse` fuzz target (which includes this
// file) and the replay of the inputs it once failed on: whatever parses, in
// either mode, writes back to text that parses to the same description, and
// the canonical form (every line written from its typed value) does too.

use sansrtc_sdp::{Mode, Sdp};

pub(crate) fn check_parse(text: &str) {
    for mode in [Mode::Lenient, Mode::Strict] {
        let Ok(sdp) = Sdp::parse_with(text, mode) else {
            continue;
        };
        let written = sdp.to_string();
        assert_eq!(sdp.encoded_len(), written.len());
        let again = Sdp::parse_with(&written, mode).expect("a written description parses");
        assert_eq!(again, sdp);
        assert_eq!(again.to_string(), written);
        let mut canonical = sdp.clone();
        canonical.regenerate();
        let canonical_text = canonical.to_string();
        let reparsed =
            Sdp::parse_with(&canonical_text, Mode::Lenient).expect("the canonical form parses");
        assert_eq!(reparsed, sdp);
    }
}
