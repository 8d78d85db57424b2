//! The settled paths: where no control moves and most stages are idle, loops that compute what
//! the general path computes, bit for bit, with less work per sample. [`super::router`] says
//! when each applies and why it is exact; `fast_path_tests` holds each to the general path.

use super::controls::{Controls, Ramp};
use super::settings::{Listen, Settings};
use super::settings::{sanitize, sanitize_in_place};
use super::{CHUNK, Channel, Engine, Scratch, Tap};
use crate::dither::{DitherMode, dither_at};
use crate::oversample::LATENCY;
#[cfg(target_arch = "x86_64")]
use crate::pow2::{self, Pow2Grid};
use crate::quantizer::{Grid, QuantizerMode, floor_q, max_f, min_f, quantize_block};
use crate::rng::stream_word;
use crate::shaping::{Lane, quantize_shaped};
use crate::simd::{Dispatch, Isa, Kernel};

impl Engine {
    /// [`Path::FusedTapped`]: [`Engine::fused_rest`] for one chunk (`n` at most [`CHUNK`]) with
    /// the analysis fed: what
    /// the general path hands it for channel 0, its sanitized input, its quantized signal
    /// (before the gain: the fused loop again at unity gain, from the same dither position)
    /// and the output, and the step.
    ///
    /// NOTE: The quantized signal is the general path's up to the sign of an exact zero
    ///       (its mix adds `dry·0`); the analysis only subtracts and squares it.
    pub(super) fn fused_tapped(
        &mut self,
        channels: &mut [&mut [f32]],
        start: usize,
        n: usize,
        tap: &mut (dyn Tap + '_),
    ) {
        let s = self.settings;
        let g = self.settled_grid();
        let tapped = match (channels.first(), self.channels.first_mut()) {
            (Some(channel), Some(state)) => {
                let (dry, wet) = (&mut self.scratch[0].dry[..n], &mut self.scratch[0].wet[..n]);
                for (o, &x) in dry.iter_mut().zip(&channel[start..start + n]) {
                    *o = sanitize(x);
                }
                wet.copy_from_slice(dry);
                let rng = state.dither.rng();
                let origin = rng.position().wrapping_add(rng.key());
                let kind = FusedKind { dither: s.dither, quantizer: s.quantizer, error: false };
                fused_in(self.isa, kind, wet, &g, 1.0, origin);
                true
            }
            _ => false,
        };
        self.fused_rest(channels, start, n);
        if tapped {
            self.controls.fill_grid(g);
            let sc = &self.scratch[0];
            tap.chunk(&sc.dry[..n], &sc.wet[..n], &channels[0][start..start + n], &self.controls.step[..n], &s);
        }
    }

    /// [`Path::Fused`]: the rest of the call through the fused loop, channel by channel: the
    /// same arithmetic as the general path, sample for sample, without its per-chunk control
    /// arrays.
    pub(super) fn fused_rest(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let s = self.settings;
        let g = self.settled_grid();
        let gain = self.ramps[Ramp::Gain].target();
        self.clock.free_run();
        let error = s.listen == Listen::Error;
        for (ch, channel) in channels.iter_mut().enumerate() {
            let block = &mut channel[start..start + n];
            let Some(state) = self.channels.get_mut(ch) else {
                sanitize_in_place(block);
                continue;
            };
            let rng = state.dither.rng();
            // The dither word of block sample i is stream_word(origin + i) (`CounterRng::word_at`).
            let origin = rng.position().wrapping_add(rng.key());
            let kind = FusedKind { dither: s.dither, quantizer: s.quantizer, error };
            // NOTE: The general path leaves one more piece of state, the held value, and this
            //       loop does not set it: `free_run` above makes the next sample a take
            //       (`free_run_takes_the_next_sample`), so the value is replaced before anyone
            //       reads it. (Reading the block's last input before the loop stalled every
            //       call on that load: 3 % of a host's whole time at blocks of 512, by perf.)
            fused_in(self.isa, kind, block, &g, gain, origin);
            state.dither.rng().advance(n);
        }
    }

    /// [`Path::Shaped`]: the rest of the call through [`Engine::shaped_chunk`].
    pub(super) fn shaped_rest(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let g = self.settled_grid();
        let gain = self.ramps[Ramp::Gain].target();
        self.clock.free_run();
        self.isa.run(ShapedChunk { engine: self, channels, start, n, g, gain });
    }

    /// [`Path::Bypass`]: the rest of the call, what the general path does for
    /// bypassed chunks (sanitize, and the dry delay with Anti-alias so the latency stays), and
    /// the state it leaves: the dither streams and the hold clock advanced by `n` samples.
    /// Settled controls keep their values, so they need no filling.
    pub(super) fn bypass_rest(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let rate = self.settings.rate;
        self.clock.skip(rate as f64 / self.sample_rate as f64, self.ramps[Ramp::Jitter].target(), n);
        for (ch, channel) in channels.iter_mut().enumerate() {
            let block = &mut channel[start..start + n];
            self.isa.run(Sanitize(block));
            if let Some(state) = self.channels.get_mut(ch) {
                state.dither.rng().advance(n);
                if self.settings.antialias {
                    state.dry_delay.process(block);
                }
            }
        }
    }

    /// [`Path::Antialias`]: the rest of the call, in chunks of [`CHUNK`]:
    /// what the general path computes there ([`antialias_chunk`]), without filling the
    /// per-sample arrays of controls that cannot move (only the grid's, which the quantizer
    /// and the staircase read) or running the hold clock, which takes every sample.
    pub(super) fn antialias_rest(&mut self, channels: &mut [&mut [f32]], start: usize, len: usize) {
        let settings = self.settings;
        let g = self.settled_grid();
        let gain = self.ramps[Ramp::Gain].target();
        self.clock.free_run();
        self.controls.fill_grid(g);
        let mut pos = start;
        while pos < start + len {
            let n = CHUNK.min(start + len - pos);
            // Only the call's last LATENCY samples reach the wet delay's state: the chunk's
            // samples from `tail` on (none in earlier chunks).
            let tail = (start + len).saturating_sub(LATENCY).clamp(pos, pos + n) - pos;
            for (ch, channel) in channels.iter_mut().enumerate() {
                let block = &mut channel[pos..pos + n];
                let Some(state) = self.channels.get_mut(ch) else {
                    sanitize_in_place(block);
                    continue;
                };
                let (c, s) = (&*self.controls, &mut self.scratch[0]);
                self.isa.run(AntialiasChunk { settings: &settings, state, c, gain, s, block, tail });
            }
            pos += n;
        }
    }

    /// [`Engine::fused_rest`] with noise shaping: channels in pairs through one interleaved
    /// shaping loop (each channel's loop is serial, two run side by side), in chunks of
    /// [`CHUNK`] on the scratch arrays. The same arithmetic as the general path: the input
    /// sanitized (Drive 1 multiplies by exactly 1, the hold and the linear curve pass it
    /// through), dither, [`quantize_shaped`], then `y·gain` or `(y - x)·gain`, which is what
    /// Mix 100 % and no bypass reduce to.
    #[inline(always)]
    pub(super) fn shaped_chunk<I: Isa>(
        &mut self,
        isa: I,
        channels: &mut [&mut [f32]],
        start: usize,
        n: usize,
        g: Grid,
        gain: f32,
    ) {
        let s = self.settings;
        let error = s.listen == Listen::Error;
        let mute_zero = s.dither == DitherMode::Off;
        let c = &mut *self.controls;
        c.fill_grid(g);
        let engine_channels = self.channels.len();
        for channel in channels.iter_mut().skip(engine_channels) {
            sanitize_in_place(&mut channel[start..start + n]);
        }
        let (ours, _) = channels.split_at_mut(engine_channels.min(channels.len()));
        let sc = &mut self.scratch[0];
        let mut done = 0;
        while done < n {
            let m = CHUNK.min(n - done);
            let range = start + done..start + done + m;
            let grid = c.grid(0..m);
            let mut pairs = ours.chunks_mut(2).zip(self.channels.chunks_mut(2));
            for (blocks, states) in &mut pairs {
                let (x0, d0) = (&mut sc.chain[..m], &mut sc.dither[..m]);
                let (x1, d1) = (&mut sc.delayed[..m], &mut sc.wet[..m]);
                for ((block, state), (x, d)) in
                    blocks.iter().zip(states.iter_mut()).zip([(&mut *x0, &mut *d0), (&mut *x1, &mut *d1)])
                {
                    for (o, &v) in x.iter_mut().zip(&block[range.clone()]) {
                        *o = sanitize(v);
                    }
                    state.hold.set(x[m - 1]);
                    state.dither.fill(s.dither, d);
                }
                match (blocks, states) {
                    ([b0, b1], [s0, s1]) => {
                        let mut lanes = [
                            Lane { state: &mut s0.shaping, input: x0, dither: d0, out: &mut b0[range.clone()] },
                            Lane { state: &mut s1.shaping, input: x1, dither: d1, out: &mut b1[range.clone()] },
                        ];
                        quantize_shaped(isa, s.quantizer, s.shaping, &mut lanes, &grid, mute_zero);
                        apply_gain(&mut b0[range.clone()], x0, gain, error);
                        apply_gain(&mut b1[range.clone()], x1, gain, error);
                    }
                    ([b0], [s0]) => {
                        let mut lanes =
                            [Lane { state: &mut s0.shaping, input: x0, dither: d0, out: &mut b0[range.clone()] }];
                        quantize_shaped(isa, s.quantizer, s.shaping, &mut lanes, &grid, mute_zero);
                        apply_gain(&mut b0[range.clone()], x0, gain, error);
                    }
                    _ => unreachable!("blocks and states are zipped in equal chunks"),
                }
            }
            done += m;
        }
    }
}

/// Non-finite and subnormal values to zero, others unchanged (`sanitize` without the clamp).
#[inline(always)]
fn zero_specials(x: f32) -> f32 {
    if x.is_finite() && x.abs() >= f32::MIN_POSITIVE { x } else { 0.0 }
}

/// `y·gain`, or `(y - x)·gain` for the error: the output stage at Mix 100 % without bypass.
#[inline(always)]
fn apply_gain(y: &mut [f32], x: &[f32], gain: f32, error: bool) {
    if error {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = (*y - x) * gain;
        }
    } else {
        for y in y.iter_mut() {
            *y *= gain;
        }
    }
}

