/*
 * winbuilders.c - a Windows program that uses every IoRing function and
 * every builder, written as for Visual Studio and compiled unchanged (as C
 * and as C++) against the installed headers by winprog.sh. It prints one
 * line per call and per completion; winprog.sh compares the transcript with
 * what Windows 11 24H2 gives. Completions of one batch are printed in
 * UserData order, because their arrival order is not specified.
 */
#define UNICODE
#include <Windows.h>
#include <ioringapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096

static HIORING ring;

static void Show(const char *call, HRESULT hr)
{
    printf("%s -> 0x%08X\n", call, (unsigned)hr);
}

static int ByUserData(const void *a, const void *b)
{
    const IORING_CQE *x = (const IORING_CQE *)a, *y = (const IORING_CQE *)b;
    return x->UserData < y->UserData ? -1 : x->UserData > y->UserData;
}

/* Submits, waits for `count` completions, and prints them. */
static void SubmitAndShow(UINT32 count)
{
    UINT32 submitted = 0;
    IORING_CQE cqes[16];
    UINT32 n = 0;
    HRESULT hr = SubmitIoRing(ring, count, INFINITE, &submitted);
    printf("SubmitIoRing(wait %u) -> 0x%08X submitted=%u\n", count, (unsigned)hr, submitted);
    while (n < 16 && PopIoRingCompletion(ring, &cqes[n]) == S_OK)
        n++;
    qsort(cqes, n, sizeof cqes[0], ByUserData);
    for (UINT32 i = 0; i < n; i++)
        printf("  CQE UserData=%u ResultCode=0x%08X Information=%u\n", (unsigned)cqes[i].UserData,
               (unsigned)cqes[i].ResultCode, (unsigned)cqes[i].Information);
}

static BOOL Filled(const BYTE *p, BYTE value, SIZE_T len)
{
    for (SIZE_T i = 0; i < len; i++)
        if (p[i] != value)
            return FALSE;
    return TRUE;
}

int main(void)
{
    IORING_CAPABILITIES caps;
    Show("QueryIoRingCapabilities", QueryIoRingCapabilities(&caps));
    printf("MaxVersion=%d FeatureFlags=0x%X\n", (int)caps.MaxVersion, (unsigned)caps.FeatureFlags);

    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE, IORING_CREATE_ADVISORY_FLAGS_NONE };
    Show("CreateIoRing", CreateIoRing(IORING_VERSION_4, flags, 8, 16, &ring));
    IORING_INFO info;
    Show("GetIoRingInfo", GetIoRingInfo(ring, &info));
    printf("SQ=%u CQ=%u\n", info.SubmissionQueueSize, info.CompletionQueueSize);
    printf("IsIoRingOpSupported:");
    for (int op = IORING_OP_NOP; op <= IORING_OP_WRITE_GATHER + 1; op++)
        printf(" %d", IsIoRingOpSupported(ring, (IORING_OP_CODE)op) ? 1 : 0);
    printf("\n");

    HANDLE event = CreateEvent(NULL, TRUE, FALSE, NULL);
    Show("SetIoRingCompletionEvent", SetIoRingCompletionEvent(ring, event));

    HANDLE file = CreateFile(L"builders.bin", GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    BYTE *pages = (BYTE *)VirtualAlloc(NULL, 3 * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (file == INVALID_HANDLE_VALUE || !pages) {
        printf("setup failed: %u\n", GetLastError());
        return 1;
    }

    IORING_BUFFER_INFO buffer = { pages, PAGE };
    Show("BuildIoRingRegisterFileHandles", BuildIoRingRegisterFileHandles(ring, 1, &file, 1));
    Show("BuildIoRingRegisterBuffers", BuildIoRingRegisterBuffers(ring, 1, &buffer, 2));
    SubmitAndShow(2);

    IORING_HANDLE_REF raw = IoRingHandleRefFromHandle(file);
    IORING_HANDLE_REF registered = IoRingHandleRefFromIndex(0);
    IORING_BUFFER_REF page0 = IoRingBufferRefFromIndexAndOffset(0, 0);
    memset(pages, 'A', PAGE);
    Show("BuildIoRingWriteFile",
         BuildIoRingWriteFile(ring, registered, page0, PAGE, 0, FILE_WRITE_FLAGS_WRITE_THROUGH, 3,
                              IOSQE_FLAGS_NONE));
    Show("BuildIoRingFlushFile",
         BuildIoRingFlushFile(ring, raw, FILE_FLUSH_DATA, 4, IOSQE_FLAGS_DRAIN_PRECEDING_OPS));
    SubmitAndShow(2);
    printf("event signalled: %d\n", WaitForSingleObject(event, 0) == WAIT_OBJECT_0);

    FILE_SEGMENT_ELEMENT segments[2];
    segments[0].Buffer = pages + PAGE;
    segments[1].Buffer = pages + 2 * PAGE;
    memset(pages + PAGE, 'B', PAGE);
    memset(pages + 2 * PAGE, 'C', PAGE);
    Show("BuildIoRingWriteFileGather",
         BuildIoRingWriteFileGather(ring, raw, 2, segments, 2 * PAGE, PAGE, FILE_WRITE_FLAGS_NONE, 5,
                                    IOSQE_FLAGS_NONE));
    SubmitAndShow(1);

    memset(pages + PAGE, 0, 2 * PAGE);
    Show("BuildIoRingReadFileScatter",
         BuildIoRingReadFileScatter(ring, registered, 2, segments, 2 * PAGE, PAGE, 6,
                                    IOSQE_FLAGS_NONE));
    IORING_BUFFER_REF into = IoRingBufferRefFromPointer(pages);
    memset(pages, 0, PAGE);
    Show("BuildIoRingReadFile", BuildIoRingReadFile(ring, raw, into, PAGE, 0, 7, IOSQE_FLAGS_NONE));
    Show("BuildIoRingReadFile(EOF)",
         BuildIoRingReadFile(ring, raw, into, PAGE, 3 * PAGE, 8, IOSQE_FLAGS_NONE));
    SubmitAndShow(3);
    printf("data: %d %d %d\n", Filled(pages, 'A', PAGE), Filled(pages + PAGE, 'B', PAGE),
           Filled(pages + 2 * PAGE, 'C', PAGE));

    Show("BuildIoRingCancelRequest", BuildIoRingCancelRequest(ring, raw, 7, 9));
    SubmitAndShow(1);

    IORING_CQE cqe;
    Show("PopIoRingCompletion(empty)", PopIoRingCompletion(ring, &cqe));
    Show("CloseIoRing", CloseIoRing(ring));
    Show("CloseIoRing(again)", CloseIoRing(ring));
    CloseHandle(event);
    CloseHandle(file);
    VirtualFree(pages, 0, MEM_RELEASE);
    return 0;
}
