//! Small text scanners shared by the line and attribute grammars.

use alloc::borrow::Cow;
use alloc::vec::Vec;

/// A decimal number made only of ASCII digits (no sign, no spaces), in one
/// pass over the digits; leading zeros are allowed, a value too large for
/// `T` is not.
pub(crate) fn number<T: TryFrom<u64>>(text: &str) -> Option<T> {
    if text.is_empty() {
        return None;
    }
    let mut value = 0u64;
    // Nineteen digits always fit in a `u64`: only longer numbers need the
    // overflow checks.
    let checked = text.len() > 19;
    for b in text.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = if checked {
            value.checked_mul(10)?.checked_add(u64::from(digit))?
        } else {
            value * 10 + u64::from(digit)
        };
    }
    T::try_from(value).ok()
}

/// `0x01` in every byte of a word.
pub(crate) const ONES: u64 = u64::from_ne_bytes([1; 8]);
/// `0x80` in every byte of a word.
pub(crate) const HIGH_BITS: u64 = ONES * 0x80;

/// The high bit of each zero byte of `word`, exact for the lowest one (the
/// borrow of the subtraction only runs towards higher bytes).
pub(crate) fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGH_BITS
}

/// The offset of the first `byte` in `bytes`: eight bytes at a time, then
/// one at a time for the last few. On the few dozen bytes of an SDP value
/// this beats both a byte loop and a `memchr` call, whose setup dominates.
pub(crate) fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    let pattern = ONES * u64::from(byte);
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        let found = zero_bytes(u64::from_le_bytes(*word) ^ pattern);
        if found != 0 {
            return Some(bytes.len() - rest.len() + (found.trailing_zeros() / 8) as usize);
        }
        rest = tail;
    }
    let offset = bytes.len() - rest.len();
    rest.iter().position(|b| *b == byte).map(|at| offset + at)
}

/// Splits `text` at the first `byte` (an ASCII character), like
/// `str::split_once` with a `char`, with [`find_byte`].
pub(crate) fn split_once(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = find_byte(text.as_bytes(), byte)?;
    let (head, tail) = text.split_at_checked(at)?;
    Some((head, tail.get(1..)?))
}

/// `text` without its leading spaces.
pub(crate) fn skip_spaces(text: &str) -> &str {
    let spaces = text.bytes().take_while(|b| *b == b' ').count();
    text.get(spaces..).unwrap_or_default()
}

/// The pieces of `text` between each `byte` (an ASCII character): what
/// `str::split` with a `char` yields, with the loop of [`split_once`].
pub(crate) fn fields(text: &str, byte: u8) -> Fields<'_> {
    Fields {
        rest: Some(text),
        byte,
    }
}

/// The iterator of [`fields`].
#[derive(Clone)]
pub(crate) struct Fields<'a> {
    rest: Option<&'a str>,
    byte: u8,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once(rest, self.byte) {
            Some((head, tail)) => {
                self.rest = Some(tail);
                Some(head)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// RFC 8866 `token-char`, as a table: one load per byte instead of seven
/// range checks.
pub(crate) fn is_token_char(b: u8) -> bool {
    TOKEN_CHARS.get(usize::from(b)).copied().unwrap_or(false)
}

/// Which bytes are RFC 8866 `token-char`s.
// Indexing in a constant cannot panic at run time: an index out of bounds
// would fail the build.
#[allow(clippy::indexing_slicing)]
const TOKEN_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < table.len() {
        table[b] = matches!(b, 0x21 | 0x23..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E);
        b += 1;
    }
    table
};

/// RFC 8866 `token`: one or more `token-char`.
///
/// The checks here look at every byte without stopping at the first bad
/// one, which lets the compiler check 16 bytes at a time: values are short
/// and almost always valid.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().fold(true, |ok, b| ok & is_token_char(b))
}

/// A non-empty run of visible characters (RFC 8866 `non-ws-string`).
pub(crate) fn is_word(text: &str) -> bool {
    !text.is_empty() && text.bytes().fold(true, |ok, b| ok & is_word_char(b))
}

/// `non-ws-string`s separated by single spaces (no space at either end).
pub(crate) fn is_words(text: &str) -> bool {
    let mut after_space = true;
    for b in text.bytes() {
        if b == b' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if is_word_char(b) {
            after_space = false;
        } else {
            return false;
        }
    }
    !after_space
}

/// A byte of a `non-ws-string`: visible ASCII or part of a UTF-8 sequence.
pub(crate) fn is_word_char(b: u8) -> bool {
    b > 0x20 && b != 0x7F
}

