//! Saved sessions through the CLAP state extension, as hosts save and restore them: the exact
//! sound comes back, the first released layout loads, and damaged or foreign state never
//! crashes the plugin nor leaves it half-loaded.
//!
//! Byte-level garbage goes to the release bundle: nice-plug's debug builds assert (panic) on
//! state that is not JSON at all, by design, and users run release builds.

use clack_extensions::params::PluginParams;
use clack_extensions::state::PluginState;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;

use std::path::PathBuf;

mod common;
use common::{TestHost, bundle, framed, open, param_id, process_stereo};

const SR: f64 = 48000.0;
const BLOCK: usize = 256;
/// The state Stairstep 0.1.0 saved (u64 length + JSON), captured from its release bundle.
const FIRST_LAYOUT: &[u8] = include_bytes!("data/state-0.1.0.bin");
/// The state the release before the code's redesign (0.2.0) saved with every value off its
/// default, captured from its debug bundle through this file's `save`.
const RELEASE_0_2: &[u8] = include_bytes!("data/state-0.2.0.bin");
/// The state Stairstep 0.2.0 with Movement (27 parameters, layout 2) saved with
/// [`MOVEMENT_SESSION`], captured from its debug bundle by [`capture_release_0_2_movement`].
const RELEASE_0_2_MOVEMENT: &[u8] = include_bytes!("data/state-0.2.0-movement.bin");
/// FNV-1a of the output bits that debug bundle rendered of that session through [`render`].
const RELEASE_0_2_MOVEMENT_SOUND: u64 = 0xa4c6_0fd4_8033_ff16;

/// Every parameter of layout 2 off its default but Bypass (normalized; indices for choices
/// and switches).
const MOVEMENT_SESSION: [(&str, f64); 26] = [
    ("bits", 0.3),
    ("quantizer", 1.0),
    ("curve", 2.0),
    ("drive", 0.25),
    ("antialias", 1.0),
    ("dither", 3.0),
    ("shaping", 2.0),
    ("rate", 0.8),
    ("jitter", 0.3),
    ("prefilter", 1.0),
    ("postfilter", 1.0),
    ("mix", 0.7),
    ("output", 0.4),
    ("listen", 1.0),
    ("lfo-shape", 6.0),
    ("lfo-sync", 0.0),
    ("lfo-rate", 0.4),
    ("lfo-division", 2.0),
    ("lfo-timing", 1.0),
    ("lfo-bits", 0.3),
    ("lfo-octaves", 0.6),
    ("follow-bits", 0.7),
    ("follow-attack", 0.2),
    ("follow-release", 0.6),
    ("harmonic", 3.0 / 63.0),
    ("glide", 0.1),
];

