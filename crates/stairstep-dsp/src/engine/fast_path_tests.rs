//! The router's settled paths against the general path, bit for bit, in every vector build.

use super::settled::{FusedKind, fused_dispatch, fused_in};
use super::*;
use crate::dither::triangular;
use crate::rng::lowbias32;
use crate::rng::stream_word;
use crate::simd::Portable;
use crate::test_util::*;
use crate::{Curve, DitherMode, QuantizerMode, Shaping};

/// Does nothing, but its presence sends every chunk down the general path.
/// Everything the analysis is handed, concatenated: input, quantized, output, step.
#[derive(Default, PartialEq, Debug)]
struct RecordTap([Vec<f32>; 4]);
impl Tap for RecordTap {
    fn chunk(&mut self, dry: &[f32], wet: &[f32], out: &[f32], step: &[f32], _: &Settings) {
        for (r, x) in self.0.iter_mut().zip([dry, wet, out, step]) {
            r.extend_from_slice(x);
        }
    }
}

/// With the editor open, the fused loops hand the analysis what the general path does
/// (equal values), and the output stays the same bits, in every build, across switches
/// to the paths they do not take and back.
#[test]
fn the_analysis_sees_the_same_through_the_fast_path() {
    let mut x = vec![sine(997.0, 48000.0, 0.9, 12000), sine(331.0, 48000.0, 0.4, 12000)];
    x[0][100] = f32::NAN;
    x[0][200] = 1e30;
    x[0][300..400].fill(0.0);
    let mut script = vec![];
    for (i, dither) in [DitherMode::Off, DitherMode::Tpdf, DitherMode::HighPassTpdf].into_iter().enumerate() {
        for (j, quantizer) in [QuantizerMode::MidTread, QuantizerMode::MidRise].into_iter().enumerate() {
            let listen = if j == 1 { Listen::Error } else { Listen::Output };
            let bits = [8.0, 3.5, 16.0][i];
            let at = (2 * i + j) * 1500;
            script.push((at, Settings { bits, dither, quantizer, listen, output_db: -2.0, ..Settings::default() }));
        }
    }
    script.push((9000, Settings { shaping: Shaping::FWeighted9, dither: DitherMode::Tpdf, ..Settings::default() }));
    script.push((10000, Settings { bits: 6.0, ..Settings::default() }));
    let run = |general: bool, block: usize, simd: Option<Level>| {
        let mut data = x.clone();
        let mut e = Engine::new(2, 48000.0, script[0].1, 5);
        e.force_general = general;
        if let Some(simd) = simd {
            e.limit_simd(simd);
        }
        let mut tap = RecordTap::default();
        let mut pos = 0;
        while pos < data[0].len() {
            if let Some((_, s)) = script.iter().find(|(at, _)| *at == pos) {
                e.set_settings(*s);
            }
            let next = script.iter().map(|(at, _)| *at).filter(|&at| at > pos).min().unwrap_or(data[0].len());
            let end = (pos + block).min(next);
            let mut slices: Vec<&mut [f32]> = data.iter_mut().map(|c| &mut c[pos..end]).collect();
            e.process_tapped(&mut slices, Some(&mut tap));
            pos = end;
        }
        (data, tap)
    };
    let bits = |d: &[Vec<f32>]| d.iter().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
    for block in [7, 128, 1000] {
        let (general, expected) = run(true, block, None);
        assert!(expected.0[0].len() == 12000, "the analysis missed samples");
        for simd in [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|s| *s <= Level::detect()) {
            let (fast, got) = run(false, block, Some(simd));
            assert!(bits(&fast) == bits(&general), "{simd:?}, block {block}: output");
            assert!(got == expected, "{simd:?}, block {block}: analysis");
        }
    }
}

fn render(script: &[(usize, Settings)], x: &[Vec<f32>], block: usize, general: bool) -> Vec<Vec<f32>> {
    render_with(script, x, block, general, None)
}

