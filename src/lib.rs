//! Stairstep: a real-time bitcrusher for VST3 and CLAP hosts.
//!
//! The DSP lives in the `stairstep-dsp` crate (re-exported as [`dsp`]) and knows nothing about
//! plugin formats; this file adapts it to nice-plug: it reads the parameters at every
//! (sub)block boundary and hands the host's buffers to the engine in place.

use nice_plug::midi::Key;
use nice_plug::prelude::*;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub mod analysis;
/// The DSP core, its own crate (`crates/stairstep-dsp`): no nice-plug, egui or I/O in it.
pub use stairstep_dsp as dsp;
pub mod editor;
pub mod params;
pub mod preset;
pub mod render;
pub mod state;
pub mod timeline;

use analysis::{AnalysisReader, AnalysisWriter, analysis_channel};
use dsp::engine::{DEFAULT_SEED, Engine};
pub use params::StairstepParams;

/// The largest block the event queues are sized for, in samples.
pub const FLOOD_BLOCK: usize = 4096;
/// Note events a flood carries per block besides parameter changes: 128 keys on and off, with
/// a tuning expression and a pitch bend each.
pub const FLOOD_NOTES: usize = 4 * 128;
/// The wrappers' event queue size: a change of every parameter at every sample of a
/// [`FLOOD_BLOCK`], plus [`FLOOD_NOTES`].
///
/// NOTE: The queues are reserved once per instance and their pages are only touched when a
///       flood fills them (docs/BENCHMARKS.md has the resident memory measured).
pub const EVENT_CAPACITY: usize = params::IDS.len() * FLOOD_BLOCK + FLOOD_NOTES;

/// What differs between the plugin formats: one plugin, one code path, the MIDI it asks for
/// chosen per format (each export names its own).
pub trait Format: 'static + Send + Sync {
    /// The MIDI the plugin takes in this format.
    const MIDI_INPUT: MidiConfig;
}

/// The CLAP build: notes, and MIDI pitch bend through the note port (CLAP carries MIDI
/// events as events, with no stand-in parameters).
pub struct Clap;
impl Format for Clap {
    const MIDI_INPUT: MidiConfig = MidiConfig::MidiCCs;
}

/// The VST3 build: notes on the event bus, bends as note expression (tuning).
///
/// NOTE: VST3 has no MIDI pitch bend or CC events: a plugin receives them only by exposing
///       parameters the host maps them to (`IMidiMapping`); nice-plug's `MidiConfig::MidiCCs`
///       adds 16 × 130 of them, which JUCE hosts and Reaper list beside the plugin's own and
///       which made pedalboard's load take 20 s. Note expression (tuning) is VST3's own way to
///       bend a note (Cubase sends it), and needs none.
pub struct Vst3;
impl Format for Vst3 {
    const MIDI_INPUT: MidiConfig = MidiConfig::Basic;
}

/// Stairstep as its CLAP export.
pub type StairstepClap = Stairstep<Clap>;
/// Stairstep as its VST3 export.
pub type StairstepVst3 = Stairstep<Vst3>;

/// The plugin instance, for format `F`.
pub struct Stairstep<F: Format> {
    /// Parameters shared with the host and the editor.
    params: Arc<StairstepParams>,
    /// The DSP chain, rebuilt in `activate()` for the host's channel count and sample rate.
    engine: Engine,
    /// Audio-thread end of the editor's analysis data.
    analysis: AnalysisWriter,
    /// Editor end of the analysis data, handed to the editor.
    reader: Arc<Mutex<AnalysisReader>>,
    /// Number of open editor windows: analysis runs only while it is non-zero.
    editor_open: Arc<AtomicUsize>,
    /// The latency last reported to the host, in samples (for CLAP: the one `activate()`
    /// reported; a change since is pending a restart).
    reported_latency: u32,
    /// CLAP only: the latency for which `process()` last asked the host for a restart, so it
    /// asks once per change, not once per block.
    restart_requested_for: Option<u32>,
    /// The Sample Rate conversion of the last block (audio thread only).
    rate_memo: params::RateMemo,
    /// What the LFO, the follower and the notes did, for the editor.
    monitor: Arc<editor::Monitor>,
    /// The format this instance serves.
    format: PhantomData<F>,
}

