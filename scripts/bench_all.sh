#!/usr/bin/env bash
# Regenerates docs/BENCHMARKS.md, docs/benchmarks.png and docs/benchmarks-presets.png from N
# complete runs of the benchmarks (default 3): criterion's, the host's (bench_host.py) and
# the factory presets' in the host (bench_presets.py), and loading in pedalboard and
# DawDreamer (bench_load.py). The machines here drift by 10 to 40 %
# within minutes, so the report gives each figure as the median of the runs with their range.
#
# Usage: bash scripts/bench_all.sh [N]    (needs the venv: see scripts/requirements-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
out=target/bench_runs
rm -rf "$out"
mkdir -p "$out"
group="target/criterion/per sample per channel"
for k in $(seq 1 "$runs"); do
    cargo bench --bench dsp
    mkdir -p "$out/dsp-$k"
    for dir in "$group"/*/; do
        name=$(basename "$dir")
        if [ -f "$dir/new/estimates.json" ]; then
            cp "$dir/new/estimates.json" "$out/dsp-$k/$name.json"
        fi
    done
done
cargo xtask bundle stairstep --release
cargo build --release --bin stairstep-render
for k in $(seq 1 "$runs"); do
    .venv/bin/python scripts/bench_host.py > "$out/host-$k.json"
    .venv/bin/python scripts/bench_load.py > "$out/load-$k.json"
    .venv/bin/python scripts/bench_presets.py > "$out/presets-$k.json"
done
.venv/bin/python scripts/bench_report.py
