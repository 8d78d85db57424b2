//! Note-tracked Sample Rate: while a note is held, the hold runs at the note's frequency times
//! the Harmonic, so the aliases fall on the note's harmonics and the crush sounds in tune.
//!
//! Last-note priority (the most recent note still held sounds; releasing it returns to the one
//! held before), pitch bend over ±[`BEND_SEMITONES`] (MIDI, for every note) plus each note's own
//! tuning (VST3 note expression, CLAP's tuning expression), and a glide of constant time in
//! log2(Hz) between rates.

/// Notes remembered for last-note priority; pressing more forgets the oldest.
pub const MAX_HELD: usize = 16;
/// Pitch-bend range, ± semitones (the MIDI default).
pub const BEND_SEMITONES: f32 = 2.0;
/// A note's tuning range, ± semitones (VST3's `kTuningTypeID` spans ±120 semitones).
pub const MAX_TUNING: f32 = 120.0;
/// Highest Harmonic.
pub const MAX_HARMONIC: f32 = 64.0;
/// Longest Glide, ms.
pub const MAX_GLIDE_MS: f32 = 500.0;

/// The frequency of MIDI note `note` bent by `bend` semitones, times `harmonic`, in Hz
/// (equal temperament, A4 = note 69 = 440 Hz; computed in f64, so A2 × 1 is exactly 110 Hz).
pub fn note_hz(note: u8, bend: f32, harmonic: f32) -> f32 {
    let semitones = note as f64 - 69.0 + bend as f64;
    // NOTE: libm's exp2, not the platform's: renders must be the same bits on every OS.
    (440.0 * libm::exp2(semitones / 12.0) * harmonic as f64) as f32
}

/// The notes held, in the order they were pressed, their tunings and the pitch bend.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    /// Held notes, oldest first.
    held: [u8; MAX_HELD],
    /// Each held note's own tuning, ±[`MAX_TUNING`] semitones (same order as `held`).
    tuning: [f32; MAX_HELD],
    /// How many of `held` are held.
    len: usize,
    /// Pitch bend, ±[`BEND_SEMITONES`].
    bend: f32,
}

impl Notes {
    /// No notes, no bend.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Note `note` (0 to 127) pressed: it sounds now.
    pub fn note_on(&mut self, note: u8) {
        let note = note.min(127);
        self.remove(note);
        if self.len == MAX_HELD {
            self.held.copy_within(1.., 0);
            self.tuning.copy_within(1.., 0);
            self.len -= 1;
        }
        self.held[self.len] = note;
        self.tuning[self.len] = 0.0;
        self.len += 1;
    }

    /// Note `note` released.
    pub fn note_off(&mut self, note: u8) {
        self.remove(note);
    }

    /// Every note released (MIDI all-notes-off, a transport stop).
    pub fn all_off(&mut self) {
        self.len = 0;
    }

    fn remove(&mut self, note: u8) {
        if let Some(i) = self.held[..self.len].iter().position(|&n| n == note) {
            self.held.copy_within(i + 1..self.len, i);
            self.tuning.copy_within(i + 1..self.len, i);
            self.len -= 1;
        }
    }

    /// Note `note`'s own tuning, in semitones, or every held note's with `None` (a note
    /// expression: it lasts until the note is released or pressed again). A note not held is
    /// ignored.
    pub fn set_tuning(&mut self, note: Option<u8>, semitones: f32) {
        let t = if semitones.is_finite() { semitones.clamp(-MAX_TUNING, MAX_TUNING) } else { 0.0 };
        for (held, tuning) in self.held[..self.len].iter().zip(&mut self.tuning[..self.len]) {
            if note.is_none_or(|n| n == *held) {
                *tuning = t;
            }
        }
    }

    /// Pitch bend from MIDI's normalized 0..1 (0.5: centre).
    pub fn set_bend(&mut self, normalized: f32) {
        let n = if normalized.is_finite() { normalized.clamp(0.0, 1.0) } else { 0.5 };
        self.bend = (n - 0.5) * 2.0 * BEND_SEMITONES;
    }

    /// The pitch bend in semitones.
    pub fn bend(&self) -> f32 {
        self.bend
    }

    /// The note that sounds (the last pressed of those held).
    pub fn current(&self) -> Option<u8> {
        self.len.checked_sub(1).map(|i| self.held[i])
    }

    /// The note that sounds and how far it is bent, in semitones: the pitch bend plus the
    /// note's own tuning.
    pub fn sounding(&self) -> Option<(u8, f32)> {
        let i = self.len.checked_sub(1)?;
        Some((self.held[i], self.bend + self.tuning[i]))
    }
}

/// A constant-time glide in log2(Hz): each new target is reached after the Glide time,
/// whatever the distance (as portamento on most synthesizers).
#[derive(Debug, Clone, Default)]
pub struct Glide {
    /// The value at the last sample, log2 Hz.
    value: f32,
    /// Where the glide started.
    start: f32,
    /// Where it ends.
    target: f32,
    /// Samples left, 0 when arrived.
    remaining: u32,
    /// Length of this glide in samples.
    length: u32,
}

impl Glide {
    /// Stand at `value` with no glide.
    pub fn jump(&mut self, value: f32) {
        *self = Self { value, start: value, target: value, remaining: 0, length: 0 };
    }

