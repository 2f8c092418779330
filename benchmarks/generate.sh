#!/usr/bin/env bash
# Regenerates Sources/adjoint-bench/Generated/ from workloads/*.adj with the Adjoint CLI: one Swift
# file per workload (`adjoint compile W.adj --no-runtime`) and one AdjointRuntime.swift
# (`adjoint compile --emit runtime`), all compiled into the one benchmark module. Each workload's
# functions carry its prefix (w1_, w2_, ...) so that their names do not collide there.
#
#   benchmarks/generate.sh [ADJOINT]   # default: $ADJOINT, else .build/release/adjoint, else .build/debug/adjoint
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
adjoint="${1:-${ADJOINT:-}}"
if [[ -z "$adjoint" ]]; then
    for candidate in "$root/.build/release/adjoint" "$root/.build/debug/adjoint"; do
        if [[ -x "$candidate" ]]; then adjoint="$candidate"; break; fi
    done
fi
if [[ -z "$adjoint" ]]; then
    echo "generate.sh: no adjoint CLI; build it first: (cd $root && swift build -c release --product adjoint)" >&2
    exit 1
fi
out="$here/Sources/adjoint-bench/Generated"
mkdir -p "$out"
rm -f "$out"/*.swift
cd "$here/workloads"
for file in *.adj; do
    "$adjoint" compile "$file" --no-runtime -o "$out/${file%.adj}.swift"
done
"$adjoint" compile --emit runtime -o "$out/AdjointRuntime.swift"
echo "generate.sh: wrote $(ls "$out" | wc -l) files to $out with $adjoint"
