//! Companding: bend the quantization curve so quiet signals get finer steps.
//!
//! The continuous µ-law and A-law characteristics of ITU-T G.711 (1988), µ = 255 and
//! A = 87.6: the signal is compressed before the quantizer and expanded after it, so the
//! steps are fine near zero and coarse near full scale (G.711 itself uses a segmented
//! approximation of these curves; Stairstep uses the curves).

/// Which quantization curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// Uniform steps.
    Linear,
    /// µ-law, µ = 255.
    MuLaw,
    /// A-law, A = 87.6.
    ALaw,
}

/// µ of the µ-law.
pub const MU: f32 = 255.0;
/// A of the A-law.
pub const A: f32 = 87.6;

/// Compress `x` (clipped to ±1 first: full scale clips) into [-1, 1].
#[inline]
pub fn compress(curve: Curve, x: f32) -> f32 {
    let a = x.abs().min(1.0);
    let y = match curve {
        Curve::Linear => return x,
        Curve::MuLaw => libm::log1pf(MU * a) / libm::log1pf(MU),
        Curve::ALaw => {
            let d = 1.0 + libm::logf(A);
            if a < 1.0 / A { A * a / d } else { (1.0 + libm::logf(A * a)) / d }
        }
    };
    y.copysign(x)
}

/// Expand a compressed value back.
#[inline]
pub fn expand(curve: Curve, y: f32) -> f32 {
    let a = y.abs();
    let x = match curve {
        Curve::Linear => return y,
        Curve::MuLaw => libm::expm1f(libm::log1pf(MU) * a) / MU,
        Curve::ALaw => {
            let d = 1.0 + libm::logf(A);
            if a < 1.0 / d { a * d / A } else { libm::expf(a * d - 1.0) / A }
        }
    };
    // NOTE: exp/ln rounding can land a hair above 1 at full scale; full scale is the limit.
    x.min(1.0).copysign(y)
}

/// Compress a block in place.
pub fn compress_block(curve: Curve, signal: &mut [f32]) {
    if curve != Curve::Linear {
        for s in signal.iter_mut() {
            *s = compress(curve, *s);
        }
    }
}

/// Expand a block in place.
pub fn expand_block(curve: Curve, signal: &mut [f32]) {
    if curve != Curve::Linear {
        for s in signal.iter_mut() {
            *s = expand(curve, *s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Settings};
    use crate::test_util::*;

    #[test]
    fn expand_inverts_compress() {
        for curve in [Curve::MuLaw, Curve::ALaw] {
            for i in -1000..=1000 {
                let x = i as f32 / 1000.0;
                let back = expand(curve, compress(curve, x));
                assert!((back - x).abs() < 2e-6, "{curve:?} {x}: {back}");
            }
            assert_eq!(compress(curve, 1.0), 1.0);
            assert_eq!(compress(curve, -3.0), -1.0);
            assert_eq!(compress(curve, 0.0), 0.0);
        }
    }

    #[test]
    fn g711_reference_points() {
        // µ-law: 1 % of full scale maps to ln(1 + 2.55)/ln(256) = 0.2285.
        assert!((compress(Curve::MuLaw, 0.01) - 0.228_49).abs() < 1e-4);
        // A-law: the linear segment ends at 1/A, mapping to 1/(1 + ln A) = 0.1827.
        assert!((compress(Curve::ALaw, 1.0 / A) - 0.182_68).abs() < 1e-4);
    }

    /// SNR of an 8-bit crush of a -40 dBFS sine with `curve`.
    fn snr_at_minus_40(curve: Curve) -> f64 {
        let x = sine(997.0, 48000.0, 0.01, 48000);
        let mut y = x.clone();
        let s = Settings { bits: 8.0, curve, ..Settings::default() };
        Engine::new(1, 48000.0, s, 1).process(&mut [&mut y]);
        snr_db(&x, &y)
    }

    #[test]
    fn companding_buys_at_least_15_db_on_quiet_signals() {
        let linear = snr_at_minus_40(Curve::Linear);
        for curve in [Curve::MuLaw, Curve::ALaw] {
            let companded = snr_at_minus_40(curve);
            assert!(companded > linear + 15.0, "{curve:?}: {companded:.1} dB vs linear {linear:.1} dB");
        }
    }
}
