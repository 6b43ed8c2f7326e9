#!/bin/sh
# winprog.sh - builds tests/winprog.c the way a user of an installed
# ioringemu does, and runs it. This build tree is installed with
# `make install DESTDIR=<scratch>`; pkg-config (PKG_CONFIG_PATH plus
# PKG_CONFIG_SYSROOT_DIR) then supplies the flags, so the installed headers,
# case aliases (Windows.h), .pc file and library are what is tested. The
# program is compiled as C and as C++ with warnings as errors, run in a
# scratch directory, and its output compared with what Windows prints.
#
# Environment (AM_TESTS_ENVIRONMENT): top_srcdir, top_builddir, CC, CXX,
# SAN_FLAGS (the program must be built with the library's sanitizers).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}" "${CXX:=c++}" "${SAN_FLAGS:=}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/winprog.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

fail() {
    echo "FAIL: $*"
    exit 1
}

if ! command -v pkg-config >/dev/null 2>&1; then
    echo "SKIP: pkg-config is not installed"
    exit 77
fi

# A make started from `make check` must not join that make's jobserver.
root=$tmp/root
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install \
        DESTDIR="$root" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    fail "make install DESTDIR=$root"
fi
pc=$(find "$root" -name ioringemu.pc | head -n 1)
[ -n "$pc" ] || fail "make install put no ioringemu.pc under $root"
libdir=$(dirname "$(dirname "$pc")")

PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cflags=$(pkg-config --cflags ioringemu) || fail "pkg-config --cflags ioringemu"
libs=$(pkg-config --libs ioringemu) || fail "pkg-config --libs ioringemu"
case $cflags in
*"$root"*) ;;
*) fail "pkg-config --cflags does not point into the install ($cflags)" ;;
esac

cp "$top_srcdir/tests/winprog.c" "$tmp/winprog.c"
cp "$top_srcdir/tests/winprog.c" "$tmp/winprog.cpp"
# shellcheck disable=SC2086 # flag lists split on purpose
$CC $SAN_FLAGS -Wall -Wextra -Werror $cflags "$tmp/winprog.c" -o "$tmp/winprog-c" $libs ||
    fail "winprog.c does not compile as C against the installed headers"
# shellcheck disable=SC2086
$CXX $SAN_FLAGS -Wall -Wextra -Werror $cflags "$tmp/winprog.cpp" -o "$tmp/winprog-cxx" $libs ||
    fail "winprog.c does not compile as C++ against the installed headers"

cat >"$tmp/expected" <<'EOF'
file=x.bin
submitted=1
UserData=0x1234 ResultCode=0x00000000 Information=21
data=Hello from an IoRing!
EOF

for prog in winprog-c winprog-cxx; do
    mkdir "$tmp/run-$prog"
    (cd "$tmp/run-$prog" &&
        LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/$prog") \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    cat "$tmp/err"
    [ "$rc" -eq 0 ] || fail "$prog exited with $rc"
    diff -u "$tmp/expected" "$tmp/out" || fail "$prog printed something else"
    [ ! -e "$tmp/run-$prog/x.bin" ] || fail "$prog left x.bin behind (DeleteFileW)"
    echo "PASS: $prog"
done
exit 0
