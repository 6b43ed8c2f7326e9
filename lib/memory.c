/*
 * memory.c - VirtualAlloc, VirtualFree, VirtualLock, VirtualUnlock.
 *
 * Allocations. Each VirtualAlloc that reserves makes one anonymous private
 * mapping: reserved pages are PROT_NONE, committing is mprotect(), so
 * committed memory is zero-filled on first touch as Windows guarantees.
 * A new region starts on a 64 KiB boundary (the allocation granularity
 * GetSystemInfo reports) and spans whole pages. Decommitting maps fresh
 * PROT_NONE pages over the range, which discards the contents, so pages
 * committed again read as zero. MEM_RELEASE unmaps the whole region, which
 * is why regions are tracked: Windows frees a region by its base address
 * alone (size 0).
 *
 * Locking pages. VirtualLock/VirtualUnlock go through the process-wide page
 * pins of lib/pin.c, shared with IoRing registered buffers, so they nest
 * with registrations instead of undoing them (mlock does not nest).
 * Difference from Windows, on purpose (ioring.md 13.4): VirtualLock calls
 * are counted, so two overlapping VirtualLocks need two VirtualUnlocks
 * before the shared pages are unlocked; on Windows the first unlock would
 * do it. VirtualUnlock of a page VirtualLock did not lock fails with
 * ERROR_NOT_LOCKED and unlocks nothing. Freeing or decommitting memory drops
 * VirtualLock's pins on it, as Windows unlocks pages it frees.
 *
 * Global state (struct regions). Lifetime: the process's. regions.lock
 * protects the table; lock order: regions.lock, then pin.c's lock (a leaf);
 * nothing else is taken while it is held. It is held across the mmap/munmap
 * calls so that the table and the address space change together.
 * Fork: pthread_atfork holds regions.lock across fork(); the child inherits
 * the mappings, so its copy of the table stays valid. (The child inherits
 * no memory locks; pin.c resets its counts there.)
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Windows values the shared headers do not spell (winnt.h/winerror.h). */
#ifndef PAGE_WRITECOPY
#define PAGE_WRITECOPY 0x08
#endif
#ifndef PAGE_EXECUTE_WRITECOPY
#define PAGE_EXECUTE_WRITECOPY 0x80
#endif
#ifndef PAGE_GUARD
#define PAGE_GUARD 0x100
#endif
#ifndef PAGE_NOCACHE
#define PAGE_NOCACHE 0x200
#endif
#ifndef PAGE_WRITECOMBINE
#define PAGE_WRITECOMBINE 0x400
#endif
#ifndef MEM_TOP_DOWN
#define MEM_TOP_DOWN 0x00100000
#endif
#ifndef ERROR_PRIVILEGE_NOT_HELD
#define ERROR_PRIVILEGE_NOT_HELD 1314
#endif

#define GRANULARITY ((uintptr_t)65536)

struct region {
    uintptr_t base;
    size_t size;     /* whole pages */
    bool locked;     /* VirtualLock touched it: free must drop its pins */
};

static struct regions {
    pthread_mutex_t lock;
    struct region *v;    /* sorted by base, non-overlapping */
    size_t n, cap;
} regions = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ------------------------------------------------------------------ fork */

