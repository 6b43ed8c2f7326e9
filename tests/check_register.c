/*
 * check_register.c - registered file handles and buffers (ioring.md 13).
 *
 * Four suites, run in this order by main():
 *   register  table semantics, through the public API only;
 *   race      replacing the buffer table while reads through it are in flight;
 *   pin       page pinning measured against the kernel's own accounting
 *             (VmLck in /proc/self/status); needs mlock to work here;
 *   limits    RLIMIT_MEMLOCK refusals, in Check's forked test processes after
 *             dropping CAP_IPC_LOCK; needs fork mode and a droppable limit.
 * A suite whose precondition the machine lacks is not run; the program
 * then prints why and exits 77 (after running the others).
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include "testutil.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HR_INDEX_OUT_OF_BOUNDS ((HRESULT)0x800701DA)
#define HR_INVALID_USER_BUFFER ((HRESULT)0x800706F8)
#define HR_NOACCESS ((HRESULT)0x800703E6)
#define HR_WORKING_SET_QUOTA ((HRESULT)0x800705AD)

#define FILE_LEN (1u << 20)
#define SENTINEL 0xEE
#define WAIT_MS 20000   /* deadlock guard only; nothing relies on timing */

/* ------------------------------------------------------------ helpers */
static HIORING new_ring_flags(IORING_CREATE_ADVISORY_FLAGS advisory)
{
    IORING_CREATE_FLAGS flags = {IORING_CREATE_REQUIRED_FLAGS_NONE, advisory};
    HIORING ring = NULL;
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_3, flags, 64, 128, &ring), S_OK);
    return ring;
}

static HIORING new_ring(void)
{
    return new_ring_flags(IORING_CREATE_ADVISORY_FLAGS_NONE);
}

static void *alloc_pages(size_t npages)
{
    void *p = VirtualAlloc(NULL, npages * tu_page_size(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ck_assert_ptr_nonnull(p);
    memset(p, SENTINEL, npages * tu_page_size());
    return p;
}

static void free_pages(void *p)
{
    ck_assert(VirtualFree(p, 0, MEM_RELEASE));
}

static HANDLE open_pattern_file(void)
{
    return tu_pattern_file("reg", FILE_LEN, 0);
}

/* Pops the next CQE, waiting for one to be posted if the CQ is empty. */
static IORING_CQE next_cqe(HIORING ring)
{
    IORING_CQE cqe;
    for (;;) {
        memset(&cqe, 0xAB, sizeof cqe);
        HRESULT hr = PopIoRingCompletion(ring, &cqe);
        if (hr == S_OK)
            return cqe;
        ck_assert_int_eq(hr, S_FALSE);
        ck_assert_int_eq(SubmitIoRing(ring, 1, WAIT_MS, NULL), S_OK);
    }
}

/* Submits everything built and returns the CQE of the entry tagged ud,
 * which must be the only one outstanding. */
static IORING_CQE submit_one(HIORING ring, UINT_PTR ud)
{
    UINT32 submitted = 0xFFFF;
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, &submitted), S_OK);
    ck_assert_uint_eq(submitted, 1);
    IORING_CQE cqe = next_cqe(ring);
    ck_assert_uint_eq(cqe.UserData, ud);
    return cqe;
}

static HRESULT register_buffers(HIORING ring, UINT32 n, const IORING_BUFFER_INFO *b,
                                ULONG_PTR *info)
{
    ck_assert_int_eq(BuildIoRingRegisterBuffers(ring, n, b, 0x5EB), S_OK);
    IORING_CQE cqe = submit_one(ring, 0x5EB);
    *info = cqe.Information;
    return cqe.ResultCode;
}

static HRESULT register_files(HIORING ring, UINT32 n, const HANDLE *h, ULONG_PTR *info)
{
    ck_assert_int_eq(BuildIoRingRegisterFileHandles(ring, n, h, 0x5EF), S_OK);
    IORING_CQE cqe = submit_one(ring, 0x5EF);
    *info = cqe.Information;
    return cqe.ResultCode;
}

static void must_register_buffers(HIORING ring, UINT32 n, const IORING_BUFFER_INFO *b)
{
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_buffers(ring, n, b, &info), S_OK);
    ck_assert_uint_eq(info, n);
}

static IORING_CQE read_one(HIORING ring, IORING_HANDLE_REF file, IORING_BUFFER_REF buf,
                           UINT32 len, UINT64 off)
{
    ck_assert_int_eq(BuildIoRingReadFile(ring, file, buf, len, off, 0x2EAD, IOSQE_FLAGS_NONE),
                     S_OK);
    return submit_one(ring, 0x2EAD);
}

/* A read of 16 bytes at file offset 0 through registered buffer `index`. */
static HRESULT read_through_buffer(HIORING ring, HANDLE h, UINT32 index, UINT32 off, UINT32 len)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF b = IoRingBufferRefFromIndexAndOffset(index, off);
    return read_one(ring, f, b, len, 0).ResultCode;
}

static HRESULT read_through_file(HIORING ring, UINT32 index, void *dst)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(index);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(dst);
    return read_one(ring, f, b, 16, 0).ResultCode;
}

static void assert_untouched(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != SENTINEL)
            ck_abort_msg("byte %zu was written (%#x)", i, p[i]);
}

static IORE_RING_STATS ring_stats(HIORING ring)
{
    IORE_RING_STATS st;
    memset(&st, 0xAB, sizeof st);
    ck_assert_int_eq(iore_ring_stats(ring, &st), S_OK);
    return st;
}

