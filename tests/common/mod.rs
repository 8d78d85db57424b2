//! Helpers shared by the CLAP host tests.

#![allow(dead_code)]

use clack_host::prelude::{ClapId, HostHandlers, SharedHandler};
use std::path::PathBuf;

/// True when missing bundles or displays are failures (scripts/test.sh and CI set it).
pub fn required() -> bool {
    std::env::var_os("STAIRSTEP_REQUIRE_BUNDLES").is_some()
}

/// The release `.clap` bundle, or the debug one (built with `assert_process_allocs`
/// active). `None`, with a note, when it is not built and not required.
pub fn bundle(debug: bool) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let path = if debug {
        std::env::var_os("STAIRSTEP_CLAP_DEBUG").map_or(root.join("bundled-debug/Stairstep.clap"), PathBuf::from)
    } else {
        std::env::var_os("STAIRSTEP_CLAP").map_or(root.join("bundled/Stairstep.clap"), PathBuf::from)
    };
    if path.exists() {
        return Some(path);
    }
    assert!(!required(), "{} is missing: build it with scripts/test.sh or cargo xtask bundle", path.display());
    eprintln!("skipping: {} not built (set STAIRSTEP_REQUIRE_BUNDLES=1 to fail instead)", path.display());
    None
}

/// nice-plug's CLAP parameter id: a Rabin hash of the string id with the top bit cleared.
pub fn param_id(id: &str) -> ClapId {
    let mut hash: u32 = 0;
    for b in id.bytes() {
        hash = hash.wrapping_mul(31).wrapping_add(b as u32);
    }
    ClapId::new(hash & !(1 << 31))
}

/// A host with no extensions and no callbacks to serve.
pub struct Shared;
impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

/// The plain test host.
pub struct TestHost;
impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}
