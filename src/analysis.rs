//! What the editor shows, carried from the audio thread without locks or allocation.
//!
//! The audio thread owns an [`AnalysisWriter`]; while the editor is open the plugin feeds it
//! one chunk of the first channel at a time (dry input, quantized signal, final output, step).
//! It fills preallocated frames and hands them over through triple buffers (the reader always
//! gets the newest complete frame; the writer never waits), and updates two power meters
//! through `atomic_float`. The FFT of the error runs on the editor's thread, never here.

use atomic_float::AtomicF32;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use triple_buffer::{Input, Output, triple_buffer};

use crate::dsp::engine::{Settings, Tap};
use crate::dsp::{Curve, DitherMode, Shaping};

/// Samples in one scope frame (about 21 ms at 48 kHz).
pub const SCOPE_LEN: usize = 1024;
/// Samples of error per spectrum frame (11.7 Hz resolution at 48 kHz).
pub const SPECTRUM_LEN: usize = 4096;

/// One triggered scope capture.
#[derive(Debug, Clone)]
pub struct ScopeFrame {
    /// Dry input, full-scale units.
    pub input: Vec<f32>,
    /// Final output (after Mix, Listen and Output), full-scale units.
    pub output: Vec<f32>,
    /// Quantized minus dry, full-scale units (divide by `step` for LSB).
    pub error: Vec<f32>,
    /// The quantizer step Δ at the end of the capture.
    pub step: f32,
    /// True when a rising zero crossing started the capture, false for a free-running one.
    pub triggered: bool,
    /// Counts published frames.
    pub serial: u32,
}

/// A contiguous block of error samples for the spectrum.
#[derive(Debug, Clone)]
pub struct ErrorBlock {
    /// Quantized minus dry, full-scale units.
    pub error: Vec<f32>,
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// The quantizer step Δ at the end of the block.
    pub step: f32,
    /// The dither in force at the end of the block.
    pub dither: DitherMode,
    /// The noise shaping in force at the end of the block.
    pub shaping: Shaping,
    /// The companding curve in force at the end of the block.
    pub curve: Curve,
    /// Counts published blocks.
    pub serial: u32,
}

/// Power meters over the last ~100 ms.
#[derive(Debug, Default)]
pub struct Meters {
    /// Mean square of the error (quantized - dry), full scale = 1.
    pub error_power: AtomicF32,
    /// Mean square of the dry input.
    pub signal_power: AtomicF32,
}

/// Audio-thread side.
pub struct AnalysisWriter {
    /// Scope frames to the editor.
    scope: Input<ScopeFrame>,
    /// Error blocks to the editor.
    spectrum: Input<ErrorBlock>,
    /// Meters to the editor.
    meters: Arc<Meters>,
    /// Sample rate in Hz.
    sample_rate: f32,
    /// Write position in the scope frame being captured, or `None` while waiting.
    capture: Option<usize>,
    /// Samples to wait before arming the trigger again (limits the frame rate to ~30/s).
    holdoff: usize,
    /// Samples waited for a trigger; past `2 * SCOPE_LEN` the scope free-runs.
    waited: usize,
    /// Previous dry sample, for the zero-crossing trigger.
    previous: f32,
    /// Write position in the error block.
    spectrum_pos: usize,
    /// Sum of squared errors in the current meter window.
    error_acc: f64,
    /// Sum of squared dry samples in the current meter window.
    signal_acc: f64,
    /// Samples in the current meter window.
    acc_len: usize,
    /// Frames published so far.
    serial: u32,
}

/// Editor side.
pub struct AnalysisReader {
    /// Newest scope frame.
    pub scope: Output<ScopeFrame>,
    /// Newest error block.
    pub spectrum: Output<ErrorBlock>,
    /// Live meters.
    pub meters: Arc<Meters>,
}

/// An empty scope frame.
pub fn empty_scope() -> ScopeFrame {
    ScopeFrame {
        input: vec![0.0; SCOPE_LEN],
        output: vec![0.0; SCOPE_LEN],
        error: vec![0.0; SCOPE_LEN],
        step: 2f32.powi(-7),
        triggered: false,
        serial: 0,
    }
}

/// An empty error block.
pub fn empty_block(sample_rate: f32) -> ErrorBlock {
    ErrorBlock {
        error: vec![0.0; SPECTRUM_LEN],
        sample_rate,
        step: 2f32.powi(-7),
        dither: DitherMode::Off,
        shaping: Shaping::Off,
        curve: Curve::Linear,
        serial: 0,
    }
}

/// A connected writer and reader. Allocates; call outside the audio thread.
pub fn analysis_channel(sample_rate: f32) -> (AnalysisWriter, AnalysisReader) {
    let (scope_in, scope_out) = triple_buffer(&empty_scope());
    let (spec_in, spec_out) = triple_buffer(&empty_block(sample_rate));
    let meters = Arc::new(Meters::default());
    (
        AnalysisWriter {
            scope: scope_in,
            spectrum: spec_in,
            meters: meters.clone(),
            sample_rate,
            capture: None,
            holdoff: 0,
            waited: 0,
            previous: 0.0,
            spectrum_pos: 0,
            error_acc: 0.0,
            signal_acc: 0.0,
            acc_len: 0,
            serial: 0,
        },
        AnalysisReader { scope: scope_out, spectrum: spec_out, meters },
    )
}

