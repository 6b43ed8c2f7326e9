/*
 * check_ops.c - the CQEs of READ, WRITE, FLUSH, READ_SCATTER and
 * WRITE_GATHER (ioring.md 8.3-8.6, 11, 12, 17; errors.md 5): raw and
 * registered references, EOF, length 0, write-through, the flush modes,
 * scatter/gather, handle and access errors, pipes, sockets and devices,
 * faults from the host, NO_BUFFERING alignment, and many ops at once.
 *
 * Conformance style: only the public API (plus POSIX to make pipes,
 * sockets and unmapped pages, as a port would). Ops go to the pool instead
 * of completing inline when a fault hook (testutil.h's tu_force_pool)
 * makes the inline attempt ("preadv2"/"pwritev2" on the submitting
 * thread) report EAGAIN.
 */
#define _GNU_SOURCE
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HR_EOF ((HRESULT)0x80070026)
#define HR_BROKEN_PIPE ((HRESULT)0x8007006D)
#define HR_NOACCESS ((HRESULT)0x800703E6)
#define HR_NOT_READY ((HRESULT)0x80070015)
#define HR_DISK_FULL ((HRESULT)0x80070070)
#define HR_INDEX_OOB ((HRESULT)0x800701DA)
#define HR_BAD_USER_BUFFER ((HRESULT)0x800706F8)
#define HR_PIPE_DISCONNECTED ((HRESULT)0x800700E9)
#define FILE_LEN 65536

static const IORING_CREATE_FLAGS no_flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                              IORING_CREATE_ADVISORY_FLAGS_NONE };

/* ------------------------------------------------------------------ helpers */

static HIORING new_ring(void)
{
    HIORING ring = NULL;
    ck_assert_int_eq(CreateIoRing(IORING_VERSION_4, no_flags, 32, 64, &ring), S_OK);
    return ring;
}

static HANDLE open_rw(const char *path)
{
    HANDLE h = tu_open(path, 1);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    return h;
}

static HANDLE open_ro(const char *path)
{
    HANDLE h = tu_open(path, 0);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    return h;
}

static HANDLE open_wo(const char *path)
{
    HANDLE h = CreateFileA(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    return h;
}

static HANDLE from_fd(int fd)
{
    HANDLE h = iore_handle_from_fd(fd);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    return h;
}

/* Submits everything queued, waits for `wait` completions. */
static void submit_wait(HIORING ring, UINT32 wait)
{
    ck_assert_int_eq(SubmitIoRing(ring, wait, INFINITE, NULL), S_OK);
}

static IORING_CQE pop(HIORING ring)
{
    IORING_CQE cqe = { TU_SENTINEL_UD, TU_SENTINEL_HR, TU_SENTINEL_INFO };
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    return cqe;
}

/* Submits what is queued (one entry), waits for it and pops its CQE. */
static IORING_CQE complete_one(HIORING ring, UINT_PTR ud)
{
    submit_wait(ring, 1);
    IORING_CQE cqe = pop(ring);
    ck_assert_uint_eq(cqe.UserData, ud);
    return cqe;
}

static void assert_cqe(IORING_CQE cqe, HRESULT hr, ULONG_PTR info)
{
    ck_assert_msg(cqe.ResultCode == hr, "ResultCode 0x%08x, expected 0x%08x",
                  (unsigned)cqe.ResultCode, (unsigned)hr);
    ck_assert_uint_eq(cqe.Information, info);
}

static IORING_CQE read_at(HIORING ring, HANDLE h, void *buf, UINT32 len, UINT64 off)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(buf);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, len, off, 11, IOSQE_FLAGS_NONE), S_OK);
    return complete_one(ring, 11);
}

static IORING_CQE write_at(HIORING ring, HANDLE h, const void *buf, UINT32 len, UINT64 off,
                           FILE_WRITE_FLAGS wf)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer((void *)buf);
    ck_assert_int_eq(BuildIoRingWriteFile(ring, f, b, len, off, wf, 12, IOSQE_FLAGS_NONE), S_OK);
    return complete_one(ring, 12);
}

static IORING_CQE flush(HIORING ring, HANDLE h, FILE_FLUSH_MODE mode)
{
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    ck_assert_int_eq(BuildIoRingFlushFile(ring, f, mode, 13, IOSQE_FLAGS_NONE), S_OK);
    return complete_one(ring, 13);
}

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 7 + seed);
}

/* ------------------------------------------------------------------ reads */

START_TEST(read_of_cached_data_returns_s_ok_and_the_bytes)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("rd", FILE_LEN, 0);
    unsigned char buf[4096];
    assert_cqe(read_at(ring, h, buf, sizeof buf, 1000), S_OK, sizeof buf);
    tu_assert_pattern(buf, sizeof buf, 1000);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(read_on_the_pool_returns_s_ok_and_the_bytes)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("rdp", FILE_LEN, 0);
    unsigned char buf[8192];
    tu_force_pool();
    assert_cqe(read_at(ring, h, buf, sizeof buf, 3), S_OK, sizeof buf);
    tu_gate_remove();
    tu_assert_pattern(buf, sizeof buf, 3);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

