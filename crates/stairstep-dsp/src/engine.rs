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
//! crossfade) follow linear ramps
//! of [`RAMP_MS`]; each sample's values depend only on where in the stream the settings
//! changed, so the output is independent of how the host splits its blocks. Work is done in
//! chunks of [`CHUNK`] samples on fixed-size scratch arrays allocated in [`Engine::new`].

use super::curve::{Curve, compress_block, expand_block};
use super::dither::{Dither, DitherMode, dither_at};
use super::filter::{CUTOFF_RATIO, LowPass, SECTIONS, SvfCoefficients, butterworth};
use super::hold::{Hold, HoldClock};
use super::oversample::{Delay, LATENCY, Oversampler};
#[cfg(target_arch = "x86_64")]
use super::pow2::{self, Pow2Grid};
use super::quantizer::{Grid, GridBlock, MAX_BITS, MIN_BITS, QuantizerMode, floor_q, max_f, min_f, quantize_block};
use super::rng::stream_word;
use super::shaping::{Lane, Shaping, ShapingState, quantize_shaped};
use super::simd::{Dispatch, Isa, Kernel, Level};
use super::smoother::{LinearRamp, RAMP_MS};

/// Samples processed per inner chunk (the size of the scratch arrays).
pub const CHUNK: usize = 128;

/// The seed used by the plugin. Renders with the same seed, input and automation are
/// bit-identical.
pub const DEFAULT_SEED: u32 = 0x5354_4550;

/// Input samples are clamped to ±this (about +120 dBFS) after non-finite values are replaced by
/// silence, so that no finite input can overflow to infinity through the Output gain.
pub const MAX_INPUT: f32 = 1.0e6;

/// What the plugin outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// The crushed signal, mixed with the dry signal.
    Output,
    /// Only what the crushing adds: (mixed output) - dry. At Mix 100 % exactly y - x.
    Error,
}

/// Plain parameter values, in the units the user sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Bit depth, 1 to 24, continuous.
    pub bits: f32,
    /// Dither added before the quantizer.
    pub dither: DitherMode,
    /// Quantizer characteristic.
    pub quantizer: QuantizerMode,
    /// Wet share of the output, 0 to 1 (the plugin shows 0 to 100 %).
    pub mix: f32,
    /// Output gain in dB, -24 to +24, applied last.
    pub output_db: f32,
    /// Whether to hear the output or the error.
    pub listen: Listen,
    /// Bypass: the output crossfades to the (sanitized) input.
    pub bypass: bool,
    /// Sample rate of the hold in Hz, 50 to 96000; at or above the host rate: no reduction.
    pub rate: f32,
    /// Hold-length randomisation, 0 to 1 (the plugin shows 0 to 100 %).
    pub jitter: f32,
    /// Low-pass before the hold, tracking the new Nyquist.
    pub prefilter: bool,
    /// Low-pass after the quantizer, removing the hold's images.
    pub postfilter: bool,
    /// Noise-shaping filter around the quantizer.
    pub shaping: Shaping,
    /// Companding curve around the quantizer.
    pub curve: Curve,
    /// Gain into the chain in dB, 0 to 36.
    pub drive_db: f32,
    /// Anti-alias the (undithered, unshaped) quantizer: 4x oversampled ADAA, [`LATENCY`]
    /// samples of latency.
    pub antialias: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bits: 8.0,
            dither: DitherMode::Off,
            quantizer: QuantizerMode::MidTread,
            mix: 1.0,
            output_db: 0.0,
            listen: Listen::Output,
            bypass: false,
            rate: MAX_RATE,
            jitter: 0.0,
            prefilter: false,
            postfilter: false,
            shaping: Shaping::Off,
            curve: Curve::Linear,
            drive_db: 0.0,
            antialias: false,
        }
    }
}

/// Lowest Sample Rate in Hz.
pub const MIN_RATE: f32 = 50.0;
/// Highest Sample Rate in Hz.
pub const MAX_RATE: f32 = 96000.0;
/// Highest Drive in dB.
pub const MAX_DRIVE_DB: f32 = 36.0;

/// Lowest Output gain in dB.
pub const MIN_OUTPUT_DB: f32 = -24.0;
/// Highest Output gain in dB.
pub const MAX_OUTPUT_DB: f32 = 24.0;

/// Clamp `v` to [lo, hi], with NaN replaced by `fallback`.
fn clamp_or(v: f32, lo: f32, hi: f32, fallback: f32) -> f32 {
    if v.is_nan() { fallback } else { v.clamp(lo, hi) }
}

/// Bit depths closer than this to a whole number are taken as that whole number.
///
/// NOTE: Hosts pass parameters as normalized f32 (or coarser) values, so "8 bits" often
///       arrives as 7.9999995 or 8.001, which would put the grid a hair off 2^-7. Half of the
///       displayed resolution (0.01 bit) means: when the display shows a whole number, the
///       quantizer uses exactly that many bits.
pub const BITS_SNAP: f32 = 0.005;

/// `bits`, snapped to the nearest whole number when within [`BITS_SNAP`] of it.
pub fn snap_bits(bits: f32) -> f32 {
    let whole = bits.round();
    if (bits - whole).abs() < BITS_SNAP { whole } else { bits }
}

impl Settings {
    /// The same settings with every continuous value inside its range (NaN falls back to the
    /// default) and near-whole bit depths made whole. Whatever a host, a file or a command line
    /// sends, the engine runs on this.
    pub fn sanitized(self) -> Self {
        let d = Self::default();
        Self {
            bits: snap_bits(clamp_or(self.bits, MIN_BITS, MAX_BITS, d.bits)),
            mix: clamp_or(self.mix, 0.0, 1.0, d.mix),
            output_db: clamp_or(self.output_db, MIN_OUTPUT_DB, MAX_OUTPUT_DB, d.output_db),
            rate: clamp_or(self.rate, MIN_RATE, MAX_RATE, d.rate),
            jitter: clamp_or(self.jitter, 0.0, 1.0, d.jitter),
            drive_db: clamp_or(self.drive_db, 0.0, MAX_DRIVE_DB, d.drive_db),
            ..self
        }
    }
}

