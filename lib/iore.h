/*
 * iore.h - the library's internal contracts (never installed).
 *
 * Conventions
 *   - Public Windows names keep their exact spelling; exported extensions are
 *     iore_*; non-static internals are iore__*; statics use plain names.
 *   - Only functions marked IORE_API are exported (the build uses
 *     -fvisibility=hidden and lib/libioringemu.sym).
 *   - Internals return 0 or -errno (or a Win32 error / HRESULT where the name
 *     says so). Conversion to the Windows value happens once, at the API
 *     boundary, through lib/error.c.
 *   - Output parameters are written only on success.
 */
#ifndef IORE_INTERNAL_H
#define IORE_INTERNAL_H

/* The library defines the W functions under their own names, whatever its
 * wchar_t width (winbase.h would otherwise rename them under -fshort-wchar). */
#define IORE_NO_WCHAR16_ROUTING 1

#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <time.h>

#include "atomics.h"

#define IORE_API __attribute__((visibility("default")))

/* ------------------------------------------------------------------ errors
 * lib/error.c. The one translation table (lib/errmap.h, an X-macro) maps a
 * host errno to the Win32 error Windows reports for the same condition.
 * An errno without a row yields ERROR_GEN_FAILURE and is reported once per
 * errno value on stderr, naming the operation ("op") that met it.
 */
DWORD iore__win32_from_errno(int err, const char *op);
HRESULT iore__hresult_from_errno(int err, const char *op);
/* errno (positive) -> Winsock WSAE* code, for sockets (rio.md); same rules. */
int iore__wsa_from_errno(int err, const char *op);
/* Sets the thread's last error from errno through the table; returns FALSE
 * so that callers can `return iore__fail_errno(errno, "CreateFileW");`. */
BOOL iore__fail_errno(int err, const char *op);
/* Sets the last error to a Win32 code; returns FALSE (same idiom). */
BOOL iore__fail(DWORD win32);

/* ------------------------------------------------------------------ handles
 * lib/handle.c. One process-wide table for every HANDLE the library issues.
 * A HANDLE is (generation << 32) | ((slot + 1) << 2): a multiple of 4, never
 * 0 nor INVALID_HANDLE_VALUE, and a stale value never matches the slot's
 * current generation, so it is reported instead of aliased.
 *
 * Objects are reference counted. The table holds one reference for as long
 * as the handle is open; iore__handle_get() returns a new reference that the
 * caller drops with iore__obj_unref(). Lookup takes no lock (see handle.c for
 * the memory ordering).
 */
enum iore__kind {
    IORE_KIND_NONE = 0,
    IORE_KIND_FILE,
    IORE_KIND_EVENT,
    IORE_KIND_THREAD,
    IORE_KIND_RING,
    IORE_KIND_MODULE,
    IORE_KIND_FIND,    /* FindFirstFile search handle */
    IORE_KIND_SOCKET,
    IORE_KIND_ANY = 0xff /* lookup wildcard, never an object's kind */
};

struct iore__obj {
    atomic_uint refs;
    enum iore__kind kind;
    /* Called when the last reference goes; frees the object. */
    void (*destroy)(struct iore__obj *obj);
};

void iore__obj_init(struct iore__obj *obj, enum iore__kind kind,
                    void (*destroy)(struct iore__obj *));
void iore__obj_ref(struct iore__obj *obj);
void iore__obj_unref(struct iore__obj *obj);
/* Drops n (>= 1) references in one atomic operation. */
void iore__obj_unref_n(struct iore__obj *obj, uint32_t n);

/* Enters obj in the table, taking over the caller's reference. Returns NULL
 * (and leaves obj untouched) when the table is full. */
HANDLE iore__handle_new(struct iore__obj *obj);
/* Returns a new reference, or NULL with *why set to ERROR_INVALID_HANDLE for
 * an unknown/closed/stale value or when the kind differs from want (unless
 * want is IORE_KIND_ANY). why may be NULL. */
struct iore__obj *iore__handle_get(HANDLE h, enum iore__kind want, DWORD *why);
/* For short calls that never block: returns the object without taking a
 * reference, keeping it alive by a pin on its slot instead (the handle may
 * be closed meanwhile; the table's reference then goes when the pin does).
 * On success *pin is set and must be passed to iore__handle_unpin() once,
 * after the last use of the object. NULL as iore__handle_get (no why). */
struct iore__obj *iore__handle_pin(HANDLE h, enum iore__kind want, uint32_t *pin);
void iore__handle_unpin(uint32_t pin);
/* Removes the handle and drops the table's reference. Returns 0, or
 * -EBADF if h is not an open handle of kind want (or any kind). */
int iore__handle_close(HANDLE h, enum iore__kind want);
/* After fork(): marks every handle of kind as closed in the child without
 * calling destroy (the child does not own their threads or memory). */
void iore__handle_forget_kind(enum iore__kind kind);

