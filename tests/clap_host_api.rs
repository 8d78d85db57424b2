//! How hosts integrate Stairstep beyond audio, through the CLAP API of the release bundle:
//! parameter groups (CLAP modules), the remote-controls page hardware controllers map to,
//! modulation (a host LFO moves the crushing without rewriting automation) and typed text.

use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_extensions::remote_controls::{PluginRemoteControls, RemoteControlsPageBuffer};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{ParamModEvent, ParamValueEvent};
use clack_host::prelude::*;
use stairstep::params::{GROUP_OF, IDS, Page, remote_page};
use std::collections::BTreeMap;
use std::ffi::CString;

mod common;
use common::{bundle, open, param_id, process_stereo_events};

const SR: f64 = 48000.0;
const BLOCK: usize = 480;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The parameter id → (name, module, flags) as a host reads them.
fn param_infos(instance: &mut PluginInstance<common::TestHost>) -> BTreeMap<u32, (String, String, ParamInfoFlags)> {
    let params: PluginParams = instance.plugin_handle().get_extension().expect("params extension");
    let handle = instance.plugin_handle();
    let mut buffer = ParamInfoBuffer::new();
    (0..params.count(&handle))
        .map(|i| {
            let info = params.get_info(&handle, i, &mut buffer).expect("param info");
            (info.id.get(), (text(info.name), text(info.module), info.flags))
        })
        .collect()
}

#[test]
fn parameters_come_in_groups_and_continuous_ones_accept_modulation() {
    let Some(path) = bundle(false) else { return };
    let (_entry, mut instance) = open(&path);
    let infos = param_infos(&mut instance);
    // Every parameter of the table in its group (a CLAP module), as the table says.
    assert_eq!(infos.len(), IDS.len());
    for (id, group) in IDS.iter().zip(GROUP_OF) {
        let (name, module, flags) = &infos[&param_id(id).get()];
        assert_eq!(module, group, "{id} ({name}) is in the wrong group");
        assert!(flags.contains(ParamInfoFlags::IS_AUTOMATABLE), "{id} is not automatable");
        assert!(flags.contains(ParamInfoFlags::IS_MODULATABLE), "{id} does not accept modulation");
    }
    assert_eq!(GROUP_OF[IDS.iter().position(|id| *id == "lfo-rate").unwrap()], "LFO");
    assert!(infos[&param_id("bypass").get()].2.contains(ParamInfoFlags::IS_BYPASS));
}

#[test]
fn two_remote_controls_pages_map_the_main_controls_and_the_movement() {
    let Some(path) = bundle(false) else { return };
    let (_entry, mut instance) = open(&path);
    let remote: PluginRemoteControls = instance.plugin_handle().get_extension().expect("remote-controls extension");
    let handle = instance.plugin_handle();
    assert_eq!(remote.count(&handle), 2);
    // The table's remote-controls column, slot by slot; the Crush page spelled out, as the
    // README documents it.
    let pages = [("Crush", remote_page(Page::Crush)), ("Movement", remote_page(Page::Movement))];
    assert_eq!(pages[0].1, ["bits", "rate", "dither", "shaping", "drive", "mix", "output", "jitter"]);
    for (index, (name, expected)) in pages.iter().enumerate() {
        let mut buffer = RemoteControlsPageBuffer::new();
        let page = remote.get(&handle, index as u32, &mut buffer).expect("page");
        assert_eq!(text(page.page_name), *name);
        assert_eq!(text(page.section_name), "Stairstep");
        assert!(!page.is_for_preset);
        let got: Vec<Option<u32>> = page.param_ids.iter().map(|id| id.map(|i| i.get())).collect();
        let want: Vec<Option<u32>> = expected.iter().map(|id| Some(param_id(id).get())).collect();
        assert_eq!(got, want, "{name}: slots in order: {expected:?}");
    }
}

