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

/// The preset menu: factory presets, the user's own, and saving the current settings.
pub struct PresetMenu {
    /// Name of the preset last loaded or saved, shown on the menu button.
    pub current: Option<String>,
    /// Text of the save-as field.
    pub save_name: String,
    /// Where user presets are saved (per-user data folder); an error where none is known.
    pub user_dir: Result<PathBuf, String>,
    /// The last load or save outcome, shown beside the menu.
    pub status: Option<String>,
    /// The factory presets, parsed once.
    factory: Vec<Preset>,
    /// The user's presets, rescanned each time the menu opens.
    user: Vec<(PathBuf, Result<Preset, String>)>,
    /// The name the user was asked about replacing (a second Save click replaces it).
    confirm_replace: Option<String>,
    /// Whether the menu was open last frame.
    was_open: bool,
}

impl PresetMenu {
    /// The factory presets and this machine's user preset folder.
    pub fn new() -> Self {
        Self::with_user_dir(preset::user_preset_dir())
    }

    /// As [`PresetMenu::new`] with another user folder (the tests use a temporary one).
    pub fn with_user_dir(user_dir: Result<PathBuf, String>) -> Self {
        Self {
            current: None,
            save_name: String::new(),
            user_dir,
            status: None,
            factory: preset::factory(),
            user: Vec::new(),
            confirm_replace: None,
            was_open: false,
        }
    }
}

impl Default for PresetMenu {
    fn default() -> Self {
        Self::new()
    }
}

/// Load `preset` as a user would expect a host to record it: every parameter set through the
/// host (begin, set, end), so undo and automation writing see the change.
pub fn load_preset(preset: &Preset, params: &StairstepParams, setter: &ParamSetter) -> Result<(), String> {
    let values = preset.normalized_values()?;
    let map = params.param_map();
    for (id, normalized) in values {
        if let Some((_, ptr, _)) = map.iter().find(|(i, _, _)| *i == id) {
            // SAFETY: `ptr` points into `params`, which outlives this call.
            unsafe {
                setter.raw_context.raw_begin_set_parameter(*ptr);
                setter.raw_context.raw_set_parameter_normalized(*ptr, normalized);
                setter.raw_context.raw_end_set_parameter(*ptr);
            }
        }
    }
    Ok(())
}

/// The preset menu button and its status line.
fn preset_menu(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, menu: &mut PresetMenu) {
    let label = format!("Preset: {}", menu.current.as_deref().unwrap_or("none"));
    // NOTE: Clicks inside keep the menu open (Save shows its outcome there); loading a preset
    //       closes it explicitly.
    let config =
        egui::containers::menu::MenuConfig::new().close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    let (_, inner) = egui::containers::menu::MenuButton::new(label).config(config).ui(ui, |ui| {
        if !menu.was_open {
            menu.user = menu.user_dir.as_ref().map(|d| preset::list_presets(d)).unwrap_or_default();
        }
        let mut chosen: Option<Preset> = None;
        ui.label(egui::RichText::new("Factory").strong());
        for p in &menu.factory {
            if ui.button(&p.name).on_hover_text(&p.description).clicked() {
                chosen = Some(p.clone());
            }
        }
        ui.separator();
        ui.label(egui::RichText::new("User").strong());
        if menu.user.is_empty() {
            ui.label(egui::RichText::new("none saved yet").weak());
        }
        for (path, p) in &menu.user {
            match p {
                Ok(p) => {
                    if ui.button(&p.name).on_hover_text(format!("{}\n{}", p.description, path.display())).clicked() {
                        chosen = Some(p.clone());
                    }
                }
                Err(e) => {
                    let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                    ui.add_enabled(false, egui::Button::new(name)).on_disabled_hover_text(e);
                }
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let label = ui.label("Name");
            ui.add(egui::TextEdit::singleline(&mut menu.save_name).desired_width(140.0))
                .labelled_by(label.id)
                .on_hover_text("Name for the current settings");
            let save = ui.button("Save").on_hover_text("Save the current settings as a user preset");
            if save.clicked() {
                save_current(params, menu);
            }
        });
        match &menu.user_dir {
            Ok(dir) => ui.label(egui::RichText::new(dir.display().to_string()).weak().small()),
            Err(e) => ui.label(egui::RichText::new(format!("No user preset folder: {e}")).weak().small()),
        };
        if let Some(preset) = chosen {
            match load_preset(&preset, params, setter) {
                Ok(()) => {
                    menu.status = None;
                    menu.current = Some(preset.name.clone());
                }
                Err(e) => menu.status = Some(format!("Cannot load '{}': {e}", preset.name)),
            }
            ui.close();
        }
    });
    menu.was_open = inner.is_some();
    if let Some(status) = &menu.status {
        ui.label(egui::RichText::new(status).weak());
    }
}

