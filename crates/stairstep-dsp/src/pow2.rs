//! The fast path's plain and dithered loops written for AVX-512, on grids whose step is a
//! power of two (whole bit depths up to 23). They compute the same bits as the portable
//! [`fused`](super::engine) loop in fewer operations per vector:
//!
//! - **Specials in one instruction.** `vfixupimmps` turns NaN and ±inf into zero (the
//!   portable loop spends an and, two compares and a blend); the mid-rise mute's
//!   `vfpclassps` mask rides on the last operation. (Dithered mid-rise, where a subnormal
//!   input can matter, classifies and blends.)
//! - **No scaling.** With Δ a power of two, `x·(1/Δ) + d` and `(x + d·Δ)·(1/Δ)` round the same
//!   way (scaling by a power of two is exact and commutes with rounding while nothing is
//!   subnormal, and nothing here is: see [`Pow2Grid::new`]), so the loop works in full-scale
//!   units and never multiplies by 1/Δ or by Δ.
//! - **Clamp in one instruction.** Levels k in [-2^(b-1), 2^(b-1) - 1] are the floors of
//!   w/Δ for w in [-1, 1). `vrangeps` limits |w| to [`EDGE`], the largest f32 below 1, keeping
//!   the sign, and the floor of the limited value is the clamped level: floor is monotonic,
//!   floor(EDGE/Δ) = 2^(b-1) - 1 and floor(-EDGE/Δ) = -2^(b-1) for b <= 24.
//! - **Floor in two single-cycle operations.** Adding `M = 1.5·2^23·Δ` rounded toward -inf
//!   (AVX-512's per-instruction rounding) lands where f32 values are exactly Δ apart, so it
//!   floors w to a multiple of Δ; subtracting M again is exact. (`vrndscaleps` needs its
//!   scale as an immediate and is two micro-operations on one port.)
//! - **Unity gain** (Output 0 dB) skips the last multiply: `q·1` is `q`.
//!
//! RPDF and high-pass TPDF values are computed first, a chunk at a time, by the same portable
//! code the other builds run ([`dither_at`]), then read by the vector loop; TPDF values are
//! computed in the vector loop itself, the same bits in fewer operations ([`tpdf_lanes`]).
//!
//! Reference: Intel 64 and IA-32 Architectures Software Developer's Manual, vol. 2
//! (`VFIXUPIMMPS`, `VFPCLASSPS`, `VRANGEPS`, EVEX embedded rounding).

use super::dither::{DitherMode, dither_at};
use super::quantizer::{Grid, QuantizerMode};
use super::rng::{MIX, WEYL, stream_word};
use super::simd::Avx512;
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// The largest f32 below 1 (1 - 2^-24): the input limit that keeps the level in range.
const EDGE: f32 = 0.999_999_94;

/// `vfixupimmps` table: one response per input class, class i in bits 4i..4i+4. QNaN (0),
/// SNaN (1), -inf (4) and +inf (5) give +0 (response 8); zero (2), +1 (3), negative (6) and
/// positive (7) values give the input (response 1).
const FIXUP: i32 = 0x1188_1188;
/// `vfpclassps` categories of input `sanitize` makes zero: QNaN (0x01), +inf (0x08), -inf
/// (0x10), subnormal (0x20), SNaN (0x80).
const SPECIAL: i32 = 0x01 | 0x08 | 0x10 | 0x20 | 0x80;
/// [`SPECIAL`] plus +0 (0x02) and -0 (0x04): input the mid-rise mute silences.
const SILENT: i32 = SPECIAL | 0x02 | 0x04;
/// `vrangeps` control: the lesser magnitude (bits 1:0 = 10), the sign of the first operand
/// (bits 3:2 = 00; 01 would take the sign of the value selected).
const LIMIT_MAGNITUDE: i32 = 0b0010;
/// Embedded rounding toward -inf, exceptions suppressed.
const DOWN: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
/// Samples whose dither values are computed ahead of the vector loop, on the stack.
const DITHER_CHUNK: usize = 256;

/// A grid the loops here can run: its constants in full-scale units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pow2Grid {
    /// Δ, a power of two from 2^-22 (23 bits) to 1 (1 bit).
    step: f32,
    /// Δ/2.
    half: f32,
    /// 1.5·2^23·Δ: where f32 values are Δ apart (w + M stays in [2^23·Δ, 2^24·Δ) for
    /// |w| <= 1 when Δ >= 2^-22).
    magic: f32,
}

