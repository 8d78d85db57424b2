//! The general path: every stage of the chain, sample by sample on the chunk's control arrays.
//! This is the definition of Stairstep's sound; the settled paths ([`super::settled`]) are held
//! to it bit for bit.

use super::controls::{Controls, Ramp};
use super::settings::{Listen, MAX_INPUT, Settings};
use super::{Channel, Engine, Scratch, Tap};
use crate::curve::{compress_block, expand_block};
use crate::dither::DitherMode;
use crate::filter::{SECTIONS, SvfCoefficients};
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
        self.fill_controls(n);
        for (ch, channel) in channels.iter_mut().enumerate() {
            let block = &mut channel[start..start + n];
            match self.channels.get_mut(ch) {
                Some(state) if !bypassed => {
                    let (settings, c, s) = (&self.settings, &*self.controls, &mut *self.scratch);
                    self.isa.run(GeneralChunk { settings, state, c, s, block });
                    if let (0, Some(t)) = (ch, tap.as_deref_mut()) {
                        let s = &self.scratch;
                        let dry = if self.settings.antialias { &s.delayed[..n] } else { &s.dry[..n] };
                        t.chunk(dry, &s.wet[..n], block, &self.controls.step[..n], &self.settings);
                    }
                }
                Some(state) => {
                    // Keep the stream tied to the sample position while bypassed.
                    state.dither.fill(DitherMode::Off, &mut self.scratch.dither[..n]);
                    sanitize_in_place(block);
                    // Bypassed audio keeps the reported latency.
                    if self.settings.antialias {
                        state.dry_delay.process(block);
                    }
                    if let (0, Some(t)) = (ch, tap.as_deref_mut()) {
                        t.chunk(block, block, block, &self.controls.step[..n], &self.settings);
                    }
                }
                None => sanitize_in_place(block),
            }
        }
    }
}

/// Replace non-finite samples by silence and clamp to ±[`MAX_INPUT`]. Subnormal samples
/// become zero too: the plugin runs with flush-to-zero and denormals-are-zero set, the
/// offline renderer without, and both must compute the same thing.
#[inline(always)]
pub(super) fn sanitize(x: f32) -> f32 {
    if x.is_finite() && x.abs() >= f32::MIN_POSITIVE { x.clamp(-MAX_INPUT, MAX_INPUT) } else { 0.0 }
}

#[inline(always)]
pub(super) fn sanitize_in_place(block: &mut [f32]) {
    for x in block.iter_mut() {
        *x = sanitize(*x);
    }
}

/// [`process_chunk`] as a [`Kernel`].
pub(super) struct GeneralChunk<'a> {
    settings: &'a Settings,
    state: &'a mut Channel,
    c: &'a Controls,
    s: &'a mut Scratch,
    block: &'a mut [f32],
}

impl Kernel for GeneralChunk<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        process_chunk(isa, self.settings, self.state, self.c, self.s, self.block);
    }
}

/// One chunk of one channel, in place. `isa`, the build: with SSE4.1's rounding the
/// anti-alias staircase floors with it and noise shaping's two-channel loop rounds with it,
/// and in the AVX-512 build the anti-alias filters take their AVX-512 kernel
/// (`Oversampler::process`); the same output in every build.
#[inline(always)]
fn process_chunk<I: Isa>(
    isa: I,
    settings: &Settings,
    state: &mut Channel,
    c: &Controls,
    s: &mut Scratch,
    block: &mut [f32],
) {
    let n = block.len();
    let (dry, d, wet, chain) = (&mut s.dry[..n], &mut s.dither[..n], &mut s.wet[..n], &mut s.chain[..n]);
    for (o, &x) in dry.iter_mut().zip(block.iter()) {
        *o = sanitize(x);
    }

    // Drive, pre-filter, hold, compress.
    for ((o, &x), &g) in chain.iter_mut().zip(dry.iter()).zip(&c.drive[..n]) {
        *o = x * g;
    }
    let reduced = &c.reduced[..n];
    let coefficients: [&[SvfCoefficients]; SECTIONS] = std::array::from_fn(|k| &c.filter[k][..n]);
    if settings.prefilter {
        state.pre.process(coefficients, reduced, chain);
    }
    state.hold.process(&c.take[..n], chain);
    compress_block(settings.curve, chain);

    // Quantize, with dither inside the noise-shaping loop.
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

    // Expand, post-filter.
    expand_block(settings.curve, wet);
    if settings.postfilter {
        state.post.process(coefficients, reduced, wet);
    }

    // The dry path, delayed to line up with the wet one when Anti-alias adds latency.
    let delayed = &mut s.delayed[..n];
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
