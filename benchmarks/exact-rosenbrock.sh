#!/usr/bin/env bash
# Exact gradient throughput on the Rosenbrock function with n = 1,000 (issue #4),
# side by side with the Double interpreter in the same run, as medians of 5 runs.
# Usage: benchmarks/exact-rosenbrock.sh   (builds the release CLI into .build-release)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --scratch-path .build-release --product adjoint >/dev/null
adjoint=.build-release/release/adjoint
args=(grad examples/rosenbrock.adj -f rosenbrock --arg 'x=0.5 + 0.0001 * arange(1000)' --json)

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
time_runs() {
    for _ in 1 2 3 4 5; do
        local start end
        start=$(date +%s.%N)
        "$adjoint" "${args[@]}" "$@" >/dev/null
        end=$(date +%s.%N)
        echo "$end - $start" | bc -l
    done | median
}

double=$(time_runs)
exact=$(time_runs --exact)
printf 'rosenbrock n=1000, one gradient per process (parse, check, lower, differentiate, run):\n'
printf '  double interpreter: %.3f s\n' "$double"
printf '  exact interpreter:  %.3f s  (%.1f gradients/s)\n' "$exact" "$(echo "1 / $exact" | bc -l)"
printf '  exact / double:     %.1fx\n' "$(echo "$exact / $double" | bc -l)"
