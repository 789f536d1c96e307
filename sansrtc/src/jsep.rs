//! JSEP (RFC 8829): offers and answers, the signaling state, and what a
//! remote description tells ICE and DTLS.
//!
//! - [`Peer::create_offer`] writes an offer with one m-line per
//!   transceiver, all in one BUNDLE group with rtcp-mux, trickle ICE and
//!   `a=setup:actpass`; the offerer is the controlling ICE agent.
//! - [`Peer::set_remote_offer`] takes the other side's offer (making a
//!   receiving transceiver for each m-line it does not know) and
//!   [`Peer::create_answer`] answers it (`a=setup:active`: we will be the
//!   DTLS client).
//! - [`Peer::set_remote_answer`] takes the answer to our offer.
//!
//! Each remote description gives ICE its credentials and candidates and
//! DTLS its fingerprints and role. An ICE restart (new credentials from
//! either side) restarts the agent; DTLS and SRTP go on.
//!
//! - <https://www.rfc-editor.org/rfc/rfc8829#section-5>
//! - <https://www.rfc-editor.org/rfc/rfc8843> (BUNDLE)

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use sansrtc_dtls::{DtlsRole, Fingerprint as DtlsFingerprint, HashFunction, Setup as DtlsSetup};
use sansrtc_rtp::rtp::extension::uri;
use sansrtc_sdp::negotiate::{
    Capabilities, LocalMedia, Session, Side, agree, create_answer, create_offer,
};
use sansrtc_sdp::{
    Attribute, Direction, Extmap, Fingerprint, MediaType, Msid, Origin, Sdp, Ssrc, SsrcGroup,
};
use sansrtc_stun::rng::Rng;

use crate::event::{Error, Event, MediaKind, Mid, SignalingState};
use crate::peer::Peer;
use crate::transceiver::{
    MAX_REMOTE_RTX, MID_EXTENSION_ID, MID_URI, Negotiated, REPAIRED_RID_EXTENSION_ID,
    RID_EXTENSION_ID, Transceiver,
};

/// The offer/answer state.
#[derive(Debug)]
pub(crate) struct Signaling {
    pub(crate) state: SignalingState,
    session_id: u64,
    version: u64,
    /// The offer we sent and wait an answer to.
    local_offer: Option<Sdp<'static>>,
    /// The offer we received and owe an answer to.
    remote_offer: Option<Sdp<'static>>,
    /// Whether an exchange completed (ICE roles are set by the first).
    negotiated_once: bool,
    /// The DTLS role, once both setups are known.
    pub(crate) dtls_role: Option<DtlsRole>,
    /// The remote ICE credentials in use.
    remote_credentials: Option<(String, String)>,
    /// Whether the remote fingerprints were given to DTLS.
    fingerprints_set: bool,
    /// The next offer restarts ICE.
    restart: bool,
}

impl Signaling {
    pub(crate) fn new(rng: &mut Rng) -> Self {
        Self {
            state: SignalingState::Stable,
            // RFC 8866 §5.2: a number that fits 63 bits.
            session_id: rng.next_u64() >> 1,
            version: 0,
            local_offer: None,
            remote_offer: None,
            negotiated_once: false,
            dtls_role: None,
            remote_credentials: None,
            fingerprints_set: false,
            restart: false,
        }
    }

    /// The lowest unused mid ("0", "1", ...), `taken` being the data
    /// channels' section's.
    pub(crate) fn next_mid(&self, transceivers: &[Transceiver], taken: Option<&str>) -> Mid {
        (0u32..)
            .map(|n| n.to_string())
            .find(|mid| !transceivers.iter().any(|t| &t.mid == mid) && taken != Some(mid.as_str()))
            .unwrap_or_default()
    }

    /// The mid of the BUNDLE group's first m-line, which carries the
    /// transport.
    pub(crate) fn bundle_mid(&self, transceivers: &[Transceiver]) -> Mid {
        transceivers
            .first()
            .map_or_else(|| "0".to_string(), |t| t.mid.clone())
    }

    pub(crate) fn close(&mut self) {
        self.state = SignalingState::Closed;
    }
}

/// A random string of the ICE alphabet's letters and digits.
pub(crate) fn random_token(rng: &mut Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| {
            let index = usize::try_from(rng.below(ALPHABET.len() as u64)).unwrap_or(0);
            char::from(ALPHABET.get(index).copied().unwrap_or(b'A'))
        })
        .collect()
}

