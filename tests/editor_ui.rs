//! The editor driven headlessly with egui_kittest: real widgets, the real `ParamSetter`
//! (over a context that applies values as a host would), and real analysis data from the DSP.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT, Queryable};
use nice_plug::context::gui::GuiContext;
use stairstep::analysis::analysis_channel;
use stairstep::dsp::Curve;
use stairstep::dsp::engine::{DEFAULT_SEED, Engine};
use stairstep::editor::{DirectGuiContext, EditorModel, Page, PresetMenu, draw};
use stairstep::params::ParamValue;
use stairstep::params::{DitherParam, IDS, QuantizerParam, StairstepParams};
use std::sync::Arc;

struct Ui {
    params: Arc<StairstepParams>,
    direct: Arc<DirectGuiContext>,
    context: GuiContext,
    model: EditorModel,
}

fn harness() -> Harness<'static, Ui> {
    let direct = Arc::new(DirectGuiContext::default());
    let state = Ui {
        params: Arc::new(StairstepParams::default()),
        context: GuiContext::new(direct.clone()),
        direct,
        model: EditorModel::new(),
    };
    let mut h = Harness::builder()
        .with_size(egui::Vec2::new(960.0, 620.0))
        // A 60 Hz frame clock, so two clicks can fall within egui's double-click time.
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(
            |ui, s: &mut Ui| {
                let setter = s.context.param_setter();
                draw(ui, &s.params, &setter, &mut s.model);
            },
            state,
        );
    h.run_steps(2);
    h
}

/// The calls the editor made for one parameter, as ("begin" | "set" | "end", value).
fn calls(h: &Harness<'static, Ui>, name: &str) -> Vec<(&'static str, f32)> {
    let log = h.state().direct.log.lock().unwrap();
    log.iter().filter(|(n, _, _)| n == name).map(|(_, c, v)| (*c, *v)).collect()
}

#[test]
fn dragging_bit_depth_up_adds_bits_through_the_param_setter() {
    let mut h = harness();
    let centre = h.get_by_label("Bit Depth").rect().center();
    h.drag_at(centre);
    h.run_steps(1);
    for dy in 1..=10 {
        h.hover_at(centre - egui::Vec2::new(0.0, 10.0 * dy as f32));
        h.run_steps(1);
    }
    h.drop_at(centre - egui::Vec2::new(0.0, 100.0));
    h.run_steps(2);
    let bits = h.state().params.bits.value();
    // 100 px up at 0.02 bit per pixel, less egui's few-pixel drag threshold; each of the ten
    // moves lands on the host step (1/1024 bit), half a step off at most.
    assert!(bits > 9.7 && bits <= 10.0 + 5.0 * stairstep::params::HOST_STEP, "bits after drag: {bits}");
    let c = calls(&h, "Bit Depth");
    assert_eq!(c.first().map(|c| c.0), Some("begin"));
    assert_eq!(c.last().map(|c| c.0), Some("end"));
    assert!(c.iter().filter(|c| c.0 == "set").count() >= 5);
}

