//! Fuzz target `preset`: loading a preset file from arbitrary text.
//!
//! Any UTF-8 text goes to `Preset::from_json`; a preset that parses is applied with
//! `Preset::apply` to `StairstepParams::default()`. Asserts:
//!
//! 1. No panic, in parsing or applying.
//! 2. When `apply` succeeds, every continuous DSP setting is finite and already in range
//!    (sanitizing changes nothing but the snap of near-whole bit depths).
//! 3. When `apply` fails, nothing changed (the documented all-or-nothing): the parameters
//!    still hold their defaults.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "checks.rs"]
mod checks;

use stairstep::StairstepParams;
use stairstep::preset::Preset;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(preset) = Preset::from_json(text) else { return };
    let params = StairstepParams::default();
    match preset.apply(&params) {
        Ok(()) => {
            checks::assert_settings_valid(&params.settings(), &format!("after applying {text:?}"));
        }
        Err(_) => {
            assert_eq!(params.settings(), StairstepParams::default().settings(), "a failed apply changed {text:?}");
        }
    }
});