/// The fast path's loop for one channel: sanitize, dither (`DITHER`: 0 off, 1 RPDF, 2 TPDF,
/// 3 high-pass TPDF), quantize (`MID_RISE`), gain; `ERROR` outputs `(y - x)·gain`. Each
/// variant is its own monomorphised loop the compiler can vectorise. `word(i)` is the dither
/// stream's word for sample `i` of the block (wrapping, so `i - 1` reaches back before it).
#[inline(always)]
fn fused<const DITHER: u8, const MID_RISE: bool, const ERROR: bool, I: Isa>(
    block: &mut [f32],
    g: &Grid,
    gain: f32,
    word: impl Fn(u32) -> u32,
) {
    let (inv, step, lo, hi) = (g.inv_step, g.step, g.k_min, g.k_max);
    for (i, y) in block.iter_mut().enumerate() {
        let i = i as u32;
        // NOTE: Without ERROR the input's clamp to ±MAX_INPUT cannot change the result: any
        //       |x| above it puts x·inv beyond the grid's ends (hi + 1 <= 2^23 while
        //       x·inv > 1e6·2^(bits-1)), where the clamp on `v` takes over. Skipping it saves
        //       two operations per sample.
        let x = if ERROR { sanitize(*y) } else { zero_specials(*y) };
        let d = dither_at::<DITHER>(&word, i);
        // NOTE: The clamp keeps `v` inside `floor_exact`'s exact range. The CPU's floor needs
        //       no such range (x·inv may even overflow to ±inf): whatever lies beyond the
        //       grid's ends floors beyond them too, and the clamp after rounding gives the same
        //       end level.
        let v = x * inv + d;
        let v = if I::ROUND { v } else { min_f(max_f(v, lo - 1.0), hi + 1.0) };
        let q = if MID_RISE {
            let k = min_f(max_f(floor_q::<I>(v), lo), hi);
            if DITHER == 0 && x == 0.0 { 0.0 } else { (k + 0.5) * step }
        } else {
            min_f(max_f(floor_q::<I>(v + 0.5), lo), hi) * step
        };
        *y = if ERROR { (q - x) * gain } else { q * gain };
    }
}

