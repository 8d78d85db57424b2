//! The general path: every stage of the chain, sample by sample on the chunk's control arrays.
//! This is the definition of Stairstep's sound; the settled paths ([`super::settled`]) are held
//! to it bit for bit.

use super::controls::{Controls, Ramp};
use super::settings::{Listen, Settings, sanitize, sanitize_in_place};
use super::{Channel, Engine, Scratch, Tap};
use crate::curve::{compress_block, expand_block};
use crate::dither::DitherMode;
use crate::filter::{self, LowPass, SECTIONS, SvfCoefficients};
use crate::oversample::LATENCY;
use crate::quantizer::quantize_block;
use crate::shaping::{Lane, Shaping, quantize_shaped};
use crate::simd::{Isa, Kernel};

impl Engine {
    /// One chunk of `n` samples from `start`, every channel, through every stage; channel 0's
    /// signals to `tap`.
    pub(super) fn general_chunk(
        &mut self,
        channels: &mut [&mut [f32]],
        start: usize,
        n: usize,
        mut tap: Option<&mut (dyn Tap + '_)>,
    ) {
        // NOTE: Decided before the controls advance: a ramp that ends inside this chunk
        //       still needs the crossfade for its first samples.
        let bypassed = !self.ramps[Ramp::Bypass].is_ramping() && self.ramps[Ramp::Bypass].target() == 1.0;
        self.fill_controls(channels, start, n);
        let ours = self.channels.len().min(channels.len());
        let (ours, extra) = channels.split_at_mut(ours);
        for channel in extra {
            sanitize_in_place(&mut channel[start..start + n]);
        }
        // Channels in pairs: the filters run both channels of a pair in one pass.
        for (pair, (blocks, states)) in ours.chunks_mut(2).zip(self.channels.chunks_mut(2)).enumerate() {
            let (settings, c, s) = (&self.settings, &*self.controls, &mut *self.scratch);
            if bypassed {
                for ((block, state), s) in blocks.iter_mut().zip(states).zip(s.iter_mut()) {
                    let block = &mut block[start..start + n];
                    // Keep the stream tied to the sample position while bypassed.
                    state.dither.fill(DitherMode::Off, &mut s.dither[..n]);
                    sanitize_in_place(block);
                    // Bypassed audio keeps the reported latency.
                    if settings.antialias {
                        state.dry_delay.process(block);
                    }
                }
            } else {
                self.isa.run(GeneralPair { settings, states, c, s, blocks, range: start..start + n });
            }
            if let (0, Some(t)) = (pair, tap.as_deref_mut()) {
                let (s, out, step) = (&self.scratch[0], &blocks[0][start..start + n], &self.controls.step[..n]);
                if bypassed {
                    // Bypassed, the output is the dry signal, and nothing is crushed.
                    t.chunk(out, out, out, step, &self.settings);
                } else {
                    let dry = if self.settings.antialias { &s.delayed[..n] } else { &s.dry[..n] };
                    t.chunk(dry, &s.wet[..n], out, step, &self.settings);
                }
            }
        }
    }
}

/// [`process_pair`] as a [`Kernel`].
pub(super) struct GeneralPair<'a, 'b> {
    settings: &'a Settings,
    states: &'a mut [Channel],
    c: &'a Controls,
    s: &'a mut [Scratch; 2],
    blocks: &'a mut [&'b mut [f32]],
    range: std::ops::Range<usize>,
}

impl Kernel for GeneralPair<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        process_pair(isa, self.settings, self.states, self.c, self.s, self.blocks, self.range);
    }
}

/// One chunk of one or two channels (`states`, `blocks[..][range]`), in place, each in its
/// own scratch. `isa`, the build: with SSE4.1's rounding the anti-alias staircase floors with
/// it and noise shaping's two-channel loop rounds with it, and in the AVX-512 build the
/// anti-alias filters take their AVX-512 kernel (`Oversampler::process`); the same output in
/// every build. Each channel's arithmetic is its own: pairing only lets the filters run both
/// at once ([`filter::process_pair`]).
#[inline(always)]
fn process_pair<I: Isa>(
    isa: I,
    settings: &Settings,
    states: &mut [Channel],
    c: &Controls,
    s: &mut [Scratch; 2],
    blocks: &mut [&mut [f32]],
    range: std::ops::Range<usize>,
) {
    let n = range.len();
    debug_assert!(matches!(states.len(), 1 | 2) && blocks.len() == states.len());
    // Sanitize, Drive.
    for (block, s) in blocks.iter().zip(s.iter_mut()) {
        for ((d, o), (&x, &g)) in
            s.dry[..n].iter_mut().zip(&mut s.chain[..n]).zip(block[range.clone()].iter().zip(&c.drive[..n]))
        {
            *d = sanitize(x);
            *o = *d * g;
        }
    }
    let reduced = &c.reduced[..n];
    let coefficients: [&[SvfCoefficients]; SECTIONS] = std::array::from_fn(|k| &c.filter[k][..n]);
    if settings.prefilter {
        let [s0, s1] = &mut *s;
        filter_pair(
            states,
            |c| &mut c.pre,
            coefficients,
            c.filter_fixed,
            reduced,
            [&mut s0.chain[..n], &mut s1.chain[..n]],
        );
    }
    for (state, s) in states.iter_mut().zip(s.iter_mut()) {
        crush(isa, settings, state, c, s, n);
    }
    if settings.postfilter {
        let [s0, s1] = &mut *s;
        filter_pair(
            states,
            |c| &mut c.post,
            coefficients,
            c.filter_fixed,
            reduced,
            [&mut s0.wet[..n], &mut s1.wet[..n]],
        );
    }
    for ((state, s), block) in states.iter_mut().zip(s.iter_mut()).zip(blocks.iter_mut()) {
        mix(settings, state, c, s, &mut block[range.clone()]);
    }
}