/// Typed text → value → text through the host API, as a host's "type a value" box does.
#[test]
fn typed_text_becomes_the_value_a_user_means() {
    let Some(path) = bundle(false) else { return };
    let (_entry, mut instance) = open(&path);
    let params: PluginParams = instance.plugin_handle().get_extension().expect("params extension");
    let handle = instance.plugin_handle();
    let cases = [
        ("bits", "6", "6.00 bits"),
        ("bits", "6 bits", "6.00 bits"),
        ("bits", "12.5", "12.50 bits"),
        ("bits", "4 Bits", "4.00 bits"),
        ("dither", "TPDF", "TPDF"),
        ("dither", "High-pass TPDF", "High-pass TPDF"),
        ("shaping", "F-weighted 9-tap", "F-weighted 9-tap"),
        ("curve", "µ-law", "µ-law"),
        ("quantizer", "Mid-rise", "Mid-rise"),
        ("rate", "8 kHz", "8000 Hz"),
        ("rate", "11025", "11025 Hz"),
        ("rate", "44.1k", "44100 Hz"),
        ("rate", "26040 Hz", "26040 Hz"),
        ("output", "-3 dB", "-3.0 dB"),
        ("output", "6", "6.0 dB"),
        ("drive", "12 dB", "12.0 dB"),
        ("mix", "50 %", "50.0 %"),
        ("jitter", "25%", "25.0 %"),
        ("prefilter", "On", "On"),
        ("antialias", "off", "Off"),
        ("listen", "Error", "Error"),
    ];
    let mut buf = [0u8; 256];
    for (id, typed, shown) in cases {
        let value = params
            .text_to_value(&handle, param_id(id), &CString::new(typed).unwrap())
            .unwrap_or_else(|| panic!("{id}: '{typed}' was refused"));
        let back = params.value_to_text(&handle, param_id(id), value, &mut buf).expect("value to text");
        assert_eq!(text(back), shown, "{id}: typed '{typed}'");
    }
    for (id, typed) in [("bits", "lots"), ("rate", "fast"), ("prefilter", "banana"), ("dither", "Pink"), ("mix", "")] {
        let got = params.text_to_value(&handle, param_id(id), &CString::new(typed).unwrap());
        assert_eq!(got, None, "{id}: '{typed}' should be refused, got {got:?}");
    }
}

/// Render a slow full-scale stereo ramp in blocks, with the `events` of each block.
fn render(path: &std::path::Path, blocks: &[Vec<Event>]) -> (Vec<f32>, usize, Vec<u8>) {
    let (_entry, mut instance) = open(path);
    let config = PluginAudioConfiguration { sample_rate: SR, min_frames_count: 1, max_frames_count: BLOCK as u32 };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let mut processor = processor.start_processing().expect("start");
    let mut out = Vec::new();
    let mut sent_back = 0;
    for (b, events) in blocks.iter().enumerate() {
        let mut input: [Vec<f32>; 2] =
            std::array::from_fn(|_| (0..BLOCK).map(|i| ((b * BLOCK + i) as f32 / 4800.0).sin() * 0.9).collect());
        let mut output = [vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]];
        let mut buffer = EventBuffer::new();
        for e in events {
            match *e {
                Event::Value(at, id, v) => buffer.push(&ParamValueEvent::new(at, param_id(id), Pckn::match_all(), v)),
                Event::Mod(at, id, v) => buffer.push(&ParamModEvent::new(at, param_id(id), Pckn::match_all(), v)),
            }
        }
        let [l, r] = &mut input;
        let [ol, or] = &mut output;
        sent_back += process_stereo_events(&mut processor, [l, r], [ol, or], &InputEvents::from_buffer(&buffer), None);
        out.extend_from_slice(&output[0]);
    }
    let stopped = processor.stop_processing();
    instance.deactivate(stopped);
    let state: PluginState = instance.plugin_handle().get_extension().expect("state extension");
    let mut saved = Vec::new();
    state.save(&instance.plugin_handle(), &mut saved).expect("save");
    (out, sent_back, saved)
}

