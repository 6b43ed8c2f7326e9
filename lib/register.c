/*
 * register.c - registered file handles and registered buffers of a ring
 * (ioring.md section 13), and the pinning policy for registered buffers.
 *
 * DESIGN
 *   Tables. A ring has at most one file table and one buffer table. Each is
 *   an immutable array built by one REGISTER_* entry and replaced as a whole
 *   by the next. Replacement and resolution both happen at dispatch, on the
 *   thread inside SubmitIoRing (ring.h: one per ring at a time, ordered by
 *   ring->lock), so resolving an index is a plain O(1) array access with no
 *   lock. iore__reg_close() runs after the submitter has left.
 *
 *   Buffer table generations. A buffer table is one allocation: a header
 *   and an inline array of (address, length, pinned) slots, so resolving an
 *   index reads one slot of the array and nothing else, whatever the size
 *   of the table. The table itself is the hold handed to dispatch (struct
 *   iore__bufhold): it is reference counted, with one reference for the
 *   ring while it is published and one per dispatched op that uses any of
 *   its slots (taken by iore__reg_buffer() on the submitting thread,
 *   dropped by iore__reg_buffer_put() on whatever thread finishes the op).
 *   Each pinned slot holds one pin (lib/pin.c) on its pages; the pins go
 *   with the last reference, so a replaced buffer stays locked until every
 *   op that used its table has finished. The price of one count per table
 *   rather than per slot: a replaced slot no op used stays locked until the
 *   table's last op is done, not only until the replacement. A table never
 *   points back at its ring: it may outlive it.
 *
 *   Why per table: with one count per slot, the op touched a separately
 *   allocated entry (a cache miss per op on a large table, and a line the
 *   completing thread then writes). The table's count is one line, hot in
 *   cache whatever the table size; it sits alone in its cache line so that
 *   the completing thread's writes do not evict the slots the submitter
 *   reads.
 *
 *   Replacement order. The visible rule is "the old table is dropped first".
 *   The old table is unpublished at once (so neither a later use nor the
 *   stats can see it) but the ring's reference on it is released only after
 *   the new slots are pinned: pages both tables name (the same address and
 *   length at the same index included) stay pinned without a munlock/mlock
 *   round trip, since pin.c counts per page. When mlock refuses a new slot
 *   for lack of lockable memory, the old reference is released before the
 *   refusal is trusted (and the pin retried), so the outcome is the one
 *   "drop first, then pin" would give (unless ops in flight still hold the
 *   old table, whose pins then rightly still count).
 *
 *   Locking. reg->lock protects the two published table pointers for the
 *   readers that are not the submitting thread (iore__reg_stats). It is a
 *   leaf: it may be taken with ring->lock held and nothing is taken under
 *   it; nothing that blocks runs under it. Tables are freed only after they
 *   have been unpublished under reg->lock, so a stats reader holding the
 *   lock never sees freed memory.
 */
#include "ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* One registered buffer, inline in its table. 16 bytes: four per line. */
struct slot {
    char *addr;
    uint32_t len;       /* 0 = empty slot */
    uint32_t pinned;    /* holds a pin on [addr, addr + len) */
};

#define LINE 64u

/* A buffer table generation; doubles as the hold handed to dispatch (see
 * DESIGN). Allocated LINE-aligned so that refs, the one field written after
 * publication, has its line to itself. */
struct iore__bufhold {
    atomic_uint refs;          /* ring's reference while published + one per op */
    char pad_[LINE - sizeof(atomic_uint)];
    uint32_t count;            /* slots, empty ones included */
    uint64_t bytes_pinned;     /* sum of len over pinned slots */
    uint64_t bytes_unpinned;   /* sum of len over slots mlock refused */
    struct slot slot[];
};

struct filetab {
    uint32_t count;
    HANDLE h[];                /* raw values, resolved at each use */
};

struct iore__reg {
    /* See DESIGN: written under lock by the submitting thread only; read by
     * that thread without the lock, by everyone else under it. */
    pthread_mutex_t lock;
    struct iore__bufhold *bufs;
    struct filetab *files;
};