/// Which monomorphised [`fused`] loop to run.
#[derive(Clone, Copy)]
pub(super) struct FusedKind {
    pub(super) dither: DitherMode,
    pub(super) quantizer: QuantizerMode,
    /// Output the error instead of the crushed signal.
    pub(super) error: bool,
}

/// Run the [`fused`] loop for `kind`; `origin` is the dither stream's counter (position plus
/// key) at the block's first sample.
#[inline(always)]
pub(super) fn fused_dispatch<I: Isa>(isa: I, kind: FusedKind, block: &mut [f32], g: &Grid, gain: f32, origin: u32) {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    // The AVX-512 build's hand-written loops, on whole-bit grids without the error output.
    #[cfg(target_arch = "x86_64")]
    if let (Some(avx512), false) = (isa.avx512(), kind.error)
        && let Some(p) = Pow2Grid::new(g)
    {
        pow2::fused(avx512, kind.dither, kind.quantizer, block, &p, gain, origin);
        return;
    }
    let word = |i: u32| stream_word(origin.wrapping_add(i));
    match (kind.dither, kind.quantizer, kind.error) {
        (DitherMode::Off, QuantizerMode::MidTread, false) => fused::<0, false, false, I>(block, g, gain, word),
        (DitherMode::Off, QuantizerMode::MidTread, true) => fused::<0, false, true, I>(block, g, gain, word),
        (DitherMode::Off, QuantizerMode::MidRise, false) => fused::<0, true, false, I>(block, g, gain, word),
        (DitherMode::Off, QuantizerMode::MidRise, true) => fused::<0, true, true, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidTread, false) => fused::<1, false, false, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidTread, true) => fused::<1, false, true, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidRise, false) => fused::<1, true, false, I>(block, g, gain, word),
        (DitherMode::Rpdf, QuantizerMode::MidRise, true) => fused::<1, true, true, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidTread, false) => fused::<2, false, false, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidTread, true) => fused::<2, false, true, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidRise, false) => fused::<2, true, false, I>(block, g, gain, word),
        (DitherMode::Tpdf, QuantizerMode::MidRise, true) => fused::<2, true, true, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidTread, false) => fused::<3, false, false, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidTread, true) => fused::<3, false, true, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidRise, false) => fused::<3, true, false, I>(block, g, gain, word),
        (DitherMode::HighPassTpdf, QuantizerMode::MidRise, true) => fused::<3, true, true, I>(block, g, gain, word),
    }
}

