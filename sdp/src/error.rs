//! Parse errors: the line number, the line and what was expected.

use core::fmt;

/// How many bytes of the offending line a [`ParseError`] keeps (longer lines
/// are cut at a character boundary). The error stays `Copy` and allocation
/// free whatever a peer sends.
pub const ERROR_EXCERPT_LEN: usize = 80;

/// The start of the line an error is about, stored inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LineExcerpt {
    bytes: [u8; ERROR_EXCERPT_LEN],
    len: u8,
    truncated: bool,
}

impl LineExcerpt {
    /// Keeps the first [`ERROR_EXCERPT_LEN`] bytes of `line`.
    pub fn new(line: &str) -> Self {
        let mut end = line.len().min(ERROR_EXCERPT_LEN);
        while !line.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        let mut bytes = [0; ERROR_EXCERPT_LEN];
        if let (Some(dst), Some(src)) = (bytes.get_mut(..end), line.as_bytes().get(..end)) {
            dst.copy_from_slice(src);
        }
        Self {
            bytes,
            len: u8::try_from(end).unwrap_or(0),
            truncated: end < line.len(),
        }
    }

    /// The kept text.
    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Whether the line was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for LineExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for LineExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// What kind of rule a line broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The line's text does not follow its grammar.
    Syntax,
    /// The line is not allowed where it is (RFC 8866 section 9 order).
    Order,
    /// A required line is missing.
    Missing,
    /// An attribute is used at a level (session or media) its definition
    /// forbids (strict mode only).
    Level,
    /// The description is larger than a cap of this crate.
    Limit,
}

/// Why a session description was rejected.
///
/// `line_number` counts from 1; 0 means the whole description (for example
/// when it is larger than [`MAX_SDP_LEN`](crate::MAX_SDP_LEN)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line {line_number}: `{line}`: expected {expected}")]
#[non_exhaustive]
pub struct ParseError {
    /// The line number, from 1.
    pub line_number: usize,
    /// The offending line (without its line ending).
    pub line: LineExcerpt,
    /// What the parser expected instead.
    pub expected: &'static str,
    /// Which kind of rule was broken.
    pub kind: ErrorKind,
}

impl ParseError {
    pub(crate) fn new(
        line_number: usize,
        line: &str,
        kind: ErrorKind,
        expected: &'static str,
    ) -> Self {
        Self {
            line_number,
            line: LineExcerpt::new(line),
            expected,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn excerpt_cuts_long_lines_at_a_char_boundary() {
        let long = "a=x:".to_string() + &"é".repeat(60);
        let excerpt = LineExcerpt::new(&long);
        assert!(excerpt.is_truncated());
        assert!(excerpt.as_str().len() <= ERROR_EXCERPT_LEN);
        assert!(long.starts_with(excerpt.as_str()));
        assert!(excerpt.to_string().ends_with("..."));
    }

    #[test]
    fn error_names_line_and_expectation() {
        let error = ParseError::new(3, "s", ErrorKind::Syntax, "`s=<session name>`");
        assert_eq!(
            error.to_string(),
            "line 3: `s`: expected `s=<session name>`"
        );
    }
}
