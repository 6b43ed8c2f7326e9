/*
 * testutil.h - helpers shared by the Check suites: scratch files, skips, the
 * runner, and the machinery several suites need to make timing
 * deterministic (semaphore waits, the held-read gate). Conformance tests
 * read like Windows code; what is here only sets the stage for them.
 */
#ifndef IORE_TESTUTIL_H
#define IORE_TESTUTIL_H

#include <windows.h>
#include <ioringapi.h>
#include <check.h>
#include <semaphore.h>
#include <stddef.h>

/* Exit status automake treats as "skipped". */
#define TU_SKIP 77

/* Sentinels: values no call under test produces. Tests store them in
 * outputs (and the last error) before a call, to see that a failure left
 * them untouched. */
#define TU_SENTINEL 0xDEADBEEFu                            /* DWORDs, UINT32s */
#define TU_SENTINEL_UD ((UINT_PTR)0x5e5e5e5e5e5e5e5eull)    /* IORING_CQE fields */
#define TU_SENTINEL_HR ((HRESULT)0x7eadbeef)
#define TU_SENTINEL_INFO ((ULONG_PTR)0xa5a5a5a5a5a5a5a5ull)

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
/* Fails the test, naming the first differing byte, unless buf[0..len)
 * holds the pattern of a file from offset file_off. */
void tu_assert_pattern(const unsigned char *buf, size_t len, size_t file_off);

/* Pops one CQE, which must be there, and checks every field of it. */
void tu_expect_cqe(HIORING ring, UINT_PTR user_data, HRESULT hr, ULONG_PTR info);
/* The page size, as GetSystemInfo reports it. */
SIZE_T tu_page_size(void);
/* Opens path with CreateFileA for reading (and writing if rw). */
HANDLE tu_open(const char *path, int rw);
/* tu_make_file, then tu_open, for a test that needs only the handle;
 * fails the test if the file cannot be opened. */
HANDLE tu_pattern_file(const char *stem, size_t len, int rw);
/* CreateEventA(NULL, manual, initial, NULL); fails the test on NULL. */
HANDLE tu_event(BOOL manual, BOOL initial);

/* Prints "SKIP: reason" on stderr and exits 77. For whole-program skips
 * (resource missing), called from main() before the runner starts. */
void tu_skip(const char *reason) __attribute__((noreturn));

/* ---- locked memory */

/* VmLck of this process from /proc/self/status: what the kernel really
 * has locked, in kB; -1 if there is no such line. */
long tu_vmlck_kb(void);
/* Drops CAP_IPC_LOCK from this process's effective, permitted and
 * inheritable sets, for good (so RLIMIT_MEMLOCK applies to root too);
 * checks that it is gone. 0 or -errno. Call it in a child. */
int tu_drop_ipc_lock(void);

/* ---- a child process */

/* Runs fn(arg) in a forked child and returns what fn returned there (0 by
 * convention meaning "all went well"), or -1, with the reason on stderr, if
 * the child could not be started or died before fn returned. The result
 * comes back through a pipe, not the exit status, which a checker may own
 * (valgrind makes a fork child that inherits the parent's other threads
 * exit with its error code). Usable from tests (assert on the result) and
 * from main()'s precondition probes: it asserts nothing itself. fn must not
 * use Check's assertions; arg is the child's copy of the parent's memory. */
int tu_run_in_child(int (*fn)(void *arg), void *arg);

/* ---- waiting without sleeping */

/* A deadlock guard for waits that must end: past it the test fails with a
 * message instead of hanging until Check's timeout. Nothing relies on its
 * length. */
#define TU_WAIT_MS 60000

/* sem_wait, retried on EINTR; any other error fails the test. Safe on any
 * thread (also inside a fault hook on a pool worker). */
void tu_sem_wait(sem_t *s);
/* The same, failing the test ("semaphore never posted") after ms. For the
 * test's own thread: a guard that fires on a pool worker after the test
 * has ended must not exist. */
void tu_sem_wait_ms(sem_t *s, unsigned ms);

/* ---- the held-read gate
 * A fault hook (ioringemu.h) that makes I/O slow on demand, so tests can
 * keep an op in flight for exactly as long as they want:
 *  - every inline attempt ("preadv2", "pwritev2"; made on the submitting
 *    thread while SubmitIoRing dispatches) reports EAGAIN, so the op goes
 *    to libuv's pool and the attempt counts as "dispatched";
 *  - on the pool, the first `hold` reads ("pread"/"preadv") count as "held"
 *    and block until tu_gate_release lets them through (TU_GATE_HOLD_ALL:
 *    every read; TU_GATE_HOLD_NONE: only force the pool path);
 *  - every other call goes to `also(call, arg)` if it is not NULL (a suite's
 *    own counting), else proceeds.
 * The gate is process-wide, like the hook itself. Installing it again
 * starts over: counts and unused releases from before are dropped. Reads
 * still held stay held (a ring closed with a held read in flight keeps its
 * worker blocked until the process exits). */
#define TU_GATE_HOLD_ALL (-1)
#define TU_GATE_HOLD_NONE 0
void tu_gate_install(int hold, int (*also)(const char *call, void *arg), void *arg);
/* The gate holding nothing: every read and write runs on the pool. */
void tu_force_pool(void);
/* Holds the next n pool reads as well (after TU_GATE_HOLD_NONE: on demand). */
void tu_gate_hold(int n);
/* Waits for n more inline attempts: a submitter on another thread is
 * inside SubmitIoRing, dispatching. */
void tu_gate_wait_dispatched(int n);
/* Waits until n more pool reads are blocked in the gate. */
void tu_gate_wait_held(int n);
/* Lets n held reads through (or the next n to arrive). */
void tu_gate_release(int n);
/* Removes the fault hook (the gate's or any other). */
void tu_gate_remove(void);

/* Runs suite s in CK_FORK mode with output to stdout; returns the exit
 * status for main(): 0 when every test passed. */
int tu_run(Suite *s);

#endif
