//! `stairstep-preview`: Stairstep's real editor in a plain window, with a known test signal
//! running through the real DSP in a background thread. Used for screenshots
//! (`cargo xtask screenshot`) and to try the interface without a host.
//!
//! Usage: `stairstep-preview [--bits B] [--dither off|rpdf|tpdf|hp-tpdf] [--freq HZ]
//! [--close-after SECONDS] [--movement]`; `--movement` shows the Movement page with a 1/4 LFO
//! of ±3 bits at 120 BPM and A3 held at Harmonic 8, so its readout moves.

use nice_plug::context::gui::GuiContext;
use nice_plug_egui::{EguiWindow, EguiWindowSettings, baseview};
use stairstep::analysis::analysis_channel;
use stairstep::dsp::engine::{DEFAULT_SEED, Engine};
use stairstep::dsp::lfo::Transport;
use stairstep::editor::{DirectGuiContext, EditorApp, Monitor, Page};
use stairstep::params::{DEFAULT_SIZE, DitherParam, StairstepParams};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SR: f32 = 48000.0;
const BLOCK: usize = 512;

struct Options {
    bits: f32,
    dither: DitherParam,
    freq: f32,
    close_after: Option<f32>,
    movement: bool,
}

fn parse() -> Result<Options, String> {
    let mut o = Options { bits: 5.0, dither: DitherParam::Off, freq: 220.0, close_after: None, movement: false };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--bits" => o.bits = value()?.parse().map_err(|_| "--bits takes a number from 1 to 24")?,
            "--freq" => o.freq = value()?.parse().map_err(|_| "--freq takes a frequency in Hz")?,
            "--movement" => o.movement = true,
            "--close-after" => o.close_after = Some(value()?.parse().map_err(|_| "--close-after takes seconds")?),
            "--dither" => {
                o.dither = match value()?.as_str() {
                    "off" => DitherParam::Off,
                    "rpdf" => DitherParam::Rpdf,
                    "tpdf" => DitherParam::Tpdf,
                    "hp-tpdf" => DitherParam::HighPassTpdf,
                    other => {
                        return Err(format!("unknown dither '{other}' (off, rpdf, tpdf, hp-tpdf)"));
                    }
                }
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if !(1.0..=24.0).contains(&o.bits) {
        return Err("--bits takes a number from 1 to 24".into());
    }
    Ok(o)
}

struct PreviewApp {
    app: EditorApp,
    context: GuiContext,
    started: Instant,
    close_after: Option<f32>,
}

impl nice_plug_egui::App for PreviewApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        egui::CentralPanel::default().show(ui, |ui| self.app.frame(ui, &self.context));
        if self.close_after.is_some_and(|s| self.started.elapsed().as_secs_f32() > s) {
            // NOTE: baseview has no close call for a window's own app; the audio thread
            //       holds nothing that needs flushing.
            std::process::exit(0);
        }
    }
}

fn main() {
    let options = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("stairstep-preview: {e}");
            std::process::exit(2);
        }
    };
    let params = Arc::new(StairstepParams::default());
    let direct = Arc::new(DirectGuiContext::default());
    let context = GuiContext::new(direct.clone());
    {
        let setter = context.param_setter();
        setter.set_parameter(&params.bits, options.bits);
        setter.set_parameter(&params.dither, options.dither);
        if options.movement {
            setter.set_parameter(&params.lfo_bits, 3.0);
            setter.set_parameter(&params.harmonic, 8.0);
        }
    }
    let monitor = Arc::new(Monitor::default());

    // The audio thread: a sine through the real engine, at about real time.
    let (mut writer, reader) = analysis_channel(SR);
    let running = Arc::new(AtomicBool::new(true));
    let audio = {
        let params = params.clone();
        let running = running.clone();
        let freq = options.freq;
        let monitor = monitor.clone();
        let movement = options.movement;
        std::thread::spawn(move || {
            let mut engine = Engine::new(1, SR, params.settings(), DEFAULT_SEED);
            if movement {
                engine.note_on(57);
            }
            let mut buf = vec![0.0f32; BLOCK];
            let mut n = 0u64;
            let start = Instant::now();
            while running.load(Ordering::Relaxed) {
                for v in buf.iter_mut() {
                    *v = 0.8 * (2.0 * std::f64::consts::PI * freq as f64 * n as f64 / SR as f64).sin() as f32;
                    n += 1;
                }
                engine.set_settings(params.settings());
                let beats = n as f64 / SR as f64 * 2.0;
                engine.set_transport(&Transport {
                    playing: true,
                    tempo: Some(120.0),
                    beats: Some(beats),
                    seconds: Some(beats / 2.0),
                    time_signature: Some((4, 4)),
                });
                engine.process_tapped(&mut [&mut buf], Some(&mut writer));
                monitor.store(engine.monitor());
                let due = Duration::from_secs_f64(n as f64 / SR as f64);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        })
    };

    // SAFETY: This binary owns the process (it is not a plugin loaded into a host).
    unsafe { baseview::assume_standalone_in_process() };
    let mut editor = EditorApp::new(params.clone(), Arc::new(Mutex::new(reader)), monitor);
    if options.movement {
        editor.show_page(Page::Movement);
    }
    let app = PreviewApp { app: editor, context, started: Instant::now(), close_after: options.close_after };
    let settings = EguiWindowSettings::new()
        .with_title("Stairstep preview")
        .with_size(baseview::dpi::LogicalSize::new(DEFAULT_SIZE.width as f64, DEFAULT_SIZE.height as f64));
    let result = EguiWindow::create(settings, app).and_then(|w| w.run_until_closed());
    running.store(false, Ordering::Relaxed);
    let _ = audio.join();
    if let Err(e) = result {
        eprintln!("stairstep-preview: cannot open a window: {e}");
        std::process::exit(1);
    }
}
