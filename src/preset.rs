//! Presets: plain JSON files of parameter ids and values.
//!
//! ```json
//! {
//!   "format": "stairstep-preset",
//!   "version": 1,
//!   "name": "Telephone",
//!   "description": "8-bit µ-law at 8 kHz, as G.711",
//!   "params": { "bits": 8, "dither": "off", "mix": 100 }
//! }
//! ```
//!
//! `params` may list any subset of the parameter ids; the others keep their defaults.
//! Continuous values are numbers in the parameter's unit, choices are ids or names, switches
//! are `true`/`false`. Unknown ids, wrong types and values out of range are errors that name
//! the parameter.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

use crate::params::{ParamValue, StairstepParams};

/// The `format` tag every preset carries.
pub const FORMAT: &str = "stairstep-preset";
/// The newest preset version this build writes and reads.
pub const VERSION: u32 = 1;

/// A preset as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preset {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout version, 1.
    pub version: u32,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// One line on what it does.
    #[serde(default)]
    pub description: String,
    /// Parameter id to value.
    pub params: Map<String, Value>,
}

fn to_param_value(v: &Value) -> Option<ParamValue> {
    match v {
        Value::Number(n) => n.as_f64().map(ParamValue::Number),
        Value::String(s) => Some(ParamValue::Text(s.clone())),
        Value::Bool(b) => Some(ParamValue::Bool(*b)),
        _ => None,
    }
}

impl Preset {
    /// Parse a preset from JSON text.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let preset: Preset = serde_json::from_str(text).map_err(|e| format!("not a Stairstep preset: {e}"))?;
        if preset.format != FORMAT {
            return Err(format!("not a Stairstep preset (format is '{}', expected '{FORMAT}')", preset.format));
        }
        if preset.version > VERSION {
            return Err(format!(
                "preset version {} is newer than this Stairstep understands ({VERSION})",
                preset.version
            ));
        }
        Ok(preset)
    }

    /// Read a preset file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Apply the preset's values to `params` (all or nothing: on an error nothing is changed).
    pub fn apply(&self, params: &StairstepParams) -> Result<(), String> {
        // Validate on a scratch copy first so a bad entry leaves `params` untouched.
        let scratch = StairstepParams::default();
        let mut values = Vec::new();
        for (id, v) in &self.params {
            let value = to_param_value(v).ok_or_else(|| format!("{id}: {v} is not a number, text or true/false"))?;
            scratch.set_by_id(id, &value)?;
            values.push((id.clone(), value));
        }
        for (id, value) in values {
            params.set_by_id(&id, &value)?;
        }
        Ok(())
    }

    /// A preset holding every current value of `params`.
    pub fn capture(params: &StairstepParams, name: &str, description: &str) -> Self {
        let mut map = Map::new();
        for id in params.ids() {
            let v = match params.get_by_id(&id) {
                Some(ParamValue::Number(n)) => {
                    // Round away f32 noise: 12.5 stays 12.5, not 12.500000476837158.
                    let n = (n * 1e6).round() / 1e6;
                    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
                }
                Some(ParamValue::Text(t)) => Value::String(t),
                Some(ParamValue::Bool(b)) => Value::Bool(b),
                None => continue,
            };
            map.insert(id, v);
        }
        Self {
            format: FORMAT.into(),
            version: VERSION,
            name: name.into(),
            description: description.into(),
            params: map,
        }
    }

    /// Pretty JSON with `\n` line endings on every platform.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("presets serialize");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_then_apply_round_trips() {
        let p = StairstepParams::default();
        p.set_by_id("bits", &ParamValue::Number(6.5)).unwrap();
        p.set_by_id("dither", &ParamValue::Text("tpdf".into())).unwrap();
        p.set_by_id("mix", &ParamValue::Number(40.0)).unwrap();
        let json = Preset::capture(&p, "Test", "A test").to_json();
        let q = StairstepParams::default();
        Preset::from_json(&json).unwrap().apply(&q).unwrap();
        assert_eq!(p.settings(), q.settings());
        assert!(json.contains("\"bits\": 6.5"), "{json}");
        assert!(json.contains("\"dither\": \"tpdf\""), "{json}");
    }

    #[test]
    fn bad_presets_are_refused_whole() {
        let p = StairstepParams::default();
        for (json, needle) in [
            ("", "not a Stairstep preset"),
            ("{\"format\": \"other\", \"version\": 1, \"params\": {}}", "format is 'other'"),
            ("{\"format\": \"stairstep-preset\", \"version\": 99, \"params\": {}}", "newer"),
            ("{\"format\": \"stairstep-preset\", \"version\": 1, \"params\": {\"bits\": 99}}", "out of range"),
            (
                "{\"format\": \"stairstep-preset\", \"version\": 1, \"params\": {\"bits\": 4, \"zap\": 1}}",
                "unknown parameter",
            ),
            ("{\"format\": \"stairstep-preset\", \"version\": 1, \"params\": {\"bits\": [1]}}", "bits"),
        ] {
            let err = Preset::from_json(json).and_then(|pr| pr.apply(&p)).unwrap_err();
            assert!(err.contains(needle), "{json}: {err}");
        }
        // The half-valid one (bits 4 then an unknown id) changed nothing.
        assert_eq!(p.settings(), crate::dsp::Settings::default());
    }
}
