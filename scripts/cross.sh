#!/usr/bin/env bash
# The DSP core on the platforms DAW users have, proven from this x86-64 Linux machine:
# - aarch64 Linux under qemu (the portable builds that Apple silicon runs too): the DSP crate's
#   unit tests, its property tests and the golden render, which must match x86-64's bit for bit,
#   the renderer's tests, and three renders that must match x86-64's bit for bit;
# - Windows (x86_64-pc-windows-gnu, linked by mingw, run by wine): the DSP crate's tests and the
#   golden render, the plugin's CLAP and VST3 bundles (debug), the same three renders, and the
#   CLAP host tests (clack-host, the strict host included) against the Windows DLL;
# - macOS (aarch64 and x86_64): clippy with -D warnings of the DSP crate (all targets) and of the
#   plugin's library and binaries (there is no Apple linker here).
# Each step fails loudly; none is skipped. Needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross,
# qemu-user, mingw-w64 and wine64 (Debian; .ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s (disk free: %s)\n' "$*" "$(df -h --output=avail . | tail -1 | tr -d ' ')"; }
# NOTE: In CI (CI set) each platform's build folder goes once its step is done: the cross
#       builds add about 3.5 GB to the 7 GB of the Linux ones, and a CI machine's disk can be
#       small. Locally they stay, so the next run rebuilds only what changed.
done_with() {
    if [ -n "${CI:-}" ]; then
        rm -rf "$@"
    fi
}
need() {
    if ! command -v "$1" > /dev/null; then
        echo "cross.sh: $1 is missing: apt-get install $2 (.ci/run installs it)" >&2
        exit 1
    fi
}

targets=(aarch64-unknown-linux-gnu x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin)
step "Rust targets: ${targets[*]}"
if ! rustup target add "${targets[@]}"; then
    echo "cross.sh: rustup could not install the targets ${targets[*]}" >&2
    exit 1
fi
need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
need qemu-aarch64 qemu-user
need x86_64-w64-mingw32-gcc mingw-w64
wine=$(command -v wine || command -v wine64 || true)
if [ -z "$wine" ]; then
    echo "cross.sh: wine is missing: apt-get install wine64 (.ci/run installs it)" >&2
    exit 1
fi

# Renders of the example loop that every platform must reproduce bit for bit: plain crushing
# with dither, and four factory presets (µ-law; A-law with rate reduction, filters and Jitter;
# the tempo-synced sample-and-hold LFO on bits and rate at 128 BPM; the envelope follower).
renders=("--bits 6 --dither tpdf" "--preset presets/04-telephone-mu-law.json"
    "--preset presets/10-fairlight-cmi-series-i.json"
    "--preset presets/15-tempo-stepped-crush.json --bpm 128"
    "--preset presets/16-tuned-decimator.json")
mkdir -p target/cross
step "x86_64 Linux: the reference renders"
cargo build --release --bin stairstep-render
for k in "${!renders[@]}"; do
    # shellcheck disable=SC2086 # each entry is a list of flags
    target/release/stairstep-render examples/loop.wav "target/cross/linux-$k.wav" ${renders[$k]} --force
done

# Each render again with `$1` (the platform's renderer, with its runner), compared bit for bit.
same_renders() {
    local name=$1
    shift
    for k in "${!renders[@]}"; do
        # shellcheck disable=SC2086 # each entry is a list of flags
        if ! "$@" examples/loop.wav "target/cross/$name-$k.wav" ${renders[$k]} --force; then
            echo "cross.sh: the $name renderer failed with ${renders[$k]}" >&2
            exit 1
        fi
        if ! cmp "target/cross/linux-$k.wav" "target/cross/$name-$k.wav"; then
            echo "cross.sh: the $name render with ${renders[$k]} differs from x86_64 Linux's" >&2
            exit 1
        fi
    done
    echo "$name: ${#renders[@]} renders bit for bit equal to x86_64 Linux's"
}

step "aarch64 Linux under qemu: DSP unit tests, property tests, golden render; renderer tests and renders"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
cargo test -p stairstep-dsp --release --target aarch64-unknown-linux-gnu
STAIRSTEP_TEST_RUNNER="$CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER" \
    cargo test -p stairstep --target aarch64-unknown-linux-gnu --test render_cli
