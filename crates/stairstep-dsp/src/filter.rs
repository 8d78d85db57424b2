//! The tracking low-pass filters around the sample-and-hold: 8th-order Butterworth, as four
//! cascaded state-variable filters in the topology-preserving (trapezoidal) form, which stays
//! stable and free of zipper noise while the cutoff moves every sample.
//!
//! Sources: Vadim Zavalishin, "The Art of VA Filter Design" (2018), ch. 4; Andrew Simper,
//! "Linear Trapezoidal Integrated State Variable Filter" (Cytomic technical paper, 2013),
//! whose coefficient form this follows. Butterworth section Qs: 1 / (2·cos(θ_k)) with
//! θ_k = (2k - 1)·π / 16, k = 1..4.

/// Number of second-order sections.
pub const SECTIONS: usize = 4;

/// Q of each section of an 8th-order Butterworth low-pass.
pub const BUTTERWORTH_Q: [f32; SECTIONS] = [0.509_795_6, 0.601_344_9, 0.899_976_2, 2.562_915_5];

/// Cutoff as a fraction of the reduced sample rate: 0.4 puts it at 80 % of the new Nyquist,
/// so the passband is within 0.01 dB up to half the new Nyquist and a tone at the new sample
/// rate is 63 dB down.
pub const CUTOFF_RATIO: f32 = 0.4;

/// Coefficients of one section at one cutoff: `a1 = 1/(1 + g(g + k))`, `a2 = g·a1`,
/// `a3 = g·a2`, with `g = tan(π·fc/fs)` and `k = 1/Q`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SvfCoefficients {
    /// a1, 0 to 1.
    pub a1: f32,
    /// a2.
    pub a2: f32,
    /// a3.
    pub a3: f32,
}

/// Coefficients of all sections for cutoff `fc` Hz at sample rate `fs` Hz (clamped below
/// 0.49·fs).
pub fn butterworth(fc: f32, fs: f32) -> [SvfCoefficients; SECTIONS] {
    let fc = fc.clamp(1.0, 0.49 * fs) as f64;
    let g = libm::tan(std::f64::consts::PI * fc / fs as f64);
    BUTTERWORTH_Q.map(|q| {
        let k = 1.0 / q as f64;
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        SvfCoefficients { a1: a1 as f32, a2: a2 as f32, a3: (g * a2) as f32 }
    })
}

/// Zero for magnitudes below 1e-20 (far below any audible level, far above the denormals).
#[inline(always)]
fn flush(x: f32) -> f32 {
    if x.abs() < 1e-20 { 0.0 } else { x }
}

/// One channel's cascade.
#[derive(Debug, Clone, Default)]
pub struct LowPass {
    /// Integrator states (ic1eq, ic2eq) of each section.
    state: [[f32; 2]; SECTIONS],
}

impl LowPass {
    /// Clear the filter.
    pub fn reset(&mut self) {
        self.state = [[0.0; 2]; SECTIONS];
    }

    /// Filter `signal` in place where `active[n]`, with per-sample coefficients
    /// `coefficients[section][n]`. Where not active the signal passes untouched and the
    /// states follow it (so switching in does not start from stale values).
    pub fn process(&mut self, coefficients: [&[SvfCoefficients]; SECTIONS], active: &[bool], signal: &mut [f32]) {
        for (n, x) in signal.iter_mut().enumerate() {
            let mut v0 = *x;
            for (s, st) in self.state.iter_mut().enumerate() {
                let c = coefficients[s][n];
                let v3 = v0 - st[1];
                let v1 = c.a1 * st[0] + c.a2 * v3;
                let v2 = st[1] + c.a2 * st[0] + c.a3 * v3;
                // NOTE: Tiny states are flushed to zero on every sample (not per call, which
                //       would tie the output to the host's block size), so a decaying tail
                //       never lingers in denormals even where flush-to-zero is not set.
                st[0] = flush(2.0 * v1 - st[0]);
                st[1] = flush(2.0 * v2 - st[1]);
                v0 = v2;
            }
            if active[n] {
                *x = v0;
            }
        }
    }
}