/* EOF cases on both paths (_i: 0 inline, 1 pool). */
START_TEST(read_reaching_eof_part_way_returns_s_ok_with_the_short_count)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("short", 1000, 0);
    unsigned char buf[4096];
    if (_i)
        tu_force_pool();
    assert_cqe(read_at(ring, h, buf, sizeof buf, 200), S_OK, 800);
    tu_gate_remove();
    tu_assert_pattern(buf, 800, 200);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(read_at_or_after_eof_fails_with_handle_eof_and_information_0)
{
    static const UINT64 offsets[] = { 1000, 1001, 1u << 20 };
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("eof", 1000, 0);
    unsigned char buf[64];
    if (_i)
        tu_force_pool();
    for (size_t k = 0; k < N(offsets); k++)
        assert_cqe(read_at(ring, h, buf, sizeof buf, offsets[k]), HR_EOF, 0);
    tu_gate_remove();
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(read_of_length_0_completes_s_ok_with_information_0)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("zero", 10, 0);
    assert_cqe(read_at(ring, h, NULL, 0, 5000), S_OK, 0);
    assert_cqe(write_at(ring, h, NULL, 0, 0, FILE_WRITE_FLAGS_NONE), S_OK, 0);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(read_of_length_0_still_resolves_the_handle)
{
    HIORING ring = new_ring();
    assert_cqe(read_at(ring, NULL, NULL, 0, 0), E_HANDLE, 0);
    CloseIoRing(ring);
}
END_TEST

/* ------------------------------------------------------------------ writes, flushes */

START_TEST(write_then_read_returns_the_written_bytes)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("wr", FILE_LEN, 1);
    unsigned char out[5000], in[5000];
    fill(out, sizeof out, 3);
    if (_i)
        tu_force_pool();
    assert_cqe(write_at(ring, h, out, sizeof out, 777, FILE_WRITE_FLAGS_NONE), S_OK, sizeof out);
    assert_cqe(read_at(ring, h, in, sizeof in, 777), S_OK, sizeof in);
    tu_gate_remove();
    ck_assert_mem_eq(in, out, sizeof in);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(write_past_eof_extends_the_file)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("ext", 100, 1);
    unsigned char out[300], in[300];
    fill(out, sizeof out, 9);
    assert_cqe(write_at(ring, h, out, sizeof out, 1000, FILE_WRITE_FLAGS_NONE), S_OK, sizeof out);
    LARGE_INTEGER size;
    ck_assert(GetFileSizeEx(h, &size));
    ck_assert_int_eq(size.QuadPart, 1300);
    assert_cqe(read_at(ring, h, in, sizeof in, 1000), S_OK, sizeof in);
    ck_assert_mem_eq(in, out, sizeof in);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(write_through_write_completes_s_ok_and_reads_back)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("wt", FILE_LEN, 1);
    unsigned char out[4096], in[4096];
    fill(out, sizeof out, 5);
    assert_cqe(write_at(ring, h, out, sizeof out, 8192, FILE_WRITE_FLAGS_WRITE_THROUGH), S_OK,
               sizeof out);
    assert_cqe(read_at(ring, h, in, sizeof in, 8192), S_OK, sizeof in);
    ck_assert_mem_eq(in, out, sizeof in);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

static const FILE_FLUSH_MODE flush_modes[] = {
    FILE_FLUSH_DEFAULT, FILE_FLUSH_DATA, FILE_FLUSH_MIN_METADATA, FILE_FLUSH_NO_SYNC,
};

START_TEST(flush_in_every_mode_completes_s_ok_with_information_0)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("fl", FILE_LEN, 1);
    unsigned char out[512];
    fill(out, sizeof out, 1);
    assert_cqe(write_at(ring, h, out, sizeof out, 0, FILE_WRITE_FLAGS_NONE), S_OK, sizeof out);
    assert_cqe(flush(ring, h, flush_modes[_i]), S_OK, 0);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(write_drained_flush_and_drained_read_see_the_write)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("drain", FILE_LEN, 1);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    static unsigned char out[16384], in[16384];
    fill(out, sizeof out, 77);
    tu_force_pool();
    IORING_BUFFER_REF bo = IoRingBufferRefFromPointer(out);
    IORING_BUFFER_REF bi = IoRingBufferRefFromPointer(in);
    ck_assert_int_eq(BuildIoRingWriteFile(ring, f, bo, sizeof out, 4096, FILE_WRITE_FLAGS_NONE, 1,
                                          IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(BuildIoRingFlushFile(ring, f, FILE_FLUSH_DEFAULT, 2,
                                          IOSQE_FLAGS_DRAIN_PRECEDING_OPS), S_OK);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, bi, sizeof in, 4096, 3,
                                         IOSQE_FLAGS_DRAIN_PRECEDING_OPS), S_OK);
    submit_wait(ring, 3);
    tu_gate_remove();
    for (int k = 0; k < 3; k++) {
        IORING_CQE cqe = pop(ring);
        ck_assert_int_eq(cqe.ResultCode, S_OK);
        ck_assert_uint_eq(cqe.Information, cqe.UserData == 2 ? 0 : sizeof out);
    }
    ck_assert_mem_eq(in, out, sizeof in);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

/* ------------------------------------------------------------------ scatter / gather */

struct pages {
    unsigned char *mem;
    FILE_SEGMENT_ELEMENT seg[8];
};

static void pages_init(struct pages *p, int n)
{
    size_t ps = tu_page_size();
    p->mem = aligned_alloc(ps, ps * (size_t)n);
    ck_assert_ptr_nonnull(p->mem);
    memset(p->mem, 0, ps * (size_t)n);
    for (int i = 0; i < n; i++)
        p->seg[i].Buffer = p->mem + ps * (size_t)i;
}

START_TEST(gather_then_scatter_round_trips_the_pages)
{
    size_t ps = tu_page_size();
    UINT32 len = (UINT32)(3 * ps + 512); /* last segment partial */
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("sg", 0, 1);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    struct pages out, in;
    pages_init(&out, 4);
    pages_init(&in, 4);
    fill(out.mem, 4 * ps, 31);
    if (_i)
        tu_force_pool();
    ck_assert_int_eq(BuildIoRingWriteFileGather(ring, f, 4, out.seg, len, 1024,
                                                FILE_WRITE_FLAGS_NONE, 21, IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 21), S_OK, len);
    ck_assert_int_eq(BuildIoRingReadFileScatter(ring, f, 4, in.seg, len, 1024, 22,
                                                IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 22), S_OK, len);
    tu_gate_remove();
    ck_assert_mem_eq(in.mem, out.mem, len);
    free(out.mem);
    free(in.mem);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(scatter_reaching_eof_returns_the_short_count_and_at_eof_fails)
{
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("sgeof", ps + 512, 0);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    struct pages in;
    pages_init(&in, 2);
    ck_assert_int_eq(BuildIoRingReadFileScatter(ring, f, 2, in.seg, (UINT32)(2 * ps), 0, 23,
                                                IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 23), S_OK, ps + 512);
    tu_assert_pattern(in.mem, ps + 512, 0);
    ck_assert_int_eq(BuildIoRingReadFileScatter(ring, f, 2, in.seg, (UINT32)(2 * ps), 2 * ps, 24,
                                                IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 24), HR_EOF, 0);
    free(in.mem);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(scatter_segments_changed_to_misaligned_after_build_fail_with_e_invalidarg)
{
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("sgbad", 2 * ps, 0);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    struct pages in;
    pages_init(&in, 2);
    ck_assert_int_eq(BuildIoRingReadFileScatter(ring, f, 2, in.seg, (UINT32)(2 * ps), 0, 25,
                                                IOSQE_FLAGS_NONE), S_OK);
    in.seg[1].Buffer = in.mem + ps + 8; /* re-validated at dispatch */
    assert_cqe(complete_one(ring, 25), E_INVALIDARG, 0);
    free(in.mem);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

/* ------------------------------------------------------------------ bad handles */

enum bad_kind { BAD_NULL, BAD_INVALID, BAD_CLOSED, BAD_STALE, BAD_EVENT, BAD_NEVER_ISSUED };

/* A handle value that does not name an open file, for each kind. */
static HANDLE bad_handle(enum bad_kind kind, HANDLE *keep)
{
    *keep = NULL;
    char *path = tu_make_file("bad", 10);
    HANDLE h = NULL;
    switch (kind) {
    case BAD_NULL: h = NULL; break;
    case BAD_INVALID: h = INVALID_HANDLE_VALUE; break;
    case BAD_CLOSED:
        h = open_ro(path);
        CloseHandle(h);
        break;
    case BAD_STALE:
        /* Close it, then reuse its slot: the old value must not alias. */
        h = open_ro(path);
        CloseHandle(h);
        *keep = open_ro(path);
        break;
    case BAD_EVENT:
        h = CreateEventA(NULL, TRUE, FALSE, NULL);
        ck_assert_ptr_nonnull(h);
        *keep = h;
        break;
    case BAD_NEVER_ISSUED: h = (HANDLE)(uintptr_t)0x7ff0000000000ffcull; break;
    }
    free(path);
    return h;
}

START_TEST(read_on_an_unresolvable_handle_completes_with_e_handle)
{
    HIORING ring = new_ring();
    HANDLE keep;
    HANDLE h = bad_handle((enum bad_kind)_i, &keep);
    unsigned char buf[16];
    assert_cqe(read_at(ring, h, buf, sizeof buf, 0), E_HANDLE, 0);
    if (keep)
        CloseHandle(keep);
    CloseIoRing(ring);
}
END_TEST

enum { OPK_READ, OPK_WRITE, OPK_FLUSH, OPK_SCATTER, OPK_GATHER, OPK_COUNT };

/* Builds one op of kind k on f (pages of 1 segment for scatter/gather). */
static void build_op(HIORING ring, IORING_HANDLE_REF f, int k, struct pages *p, UINT_PTR ud)
{
    UINT32 ps = (UINT32)tu_page_size();
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(p->mem);
    HRESULT hr = E_FAIL;
    switch (k) {
    case OPK_READ: hr = BuildIoRingReadFile(ring, f, b, 512, 0, ud, IOSQE_FLAGS_NONE); break;
    case OPK_WRITE:
        hr = BuildIoRingWriteFile(ring, f, b, 512, 0, FILE_WRITE_FLAGS_NONE, ud, IOSQE_FLAGS_NONE);
        break;
    case OPK_FLUSH: hr = BuildIoRingFlushFile(ring, f, FILE_FLUSH_DEFAULT, ud, IOSQE_FLAGS_NONE); break;
    case OPK_SCATTER:
        hr = BuildIoRingReadFileScatter(ring, f, 1, p->seg, ps, 0, ud, IOSQE_FLAGS_NONE);
        break;
    case OPK_GATHER:
        hr = BuildIoRingWriteFileGather(ring, f, 1, p->seg, ps, 0, FILE_WRITE_FLAGS_NONE, ud,
                                        IOSQE_FLAGS_NONE);
        break;
    }
    ck_assert_int_eq(hr, S_OK);
}

START_TEST(every_file_op_on_a_closed_handle_completes_with_e_handle)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("closed", 8192, 1);
    CloseHandle(h);
    struct pages p;
    pages_init(&p, 1);
    build_op(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(h), _i, &p, 40);
    assert_cqe(complete_one(ring, 40), E_HANDLE, 0);
    free(p.mem);
    CloseIoRing(ring);
}
END_TEST

/* ------------------------------------------------------------------ access rights */

static const struct {
    int op;
    int writable;    /* open for write only (else read only) */
} denied[] = {
    { OPK_READ, 1 }, { OPK_SCATTER, 1 }, { OPK_WRITE, 0 }, { OPK_GATHER, 0 }, { OPK_FLUSH, 0 },
};

START_TEST(op_without_the_needed_access_completes_with_e_accessdenied)
{
    char *path = tu_make_file("acc", 8192);
    HIORING ring = new_ring();
    HANDLE h = denied[_i].writable ? open_wo(path) : open_ro(path);
    struct pages p;
    pages_init(&p, 1);
    build_op(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(h), denied[_i].op, &p, 41);
    assert_cqe(complete_one(ring, 41), E_ACCESSDENIED, 0);
    free(p.mem);
    CloseHandle(h);
    CloseIoRing(ring);
    free(path);
}
END_TEST

/* ------------------------------------------------------------------ unmapped buffers */

START_TEST(io_on_an_unmapped_raw_buffer_completes_with_error_noaccess)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("fault", 8192, 1);
    size_t ps = tu_page_size();
    void *hole = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(hole, MAP_FAILED);
    if (_i)
        tu_force_pool();
    assert_cqe(read_at(ring, h, hole, 512, 0), HR_NOACCESS, 0);
    assert_cqe(write_at(ring, h, hole, 512, 0, FILE_WRITE_FLAGS_NONE), HR_NOACCESS, 0);
    tu_gate_remove();
    munmap(hole, ps);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

/* ------------------------------------------------------------------ host faults */

static const struct {
    const char *call;    /* failed once with err */
    int err;
    const char *inline_call; /* made to report EAGAIN first, or NULL */
    int op;              /* OPK_*; OPK_FLUSH uses mode */
    FILE_FLUSH_MODE mode;
    FILE_WRITE_FLAGS wf;
    HRESULT hr;
} faults[] = {
    { "preadv2", EIO, NULL, OPK_READ, 0, 0, HR_NOT_READY },
    { "pread", EIO, "preadv2", OPK_READ, 0, 0, HR_NOT_READY },
    { "preadv2", EFAULT, NULL, OPK_READ, 0, 0, HR_NOACCESS },
    { "pwrite", ENOSPC, "pwritev2", OPK_WRITE, 0, 0, HR_DISK_FULL },
    { "pwritev2", ENOSPC, NULL, OPK_WRITE, 0, FILE_WRITE_FLAGS_WRITE_THROUGH, HR_DISK_FULL },
    { "pwrite", EIO, "pwritev2", OPK_WRITE, 0, 0, HR_NOT_READY },
    { "preadv", EIO, "preadv2", OPK_SCATTER, 0, 0, HR_NOT_READY },
    { "pwritev", ENOSPC, "pwritev2", OPK_GATHER, 0, 0, HR_DISK_FULL },
    { "fsync", EIO, NULL, OPK_FLUSH, FILE_FLUSH_DEFAULT, 0, HR_NOT_READY },
    { "fdatasync", EIO, NULL, OPK_FLUSH, FILE_FLUSH_DATA, 0, HR_NOT_READY },
    { "fdatasync", ENOSPC, NULL, OPK_FLUSH, FILE_FLUSH_MIN_METADATA, 0, HR_DISK_FULL },
    { "sync_file_range", EIO, NULL, OPK_FLUSH, FILE_FLUSH_NO_SYNC, 0, HR_NOT_READY },
};

START_TEST(host_error_completes_with_its_translated_result)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("inj", 4 * 4096, 1);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    struct pages p;
    pages_init(&p, 1);
    if (faults[_i].inline_call)
        ck_assert_int_eq(iore_fault_inject(faults[_i].inline_call, 1, EAGAIN), 0);
    ck_assert_int_eq(iore_fault_inject(faults[_i].call, 1, faults[_i].err), 0);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(p.mem);
    switch (faults[_i].op) {
    case OPK_READ:
        ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, 512, 0, 42, IOSQE_FLAGS_NONE), S_OK);
        break;
    case OPK_WRITE:
        ck_assert_int_eq(BuildIoRingWriteFile(ring, f, b, 512, 0, faults[_i].wf, 42,
                                              IOSQE_FLAGS_NONE), S_OK);
        break;
    case OPK_FLUSH:
        ck_assert_int_eq(BuildIoRingFlushFile(ring, f, faults[_i].mode, 42, IOSQE_FLAGS_NONE), S_OK);
        break;
    default:
        build_op(ring, f, faults[_i].op, &p, 42);
        break;
    }
    assert_cqe(complete_one(ring, 42), faults[_i].hr, 0);
    iore_fault_clear();
    free(p.mem);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

/* ------------------------------------------------------------------ registered refs */

START_TEST(read_and_write_through_registered_file_and_buffer)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("reg", FILE_LEN, 1);
    static unsigned char mem[8192];
    HANDLE files[2] = { INVALID_HANDLE_VALUE, h };
    IORING_BUFFER_INFO bufs[1] = { { mem, sizeof mem } };
    ck_assert_int_eq(BuildIoRingRegisterFileHandles(ring, 2, files, 1), S_OK);
    ck_assert_int_eq(BuildIoRingRegisterBuffers(ring, 1, bufs, 2), S_OK);
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(1);
    IORING_BUFFER_REF rb = IoRingBufferRefFromIndexAndOffset(0, 4096);
    /* Same batch: the registrations run first and the read sees them. */
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, rb, 4096, 100, 3, IOSQE_FLAGS_NONE), S_OK);
    submit_wait(ring, 3);
    for (int k = 0; k < 3; k++) {
        IORING_CQE cqe = pop(ring);
        ck_assert_int_eq(cqe.ResultCode, S_OK);
        ck_assert_uint_eq(cqe.Information, cqe.UserData == 1 ? 2 : cqe.UserData == 2 ? 1 : 4096);
    }
    tu_assert_pattern(mem + 4096, 4096, 100);

    fill(mem, 4096, 99);
    IORING_BUFFER_REF wb = IoRingBufferRefFromIndexAndOffset(0, 0);
    ck_assert_int_eq(BuildIoRingWriteFile(ring, f, wb, 4096, 0, FILE_WRITE_FLAGS_NONE, 4,
                                          IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 4), S_OK, 4096);
    ck_assert_int_eq(BuildIoRingFlushFile(ring, f, FILE_FLUSH_DATA, 5, IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 5), S_OK, 0);
    unsigned char in[4096];
    assert_cqe(read_at(ring, h, in, sizeof in, 0), S_OK, sizeof in);
    ck_assert_mem_eq(in, mem, sizeof in);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(scatter_and_gather_through_a_registered_file)
{
    size_t ps = tu_page_size();
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("regsg", 0, 1);
    HANDLE files[1] = { h };
    ck_assert_int_eq(BuildIoRingRegisterFileHandles(ring, 1, files, 1), S_OK);
    assert_cqe(complete_one(ring, 1), S_OK, 1);
    struct pages out, in;
    pages_init(&out, 2);
    pages_init(&in, 2);
    fill(out.mem, 2 * ps, 4);
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(0);
    ck_assert_int_eq(BuildIoRingWriteFileGather(ring, f, 2, out.seg, (UINT32)(2 * ps), 0,
                                                FILE_WRITE_FLAGS_NONE, 2, IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 2), S_OK, 2 * ps);
    ck_assert_int_eq(BuildIoRingReadFileScatter(ring, f, 2, in.seg, (UINT32)(2 * ps), 0, 3,
                                                IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 3), S_OK, 2 * ps);
    ck_assert_mem_eq(in.mem, out.mem, 2 * ps);
    free(out.mem);
    free(in.mem);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

START_TEST(registered_file_index_out_of_bounds_fails_even_for_length_0)
{
    HIORING ring = new_ring();
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(0); /* no table at all */
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(NULL);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, 0, 0, 6, IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 6), HR_INDEX_OOB, 0);
    CloseIoRing(ring);
}
END_TEST