impl Peer {
    /// Writes an offer with a BUNDLEd m-line per transceiver, makes it the
    /// local description and returns its text. The first offer makes us
    /// the controlling ICE agent.
    pub fn create_offer(&mut self) -> Result<String, Error> {
        self.check_open()?;
        if !matches!(
            self.signaling.state,
            SignalingState::Stable | SignalingState::HaveLocalOffer
        ) {
            return Err(Error::SignalingState(self.signaling.state));
        }
        if core::mem::take(&mut self.signaling.restart) {
            self.ice.restart().map_err(|e| Error::Ice(e.to_string()))?;
        }
        let session = self.session()?;
        let mut media: Vec<LocalMedia<'static>> = self
            .transceivers
            .iter()
            .map(|t| self.local_media(t))
            .collect();
        if self.data.wanted && self.data.mid.is_none() {
            let mid = self.signaling.next_mid(&self.transceivers, None);
            self.data.mid = Some(mid);
            self.data.index = media.len();
        }
        if let Some(mid) = &self.data.mid {
            // The section keeps its place among the m-lines.
            let mut application = LocalMedia::data_channel("");
            application.mid = Cow::Owned(mid.clone());
            application.max_message_size =
                Some(u64::from(sansrtc_datachannel::DEFAULT_MAX_MESSAGE_SIZE));
            media.insert(self.data.index.min(media.len()), application);
        }
        let offer = create_offer(&session, &media).into_owned();
        let text = offer.to_string();
        if !self.signaling.negotiated_once {
            self.ice.set_controlling(true);
        }
        self.signaling.local_offer = Some(offer);
        self.set_signaling_state(SignalingState::HaveLocalOffer);
        let now = self.now;
        self.pump(now);
        Ok(text)
    }

    /// Takes the answer to our offer: what was agreed for each
    /// transceiver, and the other side's ICE and DTLS parameters.
    pub fn set_remote_answer(&mut self, answer: &str) -> Result<(), Error> {
        self.check_open()?;
        if self.signaling.state != SignalingState::HaveLocalOffer {
            return Err(Error::SignalingState(self.signaling.state));
        }
        let answer = Sdp::parse(answer).map_err(|e| Error::Sdp(e.to_string()))?;
        let Some(offer) = self.signaling.local_offer.take() else {
            return Err(Error::SignalingState(self.signaling.state));
        };
        let result = self.apply_exchange(&offer, &answer, Side::Offerer);
        if result.is_err() {
            self.signaling.local_offer = Some(offer);
            return result;
        }
        self.apply_remote_transport(&answer, false)?;
        self.data.read_remote(&answer);
        self.signaling.negotiated_once = true;
        self.set_signaling_state(SignalingState::Stable);
        let now = self.now;
        self.pump(now);
        Ok(())
    }

    /// Takes the other side's offer. Each m-line whose mid we do not know
    /// gets a receiving transceiver ([`Event::TransceiverAdded`]); call
    /// [`set_direction`](Self::set_direction) to send on it too, then
    /// [`create_answer`](Self::create_answer). The first offer we receive
    /// makes us the controlled ICE agent.
    pub fn set_remote_offer(&mut self, offer: &str) -> Result<(), Error> {
        self.check_open()?;
        if !matches!(
            self.signaling.state,
            SignalingState::Stable | SignalingState::HaveRemoteOffer
        ) {
            return Err(Error::SignalingState(self.signaling.state));
        }
        let offer = Sdp::parse(offer)
            .map_err(|e| Error::Sdp(e.to_string()))?
            .into_owned();
        for media in &offer.media {
            let kind = match media.media_line.value().media {
                MediaType::Audio => MediaKind::Audio,
                MediaType::Video => MediaKind::Video,
                _ => continue,
            };
            let Some(mid) = media.mid() else {
                continue;
            };
            if self.transceivers.iter().any(|t| t.mid == mid) {
                continue;
            }
            if self.transceivers.len() >= crate::MAX_TRANSCEIVERS {
                return Err(Error::TooManyTransceivers);
            }
            let mut transceiver =
                Transceiver::new(mid.to_string(), kind, Direction::RecvOnly, &mut self.rng);
            transceiver.frames = self.config.receive_frames;
            self.transceivers.push(transceiver);
            self.event(Event::TransceiverAdded {
                mid: mid.to_string(),
                kind,
            });
        }
        if !self.signaling.negotiated_once {
            self.ice.set_controlling(false);
        }
        self.apply_remote_transport(&offer, true)?;
        self.data.read_remote(&offer);
        self.signaling.remote_offer = Some(offer);
        self.set_signaling_state(SignalingState::HaveRemoteOffer);
        let now = self.now;
        self.pump(now);
        Ok(())
    }

