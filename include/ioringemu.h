/*
 * ioringemu.h - what ioringemu adds to the Windows API (the iore_ prefix).
 * Windows code never needs this header; tests, ports and tools may.
 */
#ifndef IORINGEMU_H
#define IORINGEMU_H

#include <minwindef.h>
#include <winnt.h>
#include <ioringapi.h>

IORE_EXTERN_C_BEGIN

/* ---- POSIX interop
 * iore_handle_from_fd: a file HANDLE for an open descriptor. The handle
 * borrows fd: CloseHandle() forgets it but does not close fd. Access rights
 * come from fcntl(F_GETFL). INVALID_HANDLE_VALUE and the last error
 * ERROR_INVALID_HANDLE for a descriptor that is not open.
 * iore_fd_from_handle: the descriptor behind a file HANDLE (still owned by
 * the handle), or -1 with the last error ERROR_INVALID_HANDLE. */
HANDLE iore_handle_from_fd(int fd);
int iore_fd_from_handle(HANDLE h);

/* ---- Error translation
 * iore_win32_from_errno: the Win32 error the library reports (GetLastError,
 * and HRESULT_FROM_WIN32 of it in IoRing CQEs) for host errno err.
 * iore_wsa_from_errno: the Winsock code it reports for err on a socket.
 * An errno with no mapping gives ERROR_GEN_FAILURE / WSAEOPNOTSUPP and is
 * reported once per value on stderr. Neither touches the last error. */
DWORD iore_win32_from_errno(int err);
int iore_wsa_from_errno(int err);

/* ---- Fault injection (also what the test suite uses)
 * Calls that can be failed: "pread", "pwrite", "preadv", "pwritev",
 * "preadv2", "pwritev2", "fsync", "fdatasync", "sync_file_range", "mlock",
 * "munlock", "getrlimit", "open", and
 * "alloc" (the allocations CreateIoRing makes for a ring and its queues).
 * iore_fault_inject: the nth call (1 = the next one) of `call` made from now
 * on fails with errno err, once. nth == 0 disarms it. Returns 0, or -1 with
 * errno EINVAL for an unknown call name (or err <= 0 while nth != 0).
 * iore_fault_set_hook: fn runs before every such call, on the thread that
 * makes it; returning 0 lets the call proceed, returning an errno value
 * fails it with that errno. NULL removes the hook. The hook may block (a
 * test can hold pool workers this way). */
int iore_fault_inject(const char *call, unsigned nth, int err);
typedef int (*iore_fault_hook)(const char *call, void *arg);
void iore_fault_set_hook(iore_fault_hook fn, void *arg);
void iore_fault_clear(void);

/* ---- IoRing extensions */
/* A NOP entry (Windows has IORING_OP_NOP but no builder): CQE S_OK, 0. */
HRESULT iore_build_nop(HIORING ioRing, UINT_PTR userData, IORING_SQE_FLAGS sqeFlags);

/* Strict pinning: a registered buffer that mlock refuses fails the
 * registration with HRESULT_FROM_WIN32(ERROR_WORKING_SET_QUOTA) instead of
 * staying unpinned. Also set by IORINGEMU_STRICT_PINNING=1. Process-wide. */
void iore_set_strict_pinning(BOOL strict);

typedef struct IORE_RING_STATS {
    UINT32 registered_buffers;   /* entries in the current buffer table, empty slots included */
    UINT32 registered_files;     /* entries in the current file table */
    UINT64 bytes_pinned;         /* bytes of the current table's buffers that are locked */
    UINT64 bytes_unpinned;       /* bytes of the current table's buffers mlock refused */
    UINT32 submission_queue_used;/* built, not yet submitted */
    UINT32 in_flight;            /* dispatched, CQE not yet posted */
    UINT32 completion_queue_used;/* posted, not yet popped */
} IORE_RING_STATS;
/* S_OK; E_HANDLE for an invalid ring; E_INVALIDARG for a NULL stats. */
HRESULT iore_ring_stats(HIORING ioRing, IORE_RING_STATS *stats);

IORE_EXTERN_C_END

#endif
