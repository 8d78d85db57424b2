"""The VST3 bundle in pedalboard (JUCE's VST3 hosting), as a Python user would load it."""

import subprocess
import sys
import textwrap

import numpy as np
import pedalboard
import pytest

from conftest import SR, bundle, pedalboard_name, sine, snr_db, table, theory_db


@pytest.fixture
def plugin():
    return pedalboard.load_plugin(str(bundle()))


def test_parameters_are_the_tables(plugin):
    # Exactly Stairstep's own, in the table's order: no stand-in parameters for MIDI CCs
    # (nice-plug's MidiCCs adds 16 x 130 of them in VST3, which JUCE hosts list).
    params = plugin.parameters
    rows = table()
    assert list(params) == [pedalboard_name(p) for p in rows]
    for p in rows:
        host = params[pedalboard_name(p)]
        assert host.name == p["name"], p["id"]
        if p["kind"] == "choice":
            assert host.valid_values == [c["name"] for c in p["choices"]], p["id"]
            assert getattr(plugin, pedalboard_name(p)) == next(c["name"] for c in p["choices"] if c["id"] == p["default"])
        elif p["kind"] == "switch":
            assert getattr(plugin, pedalboard_name(p)) == p["default"], p["id"]
        else:
            assert (host.range[0], host.range[1]) == (p["min"], p["max"]), p["id"]
            assert getattr(plugin, pedalboard_name(p)) == pytest.approx(p["default"]), p["id"]
            if p["unit"]:
                assert host.label.strip() == p["unit"], p["id"]
    # A few the README and the tests below name, spelled out.
    assert params["bit_depth_bits"].label == " bits"
    assert params["dither"].valid_values == ["Off", "RPDF", "TPDF", "High-pass TPDF"]
    assert (params["sample_rate_hz"].range[0], params["sample_rate_hz"].range[1]) == (50.0, 96000.0)


def set_bits(plugin, bits):
    # NOTE: Setting `plugin.bit_depth_bits` makes pedalboard search for the value through the
    #       parameter's text and lands up to 0.02 bit off; the normalized value is exact.
    plugin.parameters["bit_depth_bits"].raw_value = (bits - 1) / 23
    assert plugin.bit_depth_bits == pytest.approx(bits, abs=0.005)


@pytest.mark.parametrize("bits", [8, 12, 16, 20])
def test_undithered_snr_follows_6_02n_plus_1_76(plugin, bits):
    set_bits(plugin, bits)
    amp = 0.9
    x = sine(997, amp, SR)
    y = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)
    for ch in range(2):
        assert snr_db(x[ch], y[ch]) == pytest.approx(theory_db(bits, amp), abs=0.3)
        # On the grid: every sample is an integer number of steps.
        k = y[ch].astype(np.float64) * 2 ** (bits - 1)
        assert np.all(k == np.round(k))


@pytest.mark.parametrize("bits", [8, 12, 16])
def test_tpdf_snr_follows_6_02n_minus_3_01(plugin, bits):
    set_bits(plugin, bits)
    plugin.dither = "TPDF"
    amp = 0.9
    x = sine(997, amp, 2 * SR)
    y = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)
    for ch in range(2):
        assert snr_db(x[ch], y[ch]) == pytest.approx(theory_db(bits, amp, 4.7712), abs=0.5)


def test_mono_layout(plugin):
    set_bits(plugin, 6)
    x = sine(997, 0.8, 4800, channels=1)
    y = plugin.process(x, sample_rate=44100, buffer_size=256, reset=True)
    assert y.shape == x.shape
    k = y[0].astype(np.float64) * 32
    assert np.all(k == np.round(k))
    assert snr_db(x[0], y[0]) == pytest.approx(theory_db(6, 0.8), abs=1.0)


def test_output_does_not_depend_on_buffer_size_and_reset_reproduces_it(plugin):
    set_bits(plugin, 5.5)
    plugin.dither = "High-pass TPDF"
    plugin.mix = 70.0
    x = sine(441, 0.7, 30000)
    ref = plugin.process(x, sample_rate=SR, buffer_size=4096, reset=True)
    for block in (32, 64, 512, 1000):
        y = plugin.process(x, sample_rate=SR, buffer_size=block, reset=True)
        assert np.array_equal(y, ref), f"buffer size {block}"


