//! Which code computes a chunk.
//!
//! The general path ([`super::general`]) is the definition of Stairstep's sound. Each settled
//! path ([`super::settled`]) implements a few stages and computes the same bits with less work,
//! so it may run only where every other stage is idle. The router asks every stage whether it
//! is idle ([`Engine::idle`], an exhaustive `match`: a new stage must answer, and is busy until
//! it does) and takes the first settled path that implements every busy stage; otherwise the
//! general path. Nothing is allow-listed: a stage no settled path implements sends every chunk
//! where it acts down the general path.

use super::Engine;
use super::controls::Ramp;
use super::movement::Movement;
use super::settings::Listen;
use crate::curve::Curve;
use crate::dither::DitherMode;
use crate::shaping::Shaping;

/// Declares [`Stage`] and the list of all its variants together, so neither can miss one.
macro_rules! stages {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The stages of the chain, in signal order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Stage {
            $($(#[$doc])* $name,)*
        }

        impl Stage {
            /// Every stage.
            pub(super) const ALL: &'static [Stage] = &[$(Stage::$name,)*];
        }
    };
}

stages! {
    /// Gain into the chain (Drive).
    Drive,
    /// The low-pass before the hold (Pre-filter).
    PreFilter,
    /// The sample-and-hold (Sample Rate, Jitter).
    Hold,
    /// Compressing before the quantizer and expanding after it (Curve).
    Curve,
    /// Dither.
    Dither,
    /// The quantizer (Bit Depth, Quantizer).
    Quantizer,
    /// Noise shaping.
    Shaping,
    /// The 4x anti-aliased quantizer and the delays that keep its latency (Anti-alias).
    AntiAlias,
    /// The low-pass after the quantizer (Post-filter).
    PostFilter,
    /// The wet and dry mix (Mix).
    Mix,
    /// Listen and the Output gain.
    Output,
    /// The bypass crossfade.
    Bypass,
}

/// A set of [`Stage`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Stages(u32);

impl Stages {
    const fn of(stages: &[Stage]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < stages.len() {
            bits |= 1 << stages[i] as u32;
            i += 1;
        }
        Stages(bits)
    }

    fn contains(self, stage: Stage) -> bool {
        self.0 & (1 << stage as u32) != 0
    }

    /// True when every stage of `other` is in `self`.
    fn covers(self, other: Stages) -> bool {
        other.0 & !self.0 == 0
    }
}

const _: () = assert!(Stage::ALL.len() <= 32, "Stages holds 32");

/// The code that computes a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    /// Every stage, on per-sample control arrays, one chunk at a time ([`super::general`]).
    General,
    /// Dither, quantizer and output gain fused into one loop per channel, for the rest of the
    /// call ([`Engine::fused_rest`]).
    Fused,
    /// [`Path::Fused`] one chunk at a time, also handing the editor's analysis what the general
    /// path would ([`Engine::fused_tapped`]).
    FusedTapped,
    /// [`Path::Fused`] with noise shaping, channels in pairs, for the rest of the call
    /// ([`Engine::shaped_rest`]).
    Shaped,
    /// The anti-aliased quantizer on its own, for the rest of the call
    /// ([`Engine::antialias_rest`]).
    Antialias,
    /// Settled bypass: the dry signal, the state kept in step, for the rest of the call
    /// ([`Engine::bypass_rest`]).
    Bypass,
}

impl Path {
    /// The stages this path computes; every other stage must be idle for it to run.
    fn implements(self) -> Stages {
        match self {
            Path::General | Path::Bypass => Stages::of(Stage::ALL),
            Path::Fused | Path::FusedTapped => Stages::of(&[Stage::Dither, Stage::Quantizer, Stage::Output]),
            Path::Shaped => Stages::of(&[Stage::Dither, Stage::Quantizer, Stage::Shaping, Stage::Output]),
            Path::Antialias => Stages::of(&[Stage::Quantizer, Stage::AntiAlias, Stage::Output]),
        }
    }
}

