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

/// What the plugin outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// The crushed signal, mixed with the dry signal.
    Output,
    /// Only what the crushing adds: (mixed output) - dry. At Mix 100 % exactly y - x.
    Error,
}

/// Plain parameter values, in the units the user sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Bit depth, 1 to 24, continuous.
    pub bits: f32,
    /// Dither added before the quantizer.
    pub dither: DitherMode,
    /// Quantizer characteristic.
    pub quantizer: QuantizerMode,
    /// Wet share of the output, 0 to 1 (the plugin shows 0 to 100 %).
    pub mix: f32,
    /// Output gain in dB, -24 to +24, applied last.
    pub output_db: f32,
    /// Whether to hear the output or the error.
    pub listen: Listen,
    /// Bypass: the output crossfades to the (sanitized) input.
    pub bypass: bool,
    /// Sample rate of the hold in Hz, 50 to 96000; at or above the host rate: no reduction.
    pub rate: f32,
    /// Hold-length randomisation, 0 to 1 (the plugin shows 0 to 100 %).
    pub jitter: f32,
    /// Low-pass before the hold, tracking the new Nyquist.
    pub prefilter: bool,
    /// Low-pass after the quantizer, removing the hold's images.
    pub postfilter: bool,
    /// Noise-shaping filter around the quantizer.
    pub shaping: Shaping,
    /// Companding curve around the quantizer.
    pub curve: Curve,
    /// Gain into the chain in dB, 0 to 36.
    pub drive_db: f32,
    /// Anti-alias the (undithered, unshaped) quantizer: 4x oversampled ADAA, [`LATENCY`](crate::oversample::LATENCY)
    /// samples of latency.
    pub antialias: bool,
    /// The LFO's waveform.
    pub lfo_shape: LfoShape,
    /// Whether the LFO follows the host's tempo (`lfo_division`, `lfo_timing`) or runs at
    /// `lfo_hz`.
    pub lfo_sync: bool,
    /// Free LFO rate, Hz, [`MIN_HZ`] to [`MAX_HZ`].
    pub lfo_hz: f32,
    /// Synced LFO period as a note value.
    pub lfo_division: Division,
    /// Straight, dotted or triplet.
    pub lfo_timing: Timing,
    /// LFO depth on Bit Depth, ±[`MAX_MOD_BITS`] bits at the LFO's peaks.
    pub lfo_bits: f32,
    /// LFO depth on Sample Rate, ±[`MAX_MOD_OCTAVES`] octaves at the LFO's peaks.
    pub lfo_octaves: f32,
    /// Envelope follower depth on Bit Depth, ±[`MAX_MOD_BITS`] bits at full scale (nothing at
    /// -60 dBFS and below): negative crushes loud passages harder.
    pub follow_bits: f32,
    /// Follower attack time constant, ms, 0.1 to 500.
    pub follow_attack_ms: f32,
    /// Follower release time constant, ms, 0.1 to 5000.
    pub follow_release_ms: f32,
    /// Note tracking: the held note's frequency times this (a whole number, 1 to 64) is the
    /// Sample Rate.
    pub harmonic: f32,
    /// Note tracking: time to glide from one note's rate to the next, ms, 0 to 500.
    pub glide_ms: f32,
}

/// Largest modulation depth on Bit Depth, bits.
pub const MAX_MOD_BITS: f32 = 12.0;
/// Largest LFO depth on Sample Rate, octaves.
pub const MAX_MOD_OCTAVES: f32 = 6.0;

impl Default for Settings {
    fn default() -> Self {
        Self {
            bits: 8.0,
            dither: DitherMode::Off,
            quantizer: QuantizerMode::MidTread,
            mix: 1.0,
            output_db: 0.0,
            listen: Listen::Output,
            bypass: false,
            rate: MAX_RATE,
            jitter: 0.0,
            prefilter: false,
            postfilter: false,
            shaping: Shaping::Off,
            curve: Curve::Linear,
            drive_db: 0.0,
            antialias: false,
            lfo_shape: LfoShape::Sine,
            lfo_sync: true,
            lfo_hz: 1.0,
            lfo_division: Division::N4,
            lfo_timing: Timing::Straight,
            lfo_bits: 0.0,
            lfo_octaves: 0.0,
            follow_bits: 0.0,
            follow_attack_ms: 5.0,
            follow_release_ms: 100.0,
            harmonic: 1.0,
            glide_ms: 0.0,
        }
    }
}

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

impl Settings {
    /// The same settings with every continuous value inside its range (NaN falls back to the
    /// default) and near-whole bit depths made whole. Whatever a host, a file or a command line
    /// sends, the engine runs on this.
    pub fn sanitized(self) -> Self {
        let d = Self::default();
        Self {
            bits: snap_bits(clamp_or(self.bits, MIN_BITS, MAX_BITS, d.bits)),
            mix: clamp_or(self.mix, 0.0, 1.0, d.mix),
            output_db: clamp_or(self.output_db, MIN_OUTPUT_DB, MAX_OUTPUT_DB, d.output_db),
            rate: clamp_or(self.rate, MIN_RATE, MAX_RATE, d.rate),
            jitter: clamp_or(self.jitter, 0.0, 1.0, d.jitter),
            drive_db: clamp_or(self.drive_db, 0.0, MAX_DRIVE_DB, d.drive_db),
            lfo_hz: clamp_or(self.lfo_hz, MIN_HZ, MAX_HZ, d.lfo_hz),
            lfo_bits: clamp_or(self.lfo_bits, -MAX_MOD_BITS, MAX_MOD_BITS, 0.0),
            lfo_octaves: clamp_or(self.lfo_octaves, -MAX_MOD_OCTAVES, MAX_MOD_OCTAVES, 0.0),
            follow_bits: clamp_or(self.follow_bits, -MAX_MOD_BITS, MAX_MOD_BITS, 0.0),
            follow_attack_ms: clamp_or(self.follow_attack_ms, MIN_MS, MAX_ATTACK_MS, d.follow_attack_ms),
            follow_release_ms: clamp_or(self.follow_release_ms, MIN_MS, MAX_RELEASE_MS, d.follow_release_ms),
            harmonic: clamp_or(self.harmonic, 1.0, MAX_HARMONIC, d.harmonic).round(),
            glide_ms: clamp_or(self.glide_ms, 0.0, MAX_GLIDE_MS, d.glide_ms),
            ..self
        }
    }
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
