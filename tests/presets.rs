//! Every factory preset, loaded into the plugin (the CLAP bundle, through the same normalized
//! values the editor's preset menu hands the host) and into the command-line renderer
//! (`stairstep-render --preset`), renders the same samples, bit for bit; and each renders as
//! it always has: the fingerprints of its sound in `tests/data/preset-sounds.txt` (regenerate
//! after a deliberate change, saying why in the commit:
//! `STAIRSTEP_BLESS=1 cargo test --test presets fingerprints`).

use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use stairstep::preset::{FACTORY, Preset};
use stairstep::render::{SampleFormat, read_wav, write_wav};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod common;
use common::{bundle, open, param_id, process_stereo};

const SR: u32 = 48000;
const BLOCK: usize = 512;

/// 1.5 s of stereo test material: a chord, a decaying noise burst, a quiet passage, silence.
fn material() -> [Vec<f32>; 2] {
    let n = (SR as usize * 3) / 2;
    let mut seed = 0x1234_5678u32;
    std::array::from_fn(|c| {
        (0..n)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let t = i as f32 / SR as f32;
                let tau = std::f32::consts::TAU;
                let chord = 0.35 * (tau * 220.0 * t).sin() + 0.25 * (tau * (331.0 + c as f32) * t).sin();
                let burst = (seed as f32 / u32::MAX as f32 - 0.5) * 0.8 * (-8.0 * (t - 0.5).max(0.0)).exp();
                match i {
                    _ if t < 0.5 => chord,
                    _ if t < 1.0 => chord * 0.3 + burst,
                    _ if t < 1.3 => chord * 0.002,
                    _ => 0.0,
                }
            })
            .collect()
    })
}

/// Render through the CLAP plugin with the preset's values, compensating its latency as a DAW
/// bounce (and the renderer) does.
fn plugin_render(path: &Path, preset: &Preset, input: &[Vec<f32>; 2]) -> [Vec<f32>; 2] {
    let (_entry, mut instance) = open(path);
    let params: PluginParams = instance.plugin_handle().get_extension().expect("params");
    // CLAP value ranges: 0..1 for continuous parameters, 0..steps for choices and switches.
    let mut max_value: HashMap<u32, f64> = HashMap::new();
    let mut buffer = ParamInfoBuffer::new();
    for i in 0..params.count(&instance.plugin_handle()) {
        let info = params.get_info(&instance.plugin_handle(), i, &mut buffer).expect("info");
        max_value.insert(info.id.get(), info.max_value);
    }
    let events: Vec<ParamValueEvent> = preset
        .normalized_values()
        .expect("preset applies")
        .into_iter()
        .map(|(id, normalized)| {
            let pid = param_id(&id);
            ParamValueEvent::new(0, pid, Pckn::match_all(), normalized as f64 * max_value[&pid.get()])
        })
        .collect();
    let mut out = EventBuffer::new();
    params.flush(
        &mut instance.inactive_plugin_handle().expect("inactive"),
        &InputEvents::from_buffer(&events),
        &mut OutputEvents::from_buffer(&mut out),
    );
    let config =
        PluginAudioConfiguration { sample_rate: SR as f64, min_frames_count: 1, max_frames_count: BLOCK as u32 };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let latency_ext: PluginLatency = instance.plugin_handle().get_extension().expect("latency extension");
    let latency = latency_ext.get(&instance.plugin_handle()) as usize;
    let mut processor = processor.start_processing().expect("start");
    let n = input[0].len();
    let padded: [Vec<f32>; 2] = std::array::from_fn(|c| {
        let mut v = input[c].clone();
        v.resize(n + latency, 0.0);
        v
    });
    let mut output = [Vec::new(), Vec::new()];
    let mut start = 0;
    while start < n + latency {
        let len = BLOCK.min(n + latency - start);
        let [mut l, mut r] = [padded[0][start..start + len].to_vec(), padded[1][start..start + len].to_vec()];
        let [mut ol, mut or] = [vec![0.0f32; len], vec![0.0f32; len]];
        process_stereo(&mut processor, [&mut l, &mut r], [&mut ol, &mut or], &[], None);
        output[0].extend(ol);
        output[1].extend(or);
        start += len;
    }
    let stopped = processor.stop_processing();
    instance.deactivate(stopped);
    output.map(|c| c[latency..].to_vec())
}

