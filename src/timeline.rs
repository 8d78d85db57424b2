//! The song the offline renderer plays the file in: a tempo, a time signature, the beat it
//! starts on and the notes of a MIDI file, so tempo-synced and note-tracked renders are the
//! same offline as in a host.
//!
//! The renderer hands the engine the transport a host would at every block (playing, the
//! tempo, the song position in beats and seconds at the block's first sample) and splits its
//! blocks at every note, as the plugin splits the host's.

use crate::dsp::lfo::Transport;
use std::path::Path;

/// A MIDI event the engine acts on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Note {
    /// A key pressed (velocity above 0).
    On(u8),
    /// A key released.
    Off(u8),
    /// Pitch bend, normalized 0..1 (0.5: centre).
    Bend(f32),
    /// All notes off (CC 120 or 123).
    AllOff,
}

/// Tempo, time signature, start and notes of a render.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Tempo, quarter notes per minute.
    pub bpm: f64,
    /// Time signature (numerator, denominator).
    pub time_signature: (u32, u32),
    /// Song position of the file's first sample, in quarter notes.
    pub start_beat: f64,
    /// Notes with their times in seconds from the file's first sample, in order.
    pub notes: Vec<(f64, Note)>,
}

impl Default for Timeline {
    fn default() -> Self {
        Self { bpm: 120.0, time_signature: (4, 4), start_beat: 0.0, notes: Vec::new() }
    }
}

impl Timeline {
    /// The transport at sample `pos` of a render at `sample_rate`: playing, as a host bounces.
    pub fn transport_at(&self, pos: usize, sample_rate: f64) -> Transport {
        let seconds = pos as f64 / sample_rate;
        let beats = self.start_beat + seconds * self.bpm / 60.0;
        Transport {
            playing: true,
            tempo: Some(self.bpm),
            beats: Some(beats),
            seconds: Some(self.start_beat * 60.0 / self.bpm + seconds),
            time_signature: Some(self.time_signature),
        }
    }

    /// The notes at samples of `sample_rate` (each time rounded to the nearest sample).
    pub fn note_samples(&self, sample_rate: f64) -> Vec<(usize, Note)> {
        self.notes.iter().map(|&(t, n)| ((t * sample_rate).round().max(0.0) as usize, n)).collect()
    }
}

/// Parse "120", "120.5", "174 bpm".
pub fn parse_bpm(s: &str) -> Result<f64, String> {
    let t = s.trim().to_lowercase();
    let v: f64 = t.trim_end_matches("bpm").trim().parse().map_err(|_| format!("'{s}' is not a tempo"))?;
    if !(1.0..=999.0).contains(&v) {
        return Err(format!("{v} BPM is out of range (1 to 999)"));
    }
    Ok(v)
}

/// Parse "4/4", "7/8".
pub fn parse_time_signature(s: &str) -> Result<(u32, u32), String> {
    let (n, d) = s.trim().split_once('/').ok_or_else(|| format!("'{s}' is not a time signature like 4/4"))?;
    let n: u32 = n.trim().parse().map_err(|_| format!("'{s}': the numerator is not a whole number"))?;
    let d: u32 = d.trim().parse().map_err(|_| format!("'{s}': the denominator is not a whole number"))?;
    if !(1..=64).contains(&n) || !d.is_power_of_two() || d > 64 {
        return Err(format!("'{s}': expected 1 to 64 beats of a power-of-two note value up to 64"));
    }
    Ok((n, d))
}

/// Parse a start beat: quarter notes from the song's start, 0 or more ("0", "32", "3.5").
pub fn parse_start_beat(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a beat"))?;
    if !v.is_finite() || !(0.0..=1e7).contains(&v) {
        return Err(format!("{v} is out of range (0 to 10000000 beats)"));
    }
    Ok(v)
}

