/*
 * atomics.h - the memory orderings the library uses, in one place.
 * Every acquire names the release it pairs with at the point of use.
 */
#ifndef IORE_ATOMICS_H
#define IORE_ATOMICS_H

#include <stdatomic.h>

/* Publish data written before this store to a thread that load_acquire()s
 * the same variable. */
#define iore__store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define iore__load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
/* Counters and flags that order nothing else. */
#define iore__load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define iore__store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define iore__fetch_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
/* Reference counts: increments need no ordering; the decrement that may free
 * must be acq_rel so the freeing thread sees every other holder's writes. */
#define iore__ref_inc(p) atomic_fetch_add_explicit((p), 1, memory_order_relaxed)
#define iore__ref_dec(p) atomic_fetch_sub_explicit((p), 1, memory_order_acq_rel)
/* n references at once: one cache-line transfer for a batch of drops. */
#define iore__ref_sub(p, n) atomic_fetch_sub_explicit((p), (n), memory_order_acq_rel)
#define iore__cas_acq_rel(p, expected, desired) \
    atomic_compare_exchange_weak_explicit((p), (expected), (desired), \
                                          memory_order_acq_rel, memory_order_acquire)

#endif
