//! The LFO: one low-frequency oscillator that moves Bit Depth and Sample Rate.
//!
//! Its position is counted in cycles, as a pure function of the sample index since the last
//! anchor: `cycles(t) = anchor_cycles + (t - anchor_t)·step` (f64; the integer
//! difference is converted exactly), so the value at a sample does not depend on how the host
//! split its blocks. The anchor moves only where the position must be re-derived:
//! - the host's transport starts, jumps (a locate, a loop) or changes tempo or time signature:
//!   the LFO locks to the song position (synced: `beats / period`; free: `seconds · Hz`), so the
//!   same bar always sounds the same, in playback and in an offline bounce;
//! - the rate or division changes: synced and playing it locks to the song position again;
//!   otherwise it carries on from the current phase at the new speed (no jump);
//! - without a playing transport it free-runs from where it was, at the last known tempo
//!   (120 BPM if the host never gave one).
//!
//! The random shapes draw one value per cycle from a hash of the cycle's index (its place in
//! the song), so a bounce is reproducible and a bar always gets the same random values.

use crate::rng::lowbias32;

choices! {
    /// The LFO's waveform. Every shape is bipolar, -1 to 1.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum LfoShape {
        /// sin(2πφ).
        Sine,
        /// 0 at φ = 0, +1 at ¼, -1 at ¾ (in phase with the sine).
        Triangle,
        /// -1 to +1, rising over the cycle.
        SawUp,
        /// +1 to -1, falling over the cycle.
        SawDown,
        /// +1 for the first half of the cycle, -1 for the second.
        Square,
        /// One random value per cycle, held.
        SampleHold,
        /// One random value per cycle, joined by a smoothstep.
        SmoothRandom,
    }
}

choices! {
    /// A synced LFO period, as a note value (straight; see [`Timing`]).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Division {
        /// 1/64 note.
        N64,
        /// 1/32 note.
        N32,
        /// 1/16 note.
        N16,
        /// 1/8 note.
        N8,
        /// 1/4 note.
        N4,
        /// 1/2 note.
        N2,
        /// One bar (of the host's time signature).
        Bar1,
        /// Two bars.
        Bar2,
        /// Four bars.
        Bar4,
        /// Eight bars.
        Bar8,
    }
}

choices! {
    /// Straight, dotted (×3/2) or triplet (×2/3) note values.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Timing {
        /// The note value as it is.
        Straight,
        /// One and a half times the note value.
        Dotted,
        /// Two thirds of the note value (three in the time of two).
        Triplet,
    }
}

impl Division {
    /// The period in quarter notes (the host's beats) under `time_signature` (numerator,
    /// denominator), before [`Timing`].
    pub fn quarter_notes(self, time_signature: (u32, u32)) -> f64 {
        let (num, den) = time_signature;
        let bar = num as f64 * 4.0 / den as f64;
        match self {
            Division::N64 => 1.0 / 16.0,
            Division::N32 => 1.0 / 8.0,
            Division::N16 => 0.25,
            Division::N8 => 0.5,
            Division::N4 => 1.0,
            Division::N2 => 2.0,
            Division::Bar1 => bar,
            Division::Bar2 => 2.0 * bar,
            Division::Bar4 => 4.0 * bar,
            Division::Bar8 => 8.0 * bar,
        }
    }
}

impl Timing {
    /// The factor on the note value.
    pub fn factor(self) -> f64 {
        match self {
            Timing::Straight => 1.0,
            Timing::Dotted => 1.5,
            Timing::Triplet => 2.0 / 3.0,
        }
    }
}

/// How fast the LFO runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LfoRate {
    /// Free, in Hz (0.01 to 40).
    Hz(f32),
    /// Synced to the tempo: a note value and its timing.
    Synced(Division, Timing),
}

/// What the host says about its transport at the start of a block. Every field is optional
/// because hosts differ in what they send; with nothing, the LFO free-runs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Transport {
    /// Whether the transport plays (the song position moves).
    pub playing: bool,
    /// Tempo in quarter notes per minute.
    pub tempo: Option<f64>,
    /// Song position in quarter notes at the block's first sample.
    pub beats: Option<f64>,
    /// Song position in seconds at the block's first sample.
    pub seconds: Option<f64>,
    /// Time signature (numerator, denominator).
    pub time_signature: Option<(u32, u32)>,
}

