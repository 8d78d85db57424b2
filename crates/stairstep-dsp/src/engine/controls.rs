//! The continuous controls: one linear ramp each ([`Ramps`]), and per chunk their values at
//! every sample ([`Controls`]), which the general path reads.

use super::settings::sanitize;
use super::settings::{MAX_RATE, MIN_RATE};
use super::settings::{Settings, db_to_gain};
use super::{CHUNK, Engine};
use crate::filter::{CUTOFF_RATIO, SECTIONS, SvfCoefficients, butterworth};
use crate::follower::{Coefficients, amount};
use crate::quantizer::{Grid, GridBlock, MAX_BITS, MIN_BITS, QuantizerMode, round_half_even};
use crate::simd::{Isa, Kernel};
use crate::smoother::{LinearRamp, RAMP_MS};

/// A continuous control, with a ramp of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ramp {
    /// Bit depth, in bits.
    Bits,
    /// Wet share, 0 to 1.
    Mix,
    /// Output gain, linear.
    Gain,
    /// Bypass crossfade, 0 (processed) to 1 (bypassed).
    Bypass,
    /// Hold rate, in log2(Hz).
    Rate,
    /// Jitter, 0 to 1.
    Jitter,
    /// Drive, linear gain.
    Drive,
}

impl Ramp {
    /// Every control, in the order [`Ramps`] keeps them.
    const ALL: [Ramp; 7] = [Ramp::Bits, Ramp::Mix, Ramp::Gain, Ramp::Bypass, Ramp::Rate, Ramp::Jitter, Ramp::Drive];

    /// The value this control ramps to under `s`, in its unit.
    fn target(self, s: &Settings) -> f32 {
        match self {
            Ramp::Bits => s.bits,
            Ramp::Mix => s.mix,
            Ramp::Gain => db_to_gain(s.output_db),
            Ramp::Bypass => {
                if s.bypass {
                    1.0
                } else {
                    0.0
                }
            }
            Ramp::Rate => libm::log2f(s.rate),
            Ramp::Jitter => s.jitter,
            Ramp::Drive => db_to_gain(s.drive_db),
        }
    }
}

// `Ramps` indexes its array by the enum's discriminant.
const _: () = {
    let mut i = 0;
    while i < Ramp::ALL.len() {
        assert!(Ramp::ALL[i] as usize == i, "Ramp::ALL lists the controls in declaration order");
        i += 1;
    }
};

/// The ramps of every continuous control, indexed by [`Ramp`].
pub(super) struct Ramps([LinearRamp; Ramp::ALL.len()]);

impl Ramps {
    /// Every ramp at rest on its value under `s`.
    pub(super) fn new(s: &Settings, sample_rate: f32) -> Self {
        Self(Ramp::ALL.map(|r| LinearRamp::new(r.target(s), sample_rate, RAMP_MS)))
    }

    /// Jump every ramp to its value under `s`.
    pub(super) fn jump(&mut self, s: &Settings) {
        for (ramp, r) in self.0.iter_mut().zip(Ramp::ALL) {
            ramp.reset(r.target(s));
        }
    }

    /// Ramp each control towards its value under `s` (a ramp already heading there goes on).
    pub(super) fn retarget(&mut self, s: &Settings) {
        for (ramp, r) in self.0.iter_mut().zip(Ramp::ALL) {
            ramp.set_target(r.target(s));
        }
    }

    /// True when no control is moving.
    pub(super) fn settled(&self) -> bool {
        self.0.iter().all(|r| !r.is_ramping())
    }
}

impl std::ops::Index<Ramp> for Ramps {
    type Output = LinearRamp;
    fn index(&self, r: Ramp) -> &LinearRamp {
        &self.0[r as usize]
    }
}

impl std::ops::IndexMut<Ramp> for Ramps {
    fn index_mut(&mut self, r: Ramp) -> &mut LinearRamp {
        &mut self.0[r as usize]
    }
}

