/*
 * pin.c - process-wide per-page pin counts, shared by VirtualLock, IoRing
 * registered buffers and RIO.
 *
 * DESIGN
 *
 * mlock() and munlock() do not nest: one munlock() undoes any number of
 * mlock()s of a page. Every user of page locking therefore goes through one
 * table of per-page counts, and only the edges reach the kernel: a page is
 * mlock()ed when its count goes 0 -> 1 and munlock()ed when it goes 1 -> 0.
 * A call covering many pages issues one mlock()/munlock() per maximal run of
 * consecutive pages that crossed an edge, not one per page.
 *
 * Each page also counts the pins VirtualLock holds on it (user). VirtualUnlock
 * may only drop those, so it can report ERROR_NOT_LOCKED for a page it never
 * locked and can never unlock a page a ring registration still pins.
 *
 * Memory the application locks with mlock() itself is not tracked: when our
 * count of such a page drops to zero we munlock() it, which also drops the
 * application's lock (mlock state is per page, not per caller).
 *
 * The table: open addressing with linear probing, keyed by page index + 1
 * (0 marks an empty slot), at most 1/2 full, doubled before an operation
 * that could exceed that, so an operation never fails half-way for lack of
 * memory. Deletion shifts the following cluster back (no tombstones). The
 * table is freed when the last pin goes.
 *
 * Global state (struct pins). Lifetime: the process's; the slot array exists
 * only while some page is pinned. Locking: pins.lock protects everything in
 * it, and is held across the mlock()/munlock() calls so that a count and the
 * kernel's lock state change together. Lock order: a leaf. It is taken with
 * other library locks held (ring and registration locks, memory.c's region
 * lock) and nothing else is ever acquired while it is held.
 * Fork: the child inherits no memory locks (Linux semantics), so every
 * count is stale there. A pthread_atfork child handler empties the table. It
 * takes no lock in the parent (a prepare handler taking a leaf lock would
 * invert the lock order against other handlers); instead the child tries the
 * lock: if another parent thread held it at fork() time, the table may be
 * half-updated, so it is abandoned (leaked) rather than freed.
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct entry {
    uintptr_t key;   /* page index + 1; 0 = empty slot */
    uint32_t pins;   /* all pins on the page (user included) */
    uint32_t user;   /* pins held by VirtualLock */
};

static struct pins {
    pthread_mutex_t lock;
    struct entry *slots; /* cap entries, or NULL when nothing is pinned */
    size_t cap;          /* 1 << bits, or 0 */
    unsigned bits;
    size_t used;         /* occupied slots */
} pins = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ------------------------------------------------------------------ page size */

static size_t page_size;
static unsigned page_shift;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void atfork_child(void);

static void init(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    page_size = ps > 0 ? (size_t)ps : 4096;
    page_shift = (unsigned)__builtin_ctzl(page_size);
    /* Failure (ENOMEM) leaves the child with stale counts, not a crash. */
    (void)pthread_atfork(NULL, NULL, atfork_child);
}

size_t iore__page_size(void)
{
    pthread_once(&init_once, init);
    return page_size;
}

/* ------------------------------------------------------------------ hash table (under pins.lock) */

static size_t home(uintptr_t key)
{
    /* Fibonacci hashing (the product's top bits): neighbouring pages land
     * far apart, so a long run of pages does not form one long cluster. */
    return (size_t)(((uint64_t)key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - pins.bits));
}

static struct entry *find(uintptr_t key)
{
    if (!pins.cap)
        return NULL;
    for (size_t i = home(key);; i = (i + 1) & (pins.cap - 1)) {
        if (pins.slots[i].key == key)
            return &pins.slots[i];
        if (!pins.slots[i].key)
            return NULL;
    }
}

/* Inserts a zeroed entry for key, which must be absent; room is reserved. */
static struct entry *insert(uintptr_t key)
{
    size_t i = home(key);
    while (pins.slots[i].key)
        i = (i + 1) & (pins.cap - 1);
    pins.slots[i] = (struct entry){ .key = key };
    pins.used++;
    return &pins.slots[i];
}

/* Removes e, shifting back the rest of its cluster so that lookups never
 * stop at a hole in front of their key. */
static void erase(struct entry *e)
{
    size_t hole = (size_t)(e - pins.slots);
    size_t mask = pins.cap - 1;
    for (size_t i = (hole + 1) & mask; pins.slots[i].key; i = (i + 1) & mask) {
        size_t h = home(pins.slots[i].key);
        /* Move slot i into the hole unless its home lies cyclically in (hole, i]. */
        bool stays = hole < i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (!stays) {
            pins.slots[hole] = pins.slots[i];
            hole = i;
        }
    }
    pins.slots[hole].key = 0;
    if (--pins.used == 0) {
        free(pins.slots);
        pins.slots = NULL;
        pins.cap = 0;
        pins.bits = 0;
    }
}

/* Makes room for `more` new entries at load <= 1/2. 0 or -ENOMEM. */
static int reserve(size_t more)
{
    size_t need = pins.used + more;
    if (need < more || need > SIZE_MAX / 2 / sizeof(struct entry))
        return -ENOMEM;
    unsigned bits = pins.cap ? pins.bits : 6;
    while (((size_t)1 << bits) < 2 * need)
        bits++;
    if (bits == pins.bits)
        return 0;
    struct entry *old = pins.slots;
    size_t old_cap = pins.cap;
    pins.slots = calloc((size_t)1 << bits, sizeof *pins.slots);
    if (!pins.slots) {
        pins.slots = old;
        return -ENOMEM;
    }
    pins.cap = (size_t)1 << bits;
    pins.bits = bits;
    pins.used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *insert(old[i].key) = old[i];
    free(old);
    return 0;
}

