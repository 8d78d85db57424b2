//! The whole per-channel signal chain, driven a block at a time.
//!
//! ```text
//! input ─ sanitize ─┬─ Drive ─ Pre-filter ─ hold (Sample Rate, Jitter) ─ compress (Curve) ─┐
//!                   │   ┌────────────────────────────────────────────────────────────────────┘
//!                   │   └─ + dither ─ quantize (noise-shaping loop) ─ expand ─ Post-filter ─ wet ─┐
//!                   │                                                                             ├─ Mix ─ Listen ─ Output ─ Bypass
//!                   └──────────────────────────────── dry ────────────────────────────────────────┘
//! ```
//!
//! The quantizer runs at the host rate on the held signal, so dither and noise shaping work
//! at the rate their published filters were designed for. The filters act only while the
//! Sample Rate is below the host rate.
//!
//! Continuous settings (Bit Depth, Sample Rate, Jitter, Drive, Mix, Output, and the bypass
//! crossfade) follow linear ramps of [`RAMP_MS`](crate::smoother::RAMP_MS); each sample's values depend only on where in the stream the settings
//! changed, so the output is independent of how the host splits its blocks. Work is done in
//! chunks of [`CHUNK`] samples on fixed-size scratch arrays allocated in [`Engine::new`].
//!
//! The files, by role:
//! - `settings.rs`: [`Settings`], their ranges and sanitizing.
//! - `controls.rs`: the ramps of the continuous settings and the per-sample control arrays.
//! - `router.rs`: which code computes each chunk, and why each choice is exact.
//! - `general.rs`: the general path, every stage on the control arrays: the definition.
//! - `settled.rs`: the settled paths, the same bits with less work where most stages idle.
//! - `tests.rs`, `chain_tests.rs`, `fast_path_tests.rs`, `movement_tests.rs`: their tests.

mod controls;
mod general;
mod movement;
mod router;
mod settings;
mod settled;

#[cfg(test)]
mod chain_tests;
#[cfg(test)]
mod fast_path_tests;
#[cfg(test)]
mod movement_tests;
#[cfg(test)]
mod tests;

pub use settings::{
    BITS_SNAP, Listen, MAX_DRIVE_DB, MAX_INPUT, MAX_MOD_BITS, MAX_MOD_OCTAVES, MAX_OUTPUT_DB, MAX_RATE, MIN_OUTPUT_DB,
    MIN_RATE, Settings, db_to_gain, snap_bits,
};

use crate::dither::Dither;
use crate::filter::{CUTOFF_RATIO, LowPass, SECTIONS, SvfCoefficients, butterworth};
use crate::hold::{Hold, HoldClock};
use crate::lfo::Transport;
use crate::oversample::{Delay, LATENCY, Oversampler};
use crate::quantizer::{Grid, QuantizerMode};
use crate::shaping::ShapingState;
use crate::simd::{Dispatch, Level};
use controls::{Controls, Ramps};
use movement::Movement;
use router::Path;

/// Samples processed per inner chunk (the size of the scratch arrays).
pub const CHUNK: usize = 128;

/// The seed used by the plugin. Renders with the same seed, input and automation are
/// bit-identical.
pub const DEFAULT_SEED: u32 = 0x5354_4550;

/// Receives the first channel's signals, a chunk at a time (for meters and displays).
pub trait Tap {
    /// `dry`: sanitized input; `wet`: quantized signal; `out`: final output; `step`: Δ per
    /// sample. All the same length, at most [`CHUNK`].
    fn chunk(&mut self, dry: &[f32], wet: &[f32], out: &[f32], step: &[f32], settings: &Settings);
}

/// One channel's scratch for one chunk (the engine has two: the general path works on channels
/// in pairs, the other paths on one at a time in the first).
struct Scratch {
    /// Sanitized input.
    dry: [f32; CHUNK],
    /// Dither in LSB.
    dither: [f32; CHUNK],
    /// Quantized signal.
    wet: [f32; CHUNK],
    /// The signal on its way to the quantizer.
    chain: [f32; CHUNK],
    /// The dry signal delayed by [`LATENCY`].
    delayed: [f32; CHUNK],
}

