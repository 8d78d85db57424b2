//! Stairstep's parameters, each declared once, in the table at [`StairstepParams`]: its field,
//! string id, host group, kind, constructor (name, range, unit, default, value↔text), how its
//! value feeds [`dsp::Settings`] and its `--help` line. The struct, `Default`, the host's
//! `param_map`, [`IDS`], the by-id access and the settings all come from that table.
//!
//! The string ids, their order (the host's) and the enum variant ids are the saved-state
//! contract: never rename or reorder them.

use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::dsp::lfo::{Division, LfoShape, Timing};
use crate::dsp::{self, Curve, DitherMode, Listen, QuantizerMode, Shaping};

mod listing;
#[cfg(test)]
mod tests;
mod values;

pub use values::ParamValue;
use values::{choices, parse_bits, parse_hz, parse_switch, parse_with_unit, set_enum};

/// Bit Depth range, in bits. Shared with the editor.
pub const BITS_MIN: f32 = dsp::quantizer::MIN_BITS;
/// Highest bit depth.
pub const BITS_MAX: f32 = dsp::quantizer::MAX_BITS;
/// Default bit depth.
pub const BITS_DEFAULT: f32 = 8.0;

/// The host-visible parameter groups, in display order.
pub const GROUPS: [&str; 7] = ["Crush", "Noise", "Rate", "Output", "LFO", "Follower", "Notes"];
/// Persisted-field key of the editor size.
pub const EDITOR_SIZE_FIELD: &str = "editor-size";
/// The persisted-field key holding the saved-state layout number (see `state`).
pub const VERSION_FIELD: &str = "state-version";
/// The saved-state layout this build writes: the newest a parameter arrived in (the table's
/// `since` column).
pub const STATE_VERSION: u32 = {
    let mut newest = 1;
    let mut i = 0;
    while i < SINCE.len() {
        if SINCE[i] > newest {
            newest = SINCE[i];
        }
        i += 1;
    }
    newest
};

/// A page of the editor, and of the CLAP remote controls (they share the names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Page {
    /// The crushing: bit depth, noise, rate and output.
    #[default]
    Crush,
    /// The LFO, the follower and note tracking.
    Movement,
}
use Page::{Crush, Movement};

/// Where the editor shows a parameter (the table's `ui` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Bit Depth's own gauge, above the pages.
    Gauge,
    /// The window's header (Bypass).
    Header,
    /// A row of a page: the page, a position (rows, and controls within a row, go by it) and the
    /// row's label (parameters with the same label share the row).
    Row(Page, u16, &'static str),
}
use Place::{Gauge, Header, Row};

/// Declares an enum parameter's choices as the host shows them (the ids are saved-state
/// contract) and their conversion to the DSP's enum, whose variants have the same names.
/// (The DSP crate knows nothing of nice-plug, so its enums cannot derive [`Enum`].)
macro_rules! choice_enum {
    ($($(#[$doc:meta])* $name:ident => $dsp:ident { $($variant:ident = $id:tt, $label:tt;)* })*) => {$(
        $(#[$doc])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $(#[id = $id] #[name = $label] $variant,)*
        }

        impl From<$name> for $dsp {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => $dsp::$variant,)*
                }
            }
        }

        // The host's choices are the DSP's variants, every one, in the DSP's order (checked
        // when this compiles).
        const _: () = {
            let mine = [$($dsp::$variant as usize),*];
            assert!(mine.len() == $dsp::ALL.len(), "a DSP variant has no choice");
            let mut i = 0;
            while i < mine.len() {
                assert!(mine[i] == $dsp::ALL[i] as usize, "the choices are not in the DSP's order");
                i += 1;
            }
        };
    )*};
}

