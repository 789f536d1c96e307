//! `a=imageattr` (RFC 6236): the image sizes a side sends and receives.

use alloc::borrow::Cow;
use core::fmt;

use crate::token::{number, own};

/// `a=imageattr:<payload type> send <attr-list> recv <attr-list>`, either
/// direction or both, in either order.
/// <https://www.rfc-editor.org/rfc/rfc6236#section-3.1.1>
///
/// The grammar of each attribute list (`*`, or sets such as
/// `[x=[480:16:800],y=[320:16:640],par=[1.2-1.3],q=0.6]`) is checked; the
/// lists are kept as written.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imageattr<'a> {
    /// The payload type, `None` for `*` (every payload type).
    pub payload_type: Option<u8>,
    /// The `send` attribute list, as written.
    pub send: Option<Cow<'a, str>>,
    /// The `recv` attribute list, as written.
    pub recv: Option<Cow<'a, str>>,
}

const EXPECTED: &str = "`<payload type> send|recv <sets or *> [recv|send <sets or *>]`";

impl<'a> Imageattr<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let bytes = text.as_bytes();
        let mut at = 0;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let payload_type = match text.get(..at) {
            Some("") if bytes.first() == Some(&b'*') => {
                at = 1;
                None
            }
            Some(digits) => Some(number(digits).ok_or("a payload type or `*`")?),
            None => return Err(EXPECTED),
        };
        let (mut send, mut recv) = (None, None);
        while at < bytes.len() {
            at = skip_whitespace(bytes, at).ok_or(EXPECTED)?;
            let rest = text.get(at..).unwrap_or_default();
            let slot = if rest.starts_with("send") {
                &mut send
            } else if rest.starts_with("recv") {
                &mut recv
            } else {
                return Err(EXPECTED);
            };
            if slot.is_some() {
                return Err("each of `send` and `recv` at most once");
            }
            at = skip_whitespace(bytes, at + 4).ok_or(EXPECTED)?;
            let end = attribute_list(bytes, at)?;
            *slot = Some(Cow::Borrowed(text.get(at..end).ok_or(EXPECTED)?));
            at = end;
        }
        if send.is_none() && recv.is_none() {
            return Err(EXPECTED);
        }
        Ok(Self {
            payload_type,
            send,
            recv,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Imageattr<'static> {
        Imageattr {
            payload_type: self.payload_type,
            send: self.send.map(own),
            recv: self.recv.map(own),
        }
    }
}

impl fmt::Display for Imageattr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.payload_type {
            Some(pt) => write!(f, "{pt}")?,
            None => f.write_str("*")?,
        }
        if let Some(send) = &self.send {
            write!(f, " send {send}")?;
        }
        if let Some(recv) = &self.recv {
            write!(f, " recv {recv}")?;
        }
        Ok(())
    }
}

/// The position after one or more spaces or tabs at `at`, if there are any.
fn skip_whitespace(bytes: &[u8], mut at: usize) -> Option<usize> {
    let start = at;
    while matches!(bytes.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    (at > start).then_some(at)
}

/// The end of the attribute list starting at `at`: `*`, or sets separated
/// by white space.
fn attribute_list(bytes: &[u8], at: usize) -> Result<usize, &'static str> {
    if bytes.get(at) == Some(&b'*') {
        return Ok(at + 1);
    }
    let mut end = set(bytes, at)?;
    loop {
        match skip_whitespace(bytes, end) {
            Some(next) if bytes.get(next) == Some(&b'[') => end = set(bytes, next)?,
            _ => return Ok(end),
        }
    }
}

const SET: &str = "a set `[x=<range>,y=<range>[,sar=...][,par=...][,q=...]]`";

/// The end of the set `[x=...,y=...,key=value...]` starting at `at`.
fn set(bytes: &[u8], at: usize) -> Result<usize, &'static str> {
    let mut at = expect(bytes, at, b"[x=").ok_or(SET)?;
    at = xy_range(bytes, at).ok_or(SET)?;
    at = expect(bytes, at, b",y=").ok_or(SET)?;
    at = xy_range(bytes, at).ok_or(SET)?;
    let mut seen = [false; 3];
    loop {
        match bytes.get(at) {
            Some(b']') => return Ok(at + 1),
            Some(b',') => at += 1,
            _ => return Err(SET),
        }
        let key_start = at;
        while bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            at += 1;
        }
        let key = bytes.get(key_start..at).unwrap_or_default();
        at = expect(bytes, at, b"=").ok_or(SET)?;
        let (index, end) = match key {
            b"sar" => (0, sar_range(bytes, at)),
            b"par" => (1, par_range(bytes, at)),
            b"q" => (2, q_value(bytes, at)),
            b"" => return Err(SET),
            // RFC 6236 lets later documents add keys: any value without
            // `,`, `]` or white space, or a bracketed list.
            _ => (3, other_value(bytes, at)),
        };
        if let Some(seen) = seen.get_mut(index) {
            if *seen {
                return Err("each of `sar`, `par` and `q` at most once in a set");
            }
            *seen = true;
        }
        at = end.ok_or(SET)?;
    }
}

fn expect(bytes: &[u8], at: usize, literal: &[u8]) -> Option<usize> {
    bytes
        .get(at..)?
        .starts_with(literal)
        .then_some(at + literal.len())
}

/// `xyvalue`: 1 to 6 digits, the first not 0.
fn xy_value(bytes: &[u8], at: usize) -> Option<usize> {
    if !matches!(bytes.get(at), Some(b'1'..=b'9')) {
        return None;
    }
    let mut end = at + 1;
    while end - at < 6 && bytes.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    Some(end)
}

