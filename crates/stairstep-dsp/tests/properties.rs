//! Property tests of the DSP engine through its public API: any settings (including
//! out-of-range and NaN values), any input (including NaN, infinities, denormals and huge
//! values), any way of splitting the stream into blocks.

use proptest::prelude::*;
use stairstep_dsp::engine::{Engine, Listen, Settings};
use stairstep_dsp::lfo::{Division, LfoShape, Timing};
use stairstep_dsp::{Curve, DitherMode, QuantizerMode, Shaping};

fn any_float() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => -2.0f32..2.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(1e-40f32),
        1 => -1e30f32..1e30,
    ]
}

fn any_settings() -> impl Strategy<Value = Settings> {
    (
        (
            any_float(),
            0usize..DitherMode::ALL.len(),
            any::<bool>(),
            any_float(),
            any_float(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            any_float().prop_map(|v| v * 60000.0),
            any_float(),
            any::<bool>(),
            any::<bool>(),
            0usize..Shaping::ALL.len(),
            0usize..Curve::ALL.len(),
        ),
        (any_float().prop_map(|v| v * 20.0), any::<bool>()),
        (
            0usize..LfoShape::ALL.len(),
            any::<bool>(),
            any_float(),
            0usize..Division::ALL.len(),
            0usize..Timing::ALL.len(),
            any_float(),
            any_float(),
        ),
        (any_float(), any_float(), any_float(), any_float(), any_float()),
    )
        .prop_map(
            |(
                (bits, d, mid_rise, mix, out, error, bypass),
                (rate, jitter, pre, post, sh, cu),
                (drive, aa),
                (shape, sync, hz, division, timing, lfo_bits, octaves),
                (follow, attack, release, harmonic, glide),
            )| Settings {
                bits: bits * 12.0,
                dither: DitherMode::ALL[d],
                quantizer: if mid_rise { QuantizerMode::MidRise } else { QuantizerMode::MidTread },
                mix,
                output_db: out * 12.0,
                listen: if error { Listen::Error } else { Listen::Output },
                bypass,
                rate,
                jitter,
                prefilter: pre,
                postfilter: post,
                shaping: Shaping::ALL[sh],
                curve: Curve::ALL[cu],
                drive_db: drive,
                antialias: aa,
                lfo_shape: LfoShape::ALL[shape],
                lfo_sync: sync,
                lfo_hz: hz * 20.0,
                lfo_division: Division::ALL[division],
                lfo_timing: Timing::ALL[timing],
                lfo_bits: lfo_bits * 6.0,
                lfo_octaves: octaves * 3.0,
                follow_bits: follow * 6.0,
                follow_attack_ms: attack * 250.0,
                follow_release_ms: release * 2500.0,
                harmonic: harmonic * 32.0,
                glide_ms: glide * 250.0,
            },
        )
}

/// Render `x` (stereo) in blocks cut at `cuts`, switching to `second` at `switch_at`.
fn render(first: Settings, second: Settings, switch_at: usize, x: &[Vec<f32>; 2], cuts: &[usize]) -> [Vec<f32>; 2] {
    let mut y = x.clone();
    let n = y[0].len();
    let mut engine = Engine::new(2, 44100.0, first, 11);
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).chain([0, switch_at.min(n), n]).collect();
    bounds.sort_unstable();
    bounds.dedup();
    for w in bounds.windows(2) {
        if w[0] == switch_at.min(n) {
            engine.set_settings(second);
            // A note from here on: the Sample Rate follows it.
            engine.note_on((switch_at % 128) as u8);
        }
        let (l, r) = y.split_at_mut(1);
        engine.process(&mut [&mut l[0][w[0]..w[1]], &mut r[0][w[0]..w[1]]]);
    }
    y
}

proptest! {
    // NOTE: A fixed seed keeps CI deterministic (1500 random-seed cases also passed while
    //       writing this); change the seed to explore further. Failures are replayed from
    //       properties.proptest-regressions first.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5354_4550),
        ..ProptestConfig::default()
    })]

    #[test]
    fn output_is_finite_bounded_and_independent_of_block_splits(
        first in any_settings(),
        second in any_settings(),
        left in prop::collection::vec(any_float(), 1500),
        right in prop::collection::vec(any_float(), 1500),
        cuts in prop::collection::vec(0usize..1500, 0..12),
        switch_at in 0usize..1500,
    ) {
        let x = [left, right];
        let whole = render(first, second, switch_at, &x, &[]);
        for v in whole.iter().flatten() {
            // Input clamped to ±1e6, Output at most +24 dB.
            prop_assert!(v.is_finite() && v.abs() <= 1.6e7, "{v}");
        }
        let split = render(first, second, switch_at, &x, &cuts);
        prop_assert!(whole == split, "splits {:?} changed the output", cuts);
    }

    #[test]
    fn reset_reproduces_any_render(
        settings in any_settings(),
        input in prop::collection::vec(any_float(), 800),
    ) {
        let mut engine = Engine::new(1, 48000.0, settings, 3);
        let mut a = input.clone();
        engine.process(&mut [&mut a]);
        engine.reset();
        let mut b = input.clone();
        engine.process(&mut [&mut b]);
        prop_assert!(a == b);
    }
}