/// Lanes of [`process_pair`]: section-major, the two channels side by side in each section.
const LANES: usize = 2 * SECTIONS;

/// Two channels' cascades in one pass, the same bits as [`LowPass::process`] on each.
///
/// The cascade is bound by latency: each section waits for the one before it, and each
/// sample's state for the previous sample's. Here the four sections of both channels share
/// eight lanes, skewed in time: at step `t`, section `s` works on sample `t - s`, taking its
/// input from what section `s - 1` gave at step `t - 1`. Every lane does exactly the scalar
/// filter's operations in the scalar filter's order (no FMA, see [`crate::simd`]), so each
/// channel gets the same bits as on its own; the first and last `SECTIONS - 1` steps mask the
/// lanes whose sample lies outside `0..n`.
///
/// `coefficients[section][n]` and `active` as in [`LowPass::process`]; `fixed`: every
/// sample's coefficients are the first sample's (the rate is settled), so they are read once.
/// Both signals as long as `active`. (A mono chain passes a spare filter and signal as the
/// second channel.)
///
/// On x86_64 the lanes are two SSE2 registers (the baseline: every build runs the same
/// kernel, which is bound by latency, not width); elsewhere arrays of eight lanes.
#[inline(always)]
pub fn process_pair(
    filters: [&mut LowPass; 2],
    coefficients: [&[SvfCoefficients]; SECTIONS],
    fixed: bool,
    active: &[bool],
    signals: [&mut [f32]; 2],
) {
    let n = active.len();
    debug_assert!(signals.iter().all(|x| x.len() == n) && coefficients.iter().all(|c| c.len() >= n));
    if n == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if fixed {
            sse2::process_pair::<true>(filters, coefficients, active, signals);
        } else {
            sse2::process_pair::<false>(filters, coefficients, active, signals);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    process_pair_lanes(filters, coefficients, fixed, active, signals);
}

/// Whether lane `l` works on a sample inside `0..n` at step `t`.
#[inline(always)]
fn lane_in_chunk(l: usize, t: usize, n: usize) -> bool {
    let s = l / 2;
    s <= t && t - s < n
}

/// [`process_pair`] on arrays of lanes: the portable kernel (and, on x86_64, a second
/// definition the SSE2 kernel is tested against).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn process_pair_lanes(
    filters: [&mut LowPass; 2],
    coefficients: [&[SvfCoefficients]; SECTIONS],
    fixed: bool,
    active: &[bool],
    signals: [&mut [f32]; 2],
) {
    let n = active.len();
    if n == 0 {
        return;
    }
    let [fa, fb] = filters;
    let [xa, xb] = signals;
    let mut s0 = [0.0f32; LANES];
    let mut s1 = [0.0f32; LANES];
    for s in 0..SECTIONS {
        [s0[2 * s], s1[2 * s]] = fa.state[s];
        [s0[2 * s + 1], s1[2 * s + 1]] = fb.state[s];
    }
    // The outputs of the previous step, one per lane.
    let mut v2 = [0.0f32; LANES];
    for t in 0..n + SECTIONS - 1 {
        let (mut a1, mut a2, mut a3) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
        for s in 0..SECTIONS {
            // NOTE: Lanes outside the chunk read some in-range coefficients; they are masked.
            let c = coefficients[s][if fixed { 0 } else { t.saturating_sub(s).min(n - 1) }];
            [a1[2 * s], a1[2 * s + 1]] = [c.a1; 2];
            [a2[2 * s], a2[2 * s + 1]] = [c.a2; 2];
            [a3[2 * s], a3[2 * s + 1]] = [c.a3; 2];
        }
        let mut v0 = [0.0f32; LANES];
        if t < n {
            [v0[0], v0[1]] = [xa[t], xb[t]];
        }
        v0[2..].copy_from_slice(&v2[..LANES - 2]);
        for l in 0..LANES {
            let v3 = v0[l] - s1[l];
            let v1 = a1[l] * s0[l] + a2[l] * v3;
            v2[l] = s1[l] + a2[l] * s0[l] + a3[l] * v3;
            if lane_in_chunk(l, t, n) {
                s0[l] = flush(2.0 * v1 - s0[l]);
                s1[l] = flush(2.0 * v2[l] - s1[l]);
            }
        }
        if let Some(i) = (t + 1).checked_sub(SECTIONS).filter(|&i| i < n && active[i]) {
            [xa[i], xb[i]] = [v2[LANES - 2], v2[LANES - 1]];
        }
    }
    for s in 0..SECTIONS {
        fa.state[s] = [s0[2 * s], s1[2 * s]];
        fb.state[s] = [s0[2 * s + 1], s1[2 * s + 1]];
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{LANES, LowPass, SECTIONS, SvfCoefficients, lane_in_chunk};
    use std::arch::x86_64::*;

    /// Eight lanes as two registers: `lo` holds sections 0 and 1, `hi` sections 2 and 3, each
    /// as (channel a, channel b).
    #[derive(Clone, Copy)]
    struct Lanes {
        lo: __m128,
        hi: __m128,
    }

    impl Lanes {
        #[inline(always)]
        fn from_fn(f: impl Fn(usize) -> f32) -> Self {
            // SAFETY: SSE and SSE2 intrinsics: the x86_64 baseline, which every CPU of the target runs.
            unsafe { Self { lo: _mm_setr_ps(f(0), f(1), f(2), f(3)), hi: _mm_setr_ps(f(4), f(5), f(6), f(7)) } }
        }

        #[inline(always)]
        fn to_array(self) -> [f32; LANES] {
            let mut a = [0.0f32; LANES];
            // SAFETY: two SSE stores of four floats each, into the array of eight.
            unsafe {
                _mm_storeu_ps(a.as_mut_ptr(), self.lo);
                _mm_storeu_ps(a.as_mut_ptr().add(4), self.hi);
            }
            a
        }

        #[inline(always)]
        fn map2(self, other: Self, f: impl Fn(__m128, __m128) -> __m128) -> Self {
            Self { lo: f(self.lo, other.lo), hi: f(self.hi, other.hi) }
        }
    }

    /// The scalar `flush` on four lanes: zero where |x| < 1e-20. The comparison is on the
    /// bits (non-negative floats order as their bit patterns; a NaN's are above the bound, as
    /// the float comparison is false for it): one cycle instead of four.
    #[inline(always)]
    fn flush(x: __m128) -> __m128 {
        // SAFETY: SSE and SSE2 intrinsics: the x86_64 baseline, which every CPU of the target runs.
        unsafe {
            let magnitude = _mm_and_si128(_mm_castps_si128(x), _mm_set1_epi32(0x7fff_ffff));
            let tiny = _mm_cmplt_epi32(magnitude, _mm_set1_epi32(1e-20f32.to_bits() as i32));
            _mm_andnot_ps(_mm_castsi128_ps(tiny), x)
        }
    }

    /// The lanes' coefficients at step `t`.
    #[inline(always)]
    fn coefficients_at(c: &[&[SvfCoefficients]; SECTIONS], t: usize, n: usize) -> [Lanes; 3] {
        let at = |s: usize| c[s][t.saturating_sub(s).min(n - 1)];
        let k: [SvfCoefficients; SECTIONS] = std::array::from_fn(at);
        [Lanes::from_fn(|l| k[l / 2].a1), Lanes::from_fn(|l| k[l / 2].a2), Lanes::from_fn(|l| k[l / 2].a3)]
    }

    /// The pipeline between steps: each lane's integrator states and its last output.
    #[derive(Clone, Copy)]
    struct Pipe {
        s0: Lanes,
        s1: Lanes,
        v2: Lanes,
    }

    /// One step: `x`, the new sample of each channel (in the low two lanes); `coefficients`,
    /// each lane's; `keep`, with `MASKED`, the lanes that work on a sample of the chunk (the
    /// others keep their state).
    #[inline(always)]
    fn step<const MASKED: bool>(p: &mut Pipe, x: __m128, [a1, a2, a3]: [Lanes; 3], keep: Lanes) {
        // SAFETY: SSE and SSE2 intrinsics: the x86_64 baseline, which every CPU of the target runs.
        unsafe {
            let mul = |a: __m128, b: __m128| _mm_mul_ps(a, b);
            let add = |a: __m128, b: __m128| _mm_add_ps(a, b);
            let (s0, s1) = (p.s0, p.s1);
            // Each section's input is the previous section's output of the step before;
            // section 0's is the new sample.
            let v0 = Lanes { lo: _mm_movelh_ps(x, p.v2.lo), hi: _mm_shuffle_ps::<0b01_00_11_10>(p.v2.lo, p.v2.hi) };
            // The scalar filter's operations, in its order (`2·v` as `v + v`: the same bits).
            let v3 = v0.map2(s1, |a, b| _mm_sub_ps(a, b));
            let v1 = a1.map2(s0, mul).map2(a2.map2(v3, mul), add);
            let v2 = s1.map2(a2.map2(s0, mul), add).map2(a3.map2(v3, mul), add);
            let n0 = v1.map2(s0, |v, s| flush(_mm_sub_ps(_mm_add_ps(v, v), s)));
            let n1 = v2.map2(s1, |v, s| flush(_mm_sub_ps(_mm_add_ps(v, v), s)));
            p.v2 = v2;
            if MASKED {
                let select = |new: Lanes, old: Lanes| Lanes {
                    lo: _mm_or_ps(_mm_and_ps(keep.lo, new.lo), _mm_andnot_ps(keep.lo, old.lo)),
                    hi: _mm_or_ps(_mm_and_ps(keep.hi, new.hi), _mm_andnot_ps(keep.hi, old.hi)),
                };
                (p.s0, p.s1) = (select(n0, s0), select(n1, s1));
            } else {
                (p.s0, p.s1) = (n0, n1);
            }
        }
    }

    /// See [`super::process_pair`]. `FIXED`: read the coefficients once.
    #[inline(always)]
    pub(super) fn process_pair<const FIXED: bool>(
        filters: [&mut LowPass; 2],
        coefficients: [&[SvfCoefficients]; SECTIONS],
        active: &[bool],
        signals: [&mut [f32]; 2],
    ) {
        let n = active.len();
        let [fa, fb] = filters;
        let [xa, xb] = signals;
        let lane_state =
            |i: usize| Lanes::from_fn(|l| if l % 2 == 0 { fa.state[l / 2][i] } else { fb.state[l / 2][i] });
        let zero = Lanes::from_fn(|_| 0.0);
        let mut p = Pipe { s0: lane_state(0), s1: lane_state(1), v2: zero };
        let fixed = coefficients_at(&coefficients, 0, n);
        let coefficients_at = |t: usize| if FIXED { fixed } else { coefficients_at(&coefficients, t, n) };
        // SAFETY: SSE and SSE2 intrinsics: the x86_64 baseline, which every CPU of the target runs.
        let input = |a: f32, b: f32| unsafe { _mm_unpacklo_ps(_mm_set_ss(a), _mm_set_ss(b)) };
        // SAFETY: SSE and SSE2 intrinsics: the x86_64 baseline, which every CPU of the target runs.
        let output = |p: &Pipe| unsafe {
            (_mm_cvtss_f32(_mm_movehl_ps(p.v2.hi, p.v2.hi)), _mm_cvtss_f32(_mm_shuffle_ps::<0b11>(p.v2.hi, p.v2.hi)))
        };
        let keep = |t: usize| Lanes::from_fn(|l| if lane_in_chunk(l, t, n) { f32::from_bits(u32::MAX) } else { 0.0 });
        // Steps 0..n + SECTIONS - 1, masked while the pipeline fills and drains; sample
        // `t + 1 - SECTIONS` leaves the last section at step `t`.
        let fill = (SECTIONS - 1).min(n);
        for t in 0..fill {
            step::<true>(&mut p, input(xa[t], xb[t]), coefficients_at(t), keep(t));
        }
        for t in fill..n {
            step::<false>(&mut p, input(xa[t], xb[t]), coefficients_at(t), zero);
            let i = t + 1 - SECTIONS;
            if active[i] {
                (xa[i], xb[i]) = output(&p);
            }
        }
        for t in n..n + SECTIONS - 1 {
            step::<true>(&mut p, zero.lo, coefficients_at(t), keep(t));
            if let Some(i) = (t + 1).checked_sub(SECTIONS).filter(|&i| active[i]) {
                (xa[i], xb[i]) = output(&p);
            }
        }
        let (s0, s1) = (p.s0.to_array(), p.s1.to_array());
        for s in 0..SECTIONS {
            fa.state[s] = [s0[2 * s], s1[2 * s]];
            fb.state[s] = [s0[2 * s + 1], s1[2 * s + 1]];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn filter(x: &[f32], fc: f32, fs: f32) -> Vec<f32> {
        let c = butterworth(fc, fs);
        let coefficients: [Vec<SvfCoefficients>; SECTIONS] = std::array::from_fn(|s| vec![c[s]; x.len()]);
        let mut y = x.to_vec();
        LowPass::default().process(std::array::from_fn(|s| &coefficients[s][..]), &vec![true; x.len()], &mut y);
        y
    }

    /// Gain in dB of a steady sine through the filter.
    fn gain_db(freq: f64, fc: f32, fs: f32) -> f64 {
        let x = sine(freq, fs as f64, 0.5, 48000);
        let y = filter(&x, fc, fs);
        db(power(&y[24000..]) / power(&x[24000..]))
    }

    /// The digital Butterworth response (bilinear transform with prewarping).
    fn theory_db(freq: f64, fc: f64, fs: f64) -> f64 {
        let w = (std::f64::consts::PI * freq / fs).tan() / (std::f64::consts::PI * fc / fs).tan();
        -10.0 * (1.0 + w.powi(16)).log10()
    }

    /// [`process_pair`] (and on x86_64 also the portable lanes) against [`LowPass::process`]
    /// on each channel: chunks of the given lengths, per-sample coefficients (a cutoff
    /// jumping about) except in every fifth chunk (one cutoff, the kernel told so), the
    /// filters sometimes inactive, state carried from chunk to chunk, and silent chunks whose
    /// tails decay towards the flushing range.
    fn pair_matches_single(seed: u32, lengths: &[usize]) {
        let fs = 48000.0;
        let mut rng = seed;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng as f32 / u32::MAX as f32
        };
        let mut single = [LowPass::default(), LowPass::default()];
        let mut pair = single.clone();
        let mut lanes = single.clone();
        for (k, &n) in lengths.iter().enumerate() {
            let quiet = k % 4 == 3;
            let fixed = k % 5 == 2;
            let x: [Vec<f32>; 2] =
                std::array::from_fn(|_| (0..n).map(|_| if quiet { 0.0 } else { next() * 2.0 - 1.0 }).collect());
            let one = 30.0 * 600.0f32.powf(next());
            let fcs: Vec<f32> = (0..n).map(|_| if fixed { one } else { 30.0 * 600.0f32.powf(next()) }).collect();
            let coefficients: [Vec<SvfCoefficients>; SECTIONS] =
                std::array::from_fn(|s| fcs.iter().map(|&fc| butterworth(fc, fs)[s]).collect());
            let c: [&[SvfCoefficients]; SECTIONS] = std::array::from_fn(|s| &coefficients[s][..]);
            // Told the coefficients are fixed, a kernel reads only the first sample's: the
            // others are another cutoff's here.
            let first_only: [Vec<SvfCoefficients>; SECTIONS] = std::array::from_fn(|s| {
                (0..n).map(|i| if i == 0 { coefficients[s][0] } else { butterworth(7000.0, fs)[s] }).collect()
            });
            let k_in: [&[SvfCoefficients]; SECTIONS] =
                std::array::from_fn(|s| if fixed { &first_only[s][..] } else { &coefficients[s][..] });
            let active: Vec<bool> = (0..n).map(|_| next() < 0.9).collect();
            let mut expected = x.clone();
            for (f, y) in single.iter_mut().zip(expected.iter_mut()) {
                f.process(c, &active, y);
            }
            let mut got = x.clone();
            let ([fa, fb], [ga, gb]) = (&mut pair, &mut got);
            process_pair([fa, fb], k_in, fixed, &active, [ga, gb]);
            let mut got_lanes = x.clone();
            let ([fa, fb], [ga, gb]) = (&mut lanes, &mut got_lanes);
            process_pair_lanes([fa, fb], k_in, fixed, &active, [ga, gb]);
            for ch in 0..2 {
                for (kernel, y, f) in [("kernel", &got, &pair), ("lanes", &got_lanes, &lanes)] {
                    let same = expected[ch].iter().zip(&y[ch]).all(|(e, g)| e.to_bits() == g.to_bits());
                    assert!(same, "{kernel}, chunk {k} of {n}, channel {ch}: {:?} vs {:?}", expected[ch], y[ch]);
                    assert_eq!(single[ch].state, f[ch].state, "{kernel}, chunk {k}, channel {ch}");
                }
            }
        }
    }

    #[test]
    fn pair_matches_single_short_chunks() {
        pair_matches_single(1, &(0..38).collect::<Vec<_>>());
    }

    #[test]
    fn pair_matches_single_long_chunks() {
        pair_matches_single(2, &[128, 128, 1, 128, 64, 3, 128, 128, 128, 4, 128]);
    }

    #[test]
    fn response_matches_the_butterworth_law() {
        for (fs, fc) in [(48000.0, 3200.0), (48000.0, 400.0), (44100.0, 8820.0), (48000.0, 16000.0)] {
            for ratio in [0.25, 0.5, 0.8, 1.0, 1.25, 1.6] {
                let f = fc as f64 * ratio;
                if f >= fs as f64 / 2.0 * 0.95 {
                    continue;
                }
                let got = gain_db(f, fc, fs);
                let expected = theory_db(f, fc as f64, fs as f64);
                let tol = if expected > -60.0 { 0.1 } else { 1.5 };
                assert!((got - expected).abs() < tol, "fc {fc} at {fs}, {f} Hz: {got:.2} vs {expected:.2} dB");
            }
        }
    }

    #[test]
    fn tracks_a_new_nyquist_as_specified() {
        // For a reduced rate r: within 1 dB up to r/4, at least 48 dB down at r.
        for r in [8000.0f32, 2000.0, 22050.0, 400.0] {
            let fc = CUTOFF_RATIO * r;
            assert!(gain_db(r as f64 / 4.0, fc, 48000.0) > -1.0, "{r}");
            assert!(gain_db(r as f64, fc, 48000.0) < -48.0, "{r}");
        }
    }

    #[test]
    fn sweeping_the_cutoff_every_sample_stays_bounded() {
        // 50 Hz to 19 kHz and back in 100 ms, on full-scale noise-like input.
        let fs = 48000.0;
        let n = 4800;
        let mut s = 1u32;
        let x: Vec<f32> = (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                s as f32 / u32::MAX as f32 * 2.0 - 1.0
            })
            .collect();
        let fcs: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f32 / n as f32;
                let up = if t < 0.5 { 2.0 * t } else { 2.0 - 2.0 * t };
                20.0 * (19000.0f32 / 20.0).powf(up)
            })
            .collect();
        let coefficients: [Vec<SvfCoefficients>; SECTIONS] =
            std::array::from_fn(|s| fcs.iter().map(|&fc| butterworth(fc, fs)[s]).collect());
        let mut y = x.clone();
        LowPass::default().process(std::array::from_fn(|s| &coefficients[s][..]), &vec![true; n], &mut y);
        let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // A Butterworth's step overshoot is about 15 % at 8th order; allow twice that.
        assert!(peak < 1.3, "peak {peak}");
    }
}
