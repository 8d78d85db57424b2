//! Host conformance, as hosts actually call plugins: many sample rates, random block sizes
//! including zero-length calls, parameter events at random offsets (and on every sample),
//! reset mid-stream, deactivate and reactivate at a new rate, and many instances created and
//! dropped. Runs on the debug bundle, where any allocation in `process()` aborts.

use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;

mod common;
use common::{Shared, TestHost, bundle, param_id, process_stereo};

/// xorshift32, for reproducible random host behaviour.
struct Rng(u32);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        self.next() as f64 / u32::MAX as f64
    }
}

/// Parameters and how to draw a random value for each (normalized for continuous ones,
/// indices for choices and switches).
const PARAMS: &[(&str, u32)] = &[
    ("bits", 0),
    ("dither", 4),
    ("quantizer", 2),
    ("shaping", 4),
    ("curve", 3),
    ("drive", 0),
    ("rate", 0),
    ("jitter", 0),
    ("prefilter", 2),
    ("postfilter", 2),
    ("antialias", 2),
    ("mix", 0),
    ("output", 0),
    ("listen", 2),
    ("bypass", 2),
];

fn random_event(rng: &mut Rng, time: u32) -> ParamValueEvent {
    let (id, choices) = PARAMS[rng.below(PARAMS.len() as u32) as usize];
    let value = if choices == 0 { rng.unit() } else { rng.below(choices) as f64 };
    ParamValueEvent::new(time, param_id(id), Pckn::match_all(), value)
}

/// Process `blocks` random blocks (0 to 8192 frames) of noisy input with specials, checking
/// every output sample is finite and bounded.
fn run_blocks(processor: &mut StartedPluginAudioProcessor<TestHost>, rng: &mut Rng, blocks: usize, max: usize) {
    for b in 0..blocks {
        let len = if b % 7 == 0 { 0 } else { rng.below(max as u32 + 1) as usize };
        let mut input: [Vec<f32>; 2] = std::array::from_fn(|_| {
            (0..len)
                .map(|_| match rng.below(1000) {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => -1e30,
                    3 => 1e-40,
                    _ => (rng.unit() * 2.0 - 1.0) as f32,
                })
                .collect()
        });
        let mut output: [Vec<f32>; 2] = [vec![0.0; len], vec![0.0; len]];
        // Events: a few at random offsets, or one on every sample.
        let mut events: Vec<ParamValueEvent> = if len > 0 && b % 5 == 0 {
            (0..len.min(512) as u32).map(|t| random_event(rng, t)).collect()
        } else {
            let count = rng.below(4);
            (0..count)
                .map(|_| {
                    let t = rng.below(len.max(1) as u32);
                    random_event(rng, t)
                })
                .collect()
        };
        events.sort_by_key(|e| e.header().time());
        let [l, r] = &mut input;
        let [ol, or] = &mut output;
        process_stereo(processor, [l, r], [ol, or], &events, None);
        // Finite, and bounded by what the settings allow: input clamp 1e6 × +24 dB.
        for v in output.iter().flatten() {
            assert!(v.is_finite() && v.abs() <= 1.6e7, "output {v}");
        }
        if b % 13 == 12 {
            processor.reset();
        }
    }
}

fn instance(entry: &PluginEntry) -> PluginInstance<TestHost> {
    let host_info = HostInfo::new("stairstep-conformance", "Stairstep", "https://stairstep.audio", "0.1").unwrap();
    let factory = entry.get_plugin_factory().unwrap();
    let id = factory.plugin_descriptors().next().unwrap().id().unwrap().to_owned();
    PluginInstance::<TestHost>::new(|_| Shared, |_| (), entry, &id, &host_info).unwrap()
}

#[test]
fn every_sample_rate_block_size_and_event_pattern() {
    let Some(path) = bundle(true) else { return };
    let entry = common::load(&path);
    let mut plugin = instance(&entry);
    let mut rng = Rng(0x5eed);
    // One instance through every rate, deactivated and reactivated in between.
    for sample_rate in [8000.0, 22050.0, 44100.0, 48000.0, 96000.0, 192000.0, 384000.0] {
        let config = PluginAudioConfiguration { sample_rate, min_frames_count: 1, max_frames_count: 8192 };
        let processor = plugin.activate(|_, _| (), config).expect("activate");
        let mut processor = processor.start_processing().expect("start");
        run_blocks(&mut processor, &mut rng, 40, 8192);
        let processor = processor.stop_processing();
        // Stop and start again without deactivating.
        let mut processor = processor.start_processing().expect("restart");
        run_blocks(&mut processor, &mut rng, 5, 64);
        plugin.deactivate(processor.stop_processing());
    }
}

#[test]
fn a_hundred_instances_come_and_go() {
    let Some(path) = bundle(true) else { return };
    let entry = common::load(&path);
    let mut rng = Rng(7);
    for i in 0..100 {
        let mut plugin = instance(&entry);
        let config = PluginAudioConfiguration {
            sample_rate: [44100.0, 48000.0, 96000.0][i % 3],
            min_frames_count: 1,
            max_frames_count: 1024,
        };
        let processor = plugin.activate(|_, _| (), config).unwrap();
        let mut processor = processor.start_processing().unwrap();
        run_blocks(&mut processor, &mut rng, 3, 1024);
        plugin.deactivate(processor.stop_processing());
        drop(plugin);
    }
}
