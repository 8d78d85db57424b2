//! The continuous controls: one linear ramp each ([`Ramps`]), and per chunk their values at
//! every sample ([`Controls`]), which the general path reads. What moves them beyond their
//! knobs (the LFO, the follower, the notes) is `movement`'s.

use super::movement::{GridArrays, MOD_OCTAVE_STEP, Modulate, Movement, snap_to};
use super::settings::{MAX_RATE, MIN_RATE};
use super::settings::{Settings, db_to_gain};
use super::{CHUNK, Engine};
use crate::filter::{CUTOFF_RATIO, SECTIONS, SvfCoefficients, butterworth};
use crate::quantizer::{Grid, GridBlock};
use crate::smoother::{LinearRamp, RAMP_MS};

/// A continuous control, with a ramp of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ramp {
    /// Bit depth, in bits.
    Bits,
    /// Wet share, 0 to 1.
    Mix,
    /// Output gain, linear.
    Gain,
    /// Bypass crossfade, 0 (processed) to 1 (bypassed).
    Bypass,
    /// Hold rate, in log2(Hz).
    Rate,
    /// Jitter, 0 to 1.
    Jitter,
    /// Drive, linear gain.
    Drive,
}

impl Ramp {
    /// Every control, in the order [`Ramps`] keeps them.
    const ALL: [Ramp; 7] = [Ramp::Bits, Ramp::Mix, Ramp::Gain, Ramp::Bypass, Ramp::Rate, Ramp::Jitter, Ramp::Drive];

    /// The value this control ramps to under `s`, in its unit.
    fn target(self, s: &Settings) -> f32 {
        match self {
            Ramp::Bits => s.bits,
            Ramp::Mix => s.mix,
            Ramp::Gain => db_to_gain(s.output_db),
            Ramp::Bypass => {
                if s.bypass {
                    1.0
                } else {
                    0.0
                }
            }
            Ramp::Rate => libm::log2f(s.rate),
            Ramp::Jitter => s.jitter,
            Ramp::Drive => db_to_gain(s.drive_db),
        }
    }
}

// `Ramps` indexes its array by the enum's discriminant.
const _: () = {
    let mut i = 0;
    while i < Ramp::ALL.len() {
        assert!(Ramp::ALL[i] as usize == i, "Ramp::ALL lists the controls in declaration order");
        i += 1;
    }
};

/// The ramps of every continuous control, indexed by [`Ramp`].
pub(super) struct Ramps {
    ramps: [LinearRamp; Ramp::ALL.len()],
    /// True from construction or reset until the first sample is processed. Settings taken
    /// then apply at once: ramps exist to keep already-played audio continuous, and there is
    /// none yet (so a render right after reset does not depend on earlier settings).
    fresh: bool,
}

impl Ramps {
    /// Every ramp at rest on its value under `s`, fresh.
    pub(super) fn new(s: &Settings, sample_rate: f32) -> Self {
        Self { ramps: Ramp::ALL.map(|r| LinearRamp::new(r.target(s), sample_rate, RAMP_MS)), fresh: true }
    }

    /// Jump every ramp to its value under `s`, fresh again (a reset).
    pub(super) fn jump(&mut self, s: &Settings) {
        for (ramp, r) in self.ramps.iter_mut().zip(Ramp::ALL) {
            ramp.reset(r.target(s));
        }
        self.fresh = true;
    }

    /// Head for the values under `s`: at once while fresh, else each ramp towards its value
    /// (a ramp already heading there goes on).
    pub(super) fn take(&mut self, s: &Settings) {
        if self.fresh {
            self.jump(s);
            return;
        }
        for (ramp, r) in self.ramps.iter_mut().zip(Ramp::ALL) {
            ramp.set_target(r.target(s));
        }
    }

    /// Whether no sample has been processed since construction or the last reset.
    pub(super) fn fresh(&self) -> bool {
        self.fresh
    }

    /// Samples are being processed: from now on settings ramp.
    pub(super) fn start(&mut self) {
        self.fresh = false;
    }

    /// True when no control is moving.
    pub(super) fn settled(&self) -> bool {
        self.ramps.iter().all(|r| !r.is_ramping())
    }
}

impl std::ops::Index<Ramp> for Ramps {
    type Output = LinearRamp;
    fn index(&self, r: Ramp) -> &LinearRamp {
        &self.ramps[r as usize]
    }
}

impl std::ops::IndexMut<Ramp> for Ramps {
    fn index_mut(&mut self, r: Ramp) -> &mut LinearRamp {
        &mut self.ramps[r as usize]
    }
}

