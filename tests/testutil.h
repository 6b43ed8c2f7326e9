/*
 * testutil.h - helpers shared by the Check suites. Conformance tests read
 * like Windows code; this file only supplies scratch files and skips.
 */
#ifndef IORE_TESTUTIL_H
#define IORE_TESTUTIL_H

#include <windows.h>
#include <check.h>
#include <stddef.h>

/* Exit status automake treats as "skipped". */
#define TU_SKIP 77

/* A fresh scratch directory for this process (under $TMPDIR or /tmp),
 * removed with everything in it at exit. Returns its path. */
const char *tu_scratch_dir(void);
/* A new path inside the scratch directory ("<dir>/<stem>-<n>"). The returned
 * string is static per call site only until the next call: copy it. */
const char *tu_path(const char *stem);
/* Creates a file at a new scratch path holding len bytes of a known pattern
 * (byte i = tu_pattern(i)); returns the path (malloc'd). */
char *tu_make_file(const char *stem, size_t len);
unsigned char tu_pattern(size_t i);
/* Opens path with CreateFileA for reading (and writing if rw). */
HANDLE tu_open(const char *path, int rw);

/* Prints "SKIP: reason" on stderr and exits 77. For whole-program skips
 * (resource missing), called from main() before the runner starts. */
void tu_skip(const char *reason) __attribute__((noreturn));

/* Runs suite s in CK_FORK mode with output to stdout; returns the exit
 * status for main(): 0 when every test passed. */
int tu_run(Suite *s);

#endif