choice_enum! {
    /// Dither choices as the host shows them.
    DitherParam => DitherMode {
        Off = "off", "Off";
        Rpdf = "rpdf", "RPDF";
        Tpdf = "tpdf", "TPDF";
        HighPassTpdf = "hp-tpdf", "High-pass TPDF";
    }

    /// Quantizer characteristics as the host shows them.
    QuantizerParam => QuantizerMode {
        MidTread = "mid-tread", "Mid-tread";
        MidRise = "mid-rise", "Mid-rise";
    }

    /// Noise-shaping filters as the host shows them.
    ShapingParam => Shaping {
        Off = "off", "Off";
        FWeighted3 = "f-weighted-3", "F-weighted 3-tap";
        Lipshitz5 = "lipshitz-5", "Lipshitz 5-tap";
        FWeighted9 = "f-weighted-9", "F-weighted 9-tap";
    }

    /// Companding curves as the host shows them.
    CurveParam => Curve {
        Linear = "linear", "Linear";
        MuLaw = "mu-law", "µ-law";
        ALaw = "a-law", "A-law";
    }

    /// What to hear.
    ListenParam => Listen {
        Output = "output", "Output";
        Error = "error", "Error";
    }

    /// LFO waveforms as the host shows them.
    LfoShapeParam => LfoShape {
        Sine = "sine", "Sine";
        Triangle = "triangle", "Triangle";
        SawUp = "saw-up", "Saw Up";
        SawDown = "saw-down", "Saw Down";
        Square = "square", "Square";
        SampleHold = "sample-hold", "Sample & Hold";
        SmoothRandom = "smooth-random", "Smooth Random";
    }

    /// Synced LFO periods as the host shows them.
    DivisionParam => Division {
        N64 = "1/64", "1/64";
        N32 = "1/32", "1/32";
        N16 = "1/16", "1/16";
        N8 = "1/8", "1/8";
        N4 = "1/4", "1/4";
        N2 = "1/2", "1/2";
        Bar1 = "1-bar", "1 bar";
        Bar2 = "2-bars", "2 bars";
        Bar4 = "4-bars", "4 bars";
        Bar8 = "8-bars", "8 bars";
    }

    /// Straight, dotted or triplet, as the host shows them.
    TimingParam => Timing {
        Straight = "straight", "Straight";
        Dotted = "dotted", "Dotted";
        Triplet = "triplet", "Triplet";
    }
}

/// Declares the parameters (see the table below for the row syntax).
macro_rules! params_table {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $id:literal in $group:literal as $kind:ident, since $since:literal,
        ui: $ui:expr, remote: $remote:expr, $new:expr,
        dsp: $dsp:ident = $convert:expr, help: $help:expr, tip: $tip:literal;)*) => {
        /// All of Stairstep's parameters, and the editor size.
        pub struct StairstepParams {
            /// The editor's size, persisted with the session (not a parameter).
            pub editor_size: Arc<RwLock<EditorSize>>,
            $($(#[$doc])* pub $field: $ty,)*
        }

        impl Default for StairstepParams {
            fn default() -> Self {
                Self { editor_size: Arc::new(RwLock::new(DEFAULT_SIZE)), $($field: $new,)* }
            }
        }

        /// The parameter ids, in the order hosts list them.
        pub const IDS: &[&str] = &[$($id),*];

        /// Each parameter's host group, in [`IDS`] order.
        pub const GROUP_OF: &[&str] = &[$($group),*];

        /// The saved-state layout each parameter arrived in, in [`IDS`] order.
        pub const SINCE: &[u32] = &[$($since),*];

        /// Where the editor shows each parameter, in [`IDS`] order.
        pub const PLACES: &[Place] = &[$($ui),*];

        /// Each parameter's remote-controls page and slot (0 to 7), in [`IDS`] order.
        pub const REMOTE: &[Option<(Page, u8)>] = &[$($remote),*];

        impl StairstepParams {
            /// (id, parameter, group) of every parameter, in host order.
            fn entries(&self) -> Vec<(String, ParamPtr, String)> {
                vec![$(($id.to_string(), self.$field.as_ptr(), $group.to_string()),)*]
            }

            /// Parameter `id` by kind, for the code that treats every parameter alike.
            pub fn field(&self, id: &str) -> Option<Field<'_>> {
                Some(match id {
                    $($id => Field::$kind(&self.$field),)*
                    _ => return None,
                })
            }

            /// A one-line description of parameter `id`'s values, for `--help`.
            pub fn describe(&self, id: &str) -> String {
                match id {
                    $($id => String::from($help),)*
                    _ => String::new(),
                }
            }

            /// The editor's tooltip for parameter `id`: what it does to the sound.
            pub fn tooltip(&self, id: &str) -> &'static str {
                match id {
                    $($id => $tip,)*
                    _ => "",
                }
            }

            /// Hands parameter `id`, as its own type, to `visitor` (the editor's widgets and
            /// the remote-controls page are built this way).
            pub fn visit<V: Visit>(&self, id: &str, visitor: V) -> Option<V::Output> {
                Some(match id {
                    $($id => params_table!(@visit $kind, visitor, &self.$field),)*
                    _ => return None,
                })
            }

            /// The settings, with the Sample Rate already converted to Hz.
            fn settings_at_rate(&self, rate: f32) -> dsp::Settings {
                dsp::Settings { $($dsp: ($convert)(params_table!(@value $kind, self.$field, rate)),)* }
            }
        }
    };
    (@visit Choice, $v:ident, $param:expr) => { $v.choice($param) };
    (@visit Switch, $v:ident, $param:expr) => { $v.switch($param) };
    (@visit $kind:ident, $v:ident, $param:expr) => { $v.number($param) };
    (@value Hz, $param:expr, $rate:ident) => { $rate };
    (@value $kind:ident, $param:expr, $rate:ident) => { $param.value() };
}

