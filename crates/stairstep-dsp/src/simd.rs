//! The one place that knows which instruction sets the CPU has.
//!
//! The hot loops are written once, generic over an [`Isa`]: a zero-sized token that proves
//! the CPU runs an instruction set. Only this module makes tokens ([`Dispatch::run`] after
//! its check, or the checked constructors below), so a kernel that holds one may use that
//! set's instructions without its caller writing `unsafe`, and no safe function can run an
//! instruction the CPU lacks.
//!
//! [`Dispatch::run`] compiles the kernel a second and a third time inside functions with
//! `#[target_feature]` (AVX2; AVX-512 F, VL, DQ and BW), where LLVM widens its loops, and
//! picks the widest build the CPU runs. Every build gives the same bits: no FMA is enabled
//! (Rust never contracts `a * b + c` on its own, so every operation rounds as in the portable
//! build), and where a build uses an instruction of its own (SSE4.1's rounding, the
//! hand-written AVX-512 kernels) a test holds it to the portable code
//! (`general_path_builds_are_bit_identical`, `vector_builds_are_bit_identical`,
//! `fast_path_is_exact`, the oversampler's and the shaper's definition tests).
//!
//! NOTE: A kernel's `run` and every function it calls in its hot loop must be
//!       `#[inline(always)]`: a function that is not inlined into the `#[target_feature]`
//!       trampoline is compiled for the baseline only.

/// An instruction set the CPU is known to run. Implemented only by this module's tokens.
pub trait Isa: Copy + sealed::Sealed {
    /// SSE4.1's rounding instructions (`roundps`, `roundpd`) are available, so `floor` is one
    /// instruction instead of a library call or an exact emulation.
    const ROUND: bool;
    /// The AVX-512 token, in the AVX-512 build.
    fn avx512(self) -> Option<Avx512>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Portable {}
    impl Sealed for super::Avx2 {}
    impl Sealed for super::Avx512 {}
}

/// The target's baseline (SSE2 on x86_64, NEON on aarch64): always available.
#[derive(Debug, Clone, Copy)]
pub struct Portable(());

/// AVX2 (which implies SSE4.1), on x86_64.
#[derive(Debug, Clone, Copy)]
pub struct Avx2(());

/// AVX-512 F, VL, DQ and BW, and AVX2, on x86_64.
#[derive(Debug, Clone, Copy)]
pub struct Avx512(());

impl Isa for Portable {
    const ROUND: bool = false;
    #[inline(always)]
    fn avx512(self) -> Option<Avx512> {
        None
    }
}

impl Isa for Avx2 {
    const ROUND: bool = true;
    #[inline(always)]
    fn avx512(self) -> Option<Avx512> {
        None
    }
}

impl Isa for Avx512 {
    const ROUND: bool = true;
    #[inline(always)]
    fn avx512(self) -> Option<Avx512> {
        Some(self)
    }
}

impl Portable {
    /// The baseline token: every CPU of the target runs it.
    pub fn new() -> Self {
        Self(())
    }
}

impl Default for Portable {
    fn default() -> Self {
        Self::new()
    }
}

impl Avx2 {
    /// The token, if this CPU runs AVX2.
    pub fn try_new() -> Option<Self> {
        (Level::detect() >= Level::Avx2).then_some(Self(()))
    }
}

impl Avx512 {
    /// The token, if this CPU runs AVX-512 F, VL, DQ and BW.
    pub fn try_new() -> Option<Self> {
        (Level::detect() >= Level::Avx512).then_some(Self(()))
    }
}

/// The vector builds, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The target's baseline: SSE2 on x86_64 (four f32 or two f64 lanes).
    Portable,
    /// AVX2: eight f32 or four f64 lanes, one-instruction 32-bit multiplies, SSE4.1 rounding.
    Avx2,
    /// AVX-512 (F, VL, DQ, BW): sixteen f32 or eight f64 lanes, 32 vector registers, and the
    /// hand-written kernels (faster than AVX2 on both Intel and AMD: docs/BENCHMARKS.md).
    Avx512,
}

