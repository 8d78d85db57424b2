//! The per-sample definition [`super::Oversampler`]'s block filters and quantizer are tested
//! against: plain FIRs over a doubled history and the ADAA staircase, one sample at a time.

use super::*;

/// A FIR filter's history, stored twice so every dot product reads one contiguous slice.
/// (The per-sample filters below are the definition [`Oversampler`]'s block filters are
/// tested against.)
#[derive(Debug, Clone)]
struct History {
    /// Two copies of the last `len` inputs, newest at `pos`.
    buf: Vec<f32>,
    /// Index of the newest input.
    pos: usize,
    /// Number of taps.
    len: usize,
}

impl History {
    fn new(len: usize) -> Self {
        Self { buf: vec![0.0; 2 * len], pos: 0, len }
    }

    #[inline]
    fn push(&mut self, x: f32) {
        self.pos = if self.pos == 0 { self.len - 1 } else { self.pos - 1 };
        self.buf[self.pos] = x;
        self.buf[self.pos + self.len] = x;
    }

    /// The last `len` inputs, newest first.
    #[inline]
    fn recent(&self) -> &[f32] {
        &self.buf[self.pos..self.pos + self.len]
    }
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Interpolation by 2: zero-stuffing and a low-pass, as two polyphase branches.
#[derive(Debug, Clone)]
struct Up2 {
    /// Even taps ×2 (the gain of 2 restores the level lost to zero-stuffing).
    even: Vec<f32>,
    /// Odd taps ×2.
    odd: Vec<f32>,
    /// Input history (one branch's length).
    history: History,
}

impl Up2 {
    fn new(h: &[f32]) -> Self {
        let even: Vec<f32> = h.iter().step_by(2).map(|v| 2.0 * v).collect();
        let odd: Vec<f32> = h.iter().skip(1).step_by(2).map(|v| 2.0 * v).collect();
        let history = History::new(even.len());
        Self { even, odd, history }
    }

    #[inline]
    fn process(&mut self, x: f32) -> [f32; 2] {
        self.history.push(x);
        let r = self.history.recent();
        [dot(&self.even, r), dot(&self.odd, &r[..self.odd.len()])]
    }
}

/// Decimation by 2: a low-pass evaluated at every other input.
#[derive(Debug, Clone)]
struct Down2 {
    /// Taps.
    h: Vec<f32>,
    /// Input history.
    history: History,
}

impl Down2 {
    fn new(h: &[f32]) -> Self {
        Self { h: h.to_vec(), history: History::new(h.len()) }
    }

    #[inline]
    fn process(&mut self, x: [f32; 2]) -> f32 {
        self.history.push(x[0]);
        let y = dot(&self.h, self.history.recent());
        self.history.push(x[1]);
        y
    }
}

/// The quantizer's grid for one host sample.
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    /// 1/Δ.
    pub inv_step: f32,
    /// Δ.
    pub step: f32,
    /// Lowest level index.
    pub k_min: f32,
    /// Highest level index.
    pub k_max: f32,
}

/// First-order ADAA of the staircase, in f64 (the antiderivative's differences cancel).
#[derive(Debug, Clone, Default)]
pub struct AdaaQuantizer {
    /// The previous input, full-scale units.
    previous: f64,
}

impl AdaaQuantizer {
    /// One output for input `x` (full-scale units).
    pub fn process(&mut self, mode: QuantizerMode, g: Steps, mute_zero: bool, x: f32) -> f32 {
        let x = x as f64;
        let (inv, step) = (g.inv_step as f64, g.step as f64);
        let (lo, hi) = (g.k_min as f64, g.k_max as f64);
        let (t0, t1) = (self.previous * inv, x * inv);
        self.previous = x;
        let (offset, centre) = match mode {
            QuantizerMode::MidTread => (0.5, 0.0),
            QuantizerMode::MidRise => (0.0, 0.5),
        };
        if mute_zero && mode == QuantizerMode::MidRise && t0 == 0.0 && t1 == 0.0 {
            return 0.0;
        }
        // Both beyond the same clipping point: the level itself (no cancellation).
        let top = hi + 1.0 - offset;
        let bottom = lo - offset;
        if t0 >= top && t1 >= top {
            return ((hi + centre) * step) as f32;
        }
        if t0 < bottom && t1 < bottom {
            return ((lo + centre) * step) as f32;
        }
        let level = |t: f64| (t + offset).floor().clamp(lo, hi);
        let antiderivative = |t: f64| {
            let k = level(t);
            match mode {
                QuantizerMode::MidTread => k * t - k * k / 2.0,
                QuantizerMode::MidRise => (k + 0.5) * t - k * (k + 1.0) / 2.0,
            }
        };
        let dt = t1 - t0;
        let k = if dt.abs() > 1e-9 {
            (antiderivative(t1) - antiderivative(t0)) / dt
        } else {
            level(0.5 * (t0 + t1)) + centre
        };
        // The average of the staircase lies within its levels; rounding cannot leave them.
        (k.clamp(lo + centre, hi + centre) * step) as f32
    }
}

/// One channel's anti-alias path, per sample (the definition the block path is tested
/// against).
#[derive(Debug, Clone)]
pub struct Reference {
    up1: Up2,
    up2: Up2,
    down2: Down2,
    down1: Down2,
    adaa: AdaaQuantizer,
}

impl Default for Reference {
    fn default() -> Self {
        Self {
            up1: Up2::new(&UP1),
            up2: Up2::new(&UP2),
            down2: Down2::new(&DOWN2),
            down1: Down2::new(&DOWN1),
            adaa: AdaaQuantizer::default(),
        }
    }
}

impl Reference {
    /// Quantize one host-rate sample through the 4x ADAA path (output delayed by
    /// [`LATENCY`]).
    pub fn process(&mut self, mode: QuantizerMode, g: Steps, mute_zero: bool, x: f32) -> f32 {
        let mut half = [0.0f32; 2];
        for (h, u) in half.iter_mut().zip(self.up1.process(x)) {
            let quad = self.up2.process(u).map(|v| self.adaa.process(mode, g, mute_zero, v));
            *h = self.down2.process(quad);
        }
        self.down1.process(half)
    }
}
