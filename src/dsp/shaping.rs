//! Noise shaping by error feedback around the quantizer.
//!
//! `v = x - Σ h_k·e[n-k]`, `y = Q(v + d)`, `e = y - v`: the total error `y - x` is the
//! quantizer's error filtered by `1 - Σ h_k·z^-k`, which pushes it away from the frequencies
//! where hearing is most sensitive. Coefficients as published in SoX's `dither.h`
//! (F-weighted filters after Wannamaker, "Psychoacoustically Optimal Noise Shaping", JAES
//! 40(7/8), 1992; the 5-tap filter after Lipshitz, Vanderkooy & Wannamaker, "Minimally
//! Audible Noise Shaping", JAES 39(11), 1991). They are designed for 44.1 and 48 kHz; at
//! other rates Stairstep uses them unchanged, so the curve's features move with the rate
//! (up an octave at 88.2/96 kHz, mostly above hearing).
//!
//! NOTE: At low bit depths the feedback (up to 1.5·Σ|h_k| steps) overloads the quantizer and
//!       clipping makes `e` large, which can run away. Stairstep clamps the fed-back error to
//!       ±[`ERROR_CLAMP`] steps: in normal operation |e| stays below 1.5 steps (TPDF ±1 plus
//!       rounding ±½), so the clamp only acts on overload and keeps the loop bounded at
//!       every depth.

/// Which noise-shaping filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shaping {
    /// No shaping.
    Off,
    /// F-weighted, 3 taps (Wannamaker).
    FWeighted3,
    /// Lipshitz, 5 taps.
    Lipshitz5,
    /// F-weighted, 9 taps (Wannamaker).
    FWeighted9,
}

/// Longest filter.
pub const MAX_TAPS: usize = 9;

/// The fed-back error is clamped to ±this many steps.
pub const ERROR_CLAMP: f32 = 2.0;

impl Shaping {
    /// The filter's coefficients h_1..h_n (SoX `dither.h`).
    pub fn coefficients(self) -> &'static [f32] {
        match self {
            Shaping::Off => &[],
            Shaping::FWeighted3 => &[1.623, -0.982, 0.109],
            Shaping::Lipshitz5 => &[2.033, -2.165, 1.959, -1.590, 0.6149],
            Shaping::FWeighted9 => &[2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -0.569, 0.0847],
        }
    }

    /// |1 - Σ h_k e^{-jωk}|² at `freq` Hz and sample rate `fs`: the error's power gain.
    pub fn power_gain(self, freq: f32, fs: f32) -> f32 {
        let w = 2.0 * std::f64::consts::PI * freq as f64 / fs as f64;
        let (mut re, mut im) = (1.0f64, 0.0f64);
        for (k, &h) in self.coefficients().iter().enumerate() {
            let a = w * (k + 1) as f64;
            re -= h as f64 * a.cos();
            im += h as f64 * a.sin();
        }
        (re * re + im * im) as f32
    }

    /// Total noise power gain for white error: 1 + Σ h_k².
    pub fn total_gain(self) -> f32 {
        1.0 + self.coefficients().iter().map(|h| h * h).sum::<f32>()
    }
}

/// One channel's error history: a ring stored twice, so the newest `MAX_TAPS` errors are
/// always one contiguous slice (no shifting per sample).
#[derive(Debug, Clone)]
pub struct ShapingState {
    /// Two copies of the ring, in full-scale units.
    ring: [f32; 2 * MAX_TAPS],
    /// Index of e[n-1].
    pos: usize,
}

impl Default for ShapingState {
    fn default() -> Self {
        Self { ring: [0.0; 2 * MAX_TAPS], pos: 0 }
    }
}

impl ShapingState {
    /// Clear the history.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// e[n-1], e[n-2], ..., newest first.
    #[inline]
    pub fn history(&self) -> &[f32] {
        &self.ring[self.pos..self.pos + MAX_TAPS]
    }