fn cli_render(preset_file: &Path, input: &Path, output: &Path) {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_stairstep-render"))
        .arg("--preset")
        .arg(preset_file)
        .args([input, output])
        .args(["--force", "-q"])
        .status()
        .expect("run stairstep-render");
    assert!(status.success(), "stairstep-render failed for {}", preset_file.display());
}

#[test]
fn every_factory_preset_renders_identically_in_the_plugin_and_the_cli() {
    let Some(path) = bundle(false) else { return };
    let dir = std::env::temp_dir().join(format!("stairstep-preset-identity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input_path = dir.join("input.wav");
    let input = material();
    write_wav(&input_path, &input, SR, SampleFormat::F32, false, 0).unwrap();
    let presets_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("presets");
    let mut silent_or_same = Vec::new();
    for (file, _) in FACTORY {
        let preset_path = presets_dir.join(file);
        let preset = Preset::load(&preset_path).unwrap();
        let out_path = dir.join(format!("{file}.wav"));
        cli_render(&preset_path, &input_path, &out_path);
        let cli = read_wav(&out_path).unwrap();
        let plugin = plugin_render(&path, &preset, &input);
        for (c, (cli, plugin)) in cli.channels.iter().zip(&plugin).enumerate() {
            assert_eq!(cli.len(), plugin.len(), "{file}: length");
            let diff = cli.iter().zip(plugin).position(|(a, b)| a.to_bits() != b.to_bits());
            assert_eq!(diff, None, "{file}: channel {c} differs from sample {diff:?} on");
            assert!(plugin.iter().all(|s| s.is_finite() && s.abs() <= 1.0), "{file}: clips or is not finite");
        }
        // Each preset really changes the sound.
        if plugin[0].iter().zip(&input[0]).all(|(a, b)| a == b) || plugin[0].iter().all(|s| *s == 0.0) {
            silent_or_same.push(*file);
        }
    }
    assert!(silent_or_same.is_empty(), "presets that do nothing: {silent_or_same:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// FNV-1a over the bits of both channels.
fn fingerprint(channels: &[Vec<f32>]) -> u64 {
    channels
        .iter()
        .flatten()
        .flat_map(|s| s.to_bits().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Each factory preset's render of [`material`] through the renderer is the one on record: a
/// preset file that lists fewer values (the rest at their defaults), a default that moves or a
/// DSP change shows up here.
#[test]
fn factory_preset_fingerprints() {
    let dir = std::env::temp_dir().join(format!("stairstep-preset-sounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input_path = dir.join("input.wav");
    write_wav(&input_path, &material(), SR, SampleFormat::F32, false, 0).unwrap();
    let presets_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("presets");
    let record = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/preset-sounds.txt");
    let mut lines = Vec::new();
    for (file, _) in FACTORY {
        let out_path = dir.join(format!("{file}.wav"));
        cli_render(&presets_dir.join(file), &input_path, &out_path);
        lines.push(format!("{file} {:#018x}", fingerprint(&read_wav(&out_path).unwrap().channels)));
    }
    let now = lines.join("\n") + "\n";
    std::fs::remove_dir_all(&dir).unwrap();
    if std::env::var_os("STAIRSTEP_BLESS").is_some() {
        std::fs::write(&record, &now).unwrap();
        return;
    }
    let recorded =
        std::fs::read_to_string(&record).expect("tests/data/preset-sounds.txt (STAIRSTEP_BLESS=1 writes it)");
    for (want, got) in recorded.lines().zip(now.lines()) {
        assert_eq!(got, want, "this preset sounds different from its record");
    }
    assert_eq!(recorded.lines().count(), now.lines().count(), "presets added or removed: bless the record");
}
