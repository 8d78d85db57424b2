//! Movement: what moves the bit depth and the Sample Rate while the knobs stand still. The LFO,
//! the envelope follower and the held notes with their glide, each per chunk into arrays the
//! general path reads, and the modulated depth's grids, looked up once per run of equal depth.
//!
//! Whether anything moves is asked here only: [`Movement::bits_moving`] and
//! [`Movement::rate_moving`] (the router sends a moving chunk down the general path).

use super::settings::sanitize;
use super::{CHUNK, Monitor, Settings};
use crate::follower::{Coefficients, Follower, amount};
use crate::lfo::{Lfo, LfoRate, Transport};
use crate::notes::{Glide, Notes, note_hz};
use crate::quantizer::{Grid, MAX_BITS, MIN_BITS, QuantizerMode, round_half_even};
use crate::simd::{Isa, Kernel};
use crate::smoother::LinearRamp;

use super::settings::{MAX_RATE, MIN_RATE};

/// The modulated bit depth moves in steps of this many bits (0.1 dB of quantizer step size:
/// inaudible as steps, and the grid's two `exp2` are computed only when it moves a step).
pub const MOD_BITS_STEP: f32 = 1.0 / 64.0;

/// The LFO-modulated Sample Rate moves in steps of this many octaves (1.2 cents), for the same
/// reason (an `exp2` and, with the filters, their coefficients per step).
pub const MOD_OCTAVE_STEP: f32 = 1.0 / 1024.0;

/// `v` rounded to a multiple of `step` (a power of two), ties to even.
#[inline(always)]
pub(super) fn snap_to(v: f32, step: f32) -> f32 {
    round_half_even(v / step) * step
}

/// The quantizer's per-sample grid arrays a modulated depth writes (the controls' own).
pub(super) struct GridArrays<'a> {
    /// 1/Δ per sample.
    pub(super) inv_step: &'a mut [f32],
    /// Δ per sample.
    pub(super) step: &'a mut [f32],
    /// Lowest level index per sample.
    pub(super) k_min: &'a mut [f32],
    /// Highest level index per sample.
    pub(super) k_max: &'a mut [f32],
}

/// Samples compared and written at a time by [`Movement::fill_modulated_bits`]: one AVX-512
/// vector of f32.
pub(super) const RUN_LANES: usize = 16;

/// The LFO, the follower, the notes and what they did, for one engine (all channels share
/// them: the follower follows the louder channel).
pub(super) struct Movement {
    /// Host sample rate in Hz.
    sample_rate: f32,
    /// The LFO's position.
    lfo: Lfo,
    /// The envelope follower.
    follower: Follower,
    /// The follower's (attack, release) times in ms and their coefficients (computed on a
    /// change, not per chunk).
    follow_coefficients: ((f32, f32), Coefficients),
    /// The notes held, for note-tracked Sample Rate.
    notes: Notes,
    /// The note-tracked rate, log2 Hz, gliding between notes.
    glide: Glide,
    /// What the modulation did at the last sample processed, for the editor.
    pub(super) monitor: Monitor,
    /// The chunk's values, written only while they modulate something.
    values: Box<Values>,
}

/// Per-sample values of one chunk.
struct Values {
    /// The modulated bit depth (the last [`RUN_LANES`] are padding, read but never used).
    bits: [f32; CHUNK + RUN_LANES],
    /// The LFO, -1 to 1.
    lfo: [f32; CHUNK],
    /// The follower's modulation amount, 0 to 1.
    follow: [f32; CHUNK],
    /// `Grid::new` of every bit depth on the [`MOD_BITS_STEP`] grid from [`MIN_BITS`] to
    /// [`MAX_BITS`] (index [`mod_grid_index`]), for each quantizer mode (by discriminant):
    /// computed once, so a moving depth costs a lookup, not two `exp2`.
    grids: Box<[[Grid; 2]]>,
}

/// The LFO's rate under `s`.
fn lfo_rate(s: &Settings) -> LfoRate {
    if s.lfo_sync { LfoRate::Synced(s.lfo_division, s.lfo_timing) } else { LfoRate::Hz(s.lfo_hz) }
}