/// dB to linear gain. Exactly 1.0 at 0 dB.
pub fn db_to_gain(db: f32) -> f32 {
    if db == 0.0 { 1.0 } else { 10f32.powf(db / 20.0) }
}

/// Receives the first channel's signals, a chunk at a time (for meters and displays).
pub trait Tap {
    /// `dry`: sanitized input; `wet`: quantized signal; `out`: final output; `step`: Δ per
    /// sample. All the same length, at most [`CHUNK`].
    fn chunk(&mut self, dry: &[f32], wet: &[f32], out: &[f32], step: &[f32], settings: &Settings);
}

/// Per-sample control values for one chunk, shared by all channels.
struct Controls {
    /// 1/Δ per sample.
    inv_step: [f32; CHUNK],
    /// Δ per sample.
    step: [f32; CHUNK],
    /// Lowest level index per sample.
    k_min: [f32; CHUNK],
    /// Highest level index per sample.
    k_max: [f32; CHUNK],
    /// Wet share, 0 to 1.
    mix: [f32; CHUNK],
    /// Linear output gain, about 0.063 to 15.85.
    gain: [f32; CHUNK],
    /// Bypass crossfade, 0 (processed) to 1 (bypassed).
    bypass: [f32; CHUNK],
    /// Drive as linear gain, 1 to 63.
    drive: [f32; CHUNK],
    /// Hold rate over host rate (1 or more: no reduction).
    increment: [f64; CHUNK],
    /// Jitter, 0 to 1.
    jitter: [f32; CHUNK],
    /// Whether the hold takes a new sample.
    take: [bool; CHUNK],
    /// Whether the rate is reduced (the filters act).
    reduced: [bool; CHUNK],
    /// Filter coefficients per section and sample.
    filter: [[SvfCoefficients; CHUNK]; SECTIONS],
}

impl Controls {
    /// The quantizer grids of the chunk's samples in `range`.
    fn grid(&self, range: std::ops::Range<usize>) -> GridBlock<'_> {
        GridBlock {
            inv_step: &self.inv_step[range.clone()],
            step: &self.step[range.clone()],
            k_min: &self.k_min[range.clone()],
            k_max: &self.k_max[range],
        }
    }
}

/// Per-channel scratch for one chunk (reused for every channel in turn).
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