/// Per-sample control values for one chunk, shared by all channels.
pub(super) struct Controls {
    /// 1/Δ per sample.
    pub(super) inv_step: [f32; CHUNK],
    /// Δ per sample.
    pub(super) step: [f32; CHUNK],
    /// Lowest level index per sample.
    pub(super) k_min: [f32; CHUNK],
    /// Highest level index per sample.
    pub(super) k_max: [f32; CHUNK],
    /// Wet share, 0 to 1.
    pub(super) mix: [f32; CHUNK],
    /// Linear output gain, about 0.063 to 15.85.
    pub(super) gain: [f32; CHUNK],
    /// Bypass crossfade, 0 (processed) to 1 (bypassed).
    pub(super) bypass: [f32; CHUNK],
    /// Drive as linear gain, 1 to 63.
    pub(super) drive: [f32; CHUNK],
    /// Hold rate over host rate (1 or more: no reduction).
    pub(super) increment: [f64; CHUNK],
    /// Jitter, 0 to 1.
    pub(super) jitter: [f32; CHUNK],
    /// Whether the hold takes a new sample.
    pub(super) take: [bool; CHUNK],
    /// Whether the rate is reduced (the filters act).
    pub(super) reduced: [bool; CHUNK],
    /// Filter coefficients per section and sample.
    pub(super) filter: [[SvfCoefficients; CHUNK]; SECTIONS],
    /// Whether every sample's filter coefficients are the first's (the rate is settled):
    /// then only the first sample's are written.
    pub(super) filter_fixed: bool,
    /// Whether the hold takes every sample of the chunk (the rate is settled at or above the
    /// host rate): then `take` is not written, and the hold only keeps the last sample.
    pub(super) all_taken: bool,
    /// What the arrays hold in full from an earlier chunk.
    pub(super) steady: Steady,
    /// The modulated bit depth per sample (written only while something modulates it; the
    /// last [`RUN_LANES`] are padding, read but never used).
    pub(super) bits: [f32; CHUNK + RUN_LANES],
    /// The LFO's value per sample, -1 to 1 (written only while it modulates something).
    pub(super) lfo: [f32; CHUNK],
    /// The follower's modulation amount per sample, 0 to 1 (written only while it modulates).
    pub(super) follow: [f32; CHUNK],
    /// `Grid::new` of every bit depth on the [`MOD_BITS_STEP`] grid from [`MIN_BITS`] to
    /// [`MAX_BITS`] (index [`mod_grid_index`]), for each quantizer mode (by discriminant):
    /// computed once in `Engine::new`, so a moving depth costs a lookup, not two `exp2`.
    pub(super) mod_grids: Box<[[Grid; 2]]>,
    /// The last modulated rate: its log2 (in steps of [`MOD_OCTAVE_STEP`]), the rate in Hz and
    /// the filters' coefficients for it (`None` until the filters first need them).
    pub(super) mod_rate: (f32, f32, Option<[SvfCoefficients; SECTIONS]>),
    /// The follower's (attack, release) times in ms and their coefficients (computed on a
    /// change, not per chunk).
    pub(super) follow_coefficients: ((f32, f32), Coefficients),
    /// The filters' coefficients at the host rate, for the samples of a moving rate that are
    /// not reduced.
    pub(super) unreduced: [SvfCoefficients; SECTIONS],
}

/// The modulated bit depth moves in steps of this many bits (0.1 dB of quantizer step size:
/// inaudible as steps, and the grid's two `exp2` are computed only when it moves a step).
pub const MOD_BITS_STEP: f32 = 1.0 / 64.0;
/// The LFO-modulated Sample Rate moves in steps of this many octaves (1.2 cents), for the same
/// reason (an `exp2` and, with the filters, their coefficients per step).
pub const MOD_OCTAVE_STEP: f32 = 1.0 / 1024.0;

/// The grids of [`Controls::mod_grids`], allocated and computed once.
pub(super) fn mod_grid_table() -> Box<[[Grid; 2]]> {
    let count = ((MAX_BITS - MIN_BITS) / MOD_BITS_STEP) as usize + 1;
    (0..count)
        .map(|i| {
            let bits = MIN_BITS + i as f32 * MOD_BITS_STEP;
            [Grid::new(bits, QuantizerMode::MidTread), Grid::new(bits, QuantizerMode::MidRise)]
        })
        .collect()
}

/// Where depth `bits` (a multiple of [`MOD_BITS_STEP`] in [`MIN_BITS`, `MAX_BITS`]) sits in
/// [`Controls::mod_grids`].
#[inline(always)]
fn mod_grid_index(bits: f32) -> usize {
    debug_assert!((MIN_BITS..=MAX_BITS).contains(&bits));
    ((bits - MIN_BITS) / MOD_BITS_STEP) as usize
}