static void atfork_prepare(void) { pthread_mutex_lock(&regions.lock); }
static void atfork_release(void) { pthread_mutex_unlock(&regions.lock); }
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void)
{
    /* Failure (ENOMEM) leaves fork() unprotected, not the table broken. */
    (void)pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

/* ------------------------------------------------------------------ region table (under regions.lock) */

/* Index of the first region whose base is > addr. */
static size_t upper(uintptr_t addr)
{
    size_t lo = 0, hi = regions.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (regions.v[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The region holding all of [start, end), or NULL. */
static struct region *containing(uintptr_t start, uintptr_t end)
{
    size_t i = upper(start);
    if (i == 0)
        return NULL;
    struct region *r = &regions.v[i - 1];
    return start < r->base + r->size && end <= r->base + r->size ? r : NULL;
}

static int add_region(uintptr_t base, size_t size)
{
    if (regions.n == regions.cap) {
        size_t cap = regions.cap ? 2 * regions.cap : 16;
        struct region *v = realloc(regions.v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        regions.v = v;
        regions.cap = cap;
    }
    size_t i = upper(base);
    memmove(&regions.v[i + 1], &regions.v[i], (regions.n - i) * sizeof *regions.v);
    regions.v[i] = (struct region){ .base = base, .size = size };
    regions.n++;
    return 0;
}

static void remove_region(struct region *r)
{
    size_t i = (size_t)(r - regions.v);
    memmove(r, r + 1, (regions.n - i - 1) * sizeof *r);
    if (--regions.n == 0) {
        free(regions.v);
        regions.v = NULL;
        regions.cap = 0;
    }
}

/* ------------------------------------------------------------------ helpers */

static uintptr_t page_mask(void) { return (uintptr_t)iore__page_size() - 1; }

/* Page-aligned [*start, *end) covering [addr, addr + size); false if it wraps. */
static bool page_range(uintptr_t addr, size_t size, uintptr_t *start, uintptr_t *end)
{
    uintptr_t mask = page_mask();
    if (addr + size < addr || addr + size > UINTPTR_MAX - mask)
        return false;
    *start = addr & ~mask;
    *end = (addr + size + mask) & ~mask;
    return true;
}

/* PAGE_* -> PROT_*; 0 or the Win32 error. One base protection, optionally
 * with PAGE_NOCACHE or PAGE_WRITECOMBINE (cache attributes mean nothing to
 * user memory here and are accepted as no-ops). */
static DWORD prot_from(DWORD protect, int *prot)
{
    DWORD mods = protect & ~(DWORD)0xff;
    if (mods & PAGE_GUARD)
        return ERROR_NOT_SUPPORTED; /* one-shot guard pages are not emulated */
    if (mods & ~(DWORD)(PAGE_NOCACHE | PAGE_WRITECOMBINE) ||
        mods == (PAGE_NOCACHE | PAGE_WRITECOMBINE))
        return ERROR_INVALID_PARAMETER;
    switch (protect & 0xff) {
    case PAGE_NOACCESS: *prot = PROT_NONE; return mods ? ERROR_INVALID_PARAMETER : 0;
    case PAGE_READONLY: *prot = PROT_READ; return 0;
    case PAGE_READWRITE: *prot = PROT_READ | PROT_WRITE; return 0;
    case PAGE_EXECUTE: *prot = PROT_EXEC; return 0;
    case PAGE_EXECUTE_READ: *prot = PROT_READ | PROT_EXEC; return 0;
    case PAGE_EXECUTE_READWRITE: *prot = PROT_READ | PROT_WRITE | PROT_EXEC; return 0;
    default: return ERROR_INVALID_PARAMETER; /* none, several, or *_WRITECOPY */
    }
}

static LPVOID fail_null(DWORD win32)
{
    iore__fail(win32);
    return NULL;
}

/* mmap/mprotect failures as VirtualAlloc reports them. */
static LPVOID fail_map(int err)
{
    if (err == ENOMEM || err == EAGAIN)
        return fail_null(ERROR_NOT_ENOUGH_MEMORY);
    iore__fail_errno(err, "VirtualAlloc");
    return NULL;
}

/* ------------------------------------------------------------------ VirtualAlloc */

/* Maps len bytes at a 64 KiB boundary (anywhere) by over-mapping and
 * trimming; MAP_FAILED with errno on failure. */
static void *map_aligned(size_t len, int prot, int flags)
{
    size_t extra = GRANULARITY - iore__page_size();
    if (len > SIZE_MAX - extra) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    char *p = mmap(NULL, len + extra, prot, flags, -1, 0);
    if (p == MAP_FAILED)
        return p;
    char *base = (char *)(((uintptr_t)p + GRANULARITY - 1) & ~(GRANULARITY - 1));
    if (base > p)
        munmap(p, (size_t)(base - p));
    if (base + len < p + len + extra)
        munmap(base + len, (size_t)(p + len + extra - (base + len)));
    return base;
}

/* Maps [start, end) exactly, where nothing is mapped yet. */
static void *map_at(uintptr_t start, uintptr_t end, int prot, int flags)
{
    /* Windows' user range (GetSystemInfo): outside it is a bad parameter. */
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    if (start < (uintptr_t)si.lpMinimumApplicationAddress ||
        end - 1 > (uintptr_t)si.lpMaximumApplicationAddress) {
        iore__fail(ERROR_INVALID_PARAMETER);
        return MAP_FAILED;
    }
    void *base = mmap((void *)start, end - start, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
    if (base != MAP_FAILED && (uintptr_t)base != start) {
        munmap(base, end - start); /* a kernel without MAP_FIXED_NOREPLACE */
        base = MAP_FAILED;
        errno = EEXIST;
    }
    if (base == MAP_FAILED && errno != ENOMEM)
        iore__fail(ERROR_INVALID_ADDRESS); /* EEXIST: something is there */
    else if (base == MAP_FAILED)
        fail_map(errno);
    return base;
}

/* Reserves a new region at hint (rounded down to 64 KiB) or anywhere, and
 * commits it with prot if commit. */
static LPVOID reserve(uintptr_t hint, size_t size, bool commit, int prot)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (commit ? 0 : MAP_NORESERVE);
    int p_prot = commit ? prot : PROT_NONE;
    uintptr_t start, end;
    if (!page_range(hint, size, &start, &end))
        return fail_null(ERROR_INVALID_PARAMETER);
    void *base;
    if (hint) {
        start = hint & ~(GRANULARITY - 1);
        if ((base = map_at(start, end, p_prot, flags)) == MAP_FAILED)
            return NULL; /* the last error is set */
    } else if ((base = map_aligned(end - start, p_prot, flags)) == MAP_FAILED) {
        return fail_map(errno);
    }
    pthread_mutex_lock(&regions.lock);
    int err = add_region((uintptr_t)base, end - start);
    pthread_mutex_unlock(&regions.lock);
    if (err) {
        munmap(base, end - start);
        return fail_map(-err);
    }
    return base;
}

/* Commits pages of an existing region. */
static LPVOID commit(uintptr_t addr, size_t size, int prot)
{
    uintptr_t start, end;
    if (!page_range(addr, size, &start, &end))
        return fail_null(ERROR_INVALID_ADDRESS);
    pthread_mutex_lock(&regions.lock);
    int err = 0;
    if (!containing(start, end))
        err = -EFAULT;
    else if (mprotect((void *)start, end - start, prot) < 0)
        err = -errno;
    pthread_mutex_unlock(&regions.lock);
    if (err == -EFAULT)
        return fail_null(ERROR_INVALID_ADDRESS);
    if (err)
        return fail_map(-err);
    return (LPVOID)start;
}

/* MEM_RESET: the contents of committed pages are no longer of interest. */
static LPVOID reset(uintptr_t addr, size_t size)
{
    uintptr_t start, end;
    if (!addr || !page_range(addr, size, &start, &end))
        return fail_null(ERROR_INVALID_ADDRESS);
    pthread_mutex_lock(&regions.lock);
    bool ok = containing(start, end) != NULL;
    /* MADV_FREE keeps the data until memory is needed, as MEM_RESET does;
     * advice is best effort, so a kernel refusing it changes nothing. */
    if (ok)
        (void)madvise((void *)start, end - start, MADV_FREE);
    pthread_mutex_unlock(&regions.lock);
    if (!ok)
        return fail_null(ERROR_INVALID_ADDRESS);
    return (LPVOID)start;
}

IORE_API LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                                    DWORD flProtect)
{
    DWORD type = flAllocationType & ~(DWORD)MEM_TOP_DOWN; /* placement hint only */
    int prot = PROT_NONE;
    pthread_once(&atfork_once, register_atfork);
    if (!dwSize)
        return fail_null(ERROR_INVALID_PARAMETER);
    DWORD err = prot_from(flProtect, &prot);
    if (err)
        return fail_null(err);
    if (type == MEM_RESET)
        return reset((uintptr_t)lpAddress, dwSize);
    if (type & ~(DWORD)(MEM_COMMIT | MEM_RESERVE | MEM_LARGE_PAGES) ||
        !(type & (MEM_COMMIT | MEM_RESERVE)))
        return fail_null(ERROR_INVALID_PARAMETER);
    /* Large pages need SeLockMemoryPrivilege, which nobody holds here. */
    if (type & MEM_LARGE_PAGES)
        return fail_null(ERROR_PRIVILEGE_NOT_HELD);
    if ((type & MEM_RESERVE) || !lpAddress)
        return reserve((uintptr_t)lpAddress, dwSize, (type & MEM_COMMIT) != 0, prot);
    return commit((uintptr_t)lpAddress, dwSize, prot);
}

/* ------------------------------------------------------------------ VirtualFree */

static BOOL release(uintptr_t addr)
{
    pthread_mutex_lock(&regions.lock);
    struct region *r = containing(addr, addr);
    if (!r || r->base != addr) {
        pthread_mutex_unlock(&regions.lock);
        /* Windows: STATUS_FREE_VM_NOT_AT_BASE / STATUS_MEMORY_NOT_ALLOCATED. */
        return iore__fail(ERROR_INVALID_ADDRESS);
    }
    /* Unpin while still mapped (munlock of an unmapped range fails). */
    if (r->locked)
        iore__unpin_user_all((void *)r->base, r->size);
    /* Bookkeeping first, unmapping last: an allocation made after the
     * munmap (by the region table, or a sanitizer's allocator under it)
     * could be placed in the hole just made, and the caller's released
     * address would be mapped again before VirtualFree returns. */
    void *base = (void *)r->base;
    size_t size = r->size;
    remove_region(r);
    munmap(base, size);
    pthread_mutex_unlock(&regions.lock);
    return TRUE;
}

/* Decommits [addr, addr + size), or to the end of the region for size 0. */
static BOOL decommit(uintptr_t addr, size_t size)
{
    uintptr_t start, end;
    if (!page_range(addr, size, &start, &end))
        return iore__fail(ERROR_INVALID_ADDRESS);
    pthread_mutex_lock(&regions.lock);
    struct region *r = containing(start, size ? end : start);
    int err = r ? 0 : -EFAULT;
    if (r) {
        if (!size)
            end = r->base + r->size;
        if (r->locked)
            iore__unpin_user_all((void *)start, end - start);
        if (mmap((void *)start, end - start, PROT_NONE,
                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
            err = -errno;
    }
    pthread_mutex_unlock(&regions.lock);
    if (err == -EFAULT)
        return iore__fail(ERROR_INVALID_ADDRESS);
    if (err)
        return iore__fail_errno(-err, "VirtualFree");
    return TRUE;
}

IORE_API BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    switch (dwFreeType) {
    case MEM_RELEASE:
        /* A region is released whole, named by its base and size 0. */
        if (dwSize)
            return iore__fail(ERROR_INVALID_PARAMETER);
        return release((uintptr_t)lpAddress);
    case MEM_DECOMMIT:
        return decommit((uintptr_t)lpAddress, dwSize);
    default:
        return iore__fail(ERROR_INVALID_PARAMETER);
    }
}

/* ------------------------------------------------------------------ VirtualLock / VirtualUnlock */

/* Marks the regions overlapping [start, end) as having been locked. */
static void mark_locked(uintptr_t start, uintptr_t end)
{
    for (size_t i = upper(start); i > 0; i--) {
        struct region *r = &regions.v[i - 1];
        if (r->base + r->size <= start)
            break;
        r->locked = true;
    }
    for (size_t i = upper(start); i < regions.n && regions.v[i].base < end; i++)
        regions.v[i].locked = true;
}

/* Checks a range for VirtualLock/VirtualUnlock; 0 or the Win32 error. */
static DWORD lock_range(LPVOID addr, SIZE_T size, uintptr_t *start, uintptr_t *end)
{
    if (!size || !page_range((uintptr_t)addr, size, start, end))
        return ERROR_INVALID_PARAMETER;
    /* msync() reports ENOMEM for a range that is not fully mapped, without
     * touching it: locking it must fail like a bad pointer, not fault. */
    if (!addr || msync((void *)*start, *end - *start, MS_ASYNC) < 0)
        return ERROR_NOACCESS;
    return 0;
}

IORE_API BOOL WINAPI VirtualLock(LPVOID lpAddress, SIZE_T dwSize)
{
    uintptr_t start, end;
    DWORD why = lock_range(lpAddress, dwSize, &start, &end);
    if (why)
        return iore__fail(why);
    pthread_mutex_lock(&regions.lock);
    int err = iore__pin_user((void *)start, end - start);
    if (!err)
        mark_locked(start, end);
    pthread_mutex_unlock(&regions.lock);
    /* mlock: EPERM without CAP_IPC_LOCK and a zero limit, ENOMEM over
     * RLIMIT_MEMLOCK, EAGAIN when pages could not be locked: all are
     * Windows' working-set limit. */
    if (err == -ENOMEM || err == -EPERM || err == -EAGAIN)
        return iore__fail(ERROR_WORKING_SET_QUOTA);
    if (err)
        return iore__fail_errno(-err, "VirtualLock");
    return TRUE;
}

IORE_API BOOL WINAPI VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize)
{
    uintptr_t start, end;
    DWORD why = lock_range(lpAddress, dwSize, &start, &end);
    if (why)
        return iore__fail(why);
    if (iore__unpin_user((void *)start, end - start) == -ENOENT)
        return iore__fail(ERROR_NOT_LOCKED);
    return TRUE;
}
