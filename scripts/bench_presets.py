"""Host benchmark per factory preset: Stairstep's VST3 against pedalboard's own chain for the
same sound, in pedalboard (issue #24, "Speed where users crush").

For every preset in presets/, the VST3 is loaded once and every parameter is set through the
normalized value the parameter table gives for the preset (`stairstep-render --list-params
--json --preset FILE`, the plugin's own f32 normalization) and read back (a value that does
not read back exactly is an error: the script exits 1).
The chain is pedalboard's `Bitcrush` at the preset's bit depth followed by `Resample` to the
preset's rate with zero-order hold, left out at rates of 48 kHz and above; it has no filters,
curves, dither or shaping, so the ratio is what Stairstep's extra sound costs over the plain
crush. Stereo float32 noise at 48 kHz in blocks of 512 (reset=False, as a host streams), the
noise of scripts/bench_host.py (σ 0.5: about 4.5 % of its samples lie beyond full scale); the
two are timed one after the other in each of ROUNDS rounds after a warm-up. Each is reported
as its median in ns per sample per channel, and the ratio as the median of the rounds' own
ratios (two calls a few milliseconds apart, so slow drifts of the machine cancel), with the
issue's targets: ratio at most 2 and Stairstep at most 10 ns.

Usage: .venv/bin/python scripts/bench_presets.py [--rounds N] [--quick] [path/to/Stairstep.vst3] \
           > target/bench_presets.json
       --quick: 3 rounds of 2 s of audio (a smoke test)
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

# NOTE: numpy's OpenBLAS otherwise starts a thread per core that can spin beside the timed
#       calls (see scripts/bench_host.py); nothing here uses BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pedalboard  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
PRESETS = ROOT / "presets"
SR = 48000
BLOCK = 512
SECONDS = 10
ROUNDS = 15
QUICK_SECONDS = 2
QUICK_ROUNDS = 3
TARGET_RATIO = 2.0
TARGET_NS = 10.0
# The Sample Rate at which nothing is reduced (the table's maximum), Hz.
MAX_RATE = 96000.0
# The preset's settings each row repeats.
KEY_SETTINGS = [
    "bits", "rate", "dither", "curve", "quantizer", "prefilter", "postfilter", "antialias", "shaping", "jitter"
]

def table(render, preset_path):
    """The parameter table with the preset loaded onto the defaults, as the plugin loads it
    (`stairstep-render --list-params --json --preset FILE`): every parameter's value and the
    normalized value a host sends for it."""
    out = subprocess.run(
        [render, "--list-params", "--json", "--preset", str(preset_path)], capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(f"{preset_path}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def pedalboard_name(param):
    """pedalboard's attribute for a parameter: its name and unit in snake case."""
    return "_".join(re.findall(r"[a-z0-9]+", f"{param['name']} {param['unit']}".lower()))


def check_names(fx, rows):
    """Fail early if the VST3's parameters are not the table's."""
    names = [pedalboard_name(p) for p in rows]
    got = list(fx.parameters)
    if got != names:
        sys.exit(f"the VST3's parameters are {got}, the table's are {names}")


def apply_preset(fx, rows):
    """Set every parameter to the preset's normalized value, then read each back exactly (in
    f32, as the plugin keeps it); a list of mismatches."""
    problems = []
    for p in rows:
        fx.parameters[pedalboard_name(p)].raw_value = p["normalized"]
    for p in rows:
        got = np.float32(fx.parameters[pedalboard_name(p)].raw_value)
        if got != np.float32(p["normalized"]):
            problems.append(f"{p['id']}: set {p['normalized']} (value {p['value']!r}), reads back {float(got)}")
    return problems


def chain_for(values):
    """pedalboard's own chain for the preset's sound (`values`: id -> value): Bitcrush, then
    zero-order-hold Resample below 48 kHz; and its description."""
    bits, rate = float(values["bits"]), float(values["rate"])
    plugins = [pedalboard.Bitcrush(bit_depth=bits)]
    text = f"Bitcrush({bits:g})"
    if rate < SR:
        plugins.append(pedalboard.Resample(target_sample_rate=rate, quality=pedalboard.Resample.Quality.ZeroOrderHold))
        text += f" + Resample({rate:g} Hz, ZeroOrderHold)"
    return pedalboard.Pedalboard(plugins), text


def timed(fx, x):
    t = time.perf_counter()
    fx.process(x, sample_rate=SR, buffer_size=BLOCK, reset=False)
    return (time.perf_counter() - t) / x.size * 1e9