/* ------------------------------------------------------------------ files
 * lib/file.c. What the I/O path needs of a file object.
 */
struct iore__file {
    struct iore__obj obj;
    /* obj.refs is written by every submit that resolves the handle; what
     * follows is read by every I/O, on whichever core runs it. Keeping
     * them at least a cache line apart (whatever the allocation's
     * alignment) stops the reads from invalidating the count's line. */
    char refs_apart[64];
    int fd;
    DWORD access;          /* GENERIC_READ/GENERIC_WRITE as granted */
    DWORD flags;           /* FILE_FLAG_* given to CreateFile */
    uint32_t sector;       /* alignment for FILE_FLAG_NO_BUFFERING, else 0 */
    unsigned char seekable;/* regular file or block device */
    unsigned char kind;    /* IORE_FD_REG, IORE_FD_PIPE, IORE_FD_SOCK, IORE_FD_CHR, IORE_FD_DIR */
    unsigned char owns_fd; /* close(fd) on destroy (not for iore_handle_from_fd(...,FALSE)) */
    char *delete_path;     /* FILE_FLAG_DELETE_ON_CLOSE: unlinked on destroy */
};
enum { IORE_FD_REG = 1, IORE_FD_PIPE, IORE_FD_SOCK, IORE_FD_CHR, IORE_FD_DIR, IORE_FD_BLK };

/* Returns a referenced file object, or NULL (why = ERROR_INVALID_HANDLE). */
struct iore__file *iore__file_get(HANDLE h, DWORD *why);
static inline void iore__file_put(struct iore__file *f) { iore__obj_unref(&f->obj); }

/* ------------------------------------------------------------------ events
 * lib/sync.c. Events are shared by the Win32 layer and the ring (completion
 * event). iore__event_set() is safe from any thread, including pool workers.
 */
struct iore__event;
struct iore__event *iore__event_get(HANDLE h, DWORD *why); /* referenced */
void iore__event_put(struct iore__event *ev);
void iore__event_set(struct iore__event *ev);
/* Every timed wait in the library (events, the submit wait and DRAIN, pool
 * runners) is measured on CLOCK_MONOTONIC, so that setting the wall clock
 * neither shortens nor stretches it. 0 or a positive pthread error. */
int iore__cond_init_monotonic(pthread_cond_t *cond);
/* The CLOCK_MONOTONIC time ns nanoseconds from now, for pthread_cond_timedwait. */
struct timespec iore__deadline_after_ns(uint64_t ns);
/* A handle-less event (refs 1, drop with iore__event_put) for objects that
 * signal like one: a thread object sets its exit event (lib/process.c). */
struct iore__event *iore__event_new(BOOL manual_reset, BOOL initial_state);
/* lib/process.c: the exit event of a thread object (manual reset, set once
 * the thread's routine has returned), borrowed: valid while the caller holds
 * obj; NULL if obj is not a thread. Lets the waits of lib/sync.c treat
 * thread handles as events. */
struct iore__event *iore__thread_event(struct iore__obj *obj);

/* ------------------------------------------------------------------ paths
 * lib/path.c. Windows path -> host path: '\\' becomes '/', "X:\..." maps to
 * $IORINGEMU_DRIVE_X (else to "/"), "\\\\?\\" prefixes are stripped.
 * Returns a malloc'd string or NULL with errno set (ENOMEM, EILSEQ, ENAMETOOLONG).
 */
char *iore__path_from_w(const WCHAR *wpath);
char *iore__path_from_a(const char *apath);
/* WCHAR string <-> UTF-8, whatever sizeof(WCHAR) is (4, or 2 under
 * -fshort-wchar). Returned strings are malloc'd; NULL with errno on failure. */
char *iore__utf8_from_w(const WCHAR *w);
WCHAR *iore__w_from_utf8(const char *s);
/* Sets the last error for a name that could not be converted (errno from
 * the functions above): EILSEQ -> ERROR_INVALID_NAME, ENAMETOOLONG ->
 * ERROR_FILENAME_EXCED_RANGE, else the errno table. Returns FALSE. */
BOOL iore__fail_name(int err, const char *op);
/* Windows wildcard match of a UTF-8 name: '*' any run, '?' one character,
 * "*.*" everything; case-insensitive as Windows compares names. 1 or 0. */
int iore__path_match(const char *pattern, const char *name);

/* ------------------------------------------------------------------ UTF-16 entry points
 * lib/wide16.c. What winbase.h routes the W functions to in a program
 * compiled with 2-byte wchar_t (-fshort-wchar): the same calls with UTF-16
 * strings (uint16_t units, surrogate pairs) and WIN32_FIND_DATAW in its
 * 2-byte layout. Declared here with the library's own types; winbase.h
 * declares them with the caller's WCHAR.
 */
