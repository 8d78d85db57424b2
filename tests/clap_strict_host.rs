//! A strict CLAP host (clack-host) that holds Stairstep to the thread and lifecycle rules of
//! the CLAP headers, and fails on any call they forbid.
//!
//! The host knows which thread is its main thread and which are audio threads (it answers the
//! `thread-check` extension from that knowledge), and in which lifecycle state the plugin is:
//! deactivated, activating (inside `clap_plugin.activate`), active, processing (between
//! `start_processing` and `stop_processing`) or deactivating. Every callback the plugin makes
//! is checked against its rule (CLAP 1.2 headers):
//!
//! | callback | rule |
//! |---|---|
//! | `clap_host_latency.changed` | `[main-thread & being-activated]` (ext/latency.h) |
//! | `clap_host_params.rescan` | `[main-thread]`; `CLAP_PARAM_RESCAN_ALL` only while deactivated (ext/params.h) |
//! | `clap_host_params.clear` | `[main-thread]` |
//! | `clap_host_params.request_flush` | `[thread-safe, !audio-thread]` |
//! | `clap_host_state.mark_dirty` | `[main-thread]` (ext/state.h) |
//! | `clap_host.request_restart`, `request_process`, `request_callback` | `[thread-safe]` (host.h): recorded, and honoured later on the main thread |
//!
//! The host keeps its own side of the contract (activate, deactivate, state and GUI calls on the
//! main thread; start/stop processing and process on an audio thread, only while active; the
//! main-thread callback only after `request_callback`), so a violation is the plugin's.
//!
//! A seeded script drives it: parameter events in blocks of random length (Anti-alias toggled
//! often, Bit Depth moved), deactivation and activation at random points, main-thread idle
//! calls, honoured restart requests, state saves and loads, and (with an X server) the editor
//! opened and closed. At random points the host settles (honours restarts until the plugin
//! asks for none) and checks that the latency it was told equals the latency of the sound:
//! 34 samples with Anti-alias, 0 without, measured by cross-correlating noise in and out.
//!
//! `STAIRSTEP_STRICT_SEED` and `STAIRSTEP_STRICT_STEPS` replay or lengthen a script.

use clack_extensions::gui::{
    GuiApiType, GuiConfiguration, GuiSize, HostGui, HostGuiImpl, PluginGui, Window as GuiWindow,
};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

mod common;
use common::{bundle, load, param_id, process_stereo_events, required};

const SAMPLE_RATE: f64 = 48000.0;
const MAX_BLOCK: usize = 512;
/// Stairstep's latency with Anti-alias on, in samples (the two half-band stages).
const ANTIALIAS_LATENCY: u32 = 34;

/// Which of the host's threads the current thread is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Main,
    Audio,
    Other,
}

thread_local! {
    static ROLE: Cell<Role> = const { Cell::new(Role::Other) };
}

fn role() -> Role {
    ROLE.with(Cell::get)
}

/// The plugin's lifecycle state, as the host has driven it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    Deactivated,
    Activating,
    Active,
    Processing,
    Deactivating,
}

impl Phase {
    fn from_u8(v: u8) -> Self {
        [Self::Deactivated, Self::Activating, Self::Active, Self::Processing, Self::Deactivating][v as usize]
    }
}

/// What the host shares between its threads: the lifecycle state, the plugin's requests and
/// the violations seen.
struct Strict {
    phase: AtomicU8,
    restart_requested: AtomicBool,
    callback_requested: AtomicBool,
    flush_requested: AtomicBool,
    /// `clap_host_latency.changed` was called since the host last read the latency.
    latency_changed: AtomicBool,
    /// How often each callback came, for the report: restart, callback, latency changed, rescan.
    counts: [AtomicUsize; 4],
    violations: Mutex<Vec<String>>,
}

impl Strict {
    fn new() -> Self {
        Self {
            phase: AtomicU8::new(Phase::Deactivated as u8),
            restart_requested: AtomicBool::new(false),
            callback_requested: AtomicBool::new(false),
            flush_requested: AtomicBool::new(false),
            latency_changed: AtomicBool::new(false),
            counts: Default::default(),
            violations: Mutex::new(Vec::new()),
        }
    }

    fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::SeqCst))
    }

    fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::SeqCst);
    }

    /// Record a forbidden call, with the thread and the state it came in.
    fn forbid(&self, call: &str, rule: &str) {
        let what = format!("{call} on the {:?} thread while {:?}: the rule is {rule}", role(), self.phase());
        self.violations.lock().unwrap().push(what);
    }

    fn require_main(&self, call: &str) {
        if role() != Role::Main {
            self.forbid(call, "[main-thread]");
        }
    }
}