/* ============================================================ file table */
START_TEST(register_files_reports_count_in_information)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[3] = {h, INVALID_HANDLE_VALUE, h};
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_files(ring, 3, table, &info), S_OK);
    ck_assert_uint_eq(info, 3);
    ck_assert_uint_eq(ring_stats(ring).registered_files, 3);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(registered_file_reads_like_its_raw_handle)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[1] = {h};
    ULONG_PTR info;
    ck_assert_int_eq(register_files(ring, 1, table, &info), S_OK);
    unsigned char got[16];
    memset(got, SENTINEL, sizeof got);
    ck_assert_int_eq(read_through_file(ring, 0, got), S_OK);
    tu_assert_pattern(got, sizeof got, 0);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(registered_file_sparse_slot_fails_with_e_handle)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[2] = {h, INVALID_HANDLE_VALUE};
    ULONG_PTR info;
    ck_assert_int_eq(register_files(ring, 2, table, &info), S_OK);
    unsigned char got[16];
    memset(got, SENTINEL, sizeof got);
    ck_assert_int_eq(read_through_file(ring, 1, got), E_HANDLE);
    assert_untouched(got, sizeof got);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(registered_file_index_past_count_fails_with_index_out_of_bounds)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[2] = {h, h};
    ULONG_PTR info;
    ck_assert_int_eq(register_files(ring, 2, table, &info), S_OK);
    unsigned char got[16];
    memset(got, SENTINEL, sizeof got);
    ck_assert_int_eq(read_through_file(ring, 2, got), HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_int_eq(read_through_file(ring, UINT32_MAX, got), HR_INDEX_OUT_OF_BOUNDS);
    assert_untouched(got, sizeof got);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(registered_file_without_table_fails_with_index_out_of_bounds)
{
    HIORING ring = new_ring();
    unsigned char got[16];
    ck_assert_int_eq(read_through_file(ring, 0, got), HR_INDEX_OUT_OF_BOUNDS);
    CloseIoRing(ring);
}
END_TEST

START_TEST(register_files_replaces_the_whole_previous_table)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE old_table[2] = {h, h}, new_table[1] = {h};
    ULONG_PTR info;
    ck_assert_int_eq(register_files(ring, 2, old_table, &info), S_OK);
    ck_assert_int_eq(register_files(ring, 1, new_table, &info), S_OK);
    unsigned char got[16];
    ck_assert_int_eq(read_through_file(ring, 1, got), HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_int_eq(read_through_file(ring, 0, got), S_OK);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(register_files_count_zero_null_unregisters)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[1] = {h};
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_files(ring, 1, table, &info), S_OK);
    ck_assert_int_eq(register_files(ring, 0, NULL, &info), S_OK);
    ck_assert_uint_eq(info, 0);
    unsigned char got[16];
    ck_assert_int_eq(read_through_file(ring, 0, got), HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_uint_eq(ring_stats(ring).registered_files, 0);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(closing_the_original_handle_makes_registered_use_fail_with_e_handle)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[1] = {h};
    ULONG_PTR info;
    ck_assert_int_eq(register_files(ring, 1, table, &info), S_OK);
    ck_assert(CloseHandle(h));
    unsigned char got[16];
    memset(got, SENTINEL, sizeof got);
    ck_assert_int_eq(read_through_file(ring, 0, got), E_HANDLE);
    assert_untouched(got, sizeof got);
    CloseIoRing(ring);
}
END_TEST

START_TEST(register_files_array_is_not_read_after_processing)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[1] = {h};
    ULONG_PTR info;
    ck_assert_int_eq(register_files(ring, 1, table, &info), S_OK);
    table[0] = INVALID_HANDLE_VALUE;
    unsigned char got[16];
    ck_assert_int_eq(read_through_file(ring, 0, got), S_OK);
    tu_assert_pattern(got, sizeof got, 0);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(register_files_deferred_parameter_error_leaves_no_table)
{
    HIORING ring = new_ring_flags(IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS);
    HANDLE h = open_pattern_file();
    HANDLE table[1] = {h};
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_files(ring, 1, table, &info), S_OK);
    ck_assert_int_eq(register_files(ring, 1, NULL, &info), E_INVALIDARG);
    ck_assert_uint_eq(info, 0);
    unsigned char got[16];
    ck_assert_int_eq(read_through_file(ring, 0, got), HR_INDEX_OUT_OF_BOUNDS);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(register_files_is_seen_by_later_entries_of_the_same_batch)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    HANDLE table[1] = {h};
    unsigned char before[16], after[16];
    memset(before, SENTINEL, sizeof before);
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(0);
    IORING_BUFFER_REF b1 = IoRingBufferRefFromPointer(before);
    IORING_BUFFER_REF b2 = IoRingBufferRefFromPointer(after);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b1, 16, 0, 1, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(BuildIoRingRegisterFileHandles(ring, 1, table, 2), S_OK);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b2, 16, 0, 3, IOSQE_FLAGS_NONE), S_OK);
    UINT32 submitted = 0;
    ck_assert_int_eq(SubmitIoRing(ring, 3, WAIT_MS, &submitted), S_OK);
    ck_assert_uint_eq(submitted, 3);
    HRESULT result[4] = {0};
    for (int i = 0; i < 3; i++) {
        IORING_CQE cqe = next_cqe(ring);
        ck_assert(cqe.UserData >= 1 && cqe.UserData <= 3);
        result[cqe.UserData] = cqe.ResultCode;
    }
    ck_assert_int_eq(result[1], HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_int_eq(result[2], S_OK);
    ck_assert_int_eq(result[3], S_OK);
    assert_untouched(before, sizeof before);
    tu_assert_pattern(after, sizeof after, 0);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

/* ============================================================ buffer table */
START_TEST(register_buffers_reports_count_in_information)
{
    HIORING ring = new_ring();
    unsigned char *p = alloc_pages(2);
    IORING_BUFFER_INFO table[3] = {{p, 100}, {NULL, 0}, {p + 4096, 16}};
    must_register_buffers(ring, 3, table);
    ck_assert_uint_eq(ring_stats(ring).registered_buffers, 3);
    CloseIoRing(ring);
    free_pages(p);
}
END_TEST

START_TEST(registered_and_raw_buffer_refs_give_identical_data)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    size_t ps = tu_page_size();
    unsigned char *reg = alloc_pages(2), *raw = alloc_pages(2);
    IORING_BUFFER_INFO table[1] = {{reg, (UINT32)(2 * ps)}};
    must_register_buffers(ring, 1, table);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF rb = IoRingBufferRefFromIndexAndOffset(0, 100);
    IORING_BUFFER_REF pb = IoRingBufferRefFromPointer(raw + 100);
    IORING_CQE a = read_one(ring, f, rb, (UINT32)ps, 12345);
    IORING_CQE b = read_one(ring, f, pb, (UINT32)ps, 12345);
    ck_assert_int_eq(a.ResultCode, S_OK);
    ck_assert_int_eq(b.ResultCode, S_OK);
    ck_assert_uint_eq(a.Information, ps);
    ck_assert_uint_eq(b.Information, ps);
    ck_assert_mem_eq(reg, raw, 2 * ps);
    tu_assert_pattern(reg + 100, ps, 12345);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(reg);
    free_pages(raw);
}
END_TEST

/* Any entry of Length 0 is an empty slot, whatever its address. */
static const uintptr_t sparse_addresses[] = {0, 0x1000, (uintptr_t)-1};

