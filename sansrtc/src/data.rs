//! Data channels (RFC 8831, RFC 8832): the peer's one SCTP association,
//! carried in DTLS application data, described by an `m=application ...
//! UDP/DTLS/SCTP webrtc-datachannel` section with `a=sctp-port` and
//! `a=max-message-size` (RFC 8841).
//!
//! A channel made before the association exists (before the offer/answer
//! that brings the section, or before DTLS is up) waits and opens with it.
//! Channels are named by a [`DataChannelId`] of the peer's own, stable from
//! [`Peer::create_data_channel`] on, whatever SCTP stream it gets (whose
//! parity follows the DTLS role, known only after negotiation).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8831>
//! - <https://www.rfc-editor.org/rfc/rfc8832>
//! - <https://www.rfc-editor.org/rfc/rfc8841>

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::time::Instant;

use sansrtc_datachannel::{
    Association, ChannelId, ChannelOptions, Config as AssociationConfig, DtlsRole as SctpRole,
    Event as AssociationEvent, Message, Payload,
};
use sansrtc_dtls::DtlsRole;
use sansrtc_ice::MAX_QUEUED_TRANSMITS;
use sansrtc_sdp::{Attribute, Media, MediaType, Sdp};

use crate::event::{Error, Event, Mid};
use crate::peer::{MAX_QUEUED_EVENTS, Peer};

/// The most data channels waiting for the association to exist.
pub const MAX_PENDING_DATA_CHANNELS: usize = 64;

/// Slots of the ICE agent's transmit queue ([`MAX_QUEUED_TRANSMITS`]) that
/// SCTP leaves to everything else (checks, consent, media): SCTP packets go
/// out while more than this is free, and the rest wait in the association.
const TRANSMIT_RESERVE: usize = 32;

/// Slots of the peer's event queue ([`MAX_QUEUED_EVENTS`]) that data
/// channels leave to the other events: their events move over while more
/// than this is free, and the rest wait in the association (messages in
/// SCTP, whose receive window then holds the sender back).
const EVENT_RESERVE: usize = 64;

/// A data channel, named by the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataChannelId(pub u32);

/// What happened on a data channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataChannelEvent {
    /// The other side opened a channel (`ondatachannel`).
    Incoming {
        /// Its label.
        label: String,
        /// Its sub-protocol.
        protocol: String,
    },
    /// The channel is open: messages can be sent.
    Open,
    /// A message arrived.
    Message(Payload),
    /// The channel's buffered amount fell to its low threshold.
    BufferedAmountLow,
    /// The channel is closing (closed by either side).
    Closing,
    /// The channel is closed.
    Closed,
}

/// The data-channel state of a peer.
#[derive(Debug, Default)]
pub(crate) struct DataChannels {
    /// The `m=application` section's mid, once a description has it.
    pub(crate) mid: Option<Mid>,
    /// Its m-line index (m-lines keep their place in renegotiations).
    pub(crate) index: usize,
    /// A channel was asked for: offer the section.
    pub(crate) wanted: bool,
    /// Whether the last exchange accepted the section.
    pub(crate) accepted: bool,
    pub(crate) remote_port: Option<u16>,
    pub(crate) remote_max_message_size: Option<u64>,
    pub(crate) association: Option<Association>,
    pub(crate) connected: bool,
    /// SCTP packets were left in the association for lack of room in ICE's
    /// queue: they go out on the next call.
    pub(crate) held_back: bool,
    /// Channels made before the association.
    pending: Vec<(DataChannelId, ChannelOptions)>,
    ids: Vec<(DataChannelId, ChannelId)>,
    next: u32,
}

impl DataChannels {
    fn handle(&mut self, channel: ChannelId) -> DataChannelId {
        if let Some((id, _)) = self.ids.iter().find(|(_, c)| *c == channel) {
            return *id;
        }
        let id = DataChannelId(self.next);
        self.next = self.next.wrapping_add(1);
        self.ids.push((id, channel));
        id
    }

    fn channel(&self, id: DataChannelId) -> Option<ChannelId> {
        self.ids.iter().find(|(i, _)| *i == id).map(|(_, c)| *c)
    }

    /// Notes the remote `m=application` section of a description.
    pub(crate) fn read_remote(&mut self, sdp: &Sdp<'_>) {
        let Some((index, media)) = application(sdp) else {
            return;
        };
        if self.mid.is_none() {
            self.mid = media.mid().map(ToString::to_string);
            self.index = index;
        }
        self.accepted = !media.is_port_zero();
        for attribute in media.attributes() {
            match attribute {
                Attribute::SctpPort(port) => self.remote_port = Some(*port),
                Attribute::MaxMessageSize(size) => self.remote_max_message_size = Some(*size),
                _ => {}
            }
        }
    }
}

