//! Anti-alias for the quantizer: 4x oversampling around a first-order antiderivative
//! anti-aliased (ADAA) staircase.
//!
//! A staircase has harmonics far above any sample rate, so quantizing at the host rate folds
//! them back as inharmonic aliases. ADAA (Parker, Zavalishin & Le Bivic, "Reducing the
//! aliasing of nonlinear waveshaping using continuous-time convolution", DAFx 2016) outputs
//! the staircase averaged over the straight line between consecutive inputs,
//! `(F(x[n]) - F(x[n-1])) / (x[n] - x[n-1])` with `F` the staircase's antiderivative, which
//! suppresses the folded energy. At the host rate that average also spans many steps of a
//! fast signal and dulls the staircase's own in-band harmonics (by 18 dB for the third
//! harmonic of a 3517 Hz sine at 6 bits, in a model measured while designing this); at 4x
//! the average spans a quarter as much, and the in-band harmonics stay within 0.3 dB while
//! the aliases fall by about 20 dB (ideal filters; 2x was not enough: harmonics -3 dB).
//!
//! Antiderivatives, in steps (t = x/Δ), for levels k in [k_min, k_max]:
//! - mid-tread, k = clamp(floor(t + ½)): `G(t) = k·t - k²/2`;
//! - mid-rise,  m = clamp(floor(t)):     `G(t) = (m + ½)·t - m(m + 1)/2`.
//!
//! Both are continuous, also across the clipping points. The filters are Kaiser-windowed
//! FIRs from `scripts/design_oversampling.py`; with half a 4x sample of ADAA delay the path
//! delays the signal by exactly [`LATENCY`] host samples, which the plugin reports to the host
//! (and by which it delays the dry signal).

pub use coefficients::LATENCY;
use coefficients::{DOWN1, DOWN2, UP1, UP2};

mod coefficients;
use super::quantizer::GridBlock;
use super::quantizer::QuantizerMode;
use super::simd::Isa;

/// Taps of the first interpolator's even branch (×2): every even tap of [`UP1`].
const UP1_TAPS: usize = UP1.len().div_ceil(2);
/// Taps of the second interpolator's even branch (×2).
const UP2_TAPS: usize = UP2.len().div_ceil(2);
/// The half-band interpolators' odd branches hold one tap, the centre one, this many inputs
/// back.
const UP1_CENTRE: usize = UP1.len() / 4;
const UP2_CENTRE: usize = UP2.len() / 4;
/// Past inputs each phase buffer keeps: the even and odd phases of the 4x stream for
/// [`DOWN2`], of the 2x stream for [`DOWN1`].
const DOWN2_HISTORY: usize = DOWN2.len() / 2;
const DOWN1_EVEN_HISTORY: usize = DOWN1.len() / 2;
const DOWN1_ODD_HISTORY: usize = DOWN1.len() / 4 + 1;

/// One channel's anti-alias path: host rate → 4x → ADAA staircase → host rate, a block at a
/// time.
///
/// Each filter stage runs tap by tap over all of the block's outputs (a vectorised
/// multiply-add per tap), every output's sum taken over the taps in the same order as the
/// per-sample definition
/// ([`Reference`]), so the result is the same up to the sign of exact zeros; the half-band
/// filters skip their zero taps, and the decimators read the even and odd phases of their
/// input from separate buffers so every tap is a contiguous load. Buffers are sized in
/// [`Oversampler::new`] for the longest block.
#[derive(Debug, Clone)]
pub struct Oversampler {
    /// Host-rate input: `UP1_TAPS - 1` past samples, then the block.
    x1: Vec<f32>,
    /// 2x stream: `UP2_TAPS - 1` past samples, then the block's.
    x2: Vec<f32>,
    /// The 4x stream before the staircase ([`adaa_settled`] then overwrites it with the
    /// staircase on its way to `z_even` and `z_odd`).
    quad: Vec<f32>,
    /// The 4x stream after the staircase, even and odd samples, each after
    /// `DOWN2_HISTORY` past ones.
    z_even: Vec<f32>,
    z_odd: Vec<f32>,
    /// The decimated 2x stream, even samples after `DOWN1_EVEN_HISTORY` past ones and odd
    /// ones after `DOWN1_ODD_HISTORY`.
    s_even: Vec<f32>,
    s_odd: Vec<f32>,
    /// The host-rate output.
    out: Vec<f32>,
    /// Filter sums, one per output of a stage (up to two per host sample).
    acc: Vec<f32>,
    /// The settled staircase's scaled inputs t = x/Δ: the previous block's last, then the
    /// block's 4x stream (see [`adaa_settled`]).
    t: Vec<f64>,
    /// The staircase's antiderivative at each of [`Oversampler::t`].
    g: Vec<f64>,
    /// The staircase's previous input, full-scale units.
    previous: f64,
    /// Longest block.
    max_block: usize,
}