START_TEST(registered_buffer_sparse_slot_fails_with_invalid_user_buffer)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO table[2] = {{p, 64}, {(void *)sparse_addresses[_i], 0}};
    must_register_buffers(ring, 2, table);
    ck_assert_int_eq(read_through_buffer(ring, h, 1, 0, 16), HR_INVALID_USER_BUFFER);
    ck_assert_int_eq(read_through_buffer(ring, h, 1, 0, 0), HR_INVALID_USER_BUFFER);
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 16), S_OK);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

START_TEST(registered_buffer_index_past_count_fails_with_index_out_of_bounds)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO table[2] = {{p, 64}, {p + 64, 64}};
    must_register_buffers(ring, 2, table);
    ck_assert_int_eq(read_through_buffer(ring, h, 2, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_int_eq(read_through_buffer(ring, h, UINT32_MAX, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    assert_untouched(p + 128, tu_page_size() - 128);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

START_TEST(registered_buffer_without_table_fails_with_index_out_of_bounds)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    CloseIoRing(ring);
    CloseHandle(h);
}
END_TEST

START_TEST(register_buffers_replaces_the_whole_previous_table)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO old_table[2] = {{p, 64}, {p + 64, 64}}, new_table[1] = {{p + 128, 32}};
    must_register_buffers(ring, 2, old_table);
    must_register_buffers(ring, 1, new_table);
    ck_assert_int_eq(read_through_buffer(ring, h, 1, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    /* Index 0 now names the new entry: 32 bytes, no longer 64. */
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 64), HR_INVALID_USER_BUFFER);
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 32), S_OK);
    tu_assert_pattern(p + 128, 32, 0);
    assert_untouched(p, 128);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

START_TEST(register_buffers_count_zero_null_unregisters)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO table[1] = {{p, 64}};
    must_register_buffers(ring, 1, table);
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_buffers(ring, 0, NULL, &info), S_OK);
    ck_assert_uint_eq(info, 0);
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_uint_eq(ring_stats(ring).registered_buffers, 0);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

/* [Offset, Offset + length) against a registered buffer of 4096 bytes. */
static const struct range_case {
    UINT32 offset, len;
    HRESULT want;
} range_cases[] = {
    {0, 4096, S_OK},
    {4095, 1, S_OK},
    {4096, 0, S_OK},
    {0, 4097, HR_INVALID_USER_BUFFER},
    {4096, 1, HR_INVALID_USER_BUFFER},
    {4097, 0, HR_INVALID_USER_BUFFER},
    {UINT32_MAX, 2, HR_INVALID_USER_BUFFER},        /* wraps to 1 in 32 bits */
    {UINT32_MAX - 15, 32, HR_INVALID_USER_BUFFER},  /* wraps to 16 in 32 bits */
    {UINT32_MAX, 0, HR_INVALID_USER_BUFFER},
};

START_TEST(registered_buffer_range_is_checked_in_64_bits)
{
    const struct range_case *c = &range_cases[_i];
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    size_t ps = tu_page_size();
    unsigned char *p = alloc_pages(3);
    /* The registered buffer is the middle 4096 bytes; its neighbours must
     * stay untouched whatever the request. */
    IORING_BUFFER_INFO table[1] = {{p + ps, 4096}};
    must_register_buffers(ring, 1, table);
    ck_assert_int_eq(read_through_buffer(ring, h, 0, c->offset, c->len), c->want);
    assert_untouched(p, ps);
    assert_untouched(p + ps + 4096, 2 * ps - 4096);
    if (c->want != S_OK)
        assert_untouched(p + ps, 4096);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

/* Entry 2 is unusable; entries 0 and 1 are fine. */
enum bad_kind { BAD_NULL, BAD_WRAP, BAD_UNMAPPED, BAD_PARTLY_UNMAPPED };
static const enum bad_kind bad_kinds[] = {BAD_NULL, BAD_WRAP, BAD_UNMAPPED, BAD_PARTLY_UNMAPPED};

/* The live page of BAD_PARTLY_UNMAPPED, unmapped by the test at its end. */
static void *partly_live;

static IORING_BUFFER_INFO bad_entry(enum bad_kind kind)
{
    size_t ps = tu_page_size();
    IORING_BUFFER_INFO e = {NULL, 16};
    unsigned char *q;
    switch (kind) {
    case BAD_NULL:
        break;
    case BAD_WRAP:
        e.Address = (void *)(UINTPTR_MAX - 100);
        e.Length = 4096;
        break;
    case BAD_UNMAPPED:
        q = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(q, MAP_FAILED);
        ck_assert_int_eq(munmap(q, 2 * ps), 0);
        e.Address = q;
        e.Length = (UINT32)(2 * ps);
        break;
    case BAD_PARTLY_UNMAPPED:
        /* A live page followed by an unmapped one. */
        q = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(q, MAP_FAILED);
        ck_assert_int_eq(munmap(q + ps, ps), 0);
        partly_live = q;
        e.Address = q + ps - 8;
        e.Length = (UINT32)ps;
        break;
    }
    return e;
}

START_TEST(register_buffers_bad_entry_fails_with_noaccess_and_its_index)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO ok_table[1] = {{p, 64}};
    must_register_buffers(ring, 1, ok_table);
    IORING_BUFFER_INFO table[4] = {{p, 64}, {NULL, 0}, bad_entry(bad_kinds[_i]), {p, 64}};
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_buffers(ring, 4, table, &info), HR_NOACCESS);
    ck_assert_uint_eq(info, 2);
    /* The failed registration leaves no table at all. */
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_uint_eq(ring_stats(ring).registered_buffers, 0);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
    if (partly_live)
        munmap(partly_live, tu_page_size());
}
END_TEST

START_TEST(register_buffers_deferred_parameter_error_leaves_no_table)
{
    HIORING ring = new_ring_flags(IORING_CREATE_SKIP_BUILDER_PARAM_CHECKS);
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO table[1] = {{p, 64}};
    must_register_buffers(ring, 1, table);
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_buffers(ring, 1, NULL, &info), E_INVALIDARG);
    ck_assert_uint_eq(info, 0);
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

START_TEST(register_buffers_array_is_not_read_after_processing)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO table[1] = {{p, 64}};
    must_register_buffers(ring, 1, table);
    table[0].Address = NULL;
    table[0].Length = 0;
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 64), S_OK);
    tu_assert_pattern(p, 64, 0);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

