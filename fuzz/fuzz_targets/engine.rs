//! Fuzz target `engine`: the DSP engine with arbitrary settings, input and block splits.
//!
//! Input: two [`Settings`] with every field arbitrary (continuous ones as raw f32 bits, as a
//! value spanning a little beyond the parameter's range, or as one of the extremes: the range
//! ends, NaN, ±infinity, ±0, ±f32::MAX, subnormals; every enum choice), 1 or 2 channels, a host
//! sample rate from 8 kHz to 384 kHz, a seed, up to 8192 frames cycled from an arbitrary sample
//! pool (raw f32 bits, so NaN, ±infinity, subnormals and huge values all occur; or 32-bit PCM
//! in [-1, 1)), arbitrary block lengths (zero-length calls included) and, optionally, a switch
//! to the second settings at an arbitrary frame.
//!
//! Asserts:
//!
//! 1. No panic (debug assertions and overflow checks are on in fuzz builds).
//! 2. Every output sample is finite and `|out| <= bound`, where (derived from
//!    `crates/stairstep-dsp/src/engine.rs`; `D`, `W` and `G` below):
//!    - `D` = the largest |sanitized input| in the stream (non-finite and subnormal input counts
//!      as 0, finite input is clamped to ±`MAX_INPUT` = 1e6). The dry path, the bypass
//!      crossfade and the anti-alias delay only ever carry these values.
//!    - `W` = the largest |wet| sample: the quantizer clamps its level index to the grid, so the
//!      quantized signal (and `expand` of a companded one, which clamps to 1) is within full
//!      scale, 1. Drive and the pre-filter act before the quantizer and do not count. Two
//!      linear stages can come after it: the anti-alias decimators (DOWN2 then DOWN1: L1 norms
//!      1.4515 and 1.6635, product 2.4146, on an ADAA average that is clamped to the levels;
//!      only with the Linear curve, since `expand` clamps again) and the post-filter (8th-order
//!      Butterworth cascade, cutoff at most 0.4 of the host rate: impulse-response L1 norm at
//!      most 2.875). The post-filter's coefficients move per sample while Sample Rate ramps,
//!      which the LTI L1 norm does not cover: its factor is doubled as a margin (`FILTER_L1`).
//!    - `G` = the largest Output gain of the settings used (`db_to_gain` of the sanitized dB;
//!      the ramp is linear between targets), at most +24 dB = 15.85.
//!    - Output: `|out| <= max(max(W, D) * G, D)`; Error: `|out| <= max((W + D) * G, D)`
//!      (mix and bypass are crossfades with weights in [0, 1]), plus 1e-5 relative rounding.
//!
//!    Also, always, the conformance test's bound: `|out| <= 1.6e7` ((1e6 + W) × 15.85).
//! 3. Block-size independence (documented in `engine.rs`): the same input and settings change
//!    rendered with the blocks cut only at the change gives the same bits as with the
//!    arbitrary splits (this covers "no change mid-stream" as the case without a switch).
//! 4. `Engine::reset` forgets the past: after the split render, reset and a render of (the
//!    first 1024 frames of) the input in one block equals a fresh engine with the same
//!    settings, bit for bit.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use stairstep::dsp::engine::{Engine, Listen, MAX_INPUT, Settings, db_to_gain};
use stairstep::dsp::{Curve, Draw};

/// Most frames per run (10 ms ramps last 3840 frames at 384 kHz; this covers a ramp and a
/// settled stretch after it at every rate).
const MAX_FRAMES: usize = 8192;

/// Frames rendered for the reset check.
const RESET_FRAMES: usize = 1024;

/// Host sample rates, spanning 8 kHz to 384 kHz.
const SAMPLE_RATES: [f32; 12] =
    [8000.0, 11025.0, 16000.0, 22050.0, 32000.0, 44100.0, 48000.0, 88200.0, 96000.0, 176400.0, 192000.0, 384000.0];

/// L1 norms of the anti-alias decimators (DOWN2 × DOWN1, from `oversample/coefficients.rs`).
const ANTIALIAS_L1: f32 = 1.4516 * 1.6635;
/// The post-filter's largest impulse-response L1 norm (cutoff 0.4 × host rate: 2.875), doubled
/// as the margin for coefficients that move every sample.
const FILTER_L1: f32 = 2.0 * 2.875;
/// The CLAP conformance test's bound on any output.
const CONFORMANCE_BOUND: f32 = 1.6e7;

