//! The engine's settings: plain values in the units the user sees, their ranges, and the
//! sanitizing that every host, file and command-line value goes through.

use crate::curve::Curve;
use crate::dither::DitherMode;
use crate::follower::{MAX_ATTACK_MS, MAX_RELEASE_MS, MIN_MS};
use crate::lfo::{Division, LfoShape, MAX_HZ, MIN_HZ, Timing};
use crate::notes::{MAX_GLIDE_MS, MAX_HARMONIC};
use crate::quantizer::{MAX_BITS, MIN_BITS, QuantizerMode};
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
/// and for a continuous value how [`Settings::sanitized`] brings any value into its range
/// (`|value, default| ...`). The struct, its `Default` and `sanitized` come from these rows.
macro_rules! settings {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $default:expr $(, sanitize: $sanitize:expr)?;)*) => {
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
            /// The same settings with every continuous value inside its range (NaN falls back to
            /// the default) and near-whole bit depths made whole. Whatever a host, a file or a
            /// command line sends, the engine runs on this.
            pub fn sanitized(self) -> Self {
                Self { $($field: settings!(@sanitize self.$field, $default $(, $sanitize)?),)* }
            }
        }
    };
    (@sanitize $value:expr, $default:expr) => {
        $value
    };
    (@sanitize $value:expr, $default:expr, $sanitize:expr) => {{
        let sanitize: fn(f32, f32) -> f32 = $sanitize;
        sanitize($value, $default)
    }};
}

settings! {
    /// Bit depth, 1 to 24, continuous.
    bits: f32 = 8.0,
        sanitize: |v, d| snap_bits(clamp_or(v, MIN_BITS, MAX_BITS, d));
    /// Dither added before the quantizer.
    dither: DitherMode = DitherMode::Off;
    /// Quantizer characteristic.
    quantizer: QuantizerMode = QuantizerMode::MidTread;
    /// Wet share of the output, 0 to 1 (the plugin shows 0 to 100 %).
    mix: f32 = 1.0,
        sanitize: |v, d| clamp_or(v, 0.0, 1.0, d);
    /// Output gain in dB, -24 to +24, applied last.
    output_db: f32 = 0.0,
        sanitize: |v, d| clamp_or(v, MIN_OUTPUT_DB, MAX_OUTPUT_DB, d);
    /// Whether to hear the output or the error.
    listen: Listen = Listen::Output;
    /// Bypass: the output crossfades to the (sanitized) input.
    bypass: bool = false;
    /// Sample rate of the hold in Hz, 50 to 96000; at or above the host rate: no reduction.
    rate: f32 = MAX_RATE,
        sanitize: |v, d| clamp_or(v, MIN_RATE, MAX_RATE, d);
    /// Hold-length randomisation, 0 to 1 (the plugin shows 0 to 100 %).
    jitter: f32 = 0.0,
        sanitize: |v, d| clamp_or(v, 0.0, 1.0, d);
    /// Low-pass before the hold, tracking the new Nyquist.
    prefilter: bool = false;
    /// Low-pass after the quantizer, removing the hold's images.
    postfilter: bool = false;
    /// Noise-shaping filter around the quantizer.
    shaping: Shaping = Shaping::Off;
    /// Companding curve around the quantizer.
    curve: Curve = Curve::Linear;
    /// Gain into the chain in dB, 0 to 36.
    drive_db: f32 = 0.0,
        sanitize: |v, d| clamp_or(v, 0.0, MAX_DRIVE_DB, d);
    /// Anti-alias the (undithered, unshaped) quantizer: 4x oversampled ADAA, [`LATENCY`](crate::oversample::LATENCY)
    /// samples of latency.
    antialias: bool = false;
    /// The LFO's waveform.
    lfo_shape: LfoShape = LfoShape::Sine;
    /// Whether the LFO follows the host's tempo (`lfo_division`, `lfo_timing`) or runs at
    /// `lfo_hz`.
    lfo_sync: bool = true;
    /// Free LFO rate, Hz, [`MIN_HZ`] to [`MAX_HZ`].
    lfo_hz: f32 = 1.0,
        sanitize: |v, d| clamp_or(v, MIN_HZ, MAX_HZ, d);
    /// Synced LFO period as a note value.
    lfo_division: Division = Division::N4;
    /// Straight, dotted or triplet.
    lfo_timing: Timing = Timing::Straight;
    /// LFO depth on Bit Depth, ±[`MAX_MOD_BITS`] bits at the LFO's peaks.
    lfo_bits: f32 = 0.0,
        sanitize: |v, d| clamp_or(v, -MAX_MOD_BITS, MAX_MOD_BITS, d);
    /// LFO depth on Sample Rate, ±[`MAX_MOD_OCTAVES`] octaves at the LFO's peaks.
    lfo_octaves: f32 = 0.0,
        sanitize: |v, d| clamp_or(v, -MAX_MOD_OCTAVES, MAX_MOD_OCTAVES, d);
    /// Envelope follower depth on Bit Depth, ±[`MAX_MOD_BITS`] bits at full scale (nothing at
    /// -60 dBFS and below): negative crushes loud passages harder.
    follow_bits: f32 = 0.0,
        sanitize: |v, d| clamp_or(v, -MAX_MOD_BITS, MAX_MOD_BITS, d);
    /// Follower attack time constant, ms, 0.1 to 500.
    follow_attack_ms: f32 = 5.0,
        sanitize: |v, d| clamp_or(v, MIN_MS, MAX_ATTACK_MS, d);
    /// Follower release time constant, ms, 0.1 to 5000.
    follow_release_ms: f32 = 100.0,
        sanitize: |v, d| clamp_or(v, MIN_MS, MAX_RELEASE_MS, d);
    /// Note tracking: the held note's frequency times this (a whole number, 1 to 64) is the
    /// Sample Rate.
    harmonic: f32 = 1.0,
        sanitize: |v, d| clamp_or(v, 1.0, MAX_HARMONIC, d).round();
    /// Note tracking: time to glide from one note's rate to the next, ms, 0 to 500.
    glide_ms: f32 = 0.0,
        sanitize: |v, d| clamp_or(v, 0.0, MAX_GLIDE_MS, d);
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