impl<F: Format> Default for Stairstep<F> {
    fn default() -> Self {
        let params = Arc::new(StairstepParams::default());
        let engine = Engine::new(2, 48000.0, params.settings(), DEFAULT_SEED);
        let (analysis, reader) = analysis_channel(48000.0);
        Self {
            params,
            engine,
            analysis,
            reader: Arc::new(Mutex::new(reader)),
            editor_open: Arc::new(AtomicUsize::new(0)),
            reported_latency: 0,
            restart_requested_for: None,
            rate_memo: params::RateMemo::default(),
            monitor: Arc::new(editor::Monitor::default()),
            format: PhantomData,
        }
    }
}

impl<F: Format> Plugin for Stairstep<F> {
    const NAME: &'static str = "Stairstep";
    const VENDOR: &'static str = env!("CARGO_PKG_AUTHORS");
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "info@stairstep.audio";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    // Notes set the Sample Rate (note tracking); what carries bends depends on the format.
    const MIDI_INPUT: MidiConfig = F::MIDI_INPUT;

    // A host may send every parameter at every sample of a large block, with dense notes:
    // the wrappers' event queues are sized for that, so they never grow on the audio thread.
    const INPUT_EVENT_CAPACITY: usize = EVENT_CAPACITY;

    // Parameter changes split the host's buffer, so automation lands on its exact sample and
    // the output does not depend on the host's block size.
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = editor::StairstepEditor;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        Some(editor::StairstepEditor::new(
            self.params.clone(),
            self.reader.clone(),
            self.editor_open.clone(),
            self.monitor.clone(),
        ))
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = audio_io_layout.main_output_channels.map_or(0, NonZeroU32::get) as usize;
        // NOTE: All allocation happens here, never in `process()`.
        self.engine = Engine::new(channels, buffer_config.sample_rate, self.params.settings(), DEFAULT_SEED);
        self.analysis.set_sample_rate(buffer_config.sample_rate);
        // NOTE: For CLAP this is the one place the latency may change (`clap_host_latency.changed`
        //       is `[main-thread & being-activated]`, ext/latency.h). nice-plug 0.4.2 passes
        //       this value on when the activation ends: if it differs from the last one, it
        //       asks for one more restart and calls `changed` inside that next `activate`.
        //       Hosts thus restart twice after Anti-alias toggles, and never hear of a latency
        //       outside an activation.
        self.reported_latency = self.engine.latency() as u32;
        self.restart_requested_for = None;
        context.set_latency_samples(self.reported_latency);
        true
    }

    fn filter_state(state: &mut PluginState) {
        // Old, newer, damaged or hand-edited sessions load what can be read; the rest takes
        // defaults, and the log says what was repaired.
        for note in state::sanitize(state) {
            nice_warn!("Loading saved state: {note}");
        }
    }

    fn reset(&mut self) {
        self.engine.set_settings(self.params.settings());
        self.engine.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.engine.set_settings(self.params.settings_memo(&mut self.rate_memo));
        // Anti-alias adds latency: tell the host when it changes, the way its format allows.
        let latency = self.engine.latency() as u32;
        if latency != self.reported_latency {
            self.report_latency_change(latency, context);
        }
        let transport = context.transport();
        self.engine.set_transport(&dsp::lfo::Transport {
            playing: transport.playing,
            tempo: transport.tempo,
            beats: transport.pos_beats(),
            seconds: transport.pos_seconds(),
            time_signature: transport
                .time_sig_numerator
                .zip(transport.time_sig_denominator)
                .and_then(|(n, d)| Some((u32::try_from(n).ok()?, u32::try_from(d).ok()?))),
        });
        // The editor's scope, spectrum and meters cost nothing while no window is open.
        let editor_open = self.editor_open.load(Ordering::Relaxed) > 0;
        let channels = buffer.as_slice();
        let len = channels.first().map_or(0, |c| c.len());
        // Notes land on their sample: the block is split at each one.
        let mut done = 0;
        while let Some(event) = context.next_event() {
            let at = (event.timing() as usize).clamp(done, len);
            if at > done {
                self.process_range(channels, done..at, editor_open);
                done = at;
            }
            match event {
                NoteEvent::NoteOn { key: Key::Number(k), velocity, .. } if velocity > 0.0 => self.engine.note_on(k),
                NoteEvent::NoteOn { key: Key::Number(k), .. }
                | NoteEvent::NoteOff { key: Key::Number(k), .. }
                | NoteEvent::Choke { key: Key::Number(k), .. } => self.engine.note_off(k),
                // A wildcard key (CLAP: -1) means every key.
                NoteEvent::NoteOff { key: Key::Wildcard, .. } | NoteEvent::Choke { key: Key::Wildcard, .. } => {
                    self.engine.all_notes_off()
                }
                NoteEvent::MidiPitchBend { value, .. } => self.engine.pitch_bend(value),
                // VST3 note expression and CLAP's tuning expression, in semitones, for one key.
                NoteEvent::PolyTuning { key: Key::Number(k), tuning, .. } => self.engine.note_tuning(Some(k), tuning),
                NoteEvent::PolyTuning { key: Key::Wildcard, tuning, .. } => self.engine.note_tuning(None, tuning),
                // All Sound Off (120) and All Notes Off (123).
                NoteEvent::MidiCC { cc: 120 | 123, .. } => self.engine.all_notes_off(),
                _ => {}
            }
        }
        self.process_range(channels, done..len, editor_open);
        if editor_open {
            self.monitor.store(self.engine.monitor());
        }
        ProcessStatus::Normal
    }
}