impl Oversampler {
    /// A silent path for blocks of at most `max_block` samples.
    pub fn new(max_block: usize) -> Self {
        let n = max_block;
        Self {
            x1: vec![0.0; UP1_TAPS - 1 + n + PAD],
            x2: vec![0.0; UP2_TAPS - 1 + 2 * n + PAD],
            quad: vec![0.0; 4 * n],
            z_even: vec![0.0; DOWN2_HISTORY + 2 * n + PAD],
            z_odd: vec![0.0; DOWN2_HISTORY + 2 * n + PAD],
            s_even: vec![0.0; DOWN1_EVEN_HISTORY + n + PAD],
            s_odd: vec![0.0; DOWN1_ODD_HISTORY + n + PAD],
            out: vec![0.0; n],
            acc: vec![0.0; 2 * n],
            t: vec![0.0; 4 * n + 1],
            g: vec![0.0; 4 * n + 1],
            previous: 0.0,
            max_block,
        }
    }

    /// Clear every filter and the staircase's state.
    pub fn reset(&mut self) {
        for b in [&mut self.x1, &mut self.x2, &mut self.z_even, &mut self.z_odd, &mut self.s_even, &mut self.s_odd] {
            b.fill(0.0);
        }
        self.previous = 0.0;
    }

    /// Quantize a block through the 4x ADAA path; the output (delayed by [`LATENCY`]) is
    /// the returned slice, as long as `x`. `isa`, the build: the staircase floors with the
    /// CPU's rounding instruction where it has one ([`floor64`]), and the filters take their
    /// AVX-512 kernel in the AVX-512 build ([`stage`]); the same output in every build.
    #[inline(always)]
    pub fn process<I: Isa>(
        &mut self,
        isa: I,
        mode: QuantizerMode,
        grid: &GridBlock,
        mute_zero: bool,
        x: &[f32],
    ) -> &[f32] {
        let n = x.len();
        assert!(n <= self.max_block, "block of {n} beyond the {} sized for", self.max_block);
        debug_assert!(grid.step.len() == n);
        // Host rate to 2x.
        let h1 = UP1_TAPS - 1;
        self.x1[h1..h1 + n].copy_from_slice(x);
        let c1 = 2.0 * UP1[2 * UP1_CENTRE + 1];
        let x2 = &mut self.x2[UP2_TAPS - 1..UP2_TAPS - 1 + 2 * n];
        interpolate::<UP1_TAPS, { UP1_TAPS - 1 }, I>(isa, &UP1_EVEN, &self.x1, c1, UP1_CENTRE, n, &mut self.acc, x2);
        // 2x to 4x.
        let c2 = 2.0 * UP2[2 * UP2_CENTRE + 1];
        interpolate::<UP2_TAPS, { UP2_TAPS - 1 }, I>(
            isa,
            &UP2_EVEN,
            &self.x2,
            c2,
            UP2_CENTRE,
            2 * n,
            &mut self.acc,
            &mut self.quad[..4 * n],
        );
        // The staircase, into the decimator's phase buffers.
        let (ze, zo) = (&mut self.z_even[DOWN2_HISTORY..], &mut self.z_odd[DOWN2_HISTORY..]);
        let previous = &mut self.previous;
        if let Some(g) = settled(grid) {
            let (quad, t, a) = (&mut self.quad[..4 * n], &mut self.t[..4 * n + 1], &mut self.g[..4 * n + 1]);
            match (mode, mute_zero) {
                (QuantizerMode::MidTread, _) => adaa_settled::<false, false, I>(g, previous, quad, t, a, ze, zo),
                (QuantizerMode::MidRise, false) => adaa_settled::<true, false, I>(g, previous, quad, t, a, ze, zo),
                (QuantizerMode::MidRise, true) => adaa_settled::<true, true, I>(g, previous, quad, t, a, ze, zo),
            }
        } else {
            let quad = &self.quad[..4 * n];
            match (mode, mute_zero) {
                (QuantizerMode::MidTread, _) => adaa_block::<false, false, I>(grid, previous, quad, ze, zo),
                (QuantizerMode::MidRise, false) => adaa_block::<true, false, I>(grid, previous, quad, ze, zo),
                (QuantizerMode::MidRise, true) => adaa_block::<true, true, I>(grid, previous, quad, ze, zo),
            }
        }
        // 4x to 2x: output p is Σ_j h_j·z[2p - j]; z[2p - j] is z_even[p - j/2] for even j and
        // z_odd[p - (j+1)/2] for odd j.
        {
            let acc = &mut self.acc[..2 * n];
            stage::<{ DOWN2_PHASES.len() }, { reach(&DOWN2_PHASES, false) }, { reach(&DOWN2_PHASES, true) }, I>(
                isa,
                &DOWN2_PHASES,
                &self.z_even,
                &self.z_odd,
                acc,
            );
            let (se, so) = (&mut self.s_even[DOWN1_EVEN_HISTORY..], &mut self.s_odd[DOWN1_ODD_HISTORY..]);
            for ((pair, e), o) in acc.chunks_exact(2).zip(se.iter_mut()).zip(so.iter_mut()) {
                *e = pair[0];
                *o = pair[1];
            }
        }
        // 2x to host rate, the half-band's zero taps skipped: the even taps, with the centre
        // one in its place among them.
        stage::<{ DOWN1_PHASES.len() }, { reach(&DOWN1_PHASES, false) }, { reach(&DOWN1_PHASES, true) }, I>(
            isa,
            &DOWN1_PHASES,
            &self.s_even,
            &self.s_odd,
            &mut self.out[..n],
        );
        // Keep each buffer's history for the next block.
        shift(&mut self.x1, UP1_TAPS - 1, n);
        shift(&mut self.x2, UP2_TAPS - 1, 2 * n);
        shift(&mut self.z_even, DOWN2_HISTORY, 2 * n);
        shift(&mut self.z_odd, DOWN2_HISTORY, 2 * n);
        shift(&mut self.s_even, DOWN1_EVEN_HISTORY, n);
        shift(&mut self.s_odd, DOWN1_ODD_HISTORY, n);
        &self.out[..n]
    }
}