// One row per parameter, in host order:
//
//     /// The field's doc.
//     field: Type = "id" in "Group" as Kind, since Layout,
//         ui: Place, remote: Slot, constructor (name, default, range, unit, text),
//         dsp: settings_field = conversion (a closure or function of the value), help: `--help` text,
//         tip: the editor's tooltip;
//
// Kind is `Number` (continuous, in its unit), `Hz` (the Sample Rate: log2 Hz inside, and Hz
// is what `dsp:` gets), `Choice` or `Switch`. Layout is the saved-state layout the parameter
// arrived in (sessions of an older layout load it at its default, silently). Place is where
// the editor shows it: `Row(page, position, "label")` (parameters with the same label share a
// row; rows and the controls in a row go by position), `Gauge` (Bit Depth's) or `Header`
// (Bypass). Slot is `Some((page, 0 to 7))` on a CLAP remote-controls page, or `None`.
//
// NOTE: No smoothers: the DSP core ramps every continuous value itself (see `dsp::smoother`),
//       so the plugin and offline renders share one code path.
params_table! {
    /// Bit depth, 1 to 24 bits, continuous.
    bits: FloatParam = "bits" in "Crush" as Number, since 1,
        ui: Gauge, remote: Some((Crush, 0)),
        FloatParam::new("Bit Depth", BITS_DEFAULT, FloatRange::Linear { min: BITS_MIN, max: BITS_MAX })
            .with_step_size(HOST_STEP)
            .with_unit(" bits")
            .with_value_to_string(Arc::new(format_bits))
            .with_string_to_value(Arc::new(parse_bits)),
        dsp: bits = |v| v, help: format!("bit depth, {BITS_MIN} to {BITS_MAX} bits (default {BITS_DEFAULT})"),
        tip: "Bits per sample: each bit halves the step and lowers the noise by 6 dB. Drag up or right to add bits (Shift: fine), mouse wheel, double-click for 8, or type a value below.";
    /// Quantizer characteristic.
    quantizer: EnumParam<QuantizerParam> = "quantizer" in "Crush" as Choice, since 1,
        ui: Row(Crush, 20, "Quantizer"), remote: None,
        EnumParam::new("Quantizer", QuantizerParam::MidTread),
        dsp: quantizer = QuantizerMode::from, help: format!("{} (default mid-tread)", choices::<QuantizerParam>()),
        tip: "Mid-tread has a zero level (quiet parts go silent); mid-rise has none (quiet parts buzz at ±½ step).";
    /// Companding curve.
    curve: EnumParam<CurveParam> = "curve" in "Crush" as Choice, since 1,
        ui: Row(Crush, 40, "Curve"), remote: None,
        EnumParam::new("Curve", CurveParam::Linear),
        dsp: curve = Curve::from, help: format!("{} (default linear)", choices::<CurveParam>()),
        tip: "Companding: µ-law and A-law (G.711) give quiet signals finer steps and loud ones coarser.";
    /// Gain into the quantizer, 0 to +36 dB.
    drive: FloatParam = "drive" in "Crush" as Number, since 1,
        ui: Row(Crush, 50, "Drive"), remote: Some((Crush, 4)),
        number("Drive", 0.0, 0.0, dsp::engine::MAX_DRIVE_DB, " dB"),
        dsp: drive_db = |v| v, help: "gain into the crusher, 0 to 36 dB (default 0)",
        tip: "Gain into the crusher; its full scale clips. Make up level with Output.";
    /// Anti-alias the quantizer (adds latency).
    antialias: BoolParam = "antialias" in "Crush" as Switch, since 1,
        ui: Row(Crush, 82, "Filters"), remote: None,
        switch("Anti-alias", false),
        dsp: antialias = |v| v, help: format!(
            "4x oversampled anti-aliased quantizer, on or off (default off; adds {} samples of latency)",
            dsp::oversample::LATENCY
        ),
        tip: "Quantize at 4× with antiderivative anti-aliasing: removes the inharmonic aliases of the staircase (undithered, unshaped), adds 34 samples of latency.";
    /// Dither before the quantizer.
    dither: EnumParam<DitherParam> = "dither" in "Noise" as Choice, since 1,
        ui: Row(Crush, 10, "Dither"), remote: Some((Crush, 2)),
        EnumParam::new("Dither", DitherParam::Off),
        dsp: dither = DitherMode::from, help: format!("{} (default off)", choices::<DitherParam>()),
        tip: "Noise added before rounding: RPDF removes distortion, TPDF also removes noise modulation, High-pass TPDF moves its hiss up in frequency.";
    /// Noise-shaping filter.
    shaping: EnumParam<ShapingParam> = "shaping" in "Noise" as Choice, since 1,
        ui: Row(Crush, 30, "Shaping"), remote: Some((Crush, 3)),
        EnumParam::new("Noise Shaping", ShapingParam::Off),
        dsp: shaping = Shaping::from, help: format!("{} (default off)", choices::<ShapingParam>()),
        tip: "Error feedback that moves the quantization noise towards high frequencies, where hearing is less sensitive (more total noise, less audible).";
    /// Sample-and-hold rate, 50 Hz to 96 kHz (log2 Hz inside: see [`rate_hz`]).
    rate: FloatParam = "rate" in "Rate" as Hz, since 1,
        ui: Row(Crush, 60, "Rate"), remote: Some((Crush, 1)),
        FloatParam::new(
            "Sample Rate",
            libm::log2f(dsp::engine::MAX_RATE),
            FloatRange::Linear { min: libm::log2f(dsp::engine::MIN_RATE), max: libm::log2f(dsp::engine::MAX_RATE) },
        )
        .with_unit(" Hz")
        .with_value_to_string(Arc::new(|v| format!("{:.0}", rate_hz(v))))
        .with_string_to_value(Arc::new(|s| parse_hz(s).filter(|hz| *hz > 0.0).map(libm::log2f))),
        dsp: rate = |hz| hz,
        help: "sample-and-hold rate, 50 to 96000 Hz, or '8 kHz' (default 96000: no reduction)",
        tip: "Sample-and-hold rate: below the host rate the signal is held in steps in time, and content above half this rate folds back (aliases).";
    /// Hold-length randomisation, 0 to 100 %.
    jitter: FloatParam = "jitter" in "Rate" as Number, since 1,
        ui: Row(Crush, 70, "Jitter"), remote: Some((Crush, 7)),
        number("Jitter", 0.0, 0.0, 100.0, " %"),
        dsp: jitter = |v| v / 100.0, help: "hold-length randomisation, 0 to 100 % (default 0)",
        tip: "Randomises each hold's length by up to this share of a period, like a converter with an unstable clock.";
    /// Low-pass before the hold.
    prefilter: BoolParam = "prefilter" in "Rate" as Switch, since 1,
        ui: Row(Crush, 80, "Filters"), remote: None,
        switch("Pre-filter", false),
        dsp: prefilter = |v| v, help: "low-pass before the hold, on or off (default off)",
        tip: "Low-pass before the hold at 0.4 × Rate: removes the aliasing (cleaner, darker).";
    /// Low-pass after the quantizer.
    postfilter: BoolParam = "postfilter" in "Rate" as Switch, since 1,
        ui: Row(Crush, 81, "Filters"), remote: None,
        switch("Post-filter", false),
        dsp: postfilter = |v| v, help: "low-pass after the quantizer, on or off (default off)",
        tip: "Low-pass after the quantizer at 0.4 × Rate: removes the hold's images (smoother, darker).";
    /// Wet share, 0 to 100 %.
    mix: FloatParam = "mix" in "Output" as Number, since 1,
        ui: Row(Crush, 90, "Mix"), remote: Some((Crush, 5)),
        number("Mix", 100.0, 0.0, 100.0, " %"),
        dsp: mix = |v| v / 100.0, help: "wet share, 0 to 100 % (default 100)",
        tip: "Share of the crushed signal in the output; 0 % is exactly the dry signal.";
    /// Output gain, -24 to +24 dB.
    output: FloatParam = "output" in "Output" as Number, since 1,
        ui: Row(Crush, 100, "Output"), remote: Some((Crush, 6)),
        number("Output", 0.0, dsp::engine::MIN_OUTPUT_DB, dsp::engine::MAX_OUTPUT_DB, " dB"),
        dsp: output_db = |v| v, help: "output gain, -24 to +24 dB (default 0)",
        tip: "Gain applied last, to make up level.";
    /// Output or error signal.
    listen: EnumParam<ListenParam> = "listen" in "Output" as Choice, since 1,
        ui: Row(Crush, 110, "Listen"), remote: None,
        EnumParam::new("Listen", ListenParam::Output),
        dsp: listen = Listen::from, help: format!("{} (default output)", choices::<ListenParam>()),
        tip: "Output plays the result; Error plays only what the crushing adds, so you can hear it.";
    /// The host's bypass switch.
    bypass: BoolParam = "bypass" in "Output" as Switch, since 1,
        ui: Header, remote: None,
        switch("Bypass", false).make_bypass(),
        dsp: bypass = |v| v, help: "on or off (default off)",
        tip: "Pass the input through untouched (with a 10 ms crossfade).";
    /// LFO waveform.
    lfo_shape: EnumParam<LfoShapeParam> = "lfo-shape" in "LFO" as Choice, since 2,
        ui: Row(Movement, 10, "LFO"), remote: Some((Movement, 5)),
        EnumParam::new("LFO Shape", LfoShapeParam::Sine),
        dsp: lfo_shape = LfoShape::from, help: format!("{} (default sine)", choices::<LfoShapeParam>()),
        tip: "The LFO's waveform. The random shapes draw one value per cycle from the song position, so every bounce sounds the same.";
    /// LFO follows the host's tempo.
    lfo_sync: BoolParam = "lfo-sync" in "LFO" as Switch, since 2,
        ui: Row(Movement, 11, "LFO"), remote: None,
        switch("LFO Sync", true),
        dsp: lfo_sync = |v| v, help: "LFO follows the host tempo (LFO Division), on or off (default on; off: LFO Rate in Hz)",
        tip: "On: the LFO runs in note values of the host's tempo, locked to the song position. Off: it runs at LFO Rate.";
    /// Free LFO rate, 0.01 to 40 Hz.
    lfo_rate: FloatParam = "lfo-rate" in "LFO" as Number, since 2,
        ui: Row(Movement, 20, "Speed"), remote: Some((Movement, 6)),
        FloatParam::new(
            "LFO Rate",
            1.0,
            FloatRange::Skewed { min: dsp::lfo::MIN_HZ, max: dsp::lfo::MAX_HZ, factor: FloatRange::skew_factor(-2.0) },
        )
        .with_step_size(0.01)
        .with_unit(" Hz")
        .with_value_to_string(formatters::v2s_f32_rounded(2))
        .with_string_to_value(Arc::new(|s| parse_with_unit(s, "hz"))),
        dsp: lfo_hz = |v| v, help: "free LFO rate, 0.01 to 40 Hz (default 1; with LFO Sync off)",
        tip: "LFO speed in Hz when LFO Sync is off.";
    /// Synced LFO period.
    lfo_division: EnumParam<DivisionParam> = "lfo-division" in "LFO" as Choice, since 2,
        ui: Row(Movement, 30, "Division"), remote: Some((Movement, 4)),
        EnumParam::new("LFO Division", DivisionParam::N4),
        dsp: lfo_division = Division::from, help: format!("{} (default 1/4)", choices::<DivisionParam>()),
        tip: "One LFO cycle per this note value (with LFO Sync on).";
    /// Straight, dotted or triplet.
    lfo_timing: EnumParam<TimingParam> = "lfo-timing" in "LFO" as Choice, since 2,
        ui: Row(Movement, 31, "Division"), remote: None,
        EnumParam::new("LFO Timing", TimingParam::Straight),
        dsp: lfo_timing = Timing::from, help: format!("{} (default straight)", choices::<TimingParam>()),
        tip: "Dotted: one and a half times the division; triplet: two thirds of it.";
    /// LFO depth on Bit Depth, ±12 bits.
    lfo_bits: FloatParam = "lfo-bits" in "LFO" as Number, since 2,
        ui: Row(Movement, 40, "To Bits"), remote: Some((Movement, 0)),
        number("LFO to Bits", 0.0, -dsp::engine::MAX_MOD_BITS, dsp::engine::MAX_MOD_BITS, " bits"),
        dsp: lfo_bits = |v| v, help: "LFO depth on Bit Depth, -12 to +12 bits (default 0: off)",
        tip: "How many bits the LFO adds to (and takes from) Bit Depth at its peaks.";
    /// LFO depth on Sample Rate, ±6 octaves.
    lfo_octaves: FloatParam = "lfo-octaves" in "LFO" as Number, since 2,
        ui: Row(Movement, 50, "To Rate"), remote: Some((Movement, 1)),
        number("LFO to Rate", 0.0, -dsp::engine::MAX_MOD_OCTAVES, dsp::engine::MAX_MOD_OCTAVES, " oct"),
        dsp: lfo_octaves = |v| v, help: "LFO depth on Sample Rate, -6 to +6 octaves (default 0: off)",
        tip: "How many octaves the LFO moves Sample Rate up and down at its peaks.";
    /// Follower depth on Bit Depth, ±12 bits.
    follow_bits: FloatParam = "follow-bits" in "Follower" as Number, since 2,
        ui: Row(Movement, 60, "Follow"), remote: Some((Movement, 2)),
        number("Follow to Bits", 0.0, -dsp::engine::MAX_MOD_BITS, dsp::engine::MAX_MOD_BITS, " bits"),
        dsp: follow_bits = |v| v, help: "envelope follower depth on Bit Depth at full scale, -12 to +12 bits (default 0: off)",
        tip: "Bits the input's level adds at 0 dBFS (nothing at -60 dBFS): negative crushes loud passages harder, positive crushes quiet ones harder.";
    /// Follower attack, 0.1 to 500 ms.
    follow_attack: FloatParam = "follow-attack" in "Follower" as Number, since 2,
        ui: Row(Movement, 70, "Attack"), remote: None,
        time_ms("Follow Attack", 5.0, dsp::follower::MAX_ATTACK_MS),
        dsp: follow_attack_ms = |v| v, help: "follower attack time constant, 0.1 to 500 ms (default 5)",
        tip: "How fast the follower rises with the level (time to 63 % of a step).";
    /// Follower release, 0.1 to 5000 ms.
    follow_release: FloatParam = "follow-release" in "Follower" as Number, since 2,
        ui: Row(Movement, 80, "Release"), remote: None,
        time_ms("Follow Release", 100.0, dsp::follower::MAX_RELEASE_MS),
        dsp: follow_release_ms = |v| v, help: "follower release time constant, 0.1 to 5000 ms (default 100)",
        tip: "How fast the follower falls with the level (time to 37 % of a step).";
    /// Note tracking: Sample Rate = note × Harmonic, 1 to 64.
    harmonic: FloatParam = "harmonic" in "Notes" as Number, since 2,
        ui: Row(Movement, 90, "Harmonic"), remote: Some((Movement, 3)),
        FloatParam::new("Harmonic", 1.0, FloatRange::Linear { min: 1.0, max: dsp::notes::MAX_HARMONIC })
            .with_step_size(1.0)
            .with_unit("x")
            .with_value_to_string(formatters::v2s_f32_rounded(0))
            .with_string_to_value(Arc::new(|s| parse_with_unit(s, "x"))),
        dsp: harmonic = |v| v, help: "while a MIDI note is held, Sample Rate = the note's frequency times this, 1 to 64 (default 1)",
        tip: "While a MIDI note is held, the Sample Rate is the note's frequency times this: the aliases land on the note's harmonics, so the crush is in tune.";
    /// Note tracking: glide time, 0 to 500 ms.
    glide: FloatParam = "glide" in "Notes" as Number, since 2,
        ui: Row(Movement, 100, "Glide"), remote: Some((Movement, 7)),
        number("Glide", 0.0, 0.0, dsp::notes::MAX_GLIDE_MS, " ms"),
        dsp: glide_ms = |v| v, help: "time the note-tracked Sample Rate takes from one note to the next, 0 to 500 ms (default 0)",
        tip: "Time the Sample Rate takes to slide from one note to the next.";
}

