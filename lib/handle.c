/*
 * handle.c - the process-wide handle table, object reference counts and
 * CloseHandle.
 *
 * DESIGN
 *
 * Values. A HANDLE is (generation << 32) | ((slot + 1) << 2). The low two
 * bits are 0, so no handle is INVALID_HANDLE_VALUE (all ones) or another
 * pseudo handle; slot + 1 keeps the low word non-zero, and generations start
 * at 1 (0 is skipped on wrap), so no value below 2^32 is ever issued and small
 * integers (descriptors, HANDLE 4) never resolve by accident.
 *
 * Slots. Slots live in chunks of CHUNK_SLOTS, allocated on demand and
 * published in a fixed directory: a chunk never moves and is never freed, so
 * a lookup may dereference any slot it reaches without a lock. Each slot has
 * one 64-bit state word
 *     bits 63..32  generation of the handle the slot holds (or last held)
 *     bit  31      OPEN: the handle is open
 *     bits 30..0   PINS: lookups (and closes) in progress on this slot
 * and a plain object pointer that is only read while a pin is held.
 *
 * Lookup (no lock). Load the state; if the generation differs from the
 * handle's or OPEN is clear, the handle is invalid. Otherwise CAS the state
 * to the same value plus one pin. The CAS compares the whole word, so it
 * fails if the slot was closed or reused (new generation) in between, and
 * the loop re-checks. Holding a pin, read the object, check its kind, take a
 * reference for the caller and drop the pin.
 *
 * Close. Pin the slot as a lookup does (so the kind can be checked), then CAS
 * OPEN off. From then on no new pin can be taken (pins require OPEN), so the
 * pin count only falls. Whoever drops the last pin of a closed slot (the
 * closer itself, or a lookup that was in flight) "retires" the slot: it takes
 * the object pointer, clears it, puts the slot on the free queue and drops
 * the table's reference. Exactly one thread sees the transition to
 * (closed, 0 pins), so the reference is dropped exactly once, and never
 * while a lookup could still be reading the object pointer.
 *
 * Memory ordering (the acquire/release pairs):
 *   - iore__handle_new stores the object pointer, then publishes the state
 *     (OPEN, new generation) with a release store; a lookup's pin CAS is an
 *     acquire, so a pinned reader sees the pointer and the initialised object.
 *   - Every pin drop is a release RMW and every pin/unpin/close CAS an
 *     acquire, and RMWs extend release sequences, so the retiring thread
 *     acquires every earlier pin holder's reads of the pointer before it
 *     clears it: no reader can see a NULL or recycled pointer.
 *   - A chunk is zeroed before its pointer is stored (release) into the
 *     directory; lookups load the directory entry with acquire.
 *   - The free queue and fresh-slot counter are under table.lock, which also
 *     orders a retiring thread's clear of the pointer before the next owner's
 *     store of a new one.
 * A stale value could only alias after its slot was reused 2^32 times; the
 * free queue is FIFO and is not drawn from until it holds REUSE_MIN slots,
 * so stale values also name a different slot for as long as possible.
 *
 * Global state (struct table below). Lifetime: the process's; chunks are
 * never freed (they are reachable from the directory at exit). Locking: see
 * the struct. Fork: pthread_atfork holds table.lock across fork(), so the
 * child's table is consistent; every handle stays open in the child (the
 * child has copies of the objects), except kinds whose owner calls
 * iore__handle_forget_kind() in the child (threads, rings: the host threads
 * behind them did not survive the fork).
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define CHUNK_SHIFT 10
#define CHUNK_SLOTS (1u << CHUNK_SHIFT)
/* 16384 chunks of 1024: 16 Mi handles, the per-process limit Windows has. */
#define MAX_CHUNKS 16384u
#define MAX_SLOTS (MAX_CHUNKS * CHUNK_SLOTS)
/* Freed slots are reused only once this many are queued. */
#define REUSE_MIN 256u
#define NO_SLOT UINT32_MAX

/* The generation lives in a HANDLE's high word. */
_Static_assert(sizeof(HANDLE) == 8, "the handle layout needs 64-bit HANDLEs");

