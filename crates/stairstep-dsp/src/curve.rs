//! Companding: bend the quantization curve so quiet signals get finer steps.
//!
//! The continuous µ-law and A-law characteristics of ITU-T G.711 (1988), µ = 255 and
//! A = 87.6: the signal is compressed before the quantizer and expanded after it, so the
//! steps are fine near zero and coarse near full scale (G.711 itself uses a segmented
//! approximation of these curves; Stairstep uses the curves).

choices! {
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
}

/// µ of the µ-law.
pub const MU: f32 = 255.0;
/// A of the A-law.
pub const A: f32 = 87.6;

/// ln(1 + µ), the µ-law's normalisation, by [`ln`] itself so that full scale maps to exactly 1.
const LN_1P_MU: f32 = ln(1.0 + MU);
/// 1 + ln(A), the A-law's normalisation, likewise.
const A_NORM: f32 = 1.0 + ln(A);

/// Compress `x` (clipped to ±1 first: full scale clips) into [-1, 1].
#[inline(always)]
pub fn compress(curve: Curve, x: f32) -> f32 {
    let a = x.abs().min(1.0);
    let y = match curve {
        Curve::Linear => return x,
        Curve::MuLaw => ln(1.0 + MU * a) / LN_1P_MU,
        Curve::ALaw => {
            let log = (1.0 + ln(A * a.max(1.0 / A))) / A_NORM;
            if a < 1.0 / A { a * (A / A_NORM) } else { log }
        }
    };
    y.min(1.0).copysign(x)
}

/// Expand a compressed value back.
#[inline(always)]
pub fn expand(curve: Curve, y: f32) -> f32 {
    let a = y.abs().min(1.0);
    let x = match curve {
        Curve::Linear => return y,
        Curve::MuLaw => (exp(a * LN_1P_MU) - 1.0) * (1.0 / MU),
        Curve::ALaw => {
            let log = exp(a.max(1.0 / A_NORM) * A_NORM - 1.0) * (1.0 / A);
            if a < 1.0 / A_NORM { a * (A_NORM / A) } else { log }
        }
    };
    // NOTE: The polynomials' rounding can land a hair above 1 at full scale; full scale is
    //       the limit.
    x.min(1.0).copysign(y)
}

/// Natural logarithm of `v` in [1, 256] (what the curves need), to about 2e-7 relative.
///
/// Our own, not the platform's or libm's, so that it is the same bits on every platform and in
/// every vector build (only IEEE adds, multiplies, a divide and integer bit moves, no fused
/// multiply-add), and so that the loops around it vectorise: v = 2^e·m with m in
/// [√½, √2), and ln m = 2·atanh(s), s = (m - 1)/(m + 1), |s| < 0.172, by its series to s⁹
/// (the first term left out, s¹¹/11·2, is below 4e-10). Cody and Waite's reduction (W. J.
/// Cody, W. Waite, Software Manual for the Elementary Functions, 1980, ch. 5).
#[inline(always)]
const fn ln(v: f32) -> f32 {
    let bits = v.to_bits();
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > core::f32::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = ((bits >> 23) as i32 - 127 + big as i32) as f32;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = s * (2.0 + s2 * (2.0 / 3.0 + s2 * (2.0 / 5.0 + s2 * (2.0 / 7.0 + s2 * (2.0 / 9.0)))));
    e * LN2_HI + (series + e * LN2_LO)
}

/// ln 2 in two parts (Cephes' `expf`): `LN2_HI` = 0.693359375 has eight significant bits, so
/// `k·LN2_HI` is exact for the small whole k here.
const LN2_HI: f32 = 0.693_359_4;
/// ln 2 - `LN2_HI`.
const LN2_LO: f32 = -2.121_944_4e-4;

/// e^t for t in [0, 5.6] (what the curves need), to about 2e-7 relative; e^0 is exactly 1.
///
/// As [`ln`], our own, the same bits everywhere: t = k·ln 2 + r with k = ⌊t/ln 2 + ½⌋ (t ≥ 0,
/// so a truncating conversion floors), |r| ≤ 0.35 with ln 2 in two parts
/// (Cody and Waite), e^r by its Taylor series to r⁷ (the first term left out, r⁸/8!, is below
/// 6e-9), times 2^k made in the exponent bits.
#[inline(always)]
fn exp(t: f32) -> f32 {
    let k = (t * core::f32::consts::LOG2_E + 0.5) as i32;
    let kf = k as f32;
    let r = (t - kf * LN2_HI) - kf * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    p * f32::from_bits(((k + 127) as u32) << 23)
}