START_TEST(registered_file_slot_holding_a_closed_handle_fails_with_e_handle)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("regclosed", 100, 0);
    HANDLE files[1] = { h };
    ck_assert_int_eq(BuildIoRingRegisterFileHandles(ring, 1, files, 1), S_OK);
    assert_cqe(complete_one(ring, 1), S_OK, 1);
    CloseHandle(h); /* stored raw: the slot now names nothing */
    unsigned char buf[16];
    IORING_HANDLE_REF f = IoRingHandleRefFromIndex(0);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(buf);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, sizeof buf, 0, 7, IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 7), E_HANDLE, 0);
    CloseIoRing(ring);
}
END_TEST

START_TEST(registered_buffer_range_outside_the_buffer_fails_with_invalid_user_buffer)
{
    HIORING ring = new_ring();
    HANDLE h = tu_pattern_file("regrange", 8192, 0);
    static unsigned char mem[4096];
    IORING_BUFFER_INFO bufs[1] = { { mem, sizeof mem } };
    ck_assert_int_eq(BuildIoRingRegisterBuffers(ring, 1, bufs, 1), S_OK);
    assert_cqe(complete_one(ring, 1), S_OK, 1);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF past = IoRingBufferRefFromIndexAndOffset(0, 4000);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, past, 512, 0, 8, IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 8), HR_BAD_USER_BUFFER, 0);
    IORING_BUFFER_REF idx = IoRingBufferRefFromIndexAndOffset(1, 0);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, idx, 512, 0, 9, IOSQE_FLAGS_NONE), S_OK);
    assert_cqe(complete_one(ring, 9), HR_INDEX_OOB, 0);
    CloseHandle(h);
    CloseIoRing(ring);
}
END_TEST

