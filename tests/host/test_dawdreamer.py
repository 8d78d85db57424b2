"""An automation render in DawDreamer: Bit Depth from 16 to 4 bits over 4 s."""

import dawdreamer as daw
import numpy as np

from conftest import SR, bundle, sine, snr_db, theory_db

BLOCK = 512


def test_automated_bit_depth_follows_the_snr_law():
    seconds = 4.0
    n = int(seconds * SR)
    amp = 0.9
    x = sine(997, amp, n)

    engine = daw.RenderEngine(SR, BLOCK)
    src = engine.make_playback_processor("src", x)
    fx = engine.make_plugin_processor("stairstep", str(bundle()))
    names = [fx.get_parameter_name(i) for i in range(fx.get_plugin_parameter_size())]
    bits_index = names.index("Bit Depth")
    bits = np.linspace(16.0, 4.0, n)
    # DawDreamer takes normalized 0..1 automation values, one per sample.
    fx.set_automation(bits_index, ((bits - 1.0) / 23.0).astype(np.float32))
    engine.load_graph([(src, []), (fx, ["src"])])
    engine.render(seconds)
    y = engine.get_audio()
    assert y.shape == x.shape

    window = 4800  # 100 ms
    worst = 0.0
    for start in range(window, n - window, window):
        centre = start + window // 2
        expected = theory_db(bits[centre], amp)
        got = snr_db(x[0, start : start + window], y[0, start : start + window])
        worst = max(worst, abs(got - expected))
        assert abs(got - expected) < 1.5, f"t={centre / SR:.2f}s bits={bits[centre]:.2f}: {got:.2f} vs {expected:.2f} dB"
    print(f"worst deviation from 6.02·bits+1.76: {worst:.2f} dB")
    # Both channels were crushed the same way (no dither).
    assert np.array_equal(y[0], y[1])