START_TEST(register_buffers_is_seen_by_later_entries_of_the_same_batch)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(1);
    IORING_BUFFER_INFO table[1] = {{p, 64}};
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF b = IoRingBufferRefFromIndexAndOffset(0, 0);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, 64, 0, 1, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(BuildIoRingRegisterBuffers(ring, 1, table, 2), S_OK);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, 64, 0, 3, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 3, WAIT_MS, NULL), S_OK);
    HRESULT result[4] = {0};
    for (int i = 0; i < 3; i++) {
        IORING_CQE cqe = next_cqe(ring);
        ck_assert(cqe.UserData >= 1 && cqe.UserData <= 3);
        result[cqe.UserData] = cqe.ResultCode;
    }
    ck_assert_int_eq(result[1], HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_int_eq(result[2], S_OK);
    ck_assert_int_eq(result[3], S_OK);
    tu_assert_pattern(p, 64, 0);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

/* ============================================================ fault hooks
 * A held read keeps one read in flight deterministically: testutil.h's
 * gate sends it to the pool and holds the first pool read there until the
 * test releases it. The gate passes every other call to count_munlock. */
static sem_t munlocked;        /* one post per munlock call */
static atomic_int munlocks;

static int count_munlock(const char *call, void *arg)
{
    (void)arg;
    if (strcmp(call, "munlock") == 0) {
        atomic_fetch_add(&munlocks, 1);
        sem_post(&munlocked);
    }
    return 0;
}

static void hold_first_read(void)
{
    tu_gate_install(1, count_munlock, NULL);
}

static void hooks_setup(void)
{
    sem_init(&munlocked, 0, 0);
    atomic_store(&munlocks, 0);
}

/* ============================================================ race */
#define RACE_SLOTS 32
#define RACE_ROUNDS 1500

struct race {
    HIORING ring;
    unsigned char *buf;
    size_t ps;
    int seen[RACE_ROUNDS];       /* CQEs per read */
    int reg_seen[RACE_ROUNDS];   /* CQEs per registration */
    long slot_round[RACE_SLOTS]; /* round whose read owns the slot, or -1 */
    int in_flight;
};

static uint64_t race_file_off(long round, size_t ps)
{
    return (uint64_t)(round % (FILE_LEN / ps)) * ps;
}

static void race_reap(struct race *rc, const IORING_CQE *cqe)
{
    long round = (long)(cqe->UserData >> 1);
    ck_assert(round >= 0 && round < RACE_ROUNDS);
    if ((cqe->UserData & 1) == 0) {
        ck_assert_int_eq(cqe->ResultCode, S_OK);
        ck_assert_uint_eq(cqe->Information, 1);
        ck_assert_int_eq(++rc->reg_seen[round], 1);
        return;
    }
    ck_assert_int_eq(++rc->seen[round], 1);
    ck_assert_int_eq(cqe->ResultCode, S_OK);
    ck_assert_uint_eq(cqe->Information, rc->ps);
    long slot = round % RACE_SLOTS;
    ck_assert_int_eq(rc->slot_round[slot], round);
    tu_assert_pattern(rc->buf + slot * rc->ps, rc->ps, race_file_off(round, rc->ps));
    rc->slot_round[slot] = -1;
    rc->in_flight--;
}

static void race_pop_all(struct race *rc)
{
    IORING_CQE cqe;
    while (PopIoRingCompletion(rc->ring, &cqe) == S_OK)
        race_reap(rc, &cqe);
}

static void race_wait_slot(struct race *rc, long slot)
{
    race_pop_all(rc);
    while (rc->slot_round[slot] != -1) {
        ck_assert_int_eq(SubmitIoRing(rc->ring, 1, WAIT_MS, NULL), S_OK);
        race_pop_all(rc);
    }
}

START_TEST(replacing_buffer_table_while_reads_are_in_flight_keeps_data_and_cqes)
{
    static struct race rc;
    HANDLE h = open_pattern_file();
    rc.ps = tu_page_size();
    rc.ring = new_ring();
    rc.buf = alloc_pages(RACE_SLOTS + 1);
    for (long s = 0; s < RACE_SLOTS; s++)
        rc.slot_round[s] = -1;
    /* Two tables naming overlapping memory with different lengths, so each
     * registration builds new entries while old ones are still in use. */
    IORING_BUFFER_INFO tables[2][1] = {{{rc.buf, (UINT32)(RACE_SLOTS * rc.ps)}},
                                       {{rc.buf, (UINT32)((RACE_SLOTS + 1) * rc.ps)}}};
    tu_force_pool(); /* real concurrency */
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    for (long round = 0; round < RACE_ROUNDS; round++) {
        long slot = round % RACE_SLOTS;
        race_wait_slot(&rc, slot);
        IORING_BUFFER_REF b = IoRingBufferRefFromIndexAndOffset(0, (UINT32)(slot * rc.ps));
        ck_assert_int_eq(BuildIoRingRegisterBuffers(rc.ring, 1, tables[round & 1],
                                                    (UINT_PTR)round << 1), S_OK);
        ck_assert_int_eq(BuildIoRingReadFile(rc.ring, f, b, (UINT32)rc.ps,
                                             race_file_off(round, rc.ps),
                                             ((UINT_PTR)round << 1) | 1, IOSQE_FLAGS_NONE),
                         S_OK);
        rc.slot_round[slot] = round;
        rc.in_flight++;
        ck_assert_int_eq(SubmitIoRing(rc.ring, 0, 0, NULL), S_OK);
    }
    while (rc.in_flight > 0) {
        ck_assert_int_eq(SubmitIoRing(rc.ring, 1, WAIT_MS, NULL), S_OK);
        race_pop_all(&rc);
    }
    for (long round = 0; round < RACE_ROUNDS; round++) {
        ck_assert_int_eq(rc.seen[round], 1);
        ck_assert_int_eq(rc.reg_seen[round], 1);
    }
    IORING_CQE cqe;
    ck_assert_int_eq(PopIoRingCompletion(rc.ring, &cqe), S_FALSE);
    tu_gate_remove();
    CloseIoRing(rc.ring);
    CloseHandle(h);
    free_pages(rc.buf);
}
END_TEST

/* ============================================================ pin (VmLck) */
static long pages_kb(size_t npages)
{
    return (long)(npages * tu_page_size() / 1024);
}

static long vmlck_base;

static void pin_setup(void)
{
    hooks_setup();
    vmlck_base = tu_vmlck_kb();
    ck_assert_int_ge(vmlck_base, 0);
}

/* Every pin test must leave the kernel's count where it found it. */
static void pin_teardown(void)
{
    tu_gate_remove();
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
}

/* A buffer at page offset `offset` (bytes) of `pages` pages plus `extra`
 * bytes locks every page it overlaps, no more. */
static const struct pages_case {
    size_t offset, pages, extra;
} pages_cases[] = {
    {0, 1, 0},
    {0, 3, 0},
    {100, 2, 0},   /* unaligned start: touches a third page */
    {0, 0, 1},     /* one byte */
    {4000, 0, 200},/* straddles a 4 KiB page boundary */
    {1, 1, 0},     /* one page's worth, two pages */
};

START_TEST(pin_registering_raises_vmlck_by_exact_page_count)
{
    const struct pages_case *c = &pages_cases[_i];
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    unsigned char *p = alloc_pages(4);
    IORING_BUFFER_INFO table[1] = {{p + c->offset, (UINT32)(c->pages * ps + c->extra)}};
    size_t want = (c->offset + table[0].Length - 1) / ps - c->offset / ps + 1;
    must_register_buffers(ring, 1, table);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(want));
    IORE_RING_STATS st = ring_stats(ring);
    ck_assert_uint_eq(st.bytes_pinned, table[0].Length);
    ck_assert_uint_eq(st.bytes_unpinned, 0);
    ULONG_PTR info;
    ck_assert_int_eq(register_buffers(ring, 0, NULL, &info), S_OK);
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    CloseIoRing(ring);
    free_pages(p);
}
END_TEST