impl Pow2Grid {
    /// The constants for `g`, if its step is a normal power of two no finer than 2^-22 (23
    /// bits) with the whole-bit level range [-1/Δ, 1/Δ - 1] (both quantizers' range at whole
    /// depths). Then every value the loops form is zero or a normal f32: the dither values
    /// are multiples of 2^-25 LSB, so d·Δ >= 2^-47, and a sum of such values that is not zero
    /// is at least the finer one's unit in the last place.
    pub fn new(g: &Grid) -> Option<Self> {
        let pow2 = g.step.is_normal() && g.step.to_bits() & 0x007f_ffff == 0;
        let whole = g.inv_step * g.step == 1.0 && g.k_min == -g.inv_step && g.k_max == g.inv_step - 1.0;
        (pow2 && whole && g.step >= 2f32.powi(-22)).then_some(Self {
            step: g.step,
            half: 0.5 * g.step,
            magic: 12_582_912.0 * g.step,
        })
    }
}

/// The vector constants of one loop.
#[derive(Clone, Copy)]
struct Constants {
    /// [`FIXUP`] in every lane.
    fixup: __m512i,
    half: __m512,
    magic: __m512,
    edge: __m512,
    gain: __m512,
}

/// One vector of the fused loop. `dstep` holds the dither in full-scale units (d·Δ) unless
/// `DITHER` is 0 (off).
///
/// # Safety
/// The CPU must support AVX-512 F and DQ.
#[inline(always)]
unsafe fn lanes<const DITHER: u8, const MID_RISE: bool, const UNITY: bool>(
    y: __m512,
    dstep: __m512,
    c: &Constants,
) -> __m512 {
    let dither = DITHER != 0;
    // SAFETY: the caller guarantees AVX-512 F and DQ; no memory is touched.
    unsafe {
        let w = if MID_RISE && !dither {
            // Silent input gives silence whatever is computed for it: masked at the end.
            y
        } else if MID_RISE {
            // x + d·Δ, special lanes taken as x = 0 (so d·Δ). Here a subnormal input must
            // count as zero too: with a dither value of exactly 0 a negative one would floor
            // to level -1 where zero floors to level 0, and `vfixupimmps` has no class for
            // subnormals, so this case classifies and blends.
            let special = _mm512_fpclass_ps_mask::<SPECIAL>(y);
            _mm512_mask_mov_ps(_mm512_add_ps(y, dstep), special, dstep)
        } else {
            // NOTE: `vfixupimmps` makes NaN and ±inf zero in one operation (a classification
            //       and a blend cost two, 6 % of the plain loop). Subnormal input stays as it
            //       is, unlike `sanitize`, and in mid-tread that cannot change the result: x + Δ/2
            //       rounds to Δ/2, as 0 + Δ/2 does; with dither, x + d·Δ rounds to d·Δ
            //       (d·Δ is zero or at least 2^-47), and where d·Δ is zero the ±subnormal that
            //       remains becomes Δ/2 once Δ/2 is added. (Under denormals-are-zero it counts
            //       as zero anyway.)
            let x = _mm512_fixupimm_ps::<0>(y, y, c.fixup);
            let a = _mm512_add_ps(x, if dither { dstep } else { c.half });
            if dither && !MID_RISE { _mm512_add_ps(a, c.half) } else { a }
        };
        let w = _mm512_range_ps::<LIMIT_MAGNITUDE>(w, c.edge);
        let q = _mm512_sub_ps(_mm512_add_round_ps::<DOWN>(w, c.magic), c.magic);
        if MID_RISE && !dither {
            // (k + 1/2)·Δ, silent lanes zero.
            let audible = !_mm512_fpclass_ps_mask::<SILENT>(y);
            if UNITY {
                _mm512_maskz_add_ps(audible, q, c.half)
            } else {
                _mm512_maskz_mul_ps(audible, _mm512_add_ps(q, c.half), c.gain)
            }
        } else {
            let q = if MID_RISE { _mm512_add_ps(q, c.half) } else { q };
            if UNITY { q } else { _mm512_mul_ps(q, c.gain) }
        }
    }
}

