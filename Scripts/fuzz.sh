#!/usr/bin/env bash
# Fuzzes the whole pipeline for N seconds (default 600) with libFuzzer, seeded from the examples.
# Usage: Scripts/fuzz.sh [SECONDS]. Crashes are written as crash-* files in .fuzz/ and stop the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
swift build -c release --sanitize=fuzzer --product adjoint-fuzz --scratch-path .build-fuzz
mkdir -p .fuzz/corpus
cp examples/*.adj examples/Chapter/*.adj Tests/AdjointTests/Golden/*.adj .fuzz/corpus/ 2>/dev/null || true
cd .fuzz
SWIFT_BACKTRACE=enable=no ../.build-fuzz/release/adjoint-fuzz corpus -max_total_time="$seconds" -max_len=4096 \
    -timeout=10 -print_final_stats=1 2>&1 | tee fuzz.log | grep -E "^#|stat::|ERROR|crash" | tail -20
