//! Non-subtractive dither, in units of the quantizer's step (LSB).
//!
//! - RPDF: one uniform on [-1/2, 1/2). Makes the mean error independent of the input; the
//!   error power still depends on it (noise modulation). Total error power Δ²/6.
//! - TPDF: the sum of two independent uniforms, on (-1, 1). Makes the first and second
//!   moments of the total error independent of the input (no noise modulation). Total error
//!   power Δ²/4, i.e. SNR = 6.02·N - 3.01 dB for a full-scale sine.
//! - High-pass TPDF: d[n] = u[n] - u[n-1]. Each sample is triangular (variance Δ²/6) but the
//!   dither spectrum rises 6 dB/octave (|1 - z^-1|²), moving it away from where hearing is
//!   most sensitive, with one random number per sample.
//!
//! Source: Wannamaker, Lipshitz & Vanderkooy, "A Theory of Non-Subtractive Dither", IEEE
//! Trans. Signal Processing 48(2), 2000; Lipshitz, Wannamaker & Vanderkooy, "Quantization and
//! Dither: A Theoretical Survey", JAES 40(5), 1992.

use super::rng::CounterRng;

choices! {
    /// Which dither to add before quantizing.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum DitherMode {
        /// No dither: the error is a deterministic function of the input.
        Off,
        /// Rectangular PDF, ±1/2 LSB.
        Rpdf,
        /// Triangular PDF, ±1 LSB.
        Tpdf,
        /// Triangular PDF with a first-order high-pass spectrum.
        HighPassTpdf,
    }
}

/// The dither value of block sample `i` in LSB for the fused loops, `DITHER` being 0 (off),
/// 1 (RPDF), 2 (TPDF) or 3 (high-pass TPDF), and `word(i)` the stream's word for sample `i`
/// (wrapping, so `i - 1` reaches back before the block).
#[inline(always)]
pub(crate) fn dither_at<const DITHER: u8>(word: &impl Fn(u32) -> u32, i: u32) -> f32 {
    match DITHER {
        0 => 0.0,
        1 => rectangular(word(i)),
        2 => triangular(word(i)),
        _ => rectangular(word(i)) - rectangular(word(i.wrapping_sub(1))),
    }
}

/// 2^-24: scales a 24-bit integer to [0, 1).
const SCALE_24: f32 = 1.0 / 16_777_216.0;
/// 2^-16: scales a 16-bit integer to [0, 1).
const SCALE_16: f32 = 1.0 / 65_536.0;

/// A uniform on [-1/2, 1/2) from the top 24 bits of a word, centred so its mean is exactly 0.
#[inline(always)]
pub(crate) fn rectangular(word: u32) -> f32 {
    // NOTE: Through i32 (the conversion is exact below 2^24): x86 converts signed integers to
    //       float in one instruction per vector, unsigned ones only through a longer sequence.
    //       The + 0.5 is exact only below 2^23: above, r + 0.5 needs 25 bits and rounds to the
    //       even neighbour, so the upper half takes every other value (2^-23 apart), each
    //       twice as often: r and r + 1 (r even) give r and r + 2, whose mean is that of the
    //       exact r + 0.5 and r + 1.5, so the mean stays 0.
    ((word >> 8) as i32 as f32 + 0.5) * SCALE_24 - 0.5
}

/// A triangular value on (-1, 1) from one word: the sum of its two 16-bit halves as two
/// independent uniforms (16 bits of resolution per uniform is 2^-16 LSB, far below anything
/// audible, and halves the random numbers needed). Mean exactly 0.
#[inline(always)]
pub(crate) fn triangular(word: u32) -> f32 {
    // NOTE: The halves are summed as integers and converted once, through i32 as in
    //       `rectangular`: a + b + 1 < 2^17, so this is exactly the sum of the two halves
    //       converted one by one (which cost a second conversion and addition per sample).
    (((word & 0xffff) + (word >> 16) + 1) as i32 as f32) * SCALE_16 - 1.0
}

/// Per-channel dither generator.
#[derive(Debug, Clone)]
pub struct Dither {
    /// This channel's random stream, positioned at the current sample.
    rng: CounterRng,
}

impl Dither {
    /// A generator for channel `channel` with seed `seed`.
    pub fn new(seed: u32, channel: usize) -> Self {
        Self { rng: CounterRng::new(seed, channel) }
    }

    /// The stream, for kernels that draw their dither inline.
    pub(crate) fn rng(&mut self) -> &mut CounterRng {
        &mut self.rng
    }

    /// Back to the start of the stream: the same input then gives the same output.
    pub fn reset(&mut self) {
        self.rng.reset();
    }