/// The `m=application` section of a description, with its index.
pub(crate) fn application<'s, 'a>(sdp: &'s Sdp<'a>) -> Option<(usize, &'s Media<'a>)> {
    sdp.media
        .iter()
        .enumerate()
        .find(|(_, m)| m.media_line.value().media == MediaType::Application)
}

impl Peer {
    /// Makes a data channel (`createDataChannel`): in band (DCEP, RFC 8832)
    /// or pre-negotiated ([`ChannelOptions::with_negotiated`]). Before the
    /// first offer it also asks for the `m=application` section; it opens
    /// ([`DataChannelEvent::Open`]) once SCTP is up.
    pub fn create_data_channel(&mut self, options: ChannelOptions) -> Result<DataChannelId, Error> {
        self.check_open()?;
        let now = self.now;
        self.data.wanted = true;
        if let Some(association) = &mut self.data.association {
            let channel = association
                .create_channel(now, options)
                .map_err(|e| Error::DataChannel(e.to_string()))?;
            let id = self.data.handle(channel);
            self.pump(now);
            return Ok(id);
        }
        if self.data.pending.len() >= MAX_PENDING_DATA_CHANNELS {
            return Err(Error::DataChannel("too many channels waiting".to_string()));
        }
        // What the association would refuse later, refused now.
        for (what, value) in [("label", &options.label), ("protocol", &options.protocol)] {
            if value.len() > sansrtc_datachannel::dcep::MAX_LABEL_LEN {
                return Err(Error::DataChannel(format!(
                    "the channel {what} is {} bytes, more than 65535",
                    value.len()
                )));
            }
        }
        if let Some(stream) = options.negotiated {
            if usize::from(stream) >= sansrtc_datachannel::MAX_CHANNELS {
                return Err(Error::DataChannel(format!(
                    "stream id {stream} is out of range (0 to {})",
                    sansrtc_datachannel::MAX_CHANNELS - 1
                )));
            }
            if self
                .data
                .pending
                .iter()
                .any(|(_, o)| o.negotiated == Some(stream))
            {
                return Err(Error::DataChannel(format!("channel {stream} is in use")));
            }
        }
        let id = DataChannelId(self.data.next);
        self.data.next = self.data.next.wrapping_add(1);
        self.data.pending.push((id, options));
        Ok(id)
    }

    /// Sends a message on an open data channel.
    pub fn send_data(
        &mut self,
        now: Instant,
        id: DataChannelId,
        message: Message<'_>,
    ) -> Result<(), Error> {
        self.check_open()?;
        let channel = self.data.channel(id).ok_or(Error::NotConnected)?;
        let association = self.data.association.as_mut().ok_or(Error::NotConnected)?;
        association
            .send(now, channel, message)
            .map_err(|e| Error::DataChannel(e.to_string()))?;
        self.pump(now);
        Ok(())
    }

    /// Closes a data channel (an SCTP stream reset, RFC 8831 §6.7).
    pub fn close_data_channel(&mut self, now: Instant, id: DataChannelId) -> Result<(), Error> {
        if let Some(index) = self.data.pending.iter().position(|(i, _)| *i == id) {
            self.data.pending.remove(index);
            return Ok(());
        }
        let channel = self.data.channel(id).ok_or(Error::NotConnected)?;
        let association = self.data.association.as_mut().ok_or(Error::NotConnected)?;
        association
            .close(now, channel)
            .map_err(|e| Error::DataChannel(e.to_string()))?;
        self.pump(now);
        Ok(())
    }

    /// Bytes queued on a data channel and not yet sent (`bufferedAmount`).
    pub fn buffered_amount(&self, id: DataChannelId) -> usize {
        let channel = self.data.channel(id);
        match (&self.data.association, channel) {
            (Some(association), Some(channel)) => association.buffered_amount(channel).unwrap_or(0),
            _ => 0,
        }
    }

    /// Sets the threshold under which a channel reports
    /// [`DataChannelEvent::BufferedAmountLow`].
    pub fn set_buffered_amount_low_threshold(
        &mut self,
        id: DataChannelId,
        threshold: usize,
    ) -> Result<(), Error> {
        let channel = self.data.channel(id).ok_or(Error::NotConnected)?;
        let association = self.data.association.as_mut().ok_or(Error::NotConnected)?;
        association
            .set_buffered_amount_low_threshold(channel, threshold)
            .map_err(|e| Error::DataChannel(e.to_string()))
    }

    /// A data channel's label, once it exists in SCTP.
    pub fn data_channel_label(&self, id: DataChannelId) -> Option<&str> {
        let channel = self.data.channel(id)?;
        Some(self.data.association.as_ref()?.channel(channel)?.label())
    }