/* ------------------------------------------------------------ strict mode
 * Process-wide, inherited by fork() children as it stands. 0 = not decided
 * yet (the environment is read on first use), else STRICT_OFF/STRICT_ON.
 * An explicit iore_set_strict_pinning() wins over the environment. No other
 * data hangs off it, so relaxed ordering suffices. */
enum { STRICT_UNSET = 0, STRICT_OFF, STRICT_ON };
static atomic_int strict_mode;

IORE_API void iore_set_strict_pinning(BOOL strict)
{
    iore__store_relaxed(&strict_mode, strict ? STRICT_ON : STRICT_OFF);
}

static bool strict_pinning(void)
{
    int mode = iore__load_relaxed(&strict_mode);
    if (mode == STRICT_UNSET) {
        const char *env = getenv("IORINGEMU_STRICT_PINNING");
        int want = env && strcmp(env, "1") == 0 ? STRICT_ON : STRICT_OFF;
        /* Loses to a concurrent iore_set_strict_pinning(), as it should. */
        atomic_compare_exchange_strong_explicit(&strict_mode, &mode, want,
                                                memory_order_relaxed, memory_order_relaxed);
        mode = iore__load_relaxed(&strict_mode);
    }
    return mode == STRICT_ON;
}

/* ------------------------------------------------------------ diagnostics
 * Once per process (a fork() child that inherits the flag set stays quiet,
 * since its parent already told the user). */
static atomic_flag warned = ATOMIC_FLAG_INIT;