/// The Stairstep signal chain for a fixed number of channels at one sample rate.
pub struct Engine {
    /// The latest settings (discrete ones take effect at once, continuous ones ramp).
    settings: Settings,
    /// The settings as last handed to [`Engine::set_settings`] (or `new`), before sanitizing.
    given: Settings,
    /// Bit depth ramp, in bits.
    bits: LinearRamp,
    /// Mix ramp, 0 to 1.
    mix: LinearRamp,
    /// Output gain ramp, linear gain.
    gain: LinearRamp,
    /// Bypass crossfade ramp, 0 to 1.
    bypass: LinearRamp,
    /// Hold rate ramp, in log2(Hz).
    rate: LinearRamp,
    /// Jitter ramp, 0 to 1.
    jitter: LinearRamp,
    /// Drive ramp, linear gain.
    drive: LinearRamp,
    /// Host sample rate in Hz.
    sample_rate: f32,
    /// Grid for a settled bit depth, and the depth and mode it was computed for.
    grid_cache: (Grid, f32, QuantizerMode),
    /// Filter coefficients for a settled rate, and the rate in Hz they were computed for.
    ///
    /// NOTE: Keyed on the plain rate, not its log2: neighbouring rates 0.1 Hz apart can share
    ///       an f32 log2 (71294.2 and 71294.3 Hz do), and a log2 key then kept the first one's
    ///       coefficients, so the output depended on earlier settings (found by the fuzzer).
    filter_cache: ([SvfCoefficients; SECTIONS], f32),
    /// The hold clock shared by all channels.
    clock: HoldClock,
    /// Per-channel state.
    channels: Vec<Channel>,
    /// Per-sample controls of the current chunk.
    controls: Box<Controls>,
    /// Per-channel scratch of the current chunk.
    scratch: Box<Scratch>,
    /// True from construction or reset until the first sample is processed. Settings taken
    /// then apply at once: ramps exist to keep already-played audio continuous, and there is
    /// none yet (so a render right after reset does not depend on earlier settings).
    fresh: bool,
    /// The vector build to run (all bit-identical to the portable build): the widest this
    /// CPU runs, unless a benchmark or test limits it.
    isa: Dispatch,
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
        Self {
            settings: s,
            given: settings,
            bits: LinearRamp::new(s.bits, sample_rate, RAMP_MS),
            mix: LinearRamp::new(s.mix, sample_rate, RAMP_MS),
            gain: LinearRamp::new(db_to_gain(s.output_db), sample_rate, RAMP_MS),
            bypass: LinearRamp::new(if s.bypass { 1.0 } else { 0.0 }, sample_rate, RAMP_MS),
            rate: LinearRamp::new(s.rate.log2(), sample_rate, RAMP_MS),
            jitter: LinearRamp::new(s.jitter, sample_rate, RAMP_MS),
            drive: LinearRamp::new(db_to_gain(s.drive_db), sample_rate, RAMP_MS),
            sample_rate,
            grid_cache: (Grid::new(s.bits, s.quantizer), s.bits, s.quantizer),
            isa: Dispatch::detect(),
            filter_cache: (butterworth(CUTOFF_RATIO * s.rate, sample_rate), s.rate),
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
            }),
            scratch: Box::new(Scratch {
                dry: [0.0; CHUNK],
                dither: [0.0; CHUNK],
                wet: [0.0; CHUNK],
                chain: [0.0; CHUNK],
                delayed: [0.0; CHUNK],
            }),
            fresh: true,
            #[cfg(test)]
            force_general: false,
        }
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
        if settings == self.given && !self.fresh {
            return;
        }
        self.given = settings;
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
        if self.fresh {
            self.reset_ramps();
            return;
        }
        self.bits.set_target(s.bits);
        self.mix.set_target(s.mix);
        self.gain.set_target(db_to_gain(s.output_db));
        self.bypass.set_target(if s.bypass { 1.0 } else { 0.0 });
        self.rate.set_target(s.rate.log2());
        self.jitter.set_target(s.jitter);
        self.drive.set_target(db_to_gain(s.drive_db));
    }

    /// Forget the past: ramps jump to the current settings and dither restarts its stream, so
    /// the same input then gives bit-identical output.
    pub fn reset(&mut self) {
        self.reset_ramps();
        for c in &mut self.channels {
            c.reset();
        }
        self.clock.reset();
        self.fresh = true;
    }

    /// Jump every ramp to the current settings.
    fn reset_ramps(&mut self) {
        let s = self.settings;
        self.bits.reset(s.bits);
        self.mix.reset(s.mix);
        self.gain.reset(db_to_gain(s.output_db));
        self.bypass.reset(if s.bypass { 1.0 } else { 0.0 });
        self.rate.reset(s.rate.log2());
        self.jitter.reset(s.jitter);
        self.drive.reset(db_to_gain(s.drive_db));
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
            self.fresh = false;
        }
        let mut start = 0;
        while start < len {
            let n = CHUNK.min(len - start);
            // The common case, settled plain crushing, has its own fused loop (bit-identical
            // to the general path; see `fast_path_is_exact`), with the editor open too.
            let fast = !self.forced_general();
            if fast && self.fast_path_applies() {
                match tap.as_deref_mut() {
                    None => {
                        // Nothing can change within this call, so the rest of the block goes at
                        // once.
                        self.fast_chunk(channels, start, len - start);
                        break;
                    }
                    // With the editor open, chunk by chunk, handing the analysis what the
                    // general path would (the shaping loop's state cannot be run twice).
                    Some(t) if self.settings.shaping == Shaping::Off => {
                        self.fast_chunk_tapped(channels, start, n, t);
                        start += n;
                        continue;
                    }
                    Some(_) => {}
                }
            }
            // Likewise settled Anti-alias on an otherwise plain chain.
            if tap.is_none() && fast && self.antialias_path_applies() {
                self.antialias_rest(channels, start, len - start);
                break;
            }
            // Likewise settled bypass: the dry signal, with the state kept in step.
            if tap.is_none() && fast && self.settled_bypass() {
                self.bypass_rest(channels, start, len - start);
                break;
            }
            // NOTE: Decided before the controls advance: a ramp that ends inside this chunk
            //       still needs the crossfade for its first samples.
            let bypassed = !self.bypass.is_ramping() && self.bypass.target() == 1.0;
            self.fill_controls(n);
            for (ch, channel) in channels.iter_mut().enumerate() {
                let block = &mut channel[start..start + n];
                match self.channels.get_mut(ch) {
                    Some(state) if !bypassed => {
                        let (settings, c, s) = (&self.settings, &*self.controls, &mut *self.scratch);
                        self.isa.run(GeneralChunk { settings, state, c, s, block });
                        if let (0, Some(t)) = (ch, tap.as_deref_mut()) {
                            let s = &self.scratch;
                            let dry = if self.settings.antialias { &s.delayed[..n] } else { &s.dry[..n] };
                            t.chunk(dry, &s.wet[..n], block, &self.controls.step[..n], &self.settings);
                        }
                    }
                    Some(state) => {
                        // Keep the stream tied to the sample position while bypassed.
                        state.dither.fill(DitherMode::Off, &mut self.scratch.dither[..n]);
                        sanitize_in_place(block);
                        // Bypassed audio keeps the reported latency.
                        if self.settings.antialias {
                            state.dry_delay.process(block);
                        }
                        if let (0, Some(t)) = (ch, tap.as_deref_mut()) {
                            t.chunk(block, block, block, &self.controls.step[..n], &self.settings);
                        }
                    }
                    None => sanitize_in_place(block),
                }
            }
            start += n;
        }
    }

    /// The grid of the settled bit depth and quantizer (cached).
    fn settled_grid(&mut self) -> Grid {
        let (bits, quantizer) = (self.settings.bits, self.settings.quantizer);
        if self.grid_cache.1 != bits || self.grid_cache.2 != quantizer {
            self.grid_cache = (Grid::new(bits, quantizer), bits, quantizer);
        }
        self.grid_cache.0
    }

    /// Whether a test has sent every block down the general path.
    #[inline(always)]
    fn forced_general(&self) -> bool {
        #[cfg(test)]
        return self.force_general;
        #[cfg(not(test))]
        false
    }

    /// [`Engine::fast_chunk`] for one chunk (`n` at most [`CHUNK`]) with the analysis fed: what
    /// the general path hands it for channel 0, its sanitized input, its quantized signal
    /// (before the gain: the fused loop again at unity gain, from the same dither position)
    /// and the output, and the step.
    ///
    /// NOTE: The quantized signal is the general path's up to the sign of an exact zero
    ///       (its mix adds `dry·0`); the analysis only subtracts and squares it.
    fn fast_chunk_tapped(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize, tap: &mut dyn Tap) {
        let s = self.settings;
        let g = self.settled_grid();
        let tapped = match (channels.first(), self.channels.first_mut()) {
            (Some(channel), Some(state)) => {
                let (dry, wet) = (&mut self.scratch.dry[..n], &mut self.scratch.wet[..n]);
                for (o, &x) in dry.iter_mut().zip(&channel[start..start + n]) {
                    *o = sanitize(x);
                }
                wet.copy_from_slice(dry);
                let rng = state.dither.rng();
                let origin = rng.position().wrapping_add(rng.key());
                let kind = FusedKind { dither: s.dither, quantizer: s.quantizer, error: false };
                fused_in(self.isa, kind, wet, &g, 1.0, origin);
                true
            }
            _ => false,
        };
        self.fast_chunk(channels, start, n);
        if tapped {
            self.controls.step[..n].fill(g.step);
            let sc = &self.scratch;
            tap.chunk(&sc.dry[..n], &sc.wet[..n], &channels[0][start..start + n], &self.controls.step[..n], &s);
        }
    }

    /// True when every control is settled and the chain is only dither, quantizer (with or
    /// without noise shaping) and gain.
    fn fast_path_applies(&self) -> bool {
        self.plain_chain() && !self.settings.antialias
    }

    /// True when every control is settled and Anti-alias acts on a chain of nothing else
    /// (no dither, no shaping): [`Engine::antialias_rest`].
    fn antialias_path_applies(&self) -> bool {
        let s = &self.settings;
        self.plain_chain() && s.antialias && s.dither == DitherMode::Off && s.shaping == Shaping::Off
    }

    /// True when no control moves and the chain around the quantizer passes the signal
    /// through: no bypass, Mix 100 %, no drive, no rate reduction, no curve, no filters.
    fn plain_chain(&self) -> bool {
        let s = &self.settings;
        self.settled()
            && self.bypass.target() == 0.0
            && self.mix.target() == 1.0
            && self.drive.target() == 1.0
            && s.rate >= self.sample_rate
            && s.curve == Curve::Linear
            && !s.prefilter
            && !s.postfilter
    }

    /// True when bypass is settled on and no control is moving.
    fn settled_bypass(&self) -> bool {
        self.settled() && self.bypass.target() == 1.0
    }

    /// True when no control (bypass included) is ramping.
    fn settled(&self) -> bool {
        !(self.bits.is_ramping()
            || self.mix.is_ramping()
            || self.gain.is_ramping()
            || self.bypass.is_ramping()
            || self.drive.is_ramping()
            || self.rate.is_ramping()
            || self.jitter.is_ramping())
    }

    /// The rest of the block for [`Engine::settled_bypass`]: what the general path does for
    /// bypassed chunks (sanitize, and the dry delay with Anti-alias so the latency stays), and
    /// the state it leaves: the dither streams and the hold clock advanced by `n` samples.
    /// Settled controls keep their values, so they need no filling.
    fn bypass_rest(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let rate = self.settings.rate;
        self.clock.skip(rate as f64 / self.sample_rate as f64, self.jitter.target(), n);
        for (ch, channel) in channels.iter_mut().enumerate() {
            let block = &mut channel[start..start + n];
            self.isa.run(Sanitize(block));
            if let Some(state) = self.channels.get_mut(ch) {
                state.dither.rng().advance(n);
                if self.settings.antialias {
                    state.dry_delay.process(block);
                }
            }
        }
    }

    /// The rest of the block for [`Engine::antialias_path_applies`], in chunks of [`CHUNK`]:
    /// what the general path computes there ([`antialias_chunk`]), without filling the
    /// per-sample arrays of controls that cannot move (only the grid's, which the quantizer
    /// and the staircase read) or running the hold clock, which takes every sample.
    fn antialias_rest(&mut self, channels: &mut [&mut [f32]], start: usize, len: usize) {
        let settings = self.settings;
        let g = self.settled_grid();
        let gain = self.gain.target();
        self.clock.free_run();
        let c = &mut *self.controls;
        let filled = CHUNK.min(len);
        c.inv_step[..filled].fill(g.inv_step);
        c.step[..filled].fill(g.step);
        c.k_min[..filled].fill(g.k_min);
        c.k_max[..filled].fill(g.k_max);
        let mut pos = start;
        while pos < start + len {
            let n = CHUNK.min(start + len - pos);
            // Only the call's last LATENCY samples reach the wet delay's state: the chunk's
            // samples from `tail` on (none in earlier chunks).
            let tail = (start + len).saturating_sub(LATENCY).clamp(pos, pos + n) - pos;
            for (ch, channel) in channels.iter_mut().enumerate() {
                let block = &mut channel[pos..pos + n];
                let Some(state) = self.channels.get_mut(ch) else {
                    sanitize_in_place(block);
                    continue;
                };
                let (c, s) = (&*self.controls, &mut *self.scratch);
                self.isa.run(AntialiasChunk { settings: &settings, state, c, gain, s, block, tail });
            }
            pos += n;
        }
    }

    /// The fused loop for [`Engine::fast_path_applies`]: the same arithmetic as the general
    /// path, sample for sample, without its per-chunk control arrays.
    fn fast_chunk(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let s = self.settings;
        let g = self.settled_grid();
        let gain = self.gain.target();
        self.clock.free_run();
        if s.shaping != Shaping::Off {
            self.isa.run(ShapedChunk { engine: self, channels, start, n, g, gain });
            return;
        }
        let error = s.listen == Listen::Error;
        for (ch, channel) in channels.iter_mut().enumerate() {
            let block = &mut channel[start..start + n];
            let Some(state) = self.channels.get_mut(ch) else {
                sanitize_in_place(block);
                continue;
            };
            let rng = state.dither.rng();
            // The dither word of block sample i is stream_word(origin + i) (`CounterRng::word_at`).
            let origin = rng.position().wrapping_add(rng.key());
            let kind = FusedKind { dither: s.dither, quantizer: s.quantizer, error };
            // NOTE: The general path leaves one more piece of state, the held value, and this
            //       loop does not set it: `free_run` above makes the next sample a take
            //       (`free_run_takes_the_next_sample`), so the value is replaced before anyone
            //       reads it. (Reading the block's last input before the loop stalled every
            //       call on that load: 3 % of a host's whole time at blocks of 512, by perf.)
            fused_in(self.isa, kind, block, &g, gain, origin);
            state.dither.rng().advance(n);
        }
    }

    /// [`Engine::fast_chunk`] with noise shaping: channels in pairs through one interleaved
    /// shaping loop (each channel's loop is serial, two run side by side), in chunks of
    /// [`CHUNK`] on the scratch arrays. The same arithmetic as the general path: the input
    /// sanitized (Drive 1 multiplies by exactly 1, the hold and the linear curve pass it
    /// through), dither, [`quantize_shaped`], then `y·gain` or `(y - x)·gain`, which is what
    /// Mix 100 % and no bypass reduce to.
    #[inline(always)]
    fn shaped_chunk<I: Isa>(
        &mut self,
        isa: I,
        channels: &mut [&mut [f32]],
        start: usize,
        n: usize,
        g: Grid,
        gain: f32,
    ) {
        let s = self.settings;
        let error = s.listen == Listen::Error;
        let mute_zero = s.dither == DitherMode::Off;
        let c = &mut *self.controls;
        let k = CHUNK.min(n);
        c.inv_step[..k].fill(g.inv_step);
        c.step[..k].fill(g.step);
        c.k_min[..k].fill(g.k_min);
        c.k_max[..k].fill(g.k_max);
        let engine_channels = self.channels.len();
        for channel in channels.iter_mut().skip(engine_channels) {
            sanitize_in_place(&mut channel[start..start + n]);
        }
        let (ours, _) = channels.split_at_mut(engine_channels.min(channels.len()));
        let sc = &mut *self.scratch;
        let mut done = 0;
        while done < n {
            let m = CHUNK.min(n - done);
            let range = start + done..start + done + m;
            let grid = c.grid(0..m);
            let mut pairs = ours.chunks_mut(2).zip(self.channels.chunks_mut(2));
            for (blocks, states) in &mut pairs {
                let (x0, d0) = (&mut sc.chain[..m], &mut sc.dither[..m]);
                let (x1, d1) = (&mut sc.delayed[..m], &mut sc.wet[..m]);
                for ((block, state), (x, d)) in
                    blocks.iter().zip(states.iter_mut()).zip([(&mut *x0, &mut *d0), (&mut *x1, &mut *d1)])
                {
                    for (o, &v) in x.iter_mut().zip(&block[range.clone()]) {
                        *o = sanitize(v);
                    }
                    state.hold.set(x[m - 1]);
                    state.dither.fill(s.dither, d);
                }
                match (blocks, states) {
                    ([b0, b1], [s0, s1]) => {
                        let mut lanes = [
                            Lane { state: &mut s0.shaping, input: x0, dither: d0, out: &mut b0[range.clone()] },
                            Lane { state: &mut s1.shaping, input: x1, dither: d1, out: &mut b1[range.clone()] },
                        ];
                        quantize_shaped(isa, s.quantizer, s.shaping, &mut lanes, &grid, mute_zero);
                        apply_gain(&mut b0[range.clone()], x0, gain, error);
                        apply_gain(&mut b1[range.clone()], x1, gain, error);
                    }
                    ([b0], [s0]) => {
                        let mut lanes =
                            [Lane { state: &mut s0.shaping, input: x0, dither: d0, out: &mut b0[range.clone()] }];
                        quantize_shaped(isa, s.quantizer, s.shaping, &mut lanes, &grid, mute_zero);
                        apply_gain(&mut b0[range.clone()], x0, gain, error);
                    }
                    _ => unreachable!("blocks and states are zipped in equal chunks"),
                }
            }
            done += m;
        }
    }

    /// Compute the next `n` samples of every control.
    fn fill_controls(&mut self, n: usize) {
        let c = &mut *self.controls;
        let mode = self.settings.quantizer;
        if self.bits.is_ramping() {
            for i in 0..n {
                let g = Grid::new(self.bits.next_value(), mode);
                c.inv_step[i] = g.inv_step;
                c.step[i] = g.step;
                c.k_min[i] = g.k_min;
                c.k_max[i] = g.k_max;
            }
        } else {
            let bits = self.bits.target();
            if self.grid_cache.1 != bits || self.grid_cache.2 != mode {
                self.grid_cache = (Grid::new(bits, mode), bits, mode);
            }
            let g = self.grid_cache.0;
            c.inv_step[..n].fill(g.inv_step);
            c.step[..n].fill(g.step);
            c.k_min[..n].fill(g.k_min);
            c.k_max[..n].fill(g.k_max);
        }
        self.mix.fill(&mut c.mix[..n]);
        self.gain.fill(&mut c.gain[..n]);
        self.bypass.fill(&mut c.bypass[..n]);
        self.drive.fill(&mut c.drive[..n]);
        self.jitter.fill(&mut c.jitter[..n]);

        // Sample rate: the hold's increment, and the filters' coefficients when reduced.
        let fs = self.sample_rate;
        let filters = self.settings.prefilter || self.settings.postfilter;
        if self.rate.is_ramping() {
            for i in 0..n {
                let log_rate = self.rate.next_value();
                // NOTE: Once the ramp lands, the plain rate (as in the settled branch below),
                //       so the output does not depend on where a chunk boundary falls.
                let rate = if self.rate.is_ramping() { log_rate.exp2() } else { self.settings.rate };
                c.increment[i] = rate as f64 / fs as f64;
                c.reduced[i] = rate < fs;
                if filters && c.reduced[i] {
                    let coefficients = butterworth(CUTOFF_RATIO * rate, fs);
                    for (section, &k) in c.filter.iter_mut().zip(&coefficients) {
                        section[i] = k;
                    }
                }
            }
        } else {
            // NOTE: The plain rate, not exp2(log2(rate)), so 8000 Hz is exactly 8000 Hz.
            let rate = self.settings.rate;
            c.increment[..n].fill(rate as f64 / fs as f64);
            c.reduced[..n].fill(rate < fs);
            if filters && rate < fs {
                if self.filter_cache.1 != rate {
                    self.filter_cache = (butterworth(CUTOFF_RATIO * rate, fs), rate);
                }
                for (section, &k) in c.filter.iter_mut().zip(&self.filter_cache.0) {
                    section[..n].fill(k);
                }
            }
        }
        self.clock.fill(&c.increment[..n], &c.jitter[..n], &mut c.take[..n]);
    }
}