/// FNV-1a over the bits of `samples`.
fn fingerprint(samples: &[f32]) -> u64 {
    samples
        .iter()
        .flat_map(|s| s.to_bits().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

fn save(instance: &mut PluginInstance<TestHost>) -> Vec<u8> {
    let state: PluginState = instance.plugin_handle().get_extension().expect("state extension");
    let mut bytes = Vec::new();
    state.save(&instance.plugin_handle(), &mut bytes).expect("save");
    bytes
}

fn load(instance: &mut PluginInstance<TestHost>, bytes: &[u8]) -> bool {
    let state: PluginState = instance.plugin_handle().get_extension().expect("state extension");
    state.load(&instance.plugin_handle(), &mut &bytes[..]).is_ok()
}

/// Set parameters (normalized, or indices for choices) while inactive, as a host's flush does.
fn set(instance: &mut PluginInstance<TestHost>, values: &[(&str, f64)]) {
    let params: PluginParams = instance.plugin_handle().get_extension().expect("params extension");
    let events: Vec<ParamValueEvent> =
        values.iter().map(|(id, v)| ParamValueEvent::new(0, param_id(id), Pckn::match_all(), *v)).collect();
    let mut out = EventBuffer::new();
    let mut handle = instance.inactive_plugin_handle().expect("inactive");
    params.flush(&mut handle, &InputEvents::from_buffer(&events), &mut OutputEvents::from_buffer(&mut out));
}

fn values(instance: &mut PluginInstance<TestHost>, ids: &[&str]) -> Vec<f64> {
    let params: PluginParams = instance.plugin_handle().get_extension().expect("params extension");
    ids.iter().map(|id| params.get_value(&instance.plugin_handle(), param_id(id)).expect("value")).collect()
}

/// Two seconds of a noisy chord through the instance as it is.
fn render(instance: &mut PluginInstance<TestHost>) -> Vec<f32> {
    let config = PluginAudioConfiguration { sample_rate: SR, min_frames_count: 1, max_frames_count: BLOCK as u32 };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let mut processor = processor.start_processing().expect("start");
    let mut out = Vec::new();
    for b in 0..(2 * SR as usize / BLOCK) {
        let mut input: [Vec<f32>; 2] = std::array::from_fn(|c| {
            (0..BLOCK)
                .map(|i| {
                    let t = (b * BLOCK + i) as f32 / SR as f32;
                    0.4 * (t * 1234.5 * std::f32::consts::TAU).sin()
                        + 0.3 * (t * (310.0 + c as f32) * std::f32::consts::TAU).sin()
                })
                .collect()
        });
        let mut output = [vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]];
        let [l, r] = &mut input;
        let [ol, or] = &mut output;
        process_stereo(&mut processor, [l, r], [ol, or], &[], None);
        out.extend(output[0].iter().chain(&output[1]));
    }
    let stopped = processor.stop_processing();
    instance.deactivate(stopped);
    out
}

/// The parameters of the layout before Movement (the released sessions' ones).
const IDS: [&str; 15] = [
    "bits",
    "dither",
    "quantizer",
    "shaping",
    "curve",
    "drive",
    "rate",
    "jitter",
    "prefilter",
    "postfilter",
    "antialias",
    "mix",
    "output",
    "listen",
    "bypass",
];

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Every setting differs from its default, then save → load into a fresh instance gives the
/// same values and the same output, bit for bit.
#[test]
fn saving_then_loading_reproduces_the_exact_output() {
    let Some(path) = bundle(true) else { return };
    let (_e1, mut a) = open(&path);
    set(
        &mut a,
        &[
            ("bits", 0.3),
            ("dither", 3.0),
            ("quantizer", 1.0),
            ("shaping", 2.0),
            ("curve", 2.0),
            ("drive", 0.25),
            ("rate", 0.8),
            ("jitter", 0.3),
            ("prefilter", 1.0),
            ("postfilter", 1.0),
            ("mix", 0.7),
            ("output", 0.4),
        ],
    );
    let bytes = save(&mut a);
    let reference = render(&mut a);
    let (_e2, mut b) = open(&path);
    // Move b away from the defaults first: loading must define every value.
    set(&mut b, &[("antialias", 1.0), ("bits", 0.9), ("listen", 1.0)]);
    assert!(load(&mut b, &bytes), "load");
    assert_eq!(values(&mut a, &IDS), values(&mut b, &IDS));
    assert!(same_bits(&render(&mut b), &reference), "the loaded instance sounds different");
    // Saving the loaded state again gives the same bytes.
    assert_eq!(save(&mut b), bytes);
}

/// A session saved by Stairstep 0.1.0 loads its values, and sounds as those settings do.
#[test]
fn a_session_from_the_first_release_loads() {
    let Some(path) = bundle(true) else { return };
    let (_e, mut instance) = open(&path);
    assert!(load(&mut instance, FIRST_LAYOUT), "the 0.1.0 state loads");
    let got = values(&mut instance, &["bits", "dither", "quantizer", "curve", "jitter", "prefilter", "mix"]);
    // Normalized for continuous parameters, indices for choices and switches.
    let want = [5.5 / 23.0, 2.0, 1.0, 1.0, 0.2, 1.0, 0.8];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
    }
    let loaded = render(&mut instance);
    let (_e2, mut direct) = open(&path);
    let lr = |hz: f64| (hz.log2() - 50f64.log2()) / (96000f64.log2() - 50f64.log2());
    set(
        &mut direct,
        &[
            ("bits", 5.5 / 23.0),
            ("dither", 2.0),
            ("quantizer", 1.0),
            ("curve", 1.0),
            ("drive", 6.0 / 36.0),
            ("rate", lr(11025.0)),
            ("jitter", 0.2),
            ("prefilter", 1.0),
            ("postfilter", 1.0),
            ("mix", 0.8),
            ("output", 21.0 / 48.0),
        ],
    );
    assert!(same_bits(&loaded, &render(&mut direct)), "0.1.0 session sounds different");
}