static void warn_unpinned(uint32_t len, int err)
{
    if (atomic_flag_test_and_set_explicit(&warned, memory_order_relaxed))
        return;
    struct rlimit rl;
    char limit[32];
    if (iore__sys_getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
        snprintf(limit, sizeof limit, "unknown");
    else if (rl.rlim_cur == RLIM_INFINITY)
        snprintf(limit, sizeof limit, "unlimited");
    else
        snprintf(limit, sizeof limit, "%llu bytes", (unsigned long long)rl.rlim_cur);
    fprintf(stderr,
            "ioringemu: registered buffer left unpinned: mlock of %lu bytes failed (%s); "
            "RLIMIT_MEMLOCK soft limit is %s. Raise it with `ulimit -l`, a memlock line in "
            "/etc/security/limits.conf, --ulimit memlock= for containers, or grant "
            "CAP_IPC_LOCK (IORINGEMU_STRICT_PINNING=1 makes this an error).\n",
            (unsigned long)len, strerror(err), limit);
}

/* ------------------------------------------------------------ tables */
static struct iore__bufhold *buftab_new(uint32_t count)
{
    size_t size = sizeof(struct iore__bufhold) + (size_t)count * sizeof(struct slot);
    size = (size + LINE - 1) & ~(size_t)(LINE - 1);   /* aligned_alloc wants a multiple */
    struct iore__bufhold *t = aligned_alloc(LINE, size);
    if (!t)
        return NULL;
    memset(t, 0, size);
    atomic_init(&t->refs, 1);
    t->count = count;
    return t;
}

void iore__reg_buffer_put(struct iore__bufhold *t)
{
    iore__reg_buffer_put_n(t, 1);
}

void iore__reg_buffer_put_n(struct iore__bufhold *t, uint32_t n)
{
    if (!t)
        return;
    /* acq_rel: the last holder sees every other holder's use of the table
     * before it unpins and frees it. */
    if (iore__ref_sub(&t->refs, n) != n)
        return;
    for (uint32_t i = 0; i < t->count; i++)
        if (t->slot[i].pinned)
            iore__unpin(t->slot[i].addr, t->slot[i].len);
    free(t);
}

/* ------------------------------------------------------------ publication */
static void publish_bufs(struct iore__reg *g, struct iore__bufhold *t)
{
    pthread_mutex_lock(&g->lock);
    g->bufs = t;
    pthread_mutex_unlock(&g->lock);
}

static void publish_files(struct iore__reg *g, struct filetab *t)
{
    pthread_mutex_lock(&g->lock);
    g->files = t;
    pthread_mutex_unlock(&g->lock);
}

/* Unpublishes the buffer table and returns it (the caller now owns its hold). */
static struct iore__bufhold *take_bufs(struct iore__reg *g)
{
    struct iore__bufhold *t = g->bufs;
    if (t)
        publish_bufs(g, NULL);
    return t;
}

static struct filetab *take_files(struct iore__reg *g)
{
    struct filetab *t = g->files;
    if (t)
        publish_files(g, NULL);
    return t;
}

/* ------------------------------------------------------------ lifecycle */
int iore__reg_init(struct iore__ring *r)
{
    struct iore__reg *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    int err = pthread_mutex_init(&g->lock, NULL);
    if (err) {
        free(g);
        return -err;
    }
    r->reg = g;
    return 0;
}

void iore__reg_close(struct iore__ring *r)
{
    if (!r->reg)
        return;
    free(take_files(r->reg));
    iore__reg_buffer_put(take_bufs(r->reg));
}

void iore__reg_destroy(struct iore__ring *r)
{
    struct iore__reg *g = r->reg;
    if (!g)
        return;
    iore__reg_close(r);
    pthread_mutex_destroy(&g->lock);
    free(g);
    r->reg = NULL;
}

/* ------------------------------------------------------------ file table */
HRESULT iore__reg_files(struct iore__ring *r, uint32_t count, const HANDLE *handles,
                        HRESULT deferred, ULONG_PTR *info)
{
    free(take_files(r->reg));   /* dropped first, whatever follows */
    *info = 0;
    if (FAILED(deferred))
        return deferred;
    if (count == 0)
        return S_OK;
    struct filetab *t = malloc(sizeof *t + (size_t)count * sizeof t->h[0]);
    if (!t)
        return iore__hresult_from_errno(ENOMEM, "RegisterFileHandles");
    t->count = count;
    /* Copied now, never read again (ioring.md 8.5). */
    memcpy(t->h, handles, (size_t)count * sizeof t->h[0]);
    publish_files(r->reg, t);
    *info = count;
    return S_OK;
}

HRESULT iore__reg_file(struct iore__ring *r, uint32_t index, HANDLE *out)
{
    const struct filetab *t = r->reg->files;
    if (!t || index >= t->count)
        return HRESULT_FROM_WIN32(ERROR_INDEX_OUT_OF_BOUNDS);
    HANDLE h = t->h[index];
    if (h == INVALID_HANDLE_VALUE || h == NULL)
        return E_HANDLE;
    *out = h;
    return S_OK;
}

/* ------------------------------------------------------------ buffer table */

/* 1 when every page of [addr, addr + len) is mapped, 0 when one is not,
 * -errno on another failure. mincore() inspects the page tables without
 * touching the memory, so an unmapped or PROT_NONE range cannot fault. */
static int range_mapped(uintptr_t addr, uint32_t len)
{
    const uintptr_t ps = iore__page_size();
    uintptr_t page = addr & ~(ps - 1);
    const uintptr_t last = (addr + len - 1) & ~(ps - 1);   /* caller ruled out wrap */
    unsigned char vec[512];
    int again = 0;

    for (;;) {
        uintptr_t left = (last - page) / ps + 1;
        size_t n = left < sizeof vec ? (size_t)left : sizeof vec;
        if (mincore((void *)page, n * ps, vec) != 0) {
            if (errno == ENOMEM)
                return 0;
            /* EAGAIN: the kernel is short of memory for the vector walk. */
            if (errno == EAGAIN && ++again < 8)
                continue;
            return errno == EAGAIN ? -ENOMEM : -errno;
        }
        if (n == left)
            return 1;
        page += n * ps;
    }
}

/* Pins slot e's pages. A refusal for lack of lockable memory first
 * releases the ring's reference on the old table (*old), then is retried,
 * then is either tolerated (e stays unpinned, one diagnostic) or, in strict
 * mode, fatal. */
static HRESULT pin_slot(struct slot *e, struct iore__bufhold **old)
{
    int err = iore__pin(e->addr, e->len);
    if (err == -ENOMEM || err == -EPERM || err == -EAGAIN) {
        if (*old) {
            iore__reg_buffer_put(*old);
            *old = NULL;
            err = iore__pin(e->addr, e->len);
        }
    }
    if (err == 0) {
        e->pinned = 1;
        return S_OK;
    }
    if (err != -ENOMEM && err != -EPERM && err != -EAGAIN)
        return iore__hresult_from_errno(-err, "mlock");
    if (strict_pinning())
        return HRESULT_FROM_WIN32(ERROR_WORKING_SET_QUOTA);
    warn_unpinned(e->len, -err);
    return S_OK;
}

/* Builds slot i from the caller's entry (read exactly once). A slot is
 * filled in only once its pin is settled, so a failed one stays empty and
 * the table's release unpins exactly what was pinned. */
static HRESULT make_slot(struct iore__bufhold *t, uint32_t i, const IORING_BUFFER_INFO *src,
                         struct iore__bufhold **old)
{
    const IORING_BUFFER_INFO b = *src;
    if (b.Length == 0)
        return S_OK;   /* empty slot, whatever the address */
    uintptr_t a = (uintptr_t)b.Address;
    if (a == 0 || a + b.Length < a)
        return HRESULT_FROM_WIN32(ERROR_NOACCESS);
    int mapped = range_mapped(a, b.Length);
    if (mapped < 0)
        return iore__hresult_from_errno(-mapped, "mincore");
    if (mapped == 0)
        return HRESULT_FROM_WIN32(ERROR_NOACCESS);
    struct slot e = { .addr = b.Address, .len = b.Length, .pinned = 0 };
    HRESULT hr = pin_slot(&e, old);
    if (FAILED(hr))
        return hr;
    t->slot[i] = e;
    if (e.pinned)
        t->bytes_pinned += e.len;
    else
        t->bytes_unpinned += e.len;
    return S_OK;
}

HRESULT iore__reg_buffers(struct iore__ring *r, uint32_t count, const IORING_BUFFER_INFO *bufs,
                          HRESULT deferred, ULONG_PTR *info)
{
    /* Unpublished now; the ring's reference goes below (DESIGN: replacement). */
    struct iore__bufhold *old = take_bufs(r->reg);
    struct iore__bufhold *t = NULL;
    HRESULT hr = deferred;
    uint32_t i = 0;

    if (FAILED(hr) || count == 0)
        goto out;
    t = buftab_new(count);
    if (!t) {
        hr = iore__hresult_from_errno(ENOMEM, "RegisterBuffers");
        goto out;
    }
    for (; i < count; i++) {
        hr = make_slot(t, i, &bufs[i], &old);
        if (FAILED(hr))
            goto fail;
    }
    publish_bufs(r->reg, t);
    iore__reg_buffer_put(old);
    *info = count;
    return S_OK;
fail:
    iore__reg_buffer_put(t);
out:
    iore__reg_buffer_put(old);
    *info = FAILED(hr) ? i : 0;
    return hr;
}

/* The I/O path: one read of the slot, one relaxed increment of the table's
 * count (the table is immutable once published, and the submitting thread
 * that published it is the one reading it here). */
HRESULT iore__reg_buffer(struct iore__ring *r, uint32_t index, uint32_t offset, uint32_t len,
                         void **addr, struct iore__bufhold **hold)
{
    struct iore__bufhold *t = r->reg->bufs;
    if (!t || index >= t->count)
        return HRESULT_FROM_WIN32(ERROR_INDEX_OUT_OF_BOUNDS);
    const struct slot *e = &t->slot[index];
    if (e->len == 0 || (uint64_t)offset + len > e->len)
        return HRESULT_FROM_WIN32(ERROR_INVALID_USER_BUFFER);
    iore__ref_inc(&t->refs);
    *addr = e->addr + offset;
    *hold = t;
    return S_OK;
}

/* ------------------------------------------------------------ stats */
void iore__reg_stats(struct iore__ring *r, IORE_RING_STATS *st)
{
    struct iore__reg *g = r->reg;
    if (!g)
        return;   /* never initialised: leave the caller's zeroes */
    pthread_mutex_lock(&g->lock);
    st->registered_buffers = g->bufs ? g->bufs->count : 0;
    st->registered_files = g->files ? g->files->count : 0;
    st->bytes_pinned = g->bufs ? g->bufs->bytes_pinned : 0;
    st->bytes_unpinned = g->bufs ? g->bufs->bytes_unpinned : 0;
    pthread_mutex_unlock(&g->lock);
}
