"""Host benchmark per factory preset: Stairstep's VST3 against pedalboard's own chain for the
same sound, in pedalboard (issue #24, "Speed where users crush").

For every preset in presets/, the VST3 is loaded once, every parameter of the preset is set
through its normalized value (computed from the plain value as nice-plug unnormalizes it, in
f32) and read back (a preset value that does not read back is an error: the script exits 1).
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
import math
import os
import pathlib
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
# The preset's settings each row repeats.
KEY_SETTINGS = [
    "bits", "rate", "dither", "curve", "quantizer", "prefilter", "postfilter", "antialias", "shaping", "jitter"
]

# The choices of src/params.rs (`choice_enum!`), in declared order: (id, the host's label).
DITHER = [("off", "Off"), ("rpdf", "RPDF"), ("tpdf", "TPDF"), ("hp-tpdf", "High-pass TPDF")]
QUANTIZER = [("mid-tread", "Mid-tread"), ("mid-rise", "Mid-rise")]
SHAPING = [
    ("off", "Off"),
    ("f-weighted-3", "F-weighted 3-tap"),
    ("lipshitz-5", "Lipshitz 5-tap"),
    ("f-weighted-9", "F-weighted 9-tap"),
]
CURVE = [("linear", "Linear"), ("mu-law", "µ-law"), ("a-law", "A-law")]
LISTEN = [("output", "Output"), ("error", "Error")]
LFO_SHAPE = [
    ("sine", "Sine"),
    ("triangle", "Triangle"),
    ("saw-up", "Saw Up"),
    ("saw-down", "Saw Down"),
    ("square", "Square"),
    ("sample-hold", "Sample & Hold"),
    ("smooth-random", "Smooth Random"),
]
DIVISION = [
    ("1/64", "1/64"), ("1/32", "1/32"), ("1/16", "1/16"), ("1/8", "1/8"), ("1/4", "1/4"), ("1/2", "1/2"),
    ("1-bar", "1 bar"), ("2-bars", "2 bars"), ("4-bars", "4 bars"), ("8-bars", "8 bars"),
]
TIMING = [("straight", "Straight"), ("dotted", "Dotted"), ("triplet", "Triplet")]
MIN_RATE, MAX_RATE = 50.0, 96000.0

# Preset id -> (pedalboard's name for the VST3 parameter, kind, spec), in the host's order.
# Kinds: "linear" (min, max, decimals shown), "skewed" (min, max, decimals shown, skew factor:
# nice-plug's `FloatRange::Skewed`, the plain value snapped to 0.01 by the step size), "step"
# (linear, whole steps), "hz" (the Sample Rate: log2 Hz linear inside), "choice" (the choices
# above), "switch". The host lists exactly these (check_names).
PARAMS = {
    "bits": ("bit_depth_bits", "linear", (1.0, 24.0, 2)),
    "quantizer": ("quantizer", "choice", QUANTIZER),
    "curve": ("curve", "choice", CURVE),
    "drive": ("drive_db", "linear", (0.0, 36.0, 1)),
    "antialias": ("anti_alias", "switch", None),
    "dither": ("dither", "choice", DITHER),
    "shaping": ("noise_shaping", "choice", SHAPING),
    "rate": ("sample_rate_hz", "hz", None),
    "jitter": ("jitter", "linear", (0.0, 100.0, 1)),
    "prefilter": ("pre_filter", "switch", None),
    "postfilter": ("post_filter", "switch", None),
    "mix": ("mix", "linear", (0.0, 100.0, 1)),
    "output": ("output_db", "linear", (-24.0, 24.0, 1)),
    "listen": ("listen", "choice", LISTEN),
    "bypass": ("bypass", "switch", None),
    "lfo-shape": ("lfo_shape", "choice", LFO_SHAPE),
    "lfo-sync": ("lfo_sync", "switch", None),
    "lfo-rate": ("lfo_rate_hz", "skewed", (0.01, 40.0, 2, 0.25)),
    "lfo-division": ("lfo_division", "choice", DIVISION),
    "lfo-timing": ("lfo_timing", "choice", TIMING),
    "lfo-bits": ("lfo_to_bits_bits", "linear", (-12.0, 12.0, 1)),
    "lfo-octaves": ("lfo_to_rate_oct", "linear", (-6.0, 6.0, 1)),
    "follow-bits": ("follow_to_bits_bits", "linear", (-12.0, 12.0, 1)),
    "follow-attack": ("follow_attack_ms", "skewed", (0.1, 500.0, 1, 0.25)),
    "follow-release": ("follow_release_ms", "skewed", (0.1, 5000.0, 1, 0.25)),
    "harmonic": ("harmonic_x", "step", (1.0, 64.0, 0)),
    "glide": ("glide_ms", "linear", (0.0, 500.0, 1)),
}


def f32(v):
    return np.float32(v)


def unnormalize(n, lo, hi):
    """nice-plug's `FloatRange::Linear` unnormalize, in f32 as the plugin computes it."""
    return f32(n) * (f32(hi) - f32(lo)) + f32(lo)


def normalized_for(plain, lo, hi):
    """The f32 normalized value whose f32 unnormalized value is nearest `plain` (the normalize
    formula, then its neighbours a few ulps either side)."""
    n0 = (f32(plain) - f32(lo)) / (f32(hi) - f32(lo))
    candidates = [n0]
    for direction in (f32(0.0), f32(1.0)):
        n = n0
        for _ in range(3):
            n = np.nextafter(n, direction)
            candidates.append(n)
    candidates = [min(max(n, f32(0.0)), f32(1.0)) for n in candidates]
    return float(min(candidates, key=lambda n: abs(float(unnormalize(n, lo, hi)) - plain)))