/// A continuous setting.
#[derive(Debug, Arbitrary)]
enum Knob {
    /// Any f32 bit pattern.
    Raw(f32),
    /// From a quarter of the range below it to a quarter above it.
    Span(u16),
    /// One of the extremes.
    Extreme(u8),
}

impl Knob {
    /// The value for a parameter ranging `lo` to `hi` (`log`: spanned on a log2 scale).
    fn value(&self, lo: f32, hi: f32, log: bool) -> f32 {
        match *self {
            Knob::Raw(v) => v,
            Knob::Span(u) => {
                let t = u as f32 / u16::MAX as f32 * 1.5 - 0.25;
                if log { (lo.log2() + t * (hi.log2() - lo.log2())).exp2() } else { lo + t * (hi - lo) }
            }
            Knob::Extreme(k) => {
                let extremes = [
                    lo,
                    hi,
                    f32::NAN,
                    -f32::NAN,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    0.0,
                    -0.0,
                    f32::MAX,
                    f32::MIN,
                    1e-40,
                    -1e-40,
                    lo - 1.0,
                    hi + 1.0,
                    lo + 0.004, // near-whole bit depths snap
                    hi - 0.004,
                ];
                extremes[k as usize % extremes.len()]
            }
        }
    }
}

/// Settings, drawn field by field ([`Settings::drawn`]): each field takes the next draw (the
/// list wraps; none at all gives the defaults), so every setting is fuzzed, a new one included.
#[derive(Debug, Arbitrary)]
struct FuzzSettings {
    /// A continuous value (scaled to the field's range), and a choice or switch.
    draws: Vec<(Knob, u8)>,
    /// A note pressed with these settings (note tracking).
    note: Option<u8>,
}