/// Per-sample control values for one chunk, shared by all channels.
pub(super) struct Controls {
    /// 1/Δ per sample.
    pub(super) inv_step: [f32; CHUNK],
    /// Δ per sample.
    pub(super) step: [f32; CHUNK],
    /// Lowest level index per sample.
    pub(super) k_min: [f32; CHUNK],
    /// Highest level index per sample.
    pub(super) k_max: [f32; CHUNK],
    /// Wet share, 0 to 1.
    pub(super) mix: [f32; CHUNK],
    /// Linear output gain, about 0.063 to 15.85.
    pub(super) gain: [f32; CHUNK],
    /// Bypass crossfade, 0 (processed) to 1 (bypassed).
    pub(super) bypass: [f32; CHUNK],
    /// Drive as linear gain, 1 to 63.
    pub(super) drive: [f32; CHUNK],
    /// Hold rate over host rate (1 or more: no reduction).
    pub(super) increment: [f64; CHUNK],
    /// Jitter, 0 to 1.
    pub(super) jitter: [f32; CHUNK],
    /// Whether the hold takes a new sample.
    pub(super) take: [bool; CHUNK],
    /// Whether the rate is reduced (the filters act).
    pub(super) reduced: [bool; CHUNK],
    /// Filter coefficients per section and sample.
    pub(super) filter: [[SvfCoefficients; CHUNK]; SECTIONS],
    /// Whether every sample's filter coefficients are the first's (the rate is settled):
    /// then only the first sample's are written.
    pub(super) filter_fixed: bool,
    /// Whether the hold takes every sample of the chunk (the rate is settled at or above the
    /// host rate): then `take` is not written, and the hold only keeps the last sample.
    pub(super) all_taken: bool,
    /// What the arrays hold in full from an earlier chunk.
    pub(super) steady: Steady,
    /// The last modulated rate: its log2 (in steps of [`MOD_OCTAVE_STEP`]), the rate in Hz and
    /// the filters' coefficients for it (`None` until the filters first need them).
    pub(super) mod_rate: (f32, f32, Option<[SvfCoefficients; SECTIONS]>),
    /// The filters' coefficients at the host rate, for the samples of a moving rate that are
    /// not reduced.
    pub(super) unreduced: [SvfCoefficients; SECTIONS],
}

/// Settled values the control arrays hold at every one of their [`CHUNK`] samples, so a chunk
/// whose control is still settled there need not write them again. `None`: not known to.
#[derive(Debug, Default)]
pub(super) struct Steady {
    /// The grid in `inv_step`, `step`, `k_min` and `k_max`.
    grid: Option<Grid>,
    /// The bits of the value in `mix`, `gain`, `bypass`, `drive` and `jitter`, in that order.
    ramps: [Option<u32>; 5],
    /// The bits of the rate, in Hz, whose `increment` and `reduced` the arrays hold.
    rate: Option<u32>,
}

impl Controls {
    /// Every sample's grid `g` (written only if the arrays do not hold it already).
    pub(super) fn fill_grid(&mut self, g: Grid) {
        if self.steady.grid != Some(g) {
            self.inv_step.fill(g.inv_step);
            self.step.fill(g.step);
            self.k_min.fill(g.k_min);
            self.k_max.fill(g.k_max);
            self.steady.grid = Some(g);
        }
    }

    /// The grid arrays, to be written sample by sample (they no longer hold one settled grid).
    pub(super) fn grids_written(&mut self) -> GridArrays<'_> {
        self.steady.grid = None;
        GridArrays {
            inv_step: &mut self.inv_step,
            step: &mut self.step,
            k_min: &mut self.k_min,
            k_max: &mut self.k_max,
        }
    }

    /// The quantizer grids of the chunk's samples in `range`.
    pub(super) fn grid(&self, range: std::ops::Range<usize>) -> GridBlock<'_> {
        GridBlock {
            inv_step: &self.inv_step[range.clone()],
            step: &self.step[range.clone()],
            k_min: &self.k_min[range.clone()],
            k_max: &self.k_max[range],
        }
    }
}

impl Engine {
    /// The grid of the settled bit depth and quantizer (cached).
    ///
    /// NOTE: The bit depth ramp's target is the settings' depth, so this is also the grid of
    ///       every sample once the ramp has landed.
    pub(super) fn settled_grid(&mut self) -> Grid {
        let (bits, quantizer) = (self.settings.bits, self.settings.quantizer);
        if self.cache.grid.1 != bits || self.cache.grid.2 != quantizer {
            self.cache.grid = (Grid::new(bits, quantizer), bits, quantizer);
        }
        self.cache.grid.0
    }

