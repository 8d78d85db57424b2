//! The engine as a whole, through its public API: SNR and error power against the dither laws,
//! their spectra, block-size independence, resets, ramps and bypass, every parameter's extremes.

use super::*;
use crate::smoother::RAMP_MS;
use crate::test_util::*;
use crate::{Curve, DitherMode, QuantizerMode, Shaping};

const SR: f32 = 48000.0;

fn settings(bits: f32, dither: DitherMode) -> Settings {
    Settings { bits, dither, ..Settings::default() }
}

/// Render a mono signal through a fresh engine in blocks of `block`.
fn render(s: Settings, x: &[f32], block: usize) -> Vec<f32> {
    let mut e = Engine::new(1, SR, s, DEFAULT_SEED);
    let mut y = x.to_vec();
    for chunk in y.chunks_mut(block) {
        e.process(&mut [chunk]);
    }
    y
}

/// SNR of a 997 Hz sine at amplitude `amp` crushed to `bits` with `dither`.
fn snr(bits: u32, dither: DitherMode, amp: f64) -> f64 {
    let x = sine(997.0, SR as f64, amp, 96000);
    let y = render(settings(bits as f32, dither), &x, 512);
    snr_db(&x, &y)
}

/// Dithered SNR against theory: `offset_db` below 6.02·N + 1.76 (4.77 dB for TPDF, whose
/// total error power is Δ²/4; 3.01 dB for RPDF, Δ²/6). The amplitude stays 2 LSB below
/// full scale so dither never clips.
fn check_dithered_snr(dither: DitherMode, offset_db: f64, tolerance: f64) {
    for bits in 8..=20 {
        let amp = 1.0 - 2.0 * 2f64.powi(1 - bits);
        let got = snr(bits as u32, dither, amp);
        let expected = 6.0206 * bits as f64 + 1.7609 - offset_db + 20.0 * amp.log10();
        assert!((got - expected).abs() < tolerance, "{dither:?} {bits} bits: {got:.2} vs {expected:.2}");
    }
}

#[test]
fn tpdf_snr_is_6_02n_minus_3_01() {
    check_dithered_snr(DitherMode::Tpdf, 4.7712, 0.5);
}

#[test]
fn rpdf_snr_is_6_02n_minus_1_25() {
    check_dithered_snr(DitherMode::Rpdf, 3.0103, 0.5);
}

#[test]
fn high_pass_tpdf_total_power_matches_tpdf() {
    check_dithered_snr(DitherMode::HighPassTpdf, 4.7712, 0.5);
}

/// Error power (in dB relative to Δ²) of an 8-bit crush of a 997 Hz sine at `dbfs`.
fn error_power_db(dither: DitherMode, dbfs: f64) -> f64 {
    let amp = 10f64.powf(dbfs / 20.0);
    let x = sine(997.0, SR as f64, amp, 96000);
    let y = render(settings(8.0, dither), &x, 512);
    let step = 1.0 / 128.0;
    db(error_power(&x, &y) / (step * step))
}

#[test]
fn tpdf_error_power_is_independent_of_level() {
    let levels = [-6.0, -30.0, -50.0];
    let p: Vec<f64> = levels.iter().map(|&l| error_power_db(DitherMode::Tpdf, l)).collect();
    let spread = p.iter().cloned().fold(f64::MIN, f64::max) - p.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread < 0.5, "TPDF error power over {levels:?} dBFS: {p:?}");
    // And it is Δ²/4 (-6.02 dB re Δ²).
    for v in &p {
        assert!((v - db(0.25)).abs() < 0.3, "{p:?}");
    }
}

#[test]
fn rpdf_and_undithered_error_power_follow_the_signal() {
    // The counter-example: without TPDF the error power modulates with the signal.
    for dither in [DitherMode::Off, DitherMode::Rpdf] {
        let loud = error_power_db(dither, -6.0);
        let quiet = error_power_db(dither, -60.0);
        assert!((loud - quiet).abs() > 1.0, "{dither:?}: {loud:.2} vs {quiet:.2} dB");
    }
    // RPDF on a loud signal: Δ²/6.
    assert!((error_power_db(DitherMode::Rpdf, -6.0) - db(1.0 / 6.0)).abs() < 0.3);
}

