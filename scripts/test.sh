#!/usr/bin/env bash
# Runs every test Stairstep has, from a fresh clone: formatting, lints, unit and integration
# tests, the debug and release bundles, the CLAP host test (clack-host) and the VST3 host tests
# (pedalboard, DawDreamer) in a virtualenv this script creates.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "debug bundles (allocation checks active in process())"
cargo xtask bundle stairstep
rm -rf target/bundled-debug
mkdir -p target/bundled-debug
cp -r target/bundled/Stairstep.clap target/bundled/Stairstep.vst3 target/bundled-debug/

step "release bundles"
cargo xtask bundle stairstep --release

step "cargo xtask install into a scratch folder"
scratch=$(mktemp -d)
cargo xtask install --vst3-dir "$scratch/vst3" --clap-dir "$scratch/clap"
test -f "$scratch/vst3/Stairstep.vst3/Contents/x86_64-linux/Stairstep.so"
test -f "$scratch/clap/Stairstep.clap"
rm -rf "$scratch"

step "cargo test (unit tests, CLAP host tests on both bundles)"
STAIRSTEP_REQUIRE_BUNDLES=1 cargo test --workspace

step "Python virtualenv for the VST3 hosts"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/host/requirements.txt

step "VST3 host tests (pedalboard, DawDreamer)"
STAIRSTEP_REQUIRE_BUNDLES=1 .venv/bin/python -m pytest -v tests/host