struct iore__find_data16 {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime;
    FILETIME ftLastAccessTime;
    FILETIME ftLastWriteTime;
    DWORD nFileSizeHigh;
    DWORD nFileSizeLow;
    DWORD dwReserved0;
    DWORD dwReserved1;
    uint16_t cFileName[MAX_PATH];
    uint16_t cAlternateFileName[14];
};
HANDLE WINAPI iore_u16_CreateFileW(const uint16_t *lpFileName, DWORD dwDesiredAccess,
                                   DWORD dwShareMode, LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                   DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                                   HANDLE hTemplateFile);
BOOL WINAPI iore_u16_DeleteFileW(const uint16_t *lpFileName);
DWORD WINAPI iore_u16_GetFileAttributesW(const uint16_t *lpFileName);
HANDLE WINAPI iore_u16_FindFirstFileW(const uint16_t *lpFileName,
                                      struct iore__find_data16 *lpFindFileData);
BOOL WINAPI iore_u16_FindNextFileW(HANDLE hFindFile, struct iore__find_data16 *lpFindFileData);
DWORD WINAPI iore_u16_GetTempPathW(DWORD nBufferLength, uint16_t *lpBuffer);
HANDLE WINAPI iore_u16_CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                                    BOOL bInitialState, const uint16_t *lpName);
HMODULE WINAPI iore_u16_LoadLibraryW(const uint16_t *lpLibFileName);
HMODULE WINAPI iore_u16_GetModuleHandleW(const uint16_t *lpModuleName);
int WINAPI iore_u16_lstrlenW(const uint16_t *lpString);

/* ------------------------------------------------------------------ syscalls
 * lib/sys.c. Every system call whose failure a test must be able to force
 * goes through this table. iore_fault_inject() (public extension) makes the
 * Nth call of one entry fail with a chosen errno; tests use the same hook.
 * Each wrapper retries EINTR itself; short transfers are the caller's.
 */
ssize_t iore__sys_pread(int fd, void *buf, size_t len, off_t off);
ssize_t iore__sys_pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t iore__sys_preadv(int fd, const struct iovec *iov, int cnt, off_t off);
ssize_t iore__sys_pwritev(int fd, const struct iovec *iov, int cnt, off_t off);
/* preadv2/pwritev2 with flags (RWF_NOWAIT, RWF_DSYNC); -1/ENOSYS where absent. */
ssize_t iore__sys_preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags);
ssize_t iore__sys_pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags);
int iore__sys_fsync(int fd);
int iore__sys_fdatasync(int fd);
int iore__sys_sync_file_range(int fd, off_t off, off_t len, unsigned flags);
int iore__sys_mlock(const void *addr, size_t len);
int iore__sys_munlock(const void *addr, size_t len);
int iore__sys_getrlimit(int resource, struct rlimit *rl);
int iore__sys_open(const char *path, int flags, mode_t mode);
void *iore__sys_calloc(size_t nmemb, size_t size);

/* ------------------------------------------------------------------ pinning
 * lib/pin.c. Process-wide per-page pin counts shared by ring registrations,
 * RIO and VirtualLock: a page is mlock()ed on 0->1 and munlock()ed on 1->0.
 * iore__pin() returns 0 or -errno from mlock (after undoing its own 0->1
 * transitions, so a failure leaves every count as it was).
 */
int iore__pin(const void *addr, size_t len);
void iore__unpin(const void *addr, size_t len);
size_t iore__page_size(void);
/* VirtualLock's pins, counted on the same pages but also apart, so that
 * VirtualUnlock drops only pins VirtualLock took: iore__unpin_user returns
 * -ENOENT, changing nothing, if some page of the range holds none. On
 * VirtualFree, iore__unpin_user_all drops every VirtualLock pin of a range. */
int iore__pin_user(const void *addr, size_t len);
int iore__unpin_user(const void *addr, size_t len);
void iore__unpin_user_all(const void *addr, size_t len);

/* ------------------------------------------------------------------ pool
 * lib/pool.c (the only file that includes <uv.h>). Runs blocking work on
 * libuv's thread pool. A work item is owned by its submitter until done()
 * is called, exactly once, with status 0 after run() executed, or with
 * -ECANCELED if it was withdrawn before starting.
 */
struct iore__work {
    void (*run)(struct iore__work *w);             /* on a pool thread */
    void (*done)(struct iore__work *w, int status);/* on any library thread */
    void *priv[6];                                 /* pool.c's private state */
};
int iore__pool_submit(struct iore__work *w);
/* As iore__pool_submit, for work the caller could do itself (a run's
 * helper, dispatch.c): it is queued for a runner that exists, and a new
 * runner is asked for only when none does, so offers never grow the pool
 * nor put a second spinning runner on a core the submitter needs. The
 * caller withdraws it with iore__pool_cancel once it no longer helps. */
int iore__pool_offer(struct iore__work *w);
/* Asks that w be withdrawn; returns 0 if it will complete with -ECANCELED,
 * -EBUSY if it already started (it then completes normally). */
int iore__pool_cancel(struct iore__work *w);

#endif