START_TEST(pin_two_buffers_sharing_a_page_lock_it_once)
{
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    unsigned char *p = alloc_pages(4);
    /* Pages 0-1 and 1-2: page 1 is shared. */
    IORING_BUFFER_INFO table[2] = {{p, (UINT32)(ps + 100)}, {p + ps + 200, (UINT32)ps}};
    must_register_buffers(ring, 2, table);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(3));
    CloseIoRing(ring);
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    free_pages(p);
}
END_TEST

START_TEST(pin_two_rings_registering_the_same_memory_share_pages)
{
    HIORING r1 = new_ring(), r2 = new_ring();
    unsigned char *p = alloc_pages(3);
    IORING_BUFFER_INFO table[1] = {{p, (UINT32)(3 * tu_page_size())}};
    must_register_buffers(r1, 1, table);
    must_register_buffers(r2, 1, table);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(3));
    ck_assert_int_eq(CloseIoRing(r1), S_OK);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(3));
    ck_assert_int_eq(CloseIoRing(r2), S_OK);
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    free_pages(p);
}
END_TEST

START_TEST(pin_close_ioring_releases_the_pages)
{
    HIORING ring = new_ring();
    unsigned char *p = alloc_pages(2);
    IORING_BUFFER_INFO table[1] = {{p, (UINT32)(2 * tu_page_size())}};
    must_register_buffers(ring, 1, table);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(2));
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    free_pages(p);
}
END_TEST

START_TEST(pin_replacing_with_the_same_entry_keeps_the_pages_locked)
{
    HIORING ring = new_ring();
    unsigned char *p = alloc_pages(2);
    IORING_BUFFER_INFO table[1] = {{p, (UINT32)(2 * tu_page_size())}};
    must_register_buffers(ring, 1, table);
    hold_first_read();
    must_register_buffers(ring, 1, table);
    ck_assert_int_eq(atomic_load(&munlocks), 0);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(2));
    tu_gate_remove();
    CloseIoRing(ring);
    free_pages(p);
}
END_TEST

START_TEST(pin_failed_registration_unpins_the_entries_before_the_bad_one)
{
    HIORING ring = new_ring();
    unsigned char *p = alloc_pages(2);
    IORING_BUFFER_INFO table[2] = {{p, (UINT32)(2 * tu_page_size())}, {NULL, 16}};
    ULONG_PTR info;
    ck_assert_int_eq(register_buffers(ring, 2, table, &info), HR_NOACCESS);
    ck_assert_uint_eq(info, 1);
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    CloseIoRing(ring);
    free_pages(p);
}
END_TEST

START_TEST(pin_stats_count_pinned_bytes_of_the_current_table)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(2);
    HANDLE files[2] = {h, INVALID_HANDLE_VALUE};
    IORING_BUFFER_INFO table[3] = {{p, 100}, {NULL, 0}, {p + 4096, 50}};
    ULONG_PTR info;
    ck_assert_int_eq(register_files(ring, 2, files, &info), S_OK);
    must_register_buffers(ring, 3, table);
    IORE_RING_STATS st = ring_stats(ring);
    ck_assert_uint_eq(st.registered_buffers, 3);
    ck_assert_uint_eq(st.registered_files, 2);
    ck_assert_uint_eq(st.bytes_pinned, 150);
    ck_assert_uint_eq(st.bytes_unpinned, 0);
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

/* Starts one read through registered buffer 0 and waits until the pool
 * worker is inside the (held) system call. */
static void start_held_read(HIORING ring, HANDLE h, UINT32 len)
{
    hold_first_read();
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF b = IoRingBufferRefFromIndexAndOffset(0, 0);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, len, 0, 0x4E1D, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
    tu_gate_wait_held(1);
}

START_TEST(pin_replaced_buffer_stays_locked_until_in_flight_read_finishes)
{
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(2);
    IORING_BUFFER_INFO table[1] = {{p, (UINT32)(2 * ps)}};
    must_register_buffers(ring, 1, table);
    start_held_read(ring, h, (UINT32)(2 * ps));
    ULONG_PTR info;
    ck_assert_int_eq(register_buffers(ring, 0, NULL, &info), S_OK);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(2));
    ck_assert_int_eq(atomic_load(&munlocks), 0);
    tu_gate_release(1);
    IORING_CQE cqe = next_cqe(ring);
    ck_assert_uint_eq(cqe.UserData, 0x4E1D);
    ck_assert_int_eq(cqe.ResultCode, S_OK);
    ck_assert_uint_eq(cqe.Information, 2 * ps);
    tu_assert_pattern(p, 2 * ps, 0);
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    tu_gate_remove();
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

