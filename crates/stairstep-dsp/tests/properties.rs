//! Property tests of the DSP engine through its public API: any settings (including
//! out-of-range and NaN values), any input (including NaN, infinities, denormals and huge
//! values), any way of splitting the stream into blocks.

use proptest::prelude::*;
use stairstep_dsp::Draw;
use stairstep_dsp::engine::{Engine, Settings};

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

/// Any settings: each field drawn by [`Settings::drawn`] from one float and one integer, so a
/// new setting is covered without a line here. A number spans its range and a quarter of it
/// beyond either end (in octaves for the log ones), or is one of `any_float`'s extremes (NaN,
/// infinities, a denormal, a huge value); a choice is any index, a switch either state.
fn any_settings() -> impl Strategy<Value = Settings> {
    prop::collection::vec((any_float(), any::<u32>()), Settings::COUNT).prop_map(|draws| {
        let mut next = draws.into_iter();
        Settings::drawn(|_, draw| {
            let (u, k) = next.next().expect("one draw per setting");
            match draw {
                Draw::Number { min, max, log } if u.is_finite() && u.abs() <= 2.0 => {
                    let t = (u as f64 + 2.0) / 4.0 * 1.5 - 0.25;
                    if log {
                        let (lo, hi) = ((min as f64).log2(), (max as f64).log2());
                        (lo + t * (hi - lo)).exp2()
                    } else {
                        min as f64 + t * (max as f64 - min as f64)
                    }
                }
                Draw::Number { .. } => u as f64,
                Draw::Choice { .. } => k as f64,
                Draw::Switch => (k & 1) as f64,
            }
        })
    })
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