/// Tempo assumed until the host gives one, in BPM.
pub const DEFAULT_TEMPO: f64 = 120.0;
/// Lowest free LFO rate, Hz.
pub const MIN_HZ: f32 = 0.01;
/// Highest free LFO rate, Hz.
pub const MAX_HZ: f32 = 40.0;

/// Seed of the random shapes' hash (any constant: it only decorrelates them from the dither).
const RANDOM_SEED: u32 = 0x4c46_4f31;

/// The value of `shape` at position `cycles` (the integer part numbers the cycle, the
/// fractional part is the phase φ). The definition [`Lfo::fill`] computes.
#[inline(always)]
pub fn value(shape: LfoShape, cycles: f64) -> f32 {
    let (cycle, phase) = split(cycles);
    shape_at(shape, cycle, phase)
}

/// Positions this close below a whole cycle count as on it: `n·step` can fall a hair short
/// of a beat the exact arithmetic puts on a sample (at 60 BPM and 48 kHz, sample 48000 is
/// beat 1.0 exactly, and `48000·(1/48000)` is 1 - 2^-53 or so).
const CYCLE_TOLERANCE: f64 = 1e-9;

/// `floor(x)` for |x| < 2^51 in f64 arithmetic that vectorises (`f64::floor` is a library call
/// on baseline x86_64): adding and subtracting 1.5·2^52 rounds to the nearest whole number,
/// then one step down where that rounded up.
#[inline(always)]
fn floor_f64(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    let r = (x + MAGIC) - MAGIC;
    if r > x { r - 1.0 } else { r }
}

/// The whole cycle `cycles` is in, with [`CYCLE_TOLERANCE`].
#[inline(always)]
fn cycle_of(cycles: f64) -> f64 {
    floor_f64(cycles + CYCLE_TOLERANCE)
}

/// The phase in [0, 1) of `cycles`, as f32.
#[inline(always)]
fn phase_of(cycles: f64) -> f32 {
    let phase = ((cycles - cycle_of(cycles)).max(0.0)) as f32;
    // NOTE: The f64 → f32 rounding can give exactly 1.0 just below a cycle's end.
    if phase >= 1.0 { 0.0 } else { phase }
}

/// `cycles` as (the cycle's index, the phase in [0, 1) as f32).
#[inline(always)]
fn split(cycles: f64) -> (i64, f32) {
    (cycle_of(cycles) as i64, phase_of(cycles))
}

/// The value of `shape` in cycle `cycle` at `phase` in [0, 1).
#[inline(always)]
fn shape_at(shape: LfoShape, cycle: i64, phase: f32) -> f32 {
    match shape {
        LfoShape::Sine => sin_cycle(phase),
        LfoShape::Triangle => {
            if phase < 0.25 {
                4.0 * phase
            } else if phase < 0.75 {
                2.0 - 4.0 * phase
            } else {
                4.0 * phase - 4.0
            }
        }
        LfoShape::SawUp => 2.0 * phase - 1.0,
        LfoShape::SawDown => 1.0 - 2.0 * phase,
        LfoShape::Square => {
            if phase < 0.5 {
                1.0
            } else {
                -1.0
            }
        }
        LfoShape::SampleHold => random(cycle),
        LfoShape::SmoothRandom => {
            let (a, b) = (random(cycle), random(cycle.wrapping_add(1)));
            let w = phase * phase * (3.0 - 2.0 * phase);
            a + (b - a) * w
        }
    }
}

/// The random value of cycle `k`, uniform in [-1, 1) in steps of 2^-23.
#[inline(always)]
pub fn random(k: i64) -> f32 {
    let h = lowbias32((k as u32) ^ RANDOM_SEED ^ lowbias32((k >> 32) as u32));
    (h >> 8) as f32 * (1.0 / 8_388_608.0) - 1.0
}

