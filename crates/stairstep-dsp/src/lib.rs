//! Stairstep's DSP core.
//!
//! Nothing here knows about nice-plug, egui, files or any plugin format: the plugin, the
//! command-line renderer, the benchmarks and the fuzzer drive the same [`Engine`]. Every part
//! is a small per-channel struct with `reset()` that processes a slice at a time, and nothing
//! allocates after construction.
//!
//! ```
//! use stairstep_dsp::engine::DEFAULT_SEED;
//! use stairstep_dsp::{DitherMode, Engine, Settings};
//!
//! // 6 bits with TPDF dither, on a stereo stream at 48 kHz.
//! let settings = Settings { bits: 6.0, dither: DitherMode::Tpdf, ..Settings::default() };
//! let mut engine = Engine::new(2, 48_000.0, settings, DEFAULT_SEED);
//! let (mut left, mut right) = (vec![0.3f32; 480], vec![-0.3f32; 480]);
//! engine.process(&mut [&mut left, &mut right]);
//! // Every output sample is on the 6-bit grid: a whole number of steps of 2^-5.
//! assert!(left.iter().chain(&right).all(|y| (y * 32.0).fract() == 0.0));
//! // Settings change between blocks; the continuous ones ramp over 10 ms.
//! engine.set_settings(Settings { bits: 12.0, ..settings });
//! engine.process(&mut [&mut left, &mut right]);
//! ```

#[macro_use]
mod setting;

pub mod curve;
pub mod dither;
pub mod engine;
pub mod filter;
pub mod follower;
pub mod hold;
pub mod lfo;
pub mod notes;
pub mod oversample;
#[cfg(target_arch = "x86_64")]
mod pow2;
pub mod quantizer;
pub mod rng;
pub mod shaping;
pub mod simd;
pub mod smoother;

#[cfg(test)]
pub(crate) mod test_util;

pub use curve::Curve;
pub use dither::DitherMode;
pub use engine::{Engine, Listen, Settings};
pub use quantizer::QuantizerMode;
pub use setting::{Draw, Setting};
pub use shaping::Shaping;