/// Average error PSD in a band, relative to the flat density of Δ²/12.
fn band_density_db(dither: DitherMode, lo: f64, hi: f64) -> f64 {
    let x = sine(997.0, SR as f64, 0.5, 1 << 18);
    let y = render(settings(8.0, dither), &x, 512);
    let e: Vec<f64> = x.iter().zip(&y).map(|(&a, &b)| b as f64 - a as f64).collect();
    let spec = power_spectrum(&e, 4096);
    let bin_width = SR as f64 / 4096.0;
    let bins = ((hi - lo) / bin_width).round();
    let step = 1.0 / 128.0;
    // Flat density Δ²/12 spread over fs/2 gives Δ²/12 · bin_width / (fs/2) per bin.
    let flat_bin = step * step / 12.0 * bin_width / (SR as f64 / 2.0);
    db(band_power(&spec, SR as f64, lo, hi) / (bins * flat_bin))
}

/// Theoretical average of 1 + k·4·sin²(πf/fs) over a band: the quantizer's own white
/// error (Δ²/12) plus `k` times the high-passed dither's |1 - e^-jω|² shape.
fn shaped_db(k: f64, lo: f64, hi: f64) -> f64 {
    let steps = 1000;
    let mean = (0..steps)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / steps as f64)
        .map(|f| 1.0 + k * 4.0 * (std::f64::consts::PI * f / SR as f64).sin().powi(2))
        .sum::<f64>()
        / steps as f64;
    db(mean)
}

#[test]
fn tpdf_and_rpdf_spectra_are_flat() {
    // TPDF: Δ²/12 (quantizer) + Δ²/6 (dither) = 3 × flat; RPDF: 2 × flat.
    for (dither, level) in [(DitherMode::Tpdf, db(3.0)), (DitherMode::Rpdf, db(2.0))] {
        for (lo, hi) in [(100.0, 3000.0), (10000.0, 14000.0), (20000.0, 23900.0)] {
            let got = band_density_db(dither, lo, hi);
            assert!((got - level).abs() < 0.5, "{dither:?} {lo}-{hi} Hz: {got:.2} dB vs {level:.2}");
        }
    }
}

#[test]
fn high_pass_tpdf_spectrum_rises_like_one_minus_z_inverse() {
    // Dither u[n] - u[n-1] with var(u) = Δ²/12: density (Δ²/12)·|1 - z^-1|² on top of the
    // quantizer's flat Δ²/12.
    let mut bands = vec![];
    for (lo, hi) in [(100.0, 3000.0), (6000.0, 9000.0), (14000.0, 17000.0), (20000.0, 23900.0)] {
        let got = band_density_db(DitherMode::HighPassTpdf, lo, hi);
        let expected = shaped_db(1.0, lo, hi);
        assert!((got - expected).abs() < 0.5, "{lo}-{hi} Hz: {got:.2} dB vs {expected:.2}");
        bands.push(got);
    }
    // The tilt: the top band carries far more than the bottom one (theory: about 6.3 dB).
    assert!(bands[3] - bands[0] > 5.0, "{bands:?}");
}

/// A scripted render: settings change at fixed sample positions; blocks never straddle
/// them, exactly as a host with sample-accurate automation splits its buffers.
fn scripted(block: usize, channels: usize, every_block: bool) -> Vec<Vec<f32>> {
    let script: [(usize, Settings); 8] = [
        (0, settings(16.0, DitherMode::Off)),
        (3000, settings(4.0, DitherMode::Tpdf)),
        (9000, Settings { bits: 6.5, mix: 0.5, output_db: -6.0, ..settings(6.5, DitherMode::HighPassTpdf) }),
        (
            15000,
            Settings { listen: Listen::Error, quantizer: QuantizerMode::MidRise, ..settings(3.0, DitherMode::Rpdf) },
        ),
        (
            18000,
            Settings {
                rate: 7001.0,
                jitter: 0.7,
                prefilter: true,
                postfilter: true,
                shaping: Shaping::FWeighted9,
                curve: Curve::MuLaw,
                drive_db: 9.0,
                ..settings(7.0, DitherMode::Tpdf)
            },
        ),
        (19500, Settings { antialias: true, rate: 20000.0, ..settings(5.0, DitherMode::Off) }),
        (21000, Settings { bypass: true, ..settings(3.0, DitherMode::Rpdf) }),
        (26000, settings(1.0, DitherMode::Tpdf)),
    ];
    let n = 32000;
    let mut data: Vec<Vec<f32>> = (0..channels).map(|c| sine(997.0 + 100.0 * c as f64, SR as f64, 0.8, n)).collect();
    let mut e = Engine::new(channels, SR, script[0].1, DEFAULT_SEED);
    let mut current = script[0].1;
    let mut pos = 0;
    while pos < n {
        if let Some((_, s)) = script.iter().find(|(at, _)| *at == pos) {
            current = *s;
            e.set_settings(current);
        } else if every_block {
            // What a host does: the same settings again at every block.
            e.set_settings(current);
        }
        let next_change = script.iter().map(|(at, _)| *at).filter(|&at| at > pos).min().unwrap_or(n);
        let end = (pos + block).min(next_change).min(n);
        let mut slices: Vec<&mut [f32]> = data.iter_mut().map(|c| &mut c[pos..end]).collect();
        e.process(&mut slices);
        pos = end;
    }
    data
}

