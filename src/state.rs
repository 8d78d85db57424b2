//! Saved-state versioning and repair.
//!
//! nice-plug stores a session as JSON: every parameter's plain value by id, plus persisted
//! fields. Stairstep adds a layout number (`state-version`) to the fields and, before nice-plug
//! applies a state, [`sanitize`] turns whatever a host hands back (an old layout, a newer one,
//! a hand-edited or damaged session) into a complete, valid state:
//!
//! - unknown parameter ids are dropped;
//! - missing parameters take their defaults, so a load always defines every value and the
//!   output after loading never depends on what the instance did before;
//! - wrong types are converted where the meaning is clear (an enum's index, `0`/`1` for a
//!   switch, an integer for a number) and otherwise replaced by the default;
//! - numbers outside a parameter's range are clamped, non-finite ones replaced by the default;
//! - unknown choice ids take the default choice.
//!
//! Each repair is returned as a sentence, which the plugin writes to its log.
//!
//! Layouts: 1 is the layout of Stairstep 0.1.0, which wrote no `state-version` field (a state
//! without one is layout 1); 2 added the LFO, the envelope follower and note tracking. Each
//! parameter's layout is the table's `since` column ([`crate::params::since`]): a session of an
//! older layout takes the parameters added since at their defaults without a note (it never had
//! them: its sound is unchanged). A state from a newer layout loads the values this build knows.

use nice_plug::params::Param;
use nice_plug::plugin::{ParamValue as StateValue, PluginState};

use crate::params::{Field, StairstepParams};
pub use crate::params::{STATE_VERSION, VERSION_FIELD};

/// The layout number a state declares (1 when it has none).
pub fn layout_of(state: &PluginState) -> Result<u32, String> {
    match state.fields.get(VERSION_FIELD) {
        None => Ok(1),
        Some(text) => text.trim().parse::<u32>().map_err(|_| format!("unreadable state-version {text:?}")),
    }
}

/// A valid value for one parameter from what the state holds, and what was repaired.
fn repair(id: &str, param: Field<'_>, value: Option<&StateValue>) -> (StateValue, Option<String>) {
    match param {
        Field::Number(p) | Field::Hz(p) => {
            let default = p.default_plain_value();
            let (min, max) = (p.preview_plain(0.0), p.preview_plain(1.0));
            let number = match value {
                Some(StateValue::F32(v)) => Some(*v),
                Some(StateValue::I32(v)) => Some(*v as f32),
                _ => None,
            };
            match (number, value) {
                (_, None) => (StateValue::F32(default), Some(format!("{id}: missing, using the default {default}"))),
                (Some(v), _) if v.is_finite() && (min..=max).contains(&v) => {
                    let note =
                        (!matches!(value, Some(StateValue::F32(_)))).then(|| format!("{id}: read {v} as a number"));
                    (StateValue::F32(v), note)
                }
                (Some(v), _) if v.is_finite() => {
                    let c = v.clamp(min, max);
                    (StateValue::F32(c), Some(format!("{id}: {v} is out of range ({min} to {max}), using {c}")))
                }
                (_, Some(other)) => (
                    StateValue::F32(default),
                    Some(format!("{id}: {other:?} is not a number, using the default {default}")),
                ),
            }
        }
        Field::Switch(p) => {
            let default = p.default_plain_value();
            match value {
                Some(StateValue::Bool(b)) => (StateValue::Bool(*b), None),
                Some(StateValue::I32(v @ (0 | 1))) => {
                    (StateValue::Bool(*v == 1), Some(format!("{id}: read {v} as a switch")))
                }
                Some(StateValue::F32(v)) if *v == 0.0 || *v == 1.0 => {
                    (StateValue::Bool(*v == 1.0), Some(format!("{id}: read {v} as a switch")))
                }
                None => (StateValue::Bool(default), Some(format!("{id}: missing, using the default {default}"))),
                Some(other) => (
                    StateValue::Bool(default),
                    Some(format!("{id}: {other:?} is not on or off, using the default {default}")),
                ),
            }
        }
        Field::Choice(p) => {
            let ids = p.ids();
            let default_id = ids[p.default_index()];
            let fallback = |why: String| (StateValue::String(default_id.to_string()), Some(why));
            match value {
                Some(StateValue::String(s)) if ids.contains(&s.as_str()) => (StateValue::String(s.clone()), None),
                // NOTE: nice-plug writes an enum's index when it has no ids; ours all have ids,
                //       but an index is unambiguous, so take it.
                Some(StateValue::I32(i)) if (0..ids.len() as i32).contains(i) => {
                    let id_text = ids[*i as usize];
                    (StateValue::String(id_text.to_string()), Some(format!("{id}: read choice {i} as '{id_text}'")))
                }
                None => fallback(format!("{id}: missing, using the default '{default_id}'")),
                Some(other) => fallback(format!(
                    "{id}: {other:?} is not one of {}, using the default '{default_id}'",
                    ids.join(", ")
                )),
            }
        }
    }
}