/// sin(2π·phase) for phase in [0, 1), to within 1e-7 (a Taylor polynomial to the 11th power on
/// a quarter cycle: its remainder at π/2 is (π/2)^13/13! ≈ 5.7e-8). Branch-light, so a chunk of
/// it vectorises.
#[inline(always)]
pub fn sin_cycle(phase: f32) -> f32 {
    // sin(2πφ) = -sin(2π(φ - ½)); fold x = φ - ½ into [-¼, ¼] by sin(π - a) = sin(a).
    let x = phase - 0.5;
    let x = if x > 0.25 {
        0.5 - x
    } else if x < -0.25 {
        -0.5 - x
    } else {
        x
    };
    let y = x * core::f32::consts::TAU;
    let y2 = y * y;
    let p = 1.0
        + y2 * (-1.0 / 6.0
            + y2 * (1.0 / 120.0 + y2 * (-1.0 / 5040.0 + y2 * (1.0 / 362_880.0 + y2 * (-1.0 / 39_916_800.0)))));
    -(y * p)
}

/// The LFO's position in time: the sample counter, the song position it follows and the anchor
/// its cycles are counted from.
#[derive(Debug, Clone)]
pub struct Lfo {
    /// Host sample rate, Hz.
    sample_rate: f64,
    /// Samples since the last [`Lfo::reset`].
    t: i64,
    /// The rate in force.
    rate: LfoRate,
    /// Time signature in force (numerator, denominator); 4/4 until the host says otherwise.
    time_signature: (u32, u32),
    /// Tempo in force, BPM.
    tempo: f64,
    /// Song position in quarter notes at sample `beat_t` (the host's, or where free-running
    /// reckons it).
    beat_anchor: f64,
    /// The sample of `beat_anchor`.
    beat_t: i64,
    /// Song position in seconds at sample `beat_t`.
    seconds_anchor: f64,
    /// Whether the host's transport was playing at the last block (the position is the host's).
    following: bool,
    /// Cycles at sample `anchor_t` (from the song's start while following a transport).
    anchor_cycles: f64,
    /// The sample of `anchor_cycles`.
    anchor_t: i64,
    /// Cycles per sample.
    step: f64,
}

impl Lfo {
    /// An LFO at the start of its first cycle, at `sample_rate` Hz.
    pub fn new(sample_rate: f32, rate: LfoRate) -> Self {
        let mut lfo = Self {
            sample_rate: sample_rate as f64,
            t: 0,
            rate,
            time_signature: (4, 4),
            tempo: DEFAULT_TEMPO,
            beat_anchor: 0.0,
            beat_t: 0,
            seconds_anchor: 0.0,
            following: false,
            anchor_cycles: 0.0,
            anchor_t: 0,
            step: 0.0,
        };
        lfo.step = lfo.speed();
        lfo
    }

    /// Back to the start: sample 0, cycle 0, song position 0, not following a transport.
    pub fn reset(&mut self) {
        *self = Self::new(self.sample_rate as f32, self.rate);
    }

    /// The song position in quarter notes at the current sample.
    fn beats_now(&self) -> f64 {
        self.beat_anchor + (self.t - self.beat_t) as f64 * self.tempo / (60.0 * self.sample_rate)
    }

    /// The song position in seconds at the current sample.
    fn seconds_now(&self) -> f64 {
        self.seconds_anchor + (self.t - self.beat_t) as f64 / self.sample_rate
    }

    /// The current period in quarter notes, when synced.
    fn period_quarters(&self) -> Option<f64> {
        match self.rate {
            LfoRate::Synced(d, timing) => Some(d.quarter_notes(self.time_signature) * timing.factor()),
            LfoRate::Hz(_) => None,
        }
    }

    /// Cycles per sample at the rate and tempo in force.
    fn speed(&self) -> f64 {
        match (self.rate, self.period_quarters()) {
            (_, Some(quarters)) => self.tempo / (60.0 * self.sample_rate * quarters),
            (LfoRate::Hz(hz), None) => hz as f64 / self.sample_rate,
            _ => unreachable!(),
        }
    }

    /// The cycles at the current sample.
    fn cycles_now(&self) -> f64 {
        self.anchor_cycles + (self.t - self.anchor_t) as f64 * self.step
    }

    /// Anchor the cycles at the current sample to the song position.
    fn lock(&mut self) {
        self.anchor_cycles = match (self.rate, self.period_quarters()) {
            (_, Some(quarters)) => self.beats_now() / quarters,
            (LfoRate::Hz(hz), None) => self.seconds_now() * hz as f64,
            _ => unreachable!(),
        };
        self.anchor_t = self.t;
        self.step = self.speed();
    }

