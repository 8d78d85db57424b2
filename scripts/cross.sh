#!/usr/bin/env bash
# The DSP core on the platforms DAW users have, proven from this x86-64 Linux machine:
# - aarch64 Linux under qemu (the portable builds that Apple silicon runs too): the DSP crate's
#   unit tests, its property tests and the golden render, which must match x86-64's bit for bit;
# - Windows (x86_64-pc-windows-gnu, linked by mingw, run by wine): the same;
# - macOS (aarch64 and x86_64): clippy with -D warnings of the DSP crate (all targets) and of the
#   plugin's library and binaries (there is no Apple linker here).
# Each step fails loudly; none is skipped. Needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross,
# qemu-user, mingw-w64 and wine64 (Debian; .ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
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

step "aarch64 Linux under qemu: DSP unit tests, property tests, golden render"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
cargo test -p stairstep-dsp --release --target aarch64-unknown-linux-gnu

step "Windows under wine: DSP unit tests, property tests, golden render"
# NOTE: Rust's std imports ProcessPrng from bcryptprimitives.dll, which Debian's wine 8 lacks
#       (the test binaries exit with "import_dll ... not found"). A test-only shim beside the
#       binaries exports it through advapi32's RtlGenRandom (SystemFunction036); Windows itself
#       has the real one, so nothing of it ships.
windir=target/x86_64-pc-windows-gnu/release/deps
mkdir -p target/cross "$windir"
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
cargo test -p stairstep-dsp --release --target x86_64-pc-windows-gnu

for target in aarch64-apple-darwin x86_64-apple-darwin; do
    step "$target: clippy -D warnings (DSP crate, all targets; plugin library and binaries)"
    cargo clippy -p stairstep-dsp --all-targets --target "$target" -- -D warnings
    cargo clippy -p stairstep --lib --bins --target "$target" -- -D warnings
done