impl Movement {
    /// Nothing moving, at `sample_rate` under `s` (allocates: call outside the audio thread).
    pub(super) fn new(s: &Settings, sample_rate: f32) -> Self {
        Self {
            sample_rate,
            lfo: Lfo::new(sample_rate, lfo_rate(s)),
            follower: Follower::default(),
            follow_coefficients: ((f32::NAN, f32::NAN), Coefficients::new(1.0, 1.0, sample_rate)),
            notes: Notes::default(),
            glide: Glide::default(),
            monitor: Monitor::default(),
            values: Box::new(Values {
                bits: [0.0; CHUNK + RUN_LANES],
                lfo: [0.0; CHUNK],
                follow: [0.0; CHUNK],
                grids: mod_grid_table(),
            }),
        }
    }

    /// Forget the past: the LFO at its start, no notes, no envelope.
    pub(super) fn reset(&mut self) {
        self.lfo.reset();
        self.follower.reset();
        self.notes.reset();
        self.glide = Glide::default();
        self.monitor = Monitor::default();
    }

    /// Whether the LFO or the follower moves the bit depth under `s`.
    pub(super) fn bits_moving(s: &Settings) -> bool {
        s.lfo_bits != 0.0 || s.follow_bits != 0.0
    }

    /// Whether the LFO moves the Sample Rate under `s`.
    pub(super) fn lfo_on_rate(s: &Settings) -> bool {
        s.lfo_octaves != 0.0
    }

    /// Whether the LFO or the follower need their values for a chunk under `s`.
    pub(super) fn modulating(s: &Settings) -> bool {
        Self::bits_moving(s) || Self::lfo_on_rate(s)
    }

    /// Whether the LFO moves the Sample Rate under `s`, or a note's glide is under way.
    pub(super) fn rate_moving(&self, s: &Settings) -> bool {
        Self::lfo_on_rate(s) || self.glide.is_moving()
    }

    /// Whether a held note's glide is under way.
    pub(super) fn gliding(&self) -> bool {
        self.glide.is_moving()
    }

    /// The next sample of the note-tracked rate, log2 Hz.
    pub(super) fn next_glide(&mut self) -> f32 {
        self.glide.next_value()
    }

    /// The LFO's value at sample `i` of the chunk (written while it modulates something).
    pub(super) fn lfo_at(&self, i: usize) -> f32 {
        self.values.lfo[i]
    }

    /// New settings: the LFO's rate may have changed.
    pub(super) fn set_settings(&mut self, s: &Settings) {
        self.lfo.set_rate(lfo_rate(s));
    }

    /// The host's transport at the next sample.
    pub(super) fn set_transport(&mut self, transport: &Transport) {
        self.lfo.set_transport(transport);
    }

    /// Move the LFO on by `n` samples without reading it.
    pub(super) fn advance(&mut self, n: usize) {
        self.lfo.advance(n);
    }

    /// The held notes, to press, release and bend.
    pub(super) fn notes(&mut self) -> &mut Notes {
        &mut self.notes
    }

    /// The held note's rate in Hz under `s` (the plain value the hold uses once any glide has
    /// landed), if a note is held.
    pub(super) fn note_rate(&self, s: &Settings) -> Option<f32> {
        let (note, bend) = self.notes.sounding()?;
        let hz = note_hz(note, bend, s.harmonic);
        Some(hz.clamp(MIN_RATE, MAX_RATE))
    }

    /// Point the glide at the held note's rate (after a note, bend or Harmonic change), from
    /// `knob` (log2 Hz, where the knob's rate is now) when no note was tracked before.
    pub(super) fn track_note(&mut self, s: &Settings, knob: f32) {
        let was_tracking = self.monitor.note.is_some();
        self.monitor.note = self.notes.current();
        if let Some(hz) = self.note_rate(s) {
            if !was_tracking {
                self.glide.jump(knob);
            }
            let samples = (s.glide_ms as f64 * 1e-3 * self.sample_rate as f64).round() as u32;
            self.glide.glide_to(libm::log2f(hz), samples);
        }
    }

