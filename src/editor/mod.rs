//! Stairstep's window: Bit Depth at hand, every other parameter one click away, and the error
//! signal (what the crushing adds) as a triggered scope, a spectrum against its theoretical
//! floor, and numbers.
//!
//! Drawing lives in plain functions of `(ui, params, setter, model)` with no window type in
//! their signatures, so `egui_kittest` drives them headlessly in the tests and the preview
//! binary shows them in a plain window.

use nice_plug::context::gui::{GuiContext, GuiContextInner};
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{EditorHandle, HostMethods, SizeConstraints, SpawnedEditor};
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{
    EguiEditorHandle, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier, create_egui_editor,
};
use nice_plug_egui::{Frame, baseview};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::error::Error;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::analysis::{AnalysisReader, ErrorBlock, SCOPE_LEN, SPECTRUM_LEN, ScopeFrame, empty_scope};
use crate::dsp::{self, Curve, DitherMode, Shaping};
use crate::params::{DEFAULT_SIZE, EditorSize, MAX_SIZE, MIN_SIZE, StairstepParams, Visit};
use crate::preset::{self, Preset};

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};

mod controls;
mod plots;
mod presets;
mod window;

use controls::{bits_control, control, control_sized, movement_readout};
use plots::{draw_scope, draw_spectrum};
pub use plots::{theory_bin_power, theory_bin_power_shaped};
use presets::preset_menu;
pub use presets::{PresetMenu, load_preset};
pub use window::{DirectGuiContext, EditorApp, StairstepEditor, StairstepEditorHandle, window_settings};

/// Bit Depth change per pixel dragged, in bits (Shift: a tenth of it).
const DRAG_BITS_PER_PIXEL: f32 = 0.02;
/// Bit Depth change per pixel of mouse-wheel scroll, in bits (a notch is about 50 px).
const WHEEL_BITS_PER_PIXEL: f32 = 0.005;

const BACKGROUND: Color32 = Color32::from_rgb(24, 26, 30);
const PANEL: Color32 = Color32::from_rgb(34, 37, 43);
const GRID: Color32 = Color32::from_rgb(56, 60, 68);
const GRID_STRONG: Color32 = Color32::from_rgb(90, 96, 108);
const ACCENT: Color32 = Color32::from_rgb(255, 170, 60);
const INPUT_COLOR: Color32 = Color32::from_rgb(110, 170, 255);
const OUTPUT_COLOR: Color32 = Color32::from_rgb(140, 220, 140);
const THEORY_COLOR: Color32 = Color32::from_rgb(230, 90, 200);

/// Display state kept on the editor's thread.
pub struct EditorModel {
    /// The newest scope capture.
    pub scope: ScopeFrame,
    /// Averaged error power per FFT bin (one-sided, bins sum to the mean power).
    pub spectrum: Vec<f32>,
    /// Sample rate, step, dither, shaping and curve of the newest error block.
    pub spectrum_meta: Option<(f32, f32, DitherMode, Shaping, Curve)>,
    /// Mean square error, from the meters.
    pub error_power: f32,
    /// Mean square dry signal, from the meters.
    pub signal_power: f32,
    /// Draw the dry input in the scope.
    pub show_input: bool,
    /// Draw the output in the scope.
    pub show_output: bool,
    /// Text in the Bit Depth entry field while it is being edited.
    pub bits_text: Option<String>,
    /// FFT of `SPECTRUM_LEN` points.
    fft: Arc<dyn Fft<f32>>,
    /// Hann window.
    window: Vec<f32>,
    /// FFT work buffer.
    buffer: Vec<Complex<f32>>,
    /// Last error block serial taken.
    last_block: u32,
    /// The preset menu's state.
    pub presets: PresetMenu,
    /// Which controls show below Bit Depth.
    pub page: Page,
    /// What the modulation did at the end of the last block.
    pub monitor: dsp::engine::Monitor,
}

impl Default for EditorModel {
    fn default() -> Self {
        Self::new()
    }
}