    /// Compute the next `n` samples of every control for the chunk of `channels` at `start`
    /// (the follower reads their input).
    ///
    /// NOTE: A settled control's array is written whole (all [`CHUNK`] samples) once and then
    ///       left alone while it stays settled ([`Steady`]); a moving one is written for the
    ///       chunk's `n` samples.
    pub(super) fn fill_controls(&mut self, channels: &[&mut [f32]], start: usize, n: usize) {
        let s = self.settings;
        let bits_moving = Movement::bits_moving(&s);
        if Movement::modulating(&s) {
            // NOTE: In the widest build: the LFO's phases and shape, the follower's levels and
            //       the modulated depths are element-wise and vectorise.
            self.isa.run(Modulate {
                movement: &mut self.movement,
                settings: &s,
                bits_ramp: &mut self.ramps[Ramp::Bits],
                grids: self.controls.grids_written(),
                input: channels,
                channels: self.channels.len(),
                start,
                n,
            });
        } else {
            // The LFO's position moves on regardless.
            self.movement.advance(n);
        }
        let mode = s.quantizer;
        let settled = self.settled_grid();
        let note = self.movement.note_rate(&s);
        let c = &mut *self.controls;
        let r = &mut self.ramps;
        let movement = &mut self.movement;
        if bits_moving {
            // Written by `Modulate`.
        } else if r[Ramp::Bits].is_ramping() {
            c.steady.grid = None;
            for i in 0..n {
                let g = Grid::new(r[Ramp::Bits].next_value(), mode);
                c.inv_step[i] = g.inv_step;
                c.step[i] = g.step;
                c.k_min[i] = g.k_min;
                c.k_max[i] = g.k_max;
            }
            movement.monitor.bits = None;
        } else {
            c.fill_grid(settled);
            movement.monitor.bits = None;
        }
        let arrays = [&mut c.mix, &mut c.gain, &mut c.bypass, &mut c.drive, &mut c.jitter];
        let ramps = [Ramp::Mix, Ramp::Gain, Ramp::Bypass, Ramp::Drive, Ramp::Jitter];
        for ((out, ramp), steady) in arrays.into_iter().zip(ramps).zip(&mut c.steady.ramps) {
            let ramp = &mut r[ramp];
            if ramp.is_ramping() {
                *steady = None;
                ramp.fill(&mut out[..n]);
            } else if *steady != Some(ramp.value().to_bits()) {
                out.fill(ramp.value());
                *steady = Some(ramp.value().to_bits());
            }
        }

        // Sample rate: the hold's increment, and the filters' coefficients when reduced.
        let fs = self.sample_rate;
        let filters = s.prefilter || s.postfilter;
        let lfo_rate = Movement::lfo_on_rate(&s);
        let moving = r[Ramp::Rate].is_ramping() || (note.is_some() && movement.gliding());
        c.filter_fixed = !moving && !lfo_rate;
        c.all_taken = false;
        if moving || lfo_rate {
            c.steady.rate = None;
            let (lo, hi) = (libm::log2f(MIN_RATE), libm::log2f(MAX_RATE));
            for i in 0..n {
                // The knob's ramp moves on under a note, so it is where it should be on release.
                let knob = r[Ramp::Rate].next_value();
                // NOTE: Once a ramp or glide lands, the plain rate (as in the settled branch
                //       below), so the output does not depend on where a chunk boundary falls.
                let (log_rate, plain) = match note {
                    Some(hz) => {
                        let v = movement.next_glide();
                        (v, (!movement.gliding()).then_some(hz))
                    }
                    None => (knob, (!r[Ramp::Rate].is_ramping()).then_some(s.rate)),
                };
                let rate = if lfo_rate {
                    let log_rate =
                        snap_to((log_rate + movement.lfo_at(i) * s.lfo_octaves).clamp(lo, hi), MOD_OCTAVE_STEP);
                    if log_rate != c.mod_rate.0 {
                        c.mod_rate = (log_rate, libm::exp2f(log_rate).clamp(MIN_RATE, MAX_RATE), None);
                    }
                    c.mod_rate.1
                } else {
                    plain.unwrap_or_else(|| libm::exp2f(log_rate))
                };
                c.increment[i] = rate as f64 / fs as f64;
                c.reduced[i] = rate < fs;
                // NOTE: Where the rate is not reduced the filters pass the signal, but their
                //       states still follow it with this sample's coefficients: those of the
                //       host rate, not whatever an earlier chunk left there (which made a
                //       render after `reset` differ; found by the property test).
                if filters {
                    let coefficients = if !c.reduced[i] {
                        c.unreduced
                    } else if lfo_rate {
                        *c.mod_rate.2.get_or_insert_with(|| butterworth(CUTOFF_RATIO * rate, fs))
                    } else {
                        butterworth(CUTOFF_RATIO * rate, fs)
                    };
                    for (section, &k) in c.filter.iter_mut().zip(&coefficients) {
                        section[i] = k;
                    }
                }
                if i + 1 == n {
                    movement.monitor.rate = (lfo_rate || note.is_some()).then_some(rate);
                }
            }
        } else {
            // NOTE: The plain rate, not exp2(log2(rate)), so 8000 Hz is exactly 8000 Hz.
            let rate = note.unwrap_or(s.rate);
            movement.monitor.rate = note;
            if c.steady.rate != Some(rate.to_bits()) {
                c.increment.fill(rate as f64 / fs as f64);
                c.reduced.fill(rate < fs);
                c.steady.rate = Some(rate.to_bits());
            }
            if rate >= fs {
                // Every sample taken: what `HoldClock::fill` gives at increments of 1 or more.
                self.clock.free_run();
                c.all_taken = true;
                return;
            }
            if filters {
                if self.cache.filter.1 != rate {
                    self.cache.filter = (butterworth(CUTOFF_RATIO * rate, fs), rate);
                }
                for (section, &k) in c.filter.iter_mut().zip(&self.cache.filter.0) {
                    section[0] = k;
                }
            }
        }
        self.clock.fill(&c.increment[..n], &c.jitter[..n], &mut c.take[..n]);
    }
}
