//! The LFO, the envelope follower and note tracking through the engine: the rates and depths
//! they set, measured in the output, and their independence from the host's block size.

use super::*;
use crate::lfo::{Division, LfoShape, Timing, Transport};
use crate::quantizer::QuantizerMode;
use crate::test_util::*;
use crate::{DitherMode, Shaping};

const SR: f32 = 48000.0;

/// Something that happens at a sample.
#[derive(Clone, Copy)]
enum Event {
    Settings(Settings),
    NoteOn(u8),
    NoteOff(u8),
    Bend(f32),
    Tuning(u8, f32),
}

/// Render `x` (every channel the same length) through a fresh engine in blocks of `block`,
/// playing at `bpm` from `start_beats`, with `events` applied at their samples (the way the
/// plugin splits the host's block at each event) and the transport handed at every block as a
/// host computes it.
fn render(
    first: Settings,
    events: &[(usize, Event)],
    x: &[Vec<f32>],
    block: usize,
    bpm: f64,
    start_beats: f64,
) -> Vec<Vec<f32>> {
    let mut e = Engine::new(x.len(), SR, first, DEFAULT_SEED);
    let mut data = x.to_vec();
    let n = x[0].len();
    let mut pos = 0;
    while pos < n {
        for (_, event) in events.iter().filter(|(at, _)| *at == pos) {
            match *event {
                Event::Settings(s) => e.set_settings(s),
                Event::NoteOn(k) => e.note_on(k),
                Event::NoteOff(k) => e.note_off(k),
                Event::Bend(b) => e.pitch_bend(b),
                Event::Tuning(k, t) => e.note_tuning(Some(k), t),
            }
        }
        let beats = start_beats + pos as f64 / SR as f64 * bpm / 60.0;
        e.set_transport(&Transport {
            playing: true,
            tempo: Some(bpm),
            beats: Some(beats),
            seconds: Some(beats * 60.0 / bpm),
            time_signature: Some((4, 4)),
        });
        let next = events.iter().map(|(at, _)| *at).filter(|&at| at > pos).min().unwrap_or(n);
        let end = (pos + block).min(next).min(n);
        let mut slices: Vec<&mut [f32]> = data.iter_mut().map(|c| &mut c[pos..end]).collect();
        e.process(&mut slices);
        pos = end;
    }
    data
}

/// A signal whose every sample differs from the last (so holds show as repeated values).
fn ramp(n: usize) -> Vec<f32> {
    (0..n).map(|i| -0.9 + 1.8 * i as f32 / n as f32).collect()
}

/// Runs of equal samples in `y[from..to]`: (start, length), the first and last run cut off.
fn holds(y: &[f32], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = from;
    for i in from + 1..to {
        if y[i] != y[i - 1] {
            runs.push((start, i - start));
            start = i;
        }
    }
    runs.into_iter().skip(1).collect()
}

/// Everything at once, moving: the output does not depend on the block size.
#[test]
fn movement_is_independent_of_block_size() {
    let base = Settings {
        bits: 9.0,
        rate: 12000.0,
        prefilter: true,
        postfilter: true,
        lfo_shape: LfoShape::SmoothRandom,
        lfo_division: Division::N16,
        lfo_timing: Timing::Triplet,
        lfo_bits: -3.0,
        lfo_octaves: 1.5,
        follow_bits: -5.0,
        follow_attack_ms: 2.0,
        follow_release_ms: 40.0,
        glide_ms: 30.0,
        ..Settings::default()
    };
    let events = [
        (0, Event::Settings(base)),
        (2500, Event::NoteOn(45)),
        (7001, Event::NoteOn(52)),
        (9000, Event::Bend(0.8)),
        (11000, Event::Settings(Settings { harmonic: 3.0, lfo_shape: LfoShape::SampleHold, ..base })),
        (13333, Event::NoteOff(52)),
        (16000, Event::NoteOff(45)),
        (
            18000,
            Event::Settings(Settings {
                lfo_sync: false,
                lfo_hz: 7.3,
                lfo_shape: LfoShape::Sine,
                dither: DitherMode::Tpdf,
                shaping: Shaping::Lipshitz5,
                ..base
            }),
        ),
        (21000, Event::NoteOn(60)),
        (25000, Event::Settings(Settings { lfo_bits: 0.0, lfo_octaves: 0.0, follow_bits: 0.0, ..base })),
    ];
    let n = 30000;
    let x: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            let s = sine(301.0 + 50.0 * c as f64, SR as f64, 0.8, n);
            // A level that moves, so the follower works.
            s.iter().enumerate().map(|(i, v)| v * (0.05 + 0.95 * ((i / 3000) % 2) as f32)).collect()
        })
        .collect();
    let reference = render(base, &events, &x, n, 131.0, 5.5);
    for block in [1, 13, 64, 128, 500] {
        let got = render(base, &events, &x, block, 131.0, 5.5);
        for c in 0..2 {
            let same = reference[c].iter().zip(&got[c]).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "block {block}, channel {c}");
        }
    }
    assert!(reference.iter().flatten().all(|v| v.is_finite()));
}

