//! The chain around the quantizer: the filters against the hold's images and aliases, the swept
//! Sample Rate, Drive and Output, Jitter's reproducibility.

use super::*;
use crate::test_util::*;
use crate::{DitherMode, Shaping};

const SR: f32 = 48000.0;

fn run(s: Settings, x: &[f32]) -> Vec<f32> {
    let mut y = x.to_vec();
    Engine::new(1, SR, s, DEFAULT_SEED).process(&mut [&mut y]);
    y
}

fn level_db(spec: &[f64], f: f64) -> f64 {
    db(band_power(spec, SR as f64, f - 30.0, f + 30.0))
}

/// A 1 kHz tone at Sample Rate 8 kHz: images at 7 and 9 kHz without the post-filter, at
/// least 40 dB below the tone with it.
#[test]
fn post_filter_removes_the_holds_images() {
    let x = sine(1000.0, SR as f64, 0.5, 1 << 16);
    let base = Settings { bits: 24.0, rate: 8000.0, ..Settings::default() };
    for post in [false, true] {
        let y = run(Settings { postfilter: post, ..base }, &x);
        let spec = power_spectrum(&y.iter().map(|&v| v as f64).collect::<Vec<_>>(), 8192);
        let tone = level_db(&spec, 1000.0);
        for image in [7000.0, 9000.0] {
            let rel = level_db(&spec, image) - tone;
            if post {
                assert!(rel < -40.0, "post-filter on: {image} Hz at {rel:.1} dB");
            } else {
                assert!(rel > -20.0, "post-filter off: {image} Hz at {rel:.1} dB");
            }
        }
        // The tone itself: within 0.5 dB (hold droop 0.22 dB, filter passband).
        assert!((tone - db(0.125)).abs() < 0.5, "tone {tone:.2} dB");
    }
}

/// A tone at the new sample rate (twice the new Nyquist) is at least 48 dB down before the
/// hold with the pre-filter on; one at a quarter of it passes within 1 dB.
#[test]
fn pre_filter_guards_the_hold() {
    for (freq, lo, hi) in [(8000.0, -400.0, -48.0), (2000.0, -1.0, 0.5)] {
        let x = sine(freq, SR as f64, 0.5, 48000);
        // Sample Rate 8 kHz, 24 bits: the hold's own aliasing of the residue is measured
        // at the residue's frequency (8 kHz folds to DC, so compare total power).
        let s = Settings { bits: 24.0, rate: 8000.0, prefilter: true, ..Settings::default() };
        let mut chain = x.clone();
        let mut engine = Engine::new(1, SR, s, 1);
        engine.process(&mut [&mut chain]);
        // Undo nothing: compare powers after the transient.
        let gain = db(power(&chain[4800..]) / power(&x[4800..]));
        assert!(gain > lo && gain < hi, "{freq} Hz through pre-filter + hold: {gain:.1} dB");
    }
}

#[test]
fn sweeping_the_sample_rate_stays_stable_and_click_free() {
    // 50 Hz to 48 kHz and back in 100 ms (a settings change every 16 samples), filters on.
    let x = sine(440.0, SR as f64, 0.8, 9600);
    let s = Settings { bits: 12.0, prefilter: true, postfilter: true, ..Settings::default() };
    let mut e = Engine::new(1, SR, Settings { rate: 50.0, ..s }, 1);
    let mut y = x.clone();
    for (k, block) in y.chunks_mut(16).enumerate() {
        let t = k as f32 * 16.0 / 4800.0;
        let up = if t < 1.0 { t } else { 2.0 - t };
        e.set_settings(Settings { rate: 50.0 * (48000.0f32 / 50.0).powf(up.clamp(0.0, 1.0)), ..s });
        e.process(&mut [block]);
    }
    let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(y.iter().all(|v| v.is_finite()));
    // Two 8th-order Butterworths in series overshoot by about 15 % each at most.
    assert!(peak <= 0.8 * 1.15 * 1.15 + 0.01, "peak {peak}");
    // No sample-to-sample jump larger than the signal's own full swing.
    let jump = y.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
    assert!(jump <= 1.6, "largest step {jump}");
}

#[test]
fn drive_clips_at_full_scale_and_output_makes_up_level() {
    let x = sine(997.0, SR as f64, 0.5, 4800);
    let y = run(Settings { bits: 16.0, drive_db: 12.0, ..Settings::default() }, &x);
    let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    // 0.5 · 4 = 2 clips to the top level.
    assert!(peak <= 1.0 && peak > 0.99, "peak {peak}");
    let clipped = y.iter().filter(|v| v.abs() > 0.99).count();
    assert!(clipped > 4800 / 4, "only {clipped} samples at full scale");
    let z = run(Settings { bits: 16.0, drive_db: 12.0, output_db: -12.0, ..Settings::default() }, &x);
    let g = db_to_gain(-12.0);
    for (a, b) in y.iter().zip(&z) {
        assert_eq!(a * g, *b);
    }
}

#[test]
fn jittered_renders_reproduce_after_reset() {
    let x = sine(997.0, SR as f64, 0.7, 9000);
    let s = Settings {
        bits: 6.0,
        rate: 5000.0,
        jitter: 1.0,
        postfilter: true,
        shaping: Shaping::FWeighted3,
        dither: DitherMode::Tpdf,
        ..Settings::default()
    };
    let mut e = Engine::new(1, SR, s, 9);
    let mut a = x.clone();
    e.process(&mut [&mut a]);
    e.reset();
    let mut b = x.clone();
    e.process(&mut [&mut b]);
    assert_eq!(a, b);
}
