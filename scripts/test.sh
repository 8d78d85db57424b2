#!/usr/bin/env bash
# Runs every test Stairstep has, from a fresh clone on a Debian machine, installing what they
# need first: formatting, lints, unit and integration tests, the debug and release bundles, the
# CLAP host test (clack-host) and the VST3 host tests (pedalboard, DawDreamer) in a virtualenv
# this script creates.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s (disk free: %s)\n' "$*" "$(df -h --output=avail . | tail -1 | tr -d ' ')"; }
# On a failure, what the machine had left: a compiler that dies (rustc exit 101) on a full disk
# or without memory says so only here.
trap 'echo "test.sh: failed at line $LINENO; disk and memory now:" >&2; df -h . >&2; free -m >&2' ERR

# System packages, from Debian: an X server (Xvfb) and ImageMagick for the editor tests and the
# screenshot (Mesa's llvmpipe renders the OpenGL editor), JACK and ALSA headers for the
# standalone app, valgrind for the leak check, and for scripts/cross.sh the aarch64 and mingw
# cross linkers, qemu-user and wine. The plugin bundles themselves need none.
packages="xvfb imagemagick libgl1-mesa-dri libjack-jackd2-dev libasound2-dev valgrind
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user mingw-w64 wine64"
missing=""
for p in $packages; do
    dpkg -s "$p" > /dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo > /dev/null; then
        echo "test.sh: these Debian packages are missing and this user cannot install them:$missing" >&2
        exit 1
    fi
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # shellcheck disable=SC2086 # a list of package names
    $sudo apt-get install -y -qq $missing > /dev/null
fi

# An X server for the editor tests (Xvfb; Mesa's llvmpipe renders the OpenGL editor).
if [ -z "${DISPLAY:-}" ]; then
    if ! command -v Xvfb > /dev/null; then
        echo "Xvfb is missing: apt-get install xvfb imagemagick (see README)" >&2
        exit 1
    fi
    Xvfb :98 -screen 0 1280x800x24 -nolisten tcp > /dev/null 2>&1 &
    xvfb_pid=$!
    trap 'kill $xvfb_pid 2> /dev/null || true' EXIT
    export DISPLAY=:98
    sleep 2
fi

step "GitHub Actions workflows (actionlint + shellcheck)"
bash scripts/lint_workflows.sh

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

step "cargo test (unit, editor UI, CLAP host and CLAP GUI tests on both bundles)"
STAIRSTEP_REQUIRE_BUNDLES=1 cargo test --workspace

step "other platforms: aarch64 Linux (qemu), Windows (wine), macOS (clippy)"
bash scripts/cross.sh

step "leak check: 100 instances through a CLAP host under valgrind"
LEAKCHECK_TARGET_DIR=target bash scripts/leakcheck.sh

step "fuzzing: engine, saved state and presets, ${STAIRSTEP_FUZZ_SECONDS:-60} s each (cargo-fuzz, AddressSanitizer)"
bash scripts/fuzz.sh "${STAIRSTEP_FUZZ_SECONDS:-60}"

step "standalone app (builds, starts with the dummy backend, opens its window)"
cargo build --features standalone --bin stairstep-standalone
target/debug/stairstep-standalone -b dummy > target/standalone.log 2>&1 &
standalone_pid=$!
sleep 8
if ! kill -0 $standalone_pid 2> /dev/null; then
    echo "the standalone app exited early:" >&2
    cat target/standalone.log >&2
    exit 1
fi
kill $standalone_pid
wait $standalone_pid 2> /dev/null || true

step "screenshot command"
cargo xtask screenshot target/screenshot-check.png
python3 - << 'PY'
import struct
with open("target/screenshot-check.png", "rb") as f:
    head = f.read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", head[16:24])
assert (w, h) == (960, 620), (w, h)
print(f"screenshot ok: {w}x{h}")
PY

step "command-line renderer: the README's example"
cargo build --release --bin stairstep-render
target/release/stairstep-render examples/loop.wav target/loop-crushed.wav --bits 6 --dither tpdf --force
test -s target/loop-crushed.wav

step "Python virtualenv for the VST3 hosts"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/host/requirements.txt

step "README's parameter table is the table's"
python3 scripts/params_table.py --check --render target/release/stairstep-render

step "VST3 host tests (pedalboard, DawDreamer, renderer identity) and the release tooling"
STAIRSTEP_REQUIRE_BUNDLES=1 .venv/bin/python -m pytest -v tests/host tests/tools
