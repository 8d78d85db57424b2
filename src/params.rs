//! Stairstep's parameters. The string ids (`#[id = ...]`) and enum variant ids are the
//! saved-state contract: never rename them.

use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};

use crate::dsp::{self, DitherMode, Listen, QuantizerMode};

/// Bit Depth range, in bits. Shared with the editor.
pub const BITS_MIN: f32 = dsp::quantizer::MIN_BITS;
/// Highest bit depth.
pub const BITS_MAX: f32 = dsp::quantizer::MAX_BITS;
/// Default bit depth.
pub const BITS_DEFAULT: f32 = 8.0;

/// Dither choices as the host shows them.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DitherParam {
    #[id = "off"]
    #[name = "Off"]
    Off,
    #[id = "rpdf"]
    #[name = "RPDF"]
    Rpdf,
    #[id = "tpdf"]
    #[name = "TPDF"]
    Tpdf,
    #[id = "hp-tpdf"]
    #[name = "High-pass TPDF"]
    HighPassTpdf,
}

/// Quantizer characteristics as the host shows them.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantizerParam {
    #[id = "mid-tread"]
    #[name = "Mid-tread"]
    MidTread,
    #[id = "mid-rise"]
    #[name = "Mid-rise"]
    MidRise,
}

/// What to hear.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenParam {
    #[id = "output"]
    #[name = "Output"]
    Output,
    #[id = "error"]
    #[name = "Error"]
    Error,
}

impl From<DitherParam> for DitherMode {
    fn from(v: DitherParam) -> Self {
        match v {
            DitherParam::Off => DitherMode::Off,
            DitherParam::Rpdf => DitherMode::Rpdf,
            DitherParam::Tpdf => DitherMode::Tpdf,
            DitherParam::HighPassTpdf => DitherMode::HighPassTpdf,
        }
    }
}

impl From<QuantizerParam> for QuantizerMode {
    fn from(v: QuantizerParam) -> Self {
        match v {
            QuantizerParam::MidTread => QuantizerMode::MidTread,
            QuantizerParam::MidRise => QuantizerMode::MidRise,
        }
    }
}

impl From<ListenParam> for Listen {
    fn from(v: ListenParam) -> Self {
        match v {
            ListenParam::Output => Listen::Output,
            ListenParam::Error => Listen::Error,
        }
    }
}

/// The editor window's size in logical pixels, saved with the plugin state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorSize {
    /// Width in logical pixels.
    pub width: u32,
    /// Height in logical pixels.
    pub height: u32,
}

/// All of Stairstep's parameters.
#[derive(Params)]
pub struct StairstepParams {
    /// The editor's size, persisted with the session (not a parameter).
    #[persist = "editor-size"]
    pub editor_size: Arc<RwLock<EditorSize>>,

    /// Bit depth, 1 to 24 bits, continuous.
    #[id = "bits"]
    pub bits: FloatParam,
    /// Dither before the quantizer.
    #[id = "dither"]
    pub dither: EnumParam<DitherParam>,
    /// Quantizer characteristic.
    #[id = "quantizer"]
    pub quantizer: EnumParam<QuantizerParam>,
    /// Wet share, 0 to 100 %.
    #[id = "mix"]
    pub mix: FloatParam,
    /// Output gain, -24 to +24 dB.
    #[id = "output"]
    pub output: FloatParam,
    /// Output or error signal.
    #[id = "listen"]
    pub listen: EnumParam<ListenParam>,
    /// The host's bypass switch.
    #[id = "bypass"]
    pub bypass: BoolParam,
}

/// Format a bit depth with two decimals ("7.25", "16.00"): hosts that infer a parameter's
/// steps from its text (pedalboard, some generic UIs) then offer 0.01-bit resolution.
fn format_bits(v: f32) -> String {
    format!("{v:.2}")
}