    /// Carry on from the current phase at the speed now in force.
    fn carry_on(&mut self) {
        self.anchor_cycles = self.cycles_now();
        self.anchor_t = self.t;
        self.step = self.speed();
    }

    /// Take the rate from the settings (at the current sample).
    pub fn set_rate(&mut self, rate: LfoRate) {
        let rate = match rate {
            LfoRate::Hz(hz) if hz.is_nan() => LfoRate::Hz(1.0),
            LfoRate::Hz(hz) => LfoRate::Hz(hz.clamp(MIN_HZ, MAX_HZ)),
            synced => synced,
        };
        if rate == self.rate {
            return;
        }
        self.rate = rate;
        if self.following && matches!(rate, LfoRate::Synced(..)) {
            self.lock();
        } else {
            self.carry_on();
        }
    }

    /// Take the host's transport at the current sample (the start of a block).
    pub fn set_transport(&mut self, transport: &Transport) {
        let sane_tempo = transport.tempo.filter(|t| t.is_finite() && *t >= 1.0 && *t <= 10_000.0);
        let time_signature = transport
            .time_signature
            .filter(|&(n, d)| (1..=64).contains(&n) && d.is_power_of_two() && d <= 64)
            .unwrap_or(self.time_signature);
        let beats = transport.beats.filter(|b| b.is_finite() && b.abs() < 1e12);
        let tempo = sane_tempo.unwrap_or(self.tempo);
        let changed = tempo != self.tempo || time_signature != self.time_signature;
        // The song position where the anchor reckons it now, before any change.
        let (beats_now, seconds_now) = (self.beats_now(), self.seconds_now());
        if let (true, Some(host_beats)) = (transport.playing, beats) {
            // A host position within half a sample of where the anchor reckons it is the same
            // position, only rounded differently (hosts compute it per block): keep the anchor,
            // so the cycles stay a function of the sample index alone.
            let half_sample = 0.5 * tempo / (60.0 * self.sample_rate);
            let jumped = (host_beats - beats_now).abs() > half_sample;
            if !self.following || jumped || changed {
                self.tempo = tempo;
                self.time_signature = time_signature;
                self.beat_anchor = host_beats;
                self.beat_t = self.t;
                self.seconds_anchor =
                    transport.seconds.filter(|s| s.is_finite() && s.abs() < 1e12).unwrap_or(host_beats * 60.0 / tempo);
                self.following = true;
                self.lock();
            }
        } else {
            // Stopped, or no song position: free-run from here at the host's tempo.
            self.following = false;
            if changed {
                self.beat_anchor = beats_now;
                self.seconds_anchor = seconds_now;
                self.beat_t = self.t;
                self.tempo = tempo;
                self.time_signature = time_signature;
                self.carry_on();
            }
        }
    }

    /// The next `out.len()` values of `shape`, then the position moves past them.
    #[inline(always)]
    pub fn fill(&mut self, shape: LfoShape, out: &mut [f32]) {
        let (c0, step, base) = (self.anchor_cycles, self.step, (self.t - self.anchor_t) as f64);
        // One loop per shape, so the shape's `match` is not inside the loop; the periodic
        // shapes need only the phase, in f64 arithmetic that vectorises.
        macro_rules! fill_with {
            (periodic: $($shape:ident),*; random: $($random:ident),*) => {
                match shape {
                    $(LfoShape::$shape => {
                        // NOTE: Two passes, the phases (f64) and then the shape (f32), so each
                        //       loop has one lane width and vectorises.
                        for (i, v) in out.iter_mut().enumerate() {
                            *v = phase_of(c0 + (base + i as f64) * step);
                        }
                        for v in out.iter_mut() {
                            *v = shape_at(LfoShape::$shape, 0, *v);
                        }
                    })*
                    $(LfoShape::$random => {
                        for (i, v) in out.iter_mut().enumerate() {
                            let (cycle, phase) = split(c0 + (base + i as f64) * step);
                            *v = shape_at(LfoShape::$random, cycle, phase);
                        }
                    })*
                }
            };
        }
        fill_with!(periodic: Sine, Triangle, SawUp, SawDown, Square; random: SampleHold, SmoothRandom);
        self.t += out.len() as i64;
    }

