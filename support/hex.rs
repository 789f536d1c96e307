//! Bytes written as hex, for the integration tests: test vectors and the
//! line protocols of outside harnesses. Included by each test that needs
//! it with `#[path = "../../support/hex.rs"] mod hex;`.

/// Decodes hex digits, ignoring whitespace. Anything else, or an odd number
/// of digits, is a typo in a test vector (or a harness's bug) and panics.
#[allow(dead_code, reason = "not every test that includes the module decodes")]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| (b as char).to_digit(16).expect("a hex digit") as u8)
        .collect();
    let pairs = digits.chunks_exact(2);
    assert!(pairs.remainder().is_empty(), "odd number of hex digits");
    pairs
        .map(|pair| match pair {
            [high, low] => (high << 4) | low,
            _ => unreachable!("chunks_exact gives pairs"),
        })
        .collect()
}

/// Lower-case hex digits of `bytes`, two per byte, nothing between.
#[allow(dead_code, reason = "not every test that includes the module encodes")]
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        write!(out, "{byte:02x}").expect("writing to a String");
    }
    out
}
