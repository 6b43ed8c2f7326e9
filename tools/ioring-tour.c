/*
 * ioring-tour - an annotated walk through the Windows IoRing API on a
 * temporary file, as a Windows program would write it. Every step prints
 * what it does, the queue occupancy and each completion; every result is
 * compared with what Windows gives, and any difference makes the tour exit
 * with status 1.
 */
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAGE = 4096, NBUF = 4, FILE_BYTES = 64 * 1024 };

static int mismatches;
static HIORING ring;

static const char *hr_name(HRESULT hr)
{
    static const struct { HRESULT hr; const char *name; } names[] = {
        { S_OK, "S_OK" }, { S_FALSE, "S_FALSE" }, { E_HANDLE, "E_HANDLE" },
        { E_INVALIDARG, "E_INVALIDARG" }, { E_ACCESSDENIED, "E_ACCESSDENIED" },
        { (HRESULT)0x80070026, "ERROR_HANDLE_EOF" }, { (HRESULT)0x800703E3, "OPERATION_ABORTED" },
        { (HRESULT)0x80070490, "ERROR_NOT_FOUND" }, { (HRESULT)0x800701DA, "INDEX_OUT_OF_BOUNDS" },
        { (HRESULT)0x800706F8, "INVALID_USER_BUFFER" },
        { IORING_E_SUBMISSION_QUEUE_FULL, "IORING_E_SUBMISSION_QUEUE_FULL" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].hr == hr)
            return names[i].name;
    return "?";
}

static void expect(BOOL ok, const char *what)
{
    if (!ok) {
        printf("   !! differs from Windows: %s\n", what);
        mismatches++;
    }
}

static void expect_hr(HRESULT got, HRESULT want, const char *call)
{
    printf("   %-44s -> 0x%08X %s\n", call, (unsigned)got, hr_name(got));
    if (got != want) {
        printf("   !! Windows returns 0x%08X %s\n", (unsigned)want, hr_name(want));
        mismatches++;
    }
}

static void step(const char *title, const char *why)
{
    printf("\n== %s\n   %s\n", title, why);
}

static long vmlck_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static void occupancy(void)
{
    IORE_RING_STATS st;
    if (iore_ring_stats(ring, &st) == S_OK)
        printf("   queues: SQ %u built, %u in flight, CQ %u waiting | registered: %u buffers, "
               "%u files, %llu bytes pinned, %llu unpinned | VmLck %ld kB\n",
               st.submission_queue_used, st.in_flight, st.completion_queue_used,
               st.registered_buffers, st.registered_files, (unsigned long long)st.bytes_pinned,
               (unsigned long long)st.bytes_unpinned, vmlck_kib());
}

struct want { UINT_PTR user_data; HRESULT hr; ULONG_PTR info; };

/* Pops everything (completion order is not submission order) and checks
 * each CQE against the expectation with the same UserData. */
static void pop_all(const struct want *wants, int n)
{
    printf("   %-10s %-10s %-22s %-12s %s\n", "UserData", "Result", "", "Information", "Windows?");
    int seen = 0;
    IORING_CQE cqe;
    while (PopIoRingCompletion(ring, &cqe) == S_OK) {
        const struct want *w = NULL;
        for (int i = 0; i < n; i++)
            if (wants[i].user_data == cqe.UserData)
                w = &wants[i];
        BOOL ok = w && w->hr == cqe.ResultCode && w->info == cqe.Information;
        printf("   %-10llu 0x%08X %-22s %-12llu %s\n", (unsigned long long)cqe.UserData,
               (unsigned)cqe.ResultCode, hr_name(cqe.ResultCode),
               (unsigned long long)cqe.Information, ok ? "same" : "DIFFERENT");
        if (!ok)
            mismatches++;
        seen++;
    }
    expect(seen == n, "every operation completes exactly once");
}

static void submit_all(UINT32 wait, UINT32 expect_submitted)
{
    UINT32 submitted = 0;
    HRESULT hr = SubmitIoRing(ring, wait, INFINITE, &submitted);
    char call[64];
    snprintf(call, sizeof call, "SubmitIoRing(wait %u, INFINITE)", wait);
    expect_hr(hr, S_OK, call);
    expect(submitted == expect_submitted, "submittedEntries counts the batch");
    occupancy();
}

