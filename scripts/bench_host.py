"""Host benchmark: Stairstep's VST3 against pedalboard's built-in Bitcrush, in pedalboard.

Stereo float32 at 48 kHz, 10 s of audio, blocks of 32, 64, 512 and 4096. The three are timed in
the same run, one after another in each of ROUNDS rounds; each is reported as its median in
ns per sample per channel, and the ratio as the median of the rounds' own ratios (each from
two calls a few milliseconds apart, so slow drifts of the machine cancel). Stairstep bypassed
(the framework's wrapper, the host's buffer handling and a sanitizing pass, no crushing)
separates the framework's share from Stairstep's own; Stairstep at 8 bits without dither
separates the dither's share from the quantizer's.

Usage: .venv/bin/python scripts/bench_host.py [path/to/Stairstep.vst3] > target/bench_host.json
"""

import json
import os
import sys
import time

# NOTE: numpy's OpenBLAS otherwise starts a thread per core that can spin beside the timed
#       calls (seen in a perf profile of this script); nothing here uses BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pedalboard

SR = 48000
SECONDS = 10
ROUNDS = 25


def timed(fx, x, block):
    t = time.perf_counter()
    fx.process(x, sample_rate=SR, buffer_size=block, reset=False)
    return (time.perf_counter() - t) / x.size * 1e9


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "target/bundled/Stairstep.vst3"
    rng = np.random.default_rng(1)
    x = (0.5 * rng.standard_normal((2, SR * SECONDS))).astype(np.float32)
    stairstep = pedalboard.load_plugin(path)
    stairstep.parameters["bit_depth_bits"].raw_value = (8 - 1) / 23
    stairstep.dither = "TPDF"
    undithered = pedalboard.load_plugin(path)
    undithered.parameters["bit_depth_bits"].raw_value = (8 - 1) / 23
    undithered.dither = "Off"
    bypassed = pedalboard.load_plugin(path)
    bypassed.bypass = True
    builtin = pedalboard.Bitcrush(bit_depth=8)
    rows = []
    for block in (32, 64, 512, 4096):
        for fx in (stairstep, undithered, bypassed, builtin):  # warm up
            timed(fx, x[:, : SR], block)
        times = {"stairstep": [], "undithered": [], "bypassed": [], "bitcrush": []}
        for _ in range(ROUNDS):
            times["stairstep"].append(timed(stairstep, x, block))
            times["bitcrush"].append(timed(builtin, x, block))
            times["undithered"].append(timed(undithered, x, block))
            times["bypassed"].append(timed(bypassed, x, block))
        med = {k: float(np.median(v)) for k, v in times.items()}
        ratios = np.array(times["stairstep"]) / np.array(times["bitcrush"])
        plain = np.array(times["undithered"]) / np.array(times["bitcrush"])
        rows.append(
            {"block": block, **med, "ratio": float(np.median(ratios)), "undithered_ratio": float(np.median(plain))}
        )
        print(
            f"block {block:5}: Stairstep 8-bit TPDF {med['stairstep']:.2f} ns, no dither {med['undithered']:.2f} ns, "
            f"bypassed {med['bypassed']:.2f} ns, Bitcrush {med['bitcrush']:.2f} ns, ratio {rows[-1]['ratio']:.2f} "
            f"(no dither {rows[-1]['undithered_ratio']:.2f})",
            file=sys.stderr,
        )
    json.dump({"rows": rows, "seconds": SECONDS, "rounds": ROUNDS}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