/// A parameter by kind (see the table), borrowed from a [`StairstepParams`].
pub enum Field<'a> {
    /// A continuous value in its own unit (bits, dB, %).
    Number(&'a FloatParam),
    /// The Sample Rate: log2(Hz) inside, Hz to everything outside the host (see [`rate_hz`]).
    Hz(&'a FloatParam),
    /// A choice.
    Choice(&'a dyn Choice),
    /// A switch.
    Switch(&'a BoolParam),
}

/// Code that needs a parameter as its own type (an egui widget, a remote-controls slot):
/// [`StairstepParams::visit`] calls the method of the parameter's kind.
pub trait Visit {
    /// What the visit gives back.
    type Output;
    /// A continuous parameter (the Sample Rate included).
    fn number(self, param: &FloatParam) -> Self::Output;
    /// A choice.
    fn choice<T: Enum + PartialEq + 'static>(self, param: &EnumParam<T>) -> Self::Output;
    /// A switch.
    fn switch(self, param: &BoolParam) -> Self::Output;
}

/// The rows of editor page `page`, top to bottom: each row's label and its parameters' ids, left
/// to right (from the table's `ui` column).
pub fn rows(page: Page) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut placed: Vec<(u16, &'static str, &'static str)> = IDS
        .iter()
        .zip(PLACES)
        .filter_map(|(id, place)| match *place {
            Row(p, position, label) if p == page => Some((position, label, *id)),
            _ => None,
        })
        .collect();
    placed.sort_by_key(|(position, _, _)| *position);
    let mut rows: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for (_, label, id) in placed {
        match rows.iter_mut().find(|(l, _)| *l == label) {
            Some((_, ids)) => ids.push(id),
            None => rows.push((label, vec![id])),
        }
    }
    rows
}

/// The ids on CLAP remote-controls page `page`, by slot (from the table's `remote` column):
/// eight slots, the usual controller layout (depths or the crushing on the top row).
pub fn remote_page(page: Page) -> Vec<&'static str> {
    let mut slots: Vec<(u8, &'static str)> = IDS
        .iter()
        .zip(REMOTE)
        .filter_map(|(id, slot)| slot.filter(|(p, _)| *p == page).map(|(_, k)| (k, *id)))
        .collect();
    slots.sort_unstable();
    slots.into_iter().map(|(_, id)| id).collect()
}

/// The parameters saved-state layout `layout` added.
pub fn added_in(layout: u32) -> Vec<&'static str> {
    IDS.iter().zip(SINCE).filter(|(_, since)| **since == layout).map(|(id, _)| *id).collect()
}

/// The saved-state layout parameter `id` arrived in (`None` for an unknown id).
pub fn since(id: &str) -> Option<u32> {
    IDS.iter().position(|i| *i == id).map(|k| SINCE[k])
}

/// An enum parameter whatever its enum: what the by-id code and the state repair need.
pub trait Choice {
    /// The choices' stable ids (the saved-state contract).
    fn ids(&self) -> &'static [&'static str];
    /// The current choice's index.
    fn index(&self) -> usize;
    /// The default choice's index.
    fn default_index(&self) -> usize;
    /// The choices' names, as hosts show them.
    fn names(&self) -> &'static [&'static str];
    /// Set a choice by id or name, as [`StairstepParams::set_by_id`] does.
    fn set(&self, value: &ParamValue) -> Result<(), String>;
}