/// The modulated values at the last sample processed (for the editor).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Monitor {
    /// Bit depth the quantizer used, when modulated (LFO or follower); `None`: the knob's.
    pub bits: Option<f32>,
    /// Sample Rate the hold used, Hz, when modulated or note-tracked; `None`: the knob's.
    pub rate: Option<f32>,
    /// The note the Sample Rate follows, if one is held.
    pub note: Option<u8>,
}

/// One channel's state.
struct Channel {
    /// Dither stream.
    dither: Dither,
    /// Held value.
    hold: Hold,
    /// Pre-filter.
    pre: LowPass,
    /// Post-filter.
    post: LowPass,
    /// Noise-shaping error history.
    shaping: ShapingState,
    /// The anti-alias path.
    oversampler: Oversampler,
    /// The dry signal's delay, kept running so Anti-alias can switch without a gap.
    dry_delay: Delay,
    /// The host-rate quantizer's delay while Anti-alias is on but cannot act (dither or
    /// shaping), so the latency stays the same.
    wet_delay: Delay,
}

impl Channel {
    fn reset(&mut self) {
        self.dither.reset();
        self.hold.reset();
        self.pre.reset();
        self.post.reset();
        self.shaping.reset();
        self.oversampler.reset();
        self.dry_delay.reset();
        self.wet_delay.reset();
    }
}

/// What settled settings were last computed into (each keyed on what it was computed for).
struct Cache {
    /// The settings as last handed to [`Engine::set_settings`] (or `new`), before sanitizing.
    given: Settings,
    /// Grid for a settled bit depth, and the depth and mode it was computed for.
    grid: (Grid, f32, QuantizerMode),
    /// Filter coefficients for a settled rate, and the rate in Hz they were computed for.
    ///
    /// NOTE: Keyed on the plain rate, not its log2: neighbouring rates 0.1 Hz apart can share
    ///       an f32 log2 (71294.2 and 71294.3 Hz do), and a log2 key then kept the first one's
    ///       coefficients, so the output depended on earlier settings (found by the fuzzer).
    filter: ([SvfCoefficients; SECTIONS], f32),
}

/// The Stairstep signal chain for a fixed number of channels at one sample rate.
pub struct Engine {
    /// The latest settings (discrete ones take effect at once, continuous ones ramp).
    settings: Settings,
    /// The continuous settings' ramps.
    ramps: Ramps,
    /// Host sample rate in Hz.
    sample_rate: f32,
    /// What settled settings were last computed into, to skip computing it again.
    cache: Cache,
    /// The hold clock shared by all channels.
    clock: HoldClock,
    /// Per-channel state.
    channels: Vec<Channel>,
    /// Per-sample controls of the current chunk.
    controls: Box<Controls>,
    /// Scratch of the current chunk, one per channel of a pair.
    scratch: Box<[Scratch; 2]>,
    /// The vector build to run (all bit-identical to the portable build): the widest this
    /// CPU runs, unless a benchmark or test limits it.
    isa: Dispatch,
    /// The stages that act under the current settings (for the router), updated whenever the
    /// settings change.
    busy: router::Stages,
    /// The LFO, the follower and the notes: what moves the depth and the rate.
    movement: Movement,
    /// Tests: every block down the general path (the definition the others are held to).
    #[cfg(test)]
    force_general: bool,
}

impl Engine {
    /// Run at most the `widest` vector build, never wider than the CPU supports. Every build
    /// gives the same bits; this is for benchmarks and for comparing the builds.
    pub fn limit_simd(&mut self, widest: Level) {
        self.isa = Dispatch::detect().limited(widest);
    }