/// Compress a block in place.
///
/// NOTE: `inline(always)` (as is [`expand_block`]) so the vector builds compile it: plain f32
///       arithmetic (see [`ln`], [`exp`]), the same bits in each.
#[inline(always)]
pub fn compress_block(curve: Curve, signal: &mut [f32]) {
    match curve {
        Curve::Linear => {}
        Curve::MuLaw => signal.iter_mut().for_each(|s| *s = compress(Curve::MuLaw, *s)),
        Curve::ALaw => signal.iter_mut().for_each(|s| *s = compress(Curve::ALaw, *s)),
    }
}

/// Expand a block in place.
#[inline(always)]
pub fn expand_block(curve: Curve, signal: &mut [f32]) {
    match curve {
        Curve::Linear => {}
        Curve::MuLaw => signal.iter_mut().for_each(|s| *s = expand(Curve::MuLaw, *s)),
        Curve::ALaw => signal.iter_mut().for_each(|s| *s = expand(Curve::ALaw, *s)),
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

    /// Largest relative error of `f` against `reference` over `n` points spread over [lo, hi].
    fn worst(f: fn(f32) -> f32, reference: fn(f64) -> f64, lo: f64, hi: f64, n: usize) -> f64 {
        (0..=n)
            .map(|i| (lo + (hi - lo) * i as f64 / n as f64) as f32)
            .map(|v| ((f(v) as f64 - reference(v as f64)) / reference(v as f64)).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn ln_and_exp_are_within_two_ulps() {
        // An f32 ulp is 2^-23 = 1.19e-7 relative at most.
        let ulp = f64::powi(2.0, -23);
        let ln_err = worst(ln, f64::ln, 1.0 + 1e-6, 256.0, 1_000_000).max(worst(ln, f64::ln, 1.001, 1.1, 100_000));
        assert!(ln_err < 2.0 * ulp, "ln: {ln_err:e}");
        let exp_err = worst(exp, f64::exp, 0.0, 5.6, 1_000_000);
        assert!(exp_err < 2.0 * ulp, "exp: {exp_err:e}");
        assert_eq!((ln(1.0), exp(0.0)), (0.0, 1.0));
    }

    /// The curves as G.711 defines them, in f64.
    fn reference(curve: Curve, a: f64) -> (f64, f64) {
        let (mu, big_a) = (MU as f64, A as f64);
        match curve {
            Curve::Linear => (a, a),
            Curve::MuLaw => ((mu * a).ln_1p() / mu.ln_1p(), (a * mu.ln_1p()).exp_m1() / mu),
            Curve::ALaw => {
                let d = 1.0 + big_a.ln();
                let c = if a < 1.0 / big_a { big_a * a / d } else { (1.0 + (big_a * a).ln()) / d };
                let e = if a < 1.0 / d { a * d / big_a } else { (a * d - 1.0).exp() / big_a };
                (c, e)
            }
        }
    }

    #[test]
    fn the_curves_are_g711s_to_five_ulps_of_full_scale() {
        for curve in [Curve::MuLaw, Curve::ALaw] {
            let n = 200_000;
            let (mut c_err, mut e_err) = (0.0f64, 0.0f64);
            for i in 0..=n {
                let a = i as f32 / n as f32;
                let (c, e) = reference(curve, a as f64);
                c_err = c_err.max((compress(curve, a) as f64 - c).abs());
                e_err = e_err.max((expand(curve, a) as f64 - e).abs());
            }
            // Five f32 ulps of full scale (2^-23 each). The A-law's expansion takes most of it:
            // its f32 constant 1 + ln A, times up to 1, is already 3e-7 off in the exponent.
            assert!(c_err < 5.0 * 1.2e-7 && e_err < 5.0 * 1.2e-7, "{curve:?}: compress {c_err:e}, expand {e_err:e}");
            assert_eq!((compress(curve, 1.0), expand(curve, 1.0)), (1.0, 1.0), "{curve:?}");
            assert_eq!(expand(curve, 0.0).to_bits(), 0.0f32.to_bits());
            assert_eq!(expand(curve, -0.0).to_bits(), (-0.0f32).to_bits());
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