/// `xyrange`: `[low:high]`, `[low:step:high]`, `[v,v,...]` or a value.
fn xy_range(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'[') {
        return xy_value(bytes, at);
    }
    let mut end = xy_value(bytes, at + 1)?;
    match bytes.get(end) {
        Some(b':') => {
            end = xy_value(bytes, end + 1)?;
            if bytes.get(end) == Some(&b':') {
                end = xy_value(bytes, end + 1)?;
            }
        }
        Some(b',') => {
            while bytes.get(end) == Some(&b',') {
                end = xy_value(bytes, end + 1)?;
            }
        }
        _ => return None,
    }
    expect(bytes, end, b"]")
}

/// A decimal such as `1.1` or `0.9091`: digits, optionally `.` and digits.
fn decimal(bytes: &[u8], at: usize) -> Option<usize> {
    let digits = |mut end: usize| {
        let start = end;
        while end - start < 4 && bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        (end > start).then_some(end)
    };
    let end = digits(at)?;
    match bytes.get(end) {
        Some(b'.') => digits(end + 1),
        _ => Some(end),
    }
}

/// `srange`: `[v,v,...]`, `[low-high]` or a value.
fn sar_range(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'[') {
        return decimal(bytes, at);
    }
    let mut end = decimal(bytes, at + 1)?;
    if bytes.get(end) == Some(&b'-') {
        end = decimal(bytes, end + 1)?;
    } else {
        while bytes.get(end) == Some(&b',') {
            end = decimal(bytes, end + 1)?;
        }
    }
    expect(bytes, end, b"]")
}

/// `prange`: `[low-high]`.
fn par_range(bytes: &[u8], at: usize) -> Option<usize> {
    let end = decimal(bytes, expect(bytes, at, b"[")?)?;
    let end = decimal(bytes, expect(bytes, end, b"-")?)?;
    expect(bytes, end, b"]")
}

/// `qvalue`: `0.x`, `0.xx` or `1.0`, `1.00`.
fn q_value(bytes: &[u8], at: usize) -> Option<usize> {
    let end = decimal(bytes, at)?;
    let text = bytes.get(at..end)?;
    let ok = match text {
        [b'0', b'.', rest @ ..] => (1..=2).contains(&rest.len()),
        [b'1', b'.', rest @ ..] => (1..=2).contains(&rest.len()) && rest.iter().all(|b| *b == b'0'),
        _ => false,
    };
    ok.then_some(end)
}

/// The value of a key RFC 6236 does not define.
fn other_value(bytes: &[u8], at: usize) -> Option<usize> {
    let mut end = at;
    if bytes.get(end) == Some(&b'[') {
        while let Some(&b) = bytes.get(end) {
            end += 1;
            if b == b']' {
                return Some(end);
            }
        }
        return None;
    }
    while bytes
        .get(end)
        .is_some_and(|b| !matches!(b, b',' | b']' | b'[' | b' ' | b'\t'))
    {
        end += 1;
    }
    (end > at).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn the_rfc_examples_parse() {
        for (text, send, recv) in [
            (
                "97 send [x=800,y=640,sar=1.1,q=0.6] [x=480,y=320] recv [x=330,y=250]",
                Some("[x=800,y=640,sar=1.1,q=0.6] [x=480,y=320]"),
                Some("[x=330,y=250]"),
            ),
            (
                "97 recv [x=800,y=640,sar=1.1] send [x=330,y=250]",
                Some("[x=330,y=250]"),
                Some("[x=800,y=640,sar=1.1]"),
            ),
            (
                "97 send [x=[480:16:800],y=[320:16:640],par=[1.2-1.3],q=0.6] \
                 [x=[176:8:208],y=[144:8:176],par=[1.2-1.3]] recv *",
                Some(
                    "[x=[480:16:800],y=[320:16:640],par=[1.2-1.3],q=0.6] \
                     [x=[176:8:208],y=[144:8:176],par=[1.2-1.3]]",
                ),
                Some("*"),
            ),
            ("120 send * recv *", Some("*"), Some("*")),
            (
                "* recv [x=[320,640,1280],y=[240:480],sar=[0.9091,1.0,1.0940]]",
                None,
                Some("[x=[320,640,1280],y=[240:480],sar=[0.9091,1.0,1.0940]]"),
            ),
            (
                "99 send [x=320,y=240,x-foo=bar]",
                Some("[x=320,y=240,x-foo=bar]"),
                None,
            ),
        ] {
            let attr = Imageattr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(attr.send.as_deref(), send, "{text}");
            assert_eq!(attr.recv.as_deref(), recv, "{text}");
            assert_eq!(attr.clone().into_owned(), attr);
            // Written from the value, send comes first.
            assert_eq!(Imageattr::parse(&attr.to_string()).unwrap(), attr);
        }
        assert_eq!(
            Imageattr::parse("120 send * recv *").unwrap().to_string(),
            "120 send * recv *"
        );
    }

    #[test]
    fn malformed_lists_are_refused() {
        for bad in [
            "flob",
            "",
            "97",
            "97 send",
            "97 send *x",
            "97 send * send *",
            "97 sendrecv *",
            "97 send [x=0,y=1]",
            "97 send [y=1,x=1]",
            "97 send [x=1,y=1,q=2.0]",
            "97 send [x=1,y=1,q=0.5,q=0.6]",
            "97 send [x=[1:2:3:4],y=1]",
            "97 send [x=1,y=1",
            "97 send [x=1234567,y=1]",
            "97 send [x=1,y=1,par=1.2]",
            "x send *",
        ] {
            assert!(Imageattr::parse(bad).is_err(), "{bad}");
        }
    }
}