/// The [`fused`] loop for `kind` in build `isa` (the fast path with or without the editor's
/// tap).
#[inline(always)]
pub(super) fn fused_in(isa: Dispatch, kind: FusedKind, block: &mut [f32], g: &Grid, gain: f32, origin: u32) {
    isa.run(Fused { kind, block, g, gain, origin });
}

/// [`fused_dispatch`] as a [`Kernel`].
struct Fused<'a> {
    kind: FusedKind,
    block: &'a mut [f32],
    g: &'a Grid,
    gain: f32,
    origin: u32,
}

impl Kernel for Fused<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        fused_dispatch(isa, self.kind, self.block, self.g, self.gain, self.origin);
    }
}

/// [`sanitize_in_place`] as a [`Kernel`].
struct Sanitize<'a>(&'a mut [f32]);

impl Kernel for Sanitize<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, _: I) {
        sanitize_in_place(self.0);
    }
}

/// [`Engine::shaped_chunk`] as a [`Kernel`].
struct ShapedChunk<'a, 'b> {
    engine: &'a mut Engine,
    channels: &'a mut [&'b mut [f32]],
    start: usize,
    n: usize,
    g: Grid,
    gain: f32,
}

impl Kernel for ShapedChunk<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        self.engine.shaped_chunk(isa, self.channels, self.start, self.n, self.g, self.gain);
    }
}

