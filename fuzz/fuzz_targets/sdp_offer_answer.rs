#![no_main]
//! Structure-aware offer/answer: a browser-like JSEP offer generated with
//! the crate's `arbitrary` feature (`OfferSpec`, written by
//! `create_offer`), an answerer's generated `Capabilities`, and libFuzzer's
//! edits to the offer's text.
//!
//! - The offer as written parses in strict mode to itself.
//! - Whatever offer parses after the edits, our answer to it (if any)
//!   parses in strict mode to itself, fits the offer, reads the same from
//!   both sides (directions, SSRCs, simulcast layers and extensions seen
//!   from the other end), and answering again gives the same answer.
//! - Unedited, the answer is itself a description that negotiates to the
//!   same result: answered by the offerer's own capabilities, every m-line
//!   agreed in the first round agrees on the same codecs again.

use std::collections::BTreeSet;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use sansrtc_sdp::arbitrary::OfferSpec;
use sansrtc_sdp::negotiate::{Agreement, Capabilities, Side, agree, apply_answer, create_answer};
use sansrtc_sdp::{MediaType, Sdp};

#[path = "common/edit.rs"]
mod edit;
#[path = "common/text_edit.rs"]
mod text_edit;

#[derive(Arbitrary, Debug)]
struct Input {
    offer: OfferSpec,
    answerer: Capabilities<'static>,
    edits: Vec<text_edit::TextEdit>,
}

/// The codecs agreed on m-line `index`: name, clock rate, channels.
fn codecs(agreement: &Agreement<'_>, index: usize) -> BTreeSet<(String, u32, Option<u16>)> {
    agreement.media[index]
        .codecs
        .iter()
        .map(|c| (c.name.to_ascii_lowercase(), c.clock_rate, c.channels))
        .collect()
}

/// The capabilities the offer was made from: its first m-line of each kind.
fn offerer(spec: &OfferSpec) -> Capabilities<'static> {
    let find = |kind: MediaType<'_>| spec.media.iter().find(|m| m.kind == kind).cloned();
    let mut capabilities = Capabilities::new(spec.session.clone());
    capabilities.audio = find(MediaType::Audio);
    capabilities.video = find(MediaType::Video);
    capabilities.data_channel = find(MediaType::Application);
    capabilities
}

fn run(input: Input) {
    let Input {
        offer: spec,
        answerer,
        edits,
    } = input;
    let offer = spec.to_sdp();
    let text = offer.to_string();
    let parsed = Sdp::parse_strict(&text).expect("a generated offer parses in strict mode");
    assert_eq!(parsed, offer);

    let Some(edited) = text_edit::edited(&text, &edits) else {
        return;
    };
    let Ok(offer) = Sdp::parse(&edited) else {
        return;
    };
    let Ok(answer) = create_answer(&offer, &answerer) else {
        return;
    };
    let written = answer.to_string();
    let reparsed = Sdp::parse_strict(&written).expect("our answer parses in strict mode");
    assert_eq!(reparsed, answer);
    assert_eq!(reparsed.to_string(), written);
    assert_eq!(
        create_answer(&offer, &answerer).as_ref(),
        Ok(&answer),
        "answering twice gives the same answer"
    );

    let ours = apply_answer(&offer, &reparsed).expect("our answer fits the offer");
    let theirs = agree(&offer, &answer, Side::Answerer).expect("and fits from the other side");
    assert_eq!(ours.media.len(), offer.media.len());
    assert_eq!(ours.bundle_groups, theirs.bundle_groups);
    for (o, a) in ours.media.iter().zip(&theirs.media) {
        assert_eq!(o.accepted, a.accepted);
        assert_eq!(o.codecs, a.codecs);
        assert_eq!(o.direction.reverse(), a.direction);
        if !o.accepted {
            continue;
        }
        assert_eq!(o.local_ssrcs, a.remote_ssrcs);
        assert_eq!(o.remote_ssrcs, a.local_ssrcs);
        assert_eq!(o.send_layers, a.recv_layers);
        assert_eq!(o.recv_layers, a.send_layers);
        assert_eq!(o.extensions.len(), a.extensions.len());
        for (x, y) in o.extensions.iter().zip(&a.extensions) {
            assert_eq!((x.id, &x.uri), (y.id, &y.uri));
            assert_eq!(x.direction.map(|d| d.reverse()), y.direction);
        }
    }

    if !edits.is_empty() {
        return;
    }
    // The answer, offered back to the offerer's own capabilities.
    let capabilities = offerer(&spec);
    let Ok(again) = create_answer(&answer, &capabilities) else {
        return;
    };
    let second = apply_answer(&answer, &again).expect("the second answer fits");
    for (index, local) in spec.media.iter().enumerate() {
        let first_of_kind = spec.media.iter().position(|m| m.kind == local.kind) == Some(index);
        if first_of_kind && ours.media[index].accepted && !ours.media[index].codecs.is_empty() {
            assert!(second.media[index].accepted, "m-line {index} agreed again");
            assert_eq!(
                codecs(&second, index),
                codecs(&ours, index),
                "m-line {index}: the same codecs\n{written}\n{again}"
            );
        }
    }
}

fuzz_target!(|input: Input| run(input));
