//! Uniform quantization of samples in [-1, 1) to a (possibly fractional) bit depth.
//!
//! With `b` bits the step is Δ = 2^(1-b) (continuous in `b`, as in Airwindows DeRez and
//! FFmpeg's acrusher, so automating the depth sweeps the grid smoothly instead of crossfading
//! two integer depths). Two classic characteristics (Widrow & Kollár, "Quantization Noise",
//! 2008, ch. 1):
//!
//! - mid-tread: Q(x) = Δ·floor(x/Δ + 1/2), levels kΔ, with a zero level;
//! - mid-rise:  Q(x) = Δ·(floor(x/Δ) + 1/2), levels (k + 1/2)Δ, no zero level.
//!
//! Levels are confined to [-1, 1): input beyond full scale clips to the outermost level. For
//! integer `b` that is k in [-2^(b-1), 2^(b-1) - 1], the range of a `b`-bit two's-complement
//! converter.

use super::simd::Isa;

choices! {
    /// Which quantization characteristic to use.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum QuantizerMode {
        /// Levels at kΔ: quiet input below Δ/2 becomes exact silence.
        MidTread,
        /// Levels at (k + 1/2)Δ: no zero level, so quiet input becomes ±Δ/2.
        MidRise,
    }
}

/// Lowest bit depth the quantizer accepts.
pub const MIN_BITS: f32 = 1.0;
/// Highest bit depth the quantizer accepts. At 24 bits every level index fits the exact
/// rounding range of [`round_half_even`] (|k| <= 2^23).
pub const MAX_BITS: f32 = 24.0;

/// `copysign(2^23, v)`: adding and subtracting it rounds an f32 to an integer.
const ROUND_MAGIC: f32 = 8_388_608.0;

/// Round to the nearest integer, ties to even, exactly for |v| <= 2^23.
///
/// `v + copysign(2^23, v)` lands in [2^23, 2^24] (or its negative), where the spacing of f32
/// values is exactly 1, so the addition itself rounds to an integer under the default
/// round-to-nearest-even mode; subtracting the constant again is exact. Unlike
/// `f32::round` this is a few plain instructions on baseline x86_64 (no SSE4.1 `roundps`) and
/// vectorises. Rust never re-associates float arithmetic, so the pair is not folded away.
#[inline(always)]
pub fn round_half_even(v: f32) -> f32 {
    let magic = ROUND_MAGIC.copysign(v);
    (v + magic) - magic
}

/// `floor(v)`, exactly, for |v| <= 2^23.
#[inline(always)]
pub fn floor_exact(v: f32) -> f32 {
    let r = round_half_even(v);
    if r > v { r - 1.0 } else { r }
}

/// `floor(v)` for the quantizers. In builds with SSE4.1's rounding ([`Isa::ROUND`]) it is
/// `f32::floor`, exact for any `v` and one rounding instruction (`roundps`, AVX-512
/// `vrndscaleps`) there but a library call elsewhere; in the others, [`floor_exact`] (five
/// plain instructions per vector, |v| <= 2^23 only).
///
/// NOTE: Both give the same value for every |v| <= 2^23, and the same bits for every such `v`
///       but -0.0 (`floor` keeps the sign, [`floor_exact`] gives +0.0). No -0.0 reaches them: the
///       input is sanitized (-0.0 becomes +0.0) and never underflows once scaled, dither values
///       are differences that give +0.0 when zero, and `v + 0.5` is +0.0 at -0.5.
#[inline(always)]
pub fn floor_q<I: Isa>(v: f32) -> f32 {
    if I::ROUND { v.floor() } else { floor_exact(v) }
}

