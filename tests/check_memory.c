/*
 * check_memory.c - VirtualAlloc, VirtualFree, VirtualLock and VirtualUnlock
 * as Windows code sees them. (Page-lock accounting against the kernel's
 * VmLck is in check_pin.c.)
 */
#include <windows.h>
#include <ioringemu.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "testutil.h"


/* Some tests end in the SIGSEGV a protection promises; sanitizers must let
 * it through to Check instead of reporting it. */
const char *__asan_default_options(void);
const char *__tsan_default_options(void);
const char *__asan_default_options(void) { return "handle_segv=0"; }
const char *__tsan_default_options(void) { return "handle_segv=0"; }
#define MEM_TOP_DOWN_ 0x00100000  /* MEM_TOP_DOWN */
#define ERROR_PRIVILEGE_NOT_HELD_ 1314

static SIZE_T page(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
}

static BYTE *alloc(SIZE_T size, DWORD type, DWORD protect)
{
    BYTE *p = VirtualAlloc(NULL, size, type, protect);
    ck_assert_ptr_nonnull(p);
    return p;
}

static int all_zero(const BYTE *p, SIZE_T n)
{
    for (SIZE_T i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ VirtualAlloc */

START_TEST(virtualalloc_commit_returns_zeroed_memory_aligned_to_64k)
{
    SIZE_T size = 3 * page() + 100;
    BYTE *p = alloc(size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert_uint_eq((uintptr_t)p % 65536, 0);
    ck_assert(all_zero(p, size));
    memset(p, 0x5A, size); /* the whole range is writable */
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualalloc_commit_without_reserve_reserves_too)
{
    BYTE *p = alloc(page(), MEM_COMMIT, PAGE_READWRITE);
    p[0] = 1;
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualalloc_accepts_mem_top_down)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN_, PAGE_READWRITE);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualalloc_with_zero_size_fails_with_error_invalid_parameter)
{
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc(NULL, 0, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

/* Not one valid base protection, or a copy-on-write one. */
static const DWORD bad_protections[] = {
    0, PAGE_READONLY | PAGE_EXECUTE, PAGE_READWRITE | PAGE_READONLY, 0x08 /* WRITECOPY */,
    0x80 /* EXECUTE_WRITECOPY */, 0x1000, PAGE_READWRITE | 0x200 | 0x400, PAGE_NOACCESS | 0x200,
};

START_TEST(virtualalloc_with_a_bad_protection_fails_with_error_invalid_parameter)
{
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc(NULL, page(), MEM_COMMIT | MEM_RESERVE, bad_protections[_i]));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

START_TEST(virtualalloc_with_page_nocache_succeeds)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | 0x200 /* NOCACHE */);
    p[0] = 1;
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

static const DWORD bad_types[] = {
    0, MEM_DECOMMIT, MEM_RELEASE, MEM_RESET | MEM_COMMIT, 0x1, MEM_COMMIT | 0x40000000,
};

START_TEST(virtualalloc_with_a_bad_allocation_type_fails_with_error_invalid_parameter)
{
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc(NULL, page(), bad_types[_i], PAGE_READWRITE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

START_TEST(virtualalloc_with_large_pages_fails_with_error_privilege_not_held)
{
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc(NULL, 2 << 20, MEM_COMMIT | MEM_RESERVE | MEM_LARGE_PAGES,
                                    PAGE_READWRITE));
    ck_assert_uint_eq(GetLastError(), ERROR_PRIVILEGE_NOT_HELD_);
}
END_TEST

START_TEST(reserved_memory_can_be_committed_page_by_page)
{
    BYTE *r = alloc(16 * page(), MEM_RESERVE, PAGE_NOACCESS);
    BYTE *c = VirtualAlloc(r + 2 * page() + 10, page(), MEM_COMMIT, PAGE_READWRITE);
    /* The start is rounded down to its page; [10, 10 + page) spans two. */
    ck_assert_ptr_eq(c, r + 2 * page());
    ck_assert(all_zero(c, 2 * page()));
    memset(c, 1, 2 * page());
    ck_assert(VirtualFree(r, 0, MEM_RELEASE));
}
END_TEST

START_TEST(committing_outside_any_reservation_fails_with_error_invalid_address)
{
    BYTE *r = alloc(4 * page(), MEM_RESERVE, PAGE_NOACCESS);
    SetLastError(TU_SENTINEL);
    /* Runs past the end of the reservation. */
    ck_assert_ptr_null(VirtualAlloc(r + 3 * page(), 2 * page(), MEM_COMMIT, PAGE_READWRITE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
    ck_assert(VirtualFree(r, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualalloc_at_a_free_address_reserves_there)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
    BYTE *q = VirtualAlloc(p, page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert_ptr_eq(q, p);
    ck_assert(VirtualFree(q, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualalloc_at_an_address_in_use_fails_with_error_invalid_address)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc(p, page(), MEM_RESERVE, PAGE_READWRITE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualalloc_outside_the_user_address_range_fails_with_error_invalid_parameter)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc((LPVOID)(uintptr_t)0x1000, page(), MEM_RESERVE, PAGE_READWRITE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc((BYTE *)si.lpMaximumApplicationAddress - page() + 1,
                                    2 * page(), MEM_RESERVE, PAGE_READWRITE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

START_TEST(mem_reset_keeps_the_range_committed_and_returns_its_page)
{
    BYTE *p = alloc(2 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    memset(p, 0x55, 2 * page());
    ck_assert_ptr_eq(VirtualAlloc(p, page(), MEM_RESET, PAGE_NOACCESS), p);
    /* The contents are undefined now, but the pages stay usable. */
    ck_assert(p[0] == 0x55 || p[0] == 0);
    p[0] = 1;
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(mem_reset_outside_any_allocation_fails_with_error_invalid_address)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_ptr_null(VirtualAlloc(p, 2 * page(), MEM_RESET, PAGE_NOACCESS));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

/* These end in the fault the protection promises (tcase_add_test_raise_signal). */
START_TEST(writing_readonly_memory_faults)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
    ck_assert(all_zero(p, page()));
    ((volatile BYTE *)p)[0] = 1;
}
END_TEST

START_TEST(touching_reserved_memory_faults)
{
    BYTE *p = alloc(page(), MEM_RESERVE, PAGE_READWRITE);
    ((volatile BYTE *)p)[0] = 1;
}
END_TEST

/* ------------------------------------------------------------------ VirtualFree */

START_TEST(virtualfree_release_with_a_size_fails_with_error_invalid_parameter)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualFree(p, 1, MEM_RELEASE), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    p[0] = 1; /* still allocated */
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualfree_release_inside_a_region_fails_with_error_invalid_address)
{
    BYTE *p = alloc(2 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualFree(p + page(), 0, MEM_RELEASE), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualfree_release_twice_fails_with_error_invalid_address)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualFree(p, 0, MEM_RELEASE), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
}
END_TEST

START_TEST(virtualfree_release_of_memory_not_from_virtualalloc_fails_with_error_invalid_address)
{
    static BYTE not_ours[1];
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualFree(not_ours, 0, MEM_RELEASE), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualFree(NULL, 0, MEM_RELEASE), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
}
END_TEST

static const DWORD bad_free_types[] = { 0, MEM_RELEASE | MEM_DECOMMIT, 0x10000 /* MEM_FREE */,
                                        MEM_COMMIT };

START_TEST(virtualfree_with_a_bad_free_type_fails_with_error_invalid_parameter)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualFree(p, 0, bad_free_types[_i]), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

/* Asked of the kernel right after VirtualFree returns: any later call may
 * let an allocator (a sanitizer's, under test builds) map the hole again. */
static int mapped(const void *p, size_t len)
{
    return msync((void *)p, len, MS_ASYNC) == 0;
}

START_TEST(released_memory_is_no_longer_mapped)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
    ck_assert(!mapped(p, page()));
}
END_TEST

START_TEST(release_unmaps_the_whole_region_after_partial_commits)
{
    BYTE *r = alloc(8 * page(), MEM_RESERVE, PAGE_NOACCESS);
    ck_assert_ptr_nonnull(VirtualAlloc(r + 6 * page(), page(), MEM_COMMIT, PAGE_READWRITE));
    ck_assert(VirtualFree(r, 0, MEM_RELEASE));
    for (int i = 0; i < 8; i++)
        ck_assert_msg(!mapped(r + i * page(), page()), "page %d still mapped", i);
}
END_TEST

START_TEST(decommitted_pages_read_as_zero_when_committed_again)
{
    BYTE *p = alloc(4 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    memset(p, 0x77, 4 * page());
    ck_assert(VirtualFree(p + page(), 2 * page(), MEM_DECOMMIT));
    ck_assert_ptr_eq(VirtualAlloc(p + page(), 2 * page(), MEM_COMMIT, PAGE_READWRITE), p + page());
    ck_assert(all_zero(p + page(), 2 * page()));
    /* The neighbours keep their contents. */
    ck_assert_uint_eq(p[0], 0x77);
    ck_assert_uint_eq(p[3 * page()], 0x77);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(decommit_with_size_zero_decommits_the_whole_region)
{
    BYTE *p = alloc(2 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualFree(p, 0, MEM_DECOMMIT));
    ((volatile BYTE *)p)[page()] = 1;
}
END_TEST

START_TEST(decommit_outside_any_region_fails_with_error_invalid_address)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualFree(p, 2 * page(), MEM_DECOMMIT), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
    p[0] = 1; /* unchanged */
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

/* ------------------------------------------------------------------ VirtualLock / VirtualUnlock */

START_TEST(virtuallock_then_virtualunlock_succeed)
{
    BYTE *p = alloc(4 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualLock(p + 10, 2 * page()));
    ck_assert(VirtualUnlock(p + 10, 2 * page()));
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualunlock_of_memory_never_locked_fails_with_error_not_locked)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(p, page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualunlock_twice_fails_the_second_time_with_error_not_locked)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualLock(p, page()));
    ck_assert(VirtualUnlock(p, page()));
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(p, page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtualunlock_partly_outside_the_locked_range_fails_and_unlocks_nothing)
{
    BYTE *p = alloc(2 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualLock(p, page()));
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(p, 2 * page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert(VirtualUnlock(p, page())); /* still locked */
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtuallock_with_size_zero_fails_with_error_invalid_parameter)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualLock(p, 0), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(p, 0), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtuallock_of_a_wrapping_range_fails_with_error_invalid_parameter)
{
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualLock((LPVOID)(uintptr_t)-4096, 8192), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
}
END_TEST

START_TEST(virtuallock_of_unmapped_memory_fails_with_error_noaccess)
{
    /* Below vm.mmap_min_addr (64 KiB by default): never mapped, so no
     * allocator can fill it in between. */
    BYTE *p = (BYTE *)(uintptr_t)0x1000;
    ck_assert(!mapped(p, page()));
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualLock(p, page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOACCESS);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualLock(NULL, page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOACCESS);
}
END_TEST

START_TEST(virtuallock_of_memory_not_from_virtualalloc_succeeds)
{
    static BYTE buf[64];
    ck_assert(VirtualLock(buf, sizeof buf));
    ck_assert(VirtualUnlock(buf, sizeof buf));
}
END_TEST

START_TEST(releasing_locked_memory_drops_its_locks)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualLock(p, page()));
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
    BYTE *q = VirtualAlloc(p, page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert_ptr_eq(q, p);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(q, page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert(VirtualFree(q, 0, MEM_RELEASE));
}
END_TEST

START_TEST(decommitting_locked_memory_drops_its_locks)
{
    BYTE *p = alloc(2 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert(VirtualLock(p, 2 * page()));
    ck_assert(VirtualFree(p + page(), page(), MEM_DECOMMIT));
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualUnlock(p + page(), page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert(VirtualUnlock(p, page()));
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

START_TEST(virtuallock_failing_in_mlock_fails_with_error_working_set_quota)
{
    BYTE *p = alloc(page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert_int_eq(iore_fault_inject("mlock", 1, ENOMEM), 0);
    SetLastError(TU_SENTINEL);
    ck_assert_int_eq(VirtualLock(p, page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_WORKING_SET_QUOTA);
    /* Nothing stayed locked. */
    ck_assert_int_eq(VirtualUnlock(p, page()), FALSE);
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_LOCKED);
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}
END_TEST

/* ------------------------------------------------------------------ suite */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static Suite *memory_suite(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("virtualalloc");
    tcase_add_test(tc, virtualalloc_commit_returns_zeroed_memory_aligned_to_64k);
    tcase_add_test(tc, virtualalloc_commit_without_reserve_reserves_too);
    tcase_add_test(tc, virtualalloc_accepts_mem_top_down);
    tcase_add_test(tc, virtualalloc_with_zero_size_fails_with_error_invalid_parameter);
    tcase_add_loop_test(tc, virtualalloc_with_a_bad_protection_fails_with_error_invalid_parameter, 0,
                        N(bad_protections));
    tcase_add_test(tc, virtualalloc_with_page_nocache_succeeds);
    tcase_add_loop_test(tc, virtualalloc_with_a_bad_allocation_type_fails_with_error_invalid_parameter,
                        0, N(bad_types));
    tcase_add_test(tc, virtualalloc_with_large_pages_fails_with_error_privilege_not_held);
    tcase_add_test(tc, reserved_memory_can_be_committed_page_by_page);
    tcase_add_test(tc, committing_outside_any_reservation_fails_with_error_invalid_address);
    tcase_add_test(tc, virtualalloc_at_a_free_address_reserves_there);
    tcase_add_test(tc, virtualalloc_at_an_address_in_use_fails_with_error_invalid_address);
    tcase_add_test(tc, virtualalloc_outside_the_user_address_range_fails_with_error_invalid_parameter);
    tcase_add_test(tc, mem_reset_keeps_the_range_committed_and_returns_its_page);
    tcase_add_test(tc, mem_reset_outside_any_allocation_fails_with_error_invalid_address);
    tcase_add_test_raise_signal(tc, writing_readonly_memory_faults, SIGSEGV);
    tcase_add_test_raise_signal(tc, touching_reserved_memory_faults, SIGSEGV);
    suite_add_tcase(s, tc);

    tc = tcase_create("virtualfree");
    tcase_add_test(tc, virtualfree_release_with_a_size_fails_with_error_invalid_parameter);
    tcase_add_test(tc, virtualfree_release_inside_a_region_fails_with_error_invalid_address);
    tcase_add_test(tc, virtualfree_release_twice_fails_with_error_invalid_address);
    tcase_add_test(tc, virtualfree_release_of_memory_not_from_virtualalloc_fails_with_error_invalid_address);
    tcase_add_loop_test(tc, virtualfree_with_a_bad_free_type_fails_with_error_invalid_parameter, 0,
                        N(bad_free_types));
    tcase_add_test(tc, released_memory_is_no_longer_mapped);
    tcase_add_test(tc, release_unmaps_the_whole_region_after_partial_commits);
    tcase_add_test(tc, decommitted_pages_read_as_zero_when_committed_again);
    tcase_add_test_raise_signal(tc, decommit_with_size_zero_decommits_the_whole_region, SIGSEGV);
    tcase_add_test(tc, decommit_outside_any_region_fails_with_error_invalid_address);
    suite_add_tcase(s, tc);

    tc = tcase_create("virtuallock");
    tcase_add_test(tc, virtuallock_then_virtualunlock_succeed);
    tcase_add_test(tc, virtualunlock_of_memory_never_locked_fails_with_error_not_locked);
    tcase_add_test(tc, virtualunlock_twice_fails_the_second_time_with_error_not_locked);
    tcase_add_test(tc, virtualunlock_partly_outside_the_locked_range_fails_and_unlocks_nothing);
    tcase_add_test(tc, virtuallock_with_size_zero_fails_with_error_invalid_parameter);
    tcase_add_test(tc, virtuallock_of_a_wrapping_range_fails_with_error_invalid_parameter);
    tcase_add_test(tc, virtuallock_of_unmapped_memory_fails_with_error_noaccess);
    tcase_add_test(tc, virtuallock_of_memory_not_from_virtualalloc_succeeds);
    tcase_add_test(tc, releasing_locked_memory_drops_its_locks);
    tcase_add_test(tc, decommitting_locked_memory_drops_its_locks);
    tcase_add_test(tc, virtuallock_failing_in_mlock_fails_with_error_working_set_quota);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Locking a few pages needs RLIMIT_MEMLOCK room or CAP_IPC_LOCK. */
    BYTE *p = VirtualAlloc(NULL, 4 * page(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p || !VirtualLock(p, 4 * page()))
        tu_skip("cannot lock 4 pages (RLIMIT_MEMLOCK too low and no CAP_IPC_LOCK)");
    VirtualUnlock(p, 4 * page());
    VirtualFree(p, 0, MEM_RELEASE);
    return tu_run(memory_suite());
}
