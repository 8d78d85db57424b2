//! The envelope follower: the input's level, which moves Bit Depth (loud passages crush harder
//! or softer).
//!
//! A peak detector with separate attack and release one-pole smoothing on |x| (the classic
//! analogue "decoupled peak" detector; Giannoulis, Massberg and Reiss, "Digital Dynamic Range
//! Compressor Design — A Tutorial and Analysis", JAES 60(6), 2012, eq. 17, in the linear
//! domain). A time setting is the one-pole's time constant τ: a step up reaches 1 - 1/e
//! (63.2 %) of its height after the attack time, and a step down falls to 1/e (36.8 %) of its
//! height after the release time. The level's modulation amount is its dB value mapped from
//! [`FLOOR_DB`] (0) to 0 dBFS (1).

/// Level mapped to amount 0, in dBFS; 0 dBFS maps to 1.
pub const FLOOR_DB: f32 = -60.0;
/// Shortest attack or release, ms.
pub const MIN_MS: f32 = 0.1;
/// Longest attack, ms.
pub const MAX_ATTACK_MS: f32 = 500.0;
/// Longest release, ms.
pub const MAX_RELEASE_MS: f32 = 5000.0;

/// The longest detector step, samples.
pub const MAX_GROUP: usize = 8;

/// A detector step is at most this share of the shorter time constant, so the times stay
/// within 5 % of their settings (the step quantises when a change shows by up to a step).
const GROUP_SHARE: f64 = 0.05;

/// A follower's coefficients for one pair of times at one sample rate: computed when the
/// times change, not per chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficients {
    /// Samples per detector step: 1, 2, 4 or 8 ([`MAX_GROUP`]), the most that is at most
    /// [`GROUP_SHARE`] of the shorter time constant.
    group: usize,
    /// Rising, after `c` samples (index `c - 1`, `c` from 1 to 2·[`MAX_GROUP`] - 1): the share
    /// of the envelope kept, e^(-c/(τ·fs)), and the share of the level taken, 1 - e^(-c/(τ·fs)).
    attack: [(f32, f32); 2 * MAX_GROUP - 1],
    /// Falling, as `attack`.
    release: [(f32, f32); 2 * MAX_GROUP - 1],
}

impl Coefficients {
    /// The coefficients of time constants `attack_ms` and `release_ms` (each at least
    /// [`MIN_MS`]) at `sample_rate` Hz.
    pub fn new(attack_ms: f32, release_ms: f32, sample_rate: f32) -> Self {
        let tau = |ms: f32| (ms.max(MIN_MS) as f64) * 1e-3 * sample_rate as f64;
        let (attack, release) = (tau(attack_ms), tau(release_ms));
        let most = (GROUP_SHARE * attack.min(release)).clamp(1.0, MAX_GROUP as f64) as usize;
        // The largest power of two not above `most`.
        let group = 1 << most.ilog2();
        // NOTE: libm's exp, not the platform's: renders must be the same bits on every OS.
        let shares = |tau: f64| {
            std::array::from_fn(|i| {
                let keep = libm::exp(-((i + 1) as f64) / tau);
                (keep as f32, (1.0 - keep) as f32)
            })
        };
        Self { group, attack: shares(attack), release: shares(release) }
    }

    /// Samples per detector step: 1, 2, 4 or 8.
    pub fn group(&self) -> usize {
        self.group
    }
}

/// One envelope follower (the engine runs one for all channels: the louder channel leads).
///
/// NOTE: The detector steps once per group of [`Coefficients::group`] samples, on the group's
///       peak: groups are aligned to the sample count since [`Follower::reset`] (so blocks of
///       any size give the same envelope), and the envelope a step computes holds from the
///       group's last sample until the next step. One step per sample would cost a chain of
///       dependent arithmetic per sample (about 14 cycles, measured), which a group shares.
#[derive(Debug, Clone, Default)]
pub struct Follower {
    /// The envelope, linear amplitude, 0 or more.
    env: f32,
    /// The largest level since the last step, linear amplitude, 0 or more.
    peak: f32,
    /// Samples since the last step, 0 to 2·[`MAX_GROUP`] - 2.
    pending: usize,
    /// Samples since the last reset, modulo [`MAX_GROUP`] (so modulo every group size).
    position: usize,
}