impl<T: Enum + PartialEq + 'static> Choice for EnumParam<T> {
    fn ids(&self) -> &'static [&'static str] {
        T::ids().unwrap_or(T::variants())
    }
    fn index(&self) -> usize {
        self.value().to_index()
    }
    fn default_index(&self) -> usize {
        self.default_plain_value().to_index()
    }
    fn names(&self) -> &'static [&'static str] {
        T::variants()
    }
    fn set(&self, value: &ParamValue) -> Result<(), String> {
        set_enum(self, value)
    }
}

/// Sample Rate in Hz from the parameter's internal value.
///
/// NOTE: nice-plug has no logarithmic range, so the `rate` parameter's internal (plain) value
///       is log2(Hz) on a linear range: equal travel per octave, exactly logarithmic. Hosts
///       see Hz through the parameter's text; the renderer and presets speak Hz through
///       `set_by_id`/`get_by_id`. An f32 log2 carries up to 0.05 Hz of rounding at 96 kHz,
///       so the result is rounded to 0.1 Hz: "8000" is exactly 8000 Hz after the round trip.
pub fn rate_hz(log2_hz: f32) -> f32 {
    let hz = libm::exp2(log2_hz as f64);
    (((hz * 10.0).round() / 10.0) as f32).clamp(dsp::engine::MIN_RATE, dsp::engine::MAX_RATE)
}