/// `a` if it is greater than `b`, else `b`.
///
/// NOTE: Written as a select so it compiles to one `maxps` on x86. `f32::max` must also
///       handle NaN, which costs several instructions per lane (several times slower for the
///       quantizer loop); every value reaching the quantizer is finite.
#[inline(always)]
pub fn max_f(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// `a` if it is less than `b`, else `b` (one `minps`; see [`max_f`]).
#[inline(always)]
pub fn min_f(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// The quantization grid at one bit depth: the step and the range of level indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// 1/Δ = 2^(bits-1): input is multiplied by this to count steps. 1 to 2^23.
    pub inv_step: f32,
    /// Δ = 2^(1-bits), in full-scale units. 2^-23 to 1.
    pub step: f32,
    /// Lowest level index (an integer stored as f32, <= 0).
    pub k_min: f32,
    /// Highest level index (an integer stored as f32, >= 0).
    pub k_max: f32,
}

impl Grid {
    /// The grid for `bits` (clamped to [`MIN_BITS`, `MAX_BITS`]; NaN counts as `MAX_BITS`).
    pub fn new(bits: f32, mode: QuantizerMode) -> Self {
        let bits = if bits.is_nan() { MAX_BITS } else { bits.clamp(MIN_BITS, MAX_BITS) };
        // NOTE: For integer `bits` both are exact powers of two.
        let inv_step = libm::exp2f(bits - 1.0);
        let step = libm::exp2f(1.0 - bits);
        // Number of steps from zero to full scale.
        let l = inv_step as f64;
        let (k_min, k_max) = match mode {
            // kΔ in [-1, 1)
            QuantizerMode::MidTread => (-l.floor(), l.ceil() - 1.0),
            // (k + 1/2)Δ in [-1, 1)
            QuantizerMode::MidRise => ((-l - 0.5).ceil(), (l - 0.5).ceil() - 1.0),
        };
        Self { inv_step, step, k_min: k_min as f32, k_max: k_max as f32 }
    }

    /// The largest output magnitude this grid can produce.
    pub fn peak(&self, mode: QuantizerMode) -> f32 {
        let offset = match mode {
            QuantizerMode::MidTread => 0.0,
            QuantizerMode::MidRise => 0.5,
        };
        ((self.k_min + offset).abs()).max((self.k_max + offset).abs()) * self.step
    }
}

/// Per-sample grids for one block, in structure-of-arrays form so the quantizer loop
/// vectorises. All slices have the block's length.
pub struct GridBlock<'a> {
    /// 1/Δ per sample.
    pub inv_step: &'a [f32],
    /// Δ per sample.
    pub step: &'a [f32],
    /// Lowest level index per sample.
    pub k_min: &'a [f32],
    /// Highest level index per sample.
    pub k_max: &'a [f32],
}