impl Follower {
    /// Back to silence.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The envelope now.
    pub fn envelope(&self) -> f32 {
        self.env
    }

    /// Follow `level` (|x| per sample, 0 or more) with coefficients `k`, writing each
    /// sample's `map` of the envelope to `out` (the engine maps it to a modulation amount
    /// with [`amount`], once per step).
    #[inline(always)]
    pub fn process(&mut self, level: &[f32], k: &Coefficients, map: impl Fn(f32) -> f32, out: &mut [f32]) {
        debug_assert_eq!(level.len(), out.len());
        for (level, out) in level.chunks(SPAN).zip(out.chunks_mut(SPAN)) {
            self.process_span(level, k, &map, out);
        }
    }

    /// [`Follower::process`] of at most [`SPAN`] samples, in three passes: the steps (the
    /// envelope's dependency chain, nothing else), their `map`s (element-wise, so they
    /// vectorise), and the output, each step's value held from its group's last sample on.
    ///
    /// NOTE: One pass doing all three was bound by the running peak's compare chain, an
    ///       integer division for the group position and the scalar `map` per step
    ///       (docs/BENCHMARKS.md).
    #[inline(always)]
    fn process_span(&mut self, level: &[f32], k: &Coefficients, map: &impl Fn(f32) -> f32, out: &mut [f32]) {
        let (n, group) = (out.len(), k.group);
        debug_assert!(n <= SPAN && group.is_power_of_two() && group <= MAX_GROUP);
        // `ends[j]`: the last sample of step j; `envs[j + 1]`: the envelope after it.
        let (mut ends, mut envs, mut steps) = ([0u8; SPAN], [0.0f32; SPAN + 1], 0);
        envs[0] = self.env;
        let mut i = 0;
        while i < n {
            // Samples to the end of this group, this one included.
            let to_step = group - (self.position & (group - 1));
            let take = to_step.min(n - i);
            self.peak = peak(self.peak, &level[i..i + take]);
            self.pending += take;
            self.position = (self.position + take) & (MAX_GROUP - 1);
            if take < to_step {
                break;
            }
            // A step over the `pending` samples since the last (a group, or after a change of
            // group size part of one and the next).
            // NOTE: Both the rising and the falling step are computed, then one is picked: the
            //       envelope's dependency chain (multiply, add, select, flush) is the follower's
            //       floor, and a coefficient load chosen by the compare (what LLVM makes of a
            //       select of the coefficients) lengthened it by about 5 cycles per step, a
            //       third of the follower's time (perf). The same arithmetic, so the same bits.
            //       (Selecting the two arrays by value, as once, copied 120 bytes to the stack
            //       per step and read them back at once: a stalled store forward.)
            let ((ka, ta), (kr, tr)) = (k.attack[self.pending - 1], k.release[self.pending - 1]);
            let (rise, fall) = (self.env * ka + ta * self.peak, self.env * kr + tr * self.peak);
            let env = if self.peak > self.env { rise } else { fall };
            // NOTE: Flush: a long release would otherwise decay into subnormals.
            self.env = if env < 1e-20 { 0.0 } else { env };
            (self.peak, self.pending) = (0.0, 0);
            ends[steps] = (i + take - 1) as u8;
            steps += 1;
            envs[steps] = self.env;
            i += take;
        }
        let mut values = [0.0f32; SPAN + 1];
        for (v, &e) in values[..=steps].iter_mut().zip(&envs[..=steps]) {
            *v = map(e);
        }
        let mut from = 0;
        for (&end, &v) in ends[..steps].iter().zip(&values[..steps]) {
            out[from..end as usize].fill(v);
            from = end as usize;
        }
        out[from..].fill(values[steps]);
    }
}

/// Samples [`Follower::process`] handles at a time (its stack arrays' length; a sample index
/// in a span fits a `u8`).
const SPAN: usize = 128;