/* ------------------------------------------------------------------ pipes, sockets, devices */

START_TEST(pipe_read_returns_the_data_available)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE rd = from_fd(p[0]);
    HIORING ring = new_ring();
    ck_assert_int_eq(write(p[1], "hello", 5), 5);
    char buf[64] = { 0 };
    assert_cqe(read_at(ring, rd, buf, sizeof buf, 12345), S_OK, 5);
    ck_assert_mem_eq(buf, "hello", 5);
    CloseIoRing(ring);
    CloseHandle(rd);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(pipe_read_with_the_writer_closed_fails_with_broken_pipe)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE rd = from_fd(p[0]);
    HIORING ring = new_ring();
    close(p[1]);
    char buf[64];
    assert_cqe(read_at(ring, rd, buf, sizeof buf, 0), HR_BROKEN_PIPE, 0);
    CloseIoRing(ring);
    CloseHandle(rd);
    close(p[0]);
}
END_TEST

START_TEST(pipe_read_pends_until_data_arrives_and_survives_closing_its_handle)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE rd = from_fd(p[0]);
    HIORING ring = new_ring();
    char buf[64] = { 0 };
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(rd);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(buf);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, sizeof buf, 0, 50, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
    IORING_CQE cqe = { TU_SENTINEL_UD, TU_SENTINEL_HR, TU_SENTINEL_INFO };
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_FALSE); /* nothing written yet */
    ck_assert_uint_eq(cqe.UserData, TU_SENTINEL_UD);
    CloseHandle(rd); /* the dispatched op holds the file object */
    ck_assert_int_eq(write(p[1], "late", 4), 4);
    submit_wait(ring, 1);
    assert_cqe(pop(ring), S_OK, 4);
    ck_assert_mem_eq(buf, "late", 4);
    CloseIoRing(ring);
    close(p[0]);
    close(p[1]);
}
END_TEST