    /// The LFO's and the follower's values for the chunk of `n` samples at `start` of the
    /// first `channels` of `input`, each only while it modulates something.
    #[inline(always)]
    fn fill_modulators(&mut self, s: &Settings, input: &[&mut [f32]], channels: usize, start: usize, n: usize) {
        let v = &mut *self.values;
        if s.lfo_bits != 0.0 || Self::lfo_on_rate(s) {
            self.lfo.fill(s.lfo_shape, &mut v.lfo[..n]);
        } else {
            self.lfo.advance(n);
        }
        if s.follow_bits != 0.0 {
            // The louder channel's level, sanitized as the chain sanitizes it.
            let level = &mut v.follow[..n];
            level.fill(0.0);
            for channel in input.iter().take(channels) {
                for (l, &x) in level.iter_mut().zip(&channel[start..start + n]) {
                    // NOTE: `>`, not `f32::max`: a sanitized level is never NaN.
                    let a = sanitize(x).abs();
                    *l = if a > *l { a } else { *l };
                }
            }
            let times = (s.follow_attack_ms, s.follow_release_ms);
            if self.follow_coefficients.0 != times {
                self.follow_coefficients = (times, Coefficients::new(times.0, times.1, self.sample_rate));
            }
            let mut amounts = [0.0; CHUNK];
            self.follower.process(level, &self.follow_coefficients.1, amount, &mut amounts[..n]);
            level.copy_from_slice(&amounts[..n]);
        }
    }

    /// The modulated bit depth of the chunk's `n` samples and their grids in `grids`: the
    /// knob's ramp (`bits`), plus the LFO, plus the follower, in that order, snapped to a 1/64
    /// bit; the grid of a depth is always `Grid::new`'s, looked up once per run of samples at
    /// the same depth.
    #[inline(always)]
    fn fill_modulated_bits<I: Isa>(
        &mut self,
        isa: I,
        s: &Settings,
        ramp: &mut LinearRamp,
        c: GridArrays<'_>,
        n: usize,
    ) {
        let v = &mut *self.values;
        let bits = &mut v.bits[..n];
        ramp.fill(bits);
        if s.lfo_bits != 0.0 {
            for (b, &l) in bits.iter_mut().zip(&v.lfo[..n]) {
                *b += l * s.lfo_bits;
            }
        }
        if s.follow_bits != 0.0 {
            for (b, &f) in bits.iter_mut().zip(&v.follow[..n]) {
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
        let bits = &v.bits;
        let mut i = 0;
        while i < n {
            let depth = bits[i];
            let run = run_length(isa, bits, i, n);
            let g = v.grids[mod_grid_index(depth)][mode_index];
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

/// The grids of [`Values::grids`], allocated and computed once.
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
/// [`Values::grids`].
#[inline(always)]
fn mod_grid_index(bits: f32) -> usize {
    debug_assert!((MIN_BITS..=MAX_BITS).contains(&bits));
    ((bits - MIN_BITS) / MOD_BITS_STEP) as usize
}

/// The modulators and the modulated depths of one chunk as a [`Kernel`], so they run in the
/// widest build.
pub(super) struct Modulate<'a, 'b> {
    pub(super) movement: &'a mut Movement,
    pub(super) settings: &'a Settings,
    /// The Bit Depth knob's ramp.
    pub(super) bits_ramp: &'a mut LinearRamp,
    /// Where the modulated depth's grids go.
    pub(super) grids: GridArrays<'a>,
    /// The host's channels (the follower reads their input) and how many the engine has.
    pub(super) input: &'a [&'b mut [f32]],
    pub(super) channels: usize,
    pub(super) start: usize,
    pub(super) n: usize,
}

impl Kernel for Modulate<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        let Modulate { movement, settings, bits_ramp, grids, input, channels, start, n } = self;
        movement.fill_modulators(settings, input, channels, start, n);
        if Movement::bits_moving(settings) {
            movement.fill_modulated_bits(isa, settings, bits_ramp, grids, n);
        }
    }
}

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
