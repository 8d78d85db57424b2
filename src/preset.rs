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
use std::io::Write;
use std::path::{Path, PathBuf};

use nice_plug::prelude::Params;
/// The per-user preset folder per platform: shared with `cargo xtask` (crates/stairstep-paths).
pub use stairstep_paths::{Platform, user_preset_dir, user_preset_dir_for};

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

    /// The listed values as `set_by_id` takes them, in file order (for the plugin and the
    /// renderer alike); an entry that is not a number, text or switch is an error naming it.
    pub fn values(&self) -> impl Iterator<Item = Result<(String, ParamValue), String>> + '_ {
        self.params.iter().map(|(id, v)| match v {
            Value::Number(n) => Ok((id.clone(), ParamValue::Number(n.as_f64().unwrap_or(f64::NAN)))),
            Value::String(s) => Ok((id.clone(), ParamValue::Text(s.clone()))),
            Value::Bool(b) => Ok((id.clone(), ParamValue::Bool(*b))),
            _ => Err(format!("{id}: {v} is not a number, text or true/false")),
        })
    }

    /// Apply the preset's values to `params` (all or nothing: on an error nothing is changed).
    pub fn apply(&self, params: &StairstepParams) -> Result<(), String> {
        // Validate on a scratch copy first so a bad entry leaves `params` untouched.
        let scratch = StairstepParams::default();
        let mut values = Vec::new();
        for entry in self.values() {
            let (id, value) = entry?;
            scratch.set_by_id(&id, &value)?;
            values.push((id, value));
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

    /// The normalized value of every parameter after loading this preset onto the defaults, as
    /// the editor hands them to the host: a preset always defines the whole sound, so a
    /// parameter it does not list takes its default, exactly as in the renderer.
    pub fn normalized_values(&self) -> Result<Vec<(String, f32)>, String> {
        let scratch = StairstepParams::default();
        self.apply(&scratch)?;
        Ok(scratch
            .param_map()
            .into_iter()
            // SAFETY: the pointers point into `scratch`, alive for this whole expression.
            .map(|(id, ptr, _)| (id, unsafe { ptr.unmodulated_normalized_value() }))
            .collect())
    }
}

/// The factory presets in `presets/`, compiled in: (file name, JSON). The files are the same
/// ones `stairstep-render --preset` reads.
pub const FACTORY: &[(&str, &str)] = &[
    ("01-sp-1200-drums.json", include_str!("../presets/01-sp-1200-drums.json")),
    ("02-akai-mpc60.json", include_str!("../presets/02-akai-mpc60.json")),
    ("03-akai-s950-long-sample.json", include_str!("../presets/03-akai-s950-long-sample.json")),
    ("04-telephone-mu-law.json", include_str!("../presets/04-telephone-mu-law.json")),
    ("05-telephone-a-law.json", include_str!("../presets/05-telephone-a-law.json")),
    ("06-atari-2600-tia.json", include_str!("../presets/06-atari-2600-tia.json")),
    ("07-nes-dmc-7-bit.json", include_str!("../presets/07-nes-dmc-7-bit.json")),
    ("08-amiga-paula.json", include_str!("../presets/08-amiga-paula.json")),
    ("09-amiga-mod-c-2.json", include_str!("../presets/09-amiga-mod-c-2.json")),
    ("10-fairlight-cmi-series-i.json", include_str!("../presets/10-fairlight-cmi-series-i.json")),
    ("11-macintosh-22k.json", include_str!("../presets/11-macintosh-22k.json")),
    ("12-zx-spectrum-beeper.json", include_str!("../presets/12-zx-spectrum-beeper.json")),
    ("13-cd-master-16-bit.json", include_str!("../presets/13-cd-master-16-bit.json")),
    ("14-broken-jittery-dac.json", include_str!("../presets/14-broken-jittery-dac.json")),
    ("15-tempo-stepped-crush.json", include_str!("../presets/15-tempo-stepped-crush.json")),
    ("16-tuned-decimator.json", include_str!("../presets/16-tuned-decimator.json")),
];

/// The factory presets, parsed. A preset that fails to parse is left out (the tests make sure
/// none does).
pub fn factory() -> Vec<Preset> {
    FACTORY.iter().filter_map(|(_, json)| Preset::from_json(json).ok()).collect()
}

/// A file name for a preset called `name`: letters, digits, spaces, `-` and `_` kept, anything
/// else (path separators, `:` and the other characters Windows refuses) replaced by `_`.
pub fn file_name_for(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_') { c } else { '_' })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    // NOTE: Windows reserves these device names whatever the extension.
    let reserved = ["CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "LPT1", "LPT2", "LPT3"];
    let stem = if cleaned.is_empty() || reserved.contains(&cleaned.to_uppercase().as_str()) {
        format!("Preset {cleaned}").trim().to_string()
    } else {
        cleaned.chars().take(100).collect()
    };
    format!("{stem}.json")
}

/// The presets in `dir`, sorted by name; unreadable files are listed with their error so the
/// menu can say why they do not load.
pub fn list_presets(dir: &Path) -> Vec<(PathBuf, Result<Preset, String>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<(PathBuf, Result<Preset, String>)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")))
        .map(|p| {
            let preset = Preset::load(&p);
            (p, preset)
        })
        .collect();
    // Loadable presets by name, then the broken ones by file name.
    let key = |(p, r): &(PathBuf, Result<Preset, String>)| match r {
        Ok(preset) => (false, preset.name.to_lowercase()),
        Err(_) => (true, p.file_name().unwrap_or_default().to_string_lossy().to_lowercase()),
    };
    found.sort_by_key(key);
    found
}

/// A temporary file in `dir` named after `name`, for writing a file whole: `persist` renames
/// it into place; dropped before that, it is removed.
pub fn temp_file_in(dir: &Path, name: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // NOTE: tempfile makes 0600 files; a finished file gets what a plain create gives (0666
    //       less the umask).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir)
}

/// Write `preset` into `dir` (created if needed) under [`file_name_for`] its name, whole
/// ([`write_whole`]). Returns the path.
pub fn save_preset(dir: &Path, preset: &Preset) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(file_name_for(&preset.name));
    write_whole(&path, preset.to_json().as_bytes())?;
    Ok(path)
}

/// Write `bytes` to `path` through a temporary file beside it, renamed into place, so a crash
/// never leaves half a file and an old file stays whole until the new one is.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = temp_file_in(dir, &name).map_err(cannot)?;
    tmp.write_all(bytes).map_err(cannot)?;
    tmp.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
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

    #[test]
    fn every_file_in_presets_is_a_valid_factory_preset() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        on_disk.sort();
        let compiled: Vec<String> = FACTORY.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, compiled, "presets/ and FACTORY list the same files");
        assert!(FACTORY.len() >= 8);
        let ids = StairstepParams::default().ids();
        let mut names = Vec::new();
        for (file, json) in FACTORY {
            let preset = Preset::from_json(json).unwrap_or_else(|e| panic!("{file}: {e}"));
            preset.apply(&StairstepParams::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!preset.name.is_empty() && !preset.description.is_empty(), "{file}");
            assert!(preset.description.len() <= 100 && !preset.description.contains('\n'), "{file}: one line");
            // A factory preset lists what it sets and nothing else: every value differs from the
            // default (the rest load at their defaults; tests/presets.rs holds each preset's
            // sound to its fingerprint).
            let defaults = StairstepParams::default();
            for entry in preset.values() {
                let (id, value) = entry.unwrap_or_else(|e| panic!("{file}: {e}"));
                assert!(ids.contains(&id), "{file}: unknown parameter {id}");
                let alone = StairstepParams::default();
                alone.set_by_id(&id, &value).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_ne!(alone.get_by_id(&id), defaults.get_by_id(&id), "{file}: {id} is at its default");
            }
            let loaded = StairstepParams::default();
            preset.apply(&loaded).unwrap();
            assert_eq!(loaded.get_by_id("listen"), Some(ParamValue::Text("output".into())), "{file}");
            assert_eq!(loaded.get_by_id("bypass"), Some(ParamValue::Bool(false)), "{file}");
            names.push(preset.name);
        }
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "preset names are unique");
        assert_eq!(factory().len(), FACTORY.len());
    }

    #[test]
    fn normalized_values_define_every_parameter() {
        let partial = Preset::from_json(
            r#"{"format": "stairstep-preset", "version": 1, "params": {"bits": 4, "dither": "tpdf"}}"#,
        )
        .unwrap();
        let values = partial.normalized_values().unwrap();
        assert_eq!(values.len(), crate::params::IDS.len());
        let get = |id: &str| values.iter().find(|(i, _)| i == id).unwrap().1;
        assert!((get("bits") - 3.0 / 23.0).abs() < 1e-6);
        assert_eq!(get("dither"), 2.0 / 3.0);
        assert_eq!(get("mix"), 1.0, "unlisted: default");
    }

    #[test]
    fn file_names_are_safe_everywhere() {
        for (name, file) in [
            ("My Crush", "My Crush.json"),
            ("a/b\\c:d*e?\"f<g>h|i", "a_b_c_d_e__f_g_h_i.json"),
            ("../../etc/passwd", "______etc_passwd.json"),
            ("", "Preset.json"),
            ("con", "Preset con.json"),
            ("  Lo-fi_1  ", "Lo-fi_1.json"),
            ("Téléphone µ", "Téléphone µ.json"),
        ] {
            assert_eq!(file_name_for(name), file, "{name:?}");
        }
    }

    #[test]
    fn saved_user_presets_list_and_load_back() {
        let dir = std::env::temp_dir().join(format!("stairstep-presets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p = StairstepParams::default();
        p.set_by_id("bits", &ParamValue::Number(5.25)).unwrap();
        let path = save_preset(&dir.join("nested"), &Preset::capture(&p, "Zed", "mine")).unwrap();
        save_preset(&dir.join("nested"), &Preset::capture(&p, "alpha", "")).unwrap();
        std::fs::write(dir.join("nested/broken.json"), "{").unwrap();
        std::fs::write(dir.join("nested/notes.txt"), "ignored").unwrap();
        // A preset edited on Windows (CRLF) loads too.
        let crlf = Preset::capture(&p, "Crlf", "").to_json().replace('\n', "\r\n");
        std::fs::write(dir.join("nested/crlf.json"), crlf).unwrap();
        let listed = list_presets(&dir.join("nested"));
        let names: Vec<String> = listed
            .iter()
            .map(|(path, r)| r.as_ref().map(|p| p.name.clone()).unwrap_or_else(|_| path.display().to_string()))
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(&names[..3], ["alpha", "Crlf", "Zed"]);
        assert!(names[3].ends_with("broken.json"), "{names:?}");
        assert_eq!(path, dir.join("nested/Zed.json"));
        let q = StairstepParams::default();
        Preset::load(&path).unwrap().apply(&q).unwrap();
        assert_eq!(q.settings(), p.settings());
        assert!(!std::fs::read_to_string(&path).unwrap().contains('\r'), "LF on every platform");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
