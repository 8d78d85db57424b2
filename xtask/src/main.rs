//! `cargo xtask`: nice-plug's bundler, plus `install`.
//!
//! - `cargo xtask bundle stairstep --release` builds `target/bundled/Stairstep.{vst3,clap}`.
//! - `cargo xtask install [--vst3-dir DIR] [--clap-dir DIR]` copies those bundles into the
//!   user's plugin folders and prints what it copied where.
//! - `cargo xtask screenshot [OUT.png]` renders the real editor, with a 110 Hz sine crushed to
//!   4 bits flowing through the real DSP, under Xvfb (apt: xvfb, imagemagick, and Mesa's GL
//!   drivers, which Debian installs with them) and writes `docs/screenshot.png`.

use stairstep_paths::{Platform, plugin_dirs};
use std::path::{Path, PathBuf};

/// Copy a file or a folder tree to `to`, replacing what was there.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.is_dir() {
        std::fs::remove_dir_all(to)?;
    } else if to.exists() {
        std::fs::remove_file(to)?;
    }
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

fn install(args: &[String]) -> Result<(), String> {
    let mut vst3_dir = None;
    let mut clap_dir = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--vst3-dir" => vst3_dir = it.next().map(PathBuf::from),
            "--clap-dir" => clap_dir = it.next().map(PathBuf::from),
            other => {
                return Err(format!("install: unknown argument '{other}' (takes --vst3-dir DIR, --clap-dir DIR)"));
            }
        }
    }
    let (default_vst3, default_clap) = match (&vst3_dir, &clap_dir) {
        (Some(v), Some(c)) => (v.clone(), c.clone()),
        _ => plugin_dirs(Platform::current(), &|k| std::env::var(k).ok())?,
    };
    let vst3_dir = vst3_dir.unwrap_or(default_vst3);
    let clap_dir = clap_dir.unwrap_or(default_clap);

    nice_plug_xtask::chdir_workspace_root().map_err(|e| e.to_string())?;
    let bundled = Path::new("target").join("bundled");
    let pairs = [
        (bundled.join("Stairstep.vst3"), vst3_dir.join("Stairstep.vst3")),
        (bundled.join("Stairstep.clap"), clap_dir.join("Stairstep.clap")),
    ];
    for (from, _) in &pairs {
        if !from.exists() {
            return Err(format!(
                "{} not found: build it first with `cargo xtask bundle stairstep --release`",
                from.display()
            ));
        }
    }
    for (from, to) in &pairs {
        let parent = to.parent().expect("destination has a folder");
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        copy_tree(from, to).map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
        println!("installed {} -> {}", from.display(), to.display());
    }
    Ok(())
}

/// The window the preview opens, in pixels (the editor's default size).
const PREVIEW_SIZE: (u32, u32) = (960, 620);

/// Kills a child process when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(cmd: &mut std::process::Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{cmd:?} failed: {status}")) }
}

/// ImageMagick's `import`, preferring Debian's over stand-ins earlier on PATH.
fn import_command() -> &'static str {
    if Path::new("/usr/bin/import").exists() { "/usr/bin/import" } else { "import" }
}

fn screenshot(args: &[String]) -> Result<(), String> {
    use std::process::Command;
    use std::time::Duration;

    nice_plug_xtask::chdir_workspace_root().map_err(|e| e.to_string())?;
    let out = PathBuf::from(args.first().map_or("docs/screenshot.png", String::as_str));
    run(Command::new("cargo").args(["build", "--release", "--bin", "stairstep-preview"]))?;

    // Our own X server, so the capture does not depend on the desktop.
    let display = ":97";
    let _xvfb = Child(
        Command::new("Xvfb")
            .args([display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .spawn()
            .map_err(|e| format!("cannot start Xvfb ({e}): apt-get install xvfb imagemagick"))?,
    );
    std::thread::sleep(Duration::from_secs(2));
    let _preview = Child(
        Command::new("target/release/stairstep-preview")
            .args(["--bits", "4", "--freq", "110", "--close-after", "30"])
            .env("DISPLAY", display)
            .spawn()
            .map_err(|e| format!("cannot start the preview: {e}"))?,
    );
    // Let the audio thread fill the spectrum average (about 0.6 s) and the window settle.
    std::thread::sleep(Duration::from_secs(5));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let (w, h) = PREVIEW_SIZE;
    run(Command::new(import_command())
        .args(["-window", "root", "-crop", &format!("{w}x{h}+0+0"), "+repage"])
        .arg(&out)
        .env("DISPLAY", display))?;
    println!("wrote {}", out.display());
    Ok(())
}

fn main() -> nice_plug_xtask::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("install") => install(&args[1..]),
        Some("screenshot") => screenshot(&args[1..]),
        _ => return nice_plug_xtask::main(),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_tree_replaces_old_bundles() {
        let dir = std::env::temp_dir().join(format!("stairstep-xtask-{}", std::process::id()));
        let src = dir.join("src.vst3");
        std::fs::create_dir_all(src.join("Contents/x86_64-linux")).unwrap();
        std::fs::write(src.join("Contents/x86_64-linux/Stairstep.so"), b"new").unwrap();
        let dst = dir.join("dst.vst3");
        std::fs::create_dir_all(dst.join("stale")).unwrap();
        copy_tree(&src, &dst).unwrap();
        assert_eq!(std::fs::read(dst.join("Contents/x86_64-linux/Stairstep.so")).unwrap(), b"new");
        assert!(!dst.join("stale").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