# shellcheck disable=SC2086 # the runner is a command and its arguments
same_renders aarch64 $CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER target/aarch64-unknown-linux-gnu/debug/stairstep-render
done_with target/aarch64-unknown-linux-gnu

step "Windows under wine: DSP unit tests, property tests, golden render; plugin bundles; renders"
# Its own target directory, so its bundles do not replace the Linux ones in target/bundled.
windows=target/cross/windows
# NOTE: Rust's std imports ProcessPrng from bcryptprimitives.dll, which Debian's wine 8 lacks
#       (the test binaries exit with "import_dll ... not found"). A test-only shim beside the
#       binaries exports it through advapi32's RtlGenRandom (SystemFunction036); Windows itself
#       has the real one, so nothing of it ships.
windir=$windows/x86_64-pc-windows-gnu/release/deps
mkdir -p "$windir"
cat > target/cross/processprng.c << 'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
C
x86_64-w64-mingw32-gcc -shared -O2 -o "$windir/bcryptprimitives.dll" target/cross/processprng.c -ladvapi32
export WINEPREFIX="$PWD/target/cross/wine"
export WINEDEBUG=-all
# The first start creates the prefix; do it before any test runs.
"$wine" wineboot -i > /dev/null 2>&1 || true
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine"
# NOTE: The library's and the integration tests only: rustdoc's merged doctest binary does not
#       run under wine (it fails without a word); the doc example is checked natively and on
#       aarch64 above.
CARGO_TARGET_DIR=$windows cargo test -p stairstep-dsp --release --target x86_64-pc-windows-gnu --lib --tests
CARGO_TARGET_DIR=$windows cargo xtask bundle stairstep --target x86_64-pc-windows-gnu
for bundle in Stairstep.clap Stairstep.vst3/Contents/x86_64-win/Stairstep.vst3; do
    # A PE file for x86-64 (machine 0x8664) that is a DLL (characteristics bit 0x2000).
    python3 - "$windows/bundled/$bundle" << 'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", data, 0x3C)[0]
machine, characteristics = struct.unpack_from("<H", data, pe + 4)[0], struct.unpack_from("<H", data, pe + 22)[0]
ok = data[:2] == b"MZ" and data[pe:pe + 4] == b"PE\0\0" and machine == 0x8664 and characteristics & 0x2000
sys.exit(f"cross.sh: {sys.argv[1]} is not an x86-64 Windows DLL" if not ok else 0)
PY
done
cp "$windir/bcryptprimitives.dll" "$windows/x86_64-pc-windows-gnu/debug/"
same_renders windows "$wine" "$windows/x86_64-pc-windows-gnu/debug/stairstep-render.exe"

step "Windows under wine: the CLAP host tests (clack-host) against the Windows DLL"
# The strict host without its editor script (that one embeds the editor in an X11 window).
CARGO_TARGET_DIR=$windows cargo test --target x86_64-pc-windows-gnu --test clap_host --test clap_strict_host --no-run
cp "$windir/bcryptprimitives.dll" "$windows/x86_64-pc-windows-gnu/debug/deps/"
clap="Z:$(realpath "$windows/bundled/Stairstep.clap" | sed 's|/|\\|g')"
STAIRSTEP_REQUIRE_BUNDLES=1 STAIRSTEP_CLAP=$clap STAIRSTEP_CLAP_DEBUG=$clap \
    CARGO_TARGET_DIR=$windows cargo test --target x86_64-pc-windows-gnu --test clap_host
STAIRSTEP_REQUIRE_BUNDLES=1 STAIRSTEP_CLAP=$clap STAIRSTEP_CLAP_DEBUG=$clap \
    CARGO_TARGET_DIR=$windows cargo test --target x86_64-pc-windows-gnu --test clap_strict_host -- \
    a_strict_host_sees_no_forbidden_call_while_antialias_toggles
done_with "$windows" "$WINEPREFIX"

for target in aarch64-apple-darwin x86_64-apple-darwin; do
    step "$target: clippy -D warnings (DSP crate, all targets; plugin library and binaries)"
    cargo clippy -p stairstep-dsp --all-targets --target "$target" -- -D warnings
    cargo clippy -p stairstep --lib --bins --target "$target" -- -D warnings
done