impl AnalysisWriter {
    /// Change the sample rate (from `activate()`; nothing is allocated).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
    }

    /// Take one chunk. `step` has one Δ per sample.
    pub fn push(&mut self, dry: &[f32], wet: &[f32], out: &[f32], step: &[f32], settings: &Settings) {
        let n = dry.len();
        debug_assert!(wet.len() == n && out.len() == n && step.len() == n);
        if n == 0 {
            return;
        }
        for i in 0..n {
            let (x, e) = (dry[i], wet[i] - dry[i]);

            // Scope: wait for a rising zero crossing (or free-run), then capture.
            match self.capture {
                Some(pos) => {
                    let frame = self.scope.input_buffer_mut();
                    frame.input[pos] = x;
                    frame.output[pos] = out[i];
                    frame.error[pos] = e;
                    if pos + 1 == SCOPE_LEN {
                        frame.step = step[i];
                        self.serial = self.serial.wrapping_add(1);
                        frame.serial = self.serial;
                        self.scope.publish();
                        self.capture = None;
                        self.holdoff = (self.sample_rate / 30.0) as usize;
                        self.waited = 0;
                    } else {
                        self.capture = Some(pos + 1);
                    }
                }
                None if self.holdoff > 0 => self.holdoff -= 1,
                None => {
                    let crossing = self.previous <= 0.0 && x > 0.0;
                    self.waited += 1;
                    if crossing || self.waited > 2 * SCOPE_LEN {
                        self.scope.input_buffer_mut().triggered = crossing;
                        let frame = self.scope.input_buffer_mut();
                        frame.input[0] = x;
                        frame.output[0] = out[i];
                        frame.error[0] = e;
                        self.capture = Some(1);
                    }
                }
            }
            self.previous = x;

            // Spectrum: contiguous error blocks.
            let block = self.spectrum.input_buffer_mut();
            block.error[self.spectrum_pos] = e;
            self.spectrum_pos += 1;
            if self.spectrum_pos == SPECTRUM_LEN {
                block.sample_rate = self.sample_rate;
                block.step = step[i];
                block.dither = settings.dither;
                block.shaping = settings.shaping;
                block.curve = settings.curve;
                block.serial = block.serial.wrapping_add(1);
                let serial = block.serial;
                self.spectrum.publish();
                // The next back buffer may be older: keep the count going.
                self.spectrum.input_buffer_mut().serial = serial;
                self.spectrum_pos = 0;
            }

            // Meters.
            self.error_acc += (e as f64) * (e as f64);
            self.signal_acc += (x as f64) * (x as f64);
            self.acc_len += 1;
        }
        let window = (self.sample_rate / 10.0).max(1.0) as usize;
        if self.acc_len >= window {
            let len = self.acc_len as f64;
            self.meters.error_power.store((self.error_acc / len) as f32, Ordering::Relaxed);
            self.meters.signal_power.store((self.signal_acc / len) as f32, Ordering::Relaxed);
            self.error_acc = 0.0;
            self.signal_acc = 0.0;
            self.acc_len = 0;
        }
    }
}

impl Tap for AnalysisWriter {
    fn chunk(&mut self, dry: &[f32], wet: &[f32], out: &[f32], step: &[f32], settings: &Settings) {
        self.push(dry, wet, out, step, settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(writer: &mut AnalysisWriter, x: &[f32], step: f32) {
        // A fake 3-bit crush: wet = round(x / step) * step.
        let wet: Vec<f32> = x.iter().map(|v| (v / step).round() * step).collect();
        let steps = vec![step; x.len()];
        for ((d, w), s) in x.chunks(128).zip(wet.chunks(128)).zip(steps.chunks(128)) {
            writer.push(d, w, w, s, &Settings::default());
        }
    }

    #[test]
    fn scope_triggers_on_rising_zero_crossings() {
        let (mut w, mut r) = analysis_channel(48000.0);
        // A 100 Hz sine starting at a negative phase: every frame must start right after a
        // rising zero crossing.
        let x: Vec<f32> =
            (0..48000).map(|i| (2.0 * std::f32::consts::PI * 100.0 * (i as f32 + 120.0) / 48000.0).sin()).collect();
        feed(&mut w, &x, 0.25);
        let frame = r.scope.read();
        assert!(frame.triggered);
        assert!(frame.serial > 10);
        assert!(frame.input[0] > 0.0 && frame.input[0] < 0.02, "{}", frame.input[0]);
        assert!(frame.input[1] > frame.input[0]);
        assert_eq!(frame.step, 0.25);
        for i in 0..SCOPE_LEN {
            assert_eq!(frame.error[i], frame.output[i] - frame.input[i]);
        }
    }

    #[test]
    fn silence_free_runs_and_meters_follow() {
        let (mut w, mut r) = analysis_channel(48000.0);
        feed(&mut w, &vec![0.0; 20000], 0.25);
        assert!(!r.scope.read().triggered);
        assert!(r.scope.read().serial > 0);
        assert_eq!(r.meters.error_power.load(Ordering::Relaxed), 0.0);

        let x: Vec<f32> = (0..20000).map(|i| 0.5 * (i as f32 * 0.1).sin()).collect();
        feed(&mut w, &x, 0.25);
        let sig = r.meters.signal_power.load(Ordering::Relaxed);
        assert!((sig - 0.125).abs() < 0.01, "{sig}");
        let err = r.meters.error_power.load(Ordering::Relaxed);
        assert!(err > 0.0 && err < 0.25 * 0.25 / 4.0, "{err}");
        let block = r.spectrum.read();
        assert!(block.serial >= 9);
        assert_eq!(block.sample_rate, 48000.0);
    }
}