/// Save the current settings under the name typed; asks (by a second click) before replacing.
fn save_current(params: &StairstepParams, menu: &mut PresetMenu) {
    let name = menu.save_name.trim().to_string();
    if name.is_empty() {
        menu.status = Some("Type a name for the preset first".into());
        return;
    }
    let dir = match &menu.user_dir {
        Ok(dir) => dir.clone(),
        Err(e) => {
            menu.status = Some(format!("Cannot save: {e}"));
            return;
        }
    };
    let exists = dir.join(preset::file_name_for(&name)).exists();
    if exists && menu.confirm_replace.as_deref() != Some(name.as_str()) {
        menu.status = Some(format!("'{name}' exists: click Save again to replace it"));
        menu.confirm_replace = Some(name);
        return;
    }
    menu.confirm_replace = None;
    let preset = Preset::capture(params, &name, "User preset");
    match preset::save_preset(&dir, &preset) {
        Ok(path) => {
            menu.status = Some(format!("Saved {}", path.display()));
            menu.current = Some(name);
            menu.user = preset::list_presets(&dir);
        }
        Err(e) => menu.status = Some(format!("Cannot save: {e}")),
    }
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

/// Theoretical error power in one FFT bin at `freq` Hz for step Δ, the dither and the noise
/// shaping in force: Δ²/12 undithered, Δ²/6 RPDF, Δ²/4 TPDF, Δ²/12·(1 + 4·sin²(πf/fs)) for
/// high-pass TPDF, times |1 - H(e^jω)|² with shaping, spread over the one-sided bins.
pub fn theory_bin_power_shaped(step: f32, dither: DitherMode, shaping: Shaping, freq: f32, sample_rate: f32) -> f32 {
    theory_bin_power(step, dither, freq, sample_rate) * shaping.power_gain(freq, sample_rate)
}

/// [`theory_bin_power_shaped`] without shaping.
pub fn theory_bin_power(step: f32, dither: DitherMode, freq: f32, sample_rate: f32) -> f32 {
    let q = step * step / 12.0;
    let density = match dither {
        DitherMode::Off => q,
        DitherMode::Rpdf => 2.0 * q,
        DitherMode::Tpdf => 3.0 * q,
        DitherMode::HighPassTpdf => q * (1.0 + 4.0 * (std::f32::consts::PI * freq / sample_rate).sin().powi(2)),
    };
    density * 2.0 / SPECTRUM_LEN as f32
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

/// What the modulation does now: the bit depth and Sample Rate it sets and the note held.
fn movement_readout(ui: &mut egui::Ui, model: &EditorModel) {
    let m = model.monitor;
    let text = if m == dsp::engine::Monitor::default() {
        "movement: none".to_string()
    } else {
        let bits = m.bits.map_or_else(|| "-".to_string(), |b| format!("{b:.2} bits"));
        let rate = m.rate.map_or_else(|| "-".to_string(), |r| format!("{r:.0} Hz"));
        let note = m.note.map_or_else(|| "-".to_string(), note_name);
        format!("now: {bits} · {rate} · note {note}")
    };
    ui.label(egui::RichText::new(text).monospace().color(ACCENT)).on_hover_text(
        "What the LFO, the follower and the held note set at this moment (\"-\": the knob's value). \
             Bit Depth's gauge shows the moving depth as a thin line.",
    );
}

/// Bit Depth: drag (Shift for fine), double-click to reset, mouse wheel, typed entry below.
fn bits_control(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, model: &mut EditorModel) {
    let param = &params.bits;
    let (rect, response) = ui.allocate_exact_size(Vec2::new(270.0, 130.0), Sense::click_and_drag());
    // Named for screen readers (and the UI tests, which find widgets through AccessKit).
    response.widget_info(|| egui::WidgetInfo::slider(true, param.value() as f64, "Bit Depth"));
    let response = response.on_hover_text(params.tooltip("bits"));
    let fine = ui.input(|i| i.modifiers.shift);
    let value = param.unmodulated_plain_value();
    let set = |v: f32| setter.set_parameter(param, v.clamp(1.0, 24.0));

    if response.drag_started() {
        setter.begin_set_parameter(param);
    }
    if response.dragged() {
        let d = response.drag_delta();
        let per_px = if fine { DRAG_BITS_PER_PIXEL / 10.0 } else { DRAG_BITS_PER_PIXEL };
        set(value + (d.x - d.y) * per_px);
    }
    if response.drag_stopped() {
        setter.end_set_parameter(param);
    }
    if response.double_clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, param.default_plain_value());
        setter.end_set_parameter(param);
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            let per_px = if fine { WHEEL_BITS_PER_PIXEL / 10.0 } else { WHEEL_BITS_PER_PIXEL };
            setter.begin_set_parameter(param);
            set(value + scroll * per_px);
            setter.end_set_parameter(param);
        }
    }

    // Paint: a staircase of the current depth behind the number.
    let painter = ui.painter_at(rect);
    let active = response.hovered() || response.dragged();
    painter.rect_filled(rect, 8.0, PANEL);
    painter.rect_stroke(rect, 8.0, Stroke::new(if active { 2.0 } else { 1.0 }, ACCENT), egui::StrokeKind::Inside);
    let bits = param.value();
    let levels = 2f32.powf(bits).min(64.0);
    let inner = rect.shrink(14.0);
    let steps = levels.max(2.0) as usize;
    let mut points = Vec::with_capacity(2 * steps);
    for s in 0..steps {
        let y = inner.bottom() - inner.height() * s as f32 / (steps - 1).max(1) as f32;
        let x0 = inner.left() + inner.width() * s as f32 / steps as f32;
        let x1 = inner.left() + inner.width() * (s + 1) as f32 / steps as f32;
        points.push(Pos2::new(x0, y));
        points.push(Pos2::new(x1, y));
    }
    painter.add(egui::Shape::line(points, Stroke::new(2.0, ACCENT.gamma_multiply(0.35))));
    // The modulated depth, moving: a gauge along the bottom edge (1 to 24 bits).
    if let Some(moving) = model.monitor.bits {
        let x = |b: f32| inner.left() + inner.width() * ((b - 1.0) / 23.0).clamp(0.0, 1.0);
        let y = rect.bottom() - 6.0;
        painter.line_segment([Pos2::new(inner.left(), y), Pos2::new(x(moving), y)], Stroke::new(3.0, ACCENT));
        painter.circle_filled(Pos2::new(x(bits), y), 3.0, Color32::WHITE);
    }
    painter.text(
        rect.center() - Vec2::new(0.0, 10.0),
        Align2::CENTER_CENTER,
        format!("{bits:.2}"),
        FontId::proportional(48.0),
        Color32::WHITE,
    );
    painter.text(
        rect.center() + Vec2::new(0.0, 32.0),
        Align2::CENTER_CENTER,
        "BIT DEPTH (bits)",
        FontId::proportional(13.0),
        ACCENT,
    );

    // Typed entry.
    ui.horizontal(|ui| {
        ui.label("Type:");
        let mut text = model.bits_text.clone().unwrap_or_else(|| format!("{:.2}", param.unmodulated_plain_value()));
        let edit = ui.add(egui::TextEdit::singleline(&mut text).desired_width(80.0).id_salt("bits-entry"));
        let edit =
            edit.on_hover_text("Type a bit depth from 1 to 24 (for example 6, 12.5 or \"8 bits\") and press Enter.");
        if edit.has_focus() || edit.changed() {
            model.bits_text = Some(text.clone());
        }
        let commit = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if commit {
            if let Some(normalized) = param.string_to_normalized_value(&text) {
                setter.begin_set_parameter(param);
                setter.set_parameter_normalized(param, normalized);
                setter.end_set_parameter(param);
            }
            model.bits_text = None;
        } else if edit.lost_focus() {
            model.bits_text = None;
        }
        ui.label("bits");
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

/// The control for parameter `id`, of its kind: a slider, a combo box (a row of buttons for two
/// choices) or a toggle, with the table's tooltip. Every change is one begin, set, end.
fn control(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, id: &str) {
    control_sized(ui, params, setter, id, 150.0);
}

/// [`control`] with sliders and combo boxes `width` points wide (two share a row at 100).
fn control_sized(ui: &mut egui::Ui, params: &StairstepParams, setter: &ParamSetter, id: &str, width: f32) {
    params.visit(id, Control { ui, setter, id, tip: params.tooltip(id), width });
}

/// [`control`]'s widget for one parameter.
struct Control<'a> {
    ui: &'a mut egui::Ui,
    setter: &'a ParamSetter<'a>,
    id: &'a str,
    tip: &'static str,
    /// Width of a slider or combo box, points.
    width: f32,
}

impl Visit for Control<'_> {
    type Output = ();

    fn number(self, param: &FloatParam) {
        self.ui.add(ParamSlider::for_param(param, self.setter).with_width(self.width)).on_hover_text(self.tip);
    }

    fn choice<T: Enum + PartialEq + 'static>(self, param: &EnumParam<T>) {
        let current = param.value().to_index();
        let mut chosen = None;
        let mut option = |ui: &mut egui::Ui, i: usize, name: &str| {
            if ui.selectable_label(i == current, name).on_hover_text(self.tip).clicked() && i != current {
                chosen = Some(i);
            }
        };
        if T::variants().len() == 2 {
            T::variants().iter().enumerate().for_each(|(i, name)| option(self.ui, i, name));
        } else {
            egui::ComboBox::from_id_salt(self.id)
                .selected_text(T::variants()[current])
                .width(self.width)
                .show_ui(self.ui, |ui| T::variants().iter().enumerate().for_each(|(i, name)| option(ui, i, name)))
                .response
                .on_hover_text(self.tip);
        }
        if let Some(i) = chosen {
            self.setter.begin_set_parameter(param);
            self.setter.set_parameter(param, T::from_index(i));
            self.setter.end_set_parameter(param);
        }
    }

    fn switch(self, param: &BoolParam) {
        let mut on = param.value();
        if self.ui.toggle_value(&mut on, param.name()).on_hover_text(self.tip).clicked() {
            self.setter.begin_set_parameter(param);
            self.setter.set_parameter(param, on);
            self.setter.end_set_parameter(param);
        }
    }
}

