#!/usr/bin/env bash
# Fuzzes the whole pipeline with libFuzzer, seeded from the examples and the regression programs.
#
#   Scripts/fuzz.sh [SECONDS] [JOBS]     # default 600 s; JOBS > 1 runs libFuzzer's fork mode
#
# The build must be clean: any `error:` line in its output fails the script, even when SwiftPM
# reports success. A crash is written as crash-* in .fuzz/ and fails the script (status 1).
# The last lines give the executions and the crashes counted.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
jobs=${2:-1}

build_log=$(mktemp "${TMPDIR:-/tmp}/adjoint-fuzz-build.XXXXXX.log")
swift build -c release --sanitize=fuzzer --package-path fuzz --scratch-path .build-fuzz >"$build_log" 2>&1
status=$?
if [ $status -ne 0 ] || grep -q "error:" "$build_log"; then
    grep -E "error:" "$build_log" | head -20 >&2
    echo "fuzz build failed (status $status); full log: $build_log" >&2
    exit 1
fi
binary="$(swift build -c release --sanitize=fuzzer --package-path fuzz --scratch-path .build-fuzz --show-bin-path)/adjoint-fuzz"

mkdir -p .fuzz/corpus
cp examples/*.adj examples/Chapter/*.adj Tests/AdjointTests/Golden/*.adj Tests/AdjointTests/Regressions/*.adj \
    .fuzz/corpus/ 2>/dev/null || true
cd .fuzz
rm -f crash-* fuzz.log
if [ "$jobs" -gt 1 ]; then mode=(-fork="$jobs" -ignore_crashes=0); else mode=(); fi
SWIFT_BACKTRACE=enable=no "$binary" corpus "${mode[@]}" -max_total_time="$seconds" -max_len=4096 \
    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >fuzz.log 2>&1
fuzz_status=$?
grep -E "^#|stat::|ERROR|crash|DONE" fuzz.log | tail -12
crashes=$(ls crash-* 2>/dev/null | wc -l)
echo "fuzzer status $fuzz_status, crash files $crashes; log: .fuzz/fuzz.log"
if [ $fuzz_status -ne 0 ] || [ "$crashes" -ne 0 ]; then
    echo "the fuzzer found a crash" >&2
    exit 1
fi