    /// An engine for `channels` channels at `sample_rate` Hz, starting settled at `settings`.
    /// This is the only place that allocates.
    pub fn new(channels: usize, sample_rate: f32, settings: Settings, seed: u32) -> Self {
        let s = settings.sanitized();
        let sample_rate = if sample_rate.is_finite() && sample_rate > 0.0 { sample_rate } else { 48000.0 };
        let mut engine = Self {
            settings: s,
            ramps: Ramps::new(&s, sample_rate),
            sample_rate,
            cache: Cache {
                given: settings,
                grid: (Grid::new(s.bits, s.quantizer), s.bits, s.quantizer),
                filter: (butterworth(CUTOFF_RATIO * s.rate, sample_rate), s.rate),
            },
            isa: Dispatch::detect(),
            clock: HoldClock::new(seed),
            channels: (0..channels)
                .map(|c| Channel {
                    dither: Dither::new(seed, c),
                    hold: Hold::default(),
                    pre: LowPass::default(),
                    post: LowPass::default(),
                    shaping: ShapingState::default(),
                    oversampler: Oversampler::new(CHUNK),
                    dry_delay: Delay::default(),
                    wet_delay: Delay::default(),
                })
                .collect(),
            controls: Box::new(Controls {
                inv_step: [0.0; CHUNK],
                step: [0.0; CHUNK],
                k_min: [0.0; CHUNK],
                k_max: [0.0; CHUNK],
                mix: [0.0; CHUNK],
                gain: [0.0; CHUNK],
                bypass: [0.0; CHUNK],
                drive: [0.0; CHUNK],
                increment: [0.0; CHUNK],
                jitter: [0.0; CHUNK],
                take: [false; CHUNK],
                reduced: [false; CHUNK],
                filter: [[SvfCoefficients::default(); CHUNK]; SECTIONS],
                filter_fixed: false,
                all_taken: false,
                steady: Default::default(),
                mod_rate: (f32::NAN, MAX_RATE, None),
                unreduced: butterworth(CUTOFF_RATIO * sample_rate, sample_rate),
            }),
            scratch: Box::new(std::array::from_fn(|_| Scratch {
                dry: [0.0; CHUNK],
                dither: [0.0; CHUNK],
                wet: [0.0; CHUNK],
                chain: [0.0; CHUNK],
                delayed: [0.0; CHUNK],
            })),
            busy: router::Stages::default(),
            movement: Movement::new(&s, sample_rate),
            #[cfg(test)]
            force_general: false,
        };
        engine.busy = engine.busy_stages();
        engine
    }

    /// Number of channels this engine was built for.
    pub fn channels(&self) -> usize {
        self.channels.len()
    }

    /// Latency in samples: [`LATENCY`] with Anti-alias on, else 0.
    pub fn latency(&self) -> usize {
        if self.settings.antialias { LATENCY } else { 0 }
    }

    /// The settings in force (after sanitizing).
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Take new settings. Continuous values start a ramp; discrete ones switch now.
    pub fn set_settings(&mut self, settings: Settings) {
        // NOTE: Hosts hand the same settings block after block: nothing below changes then
        //       (the latency switch needs a change, `set_target` ignores its own target), so
        //       the sanitizing, the gains' `powf` and the rate's `log2` are skipped. (A NaN
        //       never compares equal, so such settings go through every time, as before.)
        if settings == self.cache.given && !self.ramps.fresh() {
            return;
        }
        self.cache.given = settings;
        let s = settings.sanitized();
        if s.antialias && !self.settings.antialias {
            // The anti-alias path and the delays start from silence: the latency changed, and
            // the host realigns around it.
            for c in &mut self.channels {
                c.oversampler.reset();
                c.dry_delay.reset();
                c.wet_delay.reset();
            }
        }
        self.settings = s;
        self.ramps.take(&s);
        self.movement.set_settings(&s);
        // Harmonic or Glide may have changed the held note's rate.
        self.track_note();
        self.busy = self.busy_stages();
    }

    /// The host's transport at the next sample (call before each block; the LFO follows it).
    pub fn set_transport(&mut self, transport: &Transport) {
        self.movement.set_transport(transport);
    }

