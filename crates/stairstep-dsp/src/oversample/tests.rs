//! The oversampler against its per-sample definition, and the anti-alias path as a whole.

use super::reference::*;
use super::*;
use crate::DitherMode;
use crate::engine::{Engine, Settings};
use crate::simd::{Avx2, Avx512, Portable};
use crate::test_util::*;

const SR: f64 = 48000.0;

fn render(s: Settings, x: &[f32]) -> Vec<f32> {
    let mut y = x.to_vec();
    let mut e = Engine::new(1, SR as f32, s, 1);
    for block in y.chunks_mut(500) {
        e.process(&mut [block]);
    }
    y
}

/// Error power in dB of `y` against `x` delayed by `delay` samples.
fn misalignment_db(x: &[f32], y: &[f32], delay: usize) -> f64 {
    let n = x.len() - delay - 200;
    let e: f64 = (200..n).map(|i| (y[i + delay] as f64 - x[i] as f64).powi(2)).sum::<f64>() / (n - 200) as f64;
    let p: f64 = (200..n).map(|i| (x[i] as f64).powi(2)).sum::<f64>() / (n - 200) as f64;
    db(e / p)
}

#[test]
fn the_path_delays_by_exactly_the_reported_latency() {
    // At 24 bits the staircase is nearly the identity: the output is the input, delayed.
    let x = sine(1000.0, SR, 0.5, 20000);
    let s = Settings { bits: 24.0, antialias: true, ..Settings::default() };
    let y = render(s, &x);
    assert_eq!(Engine::new(1, 48000.0, s, 1).latency(), LATENCY);
    let at = misalignment_db(&x, &y, LATENCY);
    assert!(at < -70.0, "error at the reported latency: {at:.1} dB");
    for wrong in [LATENCY - 1, LATENCY + 1] {
        let off = misalignment_db(&x, &y, wrong);
        assert!(off > at + 30.0, "delay {wrong}: {off:.1} dB vs {at:.1} dB");
    }
}

#[test]
fn the_dry_path_is_delayed_to_match() {
    // Mix 50 % at 24 bits: no comb filtering, the output is the input delayed. (The wet
    // path's only difference is the ADAA's gentle top-octave droop: -0.09 dB at 9 kHz.)
    let x = sine(9000.0, SR, 0.5, 20000);
    let s = Settings { bits: 24.0, mix: 0.5, antialias: true, ..Settings::default() };
    let y = render(s, &x);
    let (aligned, unaligned) = (misalignment_db(&x, &y, LATENCY), misalignment_db(&x, &y, 0));
    assert!(aligned < -40.0 && unaligned > -3.0, "{aligned:.1} dB aligned, {unaligned:.1} dB not");
    // Bypassed audio keeps the latency too.
    let s = Settings { bypass: true, antialias: true, ..Settings::default() };
    let y = render(s, &x);
    assert_eq!(y[LATENCY..], x[..x.len() - LATENCY]);
    // And with dither (where the oversampled staircase does not act) the timing is kept.
    let s = Settings { bits: 20.0, dither: DitherMode::Tpdf, antialias: true, ..Settings::default() };
    let e = misalignment_db(&x, &render(s, &x), LATENCY);
    assert!(e < -70.0, "dithered path: {e:.1} dB");
}

/// Power in the harmonic bins (h·f0 below Nyquist, ±4 bins) and in all the others.
fn harmonic_split(y: &[f32], f0: f64) -> (Vec<f64>, f64) {
    let seg = 1 << 15;
    let spec = power_spectrum(&y.iter().map(|&v| v as f64).collect::<Vec<_>>(), seg);
    let bin = SR / seg as f64;
    let mut harmonic = vec![false; spec.len()];
    let mut levels = vec![];
    for h in 1.. {
        let f = h as f64 * f0;
        if f >= SR / 2.0 - 5.0 * bin {
            break;
        }
        let b = (f / bin).round() as usize;
        harmonic[b - 4..=b + 4].fill(true);
        levels.push(db(spec[b - 4..=b + 4].iter().sum::<f64>()));
    }
    let other: f64 = spec.iter().zip(&harmonic).filter(|(_, h)| !**h).map(|(p, _)| p).sum();
    (levels, db(other))
}