/// [`render`], with one vector build forced (`None`: as detected).
fn render_with(
    script: &[(usize, Settings)],
    x: &[Vec<f32>],
    block: usize,
    general: bool,
    simd: Option<Level>,
) -> Vec<Vec<f32>> {
    let mut data = x.to_vec();
    let mut e = Engine::new(2, 48000.0, script[0].1, 5);
    if let Some(simd) = simd {
        e.limit_simd(simd);
    }
    let n = data[0].len();
    let mut pos = 0;
    while pos < n {
        if let Some((_, s)) = script.iter().find(|(at, _)| *at == pos) {
            e.set_settings(*s);
        }
        let next = script.iter().map(|(at, _)| *at).filter(|&at| at > pos).min().unwrap_or(n);
        let end = (pos + block).min(next).min(n);
        let mut slices: Vec<&mut [f32]> = data.iter_mut().map(|c| &mut c[pos..end]).collect();
        e.force_general = general;
        e.process_tapped(&mut slices, None);
        pos = end;
    }
    data
}

/// The fused loop gives the general path's output bit for bit, in every variant, across
/// changes that switch between the two paths (ramps, filters, anti-alias).
#[test]
fn fast_path_is_exact() {
    let mut x = vec![sine(997.0, 48000.0, 0.9, 40000), sine(331.0, 48000.0, 0.4, 40000)];
    x[0][100] = f32::NAN;
    x[1][200] = 0.0;
    x[0][300..400].fill(0.0);
    // Beyond the input clamp (the fast loop skips it where it cannot matter).
    for (i, v) in [(500, 3.0e7), (501, -1.0e30), (502, 1.1e6), (503, f32::MAX)] {
        x[0][i] = v;
        x[1][i + 3000] = -v;
    }
    let mut script = vec![];
    let mut at = 0;
    for dither in [DitherMode::Off, DitherMode::Rpdf, DitherMode::Tpdf, DitherMode::HighPassTpdf] {
        for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
            for listen in [Listen::Output, Listen::Error] {
                let bits = 2.0 + (at / 1000) as f32 * 0.7;
                let output_db = if listen == Listen::Error { 6.0 } else { -3.0 };
                script.push((at, Settings { bits, dither, quantizer, listen, output_db, ..Settings::default() }));
                at += 1000;
            }
        }
    }
    // Whole depths at 0 dB: the AVX-512 build's power-of-two loops, unity gain included.
    for dither in [DitherMode::Off, DitherMode::Rpdf, DitherMode::Tpdf, DitherMode::HighPassTpdf] {
        for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
            let bits = [8.0, 1.0, 23.0, 4.0][dither as usize];
            script.push((at, Settings { bits, dither, quantizer, ..Settings::default() }));
            at += 600;
        }
    }
    // Noise shaping (its own fused loop, channels in pairs), steady and at depths where
    // its clamps act.
    for (i, shaping) in [Shaping::FWeighted3, Shaping::Lipshitz5, Shaping::FWeighted9].into_iter().enumerate() {
        for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
            let bits = [16.0, 4.0, 23.5][i];
            let dither = if quantizer == QuantizerMode::MidRise && i == 1 { DitherMode::Off } else { DitherMode::Tpdf };
            let listen = if i == 2 { Listen::Error } else { Listen::Output };
            script.push((
                at,
                Settings { bits, dither, quantizer, shaping, listen, output_db: -1.0, ..Settings::default() },
            ));
            at += 1000;
        }
    }
    // Then through paths the fast loop does not take, and back.
    // Settled Anti-alias has its own path too: both quantizers (mid-rise's mute), a
    // fractional depth, gain and the error signal, each entered through a ramp (10 ms).
    script.push((at, Settings { antialias: true, ..Settings::default() }));
    let aa = Settings {
        bits: 3.3,
        quantizer: QuantizerMode::MidRise,
        output_db: -3.0,
        antialias: true,
        ..Settings::default()
    };
    script.push((at + 700, aa));
    script.push((at + 1400, Settings { bits: 6.0, listen: Listen::Error, output_db: 6.0, ..aa }));
    // Straight on to Anti-alias's other path (the host-rate quantizer's delay, which the
    // settled path keeps fed) and to a held rate (the hold's value).
    script.push((at + 2100, Settings { bits: 6.0, dither: DitherMode::Tpdf, rate: 3000.0, antialias: true, ..aa }));
    let at = at + 1300;
    script.push((at + 1500, Settings { rate: 9000.0, postfilter: true, ..Settings::default() }));
    script.push((at + 3000, Settings { bits: 5.0, dither: DitherMode::Tpdf, ..Settings::default() }));
    script.push((
        at + 3700,
        Settings { bits: 12.0, dither: DitherMode::Tpdf, shaping: Shaping::FWeighted9, ..Settings::default() },
    ));
    script.push((at + 4500, Settings { bits: 5.0, dither: DitherMode::Tpdf, antialias: true, ..Settings::default() }));
    // Bypass (its own settled path), then back: the dither streams, the jittered hold
    // clock and the dry delay must be where the general path leaves them.
    let held = Settings { bits: 5.0, dither: DitherMode::Tpdf, rate: 7000.0, jitter: 0.5, ..Settings::default() };
    script.push((at + 5300, Settings { bypass: true, ..held }));
    script.push((at + 6900, held));
    script.push((at + 7600, Settings { bypass: true, antialias: true, ..held }));
    script.push((at + 9100, Settings { antialias: true, ..held }));
    for block in [7, 128, 1000] {
        let general = render(&script, &x, block, true);
        assert!(render(&script, &x, block, false) == general, "block {block}");
        // Every vector build of the fused loops, bit for bit.
        for simd in [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|s| *s <= Level::detect()) {
            let fast = render_with(&script, &x, block, false, Some(simd));
            let same = fast.iter().flatten().zip(general.iter().flatten()).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{simd:?}, block {block}");
        }
    }
}