/// An interpolator's even branch as [`fir`] taps: tap `j` is `2·h[2j]` on `x[h - j + i]`
/// for the `T - 1` past inputs `x` holds first (ordered by `j`, as the per-sample filter
/// sums).
const fn even_taps<const T: usize>(h: &[f32]) -> [(f32, bool, usize); T] {
    let mut taps = [(0.0, false, 0); T];
    let mut j = 0;
    while j < T {
        taps[j] = (2.0 * h[2 * j], false, T - 1 - j);
        j += 1;
    }
    taps
}

/// [`UP1`]'s even taps ×2 (see [`even_taps`]).
const UP1_EVEN: [(f32, bool, usize); UP1_TAPS] = even_taps::<UP1_TAPS>(&UP1);
/// [`UP2`]'s even taps ×2.
const UP2_EVEN: [(f32, bool, usize); UP2_TAPS] = even_taps::<UP2_TAPS>(&UP2);

/// A decimator's tap `j` as a [`fir`] tap on its input's phases: `z[2p - j]` is the even
/// phase's `p - j/2` for even `j` and the odd phase's `p - (j+1)/2` for odd `j`, the phases
/// holding `even_history` and `odd_history` past samples first.
///
/// NOTE: The decimators' tables are built at compile time: building them with
///       `array::from_fn` on every call (twice per chunk and channel) took about 6 % of the
///       Anti-alias profile.
const fn phase_tap(h: &[f32], j: usize, even_history: usize, odd_history: usize) -> (f32, bool, usize) {
    if j.is_multiple_of(2) { (h[j], false, even_history - j / 2) } else { (h[j], true, odd_history - j.div_ceil(2)) }
}

/// [`DOWN2`]'s taps, every one, in order (see [`phase_tap`]).
const DOWN2_PHASES: [(f32, bool, usize); DOWN2.len()] = {
    let mut taps = [(0.0, false, 0); DOWN2.len()];
    let mut j = 0;
    while j < DOWN2.len() {
        taps[j] = phase_tap(&DOWN2, j, DOWN2_HISTORY, DOWN2_HISTORY);
        j += 1;
    }
    taps
};

/// [`DOWN1`]'s taps without the half-band's zeros: the even taps in order, with the centre
/// tap in its place among them (the per-sample definition's summing order).
const DOWN1_PHASES: [(f32, bool, usize); DOWN1.len().div_ceil(2) + 1] = {
    let centre = DOWN1.len() / 2;
    let mut taps = [(0.0, false, 0); DOWN1.len().div_ceil(2) + 1];
    let mut t = 0;
    while t < taps.len() {
        let j = if t <= centre / 2 {
            2 * t
        } else if t == centre / 2 + 1 {
            centre
        } else {
            2 * (t - 1)
        };
        taps[t] = phase_tap(&DOWN1, j, DOWN1_EVEN_HISTORY, DOWN1_ODD_HISTORY);
        t += 1;
    }
    taps
};

