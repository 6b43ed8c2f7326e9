/*
 * check_pin.c - page pinning checked against the kernel's own accounting.
 *
 * VirtualLock/VirtualUnlock share the process-wide per-page pin counts with
 * IoRing registered buffers. What the kernel really has locked is VmLck in
 * /proc/self/status; every test compares it with what the counts promise:
 * a page is locked once however many pins it has, and unlocked with its
 * last pin. The fault hook (ioringemu.h) counts and fails mlock/munlock.
 *
 * The memory-lock limit tests run in a child process that lowers
 * RLIMIT_MEMLOCK and drops CAP_IPC_LOCK (with capset(2) directly, so no
 * libcap); where that is impossible they are left out and the program
 * reports a skip after the other tests pass.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "testutil.h"


static SIZE_T page(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
}

/* Locked memory of this process in pages, from the kernel's accounting;
 * -1 if it cannot be read. */
static long read_vmlck_pages(void)
{
    long kb = tu_vmlck_kb();
    return kb < 0 ? -1 : kb * 1024 / (long)page();
}

static long vmlck_pages(void)
{
    long n = read_vmlck_pages();
    ck_assert_int_ge(n, 0);
    return n;
}

static BYTE *alloc(SIZE_T pages)
{
    BYTE *p = VirtualAlloc(NULL, pages * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Counts the mlock and munlock calls the library makes. */
static int mlocks, munlocks;
static int count_calls(const char *call, void *arg)
{
    (void)arg;
    if (strcmp(call, "mlock") == 0)
        __atomic_fetch_add(&mlocks, 1, __ATOMIC_RELAXED);
    else if (strcmp(call, "munlock") == 0)
        __atomic_fetch_add(&munlocks, 1, __ATOMIC_RELAXED);
    return 0;
}

static void start_counting(void)
{
    mlocks = munlocks = 0;
    iore_fault_set_hook(count_calls, NULL);
}

/* ------------------------------------------------------------------ accounting */

START_TEST(virtuallock_of_n_pages_raises_vmlck_by_n_pages)
{
    BYTE *p = alloc(8);
    long base = vmlck_pages();
    ck_assert(VirtualLock(p, 5 * page()));
    ck_assert_int_eq(vmlck_pages(), base + 5);
    ck_assert(VirtualUnlock(p, 5 * page()));
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(virtuallock_of_a_range_within_pages_locks_every_page_it_touches)
{
    BYTE *p = alloc(4);
    long base = vmlck_pages();
    /* 2 bytes straddling the boundary between pages 1 and 2. */
    ck_assert(VirtualLock(p + 2 * page() - 1, 2));
    ck_assert_int_eq(vmlck_pages(), base + 2);
    ck_assert(VirtualUnlock(p + 2 * page() - 1, 2));
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(overlapping_locks_raise_vmlck_only_by_the_pages_not_yet_locked)
{
    BYTE *p = alloc(10);
    long base = vmlck_pages();
    ck_assert(VirtualLock(p, 6 * page()));          /* pages 0..5 */
    ck_assert_int_eq(vmlck_pages(), base + 6);
    ck_assert(VirtualLock(p + 4 * page(), 5 * page())); /* pages 4..8: 6..8 are new */
    ck_assert_int_eq(vmlck_pages(), base + 9);
    ck_assert(VirtualUnlock(p, 6 * page()));
    ck_assert(VirtualUnlock(p + 4 * page(), 5 * page()));
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(unlocking_one_of_two_overlapping_locks_keeps_the_shared_pages_locked)
{
    BYTE *p = alloc(10);
    long base = vmlck_pages();
    ck_assert(VirtualLock(p, 6 * page()));              /* pages 0..5 */
    ck_assert(VirtualLock(p + 4 * page(), 5 * page())); /* pages 4..8 */
    ck_assert(VirtualUnlock(p, 6 * page()));
    /* 0..3 were only the first lock's; 4..5 are still the second's. */
    ck_assert_int_eq(vmlck_pages(), base + 5);
    ck_assert(VirtualUnlock(p + 4 * page(), 5 * page()));
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(the_same_range_locked_twice_stays_locked_until_the_second_unlock)
{
    BYTE *p = alloc(3);
    long base = vmlck_pages();
    ck_assert(VirtualLock(p, 3 * page()));
    ck_assert(VirtualLock(p, 3 * page()));
    ck_assert_int_eq(vmlck_pages(), base + 3);
    ck_assert(VirtualUnlock(p, 3 * page()));
    ck_assert_int_eq(vmlck_pages(), base + 3);
    ck_assert(VirtualUnlock(p, 3 * page()));
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(vmlck_returns_to_its_starting_value_after_many_locks_and_unlocks)
{
    BYTE *p = alloc(64);
    long base = vmlck_pages();
    for (int i = 0; i < 32; i++)
        ck_assert(VirtualLock(p + (SIZE_T)i * page(), (SIZE_T)(i % 7 + 1) * page()));
    for (int i = 31; i >= 0; i -= 2)
        ck_assert(VirtualUnlock(p + (SIZE_T)i * page(), (SIZE_T)(i % 7 + 1) * page()));
    for (int i = 0; i < 32; i += 2)
        ck_assert(VirtualUnlock(p + (SIZE_T)i * page(), (SIZE_T)(i % 7 + 1) * page()));
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(releasing_locked_memory_returns_vmlck_to_its_starting_value)
{
    long base = vmlck_pages();
    BYTE *p = alloc(6);
    ck_assert(VirtualLock(p, 6 * page()));
    ck_assert(VirtualLock(p + page(), 2 * page()));
    ck_assert_int_eq(vmlck_pages(), base + 6);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
    ck_assert_int_eq(vmlck_pages(), base);
}
END_TEST

START_TEST(a_large_lock_is_accounted_exactly)
{
    SIZE_T pages = (16u << 20) / page();
    BYTE *p = alloc(pages);
    long base = vmlck_pages();
    ck_assert(VirtualLock(p, pages * page()));
    ck_assert_int_eq(vmlck_pages(), base + (long)pages);
    ck_assert(VirtualUnlock(p, pages * page()));
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

/* Registers buf as the ring's only buffer and waits for the CQE. */
static void register_buffer(HIORING ring, void *buf, UINT32 len)
{
    IORING_BUFFER_INFO info = { buf, len };
    IORING_CQE cqe;
    UINT32 submitted = 0;
    ck_assert_int_eq(BuildIoRingRegisterBuffers(ring, 1, &info, 1), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 1, 10000, &submitted), S_OK);
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    ck_assert_int_eq(cqe.ResultCode, S_OK);
}

START_TEST(a_registered_buffer_keeps_its_pages_locked_after_virtualunlock)
{
    BYTE *p = alloc(4);
    long base = vmlck_pages();
    HIORING ring = NULL;
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  IORING_CREATE_ADVISORY_FLAGS_NONE };
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_3, flags, 8, 16, &ring), S_OK);
    ck_assert(VirtualLock(p, 4 * page()));
    register_buffer(ring, p + page(), (UINT32)(2 * page()));
    ck_assert_int_eq(vmlck_pages(), base + 4);
    /* VirtualUnlock drops its own pins only: the registration's stay. */
    ck_assert(VirtualUnlock(p, 4 * page()));
    ck_assert_int_eq(vmlck_pages(), base + 2);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(virtualunlock_of_pages_only_a_registration_pins_fails_with_error_not_locked)
{
    BYTE *p = alloc(2);
    long base = vmlck_pages();
    HIORING ring = NULL;
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  IORING_CREATE_ADVISORY_FLAGS_NONE };
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_3, flags, 8, 16, &ring), S_OK);
    register_buffer(ring, p, (UINT32)(2 * page()));
    ck_assert_int_eq(vmlck_pages(), base + 2);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(p, 2 * page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert_int_eq(vmlck_pages(), base + 2);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

/* ------------------------------------------------------------------ system calls */

START_TEST(a_large_lock_is_one_mlock_call)
{
    SIZE_T pages = (16u << 20) / page();
    BYTE *p = alloc(pages);
    start_counting();
    ck_assert(VirtualLock(p, pages * page()));
    ck_assert(VirtualUnlock(p, pages * page()));
    iore_fault_clear();
    ck_assert_int_eq(mlocks, 1);
    ck_assert_int_eq(munlocks, 1);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(locking_around_a_locked_range_is_one_mlock_per_run_of_new_pages)
{
    BYTE *p = alloc(10);
    ck_assert(VirtualLock(p + 2 * page(), 2 * page())); /* pages 2..3 */
    start_counting();
    ck_assert(VirtualLock(p, 10 * page()));              /* runs 0..1 and 4..9 */
    ck_assert_int_eq(mlocks, 2);
    ck_assert(VirtualUnlock(p, 10 * page()));            /* same runs go back */
    ck_assert_int_eq(munlocks, 2);
    ck_assert(VirtualUnlock(p + 2 * page(), 2 * page()));
    ck_assert_int_eq(munlocks, 3);
    iore_fault_clear();
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(relocking_locked_pages_makes_no_system_call)
{
    BYTE *p = alloc(4);
    ck_assert(VirtualLock(p, 4 * page()));
    start_counting();
    ck_assert(VirtualLock(p + page(), 2 * page()));
    ck_assert(VirtualUnlock(p + page(), 2 * page()));
    iore_fault_clear();
    ck_assert_int_eq(mlocks, 0);
    ck_assert_int_eq(munlocks, 0);
    ck_assert(VirtualUnlock(p, 4 * page()));
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

START_TEST(a_lock_failing_part_way_undoes_the_pages_it_had_locked)
{
    BYTE *p = alloc(10);
    long base = vmlck_pages();
    ck_assert(VirtualLock(p + 2 * page(), 2 * page())); /* pages 2..3 */
    /* Run 0..1 is locked by the first mlock, run 4..9 fails in the second. */
    ck_assert_int_eq(iore_fault_inject("mlock", 2, ENOMEM), 0);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualLock(p, 10 * page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_WORKING_SET_QUOTA);
    iore_fault_clear();
    ck_assert_int_eq(vmlck_pages(), base + 2);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(p, 10 * page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert(VirtualUnlock(p + 2 * page(), 2 * page()));
    ck_assert_int_eq(vmlck_pages(), base);
    VirtualFree(p, 0, MEM_RELEASE);
}
END_TEST

/* ------------------------------------------------------------------ RLIMIT_MEMLOCK */

struct limit {
    rlim_t pages;
    int (*fn)(void);
};

static int limited_child(void *arg)
{
    const struct limit *l = arg;
    struct rlimit rl = { l->pages * page(), l->pages * page() };
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0 || tu_drop_ipc_lock() != 0)
        return 77;
    return l->fn();
}

/* In a child: RLIMIT_MEMLOCK = limit_pages, no CAP_IPC_LOCK, then fn().
 * Returns fn's result, 77 if the limit could not be imposed, or -1 if the
 * child died. */
static int limited(rlim_t limit_pages, int (*fn)(void))
{
    struct limit l = { limit_pages, fn };
    return tu_run_in_child(limited_child, &l);
}

/* The child bodies return 0, or the number of the step that went wrong. */
static int lock_beyond_the_limit(void)
{
    BYTE *p = VirtualAlloc(NULL, 8 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p)
        return 1;
    SetLastError(TU_SENTINEL);
    if (VirtualLock(p, 8 * page()))
        return 2;
    if (GetLastError() != ERROR_WORKING_SET_QUOTA)
        return 3;
    if (VirtualUnlock(p, page()) || GetLastError() != ERROR_NOT_LOCKED)
        return 4; /* nothing stayed locked */
    return 0;
}

static int lock_within_the_limit(void)
{
    BYTE *p = VirtualAlloc(NULL, 8 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p)
        return 1;
    if (!VirtualLock(p, 2 * page()))
        return 2;
    if (!VirtualUnlock(p, 2 * page()))
        return 3;
    return 0;
}

/* With 3 pages locked and a limit of 4, a lock adding 2 new pages must fail
 * whole, leaving the 3 locked and the shared ones counted once. */
static int overlapping_lock_beyond_the_limit(void)
{
    BYTE *p = VirtualAlloc(NULL, 8 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p)
        return 1;
    if (!VirtualLock(p, 3 * page()))
        return 2;
    SetLastError(TU_SENTINEL);
    if (VirtualLock(p + page(), 4 * page()) || GetLastError() != ERROR_WORKING_SET_QUOTA)
        return 3;
    if (!VirtualUnlock(p, 3 * page()))
        return 4;
    /* All room is free again. */
    if (!VirtualLock(p, 4 * page()))
        return 5;
    return 0;
}

static int lock_with_a_zero_limit(void)
{
    BYTE *p = VirtualAlloc(NULL, page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p)
        return 1;
    SetLastError(TU_SENTINEL);
    if (VirtualLock(p, page()) || GetLastError() != ERROR_WORKING_SET_QUOTA)
        return 2;
    return 0;
}

START_TEST(virtuallock_beyond_rlimit_memlock_fails_with_error_working_set_quota)
{
    ck_assert_int_eq(limited(4, lock_beyond_the_limit), 0);
}
END_TEST

START_TEST(virtuallock_within_rlimit_memlock_succeeds)
{
    ck_assert_int_eq(limited(4, lock_within_the_limit), 0);
}
END_TEST

START_TEST(virtuallock_adding_pages_beyond_the_limit_fails_whole)
{
    ck_assert_int_eq(limited(4, overlapping_lock_beyond_the_limit), 0);
}
END_TEST

START_TEST(virtuallock_with_a_zero_limit_fails_with_error_working_set_quota)
{
    ck_assert_int_eq(limited(0, lock_with_a_zero_limit), 0);
}
END_TEST

/* ------------------------------------------------------------------ main */

static int impose_a_limit(void *arg)
{
    (void)arg;
    struct rlimit rl = { page(), page() };
    return setrlimit(RLIMIT_MEMLOCK, &rl) == 0 && tu_drop_ipc_lock() == 0 ? 0 : 1;
}

/* Whether a child can lower RLIMIT_MEMLOCK and shed CAP_IPC_LOCK here. */
static int can_limit(void)
{
    return tu_run_in_child(impose_a_limit, NULL) == 0;
}

static Suite *pin_suite(int kernel_counts, int with_limits)
{
    Suite *s = suite_create("pin");
    TCase *tc = tcase_create("syscalls");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_large_lock_is_one_mlock_call);
    tcase_add_test(tc, locking_around_a_locked_range_is_one_mlock_per_run_of_new_pages);
    tcase_add_test(tc, relocking_locked_pages_makes_no_system_call);
    suite_add_tcase(s, tc);

    if (kernel_counts) {
        tc = tcase_create("accounting");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, virtuallock_of_n_pages_raises_vmlck_by_n_pages);
        tcase_add_test(tc, virtuallock_of_a_range_within_pages_locks_every_page_it_touches);
        tcase_add_test(tc, overlapping_locks_raise_vmlck_only_by_the_pages_not_yet_locked);
        tcase_add_test(tc, unlocking_one_of_two_overlapping_locks_keeps_the_shared_pages_locked);
        tcase_add_test(tc, the_same_range_locked_twice_stays_locked_until_the_second_unlock);
        tcase_add_test(tc, vmlck_returns_to_its_starting_value_after_many_locks_and_unlocks);
        tcase_add_test(tc, releasing_locked_memory_returns_vmlck_to_its_starting_value);
        tcase_add_test(tc, a_large_lock_is_accounted_exactly);
        tcase_add_test(tc, a_lock_failing_part_way_undoes_the_pages_it_had_locked);
        suite_add_tcase(s, tc);

        tc = tcase_create("registered_buffers");
        tcase_add_test(tc, a_registered_buffer_keeps_its_pages_locked_after_virtualunlock);
        tcase_add_test(tc, virtualunlock_of_pages_only_a_registration_pins_fails_with_error_not_locked);
        suite_add_tcase(s, tc);
    }

    if (with_limits) {
        tc = tcase_create("rlimit_memlock");
        tcase_add_test(tc, virtuallock_beyond_rlimit_memlock_fails_with_error_working_set_quota);
        tcase_add_test(tc, virtuallock_within_rlimit_memlock_succeeds);
        tcase_add_test(tc, virtuallock_adding_pages_beyond_the_limit_fails_whole);
        tcase_add_test(tc, virtuallock_with_a_zero_limit_fails_with_error_working_set_quota);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    long before = read_vmlck_pages();
    if (before < 0)
        tu_skip("no VmLck in /proc/self/status");
    /* The tests lock up to 16 MiB. Sanitizers intercept mlock() as a no-op
     * (their shadow memory cannot be locked), so VmLck shows nothing then. */
    SIZE_T need = 16u << 20;
    BYTE *p = VirtualAlloc(NULL, need, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p || !VirtualLock(p, need))
        tu_skip("cannot lock 16 MiB (RLIMIT_MEMLOCK too low and no CAP_IPC_LOCK)");
    int kernel_counts = read_vmlck_pages() - before == (long)(need / page());
    VirtualUnlock(p, need);
    VirtualFree(p, 0, MEM_RELEASE);

    int with_limits = kernel_counts && can_limit();
    int rc = tu_run(pin_suite(kernel_counts, with_limits));
    if (rc == 0 && !kernel_counts)
        tu_skip("VmLck tests left out: mlock() does not reach the kernel in this build "
                "(sanitizer interceptors); the system-call tests passed");
    if (rc == 0 && !with_limits)
        tu_skip("RLIMIT_MEMLOCK tests left out: cannot drop CAP_IPC_LOCK with capset(2) "
                "in a child (the other tests passed)");
    return rc;
}