/// Parse "6", "6 bits", "12.5bit".
fn parse_bits(s: &str) -> Option<f32> {
    let t = s
        .trim()
        .trim_end_matches("bits")
        .trim_end_matches("bit")
        .trim();
    t.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// Parse a number followed by an optional unit suffix.
fn parse_with_unit(s: &str, unit: &str) -> Option<f32> {
    let t = s.trim();
    let t = t.strip_suffix(unit).unwrap_or(t).trim();
    t.parse::<f32>().ok().filter(|v| v.is_finite())
}

impl Default for StairstepParams {
    fn default() -> Self {
        Self {
            editor_size: Arc::new(RwLock::new(crate::editor::DEFAULT_SIZE)),
            // NOTE: No smoother here: the DSP core ramps every continuous value itself (see
            //       `dsp::smoother`) so the plugin and offline renders share one code path.
            bits: FloatParam::new(
                "Bit Depth",
                BITS_DEFAULT,
                FloatRange::Linear {
                    min: BITS_MIN,
                    max: BITS_MAX,
                },
            )
            .with_unit(" bits")
            .with_value_to_string(Arc::new(format_bits))
            .with_string_to_value(Arc::new(parse_bits)),
            dither: EnumParam::new("Dither", DitherParam::Off),
            quantizer: EnumParam::new("Quantizer", QuantizerParam::MidTread),
            mix: FloatParam::new(
                "Mix",
                100.0,
                FloatRange::Linear {
                    min: 0.0,
                    max: 100.0,
                },
            )
            .with_unit(" %")
            .with_value_to_string(formatters::v2s_f32_rounded(1))
            .with_string_to_value(Arc::new(|s| parse_with_unit(s, "%"))),
            output: FloatParam::new(
                "Output",
                0.0,
                FloatRange::Linear {
                    min: dsp::engine::MIN_OUTPUT_DB,
                    max: dsp::engine::MAX_OUTPUT_DB,
                },
            )
            .with_unit(" dB")
            .with_value_to_string(formatters::v2s_f32_rounded(1))
            .with_string_to_value(Arc::new(|s| parse_with_unit(s, "dB"))),
            listen: EnumParam::new("Listen", ListenParam::Output),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
        }
    }
}

impl StairstepParams {
    /// The current values as DSP settings.
    pub fn settings(&self) -> dsp::Settings {
        dsp::Settings {
            bits: self.bits.value(),
            dither: self.dither.value().into(),
            quantizer: self.quantizer.value().into(),
            mix: self.mix.value() / 100.0,
            output_db: self.output.value(),
            listen: self.listen.value().into(),
            bypass: self.bypass.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_the_contract() {
        let p = StairstepParams::default();
        let map = p.param_map();
        let got: Vec<(String, String)> = map
            .iter()
            .map(|(id, ptr, _)| (id.clone(), unsafe { ptr.name() }.to_string()))
            .collect();
        let expected = [
            ("bits", "Bit Depth"),
            ("dither", "Dither"),
            ("quantizer", "Quantizer"),
            ("mix", "Mix"),
            ("output", "Output"),
            ("listen", "Listen"),
            ("bypass", "Bypass"),
        ];
        assert_eq!(got.len(), expected.len());
        for ((id, name), (eid, ename)) in got.iter().zip(expected) {
            assert_eq!((id.as_str(), name.as_str()), (eid, ename));
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = StairstepParams::default().settings();
        assert_eq!(s, dsp::Settings::default());
    }

    #[test]
    fn typed_text_parses() {
        assert_eq!(parse_bits("6"), Some(6.0));
        assert_eq!(parse_bits("6 bits"), Some(6.0));
        assert_eq!(parse_bits(" 12.5bit "), Some(12.5));
        assert_eq!(parse_bits("nan"), None);
        assert_eq!(parse_with_unit("-3 dB", "dB"), Some(-3.0));
        assert_eq!(parse_with_unit("50%", "%"), Some(50.0));
        assert_eq!(format_bits(7.25), "7.25");
        assert_eq!(format_bits(16.0), "16.00");
    }
}
