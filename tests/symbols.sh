#!/bin/sh
# symbols.sh - the shared library exports the Windows API names listed in
# lib/libioringemu.sym and the iore_ extensions, and nothing else: an internal
# (iore__*, a static made global by mistake, a libc or libuv symbol pulled
# in) showing up in the dynamic symbol table fails the test, by name.
set -u

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
lib="$top_builddir/lib/.libs/libioringemu.so"
script="$top_srcdir/lib/libioringemu.sym"
NM=${NM:-nm}

if ! command -v "$NM" >/dev/null 2>&1; then
    echo "SKIP: $NM not found (binutils), cannot list exported symbols"
    exit 77
fi
if ! test -f "$lib"; then
    echo "SKIP: $lib not built (this platform's shared library is not an ELF .so)"
    exit 77
fi
if ! test -f "$script"; then
    echo "FAIL: version script $script missing"
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Exact names from the global: section of the version script; patterns
# (iore_[a-z]*) are checked separately below. Comments are dropped first.
sed -e 's|/\*.*\*/||g' "$script" |
    awk '/global:/ { on = 1; sub(/.*global:/, "") }
         /local:/  { on = 0 }
         on        { gsub(/;/, " "); for (i = 1; i <= NF; i++) print $i }' |
    grep -v '[][*?]' | sort -u >"$tmp/allowed"
# Version nodes (IORINGEMU_0 {) appear as absolute symbols; they are not API.
sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_.]*\)[[:space:]]*{.*/\1/p' "$script" |
    sort -u >"$tmp/nodes"

if ! "$NM" -D --defined-only "$lib" >"$tmp/nm" 2>"$tmp/nm.err"; then
    echo "FAIL: $NM -D --defined-only $lib:"
    cat "$tmp/nm.err"
    exit 1
fi
# "address type name[@[@]version]" -> name
awk 'NF >= 3 { print $3 } NF == 2 { print $2 }' "$tmp/nm" | sed 's/@.*//' | sort -u >"$tmp/defined"

leaked=$(grep -v -x -F -f "$tmp/allowed" "$tmp/defined" |
         grep -v -x -F -f "$tmp/nodes" |
         grep -v -x '^iore_[a-z][A-Za-z0-9_]*$')

count=$(wc -l <"$tmp/defined")
if test -n "$leaked"; then
    echo "FAIL: symbols exported by $lib that are neither a Windows API name from"
    echo "      lib/libioringemu.sym nor an iore_ extension:"
    echo "$leaked" | sed 's/^/        /'
    exit 1
fi
echo "PASS: $count exported symbols, all Windows API names or iore_ extensions"
exit 0