#define ST_OPEN (UINT64_C(1) << 31)
#define ST_PINS (ST_OPEN - 1)
#define ST_GEN(s) ((uint32_t)((s) >> 32))
#define ST_MAKE(gen, open) (((uint64_t)(gen) << 32) | ((open) ? ST_OPEN : 0))

struct slot {
    _Atomic uint64_t state;
    /* Written by the owner of a free slot (under table.lock) before OPEN is
     * published, and by the retiring thread; read only under a pin. */
    struct iore__obj *obj;
    /* Free-queue link; under table.lock. */
    uint32_t next_free;
};

static struct table {
    /* Chunk directory: entries go from NULL to a chunk once (under lock,
     * release) and never change again; read lock-free with acquire. */
    _Atomic(struct slot *) chunks[MAX_CHUNKS];
    /* lock protects everything below and slot.next_free / a free slot's obj.
     * Lock order: a leaf. Nothing else is acquired while it is held (objects
     * are destroyed after it is released). */
    pthread_mutex_t lock;
    uint32_t fresh;              /* slots [0, fresh) have been handed out */
    uint32_t free_head, free_tail, free_count;
} table = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .free_head = NO_SLOT,
    .free_tail = NO_SLOT,
};

/* ------------------------------------------------------------------ objects */

void iore__obj_init(struct iore__obj *obj, enum iore__kind kind,
                    void (*destroy)(struct iore__obj *))
{
    atomic_init(&obj->refs, 1);
    obj->kind = kind;
    obj->destroy = destroy;
}

void iore__obj_ref(struct iore__obj *obj)
{
    iore__ref_inc(&obj->refs);
}

void iore__obj_unref(struct iore__obj *obj)
{
    iore__obj_unref_n(obj, 1);
}

void iore__obj_unref_n(struct iore__obj *obj, uint32_t n)
{
    /* acq_rel (atomics.h): the destroying thread sees every holder's writes. */
    if (iore__ref_sub(&obj->refs, n) == n && obj->destroy)
        obj->destroy(obj);
}

/* ------------------------------------------------------------------ slots */

static struct slot *slot_at(uint32_t idx)
{
    /* Pairs with the release store in grow(): the chunk's zeroed contents
     * are visible before its address. */
    struct slot *chunk = iore__load_acquire(&table.chunks[idx >> CHUNK_SHIFT]);
    return chunk ? &chunk[idx & (CHUNK_SLOTS - 1)] : NULL;
}

/* Decodes h into its slot, index and generation; NULL for values the table
 * never issues. */
static struct slot *slot_of(HANDLE h, uint32_t *idx_out, uint32_t *gen)
{
    uint64_t v = (uint64_t)(uintptr_t)h;
    uint32_t low = (uint32_t)v;
    if ((low & 3) || low == 0 || (v >> 32) == 0)
        return NULL;
    uint32_t idx = (low >> 2) - 1;
    if (idx >= MAX_SLOTS)
        return NULL;
    *idx_out = idx;
    *gen = (uint32_t)(v >> 32);
    return slot_at(idx);
}

/* Takes a pin on s if it holds the open handle of generation gen. */
static int pin(struct slot *s, uint32_t gen)
{
    uint64_t st = iore__load_relaxed(&s->state);
    for (;;) {
        if (ST_GEN(st) != gen || !(st & ST_OPEN))
            return 0;
        /* Acquire on success pairs with the release that published OPEN
         * (handle_new) and with earlier pin drops. */
        if (iore__cas_acq_rel(&s->state, &st, st + 1))
            return 1;
    }
}

static void retire(struct slot *s, uint32_t idx);

/* Drops a pin; the thread that leaves a closed slot with no pins retires it. */
static void unpin(struct slot *s, uint32_t idx)
{
    /* Release: this pin holder's reads of s->obj happen before the retiring
     * thread clears it. Acquire: if we retire, we see theirs. */
    uint64_t old = atomic_fetch_sub_explicit(&s->state, 1, memory_order_acq_rel);
    if ((old & ST_PINS) == 1 && !(old & ST_OPEN))
        retire(s, idx);
}