struct drain_arg {
    int fd;
    size_t want;
    unsigned char *got;
};

static void *drain_main(void *arg)
{
    struct drain_arg *d = arg;
    size_t have = 0;
    while (have < d->want) {
        ssize_t n = read(d->fd, d->got + have, d->want - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    d->want = have;
    return NULL;
}

START_TEST(pipe_write_larger_than_the_pipe_completes_with_every_byte)
{
    enum { LEN = 1 << 20 };
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE wr = from_fd(p[1]);
    HIORING ring = new_ring();
    unsigned char *out = malloc(LEN), *in = malloc(LEN);
    fill(out, LEN, 17);
    struct drain_arg d = { p[0], LEN, in };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, drain_main, &d), 0);
    assert_cqe(write_at(ring, wr, out, LEN, 0, FILE_WRITE_FLAGS_NONE), S_OK, LEN);
    pthread_join(t, NULL);
    ck_assert_uint_eq(d.want, LEN);
    ck_assert_mem_eq(in, out, LEN);
    free(out);
    free(in);
    CloseIoRing(ring);
    CloseHandle(wr);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(pipe_write_with_the_reader_closed_fails_without_a_signal)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE wr = from_fd(p[1]);
    HIORING ring = new_ring();
    close(p[0]);
    assert_cqe(write_at(ring, wr, "x", 1, 0, FILE_WRITE_FLAGS_NONE), HR_PIPE_DISCONNECTED, 0);
    sigset_t pend;
    sigpending(&pend);
    ck_assert(!sigismember(&pend, SIGPIPE));
    CloseIoRing(ring);
    CloseHandle(wr);
    close(p[1]);
}
END_TEST

START_TEST(socket_read_after_orderly_shutdown_returns_s_ok_and_0)
{
    int s[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    HANDLE h = from_fd(s[0]);
    HIORING ring = new_ring();
    ck_assert_int_eq(write(s[1], "ab", 2), 2);
    char buf[16];
    assert_cqe(read_at(ring, h, buf, sizeof buf, 0), S_OK, 2);
    shutdown(s[1], SHUT_WR);
    assert_cqe(read_at(ring, h, buf, sizeof buf, 0), S_OK, 0);
    assert_cqe(flush(ring, h, FILE_FLUSH_DEFAULT), S_OK, 0);
    CloseIoRing(ring);
    CloseHandle(h);
    close(s[0]);
    close(s[1]);
}
END_TEST

START_TEST(character_device_read_of_nothing_fails_with_handle_eof)
{
    int fd = open("/dev/null", O_RDWR);
    ck_assert_int_ge(fd, 0);
    HANDLE h = from_fd(fd);
    HIORING ring = new_ring();
    char buf[16] = "0123456789abcde";
    assert_cqe(read_at(ring, h, buf, sizeof buf, 0), HR_EOF, 0);
    assert_cqe(write_at(ring, h, buf, sizeof buf, 99, FILE_WRITE_FLAGS_NONE), S_OK, sizeof buf);
    assert_cqe(flush(ring, h, FILE_FLUSH_DEFAULT), S_OK, 0);
    CloseIoRing(ring);
    CloseHandle(h);
    close(fd);
}
END_TEST

START_TEST(close_ring_with_a_pending_pipe_read_returns_at_once)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    HANDLE rd = from_fd(p[0]);
    HIORING ring = new_ring();
    static char buf[64];
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(rd);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(buf);
    ck_assert_int_eq(BuildIoRingReadFile(ring, f, b, sizeof buf, 0, 1, IOSQE_FLAGS_NONE), S_OK);
    ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    ck_assert_int_eq(CloseIoRing(ring), E_HANDLE);
    /* The op finishes into the detached ring (broken pipe); its CQE is
     * discarded and the last reference frees the ring. p[0] stays open: a
     * borrowed descriptor must outlive every op using it. */
    close(p[1]);
    CloseHandle(rd);
}
END_TEST