impl SharedHandler<'_> for Strict {
    fn request_restart(&self) {
        // [thread-safe]: allowed anywhere; the host honours it later on its main thread.
        self.counts[0].fetch_add(1, Ordering::Relaxed);
        self.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.counts[1].fetch_add(1, Ordering::Relaxed);
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostThreadCheckImpl for Strict {
    fn is_main_thread(&self) -> bool {
        role() == Role::Main
    }
    fn is_audio_thread(&self) -> bool {
        role() == Role::Audio
    }
}

impl HostParamsImplShared for Strict {
    fn request_flush(&self) {
        if role() == Role::Audio {
            self.forbid("clap_host_params.request_flush", "[thread-safe, !audio-thread]");
        }
        self.flush_requested.store(true, Ordering::SeqCst);
    }
}

/// The host side of the GUI extension: every call is `[thread-safe]`; the editor is embedded,
/// so the `!floating` calls are allowed too.
impl HostGuiImpl for Strict {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

/// The host's main-thread side.
struct Main<'a> {
    shared: &'a Strict,
}

impl<'a> MainThreadHandler<'a> for Main<'a> {}

impl HostLatencyImpl for Main<'_> {
    fn changed(&self) {
        let s = self.shared;
        s.counts[2].fetch_add(1, Ordering::Relaxed);
        if role() != Role::Main || s.phase() != Phase::Activating {
            s.forbid("clap_host_latency.changed", "[main-thread & being-activated]");
        }
        s.latency_changed.store(true, Ordering::SeqCst);
    }
}

impl HostParamsImplMainThread for Main<'_> {
    fn rescan(&self, flags: ParamRescanFlags) {
        let s = self.shared;
        s.counts[3].fetch_add(1, Ordering::Relaxed);
        s.require_main("clap_host_params.rescan");
        if flags.requires_restart() && s.phase() != Phase::Deactivated {
            s.forbid("clap_host_params.rescan(CLAP_PARAM_RESCAN_ALL)", "only while deactivated");
        }
    }
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {
        self.shared.require_main("clap_host_params.clear");
    }
}

impl HostStateImpl for Main<'_> {
    fn mark_dirty(&self) {
        self.shared.require_main("clap_host_state.mark_dirty");
    }
}

struct StrictHost;
impl HostHandlers for StrictHost {
    type Shared<'a> = Strict;
    type MainThread<'a> = Main<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLatency>()
            .register::<HostThreadCheck>()
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostGui>();
    }
}

/// SplitMix64: the script's random numbers, reproducible from the seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    /// Uniform in [-1, 1).
    fn signal(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u32 << 23) as f32) - 1.0
    }
}

/// The audio side as the host holds it between calls.
enum Audio {
    Off,
    Stopped(StoppedPluginAudioProcessor<StrictHost>),
    Started(StartedPluginAudioProcessor<StrictHost>),
}

/// The embedded editor's parent window (an X11 window of the host's).
struct Parent {
    _x11: x11rb::rust_connection::RustConnection,
    window: u32,
}

fn parent_window() -> Option<Parent> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};
    let (x11, screen_num) = x11rb::connect(None).ok()?;
    let screen = &x11.setup().roots[screen_num];
    let window = x11.generate_id().ok()?;
    x11.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        window,
        screen.root,
        0,
        0,
        1000,
        700,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new().background_pixel(screen.black_pixel),
    )
    .ok()?;
    x11.map_window(window).ok()?;
    x11.flush().ok()?;
    Some(Parent { _x11: x11, window })
}

/// The host: one plugin instance and what the host knows about it.
struct Session<'e> {
    instance: PluginInstance<StrictHost>,
    audio: Audio,
    rng: Rng,
    /// The Anti-alias value the host last sent or loaded.
    antialias: bool,
    /// The latency the host has read from the plugin (after activation or `changed`).
    host_latency: Option<u32>,
    /// Saved states, each with the Anti-alias value it holds.
    states: Vec<(Vec<u8>, bool)>,
    /// The editor's parent window, when the script opens the editor.
    parent: Option<&'e Parent>,
    gui_open: bool,
    /// The last actions, for the failure report.
    log: VecDeque<String>,
    restarts: usize,
    settles: usize,
    blocks: usize,
    _entry: &'e PluginEntry,
}