/// `v` rounded to a multiple of `step` (a power of two), ties to even.
#[inline(always)]
fn snap_to(v: f32, step: f32) -> f32 {
    round_half_even(v / step) * step
}

/// Settled values the control arrays hold at every one of their [`CHUNK`] samples, so a chunk
/// whose control is still settled there need not write them again. `None`: not known to.
#[derive(Debug, Default)]
pub(super) struct Steady {
    /// The grid in `inv_step`, `step`, `k_min` and `k_max`.
    grid: Option<Grid>,
    /// The bits of the value in `mix`, `gain`, `bypass`, `drive` and `jitter`, in that order.
    ramps: [Option<u32>; 5],
    /// The bits of the rate, in Hz, whose `increment` and `reduced` the arrays hold.
    rate: Option<u32>,
}

impl Controls {
    /// Every sample's grid `g` (written only if the arrays do not hold it already).
    pub(super) fn fill_grid(&mut self, g: Grid) {
        if self.steady.grid != Some(g) {
            self.inv_step.fill(g.inv_step);
            self.step.fill(g.step);
            self.k_min.fill(g.k_min);
            self.k_max.fill(g.k_max);
            self.steady.grid = Some(g);
        }
    }

    /// The quantizer grids of the chunk's samples in `range`.
    pub(super) fn grid(&self, range: std::ops::Range<usize>) -> GridBlock<'_> {
        GridBlock {
            inv_step: &self.inv_step[range.clone()],
            step: &self.step[range.clone()],
            k_min: &self.k_min[range.clone()],
            k_max: &self.k_max[range],
        }
    }
}

impl Engine {
    /// The grid of the settled bit depth and quantizer (cached).
    ///
    /// NOTE: The bit depth ramp's target is the settings' depth, so this is also the grid of
    ///       every sample once the ramp has landed.
    pub(super) fn settled_grid(&mut self) -> Grid {
        let (bits, quantizer) = (self.settings.bits, self.settings.quantizer);
        if self.grid_cache.1 != bits || self.grid_cache.2 != quantizer {
            self.grid_cache = (Grid::new(bits, quantizer), bits, quantizer);
        }
        self.grid_cache.0
    }

