//! Assertions shared by the fuzz targets.

use stairstep::dsp::Settings;

/// Every continuous setting is finite and already in range: sanitizing changes nothing but the
/// snap of near-whole bit depths (a NaN anywhere fails too: it is never equal to itself).
/// `context` names the input in the panic message.
pub fn assert_settings_valid(s: &Settings, context: &str) {
    assert_eq!(Settings { bits: s.bits, ..s.sanitized() }, *s, "out of range or not a number ({context})");
}