impl<'e> Session<'e> {
    fn new(entry: &'e PluginEntry, seed: u64, parent: Option<&'e Parent>) -> Self {
        let host_info = HostInfo::new("stairstep-strict", "Stairstep", "https://stairstep.audio", "0.1").unwrap();
        let factory = entry.get_plugin_factory().expect("plugin factory");
        let id = factory.plugin_descriptors().next().expect("one plugin").id().expect("an id").to_owned();
        let instance =
            PluginInstance::<StrictHost>::new(|_| Strict::new(), |shared| Main { shared }, entry, &id, &host_info)
                .expect("instance");
        Self {
            instance,
            audio: Audio::Off,
            rng: Rng(seed),
            antialias: false,
            host_latency: None,
            states: Vec::new(),
            parent,
            gui_open: false,
            log: VecDeque::new(),
            restarts: 0,
            settles: 0,
            blocks: 0,
            _entry: entry,
        }
    }

    fn shared(&self) -> &Strict {
        shared(&self.instance)
    }

    fn note(&mut self, what: String) {
        if self.log.len() == 24 {
            self.log.pop_front();
        }
        self.log.push_back(what);
    }

    /// Fail with the violations and the actions that led to them.
    fn check(&self, step: usize) {
        let violations = self.shared().violations.lock().unwrap().clone();
        assert!(
            violations.is_empty(),
            "step {step}: forbidden calls:\n  {}\nlast actions:\n  {}",
            violations.join("\n  "),
            self.log.iter().cloned().collect::<Vec<_>>().join("\n  ")
        );
    }

    fn activate(&mut self) {
        assert!(matches!(self.audio, Audio::Off));
        let shared = self.shared();
        // A restart requested before this activation is served by it; one requested during it
        // is not, and stays pending.
        shared.restart_requested.store(false, Ordering::SeqCst);
        shared.set_phase(Phase::Activating);
        let config = PluginAudioConfiguration {
            sample_rate: SAMPLE_RATE,
            min_frames_count: 1,
            max_frames_count: MAX_BLOCK as u32,
        };
        let processor = self.instance.activate(|_, _| (), config).expect("activate");
        self.shared().set_phase(Phase::Active);
        // A host reads the latency after the first activation, and after `changed`.
        if self.host_latency.is_none() || self.shared().latency_changed.swap(false, Ordering::SeqCst) {
            let latency: PluginLatency = self.instance.plugin_handle().get_extension().expect("latency extension");
            self.host_latency = Some(latency.get(&self.instance.plugin_handle()));
        }
        self.audio = Audio::Stopped(processor);
        self.note("activate".into());
    }

    fn deactivate(&mut self) {
        self.stop_processing();
        let Audio::Stopped(processor) = std::mem::replace(&mut self.audio, Audio::Off) else {
            return;
        };
        self.shared().set_phase(Phase::Deactivating);
        self.instance.deactivate(processor);
        self.shared().set_phase(Phase::Deactivated);
        self.note("deactivate".into());
    }

    fn restart(&mut self) {
        self.deactivate();
        self.activate();
        self.restarts += 1;
    }