/// The dither of samples `first..` of the block in full-scale units (d·Δ for the dither value d
/// in LSB of [`dither_at`], bit for bit), `word(i)` being the stream's word for sample `i`.
/// (TPDF is computed in the vector loop itself: [`tpdf_lanes`].)
#[inline(always)]
fn fill_dither<const DITHER: u8>(out: &mut [MaybeUninit<f32>], word: &impl Fn(u32) -> u32, first: u32, step: f32) {
    for (j, o) in out.iter_mut().enumerate() {
        o.write(dither_at::<DITHER>(word, first.wrapping_add(j as u32)) * step);
    }
}

/// The constants of [`tpdf_lanes`].
#[derive(Clone, Copy)]
struct Tpdf {
    /// [`WEYL`], the stream's increment per sample.
    weyl: __m512i,
    /// [`MIX`], the multiplier of [`finish`](super::rng::finish).
    mix: __m512i,
    /// `0x8000_8000`: flips the top bit of each 16-bit half.
    bias: __m512i,
    /// 1 in every 16-bit half.
    ones: __m512i,
    /// 2^-16·Δ.
    scale: __m512,
}

impl Tpdf {
    /// # Safety
    /// The CPU must support AVX-512 F.
    #[inline(always)]
    unsafe fn new(step: f32) -> Self {
        // SAFETY: the caller guarantees AVX-512 F; no memory is touched.
        unsafe {
            Self {
                weyl: _mm512_set1_epi32(WEYL as i32),
                mix: _mm512_set1_epi32(MIX as i32),
                bias: _mm512_set1_epi32(0x8000_8000_u32 as i32),
                ones: _mm512_set1_epi16(1),
                scale: _mm512_set1_ps(step * (1.0 / 65536.0)),
            }
        }
    }
}

/// The TPDF dither in full-scale units (d·Δ, bit for bit `dither_at::<2>` times Δ) of the 16
/// samples whose stream counters are `c` (their words are `stream_word(c)`).
///
/// NOTE: The same value in fewer operations. With the word's halves a and b, `triangular` is
///       ((a + b + 1)·2^-16 - 1), and times Δ that is exactly (a + b - 65535)·s for s =
///       2^-16·Δ (every step exact: a power-of-two Δ, integers below 2^17). `vpmaddwd` of the
///       word with each half's top bit flipped sums the halves as signed 16-bit numbers,
///       a + b - 65536, in one operation (the flip merges into the hash's last xor as one
///       `vpternlogd`), and one fused multiply-add forms (a + b - 65536)·s + s, exact, so
///       rounding it changes nothing (the plain loops never fuse a rounded product). Five
///       operations after the second multiply where the chunk-ahead fill took eight (the
///       hash's last shift and xor, then and, shift, add, convert, multiply, add), and the
///       values no longer go through memory: 5 to 10 % of the TPDF loop on Zen 4.
///
/// (The loop carries `c·WEYL` as a running sum and starts at [`tpdf_of_weyl`]; the tests check
/// this whole step.)
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[cfg(test)]
#[inline(always)]
unsafe fn tpdf_lanes(c: __m512i, t: &Tpdf) -> __m512 {
    // SAFETY: the caller guarantees AVX-512 F and BW; no memory is touched.
    unsafe { tpdf_of_weyl(_mm512_mullo_epi32(c, t.weyl), t) }
}

/// [`tpdf_lanes`] from the Weyl sequence's values: `s` is `c·WEYL`.
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[inline(always)]
unsafe fn tpdf_of_weyl(s: __m512i, t: &Tpdf) -> __m512 {
    // SAFETY: the caller guarantees AVX-512 F and BW; no memory is touched.
    unsafe {
        // `finish` up to its last xor-shift, which joins the flip of the halves' top bits.
        let x = _mm512_xor_si512(s, _mm512_srli_epi32::<15>(s));
        tpdf_of_mixed(_mm512_mullo_epi32(x, t.mix), t)
    }
}

/// [`tpdf_lanes`] from the hash before its last xor-shift: the word is `x ^ (x >> 16)`.
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[inline(always)]
unsafe fn tpdf_of_mixed(x: __m512i, t: &Tpdf) -> __m512 {
    // SAFETY: the caller guarantees AVX-512 F and BW; no memory is touched.
    unsafe {
        // 0x96: a ^ b ^ c.
        let flipped = _mm512_ternarylogic_epi32::<0x96>(x, _mm512_srli_epi32::<16>(x), t.bias);
        let sum = _mm512_cvtepi32_ps(_mm512_madd_epi16(flipped, t.ones));
        _mm512_fmadd_ps(sum, t.scale, t.scale)
    }
}