/// The larger of `p` and the largest of `levels` (none NaN, none -0).
///
/// NOTE: `>`, not `f32::max`: levels are never NaN, and `max`'s NaN handling doubles the
///       dependency chain. A whole group of [`MAX_GROUP`] is reduced as a tree (independent
///       compares, the same result: the largest of values that are neither NaN nor -0 does
///       not depend on the order they are compared in).
#[inline(always)]
fn peak(p: f32, levels: &[f32]) -> f32 {
    let larger = |a: f32, b: f32| if a > b { a } else { b };
    if let Ok(w) = <&[f32; MAX_GROUP]>::try_from(levels) {
        let m4: [f32; 4] = std::array::from_fn(|j| larger(w[j], w[j + 4]));
        let m2 = [larger(m4[0], m4[2]), larger(m4[1], m4[3])];
        larger(p, larger(m2[0], m2[1]))
    } else {
        levels.iter().fold(p, |p, &x| larger(x, p))
    }
}

/// The modulation amount of envelope `env`, 0 to 1: its dB value from [`FLOOR_DB`] to 0 dBFS,
/// clamped. Uses [`log2_fast`] (within 0.0002 dB).
#[inline(always)]
pub fn amount(env: f32) -> f32 {
    // 20·log10(x) = 20·log10(2)·log2(x).
    let db = 6.020_6 * log2_fast(env.max(1e-10));
    ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0)
}

