//! Assertions shared by the fuzz targets.

use stairstep::dsp::Settings;

/// Every continuous setting is finite and already in range: sanitizing changes nothing but the
/// snap of near-whole bit depths. `context` names the input in the panic message.
pub fn assert_settings_valid(s: &Settings, context: &str) {
    for (name, v) in [
        ("bits", s.bits),
        ("mix", s.mix),
        ("output_db", s.output_db),
        ("rate", s.rate),
        ("jitter", s.jitter),
        ("drive_db", s.drive_db),
    ] {
        assert!(v.is_finite(), "{name} = {v} ({context})");
    }
    assert_eq!(Settings { bits: s.bits, ..s.sanitized() }, *s, "out of range ({context})");
}
