#!/bin/sh
# winprog.sh - builds tests/winprog.c and tests/winbuilders.c the way a
# user of an installed ioringemu does, and runs them. This build tree is installed with
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

# Builds $1.c (a test program) as C and as C++ against the installed tree.
build() {
    cp "$top_srcdir/tests/$1.c" "$tmp/$1.c"
    cp "$top_srcdir/tests/$1.c" "$tmp/$1.cpp"
    # shellcheck disable=SC2086 # flag lists split on purpose
    $CC $SAN_FLAGS -Wall -Wextra -Werror $cflags "$tmp/$1.c" -o "$tmp/$1-c" $libs ||
        fail "$1.c does not compile as C against the installed headers"
    # shellcheck disable=SC2086
    $CXX $SAN_FLAGS -Wall -Wextra -Werror $cflags "$tmp/$1.cpp" -o "$tmp/$1-cxx" $libs ||
        fail "$1.c does not compile as C++ against the installed headers"
}

# Runs both builds of $1 in fresh directories and compares their output
# with $tmp/$1.expected; $2 is a file the program must not leave behind.
run() {
    for prog in "$1-c" "$1-cxx"; do
        mkdir "$tmp/run-$prog"
        (cd "$tmp/run-$prog" &&
            LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/$prog") \
            >"$tmp/out" 2>"$tmp/err"
        rc=$?
        cat "$tmp/err"
        [ "$rc" -eq 0 ] || fail "$prog exited with $rc"
        diff -u "$tmp/$1.expected" "$tmp/out" || fail "$prog printed something else"
        [ ! -e "$tmp/run-$prog/$2" ] || fail "$prog left $2 behind"
        echo "PASS: $prog"
    done
}

build winprog
cat >"$tmp/winprog.expected" <<'EOF'
file=x.bin
submitted=1
UserData=0x1234 ResultCode=0x00000000 Information=21
data=Hello from an IoRing!
EOF
run winprog x.bin

# Every IoRing function and every builder, raw and registered references;
# the values are Windows 11 24H2's (ioring.md sections 7 to 14).
build winbuilders
cat >"$tmp/winbuilders.expected" <<'EOF'
QueryIoRingCapabilities -> 0x00000000
MaxVersion=400 FeatureFlags=0x3
CreateIoRing -> 0x00000000
GetIoRingInfo -> 0x00000000
SQ=8 CQ=16
IsIoRingOpSupported: 1 1 1 1 1 1 1 1 1 0
SetIoRingCompletionEvent -> 0x00000000
BuildIoRingRegisterFileHandles -> 0x00000000
BuildIoRingRegisterBuffers -> 0x00000000
SubmitIoRing(wait 2) -> 0x00000000 submitted=2
  CQE UserData=1 ResultCode=0x00000000 Information=1
  CQE UserData=2 ResultCode=0x00000000 Information=1
BuildIoRingWriteFile -> 0x00000000
BuildIoRingFlushFile -> 0x00000000
SubmitIoRing(wait 2) -> 0x00000000 submitted=2
  CQE UserData=3 ResultCode=0x00000000 Information=4096
  CQE UserData=4 ResultCode=0x00000000 Information=0
event signalled: 1
BuildIoRingWriteFileGather -> 0x00000000
SubmitIoRing(wait 1) -> 0x00000000 submitted=1
  CQE UserData=5 ResultCode=0x00000000 Information=8192
BuildIoRingReadFileScatter -> 0x00000000
BuildIoRingReadFile -> 0x00000000
BuildIoRingReadFile(EOF) -> 0x00000000
SubmitIoRing(wait 3) -> 0x00000000 submitted=3
  CQE UserData=6 ResultCode=0x00000000 Information=8192
  CQE UserData=7 ResultCode=0x00000000 Information=4096
  CQE UserData=8 ResultCode=0x80070026 Information=0
data: 1 1 1
BuildIoRingCancelRequest -> 0x00000000
SubmitIoRing(wait 1) -> 0x00000000 submitted=1
  CQE UserData=9 ResultCode=0x80070490 Information=0
PopIoRingCompletion(empty) -> 0x00000001
CloseIoRing -> 0x00000000
CloseIoRing(again) -> 0x80070006
EOF
run winbuilders builders.bin
exit 0
