//! Sample-rate reduction by sample and hold, with clock jitter.
//!
//! A phase accumulator advances by `rate / fs` per host sample (kept in f64, with the fraction
//! carried over, so rates that do not divide the host rate hold for alternating lengths with no
//! drift). When it passes the current period threshold the hold takes a new sample. With
//! jitter `j` each hold's length is `(1 + j·u)` periods, `u` uniform on [-1, 1) from a
//! counter-based stream indexed by the hold number, so 0 % is exactly periodic and renders
//! are reproducible after `reset()`.
//!
//! The clock is shared by all channels (a converter's clock jitters for every channel at
//! once): [`HoldClock::fill`] writes which samples take a new value, and each channel's
//! [`Hold`] follows that mask.

use super::rng::CounterRng;

/// Phase comparisons allow this much rounding, in periods.
const PHASE_TOLERANCE: f64 = 1e-9;

/// The sample-and-hold clock for all channels.
#[derive(Debug, Clone)]
pub struct HoldClock {
    /// Position within the current period, in periods (0 to `threshold`).
    phase: f64,
    /// Length of the current period, in periods (1 without jitter).
    threshold: f64,
    /// Random stream for the jitter, indexed by hold number.
    rng: CounterRng,
    /// Holds taken since reset.
    holds: u32,
}

impl HoldClock {
    /// A clock whose jitter stream derives from `seed`.
    pub fn new(seed: u32) -> Self {
        Self {
            // The first sample is always taken.
            phase: 1.0,
            threshold: 1.0,
            rng: CounterRng::new(seed ^ 0x484f_4c44, 0),
            holds: 0,
        }
    }

    /// Restart: the next sample is taken and the jitter stream starts over.
    pub fn reset(&mut self) {
        self.phase = 1.0;
        self.threshold = 1.0;
        self.holds = 0;
    }

    /// Every sample taken (what [`HoldClock::fill`] does when the rate is not reduced).
    pub fn free_run(&mut self) {
        self.phase = 1.0;
        self.threshold = 1.0;
    }

    /// Make the next sample a take, starting a new hold period there (a note-on: the held
    /// note's staircase starts on the note's first sample). The jitter stream goes on.
    pub fn retrigger(&mut self) {
        self.phase = self.threshold;
    }

    /// Number of holds taken since reset.
    pub fn holds(&self) -> u32 {
        self.holds
    }

    /// For each sample, whether the hold takes a new value. `increment[n]` is
    /// `rate / host rate` (values at or above 1 take every sample) and `jitter[n]` is 0 to 1.
    pub fn fill(&mut self, increment: &[f64], jitter: &[f32], take: &mut [bool]) {
        debug_assert!(increment.len() == take.len() && jitter.len() == take.len());
        for ((t, &inc), &jit) in take.iter_mut().zip(increment).zip(jitter) {
            *t = self.tick(inc, jit);
        }
    }

    /// Advance by `n` samples at a steady `increment` and `jitter`, exactly as
    /// [`HoldClock::fill`] would, without writing the mask (for bypassed audio, which still
    /// keeps the clock in step with the sample position).
    pub fn skip(&mut self, increment: f64, jitter: f32, n: usize) {
        if n == 0 {
            return;
        }
        if increment >= 1.0 {
            self.free_run();
            return;
        }
        for _ in 0..n {
            self.tick(increment, jitter);
        }
    }

    /// One host sample: whether the hold takes it.
    #[inline(always)]
    fn tick(&mut self, inc: f64, jit: f32) -> bool {
        if inc >= 1.0 {
            // No reduction: every sample is new, and the clock restarts cleanly.
            self.phase = 1.0;
            self.threshold = 1.0;
            return true;
        }
        // NOTE: The tolerance absorbs f64 rounding in the running sum, so a rate that
        //       divides the host rate holds for exactly the same length every time.
        let take = self.phase >= self.threshold - PHASE_TOLERANCE;
        if take {
            self.phase = (self.phase - self.threshold).max(0.0);
            self.holds = self.holds.wrapping_add(1);
            let word = self.rng.word_at(self.holds);
            // u uniform on [-1, 1).
            let u = (word >> 8) as f64 / 8_388_608.0 - 1.0;
            self.threshold = (1.0 + jit as f64 * u).max(1e-3);
        }
        self.phase += inc;
        take
    }
}

/// One channel's held value.
#[derive(Debug, Clone, Default)]
pub struct Hold {
    /// The value being held.
    value: f32,
}

impl Hold {
    /// Forget the held value.
    pub fn reset(&mut self) {
        self.value = 0.0;
    }

    /// Take `value` as the held value (every sample taken; the last one stays).
    pub fn set(&mut self, value: f32) {
        self.value = value;
    }