/// Replace non-finite samples by silence and clamp to ±[`MAX_INPUT`]. Subnormal samples
/// become zero too: the plugin runs with flush-to-zero and denormals-are-zero set, the
/// offline renderer without, and both must compute the same thing.
#[inline(always)]
fn sanitize(x: f32) -> f32 {
    if x.is_finite() && x.abs() >= f32::MIN_POSITIVE { x.clamp(-MAX_INPUT, MAX_INPUT) } else { 0.0 }
}

/// Non-finite and subnormal values to zero, others unchanged (`sanitize` without the clamp).
#[inline(always)]
fn zero_specials(x: f32) -> f32 {
    if x.is_finite() && x.abs() >= f32::MIN_POSITIVE { x } else { 0.0 }
}

/// `y·gain`, or `(y - x)·gain` for the error: the output stage at Mix 100 % without bypass.
#[inline(always)]
fn apply_gain(y: &mut [f32], x: &[f32], gain: f32, error: bool) {
    if error {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = (*y - x) * gain;
        }
    } else {
        for y in y.iter_mut() {
            *y *= gain;
        }
    }
}

#[inline(always)]
fn sanitize_in_place(block: &mut [f32]) {
    for x in block.iter_mut() {
        *x = sanitize(*x);
    }
}

/// The fast path's loop for one channel: sanitize, dither (`DITHER`: 0 off, 1 RPDF, 2 TPDF,
/// 3 high-pass TPDF), quantize (`MID_RISE`), gain; `ERROR` outputs `(y - x)·gain`. Each
/// variant is its own monomorphised loop the compiler can vectorise. `word(i)` is the dither
/// stream's word for sample `i` of the block (wrapping, so `i - 1` reaches back before it).
#[inline(always)]
fn fused<const DITHER: u8, const MID_RISE: bool, const ERROR: bool, I: Isa>(
    block: &mut [f32],
    g: &Grid,
    gain: f32,
    word: impl Fn(u32) -> u32,
) {
    let (inv, step, lo, hi) = (g.inv_step, g.step, g.k_min, g.k_max);
    for (i, y) in block.iter_mut().enumerate() {
        let i = i as u32;
        // NOTE: Without ERROR the input's clamp to ±MAX_INPUT cannot change the result: any
        //       |x| above it puts x·inv beyond the grid's ends (hi + 1 <= 2^23 while
        //       x·inv > 1e6·2^(bits-1)), where the clamp on `v` takes over. Skipping it saves
        //       two operations per sample.
        let x = if ERROR { sanitize(*y) } else { zero_specials(*y) };
        let d = dither_at::<DITHER>(&word, i);
        // NOTE: The clamp keeps `v` inside `floor_exact`'s exact range. The CPU's floor needs
        //       no such range (x·inv may even overflow to ±inf): whatever lies beyond the
        //       grid's ends floors beyond them too, and the clamp after rounding gives the same
        //       end level.
        let v = x * inv + d;
        let v = if I::ROUND { v } else { min_f(max_f(v, lo - 1.0), hi + 1.0) };
        let q = if MID_RISE {
            let k = min_f(max_f(floor_q::<I>(v), lo), hi);
            if DITHER == 0 && x == 0.0 { 0.0 } else { (k + 0.5) * step }
        } else {
            min_f(max_f(floor_q::<I>(v + 0.5), lo), hi) * step
        };
        *y = if ERROR { (q - x) * gain } else { q * gain };
    }
}

