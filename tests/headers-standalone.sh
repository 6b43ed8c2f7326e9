#!/bin/sh
# headers-standalone.sh - every public header compiles on its own, warnings
# as errors: as C11 -pedantic and as C++17 -pedantic, each also with
# -fshort-wchar -DUNICODE (WCHAR as wide as Windows'). The capitalised
# spellings Windows code uses (include-case/Windows.h ...) compile too, and
# so do the combinations real code relies on: the WIN32_NO_STATUS pattern,
# ntstatus.h before or after windows.h, <windows.h> inside extern "C",
# <intrin.h> next to <immintrin.h>, C++ standard headers after windows.h.
# Last, _tmain programs are built and run (UNICODE, both WCHAR widths, C and
# C++, with and without envp) to check the argv conversion.
#
# Prints FAIL with the header (or case) and the compiler's output for each
# failure and exits 1 if there was any.
#
# Environment (AM_TESTS_ENVIRONMENT): top_srcdir, top_builddir, CC, CXX.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}" "${CXX:=c++}"

inc="-I$top_srcdir/include -I$top_builddir/include-case"
cwarn="-std=c11 -pedantic -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror"
cxxwarn="-std=c++17 -pedantic -Wall -Wextra -Wshadow -Werror"
failures=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/headers.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

[ -d "$top_builddir/include-case" ] || {
    echo "FAIL: $top_builddir/include-case is missing (made by 'make all')"
    exit 1
}

# compile NAME LANG(c|c++) EXTRA-FLAGS: compiles $tmp/t.c or t.cpp.
compile() {
    if [ "$2" = c ]; then
        # shellcheck disable=SC2086 # flag lists split on purpose
        $CC $cwarn $inc $3 -fsyntax-only "$tmp/t.c" >"$tmp/log" 2>&1
    else
        cp "$tmp/t.c" "$tmp/t.cpp"
        # shellcheck disable=SC2086
        $CXX $cxxwarn $inc $3 -fsyntax-only "$tmp/t.cpp" >"$tmp/log" 2>&1
    fi || {
        echo "FAIL: $1 ($2 $3)"
        sed 's/^/    /' "$tmp/log"
        failures=$((failures + 1))
    }
}