    /// Hold `signal` in place where `take` is false.
    pub fn process(&mut self, take: &[bool], signal: &mut [f32]) {
        debug_assert!(take.len() == signal.len());
        for (s, &t) in signal.iter_mut().zip(take) {
            if t {
                self.value = *s;
            } else {
                *s = self.value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn takes(rate: f32, fs: f32, jitter: f32, n: usize) -> Vec<bool> {
        let mut clock = HoldClock::new(1);
        let mut take = vec![false; n];
        clock.fill(&vec![rate as f64 / fs as f64; n], &vec![jitter; n], &mut take);
        take
    }

    /// Over `n` samples the number of holds is `n·rate/fs`, within one, for rates that do
    /// not divide the host rate: no drift.
    fn check_count(rate: f32, fs: f32) {
        let n = 480_000;
        let count = takes(rate, fs, 0.0, n).iter().filter(|&&t| t).count() as f64;
        let expected = n as f64 * rate as f64 / fs as f64;
        assert!((count - expected).abs() <= 1.0, "{rate} Hz at {fs}: {count} holds, expected {expected}");
    }

    #[test]
    fn hold_count_follows_the_rate_without_drift() {
        for (rate, fs) in [
            (8000.0, 48000.0),
            (7001.0, 48000.0),
            (11025.0, 48000.0),
            (22050.0, 44100.0),
            (50.0, 96000.0),
            (33333.3, 48000.0),
        ] {
            check_count(rate, fs);
        }
    }

    #[test]
    fn zero_jitter_is_exactly_periodic_and_jitter_varies_the_lengths() {
        let gaps = |take: &[bool]| -> Vec<usize> {
            let idx: Vec<usize> = take.iter().enumerate().filter(|(_, t)| **t).map(|(i, _)| i).collect();
            idx.windows(2).map(|w| w[1] - w[0]).collect()
        };
        let g = gaps(&takes(8000.0, 48000.0, 0.0, 48000));
        assert!(g.iter().all(|&d| d == 6), "{:?}", &g[..10]);
        let g = gaps(&takes(8000.0, 48000.0, 0.5, 48000));
        let (min, max) = (*g.iter().min().unwrap(), *g.iter().max().unwrap());
        // ±50 % of a 6-sample period: lengths from 3 to 9 samples.
        assert!((2..=4).contains(&min) && (8..=10).contains(&max), "{min}..{max}");
        // Still 8000 holds per second on average.
        assert!((g.len() as f64 - 8000.0).abs() < 150.0, "{}", g.len());
    }

    /// The engine's fast paths rely on this: after `free_run`, whatever the clock did before and
    /// whatever rate and jitter come next, the next sample is a take (so a held value left
    /// from before is never output).
    #[test]
    fn free_run_takes_the_next_sample() {
        for (before, inc, jit) in [(0, 0.001, 0.0), (7, 0.1, 1.0), (5000, 0.3, 0.5), (33, 1e-9, 1.0), (1, 0.9999, 0.0)]
        {
            let mut clock = HoldClock::new(3);
            let mut mask = vec![false; before];
            clock.fill(&vec![0.37; before], &vec![0.8; before], &mut mask);
            clock.free_run();
            let mut next = [false; 2];
            clock.fill(&[inc; 2], &[jit; 2], &mut next);
            assert!(next[0], "after {before} samples, then increment {inc}, jitter {jit}");
            assert!(!next[1], "the rate is reduced from the second sample on");
        }
    }

    #[test]
    fn reset_reproduces_the_jittered_clock() {
        let mut clock = HoldClock::new(5);
        let mut a = vec![false; 5000];
        clock.fill(&vec![0.1; 5000], &vec![1.0; 5000], &mut a);
        clock.reset();
        let mut b = vec![false; 5000];
        clock.fill(&vec![0.1; 5000], &vec![1.0; 5000], &mut b);
        assert_eq!(a, b);
    }

    /// Skipping `n` samples leaves the clock where filling them does: the takes after it
    /// are the same, with and without jitter, reduced or not.
    fn check_skip(increment: f64, jitter: f32, n: usize) {
        let (mut filled, mut skipped) = (HoldClock::new(9), HoldClock::new(9));
        let mut scratch = vec![false; n];
        // Start both mid-period.
        let mut warm = vec![false; 37];
        filled.fill(&[0.13; 37], &[0.4; 37], &mut warm);
        skipped.fill(&[0.13; 37], &[0.4; 37], &mut warm);
        filled.fill(&vec![increment; n], &vec![jitter; n], &mut scratch);
        skipped.skip(increment, jitter, n);
        let after = |clock: &mut HoldClock| {
            let mut take = vec![false; 4000];
            clock.fill(&[0.17; 4000], &[0.6; 4000], &mut take);
            (take, clock.holds())
        };
        assert!(after(&mut filled) == after(&mut skipped), "increment {increment}, jitter {jitter}, {n} samples");
    }

    #[test]
    fn skip_matches_fill() {
        for (increment, jitter) in [(0.1, 0.0), (0.1667, 0.8), (0.999, 1.0), (1.0, 0.5), (2.0, 0.0)] {
            for n in [0, 1, 5, 513, 4096] {
                check_skip(increment, jitter, n);
            }
        }
    }

    #[test]
    fn a_1_khz_tone_held_at_8_khz_shows_images_at_7_and_9_khz() {
        let fs = 48000.0;
        let mut x: Vec<f64> = sine(1000.0, fs, 0.5, 1 << 16).iter().map(|&v| v as f64).collect();
        let take = takes(8000.0, fs as f32, 0.0, x.len());
        let mut held: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        Hold::default().process(&take, &mut held);
        x.iter_mut().zip(&held).for_each(|(a, &b)| *a = b as f64);
        let spec = power_spectrum(&x, 8192);
        let level = |f: f64| db(band_power(&spec, fs, f - 30.0, f + 30.0));
        let tone = level(1000.0);
        // Images at k·8 kHz ± 1 kHz, each at the tone's level in the sampled spectrum, then
        // shaped by the hold: a 6-sample boxcar, |sin(6πf/fs) / (6·sin(πf/fs))|.
        let hold_db = |f: f64| {
            let w = std::f64::consts::PI * f / fs;
            20.0 * ((6.0 * w).sin() / (6.0 * w.sin())).abs().log10()
        };
        for f in [7000.0, 9000.0, 15000.0, 17000.0] {
            let rel = level(f) - tone;
            let expected = hold_db(f) - hold_db(1000.0);
            assert!((rel - expected).abs() < 0.5, "{f} Hz: {rel:.2} dB, expected {expected:.2}");
        }
        // And nothing between the images.
        assert!(level(4000.0) - tone < -60.0);
    }
}
