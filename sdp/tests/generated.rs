//! The `arbitrary` and `proptest` features: every generated description
//! writes to text that parses back to it (and writes back byte for byte),
//! generated offers are valid JSEP offers that our answerer answers, and
//! every near-valid description is refused.
//!
//! Run with `cargo test -p sansrtc-sdp --features arbitrary,proptest`.

#![allow(
    clippy::indexing_slicing,
    clippy::std_instead_of_alloc,
    clippy::std_instead_of_core
)]

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;
use sansrtc_sdp::arbitrary::OfferSpec;
use sansrtc_sdp::negotiate::{Capabilities, Side, agree, apply_answer, create_answer};
use sansrtc_sdp::strategy::{Defect, capabilities, near_valid_sdp, offer};
use sansrtc_sdp::{Attribute, Media, MediaType, Mode, Sdp};

fn check_sdp(sdp: &Sdp<'static>) -> Result<(), TestCaseError> {
    let text = sdp.to_string();
    let parsed = Sdp::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&parsed, sdp);
    prop_assert_eq!(parsed.to_string(), text.clone());
    prop_assert_eq!(parsed.encoded_len(), text.len());
    Ok(())
}

/// An offer parses in strict mode, and answering it gives an answer that
/// parses in strict mode and fits it.
fn check_offer(
    spec: &OfferSpec,
    capabilities: &Capabilities<'static>,
) -> Result<(), TestCaseError> {
    let offer = spec.to_sdp();
    let text = offer.to_string();
    let parsed =
        Sdp::parse_strict(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&parsed, &offer);
    prop_assert_eq!(parsed.media.len(), spec.media.len());
    for (media, local) in parsed.media.iter().zip(&spec.media) {
        prop_assert_eq!(media.mid(), Some(&*local.mid));
    }
    // Our own capabilities take every m-line of our own offer.
    let find = |kind: MediaType<'_>| spec.media.iter().find(|m| m.kind == kind).cloned();
    let mut ours = Capabilities::new(spec.session.clone());
    ours.audio = find(MediaType::Audio);
    ours.video = find(MediaType::Video);
    ours.data_channel = find(MediaType::Application);
    let answer =
        create_answer(&parsed, &ours).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let agreement = apply_answer(&parsed, &answer).unwrap();
    // (Only the first m-line of each kind: the capabilities hold one
    // media description per kind.)
    for (i, local) in spec.media.iter().enumerate() {
        let first = spec.media.iter().position(|m| m.kind == local.kind) == Some(i);
        prop_assert!(
            !first || agreement.media[i].accepted,
            "{}\n{}",
            text,
            answer
        );
    }
    // The answer is itself a description that negotiates to the same
    // result: offered back to the same capabilities, each m-line agrees on
    // the same codecs again.
    let again =
        create_answer(&answer, &ours).map_err(|e| TestCaseError::fail(format!("{e}\n{answer}")))?;
    let second = apply_answer(&answer, &again).unwrap();
    for (i, local) in spec.media.iter().enumerate() {
        let first = spec.media.iter().position(|m| m.kind == local.kind) == Some(i);
        if first {
            let names = |media: &sansrtc_sdp::negotiate::AgreedMedia<'_>| {
                let mut names: Vec<String> = media
                    .codecs
                    .iter()
                    .map(|c| format!("{}/{}", c.name, c.clock_rate))
                    .collect();
                names.sort();
                names
            };
            prop_assert!(second.media[i].accepted);
            prop_assert_eq!(names(&second.media[i]), names(&agreement.media[i]));
        }
    }
    // Someone else's capabilities: an answer, if any, fits.
    if let Ok(answer) = create_answer(&parsed, capabilities) {
        let written = answer.to_string();
        let again = Sdp::parse_strict(&written)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{written}")))?;
        prop_assert_eq!(&again, &answer);
        let offerer = apply_answer(&parsed, &again).unwrap();
        let answerer = agree(&parsed, &answer, Side::Answerer).unwrap();
        prop_assert_eq!(offerer.media.len(), answerer.media.len());
        for (o, a) in offerer.media.iter().zip(&answerer.media) {
            prop_assert_eq!(o.accepted, a.accepted);
            if !o.accepted {
                continue;
            }
            prop_assert_eq!(&o.local_ssrcs, &a.remote_ssrcs);
            prop_assert_eq!(&o.remote_ssrcs, &a.local_ssrcs);
            prop_assert_eq!(&o.send_layers, &a.recv_layers);
            prop_assert_eq!(o.direction.reverse(), a.direction);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn proptest_descriptions_round_trip(sdp in any::<Sdp<'static>>()) {
        check_sdp(&sdp)?;
    }

    #[test]
    fn proptest_media_and_attributes_round_trip(media in any::<Media<'static>>(), attribute in any::<Attribute<'static>>()) {
        let mut sdp = Sdp::new(sansrtc_sdp::Origin::new(1, [127, 0, 0, 1].into()));
        sdp.push(attribute);
        sdp.media.push(media);
        check_sdp(&sdp)?;
    }

    #[test]
    fn proptest_offers_are_answered(spec in offer(), capabilities in capabilities()) {
        check_offer(&spec, &capabilities)?;
    }

    #[test]
    fn arbitrary_values_round_trip(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut u = Unstructured::new(&data);
        check_sdp(&Sdp::arbitrary(&mut u).unwrap())?;
        let spec = OfferSpec::arbitrary(&mut u).unwrap();
        let capabilities = Capabilities::arbitrary(&mut u).unwrap();
        check_offer(&spec, &capabilities)?;
        check_sdp(&Sdp::arbitrary_take_rest(u).unwrap())?;
    }

    #[test]
    fn near_valid_descriptions_are_refused(near in near_valid_sdp()) {
        for mode in [Mode::Lenient, Mode::Strict] {
            prop_assert!(
                Sdp::parse_with(&near.text, mode).is_err(),
                "{:?} parsed in {:?} mode:\n{}", near.defect, mode, near.text
            );
        }
        prop_assert!(!matches!(near.defect, Defect::Garbage(ref g) if g.contains('=')));
    }
}

/// Generated values are not all alike: over a few hundred random inputs
/// most attribute names and every media kind of an offer appear.
#[test]
fn arbitrary_values_vary() {
    let mut state = 0x853c_49e6_748f_ea9bu64;
    let mut names = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    let mut codecs = std::collections::BTreeSet::new();
    for _ in 0..400 {
        let data: Vec<u8> = (0..2048)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let mut u = Unstructured::new(&data);
        let sdp = Sdp::arbitrary(&mut u).unwrap();
        names.extend(
            sdp.attributes()
                .map(|a| a.name().to_string())
                .filter(|n| !n.starts_with("x-")),
        );
        let offer = OfferSpec::arbitrary(&mut u).unwrap();
        for media in &offer.media {
            kinds.insert(media.kind.as_str().to_string());
            codecs.extend(media.codecs.iter().map(|c| c.name.to_string()));
        }
    }
    assert!(
        names.len() >= 40,
        "{} attribute names: {names:?}",
        names.len()
    );
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(codecs.len() >= 15, "{codecs:?}");
}