/// With Harmonic 1, A2, E3 and A3 hold for 1/110, 1/164.81 and 1/220 s, and each note's first
/// hold starts on its note-on sample.
#[test]
fn notes_set_the_hold_rate_from_their_first_sample() {
    let s = Settings { bits: 24.0, rate: 3000.0, ..Settings::default() };
    let notes = [(45u8, 4321usize, 110.0f64), (52, 20000, 164.813_78), (57, 36789, 220.0)];
    let mut events = vec![];
    for (k, at, _) in notes {
        events.push((at, Event::NoteOn(k)));
        events.push((at + 15000, Event::NoteOff(k)));
    }
    let n = 60000;
    let y = render(s, &events, &[ramp(n)], 97, 120.0, 0.0);
    for (k, at, hz) in notes {
        // A new value on the note-on sample.
        assert_ne!(y[0][at], y[0][at - 1], "note {k}: no new hold at its first sample");
        let runs = holds(&y[0], at, at + 15000);
        let mean = runs.iter().map(|r| r.1).sum::<usize>() as f64 / runs.len() as f64;
        let expected = SR as f64 / hz;
        assert!((mean - expected).abs() < 0.01, "note {k}: holds of {mean} samples, expected {expected}");
        assert!(runs.iter().all(|r| (r.1 as f64 - expected).abs() < 1.0));
    }
    // Released: back to the knob's 3000 Hz (16 samples).
    let runs = holds(&y[0], 52000, 60000);
    assert!(runs.iter().all(|r| r.1 == 16), "{:?}", &runs[..4]);
}

/// Harmonic h multiplies the note's rate; a full pitch bend raises it two semitones.
#[test]
fn harmonic_and_bend_scale_the_rate() {
    for (harmonic, bend, expected) in [(4.0, 0.5, 440.0), (1.0, 1.0, 123.470_825), (2.0, 0.0, 196.0)] {
        let s = Settings { bits: 24.0, harmonic, ..Settings::default() };
        let events = [(0, Event::Bend(bend)), (100, Event::NoteOn(45))];
        let y = render(s, &events, &[ramp(30000)], 256, 120.0, 0.0);
        let runs = holds(&y[0], 100, 30000);
        let mean = runs.iter().map(|r| r.1).sum::<usize>() as f64 / runs.len() as f64;
        let want = SR as f64 / expected;
        assert!((mean - want).abs() < 0.05 * want.max(1.0) / 10.0 + 0.02, "h {harmonic} bend {bend}: {mean} vs {want}");
    }
}