    /// Once negotiation settled the DTLS role and accepted the section:
    /// the association exists, and the channels made before it are made.
    pub(crate) fn start_data(&mut self, now: Instant, role: DtlsRole) {
        if self.data.association.is_some() || !self.data.accepted || self.data.mid.is_none() {
            return;
        }
        let sctp_role = match role {
            DtlsRole::Client => SctpRole::Client,
            DtlsRole::Server => SctpRole::Server,
        };
        let mut config = AssociationConfig::new(sctp_role).with_ports(
            sansrtc_datachannel::DEFAULT_SCTP_PORT,
            self.data
                .remote_port
                .unwrap_or(sansrtc_datachannel::DEFAULT_SCTP_PORT),
        );
        // RFC 8841 §6.1: without a=max-message-size, 64 KiB.
        let remote_max = self.data.remote_max_message_size.unwrap_or(65_536);
        config = config.with_remote_max_message_size(u32::try_from(remote_max).unwrap_or(u32::MAX));
        let mut association = Association::new(config, now);
        // Negotiated channels first: their stream ids are the
        // application's, and an in-band channel made before one of them
        // must take another id, not that one.
        let mut pending = core::mem::take(&mut self.data.pending);
        pending.sort_by_key(|(_, options)| options.negotiated.is_none());
        let mut refused = Vec::new();
        for (id, options) in pending {
            match association.create_channel(now, options) {
                Ok(channel) => self.data.ids.push((id, channel)),
                // Two negotiated channels on one id: the second never opens.
                Err(_) => refused.push(id),
            }
        }
        self.data.association = Some(association);
        for id in refused {
            self.event(Event::DataChannel {
                id,
                event: DataChannelEvent::Closed,
            });
        }
    }

    /// Moves SCTP along: SCTP's packets out through DTLS and ICE, SCTP's
    /// events into ours; connects once DTLS is up.
    ///
    /// Both go only as far as there is room (in ICE's transmit queue, in
    /// our event queue): the association keeps the rest, where nothing is
    /// lost. A burst of small messages makes more SCTP packets than ICE
    /// queues between two [`Peer::poll_transmit`] drains, and the packets
    /// it would drop look to SCTP like loss on the path.
    pub(crate) fn pump_data(&mut self, now: Instant) {
        let Some(association) = &mut self.data.association else {
            return;
        };
        if !self.data.connected && self.dtls_state == crate::DtlsState::Connected {
            self.data.connected = true;
            if association.role() == SctpRole::Client {
                // Fails only when already connecting.
                let _ = association.connect(now);
            }
        }
        self.data.held_back = false;
        loop {
            if self.ice.queued_transmits() + TRANSMIT_RESERVE >= MAX_QUEUED_TRANSMITS {
                self.data.held_back = true;
                break;
            }
            let Some(packet) = association.poll_transmit() else {
                break;
            };
            // A record DTLS cannot take (closed, or not connected yet) is
            // lost like a datagram; SCTP retransmits.
            let _ = self.dtls.send_application_data(&packet);
            while let Some(datagram) = self.dtls.poll_transmit() {
                // Without a selected pair the datagram is lost likewise.
                let _ = self.ice.send_data(now, 1, datagram);
            }
        }
        self.pull_data_events();
    }

    /// Moves the association's events into ours while there is room.
    pub(crate) fn pull_data_events(&mut self) {
        while self.events.len() + EVENT_RESERVE < MAX_QUEUED_EVENTS {
            let Some(event) = self
                .data
                .association
                .as_mut()
                .and_then(Association::poll_event)
            else {
                return;
            };
            self.on_association_event(event);
        }
    }

    /// SCTP packets DTLS decrypted.
    pub(crate) fn receive_sctp(&mut self, now: Instant, packet: &[u8]) {
        if let Some(association) = &mut self.data.association {
            // A bad packet is dropped; the association goes on.
            let _ = association.handle_receive(now, packet);
        }
    }

    fn on_association_event(&mut self, event: AssociationEvent) {
        let (channel, event) = match event {
            AssociationEvent::IncomingChannel { channel } => {
                let (label, protocol) = self
                    .data
                    .association
                    .as_ref()
                    .and_then(|a| a.channel(channel))
                    .map(|c| (c.label().to_string(), c.protocol().to_string()))
                    .unwrap_or_default();
                (channel, DataChannelEvent::Incoming { label, protocol })
            }
            AssociationEvent::ChannelOpen { channel } => (channel, DataChannelEvent::Open),
            AssociationEvent::Message { channel, payload } => {
                (channel, DataChannelEvent::Message(payload))
            }
            AssociationEvent::BufferedAmountLow { channel } => {
                (channel, DataChannelEvent::BufferedAmountLow)
            }
            AssociationEvent::ChannelClosing { channel } => (channel, DataChannelEvent::Closing),
            AssociationEvent::ChannelClosed { channel } => {
                let id = self.data.handle(channel);
                self.data.ids.retain(|(i, _)| *i != id);
                self.event(Event::DataChannel {
                    id,
                    event: DataChannelEvent::Closed,
                });
                return;
            }
            _ => return,
        };
        let id = self.data.handle(channel);
        self.event(Event::DataChannel { id, event });
    }
}
