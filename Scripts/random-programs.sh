#!/usr/bin/env bash
# A longer run of the random-program property tests (issue 8) than CI's 80 programs.
#
#   bash Scripts/random-programs.sh N SEED        # N programs from SEED (defaults: 1000, the date)
#
# It runs the tests of Tests/AdjointTests/RandomProgramTests.swift through the environment:
#   ADJOINT_RANDOM_PROGRAMS=N ADJOINT_RANDOM_SEED=SEED swift test --filter 'randomProgram(Properties|sCompiled)'
# Optional settings (environment):
#   ADJOINT_RANDOM_COMPILED=M         how many of the N also go through generated Swift (default N)
#   ADJOINT_RANDOM_COMPILED_CHUNK=K   programs per swiftc build (default 80)
#   ADJOINT_RANDOM_SWIFTC_FLAGS=...   how they are built (default -O)
#   ADJOINT_RANDOM_SHRINK=0           report failures without shrinking them (the first two of each kind are shrunk)
#   ADJOINT_RANDOM_FIRST=I            start at program I (with N=1: just program I of SEED, to reproduce it)
# Every failure is printed with its seed and index, its shrunk program, and the original program; a
# program is reproduced by running the same N and SEED (program i depends only on SEED and i).
# The summary lines ("random programs: ...") give the counts; the exit status is swift test's.
set -uo pipefail

# In braces, so that bash reads the whole script before running it (editing it mid-run is then safe).
{
n="${1:-1000}"
seed="${2:-$(date +%Y%m%d)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

export ADJOINT_RANDOM_PROGRAMS="$n"
export ADJOINT_RANDOM_SEED="$seed"
export ADJOINT_RANDOM_COMPILED="${ADJOINT_RANDOM_COMPILED:-$n}"

log="$(mktemp "${TMPDIR:-/tmp}/adjoint-random-programs.XXXXXX.log")"
start=$(date +%s)
swift build --build-tests >/dev/null || { echo "build failed" >&2; exit 1; }
swift test --skip-build --filter 'randomProgram(Properties|sCompiled)' >"$log" 2>&1
status=$?
end=$(date +%s)

grep -E '^random programs' "$log"
failures=$(grep 'recorded an issue' "$log" | sort -u | wc -l)
echo "failures reported: $failures"
grep -E '^↳ .* on seed ' "$log" | sed 's/^↳ /  /' || true
echo "seed $seed, $n programs, $((end - start)) s; full log: $log"
# A test process that crashed reports no failure of its own: say so, and fail.
if grep -qE 'Fatal error|Fatal signal|Program crashed|Exited with (unexpected )?signal|error: Exited with' "$log" \
   || { [ $status -ne 0 ] && [ "$failures" -eq 0 ]; }; then
    echo "the test run crashed (swift test status $status):" >&2
    grep -E 'Fatal error|Fatal signal|Program crashed|Exited with|at .*RandomProgram' "$log" | head -5 >&2
    exit 1
fi
if [ $status -ne 0 ] || ! grep -qE '^random programs' "$log"; then exit 1; fi
exit 0
}
