//! Movement through the built `.clap` in clack-host: CLAP note events set the Sample Rate from
//! their sample inside the block, and the host's transport locks the synced LFO to the beat.
//!
//! The bundles must be built first (`scripts/test.sh` does it); see `clap_host.rs`.

use clack_host::events::event_types::{
    MidiEvent, NoteExpressionEvent, NoteExpressionType, NoteOffEvent, NoteOnEvent, ParamValueEvent, TransportEvent,
    TransportFlags,
};
use clack_host::events::{EventHeader, Match};
use clack_host::prelude::*;
use clack_host::utils::FixedPoint;
use std::path::Path;

mod common;
use common::{Shared, TestHost, bundle, param_id, process_stereo_transport};

const SR: f64 = 48000.0;

/// Something a host sends at an absolute sample.
#[derive(Clone, Copy)]
enum Send {
    /// A parameter, normalized (nice-plug's CLAP convention: the index for enums).
    Param(&'static str, f64),
    NoteOn(u16),
    NoteOff(u16),
    /// A note expression: key, tuning in semitones.
    Tuning(u16, f64),
    /// MIDI pitch bend, 14 bits (8192: centre).
    Bend(u16),
}

/// Render `input` (both channels) through a fresh instance in blocks of `block`, each event at
/// its offset inside its block, with a playing transport at `bpm` from beat 0 on every block.
fn render(path: &Path, input: &[f32], block: usize, bpm: f64, events: &[(usize, Send)]) -> Vec<f32> {
    let host_info = HostInfo::new("stairstep-tests", "Stairstep", "https://stairstep.audio", "0.1").unwrap();
    let entry = common::load(path);
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let id = factory.plugin_descriptors().next().expect("one plugin").id().unwrap().to_owned();
    let mut instance = PluginInstance::<TestHost>::new(|_| Shared, |_| (), &entry, &id, &host_info).expect("instance");
    let config = PluginAudioConfiguration { sample_rate: SR, min_frames_count: 1, max_frames_count: block as u32 };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let mut processor = processor.start_processing().expect("start processing");

    let n = input.len();
    let mut out = vec![0.0f32; n];
    let mut spare = vec![0.0f32; block];
    let mut start = 0;
    while start < n {
        let len = block.min(n - start);
        let mut buffer = EventBuffer::new();
        for &(at, send) in events.iter().filter(|(at, _)| *at >= start && *at < start + len) {
            let t = (at - start) as u32;
            match send {
                Send::Param(id, v) => buffer.push(&ParamValueEvent::new(t, param_id(id), Pckn::match_all(), v)),
                Send::NoteOn(k) => buffer.push(&NoteOnEvent::new(t, Pckn::new(0u16, 0u16, k, Match::All), 0.8)),
                Send::NoteOff(k) => buffer.push(&NoteOffEvent::new(t, Pckn::new(0u16, 0u16, k, Match::All), 0.0)),
                Send::Tuning(k, semitones) => buffer.push(&NoteExpressionEvent::new(
                    t,
                    Pckn::new(0u16, 0u16, k, Match::All),
                    NoteExpressionType::Tuning,
                    semitones,
                )),
                Send::Bend(v) => buffer.push(&MidiEvent::new(t, 0, [0xE0, (v & 0x7f) as u8, (v >> 7) as u8])),
            }
        }
        let beats = start as f64 / SR * bpm / 60.0;
        let transport = TransportEvent {
            header: EventHeader::default(),
            flags: TransportFlags::HAS_TEMPO
                | TransportFlags::HAS_BEATS_TIMELINE
                | TransportFlags::HAS_SECONDS_TIMELINE
                | TransportFlags::HAS_TIME_SIGNATURE
                | TransportFlags::IS_PLAYING,
            song_pos_beats: FixedPoint::from_float(beats),
            song_pos_seconds: FixedPoint::from_float(start as f64 / SR),
            tempo: bpm,
            tempo_inc: 0.0,
            loop_start_beats: FixedPoint::from_int(0),
            loop_end_beats: FixedPoint::from_int(0),
            loop_start_seconds: FixedPoint::from_int(0),
            loop_end_seconds: FixedPoint::from_int(0),
            bar_start: FixedPoint::from_float((beats / 4.0).floor() * 4.0),
            bar_number: (beats / 4.0).floor() as i32,
            time_signature_numerator: 4,
            time_signature_denominator: 4,
        };
        let mut l = input[start..start + len].to_vec();
        let mut r = l.clone();
        let output = [&mut out[start..start + len], &mut spare[..len]];
        let events = InputEvents::from_buffer(&buffer);
        process_stereo_transport(
            &mut processor,
            [&mut l, &mut r],
            output,
            &events,
            Some(start as u64),
            Some(&transport),
        );
        start += len;
    }
    let processor = processor.stop_processing();
    instance.deactivate(processor);
    out
}

/// Lengths of the runs of equal samples in `y[from..to]`, with where each starts (the first and
/// last run cut off).
fn holds(y: &[f32], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = from;
    for i in from + 1..to {
        if y[i] != y[i - 1] {
            runs.push((start, i - start));
            start = i;
        }
    }
    runs.into_iter().skip(1).collect()
}

fn ramp(n: usize) -> Vec<f32> {
    (0..n).map(|i| -0.9 + 1.8 * i as f32 / n as f32).collect()
}

/// A2, E3 and A3 inside blocks of 512: each note's first hold starts on its event's sample and
/// lasts 48000/f samples (Harmonic 1, 24 bits).
fn check_notes(debug: bool) {
    let Some(path) = bundle(debug) else { return };
    let n = 60_000;
    let notes = [(45u16, 4321usize, 110.0f64), (52, 20_100, 164.813_78), (57, 36_789, 220.0)];
    let mut events = vec![(0, Send::Param("bits", 1.0))];
    for (k, at, _) in notes {
        events.push((at, Send::NoteOn(k)));
        events.push((at + 15_000, Send::NoteOff(k)));
    }
    let y = render(&path, &ramp(n), 512, 120.0, &events);
    for (k, at, hz) in notes {
        assert_ne!(at % 512, 0, "the note must fall inside a block");
        assert_ne!(y[at], y[at - 1], "note {k}: no new hold on its sample {at}");
        let runs = holds(&y, at, at + 15_000);
        let expected = SR / hz;
        let mean = runs.iter().map(|r| r.1).sum::<usize>() as f64 / runs.len() as f64;
        assert!((mean - expected).abs() < 0.01, "note {k}: {mean} vs {expected}");
        // The first full hold starts on the note-on sample.
        let first = holds(&y, at - 1, at + 2000)[0];
        assert_eq!(first.0, at, "note {k}");
    }
}

#[test]
fn note_events_set_the_rate_from_their_sample_release() {
    check_notes(false)
}

#[test]
fn note_events_set_the_rate_from_their_sample_debug_with_alloc_checks() {
    check_notes(true)
}

/// CLAP's tuning expression bends its own note, on top of MIDI pitch bend (which CLAP keeps
/// through its note port): A3 down an octave by expression, then two semitones up by a full
/// bend: 123.47 Hz holds.
#[test]
fn tuning_expression_and_pitch_bend_move_the_rate() {
    let Some(path) = bundle(true) else { return };
    let n = 40_000;
    let events = [
        (0, Send::Param("bits", 1.0)),
        (1000, Send::NoteOn(57)),
        (1200, Send::Tuning(57, -12.0)),
        (1300, Send::Bend(16383)),
        (20_000, Send::Bend(8192)),
    ];
    let y = render(&path, &ramp(n), 512, 120.0, &events);
    let mean = |from, to| {
        let runs = holds(&y, from, to);
        runs.iter().map(|r| r.1).sum::<usize>() as f64 / runs.len() as f64
    };
    for (from, to, hz) in [(1400, 19_900, 123.470_825), (20_100, n, 110.0)] {
        let want = SR / hz;
        assert!((mean(from, to) - want).abs() < 0.05, "{from}..{to}: {} vs {want}", mean(from, to));
    }
}

/// A square LFO on Bit Depth synced to 1/4 at 120.5 BPM: 12 bits in the first half of every
/// beat, 4 bits in the second, switching on the sample the transport puts each half-beat at.
#[test]
fn transport_locks_the_synced_lfo_to_the_beat() {
    let Some(path) = bundle(false) else { return };
    let bpm = 120.5;
    let n = 4 * 48_000;
    // Noise: 12-bit output is rarely on the 4-bit grid.
    let mut s = 0x1234_5678u32;
    let x: Vec<f32> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 - 0.5) * 0.9
        })
        .collect();
    let events = [
        (0, Send::Param("bits", 7.0 / 23.0)),
        (0, Send::Param("lfo-shape", 4.0)),
        (0, Send::Param("lfo-bits", 16.0 / 24.0)),
    ];
    let y = render(&path, &x, 333, bpm, &events);
    let coarse: Vec<bool> = y.iter().map(|v| (v * 8.0).fract() == 0.0).collect();
    let beat = SR * 60.0 / bpm;
    let mut checked = 0;
    for k in 0..7 {
        // The 4-bit half starts at the first sample at or after beat k + ½.
        let at = ((k as f64 + 0.5) * beat).ceil() as usize;
        assert!(coarse[at..at + 5000].iter().all(|&c| c), "beat {k}: not 4-bit after {at}");
        let fine = coarse[at - 5000..at].iter().filter(|&&c| !c).count();
        assert!(fine > 4900, "beat {k}: not 12-bit before {at} ({fine})");
        assert!(!coarse[at - 1] || !coarse[at - 2], "beat {k}: switched early");
        checked += 1;
    }
    assert_eq!(checked, 7);
}