int main(void)
{
    IORING_CAPABILITIES caps;
    step("1. QueryIoRingCapabilities", "What can this system do? (24H2 reports version 400.)");
    expect_hr(QueryIoRingCapabilities(&caps), S_OK, "QueryIoRingCapabilities(&caps)");
    printf("   MaxVersion %d, SQ max 0x%X, CQ max 0x%X, FeatureFlags 0x%X\n", caps.MaxVersion,
           caps.MaxSubmissionQueueSize, caps.MaxCompletionQueueSize, caps.FeatureFlags);
    expect(caps.MaxVersion == IORING_VERSION_4 && caps.MaxSubmissionQueueSize == 0x10000 &&
               caps.MaxCompletionQueueSize == 0x20000 && caps.FeatureFlags == 0x3,
           "capabilities");

    step("2. CreateIoRing(IORING_VERSION_4, sq 10, cq 0)",
         "Sizes round up: SQ to a power of two (16), CQ to twice the SQ (32).");
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  IORING_CREATE_ADVISORY_FLAGS_NONE };
    expect_hr(CreateIoRing(IORING_VERSION_4, flags, 10, 0, &ring), S_OK, "CreateIoRing");
    IORING_INFO info;
    expect_hr(GetIoRingInfo(ring, &info), S_OK, "GetIoRingInfo");
    printf("   version %d, SQ %u, CQ %u\n", info.IoRingVersion, info.SubmissionQueueSize,
           info.CompletionQueueSize);
    expect(info.SubmissionQueueSize == 16 && info.CompletionQueueSize == 32, "queue sizing");

    step("3. A scratch file", "64 KiB written with WriteFile; the ring reads it back.");
    char tmp[MAX_PATH], path[MAX_PATH + 32];
    GetTempPathA(sizeof tmp, tmp);
    snprintf(path, sizeof path, "%sioring-tour-%lu.bin", tmp, (unsigned long)GetCurrentProcessId());
    HANDLE file = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                              FILE_ATTRIBUTE_NORMAL | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (file == INVALID_HANDLE_VALUE) {
        printf("   CreateFileA(%s) failed: error %u\n", path, GetLastError());
        return 1;
    }
    static BYTE content[FILE_BYTES];
    for (int i = 0; i < FILE_BYTES; i++)
        content[i] = (BYTE)(i * 7 + i / PAGE);
    DWORD written = 0;
    expect(WriteFile(file, content, FILE_BYTES, &written, NULL) && written == FILE_BYTES,
           "WriteFile writes everything");
    printf("   %s: %u bytes\n", path, written);

    step("4. Register buffers and the file handle",
         "Registration replaces the table; registered buffers are pinned in memory.");
    long vmlck_before = vmlck_kib();
    BYTE *region = VirtualAlloc(NULL, NBUF * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    IORING_BUFFER_INFO bufs[NBUF];
    for (int i = 0; i < NBUF; i++)
        bufs[i] = (IORING_BUFFER_INFO){ region + i * PAGE, PAGE };
    expect_hr(BuildIoRingRegisterBuffers(ring, NBUF, bufs, 100), S_OK, "BuildIoRingRegisterBuffers(4)");
    expect_hr(BuildIoRingRegisterFileHandles(ring, 1, &file, 101), S_OK,
              "BuildIoRingRegisterFileHandles(1)");
    occupancy();
    submit_all(2, 2);
    pop_all((struct want[]){ { 100, S_OK, NBUF }, { 101, S_OK, 1 } }, 2);
    printf("   VmLck grew by %ld kB for %d KiB of registered buffers\n",
           vmlck_kib() - vmlck_before, NBUF * PAGE / 1024);

    step("5. A batch of reads",
         "Four reads into registered buffers, one raw read past the end of the file.");
    static BYTE raw[PAGE];
    for (int i = 0; i < NBUF; i++) {
        IORING_HANDLE_REF f = IoRingHandleRefFromIndex(0);
        IORING_BUFFER_REF b = IoRingBufferRefFromIndexAndOffset((UINT32)i, 0);
        BuildIoRingReadFile(ring, f, b, PAGE, (UINT64)i * 2 * PAGE, 200 + i, IOSQE_FLAGS_NONE);
    }
    IORING_HANDLE_REF fraw = IoRingHandleRefFromHandle(file);
    IORING_BUFFER_REF braw = IoRingBufferRefFromPointer(raw);
    expect_hr(BuildIoRingReadFile(ring, fraw, braw, PAGE, FILE_BYTES, 204, IOSQE_FLAGS_NONE),
              S_OK, "BuildIoRingReadFile(at EOF)");
    occupancy();
    submit_all(5, 5);
    pop_all((struct want[]){ { 200, S_OK, PAGE }, { 201, S_OK, PAGE }, { 202, S_OK, PAGE },
                             { 203, S_OK, PAGE }, { 204, (HRESULT)0x80070026, 0 } }, 5);
    for (int i = 0; i < NBUF; i++)
        expect(memcmp(region + i * PAGE, content + i * 2 * PAGE, PAGE) == 0,
               "registered reads deliver the file's bytes");

    step("6. A write, then a flush that drains everything before it",
         "IOSQE_FLAGS_DRAIN_PRECEDING_OPS makes the flush wait for the write.");
    memset(raw, 0x5A, PAGE);
    BuildIoRingWriteFile(ring, fraw, braw, PAGE, PAGE, FILE_WRITE_FLAGS_NONE, 300, IOSQE_FLAGS_NONE);
    expect_hr(BuildIoRingFlushFile(ring, fraw, FILE_FLUSH_DEFAULT, 301,
                                   IOSQE_FLAGS_DRAIN_PRECEDING_OPS),
              S_OK, "BuildIoRingFlushFile(DRAIN)");
    submit_all(IORING_SUBMIT_WAIT_ALL, 2);
    pop_all((struct want[]){ { 300, S_OK, PAGE }, { 301, S_OK, 0 } }, 2);
    IORING_BUFFER_REF b0 = IoRingBufferRefFromIndexAndOffset(0, 0);
    IORING_HANDLE_REF f0 = IoRingHandleRefFromIndex(0);
    BuildIoRingReadFile(ring, f0, b0, PAGE, PAGE, 302, IOSQE_FLAGS_NONE);
    submit_all(1, 1);
    pop_all((struct want[]){ { 302, S_OK, PAGE } }, 1);
    expect(memcmp(region, raw, PAGE) == 0, "the written page reads back");

    step("7. Cancel", "Cancelling an operation that already finished finds nothing.");
    BuildIoRingCancelRequest(ring, fraw, 302, 400);
    submit_all(1, 1);
    pop_all((struct want[]){ { 400, (HRESULT)0x80070490, 0 } }, 1);

    step("8. The completion event",
         "Set on the completion queue's empty -> non-empty edge; pop until S_FALSE.");
    HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
    expect_hr(SetIoRingCompletionEvent(ring, ev), S_OK, "SetIoRingCompletionEvent");
    BuildIoRingReadFile(ring, f0, b0, 16, 0, 500, IOSQE_FLAGS_NONE);
    IORING_BUFFER_REF b1 = IoRingBufferRefFromIndexAndOffset(1, 0);
    BuildIoRingReadFile(ring, f0, b1, 16, 16, 501, IOSQE_FLAGS_NONE);
    submit_all(0, 2);
    expect(WaitForSingleObject(ev, 10000) == WAIT_OBJECT_0, "the event is signalled");
    expect_hr(SubmitIoRing(ring, 2, INFINITE, NULL), S_OK, "SubmitIoRing(wait 2)");
    pop_all((struct want[]){ { 500, S_OK, 16 }, { 501, S_OK, 16 } }, 2);
    IORING_CQE cqe;
    memset(&cqe, 0xEE, sizeof cqe);
    expect_hr(PopIoRingCompletion(ring, &cqe), S_FALSE, "PopIoRingCompletion(empty)");
    expect(cqe.UserData == (UINT_PTR)0xEEEEEEEEEEEEEEEEull, "S_FALSE leaves the CQE untouched");

    step("9. Errors arrive in completions",
         "A bad handle, an index past the table and a range past a buffer fail per operation.");
    IORING_HANDLE_REF fnull = IoRingHandleRefFromHandle(NULL);
    IORING_HANDLE_REF f7 = IoRingHandleRefFromIndex(7);
    IORING_BUFFER_REF bend = IoRingBufferRefFromIndexAndOffset(0, PAGE - 8);
    BuildIoRingReadFile(ring, fnull, braw, 16, 0, 600, IOSQE_FLAGS_NONE);
    BuildIoRingReadFile(ring, f7, braw, 16, 0, 601, IOSQE_FLAGS_NONE);
    BuildIoRingReadFile(ring, f0, bend, 16, 0, 602, IOSQE_FLAGS_NONE);
    submit_all(3, 3);
    pop_all((struct want[]){ { 600, E_HANDLE, 0 }, { 601, (HRESULT)0x800701DA, 0 },
                             { 602, (HRESULT)0x800706F8, 0 } }, 3);

    step("10. Close", "CloseIoRing returns at once; the handle is dead afterwards.");
    expect_hr(CloseIoRing(ring), S_OK, "CloseIoRing");
    expect_hr(CloseIoRing(ring), E_HANDLE, "CloseIoRing(again)");
    CloseHandle(ev);
    CloseHandle(file);
    VirtualFree(region, 0, MEM_RELEASE);
    printf("   VmLck %ld kB (was %ld kB before registering)\n", vmlck_kib(), vmlck_before);
    expect(vmlck_kib() == vmlck_before, "closing the ring unpins its buffers");

    printf("\n%s: %d result(s) differ from Windows\n", mismatches ? "FAILED" : "OK", mismatches);
    return mismatches ? 1 : 0;
}
