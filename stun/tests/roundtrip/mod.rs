// The round-trip checks shared by the `stun_parse` fuzz target (which
// includes this file) and the property tests: any bytes either fail to
// parse or give a message whose accessors and verifiers all work, whose
// every attribute encodes again to an equal one, and that writes back to
// the same bytes. The same bytes go through ChannelData, TURN stream
// framing and RFC 4571 framing.

use sansrtc_stun::framing::{self, ChannelData, PacketKind, Transport, rfc4571};
use sansrtc_stun::{Attribute, AttributeType, Class, Message, MessageBuilder, Method};

const KEY: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";

pub(crate) fn check_message(data: &[u8]) {
    let Ok(message) = Message::parse(data) else {
        return;
    };
    let _ = (
        message.class(),
        message.method(),
        message.transaction_id(),
        message.mapped_address(),
        message.xor_mapped_address(),
        message.username(),
        message.userhash(),
        message.realm(),
        message.nonce(),
        message.software(),
        message.error_code(),
        message.alternate_server(),
        message.alternate_domain(),
        message.password_algorithms().map(|p| p.iter().count()),
        message.password_algorithm(),
        message.unknown_attributes().map(|u| u.iter().count()),
        message.priority(),
        message.ice_controlling(),
        message.ice_controlled(),
        message.channel_number(),
        message.lifetime(),
        message.xor_peer_address(),
        message.xor_relayed_address(),
        message.data(),
        message.reservation_token(),
        message.fingerprint(),
        message.use_candidate(),
        message.has_integrity(),
        message.has_fingerprint(),
        message.verify_message_integrity(KEY),
        message.verify_message_integrity_sha256(KEY),
        message.verify_integrity(KEY),
        message.verify_fingerprint(),
        format!("{message:?}"),
    );
    let unknown = message.unknown_comprehension_required().count();
    assert_eq!(unknown > 0, message.has_unknown_comprehension_required());
    // Lookups agree with a walk over the considered attributes.
    for attribute in message.attributes() {
        let kind = attribute.kind();
        let expected = message.considered_attributes().find(|a| a.kind() == kind);
        assert_eq!(message.get(kind), expected);
        assert_eq!(message.has(kind), expected.is_some());
    }

    // Parsing refused every considered attribute that does not decode.
    for attribute in message.considered_attributes() {
        assert!(
            !matches!(attribute, Attribute::Unknown { kind, .. } if kind.is_known()),
            "{attribute:?} was considered but does not decode"
        );
    }
    // The typed accessors, which read through the index parsing built,
    // give what a lookup decodes.
    let get = |kind| message.get(kind);
    assert_eq!(
        message.mapped_address().map(Attribute::MappedAddress),
        get(AttributeType::MAPPED_ADDRESS)
    );
    assert_eq!(
        message
            .xor_mapped_address()
            .map(Attribute::XorMappedAddress),
        get(AttributeType::XOR_MAPPED_ADDRESS)
    );
    assert_eq!(
        message.username().map(Attribute::Username),
        get(AttributeType::USERNAME)
    );
    assert_eq!(
        message.userhash().map(Attribute::UserHash),
        get(AttributeType::USERHASH)
    );
    assert_eq!(
        message.realm().map(Attribute::Realm),
        get(AttributeType::REALM)
    );
    assert_eq!(
        message.nonce().map(Attribute::Nonce),
        get(AttributeType::NONCE)
    );
    assert_eq!(
        message.software().map(Attribute::Software),
        get(AttributeType::SOFTWARE)
    );
    assert_eq!(
        message.error_code().map(Attribute::ErrorCode),
        get(AttributeType::ERROR_CODE)
    );
    assert_eq!(
        message.alternate_server().map(Attribute::AlternateServer),
        get(AttributeType::ALTERNATE_SERVER)
    );
    assert_eq!(
        message.alternate_domain().map(Attribute::AlternateDomain),
        get(AttributeType::ALTERNATE_DOMAIN)
    );
    assert_eq!(
        message
            .password_algorithms()
            .map(Attribute::PasswordAlgorithms),
        get(AttributeType::PASSWORD_ALGORITHMS)
    );
    assert_eq!(
        message
            .password_algorithm()
            .map(Attribute::PasswordAlgorithm),
        get(AttributeType::PASSWORD_ALGORITHM)
    );
    assert_eq!(
        message
            .unknown_attributes()
            .map(Attribute::UnknownAttributes),
        get(AttributeType::UNKNOWN_ATTRIBUTES)
    );
    assert_eq!(
        message.priority().map(Attribute::Priority),
        get(AttributeType::PRIORITY)
    );
    assert_eq!(
        message.ice_controlling().map(Attribute::IceControlling),
        get(AttributeType::ICE_CONTROLLING)
    );
    assert_eq!(
        message.ice_controlled().map(Attribute::IceControlled),
        get(AttributeType::ICE_CONTROLLED)
    );
    assert_eq!(
        message.channel_number().map(Attribute::ChannelNumber),
        get(AttributeType::CHANNEL_NUMBER)
    );
    assert_eq!(
        message.lifetime().map(Attribute::Lifetime),
        get(AttributeType::LIFETIME)
    );
    assert_eq!(
        message.xor_peer_address().map(Attribute::XorPeerAddress),
        get(AttributeType::XOR_PEER_ADDRESS)
    );
    assert_eq!(
        message
            .xor_relayed_address()
            .map(Attribute::XorRelayedAddress),
        get(AttributeType::XOR_RELAYED_ADDRESS)
    );
    assert_eq!(
        message.data().map(Attribute::Data),
        get(AttributeType::DATA)
    );
    assert_eq!(
        message.reservation_token().map(Attribute::ReservationToken),
        get(AttributeType::RESERVATION_TOKEN)
    );
    assert_eq!(
        message.fingerprint().map(Attribute::Fingerprint),
        get(AttributeType::FINGERPRINT)
    );
    assert_eq!(
        message.use_candidate(),
        get(AttributeType::USE_CANDIDATE).is_some()
    );
    assert_eq!(
        message.has_integrity(),
        get(AttributeType::MESSAGE_INTEGRITY).is_some()
            || get(AttributeType::MESSAGE_INTEGRITY_SHA256).is_some()
    );
    assert_eq!(
        message.has_fingerprint(),
        get(AttributeType::FINGERPRINT).is_some()
    );

    for attribute in message.attributes() {
        // Whatever parsed can be encoded again.
        attribute.validate().expect("a parsed attribute validates");
        match attribute {
            // Computed by the builder, not added by value.
            Attribute::MessageIntegrity(_)
            | Attribute::MessageIntegritySha256(_)
            | Attribute::Fingerprint(_) => continue,
            // A known type that did not decode, which parsing allowed only
            // because it is ignored (after MESSAGE-INTEGRITY): alone in a
            // message it would be considered and rejected.
            Attribute::Unknown { kind, .. } if kind.is_known() => continue,
            _ => {}
        }
        // Built alone into a new message, it decodes to an equal attribute.
        let mut buf = vec![0u8; 20 + attribute.encoded_len()];
        let mut builder = MessageBuilder::new(
            &mut buf,
            Class::Indication,
            Method::BINDING,
            message.transaction_id(),
        )
        .expect("room for the header");
        builder.add(&attribute).expect("room for the attribute");
        let len = builder.finish();
        assert_eq!(len, buf.len());
        let single = Message::parse(&buf).expect("a built message parses");
        let mut attributes = single.attributes();
        assert_eq!(attributes.next(), Some(attribute));
        assert_eq!(attributes.next(), None);
    }

    let mut out = vec![0u8; message.encoded_len()];
    let len = message
        .write_to(&mut out)
        .expect("a parsed message writes back");
    assert_eq!(&out[..len], data);
    let again = Message::parse(&out[..len]).expect("a written message parses");
    assert_eq!(again, message);
    // A buffer one byte short is an error, not a panic.
    assert!(message.write_to(&mut out[..len - 1]).is_err());
}

