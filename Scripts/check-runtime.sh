#!/usr/bin/env bash
# Checks Sources/Codegen/Runtime/AdjointRuntime.swift, the runtime that generated Swift calls,
# against the interpreter, the project's oracle.
#
#   bash Scripts/check-runtime.sh               # compile, run, diff with expected.txt; exit 0 when equal
#   bash Scripts/check-runtime.sh --regenerate  # rewrite expected.txt from the interpreter, then check
#
# Scripts/runtime-check/main.swift prints, through the runtime, what check.adj prints through the
# interpreter (`adjoint eval check.adj -f main`, `-f seeded --seed 7`, `-f json1..6 --json`), then
# each error case of errors.adj: its exit status, what it printed and its first stderr line.
# expected.txt is the interpreter's side, written by --regenerate; it is not edited by hand.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dir=Scripts/runtime-check
runtime=Sources/Codegen/Runtime/AdjointRuntime.swift
error_cases="broadcast index index2 index3 rank empty negative toreal reshape dot int slice axis setrow zeros"
json_cases="json1 json2 json3 json4 json5 json6"

work="$(mktemp -d "${TMPDIR:-/tmp}/adjoint-runtime-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# One error case's report: status, stdout, and the first line of stderr (the interpreter adds the
# source line and a caret below it; the compiled program has no source to quote).
report_error() {
    local name="$1"; shift
    local status=0
    "$@" >"$work/out" 2>"$work/err" || status=$?
    echo "error $name: status $status"
    cat "$work/out"
    head -n 1 "$work/err"
}

if [[ "${1:-}" == "--regenerate" ]]; then
    adjoint=.build/debug/adjoint
    [[ -x "$adjoint" ]] || swift build --product adjoint
    {
        "$adjoint" eval "$dir/check.adj" -f main
        "$adjoint" eval "$dir/check.adj" -f seeded --seed 7
        for f in $json_cases; do "$adjoint" eval "$dir/check.adj" -f "$f" --json; done
        for c in $error_cases; do report_error "$c" "$adjoint" eval "$dir/errors.adj" -f "e_$c"; done
    } >"$dir/expected.txt"
    echo "wrote $dir/expected.txt"
fi

# The runtime must build in Swift 6 mode with complete concurrency checking and no warnings.
swiftc -typecheck -parse-as-library -swift-version 6 -strict-concurrency=complete -warnings-as-errors "$runtime"

# As generated programs are built: the runtime beside the program, whole-module optimized.
swiftc -O -wmo -module-name RuntimeCheck "$runtime" "$dir/main.swift" -o "$work/runtime-check"

{
    "$work/runtime-check"
    for c in $error_cases; do report_error "$c" "$work/runtime-check" errors "$c"; done
} >"$work/actual.txt"

if diff -u "$dir/expected.txt" "$work/actual.txt"; then
    echo "runtime check passed: $(wc -l <"$dir/expected.txt") lines match the interpreter"
else
    echo "runtime check FAILED: the compiled runtime differs from the interpreter (diff above)" >&2
    exit 1
fi