START_TEST(pin_closed_ring_buffer_stays_locked_until_in_flight_read_finishes)
{
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(2);
    IORING_BUFFER_INFO table[1] = {{p, (UINT32)(2 * ps)}};
    must_register_buffers(ring, 1, table);
    start_held_read(ring, h, (UINT32)(2 * ps));
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(tu_vmlck_kb() - vmlck_base, pages_kb(2));
    ck_assert_int_eq(atomic_load(&munlocks), 0);
    tu_gate_release(1);
    /* The CQE of a closed ring is discarded: the unpin itself is the signal.
     * The hook runs just before munlock, so wait for the count to follow. */
    tu_sem_wait_ms(&munlocked, WAIT_MS);
    uint64_t deadline = GetTickCount64() + WAIT_MS;
    while (tu_vmlck_kb() != vmlck_base && GetTickCount64() < deadline)
        sched_yield();
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    tu_assert_pattern(p, 2 * ps, 0);
    tu_gate_remove();
    CloseHandle(h);
    free_pages(p);
}
END_TEST

/* ============================================================ limits
 * Each test runs in its own forked process (checked in main), drops
 * CAP_IPC_LOCK for good and lowers RLIMIT_MEMLOCK to LIMIT. */
#define LIMIT (64 * 1024)
#define BIG (1024 * 1024)

static int enter_limited(void)
{
    int err = tu_drop_ipc_lock();
    if (err)
        return err;
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
        return -errno;
    rl.rlim_cur = LIMIT;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < LIMIT)
        rl.rlim_cur = rl.rlim_max;
    return setrlimit(RLIMIT_MEMLOCK, &rl) == 0 ? 0 : -errno;
}

static char stderr_path[4096];
static int saved_stderr = -1;

