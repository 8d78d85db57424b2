#!/usr/bin/env bash
# Fuzzes Stairstep with cargo-fuzz (libFuzzer + AddressSanitizer) for SECONDS per target
# (default 60): the DSP engine, loading saved state from bytes, and loading presets from text.
# See the doc comment at the top of each fuzz/fuzz_targets/*.rs for what it asserts.
#
#   scripts/fuzz.sh [SECONDS]
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer, sanitizer coverage); on the stable
# toolchain this script sets RUSTC_BOOTSTRAP=1 for the fuzz build only. The build goes to
# fuzz/target (the fuzz crate is its own workspace). Corpora grow in fuzz/corpus/<target>
# (git-ignored but for the committed seed-* files); a crash, panic or failed assertion leaves
# its input in fuzz/artifacts/<target>/ with the reproduce command, and makes this script fail
# after all targets have run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*)
        echo "usage: scripts/fuzz.sh [SECONDS]" >&2
        exit 2
        ;;
esac

# The pinned cargo-fuzz (newest release when this was written).
CARGO_FUZZ_VERSION=0.13.2
TARGETS=(engine state preset)

if [ "$(cargo fuzz --version 2> /dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    echo "==> installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" --force
fi

export RUSTC_BOOTSTRAP=1
# Release build with debug assertions and overflow checks (cargo-fuzz's default), ASan.
build_flags=(--fuzz-dir fuzz --target-dir fuzz/target --sanitizer address)

echo "==> building the fuzz targets (${TARGETS[*]})"
start=$(date +%s)
cargo fuzz build "${build_flags[@]}"
echo "build: $(($(date +%s) - start)) s"

# Extra libFuzzer options per target: the engine's input is a structure, and a longer input
# is more audio, so let inputs be long from the start; the JSON targets get dictionaries.
options_for() {
    case "$1" in
        engine) echo "-len_control=0" ;;
        state) echo "-dict=fuzz/dicts/state.dict" ;;
        preset) echo "-dict=fuzz/dicts/preset.dict" ;;
    esac
}

failed=()
summary=()
for target in "${TARGETS[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    log="fuzz/target/fuzz-$target.log"
    echo "==> fuzzing $target for $seconds s"
    # shellcheck disable=SC2046
    if cargo fuzz run "${build_flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 $(options_for "$target") \
        > "$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
        # The crash report: libFuzzer's and the sanitizer's output, the input and how to rerun.
        grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse|RELOAD)' "$log" | tail -n 80 >&2 || true
    fi
    runs=$(sed -n -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/p' "$log" | tail -n 1)
    secs=$(sed -n -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/p' "$log" | tail -n 1)
    if [ -z "$runs" ]; then
        runs=$(sed -n -E 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
    fi
    files=$(find "$corpus" -type f | wc -l)
    kib=$(du -sk "$corpus" | cut -f1)
    summary+=("$(printf '%-7s %-6s %10s executions in %4s s, corpus %5d inputs (%d KiB)' \
        "$target" "$status" "${runs:-?}" "${secs:-?}" "$files" "$kib")")
done

echo
echo "==> fuzzing summary ($seconds s per target; logs in fuzz/target/fuzz-<target>.log)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found failures in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