#[derive(Clone, Copy)]
enum Event {
    /// A parameter value (normalized) at a sample of the block.
    Value(u32, &'static str, f64),
    /// A modulation amount (normalized offset) at a sample of the block.
    Mod(u32, &'static str, f64),
}

fn bits_norm(bits: f64) -> f64 {
    (bits - 1.0) / 23.0
}

fn distinct_levels(x: &[f32]) -> usize {
    let mut v: Vec<u32> = x.iter().map(|s| s.to_bits()).collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// A host LFO: modulation moves Bit Depth from 4 to 8 bits and back while the parameter's own
/// value (what automation and the saved session hold) stays at 4 bits.
#[test]
fn modulation_moves_the_grid_and_leaves_the_value_alone() {
    let Some(path) = bundle(false) else { return };
    let blocks = 40;
    let schedule = |with_mod: bool| -> Vec<Vec<Event>> {
        (0..blocks)
            .map(|b| match (b, with_mod) {
                (0, _) => vec![Event::Value(0, "bits", bits_norm(4.0))],
                (10, true) => vec![Event::Mod(123, "bits", 4.0 / 23.0)],
                (10, false) => vec![Event::Value(123, "bits", bits_norm(8.0))],
                (25, true) => vec![Event::Mod(7, "bits", 0.0)],
                (25, false) => vec![Event::Value(7, "bits", bits_norm(4.0))],
                _ => vec![],
            })
            .collect()
    };
    let (modulated, sent_back, saved) = render(&path, &schedule(true));
    let (automated, _, _) = render(&path, &schedule(false));
    // The modulated render is the same, sample for sample, as moving the value itself.
    assert_eq!(modulated.len(), automated.len());
    let first_diff = modulated.iter().zip(&automated).position(|(a, b)| a.to_bits() != b.to_bits());
    assert_eq!(first_diff, None, "modulation and automation differ");
    // And the grid really moved: over the same stretch of the ramp, 8 bits (2^4 times finer)
    // shows many times the levels 4 bits does.
    let fixed: Vec<Vec<Event>> = schedule(false).into_iter().take(1).chain((1..blocks).map(|_| vec![])).collect();
    let (four_bits, _, _) = render(&path, &fixed);
    let span = 13 * BLOCK..24 * BLOCK;
    let (during, base) = (distinct_levels(&modulated[span.clone()]), distinct_levels(&four_bits[span]));
    assert!(during >= 8 * base, "{during} levels modulated to 8 bits vs {base} at 4 bits");
    let after = 27 * BLOCK..40 * BLOCK;
    assert_eq!(modulated[after.clone()], four_bits[after], "back on the 4-bit grid after the modulation ends");
    // The plugin did not write the modulation back as automation, and the session keeps 4 bits.
    assert_eq!(sent_back, 0, "no parameter events sent back to the host");
    let json: serde_json::Value = serde_json::from_slice(&saved[8..]).expect("state JSON");
    assert_eq!(json["params"]["bits"]["f32"], 4.0, "{json}");
}

/// While modulated, the saved session holds the unmodulated value.
#[test]
fn a_session_saved_mid_modulation_keeps_the_base_value() {
    let Some(path) = bundle(false) else { return };
    let blocks: Vec<Vec<Event>> = (0..4)
        .map(|b| match b {
            0 => vec![Event::Value(0, "bits", bits_norm(6.0)), Event::Mod(0, "mix", -0.5)],
            1 => vec![Event::Mod(0, "bits", 10.0 / 23.0)],
            _ => vec![],
        })
        .collect();
    let (_, _, saved) = render(&path, &blocks);
    let json: serde_json::Value = serde_json::from_slice(&saved[8..]).expect("state JSON");
    assert_eq!(json["params"]["bits"]["f32"], 6.0, "{json}");
    assert_eq!(json["params"]["mix"]["f32"], 100.0, "{json}");
}