static void enqueue_free(uint32_t idx)
{
    slot_at(idx)->next_free = NO_SLOT;
    if (table.free_tail == NO_SLOT)
        table.free_head = idx;
    else
        slot_at(table.free_tail)->next_free = idx;
    table.free_tail = idx;
    table.free_count++;
}

static uint32_t dequeue_free(void)
{
    uint32_t idx = table.free_head;
    table.free_head = slot_at(idx)->next_free;
    if (table.free_head == NO_SLOT)
        table.free_tail = NO_SLOT;
    table.free_count--;
    return idx;
}

static void retire(struct slot *s, uint32_t idx)
{
    struct iore__obj *obj = s->obj;
    pthread_mutex_lock(&table.lock);
    s->obj = NULL;
    enqueue_free(idx);
    pthread_mutex_unlock(&table.lock);
    /* Outside the lock: destroy may close other handles. */
    iore__obj_unref(obj);
}

/* ------------------------------------------------------------------ fork */

static void atfork_prepare(void) { pthread_mutex_lock(&table.lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&table.lock); }
/* The child's only thread is the one that forked, which holds the lock. */
static void atfork_child(void) { pthread_mutex_unlock(&table.lock); }

/* At load, not on first use: a fork() that started before a lazy
 * registration would copy table.lock held by the registering thread into a
 * child that can never release it. Failure (ENOMEM) leaves fork()
 * unprotected, not the table broken. */
