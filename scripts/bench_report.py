"""Writes docs/BENCHMARKS.md and docs/benchmarks.png from criterion's results
(target/criterion) and the host benchmark (target/bench_host.json).

Regenerate everything:
    cargo bench --bench dsp
    cargo xtask bundle stairstep --release
    .venv/bin/python scripts/bench_host.py > target/bench_host.json
    .venv/bin/python scripts/bench_report.py
"""

import json
import pathlib
import platform
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
GROUP = ROOT / "target" / "criterion" / "per sample per channel"
SAMPLES = 1024  # criterion throughput: 512 frames x 2 channels per iteration

ORDER = [
    "copy (floor)",
    "plain 8-bit",
    "TPDF",
    "high-pass TPDF",
    "µ-law",
    "shaping 3-tap",
    "shaping 5-tap",
    "shaping 9-tap",
    "rate 8 kHz + filters",
    "anti-alias",
]
TARGETS = {"plain 8-bit": 0.5, "TPDF": 1.0, "shaping 9-tap": 3.0, "anti-alias": 10.0}


def criterion_ns():
    out = {}
    for name in ORDER:
        est = GROUP / name / "new" / "estimates.json"
        if est.exists():
            data = json.loads(est.read_text())
            out[name] = data["median"]["point_estimate"] / SAMPLES
    return out


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    dsp = criterion_ns()
    host = json.loads((ROOT / "target" / "bench_host.json").read_text())
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    floor = dsp.get("copy (floor)", float("nan"))
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {cpu()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, "
        f"{rustc}, release profile (thin LTO, one codegen unit), baseline x86_64 build with AVX2 loops chosen at run time (bit-identical to the SSE2 ones, tested).",
        "",
        "Regenerate: `cargo bench --bench dsp`, `cargo xtask bundle stairstep --release`,",
        "`.venv/bin/python scripts/bench_host.py > target/bench_host.json`,",
        "`.venv/bin/python scripts/bench_report.py`.",
        "",
        "## DSP core (criterion)",
        "",
        "Stereo blocks of 512 samples, settled parameters; time per sample per channel, median.",
        "",
        "| mode | ns/sample | × copy floor | target |",
        "|---|---:|---:|---:|",
    ]
    for name in ORDER:
        if name in dsp:
            target = TARGETS.get(name)
            lines.append(
                f"| {name} | {dsp[name]:.2f} | {dsp[name] / floor:.1f} | {f'{target:.1f}' if target else ''} |"
            )
    lines += [
        "",
        "## In a host (pedalboard, stereo float32, 48 kHz)",
        "",
        "Stairstep's VST3 at 8 bits with TPDF against pedalboard's built-in `Bitcrush` (8 bits, no",
        "dither), timed pair by pair in the same run; Stairstep bypassed shows the cost of the",
        "plugin wrapper and host round trip with almost no DSP. ns per sample per channel, median",
        f"of {host['rounds']} rounds of {host['seconds']} s of audio.",
        "",
        "| block | Stairstep 8-bit TPDF | Stairstep bypassed | Bitcrush | ratio (target 1.3 at 512) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in host["rows"]:
        lines.append(
            f"| {r['block']} | {r['stairstep']:.2f} | {r['bypassed']:.2f} | {r['bitcrush']:.2f} | {r['ratio']:.2f} |"
        )
    lines += [
        "",
        "![cost per mode](benchmarks.png)",
        "",
        "## Where the time goes (analysis, not generated)",
        "",
        "- Settled plain crushing (any dither, either quantizer, Output or Error, Output gain)",
        "  takes a fused, monomorphised loop over the whole block (`fused` in",
        "  `src/dsp/engine.rs`), bit-identical to the general path (tested). Settled noise",
        "  shaping has its own fused loop (`shaped_chunk`). Everything else (ramps in progress,",
        "  drive, curves, sample-rate reduction, filters, anti-alias) takes the general chunked",
        "  path, whose per-chunk control arrays and per-sample clock cost about 3 ns before any",
        "  DSP.",
        "- Noise shaping is bound by its feedback: each sample's error feeds the next. The loop",
        "  keeps the errors in steps, enters the newest error last (one multiply, one",
        "  subtraction, rounding by adding and subtracting 1.5·2^23, one shuffle, one",
        "  subtraction: about 12 cycles), runs the clamp-free variant when it can show no clamp",
        "  acts, and carries both channels in one SSE register. The 3-tap filter measures slower",
        "  than the 5- and 9-tap ones in the same loop; not explained yet.",
        "- µ-law and A-law call `ln_1p`/`exp_m1` (libm) twice per sample.",
        "- Sample-rate reduction with both filters runs eight serial SVF sections per sample",
        "  on top of the general path.",
        "- Anti-alias runs block-wise: each FIR stage (59, 23, 18, 59 taps; the half-bands' zero",
        "  taps skipped) tap by tap over the block in 8-wide vectors, the ADAA staircase in f64",
        "  4-wide. Measured split (stages removed in a scratch build): FIR stages about 12.7 ns,",
        "  ADAA about 5.4 ns, general path and delays about 3.3 ns. Reaching 10 ns would need",
        "  fused multiply-adds (which would make AVX2 results differ from the SSE2 build's),",
        "  shorter half-band filters (a different anti-alias response) or both channels per",
        "  vector.",
        "- In the host, Stairstep bypassed costs as much as Stairstep crushing at 8 bits with",
        "  TPDF (the difference is inside the run-to-run noise), and about as much as an empty",
        "  nice-plug plugin in the field notes: the wrapper's and the host's per-sample and",
        "  per-block work. That alone is 1.6 to 1.75 x Bitcrush here (Bitcrush measures 0.85 to",
        "  0.95 ns on this machine, against the 1.4 to 1.8 ns in the field notes), so the",
        "  1.3 x target cannot be met from inside the plugin.",
        "",
    ]
    (ROOT / "docs" / "BENCHMARKS.md").write_text("\n".join(lines))

    names = [n for n in ORDER if n in dsp]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.barh(names[::-1], [dsp[n] for n in names][::-1], color="#ffaa3c")
    for n, t in TARGETS.items():
        if n in names:
            y = names[::-1].index(n)
            ax.plot([t, t], [y - 0.4, y + 0.4], color="#e65ac8", lw=2)
    ax.set_xscale("log")
    ax.set_xlabel("ns per sample per channel (log); pink: target")
    ax.set_title("Stairstep DSP cost per mode")
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / "benchmarks.png", dpi=110)


if __name__ == "__main__":
    main()