    /// Run `f` with the audio processor on a fresh audio thread, started.
    fn on_audio_thread(
        &mut self,
        stop_after: bool,
        f: impl FnOnce(&mut StartedPluginAudioProcessor<StrictHost>) + Send,
    ) {
        let audio = std::mem::replace(&mut self.audio, Audio::Off);
        let shared = shared(&self.instance);
        self.audio = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    ROLE.with(|r| r.set(Role::Audio));
                    let mut started = match audio {
                        Audio::Stopped(p) => {
                            let started = p.start_processing().expect("start_processing");
                            shared.set_phase(Phase::Processing);
                            started
                        }
                        Audio::Started(p) => p,
                        Audio::Off => unreachable!("processing while deactivated"),
                    };
                    f(&mut started);
                    if stop_after {
                        let stopped = started.stop_processing();
                        shared.set_phase(Phase::Active);
                        Audio::Stopped(stopped)
                    } else {
                        Audio::Started(started)
                    }
                })
                .join()
                .expect("audio thread")
        });
    }

    fn stop_processing(&mut self) {
        if matches!(self.audio, Audio::Started(_)) {
            self.on_audio_thread(true, |_| {});
        }
    }

    /// A few blocks of random length with Anti-alias toggles and Bit Depth moves in them.
    fn process_blocks(&mut self) {
        let mut script = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let len = 1 + self.rng.below(MAX_BLOCK as u64) as usize;
            let mut events = Vec::new();
            if self.rng.chance(0.5) {
                self.antialias = !self.antialias;
                let at = self.rng.below(len as u64) as u32;
                events.push(ParamValueEvent::new(
                    at,
                    param_id("antialias"),
                    Pckn::match_all(),
                    self.antialias as u8 as f64,
                ));
            }
            if self.rng.chance(0.3) {
                let at = self.rng.below(len as u64) as u32;
                let bits = self.rng.below(1001) as f64 / 1000.0;
                events.push(ParamValueEvent::new(at, param_id("bits"), Pckn::match_all(), bits));
            }
            events.sort_by_key(|e| e.header().time());
            let input: Vec<f32> = (0..len).map(|_| 0.5 * self.rng.signal()).collect();
            script.push((input, events));
        }
        let stop_after = self.rng.chance(0.15);
        let lens: Vec<usize> = script.iter().map(|(i, _)| i.len()).collect();
        self.on_audio_thread(stop_after, move |p| {
            for (input, events) in script {
                run_block(p, &input, &events);
            }
        });
        self.blocks += lens.len();
        self.note(format!(
            "process {lens:?} (Anti-alias now {}){}",
            self.antialias,
            if stop_after { ", stop" } else { "" }
        ));
    }

    /// The main-thread idle call: the host runs the plugin's main-thread callback if asked.
    fn idle(&mut self) {
        if self.shared().callback_requested.swap(false, Ordering::SeqCst) {
            self.instance.call_on_main_thread_callback();
            self.note("on_main_thread".into());
        }
    }

    fn save_state(&mut self) {
        let state: PluginState = self.instance.plugin_handle().get_extension().expect("state extension");
        let mut bytes = Vec::new();
        state.save(&self.instance.plugin_handle(), &mut bytes).expect("save");
        if self.states.len() == 4 {
            self.states.remove(0);
        }
        self.states.push((bytes, self.antialias));
        self.note(format!("save state (Anti-alias {})", self.antialias));
    }

    fn load_state(&mut self) {
        if self.states.is_empty() {
            return;
        }
        let (bytes, antialias) = self.states[self.rng.below(self.states.len() as u64) as usize].clone();
        let state: PluginState = self.instance.plugin_handle().get_extension().expect("state extension");
        state.load(&self.instance.plugin_handle(), &mut &bytes[..]).expect("load");
        self.antialias = antialias;
        self.note(format!("load state (Anti-alias {antialias})"));
    }

    fn toggle_gui(&mut self) {
        let Some(parent) = self.parent else { return };
        let gui: PluginGui = self.instance.plugin_handle().get_extension().expect("Stairstep has a GUI");
        let config = GuiConfiguration { api_type: GuiApiType::X11, is_floating: false };
        let handle = self.instance.plugin_handle();
        if self.gui_open {
            gui.hide(&handle).expect("hide");
            gui.destroy(&handle);
        } else {
            gui.create(&handle, config).expect("create the editor");
            // SAFETY: the parent window outlives the editor: the session destroys the editor
            // before the test drops `Parent`.
            unsafe { gui.set_parent(&handle, GuiWindow::from_x11_handle(parent.window as _)) }.expect("set_parent");
            gui.show(&handle).expect("show");
        }
        self.gui_open = !self.gui_open;
        self.note(format!("editor {}", if self.gui_open { "opened" } else { "closed" }));
    }

    /// Serve the plugin until it asks for nothing more, then check that the latency the host
    /// was told is the plugin's latency, and the latency of its sound.
    fn settle(&mut self, step: usize) {
        self.note("settle".into());
        for round in 0.. {
            assert!(round < 6, "step {step}: the plugin still asks for restarts after {round} of them");
            if matches!(self.audio, Audio::Off) {
                self.activate();
            }
            // One block, so the plugin sees the parameters it was sent.
            self.on_audio_thread(false, |p| {
                run_block(p, &[0.0; 64], &[]);
            });
            self.idle();
            self.check(step);
            if self.shared().restart_requested.load(Ordering::SeqCst) {
                self.restart();
                self.check(step);
            } else {
                break;
            }
        }
        let want = if self.antialias { ANTIALIAS_LATENCY } else { 0 };
        assert_eq!(self.host_latency, Some(want), "step {step}: the host was told the wrong latency");

        // The sound: noise at 24 bits, cross-correlated with the input.
        let n = 4096;
        let input: Vec<f32> = (0..n).map(|_| 0.5 * self.rng.signal()).collect();
        let bits = [ParamValueEvent::new(0, param_id("bits"), Pckn::match_all(), 1.0)];
        let mut output = vec![0.0f32; n];
        let (inp, out) = (&input, &mut output);
        self.on_audio_thread(false, move |p| {
            for (k, (i, o)) in inp.chunks(MAX_BLOCK).zip(out.chunks_mut(MAX_BLOCK)).enumerate() {
                let events: &[ParamValueEvent] = if k == 0 { &bits } else { &[] };
                o.copy_from_slice(&run_block(p, i, events));
            }
        });
        let lag = (0..=64)
            .max_by(|&a, &b| {
                let c = |lag: usize| (n / 2..n).map(|t| input[t - lag] as f64 * output[t] as f64).sum::<f64>();
                c(a).total_cmp(&c(b))
            })
            .unwrap();
        assert_eq!(lag as u32, want, "step {step}: the sound is {lag} samples late, the host was told {want}");
        self.settles += 1;
    }

    /// One step of the script.
    fn step(&mut self, step: usize) {
        let active = !matches!(self.audio, Audio::Off);
        let dice = self.rng.below(1000);
        match dice {
            _ if self.parent.is_some() && dice < 6 => self.toggle_gui(),
            _ if !active && dice < 500 => self.activate(),
            0..450 if active => self.process_blocks(),
            0..650 => self.idle(),
            650..750 => {
                if self.shared().restart_requested.load(Ordering::SeqCst) && active {
                    self.restart();
                }
            }
            750..820 => self.deactivate(),
            820..870 => self.save_state(),
            870..920 => self.load_state(),
            920..950 => self.settle(step),
            _ => self.idle(),
        }
        self.check(step);
    }

    fn finish(&mut self, steps: usize) {
        self.settle(steps);
        if self.gui_open {
            self.toggle_gui();
        }
        self.deactivate();
        self.check(steps);
        let s = self.shared();
        let c = |i: usize| s.counts[i].load(Ordering::Relaxed);
        eprintln!(
            "{steps} steps: {} blocks, {} restarts honoured, {} settle checks; the plugin asked for {} restarts \
             and {} main-thread callbacks, reported {} latency changes and {} parameter rescans",
            self.blocks,
            self.restarts,
            self.settles,
            c(0),
            c(1),
            c(2),
            c(3)
        );
    }
}

