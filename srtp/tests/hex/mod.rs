//! Byte vectors written as hex, for the integration tests.

/// Decodes hex digits, ignoring whitespace. Anything else, or an odd number
/// of digits, is a typo in a test vector and panics.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| (b as char).to_digit(16).expect("a hex digit") as u8)
        .collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits");
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => (high << 4) | low,
            _ => unreachable!("chunks_exact gives pairs"),
        })
        .collect()
}