/// Map `v` in [lo, hi] to [a, b].
fn map(v: f32, lo: f32, hi: f32, a: f32, b: f32) -> f32 {
    a + (v - lo) / (hi - lo) * (b - a)
}

/// The error in LSB with a grid line per step; input and output scaled to fit behind it.
fn draw_scope(ui: &egui::Ui, rect: Rect, model: &EditorModel) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, PANEL);
    let frame = &model.scope;
    let step = if frame.step > 0.0 { frame.step } else { 1.0 };
    let peak_lsb = frame.error.iter().fold(0.0f32, |m, e| m.max((e / step).abs()));
    // At least ±2 steps, at most ±16 (beyond that the error is not quantization error).
    let range = (peak_lsb.ceil() + 0.5).clamp(2.0, 16.0);
    let y_of = |lsb: f32| map(lsb, -range, range, rect.bottom() - 6.0, rect.top() + 6.0);
    let x_of = |i: usize| map(i as f32, 0.0, (SCOPE_LEN - 1) as f32, rect.left() + 40.0, rect.right() - 6.0);
    let r = range.floor() as i32;
    for k in -r..=r {
        let y = y_of(k as f32);
        let color = if k == 0 { GRID_STRONG } else { GRID };
        painter.line_segment(
            [Pos2::new(rect.left() + 40.0, y), Pos2::new(rect.right() - 6.0, y)],
            Stroke::new(1.0, color),
        );
        if r <= 8 || k % 2 == 0 {
            painter.text(
                Pos2::new(rect.left() + 34.0, y),
                Align2::RIGHT_CENTER,
                format!("{k}"),
                FontId::monospace(10.0),
                GRID_STRONG,
            );
        }
    }
    painter.text(rect.left_top() + Vec2::new(4.0, 2.0), Align2::LEFT_TOP, "LSB", FontId::monospace(10.0), ACCENT);
    if !frame.triggered {
        painter.text(
            rect.right_top() + Vec2::new(-8.0, 4.0),
            Align2::RIGHT_TOP,
            "free-running",
            FontId::monospace(10.0),
            GRID_STRONG,
        );
    }

    let full = frame.input.iter().chain(&frame.output).fold(0.0f32, |m, v| m.max(v.abs())).max(1e-9);
    let scaled = |v: f32| y_of(v / full * range * 0.9);
    let trace = |data: &[f32], f: &dyn Fn(f32) -> f32, color: Color32, width: f32| {
        let points: Vec<Pos2> = data.iter().enumerate().map(|(i, &v)| Pos2::new(x_of(i), f(v))).collect();
        painter.add(egui::Shape::line(points, Stroke::new(width, color)));
    };
    if model.show_input {
        trace(&frame.input, &scaled, INPUT_COLOR.gamma_multiply(0.7), 1.0);
    }
    if model.show_output {
        trace(&frame.output, &scaled, OUTPUT_COLOR.gamma_multiply(0.8), 1.0);
    }
    trace(&frame.error, &|e| y_of(e / step), ACCENT, 1.5);
}