/// The next vector's dither in full-scale units: RPDF and high-pass TPDF from `d` (lanes
/// under `m`), none as zeros. (TPDF has its own loop, [`run_tpdf`].)
///
/// # Safety
/// The CPU must support AVX-512 F; with dither 1 or 3, `d` must be readable in the lanes of
/// `m`.
#[inline(always)]
unsafe fn next_dither<const DITHER: u8>(d: *const f32, m: __mmask16) -> __m512 {
    // SAFETY: the caller guarantees the features and `d`'s lanes.
    unsafe {
        match DITHER {
            1 | 3 => _mm512_maskz_loadu_ps(m, d),
            _ => _mm512_setzero_ps(),
        }
    }
}

impl Constants {
    /// # Safety
    /// The CPU must support AVX-512 F.
    #[inline(always)]
    unsafe fn new(p: &Pow2Grid, gain: f32) -> Self {
        // SAFETY: the caller guarantees AVX-512 F; no memory is touched.
        unsafe {
            Self {
                fixup: _mm512_set1_epi32(FIXUP),
                half: _mm512_set1_ps(p.half),
                magic: _mm512_set1_ps(p.magic),
                edge: _mm512_set1_ps(EDGE),
                gain: _mm512_set1_ps(gain),
            }
        }
    }
}

/// The loop over one block without dither or with a dither read from memory (RPDF,
/// high-pass TPDF): dither values a chunk at a time, then the vectors, the last partial one
/// under a mask.
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW, and AVX2.
#[inline(always)]
unsafe fn run<const DITHER: u8, const MID_RISE: bool, const UNITY: bool>(
    block: &mut [f32],
    p: &Pow2Grid,
    gain: f32,
    origin: u32,
) {
    debug_assert!(DITHER != 2, "TPDF runs in run_tpdf");
    // SAFETY: the caller guarantees the features; every load and store below stays inside
    //         `chunk` or `dstep` (full vectors below `full`, the rest under a mask of the
    //         remaining lanes), and reads of `dstep` stay within the `n` values written to it
    //         for this chunk.
    unsafe {
        let c = Constants::new(p, gain);
        let word = |i: u32| stream_word(origin.wrapping_add(i));
        // NOTE: Left uninitialised (zeroing it cost about 5 % of the TPDF loop): the vector loop
        //       reads only the lanes the dither loop has just written.
        let mut dstep = [MaybeUninit::<f32>::uninit(); DITHER_CHUNK];
        let from_memory = DITHER == 1 || DITHER == 3;
        for (k, chunk) in block.chunks_mut(DITHER_CHUNK).enumerate() {
            let n = chunk.len();
            if from_memory {
                fill_dither::<DITHER>(&mut dstep[..n], &word, (k * DITHER_CHUNK) as u32, p.step);
            }
            let full = n - n % 16;
            let out = chunk.as_mut_ptr();
            let d = dstep.as_ptr().cast::<f32>();
            for j in (0..full).step_by(16) {
                let y = _mm512_loadu_ps(out.add(j));
                let ds = next_dither::<DITHER>(d.add(j), !0);
                _mm512_storeu_ps(out.add(j), lanes::<DITHER, MID_RISE, UNITY>(y, ds, &c));
            }
            if full < n {
                let m: __mmask16 = (1u16 << (n - full)) - 1;
                let y = _mm512_maskz_loadu_ps(m, out.add(full));
                let ds = next_dither::<DITHER>(d.add(full), m);
                _mm512_mask_storeu_ps(out.add(full), m, lanes::<DITHER, MID_RISE, UNITY>(y, ds, &c));
            }
        }
    }
}