impl EditorModel {
    /// An empty model. Allocates (editor thread only).
    pub fn new() -> Self {
        let n = SPECTRUM_LEN;
        Self {
            scope: empty_scope(),
            spectrum: vec![0.0; n / 2 + 1],
            spectrum_meta: None,
            error_power: 0.0,
            signal_power: 0.0,
            show_input: true,
            show_output: true,
            bits_text: None,
            fft: FftPlanner::new().plan_fft_forward(n),
            window: (0..n).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos()).collect(),
            buffer: vec![Complex::new(0.0, 0.0); n],
            last_block: 0,
            presets: PresetMenu::new(),
            page: Page::Crush,
            monitor: Default::default(),
        }
    }

    /// Take whatever the audio thread has published since the last frame.
    pub fn update(&mut self, reader: &mut AnalysisReader) {
        if reader.scope.update() {
            self.scope.clone_from(reader.scope.output_buffer());
        }
        if reader.spectrum.update() {
            self.ingest_block(reader.spectrum.output_buffer());
        }
        self.set_meters(
            reader.meters.error_power.load(Ordering::Relaxed),
            reader.meters.signal_power.load(Ordering::Relaxed),
        );
    }

    /// Set the meter values (mean squares, full scale = 1).
    pub fn set_meters(&mut self, error_power: f32, signal_power: f32) {
        self.error_power = error_power;
        self.signal_power = signal_power;
    }

    /// Add one error block to the averaged spectrum.
    pub fn ingest_block(&mut self, block: &ErrorBlock) {
        if block.serial == self.last_block || block.error.len() != SPECTRUM_LEN {
            return;
        }
        let first = self.last_block == 0;
        self.last_block = block.serial;
        let n = SPECTRUM_LEN;
        for (i, b) in self.buffer.iter_mut().enumerate() {
            *b = Complex::new(block.error[i] * self.window[i], 0.0);
        }
        self.fft.process(&mut self.buffer);
        let wpow: f32 = self.window.iter().map(|w| w * w).sum();
        // Exponential average over blocks (about 0.6 s at 48 kHz).
        let alpha = if first { 1.0 } else { 0.15 };
        for (k, s) in self.spectrum.iter_mut().enumerate() {
            let mag = self.buffer[k].norm_sqr() / (wpow * n as f32);
            let p = if k == 0 || k == n / 2 { mag } else { 2.0 * mag };
            *s += alpha * (p - *s);
        }
        self.spectrum_meta = Some((block.sample_rate, block.step, block.dither, block.shaping, block.curve));
    }

    /// Error RMS in dBFS (AES17: a full-scale sine reads 0 dBFS), SNR in dB and effective
    /// bits, `None` where undefined (no error, or no signal).
    pub fn readouts(&self) -> Readouts {
        let error_dbfs = (self.error_power > 0.0).then(|| 10.0 * self.error_power.log10() + 3.0103);
        let snr_db = (self.error_power > 0.0 && self.signal_power > 0.0)
            .then(|| 10.0 * (self.signal_power / self.error_power).log10());
        Readouts { error_dbfs, snr_db, enob: snr_db.map(|s| (s - 1.7609) / 6.0206) }
    }
}

/// Numbers shown above the scope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Readouts {
    /// Error RMS in dBFS.
    pub error_dbfs: Option<f32>,
    /// Signal-to-error ratio in dB.
    pub snr_db: Option<f32>,
    /// (SNR - 1.76) / 6.02.
    pub enob: Option<f32>,
}

impl Readouts {
    /// The three readouts as the window prints them.
    pub fn texts(&self) -> [String; 3] {
        let fmt = |v: Option<f32>, unit: &str| v.map_or("—".to_string(), |v| format!("{v:.1} {unit}"));
        [
            format!("Error RMS {}", fmt(self.error_dbfs, "dBFS")),
            format!("SNR {}", fmt(self.snr_db, "dB")),
            format!("ENOB {}", self.enob.map_or("—".to_string(), |v| format!("{v:.2} bits"))),
        ]
    }
}