impl<F: Format> Stairstep<F> {
    /// Process the samples of every channel in `range`.
    fn process_range(&mut self, channels: &mut [&mut [f32]], range: std::ops::Range<usize>, editor_open: bool) {
        if range.is_empty() {
            return;
        }
        // NOTE: At most two channels (the layouts are mono and stereo): the parts live on the
        //       stack, nothing is allocated.
        let mut parts: [&mut [f32]; 2] = [&mut [], &mut []];
        let k = channels.len().min(parts.len());
        for (part, channel) in parts.iter_mut().zip(channels.iter_mut()) {
            *part = &mut channel[range.clone()];
        }
        let tap: Option<&mut dyn dsp::engine::Tap> = if editor_open { Some(&mut self.analysis) } else { None };
        self.engine.process_tapped(&mut parts[..k], tap);
    }

    /// Tell the host that the latency is now `latency` samples, from `process()`.
    ///
    /// VST3 allows `restartComponent(kLatencyChanged)` at any time, and nice-plug sends it from
    /// the GUI thread. CLAP allows a latency change only inside `activate()`: nice-plug 0.4.2's
    /// `set_latency_samples` from the audio thread queues a main-thread task that calls
    /// `clap_host_latency::changed` at once if the host has deactivated the plugin by the time
    /// the task runs (a host often stops right after a parameter change), outside any
    /// activation. So under CLAP `process()` only asks for a restart (`request_restart` is
    /// `[thread-safe]`, host.h), and `activate()` reports the latency of the parameters then in
    /// force (tests/clap_strict_host.rs holds this against a host that fails on any forbidden
    /// call).
    fn report_latency_change(&mut self, latency: u32, context: &mut impl ProcessContext<Self>) {
        match context.plugin_api() {
            PluginApi::Clap => {
                if self.restart_requested_for != Some(latency) {
                    context.request_restart();
                    self.restart_requested_for = Some(latency);
                }
            }
            PluginApi::Vst3 | PluginApi::Standalone => {
                context.set_latency_samples(latency);
                self.reported_latency = latency;
            }
        }
    }
}

impl<F: Format> ClapPlugin for Stairstep<F> {
    const CLAP_ID: &'static str = "audio.stairstep.stairstep";
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Distortion, ClapFeature::Stereo, ClapFeature::Mono];

    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        /// Puts a parameter of any kind in the next slot.
        struct Slot<'a, P>(&'a mut P);
        impl<P: RemoteControlsPage> params::Visit for Slot<'_, P> {
            type Output = ();
            fn number(self, param: &FloatParam) {
                self.0.add_param(param)
            }
            fn choice<T: Enum + PartialEq + 'static>(self, param: &EnumParam<T>) {
                self.0.add_param(param)
            }
            fn switch(self, param: &BoolParam) {
                self.0.add_param(param)
            }
        }
        context.add_section("Stairstep", |section| {
            for (name, which) in [("Crush", params::Page::Crush), ("Movement", params::Page::Movement)] {
                section.add_page(name, |page| {
                    for id in params::remote_page(which) {
                        self.params.visit(id, Slot(&mut *page));
                    }
                });
            }
        });
    }
}

impl<F: Format> Vst3Plugin for Stairstep<F> {
    const VST3_CLASS_ID: [u8; 16] = *b"StairstepCrush01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Distortion];
}

nice_export_clap!(StairstepClap);
nice_export_vst3!(StairstepVst3);