/// Which monomorphised [`fused`] loop to run.
#[derive(Clone, Copy)]
struct FusedKind {
    dither: DitherMode,
    quantizer: QuantizerMode,
    /// Output the error instead of the crushed signal.
    error: bool,
}

/// Run the [`fused`] loop for `kind`; `origin` is the dither stream's counter (position plus
/// key) at the block's first sample.
#[inline(always)]
fn fused_dispatch<I: Isa>(isa: I, kind: FusedKind, block: &mut [f32], g: &Grid, gain: f32, origin: u32) {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    // The AVX-512 build's hand-written loops, on whole-bit grids without the error output.
    #[cfg(target_arch = "x86_64")]
    if let (Some(avx512), false) = (isa.avx512(), kind.error)
        && let Some(p) = Pow2Grid::new(g)
    {
        pow2::fused(avx512, kind.dither, kind.quantizer, block, &p, gain, origin);
        return;
    }
    let word = |i: u32| stream_word(origin.wrapping_add(i));
    match (kind.dither, kind.quantizer, kind.error) {
        (DitherMode::Off, QuantizerMode::MidTread, false) => fused::<0, false, false, I>(block, g, gain, word),
        (DitherMode::Off, QuantizerMode::MidTread, true) => fused::<0, false, true, I>(block, g, gain, word),
        (DitherMode::Off, QuantizerMode::MidRise, false) => fused::<0, true, false, I>(block, g, gain, word),
        (DitherMode::Off, QuantizerMode::MidRise, true) => fused::<0, true, true, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidTread, false) => fused::<1, false, false, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidTread, true) => fused::<1, false, true, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidRise, false) => fused::<1, true, false, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidRise, true) => fused::<1, true, true, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidTread, false) => fused::<2, false, false, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidTread, true) => fused::<2, false, true, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidRise, false) => fused::<2, true, false, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidRise, true) => fused::<2, true, true, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidTread, false) => fused::<3, false, false, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidTread, true) => fused::<3, false, true, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidRise, false) => fused::<3, true, false, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidRise, true) => fused::<3, true, true, I>(block, g, gain, word),
    }
}