    /// Answers the offer taken by [`set_remote_offer`](Self::set_remote_offer),
    /// makes the answer the local description and returns its text.
    pub fn create_answer(&mut self) -> Result<String, Error> {
        self.check_open()?;
        if self.signaling.state != SignalingState::HaveRemoteOffer {
            return Err(Error::SignalingState(self.signaling.state));
        }
        let Some(offer) = self.signaling.remote_offer.take() else {
            return Err(Error::SignalingState(self.signaling.state));
        };
        let session = self.session()?;
        let mut capabilities = Capabilities::new(session);
        // Simulcast layers we could not receive are left out of the answer.
        let mut answered = offer.clone();
        crate::simulcast::drop_unreceivable_rids(&mut answered);
        for media in &offer.media {
            let Some(transceiver) = media
                .mid()
                .and_then(|mid| self.transceivers.iter().find(|t| t.mid == mid))
            else {
                continue;
            };
            let local = self.local_media(transceiver);
            match transceiver.kind {
                MediaKind::Audio if capabilities.audio.is_none() => {
                    capabilities.audio = Some(local)
                }
                MediaKind::Video if capabilities.video.is_none() => {
                    capabilities.video = Some(local)
                }
                _ => {}
            }
        }
        if let Some(mid) = &self.data.mid {
            let mut application = LocalMedia::data_channel("");
            application.mid = Cow::Owned(mid.clone());
            application.max_message_size =
                Some(u64::from(sansrtc_datachannel::DEFAULT_MAX_MESSAGE_SIZE));
            capabilities.data_channel = Some(application);
        }
        let answer = create_answer(&answered, &capabilities)
            .map_err(|e| Error::Negotiation(e.to_string()))?
            .into_owned();
        self.data.accepted =
            crate::data::application(&answer).is_some_and(|(_, media)| !media.is_port_zero());
        if let Err(error) = self.apply_exchange(&offer, &answer, Side::Answerer) {
            self.signaling.remote_offer = Some(offer);
            return Err(error);
        }
        // Our own setup decides the DTLS role now that both are known.
        if self.signaling.dtls_role.is_none() {
            let local = answer.media.first().and_then(|m| m.setup(&answer));
            let remote = offer.media.first().and_then(|m| m.setup(&offer));
            self.signaling.dtls_role = dtls_role(local, remote, false);
        }
        self.signaling.negotiated_once = true;
        self.set_signaling_state(SignalingState::Stable);
        let now = self.now;
        self.pump(now);
        Ok(answer.to_string())
    }

    /// Restarts ICE at the next offer: new credentials, new candidates, a
    /// new pair; media keeps flowing on the old one until then, and DTLS
    /// and SRTP go on (RFC 8445 §9, RFC 8829 §3.5.1).
    pub fn restart_ice(&mut self) {
        self.signaling.restart = true;
    }

