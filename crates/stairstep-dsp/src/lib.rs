//! Stairstep's DSP core.
//!
//! Nothing here knows about nice-plug, egui, files or any plugin format: the plugin, the
//! command-line renderer, the benchmarks and the fuzzer drive the same [`engine::Engine`]. Every part is a small
//! per-channel struct with `reset()` that processes a slice at a time, and nothing allocates
//! after construction.

/// Declares a plain enum (unit variants) and `ALL`, every variant in declaration order: the
/// one list that the plugin's parameters, the fuzzer and the property tests take choices from.
macro_rules! choices {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])* $vis enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
        }
    };
}

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
pub use shaping::Shaping;