impl Level {
    /// The widest build this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::is_x86_feature_detected as has;
            if has!("avx2") && has!("sse4.1") {
                if has!("avx512f") && has!("avx512vl") && has!("avx512dq") && has!("avx512bw") {
                    return Level::Avx512;
                }
                return Level::Avx2;
            }
        }
        Level::Portable
    }
}

/// Code to run in the widest build: [`Dispatch::run`] calls `run` with the token of the build
/// it chose.
pub trait Kernel {
    /// What the kernel returns.
    type Output;
    /// The kernel, for instruction set `I` (mark it `#[inline(always)]`).
    fn run<I: Isa>(self, isa: I) -> Self::Output;
}

/// A build [`Level`] this CPU runs (checked when made), and the way into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispatch {
    level: Level,
}

impl Dispatch {
    /// The widest build this CPU runs.
    pub fn detect() -> Self {
        Self { level: Level::detect() }
    }

    /// At most `widest`, never wider than the CPU runs (for benchmarks and for tests that
    /// compare the builds).
    pub fn limited(self, widest: Level) -> Self {
        Self { level: self.level.min(widest) }
    }

    /// The build [`Dispatch::run`] uses.
    pub fn level(self) -> Level {
        self.level
    }

    /// Run `kernel` in this build.
    #[inline(always)]
    pub fn run<K: Kernel>(self, kernel: K) -> K::Output {
        match self.level {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `level` is at most `Level::detect()` (the only ways to make a `Dispatch`),
            //         and `Level::Avx512` is detected only where AVX-512 F, VL, DQ, BW and AVX2
            //         are, the features `run_avx512` enables.
            Level::Avx512 => unsafe { run_avx512(kernel) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above: `Level::Avx2` and wider are detected only where AVX2 is.
            Level::Avx2 => unsafe { run_avx2(kernel) },
            _ => kernel.run(Portable(())),
        }
    }
}

/// The kernel compiled with AVX2 (no FMA).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run(Avx2(()))
}

/// The kernel compiled with AVX-512 F, VL, DQ and BW (no FMA).
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW, and AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vl,avx512dq,avx512bw")]
unsafe fn run_avx512<K: Kernel>(kernel: K) -> K::Output {
    kernel.run(Avx512(()))
}

/// Every build this CPU runs, narrowest first (for tests and benchmarks).
pub fn each_build() -> impl Iterator<Item = Dispatch> {
    [Level::Portable, Level::Avx2, Level::Avx512]
        .into_iter()
        .filter(|l| *l <= Level::detect())
        .map(|l| Dispatch::detect().limited(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Which;
    impl Kernel for Which {
        type Output = (bool, bool);
        #[inline(always)]
        fn run<I: Isa>(self, isa: I) -> (bool, bool) {
            (I::ROUND, isa.avx512().is_some())
        }
    }

    #[test]
    fn each_build_gets_its_own_token() {
        let levels: Vec<Level> = each_build().map(Dispatch::level).collect();
        assert_eq!(levels.first(), Some(&Level::Portable));
        assert_eq!(levels.last(), Some(&Level::detect()));
        for d in each_build() {
            let want = match d.level() {
                Level::Portable => (false, false),
                Level::Avx2 => (true, false),
                Level::Avx512 => (true, true),
            };
            assert_eq!(d.run(Which), want, "{:?}", d.level());
        }
        // A limit wider than the CPU gives what the CPU runs.
        assert_eq!(Dispatch::detect().limited(Level::Avx512).level(), Level::detect());
        assert_eq!(Avx2::try_new().is_some(), Level::detect() >= Level::Avx2);
        assert_eq!(Avx512::try_new().is_some(), Level::detect() >= Level::Avx512);
    }
}
