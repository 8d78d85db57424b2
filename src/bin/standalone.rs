//! Stairstep as a standalone app (nice-plug's standalone wrapper: JACK, ALSA/PulseAudio
//! through cpal, or `-b dummy`). Build with `cargo build --release --features standalone
//! --bin stairstep-standalone`; `--help` lists the audio options.

fn main() {
    if !nice_plug::nice_export_standalone::<stairstep::Stairstep>() {
        std::process::exit(1);
    }
}