/// The loop over one block with TPDF, the dither computed in the vector loop from the stream's
/// Weyl sequence ([`tpdf_of_weyl`]).
///
/// NOTE: The words' Weyl sequence `c·WEYL` is a running sum: the next vector's values are this
///       vector's plus 16·WEYL, one addition where the counters would take an addition and a
///       multiply. (The same values: multiplication mod 2^32 distributes over addition.)
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW, and AVX2.
#[inline(always)]
unsafe fn run_tpdf<const MID_RISE: bool, const UNITY: bool>(block: &mut [f32], p: &Pow2Grid, gain: f32, origin: u32) {
    // SAFETY: the caller guarantees the features; every load and store below stays inside
    //         `block` (full vectors below `full`, the rest under a mask of the remaining
    //         lanes).
    unsafe {
        let c = Constants::new(p, gain);
        let t = Tpdf::new(p.step);
        let ids = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let counters = _mm512_add_epi32(_mm512_set1_epi32(origin as i32), ids);
        let mut weyl = _mm512_mullo_epi32(counters, t.weyl);
        let stride = _mm512_set1_epi32(WEYL.wrapping_mul(16) as i32);
        let n = block.len();
        let full = n - n % 16;
        let out = block.as_mut_ptr();
        for j in (0..full).step_by(16) {
            let y = _mm512_loadu_ps(out.add(j));
            let ds = tpdf_of_weyl(weyl, &t);
            weyl = _mm512_add_epi32(weyl, stride);
            _mm512_storeu_ps(out.add(j), lanes::<2, MID_RISE, UNITY>(y, ds, &c));
        }
        if full < n {
            let m: __mmask16 = (1u16 << (n - full)) - 1;
            let y = _mm512_maskz_loadu_ps(m, out.add(full));
            let ds = tpdf_of_weyl(weyl, &t);
            _mm512_mask_storeu_ps(out.add(full), m, lanes::<2, MID_RISE, UNITY>(y, ds, &c));
        }
    }
}

/// The fused loop for one channel on a power-of-two grid, without the error output: the same
/// bits as the portable loop for the same `dither`, `quantizer`, `gain` and dither stream
/// position `origin`.
/// For holders of the AVX-512 token.
#[inline(always)]
pub fn fused(
    _: Avx512,
    dither: DitherMode,
    quantizer: QuantizerMode,
    block: &mut [f32],
    p: &Pow2Grid,
    gain: f32,
    origin: u32,
) {
    // SAFETY: An `Avx512` token exists only where the CPU has AVX-512 F, VL, DQ and BW, and
    //         AVX2 (`simd`).
    unsafe { fused_avx512(dither, quantizer, block, p, gain, origin) }
}