/// Move the last `history` of the `history + n` valid samples to the front.
#[inline(always)]
fn shift(buf: &mut [f32], history: usize, n: usize) {
    buf.copy_within(n..n + history, 0);
}

/// One FIR stage over a block: `out[i] = Σ_t c_t·src_t[start_t + i]` for `taps = (c_t, odd?,
/// start_t)`, `src_t` being `odd` or `even`, each sum started at `-0.0` and taken over the
/// taps in order (the per-sample definition's order, so the same bits).
///
/// NOTE: Register tiling. [`TILE`] outputs stay in registers (eight AVX2 or four AVX-512
///       vectors) while every tap streams past them, so each multiply-add costs one load and
///       the sums are stored once; summing tap by tap over the whole block instead loaded and
///       stored every sum once per tap. The taps are compile-time tables of offsets, not
///       arrays of slices built on each call (those took about 5 % of the Anti-alias profile).
#[inline(always)]
fn fir<const T: usize>(taps: &[(f32, bool, usize); T], even: &[f32], odd: &[f32], out: &mut [f32]) {
    const W: usize = 8;
    const V: usize = TILE / W;
    let n = out.len();
    let tiles = n / TILE;
    let source = |is_odd: bool| if is_odd { odd } else { even };
    for (k, o) in out[..tiles * TILE].chunks_exact_mut(TILE).enumerate() {
        let i = k * TILE;
        let mut acc = [[-0.0f32; W]; V];
        for &(c, is_odd, start) in taps {
            let x: &[f32; TILE] = source(is_odd)[start + i..start + i + TILE].try_into().unwrap();
            for (v, a) in acc.iter_mut().enumerate() {
                for (l, a) in a.iter_mut().enumerate() {
                    *a += c * x[v * W + l];
                }
            }
        }
        for (o, a) in o.chunks_exact_mut(W).zip(&acc) {
            o.copy_from_slice(a);
        }
    }
    fir_tail(taps, even, odd, out, tiles * TILE);
}

/// [`fir`]'s outputs from `from` on, one at a time (a block's last, fewer than a tile).
#[inline(always)]
fn fir_tail<const T: usize>(taps: &[(f32, bool, usize); T], even: &[f32], odd: &[f32], out: &mut [f32], from: usize) {
    let source = |is_odd: bool| if is_odd { odd } else { even };
    for (i, o) in out.iter_mut().enumerate().skip(from) {
        let mut a = -0.0f32;
        for &(c, is_odd, start) in taps {
            a += c * source(is_odd)[start + i];
        }
        *o = a;
    }
}

/// Samples of padding after each filter buffer's data: [`wide::fir`] loads whole vectors
/// from a tile's start, up to 15 samples past the last one it uses.
const PAD: usize = 16;

/// The furthest start among a [`fir`] table's taps on one phase (`odd` or even), 0 if none.
const fn reach(taps: &[(f32, bool, usize)], odd: bool) -> usize {
    let (mut furthest, mut t) = (0, 0);
    while t < taps.len() {
        if taps[t].1 == odd && taps[t].2 > furthest {
            furthest = taps[t].2;
        }
        t += 1;
    }
    furthest
}

/// A FIR stage ([`fir`]): the AVX-512 kernel ([`wide::fir`]) in the AVX-512 build, else the
/// portable loop: the same sums in the same order, so the same bits
/// (`block_path_is_the_per_sample_definition_*` run both). `EVEN_REACH` and `ODD_REACH`
/// are [`reach`] of `taps`.
#[inline(always)]
fn stage<const T: usize, const EVEN_REACH: usize, const ODD_REACH: usize, I: Isa>(
    isa: I,
    taps: &[(f32, bool, usize); T],
    even: &[f32],
    odd: &[f32],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx512) = isa.avx512() {
        wide::fir::<T, EVEN_REACH, ODD_REACH>(avx512, taps, even, odd, out);
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    fir(taps, even, odd, out);
}

/// [`fir`] for AVX-512: each tile loads its input once into registers (`LANES` samples a
/// register, from the tile's start), and every other tap takes its window out of them with
/// `valignd` instead of four loads of its own.
///
/// NOTE: [`fir`]'s loop is bound by its loads (a 64-byte load at an offset of one sample
///       from the last nearly always crosses a cache line). Windows shifted out of
///       registers move that work to the vector pipes; half and half balances the two
///       (measured against loads alone and every tap shifted: docs/BENCHMARKS.md). The taps
///       are unrolled so each tap's offset, and so each shift, is a constant.
#[cfg(target_arch = "x86_64")]
mod wide {
    use super::{MAX_TAPS, TILE, fir_tail};
    use crate::simd::Avx512;
    use std::arch::x86_64::*;