/* ------------------------------------------------------------------ NO_BUFFERING */

static const struct {
    size_t buf_off;
    UINT64 off;
    UINT32 len;
    HRESULT hr;
} nobuf[] = {
    { 0, 0, 4096, S_OK },
    { 1, 0, 4096, E_INVALIDARG },
    { 0, 1, 4096, E_INVALIDARG },
    { 0, 0, 4097, E_INVALIDARG },
    { 256, 4096, 4096, E_INVALIDARG },
};

START_TEST(no_buffering_io_needs_sector_aligned_buffer_offset_and_length)
{
    char *path = tu_make_file("direct", 65536);
    HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_NO_BUFFERING, NULL);
    ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
    HIORING ring = new_ring();
    unsigned char *mem = aligned_alloc(4096, 3 * 4096);
    ck_assert_ptr_nonnull(mem);
    unsigned char *buf = mem + nobuf[_i].buf_off;
    ULONG_PTR n = nobuf[_i].hr == S_OK ? nobuf[_i].len : 0;
    assert_cqe(read_at(ring, h, buf, nobuf[_i].len, nobuf[_i].off), nobuf[_i].hr, n);
    if (nobuf[_i].hr == S_OK)
        tu_assert_pattern(buf, nobuf[_i].len, nobuf[_i].off);
    assert_cqe(write_at(ring, h, buf, nobuf[_i].len, nobuf[_i].off, FILE_WRITE_FLAGS_NONE),
               nobuf[_i].hr, n);
    free(mem);
    CloseHandle(h);
    CloseIoRing(ring);
    free(path);
}
END_TEST

/* ------------------------------------------------------------------ many at once */

#define STRESS_THREADS 4
#define STRESS_ROUNDS 8
#define STRESS_OPS 16
#define STRESS_LEN 4096

static const char *stress_src;
static atomic_uint stress_calls;

/* Every other inline attempt "would block": both paths run concurrently. */
static int half_on_pool(const char *call, void *arg)
{
    (void)arg;
    if (strcmp(call, "preadv2") && strcmp(call, "pwritev2"))
        return 0;
    return atomic_fetch_add(&stress_calls, 1) % 2 ? EAGAIN : 0;
}

static void stress_round(HIORING ring, HANDLE src, HANDLE dst, unsigned t, unsigned r)
{
    static _Thread_local unsigned char in[STRESS_OPS][STRESS_LEN], out[STRESS_OPS][STRESS_LEN];
    for (unsigned k = 0; k < STRESS_OPS; k++) {
        UINT64 roff = ((t * 131u + r * 17u + k * 7u) % 60u) * 1000u;
        IORING_BUFFER_REF bi = IoRingBufferRefFromPointer(in[k]);
        ck_assert_int_eq(BuildIoRingReadFile(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(src),
                                             bi, STRESS_LEN, roff, roff << 8 | k, IOSQE_FLAGS_NONE),
                         S_OK);
        fill(out[k], STRESS_LEN, t * 1000 + r * 100 + k);
        IORING_BUFFER_REF bo = IoRingBufferRefFromPointer(out[k]);
        ck_assert_int_eq(BuildIoRingWriteFile(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(dst),
                                              bo, STRESS_LEN, (UINT64)k * STRESS_LEN,
                                              FILE_WRITE_FLAGS_NONE, (UINT_PTR)-1, IOSQE_FLAGS_NONE),
                         S_OK);
    }
    submit_wait(ring, 2 * STRESS_OPS);
    for (unsigned k = 0; k < 2 * STRESS_OPS; k++) {
        IORING_CQE cqe = pop(ring);
        ck_assert_int_eq(cqe.ResultCode, S_OK);
        ck_assert_uint_eq(cqe.Information, STRESS_LEN);
        if (cqe.UserData != (UINT_PTR)-1)
            tu_assert_pattern(in[cqe.UserData & 0xff], STRESS_LEN, cqe.UserData >> 8);
    }
    for (unsigned k = 0; k < STRESS_OPS; k++) {
        unsigned char back[STRESS_LEN];
        assert_cqe(read_at(ring, dst, back, STRESS_LEN, (UINT64)k * STRESS_LEN), S_OK, STRESS_LEN);
        ck_assert_mem_eq(back, out[k], STRESS_LEN);
    }
}

static void *stress_main(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    char *dst_path = tu_make_file("dst", 0);
    HANDLE src = open_ro(stress_src), dst = open_rw(dst_path);
    HIORING ring = new_ring();
    for (unsigned r = 0; r < STRESS_ROUNDS; r++)
        stress_round(ring, src, dst, t, r);
    CloseIoRing(ring);
    CloseHandle(src);
    CloseHandle(dst);
    free(dst_path);
    return NULL;
}

START_TEST(many_ops_in_flight_on_several_rings_and_threads_move_the_right_bytes)
{
    char *src = tu_make_file("src", 64 * 1000 + STRESS_LEN);
    stress_src = src;
    iore_fault_set_hook(half_on_pool, NULL);
    pthread_t th[STRESS_THREADS];
    for (unsigned t = 0; t < STRESS_THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, stress_main, (void *)(uintptr_t)t), 0);
    for (unsigned t = 0; t < STRESS_THREADS; t++)
        pthread_join(th[t], NULL);
    iore_fault_set_hook(NULL, NULL);
    free(src);
}
END_TEST

/* ------------------------------------------------------------------ suite */

#define RUN_READS 32
#define RUN_LEN 4096

/* n consecutive reads for one Submit (the emulator may share their
 * inline attempts with a second thread): read k goes to bufs[k] from a
 * block chosen by stride and round, its UserData is offset << 8 | k. */
static void build_reads(HIORING ring, HANDLE h, unsigned char (*bufs)[RUN_LEN], unsigned round,
                        unsigned n, unsigned stride)
{
    for (unsigned k = 0; k < n; k++) {
        UINT64 off = (UINT64)((k * stride + round) % RUN_READS) * RUN_LEN + round;
        IORING_BUFFER_REF b = IoRingBufferRefFromPointer(bufs[k]);
        ck_assert_int_eq(BuildIoRingReadFile(ring, (IORING_HANDLE_REF)IoRingHandleRefFromHandle(h),
                                             b, RUN_LEN, off, (UINT_PTR)(off << 8 | k),
                                             IOSQE_FLAGS_NONE),
                         S_OK);
    }
}

