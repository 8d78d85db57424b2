#!/usr/bin/env bash
# Leak check: 100 plugin instances created, activated, processed, deactivated and dropped
# through a CLAP host (clack-host), under valgrind's memcheck. Fails on any definitely lost
# block and on any memory error (invalid read/write, uninitialised value, bad free).
#
#   scripts/leakcheck.sh
#
# Runs the `a_hundred_instances_come_and_go` test of tests/clap_conformance.rs on the release
# bundle (target/bundled/Stairstep.clap, from `cargo xtask bundle stairstep --release`; another
# bundle with LEAKCHECK_BUNDLE=path). The test binary (the host side only: the plugin is the
# bundle) is built with the dev profile, which has debug symbols, into target/leakcheck
# (LEAKCHECK_TARGET_DIR=target reuses the build `cargo test --workspace` already made). Needs valgrind
# (apt-get install valgrind). valgrind's full log: <target dir>/valgrind.log.
#
# No suppressions are needed: nothing is definitely lost. What valgrind reports as "possibly
# lost" (about 376 bytes in 5 blocks, once per process, not per instance) is nice-plug's shared
# background-thread registry (a static map of weak references, kept after the worker thread
# stops), clack-host's plugin-entry cache and libtest's thread handle. Should a suppression ever
# be needed, it belongs in a file passed with --suppressions, for leaks provably clack-host's or
# the Rust runtime's only, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${LEAKCHECK_TARGET_DIR:-target/leakcheck}"
bundle="${LEAKCHECK_BUNDLE:-target/bundled/Stairstep.clap}"
test_name=a_hundred_instances_come_and_go

if ! command -v valgrind > /dev/null; then
    echo "valgrind is missing: apt-get install valgrind" >&2
    exit 1
fi
if [ ! -f "$bundle" ]; then
    echo "$bundle is missing: build it with cargo xtask bundle stairstep --release" >&2
    exit 1
fi

echo "==> building the CLAP conformance test (host side) into $target_dir"
start=$(date +%s)
# NOTE: --workspace gives the same feature set as `cargo test --workspace` (xtask adds
#       features to shared crates), so with LEAKCHECK_TARGET_DIR=target nothing is rebuilt.
executable=$(CARGO_TARGET_DIR="$target_dir" cargo test --workspace --test clap_conformance --no-run --message-format=json |
    sed -n -E 's/.*"executable":"([^"]*clap_conformance[^"]*)".*/\1/p' | tail -n 1)
if [ ! -x "$executable" ]; then
    echo "could not find the clap_conformance test executable" >&2
    exit 1
fi
echo "build: $(($(date +%s) - start)) s ($executable)"

# A private copy of the bundle, so a bundle build running meanwhile cannot swap it mid-run.
mkdir -p "$target_dir/leakcheck-bundle"
cp "$bundle" "$target_dir/leakcheck-bundle/Stairstep.clap"

log="$target_dir/valgrind.log"
echo "==> valgrind memcheck: $test_name on $bundle"
start=$(date +%s)
status=0
# NOTE: The test takes its bundle from STAIRSTEP_CLAP_DEBUG (it normally runs on the debug
#       bundle); STAIRSTEP_REQUIRE_BUNDLES makes a missing bundle a failure, not a skip.
STAIRSTEP_REQUIRE_BUNDLES=1 STAIRSTEP_CLAP_DEBUG="$PWD/$target_dir/leakcheck-bundle/Stairstep.clap" \
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite --error-exitcode=1 --keep-debuginfo=yes --num-callers=40 \
    --log-file="$log" \
    "$executable" --exact "$test_name" --test-threads=1 > "$target_dir/leakcheck-test.log" 2>&1 || status=$?
echo "valgrind: $(($(date +%s) - start)) s"

cat "$target_dir/leakcheck-test.log"
# The summary: errors, and the leak summary.
sed -n -E '/HEAP SUMMARY|LEAK SUMMARY/,/^==[0-9]+== *$/p; /ERROR SUMMARY/p' "$log" | sed -E 's/^==[0-9]+== ?//'
if ! grep -q "test result: ok. 1 passed" "$target_dir/leakcheck-test.log"; then
    echo "the test did not run and pass (see above)" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "leak check FAILED (exit $status): see $log" >&2
    # The first records: leaks with their allocation stacks, or memory errors.
    grep -v -E '^==[0-9]+== *$' "$log" | sed -n '/blocks are definitely lost\|Invalid\|uninitialised\|free/,+40p' | head -n 150 >&2
    exit 1
fi
echo "leak check ok"