/// A session saved by the release before the redesign loads every value it held (normalized
/// for continuous parameters, indices for choices and switches, in [`IDS`] order), and saving
/// it again writes the same values and fields.
#[test]
fn a_session_from_the_previous_release_loads_and_saves_unchanged() {
    let Some(path) = bundle(true) else { return };
    let (_e, mut instance) = open(&path);
    assert!(load(&mut instance, RELEASE_0_2), "the 0.2.0 state loads");
    let want = [0.3, 3.0, 1.0, 2.0, 2.0, 0.25, 0.8, 0.3, 1.0, 1.0, 1.0, 0.7, 0.4, 1.0, 0.0];
    let got = values(&mut instance, &IDS);
    for ((id, g), w) in IDS.iter().zip(&got).zip(want) {
        assert!((g - w).abs() < 1e-6, "{id}: {g} instead of {w}");
    }
    // The same values and fields; only the version it was written by may differ.
    let json =
        |bytes: &[u8]| -> serde_json::Value { serde_json::from_slice(&bytes[8..]).expect("JSON after the length") };
    let (saved, released) = (json(&save(&mut instance)), json(RELEASE_0_2));
    let (saved_params, released_params) =
        (saved["params"].as_object().unwrap(), released["params"].as_object().unwrap());
    for (id, value) in released_params {
        assert_eq!(&saved_params[id], value, "saving the loaded session changes {id}");
    }
    // The later layouts add their parameters (layout 2: the movement), at their defaults (no
    // movement), and say so.
    let mut added: Vec<&str> =
        saved_params.keys().filter(|k| !released_params.contains_key(*k)).map(|k| k.as_str()).collect();
    added.sort_unstable();
    let mut expected: Vec<&str> =
        (2..=stairstep::params::STATE_VERSION).flat_map(stairstep::params::added_in).collect();
    expected.sort_unstable();
    assert_eq!(added, expected);
    assert_eq!(saved_params["lfo-bits"], serde_json::json!({"f32": 0.0}));
    assert_eq!(saved["fields"]["editor-size"], released["fields"]["editor-size"]);
    assert_eq!(saved["fields"]["state-version"], stairstep::params::STATE_VERSION.to_string());
}

/// Writes `tests/data/state-0.2.0-movement.bin` and prints its sound's fingerprint, from the
/// debug bundle named by `STAIRSTEP_CLAP_DEBUG` (the release being captured):
/// `STAIRSTEP_CLAP_DEBUG=/path/to/0.2.0/Stairstep.clap cargo test --test clap_state capture -- --ignored --nocapture`.
#[test]
#[ignore = "captures a release's state; run by hand against that release's bundle"]
fn capture_release_0_2_movement() {
    let path = bundle(true).expect("STAIRSTEP_CLAP_DEBUG");
    let (_e, mut instance) = open(&path);
    set(&mut instance, &MOVEMENT_SESSION);
    let bytes = save(&mut instance);
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/state-0.2.0-movement.bin");
    std::fs::write(&out, &bytes).expect("write the state");
    println!("sound: {:#018x}", fingerprint(&render(&mut instance)));
}

/// A session saved by 0.2.0 with every movement parameter set loads every value, sounds as it
/// did in 0.2.0 bit for bit, and saves again unchanged.
#[test]
fn a_session_with_movement_from_0_2_0_loads_sounds_and_saves_unchanged() {
    let Some(path) = bundle(true) else { return };
    let (_e, mut instance) = open(&path);
    assert!(load(&mut instance, RELEASE_0_2_MOVEMENT), "the 0.2.0 state loads");
    let ids: Vec<&str> = MOVEMENT_SESSION.iter().map(|(id, _)| *id).collect();
    // Within the steps 0.2.0 snapped them to when they were set (LFO Rate: 0.01 Hz); the
    // saved values themselves must come back exactly (below).
    for ((id, want), got) in MOVEMENT_SESSION.iter().zip(values(&mut instance, &ids)) {
        assert!((got - want).abs() < 1e-3, "{id}: {got} instead of {want}");
    }
    let json = |bytes: &[u8]| -> serde_json::Value { serde_json::from_slice(&bytes[8..]).expect("JSON") };
    let (saved, released) = (json(&save(&mut instance)), json(RELEASE_0_2_MOVEMENT));
    assert_eq!(saved["params"], released["params"], "saving it again changes its values");
    assert_eq!(saved["fields"], released["fields"], "saving it again changes its fields");
    assert_eq!(fingerprint(&render(&mut instance)), RELEASE_0_2_MOVEMENT_SOUND, "it sounds different");
}