#[test]
fn anti_alias_cuts_the_aliases_and_keeps_the_harmonics() {
    // The measurement: 3517 Hz at 0.9 of full scale, 48 kHz, 6 bits.
    let x = sine(3517.0, SR, 0.9, (1 << 17) + LATENCY);
    let plain = render(Settings { bits: 6.0, ..Settings::default() }, &x);
    let aa = render(Settings { bits: 6.0, antialias: true, ..Settings::default() }, &x);
    let (plain_h, plain_alias) = harmonic_split(&plain[..1 << 17], 3517.0);
    let (aa_h, aa_alias) = harmonic_split(&aa[LATENCY..], 3517.0);
    let reduction = plain_alias - aa_alias;
    assert!(reduction >= 12.0, "aliases fell by only {reduction:.1} dB");
    // Harmonics that stand out of the alias floor (the odd ones; the even bins hold only
    // aliases) keep their level within 1 dB.
    let floor = plain_alias - 10.0 * (16384.0f64).log10();
    let mut checked = 0;
    println!("alias floor per bin {floor:.1} dB; harmonics plain {plain_h:.1?}, anti-aliased {aa_h:.1?}");
    for (h, (p, a)) in plain_h.iter().zip(&aa_h).enumerate() {
        if *p > floor + 15.0 {
            assert!((a - p).abs() < 1.0, "harmonic {}: {a:.2} vs {p:.2} dB", h + 1);
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} harmonics stood out");
    println!("aliases -{reduction:.1} dB, {checked} harmonics within 1 dB");
}

/// The block path against the per-sample definition: random input with steps, silence,
/// clipping and stills, bit depths changing every 50 samples, every quantizer, blocks of
/// several sizes. Equal values (an exact zero may differ in sign).
fn check_against_reference(mode: QuantizerMode, mute_zero: bool) {
    use crate::quantizer::Grid;
    use crate::rng::lowbias32;
    let n = 3000;
    let mut seed = 3u32;
    let x: Vec<f32> = (0..n)
        .map(|i| {
            seed = lowbias32(seed);
            let r = seed as f32 / u32::MAX as f32 * 2.0 - 1.0;
            match (i / 200) % 5 {
                0 => 0.0,
                1 => 1.5 * r,
                2 => 0.37,
                3 => (i as f32 * 0.05).sin() * 0.9 + 0.05 * r,
                _ => 1e6 * r,
            }
        })
        .collect();
    // The depth moving every 50 samples (`adaa_block`, and short settled blocks), then
    // every 400 (long settled blocks: `adaa_settled`'s moving loop and its fallback).
    for period in [50, 400] {
        let grids: Vec<Grid> = (0..n).map(|i| Grid::new([6.0, 1.0, 13.5, 24.0, 3.0][(i / period) % 5], mode)).collect();
        check_blocks(mode, mute_zero, &x, &grids);
    }
}

fn check_blocks(mode: QuantizerMode, mute_zero: bool, x: &[f32], grids: &[crate::quantizer::Grid]) {
    let n = x.len();
    let mut reference = Reference::default();
    let expected: Vec<f32> = (0..n)
        .map(|i| {
            let g = grids[i];
            let g = Steps { inv_step: g.inv_step, step: g.step, k_min: g.k_min, k_max: g.k_max };
            reference.process(mode, g, mute_zero, x[i])
        })
        .collect();
    // The portable build, the AVX2 one (rounding instruction) and the AVX-512 one (its
    // filter kernel), where the CPU has them (else the narrower ones again).
    for (block, build) in [1, 7, 8, 64, 128].into_iter().flat_map(|b| [(b, 0), (b, 1), (b, 2)]) {
        let mut o = Oversampler::new(128);
        let mut got = Vec::with_capacity(n);
        for (xs, gs) in x.chunks(block).zip(grids.chunks(block)) {
            let inv: Vec<f32> = gs.iter().map(|g| g.inv_step).collect();
            let step: Vec<f32> = gs.iter().map(|g| g.step).collect();
            let lo: Vec<f32> = gs.iter().map(|g| g.k_min).collect();
            let hi: Vec<f32> = gs.iter().map(|g| g.k_max).collect();
            let grid = GridBlock { inv_step: &inv, step: &step, k_min: &lo, k_max: &hi };
            let y = match (build, Avx2::try_new(), Avx512::try_new()) {
                (2, _, Some(isa)) => o.process(isa, mode, &grid, mute_zero, xs),
                (1 | 2, Some(isa), _) => o.process(isa, mode, &grid, mute_zero, xs),
                _ => o.process(Portable::new(), mode, &grid, mute_zero, xs),
            };
            got.extend_from_slice(y);
        }
        let first = (0..n).find(|&i| got[i] != expected[i]);
        assert!(
            first.is_none(),
            "{mode:?} mute {mute_zero} block {block} build {build}: first difference at {first:?}"
        );
    }
}

#[test]
fn block_path_is_the_per_sample_definition_mid_tread() {
    check_against_reference(QuantizerMode::MidTread, false);
}

#[test]
fn block_path_is_the_per_sample_definition_mid_rise() {
    check_against_reference(QuantizerMode::MidRise, false);
    check_against_reference(QuantizerMode::MidRise, true);
}

/// The block delay against one sample at a time, over blocks of every size around the
/// delay's length, in a sequence that leaves the ring at every position.
#[test]
fn the_delay_is_the_same_in_any_blocks() {
    let x: Vec<f32> = (0..5000).map(|i| i as f32 + 1.0).collect();
    let mut expected = x.clone();
    let mut one = Delay::default();
    for s in expected.iter_mut() {
        one.process(std::slice::from_mut(s));
    }
    assert_eq!(expected[LATENCY..], x[..x.len() - LATENCY]);
    assert!(expected[..LATENCY].iter().all(|&v| v == 0.0));
    for sizes in [&[1usize, 33, 34, 35, 2, 100][..], &[7, 13, 34, 68, 5], &[128], &[500, 3, 31]] {
        let mut got = x.clone();
        let mut d = Delay::default();
        let mut pos = 0;
        for &n in sizes.iter().cycle() {
            if pos >= got.len() {
                break;
            }
            let end = (pos + n).min(got.len());
            d.process(&mut got[pos..end]);
            pos = end;
        }
        assert_eq!(got, expected, "blocks {sizes:?}");
    }
}

#[test]
fn feeding_the_delay_equals_running_it() {
    let x: Vec<f32> = (0..1000).map(|i| i as f32).collect();
    for len in [0, 5, 33, 34, 35, 300] {
        let (mut a, mut b) = (Delay::default(), Delay::default());
        a.process(&mut x[..7].to_vec());
        b.process(&mut x[..7].to_vec());
        a.process(&mut x[..len].to_vec());
        let skip = len.saturating_sub(LATENCY);
        b.feed(skip, &x[skip..len]);
        let (mut ya, mut yb) = (x[500..600].to_vec(), x[500..600].to_vec());
        a.process(&mut ya);
        b.process(&mut yb);
        assert_eq!(ya, yb, "{len}");
    }
}

#[test]
fn adaa_matches_the_staircase_where_the_input_is_still() {
    for mode in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
        let g = Steps { inv_step: 4.0, step: 0.25, k_min: -4.0, k_max: 3.0 };
        let mut q = AdaaQuantizer::default();
        for x in [-2.0f32, -0.9, -0.3, 0.1, 0.37, 0.74, 0.99, 5.0] {
            q.process(mode, g, false, x);
            let y = q.process(mode, g, false, x);
            let k = match mode {
                QuantizerMode::MidTread => (x * 4.0 + 0.5).floor().clamp(-4.0, 3.0),
                QuantizerMode::MidRise => (x * 4.0).floor().clamp(-4.0, 3.0) + 0.5,
            };
            assert_eq!(y, k * 0.25, "{mode:?} {x}");
        }
        // A ramp across one step averages the two levels in proportion.
        let mut q = AdaaQuantizer::default();
        q.process(QuantizerMode::MidTread, g, false, 0.0);
        let y = q.process(QuantizerMode::MidTread, g, false, 0.25);
        assert!((y - 0.125).abs() < 1e-6, "{y}");
    }
}
