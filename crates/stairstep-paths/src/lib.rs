//! Where Stairstep's files go on each platform: the per-user preset folder (the plugin) and the
//! per-user plugin folders (`cargo xtask install`). Paths are built from environment lookups,
//! so the tests check every platform's on any machine.
//! (Not `dirs`: it has neither these folders nor the XDG rule on a relative `XDG_DATA_HOME`.)

use std::path::PathBuf;

/// The operating systems whose folders we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and other XDG desktops.
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

impl Platform {
    /// The platform this build runs on.
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(target_os = "windows") {
            Platform::Windows
        } else {
            Platform::Linux
        }
    }
}

/// The per-user preset folder on `platform`, as text in that platform's path syntax, from
/// environment lookups `env`:
///
/// - Linux: `$XDG_DATA_HOME/Stairstep/presets`, else `$HOME/.local/share/Stairstep/presets`
///   (XDG Base Directory Specification 0.8);
/// - macOS: `$HOME/Library/Application Support/Stairstep/Presets`;
/// - Windows: `%APPDATA%\Stairstep\Presets` (the roaming application-data folder).
pub fn user_preset_dir_for(platform: Platform, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let (base, parts): (String, &[&str]) = match platform {
        Platform::Linux => match non_empty("XDG_DATA_HOME") {
            // NOTE: The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
            Some(data) if data.starts_with('/') => (data, &["Stairstep", "presets"]),
            _ => (
                non_empty("HOME").ok_or("neither XDG_DATA_HOME nor HOME is set")?,
                &[".local", "share", "Stairstep", "presets"],
            ),
        },
        Platform::MacOs => {
            (non_empty("HOME").ok_or("HOME is not set")?, &["Library", "Application Support", "Stairstep", "Presets"])
        }
        Platform::Windows => (non_empty("APPDATA").ok_or("APPDATA is not set")?, &["Stairstep", "Presets"]),
    };
    let sep = if platform == Platform::Windows { '\\' } else { '/' };
    let mut path = base.trim_end_matches(sep).to_string();
    for part in parts {
        path.push(sep);
        path.push_str(part);
    }
    Ok(path)
}

/// The per-user preset folder on this machine.
pub fn user_preset_dir() -> Result<PathBuf, String> {
    user_preset_dir_for(Platform::current(), &|k| std::env::var(k).ok()).map(PathBuf::from)
}

/// Per-user plugin folders (VST3, CLAP), from the formats' documented locations:
/// Steinberg's "VST 3 locations" page and the CLAP `entry.h` search paths.
pub fn plugin_dirs(os: Platform, env: &dyn Fn(&str) -> Option<String>) -> Result<(PathBuf, PathBuf), String> {
    match os {
        Platform::Linux | Platform::MacOs => {
            let home = env("HOME").ok_or("HOME is not set: pass --vst3-dir and --clap-dir")?;
            let home = PathBuf::from(home);
            Ok(if os == Platform::Linux {
                (home.join(".vst3"), home.join(".clap"))
            } else {
                let base = home.join("Library").join("Audio").join("Plug-Ins");
                (base.join("VST3"), base.join("CLAP"))
            })
        }
        Platform::Windows => {
            let local = env("LOCALAPPDATA").ok_or("LOCALAPPDATA is not set: pass --vst3-dir and --clap-dir")?;
            let base = PathBuf::from(local).join("Programs").join("Common");
            Ok((base.join("VST3"), base.join("CLAP")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn user_preset_folders_per_platform() {
        type Env = &'static [(&'static str, &'static str)];
        let cases: [(Platform, Env, Result<&str, &str>); 7] = [
            (Platform::Linux, &[("HOME", "/home/ann")], Ok("/home/ann/.local/share/Stairstep/presets")),
            (Platform::Linux, &[("HOME", "/home/ann"), ("XDG_DATA_HOME", "/data/")], Ok("/data/Stairstep/presets")),
            (
                Platform::Linux,
                &[("HOME", "/home/ann"), ("XDG_DATA_HOME", "rel")],
                Ok("/home/ann/.local/share/Stairstep/presets"),
            ),
            (Platform::Linux, &[], Err("HOME")),
            (
                Platform::MacOs,
                &[("HOME", "/Users/ann")],
                Ok("/Users/ann/Library/Application Support/Stairstep/Presets"),
            ),
            (
                Platform::Windows,
                &[("APPDATA", "C:\\Users\\ann\\AppData\\Roaming")],
                Ok("C:\\Users\\ann\\AppData\\Roaming\\Stairstep\\Presets"),
            ),
            (Platform::Windows, &[("APPDATA", " ")], Err("APPDATA")),
        ];
        for (platform, env, want) in cases {
            let got = user_preset_dir_for(platform, &env_of(env));
            match want {
                Ok(path) => assert_eq!(got.as_deref(), Ok(path), "{platform:?} {env:?}"),
                Err(needle) => assert!(got.as_ref().is_err_and(|e| e.contains(needle)), "{platform:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn linux_uses_dot_folders_in_home() {
        let (v, c) = plugin_dirs(Platform::Linux, &env_of(&[("HOME", "/home/ann")])).unwrap();
        assert_eq!(v, PathBuf::from("/home/ann/.vst3"));
        assert_eq!(c, PathBuf::from("/home/ann/.clap"));
    }

    #[test]
    fn macos_uses_library_audio_plug_ins() {
        let (v, c) = plugin_dirs(Platform::MacOs, &env_of(&[("HOME", "/Users/ann")])).unwrap();
        assert_eq!(v, PathBuf::from("/Users/ann/Library/Audio/Plug-Ins/VST3"));
        assert_eq!(c, PathBuf::from("/Users/ann/Library/Audio/Plug-Ins/CLAP"));
    }

    #[test]
    fn windows_uses_per_user_common_programs() {
        let (v, c) =
            plugin_dirs(Platform::Windows, &env_of(&[("LOCALAPPDATA", "C:/Users/ann/AppData/Local")])).unwrap();
        assert_eq!(v, PathBuf::from("C:/Users/ann/AppData/Local").join("Programs").join("Common").join("VST3"));
        assert_eq!(c, PathBuf::from("C:/Users/ann/AppData/Local").join("Programs").join("Common").join("CLAP"));
    }

    #[test]
    fn missing_environment_is_a_clear_error() {
        assert!(plugin_dirs(Platform::Linux, &env_of(&[])).unwrap_err().contains("HOME"));
        assert!(plugin_dirs(Platform::Windows, &env_of(&[])).unwrap_err().contains("LOCALAPPDATA"));
    }
}