    /// Σ h_k·e[n-k].
    #[inline]
    pub fn feedback(&self, h: &[f32]) -> f32 {
        h.iter().zip(self.history()).map(|(a, b)| a * b).sum()
    }

    /// Push the newest error.
    #[inline]
    pub fn push(&mut self, e: f32) {
        self.pos = if self.pos == 0 { MAX_TAPS - 1 } else { self.pos - 1 };
        self.ring[self.pos] = e;
        self.ring[self.pos + MAX_TAPS] = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_noise_rises() {
        // 1 + Σh²: +6.6, +12.2 and +18.4 dB for white error.
        for (s, expected) in [(Shaping::FWeighted3, 6.6), (Shaping::Lipshitz5, 12.2), (Shaping::FWeighted9, 18.4)] {
            let got = 10.0 * s.total_gain().log10();
            assert!((got - expected).abs() < 0.05, "{s:?}: {got}");
        }
    }

    #[test]
    fn f_weighted_9_tap_is_low_at_4k_and_high_at_20k() {
        let s = Shaping::FWeighted9;
        let at = |f| 10.0 * s.power_gain(f, 44100.0).log10();
        assert!((at(4000.0) + 23.0).abs() < 3.0, "{}", at(4000.0));
        assert!((at(20000.0) - 25.0).abs() < 3.0, "{}", at(20000.0));
    }

    #[test]
    fn gerzon_craven_noise_is_moved_not_removed() {
        // Minimum-phase filter with leading coefficient 1: the mean of the log gain over
        // frequency is 0 dB.
        for s in [Shaping::FWeighted3, Shaping::Lipshitz5, Shaping::FWeighted9] {
            let n = 20000;
            let mean: f64 =
                (0..n).map(|i| (s.power_gain((i as f32 + 0.5) / n as f32 * 24000.0, 48000.0) as f64).ln()).sum::<f64>()
                    / n as f64;
            assert!(mean.abs() < 0.02, "{s:?}: mean log gain {mean}");
        }
    }
}

/// Quantize with error feedback: like [`super::quantizer::quantize_block`], with `state`
/// carrying the error history across blocks.
#[allow(clippy::too_many_arguments)]
pub fn quantize_shaped(
    mode: super::quantizer::QuantizerMode,
    shaping: Shaping,
    state: &mut ShapingState,
    input: &[f32],
    dither: &[f32],
    grid: &super::quantizer::GridBlock,
    mute_zero: bool,
    out: &mut [f32],
) {
    use super::quantizer::{QuantizerMode, floor_exact, max_f, min_f};
    let h = shaping.coefficients();
    let n = out.len();
    debug_assert!(input.len() == n && dither.len() == n && grid.step.len() == n);
    let offset = if mode == QuantizerMode::MidRise { 0.0 } else { 0.5 };
    let centre = if mode == QuantizerMode::MidRise { 0.5 } else { 0.0 };
    for i in 0..n {
        let v = input[i] - state.feedback(h);
        let t = min_f(max_f(v * grid.inv_step[i] + dither[i], grid.k_min[i] - 1.0), grid.k_max[i] + 1.0);
        let k = min_f(max_f(floor_exact(t + offset), grid.k_min[i]), grid.k_max[i]);
        let y = if mute_zero && mode == QuantizerMode::MidRise && input[i] == 0.0 && v == 0.0 {
            0.0
        } else {
            (k + centre) * grid.step[i]
        };
        let limit = ERROR_CLAMP * grid.step[i];
        state.push((y - v).clamp(-limit, limit));
        out[i] = y;
    }
}

#[cfg(test)]
mod loop_tests {
    use super::*;
    use crate::dsp::DitherMode;
    use crate::dsp::QuantizerMode;
    use crate::dsp::engine::{Engine, Settings};
    use crate::dsp::test_util::*;