/// [`fused`]'s body.
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW, and AVX2.
#[target_feature(enable = "avx2,avx512f,avx512vl,avx512dq,avx512bw")]
unsafe fn fused_avx512(
    dither: DitherMode,
    quantizer: QuantizerMode,
    block: &mut [f32],
    p: &Pow2Grid,
    gain: f32,
    origin: u32,
) {
    macro_rules! go {
        (2, $r:literal) => {
            // SAFETY: this function's features are the callee's requirement.
            unsafe {
                if gain == 1.0 {
                    run_tpdf::<$r, true>(block, p, gain, origin)
                } else {
                    run_tpdf::<$r, false>(block, p, gain, origin)
                }
            }
        };
        ($d:literal, $r:literal) => {
            // SAFETY: this function's features are the callee's requirement.
            unsafe {
                if gain == 1.0 {
                    run::<$d, $r, true>(block, p, gain, origin)
                } else {
                    run::<$d, $r, false>(block, p, gain, origin)
                }
            }
        };
    }
    let rise = quantizer == QuantizerMode::MidRise;
    match (dither, rise) {
        (DitherMode::Off, false) => go!(0, false),
        (DitherMode::Off, true) => go!(0, true),
        (DitherMode::Rpdf, false) => go!(1, false),
        (DitherMode::Rpdf, true) => go!(1, true),
        (DitherMode::Tpdf, false) => go!(2, false),
        (DitherMode::Tpdf, true) => go!(2, true),
        (DitherMode::HighPassTpdf, false) => go!(3, false),
        (DitherMode::HighPassTpdf, true) => go!(3, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::lowbias32;

    /// Which grids qualify: whole depths from 1 to 23 bits in both quantizers, nothing else.
    #[test]
    fn whole_depths_up_to_23_bits_qualify() {
        for mode in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
            for bits in 1..=24 {
                let g = Grid::new(bits as f32, mode);
                assert_eq!(Pow2Grid::new(&g).is_some(), bits <= 23, "{bits} bits {mode:?}");
            }
            for bits in [1.5, 7.9, 8.1, 12.25, 23.5] {
                assert!(Pow2Grid::new(&Grid::new(bits, mode)).is_none(), "{bits} bits {mode:?}");
            }
        }
        assert_eq!(EDGE, f32::from_bits(1.0f32.to_bits() - 1));
    }

    /// The dither values, bit for bit those of the portable loop (`dither_at`, then ·Δ), for
    /// every dither at the coarsest and finest steps, over the words at the edges of both
    /// 16-bit halves and a stretch of the stream. (The quantized output alone would hide an
    /// error much smaller than an LSB.)
    fn check_fill<const DITHER: u8>() {
        let edges = [0u32, 1, 0xffff, 0x1_0000, 0x8000_8000, 0xffff_0000, 0xfffe_ffff, 0xffff_ffff];
        let stream: Vec<u32> = edges.iter().copied().chain((0..50_000u32).map(lowbias32)).collect();
        let word = |i: u32| stream[i as usize % stream.len()];
        for step in [2.0, 0.5, 2f32.powi(-7), 2f32.powi(-22)] {
            let mut out = vec![MaybeUninit::uninit(); stream.len()];
            fill_dither::<DITHER>(&mut out, &word, 0, step);
            for (i, o) in out.iter().enumerate() {
                // SAFETY: `fill_dither` wrote every element.
                let got = unsafe { o.assume_init() };
                let want = dither_at::<DITHER>(&word, i as u32) * step;
                assert_eq!(got.to_bits(), want.to_bits(), "dither {DITHER}, step {step}, word {:#x}", word(i as u32));
            }
        }
    }

    #[test]
    fn rpdf_fill_is_the_portable_dither() {
        check_fill::<1>();
    }

    /// The TPDF lanes, bit for bit the portable dither (`dither_at::<2>`, then ·Δ): from words
    /// (the edges of both halves and a stretch of the stream) at the coarsest and finest
    /// steps, and from stream counters through the hash, across the counter's wrap.
    #[test]
    fn tpdf_lanes_are_the_portable_dither() {
        if !(is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw")) {
            eprintln!("skipped: this CPU has no AVX-512 F and BW");
            return;
        }
        let edges = [0u32, 1, 0xffff, 0x1_0000, 0x8000_8000, 0xffff_0000, 0xfffe_ffff, 0xffff_ffff];
        let words: Vec<u32> = edges.iter().copied().chain((0..50_000u32).map(lowbias32)).collect();
        let lanes = |v: __m512| {
            let mut a = [0.0f32; 16];
            // SAFETY: `a` holds 16 floats.
            unsafe { _mm512_storeu_ps(a.as_mut_ptr(), v) };
            a
        };
        for step in [1.0, 0.5, 2f32.powi(-7), 2f32.powi(-22)] {
            // SAFETY: AVX-512 F and BW are present (checked above).
            let t = unsafe { Tpdf::new(step) };
            for w in words.chunks_exact(16) {
                // The hash before its last xor-shift that ends in `w`: x ^ (x >> 16) = w.
                let x: Vec<u32> = w.iter().map(|&w| w ^ (w >> 16)).collect();
                // SAFETY: as above; `x` holds 16 words.
                let got = lanes(unsafe { tpdf_of_mixed(_mm512_loadu_si512(x.as_ptr().cast()), &t) });
                for (l, &w) in w.iter().enumerate() {
                    let want = dither_at::<2>(&|_| w, 0) * step;
                    assert_eq!(got[l].to_bits(), want.to_bits(), "step {step}, word {w:#x}");
                }
            }
            for first in [0u32, 0xffff_fff8, 0x7fff_fff0, 12_345] {
                let c: Vec<u32> = (0..16).map(|l| first.wrapping_add(l)).collect();
                // SAFETY: as above; `c` holds 16 counters.
                let got = lanes(unsafe { tpdf_lanes(_mm512_loadu_si512(c.as_ptr().cast()), &t) });
                for (l, &c) in c.iter().enumerate() {
                    let want = dither_at::<2>(&stream_word, c) * step;
                    assert_eq!(got[l].to_bits(), want.to_bits(), "step {step}, counter {c:#x}");
                }
            }
        }
    }

    #[test]
    fn high_pass_tpdf_fill_is_the_portable_dither() {
        check_fill::<3>();
    }
}
