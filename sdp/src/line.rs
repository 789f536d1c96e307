//! [`Line`]: a typed value together with the text it was parsed from.

use alloc::borrow::Cow;
use core::fmt;
use core::ops::{Deref, DerefMut};

/// One line of a session description: its typed value and, when it was
/// parsed, the original text after `x=`.
///
/// Writing a line that still has its original text writes that text byte for
/// byte, so unknown spacing and parameter order survive a round trip. Any
/// change to the value through [`Line::set`] or [`Line::get_mut`] drops the
/// original text, and the line is then written from the value.
///
/// Two lines are equal when their values are equal, whatever their text.
#[derive(Clone)]
pub struct Line<'a, T> {
    value: T,
    source: Option<Cow<'a, str>>,
}

impl<'a, T> Line<'a, T> {
    /// A line built from a value; it is written from the value.
    pub fn new(value: T) -> Self {
        Self {
            value,
            source: None,
        }
    }

    pub(crate) fn parsed(value: T, source: &'a str) -> Self {
        Self {
            value,
            source: Some(Cow::Borrowed(source)),
        }
    }

    pub(crate) fn mark_parsed(&mut self, source: &'a str) {
        self.source = Some(Cow::Borrowed(source));
    }

    /// The typed value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The typed value, consuming the line.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The original text after `x=`, while the value is unchanged.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// Replaces the value; the line keeps its original text only if the new
    /// value equals the old one.
    pub fn set(&mut self, value: T)
    where
        T: PartialEq,
    {
        if value != self.value {
            self.value = value;
            self.source = None;
        }
    }

    /// Mutable access to the value. When the guard is dropped, the original
    /// text is dropped if the value changed.
    pub fn get_mut(&mut self) -> LineMut<'_, 'a, T>
    where
        T: Clone + PartialEq,
    {
        let original = self.source.as_ref().map(|_| self.value.clone());
        LineMut {
            line: self,
            original,
        }
    }

    /// Forgets the original text, so that the line is written from its value.
    pub fn regenerate(&mut self) {
        self.source = None;
    }

    pub(crate) fn map_owned<U>(self, f: impl FnOnce(T) -> U) -> Line<'static, U> {
        Line {
            value: f(self.value),
            source: self.source.map(|s| Cow::Owned(s.into_owned())),
        }
    }
}

impl<T> Deref for Line<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Line<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Line<'_, T> {}

impl<T: fmt::Debug> fmt::Debug for Line<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.value, f)
    }
}

/// Writes the text after `x=`: the original text if the value is unchanged,
/// otherwise the value.
impl<T: fmt::Display> fmt::Display for Line<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => f.write_str(source),
            None => fmt::Display::fmt(&self.value, f),
        }
    }
}

/// A line serializes as its value.
#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for Line<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T> From<T> for Line<'_, T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

/// Mutable access to a [`Line`]'s value, from [`Line::get_mut`].
pub struct LineMut<'l, 'a, T: Clone + PartialEq> {
    line: &'l mut Line<'a, T>,
    original: Option<T>,
}

impl<T: Clone + PartialEq> Deref for LineMut<'_, '_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.line.value
    }
}

impl<T: Clone + PartialEq> DerefMut for LineMut<'_, '_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.line.value
    }
}

impl<T: Clone + PartialEq> Drop for LineMut<'_, '_, T> {
    fn drop(&mut self) {
        if let Some(original) = self.original.take() {
            if original != self.line.value {
                self.line.source = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn unchanged_value_keeps_text() {
        let mut line = Line::parsed(5u32, "05");
        assert_eq!(line.to_string(), "05");
        *line.get_mut() = 5;
        assert_eq!(line.source(), Some("05"));
        line.set(5);
        assert_eq!(line.to_string(), "05");
    }

    #[test]
    fn changed_value_is_regenerated() {
        let mut line = Line::parsed(5u32, "05");
        *line.get_mut() += 1;
        assert_eq!(line.source(), None);
        assert_eq!(line.to_string(), "6");
        let mut other = Line::parsed(5u32, "05");
        other.set(7);
        assert_eq!(other.to_string(), "7");
        assert_eq!(Line::parsed(7u32, "007"), other);
    }
}