/// [`rate_hz`] of the last Sample Rate value seen, kept by the audio thread: a block whose
/// value has not moved skips the `exp2` and the rounding, two library calls that cost about
/// 2 % of a block of 512 in pedalboard.
#[derive(Debug, Clone, Copy, Default)]
pub struct RateMemo {
    /// The last internal value (log2 Hz) as bits, and its rate in Hz; `None` before the first.
    last: Option<(u32, f32)>,
}

impl RateMemo {
    /// `rate_hz(log2_hz)`, computed only when `log2_hz` differs (bit for bit) from the last.
    pub fn hz(&mut self, log2_hz: f32) -> f32 {
        match self.last {
            Some((bits, hz)) if bits == log2_hz.to_bits() => hz,
            _ => {
                let hz = rate_hz(log2_hz);
                self.last = Some((log2_hz.to_bits(), hz));
                hz
            }
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

/// Default window size in logical pixels.
pub const DEFAULT_SIZE: EditorSize = EditorSize { width: 960, height: 620 };
/// Smallest window the layout supports.
pub const MIN_SIZE: EditorSize = EditorSize { width: 720, height: 500 };
/// Largest window we accept from a saved state.
pub const MAX_SIZE: EditorSize = EditorSize { width: 3840, height: 2160 };

impl EditorSize {
    /// Within [`MIN_SIZE`] and [`MAX_SIZE`] (a corrupt saved size falls back to a usable one).
    pub fn clamped(self) -> Self {
        Self {
            width: self.width.clamp(MIN_SIZE.width, MAX_SIZE.width),
            height: self.height.clamp(MIN_SIZE.height, MAX_SIZE.height),
        }
    }
}

/// The step of the linear continuous parameters, in their units, where a host's normalized
/// value lands: 1/1024.
///
/// NOTE: Hosts speak normalized values, and nice-plug keeps them in f32: 8 bits is
///       7/23 = 0.30434781 in f32, which unnormalizes to 7.9999995 bits. Snapping to a binary
///       step (exact arithmetic) far coarser than that rounding and far finer than the text
///       (two decimals at most) brings defaults, whole values and binary fractions back exactly
///       and moves any other value by at most half a step (0.0005 bits, dB or %). Saved
///       sessions load their plain values unsnapped (nice-plug snaps only normalized values).
pub const HOST_STEP: f32 = 1.0 / 1024.0;

/// Format a bit depth with two decimals ("7.25", "16.00"): hosts that infer a parameter's
/// steps from its text (pedalboard, some generic UIs) then offer 0.01-bit resolution.
fn format_bits(v: f32) -> String {
    format!("{v:.2}")
}

/// A switch parameter that parses typed text strictly.
fn switch(name: &str, default: bool) -> BoolParam {
    BoolParam::new(name, default).with_string_to_value(Arc::new(parse_switch))
}

/// A time in ms from [`dsp::follower::MIN_MS`] to `max`, skewed towards short times, shown with
/// one decimal and snapped to 0.01 ms (so 5 ms reads back as exactly 5 after the host's
/// normalized round trip).
fn time_ms(name: &str, default: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed { min: dsp::follower::MIN_MS, max, factor: FloatRange::skew_factor(-2.0) },
    )
    .with_step_size(0.01)
    .with_unit(" ms")
    .with_value_to_string(formatters::v2s_f32_rounded(1))
    .with_string_to_value(Arc::new(|s| parse_with_unit(s, "ms")))
}

/// A linear continuous parameter in `unit` (" dB", " %"), shown with one decimal, parsed with
/// or without its unit, and snapped to [`HOST_STEP`] when a host sets it.
fn number(name: &str, default: f32, min: f32, max: f32, unit: &'static str) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_step_size(HOST_STEP)
        .with_unit(unit)
        .with_value_to_string(formatters::v2s_f32_rounded(1))
        .with_string_to_value(Arc::new(move |s| parse_with_unit(s, unit.trim())))
}

// NOTE: `Params` is implemented by hand rather than derived: that puts each parameter in its
//       host-visible group without renaming a field (the derive groups only nested structs),
//       and lets a corrupt persisted field fall back with a log line instead of the derived
//       code's debug assertion.
// SAFETY: Every `ParamPtr` handed out points into a field of `self`, which lives as long as the
//         `Arc<StairstepParams>` the wrapper holds; the ids are unique (tested below).
unsafe impl Params for StairstepParams {
    fn param_map(&self) -> Vec<(String, ParamPtr, String)> {
        self.entries()
    }

    fn serialize_fields(&self) -> BTreeMap<String, String> {
        let size = *self.editor_size.read().unwrap_or_else(|e| e.into_inner());
        let mut fields = BTreeMap::new();
        fields.insert(EDITOR_SIZE_FIELD.to_string(), serde_json::to_string(&size).unwrap_or_default());
        fields.insert(VERSION_FIELD.to_string(), STATE_VERSION.to_string());
        fields
    }

    fn deserialize_fields(&self, serialized: &BTreeMap<String, String>) {
        // NOTE: A missing or corrupt size keeps the current one; the editor clamps what it gets.
        if let Some(text) = serialized.get(EDITOR_SIZE_FIELD) {
            match serde_json::from_str::<EditorSize>(text) {
                Ok(size) => *self.editor_size.write().unwrap_or_else(|e| e.into_inner()) = size.clamped(),
                Err(e) => nice_warn!("Ignoring the saved editor size {text:?}: {e}"),
            }
        }
    }
}