/// The [`fused`] loop for `kind` in build `isa` (the fast path with or without the editor's
/// tap).
#[inline(always)]
fn fused_in(isa: Dispatch, kind: FusedKind, block: &mut [f32], g: &Grid, gain: f32, origin: u32) {
    isa.run(Fused { kind, block, g, gain, origin });
}

/// [`fused_dispatch`] as a [`Kernel`].
struct Fused<'a> {
    kind: FusedKind,
    block: &'a mut [f32],
    g: &'a Grid,
    gain: f32,
    origin: u32,
}

impl Kernel for Fused<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        fused_dispatch(isa, self.kind, self.block, self.g, self.gain, self.origin);
    }
}

/// [`sanitize_in_place`] as a [`Kernel`].
struct Sanitize<'a>(&'a mut [f32]);

impl Kernel for Sanitize<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, _: I) {
        sanitize_in_place(self.0);
    }
}

/// [`Engine::shaped_chunk`] as a [`Kernel`].
struct ShapedChunk<'a, 'b> {
    engine: &'a mut Engine,
    channels: &'a mut [&'b mut [f32]],
    start: usize,
    n: usize,
    g: Grid,
    gain: f32,
}

impl Kernel for ShapedChunk<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        self.engine.shaped_chunk(isa, self.channels, self.start, self.n, self.g, self.gain);
    }
}

