//! Other threads touching the plugin while audio runs, as hosts and editors do: parameters set
//! from GUI and automation threads, and sessions saved and loaded on the host's main thread in
//! the middle of playback. Nothing may crash, stall the audio thread, or produce bad samples.
//! (The editor opening and closing during playback is `tests/clap_gui.rs`.)

use clack_extensions::params::PluginParams;
use clack_extensions::state::PluginState;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use nice_plug::prelude::Param;
use stairstep::StairstepParams;
use stairstep::dsp::engine::{DEFAULT_SEED, Engine};
use stairstep::params::{Field, ParamValue};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::{bundle, framed, open, param_id, process_stereo};

/// xorshift32.
fn next(s: &mut u32) -> u32 {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    *s
}

/// Two threads set every parameter to random values (through the same atomic path nice-plug's
/// GUI and host setters use) while a third renders with whatever it reads at each block.
#[test]
fn parameters_set_from_other_threads_while_processing() {
    let params = Arc::new(StairstepParams::default());
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicUsize::new(0));
    let ids = params.ids();
    std::thread::scope(|scope| {
        for t in 0..2u32 {
            let (params, stop, writes, ids) = (params.clone(), stop.clone(), writes.clone(), ids.clone());
            scope.spawn(move || {
                let mut s = 0x9e37_79b9 ^ (t + 1);
                while !stop.load(Ordering::Relaxed) {
                    let id = &ids[(next(&mut s) % ids.len() as u32) as usize];
                    let value = if params.is_continuous(id) {
                        // Any value in range, via the parameter's own description of it.
                        let (lo, hi) = match params.field(id) {
                            Some(Field::Number(p)) => (p.preview_plain(0.0) as f64, p.preview_plain(1.0) as f64),
                            Some(Field::Hz(_)) => (50.0, 96000.0),
                            _ => unreachable!(),
                        };
                        let u = next(&mut s) as f64 / u32::MAX as f64;
                        ParamValue::Number(lo + u * (hi - lo))
                    } else {
                        // Switches and choices: a valid one of their current kind.
                        match params.get_by_id(id) {
                            Some(ParamValue::Bool(_)) => ParamValue::Bool(next(&mut s).is_multiple_of(2)),
                            Some(v) => v,
                            None => unreachable!(),
                        }
                    };
                    params.set_by_id(id, &value).expect("valid value");
                    writes.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let mut engine = Engine::new(2, 48000.0, params.settings(), DEFAULT_SEED);
        let mut seen_bits = Vec::new();
        let mut s = 1u32;
        let mut last = 0;
        for block in 0..3000 {
            // Let the writers in between blocks (two cores, three threads).
            for _ in 0..10_000 {
                if writes.load(Ordering::Relaxed) != last {
                    break;
                }
                std::thread::yield_now();
            }
            last = writes.load(Ordering::Relaxed);
            let settings = params.settings();
            seen_bits.push(settings.bits.to_bits());
            engine.set_settings(settings);
            let mut l: Vec<f32> = (0..128).map(|_| (next(&mut s) as f32 / u32::MAX as f32) * 2.0 - 1.0).collect();
            let mut r = l.clone();
            engine.process(&mut [&mut l, &mut r]);
            assert!(l.iter().chain(&r).all(|v| v.is_finite() && v.abs() < 1e3), "block {block}");
        }
        stop.store(true, Ordering::Relaxed);
        seen_bits.sort_unstable();
        seen_bits.dedup();
        assert!(seen_bits.len() > 50, "the audio thread saw only {} Bit Depth values", seen_bits.len());
    });
    assert!(writes.load(Ordering::Relaxed) > 1000);
}

/// The host's main thread saves and loads sessions and reads parameter text while the audio
/// thread plays (debug bundle: any allocation in `process()` aborts).
#[test]
fn sessions_saved_and_loaded_during_playback() {
    let Some(path) = bundle(true) else { return };
    let (_entry, mut instance) = open(&path);
    let config = PluginAudioConfiguration { sample_rate: 48000.0, min_frames_count: 1, max_frames_count: 256 };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let stop = Arc::new(AtomicBool::new(false));
    let blocks = Arc::new(AtomicUsize::new(0));
    let states: Vec<Vec<u8>> = (0..6)
        .map(|i| {
            framed(&format!(
                r#"{{"params":{{"bits":{{"f32":{}}},"dither":{{"string":"{}"}},"rate":{{"f32":{}}},"antialias":{{"bool":{}}},"shaping":{{"string":"{}"}}}},"fields":{{}}}}"#,
                2 + i * 3,
                ["off", "tpdf", "hp-tpdf"][i % 3],
                10.0 + i as f32,
                i.is_multiple_of(2),
                ["off", "f-weighted-9"][i % 2],
            ))
        })
        .collect();
    let processor = std::thread::scope(|scope| {
        let audio = {
            let (stop, blocks) = (stop.clone(), blocks.clone());
            scope.spawn(move || {
                let mut processor = processor.start_processing().expect("start");
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let mut input: [Vec<f32>; 2] = std::array::from_fn(|_| {
                        (0..256).map(|i| (0.7 * ((n + i) as f64 * 0.031).sin()) as f32).collect()
                    });
                    let mut output = [vec![0.0f32; 256], vec![0.0f32; 256]];
                    // Automation on the audio thread too, racing the main thread's loads.
                    let events =
                        [ParamValueEvent::new(17, param_id("mix"), Pckn::match_all(), ((n / 256) % 10) as f64 / 10.0)];
                    let [l, r] = &mut input;
                    let [ol, or] = &mut output;
                    process_stereo(&mut processor, [l, r], [ol, or], &events, Some(n));
                    assert!(output.iter().flatten().all(|v| v.is_finite() && v.abs() <= 16.0), "block at {n}");
                    n += 256;
                    blocks.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_micros(500));
                }
                processor.stop_processing()
            })
        };
        let state: PluginState = instance.plugin_handle().get_extension().expect("state");
        let params: PluginParams = instance.plugin_handle().get_extension().expect("params");
        let mut text = [0u8; 128];
        for round in 0..60 {
            let handle = instance.plugin_handle();
            let before = blocks.load(Ordering::Relaxed);
            assert!(state.load(&handle, &mut &states[round % states.len()][..]).is_ok(), "load {round}");
            let mut saved = Vec::new();
            state.save(&handle, &mut saved).expect("save");
            assert!(saved.len() > 100);
            for id in ["bits", "dither", "rate", "mix", "antialias"] {
                let v = params.get_value(&handle, param_id(id)).expect("value");
                params.value_to_text(&handle, param_id(id), v, &mut text).expect("text");
            }
            std::thread::sleep(Duration::from_millis(5));
            instance.call_on_main_thread_callback();
            // The audio thread goes on after every load. NOTE: a stall, not a speed check: the
            // deadline only catches a deadlock, so a loaded CI machine does not fail it.
            let deadline = Instant::now() + Duration::from_secs(10);
            while blocks.load(Ordering::Relaxed) <= before {
                assert!(Instant::now() < deadline, "audio stalled in round {round}");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        stop.store(true, Ordering::Relaxed);
        audio.join().expect("audio thread")
    });
    instance.deactivate(processor);
}