pub(crate) fn check_framing(data: &[u8]) {
    for transport in [Transport::Udp, Transport::Tcp] {
        if let Ok(channel_data) = ChannelData::parse(data, transport) {
            assert!((0x4000..=0x4FFF).contains(&channel_data.channel_number));
            for out_transport in [Transport::Udp, Transport::Tcp] {
                let mut out = vec![0u8; channel_data.encoded_len(out_transport)];
                let len = channel_data
                    .write_to(&mut out, out_transport)
                    .expect("a parsed ChannelData writes back");
                assert_eq!(
                    ChannelData::parse(&out[..len], out_transport),
                    Ok(channel_data)
                );
            }
            if transport == Transport::Tcp {
                assert_eq!(framing::stream_frame_len(data), Ok(Some(data.len())));
            }
        }
    }
    if let Ok(Some(len)) = framing::stream_frame_len(data) {
        assert!(len >= 4);
        // A STUN message at the front of a stream is as long as the frame
        // length says.
        if let Some(Ok(message)) = data.get(..len).map(Message::parse) {
            assert_eq!(message.encoded_len(), len);
        }
    }
    if let Some((packet, rest)) = rfc4571::split(data) {
        assert_eq!(rfc4571::HEADER_LEN + packet.len() + rest.len(), data.len());
        let mut out = vec![0u8; rfc4571::HEADER_LEN + packet.len()];
        assert_eq!(rfc4571::write_to(packet, &mut out), Ok(out.len()));
        assert_eq!(&out[..], &data[..out.len()]);
        check_message(packet);
    }
    // RFC 7983 gives STUN only first bytes 0-3, while RFC 8489 framing
    // allows up to 0x3F; classification must simply not panic.
    let _ = PacketKind::of(data);
    if sansrtc_stun::is_stun(data) {
        assert!(framing::has_magic_cookie(data));
    }
}
