//! Hosts the built `.clap` bundle with clack-host, as a DAW would: descriptor, activation,
//! parameter events inside the process call, and the audio that comes back.
//!
//! The bundles must be built first (`scripts/test.sh` does it). Without them these tests say
//! so and pass, unless `STAIRSTEP_REQUIRE_BUNDLES=1` (set by the test script and CI), where a
//! missing bundle is a failure.

use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::path::Path;

mod common;
use common::{Shared, TestHost, bundle, param_id, process_stereo};

const SR: f64 = 48000.0;

/// Normalized value of Bit Depth (1 to 24 bits, linear).
fn bits_normalized(bits: f64) -> f64 {
    (bits - 1.0) / 23.0
}

/// A parameter change at an absolute sample position: normalized 0..1 for continuous
/// parameters, the variant index for enums (nice-plug's CLAP convention for stepped ones).
#[derive(Clone, Copy)]
struct Change {
    at: usize,
    id: &'static str,
    value: f64,
}

fn sine(freq: f64, amp: f64, n: usize) -> Vec<f32> {
    (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / SR).sin()) as f32).collect()
}

/// Render stereo input through a fresh instance in blocks of `block`, sending each change as
/// a CLAP parameter event at its offset inside the block that contains it.
fn render(path: &Path, input: &[Vec<f32>; 2], block: usize, changes: &[Change]) -> [Vec<f32>; 2] {
    let host_info = HostInfo::new("stairstep-tests", "Stairstep", "https://stairstep.audio", "0.1").unwrap();
    let entry = common::load(path);
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let descriptor = factory.plugin_descriptors().next().expect("one plugin");
    let id = descriptor.id().unwrap().to_owned();
    let mut instance = PluginInstance::<TestHost>::new(|_| Shared, |_| (), &entry, &id, &host_info).expect("instance");
    let config = PluginAudioConfiguration { sample_rate: SR, min_frames_count: 1, max_frames_count: block as u32 };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let mut processor = processor.start_processing().expect("start processing");

    let n = input[0].len();
    let mut out = [vec![0.0f32; n], vec![0.0f32; n]];
    let mut start = 0;
    while start < n {
        let len = block.min(n - start);
        let events: Vec<ParamValueEvent> = changes
            .iter()
            .filter(|c| c.at >= start && c.at < start + len)
            .map(|c| ParamValueEvent::new((c.at - start) as u32, param_id(c.id), Pckn::match_all(), c.value))
            .collect();
        let [mut l, mut r] = [input[0][start..start + len].to_vec(), input[1][start..start + len].to_vec()];
        let (o0, o1) = out.split_at_mut(1);
        let output = [&mut o0[0][start..start + len], &mut o1[0][start..start + len]];
        process_stereo(&mut processor, [&mut l, &mut r], output, &events, Some(start as u64));
        start += len;
    }
    let processor = processor.stop_processing();
    instance.deactivate(processor);
    out
}

fn snr_db(x: &[f32], y: &[f32]) -> f64 {
    let s: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum();
    let e: f64 = x.iter().zip(y).map(|(&a, &b)| (b as f64 - a as f64).powi(2)).sum();
    10.0 * (s / e).log10()
}

fn on_grid(v: f32, bits: i32) -> bool {
    let k = v as f64 * 2f64.powi(bits - 1);
    k == k.round()
}