    /// Compute the next `n` samples of every control for the chunk of `channels` at `start`
    /// (the follower reads their input).
    ///
    /// NOTE: A settled control's array is written whole (all [`CHUNK`] samples) once and then
    ///       left alone while it stays settled ([`Steady`]); a moving one is written for the
    ///       chunk's `n` samples.
    pub(super) fn fill_controls(&mut self, channels: &[&mut [f32]], start: usize, n: usize) {
        let s = self.settings;
        let (lfo_bits, follow_bits) = (s.lfo_bits != 0.0, s.follow_bits != 0.0);
        if lfo_bits || follow_bits || s.lfo_octaves != 0.0 {
            // NOTE: In the widest build: the LFO's phases and shape, the follower's levels and
            //       the modulated depths are element-wise and vectorise (measured with the
            //       batched runs below: see `fill_modulated_bits`).
            let isa = self.isa;
            isa.run(Modulate { engine: self, channels, start, n });
        } else {
            // The LFO's position moves on regardless.
            self.lfo.advance(n);
        }
        let mode = s.quantizer;
        let settled = self.settled_grid();
        let note = self.note_rate();
        let c = &mut *self.controls;
        let r = &mut self.ramps;
        if lfo_bits || follow_bits {
            // Written by `Modulate`.
        } else if r[Ramp::Bits].is_ramping() {
            c.steady.grid = None;
            for i in 0..n {
                let g = Grid::new(r[Ramp::Bits].next_value(), mode);
                c.inv_step[i] = g.inv_step;
                c.step[i] = g.step;
                c.k_min[i] = g.k_min;
                c.k_max[i] = g.k_max;
            }
            self.monitor.bits = None;
        } else {
            c.fill_grid(settled);
            self.monitor.bits = None;
        }
        let arrays = [&mut c.mix, &mut c.gain, &mut c.bypass, &mut c.drive, &mut c.jitter];
        let ramps = [Ramp::Mix, Ramp::Gain, Ramp::Bypass, Ramp::Drive, Ramp::Jitter];
        for ((out, ramp), steady) in arrays.into_iter().zip(ramps).zip(&mut c.steady.ramps) {
            let ramp = &mut r[ramp];
            if ramp.is_ramping() {
                *steady = None;
                ramp.fill(&mut out[..n]);
            } else if *steady != Some(ramp.value().to_bits()) {
                out.fill(ramp.value());
                *steady = Some(ramp.value().to_bits());
            }
        }

        // Sample rate: the hold's increment, and the filters' coefficients when reduced.
        let fs = self.sample_rate;
        let filters = s.prefilter || s.postfilter;
        let lfo_rate = s.lfo_octaves != 0.0;
        let moving = r[Ramp::Rate].is_ramping() || (note.is_some() && self.glide.is_moving());
        c.filter_fixed = !moving && !lfo_rate;
        c.all_taken = false;
        if moving || lfo_rate {
            c.steady.rate = None;
            let (lo, hi) = (libm::log2f(MIN_RATE), libm::log2f(MAX_RATE));
            for i in 0..n {
                // The knob's ramp moves on under a note, so it is where it should be on release.
                let knob = r[Ramp::Rate].next_value();
                // NOTE: Once a ramp or glide lands, the plain rate (as in the settled branch
                //       below), so the output does not depend on where a chunk boundary falls.
                let (log_rate, plain) = match note {
                    Some(hz) => {
                        let v = self.glide.next_value();
                        (v, (!self.glide.is_moving()).then_some(hz))
                    }
                    None => (knob, (!r[Ramp::Rate].is_ramping()).then_some(s.rate)),
                };
                let rate = if lfo_rate {
                    let log_rate = snap_to((log_rate + c.lfo[i] * s.lfo_octaves).clamp(lo, hi), MOD_OCTAVE_STEP);
                    if log_rate != c.mod_rate.0 {
                        c.mod_rate = (log_rate, libm::exp2f(log_rate).clamp(MIN_RATE, MAX_RATE), None);
                    }
                    c.mod_rate.1
                } else {
                    plain.unwrap_or_else(|| libm::exp2f(log_rate))
                };
                c.increment[i] = rate as f64 / fs as f64;
                c.reduced[i] = rate < fs;
                // NOTE: Where the rate is not reduced the filters pass the signal, but their
                //       states still follow it with this sample's coefficients: those of the
                //       host rate, not whatever an earlier chunk left there (which made a
                //       render after `reset` differ; found by the property test).
                if filters {
                    let coefficients = if !c.reduced[i] {
                        c.unreduced
                    } else if lfo_rate {
                        *c.mod_rate.2.get_or_insert_with(|| butterworth(CUTOFF_RATIO * rate, fs))
                    } else {
                        butterworth(CUTOFF_RATIO * rate, fs)
                    };
                    for (section, &k) in c.filter.iter_mut().zip(&coefficients) {
                        section[i] = k;
                    }
                }
                if i + 1 == n {
                    self.monitor.rate = (lfo_rate || note.is_some()).then_some(rate);
                }
            }
        } else {
            // NOTE: The plain rate, not exp2(log2(rate)), so 8000 Hz is exactly 8000 Hz.
            let rate = note.unwrap_or(s.rate);
            self.monitor.rate = note;
            if c.steady.rate != Some(rate.to_bits()) {
                c.increment.fill(rate as f64 / fs as f64);
                c.reduced.fill(rate < fs);
                c.steady.rate = Some(rate.to_bits());
            }
            if rate >= fs {
                // Every sample taken: what `HoldClock::fill` gives at increments of 1 or more.
                self.clock.free_run();
                c.all_taken = true;
                return;
            }
            if filters {
                if self.filter_cache.1 != rate {
                    self.filter_cache = (butterworth(CUTOFF_RATIO * rate, fs), rate);
                }
                for (section, &k) in c.filter.iter_mut().zip(&self.filter_cache.0) {
                    section[0] = k;
                }
            }
        }
        self.clock.fill(&c.increment[..n], &c.jitter[..n], &mut c.take[..n]);
    }