    /// Glide from where it is to `target` over `samples` (0: jump).
    pub fn glide_to(&mut self, target: f32, samples: u32) {
        if samples == 0 {
            self.jump(target);
        } else if target != self.target {
            *self = Self { value: self.value, start: self.value, target, remaining: samples, length: samples };
        }
    }

    /// Whether it is still moving.
    pub fn is_moving(&self) -> bool {
        self.remaining > 0
    }

    /// The target, log2 Hz.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The next sample's value.
    #[inline]
    pub fn next_value(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            let i = (self.length - self.remaining) as f32;
            self.value = if self.remaining == 0 {
                self.target
            } else {
                self.start + (self.target - self.start) * (i / self.length as f32)
            };
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_frequencies_are_equal_tempered() {
        assert_eq!(note_hz(45, 0.0, 1.0), 110.0);
        assert_eq!(note_hz(57, 0.0, 1.0), 220.0);
        assert!((note_hz(52, 0.0, 1.0) - 164.813_78).abs() < 1e-3);
        assert_eq!(note_hz(45, 0.0, 4.0), 440.0);
        assert!((note_hz(45, 2.0, 1.0) - 123.470_825).abs() < 1e-3);
        assert!((note_hz(45, -12.0, 1.0) - 55.0).abs() < 1e-9);
    }

    #[test]
    fn last_note_has_priority() {
        let mut n = Notes::default();
        assert_eq!(n.current(), None);
        n.note_on(45);
        n.note_on(52);
        n.note_on(57);
        assert_eq!(n.current(), Some(57));
        n.note_off(57);
        assert_eq!(n.current(), Some(52));
        n.note_off(45);
        assert_eq!(n.current(), Some(52));
        n.note_on(45);
        assert_eq!(n.current(), Some(45));
        n.note_off(45);
        n.note_off(52);
        assert_eq!(n.current(), None);
        // Releasing a note never pressed changes nothing.
        n.note_off(60);
        assert_eq!(n.current(), None);
    }

    #[test]
    fn more_notes_than_remembered_forget_the_oldest() {
        let mut n = Notes::default();
        for k in 0..(MAX_HELD as u8 + 4) {
            n.note_on(40 + k);
        }
        for k in (4..MAX_HELD as u8 + 4).rev() {
            assert_eq!(n.current(), Some(40 + k));
            n.note_off(40 + k);
        }
        assert_eq!(n.current(), None);
    }

    #[test]
    fn bend_spans_two_semitones() {
        let mut n = Notes::default();
        n.set_bend(1.0);
        assert_eq!(n.bend(), 2.0);
        n.set_bend(0.0);
        assert_eq!(n.bend(), -2.0);
        n.set_bend(f32::NAN);
        assert_eq!(n.bend(), 0.0);
    }

    #[test]
    fn tuning_bends_its_own_note_on_top_of_the_pitch_bend() {
        let mut n = Notes::default();
        n.note_on(45);
        n.note_on(52);
        // A tuning for a note not held, or before its note-on, changes nothing.
        n.set_tuning(Some(60), 3.0);
        assert_eq!(n.sounding(), Some((52, 0.0)));
        n.set_tuning(Some(52), 0.5);
        n.set_tuning(Some(45), -12.0);
        assert_eq!(n.sounding(), Some((52, 0.5)));
        n.set_bend(1.0);
        assert_eq!(n.sounding(), Some((52, 2.5)));
        // Releasing the sounding note brings back the one below with its own tuning.
        n.note_off(52);
        assert_eq!(n.sounding(), Some((45, -10.0)));
        // Pressing a note again starts it untuned; the range is VST3's.
        n.note_off(45);
        n.note_on(45);
        assert_eq!(n.sounding(), Some((45, 2.0)));
        n.set_tuning(Some(45), 500.0);
        assert_eq!(n.sounding(), Some((45, 2.0 + MAX_TUNING)));
        n.set_tuning(Some(45), f32::NAN);
        assert_eq!(n.sounding(), Some((45, 2.0)));
        // A wildcard tunes every held note.
        n.note_on(50);
        n.set_tuning(None, 1.0);
        assert_eq!(n.sounding(), Some((50, 3.0)));
        n.note_off(50);
        assert_eq!(n.sounding(), Some((45, 3.0)));
        // Tunings move with their notes when an older note is forgotten.
        n.reset();
        for k in 0..MAX_HELD as u8 {
            n.note_on(40 + k);
            n.set_tuning(Some(40 + k), k as f32);
        }
        n.note_on(100);
        n.note_off(100);
        assert_eq!(n.sounding(), Some((40 + MAX_HELD as u8 - 1, (MAX_HELD - 1) as f32)));
        n.note_off(40 + MAX_HELD as u8 - 1);
        assert_eq!(n.sounding(), Some((40 + MAX_HELD as u8 - 2, (MAX_HELD - 2) as f32)));
    }

    #[test]
    fn glide_takes_its_time_and_lands_exactly() {
        let mut g = Glide::default();
        g.jump(7.0);
        g.glide_to(8.0, 100);
        let v: Vec<f32> = (0..100).map(|_| g.next_value()).collect();
        assert!((v[49] - 7.5).abs() < 1e-6);
        assert_eq!(v[99], 8.0);
        assert!(!g.is_moving());
        g.glide_to(9.0, 0);
        assert_eq!(g.next_value(), 9.0);
    }
}