/// [`process_chunk`] as a [`Kernel`].
struct GeneralChunk<'a> {
    settings: &'a Settings,
    state: &'a mut Channel,
    c: &'a Controls,
    s: &'a mut Scratch,
    block: &'a mut [f32],
}

impl Kernel for GeneralChunk<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        process_chunk(isa, self.settings, self.state, self.c, self.s, self.block);
    }
}

/// [`antialias_chunk`] as a [`Kernel`].
struct AntialiasChunk<'a> {
    settings: &'a Settings,
    state: &'a mut Channel,
    c: &'a Controls,
    gain: f32,
    s: &'a mut Scratch,
    block: &'a mut [f32],
    tail: usize,
}

impl Kernel for AntialiasChunk<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        antialias_chunk(isa, self.settings, self.state, self.c, self.gain, self.s, self.block, self.tail);
    }
}

/// [`process_chunk`] where [`Engine::antialias_path_applies`]: one chunk of one channel, in
/// place, with only `c`'s grid filled and the settled `gain`. The same operations on the same
/// values: Drive 1 multiplies by exactly 1, the hold takes every sample (so it passes the
/// signal and keeps the last), the linear curve and the absent filters pass it through,
/// Dither Off is zeros (the stream still advances), and Mix 100 % without bypass is the
/// general mix with those constants (kept as written: `dry·0` can change the sign of a zero).
/// The wet delay is fed the plain staircase of the samples from `tail` on (the general path
/// feeds each chunk's last [`LATENCY`]; the caller passes where the call's last [`LATENCY`]
/// begin in this chunk, `block.len()` if not in it, which leaves the same state). `isa` as
/// in [`process_chunk`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn antialias_chunk<I: Isa>(
    isa: I,
    settings: &Settings,
    state: &mut Channel,
    c: &Controls,
    gain: f32,
    s: &mut Scratch,
    block: &mut [f32],
    tail: usize,
) {
    let n = block.len();
    let (dry, d, wet) = (&mut s.dry[..n], &mut s.dither[..n], &mut s.wet[..n]);
    for (o, &x) in dry.iter_mut().zip(block.iter()) {
        *o = sanitize(x);
    }
    state.hold.set(dry[n - 1]);
    state.dither.rng().advance(n);
    // The plain staircase's tail keeps the wet delay current, as in `process_chunk`.
    let from = n.saturating_sub(LATENCY).max(tail);
    d[from..].fill(0.0);
    quantize_block(settings.quantizer, &dry[from..], &d[from..], &c.grid(from..n), true, &mut wet[from..]);
    state.wet_delay.feed(from, &wet[from..]);
    let y = state.oversampler.process(isa, settings.quantizer, &c.grid(0..n), true, dry);
    // The dry path, delayed in place (the undelayed copy is not needed again).
    state.dry_delay.process(dry);
    let (mix, bypass) = (1.0f32, 0.0f32);
    match settings.listen {
        Listen::Output => {
            for ((o, &w), &x) in block.iter_mut().zip(y).zip(dry.iter()) {
                let mixed = w * mix + x * (1.0 - mix);
                *o = (mixed * gain) * (1.0 - bypass) + x * bypass;
            }
        }
        Listen::Error => {
            for ((o, &w), &x) in block.iter_mut().zip(y).zip(dry.iter()) {
                let mixed = w * mix + x * (1.0 - mix);
                *o = ((mixed - x) * gain) * (1.0 - bypass) + x * bypass;
            }
        }
    }
}