__attribute__((constructor)) static void register_atfork(void)
{
    (void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ------------------------------------------------------------------ allocation */

/* Under table.lock: makes slot idx exist. */
static int grow(uint32_t idx)
{
    uint32_t c = idx >> CHUNK_SHIFT;
    if (iore__load_relaxed(&table.chunks[c]))
        return 0;
    struct slot *chunk = calloc(CHUNK_SLOTS, sizeof *chunk);
    if (!chunk)
        return -ENOMEM;
    for (uint32_t i = 0; i < CHUNK_SLOTS; i++)
        atomic_init(&chunk[i].state, 0);
    /* Pairs with the acquire in slot_at(). */
    iore__store_release(&table.chunks[c], chunk);
    return 0;
}

/* Under table.lock: a free slot index, or NO_SLOT when full. Fresh slots
 * are preferred until REUSE_MIN freed ones wait, so a closed value stays
 * unissued for as long as possible. */
static uint32_t take_slot(void)
{
    if (table.free_count >= REUSE_MIN)
        return dequeue_free();
    if (table.fresh < MAX_SLOTS && grow(table.fresh) == 0)
        return table.fresh++;
    return table.free_count ? dequeue_free() : NO_SLOT;
}

HANDLE iore__handle_new(struct iore__obj *obj)
{
    pthread_mutex_lock(&table.lock);
    uint32_t idx = take_slot();
    if (idx == NO_SLOT) {
        pthread_mutex_unlock(&table.lock);
        return NULL;
    }
    struct slot *s = slot_at(idx);
    /* A free slot has OPEN clear and no pins; nobody else writes its state. */
    uint32_t gen = ST_GEN(iore__load_relaxed(&s->state)) + 1;
    if (gen == 0)
        gen = 1;
    s->obj = obj;
    /* Publishes obj to lookups (acquire in pin()). */
    iore__store_release(&s->state, ST_MAKE(gen, 1));
    pthread_mutex_unlock(&table.lock);
    return (HANDLE)(uintptr_t)(((uint64_t)gen << 32) | ((uint64_t)(idx + 1) << 2));
}

/* ------------------------------------------------------------------ lookup and close */

static int kind_matches(const struct iore__obj *obj, enum iore__kind want)
{
    return want == IORE_KIND_ANY || obj->kind == want;
}

struct iore__obj *iore__handle_get(HANDLE h, enum iore__kind want, DWORD *why)
{
    uint32_t idx, gen;
    struct slot *s = slot_of(h, &idx, &gen);
    struct iore__obj *obj = NULL;
    if (!s || !pin(s, gen))
        goto invalid;
    if (kind_matches(s->obj, want)) {
        obj = s->obj;
        iore__obj_ref(obj);
    }
    unpin(s, idx);
    if (obj)
        return obj;
invalid:
    if (why)
        *why = ERROR_INVALID_HANDLE;
    return NULL;
}

/* A pin instead of a reference: two atomic operations per lookup instead of
 * four, and none on the object's own count, which other threads may be
 * bouncing. Sound because an open slot's object is the table's reference,
 * which retire() only drops after the last pin is gone. */
struct iore__obj *iore__handle_pin(HANDLE h, enum iore__kind want, uint32_t *pin_out)
{
    uint32_t idx, gen;
    struct slot *s = slot_of(h, &idx, &gen);
    if (!s || !pin(s, gen))
        return NULL;
    if (!kind_matches(s->obj, want)) {
        unpin(s, idx);
        return NULL;
    }
    *pin_out = idx;
    return s->obj;
}

void iore__handle_unpin(uint32_t pin_idx)
{
    /* The slot's chunk exists: the pin was taken on it. */
    unpin(slot_at(pin_idx), pin_idx);
}

int iore__handle_close(HANDLE h, enum iore__kind want)
{
    uint32_t idx, gen;
    struct slot *s = slot_of(h, &idx, &gen);
    if (!s || !pin(s, gen))
        return -EBADF;
    int rc = -EBADF;
    if (kind_matches(s->obj, want)) {
        uint64_t st = iore__load_relaxed(&s->state);
        /* Our pin keeps the generation; only OPEN can change under us. */
        while (st & ST_OPEN) {
            if (iore__cas_acq_rel(&s->state, &st, st & ~ST_OPEN)) {
                rc = 0;
                break;
            }
        }
    }
    unpin(s, idx);
    return rc;
}

static void forget_slot(struct slot *s, enum iore__kind kind)
{
    uint64_t st = iore__load_relaxed(&s->state);
    if (!(st & ST_OPEN) || !s->obj || s->obj->kind != kind)
        return;
    /* Pins held by parent threads died with them: clear them too. */
    iore__store_relaxed(&s->state, ST_MAKE(ST_GEN(st), 0));
    s->obj = NULL;
}

/*
 * In the child after fork(), while it has one thread: closes every handle of
 * kind without dropping the table's reference, so no destroy runs (the
 * objects' threads and resources belong to the parent). The slots are
 * retired for good (never reused in the child) and their objects leak.
 * Takes no lock: it may run from a pthread_atfork child handler registered
 * before ours, while table.lock is still held by this very thread.
 */
void iore__handle_forget_kind(enum iore__kind kind)
{
    for (uint32_t c = 0; c < MAX_CHUNKS; c++) {
        struct slot *chunk = iore__load_acquire(&table.chunks[c]);
        if (!chunk)
            break; /* chunks are allocated in order */
        for (uint32_t i = 0; i < CHUNK_SLOTS; i++)
            forget_slot(&chunk[i], kind);
    }
}

/* ------------------------------------------------------------------ CloseHandle */

IORE_API BOOL WINAPI CloseHandle(HANDLE hObject)
{
    DWORD why = ERROR_INVALID_HANDLE;
    struct iore__obj *obj = iore__handle_get(hObject, IORE_KIND_ANY, &why);
    if (!obj)
        return iore__fail(why);
    enum iore__kind kind = obj->kind;
    iore__obj_unref(obj);
    /* HIORING is released by CloseIoRing, search handles by FindClose and
     * modules by FreeLibrary; Windows' CloseHandle refuses all three. */
    if (kind == IORE_KIND_RING || kind == IORE_KIND_FIND || kind == IORE_KIND_MODULE)
        return iore__fail(ERROR_INVALID_HANDLE);
    if (iore__handle_close(hObject, kind) < 0)
        return iore__fail(ERROR_INVALID_HANDLE);
    return TRUE;
}
