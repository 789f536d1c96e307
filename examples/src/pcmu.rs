//! G.711 µ-law (PCMU, RTP payload type 0 at 8 kHz) and the test tone the
//! example peer sends.
//!
//! <https://www.itu.int/rec/T-REC-G.711> (the µ-law tables, written here as
//! the usual bias-and-segment arithmetic); RTP payload format:
//! <https://www.rfc-editor.org/rfc/rfc3551#section-4.5.14>

/// Sampling rate of PCMU, which is also its RTP clock rate.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 20 ms packet.
pub const SAMPLES_PER_PACKET: usize = 160;
/// Static RTP payload type of PCMU.
pub const PAYLOAD_TYPE: u8 = 0;

const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

/// Encodes one 16-bit linear sample as a µ-law byte.
pub fn encode(sample: i16) -> u8 {
    let value = i32::from(sample);
    let sign = if value < 0 { 0x80 } else { 0 };
    let magnitude = value.abs().min(CLIP) + BIAS;
    // The segment is the position of the highest set bit above bit 7.
    let exponent = (31 - magnitude.leading_zeros()).saturating_sub(7).min(7);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0f;
    let byte = sign | ((exponent as i32) << 4) | mantissa;
    !(byte as u8)
}

/// Decodes one µ-law byte into a 16-bit linear sample.
pub fn decode(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = u32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    let value = if byte & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    };
    i16::try_from(value).unwrap_or(if value < 0 { i16::MIN } else { i16::MAX })
}

/// A sine tone sampled at [`SAMPLE_RATE`], produced packet by packet.
#[derive(Debug, Clone)]
pub struct Tone {
    frequency: f64,
    amplitude: f64,
    sample_index: u64,
}

impl Tone {
    /// A tone of `frequency` hertz whose peak is `amplitude` (0 to 1) of
    /// full scale.
    pub fn new(frequency: f64, amplitude: f64) -> Self {
        Self {
            frequency,
            amplitude: amplitude.clamp(0.0, 1.0),
            sample_index: 0,
        }
    }

    /// The next [`SAMPLES_PER_PACKET`] samples, µ-law encoded.
    pub fn next_packet(&mut self) -> [u8; SAMPLES_PER_PACKET] {
        let mut payload = [0u8; SAMPLES_PER_PACKET];
        for byte in &mut payload {
            let t = self.sample_index as f64 / f64::from(SAMPLE_RATE);
            let value = (core::f64::consts::TAU * self.frequency * t).sin()
                * self.amplitude
                * f64::from(i16::MAX);
            *byte = encode(value as i16);
            self.sample_index += 1;
        }
        payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // Zero is 0xff; the largest magnitudes are 0x80 (positive) and
        // 0x00 (negative), both decoding to 32124.
        assert_eq!(encode(0), 0xff);
        assert_eq!(decode(0xff), 0);
        assert_eq!(decode(0x7f), 0);
        assert_eq!(encode(i16::MAX), 0x80);
        assert_eq!(encode(i16::MIN), 0x00);
        assert_eq!(decode(0x80), 32_124);
        assert_eq!(decode(0x00), -32_124);
        assert_eq!(encode(1000), 0xce);
        assert_eq!(decode(0xce), 988);
        assert_eq!(encode(-1000), 0x4e);
    }

    #[test]
    fn every_code_survives_a_round_trip() {
        for byte in 0..=255u8 {
            let back = encode(decode(byte));
            // 0x7f (negative zero) comes back as 0xff (positive zero).
            let expected = if byte == 0x7f { 0xff } else { byte };
            assert_eq!(back, expected, "{byte:#04x}");
        }
    }

    #[test]
    fn quantisation_error_is_within_the_segment_step() {
        for sample in (-32_000i16..=32_000).step_by(7) {
            let back = i32::from(decode(encode(sample)));
            let error = (back - i32::from(sample)).abs();
            // Step of the top segment is 1024; the error is at most half
            // a step plus the bias rounding.
            let allowed = (i32::from(sample).abs() / 16).max(8);
            assert!(error <= allowed, "{sample} -> {back}");
        }
    }

    #[test]
    fn tone_has_its_amplitude_and_period() {
        let mut tone = Tone::new(1000.0, 0.5);
        let samples: Vec<i16> = (0..10)
            .flat_map(|_| tone.next_packet())
            .map(decode)
            .collect();
        assert_eq!(samples.len(), 1600);
        // 1 kHz at 8 kHz: a period of 8 samples, peak about 16384.
        let peak = samples.iter().map(|s| i32::from(*s).abs()).max().unwrap();
        assert!((15_000..=17_000).contains(&peak), "{peak}");
        // Upward zero crossings: one per period.
        let crossings = samples.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
        assert!((199..=201).contains(&crossings), "{crossings}");
    }
}