/// Splits `text` at the first space. Both halves must be non-empty.
pub(crate) fn split_space(text: &str) -> Option<(&str, &str)> {
    let (head, tail) = split_once(text, b' ')?;
    (!head.is_empty() && !tail.is_empty()).then_some((head, tail))
}

/// The space-separated words of `text`, each a `non-ws-string`.
pub(crate) fn words<'a>(
    text: &'a str,
    expected: &'static str,
) -> Result<Vec<Cow<'a, str>>, &'static str> {
    fields(text, b' ')
        .map(|w| {
            if is_word(w) {
                Ok(Cow::Borrowed(w))
            } else {
                Err(expected)
            }
        })
        .collect()
}

/// Writes a number without the formatting machinery (the writer's hot
/// path).
pub(crate) fn write_number(f: &mut core::fmt::Formatter<'_>, value: u64) -> core::fmt::Result {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = value;
    loop {
        start = start.saturating_sub(1);
        if let Some(digit) = digits.get_mut(start) {
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    f.write_str(
        digits
            .get(start..)
            .and_then(|d| core::str::from_utf8(d).ok())
            .unwrap_or_default(),
    )
}

/// `Cow<'_, str>` into `Cow<'static, str>`.
pub(crate) fn own(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

/// A list of `Cow<'_, str>` into owned ones.
pub(crate) fn own_all(list: Vec<Cow<'_, str>>) -> Vec<Cow<'static, str>> {
    list.into_iter().map(own).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain_digits() {
        assert_eq!(number::<u8>("96"), Some(96));
        assert_eq!(number::<u8>("+96"), None);
        assert_eq!(number::<u8>("256"), None);
        assert_eq!(number::<u8>(""), None);
        assert_eq!(number::<u8>("9 "), None);
        assert_eq!(number::<u8>("0000000000000000000000096"), Some(96));
        assert_eq!(number::<u64>("18446744073709551615"), Some(u64::MAX));
        assert_eq!(number::<u64>("18446744073709551616"), None);
        assert_eq!(number::<u64>("99999999999999999999"), None);
        assert_eq!(number::<u32>("4294967296"), None);
    }

    #[test]
    fn find_byte_finds_the_first() {
        let text = b"0123456789abcdef0123456789";
        for (at, byte) in text.iter().enumerate().take(16) {
            assert_eq!(find_byte(text, *byte), Some(at));
        }
        assert_eq!(find_byte(text, b'x'), None);
        assert_eq!(find_byte(b"", b'x'), None);
        assert_eq!(
            find_byte(b"\x80\x01\x00\x00\x01\x01\x01\x01\x01\x00", 0),
            Some(2)
        );
        assert_eq!(
            find_byte(b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00", 0),
            Some(9)
        );
        assert_eq!(find_byte("é;".as_bytes(), b';'), Some(2));
    }

    #[test]
    fn splitting_matches_str_split() {
        for text in [
            "", "a", " ", "a b", " a", "a ", "a  b", "a b c", "é b", "a b é ",
        ] {
            assert_eq!(
                fields(text, b' ').collect::<Vec<_>>(),
                text.split(' ').collect::<Vec<_>>(),
                "{text:?}"
            );
            assert_eq!(split_once(text, b' '), text.split_once(' '), "{text:?}");
        }
    }

    #[test]
    fn numbers_are_written_like_display() {
        struct Number(u64);
        impl core::fmt::Display for Number {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write_number(f, self.0)
            }
        }
        for value in [0, 7, 10, 90_000, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(
                alloc::format!("{}", Number(value)),
                alloc::format!("{value}")
            );
        }
    }

    #[test]
    fn token_table_follows_the_grammar() {
        let expected: Vec<u8> = (0x21..0x7F)
            .filter(|b| !b"\"(),/:;<=>?@[\\]".contains(b))
            .collect();
        let tokens: Vec<u8> = (0..=255).filter(|b| is_token_char(*b)).collect();
        assert_eq!(tokens, expected);
    }

    #[test]
    fn words_are_split_by_single_spaces() {
        for text in [
            "a", "a b", "a b c", "", " ", " a", "a ", "a  b", "a\tb", "é ü",
        ] {
            assert_eq!(is_words(text), text.split(' ').all(is_word), "{text:?}");
        }
    }

    #[test]
    fn words_reject_double_spaces() {
        assert_eq!(words("a b", "x").unwrap().len(), 2);
        assert_eq!(words("a  b", "x"), Err("x"));
        assert!(is_token("webrtc-datachannel"));
        assert!(!is_token("a:b"));
        assert_eq!(split_space("a b c"), Some(("a", "b c")));
        assert_eq!(split_space("a "), None);
    }
}
