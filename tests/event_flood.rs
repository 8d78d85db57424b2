//! The worst a host can send in one block, through both built `.clap` bundles in clack-host:
//! 128 notes on and off in a 4,096-sample block, a tuning expression for each and a MIDI pitch
//! bend at every sample; then the same with a change of every parameter at every sample.
//!
//! NOTE: nice-plug's CLAP wrapper splits the block at each parameter change and queues only
//!       the note events up to it, so its note queue fills most when no parameter moves: that
//!       block comes first.
//!
//! nice-plug grows its event queues on the audio thread when a block holds more events than
//! `Plugin::INPUT_EVENT_CAPACITY`, inside `permit_alloc` (so the debug bundle's allocation
//! check does not see it) and with a warning in its log: "Input event buffer filled up! This
//! will cause an allocation." The test sends the plugin's log to a file (`NICE_LOG`) and fails
//! on that line, and the debug bundle aborts on any other allocation in `process()`.
//!
//! NOTE: One test in this file: it sets `NICE_LOG` before the bundles are loaded, which must
//!       not race with other tests of the same process.

use clack_host::events::Match;
use clack_host::events::event_types::{
    MidiEvent, NoteExpressionEvent, NoteExpressionType, NoteOffEvent, NoteOnEvent, ParamValueEvent,
};
use clack_host::prelude::*;
use std::path::Path;

mod common;
use common::{bundle, open, param_id, process_stereo_events};

const SR: f64 = 48000.0;
/// The block the flood fills (stairstep::FLOOD_BLOCK).
const BLOCK: usize = stairstep::FLOOD_BLOCK;

/// One block of the flood, its events in time order (CLAP requires it), with or without a
/// change of every parameter at every sample.
fn flood(params: &stairstep::StairstepParams, with_params: bool) -> EventBuffer {
    let mut buffer = EventBuffer::new();
    let notes = 128;
    for i in 0..BLOCK {
        let t = i as u32;
        for (p, id) in stairstep::params::IDS.iter().enumerate().filter(|_| with_params) {
            // A new value at every sample: choices by index, switches alternating, continuous
            // values anywhere in their normalized range.
            let v = match params.field(id).expect("a table id") {
                stairstep::params::Field::Choice(c) => ((p + i) % c.ids().len()) as f64,
                stairstep::params::Field::Switch(_) => ((p + i) % 2) as f64,
                _ => ((p * 7 + i * 13) % 101) as f64 / 100.0,
            };
            buffer.push(&ParamValueEvent::new(t, param_id(id), Pckn::match_all(), v));
        }
        // Note k on at sample 8k, its tuning two samples later, off at 2048 + 8k.
        if i % 8 == 0 && i / 8 < notes {
            let k = (i / 8) as u16;
            buffer.push(&NoteOnEvent::new(t, Pckn::new(0u16, 0u16, k, Match::All), 0.8));
        }
        if i % 8 == 2 && i / 8 < notes {
            let k = (i / 8) as u16;
            let tuning = NoteExpressionType::Tuning;
            buffer.push(&NoteExpressionEvent::new(t, Pckn::new(0u16, 0u16, k, Match::All), tuning, -0.5));
        }
        if i >= 2048 && (i - 2048) % 8 == 0 && (i - 2048) / 8 < notes {
            let k = ((i - 2048) / 8) as u16;
            buffer.push(&NoteOffEvent::new(t, Pckn::new(0u16, 0u16, k, Match::All), 0.0));
        }
        {
            let bend = (i * 4) as u16 & 0x3fff;
            buffer.push(&MidiEvent::new(t, 0, [0xE0, (bend & 0x7f) as u8, (bend >> 7) as u8]));
        }
    }
    buffer
}

/// The floods and a quiet block through a fresh instance: the output stays finite.
fn run(path: &Path) {
    let (_entry, mut instance) = open(path);
    let config = PluginAudioConfiguration { sample_rate: SR, min_frames_count: 1, max_frames_count: BLOCK as u32 };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let mut processor = processor.start_processing().expect("start processing");
    let params = stairstep::StairstepParams::default();
    let blocks = [flood(&params, false), flood(&params, true), flood(&params, false), EventBuffer::new()];
    assert!(blocks[0].len() as usize >= BLOCK + 3 * 128, "a bend at every sample and the notes");
    assert!(blocks[1].len() as usize > (stairstep::params::IDS.len() + 1) * BLOCK, "and every parameter");
    for (k, events) in blocks.iter().enumerate() {
        let mut l: Vec<f32> = (0..BLOCK).map(|i| (i as f32 * 0.05).sin() * 0.8).collect();
        let mut r = l.clone();
        let (mut ol, mut or) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
        process_stereo_events(
            &mut processor,
            [&mut l, &mut r],
            [&mut ol, &mut or],
            &InputEvents::from_buffer(events),
            Some((k * BLOCK) as u64),
        );
        assert!(ol.iter().chain(&or).all(|s| s.is_finite()), "block {k}: non-finite output");
    }
    let processor = processor.stop_processing();
    instance.deactivate(processor);
}

#[test]
fn a_flood_of_events_never_grows_the_queues() {
    let bundles: Vec<_> = [true, false].into_iter().filter_map(bundle).collect();
    if bundles.is_empty() {
        return;
    }
    let log = std::env::temp_dir().join(format!("stairstep-flood-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    // SAFETY: the only test in this binary, before any bundle (which reads NICE_LOG when it
    //         loads) and before any other thread of ours reads the environment.
    unsafe { std::env::set_var("NICE_LOG", &log) };
    for path in &bundles {
        run(path);
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let full: Vec<&str> = text.lines().filter(|l| l.contains("filled up")).collect();
    assert!(full.is_empty(), "the event queues grew on the audio thread:\n{}", full.join("\n"));
}