impl FuzzSettings {
    fn settings(&self) -> Settings {
        if self.draws.is_empty() {
            return Settings::default();
        }
        let mut k = 0;
        Settings::drawn(|_, draw| {
            let (knob, pick) = &self.draws[k % self.draws.len()];
            k += 1;
            match draw {
                Draw::Number { min, max, log } => knob.value(min, max, log) as f64,
                Draw::Choice { .. } => *pick as f64,
                Draw::Switch => (pick & 1) as f64,
            }
        })
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    first: FuzzSettings,
    /// The settings switched to at `switch_at`, if any.
    second: Option<FuzzSettings>,
    switch_at: u16,
    stereo: bool,
    sample_rate: u8,
    seed: u32,
    frames: u16,
    /// Samples as 32-bit PCM (`w as i32 / 2^31`) instead of raw f32 bits.
    pcm: bool,
    /// Block lengths, each taken modulo what is left (plus one); the rest is one last block.
    blocks: Vec<u16>,
    /// The sample pool, cycled over the frames and channels.
    samples: Vec<u32>,
}

/// The engine's input sanitizing, for the bound.
fn sanitized(x: f32) -> f32 {
    if x.is_finite() && x.abs() >= f32::MIN_POSITIVE { x.clamp(-MAX_INPUT, MAX_INPUT) } else { 0.0 }
}

/// Render `x` through `engine` in blocks of `blocks` (lengths summing to the frame count),
/// taking `switch` (frame, settings) before the first block starting at that frame.
fn render(
    engine: &mut Engine,
    x: &[Vec<f32>],
    blocks: &[usize],
    switch: Option<(usize, Settings, Option<u8>)>,
) -> Vec<Vec<f32>> {
    let mut y = x.to_vec();
    let mut pending = switch;
    let mut pos = 0;
    for &len in blocks {
        if let Some((at, s, note)) = pending
            && at == pos
        {
            engine.set_settings(s);
            if let Some(k) = note {
                engine.note_on(k);
            }
            pending = None;
        }
        let mut slices: Vec<&mut [f32]> = y.iter_mut().map(|c| &mut c[pos..pos + len]).collect();
        engine.process(&mut slices);
        pos += len;
    }
    assert_eq!(pos, x[0].len());
    y
}

fuzz_target!(|input: Input| {
    let channels = if input.stereo { 2 } else { 1 };
    let sample_rate = SAMPLE_RATES[input.sample_rate as usize % SAMPLE_RATES.len()];
    let n = if input.samples.is_empty() { 0 } else { input.frames as usize % (MAX_FRAMES + 1) };
    let sample = |w: u32| if input.pcm { w as i32 as f32 / 2_147_483_648.0 } else { f32::from_bits(w) };
    let x: Vec<Vec<f32>> = (0..channels)
        .map(|c| (0..n).map(|i| sample(input.samples[(i * channels + c) % input.samples.len()])).collect())
        .collect();

    let first = input.first.settings();
    let second = input.second.as_ref().map(FuzzSettings::settings);
    let switch_at = input.switch_at as usize % (n + 1);
    let note = input.second.as_ref().and_then(|s| s.note);
    let switch = second.map(|s| (switch_at, s, note));

    // Blocks cut only at the switch, and arbitrary blocks (also cut there).
    let cut = switch.map_or(n, |(at, _, _)| at);
    let reference = vec![cut, n - cut];
    let mut blocks = Vec::new();
    let mut pos = 0;
    for &b in &input.blocks {
        let end = if pos < cut { cut } else { n };
        let len = (b as usize % (end - pos + 1)).min(end - pos);
        blocks.push(len);
        pos += len;
    }
    if pos < cut {
        blocks.push(cut - pos);
        pos = cut;
    }
    blocks.push(n - pos);

    let mut whole_engine = Engine::new(channels, sample_rate, first, input.seed);
    let whole = render(&mut whole_engine, &x, &reference, switch);
    let mut split_engine = Engine::new(channels, sample_rate, first, input.seed);
    let split = render(&mut split_engine, &x, &blocks, switch);

    // The bound.
    let used: Vec<Settings> = [Some(first), second].into_iter().flatten().map(Settings::sanitized).collect();
    let d = x.iter().flatten().fold(0.0f32, |m, &v| m.max(sanitized(v).abs()));
    let mut w = 1.0f32;
    if used.iter().any(|s| s.antialias && s.curve == Curve::Linear) {
        w *= ANTIALIAS_L1;
    }
    if used.iter().any(|s| s.postfilter) {
        w *= FILTER_L1;
    }
    let g = used.iter().map(|s| db_to_gain(s.output_db)).fold(0.0f32, f32::max);
    let inner = if used.iter().any(|s| s.listen == Listen::Error) { w + d } else { w.max(d) };
    let bound = (inner * g).max(d) * (1.0 + 1e-5);
    assert!(bound <= CONFORMANCE_BOUND, "bound {bound} (D {d}, W {w}, G {g})");
    for (c, channel) in whole.iter().enumerate() {
        for (i, &v) in channel.iter().enumerate() {
            assert!(
                v.is_finite() && v.abs() <= bound,
                "channel {c} frame {i}: {v} (bound {bound}: D {d}, W {w}, G {g})"
            );
        }
    }

    // Block-size independence, bit for bit.
    assert_same_bits(&whole, &split, n, &format!("in one block, and with blocks {blocks:?}"));

    // Reset reproduces a fresh engine (on the first RESET_FRAMES frames: nothing ramps after a
    // reset, so a long render adds little but time).
    let m = n.min(RESET_FRAMES);
    let x: Vec<Vec<f32>> = x.iter().map(|c| c[..m].to_vec()).collect();
    split_engine.reset();
    let again = render(&mut split_engine, &x, &[m], None);
    let mut fresh = Engine::new(channels, sample_rate, split_engine.settings(), input.seed);
    let fresh = render(&mut fresh, &x, &[m], None);
    assert_same_bits(&again, &fresh, m, "after reset, and from a fresh engine");
});

/// The first `frames` frames of `a` and `b` are the same bits in every channel.
fn assert_same_bits(a: &[Vec<f32>], b: &[Vec<f32>], frames: usize, what: &str) {
    for (c, (a, b)) in a.iter().zip(b).enumerate() {
        if let Some(i) = (0..frames).find(|&i| a[i].to_bits() != b[i].to_bits()) {
            panic!("channel {c} frame {i}: {} vs {} ({what})", a[i], b[i]);
        }
    }
}