/// The averaged error spectrum on a log frequency axis, with the theoretical floor.
fn draw_spectrum(ui: &egui::Ui, rect: Rect, model: &EditorModel) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, PANEL);
    let Some((sample_rate, step, dither, shaping, curve)) = model.spectrum_meta else {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "waiting for audio",
            FontId::proportional(14.0),
            GRID_STRONG,
        );
        return;
    };
    let nyquist = sample_rate / 2.0;
    let (f_lo, f_hi) = (20.0f32, nyquist.max(40.0));
    let plot = Rect::from_min_max(rect.min + Vec2::new(44.0, 8.0), rect.max - Vec2::new(8.0, 20.0));
    let x_of = |f: f32| map(f.max(f_lo).log10(), f_lo.log10(), f_hi.log10(), plot.left(), plot.right());
    let bin_hz = sample_rate / SPECTRUM_LEN as f32;
    let db = |p: f32| 10.0 * p.max(1e-30).log10();
    let theory = |f: f32| theory_bin_power_shaped(step, dither, shaping, f, sample_rate);
    let theory_mid = db(theory(1000.0));
    let measured_max = model.spectrum.iter().skip(1).fold(f32::MIN, |m, &p| m.max(db(p)));
    let top = ((measured_max.max(theory_mid + 20.0) + 10.0) / 10.0).ceil() * 10.0;
    let bottom = top - 100.0;
    let y_of = |d: f32| map(d.clamp(bottom, top), bottom, top, plot.bottom(), plot.top());

    for d in (0..=10).map(|i| bottom + 10.0 * i as f32) {
        let y = y_of(d);
        painter.line_segment([Pos2::new(plot.left(), y), Pos2::new(plot.right(), y)], Stroke::new(1.0, GRID));
        if (d as i32) % 20 == 0 {
            painter.text(
                Pos2::new(plot.left() - 4.0, y),
                Align2::RIGHT_CENTER,
                format!("{d:.0}"),
                FontId::monospace(10.0),
                GRID_STRONG,
            );
        }
    }
    for f in [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0] {
        if f >= f_hi {
            continue;
        }
        let x = x_of(f);
        painter.line_segment([Pos2::new(x, plot.top()), Pos2::new(x, plot.bottom())], Stroke::new(1.0, GRID));
        let label = if f >= 1000.0 { format!("{}k", f / 1000.0) } else { format!("{f}") };
        painter.text(
            Pos2::new(x, plot.bottom() + 3.0),
            Align2::CENTER_TOP,
            label,
            FontId::monospace(10.0),
            GRID_STRONG,
        );
    }
    painter.text(rect.left_top() + Vec2::new(4.0, 2.0), Align2::LEFT_TOP, "dB/bin", FontId::monospace(10.0), ACCENT);

    let measured: Vec<Pos2> = model
        .spectrum
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(k, _)| *k as f32 * bin_hz >= f_lo)
        .map(|(k, &p)| Pos2::new(x_of(k as f32 * bin_hz), y_of(db(p))))
        .collect();
    painter.add(egui::Shape::line(measured, Stroke::new(1.2, ACCENT)));
    // NOTE: With a companding curve the steps are not uniform and no such floor exists.
    if curve != Curve::Linear {
        painter.text(
            plot.right_top() + Vec2::new(-4.0, 2.0),
            Align2::RIGHT_TOP,
            "no uniform-step theory with a companding curve",
            FontId::monospace(11.0),
            THEORY_COLOR,
        );
        return;
    }
    let line: Vec<Pos2> = (0..=200)
        .map(|i| f_lo * (f_hi / f_lo).powf(i as f32 / 200.0))
        .map(|f| Pos2::new(x_of(f), y_of(db(theory(f)))))
        .collect();
    painter.add(egui::Shape::line(line, Stroke::new(2.0, THEORY_COLOR)));
    let base = match dither {
        DitherMode::Off => "Δ²/12",
        DitherMode::Rpdf => "Δ²/6",
        DitherMode::Tpdf => "Δ²/4",
        DitherMode::HighPassTpdf => "Δ²/12·(1 + 4 sin²(πf/fs))",
    };
    let label =
        if shaping == Shaping::Off { format!("theory: {base}") } else { format!("theory: {base} · |1 - H|²") };
    painter.text(
        plot.right_top() + Vec2::new(-4.0, 2.0),
        Align2::RIGHT_TOP,
        label,
        FontId::monospace(11.0),
        THEORY_COLOR,
    );
}

