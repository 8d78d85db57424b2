//! Signals and measurements shared by the DSP unit tests.

use rustfft::{FftPlanner, num_complex::Complex};

/// `n` samples of a sine of `freq` Hz at `sample_rate`, peak `amp`.
pub fn sine(freq: f64, sample_rate: f64, amp: f64, n: usize) -> Vec<f32> {
    (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / sample_rate).sin()) as f32).collect()
}

/// Mean power of a signal.
pub fn power(x: &[f32]) -> f64 {
    x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64
}

/// Mean power of `y - x`, computed in f64.
pub fn error_power(x: &[f32], y: &[f32]) -> f64 {
    x.iter().zip(y).map(|(&a, &b)| (b as f64 - a as f64).powi(2)).sum::<f64>() / x.len() as f64
}

/// Signal-to-noise ratio in dB of `y` against the clean `x`: all of `y - x` counts as noise.
pub fn snr_db(x: &[f32], y: &[f32]) -> f64 {
    10.0 * (power(x) / error_power(x, y)).log10()
}

/// Power spectrum of `x` (Hann window, averaged over non-overlapping segments of `seg`
/// samples), one value per bin 0..=seg/2, scaled so the bins sum to the mean power.
pub fn power_spectrum(x: &[f64], seg: usize) -> Vec<f64> {
    let fft = FftPlanner::new().plan_fft_forward(seg);
    let window: Vec<f64> =
        (0..seg).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / seg as f64).cos()).collect();
    let wpow: f64 = window.iter().map(|w| w * w).sum::<f64>();
    let mut acc = vec![0.0; seg / 2 + 1];
    let segments = x.len() / seg;
    for s in 0..segments {
        let mut buf: Vec<Complex<f64>> = (0..seg).map(|i| Complex::new(x[s * seg + i] * window[i], 0.0)).collect();
        fft.process(&mut buf);
        for (k, a) in acc.iter_mut().enumerate() {
            let mag = buf[k].norm_sqr() / (wpow * seg as f64);
            *a += if k == 0 || k == seg / 2 { mag } else { 2.0 * mag };
        }
    }
    acc.iter().map(|a| a / segments as f64).collect()
}

/// Sum of spectrum bins whose centre lies in [lo, hi) Hz.
pub fn band_power(spectrum: &[f64], sample_rate: f64, lo: f64, hi: f64) -> f64 {
    let seg = (spectrum.len() - 1) * 2;
    spectrum
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            let f = *k as f64 * sample_rate / seg as f64;
            f >= lo && f < hi
        })
        .map(|(_, p)| p)
        .sum()
}

/// dB of a power ratio.
pub fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}