static void build_run(HIORING ring, HANDLE h, unsigned char (*bufs)[RUN_LEN], unsigned round)
{
    build_reads(ring, h, bufs, round, RUN_READS, 5);
}

/* Pops the n completions of build_reads(): each read once, S_OK, with its
 * bytes; then the CQ is empty. */
static void pop_each_read_once(HIORING ring, unsigned char (*bufs)[RUN_LEN], unsigned n)
{
    uint64_t seen = 0;
    for (unsigned i = 0; i < n; i++) {
        IORING_CQE cqe = pop(ring);
        unsigned k = (unsigned)(cqe.UserData & 0xff);
        assert_cqe(cqe, S_OK, RUN_LEN);
        ck_assert_uint_lt(k, n);
        ck_assert_msg(!(seen & (1ull << k)), "read %u completed twice", k);
        seen |= 1ull << k;
        tu_assert_pattern(bufs[k], RUN_LEN, cqe.UserData >> 8);
    }
    IORING_CQE none = { TU_SENTINEL_UD, TU_SENTINEL_HR, TU_SENTINEL_INFO };
    ck_assert_int_eq(PopIoRingCompletion(ring, &none), S_FALSE);
}

START_TEST(a_run_of_reads_half_on_the_pool_completes_each_read_once_with_its_bytes)
{
    static unsigned char bufs[RUN_READS][RUN_LEN];
    char *path = tu_make_file("run", (RUN_READS + 1) * RUN_LEN);
    HANDLE h = open_ro(path);
    HIORING ring = new_ring();
    iore_fault_set_hook(half_on_pool, NULL);
    for (unsigned round = 0; round < 20; round++) {
        build_run(ring, h, bufs, round);
        submit_wait(ring, RUN_READS);
        pop_each_read_once(ring, bufs, RUN_READS);
    }
    iore_fault_set_hook(NULL, NULL);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    CloseHandle(h);
    free(path);
}
END_TEST

/* The reads of one run alternate between two files with different
 * contents: each must come from its own file, though the emulator resolves
 * a run's handles through a one-entry cache. */
START_TEST(a_run_alternating_two_files_reads_each_from_its_own_file)
{
    static unsigned char bufs[RUN_READS][RUN_LEN];
    char *path_a = tu_make_file("runa", (RUN_READS + 1) * RUN_LEN);
    char *path_b = tu_make_file("runb", (RUN_READS + 1) * RUN_LEN);
    /* File b holds the complement of the pattern at every offset. */
    FILE *fb = fopen(path_b, "r+b");
    ck_assert_ptr_nonnull(fb);
    for (size_t i = 0; i < (RUN_READS + 1) * RUN_LEN; i++)
        fputc(~tu_pattern(i) & 0xff, fb);
    fclose(fb);
    HANDLE h[2] = { open_ro(path_a), open_ro(path_b) };
    HIORING ring = new_ring();
    for (unsigned round = 0; round < 20; round++) {
        for (unsigned k = 0; k < RUN_READS; k++) {
            UINT64 off = (UINT64)((k * 7u + round) % RUN_READS) * RUN_LEN + round;
            /* Runs of 1, 2 and 3 reads per file, so the cache both hits and misses. */
            unsigned which = (k / (1 + round % 3)) % 2;
            IORING_BUFFER_REF b = IoRingBufferRefFromPointer(bufs[k]);
            ck_assert_int_eq(BuildIoRingReadFile(ring,
                                                 (IORING_HANDLE_REF)IoRingHandleRefFromHandle(h[which]),
                                                 b, RUN_LEN, off, (UINT_PTR)(off << 9 | which << 8 | k),
                                                 IOSQE_FLAGS_NONE),
                             S_OK);
        }
        submit_wait(ring, RUN_READS);
        for (unsigned n = 0; n < RUN_READS; n++) {
            IORING_CQE cqe = pop(ring);
            assert_cqe(cqe, S_OK, RUN_LEN);
            unsigned k = (unsigned)(cqe.UserData & 0xff);
            size_t off = (size_t)(cqe.UserData >> 9);
            if (cqe.UserData & 0x100) {
                for (size_t i = 0; i < RUN_LEN; i++)
                    ck_assert_msg(bufs[k][i] == (~tu_pattern(off + i) & 0xff),
                                  "read %u byte %zu is not file b's", k, i);
            } else {
                tu_assert_pattern(bufs[k], RUN_LEN, off);
            }
        }
    }
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    CloseHandle(h[0]);
    CloseHandle(h[1]);
    free(path_a);
    free(path_b);
}
END_TEST

/* After a shared run the emulator shares shorter runs too, and leaves the
 * last reads of a run to the helper: runs of every length after one
 * another each complete every read once, with its bytes. */
START_TEST(runs_of_changing_length_after_a_shared_run_complete_each_read_once)
{
    static const unsigned sizes[] = { 32, 4, 5, 3, 31, 17, 2, 16, 1, 15, 32, 6 };
    static unsigned char bufs[RUN_READS][RUN_LEN];
    char *path = tu_make_file("run", (RUN_READS + 1) * RUN_LEN);
    HANDLE h = open_ro(path);
    HIORING ring = new_ring();
    for (unsigned round = 0; round < 4 * N(sizes); round++) {
        unsigned n = sizes[round % N(sizes)];
        build_reads(ring, h, bufs, round, n, 3);
        submit_wait(ring, n);
        pop_each_read_once(ring, bufs, n);
    }
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    CloseHandle(h);
    free(path);
}
END_TEST

/* Plain pread fails: whichever thread reads with it (a run's helper, once
 * its first read found the cache warm, or a pool worker), that read
 * completes once with the translated error and the others with their
 * bytes. */
static atomic_uint pread_fails;
static int fail_pread(const char *call, void *arg)
{
    (void)arg;
    if (strcmp(call, "pread"))
        return 0;
    atomic_fetch_add(&pread_fails, 1);
    return EIO;
}