#[test]
fn double_click_resets_bit_depth_and_wheel_moves_it() {
    let mut h = harness();
    let centre = h.get_by_label("Bit Depth").rect().center();
    h.hover_at(centre);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::Vec2::new(0.0, 100.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(3);
    let after_wheel = h.state().params.bits.value();
    assert!(after_wheel > 8.1, "wheel did not add bits: {after_wheel}");

    // Let the smooth scroll finish, then two clicks within one frame: a double click.
    h.run_steps(30);
    let pos = h.get_by_label("Bit Depth").rect().center();
    for pressed in [true, false, true, false] {
        h.input_mut().events.push(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run_steps(2);
    // The normalized round trip gives 7.9999995; the DSP takes it as exactly 8 bits.
    assert!((h.state().params.bits.value() - 8.0).abs() < 1e-5);
    assert_eq!(h.state().params.settings().sanitized().bits, 8.0);
}

#[test]
fn typed_bit_depth_is_taken_on_enter() {
    let mut h = harness();
    assert_eq!(h.get_by_role(Role::TextInput).accesskit_node().value().as_deref(), Some("8.00"));
    h.get_by_role(Role::TextInput).focus();
    h.run_steps(1);
    for _ in 0..4 {
        h.key_press(egui::Key::Backspace);
        h.run_steps(1);
    }
    h.get_by_role(Role::TextInput).type_text("12.5 bits");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert_eq!(h.state().params.bits.value(), 12.5);
}

#[test]
fn choosing_tpdf_sets_dither() {
    let mut h = harness();
    h.get_by_role_and_label(Role::ComboBox, "Noise added before rounding: RPDF removes distortion, TPDF also removes noise modulation, High-pass TPDF moves its hiss up in frequency.").click();
    h.run_steps(2);
    h.get_by_label("TPDF").click();
    h.run_steps(2);
    assert_eq!(h.state().params.dither.value(), DitherParam::Tpdf);
    let c = calls(&h, "Dither");
    assert_eq!(c.iter().map(|c| c.0).collect::<Vec<_>>(), ["begin", "set", "end"]);
}

#[test]
fn listen_and_bypass_buttons_set_their_parameters() {
    let mut h = harness();
    // The last row: the control column scrolls it into view where the window is too short
    // for every row (the mouse wheel over the rows).
    let rows = h.get_by_label("Dither").rect().center();
    h.hover_at(rows);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::Vec2::new(0.0, -400.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(30);
    h.get_by_role_and_label(Role::Button, "Error").click();
    h.run_steps(2);
    assert_eq!(h.state().params.listen.value(), stairstep::params::ListenParam::Error);
    h.get_by_label("Bypass").click();
    h.run_steps(2);
    assert!(h.state().params.bypass.value());
}

#[test]
fn every_parameter_has_one_control_of_its_kind() {
    // Bit Depth has its own control, Bypass sits in the title bar, the rest are the rows.
    let mut shown: Vec<&str> =
        [Page::Crush, Page::Movement].into_iter().flat_map(stairstep::params::rows).flat_map(|(_, ids)| ids).collect();
    shown.extend(["bits", "bypass"]);
    shown.sort();
    let mut ids = IDS.to_vec();
    ids.sort();
    assert_eq!(shown, ids, "each parameter once");
    // The switches are toggles named as the host names them, the two-way choices buttons.
    let mut h = harness();
    for (label, check) in [
        ("Pre-filter", (|p: &StairstepParams| p.prefilter.value()) as fn(&StairstepParams) -> bool),
        ("Post-filter", |p| p.postfilter.value()),
        ("Anti-alias", |p| p.antialias.value()),
        ("Mid-rise", |p| p.quantizer.value() == QuantizerParam::MidRise),
    ] {
        assert!(!check(&h.state().params), "{label}");
        h.get_by_role_and_label(Role::Button, label).click();
        h.run_steps(2);
        assert!(check(&h.state().params), "{label}");
    }
    let c = calls(&h, "Quantizer");
    assert_eq!(c.iter().map(|c| c.0).collect::<Vec<_>>(), ["begin", "set", "end"]);
}

/// Number after `prefix` in the label that starts with it.
fn readout(h: &Harness<'static, Ui>, prefix: &str) -> f32 {
    let node = h.get(By::new().role(Role::Label).predicate(move |n| n.value().is_some_and(|v| v.starts_with(prefix))));
    let label = node.accesskit_node().value().unwrap_or_default();
    label[prefix.len()..].split_whitespace().next().unwrap().parse().unwrap_or_else(|_| panic!("{label}"))
}

#[test]
fn readouts_show_the_numbers_of_real_analysis_data() {
    let mut h = harness();
    // An 8-bit crush of a 997 Hz sine at 1 - Δ through the real engine and analysis writer.
    let (mut writer, mut reader) = analysis_channel(48000.0);
    let mut engine = Engine::new(1, 48000.0, stairstep::dsp::Settings::default(), DEFAULT_SEED);
    let amp = 1.0 - 1.0 / 128.0;
    let mut x: Vec<f32> =
        (0..48000).map(|i| (amp * (2.0 * std::f64::consts::PI * 997.0 * i as f64 / 48000.0).sin()) as f32).collect();
    engine.process_tapped(&mut [&mut x], Some(&mut writer));
    h.state_mut().model.update(&mut reader);
    h.run_steps(2);

    let snr = readout(&h, "SNR ");
    let expected = 6.0206 * 8.0 + 1.7609 + 20.0 * (amp as f32).log10();
    assert!((snr - expected).abs() < 0.3, "SNR readout {snr}, expected {expected}");
    let enob = readout(&h, "ENOB ");
    assert!((enob - 8.0).abs() < 0.06, "ENOB readout {enob}");
    // Error RMS: Δ²/12 at 8 bits is -52.94 dB, +3.01 for the AES17 full-scale-sine reference.
    let err = readout(&h, "Error RMS ");
    assert!((err - (-52.94 + 3.01)).abs() < 0.3, "error readout {err}");
}

#[test]
fn the_spectrum_follows_its_theory_line_for_tpdf() {
    // Not drawn pixels: the model the spectrum is drawn from, against the theory it draws.
    let (mut writer, mut reader) = analysis_channel(48000.0);
    let settings =
        stairstep::dsp::Settings { bits: 10.0, dither: stairstep::dsp::DitherMode::Tpdf, ..Default::default() };
    let mut engine = Engine::new(1, 48000.0, settings, DEFAULT_SEED);
    let mut model = EditorModel::new();
    for block in 0..40 {
        let mut x: Vec<f32> = (0..4096)
            .map(|i| (0.5 * (2.0 * std::f64::consts::PI * 997.0 * (block * 4096 + i) as f64 / 48000.0).sin()) as f32)
            .collect();
        engine.process_tapped(&mut [&mut x], Some(&mut writer));
        model.update(&mut reader);
    }
    let (sr, step, dither, _, _) = model.spectrum_meta.expect("spectrum data");
    let bin_hz = sr / 4096.0;
    let (lo, hi) = ((2000.0 / bin_hz) as usize, (20000.0 / bin_hz) as usize);
    let measured: f32 = model.spectrum[lo..hi].iter().sum::<f32>() / (hi - lo) as f32;
    let theory = stairstep::editor::theory_bin_power(step, dither, 5000.0, sr);
    let diff_db = 10.0 * (measured / theory).log10();
    assert!(diff_db.abs() < 1.0, "measured {measured:e} vs theory {theory:e} ({diff_db:.2} dB)");
}

fn open_preset_menu(h: &mut Harness<'static, Ui>) {
    h.get_by_label_contains("Preset:").click();
    h.run_steps(2);
}

/// Factory presets load through the host (begin/set/end per parameter); the current settings
/// save as a user preset in the user folder, a second Save replaces it, and it loads back.
#[test]
fn presets_load_from_the_menu_and_save_to_the_user_folder() {
    let dir = std::env::temp_dir().join(format!("stairstep-editor-presets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut h = harness();
    h.state_mut().model.presets = PresetMenu::with_user_dir(Ok(dir.clone()));
    h.run_steps(1);
    open_preset_menu(&mut h);
    h.get_by_label("Telephone µ-law").click();
    h.run_steps(2);
    let s = h.state().params.settings().sanitized();
    assert_eq!((s.bits, s.rate, s.curve, s.prefilter, s.postfilter), (8.0, 8000.0, Curve::MuLaw, true, true));
    assert_eq!(calls(&h, "Curve").iter().map(|c| c.0).collect::<Vec<_>>(), ["begin", "set", "end"]);
    assert_eq!(h.state().model.presets.current.as_deref(), Some("Telephone µ-law"));
    h.get_by_label_contains("Telephone µ-law").rect(); // the menu button shows its name

    // Save it under a new name.
    open_preset_menu(&mut h);
    h.get_by_role_and_label(Role::TextInput, "Name").focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Name").type_text("My Phone");
    h.run_steps(1);
    h.get_by_label("Save").click();
    h.run_steps(2);
    let file = dir.join("My Phone.json");
    assert!(file.exists(), "{:?}", h.state().model.presets.status);
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains("\"curve\": \"mu-law\""), "{saved}");

    // Saving again under the same name asks first, then replaces.
    h.state().params.set_by_id("bits", &ParamValue::Number(5.0)).unwrap();
    h.get_by_label("Save").click();
    h.run_steps(2);
    assert!(h.state().model.presets.status.as_deref().unwrap_or("").contains("again"));
    assert!(std::fs::read_to_string(&file).unwrap().contains("\"bits\": 8"), "not replaced yet");
    h.get_by_label("Save").click();
    h.run_steps(2);
    assert!(std::fs::read_to_string(&file).unwrap().contains("\"bits\": 5"), "replaced");

    // Another factory preset, then the user preset back.
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    open_preset_menu(&mut h);
    h.get_by_label("CD Master 16-bit").click();
    h.run_steps(2);
    assert_eq!(h.state().params.settings().sanitized().bits, 16.0);
    open_preset_menu(&mut h);
    h.get_by_label("My Phone").click();
    h.run_steps(2);
    let s = h.state().params.settings().sanitized();
    assert_eq!((s.bits, s.curve), (5.0, Curve::MuLaw));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Movement page shows the LFO, follower and note controls, and its readout shows what a
/// real engine's modulation set: a held note's name and rate, and the moving bit depth.
#[test]
fn the_movement_page_shows_its_controls_and_the_modulation_at_work() {
    let mut h = harness();
    let rows = ["LFO", "Speed", "Division", "To Bits", "To Rate", "Follow", "Attack", "Release", "Harmonic", "Glide"];
    assert!(h.query_by_label("To Bits").is_none(), "the Crush page shows first");
    h.get_by_role_and_label(Role::Button, "Movement").click();
    h.run_steps(2);
    for label in rows {
        assert!(h.query_by_label(label).is_some(), "{label} is not on the Movement page");
    }
    assert!(h.query_by_label("Dither").is_none(), "the Crush rows are hidden");
    // LFO Sync is a toggle named as the host names it, and switches the parameter.
    assert!(h.state().params.lfo_sync.value());
    h.get_by_role_and_label(Role::Button, "LFO Sync").click();
    h.run_steps(2);
    assert!(!h.state().params.lfo_sync.value());
    // Nothing moves yet.
    assert!(h.query_by_label_contains("movement: none").is_some());

    // A 2-bit LFO and A3 held through the real engine: the monitor the editor reads.
    let settings = stairstep::dsp::Settings { lfo_bits: 2.0, ..Default::default() };
    let mut engine = Engine::new(1, 48000.0, settings, DEFAULT_SEED);
    engine.note_on(57);
    let mut x = vec![0.25f32; 6000];
    engine.process(&mut [&mut x]);
    let monitor = stairstep::editor::Monitor::default();
    monitor.store(engine.monitor());
    h.state_mut().model.monitor = monitor.load();
    h.run_steps(2);
    let m = h.state().model.monitor;
    assert_eq!(m.note, Some(57));
    assert_eq!(m.rate, Some(220.0));
    let bits = m.bits.expect("the LFO moves the depth");
    assert!((6.0..=10.0).contains(&bits) && bits != 8.0, "{bits}");
    let text = format!("now: {bits:.2} bits · 220 Hz · note A3");
    assert!(h.query_by_label_contains(&text).is_some(), "no readout {text:?}");
}
