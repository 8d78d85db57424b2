//! Parameter values as tools outside a host speak them (presets, the command line, saved
//! state repair): typed text, set and read by id through the host's normalized path.

use nice_plug::prelude::*;

use super::{Field, IDS, RateMemo, StairstepParams, rate_hz};
use crate::dsp;

/// Parse "6", "6 bits", "12.5bit".
pub(super) fn parse_bits(s: &str) -> Option<f32> {
    let t = s.trim().to_lowercase();
    let t = t.trim_end_matches("bits").trim_end_matches("bit").trim();
    t.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// Parse "8000", "8000 Hz", "8 kHz", "44.1k".
pub(super) fn parse_hz(s: &str) -> Option<f32> {
    let t = s.trim().to_lowercase();
    let t = t.strip_suffix("hz").unwrap_or(&t).trim();
    let (t, scale) = match t.strip_suffix('k') {
        Some(t) => (t.trim(), 1000.0),
        None => (t, 1.0),
    };
    t.parse::<f32>().ok().map(|v| v * scale).filter(|v| v.is_finite())
}

/// Parse a number followed by an optional unit suffix.
pub(super) fn parse_with_unit(s: &str, unit: &str) -> Option<f32> {
    let t = s.trim().to_lowercase();
    let unit = unit.to_lowercase();
    let t = t.strip_suffix(unit.as_str()).unwrap_or(&t).trim();
    t.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// Parse a switch: "on"/"off", "true"/"false", "yes"/"no", "1"/"0"; anything else is refused
/// (nice-plug's default reads every unknown word as off).
pub(super) fn parse_switch(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// A parameter value as tools outside a host write it (presets, the command line).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A continuous value in the parameter's own unit (bits, %, dB).
    Number(f64),
    /// A choice, by its id ("tpdf") or its name ("TPDF"), or a number with its unit ("6 bits").
    Text(String),
    /// A switch.
    Bool(bool),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Number(v) => write!(f, "{v}"),
            ParamValue::Text(t) => write!(f, "'{t}'"),
            ParamValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Set a parameter through the same normalized path a host uses, so values and their f32
/// rounding are exactly what a host would produce.
fn set_normalized(ptr: ParamPtr, normalized: f32) {
    // SAFETY: `ptr` comes from a parameter field of a live `StairstepParams`.
    unsafe { ptr._internal_set_normalized_value(normalized) };
}

/// Parse a number with an optional unit suffix ("6", "6 bits", "-3dB", "50 %").
fn number_in(value: &ParamValue, unit: &str) -> Result<f32, String> {
    match value {
        ParamValue::Number(v) => Ok(*v as f32),
        // "bits" takes the singular too ("12.5bit"), as the Bit Depth parameter's own parser does.
        ParamValue::Text(t) => parse_with_unit(t, unit.trim())
            .or_else(|| parse_bits(t).filter(|_| unit.trim() == "bits"))
            .ok_or_else(|| format!("'{}' is not a number", t.trim())),
        ParamValue::Bool(_) => Err("expects a number, not true/false".into()),
    }
}

/// Set a continuous parameter to a plain value, refusing values outside its range.
fn set_float(param: &FloatParam, value: &ParamValue) -> Result<(), String> {
    let v = number_in(value, param.unit())?;
    let (min, max) = (param.preview_plain(0.0), param.preview_plain(1.0));
    if !v.is_finite() || v < min || v > max {
        return Err(format!("{v} is out of range ({min} to {max}{})", param.unit()));
    }
    set_normalized(param.as_ptr(), exact_normalized(param, v));
    Ok(())
}

/// The normalized value whose plain value is `v` exactly, where one exists within a few ulps of
/// `preview_normalized(v)` (a skewed range's `powf` round trip can land a hair off: 5 ms would
/// read back 4.9999995 ms); else the nearest.
fn exact_normalized(param: &FloatParam, v: f32) -> f32 {
    let n = param.preview_normalized(v);
    let mut best = (n, (param.preview_plain(n) - v).abs());
    for k in 1..=16u32 {
        for candidate in [f32::from_bits(n.to_bits().saturating_add(k)), f32::from_bits(n.to_bits().saturating_sub(k))]
        {
            if !(0.0..=1.0).contains(&candidate) {
                continue;
            }
            let error = (param.preview_plain(candidate) - v).abs();
            if error < best.1 {
                best = (candidate, error);
            }
        }
        if best.1 == 0.0 {
            break;
        }
    }
    best.0
}

/// Set the Sample Rate from Hz or kHz text ("8 kHz") or a number.
fn set_rate(param: &FloatParam, value: &ParamValue) -> Result<(), String> {
    let hz = match value {
        ParamValue::Text(t) => parse_hz(t).ok_or_else(|| format!("'{t}' is not a frequency"))? as f64,
        ParamValue::Number(v) => *v,
        ParamValue::Bool(_) => return Err("expects a frequency, not true/false".into()),
    };
    let (min, max) = (dsp::engine::MIN_RATE as f64, dsp::engine::MAX_RATE as f64);
    if !hz.is_finite() || hz < min || hz > max {
        return Err(format!("{hz} is out of range ({min} to {max} Hz)"));
    }
    set_normalized(param.as_ptr(), param.preview_normalized(libm::log2f(hz as f32)));
    Ok(())
}

/// Set a choice by id or name (case-insensitive).
pub(super) fn set_enum<T: Enum + PartialEq + 'static>(param: &EnumParam<T>, value: &ParamValue) -> Result<(), String> {
    let ParamValue::Text(text) = value else {
        return Err(format!("expects one of {}", choices::<T>()));
    };
    let t = text.trim().to_lowercase();
    let by_name = T::variants().iter().position(|n| n.to_lowercase() == t);
    let by_id = T::ids().and_then(|ids| ids.iter().position(|i| i.to_lowercase() == t));
    let index = by_id.or(by_name).ok_or_else(|| format!("'{text}' is not one of {}", choices::<T>()))?;
    set_normalized(param.as_ptr(), param.preview_normalized(T::from_index(index)));
    Ok(())
}

/// "tpdf (TPDF), rpdf (RPDF), ..." for messages.
pub(super) fn choices<T: Enum>() -> String {
    let ids = T::ids().unwrap_or(T::variants());
    ids.iter().zip(T::variants()).map(|(i, n)| format!("{i} ({n})")).collect::<Vec<_>>().join(", ")
}

/// Set a switch from true/false, on/off, 1/0.
fn set_bool(param: &BoolParam, value: &ParamValue) -> Result<(), String> {
    let on = match value {
        ParamValue::Bool(b) => *b,
        ParamValue::Number(v) if *v == 0.0 || *v == 1.0 => *v == 1.0,
        ParamValue::Text(t) => parse_switch(t).ok_or_else(|| format!("'{t}' is not on or off"))?,
        ParamValue::Number(v) => return Err(format!("{v} is not on (1) or off (0)")),
    };
    set_normalized(param.as_ptr(), if on { 1.0 } else { 0.0 });
    Ok(())
}

impl StairstepParams {
    /// The current values as DSP settings.
    pub fn settings(&self) -> dsp::Settings {
        self.settings_at_rate(rate_hz(self.rate.value()))
    }

    /// [`StairstepParams::settings`] for the audio thread, with the rate's conversion
    /// remembered between blocks.
    pub fn settings_memo(&self, memo: &mut RateMemo) -> dsp::Settings {
        self.settings_at_rate(memo.hz(self.rate.value()))
    }

    /// The parameter ids, in the order hosts list them.
    pub fn ids(&self) -> Vec<String> {
        IDS.iter().map(|id| id.to_string()).collect()
    }

    /// True for parameters that take any value in a range (and can be automated smoothly).
    pub fn is_continuous(&self, id: &str) -> bool {
        matches!(self.field(id), Some(Field::Number(_) | Field::Hz(_)))
    }

    /// Set parameter `id` as a host would. Errors name the problem (unknown id, wrong type,
    /// value out of range, unknown choice).
    pub fn set_by_id(&self, id: &str, value: &ParamValue) -> Result<(), String> {
        let field = self.field(id).ok_or_else(|| format!("unknown parameter '{id}' (known: {})", IDS.join(", ")))?;
        match field {
            Field::Number(p) => set_float(p, value),
            Field::Hz(p) => set_rate(p, value),
            Field::Choice(p) => p.set(value),
            Field::Switch(p) => set_bool(p, value),
        }
        .map_err(|e| format!("{id}: {e}"))
    }

    /// The current value of parameter `id`: plain numbers, choice ids, switches.
    pub fn get_by_id(&self, id: &str) -> Option<ParamValue> {
        Some(match self.field(id)? {
            Field::Number(p) => ParamValue::Number(p.value() as f64),
            Field::Hz(p) => ParamValue::Number(rate_hz(p.value()) as f64),
            Field::Choice(p) => ParamValue::Text(p.ids()[p.index()].to_string()),
            Field::Switch(p) => ParamValue::Bool(p.value()),
        })
    }
}