static void limits_setup(void)
{
    ck_assert_int_eq(enter_limited(), 0);
    snprintf(stderr_path, sizeof stderr_path, "%s", tu_path("stderr"));
    fflush(stderr);
    saved_stderr = dup(2);
    FILE *f = fopen(stderr_path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(dup2(fileno(f), 2), 2);
    fclose(f);
}

static void limits_teardown(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
}

/* The captured stderr, NUL-terminated (static). */
static const char *captured_stderr(void)
{
    static char text[8192];
    fflush(stderr);
    FILE *f = fopen(stderr_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(limits_refused_mlock_leaves_buffer_unpinned_and_registration_succeeds)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *small = alloc_pages(1), *big = alloc_pages(BIG / tu_page_size());
    IORING_BUFFER_INFO table[2] = {{small, 64}, {big, BIG}};
    must_register_buffers(ring, 2, table);
    IORE_RING_STATS st = ring_stats(ring);
    ck_assert_uint_eq(st.bytes_pinned, 64);
    ck_assert_uint_eq(st.bytes_unpinned, BIG);
    ck_assert_int_eq(tu_vmlck_kb(), pages_kb(1));
    ck_assert_int_eq(read_through_buffer(ring, h, 1, 4096, 4096), S_OK);
    tu_assert_pattern(big + 4096, 4096, 0);
    CloseIoRing(ring);
    ck_assert_int_eq(tu_vmlck_kb(), 0);
    CloseHandle(h);
    free_pages(small);
    free_pages(big);
}
END_TEST

START_TEST(limits_refused_mlock_prints_one_diagnostic_naming_the_limit)
{
    HIORING ring = new_ring();
    unsigned char *big = alloc_pages(BIG / tu_page_size());
    IORING_BUFFER_INFO table[2] = {{big, BIG}, {big + 4096, BIG - 4096}};
    must_register_buffers(ring, 2, table);
    must_register_buffers(ring, 2, table);
    HIORING other = new_ring();
    must_register_buffers(other, 1, table);
    const char *text = captured_stderr();
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
    char limit[32], bytes[32];
    snprintf(limit, sizeof limit, "%llu", (unsigned long long)rl.rlim_cur);
    snprintf(bytes, sizeof bytes, "%u", (unsigned)BIG);
    ck_assert_msg(count_lines(text) == 1, "expected one line, got: %s", text);
    ck_assert_ptr_nonnull(strstr(text, limit));
    ck_assert_ptr_nonnull(strstr(text, bytes));
    ck_assert_ptr_nonnull(strstr(text, "ulimit -l"));
    ck_assert_ptr_nonnull(strstr(text, "/etc/security/limits.conf"));
    ck_assert_ptr_nonnull(strstr(text, "--ulimit memlock="));
    ck_assert_ptr_nonnull(strstr(text, "CAP_IPC_LOCK"));
    CloseIoRing(ring);
    CloseIoRing(other);
    free_pages(big);
}
END_TEST

static void assert_strict_failure(void)
{
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *small = alloc_pages(1), *big = alloc_pages(BIG / tu_page_size());
    IORING_BUFFER_INFO ok[1] = {{small, 64}};
    must_register_buffers(ring, 1, ok);
    IORING_BUFFER_INFO table[3] = {{small, 64}, {big, BIG}, {small, 32}};
    ULONG_PTR info = TU_SENTINEL_INFO;
    ck_assert_int_eq(register_buffers(ring, 3, table, &info), HR_WORKING_SET_QUOTA);
    ck_assert_uint_eq(info, 1);
    ck_assert_int_eq(read_through_buffer(ring, h, 0, 0, 16), HR_INDEX_OUT_OF_BOUNDS);
    ck_assert_uint_eq(ring_stats(ring).registered_buffers, 0);
    ck_assert_int_eq(tu_vmlck_kb(), 0);
    ck_assert_str_eq(captured_stderr(), "");
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(small);
    free_pages(big);
}

START_TEST(limits_strict_pinning_fails_with_working_set_quota_and_leaves_no_table)
{
    iore_set_strict_pinning(TRUE);
    assert_strict_failure();
}
END_TEST

START_TEST(limits_strict_pinning_is_read_from_the_environment)
{
    setenv("IORINGEMU_STRICT_PINNING", "1", 1);
    assert_strict_failure();
}
END_TEST

START_TEST(limits_strict_pinning_call_overrides_the_environment)
{
    setenv("IORINGEMU_STRICT_PINNING", "1", 1);
    iore_set_strict_pinning(FALSE);
    HIORING ring = new_ring();
    unsigned char *big = alloc_pages(BIG / tu_page_size());
    IORING_BUFFER_INFO table[1] = {{big, BIG}};
    must_register_buffers(ring, 1, table);
    ck_assert_uint_eq(ring_stats(ring).bytes_unpinned, BIG);
    CloseIoRing(ring);
    free_pages(big);
}
END_TEST

/* The old table is dropped first: its pins do not count against the new
 * table's room under the limit. */
START_TEST(limits_replacement_gets_the_room_the_old_table_held)
{
    iore_set_strict_pinning(TRUE);
    size_t n = (LIMIT * 3 / 4) / tu_page_size();
    HIORING ring = new_ring();
    unsigned char *a = alloc_pages(n), *b = alloc_pages(n);
    IORING_BUFFER_INFO ta[1] = {{a, (UINT32)(n * tu_page_size())}};
    IORING_BUFFER_INFO tb[1] = {{b, (UINT32)(n * tu_page_size())}};
    must_register_buffers(ring, 1, ta);
    must_register_buffers(ring, 1, tb);
    IORE_RING_STATS st = ring_stats(ring);
    ck_assert_uint_eq(st.bytes_pinned, n * tu_page_size());
    ck_assert_uint_eq(st.bytes_unpinned, 0);
    ck_assert_int_eq(tu_vmlck_kb(), pages_kb(n));
    CloseIoRing(ring);
    free_pages(a);
    free_pages(b);
}
END_TEST

/* ============================================================ large tables
 * Entry i of a LARGE-entry table names page i % 16 of one region with
 * length 16 + i, so every entry differs from its neighbours in address or
 * length, and resolving the wrong one shows. */
#define LARGE 10000u

/* Pages the region needs: entry LARGE - 1 may start at page 15. */
static size_t large_pages(void)
{
    return 16 + (16 + LARGE) / tu_page_size() + 1;
}

static const UINT32 large_indexes[] = {0, 1, 15, 16, 4097, LARGE / 2, LARGE - 2, LARGE - 1};

static unsigned char *large_table(HIORING ring, IORING_BUFFER_INFO **out)
{
    size_t ps = tu_page_size();
    unsigned char *p = alloc_pages(large_pages());
    IORING_BUFFER_INFO *t = calloc(LARGE, sizeof *t);
    ck_assert_ptr_nonnull(t);
    for (UINT32 i = 0; i < LARGE; i++)
        t[i] = (IORING_BUFFER_INFO){p + (i % 16) * ps, 16 + i};
    must_register_buffers(ring, LARGE, t);
    *out = t;
    return p;
}

START_TEST(registered_buffer_of_a_large_table_reads_into_the_entry_at_its_index)
{
    UINT32 i = large_indexes[_i];
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    IORING_BUFFER_INFO *t;
    unsigned char *p = large_table(ring, &t);
    unsigned char *end = (unsigned char *)t[i].Address + t[i].Length;
    ck_assert_int_eq(read_through_buffer(ring, h, i, t[i].Length - 16, 16), S_OK);
    tu_assert_pattern(end - 16, 16, 0);
    assert_untouched(p, (size_t)(end - 16 - p));
    assert_untouched(end, large_pages() * tu_page_size() - (size_t)(end - p));
    CloseIoRing(ring);
    CloseHandle(h);
    free(t);
    free_pages(p);
}
END_TEST

START_TEST(registered_buffer_of_a_large_table_is_bounded_by_the_entry_at_its_index)
{
    UINT32 i = large_indexes[_i];
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    IORING_BUFFER_INFO *t;
    unsigned char *p = large_table(ring, &t);
    ck_assert_int_eq(read_through_buffer(ring, h, i, t[i].Length - 15, 16),
                     HR_INVALID_USER_BUFFER);
    assert_untouched(p, large_pages() * tu_page_size());
    CloseIoRing(ring);
    CloseHandle(h);
    free(t);
    free_pages(p);
}
END_TEST

/* ============================================================ pin, two reads */
START_TEST(pin_unregistered_buffer_stays_locked_until_its_own_read_finishes)
{
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    HANDLE h = open_pattern_file();
    unsigned char *p = alloc_pages(2);
    IORING_BUFFER_INFO table[2] = {{p, (UINT32)ps}, {p + ps, (UINT32)ps}};
    must_register_buffers(ring, 2, table);
    tu_gate_install(2, count_munlock, NULL);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    for (UINT32 i = 0; i < 2; i++) {
        IORING_BUFFER_REF b = IoRingBufferRefFromIndexAndOffset(i, 0);
        ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, (UINT32)ps, 0, 0x4E10 + i,
                                             IOSQE_FLAGS_NONE),
                         S_OK);
    }
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
    tu_gate_wait_held(2);
    ULONG_PTR info;
    ck_assert_int_eq(register_buffers(ring, 0, NULL, &info), S_OK);
    tu_gate_release(1);
    IORING_CQE first = next_cqe(ring);
    ck_assert_int_eq(first.ResultCode, S_OK);
    /* Whichever read finished, the other's page is still in use. */
    ck_assert_int_ge(tu_vmlck_kb() - vmlck_base, pages_kb(1));
    tu_gate_release(1);
    IORING_CQE second = next_cqe(ring);
    ck_assert_int_eq(second.ResultCode, S_OK);
    ck_assert_uint_eq(first.UserData + second.UserData, 0x4E10 + 0x4E11);
    tu_assert_pattern(p, ps, 0);
    tu_assert_pattern(p + ps, ps, 0);
    ck_assert_int_eq(tu_vmlck_kb(), vmlck_base);
    tu_gate_remove();
    CloseIoRing(ring);
    CloseHandle(h);
    free_pages(p);
}
END_TEST