# The TU needs a declaration of its own: ISO C has no empty units, and a
# header of macros only (sdkddkver.h, ntstatus.h) declares nothing.
for path in "$top_srcdir"/include/*.h; do
    name=$(basename "$path")
    printf '#include <%s>\ntypedef int standalone_unit;\n' "$name" >"$tmp/t.c"
    for lang in c c++; do
        compile "$name" $lang ""
        compile "$name" $lang "-fshort-wchar -DUNICODE"
    done
done
# A case alias only includes the real header: once is enough.
for path in "$top_builddir"/include-case/*.h; do
    name=$(basename "$path")
    printf '#include <%s>\ntypedef int standalone_unit;\n' "$name" >"$tmp/t.c"
    compile "$name" c ""
done

# The WIN32_NO_STATUS pattern; ntstatus.h after (and before) a windows.h
# that defined winnt.h's STATUS_* subset must neither warn nor conflict.
cat >"$tmp/t.c" <<'EOF'
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include <winternl.h>
typedef char status_is_ntstatus[STATUS_ACCESS_VIOLATION < 0 ? 1 : -1];
EOF
for lang in c c++; do compile "WIN32_NO_STATUS pattern" $lang ""; done
cat >"$tmp/t.c" <<'EOF'
#include <windows.h>
#include <ntstatus.h>
typedef char status_is_ntstatus[STATUS_ACCESS_VIOLATION < 0 ? 1 : -1];
EOF
for lang in c c++; do compile "ntstatus.h after windows.h" $lang ""; done
cat >"$tmp/t.c" <<'EOF'
#include <ntstatus.h>
#include <windows.h>
typedef char status_is_ntstatus[STATUS_ACCESS_VIOLATION < 0 ? 1 : -1];
EOF
for lang in c c++; do compile "ntstatus.h before windows.h" $lang ""; done

# ioring.md §1.2: ioringapi.h alone makes visible what its prototypes use.
cat >"$tmp/t.c" <<'EOF'
#include <IoRingApi.h>
typedef char visible[sizeof(FILE_SEGMENT_ELEMENT) + FILE_WRITE_FLAGS_WRITE_THROUGH +
                     FILE_FLUSH_NO_SYNC + (IORING_E_CORRUPT < 0) + (INFINITE != 0)];
typedef FILE_WRITE_FLAGS write_flags;
typedef FILE_FLUSH_MODE flush_mode;
typedef HIORING ring;
EOF
for lang in c c++; do compile "ioringapi.h makes FILE_*, FILE_SEGMENT_ELEMENT, IORING_E_* visible" $lang ""; done

# What Windows code commonly repeats or mixes in.
cat >"$tmp/t.c" <<'EOF'
#include <Windows.h>
#include <WinTernl.h>
#include <IoRingApi.h>
#include <Intrin.h>
#include <immintrin.h>
#include <TChar.h>
#include <ioringemu.h>
typedef LONG NTSTATUS;
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
int use(void);
int use(void)
{
    volatile LONG n = 0;
    _mm_pause();
    return NT_SUCCESS(0) + (int)InterlockedIncrement(&n) + (int)sizeof(IORING_CQE);
}
EOF
for lang in c c++; do compile "all headers together, typical user repetitions" $lang ""; done
cat >"$tmp/t.c" <<'EOF'
extern "C" {
#include <windows.h>
#include <tchar.h>
}
#include <algorithm>
#include <string>
int use();
int use() { return std::min(1, 2) + (int)std::string("x").size() + (IOSQE_FLAGS_NONE | IOSQE_FLAGS_DRAIN_PRECEDING_OPS); }
EOF
cp "$tmp/t.c" "$tmp/t.cpp"
compile "windows.h inside extern \"C\", then <algorithm>" c++ ""

# _tmain: built and run. Each variant prints argc, argv[1] (through
# _tprintf) and its length in WCHAR units, and returns argc.
arg=$(printf 'a\303\251\342\202\254\360\237\230\200') # "aé€😀" in UTF-8
run_tmain() { # NAME LANG FLAGS SIGNATURE UNITS [STATEMENT]
    cat >"$tmp/m.c" <<EOF
#include <windows.h>
#include <tchar.h>
int _tmain($4)
{
    ${6:-}
    _tprintf(_T("%d %s %u\\n"), argc, argv[1], (unsigned)_tcslen(argv[1]));
    return argc;
}
EOF
    if [ "$2" = c ]; then
        cp "$tmp/m.c" "$tmp/m.src.c"
        # shellcheck disable=SC2086
        $CC $cwarn $inc $3 "$tmp/m.src.c" -o "$tmp/m" >"$tmp/log" 2>&1
    else
        cp "$tmp/m.c" "$tmp/m.src.cpp"
        # shellcheck disable=SC2086
        $CXX $cxxwarn $inc $3 "$tmp/m.src.cpp" -o "$tmp/m" >"$tmp/log" 2>&1
    fi || {
        echo "FAIL: _tmain $1 does not build"
        sed 's/^/    /' "$tmp/log"
        failures=$((failures + 1))
        return
    }
    out=$("$tmp/m" "$arg" second)
    rc=$?
    if [ "$rc" -ne 3 ] || [ "$out" != "3 $arg $5" ]; then
        echo "FAIL: _tmain $1: exit $rc, printed '$out', expected exit 3 and '3 $arg $5'"
        failures=$((failures + 1))
    fi
}
run_tmain "UNICODE (C)" c "-DUNICODE" "int argc, _TCHAR *argv[]" 4
run_tmain "UNICODE with envp (C)" c "-DUNICODE" "int argc, _TCHAR *argv[], _TCHAR *envp[]" 4 \
    "if (envp == NULL) return 1;"
run_tmain "UNICODE, -fshort-wchar (C)" c "-DUNICODE -fshort-wchar" "int argc, TCHAR **argv" 5
run_tmain "UNICODE (C++)" c++ "-DUNICODE" "int argc, _TCHAR *argv[]" 4
run_tmain "_UNICODE, -fshort-wchar (C++)" c++ "-D_UNICODE -fshort-wchar" "int argc, _TCHAR *argv[]" 5
run_tmain "narrow (C)" c "" "int argc, _TCHAR *argv[]" 10

# _tmain without parameters: (void) in C, () in C++.
for lang in c c++; do
    params=
    [ "$lang" = c ] && params=void
    printf '#include <windows.h>\n#include <tchar.h>\nint _tmain(%s) { return 5; }\n' "$params" \
        >"$tmp/v.c"
    if [ "$lang" = c ]; then
        # shellcheck disable=SC2086
        $CC $cwarn $inc -DUNICODE "$tmp/v.c" -o "$tmp/v" >"$tmp/log" 2>&1
    else
        cp "$tmp/v.c" "$tmp/v.cpp"
        # shellcheck disable=SC2086
        $CXX $cxxwarn $inc -DUNICODE "$tmp/v.cpp" -o "$tmp/v" >"$tmp/log" 2>&1
    fi || {
        echo "FAIL: _tmain($params) ($lang) does not build"
        sed 's/^/    /' "$tmp/log"
        failures=$((failures + 1))
        continue
    }
    "$tmp/v" x
    rc=$?
    [ "$rc" -eq 5 ] || {
        echo "FAIL: _tmain($params) ($lang) exited $rc, expected 5"
        failures=$((failures + 1))
    }
done

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "PASS: every header alone (C11, C++17, -fshort-wchar), case aliases, combinations, _tmain"
exit 0
