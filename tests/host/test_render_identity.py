"""stairstep-render's float output equals the VST3's render in DawDreamer, sample for sample,
for the same input, settings, seed and (block-aligned) automation."""

import subprocess
import wave  # noqa: F401  (the standard library cannot write float WAVs; we write them by hand)

import dawdreamer as daw
import numpy as np

from conftest import SR, bundle, renderer

BLOCK = 480  # 10 ms at 48 kHz: automation steps at multiples of 0.01 s land on block starts


def write_f32_wav(path, x):
    """Stereo 32-bit float WAV (WAVE_FORMAT_IEEE_FLOAT)."""
    channels, n = x.shape
    data = np.ascontiguousarray(x.T, dtype="<f4").tobytes()
    fmt = (3).to_bytes(2, "little") + channels.to_bytes(2, "little") + SR.to_bytes(4, "little")
    fmt += (SR * 4 * channels).to_bytes(4, "little") + (4 * channels).to_bytes(2, "little") + (32).to_bytes(2, "little")
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + len(data).to_bytes(4, "little") + data
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)


def read_f32_wav(path):
    raw = path.read_bytes()
    pos = 12
    channels = None
    while pos < len(raw):
        tag, size = raw[pos : pos + 4], int.from_bytes(raw[pos + 4 : pos + 8], "little")
        chunk = raw[pos + 8 : pos + 8 + size]
        if tag == b"fmt ":
            assert int.from_bytes(chunk[0:2], "little") in (3, 0xFFFE)
            channels = int.from_bytes(chunk[2:4], "little")
        if tag == b"data":
            return np.frombuffer(chunk, dtype="<f4").reshape(-1, channels).T
        pos += 8 + size + (size & 1)
    raise AssertionError("no data chunk")


def test_cli_render_is_bit_identical_to_the_vst3_in_dawdreamer(tmp_path):
    exe = renderer()
    rng = np.random.default_rng(7)
    n = 2 * SR
    t = np.arange(n) / SR
    x = np.stack(
        [
            0.6 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 3517 * t) + 0.05 * rng.standard_normal(n),
            0.5 * np.sin(2 * np.pi * 331 * t + 1.0) + 0.05 * rng.standard_normal(n),
        ]
    ).astype(np.float32)

    # Bit Depth: 12, then 4.5, 8 and 6.25 bits, each for half a second (block-aligned steps).
    steps = [(0.0, 12.0), (0.5, 4.5), (1.0, 8.0), (1.5, 6.25)]
    bits = np.zeros(n, dtype=np.float64)

    # The VST3 in DawDreamer.
    engine = daw.RenderEngine(SR, BLOCK)
    src = engine.make_playback_processor("src", x)
    fx = engine.make_plugin_processor("stairstep", str(bundle()))
    names = [fx.get_parameter_name(i) for i in range(fx.get_plugin_parameter_size())]
    for k, (start, value) in enumerate(steps):
        end = steps[k + 1][0] if k + 1 < len(steps) else 2.0
        # Normalized as a host computes it, in f64: the plugin must land on the plain value
        # exactly (8 bits, not 7.9999995), as the renderer's --bits does.
        bits[int(start * SR) : int(end * SR)] = (value - 1.0) / 23.0
    fx.set_automation(names.index("Bit Depth"), bits)
    fx.set_parameter(names.index("Dither"), 2 / 3)  # TPDF: the third of four choices
    fx.set_parameter(names.index("Mix"), 0.9)  # 90 %
    engine.load_graph([(src, []), (fx, ["src"])])
    engine.render(2.0)
    vst3 = engine.get_audio()

    # The same through the command line.
    wav_in, wav_out, csv = tmp_path / "in.wav", tmp_path / "out.wav", tmp_path / "bits.csv"
    write_f32_wav(wav_in, x)
    rows = []
    for k, (start, value) in enumerate(steps):
        end = steps[k + 1][0] if k + 1 < len(steps) else 2.0
        rows += [f"{start},{value}", f"{end},{value}"]
    csv.write_text("time,bits\n" + "\n".join(rows) + "\n")
    subprocess.run(
        [str(exe), str(wav_in), str(wav_out), "--automate", f"bits={csv}", "--dither", "tpdf", "--mix", "90", "--format", "f32", "-q"],
        check=True,
    )
    cli = read_f32_wav(wav_out)

    assert cli.shape == vst3.shape
    diff = np.abs(cli.astype(np.float64) - vst3)
    first = np.argwhere(diff > 0)
    assert first.size == 0, f"first difference at channel/sample {first[0]}: {cli[tuple(first[0])]} vs {vst3[tuple(first[0])]}"
