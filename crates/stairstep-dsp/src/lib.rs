//! Stairstep's DSP core.
//!
//! Nothing here knows about nice-plug, egui, files or any plugin format: the plugin, the
//! command-line renderer, the benchmarks and the fuzzer drive the same [`engine::Engine`]. Every part is a small
//! per-channel struct with `reset()` that processes a slice at a time, and nothing allocates
//! after construction.

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
mod oversample_coefficients;
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