/// One of the filters of one or two channels; a mono chain pairs with a spare filter on the
/// second scratch (whose output goes nowhere).
#[inline(always)]
fn filter_pair(
    states: &mut [Channel],
    pick: fn(&mut Channel) -> &mut LowPass,
    coefficients: [&[SvfCoefficients]; SECTIONS],
    fixed: bool,
    active: &[bool],
    signals: [&mut [f32]; 2],
) {
    let mut spare = LowPass::default();
    let filters = match states {
        [a, b] => [pick(a), pick(b)],
        [a, ..] => [pick(a), &mut spare],
        [] => return,
    };
    filter::process_pair(filters, coefficients, fixed, active, signals);
}

/// Hold, compress, quantize (with dither inside the noise-shaping loop), anti-alias, expand:
/// from `s.chain` to `s.wet`.
#[inline(always)]
fn crush<I: Isa>(isa: I, settings: &Settings, state: &mut Channel, c: &Controls, s: &mut Scratch, n: usize) {
    let (d, wet, chain) = (&mut s.dither[..n], &mut s.wet[..n], &mut s.chain[..n]);
    if c.all_taken {
        state.hold.set(chain[n - 1]);
    } else {
        state.hold.process(&c.take[..n], chain);
    }
    compress_block(settings.curve, chain);

    state.dither.fill(settings.dither, d);
    let grid = c.grid(0..n);
    let mute_zero = settings.dither == DitherMode::Off;
    // Anti-alias acts on the plain quantizer: no dither, no shaping.
    let anti_aliased = settings.antialias && settings.dither == DitherMode::Off && settings.shaping == Shaping::Off;
    // Where it acts, the plain staircase only keeps the wet delay's state current (the last
    // LATENCY samples are all it holds), so only those are quantized.
    let from = if anti_aliased { n.saturating_sub(LATENCY) } else { 0 };
    match settings.shaping {
        Shaping::Off => {
            let tail = c.grid(from..n);
            quantize_block(settings.quantizer, &chain[from..], &d[from..], &tail, mute_zero, &mut wet[from..]);
        }
        shaping => {
            let mut lane = [Lane { state: &mut state.shaping, input: chain, dither: d, out: wet }];
            quantize_shaped(isa, settings.quantizer, shaping, &mut lane, &grid, mute_zero);
        }
    }

    // Anti-alias: the oversampled ADAA staircase where it applies, else the same delay.
    // NOTE: Both paths run while Anti-alias is on, so switching Dither or Shaping mid-stream
    //       finds each with current state.
    if anti_aliased {
        state.wet_delay.feed(from, &wet[from..]);
        let y = state.oversampler.process(isa, settings.quantizer, &grid, mute_zero, chain);
        wet.copy_from_slice(y);
    } else if settings.antialias {
        state.wet_delay.process(wet);
        state.oversampler.process(isa, settings.quantizer, &grid, mute_zero, chain);
    }
    expand_block(settings.curve, wet);
}

/// The dry path (delayed to line up with the wet one when Anti-alias adds latency), Mix,
/// Listen, Output and the bypass crossfade: from `s.wet` and `s.dry` to `block`.
#[inline(always)]
fn mix(settings: &Settings, state: &mut Channel, c: &Controls, s: &mut Scratch, block: &mut [f32]) {
    let n = block.len();
    let (dry, delayed, wet) = (&s.dry[..n], &mut s.delayed[..n], &s.wet[..n]);
    if settings.antialias {
        delayed.copy_from_slice(dry);
        state.dry_delay.process(delayed);
    }
    let dry: &[f32] = if settings.antialias { delayed } else { dry };

    let (mix, gain, bypass) = (&c.mix[..n], &c.gain[..n], &c.bypass[..n]);
    // NOTE: `wet * m + dry * (1 - m)` (not `dry + m * (wet - dry)`) so that Mix 100 % gives
    //       exactly `wet` and Mix 0 % exactly `dry`; likewise for the bypass crossfade.
    match settings.listen {
        Listen::Output => {
            for i in 0..n {
                let mixed = wet[i] * mix[i] + dry[i] * (1.0 - mix[i]);
                block[i] = (mixed * gain[i]) * (1.0 - bypass[i]) + dry[i] * bypass[i];
            }
        }
        Listen::Error => {
            for i in 0..n {
                let mixed = wet[i] * mix[i] + dry[i] * (1.0 - mix[i]);
                block[i] = ((mixed - dry[i]) * gain[i]) * (1.0 - bypass[i]) + dry[i] * bypass[i];
            }
        }
    }
}