/* ============================================================ suites */
static Suite *register_suite(void)
{
    Suite *s = suite_create("register");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, register_files_reports_count_in_information);
    tcase_add_test(tc, registered_file_reads_like_its_raw_handle);
    tcase_add_test(tc, registered_file_sparse_slot_fails_with_e_handle);
    tcase_add_test(tc, registered_file_index_past_count_fails_with_index_out_of_bounds);
    tcase_add_test(tc, registered_file_without_table_fails_with_index_out_of_bounds);
    tcase_add_test(tc, register_files_replaces_the_whole_previous_table);
    tcase_add_test(tc, register_files_count_zero_null_unregisters);
    tcase_add_test(tc, closing_the_original_handle_makes_registered_use_fail_with_e_handle);
    tcase_add_test(tc, register_files_array_is_not_read_after_processing);
    tcase_add_test(tc, register_files_deferred_parameter_error_leaves_no_table);
    tcase_add_test(tc, register_files_is_seen_by_later_entries_of_the_same_batch);
    suite_add_tcase(s, tc);

    tc = tcase_create("buffers");
    tcase_add_test(tc, register_buffers_reports_count_in_information);
    tcase_add_test(tc, registered_and_raw_buffer_refs_give_identical_data);
    tcase_add_loop_test(tc, registered_buffer_sparse_slot_fails_with_invalid_user_buffer, 0,
                        (int)(sizeof sparse_addresses / sizeof sparse_addresses[0]));
    tcase_add_test(tc, registered_buffer_index_past_count_fails_with_index_out_of_bounds);
    tcase_add_test(tc, registered_buffer_without_table_fails_with_index_out_of_bounds);
    tcase_add_test(tc, register_buffers_replaces_the_whole_previous_table);
    tcase_add_test(tc, register_buffers_count_zero_null_unregisters);
    tcase_add_loop_test(tc, registered_buffer_range_is_checked_in_64_bits, 0,
                        (int)(sizeof range_cases / sizeof range_cases[0]));
    tcase_add_loop_test(tc, register_buffers_bad_entry_fails_with_noaccess_and_its_index, 0,
                        (int)(sizeof bad_kinds / sizeof bad_kinds[0]));
    tcase_add_test(tc, register_buffers_deferred_parameter_error_leaves_no_table);
    tcase_add_test(tc, register_buffers_array_is_not_read_after_processing);
    tcase_add_test(tc, register_buffers_is_seen_by_later_entries_of_the_same_batch);
    suite_add_tcase(s, tc);

    tc = tcase_create("race");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, replacing_buffer_table_while_reads_are_in_flight_keeps_data_and_cqes);
    suite_add_tcase(s, tc);

    tc = tcase_create("large");
    tcase_add_loop_test(tc, registered_buffer_of_a_large_table_reads_into_the_entry_at_its_index,
                        0, (int)(sizeof large_indexes / sizeof large_indexes[0]));
    tcase_add_loop_test(tc, registered_buffer_of_a_large_table_is_bounded_by_the_entry_at_its_index,
                        0, (int)(sizeof large_indexes / sizeof large_indexes[0]));
    suite_add_tcase(s, tc);
    return s;
}

static Suite *pin_suite(void)
{
    Suite *s = suite_create("pin");
    TCase *tc = tcase_create("vmlck");
    tcase_add_checked_fixture(tc, pin_setup, pin_teardown);
    tcase_add_loop_test(tc, pin_registering_raises_vmlck_by_exact_page_count, 0,
                        (int)(sizeof pages_cases / sizeof pages_cases[0]));
    tcase_add_test(tc, pin_two_buffers_sharing_a_page_lock_it_once);
    tcase_add_test(tc, pin_two_rings_registering_the_same_memory_share_pages);
    tcase_add_test(tc, pin_close_ioring_releases_the_pages);
    tcase_add_test(tc, pin_replacing_with_the_same_entry_keeps_the_pages_locked);
    tcase_add_test(tc, pin_failed_registration_unpins_the_entries_before_the_bad_one);
    tcase_add_test(tc, pin_stats_count_pinned_bytes_of_the_current_table);
    tcase_add_test(tc, pin_replaced_buffer_stays_locked_until_in_flight_read_finishes);
    tcase_add_test(tc, pin_closed_ring_buffer_stays_locked_until_in_flight_read_finishes);
    tcase_add_test(tc, pin_unregistered_buffer_stays_locked_until_its_own_read_finishes);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("memlock");
    tcase_add_checked_fixture(tc, limits_setup, limits_teardown);
    tcase_add_test(tc, limits_refused_mlock_leaves_buffer_unpinned_and_registration_succeeds);
    tcase_add_test(tc, limits_refused_mlock_prints_one_diagnostic_naming_the_limit);
    tcase_add_test(tc, limits_strict_pinning_fails_with_working_set_quota_and_leaves_no_table);
    tcase_add_test(tc, limits_strict_pinning_is_read_from_the_environment);
    tcase_add_test(tc, limits_strict_pinning_call_overrides_the_environment);
    tcase_add_test(tc, limits_replacement_gets_the_room_the_old_table_held);
    suite_add_tcase(s, tc);
    return s;
}

/* ============================================================ preconditions
 * Each returns NULL when the suite can run here, else why not. They probe
 * the kernel directly: ASan and TSan turn libc's mlock() into a no-op. */
static int kernel_mlock(void *p, size_t len)
{
    return (int)syscall(SYS_mlock, p, len);
}

static void kernel_munlock(void *p, size_t len)
{
    (void)syscall(SYS_munlock, p, len);
}

static const char *pin_unavailable(void)
{
    if (tu_vmlck_kb() < 0)
        return "pin suite: /proc/self/status has no VmLck line";
    size_t len = 16 * tu_page_size();
    void *p = VirtualAlloc(NULL, len, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p)
        return "pin suite: VirtualAlloc failed";
    int ok = kernel_mlock(p, len) == 0;
    if (ok)
        kernel_munlock(p, len);
    VirtualFree(p, 0, MEM_RELEASE);
    return ok ? NULL : "pin suite: mlock of 16 pages is refused on this machine";
}

/* In a child: 0 when the limit bites (mlock of BIG is refused), 1 when it
 * cannot be imposed, 2 when mlock still succeeds. */
static int limit_bites(void *arg)
{
    (void)arg;
    if (enter_limited() != 0)
        return 1;
    void *p = VirtualAlloc(NULL, BIG, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    return p && kernel_mlock(p, BIG) != 0 && (errno == ENOMEM || errno == EPERM) ? 0 : 2;
}

static const char *limits_unavailable(void)
{
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode && strcmp(fork_mode, "no") == 0)
        return "limits suite: needs Check's fork mode (CK_FORK=no is set)";
    switch (tu_run_in_child(limit_bites, NULL)) {
    case 0:
        return NULL;
    case 1:
        return "limits suite: cannot drop CAP_IPC_LOCK or lower RLIMIT_MEMLOCK";
    case 2:
        return "limits suite: mlock still succeeds after dropping CAP_IPC_LOCK and lowering "
               "RLIMIT_MEMLOCK";
    default:
        return "limits suite: precondition child failed";
    }
}

int main(void)
{
    const char *skips[2] = {pin_unavailable(), limits_unavailable()};
    int rc = tu_run(register_suite());
    if (!skips[0] && tu_run(pin_suite()) != 0)
        rc = EXIT_FAILURE;
    if (!skips[1] && tu_run(limits_suite()) != 0)
        rc = EXIT_FAILURE;
    for (int i = 0; i < 2; i++)
        if (skips[i])
            fprintf(stderr, "SKIP: %s\n", skips[i]);
    if (rc == 0 && (skips[0] || skips[1]))
        return TU_SKIP;
    return rc;
}
