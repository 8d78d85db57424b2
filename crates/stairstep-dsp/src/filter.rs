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
