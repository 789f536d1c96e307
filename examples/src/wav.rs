//! 16-bit PCM mono WAV files: what `peer --record` writes, and a reader for
//! checking them.
//!
//! <http://soundfile.sapp.org/doc/WaveFormat/>

/// Length of the RIFF, `fmt ` and `data` headers.
pub const HEADER_LEN: usize = 44;
/// Most samples a file written here holds (an hour at 8 kHz); longer input
/// is cut.
pub const MAX_SAMPLES: usize = 8000 * 3600;

/// Why bytes are not a WAV file this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WavError {
    /// Shorter than its headers say.
    #[error("truncated: {0}")]
    Truncated(&'static str),
    /// Not 16-bit PCM mono in RIFF/WAVE.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

/// A decoded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Samples per second.
    pub sample_rate: u32,
    /// The samples.
    pub samples: Vec<i16>,
}

/// Writes `samples` as a 16-bit PCM mono WAV file.
pub fn encode(samples: &[i16], sample_rate: u32) -> Vec<u8> {
    let samples = samples.get(..MAX_SAMPLES).unwrap_or(samples);
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(HEADER_LEN + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

fn take<'a>(bytes: &mut &'a [u8], len: usize, what: &'static str) -> Result<&'a [u8], WavError> {
    let (head, tail) = bytes
        .split_at_checked(len)
        .ok_or(WavError::Truncated(what))?;
    *bytes = tail;
    Ok(head)
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    bytes
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_le_bytes)
}

fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    bytes
        .get(offset..offset + 2)
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map_or(0, u16::from_le_bytes)
}

/// Reads a 16-bit PCM mono WAV file (chunks other than `fmt ` and `data`
/// are skipped).
pub fn parse(bytes: &[u8]) -> Result<Wav, WavError> {
    let mut rest = bytes;
    let riff = take(&mut rest, 12, "RIFF header")?;
    if riff.get(..4) != Some(b"RIFF") || riff.get(8..12) != Some(b"WAVE") {
        return Err(WavError::Unsupported("not RIFF/WAVE"));
    }
    let mut sample_rate = None;
    loop {
        let header = take(&mut rest, 8, "chunk header")?;
        let len = usize::try_from(u32_at(header, 4)).unwrap_or(usize::MAX);
        let body = take(&mut rest, len, "chunk body")?;
        match header.get(..4) {
            Some(b"fmt ") => {
                if u16_at(body, 0) != 1 || u16_at(body, 2) != 1 || u16_at(body, 14) != 16 {
                    return Err(WavError::Unsupported("not 16-bit PCM mono"));
                }
                sample_rate = Some(u32_at(body, 4));
            }
            Some(b"data") => {
                let sample_rate = sample_rate.ok_or(WavError::Unsupported("data before fmt"))?;
                let samples = body
                    .chunks_exact(2)
                    .map(|pair| {
                        i16::from_le_bytes([
                            pair.first().copied().unwrap_or(0),
                            pair.get(1).copied().unwrap_or(0),
                        ])
                    })
                    .collect();
                return Ok(Wav {
                    sample_rate,
                    samples,
                });
            }
            _ => {}
        }
        if len % 2 == 1 {
            let _ = take(&mut rest, 1, "chunk padding");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_round_trip() {
        let bytes = encode(&[0, 1, -1, i16::MAX], 8000);
        let expected_header = "52494646 2c000000 57415645 666d7420 10000000 0100 0100 401f0000 803e0000 0200 1000 64617461 08000000";
        let hex: String = bytes
            .get(..HEADER_LEN)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected_header.replace(' ', ""));
        assert_eq!(
            bytes.get(HEADER_LEN..).unwrap(),
            [0, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f]
        );
        let wav = parse(&bytes).unwrap();
        assert_eq!(wav.sample_rate, 8000);
        assert_eq!(wav.samples, [0, 1, -1, i16::MAX]);
        assert_eq!(encode(&wav.samples, wav.sample_rate), bytes);
    }

    #[test]
    fn bad_files_are_errors() {
        let bytes = encode(&[5; 10], 8000);
        for len in 0..bytes.len() - 20 {
            assert!(parse(bytes.get(..len).unwrap()).is_err(), "{len}");
        }
        let mut stereo = bytes.clone();
        stereo[22] = 2;
        assert_eq!(
            parse(&stereo),
            Err(WavError::Unsupported("not 16-bit PCM mono"))
        );
        let mut not_wave = bytes;
        not_wave[8] = b'X';
        assert_eq!(
            parse(&not_wave),
            Err(WavError::Unsupported("not RIFF/WAVE"))
        );
    }
}