/// JSON that parses but holds wrong, missing or strange values: it loads, known values are
/// taken, the rest fall back to defaults or are clamped, and audio stays finite. Debug bundle
/// (allocation checks on in `process()`).
#[test]
fn damaged_sessions_load_what_they_can() {
    let Some(path) = bundle(true) else { return };
    let cases: [(&str, &[(&str, f64)]); 5] = [
        // Empty params: every value takes its default.
        (r#"{"params":{},"fields":{}}"#, &[("bits", 7.0 / 23.0), ("dither", 0.0), ("mix", 1.0)]),
        // Out of range: clamped.
        (
            r#"{"params":{"bits":{"f32":99},"mix":{"f32":-5},"rate":{"f32":1000}},"fields":{}}"#,
            &[("bits", 1.0), ("mix", 0.0), ("rate", 1.0)],
        ),
        // Wrong types: converted where clear, else default.
        (
            r#"{"params":{"bits":{"string":"x"},"dither":{"i32":2},"prefilter":{"i32":1},"mix":{"bool":true}},"fields":{}}"#,
            &[("bits", 7.0 / 23.0), ("dither", 2.0), ("prefilter", 1.0), ("mix", 1.0)],
        ),
        // Unknown ids and choices: ignored, default.
        (
            r#"{"params":{"wobble":{"f32":1},"curve":{"string":"cubic"},"bits":{"f32":12}},"fields":{}}"#,
            &[("curve", 0.0), ("bits", 11.0 / 23.0)],
        ),
        // A future layout with a new parameter and a corrupt editor size.
        (
            r#"{"version":"9.0.0","params":{"bits":{"f32":3},"sparkle":{"f32":2}},"fields":{"state-version":"9","editor-size":"{oops"}}"#,
            &[("bits", 2.0 / 23.0)],
        ),
    ];
    for (json, expect) in cases {
        let (_e, mut instance) = open(&path);
        set(&mut instance, &[("bits", 0.5)]);
        let _ = load(&mut instance, &framed(json));
        let ids: Vec<&str> = expect.iter().map(|(id, _)| *id).collect();
        let got = values(&mut instance, &ids);
        for ((id, want), g) in expect.iter().zip(&got) {
            assert!((g - want).abs() < 1e-6, "{json}: {id} is {g}, expected {want}");
        }
        let out = render(&mut instance);
        assert!(out.iter().all(|s| s.is_finite()), "{json}: non-finite output");
    }
}

/// xorshift32 for reproducible garbage.
fn noise(seed: u32, n: usize) -> Vec<u8> {
    let mut s = seed.max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s as u8
        })
        .collect()
}

/// Bytes that are not a state at all: empty, truncated, random, a huge declared length. The
/// host is told the load failed and the instance keeps its values and keeps working.
#[test]
fn garbage_state_is_refused_and_nothing_is_lost() {
    let Some(path) = bundle(false) else { return };
    let (_e, mut donor) = open(&path);
    set(&mut donor, &[("bits", 0.25), ("dither", 2.0)]);
    let good = save(&mut donor);
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("length only".into(), good[..8].to_vec()),
        ("huge length".into(), [u64::MAX.to_le_bytes().to_vec(), good[8..].to_vec()].concat()),
        ("not JSON".into(), framed("Stairstep rules")),
        ("JSON null".into(), framed("null")),
        ("wrong shape".into(), framed(r#"{"params":[1,2,3]}"#)),
    ];
    for cut in [9, 20, good.len() / 2, good.len() - 1] {
        cases.push((format!("truncated at {cut}"), good[..cut].to_vec()));
    }
    for seed in 1..=20 {
        cases.push((format!("random {seed}"), noise(seed, 16 + seed as usize * 37)));
        let mut flipped = good.clone();
        let at = 8 + (seed as usize * 131) % (good.len() - 8);
        flipped[at] ^= 0x5a;
        cases.push((format!("byte {at} flipped"), flipped));
    }
    for (name, bytes) in &cases {
        let (_e, mut instance) = open(&path);
        set(&mut instance, &[("bits", 0.75)]);
        let before = values(&mut instance, &IDS);
        if load(&mut instance, bytes) {
            // A flipped byte can still leave valid JSON: then the load must have been complete.
            assert!(name.contains("flipped"), "{name}: garbage was accepted");
        } else {
            assert_eq!(values(&mut instance, &IDS), before, "{name}: a failed load changed values");
        }
        assert!(render(&mut instance).iter().all(|s| s.is_finite()), "{name}");
    }
}