    /// Write the next `out.len()` dither values, in LSB. The stream advances by one word per
    /// sample whatever the mode, so a sample's dither depends only on its position since
    /// reset, never on the host's block size or on earlier mode switches.
    #[inline(always)]
    pub fn fill(&mut self, mode: DitherMode, out: &mut [f32]) {
        let pos = self.rng.position();
        match mode {
            DitherMode::Off => out.fill(0.0),
            DitherMode::Rpdf => {
                for (i, d) in out.iter_mut().enumerate() {
                    *d = rectangular(self.rng.word_at(pos.wrapping_add(i as u32)));
                }
            }
            DitherMode::Tpdf => {
                for (i, d) in out.iter_mut().enumerate() {
                    *d = triangular(self.rng.word_at(pos.wrapping_add(i as u32)));
                }
            }
            DitherMode::HighPassTpdf => {
                // u[n] - u[n-1], where u[n-1] is recomputed from the stream, so no state
                // carries across blocks.
                for (i, d) in out.iter_mut().enumerate() {
                    let p = pos.wrapping_add(i as u32);
                    *d = rectangular(self.rng.word_at(p)) - rectangular(self.rng.word_at(p.wrapping_sub(1)));
                }
            }
        }
        self.rng.advance(out.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `triangular` sums its halves as integers: the same bits as converting each half and
    /// adding, at the edge words and over a stretch of the hashed stream.
    #[test]
    fn triangular_is_the_sum_of_its_halves() {
        let halves = |w: u32| ((w & 0xffff) as f32 + (w >> 16) as f32 + 1.0) * SCALE_16 - 1.0;
        let edges = [0u32, 1, 0xffff, 0x1_0000, 0x8000_8000, 0xffff_0000, 0xfffe_ffff, 0xffff_ffff];
        for w in edges.into_iter().chain((0..1u32 << 20).map(crate::rng::lowbias32)) {
            assert_eq!(triangular(w).to_bits(), halves(w).to_bits(), "{w:#x}");
        }
    }

    fn draw(mode: DitherMode, n: usize) -> Vec<f32> {
        let mut d = Dither::new(1, 0);
        let mut out = vec![0.0; n];
        d.fill(mode, &mut out);
        out
    }

    fn moments(x: &[f32]) -> (f64, f64) {
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    /// Range, mean and variance of each distribution against theory (n = 2^18; the standard
    /// error of the variance estimate is about 0.3 %).
    fn check_distribution(mode: DitherMode, bound: f32, variance: f64) {
        let x = draw(mode, 1 << 18);
        assert!(x.iter().all(|v| v.abs() < bound), "{mode:?} exceeds ±{bound}");
        let (mean, var) = moments(&x);
        assert!(mean.abs() < 0.005, "{mode:?} mean {mean}");
        assert!((var / variance - 1.0).abs() < 0.02, "{mode:?} variance {var}, expected {variance}");
    }

    #[test]
    fn rpdf_is_uniform_half_lsb() {
        check_distribution(DitherMode::Rpdf, 0.5, 1.0 / 12.0);
    }
    #[test]
    fn tpdf_is_triangular_one_lsb() {
        check_distribution(DitherMode::Tpdf, 1.0, 1.0 / 6.0);
    }
    #[test]
    fn high_pass_tpdf_is_triangular_one_lsb() {
        check_distribution(DitherMode::HighPassTpdf, 1.0, 1.0 / 6.0);
    }

    #[test]
    fn tpdf_histogram_is_triangular() {
        let x = draw(DitherMode::Tpdf, 1 << 18);
        let mut bins = [0usize; 8];
        for v in &x {
            bins[(((v + 1.0) * 4.0) as usize).min(7)] += 1;
        }
        // Probability of bin [a, a + 1/4) under the triangle on (-1, 1).
        let cdf = |t: f64| {
            if t < 0.0 { (1.0 + t).powi(2) / 2.0 } else { 1.0 - (1.0 - t).powi(2) / 2.0 }
        };
        for (i, &count) in bins.iter().enumerate() {
            let a = -1.0 + i as f64 / 4.0;
            let p = cdf(a + 0.25) - cdf(a);
            let got = count as f64 / x.len() as f64;
            assert!((got - p).abs() < 0.004, "bin {i}: {got} vs {p}");
        }
    }

    /// Lag-1 autocorrelation: about 0 for white dither, -1/2 for u[n] - u[n-1].
    fn lag1(x: &[f32]) -> f64 {
        let (_, var) = moments(x);
        let c: f64 = x.windows(2).map(|w| w[0] as f64 * w[1] as f64).sum::<f64>() / (x.len() - 1) as f64;
        c / var
    }

    #[test]
    fn white_dithers_are_uncorrelated_and_high_pass_is_not() {
        assert!(lag1(&draw(DitherMode::Tpdf, 1 << 16)).abs() < 0.02);
        assert!(lag1(&draw(DitherMode::Rpdf, 1 << 16)).abs() < 0.02);
        assert!((lag1(&draw(DitherMode::HighPassTpdf, 1 << 16)) + 0.5).abs() < 0.02);
    }

    #[test]
    fn off_is_zero_and_stream_position_is_kept() {
        assert!(draw(DitherMode::Off, 100).iter().all(|&v| v == 0.0));
        // 100 samples with Off then 100 with TPDF equal the second half of 200 TPDF samples.
        let mut d = Dither::new(1, 0);
        let mut a = vec![0.0; 100];
        d.fill(DitherMode::Off, &mut a);
        d.fill(DitherMode::Tpdf, &mut a);
        assert_eq!(a[..], draw(DitherMode::Tpdf, 200)[100..]);
    }

    #[test]
    fn split_fills_equal_one_fill() {
        for mode in [DitherMode::Rpdf, DitherMode::Tpdf, DitherMode::HighPassTpdf] {
            let whole = draw(mode, 1000);
            let mut d = Dither::new(1, 0);
            let mut split = vec![0.0; 1000];
            for chunk in split.chunks_mut(37) {
                d.fill(mode, chunk);
            }
            assert_eq!(whole, split, "{mode:?}");
        }
    }
}