#[test]
fn output_is_independent_of_block_size() {
    let reference = scripted(32000, 2, false);
    for block in [1, 7, 64, 128, 129, 4096] {
        assert!(reference == scripted(block, 2, false), "block size {block} differs");
    }
    // Settings handed again at every block, as hosts do, change nothing.
    for block in [1, 64, 512] {
        assert!(reference == scripted(block, 2, true), "block size {block}, settings every block");
    }
}

#[test]
fn settings_right_after_reset_apply_at_once_later_ones_ramp() {
    let x = sine(997.0, SR as f64, 0.9, 2000);
    let mut e = Engine::new(1, SR, settings(16.0, DitherMode::Off), DEFAULT_SEED);
    let mut warm = x.clone();
    e.process(&mut [&mut warm]);
    e.reset();
    e.set_settings(settings(4.0, DitherMode::Off));
    let mut y = x.clone();
    e.process(&mut [&mut y]);
    // Identical to a fresh engine built at 4 bits: no ramp from the old 16 bits.
    assert_eq!(y, render(settings(4.0, DitherMode::Off), &x, 2000));
    // After audio has flowed, a change ramps.
    e.set_settings(settings(16.0, DitherMode::Off));
    let mut z = x.clone();
    e.process(&mut [&mut z]);
    assert!(z[..400].iter().any(|&v| (v * 8.0).fract() != 0.0));
    assert!(error_power(&x[..48], &z[..48]) > 10.0 * error_power(&x[1000..], &z[1000..]));
}

#[test]
fn near_whole_bit_depths_from_hosts_are_whole() {
    // What a host's normalized f32 round trip makes of 3, 8 and 16 bits.
    for bits in [3.0f32, 8.0, 16.0] {
        let normalized = (bits - 1.0) / 23.0;
        let back = 1.0 + normalized * 23.0;
        assert_eq!(Settings { bits: back, ..Settings::default() }.sanitized().bits, bits);
        assert_eq!(Settings { bits: bits + 0.001, ..Settings::default() }.sanitized().bits, bits);
    }
    // Real fractions stay fractional.
    assert_eq!(Settings { bits: 7.99, ..Settings::default() }.sanitized().bits, 7.99);
    assert_eq!(Settings { bits: 4.5, ..Settings::default() }.sanitized().bits, 4.5);
}

#[test]
fn channels_get_distinct_dither() {
    // The same input on both channels: the errors must be uncorrelated.
    let x = sine(997.0, SR as f64, 0.5, 20000);
    let (mut a, mut b) = (x.clone(), x.clone());
    let mut e = Engine::new(2, SR, settings(12.0, DitherMode::Tpdf), DEFAULT_SEED);
    e.process(&mut [&mut a, &mut b]);
    let ea: Vec<f64> = a.iter().zip(&x).map(|(p, q)| (p - q) as f64).collect();
    let eb: Vec<f64> = b.iter().zip(&x).map(|(p, q)| (p - q) as f64).collect();
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(p, q)| p * q).sum::<f64>();
    let corr = dot(&ea, &eb) / (dot(&ea, &ea) * dot(&eb, &eb)).sqrt();
    assert!(corr.abs() < 0.05, "error correlation between channels {corr}");
}

