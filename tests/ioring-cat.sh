#!/bin/sh
# ioring-cat's output is byte-identical to cat's for files of 0 B, 1 B,
# 4 KiB, 1 MiB + 3 B and 64 MiB, one at a time and all in one call.
set -eu
: "${top_builddir:=.}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioring-cat-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
i=0
for size in 0 1 4096 1048579 67108864; do
  i=$((i + 1))
  head -c "$size" /dev/urandom > "$tmp/f$i"
done
for f in "$tmp"/f*; do
  "$top_builddir/tools/ioring-cat" "$f" > "$tmp/out"
  cmp "$f" "$tmp/out" || { echo "FAIL: ioring-cat $(wc -c < "$f")-byte file differs from cat"; exit 1; }
done
"$top_builddir/tools/ioring-cat" "$tmp"/f* > "$tmp/out"
cat "$tmp"/f* > "$tmp/want"
cmp "$tmp/want" "$tmp/out" || { echo "FAIL: ioring-cat of all files differs from cat"; exit 1; }
# A missing file is reported, the others are still written, the status is 1.
status=0
"$top_builddir/tools/ioring-cat" "$tmp/f2" "$tmp/missing" "$tmp/f3" > "$tmp/out" 2> "$tmp/err" || status=$?
cat "$tmp/f2" "$tmp/f3" | cmp - "$tmp/out" || { echo "FAIL: files around a missing one not written"; exit 1; }
[ "$status" = 1 ] || { echo "FAIL: exit status $status for a missing file, want 1"; exit 1; }
grep -q missing "$tmp/err" || { echo "FAIL: no diagnostic names the missing file"; exit 1; }
echo "ioring-cat: 5 sizes, concatenation and a missing file: ok"
