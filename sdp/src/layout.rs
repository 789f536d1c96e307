//! [`Layout`]: the order in which a section's lines were parsed, kept when
//! it is not the order the writer would use (lenient mode accepts lines out
//! of RFC order, and blank lines), so that such a description is written
//! back byte for byte.

use alloc::vec::Vec;

/// What one line of a section was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Version,
    Origin,
    SessionName,
    Information,
    Uri,
    Email,
    Phone,
    Connection,
    Bandwidth,
    Time,
    Repeat,
    TimeZones,
    Key,
    Attribute,
    /// An empty line.
    Blank,
}

impl Slot {
    /// The slot of a line type (`v o s i u e p c b t r z k a`).
    pub(crate) fn of(kind: u8) -> Self {
        match kind {
            b'v' => Self::Version,
            b'o' => Self::Origin,
            b's' => Self::SessionName,
            b'i' => Self::Information,
            b'u' => Self::Uri,
            b'e' => Self::Email,
            b'p' => Self::Phone,
            b'c' => Self::Connection,
            b'b' => Self::Bandwidth,
            b't' => Self::Time,
            b'r' => Self::Repeat,
            b'z' => Self::TimeZones,
            b'k' => Self::Key,
            _ => Self::Attribute,
        }
    }
}

/// The lines of a section in the order they were parsed, blank lines
/// included; empty when that order is the writer's own (RFC 8866 section 9
/// order, no blank line), which is the case for every description strict
/// mode accepts and for nearly all others.
///
/// The writer follows a layout only while it still describes the section
/// (as many lines of each type as the section holds); once lines are added
/// or removed, the section is written in RFC order.
///
/// A layout is formatting, like a [`Line`](crate::Line)'s original text:
/// it takes no part in equality.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    slots: Vec<Slot>,
}

impl Layout {
    /// Whether the section is in the writer's order.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Starts a layout with the lines parsed so far.
    pub(crate) fn start(&mut self, so_far: Vec<Slot>) {
        self.slots = so_far;
    }

    /// Appends the next line.
    pub(crate) fn push(&mut self, slot: Slot) {
        self.slots.push(slot);
    }

    /// Forgets the layout: the section is written in RFC order.
    pub(crate) fn clear(&mut self) {
        self.slots = Vec::new();
    }

    /// The lines, in order.
    pub(crate) fn slots(&self) -> &[Slot] {
        &self.slots
    }
}

impl PartialEq for Layout {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Layout {}