#[test]
fn reset_reproduces_output() {
    let x = sine(997.0, SR as f64, 0.7, 10000);
    let mut e = Engine::new(1, SR, settings(6.0, DitherMode::Tpdf), DEFAULT_SEED);
    let mut first = x.clone();
    e.process(&mut [&mut first]);
    e.set_settings(settings(12.0, DitherMode::HighPassTpdf));
    let mut other = x.clone();
    e.process(&mut [&mut other]);
    e.set_settings(settings(6.0, DitherMode::Tpdf));
    e.reset();
    let mut again = x.clone();
    e.process(&mut [&mut again]);
    assert_eq!(first, again);
}

#[test]
fn non_finite_input_never_reaches_the_output() {
    let mut x = sine(997.0, SR as f64, 0.7, 4800);
    let mut zeroed = x.clone();
    for (i, bad) in [(10, f32::NAN), (11, f32::INFINITY), (500, f32::NEG_INFINITY), (501, -f32::NAN)] {
        x[i] = bad;
        zeroed[i] = 0.0;
    }
    for dither in [DitherMode::Off, DitherMode::Tpdf] {
        for listen in [Listen::Output, Listen::Error] {
            for bypass in [false, true] {
                let s = Settings { listen, bypass, mix: 0.5, ..settings(5.0, dither) };
                let y = render(s, &x, 64);
                assert!(y.iter().all(|v| v.is_finite()));
                // Bad samples count as silence; everything else is processed as usual.
                assert_eq!(y, render(s, &zeroed, 64), "{s:?}");
            }
        }
    }
}

#[test]
fn silence_stays_exactly_silent_without_dither() {
    let x = vec![0.0f32; 2000];
    for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
        for bits in [1.0, 1.7, 4.0, 8.0, 16.0, 24.0] {
            for listen in [Listen::Output, Listen::Error] {
                for (mix, output_db) in [(1.0, 0.0), (0.3, 24.0), (0.0, -24.0)] {
                    let s = Settings { quantizer, listen, mix, output_db, ..settings(bits, DitherMode::Off) };
                    let mut e = Engine::new(1, SR, s, DEFAULT_SEED);
                    let mut y = x.clone();
                    e.set_settings(Settings { bits: 25.0 - bits, ..s }); // a ramp too
                    e.process(&mut [&mut y]);
                    assert!(y.iter().all(|&v| v == 0.0), "{s:?}");
                }
            }
        }
    }
}

#[test]
fn mix_error_output_and_bypass_are_exact() {
    let x = sine(997.0, SR as f64, 0.9, 4800);
    let wet = render(settings(5.0, DitherMode::Tpdf), &x, 256);
    // Mix 0 %: exactly dry.
    assert_eq!(render(Settings { mix: 0.0, ..settings(5.0, DitherMode::Tpdf) }, &x, 256), x);
    // Listen = Error at Mix 100 %: exactly y - x.
    let err = render(Settings { listen: Listen::Error, ..settings(5.0, DitherMode::Tpdf) }, &x, 256);
    for i in 0..x.len() {
        assert_eq!(err[i], wet[i] - x[i]);
    }
    // Output gain is applied last.
    let g = db_to_gain(-7.5);
    let loud = render(Settings { output_db: -7.5, ..settings(5.0, DitherMode::Tpdf) }, &x, 256);
    for i in 0..x.len() {
        assert_eq!(loud[i], wet[i] * g);
    }
    // Bypass: bit-transparent.
    assert_eq!(render(Settings { bypass: true, ..settings(2.0, DitherMode::Tpdf) }, &x, 256), x);
}

#[test]
fn bypass_crossfades_instead_of_clicking() {
    let x = sine(997.0, SR as f64, 0.9, 4800);
    let s = settings(2.0, DitherMode::Off);
    let mut e = Engine::new(1, SR, s, DEFAULT_SEED);
    let mut y = x.clone();
    let (a, b) = y.split_at_mut(1000);
    e.process(&mut [a]);
    e.set_settings(Settings { bypass: true, ..s });
    e.process(&mut [b]);
    // Over the 10 ms (480 samples) ramp the output moves from the crushed to the dry signal.
    let crushed = render(s, &x, 4800);
    for i in 1000..1480 {
        let t = (i - 1000 + 1) as f32 / 480.0;
        let expect = crushed[i] * (1.0 - t) + x[i] * t;
        assert!((y[i] - expect).abs() < 1e-3, "{i}: {} vs {expect}", y[i]);
    }
    assert_eq!(y[1480..], x[1480..]);
}