/// The host's shared handler, which lives as long as the instance.
fn shared(instance: &PluginInstance<StrictHost>) -> &Strict {
    instance.access_shared_handler(|s| s)
}

/// One stereo block (the same input on both channels); returns the left output.
fn run_block(p: &mut StartedPluginAudioProcessor<StrictHost>, input: &[f32], events: &[ParamValueEvent]) -> Vec<f32> {
    let mut l = input.to_vec();
    let mut r = input.to_vec();
    let mut ol = vec![0.0f32; input.len()];
    let mut or = vec![0.0f32; input.len()];
    process_stereo_events(p, [&mut l, &mut r], [&mut ol, &mut or], &InputEvents::from_buffer(&events.to_vec()), None);
    assert!(ol.iter().chain(&or).all(|v| v.is_finite()), "non-finite output");
    ol
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn run_script(entry: &PluginEntry, parent: Option<&Parent>, seed: u64, steps: usize) {
    ROLE.with(|r| r.set(Role::Main));
    let mut session = Session::new(entry, seed, parent);
    for step in 0..steps {
        session.step(step);
    }
    session.finish(steps);
}

/// The seeded script, 10,000 steps, on the debug bundle (allocations in `process()` abort).
#[test]
fn a_strict_host_sees_no_forbidden_call_while_antialias_toggles() {
    let Some(path) = bundle(true) else { return };
    let entry = load(&path);
    let seed = env_or("STAIRSTEP_STRICT_SEED", 0x5eed_0023);
    run_script(&entry, None, seed, env_or("STAIRSTEP_STRICT_STEPS", 10_000) as usize);
}

/// The same host with the editor opened and closed between the steps (needs an X server).
#[test]
fn a_strict_host_sees_no_forbidden_call_with_the_editor_opening_and_closing() {
    let Some(path) = bundle(true) else { return };
    let Some(parent) = parent_window() else {
        assert!(!required(), "no X server: set DISPLAY (scripts/test.sh starts Xvfb)");
        eprintln!("skipping: no X server");
        return;
    };
    let entry = load(&path);
    let seed = env_or("STAIRSTEP_STRICT_SEED", 0x5eed_0023) ^ 0x6u64;
    run_script(&entry, Some(&parent), seed, 2_000);
}
