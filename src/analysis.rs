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
    ///
    /// NOTE: Works in runs over the chunk's slices (a scope capture, a hold-off, a search for
    ///       the trigger, a stretch of the spectrum's block), not sample by sample, so the
    ///       open editor costs the audio thread little more than copies.
    pub fn push(&mut self, dry: &[f32], wet: &[f32], out: &[f32], step: &[f32], settings: &Settings) {
        let n = dry.len();
        debug_assert!(wet.len() == n && out.len() == n && step.len() == n);
        if n == 0 {
            return;
        }
        self.scope_push(dry, wet, out, step);
        self.spectrum_push(dry, wet, step, settings);
        self.meter_push(dry, wet);
    }

    /// Scope: wait for a rising zero crossing (or free-run), then capture a frame.
    fn scope_push(&mut self, dry: &[f32], wet: &[f32], out: &[f32], step: &[f32]) {
        let n = dry.len();
        let mut i = 0;
        while i < n {
            match self.capture {
                Some(pos) => {
                    let m = (SCOPE_LEN - pos).min(n - i);
                    let frame = self.scope.input_buffer_mut();
                    frame.input[pos..pos + m].copy_from_slice(&dry[i..i + m]);
                    frame.output[pos..pos + m].copy_from_slice(&out[i..i + m]);
                    for ((e, &w), &x) in frame.error[pos..pos + m].iter_mut().zip(&wet[i..i + m]).zip(&dry[i..i + m]) {
                        *e = w - x;
                    }
                    i += m;
                    if pos + m == SCOPE_LEN {
                        frame.step = step[i - 1];
                        self.serial = self.serial.wrapping_add(1);
                        frame.serial = self.serial;
                        self.scope.publish();
                        self.capture = None;
                        self.holdoff = (self.sample_rate / 30.0) as usize;
                        self.waited = 0;
                    } else {
                        self.capture = Some(pos + m);
                    }
                }
                None if self.holdoff > 0 => {
                    let m = self.holdoff.min(n - i);
                    self.holdoff -= m;
                    i += m;
                }
                None => {
                    let mut previous = if i == 0 { self.previous } else { dry[i - 1] };
                    let start = i;
                    i = n;
                    for (k, &x) in dry.iter().enumerate().skip(start) {
                        self.waited += 1;
                        let crossing = previous <= 0.0 && x > 0.0;
                        if crossing || self.waited > 2 * SCOPE_LEN {
                            let frame = self.scope.input_buffer_mut();
                            frame.triggered = crossing;
                            frame.input[0] = x;
                            frame.output[0] = out[k];
                            frame.error[0] = wet[k] - x;
                            self.capture = Some(1);
                            i = k + 1;
                            break;
                        }
                        previous = x;
                    }
                }
            }
        }
        self.previous = dry[n - 1];
    }

    /// Spectrum: contiguous blocks of the error.
    fn spectrum_push(&mut self, dry: &[f32], wet: &[f32], step: &[f32], settings: &Settings) {
        let n = dry.len();
        let mut i = 0;
        while i < n {
            let pos = self.spectrum_pos;
            let m = (SPECTRUM_LEN - pos).min(n - i);
            let block = self.spectrum.input_buffer_mut();
            for ((e, &w), &x) in block.error[pos..pos + m].iter_mut().zip(&wet[i..i + m]).zip(&dry[i..i + m]) {
                *e = w - x;
            }
            i += m;
            self.spectrum_pos += m;
            if self.spectrum_pos == SPECTRUM_LEN {
                block.sample_rate = self.sample_rate;
                block.step = step[i - 1];
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
        }
    }

    /// Meters: mean squares over windows of about 100 ms, published at the end of a window.
    fn meter_push(&mut self, dry: &[f32], wet: &[f32]) {
        // Eight running sums each, so the loop vectorises (the order of the additions only
        // moves a meter's value by rounding).
        const LANES: usize = 8;
        let (mut error, mut signal) = ([0.0f64; LANES], [0.0f64; LANES]);
        let (dry_runs, wet_runs) = (dry.chunks_exact(LANES), wet.chunks_exact(LANES));
        let (dry_rest, wet_rest) = (dry_runs.remainder(), wet_runs.remainder());
        for (x, w) in dry_runs.zip(wet_runs) {
            for k in 0..LANES {
                let e = (w[k] - x[k]) as f64;
                error[k] += e * e;
                signal[k] += x[k] as f64 * x[k] as f64;
            }
        }
        for (k, (&x, &w)) in dry_rest.iter().zip(wet_rest).enumerate() {
            let e = (w - x) as f64;
            error[k] += e * e;
            signal[k] += x as f64 * x as f64;
        }
        self.error_acc += error.iter().sum::<f64>();
        self.signal_acc += signal.iter().sum::<f64>();
        self.acc_len += dry.len();
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

    /// What the editor sees does not depend on how the audio arrives: the same signal in
    /// chunks of 1, 37, 128, 32 and 96 samples publishes the same scope frames and error
    /// blocks, and where the chunks divide the meters' window of 4,800 samples (a window closes
    /// at the end of the chunk that fills it) the same meters but for the order of the
    /// additions. A sine with silent stretches, so the scope triggers, holds off and
    /// free-runs.
    #[test]
    fn frames_do_not_depend_on_chunk_sizes() {
        let x: Vec<f32> = (0..30000)
            .map(|i| {
                if (9000..16000).contains(&i) {
                    0.0
                } else {
                    0.4 * (i as f32 * 0.013).sin() + 0.2 * (i as f32 * 1.7).sin()
                }
            })
            .collect();
        let wet: Vec<f32> = x.iter().map(|v| (v / 0.125).round() * 0.125).collect();
        let out: Vec<f32> = wet.iter().map(|v| 0.5 * v).collect();
        let steps: Vec<f32> = (0..x.len()).map(|i| 0.125 + i as f32 * 1e-6).collect();
        let run = |chunk: usize, upto: usize| {
            let (mut w, mut r) = analysis_channel(48000.0);
            for start in (0..upto).step_by(chunk) {
                let end = (start + chunk).min(upto);
                let range = start..end;
                w.push(
                    &x[range.clone()],
                    &wet[range.clone()],
                    &out[range.clone()],
                    &steps[range],
                    &Settings::default(),
                );
            }
            let (scope, block) = (r.scope.read().clone(), r.spectrum.read().clone());
            let meters = (r.meters.error_power.load(Ordering::Relaxed), r.meters.signal_power.load(Ordering::Relaxed));
            (scope, block, meters)
        };
        for upto in [5000, 12000, 20000, 30000] {
            let (s1, b1, m1) = run(1, upto);
            assert!(s1.serial > 0 && b1.serial > 0, "{upto}: something was published");
            for chunk in [37, 128, 32, 96] {
                let (s, b, m) = run(chunk, upto);
                let what = format!("{upto} samples in chunks of {chunk}");
                assert_eq!((s.serial, s.triggered, s.step), (s1.serial, s1.triggered, s1.step), "{what}");
                assert!(s.input == s1.input && s.output == s1.output && s.error == s1.error, "{what}");
                assert_eq!((b.serial, b.step), (b1.serial, b1.step), "{what}");
                assert!(b.error == b1.error, "{what}");
                if 4800 % chunk == 0 {
                    let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * b;
                    assert!(close(m.0, m1.0) && close(m.1, m1.1), "{what}: {m:?} {m1:?}");
                }
            }
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