    /// Samples per register.
    const LANES: usize = 16;
    /// Registers a tile's input can need: [`TILE`] plus the longest reach, and one more.
    const HELD: usize = 7;

    /// Repeats `$body` with `$j` bound to each literal in turn.
    macro_rules! for_each_index {
        ($j:ident in [$($n:literal)*] $body:block) => {
            $( { let $j: usize = $n; $body } )*
        };
    }

    /// The 16 lanes from lane `r` on of `low` followed by `high` (`r` in 0..16, a constant
    /// where this is used, so the match folds to one instruction).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn shifted(low: __m512, high: __m512, r: usize) -> __m512 {
        let (a, b) = (_mm512_castps_si512(high), _mm512_castps_si512(low));
        macro_rules! by {
            ($($k:literal)*) => {
                match r {
                    0 => b,
                    $( $k => _mm512_alignr_epi32::<$k>(a, b), )*
                    _ => unreachable!(),
                }
            };
        }
        _mm512_castsi512_ps(by!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
    }

    /// See the module's doc, for holders of the AVX-512 token. Preconditions, checked: every
    /// tap's start is within its phase's reach, each phase holds its reach plus a register of
    /// padding beyond `out`.
    #[inline(always)]
    pub(super) fn fir<const T: usize, const EVEN_REACH: usize, const ODD_REACH: usize>(
        _: Avx512,
        taps: &[(f32, bool, usize); T],
        even: &[f32],
        odd: &[f32],
        out: &mut [f32],
    ) {
        // SAFETY: An `Avx512` token exists only where the CPU has AVX-512 F (`simd`).
        unsafe { fir_avx512::<T, EVEN_REACH, ODD_REACH>(taps, even, odd, out) }
    }

    /// [`fir`]'s body.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F.
    #[target_feature(enable = "avx512f")]
    unsafe fn fir_avx512<const T: usize, const EVEN_REACH: usize, const ODD_REACH: usize>(
        taps: &[(f32, bool, usize); T],
        even: &[f32],
        odd: &[f32],
        out: &mut [f32],
    ) {
        const { assert!(T <= MAX_TAPS && TILE == 4 * LANES) };
        let held = |reach: usize| (TILE + reach) / LANES + 1;
        const { assert!((TILE + EVEN_REACH) / LANES < HELD && (TILE + ODD_REACH) / LANES < HELD) };
        let n = out.len();
        let tiles = n / TILE;
        if tiles > 0 {
            // Every load below is within these: tile k reads from k·TILE up to
            // held(reach)·LANES samples on (its direct loads end before TILE + reach).
            let last = (tiles - 1) * TILE;
            assert!(even.len() >= last + held(EVEN_REACH) * LANES && odd.len() >= last + held(ODD_REACH) * LANES);
        }
        let (pe, po) = (even.as_ptr(), odd.as_ptr());
        for k in 0..tiles {
            let i = k * TILE;
            let mut held_even = [_mm512_setzero_ps(); HELD];
            let mut held_odd = [_mm512_setzero_ps(); HELD];
            for (m, h) in held_even.iter_mut().enumerate().take(held(EVEN_REACH)) {
                // SAFETY: within `even` (the assertion above).
                *h = unsafe { _mm512_loadu_ps(pe.add(i + m * LANES)) };
            }
            for (m, h) in held_odd.iter_mut().enumerate().take(held(ODD_REACH)) {
                // SAFETY: within `odd` (the assertion above).
                *h = unsafe { _mm512_loadu_ps(po.add(i + m * LANES)) };
            }
            let mut acc = [_mm512_set1_ps(-0.0); 4];
            for_each_index!(j in [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31] {
                if let Some(&(c, is_odd, start)) = taps.get(j) {
                    assert!(start <= if is_odd { ODD_REACH } else { EVEN_REACH });
                    let (regs, p) = if is_odd { (&held_odd, po) } else { (&held_even, pe) };
                    let c = _mm512_set1_ps(c);
                    let (q, r) = (start / LANES, start % LANES);
                    for (v, a) in acc.iter_mut().enumerate() {
                        let x = if j % 2 == 1 {
                            // SAFETY: start ≤ reach, so the window ends within the assertion's bound.
                            unsafe { _mm512_loadu_ps(p.add(i + start + v * LANES)) }
                        } else {
                            shifted(regs[q + v], regs[q + v + 1], r)
                        };
                        *a = _mm512_add_ps(*a, _mm512_mul_ps(c, x));
                    }
                }
            });
            for (v, a) in acc.iter().enumerate() {
                // SAFETY: out[i + 16v..i + 16v + 16] is within the tile.
                unsafe { _mm512_storeu_ps(out[i + v * LANES..i + v * LANES + LANES].as_mut_ptr(), *a) };
            }
        }
        fir_tail(taps, even, odd, out, tiles * TILE);
    }
}

