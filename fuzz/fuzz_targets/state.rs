//! Fuzz target `state`: loading a saved session from arbitrary bytes.
//!
//! The bytes are parsed as nice-plug does (`serde_json::from_slice::<PluginState>`); when they
//! parse, `stairstep::state::sanitize` repairs the state (what `Plugin::filter_state` does
//! before nice-plug applies it), and then this asserts:
//!
//! 1. No panic, in `sanitize` or in applying the state.
//! 2. Exactly the plugin's parameter ids (all 27) are present, each once, and no other.
//! 3. Every value is valid for its parameter: a number is an `F32`, finite and inside the
//!    parameter's range; a switch is a `Bool`; a choice is a `String` that is one of the
//!    parameter's stable ids (nice-plug's `set_from_id` accepts it).
//! 4. The layout field says this build's layout, and `sanitize` is idempotent: a second pass
//!    repairs nothing.
//! 5. Applied to `StairstepParams::default()` the way nice-plug's `deserialize_object` does
//!    (plain values through `_internal_set_plain_value`/`set_from_id`, smoothers reset at a
//!    sample rate, then `Params::deserialize_fields` with the persisted fields), every
//!    parameter holds the value the state gave it, and the DSP settings are all finite.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "checks.rs"]
mod checks;

use nice_plug::params::internals::ParamPtr;
use nice_plug::params::{InternalParamMut, Param, Params};
use nice_plug::plugin::{ParamValue, PluginState};
use stairstep::StairstepParams;
use stairstep::state::{STATE_VERSION, VERSION_FIELD, sanitize};

fuzz_target!(|data: &[u8]| {
    let Ok(mut state) = serde_json::from_slice::<PluginState>(data) else { return };
    sanitize(&mut state);

    let params = StairstepParams::default();
    let map = params.param_map();
    assert_eq!(map.len(), stairstep::params::IDS.len());
    assert_eq!(map.len(), 27);
    // A scratch copy for checking choices without touching `params`.
    let scratch = StairstepParams::default();
    let scratch_map = scratch.param_map();
    assert_eq!(state.params.len(), map.len(), "{:?}", state.params.keys().collect::<Vec<_>>());
    for (id, ptr, _) in &map {
        let value = state.params.get(id).unwrap_or_else(|| panic!("{id} missing after sanitize"));
        // SAFETY: `ptr` points into `params`, alive until the end of this function.
        unsafe {
            match (*ptr, value) {
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    let (min, max) = ((*p).preview_plain(0.0), (*p).preview_plain(1.0));
                    assert!(v.is_finite() && (min..=max).contains(v), "{id}: {v} outside {min}..={max}");
                }
                (ParamPtr::BoolParam(_), ParamValue::Bool(_)) => {}
                (ParamPtr::EnumParam(_), ParamValue::String(choice)) => {
                    let known = scratch_map.iter().find(|(i, _, _)| i == id).map(|(_, q, _)| *q);
                    let Some(ParamPtr::EnumParam(q)) = known else { unreachable!("{id} is a choice") };
                    assert!((*q).set_from_id(choice), "{id}: unknown choice {choice:?}");
                }
                (ptr, value) => panic!("{id}: {value:?} is the wrong type for {ptr:?}"),
            }
        }
    }
    assert_eq!(state.fields.get(VERSION_FIELD), Some(&STATE_VERSION.to_string()));
    let mut again = state.clone();
    let notes = sanitize(&mut again);
    assert!(notes.is_empty(), "a sanitized state needed repairs: {notes:?}");

    // Apply it as nice-plug's `deserialize_object` does.
    let sample_rate = 48000.0;
    for (id, value) in &state.params {
        let ptr = map.iter().find(|(i, _, _)| i == id).map(|(_, p, _)| *p).expect("known id");
        // SAFETY: as above.
        unsafe {
            match (ptr, value) {
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::IntParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::String(choice)) => {
                    assert!((*p).set_from_id(choice));
                }
                (ptr, value) => panic!("{id}: {value:?} does not fit {ptr:?}"),
            }
            ptr._internal_update_smoother(sample_rate, true);
        }
    }
    params.deserialize_fields(&state.fields);

    // Every parameter holds what the state said.
    for (id, ptr, _) in &map {
        // SAFETY: as above.
        unsafe {
            match (*ptr, &state.params[id]) {
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    let got = (*p).unmodulated_plain_value();
                    assert!(got == *v, "{id}: set {v}, holds {got}");
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => assert_eq!((*p).unmodulated_plain_value(), *v, "{id}"),
                (ParamPtr::EnumParam(p), ParamValue::String(choice)) => {
                    assert_eq!((*p).unmodulated_plain_id(), Some(choice.as_str()), "{id}")
                }
                _ => unreachable!(),
            }
        }
    }
    // Already in range: sanitizing changes nothing but the snap of near-whole bit depths.
    checks::assert_settings_valid(&params.settings(), "the loaded settings");
});