/// A note's own tuning (note expression) moves its rate on top of the bend; a tuning for
/// another note does not, and releasing the tuned note brings back the one below as it was.
#[test]
fn tuning_scales_the_rate_of_its_own_note() {
    let s = Settings { bits: 24.0, ..Settings::default() };
    let events = [
        (0, Event::NoteOn(45)),
        (10, Event::NoteOn(57)),
        (20, Event::Tuning(57, -12.0)),
        (30, Event::Tuning(45, 7.0)),
        (40, Event::Bend(1.0)),
        (20000, Event::NoteOff(57)),
    ];
    let y = render(s, &events, &[ramp(40000)], 256, 120.0, 0.0);
    let mean = |from, to| {
        let runs = holds(&y[0], from, to);
        runs.iter().map(|r| r.1).sum::<usize>() as f64 / runs.len() as f64
    };
    // A3 an octave down, two semitones up: 123.47 Hz; then A2 seven up and two up: 185.0 Hz.
    for (from, to, hz) in [(100, 20000, 123.470_825), (20100, 40000, 184.997_2)] {
        let want = SR as f64 / hz;
        assert!((mean(from, to) - want).abs() < 0.02 * want, "{from}..{to}: {} vs {want}", mean(from, to));
    }
}

/// Glide: the rate takes the Glide time to get from one note to the next, and holds of the
/// new note's length start once it has.
#[test]
fn glide_takes_its_time() {
    let s = Settings { bits: 24.0, glide_ms: 100.0, ..Settings::default() };
    let events = [(0, Event::NoteOn(45)), (20000, Event::NoteOn(57))];
    let y = render(s, &events, &[ramp(40000)], 128, 120.0, 0.0);
    let runs = holds(&y[0], 20000, 40000);
    let glide_end = 20000 + (0.1 * SR) as usize;
    let during: Vec<_> = runs.iter().filter(|r| r.0 < glide_end - 500).collect();
    let after: Vec<_> = runs.iter().filter(|r| r.0 > glide_end).collect();
    // On the way, each hold's rate is the glide's at the hold's middle: a straight line in
    // octaves, 110 Hz to 220 Hz over 100 ms.
    for r in &during {
        let middle = (r.0 as f64 + r.1 as f64 / 2.0 - 20000.0) / (0.1 * SR as f64);
        let want = SR as f64 / (110.0 * 2f64.powf(middle));
        assert!((r.1 as f64 - want).abs() <= 2.0, "hold at {}: {} vs {want}", r.0, r.1);
    }
    assert!(during.len() > 10 && during.iter().all(|r| r.1 > 218), "the glide must not arrive early");
    assert!(after.iter().all(|r| (r.1 as f64 - SR as f64 / 220.0).abs() < 1.0));
}

/// A square LFO on Bit Depth: the step size alternates between the two depths on the beat.
#[test]
fn lfo_square_moves_the_bit_depth_on_the_beat() {
    let s = Settings {
        bits: 6.0,
        lfo_shape: LfoShape::Square,
        lfo_division: Division::N4,
        lfo_bits: 2.0,
        ..Settings::default()
    };
    // A fine ramp: the output's distinct levels show the step.
    let n = 96000;
    let y = render(s, &[], &[ramp(n)], 512, 120.0, 0.0);
    // At 120 BPM a beat is 24000 samples: +2 bits (8) for the first half, -2 bits (4) for the
    // second.
    let step = |from: usize, to: usize| {
        let mut levels: Vec<f32> = y[0][from..to].to_vec();
        levels.dedup();
        levels.windows(2).map(|w| (w[1] - w[0]).abs()).fold(f32::MAX, f32::min)
    };
    assert_eq!(step(100, 11900), 2f32.powi(-7));
    assert_eq!(step(12100, 23900), 2f32.powi(-3));
    assert_eq!(step(24100, 35900), 2f32.powi(-7));
    // The switch lands on the beat's sample.
    let at = 36000;
    let fine = (y[0][at - 1] * 128.0).fract() == 0.0;
    let coarse = (y[0][at] * 8.0).fract() == 0.0;
    assert!(fine && coarse);
}