/// [`antialias_chunk`] as a [`Kernel`].
struct AntialiasChunk<'a> {
    settings: &'a Settings,
    state: &'a mut Channel,
    c: &'a Controls,
    gain: f32,
    s: &'a mut Scratch,
    block: &'a mut [f32],
    tail: usize,
}

impl Kernel for AntialiasChunk<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        antialias_chunk(isa, self.settings, self.state, self.c, self.gain, self.s, self.block, self.tail);
    }
}

/// The general path (`general::process_pair`) where [`Path::Antialias`] applies: one chunk of one
/// channel, in place, with only `c`'s grid filled and the settled `gain`. The same operations on the same
/// values: Drive 1 multiplies by exactly 1, the hold takes every sample (so it passes the
/// signal and keeps the last), the linear curve and the absent filters pass it through,
/// Dither Off is zeros (the stream still advances), and Mix 100 % without bypass is the
/// general mix with those constants (kept as written: `dry·0` can change the sign of a zero).
/// The wet delay is fed the plain staircase of the samples from `tail` on (the general path
/// feeds each chunk's last [`LATENCY`]; the caller passes where the call's last [`LATENCY`]
/// begin in this chunk, `block.len()` if not in it, which leaves the same state). `isa` as
/// in the general path.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn antialias_chunk<I: Isa>(
    isa: I,
    settings: &Settings,
    state: &mut Channel,
    c: &Controls,
    gain: f32,
    s: &mut Scratch,
    block: &mut [f32],
    tail: usize,
) {
    let n = block.len();
    let (dry, d, wet) = (&mut s.dry[..n], &mut s.dither[..n], &mut s.wet[..n]);
    for (o, &x) in dry.iter_mut().zip(block.iter()) {
        *o = sanitize(x);
    }
    state.hold.set(dry[n - 1]);
    state.dither.rng().advance(n);
    // The plain staircase's tail keeps the wet delay current, as in the general path.
    let from = n.saturating_sub(LATENCY).max(tail);
    d[from..].fill(0.0);
    quantize_block(settings.quantizer, &dry[from..], &d[from..], &c.grid(from..n), true, &mut wet[from..]);
    state.wet_delay.feed(from, &wet[from..]);
    let y = state.oversampler.process(isa, settings.quantizer, &c.grid(0..n), true, dry);
    // The dry path, delayed in place (the undelayed copy is not needed again).
    state.dry_delay.process(dry);
    let (mix, bypass) = (1.0f32, 0.0f32);
    match settings.listen {
        Listen::Output => {
            for ((o, &w), &x) in block.iter_mut().zip(y).zip(dry.iter()) {
                let mixed = w * mix + x * (1.0 - mix);
                *o = (mixed * gain) * (1.0 - bypass) + x * bypass;
            }
        }
        Listen::Error => {
            for ((o, &w), &x) in block.iter_mut().zip(y).zip(dry.iter()) {
                let mixed = w * mix + x * (1.0 - mix);
                *o = ((mixed - x) * gain) * (1.0 - bypass) + x * bypass;
            }
        }
    }
}