START_TEST(a_failing_read_in_a_shared_run_completes_once_with_its_translated_result)
{
    static unsigned char bufs[RUN_READS][RUN_LEN];
    char *path = tu_make_file("run", (RUN_READS + 1) * RUN_LEN);
    HANDLE h = open_ro(path);
    HIORING ring = new_ring();
    iore_fault_set_hook(fail_pread, NULL);
    for (unsigned round = 0; round < 20; round++) {
        atomic_store(&pread_fails, 0);
        uint64_t seen = 0;
        unsigned failed = 0;
        build_run(ring, h, bufs, round);
        submit_wait(ring, RUN_READS);
        for (unsigned n = 0; n < RUN_READS; n++) {
            IORING_CQE cqe = pop(ring);
            unsigned k = (unsigned)(cqe.UserData & 0xff);
            ck_assert_uint_lt(k, RUN_READS);
            ck_assert_msg(!(seen & (1ull << k)), "read %u completed twice", k);
            seen |= 1ull << k;
            if (cqe.ResultCode == S_OK) {
                assert_cqe(cqe, S_OK, RUN_LEN);
                tu_assert_pattern(bufs[k], RUN_LEN, cqe.UserData >> 8);
            } else {
                assert_cqe(cqe, HR_NOT_READY, 0);
                failed++;
            }
        }
        ck_assert_uint_eq(failed, atomic_load(&pread_fails));
    }
    iore_fault_set_hook(NULL, NULL);
    ck_assert_int_eq(CloseIoRing(ring), S_OK);
    CloseHandle(h);
    free(path);
}
END_TEST

START_TEST(closing_the_ring_right_after_submitting_a_run_of_reads_returns_at_once)
{
    static unsigned char bufs[RUN_READS][RUN_LEN];
    char *path = tu_make_file("run", (RUN_READS + 1) * RUN_LEN);
    HANDLE h = open_ro(path);
    for (unsigned round = 0; round < 50; round++) {
        HIORING ring = new_ring();
        build_run(ring, h, bufs, round);
        ck_assert_int_eq(SubmitIoRing(ring, 0, 0, NULL), S_OK);
        ck_assert_int_eq(CloseIoRing(ring), S_OK);
        IORING_CQE cqe = { TU_SENTINEL_UD, TU_SENTINEL_HR, TU_SENTINEL_INFO };
        ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), E_HANDLE);
        ck_assert_uint_eq(cqe.UserData, TU_SENTINEL_UD);
    }
    CloseHandle(h);
    free(path);
}
END_TEST

static Suite *ops_suite(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, read_of_cached_data_returns_s_ok_and_the_bytes);
    tcase_add_test(tc, read_on_the_pool_returns_s_ok_and_the_bytes);
    tcase_add_loop_test(tc, read_reaching_eof_part_way_returns_s_ok_with_the_short_count, 0, 2);
    tcase_add_loop_test(tc, read_at_or_after_eof_fails_with_handle_eof_and_information_0, 0, 2);
    tcase_add_test(tc, read_of_length_0_completes_s_ok_with_information_0);
    tcase_add_test(tc, read_of_length_0_still_resolves_the_handle);
    suite_add_tcase(s, tc);

    tc = tcase_create("write_flush");
    tcase_add_loop_test(tc, write_then_read_returns_the_written_bytes, 0, 2);
    tcase_add_test(tc, write_past_eof_extends_the_file);
    tcase_add_test(tc, write_through_write_completes_s_ok_and_reads_back);
    tcase_add_loop_test(tc, flush_in_every_mode_completes_s_ok_with_information_0, 0,
                        (int)N(flush_modes));
    tcase_add_test(tc, write_drained_flush_and_drained_read_see_the_write);
    suite_add_tcase(s, tc);

    tc = tcase_create("scatter_gather");
    tcase_add_loop_test(tc, gather_then_scatter_round_trips_the_pages, 0, 2);
    tcase_add_test(tc, scatter_reaching_eof_returns_the_short_count_and_at_eof_fails);
    tcase_add_test(tc, scatter_segments_changed_to_misaligned_after_build_fail_with_e_invalidarg);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, read_on_an_unresolvable_handle_completes_with_e_handle, BAD_NULL,
                        BAD_NEVER_ISSUED + 1);
    tcase_add_loop_test(tc, every_file_op_on_a_closed_handle_completes_with_e_handle, 0, OPK_COUNT);
    tcase_add_loop_test(tc, op_without_the_needed_access_completes_with_e_accessdenied, 0,
                        (int)N(denied));
    tcase_add_loop_test(tc, io_on_an_unmapped_raw_buffer_completes_with_error_noaccess, 0, 2);
    tcase_add_loop_test(tc, host_error_completes_with_its_translated_result, 0, (int)N(faults));
    tcase_add_loop_test(tc, no_buffering_io_needs_sector_aligned_buffer_offset_and_length, 0,
                        (int)N(nobuf));
    suite_add_tcase(s, tc);

    tc = tcase_create("registered");
    tcase_add_test(tc, read_and_write_through_registered_file_and_buffer);
    tcase_add_test(tc, scatter_and_gather_through_a_registered_file);
    tcase_add_test(tc, registered_file_index_out_of_bounds_fails_even_for_length_0);
    tcase_add_test(tc, registered_file_slot_holding_a_closed_handle_fails_with_e_handle);
    tcase_add_test(tc, registered_buffer_range_outside_the_buffer_fails_with_invalid_user_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("streams");
    tcase_add_test(tc, pipe_read_returns_the_data_available);
    tcase_add_test(tc, pipe_read_with_the_writer_closed_fails_with_broken_pipe);
    tcase_add_test(tc, pipe_read_pends_until_data_arrives_and_survives_closing_its_handle);
    tcase_add_test(tc, pipe_write_larger_than_the_pipe_completes_with_every_byte);
    tcase_add_test(tc, pipe_write_with_the_reader_closed_fails_without_a_signal);
    tcase_add_test(tc, socket_read_after_orderly_shutdown_returns_s_ok_and_0);
    tcase_add_test(tc, character_device_read_of_nothing_fails_with_handle_eof);
    tcase_add_test(tc, close_ring_with_a_pending_pipe_read_returns_at_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, many_ops_in_flight_on_several_rings_and_threads_move_the_right_bytes);
    tcase_add_test(tc, a_run_of_reads_half_on_the_pool_completes_each_read_once_with_its_bytes);
    tcase_add_test(tc, closing_the_ring_right_after_submitting_a_run_of_reads_returns_at_once);
    tcase_add_test(tc, a_run_alternating_two_files_reads_each_from_its_own_file);
    tcase_add_test(tc, runs_of_changing_length_after_a_shared_run_complete_each_read_once);
    tcase_add_test(tc, a_failing_read_in_a_shared_run_completes_once_with_its_translated_result);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(ops_suite());
}
