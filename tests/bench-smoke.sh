#!/bin/sh
# A short run of the benchmark, to see that every engine works (figures
# from such a run mean nothing; see docs/performance.md for real ones).
set -eu
: "${top_builddir:=.}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioring-bench-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$top_builddir/tools/ioring-bench" --quick --scaling --dir "$tmp" --json "$tmp/out.json" --svg "$tmp/out.svg" > "$tmp/table"
cat "$tmp/table"
grep -q '"engine": "ioringemu"' "$tmp/out.json"
grep -q '<svg' "$tmp/out.svg"
if grep -q "(failed)" "$tmp/table"; then echo "FAIL: an engine failed"; exit 1; fi
grep -q "^registered buffers *10000" "$tmp/table"