/// The egui app behind one open window.
pub struct EditorApp {
    /// Parameters shared with the plugin.
    params: Arc<StairstepParams>,
    /// Analysis data from the audio thread (locked by the editor thread only).
    reader: Arc<Mutex<AnalysisReader>>,
    /// Display state.
    model: EditorModel,
    /// What the modulation does, from the audio thread.
    monitor: Arc<Monitor>,
    /// The host's context, from `build()`.
    gui_context: Option<GuiContext>,
}

impl EditorApp {
    /// An app for `params`, reading analysis data from `reader` and the modulation from
    /// `monitor`.
    pub fn new(params: Arc<StairstepParams>, reader: Arc<Mutex<AnalysisReader>>, monitor: Arc<Monitor>) -> Self {
        Self { params, reader, model: EditorModel::new(), monitor, gui_context: None }
    }

    /// Show `page` of controls below Bit Depth.
    pub fn show_page(&mut self, page: Page) {
        self.model.page = page;
    }

    /// One frame: take new analysis data, draw, ask for the next frame.
    pub fn frame(&mut self, ui: &mut egui::Ui, context: &GuiContext) {
        if let Ok(mut reader) = self.reader.lock() {
            self.model.update(&mut reader);
        }
        self.model.monitor = self.monitor.load();
        let setter = context.param_setter();
        draw(ui, &self.params, &setter, &mut self.model);
        ui.ctx().request_repaint_after(Duration::from_millis(33));
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        _ctx: egui::Context,
        gui_context: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), baseview::HandlerError> {
        self.gui_context = Some(gui_context);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        if let Some(context) = self.gui_context.clone() {
            egui::CentralPanel::default().show(ui, |ui| self.frame(ui, &context));
        }
    }

