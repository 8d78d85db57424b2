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

/// The one-pole coefficient for time constant `ms` at `sample_rate`: 1 - e^(-1/(τ·fs)).
pub fn coefficient(ms: f32, sample_rate: f32) -> f32 {
    let tau_samples = (ms.max(MIN_MS) as f64) * 1e-3 * sample_rate as f64;
    // NOTE: libm's exp, not the platform's: renders must be the same bits on every OS.
    (1.0 - libm::exp(-1.0 / tau_samples)) as f32
}

/// One envelope follower (the engine runs one for all channels: the louder channel leads).
#[derive(Debug, Clone, Default)]
pub struct Follower {
    /// The envelope, linear amplitude, 0 or more.
    env: f32,
}

impl Follower {
    /// Back to silence.
    pub fn reset(&mut self) {
        self.env = 0.0;
    }

    /// The envelope now.
    pub fn envelope(&self) -> f32 {
        self.env
    }

    /// Follow `level` (|x| per sample, 0 or more) with one-pole coefficients `attack` and
    /// `release` (see [`coefficient`]), writing each sample's envelope to `out`.
    pub fn process(&mut self, level: &[f32], attack: f32, release: f32, out: &mut [f32]) {
        debug_assert_eq!(level.len(), out.len());
        let mut env = self.env;
        let (keep_attack, keep_release) = (1.0 - attack, 1.0 - release);
        for (o, &x) in out.iter_mut().zip(level) {
            // NOTE: env·(1 - k) + k·x rather than env + k·(x - env): k·x does not wait for
            //       env, so the recurrence is a multiply and an add per sample.
            let rising = x > env;
            let (keep, k) = if rising { (keep_attack, attack) } else { (keep_release, release) };
            env = env * keep + k * x;
            // NOTE: Flush: a long release would otherwise decay into subnormals.
            env = if env < 1e-20 { 0.0 } else { env };
            *o = env;
        }
        self.env = env;
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
        let (a, r) = (coefficient(attack_ms, fs), coefficient(release_ms, fs));
        let mut f = Follower::default();
        // Settle on `from`.
        let mut out = vec![0.0; 1];
        let settle = vec![from; (fs * 30.0) as usize];
        let mut tmp = vec![0.0; settle.len()];
        f.process(&settle, a, r, &mut tmp);
        let target = from + (to - from) * (1.0 - (-1.0f32).exp());
        for n in 1..(fs as usize * 20) {
            f.process(&[to], a, r, &mut out);
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
        for ms in [1.0, 10.0, 100.0, 500.0] {
            check_times(ms, 48000.0);
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
        f.process(&[1.0; 10], 1.0, 1.0, &mut out[..10]);
        f.process(&vec![0.0; 48000], 1.0, coefficient(0.1, 48000.0), &mut out);
        assert_eq!(f.envelope(), 0.0);
    }
}
