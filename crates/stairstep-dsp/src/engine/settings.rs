//! The engine's settings: plain values in the units the user sees, their ranges, and the
//! sanitizing that every host, file and command-line value goes through.

use crate::curve::Curve;
use crate::dither::DitherMode;
use crate::follower::{MAX_ATTACK_MS, MAX_RELEASE_MS, MIN_MS};
use crate::lfo::{Division, LfoShape, MAX_HZ, MIN_HZ, Timing};
use crate::notes::{MAX_GLIDE_MS, MAX_HARMONIC};
use crate::quantizer::{MAX_BITS, MIN_BITS, QuantizerMode};
use crate::setting::{Draw, Setting};
use crate::shaping::Shaping;

/// Input samples are clamped to ±this (about +120 dBFS) after non-finite values are replaced by
/// silence, so that no finite input can overflow to infinity through the Output gain.
pub const MAX_INPUT: f32 = 1.0e6;

choices! {
    /// What the plugin outputs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Listen {
        /// The crushed signal, mixed with the dry signal.
        Output,
        /// Only what the crushing adds: (mixed output) - dry. At Mix 100 % exactly y - x.
        Error,
    }
}

/// Declares the settings, one row each: the field with its doc (unit and range), its default,
/// and for a continuous value its range (`in (min, max)`, or `in log (min, max)` for one best
/// spanned in octaves) and what follows the clamp (`then f`). The struct, its `Default`,
/// [`Settings::sanitized`] and [`Settings::drawn`] come from these rows.
macro_rules! settings {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $default:expr
        $(, in $($log:ident)? ($min:expr, $max:expr) $(, then $then:expr)?)?;)*) => {
        /// Plain parameter values, in the units the user sees.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct Settings {
            $($(#[$doc])* pub $field: $ty,)*
        }

        impl Default for Settings {
            fn default() -> Self {
                Self { $($field: $default,)* }
            }
        }

        impl Settings {
            /// How many settings there are.
            pub const COUNT: usize = [$(stringify!($field)),*].len();

            /// The same settings with every continuous value inside its range (NaN falls back to
            /// the default) and near-whole bit depths made whole. Whatever a host, a file or a
            /// command line sends, the engine runs on this.
            pub fn sanitized(self) -> Self {
                Self { $($field: settings!(@sanitize self.$field, $default $(, $min, $max $(, $then)?)?),)* }
            }

            /// Settings drawn one field at a time, in declaration order: `draw` gets each
            /// field's name and what to draw ([`Draw`]) and answers a number (the value), an
            /// index (a choice; wrapped into range) or 0 / not 0 (a switch). The property tests
            /// and the fuzzer make their settings this way.
            pub fn drawn(mut draw: impl FnMut(&'static str, Draw) -> f64) -> Self {
                Self {
                    $($field: {
                        let range = settings!(@range $($($log)? $min, $max)?);
                        <$ty as Setting>::from_answer(draw(stringify!($field), <$ty as Setting>::draw(range)))
                    },)*
                }
            }
        }
    };
    (@sanitize $value:expr, $default:expr) => {
        $value
    };
    (@sanitize $value:expr, $default:expr, $min:expr, $max:expr) => {
        clamp_or($value, $min, $max, $default)
    };
    (@sanitize $value:expr, $default:expr, $min:expr, $max:expr, $then:expr) => {
        ($then)(clamp_or($value, $min, $max, $default))
    };
    (@range) => {
        None
    };
    (@range log $min:expr, $max:expr) => {
        Some(($min, $max, true))
    };
    (@range $min:expr, $max:expr) => {
        Some(($min, $max, false))
    };
}

settings! {
    /// Bit depth, 1 to 24, continuous.
    bits: f32 = 8.0, in (MIN_BITS, MAX_BITS), then snap_bits;
    /// Dither added before the quantizer.
    dither: DitherMode = DitherMode::Off;
    /// Quantizer characteristic.
    quantizer: QuantizerMode = QuantizerMode::MidTread;
    /// Wet share of the output, 0 to 1 (the plugin shows 0 to 100 %).
    mix: f32 = 1.0, in (0.0, 1.0);
    /// Output gain in dB, -24 to +24, applied last.
    output_db: f32 = 0.0, in (MIN_OUTPUT_DB, MAX_OUTPUT_DB);
    /// Whether to hear the output or the error.
    listen: Listen = Listen::Output;
    /// Bypass: the output crossfades to the (sanitized) input.
    bypass: bool = false;
    /// Sample rate of the hold in Hz, 50 to 96000; at or above the host rate: no reduction.
    rate: f32 = MAX_RATE, in log (MIN_RATE, MAX_RATE);
    /// Hold-length randomisation, 0 to 1 (the plugin shows 0 to 100 %).
    jitter: f32 = 0.0, in (0.0, 1.0);
    /// Low-pass before the hold, tracking the new Nyquist.
    prefilter: bool = false;
    /// Low-pass after the quantizer, removing the hold's images.
    postfilter: bool = false;
    /// Noise-shaping filter around the quantizer.
    shaping: Shaping = Shaping::Off;
    /// Companding curve around the quantizer.
    curve: Curve = Curve::Linear;
    /// Gain into the chain in dB, 0 to 36.
    drive_db: f32 = 0.0, in (0.0, MAX_DRIVE_DB);
    /// Anti-alias the (undithered, unshaped) quantizer: 4x oversampled ADAA, [`LATENCY`](crate::oversample::LATENCY)
    /// samples of latency.
    antialias: bool = false;
    /// The LFO's waveform.
    lfo_shape: LfoShape = LfoShape::Sine;
    /// Whether the LFO follows the host's tempo (`lfo_division`, `lfo_timing`) or runs at
    /// `lfo_hz`.
    lfo_sync: bool = true;
    /// Free LFO rate, Hz, [`MIN_HZ`] to [`MAX_HZ`].
    lfo_hz: f32 = 1.0, in log (MIN_HZ, MAX_HZ);
    /// Synced LFO period as a note value.
    lfo_division: Division = Division::N4;
    /// Straight, dotted or triplet.
    lfo_timing: Timing = Timing::Straight;
    /// LFO depth on Bit Depth, ±[`MAX_MOD_BITS`] bits at the LFO's peaks.
    lfo_bits: f32 = 0.0, in (-MAX_MOD_BITS, MAX_MOD_BITS);
    /// LFO depth on Sample Rate, ±[`MAX_MOD_OCTAVES`] octaves at the LFO's peaks.
    lfo_octaves: f32 = 0.0, in (-MAX_MOD_OCTAVES, MAX_MOD_OCTAVES);
    /// Envelope follower depth on Bit Depth, ±[`MAX_MOD_BITS`] bits at full scale (nothing at
    /// -60 dBFS and below): negative crushes loud passages harder.
    follow_bits: f32 = 0.0, in (-MAX_MOD_BITS, MAX_MOD_BITS);
    /// Follower attack time constant, ms, 0.1 to 500.
    follow_attack_ms: f32 = 5.0, in log (MIN_MS, MAX_ATTACK_MS);
    /// Follower release time constant, ms, 0.1 to 5000.
    follow_release_ms: f32 = 100.0, in log (MIN_MS, MAX_RELEASE_MS);
    /// Note tracking: the held note's frequency times this (a whole number, 1 to 64) is the
    /// Sample Rate.
    harmonic: f32 = 1.0, in (1.0, MAX_HARMONIC), then f32::round;
    /// Note tracking: time to glide from one note's rate to the next, ms, 0 to 500.
    glide_ms: f32 = 0.0, in (0.0, MAX_GLIDE_MS);
}

/// Largest modulation depth on Bit Depth, bits.
pub const MAX_MOD_BITS: f32 = 12.0;
/// Largest LFO depth on Sample Rate, octaves.
pub const MAX_MOD_OCTAVES: f32 = 6.0;

/// Lowest Sample Rate in Hz.
pub const MIN_RATE: f32 = 50.0;
/// Highest Sample Rate in Hz.
pub const MAX_RATE: f32 = 96000.0;
/// Highest Drive in dB.
pub const MAX_DRIVE_DB: f32 = 36.0;

/// Lowest Output gain in dB.
pub const MIN_OUTPUT_DB: f32 = -24.0;
/// Highest Output gain in dB.
pub const MAX_OUTPUT_DB: f32 = 24.0;

/// Clamp `v` to [lo, hi], with NaN replaced by `fallback`.
fn clamp_or(v: f32, lo: f32, hi: f32, fallback: f32) -> f32 {
    if v.is_nan() { fallback } else { v.clamp(lo, hi) }
}

/// Bit depths closer than this to a whole number are taken as that whole number.
///
/// NOTE: Hosts pass parameters as normalized f32 (or coarser) values, so "8 bits" often
///       arrives as 7.9999995 or 8.001, which would put the grid a hair off 2^-7. Half of the
///       displayed resolution (0.01 bit) means: when the display shows a whole number, the
///       quantizer uses exactly that many bits.
pub const BITS_SNAP: f32 = 0.005;

/// `bits`, snapped to the nearest whole number when within [`BITS_SNAP`] of it.
pub fn snap_bits(bits: f32) -> f32 {
    let whole = bits.round();
    if (bits - whole).abs() < BITS_SNAP { whole } else { bits }
}

/// dB to linear gain. Exactly 1.0 at 0 dB.
pub fn db_to_gain(db: f32) -> f32 {
    if db == 0.0 { 1.0 } else { libm::powf(10.0, db / 20.0) }
}

/// Replace non-finite samples by silence and clamp to ±[`MAX_INPUT`]. Subnormal samples
/// become zero too: the plugin runs with flush-to-zero and denormals-are-zero set, the
/// offline renderer without, and both must compute the same thing.
#[inline(always)]
pub(super) fn sanitize(x: f32) -> f32 {
    if x.is_finite() && x.abs() >= f32::MIN_POSITIVE { x.clamp(-MAX_INPUT, MAX_INPUT) } else { 0.0 }
}

#[inline(always)]
pub(super) fn sanitize_in_place(block: &mut [f32]) {
    for x in block.iter_mut() {
        *x = sanitize(*x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings drawn at every range's ends, out of range and as NaN: the draw asks for each
    /// field once, in order, and sanitizing brings every number into its range.
    #[test]
    fn drawn_settings_cover_every_field_and_sanitize_into_range() {
        for pick in [0.0f64, 1.0, 0.5, -1.0, 2.0, f64::NAN] {
            let mut names = Vec::new();
            let s = Settings::drawn(|name, draw| {
                names.push(name);
                match draw {
                    Draw::Number { min, max, .. } => min as f64 + pick * (max as f64 - min as f64),
                    Draw::Choice { count } => pick * count as f64,
                    Draw::Switch => pick,
                }
            });
            assert_eq!(names.len(), Settings::COUNT);
            assert_eq!(names[0], "bits");
            let clean = s.sanitized();
            assert_eq!(clean.sanitized(), clean, "sanitizing twice changes nothing");
            let numbers = [clean.bits, clean.mix, clean.rate, clean.lfo_hz, clean.follow_release_ms, clean.harmonic];
            assert!(numbers.iter().all(|v| v.is_finite()), "{clean:?}");
            assert!((MIN_BITS..=MAX_BITS).contains(&clean.bits) && (MIN_RATE..=MAX_RATE).contains(&clean.rate));
            assert_eq!(clean.harmonic, clean.harmonic.round());
        }
        // The defaults' own answers give the defaults back.
        let d = Settings::default();
        let again = Settings::drawn(|name, draw| match (name, draw) {
            ("bits", _) => d.bits as f64,
            ("rate", _) => d.rate as f64,
            ("mix", _) => d.mix as f64,
            ("lfo_sync", Draw::Switch) => 1.0,
            ("lfo_division", Draw::Choice { .. }) => 4.0,
            ("follow_attack_ms", _) => 5.0,
            ("follow_release_ms", _) => 100.0,
            ("lfo_hz", _) | ("harmonic", _) => 1.0,
            (_, Draw::Number { .. }) => 0.0,
            (_, _) => 0.0,
        });
        assert_eq!(again, d);
    }
}
