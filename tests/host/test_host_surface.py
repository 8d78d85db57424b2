"""What a VST3 host sees: Stairstep's own parameters and nothing else, in pedalboard and
DawDreamer alike, and no allocation on the audio thread when a block is full of notes and
automation (the debug bundle, whose allocation check aborts the host on any allocation in
process(), with nice-plug's log in a file: it warns "buffer filled up" where its event queues
would grow)."""

import os
import subprocess
import sys
import textwrap

import dawdreamer as daw
import pedalboard

from conftest import SR, bundle, table


def test_pedalboard_and_dawdreamer_see_only_stairsteps_parameters():
    own = len(table())
    p = pedalboard.load_plugin(str(bundle()))
    assert len(p.parameters) == own, list(p.parameters)
    engine = daw.RenderEngine(SR, 512)
    fx = engine.make_plugin_processor("stairstep", str(bundle()))
    names = [fx.get_parameter_name(i) for i in range(fx.get_plugin_parameter_size())]
    assert len(names) == own, names
    assert [p.parameters[k].name for k in p.parameters] == names
    # A VST3 host reads the defaults back exactly: 8 bits, not 7.9999995.
    assert p.bit_depth_bits == 8.0
    assert abs(p.parameters["bit_depth_bits"].raw_value - (8 - 1) / 23) < 1e-7


FLOOD = textwrap.dedent(
    """
    import sys
    import dawdreamer as daw
    import numpy as np

    SR, BLOCK = 48000, 4096
    engine = daw.RenderEngine(SR, BLOCK)
    n = 4 * BLOCK
    rng = np.random.default_rng(5)
    x = (0.5 * rng.standard_normal((2, n))).astype(np.float32)
    src = engine.make_playback_processor("src", x)
    fx = engine.make_plugin_processor("stairstep", sys.argv[1])
    count = fx.get_plugin_parameter_size()
    names = [fx.get_parameter_name(i) for i in range(count)]
    # Every parameter automated at every sample (JUCE hands the plugin what it takes of it),
    # Bypass left off so the crusher runs.
    for i, name in enumerate(names):
        if name != "Bypass":
            fx.set_automation(i, rng.uniform(0, 1, n).astype(np.float32))
    # 128 notes on and off inside the second block, 16 samples apart.
    for k in range(128):
        fx.add_midi_note(k, 100, (BLOCK + 16 * k) / SR, 8 / SR)
    engine.load_graph([(src, []), (fx, ["src"])])
    engine.render(n / SR)
    y = engine.get_audio()
    assert y.shape == (2, n) and np.isfinite(y).all()
    print("rendered", y.shape)
    """
)


def test_a_block_full_of_notes_and_automation_does_not_allocate(tmp_path):
    log = tmp_path / "nice.log"
    env = dict(os.environ, NICE_LOG=str(log))
    run = subprocess.run(
        [sys.executable, "-c", FLOOD, str(bundle(debug=True))], env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, f"the host died (an allocation in process() aborts it):\n{run.stderr[-3000:]}"
    assert "rendered" in run.stdout
    text = log.read_text() if log.exists() else ""
    full = [line for line in text.splitlines() if "filled up" in line]
    assert not full, "\n".join(full[:5])