    /// Note `note` (MIDI 0 to 127) pressed at the next sample: the Sample Rate follows it.
    pub fn note_on(&mut self, note: u8) {
        self.movement.notes().note_on(note);
        self.clock.retrigger();
        self.track_note();
    }

    /// Note `note` released at the next sample.
    pub fn note_off(&mut self, note: u8) {
        self.movement.notes().note_off(note);
        self.track_note();
    }

    /// Every note released at the next sample.
    pub fn all_notes_off(&mut self) {
        self.movement.notes().all_off();
        self.track_note();
    }

    /// Pitch bend at the next sample, MIDI's normalized 0..1 (0.5: centre; ±2 semitones).
    pub fn pitch_bend(&mut self, normalized: f32) {
        self.movement.notes().set_bend(normalized);
        self.track_note();
    }

    /// Note `note`'s own tuning at the next sample, in semitones (VST3 note expression, CLAP's
    /// tuning expression; ±120), or every held note's with `None`. It adds to the pitch bend
    /// while the note sounds.
    pub fn note_tuning(&mut self, note: Option<u8>, semitones: f32) {
        self.movement.notes().set_tuning(note, semitones);
        self.track_note();
    }

    /// The Sample Rate the hold runs at when nothing moves: the held note's, else the knob's.
    fn rate_now(&self) -> f32 {
        self.movement.note_rate(&self.settings).unwrap_or(self.settings.rate)
    }

    /// Point the glide at the held note's rate (after a note, bend or Harmonic change), or
    /// hand the rate back to the knob when no note is held.
    fn track_note(&mut self) {
        self.movement.track_note(&self.settings, self.ramps[controls::Ramp::Rate].value());
        self.busy = self.busy_stages();
    }

    /// What the modulation did at the last sample processed: for the editor.
    pub fn monitor(&self) -> Monitor {
        self.movement.monitor
    }

    /// Forget the past: ramps jump to the current settings and dither restarts its stream, so
    /// the same input then gives bit-identical output.
    pub fn reset(&mut self) {
        self.ramps.jump(&self.settings);
        for c in &mut self.channels {
            c.reset();
        }
        self.clock.reset();
        self.movement.reset();
        self.busy = self.busy_stages();
    }

    /// Process channels in place. Extra channels beyond [`Engine::channels`] are only sanitized.
    /// All channels must have the same length.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.process_tapped(channels, None);
    }

    /// [`Engine::process`], also handing the first channel's signals to `tap`.
    pub fn process_tapped(&mut self, channels: &mut [&mut [f32]], mut tap: Option<&mut dyn Tap>) {
        let len = channels.first().map_or(0, |c| c.len());
        debug_assert!(channels.iter().all(|c| c.len() == len));
        if len > 0 {
            self.ramps.start();
        }
        let mut start = 0;
        while start < len {
            let (n, rest) = (CHUNK.min(len - start), len - start);
            // The settled paths other than the tapped one take the rest of the call at once:
            // nothing can change within it.
            let tapped = tap.is_some();
            let path = self.route(tapped);
            let done = match path {
                Path::General => {
                    self.general_chunk(channels, start, n, tap.as_deref_mut());
                    n
                }
                Path::FusedTapped => {
                    let tap = tap.as_deref_mut().expect("routed with a tap");
                    self.fused_tapped(channels, start, n, tap);
                    n
                }
                Path::Fused => {
                    self.fused_rest(channels, start, rest);
                    rest
                }
                Path::Shaped => {
                    self.shaped_rest(channels, start, rest);
                    rest
                }
                Path::Antialias => {
                    self.antialias_rest(channels, start, rest);
                    rest
                }
                Path::Bypass => {
                    self.bypass_rest(channels, start, rest);
                    rest
                }
            };
            if path != Path::General {
                // The general path moves the LFO as it reads it; the others do not read it.
                self.movement.advance(done);
                self.movement.monitor.bits = None;
                self.movement.monitor.rate = None;
            }
            start += done;
        }
    }
}