    /// The session part of our descriptions.
    fn session(&mut self) -> Result<Session<'static>, Error> {
        self.signaling.version += 1;
        let credentials = self.ice.local_credentials();
        let fingerprint = self.dtls.local_fingerprint();
        let fingerprint = Fingerprint {
            hash_function: Cow::Owned(fingerprint.hash_function.name().to_string()),
            bytes: fingerprint.bytes.clone(),
        };
        let mut origin = Origin::new(
            self.signaling.session_id,
            core::net::Ipv4Addr::LOCALHOST.into(),
        );
        origin.session_version = self.signaling.version;
        let session = Session::new(
            origin,
            credentials.ufrag().to_string(),
            credentials.pwd().to_string(),
            fingerprint,
        )
        .map_err(|e| Error::Negotiation(e.to_string()))?
        .with_ice_lite(self.config.ice_lite);
        Ok(session)
    }

    /// The m-line a transceiver offers (or answers with).
    fn local_media(&self, transceiver: &Transceiver) -> LocalMedia<'static> {
        let (kind, codecs) = match transceiver.kind {
            MediaKind::Video => (MediaType::Video, self.config.video_codecs.clone()),
            _ => (MediaType::Audio, self.config.audio_codecs.clone()),
        };
        let extmap = |id: u16, uri: &'static str| Extmap {
            id,
            direction: None,
            uri: Cow::Borrowed(uri),
            attributes: None,
        };
        let mut extensions = alloc::vec![extmap(MID_EXTENSION_ID, MID_URI)];
        let rids = transceiver.rids();
        if transceiver.kind == MediaKind::Video || !rids.is_empty() {
            // RFC 8852 §4: the layers of simulcast are named in RTP.
            extensions.push(extmap(RID_EXTENSION_ID, uri::RID));
            extensions.push(extmap(REPAIRED_RID_EXTENSION_ID, uri::REPAIRED_RID));
        }
        let mut media = LocalMedia::new("", kind, codecs, extensions);
        media.mid = Cow::Owned(transceiver.mid.clone());
        media.direction = transceiver.direction;
        if transceiver.direction.sends() && !rids.is_empty() {
            // RFC 8853 §5.1: one stream per layer; their SSRCs go
            // unannounced, named by the MID and rid they carry.
            let (lines, simulcast) = crate::simulcast::send_description(&rids);
            media.rids = lines;
            media.simulcast = Some(simulcast);
            media.msid = Some(Msid {
                stream_id: Cow::Owned(self.cname.clone()),
                track_id: Some(Cow::Owned(alloc::format!(
                    "{}-{}",
                    self.cname,
                    transceiver.mid
                ))),
            });
        } else if transceiver.direction.sends() {
            let stream: Cow<'static, str> = Cow::Owned(self.cname.clone());
            let track: Cow<'static, str> =
                Cow::Owned(alloc::format!("{}-{}", self.cname, transceiver.mid));
            media.msid = Some(Msid {
                stream_id: stream.clone(),
                track_id: Some(track.clone()),
            });
            let msid = alloc::format!("{stream} {track}");
            let mut ssrcs = alloc::vec![transceiver.ssrc];
            // RFC 4588 §8.2 and RFC 8829 §5.2.1: the RTX stream that
            // repairs ours, announced when we offer RTX. Browsers refuse
            // an audio m-line with more than one SSRC (a voice stream has
            // one), so audio RTX goes unannounced: the receiver ties it to
            // the transceiver's one stream (RFC 4588 §5.3).
            if transceiver.kind == MediaKind::Video && media.codecs.iter().any(|c| c.is_rtx()) {
                ssrcs.push(transceiver.rtx_ssrc());
                media.ssrc_groups = alloc::vec![SsrcGroup {
                    semantics: Cow::Borrowed("FID"),
                    ssrcs: ssrcs.clone(),
                }];
            }
            for ssrc in ssrcs {
                media.ssrcs.push(Ssrc {
                    ssrc,
                    attribute: Cow::Borrowed("cname"),
                    value: Some(Cow::Owned(self.cname.clone())),
                });
                media.ssrcs.push(Ssrc {
                    ssrc,
                    attribute: Cow::Borrowed("msid"),
                    value: Some(Cow::Owned(msid.clone())),
                });
            }
        }
        media
    }

    /// What an offer and its answer agreed, applied to the transceivers.
    fn apply_exchange(
        &mut self,
        offer: &Sdp<'_>,
        answer: &Sdp<'_>,
        side: Side,
    ) -> Result<(), Error> {
        let agreement =
            agree(offer, answer, side).map_err(|e| Error::Negotiation(e.to_string()))?;
        let remote = match side {
            Side::Offerer => answer,
            Side::Answerer => offer,
        };
        for agreed in &agreement.media {
            let Some(mid) = agreed.mid.as_deref() else {
                continue;
            };
            let mut negotiated = Negotiated::from_agreement(agreed);
            negotiated.remote_rtx = remote_rtx(remote, mid);
            if agreed.accepted {
                (negotiated.send_rids, negotiated.recv_rids) =
                    crate::simulcast::agreed_rids(answer, mid, side == Side::Offerer);
            }
            let anchor = self.anchor;
            let interval = self.config.rtcp_interval;
            let cname = self.cname.clone();
            if let Some(transceiver) = self.transceivers.iter_mut().find(|t| t.mid == mid) {
                let capacity = match transceiver.kind {
                    MediaKind::Audio => self.config.audio_retransmission_capacity,
                    _ => self.config.video_retransmission_capacity,
                };
                transceiver.negotiate(
                    negotiated,
                    &cname,
                    anchor,
                    interval,
                    capacity,
                    &mut self.rng,
                );
            }
        }
        if side == Side::Offerer && self.signaling.dtls_role.is_none() {
            let local = offer.media.first().and_then(|m| m.setup(offer));
            let remote = answer.media.first().and_then(|m| m.setup(answer));
            self.signaling.dtls_role = dtls_role(local, remote, true);
        }
        Ok(())
    }

    /// The other side's ICE credentials, candidates and DTLS fingerprints
    /// from its description (its first m-line carries the BUNDLE
    /// transport).
    fn apply_remote_transport(&mut self, sdp: &Sdp<'_>, is_offer: bool) -> Result<(), Error> {
        let Some(media) = sdp
            .media
            .iter()
            .find(|m| !m.is_port_zero())
            .or(sdp.media.first())
        else {
            return Ok(());
        };
        if let (Some(ufrag), Some(pwd)) = (media.ice_ufrag(sdp), media.ice_pwd(sdp)) {
            let credentials = (ufrag.to_string(), pwd.to_string());
            let changed = self
                .signaling
                .remote_credentials
                .as_ref()
                .is_some_and(|old| *old != credentials);
            if changed && is_offer {
                // The other side restarts ICE: so do we (RFC 8445 §9).
                self.ice.restart().map_err(|e| Error::Ice(e.to_string()))?;
            }
            if self.signaling.remote_credentials.as_ref() != Some(&credentials) {
                self.ice
                    .set_remote_credentials(ufrag, pwd)
                    .map_err(|e| Error::Ice(e.to_string()))?;
                self.signaling.remote_credentials = Some(credentials);
            }
        }
        if media.ice_lite(sdp) {
            self.ice.set_remote_lite();
        }
        for candidate in media.candidates() {
            // A candidate we cannot use (another transport, a cap) is
            // skipped like a trickled one would be.
            if let Ok(candidate) = candidate.parse() {
                let _ = self.ice.add_remote_candidate(candidate);
            }
        }
        if media.end_of_candidates(sdp) {
            self.ice.end_of_remote_candidates();
        }
        if !self.signaling.fingerprints_set {
            let fingerprints: Vec<DtlsFingerprint> = media
                .fingerprints(sdp)
                .map(|f| {
                    DtlsFingerprint::new(HashFunction::from_name(&f.hash_function), f.bytes.clone())
                })
                .collect();
            if !fingerprints.is_empty() {
                self.dtls
                    .set_remote_fingerprints(fingerprints)
                    .map_err(|e| Error::Negotiation(e.to_string()))?;
                self.signaling.fingerprints_set = true;
            }
        }
        Ok(())
    }

    fn set_signaling_state(&mut self, state: SignalingState) {
        if self.signaling.state != state {
            self.signaling.state = state;
            self.event(Event::SignalingState(state));
        }
    }
}

