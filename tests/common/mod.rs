//! Helpers shared by the CLAP host tests.

#![allow(dead_code)]

use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
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

/// Wrap JSON in nice-plug's CLAP state framing (a little-endian u64 length, then the bytes).
pub fn framed(json: &str) -> Vec<u8> {
    let mut v = (json.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(json.as_bytes());
    v
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

/// Load a `.clap` bundle.
pub fn load(path: &std::path::Path) -> PluginEntry {
    // SAFETY: Loading a library runs its initialisers; the bundle is this repository's own
    //         plugin, built by scripts/test.sh or cargo xtask, whose entry follows the CLAP ABI.
    unsafe { PluginEntry::load(path) }.expect("load .clap")
}

/// Load a bundle and create the plugin instance in it (the entry must outlive the instance).
pub fn open(path: &std::path::Path) -> (PluginEntry, PluginInstance<TestHost>) {
    let host_info = HostInfo::new("stairstep-tests", "Stairstep", "https://stairstep.audio", "0.1").unwrap();
    let entry = load(path);
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let id = factory.plugin_descriptors().next().expect("one plugin").id().expect("an id").to_owned();
    let instance = PluginInstance::<TestHost>::new(|_| Shared, |_| (), &entry, &id, &host_info).expect("instance");
    (entry, instance)
}

/// One stereo process call: `input` and `output` of equal length, `events` sorted by time.
pub fn process_stereo<H: HostHandlers>(
    processor: &mut StartedPluginAudioProcessor<H>,
    input: [&mut [f32]; 2],
    output: [&mut [f32]; 2],
    events: &[ParamValueEvent],
    steady_time: Option<u64>,
) {
    process_stereo_events(processor, input, output, &InputEvents::from_buffer(&events.to_vec()), steady_time);
}

/// [`process_stereo`] with any input events; returns how many events the plugin sent back.
pub fn process_stereo_events<H: HostHandlers>(
    processor: &mut StartedPluginAudioProcessor<H>,
    input: [&mut [f32]; 2],
    output: [&mut [f32]; 2],
    events: &InputEvents,
    steady_time: Option<u64>,
) -> usize {
    process_stereo_transport(processor, input, output, events, steady_time, None)
}

/// [`process_stereo_events`] with the host's transport for the block.
pub fn process_stereo_transport<H: HostHandlers>(
    processor: &mut StartedPluginAudioProcessor<H>,
    input: [&mut [f32]; 2],
    output: [&mut [f32]; 2],
    events: &InputEvents,
    steady_time: Option<u64>,
    transport: Option<&clack_host::events::event_types::TransportEvent>,
) -> usize {
    let mut in_ports = AudioPorts::with_capacity(2, 1);
    let mut out_ports = AudioPorts::with_capacity(2, 1);
    let mut out_events = EventBuffer::new();
    let audio_in = in_ports.with_input_buffers([AudioPortBuffer {
        latency: 0,
        channels: AudioPortBufferType::f32_input_only(
            input.into_iter().map(|buffer| InputChannel { buffer, is_constant: false }),
        ),
    }]);
    let mut audio_out = out_ports.with_output_buffers([AudioPortBuffer {
        latency: 0,
        channels: AudioPortBufferType::f32_output_only(output.into_iter()),
    }]);
    processor
        .process(
            &audio_in,
            &mut audio_out,
            events,
            &mut OutputEvents::from_buffer(&mut out_events),
            steady_time,
            transport,
        )
        .expect("process");
    out_events.len() as usize
}