/// Whether this CPU can run the AVX2 builds (else the comparisons are skipped, saying so).
fn avx2_available() -> bool {
    let has = Level::detect() >= Level::Avx2;
    if !has {
        eprintln!("skipping: no AVX2 on this CPU");
    }
    has
}

/// The AVX2 and AVX-512 builds of the fast loop (the AVX-512 one with its hand-written
/// power-of-two loops at whole depths up to 23 bits) give the same bits as the baseline
/// (SSE2) build for every variant, at unity and other gains, on input with zeros of both
/// signs, specials, huge values, the edges of full scale, a decision point and every
/// fractional part.
#[test]
fn vector_builds_are_bit_identical() {
    if !avx2_available() {
        return;
    }
    let mut seed = 7u32;
    let input: Vec<f32> = (0..4099)
        .map(|i| {
            seed = lowbias32(seed);
            match i % 97 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2 => 0.0,
                3 => -1e30,
                4 => 1e-40,
                5 => f32::NEG_INFINITY,
                6 => -0.0,
                7 => 1.0,
                8 => -1.0,
                9 => f32::MAX,
                10 => -1e-30,
                11 => 0.999_999_94,
                12 => -0.999_999_94,
                // Exactly on an 8-bit mid-tread decision point, and just below it.
                13 => 0.5 / 128.0,
                14 => 0.5 / 128.0 - 2f32.powi(-32),
                15 => -1e-40,
                16 => -f32::MIN_POSITIVE,
                _ => (seed as f32 / u32::MAX as f32) * 2.4 - 1.2,
            }
        })
        .collect();
    for dither in [DitherMode::Off, DitherMode::Rpdf, DitherMode::Tpdf, DitherMode::HighPassTpdf] {
        for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
            for error in [false, true] {
                for (bits, gain) in
                    [(1.0, 0.7), (3.3, 0.7), (8.0, 0.7), (8.0, 1.0), (16.0, 1.0), (23.0, 0.7), (24.0, 0.7)]
                {
                    let g = Grid::new(bits, quantizer);
                    let kind = FusedKind { dither, quantizer, error };
                    let (mut a, mut b) = (input.clone(), input.clone());
                    fused_dispatch(Portable::new(), kind, &mut a, &g, gain, 0xfffff000);
                    fused_in(Dispatch::detect().limited(Level::Avx2), kind, &mut b, &g, gain, 0xfffff000);
                    let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "AVX2: {dither:?} {quantizer:?} error={error} bits={bits}");
                    if Level::detect() == Level::Avx512 {
                        let mut c = input.clone();
                        fused_in(Dispatch::detect(), kind, &mut c, &g, gain, 0xfffff000);
                        let same = a.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits());
                        assert!(same, "AVX-512: {dither:?} {quantizer:?} error={error} bits={bits}");
                    }
                }
            }
        }
    }
}

