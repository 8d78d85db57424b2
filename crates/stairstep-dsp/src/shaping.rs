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
//!
//! The quantizer inside the loop rounds half to even (the plain quantizer's ties go up);
//! ties need an exact x.5 after the feedback's sum, and only change which of two equally
//! near levels is taken.

use super::simd::Isa;

choices! {
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

/// One channel's error history.
#[derive(Debug, Clone)]
pub struct ShapingState {
    /// e[n-1], e[n-2], ..., newest first, in steps (LSB) of [`ShapingState::step`]. Each
    /// within ±[`ERROR_CLAMP`].
    errors: [f32; MAX_TAPS],
    /// The step Δ (full-scale units, 2^-23 to 1) the errors are counted in; 0 after a reset.
    step: f32,
}

impl Default for ShapingState {
    fn default() -> Self {
        Self { errors: [0.0; MAX_TAPS], step: 0.0 }
    }
}

impl ShapingState {
    /// Clear the history.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// e[n-1], e[n-2], ..., newest first, in steps.
    pub fn history(&self) -> &[f32; MAX_TAPS] {
        &self.errors
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

/// One channel's signals for [`quantize_shaped`].
pub struct Lane<'a> {
    /// The channel's error history.
    pub state: &'a mut ShapingState,
    /// The signal to quantize, full-scale units.
    pub input: &'a [f32],
    /// Dither in steps (LSB), |d| <= 1.
    pub dither: &'a [f32],
    /// The quantized signal, full-scale units.
    pub out: &'a mut [f32],
}

/// `1.5·2^23`: `(t + M) - M` rounds `t` to the nearest integer, ties to even, for |t| < 2^22
/// (the sum lands in [2^23, 2^24), where f32 values are exactly the integers).
const MAGIC: f32 = 12_582_912.0;

/// The fast loop's range: its level indices stay within ±2^20, where every sum it forms is
/// exact to 1/8 step and `MAGIC` rounds exactly.
const FAST_RANGE: f32 = 1_048_576.0;

/// Quantize with error feedback, `C` channels side by side (like
/// [`super::quantizer::quantize_block`], with each lane's `state` carrying its error history
/// across blocks). All lanes share `grid`, and every slice has `grid`'s length.
///
/// Per sample, with `u = x/Δ` and the errors `e` in steps (the history is rescaled when Δ
/// changes):
///
/// ```text
/// P = Σ_{k>=2} h_k·e[n-k]   (oldest first)      m = h_1·e[n-1]
/// t = ((u + d + c0) - P) - m                      w' = ((u - c) - P) - m
/// k = clamp(round_half_even(clamp(t, k_min - 1, k_max + 1)), k_min, k_max)
/// y = (k + c)·Δ                                   e[n] = clamp(k - w', ±ERROR_CLAMP)
/// ```
///
/// with `c0 = 0, c = 0` for mid-tread and `c0 = -½, c = ½` for mid-rise. The newest error
/// enters last, so the loop's serial dependency is one multiply, one subtraction, the
/// rounding and one subtraction; the channels' loops interleave.
///
/// NOTE: Where it can show that no clamp acts for a whole block (constant grid within ±2^20
///       levels, the input at least the feedback's bound away from the ends, |d| <= 1, no
///       digital-zero mute) it runs the same arithmetic without the clamps, which is
///       bit-identical by construction: a clamp that does not act returns its input unchanged.
///
/// `isa`: in builds with SSE4.1's rounding ([`Isa::ROUND`]) the clamp-free two-channel loop
/// rounds with `roundps` instead of adding and subtracting 1.5·2^23 (see [`fast_pair_sse`]).
#[inline(always)]
pub fn quantize_shaped<const C: usize, I: Isa>(
    isa: I,
    mode: super::quantizer::QuantizerMode,
    shaping: Shaping,
    lanes: &mut [Lane<'_>; C],
    grid: &super::quantizer::GridBlock,
    mute_zero: bool,
) {
    match shaping {
        Shaping::Off => debug_assert!(false, "quantize_shaped without a filter"),
        Shaping::FWeighted3 => shaped::<C, 3, I>(isa, mode, shaping, lanes, grid, mute_zero),
        Shaping::Lipshitz5 => shaped::<C, 5, I>(isa, mode, shaping, lanes, grid, mute_zero),
        Shaping::FWeighted9 => shaped::<C, 9, I>(isa, mode, shaping, lanes, grid, mute_zero),
    }
}

#[inline(always)]
fn shaped<const C: usize, const T: usize, I: Isa>(
    isa: I,
    mode: super::quantizer::QuantizerMode,
    shaping: Shaping,
    lanes: &mut [Lane<'_>; C],
    grid: &super::quantizer::GridBlock,
    mute_zero: bool,
) {
    use super::quantizer::{QuantizerMode, max_f, min_f, round_half_even};
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    let h: [f32; T] = shaping.coefficients().try_into().expect("T is the filter's length");
    let n = grid.step.len();
    debug_assert!(lanes.iter().all(|l| l.input.len() == n && l.dither.len() == n && l.out.len() == n));
    if n == 0 {
        return;
    }
    let mid_rise = mode == QuantizerMode::MidRise;
    let (c0, centre) = if mid_rise { (-0.5, 0.5) } else { (0.0, 0.0) };
    // NOTE: Only the filter's own taps are kept; older entries are dropped (zeroed), so a
    //       switch to a longer filter starts those taps from silence.
    let mut e: [[f32; T]; C] = std::array::from_fn(|c| std::array::from_fn(|k| lanes[c].state.errors[k]));

    // New errors are within ½ + |d| <= 1.5 steps, plus at most 1/8 of rounding at these
    // magnitudes; the feedback's bound adds a step of rounding slack. No level can be reached
    // from inside [lo + 1 + bound, hi - 1 - bound].
    let sum_h: f32 = h.iter().map(|v| v.abs()).sum();
    let old = lanes.iter().flat_map(|l| l.state.errors).fold(0.0f32, |m, v| m.max(v.abs()));
    let bound = sum_h * old.max(1.75) + 1.0;
    if fast_grid(lanes, grid, mid_rise && mute_zero) && !input_reaches(lanes, grid, centre, bound) {
        // Optimistic: run the clamp-free loop, noting the extremes of what entered it, and
        // keep its work only if they show that no clamp could have acted; else the clamped
        // loop below redoes the block from the same history.
        let (inv, step, lo, hi) = (grid.inv_step[0], grid.step[0], grid.k_min[0], grid.k_max[0]);
        let (c0v, cv) = ([c0, -centre], centre);
        let inputs: [&[f32]; C] = lanes.each_ref().map(|l| &l.input[..n]);
        let dithers: [&[f32]; C] = lanes.each_ref().map(|l| &l.dither[..n]);
        let mut outs: [&mut [f32]; C] = lanes.each_mut().map(|l| &mut l.out[..n]);
        let mut e_fast = e;
        let seen: Extremes;
        #[cfg(target_arch = "x86_64")]
        if let (Ok(i2), Ok(d2), Ok(o2), Ok(e2)) = (
            <&[&[f32]; 2]>::try_from(&inputs[..]),
            <&[&[f32]; 2]>::try_from(&dithers[..]),
            <&mut [&mut [f32]; 2]>::try_from(&mut outs[..]),
            <&mut [[f32; T]; 2]>::try_from(&mut e_fast[..]),
        ) {
            seen = fast_pair_sse::<T, I>(isa, &h, e2, i2, d2, o2, inv, step, c0v, cv);
        } else {
            seen = fast_lanes(&h, &mut e_fast, &inputs, &dithers, &mut outs, inv, step, c0v, cv);
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            seen = fast_lanes(&h, &mut e_fast, &inputs, &dithers, &mut outs, inv, step, c0v, cv);
        }
        // `seen` spans both `a` and `b`.
        if seen.min >= lo + 1.0 + bound && seen.max <= hi - 1.0 - bound && seen.dither <= 1.0 {
            store(lanes, e_fast);
            return;
        }
    }
    for i in 0..n {
        let (inv, step, lo, hi) = (grid.inv_step[i], grid.step[i], grid.k_min[i], grid.k_max[i]);
        for c in 0..C {
            let state = &mut *lanes[c].state;
            if state.step != step {
                // Keep the fed-back errors' size in full-scale units.
                let r = state.step * inv;
                e[c].iter_mut().for_each(|v| *v *= r);
                state.step = step;
            }
            let x = lanes[c].input[i];
            let u = x * inv;
            let a = (u + lanes[c].dither[i]) + c0;
            let b = u - centre;
            let p = older_feedback(&h, &e[c]);
            let m = h[0] * e[c][0];
            let t = min_f(max_f((a - p) - m, lo - 1.0), hi + 1.0);
            let k = min_f(max_f(round_half_even(t), lo), hi);
            let (y, err) = if mute_zero && mid_rise && x == 0.0 && (u - p) - m == 0.0 {
                (0.0, 0.0)
            } else {
                ((k + centre) * step, (k - ((b - p) - m)).clamp(-ERROR_CLAMP, ERROR_CLAMP))
            };
            push(&mut e[c], err);
            lanes[c].out[i] = y;
        }
    }
    store(lanes, e);
}

/// Write the loop's histories back to the lanes' states (taps beyond the filter's own
/// cleared).
#[inline(always)]
fn store<const C: usize, const T: usize>(lanes: &mut [Lane<'_>; C], e: [[f32; T]; C]) {
    for (lane, e) in lanes.iter_mut().zip(e) {
        lane.state.errors = std::array::from_fn(|k| if k < T { e[k] } else { 0.0 });
    }
}

/// Shift the history by one and put `err` in front.
#[inline(always)]
fn push<const T: usize>(e: &mut [f32; T], err: f32) {
    for k in (1..T).rev() {
        e[k] = e[k - 1];
    }
    e[0] = err;
}

/// `Σ_{k>=2} h_k·e[n-k]`, oldest first, so the newest error can enter last.
#[inline(always)]
fn older_feedback<const T: usize>(h: &[f32; T], e: &[f32; T]) -> f32 {
    let mut p = h[T - 1] * e[T - 1];
    for k in (1..T - 1).rev() {
        p += h[k] * e[k];
    }
    p
}

/// What the clamp-free loop saw: the extremes of `a` and `b` and the largest |d|.
struct Extremes {
    min: f32,
    max: f32,
    dither: f32,
}

/// Whether the input alone already reaches within `bound` of a clamp (the clamp-free loop's
/// check would fail: `b = x·inv - centre` is among what it sees), so the clamped loop is run
/// without first trying the other. One pass over the input: `x·inv` is monotonic in `x`.
#[inline(always)]
fn input_reaches<const C: usize>(
    lanes: &[Lane<'_>; C],
    grid: &super::quantizer::GridBlock,
    centre: f32,
    bound: f32,
) -> bool {
    use super::quantizer::{max_f, min_f};
    let (inv, lo, hi) = (grid.inv_step[0], grid.k_min[0], grid.k_max[0]);
    lanes.iter().any(|l| {
        // Eight running extremes, so the pass vectorises (a single one is a serial chain).
        let (mut min, mut max) = ([f32::MAX; 8], [f32::MIN; 8]);
        let runs = l.input.chunks_exact(8);
        for &x in runs.remainder() {
            (min[0], max[0]) = (min_f(min[0], x), max_f(max[0], x));
        }
        for run in runs {
            for k in 0..8 {
                (min[k], max[k]) = (min_f(min[k], run[k]), max_f(max[k], run[k]));
            }
        }
        let (min, max) = (min.into_iter().fold(f32::MAX, min_f), max.into_iter().fold(f32::MIN, max_f));
        min * inv - centre < lo + 1.0 + bound || max * inv - centre > hi - 1.0 - bound
    })
}

/// Whether the clamp-free loop may be tried: a constant grid within ±[`FAST_RANGE`] levels,
/// the same step the history is counted in, and no digital-zero mute.
#[inline(always)]
fn fast_grid<const C: usize>(lanes: &[Lane<'_>; C], grid: &super::quantizer::GridBlock, muting: bool) -> bool {
    let (inv, step, lo, hi) = (grid.inv_step[0], grid.step[0], grid.k_min[0], grid.k_max[0]);
    !muting
        && lo >= -FAST_RANGE
        && hi <= FAST_RANGE
        && lanes.iter().all(|l| l.state.step == step)
        && grid.step.iter().fold(true, |ok, &s| ok & (s == step))
        && grid.inv_step.iter().fold(true, |ok, &v| ok & (v == inv))
}

/// The clamp-free loop, lane by lane (the channels' loops are independent, so they overlap).
/// `c0v` is `[c0, -c]`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fast_lanes<const C: usize, const T: usize>(
    h: &[f32; T],
    e: &mut [[f32; T]; C],
    inputs: &[&[f32]; C],
    dithers: &[&[f32]; C],
    outs: &mut [&mut [f32]; C],
    inv: f32,
    step: f32,
    c0v: [f32; 2],
    centre: f32,
) -> Extremes {
    use super::quantizer::{max_f, min_f};
    let n = outs[0].len();
    let mut seen = Extremes { min: f32::MAX, max: f32::MIN, dither: 0.0 };
    for i in 0..n {
        for c in 0..C {
            let u = inputs[c][i] * inv;
            let d = dithers[c][i];
            let a = (u + d) + c0v[0];
            let b = (u + 0.0) + c0v[1];
            seen.min = min_f(seen.min, min_f(a, b));
            seen.max = max_f(seen.max, max_f(a, b));
            seen.dither = max_f(seen.dither, d.abs());
            let p = older_feedback(h, &e[c]);
            let m = h[0] * e[c][0];
            let k = (((a - p) - m) + MAGIC) - MAGIC;
            push(&mut e[c], k - ((b - p) - m));
            outs[c][i] = (k + centre) * step;
        }
    }
    seen
}

/// [`fast_lanes`] for two channels in one SSE register: `[L, R, L, R]` for the errors and the
/// feedback, `[a_L, a_R, b_L, b_R]` for the feed-forward values, so one subtraction forms `t`
/// and `w'` of both channels. Every lane runs the same IEEE single operations in the same
/// order as [`fast_lanes`] (`definition_tests` compare both with the definition).
///
/// NOTE: The loop is bound by its feedback (about 16 cycles on Zen 4: the newest error's
///       multiply, a subtraction, the rounding, a shuffle and a subtraction). With `I::ROUND`
///       the rounding is one `roundps` (round half to even, as the 1.5·2^23 add and
///       subtraction are for the |t| < 2^22 this loop keeps) instead of two adds: one add's
///       latency less on that path. The two differ only in the sign of a zero level (`roundps`
///       keeps -0 for t in [-½, 0), the add gives +0); the output `(k + centre)·step` adds
///       +0 or ½ to it first, so it is the same bits, and only a fed-back error of zero can
///       carry the other sign, which changes no non-zero result after it.
///
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fast_pair_sse<const T: usize, I: Isa>(
    _isa: I,
    h: &[f32; T],
    e: &mut [[f32; T]; 2],
    inputs: &[&[f32]; 2],
    dithers: &[&[f32]; 2],
    outs: &mut [&mut [f32]; 2],
    inv: f32,
    step: f32,
    c0v: [f32; 2],
    centre: f32,
) -> Extremes {
    use std::arch::x86_64::*;
    // SAFETY: SSE and SSE2 intrinsics, which every x86_64 CPU has (part of the target's
    //         baseline); SSE4.1's `_mm_round_ps` only where `I::ROUND`, which only the tokens
    //         of builds whose CPU has SSE4.1 carry (`simd`), and this function holds one; and
    //         unaligned stores into local arrays of four floats.
    unsafe {
        let n = outs[0].len();
        let (x0, x1, d0, d1) = (&inputs[0][..n], &inputs[1][..n], &dithers[0][..n], &dithers[1][..n]);
        let hv: [__m128; T] = std::array::from_fn(|k| _mm_set1_ps(h[k]));
        let mut ev: [__m128; T] = std::array::from_fn(|k| _mm_setr_ps(e[0][k], e[1][k], e[0][k], e[1][k]));
        let inv_v = _mm_set1_ps(inv);
        let step_v = _mm_set1_ps(step);
        let centre_v = _mm_set1_ps(centre);
        let c0_v = _mm_setr_ps(c0v[0], c0v[0], c0v[1], c0v[1]);
        let magic = _mm_set1_ps(MAGIC);
        let abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fff_ffff));
        let (mut lo, mut hi, mut dm) = (_mm_set1_ps(f32::MAX), _mm_set1_ps(f32::MIN), _mm_setzero_ps());
        for i in 0..n {
            // `[(u + d) + c0, (u + 0) - c]` per channel: the lanes of `b` add a zero dither.
            let u = _mm_mul_ps(_mm_setr_ps(x0[i], x1[i], x0[i], x1[i]), inv_v);
            let d = _mm_setr_ps(d0[i], d1[i], 0.0, 0.0);
            let ab = _mm_add_ps(_mm_add_ps(u, d), c0_v);
            lo = _mm_min_ps(lo, ab);
            hi = _mm_max_ps(hi, ab);
            dm = _mm_max_ps(dm, _mm_and_ps(d, abs_mask));
            let mut p = _mm_mul_ps(hv[T - 1], ev[T - 1]);
            for k in (1..T - 1).rev() {
                p = _mm_add_ps(p, _mm_mul_ps(hv[k], ev[k]));
            }
            let m = _mm_mul_ps(hv[0], ev[0]);
            let tw = _mm_sub_ps(_mm_sub_ps(ab, p), m);
            let k = if I::ROUND {
                // NOTE: SSE4.1: see the SAFETY comment above.
                _mm_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(tw)
            } else {
                _mm_sub_ps(_mm_add_ps(tw, magic), magic)
            };
            let err = _mm_sub_ps(_mm_movelh_ps(k, k), _mm_movehl_ps(tw, tw));
            // NOTE: For three taps, a new array rather than a shift in place: LLVM turned the
            //       in-place shift into a 32-byte copy on the stack that read back the 16-byte
            //       store of the newest error (a failed store-to-load forwarding). For nine
            //       taps the new array is slower in the AVX2 build (more spills), so longer
            //       filters keep the shift (both measured: docs/BENCHMARKS.md).
            if T <= 3 {
                ev = std::array::from_fn(|j| if j == 0 { err } else { ev[j - 1] });
            } else {
                for j in (1..T).rev() {
                    ev[j] = ev[j - 1];
                }
                ev[0] = err;
            }
            let y = _mm_mul_ps(_mm_add_ps(k, centre_v), step_v);
            outs[0][i] = _mm_cvtss_f32(y);
            outs[1][i] = _mm_cvtss_f32(_mm_shuffle_ps::<0b01>(y, y));
        }
        let lanes = |v: __m128| {
            let mut a = [0.0f32; 4];
            _mm_storeu_ps(a.as_mut_ptr(), v);
            a
        };
        for (k, v) in ev.iter().enumerate() {
            let a = lanes(*v);
            e[0][k] = a[0];
            e[1][k] = a[1];
        }
        let (lo, hi, dm) = (lanes(lo), lanes(hi), lanes(dm));
        Extremes {
            min: lo.iter().fold(f32::MAX, |m, &v| m.min(v)),
            max: hi.iter().fold(f32::MIN, |m, &v| m.max(v)),
            dither: dm.iter().fold(0.0f32, |m, &v| m.max(v)),
        }
    }
}

#[cfg(test)]
mod definition_tests {
    use super::*;
    use crate::quantizer::{Grid, GridBlock, QuantizerMode, round_half_even};
    use crate::rng::lowbias32;
    use crate::simd::{Avx2, Portable};

    /// The loop of [`quantize_shaped`] written out one sample at a time, every clamp in place:
    /// the definition both of its loops must reproduce bit for bit.
    struct Reference {
        e: Vec<f32>,
        step: f32,
    }

    impl Reference {
        fn sample(&mut self, h: &[f32], mode: QuantizerMode, g: Grid, x: f32, d: f32, mute_zero: bool) -> f32 {
            let mid_rise = mode == QuantizerMode::MidRise;
            let (c0, centre) = if mid_rise { (-0.5, 0.5) } else { (0.0, 0.0) };
            if self.step != g.step {
                let r = self.step * g.inv_step;
                self.e.iter_mut().for_each(|v| *v *= r);
                self.step = g.step;
            }
            let u = x * g.inv_step;
            let p = (1..h.len()).rev().map(|k| h[k] * self.e[k]).reduce(|a, b| a + b).unwrap();
            let m = h[0] * self.e[0];
            let t = (((u + d) + c0) - p) - m;
            let k = round_half_even(t.clamp(g.k_min - 1.0, g.k_max + 1.0)).clamp(g.k_min, g.k_max);
            let (y, err) = if mute_zero && mid_rise && x == 0.0 && (u - p) - m == 0.0 {
                (0.0, 0.0)
            } else {
                ((k + centre) * g.step, (k - (((u - centre) - p) - m)).clamp(-ERROR_CLAMP, ERROR_CLAMP))
            };
            self.e.rotate_right(1);
            self.e[0] = err;
            y
        }
    }

    /// Two channels through `quantize_shaped::<2>` and each through `::<1>`, in blocks of
    /// `block` with the bit depth stepping through `depths` every 700 samples, against
    /// [`Reference`].
    fn check(shaping: Shaping, mode: QuantizerMode, amp: f32, depths: &[f32], dithered: bool, block: usize) {
        // The pair loop rounding both ways (`roundps` where the CPU has it).
        let roundings: &[bool] = if Avx2::try_new().is_some() { &[false, true] } else { &[false] };
        for &rounded in roundings {
            check_rounded(shaping, mode, amp, depths, dithered, block, rounded);
        }
    }

    fn check_rounded(
        shaping: Shaping,
        mode: QuantizerMode,
        amp: f32,
        depths: &[f32],
        dithered: bool,
        block: usize,
        rounded: bool,
    ) {
        let n = 5000;
        let mut seed = 11u32;
        let mut noise = || {
            seed = lowbias32(seed);
            seed as f32 / u32::MAX as f32 * 2.0 - 1.0
        };
        let x: Vec<Vec<f32>> = (0..2)
            .map(|c| {
                (0..n)
                    .map(|i| {
                        if i % 613 < 40 {
                            0.0
                        } else {
                            amp * ((i as f32 * (0.031 + 0.017 * c as f32)).sin() * 0.8 + 0.2 * noise())
                        }
                    })
                    .collect()
            })
            .collect();
        let d: Vec<Vec<f32>> = (0..2).map(|_| (0..n).map(|_| if dithered { noise() } else { 0.0 }).collect()).collect();
        let grids: Vec<Grid> = (0..n).map(|i| Grid::new(depths[(i / 700) % depths.len()], mode)).collect();
        let h = shaping.coefficients();

        let expected: Vec<Vec<f32>> = (0..2)
            .map(|c| {
                let mut r = Reference { e: vec![0.0; h.len()], step: 0.0 };
                (0..n).map(|i| r.sample(h, mode, grids[i], x[c][i], d[c][i], !dithered)).collect()
            })
            .collect();

        let mut pair = vec![vec![0.0f32; n]; 2];
        let mut single = vec![vec![0.0f32; n]; 2];
        let mut states = [ShapingState::default(), ShapingState::default()];
        let mut alone = [ShapingState::default(), ShapingState::default()];
        let mut start = 0;
        while start < n {
            let end = (start + block).min(n);
            let g = &grids[start..end];
            let (inv, st, lo, hi): (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) = (
                g.iter().map(|g| g.inv_step).collect(),
                g.iter().map(|g| g.step).collect(),
                g.iter().map(|g| g.k_min).collect(),
                g.iter().map(|g| g.k_max).collect(),
            );
            let grid = GridBlock { inv_step: &inv, step: &st, k_min: &lo, k_max: &hi };
            let [s0, s1] = &mut states;
            let (p0, p1) = pair.split_at_mut(1);
            let mut lanes = [
                Lane { state: s0, input: &x[0][start..end], dither: &d[0][start..end], out: &mut p0[0][start..end] },
                Lane { state: s1, input: &x[1][start..end], dither: &d[1][start..end], out: &mut p1[0][start..end] },
            ];
            match Avx2::try_new() {
                Some(isa) if rounded => quantize_shaped(isa, mode, shaping, &mut lanes, &grid, !dithered),
                _ => quantize_shaped(Portable::new(), mode, shaping, &mut lanes, &grid, !dithered),
            }
            for c in 0..2 {
                let mut lane = [Lane {
                    state: &mut alone[c],
                    input: &x[c][start..end],
                    dither: &d[c][start..end],
                    out: &mut single[c][start..end],
                }];
                quantize_shaped(Portable::new(), mode, shaping, &mut lane, &grid, !dithered);
            }
            start = end;
        }
        for c in 0..2 {
            for (name, got) in [("pair", &pair[c]), ("single", &single[c])] {
                let first = (0..n).find(|&i| got[i].to_bits() != expected[c][i].to_bits());
                assert!(
                    first.is_none(),
                    "{shaping:?} {mode:?} amp {amp} depths {depths:?} dither {dithered} block {block} roundps {rounded}: {name} \
                     channel {c} differs first at {first:?}"
                );
            }
        }
    }

    /// Every filter and quantizer, quiet and full-scale input (so both the clamp-free loop and
    /// the clamped one run), steady and changing depths, with and without dither, in blocks
    /// that do and do not line up with the depth changes.
    fn check_all(shaping: Shaping) {
        for mode in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
            for (amp, depths) in [
                (0.5, &[16.0][..]),
                (1.0, &[16.0]),
                (1.3, &[8.0]),
                (0.9, &[4.0, 2.0]),
                (0.5, &[16.0, 20.0, 21.0, 24.0]),
                (0.3, &[12.0, 12.5, 13.25]),
            ] {
                for dithered in [true, false] {
                    for block in [1, 64, 700, 5000] {
                        check(shaping, mode, amp, depths, dithered, block);
                    }
                }
            }
        }
    }

    #[test]
    fn f_weighted_3_tap_loop_is_its_definition() {
        check_all(Shaping::FWeighted3);
    }
    #[test]
    fn lipshitz_5_tap_loop_is_its_definition() {
        check_all(Shaping::Lipshitz5);
    }
    #[test]
    fn f_weighted_9_tap_loop_is_its_definition() {
        check_all(Shaping::FWeighted9);
    }
}

#[cfg(test)]
mod loop_tests {
    use super::*;
    use crate::DitherMode;
    use crate::QuantizerMode;
    use crate::engine::{Engine, Settings};
    use crate::test_util::*;

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
