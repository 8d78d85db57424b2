//! Hosts unload plugins: a scanner, a host that frees what a project no longer uses, a project
//! closed while its threads live on. Stairstep must survive being unloaded while threads that
//! called into it are still alive, and being loaded again afterwards.
//!
//! The hazard (rust-lang/rust#91979): the first call into Rust's std on a host thread (for
//! example `std::thread::current()`) registers a pthread-key destructor whose code lives in the
//! plugin's library. When the host `dlclose`s the library before that thread exits, glibc
//! calls into unmapped memory at thread exit: SIGSEGV in `__nptl_deallocate_tsd`, in the host.
//! CI hit it in `tests/clap_state.rs` (a test thread ending after its last instance and entry
//! were dropped). The bundle is linked with `-z nodelete` (see `build.rs`), so `dlclose` leaves
//! it mapped.
//!
//! This file is its own test binary, so no other test holds the bundles open while it checks.

use clack_host::prelude::*;

mod common;
use common::{bundle, open, process_stereo};

/// Whether a file is mapped into this process, by `/proc/self/maps`.
fn mapped(path: &std::path::Path) -> bool {
    let path = std::fs::canonicalize(path).expect("canonical path");
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    maps.lines().any(|line| line.ends_with(path.to_str().expect("UTF-8 path")))
}

/// One instance on a fresh thread, as a host's scanner or loader thread would: load, process a
/// block, destroy, drop the entry (the last one, so clack-host calls `deinit` and `dlclose`),
/// and then let the thread end. Returns the processed block.
fn on_a_thread_that_outlives_the_entry(path: &std::path::Path) -> Vec<f32> {
    let path = path.to_owned();
    std::thread::spawn(move || {
        let (entry, mut instance) = open(&path);
        let config = PluginAudioConfiguration { sample_rate: 48000.0, min_frames_count: 1, max_frames_count: 256 };
        let processor = instance.activate(|_, _| (), config).expect("activate");
        let mut processor = processor.start_processing().expect("start");
        let mut input: [Vec<f32>; 2] =
            std::array::from_fn(|c| (0..256).map(|i| ((i * (c + 3)) as f32 * 0.01).sin() * 0.7).collect());
        let mut output = [vec![0.0f32; 256], vec![0.0f32; 256]];
        let [l, r] = &mut input;
        let [ol, or] = &mut output;
        process_stereo(&mut processor, [l, r], [ol, or], &[], None);
        let stopped = processor.stop_processing();
        instance.deactivate(stopped);
        drop(instance);
        drop(entry);
        // The thread ends here, after the library's last entry is gone: its TLS destructors run
        // now. Without `-z nodelete` this is where the host crashed.
        output.concat()
    })
    .join()
    .expect("the thread that used the plugin ended cleanly")
}

/// Each bundle twice, alternating: every round's `dlclose` is also glibc's chance to unmap any
/// other library nothing holds any more (it sweeps the namespace), so the first bundle's
/// unloading is forced by the second one's. Both must stay mapped and sound the same again.
#[test]
fn the_bundles_survive_unloading_and_reloading() {
    let (Some(release), Some(debug)) = (bundle(false), bundle(true)) else { return };
    let mut first: Vec<(std::path::PathBuf, Vec<f32>)> = Vec::new();
    for path in [&release, &debug, &release, &debug] {
        let out = on_a_thread_that_outlives_the_entry(path);
        assert!(out.iter().any(|s| *s != 0.0), "{}: no sound", path.display());
        match first.iter().find(|(p, _)| p == path) {
            Some((_, earlier)) => assert!(
                earlier.iter().zip(&out).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{}: the reloaded plugin sounds different",
                path.display()
            ),
            None => first.push((path.clone(), out)),
        }
    }
    for path in [&release, &debug] {
        assert!(mapped(path), "{} was unmapped after dlclose: link it with -z nodelete", path.display());
    }
}