/// The notes of a standard MIDI file (any format, every track and channel), timed by the
/// file's own tempo map (120 BPM until its first tempo event), as DAWs and DawDreamer place
/// them.
pub fn read_midi(path: &Path) -> Result<Vec<(f64, Note)>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_midi(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`read_midi`] on the file's bytes.
pub fn parse_midi(bytes: &[u8]) -> Result<Vec<(f64, Note)>, String> {
    use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};
    let smf = Smf::parse(bytes).map_err(|e| format!("not a readable MIDI file ({e})"))?;
    // Every event with its absolute tick, all tracks merged (stable: same-tick events keep
    // their order within a track).
    let mut events: Vec<(u64, usize, TrackEventKind)> = Vec::new();
    for (track_index, track) in smf.tracks.iter().enumerate() {
        let mut tick = 0u64;
        for event in track {
            tick += u64::from(u32::from(event.delta));
            events.push((tick, track_index, event.kind));
        }
    }
    events.sort_by_key(|(tick, track, _)| (*tick, *track));
    let mut notes = Vec::new();
    let (mut last_tick, mut seconds) = (0u64, 0.0f64);
    // Microseconds per quarter note.
    let mut tempo = 500_000.0f64;
    let seconds_per_tick = |tempo: f64| -> f64 {
        match smf.header.timing {
            Timing::Metrical(per_quarter) => tempo * 1e-6 / f64::from(u16::from(per_quarter).max(1)),
            Timing::Timecode(fps, sub) => 1.0 / (f64::from(fps.as_f32()) * f64::from(sub.max(1))),
        }
    };
    for (tick, _, kind) in events {
        seconds += (tick - last_tick) as f64 * seconds_per_tick(tempo);
        last_tick = tick;
        match kind {
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => tempo = f64::from(u32::from(t)).max(1.0),
            TrackEventKind::Midi { message, .. } => {
                let note = match message {
                    MidiMessage::NoteOn { key, vel } if u8::from(vel) > 0 => Note::On(key.into()),
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => Note::Off(key.into()),
                    // Raw 14-bit value over 16383, as nice-plug converts MIDI pitch bend (so a
                    // bend reaches the engine as from a host).
                    MidiMessage::PitchBend { bend } => Note::Bend(f32::from(u16::from(bend.0)) / 16383.0),
                    MidiMessage::Controller { controller, .. } if matches!(u8::from(controller), 120 | 123) => {
                        Note::AllOff
                    }
                    _ => continue,
                };
                notes.push((seconds, note));
            }
            _ => {}
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A format-0 file: 480 ticks per quarter, tempo 100 BPM at tick 0, A2 on at 0, off at
    /// 480, E3 on at 960 (velocity-0 note-on as its off at 1440), a pitch bend at 1440.
    fn file() -> Vec<u8> {
        let mut track = vec![];
        // delta 0, tempo 600000 µs.
        track.extend([0x00, 0xFF, 0x51, 0x03, 0x09, 0x27, 0xC0]);
        track.extend([0x00, 0x90, 45, 100]);
        track.extend([0x83, 0x60, 0x80, 45, 0]); // delta 480
        track.extend([0x83, 0x60, 0x90, 52, 90]); // delta 480
        track.extend([0x83, 0x60, 0x90, 52, 0]); // delta 480
        track.extend([0x00, 0xE0, 0x00, 0x60]); // bend: 0x3000 of 0x3FFF... LSB 0, MSB 0x60
        track.extend([0x00, 0xFF, 0x2F, 0x00]);
        let mut f = b"MThd".to_vec();
        f.extend([0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0]);
        f.extend(b"MTrk");
        f.extend((track.len() as u32).to_be_bytes());
        f.extend(track);
        f
    }

    #[test]
    fn midi_notes_are_timed_by_the_files_tempo() {
        let notes = parse_midi(&file()).unwrap();
        assert_eq!(notes.len(), 5);
        assert_eq!(notes[0], (0.0, Note::On(45)));
        assert_eq!(notes[1], (0.6, Note::Off(45)));
        assert!((notes[2].0 - 1.2).abs() < 1e-12 && notes[2].1 == Note::On(52));
        assert!((notes[3].0 - 1.8).abs() < 1e-12 && notes[3].1 == Note::Off(52));
        let Note::Bend(b) = notes[4].1 else { panic!() };
        assert_eq!(b, 0x3000 as f32 / 16383.0);
    }

    #[test]
    fn bad_midi_files_are_refused_with_the_reason() {
        assert!(parse_midi(b"RIFF....").unwrap_err().contains("not a readable MIDI file"));
        assert!(parse_midi(&file()[..10]).is_err());
    }

    #[test]
    fn flags_parse_and_refuse() {
        assert_eq!(parse_bpm("120.5").unwrap(), 120.5);
        assert_eq!(parse_bpm("174 BPM").unwrap(), 174.0);
        assert!(parse_bpm("0").is_err() && parse_bpm("fast").is_err());
        assert_eq!(parse_time_signature("7/8").unwrap(), (7, 8));
        assert!(parse_time_signature("4/3").is_err() && parse_time_signature("44").is_err());
        assert_eq!(parse_start_beat("32").unwrap(), 32.0);
        assert!(parse_start_beat("-1").is_err() && parse_start_beat("nan").is_err());
    }

    #[test]
    fn the_transport_moves_with_the_samples() {
        let t = Timeline { bpm: 90.0, start_beat: 8.0, ..Timeline::default() };
        let tr = t.transport_at(48000, 48000.0);
        assert_eq!(tr.beats, Some(9.5));
        assert!((tr.seconds.unwrap() - (8.0 * 60.0 / 90.0 + 1.0)).abs() < 1e-12);
        assert!(tr.playing);
    }
}