/* ------------------------------------------------------------------ ranges */

/* The pages [*first, *first + *n) overlapping [addr, addr + len); -EINVAL
 * if the range wraps. len 0 gives n 0. */
static int page_span(const void *addr, size_t len, uintptr_t *first, size_t *n)
{
    uintptr_t a = (uintptr_t)addr;
    pthread_once(&init_once, init);
    if (len == 0) {
        *first = 0;
        *n = 0;
        return 0;
    }
    if (a + (len - 1) < a)
        return -EINVAL;
    *first = a >> page_shift;
    *n = (size_t)(((a + (len - 1)) >> page_shift) - *first + 1);
    return 0;
}

static void *page_addr(uintptr_t page) { return (void *)(page << page_shift); }

/* munlock() a run of pages whose counts just reached zero. A failure can
 * only mean the memory was unmapped while pinned (nothing left to unlock)
 * or an injected fault; the count is gone either way, so it is ignored. */
static void unlock_run(uintptr_t page, size_t n)
{
    if (n)
        (void)iore__sys_munlock(page_addr(page), n << page_shift);
}

/* Takes pins off each page of the span: one (and one user pin if user),
 * or, with all_user, every user pin the page holds. Pages reaching zero
 * are munlock()ed in maximal runs. */
static void release_span(uintptr_t first, size_t n, bool user, bool all_user)
{
    uintptr_t run = 0;
    size_t run_len = 0;
    for (size_t i = 0; i < n; i++) {
        struct entry *e = find(first + i + 1);
        uint32_t drop = !e ? 0 : all_user ? e->user : 1;
        if (drop) {
            e->user -= user || all_user ? drop : 0;
            e->pins -= drop;
            if (e->pins == 0) {
                erase(e);
                if (!run_len++)
                    run = first + i;
                continue;
            }
        }
        unlock_run(run, run_len);
        run_len = 0;
    }
    unlock_run(run, run_len);
}

/* Drops one pin (and one user pin if user) from each page of the span that
 * has one. Returns -ENOENT, changing nothing, if user and some page holds
 * no user pin. */
static int unpin_span(uintptr_t first, size_t n, bool user)
{
    if (user)
        for (size_t i = 0; i < n; i++) {
            struct entry *e = find(first + i + 1);
            if (!e || !e->user)
                return -ENOENT;
        }
    release_span(first, n, user, false);
    return 0;
}

/* Adds one pin (and one user pin if user) to each page of the span; pages
 * leaving zero are mlock()ed in maximal runs. On failure every count is
 * restored and the pages this call locked are unlocked again. */
static int pin_span(uintptr_t first, size_t n, bool user)
{
    size_t absent = 0;
    for (size_t i = 0; i < n; i++)
        absent += !find(first + i + 1);
    int err = reserve(absent);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        struct entry *e = find(first + i + 1);
        if (!e)
            e = insert(first + i + 1);
        e->pins++;
        e->user += user;
    }
    /* A page holds exactly one pin now iff this call took it from 0 to 1. */
    for (size_t i = 0; i < n && !err;) {
        size_t len = 0;
        while (i + len < n && find(first + i + len + 1)->pins == 1)
            len++;
        if (len && iore__sys_mlock(page_addr(first + i), len << page_shift) < 0)
            err = -errno;
        i += len ? len : 1;
    }
    if (err)
        (void)unpin_span(first, n, user);
    return err;
}

/* ------------------------------------------------------------------ interface */

static int with_span(const void *addr, size_t len, bool user,
                     int (*op)(uintptr_t, size_t, bool))
{
    uintptr_t first;
    size_t n;
    int err = page_span(addr, len, &first, &n);
    if (err || !n)
        return err;
    pthread_mutex_lock(&pins.lock);
    err = op(first, n, user);
    pthread_mutex_unlock(&pins.lock);
    return err;
}

int iore__pin(const void *addr, size_t len)
{
    return with_span(addr, len, false, pin_span);
}

void iore__unpin(const void *addr, size_t len)
{
    (void)with_span(addr, len, false, unpin_span);
}

int iore__pin_user(const void *addr, size_t len)
{
    return with_span(addr, len, true, pin_span);
}

int iore__unpin_user(const void *addr, size_t len)
{
    return with_span(addr, len, true, unpin_span);
}

/* Drops every user pin of the span's pages (VirtualFree of locked memory). */
static int drop_user_span(uintptr_t first, size_t n, bool user)
{
    (void)user;
    release_span(first, n, false, true);
    return 0;
}

void iore__unpin_user_all(const void *addr, size_t len)
{
    (void)with_span(addr, len, true, drop_user_span);
}

/* ------------------------------------------------------------------ fork */

static void atfork_child(void)
{
    if (pthread_mutex_trylock(&pins.lock) == 0) {
        free(pins.slots);
    } else {
        /* Held by a thread that does not exist here: the table may be
         * mid-update, so leave it alone and start over with a fresh lock. */
        pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
        memcpy(&pins.lock, &fresh, sizeof fresh);
        pthread_mutex_lock(&pins.lock);
    }
    pins.slots = NULL;
    pins.cap = 0;
    pins.bits = 0;
    pins.used = 0;
    pthread_mutex_unlock(&pins.lock);
}