def test_bypass_is_bit_transparent(plugin):
    set_bits(plugin, 2)
    plugin.dither = "TPDF"
    plugin.bypass = True
    x = sine(997, 0.9, 9600)
    y = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)
    assert np.array_equal(x, y)


def test_error_listen_is_exactly_wet_minus_dry(plugin):
    set_bits(plugin, 4)
    x = sine(997, 0.9, 9600)
    wet = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)
    plugin.listen = "Error"
    err = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)
    assert np.array_equal(err, wet - x)


def test_silence_stays_silent_and_nan_never_gets_out(plugin):
    for q in ("Mid-tread", "Mid-rise"):
        plugin.quantizer = q
        set_bits(plugin, 3)
        y = plugin.process(np.zeros((2, 4800), np.float32), sample_rate=SR, buffer_size=512, reset=True)
        assert np.all(y == 0.0), q
    x = sine(997, 0.5, 4800)
    x[:, 100] = np.nan
    x[1, 200] = np.inf
    y = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)
    assert np.all(np.isfinite(y))
    # Recovered: the sample after the bad one is crushed as usual.
    assert abs(y[0, 101] - x[0, 101]) <= 2 ** -3


def test_sample_rate_reduction_and_post_filter_in_the_host(plugin):
    """Sample Rate 8 kHz: a 1 kHz tone grows images at 7 and 9 kHz; the post-filter removes them."""
    set_bits(plugin, 24)
    rate = plugin.parameters["sample_rate_hz"]
    # Set the normalized value whose plain value is 8 kHz, as a host automation lane would.
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        rate.raw_value = mid
        lo, hi = (mid, hi) if plugin.sample_rate_hz < 8000 else (lo, mid)
    assert plugin.sample_rate_hz == pytest.approx(8000, rel=1e-3)
    x = sine(1000, 0.5, SR)
    spectra = {}
    for post in (False, True):
        plugin.post_filter = post
        y = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)[0, 4800:]
        spec = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
        freqs = np.fft.rfftfreq(len(y), 1 / SR)
        level = lambda f: 10 * np.log10(spec[(freqs > f - 30) & (freqs < f + 30)].sum())  # noqa: E731
        spectra[post] = [level(f) - level(1000) for f in (7000, 9000)]
    assert all(v > -20 for v in spectra[False]), spectra
    assert all(v < -40 for v in spectra[True]), spectra


def test_anti_alias_reports_its_latency_and_stays_aligned(plugin):
    """With Anti-alias on, pedalboard (which compensates reported latency) returns the signal
    time-aligned: at 24 bits the output is the input within the filters' ripple."""
    set_bits(plugin, 24)
    plugin.anti_alias = True
    x = sine(1000, 0.5, SR)
    y = plugin.process(x, sample_rate=SR, buffer_size=512, reset=True)
    err = y[:, 2000:-2000].astype(np.float64) - x[:, 2000:-2000]
    assert 10 * np.log10(np.mean(err**2) / 0.125) < -60


def test_debug_bundle_processes_without_allocating():
    """The debug build aborts the process on any allocation in process(): run it apart."""
    path = bundle(debug=True)
    script = textwrap.dedent(f"""
        import numpy as np, pedalboard
        p = pedalboard.load_plugin({str(path)!r})
        x = (0.8 * np.sin(np.arange(48000) * 0.13)).astype(np.float32)[None].repeat(2, 0)
        for dither, shaping, curve in [("Off", "Off", "Linear"), ("RPDF", "F-weighted 9-tap", "µ-law"),
                                       ("TPDF", "Lipshitz 5-tap", "A-law"), ("High-pass TPDF", "F-weighted 3-tap", "Linear")]:
            p.noise_shaping = shaping
            p.curve = curve
            p.pre_filter = p.post_filter = dither != "Off"
            p.anti_alias = dither in ("Off", "TPDF")
            p.parameters["sample_rate_hz"].raw_value = 0.3 if dither != "Off" else 1.0
            p.parameters["jitter"].raw_value = 0.5
            for bits in [1.0, 4.5, 16.0, 24.0]:
                p.dither = dither
                p.bit_depth_bits = bits
                p.listen = "Error" if bits > 10 else "Output"
                for block in [1, 64, 4096]:
                    y = p.process(x[:, :8192], sample_rate=48000, buffer_size=block, reset=False)
                    assert np.all(np.isfinite(y))
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]