/// The other side's RTX streams on the m-line `mid` (RFC 4588 §8.2,
/// RFC 5576 §4.2): each `a=ssrc-group:FID <media SSRC> <RTX SSRC>`, at most
/// [`MAX_REMOTE_RTX`].
fn remote_rtx(sdp: &Sdp<'_>, mid: &str) -> Vec<(u32, u32)> {
    sdp.media
        .iter()
        .find(|m| m.mid() == Some(mid))
        .into_iter()
        .flat_map(|m| m.attributes())
        .filter_map(|a| match a {
            Attribute::SsrcGroup(group) if group.semantics.eq_ignore_ascii_case("FID") => {
                match group.ssrcs.as_slice() {
                    [media, rtx] => Some((*media, *rtx)),
                    _ => None,
                }
            }
            _ => None,
        })
        .take(MAX_REMOTE_RTX)
        .collect()
}

/// The DTLS role from both sides' `a=setup` (RFC 8842 §5); `None` when one
/// is missing or they do not fit.
fn dtls_role(
    local: Option<sansrtc_sdp::Setup>,
    remote: Option<sansrtc_sdp::Setup>,
    offerer: bool,
) -> Option<DtlsRole> {
    let convert = |setup: sansrtc_sdp::Setup| setup.to_string().parse::<DtlsSetup>().ok();
    let local = convert(local?)?;
    let remote = convert(remote?)?;
    sansrtc_dtls::negotiate_role(local, remote, offerer).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtx_streams_come_from_fid_groups_and_are_capped() {
        let mut text = String::from(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
             m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:v\r\n\
             a=ssrc-group:FID 1 2\r\na=ssrc-group:SIM 3 4 5\r\na=ssrc-group:FID 6\r\n",
        );
        for i in 0..40u32 {
            text.push_str(&alloc::format!(
                "a=ssrc-group:FID {} {}\r\n",
                100 + i,
                200 + i
            ));
        }
        text.push_str("m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=ssrc-group:FID 7 8\r\n");
        let sdp = Sdp::parse(&text).unwrap();
        let video = remote_rtx(&sdp, "v");
        assert_eq!(video.len(), MAX_REMOTE_RTX);
        assert_eq!(video[0], (1, 2));
        assert_eq!(video[1], (100, 200));
        assert_eq!(remote_rtx(&sdp, "a"), [(7, 8)]);
        assert!(remote_rtx(&sdp, "x").is_empty());
    }
}