/// The follower crushes loud passages harder with a negative depth: the SNR of a loud and a
/// quiet passage differ by the depth's share of their levels.
#[test]
fn follower_moves_the_bit_depth_with_the_level() {
    let s = Settings {
        bits: 12.0,
        follow_bits: -6.0,
        follow_attack_ms: 1.0,
        follow_release_ms: 1.0,
        ..Settings::default()
    };
    let n = 96000;
    let loud = sine(997.0, SR as f64, 1.0, n / 2);
    let quiet: Vec<f32> = sine(997.0, SR as f64, 0.031_622_78, n / 2); // -30 dBFS
    let x: Vec<f32> = loud.iter().chain(&quiet).copied().collect();
    let y = render(s, &[], std::slice::from_ref(&x), 512, 120.0, 0.0);
    // Loud: 0 dBFS peaks, the envelope rides near 1, amount ≈ 1: 12 - 6 = 6 bits or a little
    // more between peaks. Quiet: amount ≈ 0.5: 9 bits.
    let snr_loud = snr_db(&x[4800..n / 2], &y[0][4800..n / 2]);
    let snr_quiet = snr_db(&x[n / 2 + 4800..], &y[0][n / 2 + 4800..]);
    // 6.02·bits + 1.76 + 20·log10(amp), give or take the envelope's ripple.
    assert!(snr_loud > 6.02 * 6.0 + 1.76 - 1.0 && snr_loud < 6.02 * 7.0 + 1.76, "loud: {snr_loud:.1} dB");
    let quiet_bits = snr_quiet + 30.0 - 1.76;
    assert!((quiet_bits / 6.02 - 9.0).abs() < 0.8, "quiet: {snr_quiet:.1} dB ({:.2} bits)", quiet_bits / 6.02);
}

/// Depth 0 everywhere: the modulators change nothing, bit for bit.
#[test]
fn zero_depth_is_no_modulation() {
    let plain = Settings { bits: 7.0, rate: 9000.0, prefilter: true, ..Settings::default() };
    let idle = Settings { lfo_shape: LfoShape::SampleHold, lfo_sync: false, lfo_hz: 13.0, ..plain };
    let x = vec![sine(440.0, SR as f64, 0.7, 20000)];
    assert_eq!(render(plain, &[], &x, 300, 97.0, 0.0), render(idle, &[], &x, 300, 97.0, 0.0));
}

/// Every modulation at its extremes, notes at both ends of MIDI: finite output.
#[test]
fn extremes_stay_finite() {
    for (lfo_bits, octaves, follow) in [(12.0, 6.0, 12.0), (-12.0, -6.0, -12.0)] {
        let s = Settings {
            bits: 1.0,
            lfo_shape: LfoShape::Square,
            lfo_sync: false,
            lfo_hz: 40.0,
            lfo_bits,
            lfo_octaves: octaves,
            follow_bits: follow,
            follow_attack_ms: 0.1,
            follow_release_ms: 5000.0,
            harmonic: 64.0,
            prefilter: true,
            postfilter: true,
            ..Settings::default()
        };
        let events = [(10, Event::NoteOn(127)), (4000, Event::NoteOn(0)), (6000, Event::Bend(0.0))];
        let y = render(s, &events, &[sine(5000.0, SR as f64, 1.0, 9000)], 64, 999.0, 1e6);
        // The Post-filter's Butterworth overshoots a full-scale square by up to about 20 %.
        let peak = y[0].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(y[0].iter().all(|v| v.is_finite()) && peak <= 1.5, "peak {peak}");
    }
}

/// The modulated depth's grid table holds `Grid::new` at every 1/64 bit, for both quantizers.
#[test]
fn the_modulated_grid_table_is_grid_new() {
    use super::movement::{MOD_BITS_STEP, mod_grid_table};
    use crate::quantizer::{Grid, MAX_BITS, MIN_BITS};
    let table = mod_grid_table();
    assert_eq!(table.len(), 23 * 64 + 1);
    for (i, grids) in table.iter().enumerate() {
        let bits = MIN_BITS + i as f32 * MOD_BITS_STEP;
        assert!(bits <= MAX_BITS);
        assert_eq!(grids[0], Grid::new(bits, QuantizerMode::MidTread), "{bits}");
        assert_eq!(grids[1], Grid::new(bits, QuantizerMode::MidRise), "{bits}");
    }
}