def tenth_hz(hz):
    """Hz rounded to 0.1 Hz as src/params.rs `rate_hz` rounds (Rust's `round`: halves away
    from zero), as the f32 the plugin keeps."""
    return float(f32(math.floor(hz * 10.0 + 0.5) / 10.0))


def rate_hz(log2_hz):
    """src/params.rs `rate_hz`: Hz from the parameter's log2 value, rounded to 0.1 Hz."""
    return min(max(tenth_hz(2.0 ** float(log2_hz)), MIN_RATE), MAX_RATE)


def choice_index(choices, value):
    """The index of a choice given by id or label (case-insensitive), as presets may give it."""
    for i, (cid, label) in enumerate(choices):
        if str(value).lower() in (cid, label.lower()):
            return i
    raise ValueError(f"'{value}' is none of {[c for c, _ in choices]}")


def raw_for(kind, spec, value):
    """The normalized value (0..1) for a preset's plain value."""
    if kind in ("linear", "step"):
        return normalized_for(float(value), spec[0], spec[1])
    if kind == "skewed":
        # The step size snaps the plain value to 0.01, so the normalize formula is close enough.
        return ((float(value) - spec[0]) / (spec[1] - spec[0])) ** spec[3]
    if kind == "hz":
        return normalized_for(float(np.log2(f32(value))), np.log2(f32(MIN_RATE)), np.log2(f32(MAX_RATE)))
    if kind == "choice":
        return choice_index(spec, value) / (len(spec) - 1)
    return 1.0 if value else 0.0


def readback(kind, spec, param):
    """(plain value in the preset's units, the text it must show) of a parameter as set."""
    raw = param.raw_value
    if kind == "linear":
        return float(unnormalize(raw, spec[0], spec[1])), param.string_value
    if kind == "step":
        return float(round(float(unnormalize(raw, spec[0], spec[1])))), param.string_value
    if kind == "skewed":
        plain = float(f32(raw) ** f32(1.0 / spec[3]) * (f32(spec[1]) - f32(spec[0])) + f32(spec[0]))
        return round(plain * 100.0) / 100.0, param.string_value
    if kind == "hz":
        return rate_hz(unnormalize(raw, np.log2(f32(MIN_RATE)), np.log2(f32(MAX_RATE)))), param.string_value
    if kind == "choice":
        return spec[round(raw * (len(spec) - 1))][0], param.string_value
    return raw > 0.5, param.string_value


def expected(kind, spec, value):
    """(plain value, text) a preset value must read back as."""
    if kind in ("linear", "step", "skewed"):
        return float(value), f"{float(value):.{spec[2]}f}"
    if kind == "hz":
        hz = tenth_hz(float(value))
        return hz, f"{hz:.0f}"
    if kind == "choice":
        cid, label = spec[choice_index(spec, value)]
        return cid, label
    return bool(value), "On" if value else "Off"


def matches(kind, spec, got, want):
    if kind in ("linear", "skewed"):
        # The f32 round trip (a few ulps of the range), not a different value.
        return abs(got - want) <= 1e-6 * (spec[1] - spec[0])
    return got == want


def check_names(fx):
    """Fail early if the VST3's parameters are not the ones PARAMS expects."""
    names = [name for name, _, _ in PARAMS.values()]
    got = list(fx.parameters)
    if got != names:
        sys.exit(f"the VST3's parameters are {got}, this script expects {names}")


def apply_preset(fx, preset):
    """Set every parameter the preset lists, then read each back; a list of mismatches."""
    params = preset["params"]
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        return [f"unknown parameter ids {unknown}"]
    problems = []
    for pid, value in params.items():
        name, kind, spec = PARAMS[pid]
        try:
            fx.parameters[name].raw_value = raw_for(kind, spec, value)
        except (TypeError, ValueError) as e:
            problems.append(f"{pid} ({name}): preset {value!r}: {e}")
    if problems:
        return problems
    for pid, value in params.items():
        name, kind, spec = PARAMS[pid]
        got, text = readback(kind, spec, fx.parameters[name])
        want, want_text = expected(kind, spec, value)
        if not matches(kind, spec, got, want) or text != want_text:
            problems.append(
                f"{pid} ({name}): preset {value!r}, reads back {got!r} shown as '{text}' "
                f"(expected {want!r} shown as '{want_text}')"
            )
    return problems


def chain_for(params):
    """pedalboard's own chain for the preset's sound: Bitcrush, then zero-order-hold Resample
    below 48 kHz; and its description."""
    bits, rate = float(params.get("bits", 8)), float(params.get("rate", MAX_RATE))
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


def row_for(file_name, preset, chain_text, ns, chain_ns, ratio):
    params = preset["params"]
    row = {key: params[key] for key in KEY_SETTINGS if key in params}
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
        stairstep = pedalboard.load_plugin(args.vst3)
        check_names(stairstep)
        mismatches = apply_preset(stairstep, preset)
        if mismatches:
            problems += [f"{file_name}: {m}" for m in mismatches]
            continue
        chain, chain_text = chain_for(preset["params"])
        ns, chain_ns, ratio = bench(stairstep, chain, x, args.rounds)
        rows.append(row_for(file_name, preset, chain_text, ns, chain_ns, ratio))
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