def bench(stairstep, chain, x, rounds):
    """Per round, Stairstep then the chain: (median ns of each, median of the rounds' ratios)."""
    for fx in (stairstep, chain):  # warm up
        timed(fx, x[:, :SR])
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(timed(stairstep, x))
        theirs.append(timed(chain, x))
    ratios = np.array(ours) / np.array(theirs)
    return float(np.median(ours)), float(np.median(theirs)), float(np.median(ratios))


def load_presets():
    files = sorted(PRESETS.glob("*.json"))
    if not files:
        sys.exit(f"no presets in {PRESETS}")
    return [(f.name, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def row_for(file_name, preset, values, chain_text, ns, chain_ns, ratio):
    row = {key: values[key] for key in KEY_SETTINGS}
    return {
        "preset": preset.get("name", file_name),
        "file": file_name,
        **row,
        "settings": settings_text(row),
        "chain_plugins": chain_text,
        "stairstep": ns,
        "chain": chain_ns,
        "ratio": ratio,
        "ratio_target": TARGET_RATIO,
        "ns_target": TARGET_NS,
        "ratio_met": ratio <= TARGET_RATIO,
        "ns_met": ns <= TARGET_NS,
    }


def settings_text(row):
    """A short description of a row's key settings for the table."""
    parts = [f"{row['bits']:g} bit", f"{row['rate']:g} Hz" if row["rate"] < MAX_RATE else "no rate"]
    parts += [row[k] for k in ("curve", "dither", "shaping") if row.get(k) not in (None, "off", "linear")]
    parts += [k for k in ("prefilter", "postfilter", "antialias") if row.get(k)]
    if row.get("jitter"):
        parts.append(f"jitter {row['jitter']:g} %")
    return ", ".join(parts)


def print_table(rows):
    print(
        f"{'preset':<24} {'settings':<46} {'Stairstep':>9} {'chain':>7} {'ratio':>6}  "
        f"targets (ratio <= {TARGET_RATIO:g}, Stairstep <= {TARGET_NS:g} ns)",
        file=sys.stderr,
    )
    for r in rows:
        met = f"ratio {'yes' if r['ratio_met'] else 'NO'}, ns {'yes' if r['ns_met'] else 'NO'}"
        ns = f"{r['stairstep']:9.2f} {r['chain']:7.2f} {r['ratio']:6.2f}"
        print(f"{r['preset']:<24} {r['settings']:<46} {ns}  {met}", file=sys.stderr)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("vst3", nargs="?", default=str(ROOT / "target" / "bundled" / "Stairstep.vst3"))
    ap.add_argument("--rounds", type=int, default=None, help=f"timed rounds per preset (default {ROUNDS})")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds of {QUICK_SECONDS} s of audio")
    ap.add_argument(
        "--render", default=str(ROOT / "target" / "release" / "stairstep-render"), help="stairstep-render, for the table"
    )
    args = ap.parse_args()
    args.seconds = QUICK_SECONDS if args.quick else SECONDS
    args.rounds = args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)
    return args


def main():
    args = parse_args()
    rng = np.random.default_rng(1)
    x = (0.5 * rng.standard_normal((2, SR * args.seconds))).astype(np.float32)
    rows, problems = [], []
    for file_name, preset in load_presets():
        params = table(args.render, PRESETS / file_name)
        values = {p["id"]: p["value"] for p in params}
        stairstep = pedalboard.load_plugin(args.vst3)
        check_names(stairstep, params)
        mismatches = apply_preset(stairstep, params)
        if mismatches:
            problems += [f"{file_name}: {m}" for m in mismatches]
            continue
        chain, chain_text = chain_for(values)
        ns, chain_ns, ratio = bench(stairstep, chain, x, args.rounds)
        rows.append(row_for(file_name, preset, values, chain_text, ns, chain_ns, ratio))
        print(f"{rows[-1]['preset']}: {ns:.2f} ns, chain {chain_ns:.2f} ns, ratio {ratio:.2f}", file=sys.stderr)
        del stairstep
    if problems:
        print("\n".join(["preset values that did not read back:", *problems]), file=sys.stderr)
        sys.exit(1)
    print_table(rows)
    json.dump(
        {
            "rows": rows,
            "rounds": args.rounds,
            "seconds": args.seconds,
            "block": BLOCK,
            "sample_rate": SR,
            "targets": {"ratio": TARGET_RATIO, "ns": TARGET_NS},
            "pedalboard": pedalboard.__version__,
        },
        sys.stdout,
        indent=1,
    )


if __name__ == "__main__":
    main()