/// One chunk of one channel, in place. `isa`, the build: with SSE4.1's rounding the
/// anti-alias staircase floors with it and noise shaping's two-channel loop rounds with it,
/// and in the AVX-512 build the anti-alias filters take their AVX-512 kernel
/// (`Oversampler::process`); the same output in every build.
#[inline(always)]
fn process_chunk<I: Isa>(
    isa: I,
    settings: &Settings,
    state: &mut Channel,
    c: &Controls,
    s: &mut Scratch,
    block: &mut [f32],
) {
    let n = block.len();
    let (dry, d, wet, chain) = (&mut s.dry[..n], &mut s.dither[..n], &mut s.wet[..n], &mut s.chain[..n]);
    for (o, &x) in dry.iter_mut().zip(block.iter()) {
        *o = sanitize(x);
    }

    // Drive, pre-filter, hold, compress.
    for ((o, &x), &g) in chain.iter_mut().zip(dry.iter()).zip(&c.drive[..n]) {
        *o = x * g;
    }
    let reduced = &c.reduced[..n];
    let coefficients: [&[SvfCoefficients]; SECTIONS] = std::array::from_fn(|k| &c.filter[k][..n]);
    if settings.prefilter {
        state.pre.process(coefficients, reduced, chain);
    }
    state.hold.process(&c.take[..n], chain);
    compress_block(settings.curve, chain);

    // Quantize, with dither inside the noise-shaping loop.
    state.dither.fill(settings.dither, d);
    let grid = c.grid(0..n);
    let mute_zero = settings.dither == DitherMode::Off;
    // Anti-alias acts on the plain quantizer: no dither, no shaping.
    let anti_aliased = settings.antialias && settings.dither == DitherMode::Off && settings.shaping == Shaping::Off;
    // Where it acts, the plain staircase only keeps the wet delay's state current (the last
    // LATENCY samples are all it holds), so only those are quantized.
    let from = if anti_aliased { n.saturating_sub(LATENCY) } else { 0 };
    match settings.shaping {
        Shaping::Off => {
            let tail = c.grid(from..n);
            quantize_block(settings.quantizer, &chain[from..], &d[from..], &tail, mute_zero, &mut wet[from..]);
        }
        shaping => {
            let mut lane = [Lane { state: &mut state.shaping, input: chain, dither: d, out: wet }];
            quantize_shaped(isa, settings.quantizer, shaping, &mut lane, &grid, mute_zero);
        }
    }

    // Anti-alias: the oversampled ADAA staircase where it applies, else the same delay.
    // NOTE: Both paths run while Anti-alias is on, so switching Dither or Shaping mid-stream
    //       finds each with current state.
    if anti_aliased {
        state.wet_delay.feed(from, &wet[from..]);
        let y = state.oversampler.process(isa, settings.quantizer, &grid, mute_zero, chain);
        wet.copy_from_slice(y);
    } else if settings.antialias {
        state.wet_delay.process(wet);
        state.oversampler.process(isa, settings.quantizer, &grid, mute_zero, chain);
    }

    // Expand, post-filter.
    expand_block(settings.curve, wet);
    if settings.postfilter {
        state.post.process(coefficients, reduced, wet);
    }

    // The dry path, delayed to line up with the wet one when Anti-alias adds latency.
    let delayed = &mut s.delayed[..n];
    if settings.antialias {
        delayed.copy_from_slice(dry);
        state.dry_delay.process(delayed);
    }
    let dry: &[f32] = if settings.antialias { delayed } else { dry };

    let (mix, gain, bypass) = (&c.mix[..n], &c.gain[..n], &c.bypass[..n]);
    // NOTE: `wet * m + dry * (1 - m)` (not `dry + m * (wet - dry)`) so that Mix 100 % gives
    //       exactly `wet` and Mix 0 % exactly `dry`; likewise for the bypass crossfade.
    match settings.listen {
        Listen::Output => {
            for i in 0..n {
                let mixed = wet[i] * mix[i] + dry[i] * (1.0 - mix[i]);
                block[i] = (mixed * gain[i]) * (1.0 - bypass[i]) + dry[i] * bypass[i];
            }
        }
        Listen::Error => {
            for i in 0..n {
                let mixed = wet[i] * mix[i] + dry[i] * (1.0 - mix[i]);
                block[i] = ((mixed - dry[i]) * gain[i]) * (1.0 - bypass[i]) + dry[i] * bypass[i];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

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
                Settings {
                    listen: Listen::Error,
                    quantizer: QuantizerMode::MidRise,
                    ..settings(3.0, DitherMode::Rpdf)
                },
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
        let mut data: Vec<Vec<f32>> =
            (0..channels).map(|c| sine(997.0 + 100.0 * c as f64, SR as f64, 0.8, n)).collect();
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
}

#[cfg(test)]
mod chain_tests {
    use super::*;
    use crate::test_util::*;

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
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use crate::dither::triangular;
    use crate::rng::lowbias32;
    use crate::simd::Portable;
    use crate::test_util::*;

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
                let dither =
                    if quantizer == QuantizerMode::MidRise && i == 1 { DitherMode::Off } else { DitherMode::Tpdf };
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
        script.push((
            at + 4500,
            Settings { bits: 5.0, dither: DitherMode::Tpdf, antialias: true, ..Settings::default() },
        ));
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
                Settings {
                    curve: Curve::ALaw,
                    bits: 7.0,
                    shaping: Shaping::Lipshitz5,
                    dither: DitherMode::Tpdf,
                    ..base
                },
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
}
