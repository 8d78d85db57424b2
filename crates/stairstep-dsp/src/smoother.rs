//! Linear parameter ramps.
//!
//! A new target starts a straight-line ramp from the current value that lasts a fixed time
//! (derived from the sample rate, never a per-sample constant). Ramps reach their target
//! exactly and then hold it, so a settled parameter costs a `fill` and the DSP can take its
//! constant-value path. The value at each sample depends only on when targets were set, not
//! on how the host split its blocks.

/// Ramp time used for every automated parameter, in milliseconds. 10 ms removes the zipper
/// noise of stepped automation while following a fast automation curve closely.
pub const RAMP_MS: f32 = 10.0;

/// A linear ramp towards a target value.
#[derive(Debug, Clone)]
pub struct LinearRamp {
    /// The value at the last sample produced. Same unit as the parameter.
    current: f32,
    /// Where the current ramp started.
    start: f32,
    /// Where the ramp ends. Same unit as the parameter.
    target: f32,
    /// Increment per sample while ramping.
    increment: f32,
    /// Samples left in the current ramp, 0 when settled.
    remaining: u32,
    /// Length of a full ramp in samples, at least 1.
    ramp_samples: u32,
}

impl LinearRamp {
    /// A settled ramp at `value`, with ramps lasting `ramp_ms` at `sample_rate` Hz.
    pub fn new(value: f32, sample_rate: f32, ramp_ms: f32) -> Self {
        let ramp_samples = (sample_rate * ramp_ms / 1000.0).round().max(1.0) as u32;
        Self { current: value, start: value, target: value, increment: 0.0, remaining: 0, ramp_samples }
    }

    /// Jump to `value` with no ramp (used on reset and activation).
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.start = value;
        self.target = value;
        self.increment = 0.0;
        self.remaining = 0;
    }

    /// Start ramping towards `target`, unless it is already the target.
    pub fn set_target(&mut self, target: f32) {
        if target == self.target {
            return;
        }
        self.target = target;
        self.start = self.current;
        self.remaining = self.ramp_samples;
        self.increment = (target - self.current) / self.ramp_samples as f32;
    }

    /// The target value.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// True while the value is still moving.
    pub fn is_ramping(&self) -> bool {
        self.remaining > 0
    }

    /// The current value (the last one handed out; the target once settled).
    pub fn value(&self) -> f32 {
        self.current
    }

    /// The next sample's value.
    #[inline]
    pub fn next_value(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            // NOTE: start + i·increment rather than an accumulated sum, so the error does
            //       not grow along the ramp.
            let i = (self.ramp_samples - self.remaining) as f32;
            self.current = if self.remaining == 0 { self.target } else { self.start + i * self.increment };
        }
        self.current
    }

    /// Fill `out` with the next `out.len()` values.
    #[inline(always)]
    pub fn fill(&mut self, out: &mut [f32]) {
        if self.remaining == 0 {
            out.fill(self.current);
            return;
        }
        for v in out.iter_mut() {
            *v = self.next_value();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp_in_blocks(block: usize) -> Vec<f32> {
        let mut r = LinearRamp::new(8.0, 48000.0, RAMP_MS);
        let mut out = vec![0.0; 2000];
        let mut pos = 0;
        for chunk in out.chunks_mut(block) {
            // Targets change at fixed sample positions whatever the block size.
            for (i, v) in chunk.iter_mut().enumerate() {
                match pos + i {
                    100 => r.set_target(4.0),
                    300 => r.set_target(16.0),
                    _ => {}
                }
                *v = r.next_value();
            }
            pos += chunk.len();
        }
        out
    }

    #[test]
    fn reaches_target_exactly_after_ramp_time() {
        let mut r = LinearRamp::new(0.0, 48000.0, RAMP_MS);
        r.set_target(1.0);
        let mut out = vec![0.0; 480];
        r.fill(&mut out);
        assert_eq!(out[479], 1.0);
        assert!(out[478] < 1.0);
        assert!(!r.is_ramping());
        // Monotonic, evenly spaced within float error.
        for w in out.windows(2) {
            assert!((w[1] - w[0] - 1.0 / 480.0).abs() < 1e-6);
        }
    }

    #[test]
    fn ramp_length_follows_sample_rate() {
        for (sr, n) in [(44100.0, 441), (96000.0, 960), (8000.0, 80)] {
            let mut r = LinearRamp::new(0.0, sr, RAMP_MS);
            r.set_target(1.0);
            let mut out = vec![0.0; n];
            r.fill(&mut out);
            assert_eq!(out[n - 1], 1.0, "{sr}");
            assert!(out[n - 2] < 1.0, "{sr}");
        }
    }

    #[test]
    fn block_size_does_not_change_values() {
        let reference = ramp_in_blocks(2000);
        for block in [1, 3, 64, 511] {
            assert_eq!(reference, ramp_in_blocks(block), "block {block}");
        }
    }

    #[test]
    fn retarget_mid_ramp_starts_from_current_value() {
        let mut r = LinearRamp::new(0.0, 1000.0, 10.0);
        r.set_target(10.0);
        for _ in 0..5 {
            r.next_value();
        }
        r.set_target(0.0);
        let v = r.next_value();
        assert!((v - 4.5).abs() < 1e-5, "{v}");
    }
}