impl Engine {
    /// The path for the next chunk; `tapped` when the editor's analysis wants channel 0's
    /// signals.
    ///
    /// Why each settled path gives the general path's bits where it runs (each is also held
    /// to it, bit for bit in every vector build, by `fast_path_tests`):
    /// - No control moves, so every per-sample control array would hold one value: the settled
    ///   paths read those values instead ([`Engine::settled_grid`], the ramps' targets).
    /// - The idle stages compute the identity: Drive 1 multiplies by exactly 1, a hold at or
    ///   above the host rate takes every sample, the linear curve passes its input, and the
    ///   absent filters are not run. Mix 100 % without bypass reduces the output stage to
    ///   `wet·gain` (or `(wet - dry)·gain` for the error), which the settled loops compute in
    ///   the same order; where the general path's `dry·0` could change the sign of an exact
    ///   zero, the settled loop keeps the general form ([`Engine::antialias_rest`]).
    /// - The state they skip is state nothing reads while they apply, or is brought up to
    ///   date: the dither streams advance by the samples processed, the hold clock free-runs
    ///   (its next sample is a take, so the held value it does not store is never read), the
    ///   wet and dry delays are fed as the general path feeds them.
    /// - The analysis (`tapped`) sees what the general path hands it, only through
    ///   [`Path::FusedTapped`]; the others would need their loops run twice.
    pub(super) fn route(&self, tapped: bool) -> Path {
        if self.forced_general() || !self.ramps.settled() || self.modulated() {
            return Path::General;
        }
        let busy = self.busy;
        if busy.contains(Stage::Bypass) {
            // Settled bypass outputs the dry signal whatever the other stages are set to.
            return if tapped { Path::General } else { Path::Bypass };
        }
        let candidates: &[Path] =
            if tapped { &[Path::FusedTapped] } else { &[Path::Fused, Path::Shaped, Path::Antialias] };
        candidates.iter().copied().find(|p| p.implements().covers(busy)).unwrap_or(Path::General)
    }

    /// The stages that act under the current settings (those [`Engine::idle`] says are not
    /// idle). They depend only on the settings and the ramps' targets, so `set_settings`
    /// computes them once instead of [`Engine::route`] on every chunk.
    pub(super) fn busy_stages(&self) -> Stages {
        Stage::ALL.iter().copied().filter(|&s| !self.idle(s)).collect()
    }

    /// Whether `stage` passes the signal through unchanged under the settled controls (the
    /// router calls this only when no control moves).
    fn idle(&self, stage: Stage) -> bool {
        let s = &self.settings;
        match stage {
            Stage::Drive => self.ramps[Ramp::Drive].target() == 1.0,
            Stage::PreFilter => !s.prefilter,
            Stage::Hold => self.rate_now() >= self.sample_rate,
            Stage::Curve => s.curve == Curve::Linear,
            Stage::Dither => s.dither == DitherMode::Off,
            Stage::Quantizer => false,
            Stage::Shaping => s.shaping == Shaping::Off,
            Stage::AntiAlias => !s.antialias,
            Stage::PostFilter => !s.postfilter,
            Stage::Mix => self.ramps[Ramp::Mix].target() == 1.0,
            Stage::Output => self.ramps[Ramp::Gain].target() == 1.0 && s.listen == Listen::Output,
            Stage::Bypass => self.ramps[Ramp::Bypass].target() == 0.0,
        }
    }

    /// Whether the LFO, the follower or a note's glide moves a control: then the control arrays
    /// change from sample to sample, which only the general path reads.
    pub(super) fn modulated(&self) -> bool {
        Movement::bits_moving(&self.settings) || self.movement.rate_moving(&self.settings)
    }

    /// Whether a test has sent every block down the general path.
    #[inline(always)]
    fn forced_general(&self) -> bool {
        #[cfg(test)]
        return self.force_general;
        #[cfg(not(test))]
        false
    }
}

impl FromIterator<Stage> for Stages {
    fn from_iter<T: IntoIterator<Item = Stage>>(stages: T) -> Self {
        Stages(stages.into_iter().fold(0, |bits, s| bits | 1 << s as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path implements the quantizer, and only the general and bypass paths implement
    /// every stage: a new stage falls to the general path until a settled path takes it on.
    #[test]
    fn only_the_general_path_implements_every_stage() {
        let all = Stages::of(Stage::ALL);
        for path in [Path::General, Path::Fused, Path::FusedTapped, Path::Shaped, Path::Antialias, Path::Bypass] {
            assert!(path.implements().contains(Stage::Quantizer), "{path:?}");
            let whole = matches!(path, Path::General | Path::Bypass);
            assert_eq!(path.implements() == all, whole, "{path:?}");
        }
    }
}
