//! The golden render: a fixed stereo signal through a fixed script of settings that visits
//! every stage (both quantizers, every dither and noise shaper, both curves, drive, sample-rate
//! reduction with jitter and both filters, anti-alias, mix, output gain, the error signal,
//! bypass), with settings changing mid-stream so the ramps run too, in blocks of an awkward
//! size. It must reproduce `tests/data/golden.f32` bit for bit: any change to what Stairstep
//! computes shows up here, and is either a bug or a deliberate change to re-bless.
//!
//! Regenerate after a deliberate change (and say why in the commit):
//! `STAIRSTEP_BLESS=1 cargo test -p stairstep-dsp --test golden`.
//!
//! NOTE: Every transcendental function in the signal path is our own (the curves' `ln` and
//!       `exp` in `curve.rs`) or comes from the pure-Rust `libm` crate (without platform
//!       instructions), not the platform's C library, so the same bits are expected on every
//!       platform: aarch64 and Windows runs compare too.

use stairstep_dsp::engine::{DEFAULT_SEED, Engine, Listen, Settings};
use stairstep_dsp::{Curve, DitherMode, QuantizerMode, Shaping};
use std::path::PathBuf;

const SR: f32 = 48000.0;
/// Samples per segment of the script.
const SEGMENT: usize = 1200;
/// Host block size: not a divisor of the segment, so settings change inside blocks' reach.
const BLOCK: usize = 333;

fn script() -> Vec<Settings> {
    let base = Settings::default();
    vec![
        Settings { bits: 8.0, ..base },
        Settings { bits: 6.0, dither: DitherMode::Tpdf, quantizer: QuantizerMode::MidRise, ..base },
        Settings { bits: 12.0, dither: DitherMode::HighPassTpdf, shaping: Shaping::FWeighted9, ..base },
        Settings { bits: 4.0, dither: DitherMode::Rpdf, shaping: Shaping::Lipshitz5, ..base },
        Settings { bits: 16.0, dither: DitherMode::Tpdf, shaping: Shaping::FWeighted3, listen: Listen::Error, ..base },
        Settings { bits: 8.0, curve: Curve::MuLaw, drive_db: 9.0, ..base },
        Settings { bits: 7.0, curve: Curve::ALaw, output_db: -6.0, mix: 0.6, ..base },
        Settings { rate: 8000.0, jitter: 0.3, prefilter: true, postfilter: true, bits: 10.0, ..base },
        Settings { rate: 11025.0, bits: 5.5, postfilter: true, ..base },
        Settings { bits: 6.0, antialias: true, ..base },
        Settings { bits: 3.0, antialias: true, quantizer: QuantizerMode::MidRise, mix: 0.8, ..base },
        Settings { bypass: true, ..base },
    ]
}

/// Left: a 997 Hz sine with a slow swell; right: a 3517 Hz sine plus noise, with a stretch
/// of digital silence. (`libm::sinf`, not the platform's `sin`: the input must be the same
/// bits on every platform too.)
fn input(n: usize) -> [Vec<f32>; 2] {
    let mut seed = 0x1234_5678u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32 - 0.5
    };
    let t = |i: usize| i as f32 / SR;
    let left = (0..n)
        .map(|i| (0.3 + 0.6 * libm::sinf(t(i) * 3.0).abs()) * libm::sinf(2.0 * std::f32::consts::PI * 997.0 * t(i)))
        .collect();
    let right = (0..n)
        .map(|i| {
            if (5000..5600).contains(&i) {
                0.0
            } else {
                0.7 * libm::sinf(2.0 * std::f32::consts::PI * 3517.0 * t(i)) + 0.1 * noise()
            }
        })
        .collect();
    [left, right]
}

fn render() -> Vec<f32> {
    let script = script();
    let n = script.len() * SEGMENT;
    let [mut left, mut right] = input(n);
    let mut engine = Engine::new(2, SR, script[0], DEFAULT_SEED);
    let mut pos = 0;
    while pos < n {
        engine.set_settings(script[pos / SEGMENT]);
        let end = (pos + BLOCK).min(n).min((pos / SEGMENT + 1) * SEGMENT);
        engine.process(&mut [&mut left[pos..end], &mut right[pos..end]]);
        pos = end;
    }
    left.iter().zip(&right).flat_map(|(l, r)| [*l, *r]).collect()
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden.f32")
}

#[test]
fn the_golden_render_is_reproduced_bit_for_bit() {
    let got = render();
    assert!(got.iter().all(|v| v.is_finite()), "non-finite output");
    if std::env::var_os("STAIRSTEP_BLESS").is_some() {
        let bytes: Vec<u8> = got.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(golden_path(), bytes).expect("write the golden render");
        eprintln!("wrote {} samples to {}", got.len(), golden_path().display());
        return;
    }
    // NOTE: Compiled in, so a run under an emulator (qemu, wine) needs no path into this tree.
    let bytes = include_bytes!("data/golden.f32");
    let expected: Vec<f32> =
        bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("four bytes"))).collect();
    assert_eq!(expected.len(), got.len(), "the golden render has another length");
    if let Some(i) = (0..got.len()).find(|&i| got[i].to_bits() != expected[i].to_bits()) {
        let (frame, channel) = (i / 2, i % 2);
        let segment = frame / SEGMENT;
        let differing = (0..got.len()).filter(|&k| got[k].to_bits() != expected[k].to_bits()).count();
        panic!(
            "differs first at frame {frame} (channel {channel}, segment {segment}: {:?}): {} instead of {}; \
             {differing} of {} samples differ. If the change is deliberate: STAIRSTEP_BLESS=1 cargo test -p stairstep-dsp --test golden",
            script()[segment],
            got[i],
            expected[i],
            got.len()
        );
    }
}

/// The render is not trivial: every segment's output differs from its input, except bypass.
#[test]
fn every_segment_of_the_golden_script_changes_the_sound() {
    let script = script();
    let got = render();
    let [left, _] = input(script.len() * SEGMENT);
    for (s, settings) in script.iter().enumerate() {
        // Skip the first 100 samples of a segment (ramps, latency) and compare the left channel.
        let changed =
            (s * SEGMENT + 100..(s + 1) * SEGMENT).filter(|&f| got[2 * f].to_bits() != left[f].to_bits()).count();
        if settings.bypass {
            continue;
        }
        assert!(changed > SEGMENT / 2, "segment {s} ({settings:?}) changed only {changed} samples");
    }
}