    /// The LFO's and the follower's values for the chunk, each only while it modulates
    /// something.
    #[inline(always)]
    fn fill_modulators(&mut self, channels: &[&mut [f32]], start: usize, n: usize) {
        let s = &self.settings;
        let c = &mut *self.controls;
        if s.lfo_bits != 0.0 || s.lfo_octaves != 0.0 {
            self.lfo.fill(s.lfo_shape, &mut c.lfo[..n]);
        } else {
            self.lfo.advance(n);
        }
        if s.follow_bits != 0.0 {
            // The louder channel's level, sanitized as the chain sanitizes it.
            let level = &mut c.follow[..n];
            level.fill(0.0);
            for channel in channels.iter().take(self.channels.len()) {
                for (l, &x) in level.iter_mut().zip(&channel[start..start + n]) {
                    // NOTE: `>`, not `f32::max`: a sanitized level is never NaN.
                    let a = sanitize(x).abs();
                    *l = if a > *l { a } else { *l };
                }
            }
            let fs = self.sample_rate;
            let times = (s.follow_attack_ms, s.follow_release_ms);
            if c.follow_coefficients.0 != times {
                c.follow_coefficients = (times, Coefficients::new(times.0, times.1, fs));
            }
            let mut amounts = [0.0; CHUNK];
            self.follower.process(level, &c.follow_coefficients.1, amount, &mut amounts[..n]);
            level.copy_from_slice(&amounts[..n]);
        }
    }

    /// The modulated bit depth of the chunk's `n` samples and their grids: the knob's ramp,
    /// plus the LFO, plus the follower, in that order, snapped to a 1/64 bit; the grid of a
    /// depth is always `Grid::new`'s, looked up once per run of samples at the same depth.
    #[inline(always)]
    fn fill_modulated_bits<I: Isa>(&mut self, isa: I, n: usize) {
        let s = &self.settings;
        let c = &mut *self.controls;
        c.steady.grid = None;
        let bits = &mut c.bits[..n];
        self.ramps[Ramp::Bits].fill(bits);
        if s.lfo_bits != 0.0 {
            for (b, &l) in bits.iter_mut().zip(&c.lfo[..n]) {
                *b += l * s.lfo_bits;
            }
        }
        if s.follow_bits != 0.0 {
            for (b, &f) in bits.iter_mut().zip(&c.follow[..n]) {
                *b += f * s.follow_bits;
            }
        }
        for b in bits.iter_mut() {
            *b = snap_to(b.clamp(MIN_BITS, MAX_BITS), MOD_BITS_STEP);
        }
        // NOTE: One lookup per run of samples at the same depth, the arrays filled over
        //       the run (a lookup per sample measured slower: docs/BENCHMARKS.md). Runs are
        //       found and written [`RUN_LANES`] samples at a time: a run's writes may reach
        //       past its end, and the next run (or nothing: past `n`) overwrites them.
        let mode_index = s.quantizer as usize;
        let bits = &c.bits;
        let mut i = 0;
        while i < n {
            let depth = bits[i];
            let run = run_length(isa, bits, i, n);
            let g = c.mod_grids[mod_grid_index(depth)][mode_index];
            let mut j = i;
            while j < i + run {
                if j + RUN_LANES <= CHUNK {
                    c.inv_step[j..j + RUN_LANES].copy_from_slice(&[g.inv_step; RUN_LANES]);
                    c.step[j..j + RUN_LANES].copy_from_slice(&[g.step; RUN_LANES]);
                    c.k_min[j..j + RUN_LANES].copy_from_slice(&[g.k_min; RUN_LANES]);
                    c.k_max[j..j + RUN_LANES].copy_from_slice(&[g.k_max; RUN_LANES]);
                    j += RUN_LANES;
                } else {
                    c.inv_step[j..i + run].fill(g.inv_step);
                    c.step[j..i + run].fill(g.step);
                    c.k_min[j..i + run].fill(g.k_min);
                    c.k_max[j..i + run].fill(g.k_max);
                    break;
                }
            }
            i += run;
        }
        self.monitor.bits = Some(bits[n - 1]);
    }
}

/// Samples compared and written at a time by [`Engine::fill_modulated_bits`]: one AVX-512
/// vector of f32.
pub(super) const RUN_LANES: usize = 16;