/// Taps a [`fir`] table may have ([`wide::fir`]'s unrolled loop).
#[cfg(target_arch = "x86_64")]
const MAX_TAPS: usize = 32;

/// Outputs a [`fir`] keeps in registers at once: enough independent sums to cover the
/// latency of an add at full throughput (64 beat 32 with AVX-512).
const TILE: usize = 64;

/// Interpolation by 2 of `n` inputs (`x` holds `T - 1` past inputs first): output `2m` is
/// `Σ_j even[j]·x[m - j]` in order of `j` (`even` from [`even_taps`]), output `2m + 1` is
/// `centre_tap·x[m - centre]`. `acc` is scratch of at least `n`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn interpolate<const T: usize, const REACH: usize, I: Isa>(
    isa: I,
    even: &[(f32, bool, usize); T],
    x: &[f32],
    centre_tap: f32,
    centre: usize,
    n: usize,
    acc: &mut [f32],
    out: &mut [f32],
) {
    let h = T - 1;
    const { assert!(REACH == T - 1) };
    let acc = &mut acc[..n];
    stage::<T, REACH, 0, I>(isa, even, x, x, acc);
    let delayed = &x[h - centre..h - centre + n];
    for ((o, &a), &d) in out[..2 * n].chunks_exact_mut(2).zip(acc.iter()).zip(delayed) {
        o[0] = a;
        o[1] = centre_tap * d;
    }
}

/// `floor(v)`, exactly. In builds with SSE4.1 ([`Isa::ROUND`]) the CPU's rounding
/// instruction; without, plain arithmetic that vectorises on baseline x86_64, where
/// `f64::floor` is a library call, exact for |v| < 2^51. The staircase clamps every floor to
/// levels within ±2^23, so both give the same level for any finite `v`: beyond 2^51 both are
/// far outside them.
#[inline(always)]
fn floor64<I: Isa>(v: f64) -> f64 {
    if I::ROUND {
        v.floor()
    } else {
        const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2^52
        let r = (v + MAGIC) - MAGIC;
        if r > v { r - 1.0 } else { r }
    }
}

/// `v` limited to `[lo, hi]` (finite operands; one `maxpd` and one `minpd`).
#[inline(always)]
fn clamp64(v: f64, lo: f64, hi: f64) -> f64 {
    let v = if v > lo { v } else { lo };
    if v < hi { v } else { hi }
}

/// [`AdaaQuantizer::process`] over the 4x stream `quad`, host sample `i`'s grid for its four
/// samples, written alternately to `even` and `odd`: the same arithmetic on the same values,
/// without branches. `MUTE`: mid-rise's digital-zero mute.
///
/// NOTE: Straight-line code on purpose: LLVM vectorises it across host samples, one vector
///       per segment position (the AVX-512 build: eight host samples per vector, checked in
///       the assembly). Carrying each segment's end antiderivative into the next segment
///       within this loop, computing the still-input fallback only where a segment is still,
///       and eight lanes per pass were each tried, and each was slower, because each stopped
///       that vectorisation. A block at one bit depth takes [`adaa_settled`] instead, which
///       shares the antiderivatives across passes over arrays.
#[inline(always)]
fn adaa_block<const MID_RISE: bool, const MUTE: bool, I: Isa>(
    grid: &GridBlock,
    previous: &mut f64,
    quad: &[f32],
    even: &mut [f32],
    odd: &mut [f32],
) {
    let n = grid.step.len();
    let quad = &quad[..4 * n];
    let (even, odd) = (&mut even[..2 * n], &mut odd[..2 * n]);
    let (offset, centre) = if MID_RISE { (0.0, 0.5) } else { (0.5, 0.0) };
    let mut prev = *previous;
    for i in 0..n {
        let (inv, step) = (grid.inv_step[i] as f64, grid.step[i] as f64);
        let (lo, hi) = (grid.k_min[i] as f64, grid.k_max[i] as f64);
        let top = hi + 1.0 - offset;
        let bottom = lo - offset;
        let level = |t: f64| clamp64(floor64::<I>(t + offset), lo, hi);
        let antiderivative = |t: f64| {
            let k = level(t);
            if MID_RISE { (k + 0.5) * t - k * (k + 1.0) / 2.0 } else { k * t - k * k / 2.0 }
        };
        let q: &[f32; 4] = quad[4 * i..4 * i + 4].try_into().unwrap();
        let x0 = [prev, q[0] as f64, q[1] as f64, q[2] as f64];
        let t0: [f64; 4] = std::array::from_fn(|s| x0[s] * inv);
        let t1: [f64; 4] = std::array::from_fn(|s| q[s] as f64 * inv);
        let dt: [f64; 4] = std::array::from_fn(|s| t1[s] - t0[s]);
        let mut y = [0.0f32; 4];
        for s in 0..4 {
            let averaged = (antiderivative(t1[s]) - antiderivative(t0[s])) / dt[s];
            let still = level(0.5 * (t0[s] + t1[s])) + centre;
            let k = if dt[s].abs() > 1e-9 { averaged } else { still };
            let mut v = (clamp64(k, lo + centre, hi + centre) * step) as f32;
            // Both beyond the same clipping point: the level itself (no cancellation). The
            // inputs are finite (sanitized), so "both" is the lesser or the greater one.
            let (least, most) = if t0[s] < t1[s] { (t0[s], t1[s]) } else { (t1[s], t0[s]) };
            v = if least >= top { ((hi + centre) * step) as f32 } else { v };
            v = if most < bottom { ((lo + centre) * step) as f32 } else { v };
            y[s] = if MUTE && t0[s] == 0.0 && t1[s] == 0.0 { 0.0 } else { v };
        }
        prev = q[3] as f64;
        even[2 * i] = y[0];
        odd[2 * i] = y[1];
        even[2 * i + 1] = y[2];
        odd[2 * i + 1] = y[3];
    }
    *previous = prev;
}

