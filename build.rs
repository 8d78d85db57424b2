//! Link the plugin library with `-z nodelete` on ELF platforms, so a host's `dlclose` never
//! unmaps it.
//!
//! NOTE: Rust's std registers a pthread-key destructor, whose code is in this library, on every
//! host thread that calls into it (`std::thread::current()` does, for one). glibc runs it when
//! that thread exits. A host that unloads the plugin before then (scanners, hosts freeing
//! unused plugins, test harnesses) crashed in `__nptl_deallocate_tsd`: rust-lang/rust#91979.
//! Staying mapped costs the memory of one loaded copy; loading again reuses it (`init` after
//! `deinit` is supported by nice-plug). `tests/unload.rs` checks both.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        // Only the cdylib (the plugin bundles) gets it, not the tests' and tools' binaries.
        println!("cargo::rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
    println!("cargo::rerun-if-changed=build.rs");
}