#[test]
fn descriptor_has_the_product_metadata() {
    let Some(path) = bundle(false) else { return };
    let entry = common::load(&path);
    let factory = entry.get_plugin_factory().unwrap();
    let d = factory.plugin_descriptors().next().unwrap();
    assert_eq!(d.id().unwrap().to_str().unwrap(), "audio.stairstep.stairstep");
    assert_eq!(d.name().unwrap().to_str().unwrap(), "Stairstep");
    assert_eq!(d.vendor().unwrap().to_str().unwrap(), "Stairstep");
    assert_eq!(d.version().unwrap().to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    let features: Vec<String> = d.features().map(|f| f.to_str().unwrap().to_string()).collect();
    for f in ["audio-effect", "distortion", "stereo", "mono"] {
        assert!(features.iter().any(|x| x == f), "feature {f} missing from {features:?}");
    }
}

/// Bit Depth set by parameter events, at the start and in the middle of a block: the output
/// lands on the 4-bit grid after the 10 ms ramp, then on the 12-bit grid, sample-accurately.
fn check_bit_depth_events(debug: bool) {
    let Some(path) = bundle(debug) else { return };
    let n = 48000;
    let x = [sine(997.0, 0.8, n), sine(1499.0, 0.6, n)];
    let changes = [
        Change { at: 0, id: "bits", value: bits_normalized(4.0) },
        Change { at: 24000 + 100, id: "bits", value: bits_normalized(12.0) },
    ];
    let y = render(&path, &x, 512, &changes);
    for ch in 0..2 {
        // Before the first ramp ends the grid is still moving; after it, exactly 4 bits.
        assert!(y[ch][480..24100].iter().all(|&v| on_grid(v, 4)), "channel {ch} not on the 4-bit grid");
        // The change inside the block takes effect at its sample: untouched until then.
        assert!(!on_grid(y[ch][24100 + 240], 4) || !on_grid(y[ch][24100 + 241], 4));
        assert!(y[ch][24100 + 480..].iter().all(|&v| on_grid(v, 12)), "channel {ch} not on the 12-bit grid");
        let snr4 = snr_db(&x[ch][1000..23000], &y[ch][1000..23000]);
        let snr12 = snr_db(&x[ch][25000..], &y[ch][25000..]);
        let amp_db = 20.0 * [0.8f64, 0.6][ch].log10();
        assert!((snr4 - (6.02 * 4.0 + 1.76 + amp_db)).abs() < 1.5, "channel {ch}: 4-bit SNR {snr4:.2}");
        assert!((snr12 - (6.02 * 12.0 + 1.76 + amp_db)).abs() < 0.5, "channel {ch}: 12-bit SNR {snr12:.2}");
    }
}

#[test]
fn bit_depth_events_set_the_grid_release() {
    check_bit_depth_events(false);
}

#[test]
fn bit_depth_events_set_the_grid_debug_with_alloc_checks() {
    check_bit_depth_events(true);
}

/// Every parameter moving in every block, TPDF dither on: the output does not depend on the
/// host's block size, and the debug build (allocation checks on) renders the same bits as the
/// release build.
#[test]
fn output_is_independent_of_host_block_size_and_build() {
    let Some(release) = bundle(false) else { return };
    let n = 20000;
    let x = [sine(997.0, 0.9, n), sine(441.0, 0.5, n)];
    let mut changes = vec![Change { at: 0, id: "dither", value: 2.0 }];
    for i in 0..40 {
        let at = 37 + i * 491;
        changes.push(Change { at, id: "bits", value: ((i * 7) % 23) as f64 / 23.0 });
        changes.push(Change { at: at + 3, id: "mix", value: (i % 5) as f64 / 4.0 });
        changes.push(Change { at: at + 5, id: "output", value: (i % 9) as f64 / 8.0 });
        changes.push(Change { at: at + 11, id: "quantizer", value: (i % 2) as f64 });
        changes.push(Change { at: at + 13, id: "listen", value: ((i / 3) % 2) as f64 });
        changes.push(Change { at: at + 17, id: "dither", value: (i % 4) as f64 });
    }
    let reference = render(&release, &x, 4096, &changes);
    for block in [1usize, 64, 333] {
        assert!(render(&release, &x, block, &changes) == reference, "block {block} differs");
    }
    assert!(reference[0].iter().chain(&reference[1]).all(|v| v.is_finite()));
    if let Some(debug) = bundle(true) {
        assert!(render(&debug, &x, 64, &changes) == reference, "debug build differs from release");
    }
}

#[test]
fn tpdf_through_the_host_meets_6_02n_minus_3_01() {
    let Some(path) = bundle(false) else { return };
    let n = 96000;
    let amp = 0.9;
    let x = [sine(997.0, amp, n), sine(997.0, amp, n)];
    let changes =
        [Change { at: 0, id: "bits", value: bits_normalized(10.0) }, Change { at: 0, id: "dither", value: 2.0 }];
    let y = render(&path, &x, 1024, &changes);
    for ch in 0..2 {
        let snr = snr_db(&x[ch][1000..], &y[ch][1000..]);
        let expected = 6.0206 * 10.0 - 3.0103 + 20.0 * amp.log10();
        assert!((snr - expected).abs() < 0.5, "channel {ch}: {snr:.2} vs {expected:.2}");
    }
}