/// The block's grid as `[1/Δ, Δ, k_min, k_max]` when every sample has the same one (the bit
/// depth is not moving), else `None`.
#[inline(always)]
fn settled(grid: &GridBlock) -> Option<[f32; 4]> {
    let first = [grid.inv_step.first()?, grid.step.first()?, grid.k_min.first()?, grid.k_max.first()?];
    let first = first.map(|v| v.to_bits());
    // NOTE: Compared as bits and without an early exit, so the four checks vectorise.
    let same = |s: &[f32], v: u32| s.iter().fold(true, |all, x| all & (x.to_bits() == v));
    let all = same(grid.inv_step, first[0]) & same(grid.step, first[1]) & same(grid.k_min, first[2]);
    (all & same(grid.k_max, first[3])).then(|| first.map(f32::from_bits))
}

/// [`adaa_block`] for a block whose grid `g` (`[1/Δ, Δ, k_min, k_max]`) does not change:
/// the same arithmetic on the same values, so the same bits, in three passes over arrays.
///
/// With one grid, segment `j`'s start `t0 = x[j-1]/Δ` is segment `j - 1`'s end, the same
/// product of the same operands, so each scaled input and its antiderivative are computed
/// once (into `t` and `a`, `4n + 1` long) where [`adaa_block`] computes each twice. Each
/// pass is a plain loop over contiguous arrays, which vectorises across 4x samples without
/// the shuffles of [`adaa_block`]'s host-sample layout. `quad` (`4n` long) is overwritten
/// with the staircase before it is split into `even` and `odd`.
///
/// NOTE: A moving grid cannot share: the start of a host sample's first segment is the
///       previous input scaled by *this* sample's 1/Δ, not the previous sample's end.
#[inline(always)]
fn adaa_settled<const MID_RISE: bool, const MUTE: bool, I: Isa>(
    g: [f32; 4],
    previous: &mut f64,
    quad: &mut [f32],
    t: &mut [f64],
    a: &mut [f64],
    even: &mut [f32],
    odd: &mut [f32],
) {
    let m = quad.len();
    debug_assert!(m.is_multiple_of(4) && t.len() == m + 1 && a.len() == m + 1);
    if m == 0 {
        return;
    }
    let (even, odd) = (&mut even[..m / 2], &mut odd[..m / 2]);
    let [inv, step, lo, hi] = g.map(|v| v as f64);
    let (offset, centre) = if MID_RISE { (0.0, 0.5) } else { (0.5, 0.0) };
    let top = hi + 1.0 - offset;
    let bottom = lo - offset;
    let level = |t: f64| clamp64(floor64::<I>(t + offset), lo, hi);
    let antiderivative = |t: f64| {
        let k = level(t);
        if MID_RISE { (k + 0.5) * t - k * (k + 1.0) / 2.0 } else { k * t - k * k / 2.0 }
    };
    // Pass 1: every segment end, scaled, and its antiderivative.
    t[0] = *previous * inv;
    a[0] = antiderivative(t[0]);
    for ((t, a), &x) in t[1..].iter_mut().zip(a[1..].iter_mut()).zip(quad.iter()) {
        *t = x as f64 * inv;
        *a = antiderivative(*t);
    }
    *previous = quad[m - 1] as f64;
    let (t0s, t1s, a0s, a1s) = (&t[..m], &t[1..], &a[..m], &a[1..]);
    // Pass 2, first as a moving signal inside the clipping points: each segment's average,
    // limited to the levels, and whether every segment was such (no end at or beyond a
    // clipping point, no still segment). Then the still-input fallback, the clipping branches
    // and the mute below choose nothing (a segment with both ends at zero is still), so this
    // loop's output is theirs, bit for bit.
    //
    // NOTE: Half the operations of the loop below, which a moving signal at most depths
    //       never needs; where it does (silence, a clipped or held signal), that loop runs
    //       again over the block and overwrites these outputs (pass 1's arrays are its input).
    //       A block whose first segment already needs it (silence does) skips this loop,
    //       which fewer instructions showed than a choice per run of segments
    //       (docs/BENCHMARKS.md).
    let inside = |t: f64| (t < top) & (t >= bottom);
    let mut moving = inside(t[0]) & inside(t[1]) & ((t[1] - t[0]).abs() > 1e-9);
    if moving {
        for ((((y, &t0), &t1), &a0), &a1) in quad.iter_mut().zip(t0s).zip(t1s).zip(a0s).zip(a1s) {
            let dt = t1 - t0;
            moving &= (dt.abs() > 1e-9) & (t1 < top) & (t1 >= bottom);
            *y = (clamp64((a1 - a0) / dt, lo + centre, hi + centre) * step) as f32;
        }
    }
    // Pass 2 in general, as in `adaa_block`, over `quad`.
    if !moving {
        for ((((y, &t0), &t1), &a0), &a1) in quad.iter_mut().zip(t0s).zip(t1s).zip(a0s).zip(a1s) {
            let dt = t1 - t0;
            let averaged = (a1 - a0) / dt;
            let still = level(0.5 * (t0 + t1)) + centre;
            let k = if dt.abs() > 1e-9 { averaged } else { still };
            let mut v = (clamp64(k, lo + centre, hi + centre) * step) as f32;
            let (least, most) = if t0 < t1 { (t0, t1) } else { (t1, t0) };
            v = if least >= top { ((hi + centre) * step) as f32 } else { v };
            v = if most < bottom { ((lo + centre) * step) as f32 } else { v };
            *y = if MUTE && t0 == 0.0 && t1 == 0.0 { 0.0 } else { v };
        }
    }
    // Pass 3: the 4x stream's even and odd samples, for the decimator.
    for ((pair, e), o) in quad.chunks_exact(2).zip(even.iter_mut()).zip(odd.iter_mut()) {
        *e = pair[0];
        *o = pair[1];
    }
}