/// The AVX-512 TPDF loop carries the words' Weyl sequence from vector to vector as a running
/// sum: the same bits as the portable loop from every offset around a multiple of 2^16,
/// across the counter's wrap (where the sum wraps too), over long blocks and odd lengths.
#[test]
fn tpdf_running_sum_is_the_portable_loop() {
    if Level::detect() != Level::Avx512 {
        eprintln!("skipped: this CPU has no AVX-512");
        return;
    }
    let mut seed = 11u32;
    let input: Vec<f32> = (0..70_003)
        .map(|_| {
            seed = lowbias32(seed);
            (seed as f32 / u32::MAX as f32) * 2.4 - 1.2
        })
        .collect();
    let mut origins: Vec<u32> = (0..=16).map(|k| 0x3_0000 - 16 * 3 - k).collect();
    origins.extend([0xffff_ffe0 - 5, 0xffff_0000 - 64, 0xfff0_0000, 12_345]);
    for origin in origins {
        for (quantizer, bits, gain, len) in [
            (QuantizerMode::MidTread, 8.0, 1.0, 200),
            (QuantizerMode::MidRise, 8.0, 0.7, 77),
            (QuantizerMode::MidTread, 16.0, 0.7, 70_003),
            (QuantizerMode::MidRise, 3.0, 1.0, 70_003),
        ] {
            let g = Grid::new(bits, quantizer);
            let kind = FusedKind { dither: DitherMode::Tpdf, quantizer, error: false };
            let (mut a, mut b) = (input[..len].to_vec(), input[..len].to_vec());
            fused_dispatch(Portable::new(), kind, &mut a, &g, gain, origin);
            fused_in(Dispatch::detect(), kind, &mut b, &g, gain, origin);
            let first = a.iter().zip(&b).position(|(x, y)| x.to_bits() != y.to_bits());
            assert_eq!(first, None, "origin {origin:#x}, {quantizer:?}, {bits} bits, {len} samples");
        }
    }
}

/// Subnormal input is silence in every build, also where it meets a dither value of exactly
/// zero (a negative one would floor to the level below zero in mid-rise): a block of
/// subnormals of both signs at a stream position whose TPDF words give zero.
#[test]
fn subnormals_meet_zero_dither_as_silence() {
    if Level::detect() < Level::Avx512 {
        eprintln!("note: no AVX-512 on this CPU, nothing to compare");
        return;
    }
    // A counter whose word has halves summing to 65535: `triangular` gives exactly 0.
    let zero = (0u32..).find(|&c| {
        let w = stream_word(c);
        (w & 0xffff) + (w >> 16) == 0xffff
    });
    let origin = zero.expect("such a word exists");
    assert_eq!(triangular(stream_word(origin)), 0.0);
    let input: Vec<f32> = (0..37).map(|i| if i % 2 == 0 { -1e-40 } else { 1e-41 }).collect();
    for quantizer in [QuantizerMode::MidTread, QuantizerMode::MidRise] {
        for bits in [1.0, 8.0, 23.0] {
            let g = Grid::new(bits, quantizer);
            let kind = FusedKind { dither: DitherMode::Tpdf, quantizer, error: false };
            let (mut a, mut c) = (input.clone(), input.clone());
            fused_dispatch(Portable::new(), kind, &mut a, &g, 1.0, origin);
            fused_in(Dispatch::detect(), kind, &mut c, &g, 1.0, origin);
            assert_eq!(a[0].to_bits(), c[0].to_bits(), "{quantizer:?} {bits} bits: {} vs {}", a[0], c[0]);
            assert!(a.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits()), "{quantizer:?} {bits} bits");
        }
    }
}