    fn resized(&mut self, size: baseview::WindowSize) {
        let s = EditorSize { width: size.logical.width.round() as u32, height: size.logical.height.round() as u32 };
        if let Ok(mut saved) = self.params.editor_size.write() {
            *saved = s;
        }
    }
}

/// The plugin's editor: a fresh egui window at the saved size each time the host opens it.
pub struct StairstepEditor {
    /// Parameters (and the saved window size).
    params: Arc<StairstepParams>,
    /// Analysis data from the audio thread.
    reader: Arc<Mutex<AnalysisReader>>,
    /// Number of open windows; the audio thread feeds the analysis only while it is non-zero.
    open: Arc<AtomicUsize>,
    /// What the modulation does, from the audio thread.
    monitor: Arc<Monitor>,
}

impl StairstepEditor {
    /// An editor for `params`; `open` counts open windows.
    pub fn new(
        params: Arc<StairstepParams>,
        reader: Arc<Mutex<AnalysisReader>>,
        open: Arc<AtomicUsize>,
        monitor: Arc<Monitor>,
    ) -> Self {
        Self { params, reader, open, monitor }
    }

    fn saved_size(&self) -> EditorSize {
        self.params.editor_size.read().map(|s| *s).unwrap_or(DEFAULT_SIZE).clamped()
    }
}

/// Handle to an open window; closing it (dropping the handle) counts the window as closed.
pub struct StairstepEditorHandle {
    /// nice-plug-egui's handle.
    inner: EguiEditorHandle,
    /// Shared open-window count.
    open: Arc<AtomicUsize>,
}

impl Drop for StairstepEditorHandle {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl EditorHandle for StairstepEditorHandle {
    type Window = baseview::Window;
    type Error = baseview::Error;