    /// Move the position past `n` samples without computing them.
    pub fn advance(&mut self, n: usize) {
        self.t += n as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPES: [LfoShape; 7] = [
        LfoShape::Sine,
        LfoShape::Triangle,
        LfoShape::SawUp,
        LfoShape::SawDown,
        LfoShape::Square,
        LfoShape::SampleHold,
        LfoShape::SmoothRandom,
    ];

    /// Each shape against its definition in f64, at phases across several cycles.
    fn check_shape(shape: LfoShape) {
        for i in 0..4000 {
            let cycles = -3.0 + i as f64 * 0.00213;
            let k = cycles.floor();
            let phi = cycles - k;
            let expected = match shape {
                LfoShape::Sine => (std::f64::consts::TAU * phi).sin(),
                LfoShape::Triangle => {
                    // Distance-based definition: 1 - 4·|φ - ¼| folded.
                    let d = (phi - 0.25).rem_euclid(1.0);
                    if d < 0.5 { 1.0 - 4.0 * d } else { 4.0 * d - 3.0 }
                }
                LfoShape::SawUp => 2.0 * phi - 1.0,
                LfoShape::SawDown => 1.0 - 2.0 * phi,
                LfoShape::Square => {
                    if phi < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                LfoShape::SampleHold => random(k as i64) as f64,
                LfoShape::SmoothRandom => {
                    let (a, b) = (random(k as i64) as f64, random(k as i64 + 1) as f64);
                    a + (b - a) * (3.0 * phi * phi - 2.0 * phi * phi * phi)
                }
            };
            let got = value(shape, cycles) as f64;
            assert!((got - expected).abs() < 2e-6, "{shape:?} at {cycles}: {got} vs {expected}");
            assert!((-1.0..=1.0).contains(&got));
        }
    }

    #[test]
    fn sine_is_its_definition() {
        check_shape(LfoShape::Sine)
    }
    #[test]
    fn triangle_is_its_definition() {
        check_shape(LfoShape::Triangle)
    }
    #[test]
    fn saws_are_their_definition() {
        check_shape(LfoShape::SawUp);
        check_shape(LfoShape::SawDown)
    }
    #[test]
    fn square_is_its_definition() {
        check_shape(LfoShape::Square)
    }
    #[test]
    fn random_shapes_are_their_definition() {
        check_shape(LfoShape::SampleHold);
        check_shape(LfoShape::SmoothRandom)
    }

    /// The random values are spread over [-1, 1) (mean near 0, both halves used).
    #[test]
    fn random_values_are_uniform() {
        let n = 20_000;
        let v: Vec<f32> = (0..n).map(random).collect();
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "mean {mean}");
        let below = v.iter().filter(|&&x| x < -0.5).count() as f64 / n as f64;
        assert!((below - 0.25).abs() < 0.02, "share below -0.5: {below}");
        assert!(v.iter().all(|x| (-1.0..1.0).contains(x)));
    }

    /// Playing from `start_beats` at `bpm`: the LFO's values for `n` samples, in blocks of `block`.
    fn render(rate: LfoRate, shape: LfoShape, bpm: f64, fs: f32, start_beats: f64, n: usize, block: usize) -> Vec<f32> {
        let mut lfo = Lfo::new(fs, rate);
        let mut out = vec![0.0; n];
        let mut t = 0;
        while t < n {
            let len = block.min(n - t);
            // As a host computes it per block.
            let beats = start_beats + t as f64 / fs as f64 * bpm / 60.0;
            lfo.set_transport(&Transport {
                playing: true,
                tempo: Some(bpm),
                beats: Some(beats),
                seconds: Some(beats * 60.0 / bpm),
                time_signature: Some((4, 4)),
            });
            lfo.fill(shape, &mut out[t..t + len]);
            t += len;
        }
        out
    }

    /// Synced to 1/4, a saw rises for exactly one beat: its wraps are a beat apart to the
    /// sample (rounded from the exact beat time), at each tempo and sample rate.
    fn check_synced_period(bpm: f64, fs: f32) {
        let rate = LfoRate::Synced(Division::N4, Timing::Straight);
        let n = (fs as f64 * 8.0 * 60.0 / bpm) as usize;
        let v = render(rate, LfoShape::SawUp, bpm, fs, 0.0, n, 512);
        let wraps: Vec<usize> = (1..n).filter(|&i| v[i] < v[i - 1]).collect();
        assert_eq!(wraps.len(), 7, "{bpm} BPM at {fs} Hz: {wraps:?}");
        for (j, &w) in wraps.iter().enumerate() {
            // The first sample at or after beat j+1.
            let exact = (j + 1) as f64 * 60.0 / bpm * fs as f64;
            assert_eq!(w, exact.ceil() as usize, "{bpm} BPM at {fs} Hz: wrap {j}");
        }
    }

    #[test]
    fn synced_period_is_exact_at_60_bpm() {
        check_synced_period(60.0, 44100.0);
        check_synced_period(60.0, 48000.0);
    }
    #[test]
    fn synced_period_is_exact_at_120_5_bpm() {
        check_synced_period(120.5, 44100.0);
        check_synced_period(120.5, 48000.0);
    }
    #[test]
    fn synced_period_is_exact_at_174_bpm() {
        check_synced_period(174.0, 44100.0);
        check_synced_period(174.0, 48000.0);
    }

    /// Bar 9 sounds the same whether playback started at bar 1 or jumped there. Where the bar
    /// line falls between samples, the jumped render starts a fraction of a sample earlier, so
    /// a discontinuous shape may switch a sample apart at its edges; nowhere else may they differ.
    fn check_jump(bpm: f64, fs: f32) {
        for shape in SHAPES {
            for rate in [
                LfoRate::Synced(Division::Bar1, Timing::Straight),
                LfoRate::Synced(Division::N8, Timing::Triplet),
                LfoRate::Synced(Division::N4, Timing::Dotted),
                LfoRate::Hz(1.7),
            ] {
                let bar9 = 32.0;
                let exact = bar9 * 60.0 / bpm * fs as f64;
                let samples_to_bar9 = exact.ceil() as usize;
                let from_start = render(rate, shape, bpm, fs, 0.0, samples_to_bar9 + 8192, 480);
                let jumped = render(rate, shape, bpm, fs, bar9, 8192, 333);
                let differ = (0..8192).filter(|&i| (from_start[samples_to_bar9 + i] - jumped[i]).abs() > 1e-3).count();
                let edges = if exact.fract() == 0.0 { 0 } else { 3 };
                assert!(differ <= edges, "{shape:?} {rate:?} at {bpm} BPM, {fs} Hz: {differ} samples differ");
            }
        }
    }

    #[test]
    fn phase_at_a_bar_line_is_the_same_after_a_jump() {
        check_jump(120.0, 48000.0);
        check_jump(120.5, 44100.0);
    }

    /// The block size never changes a value.
    #[test]
    fn blocks_do_not_change_the_values() {
        for shape in SHAPES {
            let rate = LfoRate::Synced(Division::N16, Timing::Triplet);
            let a = render(rate, shape, 133.0, 48000.0, 3.25, 30_000, 30_000);
            for block in [1, 7, 64, 511] {
                let b = render(rate, shape, 133.0, 48000.0, 3.25, 30_000, block);
                assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{shape:?} block {block}");
            }
        }
    }

    /// With no transport it free-runs at its own rate; a rate change carries on from the
    /// current phase (no jump).
    #[test]
    fn free_running_carries_on_across_rate_changes() {
        let fs = 48000.0;
        let mut lfo = Lfo::new(fs, LfoRate::Hz(2.0));
        let mut a = vec![0.0; 6000];
        lfo.fill(LfoShape::SawUp, &mut a);
        // 2 Hz: 1/8 cycle in 6000 samples.
        assert!((a[5999] - (2.0 * 5999.0 * 2.0 / 48000.0 - 1.0)).abs() < 1e-4);
        lfo.set_rate(LfoRate::Hz(4.0));
        let mut b = vec![0.0; 10];
        lfo.fill(LfoShape::SawUp, &mut b);
        // The step into the change is the old rate's, the steps after it the new rate's.
        assert!((b[0] - a[5999] - 2.0 * 2.0 / 48000.0).abs() < 1e-6, "{} then {}", a[5999], b[0]);
        assert!((b[2] - b[1] - 2.0 * 4.0 / 48000.0).abs() < 1e-6);
    }
}