/// Make `state` complete and valid for this build; returns what was repaired, one sentence
/// per repair (empty for a clean state of this layout).
pub fn sanitize(state: &mut PluginState) -> Vec<String> {
    let mut notes = Vec::new();
    let layout = layout_of(state).unwrap_or(STATE_VERSION);
    match layout_of(state) {
        Ok(layout) if layout > STATE_VERSION => notes.push(format!(
            "state saved by a newer Stairstep ({}, layout {layout}; this build reads layout {STATE_VERSION}): \
             loading the values this build knows",
            if state.version.is_empty() { "unknown version" } else { &state.version }
        )),
        Ok(_) => {}
        Err(e) => notes.push(e),
    }
    // NOTE: No migrations yet: layout 2 only added parameters. A future layout that renames or
    //       rescales a parameter converts it here, keyed on `layout_of`.

    let defaults = StairstepParams::default();
    let ids = defaults.ids();
    let unknown: Vec<String> = state.params.keys().filter(|k| !ids.contains(k)).cloned().collect();
    for id in unknown {
        notes.push(format!("unknown parameter '{id}' ignored"));
        state.params.remove(&id);
    }
    for id in &ids {
        let param = defaults.field(id).expect("every parameter id is in the table");
        let (value, note) = repair(id, param, state.params.get(id));
        let new_since = crate::params::since(id).is_some_and(|added| layout < added);
        if !new_since || state.params.contains_key(id) {
            notes.extend(note);
        }
        state.params.insert(id.clone(), value);
    }
    state.fields.insert(VERSION_FIELD.to_string(), STATE_VERSION.to_string());
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The state Stairstep 0.1.0 (the first released layout) saved through CLAP, captured from
    /// its release bundle: a u64 length, then the JSON.
    const FIRST_LAYOUT: &[u8] = include_bytes!("../tests/data/state-0.1.0.bin");

    fn first_layout() -> PluginState {
        serde_json::from_slice(&FIRST_LAYOUT[8..]).expect("the 0.1.0 state parses")
    }

    fn state(params: &[(&str, StateValue)], fields: &[(&str, &str)]) -> PluginState {
        PluginState {
            version: "9.9.9".into(),
            params: params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        }
    }

    /// Sanitize `params`, check the one repaired value and that a note mentions `needle`.
    fn check_repair(id: &str, given: Option<StateValue>, expected: StateValue, needle: &str) {
        let mut s = first_layout();
        match given {
            Some(v) => s.params.insert(id.into(), v),
            None => s.params.remove(id),
        };
        let notes = sanitize(&mut s);
        assert_eq!(format!("{:?}", s.params[id]), format!("{expected:?}"), "{id}: {notes:?}");
        assert!(notes.iter().any(|n| n.contains(needle)), "{id}: no note with {needle:?} in {notes:?}");
        assert_eq!(s.params.len(), crate::params::IDS.len(), "every parameter defined");
    }

    #[test]
    fn the_first_layout_loads_clean() {
        let mut s = first_layout();
        assert_eq!(s.version, "0.1.0");
        assert_eq!(layout_of(&s), Ok(1));
        let before = s.params.clone();
        assert_eq!(sanitize(&mut s), Vec::<String>::new());
        // Nothing repaired: every value the session had is the same.
        for (id, v) in &before {
            assert_eq!(format!("{:?}", s.params[id]), format!("{v:?}"), "{id}");
        }
        assert_eq!(s.fields[VERSION_FIELD], STATE_VERSION.to_string());
        // Layout 2's parameters at their defaults: the old session sounds as it did.
        for id in crate::params::added_in(2) {
            assert!(s.params.contains_key(id), "{id}");
        }
    }

    /// A layout-2 session that lacks one of layout 2's parameters is repaired with a note.
    #[test]
    fn a_second_layout_session_missing_a_movement_parameter_is_noted() {
        let mut s = first_layout();
        s.fields.insert(VERSION_FIELD.into(), "2".into());
        let defaults = StairstepParams::default();
        for id in crate::params::added_in(2).into_iter().filter(|id| *id != "lfo-bits") {
            s.params.insert(id.to_string(), repair(id, defaults.field(id).unwrap(), None).0);
        }
        let notes = sanitize(&mut s);
        assert_eq!(notes, ["lfo-bits: missing, using the default 0"]);
    }

    #[test]
    fn out_of_range_numbers_are_clamped() {
        check_repair("bits", Some(StateValue::F32(99.0)), StateValue::F32(24.0), "out of range");
        check_repair("mix", Some(StateValue::F32(-5.0)), StateValue::F32(0.0), "out of range");
        check_repair("output", Some(StateValue::I32(-100)), StateValue::F32(-24.0), "out of range");
    }

    #[test]
    fn non_finite_and_wrong_typed_numbers_take_the_default() {
        check_repair("bits", Some(StateValue::F32(f32::NAN)), StateValue::F32(8.0), "not a number");
        check_repair("drive", Some(StateValue::F32(f32::INFINITY)), StateValue::F32(0.0), "not a number");
        check_repair("jitter", Some(StateValue::String("lots".into())), StateValue::F32(0.0), "not a number");
        check_repair("mix", Some(StateValue::Bool(true)), StateValue::F32(100.0), "not a number");
        check_repair("bits", Some(StateValue::I32(12)), StateValue::F32(12.0), "as a number");
    }

    #[test]
    fn switches_accept_zero_and_one_only() {
        check_repair("prefilter", Some(StateValue::I32(0)), StateValue::Bool(false), "as a switch");
        check_repair("antialias", Some(StateValue::F32(1.0)), StateValue::Bool(true), "as a switch");
        check_repair("bypass", Some(StateValue::I32(7)), StateValue::Bool(false), "not on or off");
        check_repair("postfilter", Some(StateValue::String("yes".into())), StateValue::Bool(false), "not on or off");
    }

    #[test]
    fn choices_by_id_or_index_else_default() {
        check_repair("dither", Some(StateValue::String("pink".into())), StateValue::String("off".into()), "pink");
        check_repair("curve", Some(StateValue::I32(2)), StateValue::String("a-law".into()), "choice 2");
        check_repair("shaping", Some(StateValue::I32(99)), StateValue::String("off".into()), "not one of");
        check_repair("listen", Some(StateValue::F32(1.0)), StateValue::String("output".into()), "not one of");
    }

    #[test]
    fn missing_values_take_defaults_and_unknown_ids_are_dropped() {
        check_repair("rate", None, StateValue::F32(96000f32.log2()), "missing");
        let mut s = state(&[("wobble", StateValue::F32(1.0))], &[]);
        let notes = sanitize(&mut s);
        assert!(!s.params.contains_key("wobble"));
        assert!(notes.iter().any(|n| n.contains("wobble")), "{notes:?}");
        assert_eq!(notes.iter().filter(|n| n.contains("missing")).count(), 15, "{notes:?}");
        // An empty state becomes the defaults.
        let p = StairstepParams::default();
        assert_eq!(format!("{:?}", s.params["bits"]), format!("{:?}", StateValue::F32(p.bits.default_plain_value())));
    }

    #[test]
    fn a_newer_layout_loads_what_it_knows_and_says_so() {
        let mut s = first_layout();
        s.fields.insert(VERSION_FIELD.into(), "7".into());
        s.params.insert("new-knob".into(), StateValue::F32(3.0));
        let notes = sanitize(&mut s);
        assert!(notes[0].contains("newer") && notes[0].contains("layout 7"), "{notes:?}");
        assert_eq!(format!("{:?}", s.params["bits"]), format!("{:?}", StateValue::F32(6.5)));
        let mut s = first_layout();
        s.fields.insert(VERSION_FIELD.into(), "two".into());
        assert!(sanitize(&mut s)[0].contains("unreadable"));
    }
}