/// Quantize `input` plus `dither` (in steps, LSB) onto the grids, writing `out`.
///
/// `mute_zero`: an input sample that is exactly 0.0 gives exactly 0.0 (mid-rise only; the
/// "digital zero" mute of converters, so that silence stays silent instead of becoming a DC
/// offset of Δ/2). Callers set it when no dither is added.
///
/// NOTE: `inline(always)` so the vector builds compile it too (see [`crate::simd`]); every
///       build gives the same bits (plain adds, multiplies and comparisons).
#[inline(always)]
pub fn quantize_block(
    mode: QuantizerMode,
    input: &[f32],
    dither: &[f32],
    grid: &GridBlock,
    mute_zero: bool,
    out: &mut [f32],
) {
    let n = out.len();
    debug_assert!(input.len() == n && dither.len() == n);
    debug_assert!(grid.inv_step.len() == n && grid.step.len() == n);
    debug_assert!(grid.k_min.len() == n && grid.k_max.len() == n);
    let (input, dither) = (&input[..n], &dither[..n]);
    let (inv, step, k_min, k_max) = (&grid.inv_step[..n], &grid.step[..n], &grid.k_min[..n], &grid.k_max[..n]);

    match mode {
        QuantizerMode::MidTread => {
            for i in 0..n {
                // Keep the index inside the exact rounding range before rounding.
                let v = min_f(max_f(input[i] * inv[i] + dither[i], k_min[i] - 1.0), k_max[i] + 1.0);
                let k = min_f(max_f(floor_exact(v + 0.5), k_min[i]), k_max[i]);
                out[i] = k * step[i];
            }
        }
        QuantizerMode::MidRise => {
            for i in 0..n {
                let v = min_f(max_f(input[i] * inv[i] + dither[i], k_min[i] - 1.0), k_max[i] + 1.0);
                let k = min_f(max_f(floor_exact(v), k_min[i]), k_max[i]);
                let y = (k + 0.5) * step[i];
                out[i] = if mute_zero && input[i] == 0.0 { 0.0 } else { y };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{Avx2, Portable};
    use crate::test_util::*;

    /// Quantize a whole signal on a constant grid, no dither.
    fn quantize(mode: QuantizerMode, bits: f32, x: &[f32]) -> Vec<f32> {
        let g = Grid::new(bits, mode);
        let n = x.len();
        let (inv, step, lo, hi) = (vec![g.inv_step; n], vec![g.step; n], vec![g.k_min; n], vec![g.k_max; n]);
        let grid = GridBlock { inv_step: &inv, step: &step, k_min: &lo, k_max: &hi };
        let mut out = vec![0.0; n];
        quantize_block(mode, x, &vec![0.0; n], &grid, true, &mut out);
        out
    }

    /// Undithered SNR of a 997 Hz sine (period not dividing 48 kHz) at amplitude 1 - Δ,
    /// against the uniform-error model 6.02·N + 1.76 dB (+ 20·log10 A for A < 1).
    fn check_snr(bits: u32) {
        let step = 2f64.powi(1 - bits as i32);
        let amp = 1.0 - step;
        let x = sine(997.0, 48000.0, amp, 48000);
        let y = quantize(QuantizerMode::MidTread, bits as f32, &x);
        let snr = snr_db(&x, &y);
        let expected = 6.0206 * bits as f64 + 1.7609 + 20.0 * amp.log10();
        assert!((snr - expected).abs() < 0.3, "{bits} bits: SNR {snr:.2} dB, expected {expected:.2}");
    }

    #[test]
    fn snr_8_bits() {
        check_snr(8);
    }
    #[test]
    fn snr_10_to_20_bits() {
        for bits in 9..=20 {
            check_snr(bits);
        }
    }

    /// The output levels of a fine sweep beyond full scale are exactly the documented set.
    fn check_level_set(mode: QuantizerMode, bits: u32) {
        let x: Vec<f32> = (0..=30000).map(|i| -1.5 + 3.0 * i as f32 / 30000.0).collect();
        let y = quantize(mode, bits as f32, &x);
        let step = 2f32.powi(1 - bits as i32);
        let half = 1i32 << (bits - 1);
        let offset = if mode == QuantizerMode::MidRise { 0.5 } else { 0.0 };
        let mut expected: Vec<f32> = (-half..half).map(|k| (k as f32 + offset) * step).collect();
        let mut got = y.clone();
        got.sort_by(f32::total_cmp);
        got.dedup();
        // Mid-rise maps exact 0.0 input to 0.0 (digital-zero mute); the sweep contains 0.0.
        if mode == QuantizerMode::MidRise {
            expected.push(0.0);
            expected.sort_by(f32::total_cmp);
        }
        assert_eq!(got, expected, "{mode:?} {bits} bits");
        // And each output is the reference formula evaluated in f64.
        for (&xi, &yi) in x.iter().zip(&y) {
            if xi == 0.0 && mode == QuantizerMode::MidRise {
                continue;
            }
            let d = step as f64;
            let raw = match mode {
                QuantizerMode::MidTread => (xi as f64 / d + 0.5).floor(),
                QuantizerMode::MidRise => (xi as f64 / d).floor(),
            };
            let k = raw.clamp(-half as f64, (half - 1) as f64);
            assert_eq!(yi as f64, (k + offset as f64) * d, "x = {xi}");
        }
    }

    #[test]
    fn level_set_mid_tread_1_bit() {
        check_level_set(QuantizerMode::MidTread, 1);
    }
    #[test]
    fn level_set_mid_tread_3_bits() {
        check_level_set(QuantizerMode::MidTread, 3);
    }
    #[test]
    fn level_set_mid_rise_1_bit() {
        check_level_set(QuantizerMode::MidRise, 1);
    }
    #[test]
    fn level_set_mid_rise_3_bits() {
        check_level_set(QuantizerMode::MidRise, 3);
    }
    #[test]
    fn level_set_mid_tread_8_bits() {
        check_level_set(QuantizerMode::MidTread, 8);
    }

    #[test]
    fn mid_tread_ties_round_up_as_floor_of_x_plus_half() {
        let y = quantize(QuantizerMode::MidTread, 3.0, &[0.125, -0.125, 0.375, -0.375]);
        // Δ = 0.25: 0.5 steps -> 1, -0.5 steps -> 0, 1.5 -> 2, -1.5 -> -1.
        assert_eq!(y, vec![0.25, 0.0, 0.5, -0.25]);
    }

    #[test]
    fn quiet_input_vanishes_mid_tread_and_becomes_half_step_mid_rise() {
        let x = sine(997.0, 48000.0, 0.003, 4800); // below Δ/2 = 1/256 at 8 bits
        assert!(quantize(QuantizerMode::MidTread, 8.0, &x).iter().all(|&y| y == 0.0));
        let y = quantize(QuantizerMode::MidRise, 8.0, &x);
        for (&xi, &yi) in x.iter().zip(&y) {
            if xi != 0.0 {
                assert_eq!(yi.abs(), 1.0 / 256.0);
                assert_eq!(yi.signum(), xi.signum());
            }
        }
    }

    /// Fractional depths: a continuous step 2^(1-b), outputs on its grid, SNR following the
    /// same 6.02·b + 1.76 law.
    fn check_fractional(bits: f32) {
        let g = Grid::new(bits, QuantizerMode::MidTread);
        assert!((g.step as f64 - 2f64.powf(1.0 - bits as f64)).abs() < 1e-7 * g.step as f64);
        let amp = 0.9;
        let x = sine(997.0, 48000.0, amp, 48000);
        let y = quantize(QuantizerMode::MidTread, bits, &x);
        for &yi in &y {
            let k = yi / g.step;
            assert!((k - k.round()).abs() < 1e-3, "{yi} is not on the grid of {bits} bits");
        }
        let snr = snr_db(&x, &y);
        let expected = 6.0206 * bits as f64 + 1.7609 + 20.0 * amp.log10();
        assert!((snr - expected).abs() < 0.3, "{bits} bits: SNR {snr:.2}, expected {expected:.2}");
    }

    #[test]
    fn fractional_8_5_bits() {
        check_fractional(8.5);
    }
    #[test]
    fn fractional_11_25_bits() {
        check_fractional(11.25);
    }
    #[test]
    fn fractional_14_75_bits() {
        check_fractional(14.75);
    }

    /// Every tenth of a bit from 8 to 10 buys its 0.6 dB: the depth is continuous, not two
    /// integer depths crossfaded.
    #[test]
    fn snr_follows_every_tenth_of_a_bit() {
        for i in 0..=20 {
            check_fractional(8.0 + 0.1 * i as f32);
        }
    }

    /// At very low depths the uniform-error model is only approximate (a few levels per
    /// period), but the error still stays within a step and the SNR within 1 dB of the law.
    #[test]
    fn low_fractional_depths_stay_near_the_law() {
        let x = sine(997.0, 48000.0, 0.9, 48000);
        for i in 0..=10 {
            let b = 4.0 + 0.1 * i as f32;
            let snr = snr_db(&x, &quantize(QuantizerMode::MidTread, b, &x));
            let expected = 6.0206 * b as f64 + 1.7609 + 20.0 * 0.9f64.log10();
            assert!((snr - expected).abs() < 1.0, "{b}: {snr:.2} vs {expected:.2}");
        }
    }

    #[test]
    fn outputs_stay_in_range_at_every_depth() {
        let x = [-1e30f32, -2.0, -1.0, -0.999, 0.0, 0.999, 1.0, 2.0, 1e30];
        for mode in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
            for bits in [1.0, 1.5, 2.0, 7.3, 16.0, 23.0, 23.9, 24.0, 0.0, 100.0, f32::NAN] {
                let g = Grid::new(bits, mode);
                for y in quantize(mode, bits, &x) {
                    assert!(y.is_finite() && (-1.0..1.0).contains(&y), "{mode:?} {bits}: {y}");
                    assert!(y.abs() <= g.peak(mode));
                }
            }
        }
    }

    #[test]
    fn rounding_helpers_are_exact() {
        for v in [-8388608.0f32, -4194304.5, -2.5, -1.5, -0.5, -0.3, 0.0, 0.3, 0.5, 1.5, 2.5, 4194303.5, 8388607.0] {
            let expected = v.round_ties_even();
            assert_eq!(round_half_even(v), expected, "{v}");
            assert_eq!(floor_exact(v), v.floor(), "{v}");
            assert_eq!(floor_q::<Avx2>(v).to_bits(), floor_q::<Portable>(v).to_bits(), "{v}");
        }
        let mut s = 12345u32;
        for _ in 0..100000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let v = (s as f32 / u32::MAX as f32 - 0.5) * 2.0 * 8388608.0;
            assert_eq!(round_half_even(v), v.round_ties_even(), "{v}");
            assert_eq!(floor_exact(v), v.floor(), "{v}");
            assert_eq!(floor_q::<Avx2>(v).to_bits(), floor_q::<Portable>(v).to_bits(), "{v}");
        }
    }
}