/// The whole window.
pub fn draw(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, model: &mut EditorModel) {
    let rect = ui.max_rect();
    ui.painter().rect_filled(rect, 0.0, BACKGROUND);
    ui.spacing_mut().item_spacing = Vec2::new(8.0, 8.0);

    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("STAIRSTEP").size(22.0).strong().color(ACCENT));
        ui.label(egui::RichText::new(format!("v{}", env!("CARGO_PKG_VERSION"))).weak());
        ui.add_space(16.0);
        preset_menu(ui, params, setter, &mut model.presets);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            control(ui, params, setter, "bypass");
        });
    });

    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(270.0);
            bits_control(ui, params, setter, model);
            movement_readout(ui, model);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut model.page, Page::Crush, "Crush")
                    .on_hover_text("Bit depth, noise, rate and output.");
                ui.selectable_value(&mut model.page, Page::Movement, "Movement")
                    .on_hover_text("The LFO, the envelope follower and note-tracked Sample Rate.");
            });
            // NOTE: The rows scroll when the window is too short for them (a page may hold more
            //       rows than the smallest window fits; each parameter is a row of the table).
            egui::ScrollArea::vertical().id_salt("control-rows").auto_shrink([false, true]).max_height(ui.available_height()).show(ui, |ui| {
                egui::Grid::new("controls").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
                    for (label, ids) in crate::params::rows(model.page) {
                        ui.label(label);
                        let width = if ids.len() > 1 { 100.0 } else { 150.0 };
                        ui.horizontal(|ui| ids.iter().for_each(|id| control_sized(ui, params, setter, id, width)));
                        ui.end_row();
                    }
                });
            });
        });

        ui.vertical(|ui| {
            let readouts = model.readouts().texts();
            ui.horizontal(|ui| {
                let tips = [
                    "RMS of the error (crushed minus dry) over the last 100 ms; a full-scale sine reads 0 dBFS.",
                    "Signal-to-noise ratio: dry signal power over error power. A full-scale sine gives 6.02·bits + 1.76 dB without dither.",
                    "Effective number of bits: (SNR - 1.76) / 6.02.",
                ];
                for (text, tip) in readouts.iter().zip(tips) {
                    ui.label(egui::RichText::new(text).monospace().size(15.0)).on_hover_text(tip);
                    ui.add_space(12.0);
                }
            });
            ui.horizontal(|ui| {
                ui.checkbox(&mut model.show_input, egui::RichText::new("Input").color(INPUT_COLOR))
                    .on_hover_text("Draw the dry input in the scope (scaled to fit).");
                ui.checkbox(&mut model.show_output, egui::RichText::new("Output").color(OUTPUT_COLOR))
                    .on_hover_text("Draw the output in the scope (scaled like the input): the staircase.");
                ui.label(egui::RichText::new("Error").color(ACCENT)).on_hover_text(
                    "Crushed minus dry, in steps (LSB) of the current bit depth; one grid line per step.",
                );
            });
            let avail = ui.available_size();
            let scope_h = (avail.y * 0.5).max(120.0);
            let (scope_rect, _) = ui.allocate_exact_size(Vec2::new(avail.x, scope_h), Sense::hover());
            draw_scope(ui, scope_rect, model);
            let avail = ui.available_size();
            let (spec_rect, _) = ui.allocate_exact_size(Vec2::new(avail.x, avail.y.max(120.0)), Sense::hover());
            draw_spectrum(ui, spec_rect, model);
        });
    });
}

/// What the LFO, the follower and the notes did at the end of the last block, shared by the
/// audio thread (which writes it only while a window is open) and the editor.
#[derive(Debug)]
pub struct Monitor {
    /// Modulated bit depth, NaN when not modulated.
    bits: AtomicF32,
    /// Modulated or note-tracked Sample Rate in Hz, NaN when neither.
    rate: AtomicF32,
    /// The held note, -1 when none.
    note: AtomicI32,
}

impl Default for Monitor {
    fn default() -> Self {
        Self { bits: AtomicF32::new(f32::NAN), rate: AtomicF32::new(f32::NAN), note: AtomicI32::new(-1) }
    }
}

impl Monitor {
    /// Publish `m` (audio thread: three relaxed stores).
    pub fn store(&self, m: dsp::engine::Monitor) {
        self.bits.store(m.bits.unwrap_or(f32::NAN), Ordering::Relaxed);
        self.rate.store(m.rate.unwrap_or(f32::NAN), Ordering::Relaxed);
        self.note.store(m.note.map_or(-1, i32::from), Ordering::Relaxed);
    }

    /// The latest published values.
    pub fn load(&self) -> dsp::engine::Monitor {
        let some = |v: f32| (!v.is_nan()).then_some(v);
        dsp::engine::Monitor {
            bits: some(self.bits.load(Ordering::Relaxed)),
            rate: some(self.rate.load(Ordering::Relaxed)),
            note: u8::try_from(self.note.load(Ordering::Relaxed)).ok(),
        }
    }
}

/// A MIDI note's name ("A3"; note 60 is C4).
pub fn note_name(note: u8) -> String {
    const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
    format!("{}{}", NAMES[note as usize % 12], note as i32 / 12 - 1)
}

/// The two pages of controls below Bit Depth; their rows come from the parameter table
/// ([`crate::params::rows`]).
pub use crate::params::Page;
