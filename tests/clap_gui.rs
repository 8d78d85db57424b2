//! Opens and closes Stairstep's editor through the CLAP GUI extension, embedded in a real X11
//! window, over and over while another thread processes audio, as a DAW does when a user
//! clicks the plugin's window open and shut during playback. Uses the debug bundle, where any
//! allocation in `process()` aborts (and the editor's analysis path runs inside `process()`
//! while a window is open).
//!
//! Needs an X server (`DISPLAY`; scripts/test.sh starts Xvfb). Without one, or without the
//! bundle, the test says so and passes unless `STAIRSTEP_REQUIRE_BUNDLES=1`.

use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, HostGui, HostGuiImpl, PluginGui, Window};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;

mod common;
use common::{bundle, param_id, process_stereo, required};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};

struct Shared;
impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

/// The host side of the GUI extension, which a DAW provides and nice-plug requires.
impl HostGuiImpl for Shared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

struct TestHost;
impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<HostGui>();
    }
}

#[test]
fn editor_opens_and_closes_repeatedly_while_audio_runs() {
    let Some(path) = bundle(true) else { return };
    let Ok((x11, screen_num)) = x11rb::connect(None) else {
        assert!(!required(), "no X server: set DISPLAY (scripts/test.sh starts Xvfb)");
        eprintln!("skipping: no X server");
        return;
    };

    // The host's window the editor gets embedded into.
    let screen = &x11.setup().roots[screen_num];
    let parent = x11.generate_id().unwrap();
    x11.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        parent,
        screen.root,
        0,
        0,
        1000,
        700,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new().background_pixel(screen.black_pixel),
    )
    .unwrap();
    x11.map_window(parent).unwrap();
    x11.flush().unwrap();

    let host_info = HostInfo::new("stairstep-tests", "Stairstep", "https://stairstep.audio", "0.1").unwrap();
    let entry = common::load(&path);
    let factory = entry.get_plugin_factory().unwrap();
    let id = factory.plugin_descriptors().next().unwrap().id().unwrap().to_owned();
    let mut instance = PluginInstance::<TestHost>::new(|_| Shared, |_| (), &entry, &id, &host_info).unwrap();
    let config = PluginAudioConfiguration { sample_rate: 48000.0, min_frames_count: 1, max_frames_count: 256 };
    let processor = instance.activate(|_, _| (), config).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let blocks = Arc::new(AtomicUsize::new(0));
    let processor = std::thread::scope(|scope| {
        let audio = {
            let (stop, blocks) = (stop.clone(), blocks.clone());
            scope.spawn(move || {
                let mut processor = processor.start_processing().unwrap();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let mut input: [Vec<f32>; 2] = [vec![0.0; 256], vec![0.0; 256]];
                    for (i, v) in input[0].iter_mut().enumerate() {
                        *v =
                            (0.8 * (2.0 * std::f64::consts::PI * 220.0 * (n + i as u64) as f64 / 48000.0).sin()) as f32;
                    }
                    input[1] = input[0].clone();
                    let mut output = [vec![0.0f32; 256], vec![0.0f32; 256]];
                    // Bit Depth moves every block, so the editor has something to follow.
                    let bits = ((n / 256) % 23) as f64 / 23.0;
                    let events = [ParamValueEvent::new(0, param_id("bits"), Pckn::match_all(), bits)];
                    let [l, r] = &mut input;
                    let [ol, or] = &mut output;
                    process_stereo(&mut processor, [l, r], [ol, or], &events, Some(n));
                    assert!(output.iter().flatten().all(|v| v.is_finite()));
                    n += 256;
                    blocks.fetch_add(1, Ordering::Relaxed);
                    // Roughly real time, so the editor sees a steady stream.
                    std::thread::sleep(Duration::from_micros(2000));
                }
                processor.stop_processing()
            })
        };

        let gui: PluginGui = instance.plugin_handle().get_extension().expect("Stairstep has a GUI");
        let x11_config = GuiConfiguration { api_type: GuiApiType::X11, is_floating: false };
        assert!(gui.is_api_supported(&instance.plugin_handle(), x11_config));
        for round in 0..8 {
            let handle = instance.plugin_handle();
            gui.create(&handle, x11_config).unwrap_or_else(|e| panic!("create, round {round}: {e:?}"));
            let size = gui.get_size(&handle).expect("the editor has a size");
            assert!(size.width >= 720 && size.height >= 500, "{size:?}");
            // SAFETY: `parent` lives until the end of this test, after `destroy`.
            unsafe { gui.set_parent(&handle, Window::from_x11_handle(parent as _)) }.unwrap();
            gui.show(&handle).unwrap();
            let before = blocks.load(Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(400));
            instance.call_on_main_thread_callback();
            let handle = instance.plugin_handle();
            assert!(blocks.load(Ordering::Relaxed) > before, "audio stalled while the editor was open");
            gui.hide(&handle).unwrap();
            gui.destroy(&handle);
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
        audio.join().expect("audio thread")
    });
    assert!(blocks.load(Ordering::Relaxed) > 100);
    instance.deactivate(processor);
}