/// The number of samples from `i` (below `n`) on at the depth `bits[i]`, at most `n - i`.
/// `bits` holds [`RUN_LANES`] samples of padding past [`CHUNK`].
#[inline(always)]
fn run_length<I: Isa>(isa: I, bits: &[f32; CHUNK + RUN_LANES], i: usize, n: usize) -> usize {
    debug_assert!(i < n && n <= CHUNK);
    let depth = bits[i];
    let mut run = 0;
    while i + run < n {
        let window: &[f32; RUN_LANES] = bits[i + run..i + run + RUN_LANES].try_into().expect("padded");
        let differ = differ_mask(isa, window, depth);
        if differ != 0 {
            return (run + differ.trailing_zeros() as usize).min(n - i);
        }
        run += RUN_LANES;
    }
    n - i
}

/// One bit per sample of `window` at another depth than `depth` (bit `k` for sample `k`).
///
/// NOTE: In the AVX-512 build one compare into a mask register: LLVM builds the portable
///       loop's mask from four compares of 1 to 8 lanes, shifts and an OR reduction, a large
///       share of the modulators' time (docs/BENCHMARKS.md). Held to the portable loop by
///       `run_length_is_a_scan` on CPUs with AVX-512.
#[inline(always)]
fn differ_mask<I: Isa>(isa: I, window: &[f32; RUN_LANES], depth: f32) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx512) = isa.avx512() {
        return differ_mask_avx512(avx512, window, depth);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    let mut differ = 0u32;
    for (k, &b) in window.iter().enumerate() {
        differ |= ((b != depth) as u32) << k;
    }
    differ
}

/// [`differ_mask`] in one AVX-512 compare (`!=` is unordered-or-not-equal, as Rust's).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn differ_mask_avx512(_: crate::simd::Avx512, window: &[f32; RUN_LANES], depth: f32) -> u32 {
    use std::arch::x86_64::{_CMP_NEQ_UQ, _mm512_cmp_ps_mask, _mm512_loadu_ps, _mm512_set1_ps};
    // SAFETY: the token proves AVX-512 F; the load reads the 16 f32 of `window`.
    unsafe {
        let v = _mm512_loadu_ps(window.as_ptr());
        _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(v, _mm512_set1_ps(depth)) as u32
    }
}

/// The modulators and the modulated depths of one chunk ([`Engine::fill_modulators`],
/// [`Engine::fill_modulated_bits`]) as a [`Kernel`], so they run in the widest build.
struct Modulate<'a, 'b> {
    engine: &'a mut Engine,
    channels: &'a [&'b mut [f32]],
    start: usize,
    n: usize,
}

impl Kernel for Modulate<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        let Modulate { engine, channels, start, n } = self;
        engine.fill_modulators(channels, start, n);
        if engine.settings.lfo_bits != 0.0 || engine.settings.follow_bits != 0.0 {
            engine.fill_modulated_bits(isa, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `run_length` in every build.
    struct RunLengths<'a> {
        bits: &'a [f32; CHUNK + RUN_LANES],
        n: usize,
    }

    impl Kernel for RunLengths<'_> {
        type Output = Vec<usize>;
        #[inline(always)]
        fn run<I: Isa>(self, isa: I) -> Vec<usize> {
            (0..self.n).map(|i| run_length(isa, self.bits, i, self.n)).collect()
        }
    }

    /// `run_length` against a plain scan, on staircases with runs of 1 to 40 samples, in every
    /// build this CPU runs (the AVX-512 one has a mask compare of its own).
    #[test]
    fn run_length_is_a_scan() {
        for seed in 0..200u32 {
            let mut bits = [0.0f32; CHUNK + RUN_LANES];
            let (mut v, mut h) = (8.0, crate::rng::lowbias32(seed));
            let mut i = 0;
            while i < bits.len() {
                h = crate::rng::lowbias32(h);
                let len = 1 + (h % 40) as usize;
                v += MOD_BITS_STEP;
                let end = (i + len).min(bits.len());
                bits[i..end].fill(v);
                i += len;
            }
            let n = 1 + (crate::rng::lowbias32(seed ^ 0xabc) as usize % CHUNK);
            let scans: Vec<usize> =
                (0..n).map(|i| bits[i..n].iter().position(|&b| b != bits[i]).unwrap_or(n - i)).collect();
            for build in crate::simd::each_build() {
                assert_eq!(build.run(RunLengths { bits: &bits, n }), scans, "seed {seed} n {n} {build:?}");
            }
        }
    }
}