/// A fixed delay of [`LATENCY`] samples.
#[derive(Debug, Clone)]
pub struct Delay {
    /// Ring buffer.
    buf: Vec<f32>,
    /// Next write position.
    pos: usize,
}

impl Default for Delay {
    fn default() -> Self {
        Self { buf: vec![0.0; LATENCY], pos: 0 }
    }
}

impl Delay {
    /// Fill with silence.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }

    /// Update the state as [`Delay::process`] would over `skipped` samples followed by
    /// `tail`, without producing output (only the last [`LATENCY`] samples matter, so callers
    /// pass those and count the rest).
    pub fn feed(&mut self, skipped: usize, tail: &[f32]) {
        self.pos = (self.pos + skipped) % LATENCY;
        for &s in tail {
            self.buf[self.pos] = s;
            self.pos = if self.pos + 1 == LATENCY { 0 } else { self.pos + 1 };
        }
    }

    /// Delay `signal` in place. The ring holds the last [`LATENCY`] inputs, oldest at `pos`.
    pub fn process(&mut self, signal: &mut [f32]) {
        let n = signal.len();
        if n >= LATENCY {
            // Out: the ring (oldest first), then the block's head; the block's tail stays.
            let mut tail = [0.0f32; LATENCY];
            tail.copy_from_slice(&signal[n - LATENCY..]);
            signal.copy_within(..n - LATENCY, LATENCY);
            let (newer, older) = self.buf.split_at(self.pos);
            signal[..older.len()].copy_from_slice(older);
            signal[older.len()..LATENCY].copy_from_slice(newer);
            self.buf.copy_from_slice(&tail);
            self.pos = 0;
        } else {
            // Swap the block with the ring's oldest `n`, which may wrap around its end.
            let first = n.min(LATENCY - self.pos);
            signal[..first].swap_with_slice(&mut self.buf[self.pos..self.pos + first]);
            signal[first..].swap_with_slice(&mut self.buf[..n - first]);
            self.pos = (self.pos + n) % LATENCY;
        }
    }
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