    fn run_until_closed(window: Self::Window) -> Result<(), Self::Error> {
        EguiEditorHandle::run_until_closed(window)
    }
    fn set_parent(&self, parent: ParentWindowHandle, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_parent(parent, window)
    }
    fn show(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.show(window)
    }
    fn hide(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.hide(window)
    }
    fn set_size(&self, new_size: NativeSize<u32>, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_size(new_size, window)
    }
    fn host_main_thread_callback(&self, window: &Self::Window) {
        self.inner.host_main_thread_callback(window)
    }
    fn adjust_size(&self, new_size: NativeSize<u32>, window: &Self::Window) -> Option<NativeSize<u32>> {
        self.inner.adjust_size(new_size, window)
    }
    fn set_fallback_scale_factor(&self, scale_factor: f64, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_fallback_scale_factor(scale_factor, window)
    }
    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value)
    }
    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset)
    }
}

/// Window settings shared by the plugin editor and the preview.
pub fn window_settings() -> EguiNiceSettings {
    let mut hint = ResizeHint::resizable();
    hint.size_constraints = SizeConstraints::Logical {
        min_size: Some(LogicalSize::new(MIN_SIZE.width as f32, MIN_SIZE.height as f32)),
        max_size: Some(LogicalSize::new(MAX_SIZE.width as f32, MAX_SIZE.height as f32)),
    };
    EguiNiceSettings::new().with_tile("Stairstep").with_resize_hint(hint)
}

impl Editor for StairstepEditor {
    type Handle = StairstepEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        let size = self.saved_size();
        let state = EguiEditorState::from_size(LogicalSize::new(size.width as f64, size.height as f64), 1.0);
        let app = EditorApp::new(self.params.clone(), self.reader.clone(), self.monitor.clone());
        let editor = create_egui_editor(state, RepaintNotifier::new(), window_settings(), app)
            .ok_or("nice-plug-egui could not create the editor")?;
        let spawned = editor.spawn(parent, wait_for_parent, fallback_scale_factor, gui_context, host)?;
        self.open.fetch_add(1, Ordering::AcqRel);
        Ok(SpawnedEditor {
            handle: StairstepEditorHandle { inner: spawned.handle, open: self.open.clone() },
            window: spawned.window,
        })
    }

    fn size(&self) -> NativeSize<u32> {
        let size = self.saved_size();
        NativeSize::from_size(Size::Logical(LogicalSize::new(size.width as f64, size.height as f64)), 1.0)
    }

    fn resize_hint(&self) -> ResizeHint {
        window_settings().resize_hint
    }

    unsafe fn assume_standalone_in_process(&self) {
        // SAFETY: Same contract as `Editor::assume_standalone_in_process()`: only called by
        //         the standalone wrapper, which owns the process.
        unsafe { baseview::assume_standalone_in_process() };
    }
}

/// A [`GuiContextInner`] that applies parameter changes directly, as a host would after the
/// user moves a control. Used by the preview window and the UI tests; the plugin itself gets
/// the host's context.
pub struct DirectGuiContext {
    /// Every `(begin, set, end)` call, in order, for tests: `("set", normalized)` etc.
    pub log: Mutex<Vec<(String, &'static str, f32)>>,
}

impl Default for DirectGuiContext {
    fn default() -> Self {
        Self { log: Mutex::new(Vec::new()) }
    }
}

impl GuiContextInner for DirectGuiContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Standalone
    }
    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        // SAFETY: The caller hands a pointer to a live parameter (this trait's contract), and
        //         the name is copied before returning.
        let name = unsafe { param.name() }.to_string();
        self.log.lock().unwrap().push((name, "begin", 0.0));
    }
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: The pointer comes from a live parameter struct owned by the caller.
        unsafe { param._internal_set_normalized_value(normalized) };
        // SAFETY: As above: a live parameter; the name is copied before returning.
        let name = unsafe { param.name() }.to_string();
        self.log.lock().unwrap().push((name, "set", normalized));
    }
    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        // SAFETY: As in `raw_begin_set_parameter`: a live parameter, its name copied.
        let name = unsafe { param.name() }.to_string();
        self.log.lock().unwrap().push((name, "end", 0.0));
    }
    fn get_state(&self) -> PluginState {
        PluginState { version: String::new(), params: Default::default(), fields: Default::default() }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}
