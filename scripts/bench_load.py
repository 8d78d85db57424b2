"""Host-surface benchmark: what a VST3 host pays to load Stairstep, and how many parameters it
lists, in pedalboard and DawDreamer; against pedalboard's built-in Bitcrush where one exists.

Each load is timed in a fresh Python process (so no library stays loaded from the run before),
from just before the host's load call to the end of the first processed block of 512 samples:
pedalboard's `load_plugin` + `process`, DawDreamer's `make_plugin_processor` + a one-block
`render`. Reported: the median and range of RUNS loads, and each host's parameter count.
Resident memory after the first block comes from the same processes (ru_maxrss).

With a second bundle (`--vs OTHER.vst3`, an older build), both are loaded alternately and
reported side by side.

Usage: .venv/bin/python scripts/bench_load.py [path/to/Stairstep.vst3] [--vs OTHER.vst3] > target/bench_load.json
"""

import argparse
import json
import statistics
import subprocess
import sys

RUNS = 7

PROBE = r"""
import json, resource, sys, time
import numpy as np
host, path = sys.argv[1], sys.argv[2]
x = np.zeros((2, 512), dtype=np.float32)
t = time.perf_counter()
if host == "pedalboard":
    import pedalboard
    fx = pedalboard.Bitcrush(bit_depth=8) if path == "builtin" else pedalboard.load_plugin(path)
    fx.process(x, sample_rate=48000, buffer_size=512)
    count = len(fx.parameters) if path != "builtin" else 1
else:
    import dawdreamer as daw
    engine = daw.RenderEngine(48000, 512)
    fx = engine.make_plugin_processor("fx", path)
    engine.load_graph([(fx, [])])
    engine.render(512 / 48000)
    count = fx.get_plugin_parameter_size()
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "parameters": count, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def probe(host, path):
    run = subprocess.run([sys.executable, "-c", PROBE, host, path], capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise SystemExit(f"{host} could not load {path}:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def summary(samples):
    seconds = [s["seconds"] for s in samples]
    return {
        "seconds": statistics.median(seconds),
        "range": [min(seconds), max(seconds)],
        "parameters": samples[0]["parameters"],
        "rss_mib": statistics.median(s["rss_mib"] for s in samples),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", default="target/bundled/Stairstep.vst3")
    parser.add_argument("--vs", help="a second VST3 bundle, loaded alternately")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    plugins = {"stairstep": args.bundle}
    if args.vs:
        plugins["other"] = args.vs
    result = {"runs": args.runs, "bundles": plugins, "hosts": {}}
    for host in ("pedalboard", "dawdreamer"):
        samples = {name: [] for name in plugins}
        if host == "pedalboard":
            samples["bitcrush"] = []
        for _ in range(args.runs):
            for name, path in plugins.items():
                samples[name].append(probe(host, path))
            if host == "pedalboard":
                samples["bitcrush"].append(probe(host, "builtin"))
        result["hosts"][host] = {name: summary(s) for name, s in samples.items()}
        for name, s in result["hosts"][host].items():
            print(
                f"{host:10} {name:9}: load to first block {s['seconds']:.3f} s "
                f"({s['range'][0]:.3f} to {s['range'][1]:.3f}), {s['parameters']} parameters, {s['rss_mib']:.0f} MiB",
                file=sys.stderr,
            )
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
