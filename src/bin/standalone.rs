//! Stairstep as a standalone app (nice-plug's standalone wrapper: JACK, ALSA/PulseAudio
//! through cpal, or `-b dummy`). Build with `cargo build --release --features standalone
//! --bin stairstep-standalone`; `--help` lists the audio options.

fn main() {
    // The standalone takes MIDI as it comes (pitch bend included), as the CLAP does.
    if !nice_plug::nice_export_standalone::<stairstep::Stairstep<stairstep::Clap>>() {
        std::process::exit(1);
    }
}
