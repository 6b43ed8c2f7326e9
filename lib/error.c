/*
 * error.c - host errno -> Win32 / HRESULT / Winsock, and the thread's last
 * error (GetLastError/SetLastError).
 *
 * Every API function converts an internal -errno once, here, through the
 * table in errmap.h. An errno without a mapping is not guessed: it becomes
 * ERROR_GEN_FAILURE (Win32) or WSAEOPNOTSUPP (Winsock) and is reported on
 * stderr the first time each table meets that errno value, so a missing row
 * is noticed instead of silently turning into a generic failure.
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* The thread's last error. Lifetime: the thread's; no locking (thread-local);
 * fork: the forking thread's value carries over to the child's only thread,
 * as Windows has no fork to compare with and that is the least surprising. */
static _Thread_local DWORD last_error;

/* Errno values the kernel can return lie in 1..4095 (MAX_ERRNO). */
#define ERRNO_LIMIT 4096
#define WORD_BITS (sizeof(unsigned long) * CHAR_BIT)
#define WORDS ((ERRNO_LIMIT + WORD_BITS - 1) / WORD_BITS)

/* "Already reported" bits, one set per table, indexed by errno; bit 0 stands
 * for every value outside 1..4095 (a caller passing -errno or 0 is a bug, and
 * one report of it is enough). Lifetime: the process's; lock-free: a bit is
 * claimed by atomic fetch_or, so exactly one thread prints each report; the
 * bits order nothing else (relaxed). Fork: the child inherits the bits and
 * does not repeat reports the parent made. */
struct reported {
    atomic_ulong bits[WORDS];
};
static struct reported win32_reported;
static struct reported wsa_reported;

/* Returns 1 for the first caller to claim err's bit, 0 afterwards. */
static int first_report(struct reported *r, int err)
{
    unsigned idx = (err > 0 && err < ERRNO_LIMIT) ? (unsigned)err : 0;
    unsigned long bit = 1UL << (idx % WORD_BITS);
    unsigned long old = atomic_fetch_or_explicit(&r->bits[idx / WORD_BITS], bit,
                                                 memory_order_relaxed);
    return !(old & bit);
}

static const char *errno_name(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *name = strerrorname_np(err);
    if (name)
        return name;
#endif
    (void)err;
    return "?";
}

static void report_unmapped(struct reported *r, const char *table, const char *fallback,
                            int err, const char *op)
{
    if (!first_report(r, err))
        return;
    /* One fprintf call: stdio locks the stream, so concurrent reports of
     * different values do not interleave within a line. */
    fprintf(stderr, "ioringemu: %s: errno %d (%s, %s) has no %s mapping; reporting %s\n",
            op ? op : "(unknown operation)", err, errno_name(err), strerror(err), table,
            fallback);
}

/* 0 when err has no row or its row leaves the Win32 column empty. */
static DWORD win32_row(int err)
{
    switch (err) {
#define IORE_ERRNO(e, win32, wsa) case e: return (win32);
#include "errmap.h"
#undef IORE_ERRNO
    default:
        return 0;
    }
}

static int wsa_row(int err)
{
    switch (err) {
#define IORE_ERRNO(e, win32, wsa) case e: return (wsa);
#include "errmap.h"
#undef IORE_ERRNO
    default:
        return 0;
    }
}

DWORD iore__win32_from_errno(int err, const char *op)
{
    DWORD win32 = win32_row(err);
    if (win32)
        return win32;
    report_unmapped(&win32_reported, "Win32", "ERROR_GEN_FAILURE", err, op);
    return ERROR_GEN_FAILURE;
}

HRESULT iore__hresult_from_errno(int err, const char *op)
{
    return HRESULT_FROM_WIN32(iore__win32_from_errno(err, op));
}

int iore__wsa_from_errno(int err, const char *op)
{
    int wsa = wsa_row(err);
    if (wsa)
        return wsa;
    report_unmapped(&wsa_reported, "Winsock", "WSAEOPNOTSUPP", err, op);
    return WSAEOPNOTSUPP;
}

BOOL iore__fail_errno(int err, const char *op)
{
    last_error = iore__win32_from_errno(err, op);
    return FALSE;
}

BOOL iore__fail(DWORD win32)
{
    last_error = win32;
    return FALSE;
}

IORE_API DWORD WINAPI GetLastError(void)
{
    return last_error;
}

IORE_API void WINAPI SetLastError(DWORD dwErrCode)
{
    last_error = dwErrCode;
}

IORE_API DWORD iore_win32_from_errno(int err)
{
    return iore__win32_from_errno(err, "iore_win32_from_errno");
}

IORE_API int iore_wsa_from_errno(int err)
{
    return iore__wsa_from_errno(err, "iore_wsa_from_errno");
}