#[test]
fn bit_depth_automation_ramps_over_10_ms() {
    // From 16 to 4 bits: the local error power climbs over 480 samples, not at once.
    let x = sine(997.0, SR as f64, 0.9, 4800);
    let s = settings(16.0, DitherMode::Off);
    let mut e = Engine::new(1, SR, s, DEFAULT_SEED);
    let mut y = x.clone();
    let (a, b) = y.split_at_mut(1200);
    e.process(&mut [a]);
    e.set_settings(settings(4.0, DitherMode::Off));
    e.process(&mut [b]);
    let window_db = |from: usize| db(error_power(&x[from..from + 48], &y[from..from + 48]));
    let before = window_db(1100);
    let early = window_db(1200 + 48);
    let late = window_db(1200 + 380);
    let after = window_db(2000);
    assert!(before < early && early < late && late < after + 1.0, "{before} {early} {late} {after}");
    // 12 bits of change is 72 dB; the first 1 ms of ramp covers only a tenth of it.
    assert!(after - early > 30.0, "{early} -> {after}");
    // Settled: exactly the 4-bit grid.
    for &v in &y[1680..] {
        assert_eq!((v * 8.0).fract(), 0.0);
    }
}

#[test]
fn output_stays_finite_and_bounded_at_every_extreme() {
    let mut x = sine(997.0, SR as f64, 1.0, 2048);
    x[5] = f32::MAX;
    x[6] = -f32::MAX;
    x[7] = f32::MIN_POSITIVE / 2.0; // denormal
    x[8] = 1e30;
    // The crushing chain at its defaults, at every extreme, and with out-of-range values.
    let chains = [
        Settings::default(),
        Settings {
            rate: MIN_RATE,
            jitter: 1.0,
            prefilter: true,
            postfilter: true,
            shaping: Shaping::FWeighted9,
            curve: Curve::MuLaw,
            drive_db: MAX_DRIVE_DB,
            antialias: true,
            ..Settings::default()
        },
        Settings {
            rate: -5.0,
            jitter: f32::NAN,
            prefilter: true,
            postfilter: false,
            shaping: Shaping::Lipshitz5,
            curve: Curve::ALaw,
            drive_db: 1e9,
            ..Settings::default()
        },
    ];
    for chain in chains {
        for bits in [-5.0, 0.0, 1.0, 24.0, 99.0, f32::NAN] {
            for dither in [DitherMode::Off, DitherMode::Rpdf, DitherMode::Tpdf, DitherMode::HighPassTpdf] {
                for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
                    for (mix, output_db) in [(-1.0, -99.0), (0.0, 24.0), (1.0, 24.0), (2.0, f32::NAN)] {
                        for listen in [Listen::Output, Listen::Error] {
                            let s = Settings { bits, dither, quantizer, mix, output_db, listen, ..chain };
                            let y = render(s, &x, 100);
                            let bound = (MAX_INPUT + 1.0) * db_to_gain(MAX_OUTPUT_DB);
                            assert!(y.iter().all(|v| v.is_finite() && v.abs() <= bound), "{s:?}");
                            if mix >= 1.0 && listen == Listen::Output && !s.postfilter {
                                // Fully wet and unfiltered: never beyond full scale times the gain.
                                let g = db_to_gain(s.sanitized().output_db);
                                assert!(y.iter().all(|v| v.abs() <= g), "{s:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Switching Dither on while Anti-alias is on hands over to the plain staircase, delayed
/// like the anti-aliased one: the first [`LATENCY`] samples after the switch are the
/// undithered staircase of the samples just before it (the wet delay kept current while
/// Anti-alias acted), in blocks shorter and longer than the delay.
fn check_handover_to_the_plain_staircase(block: usize) {
    let x = sine(1234.5, SR as f64, 0.8, 4000);
    let switch = 2000;
    let anti_aliased = Settings { bits: 5.0, antialias: true, ..Settings::default() };
    let mut e = Engine::new(1, SR, anti_aliased, DEFAULT_SEED);
    let mut y = x.clone();
    let mut pos = 0;
    while pos < y.len() {
        if pos == switch {
            e.set_settings(Settings { dither: DitherMode::Tpdf, ..anti_aliased });
        }
        let end = (pos + block).min(y.len()).min(if pos < switch { switch } else { usize::MAX });
        e.process(&mut [&mut y[pos..end]]);
        pos = end;
    }
    let plain = render(Settings { antialias: false, ..anti_aliased }, &x, 4000);
    let handed_over = &y[switch..switch + LATENCY];
    let expected = &plain[switch - LATENCY..switch];
    assert!(
        handed_over.iter().zip(expected).all(|(a, b)| a.to_bits() == b.to_bits()),
        "block {block}: {handed_over:?} vs {expected:?}"
    );
    // And after that the dithered staircase, so the comparison above is not vacuous.
    let dithered = &y[switch + LATENCY..switch + 2 * LATENCY];
    assert!(dithered.iter().zip(&plain[switch..]).any(|(a, b)| a != b), "block {block}: no dither");
}

#[test]
fn dither_after_anti_alias_hands_over_in_short_blocks() {
    for block in [1, 7, 33] {
        check_handover_to_the_plain_staircase(block);
    }
}

#[test]
fn dither_after_anti_alias_hands_over_in_long_blocks() {
    for block in [34, 35, 100, 512] {
        check_handover_to_the_plain_staircase(block);
    }
}

/// A control that ramps away and back to where it was leaves nothing behind: once it lands,
/// the chain (memoryless here: no dither, no rate reduction, no filters) gives what a fresh
/// engine at the same settings gives. Mix 50 % keeps every chunk on the general path, so this
/// holds its control arrays to their settled values (the arrays a settled control leaves
/// unwritten must still hold them after a ramp wrote part of them).
fn away_and_back(away: Settings, quantizer: QuantizerMode) {
    let home = Settings { bits: 6.0, mix: 0.5, output_db: -3.0, drive_db: 4.0, quantizer, ..Settings::default() };
    let away = Settings { quantizer, ..away };
    let x = sine(997.0, SR as f64, 0.7, 9600);
    let mut e = Engine::new(1, SR, home, DEFAULT_SEED);
    let mut y = x.clone();
    // Settled at home for a while, away for 1 ms (a ramp of RAMP_MS starts), home again.
    let (away_at, back_at) = (1300, 1348);
    let mut pos = 0;
    for (end, s) in [(away_at, home), (back_at, away), (x.len(), home)] {
        e.set_settings(s);
        for chunk in y[pos..end].chunks_mut(100) {
            e.process(&mut [chunk]);
        }
        pos = end;
    }
    let landed = back_at + (2.0 * RAMP_MS / 1000.0 * SR) as usize;
    let reference = render(home, &x, 512);
    let same = y[landed..].iter().zip(&reference[landed..]).all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(same, "{away:?}: after landing home, the output differs from a fresh engine's");
}

#[test]
fn controls_ramping_away_and_back_leave_nothing_behind() {
    let base = Settings { bits: 6.0, mix: 0.5, output_db: -3.0, drive_db: 4.0, ..Settings::default() };
    for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
        for away in [
            Settings { bits: 3.0, ..base },
            Settings { mix: 0.9, ..base },
            Settings { output_db: 2.0, ..base },
            Settings { drive_db: 12.0, ..base },
            Settings { bypass: true, ..base },
            Settings { rate: 8000.0, ..base },
        ] {
            away_and_back(away, quantizer);
        }
    }
}

/// The same away-and-back with the rate reduced and both filters on (not memoryless, so
/// held to the same render in blocks of other sizes instead of to a fresh engine).
#[test]
fn reduced_rate_away_and_back_is_independent_of_blocks() {
    let home = Settings { rate: 8000.0, prefilter: true, postfilter: true, mix: 0.5, ..Settings::default() };
    let x = sine(997.0, SR as f64, 0.7, 9600);
    for away in [Settings { rate: 3000.0, ..home }, Settings { bits: 3.0, ..home }, Settings { mix: 0.9, ..home }] {
        let renders: Vec<Vec<f32>> = [100, 1, 128, 333]
            .iter()
            .map(|&block| {
                let mut e = Engine::new(1, SR, home, DEFAULT_SEED);
                let mut y = x.clone();
                let mut pos = 0;
                for (end, s) in [(1300, home), (1348, away), (x.len(), home)] {
                    e.set_settings(s);
                    for chunk in y[pos..end].chunks_mut(block) {
                        e.process(&mut [chunk]);
                    }
                    pos = end;
                }
                y
            })
            .collect();
        for (k, y) in renders.iter().enumerate().skip(1) {
            let same = y.iter().zip(&renders[0]).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{away:?}: render {k} differs from the first");
        }
    }
}