/// The general path compiled for AVX2 and for AVX-512 gives the baseline build's bits in
/// every stage: drive, both filters, jitter, both curves, every dither and shaper,
/// anti-alias, mix, gain, the error, with ramps between settings.
#[test]
fn general_path_builds_are_bit_identical() {
    let widest = Level::detect();
    if widest < Level::Avx512 {
        eprintln!("note: no AVX-512 on this CPU, its build is not compared");
    }
    if !avx2_available() {
        return;
    }
    let x = vec![sine(997.0, 48000.0, 0.9, 24000), sine(3517.0, 48000.0, 0.7, 24000)];
    let base = Settings::default();
    let script = [
        (0, Settings { bits: 6.0, antialias: true, ..base }),
        (3000, Settings { bits: 5.0, quantizer: QuantizerMode::MidRise, antialias: true, mix: 0.7, ..base }),
        (6000, Settings { rate: 9000.0, jitter: 0.3, prefilter: true, postfilter: true, drive_db: 12.0, ..base }),
        (9000, Settings { curve: Curve::MuLaw, bits: 8.0, dither: DitherMode::HighPassTpdf, ..base }),
        (
            12000,
            Settings { curve: Curve::ALaw, bits: 7.0, shaping: Shaping::Lipshitz5, dither: DitherMode::Tpdf, ..base },
        ),
        (15000, Settings { bits: 3.0, listen: Listen::Error, output_db: 4.0, antialias: true, ..base }),
        (18000, Settings { bits: 12.0, dither: DitherMode::Rpdf, shaping: Shaping::FWeighted9, mix: 0.5, ..base }),
        (21000, Settings { bypass: true, ..base }),
    ];
    let render = |simd: Level| render_with(&script, &x, 500, true, Some(simd));
    let a = render(Level::Portable);
    for simd in [Level::Avx2, Level::Avx512].into_iter().filter(|s| *s <= widest) {
        let b = render(simd);
        for (ca, cb) in a.iter().zip(&b) {
            let first = ca.iter().zip(cb).position(|(p, q)| p.to_bits() != q.to_bits());
            assert!(first.is_none(), "{simd:?}: first difference at {first:?}");
        }
    }
}

/// Two rates with the same f32 log2 still get their own filter coefficients: settings that
/// arrive after construction render like a fresh engine (regression, found by fuzzing).
#[test]
fn rates_sharing_a_log2_keep_their_own_filters() {
    let s2 = Settings { rate: 96000.0, prefilter: true, bits: 24.0, ..Settings::default() };
    let s1 = Settings { rate: 95999.99, ..s2 };
    assert_eq!(s1.rate.log2(), s2.rate.log2(), "the premise: one f32 log2");
    let x = sine(997.0, 192000.0, 0.5, 4096);
    let (mut a, mut b) = (x.clone(), x.clone());
    let mut e = Engine::new(1, 192000.0, s1, 1);
    e.set_settings(s2);
    e.process(&mut [&mut a]);
    Engine::new(1, 192000.0, s2, 1).process(&mut [&mut b]);
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
}