/// log2(x) for finite x > 0: the exponent plus log2 of the mantissa m in [1, 2) by the series
/// 2/ln 2·(s + s³/3 + s⁵/5 + s⁷/7), s = (m - 1)/(m + 1) ≤ 1/3 (remainder under 3e-5).
#[inline(always)]
pub fn log2_fast(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0))));
    exponent as f32 + series * core::f32::consts::LOG2_E * 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The follower's response to a step from `from` to `to`: samples until it has covered
    /// 1 - 1/e of the step.
    fn time_constant_samples(from: f32, to: f32, attack_ms: f32, release_ms: f32, fs: f32) -> usize {
        let k = Coefficients::new(attack_ms, release_ms, fs);
        let mut f = Follower::default();
        // Settle on `from`.
        let mut out = vec![0.0; 1];
        let settle = vec![from; (fs * 30.0) as usize];
        let mut tmp = vec![0.0; settle.len()];
        f.process(&settle, &k, |e| e, &mut tmp);
        let target = from + (to - from) * (1.0 - (-1.0f32).exp());
        for n in 1..(fs as usize * 20) {
            f.process(&[to], &k, |e| e, &mut out);
            let reached = if to > from { out[0] >= target } else { out[0] <= target };
            if reached {
                return n;
            }
        }
        panic!("never reached");
    }

    /// Attack and release times within 5 % of their settings (the bound), at both
    /// common rates and across the ranges.
    fn check_times(ms: f32, fs: f32) {
        let expected = ms / 1000.0 * fs;
        let attack = time_constant_samples(0.0, 0.5, ms, 1000.0, fs) as f32;
        assert!((attack - expected).abs() <= 0.05 * expected + 1.0, "attack {ms} ms at {fs}: {attack} vs {expected}");
        let release = time_constant_samples(0.5, 0.0, 1.0, ms, fs) as f32;
        assert!(
            (release - expected).abs() <= 0.05 * expected + 1.0,
            "release {ms} ms at {fs}: {release} vs {expected}"
        );
    }

    #[test]
    fn times_are_within_5_percent_at_44100() {
        for ms in [1.0, 5.0, 30.0, 250.0] {
            check_times(ms, 44100.0);
        }
    }
    #[test]
    fn times_are_within_5_percent_at_48000() {
        for ms in [0.1, 0.5, 1.0, 10.0, 100.0, 500.0] {
            check_times(ms, 48000.0);
        }
    }

    /// The detector's step: the largest power of two up to 8 that is at most 5 % of the
    /// shorter time constant, in samples.
    #[test]
    fn group_follows_the_shorter_time() {
        for (attack, release, fs, group) in [
            (0.1, 1000.0, 48000.0, 1),
            (1.0, 1000.0, 44100.0, 2),
            (1.0, 1000.0, 96000.0, 4),
            (5.0, 100.0, 48000.0, 8),
            (500.0, 0.1, 48000.0, 1),
            (500.0, 5000.0, 192000.0, 8),
        ] {
            assert_eq!(Coefficients::new(attack, release, fs).group(), group, "{attack} {release} {fs}");
        }
    }

    /// A level in [0, 1] hashed from `i`.
    fn uniform(i: u32) -> f32 {
        crate::rng::lowbias32(i) as f32 / u32::MAX as f32
    }

    /// Noise bursts through the follower in blocks of `block`, with the times switched
    /// halfway (so the group size changes mid-group).
    fn render(block: usize) -> Vec<f32> {
        let fs = 48000.0;
        let level: Vec<f32> =
            (0..20_000).map(|i| if (i / 3000) % 2 == 0 { uniform(i) } else { 0.01 * uniform(i) }).collect();
        let mut f = Follower::default();
        let mut out = vec![0.0; level.len()];
        let mut t = 0;
        while t < level.len() {
            // The times change at sample 10 001 (inside a group of 8) whatever the block size.
            let len = if t < 10_001 { block.min(10_001 - t) } else { block.min(level.len() - t) };
            let k = if t < 10_001 { Coefficients::new(5.0, 20.0, fs) } else { Coefficients::new(1.0, 50.0, fs) };
            f.process(&level[t..t + len], &k, amount, &mut out[t..t + len]);
            t += len;
        }
        out
    }

    /// Blocks of any size give the same output, bit for bit, across a change of group size.
    #[test]
    fn blocks_do_not_change_the_output() {
        let whole = render(20_000);
        for block in [1, 3, 7, 64, 500] {
            let b = render(block);
            assert!(whole.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "block {block}");
        }
        // It does follow: loud bursts map high, quiet ones low.
        assert!(whole[2900] > 0.9 && whole[5900] < 0.85, "{} {}", whole[2900], whole[5900]);
    }

    /// With one sample per step, the follower is the per-sample one-pole pair (in f64: within
    /// rounding).
    #[test]
    fn one_sample_steps_are_the_per_sample_detector() {
        let (fs, attack, release) = (48000.0, 0.1, 20.0);
        let k = Coefficients::new(attack, release, fs);
        assert_eq!(k.group(), 1);
        let level: Vec<f32> = (0..5000).map(|i| uniform(i) * 0.5).collect();
        let mut out = vec![0.0; level.len()];
        Follower::default().process(&level, &k, |e| e, &mut out);
        let (a, r) = (1.0 - (-1.0 / (attack as f64 * 48.0)).exp(), 1.0 - (-1.0 / (release as f64 * 48.0)).exp());
        let mut env = 0.0f64;
        for (&x, &y) in level.iter().zip(&out) {
            let k = if x as f64 > env { a } else { r };
            env += k * (x as f64 - env);
            assert!((env - y as f64).abs() < 1e-5, "{env} {y}");
        }
    }

    #[test]
    fn log2_fast_is_close() {
        let mut x = 1e-9f32;
        while x < 1e6 {
            let e = (log2_fast(x) - x.log2()).abs();
            assert!(e < 4e-5, "{x}: {e}");
            x *= 1.013;
        }
        assert_eq!(log2_fast(1.0), 0.0);
        assert_eq!(log2_fast(0.5), -1.0);
    }

    #[test]
    fn amount_maps_db_to_0_1() {
        assert_eq!(amount(0.0), 0.0);
        assert_eq!(amount(1e-4), 0.0);
        assert!((amount(1.0)).abs() > 0.9999);
        assert_eq!(amount(4.0), 1.0);
        // -30 dBFS is halfway.
        assert!((amount(10f32.powf(-1.5)) - 0.5).abs() < 1e-4);
    }

    #[test]
    fn silence_decays_to_zero_not_subnormals() {
        let mut f = Follower::default();
        let mut out = vec![0.0; 48000];
        let k = Coefficients::new(0.1, 0.1, 48000.0);
        f.process(&[1.0; 10], &k, |e| e, &mut out[..10]);
        f.process(&vec![0.0; 48000], &k, |e| e, &mut out);
        assert_eq!(f.envelope(), 0.0);
    }
}