    /// Render a -6 dBFS 997 Hz sine at 16 bits, TPDF, with `shaping`, at `fs`.
    fn error_of(shaping: Shaping, fs: f64, bits: f32) -> (Vec<f64>, f64) {
        let x = sine(997.0, fs, 0.5, 1 << 18);
        let mut y = x.clone();
        let s = Settings { bits, dither: DitherMode::Tpdf, shaping, ..Settings::default() };
        Engine::new(1, fs as f32, s, 3).process(&mut [&mut y]);
        let step = 2f64.powf(1.0 - bits as f64);
        (x.iter().zip(&y).map(|(&a, &b)| b as f64 - a as f64).collect(), step)
    }

    /// Third-octave bands from 1 to 16 kHz: measured error density against (Δ²/4)·|NTF|².
    fn check_spectrum(shaping: Shaping, fs: f64) {
        let (e, step) = error_of(shaping, fs, 16.0);
        let seg = 8192;
        let spec = power_spectrum(&e, seg);
        let bin = fs / seg as f64;
        let white_bin = step * step / 4.0 * bin / (fs / 2.0);
        for k in 0..=12 {
            let centre = 1000.0 * 2f64.powf(k as f64 / 3.0);
            let (lo, hi) = (centre * 2f64.powf(-1.0 / 6.0), centre * 2f64.powf(1.0 / 6.0));
            let bins: Vec<usize> =
                (0..spec.len()).filter(|&b| (b as f64 * bin) >= lo && (b as f64 * bin) < hi).collect();
            let measured: f64 = bins.iter().map(|&b| spec[b]).sum();
            let expected: f64 =
                bins.iter().map(|&b| white_bin * shaping.power_gain((b as f64 * bin) as f32, fs as f32) as f64).sum();
            let diff = db(measured / expected);
            assert!(diff.abs() < 1.5, "{shaping:?} at {fs}: {centre:.0} Hz band off by {diff:.2} dB");
        }
        // Total rise over plain TPDF (Δ²/4).
        let rise = db(e.iter().map(|v| v * v).sum::<f64>() / e.len() as f64 / (step * step / 4.0));
        let expected = 10.0 * (shaping.total_gain() as f64).log10();
        assert!((rise - expected).abs() < 1.0, "{shaping:?} at {fs}: rise {rise:.2} dB vs {expected:.2}");
    }

    #[test]
    fn f_weighted_3_tap_follows_its_curve() {
        check_spectrum(Shaping::FWeighted3, 44100.0);
        check_spectrum(Shaping::FWeighted3, 48000.0);
    }
    #[test]
    fn lipshitz_5_tap_follows_its_curve() {
        check_spectrum(Shaping::Lipshitz5, 44100.0);
        check_spectrum(Shaping::Lipshitz5, 48000.0);
    }
    #[test]
    fn f_weighted_9_tap_follows_its_curve() {
        check_spectrum(Shaping::FWeighted9, 44100.0);
        check_spectrum(Shaping::FWeighted9, 48000.0);
    }

    #[test]
    fn the_loop_stays_bounded_at_low_depths_and_silence_stays_silent() {
        for shaping in [Shaping::FWeighted3, Shaping::Lipshitz5, Shaping::FWeighted9] {
            for bits in [1.0, 2.0, 3.0, 4.0, 5.5, 6.0, 8.0] {
                for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
                    for dither in [DitherMode::Off, DitherMode::Tpdf] {
                        let s = Settings { bits, dither, shaping, quantizer, ..Settings::default() };
                        let x = sine(997.0, 48000.0, 1.0, 20000);
                        let mut y = x.clone();
                        Engine::new(1, 48000.0, s, 3).process(&mut [&mut y]);
                        assert!(y.iter().all(|v| v.is_finite() && v.abs() <= 1.0), "{s:?}");
                        // The error is bounded too: the loop did not run away.
                        let worst = x.iter().zip(&y).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                        assert!(worst <= 2.0, "{s:?}: error {worst}");
                        if dither == DitherMode::Off {
                            let mut z = vec![0.0f32; 5000];
                            Engine::new(1, 48000.0, s, 3).process(&mut [&mut z]);
                            assert!(z.iter().all(|&v| v == 0.0), "{s:?}: silence not silent");
                        }
                    }
                }
            }
        }
    }
}
