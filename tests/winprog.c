/*
 * winprog.c - a Windows console program written the way Visual Studio
 * users write one, compiled unchanged against ioringemu by winprog.sh:
 * capitalised header names, UNICODE/TCHAR, _tmain, wide file names, the
 * IoRing entry point found through LoadLibrary/GetProcAddress. It writes a
 * file, reads it back through a ring, and prints what the CQE says.
 */
#define UNICODE
#define _UNICODE
#include <Windows.h>
#include <ioringapi.h>
#include <tchar.h>
#include <stdio.h>

typedef HRESULT (WINAPI *PFN_CREATE_IORING)(IORING_VERSION ioringVersion,
                                            IORING_CREATE_FLAGS flags,
                                            UINT32 submissionQueueSize,
                                            UINT32 completionQueueSize, HIORING *h);

static const char message[] = "Hello from an IoRing!";

static HANDLE MakeFile(LPCWSTR name)
{
    DWORD written = 0;
    HANDLE file = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return file;
    if (!WriteFile(file, message, (DWORD)(sizeof(message) - 1), &written, NULL) ||
        written != sizeof(message) - 1) {
        CloseHandle(file);
        return INVALID_HANDLE_VALUE;
    }
    return file;
}

static int ReadThroughRing(PFN_CREATE_IORING pCreateIoRing, HANDLE file)
{
    IORING_CREATE_FLAGS flags = {IORING_CREATE_REQUIRED_FLAGS_NONE,
                                 IORING_CREATE_ADVISORY_FLAGS_NONE};
    HIORING ring = NULL;
    char buffer[64] = {0};
    UINT32 submitted = 0;
    IORING_CQE cqe;
    HRESULT hr = pCreateIoRing(IORING_VERSION_3, flags, 8, 16, &ring);

    if (FAILED(hr)) {
        _ftprintf(stderr, _T("CreateIoRing failed: 0x%08lX\n"), hr);
        return 1;
    }
    IORING_HANDLE_REF fileRef = IoRingHandleRefFromHandle(file);
    IORING_BUFFER_REF bufferRef = IoRingBufferRefFromPointer(buffer);
    hr = BuildIoRingReadFile(ring, fileRef, bufferRef, (UINT32)(sizeof(buffer) - 1), 0, 0x1234,
                             IOSQE_FLAGS_NONE);
    if (SUCCEEDED(hr))
        hr = SubmitIoRing(ring, 1, INFINITE, &submitted);
    if (SUCCEEDED(hr))
        hr = PopIoRingCompletion(ring, &cqe);
    if (hr != S_OK) {
        _ftprintf(stderr, _T("ring: 0x%08lX\n"), hr);
        CloseIoRing(ring);
        return 1;
    }
    _tprintf(_T("submitted=%u\n"), submitted);
    _tprintf(_T("UserData=0x%IX ResultCode=0x%08lX Information=%Iu\n"), cqe.UserData,
             cqe.ResultCode, cqe.Information);
    _tprintf(_T("data=%hs\n"), buffer);
    CloseIoRing(ring);
    return 0;
}

int _tmain(int argc, TCHAR *argv[])
{
    LPCWSTR name = argc > 1 ? argv[1] : L"x.bin";
    HMODULE kernelbase = LoadLibraryW(L"kernelbase.dll");
    PFN_CREATE_IORING pCreateIoRing;
    HANDLE file;
    int rc;

    if (kernelbase == NULL) {
        _ftprintf(stderr, _T("LoadLibrary failed: %lu\n"), GetLastError());
        return 1;
    }
    pCreateIoRing = (PFN_CREATE_IORING)GetProcAddress(kernelbase, "CreateIoRing");
    if (pCreateIoRing == NULL) {
        _ftprintf(stderr, _T("GetProcAddress failed: %lu\n"), GetLastError());
        return 1;
    }
    file = MakeFile(name);
    if (file == INVALID_HANDLE_VALUE) {
        _ftprintf(stderr, _T("CreateFile(%s) failed: %lu\n"), name, GetLastError());
        return 1;
    }
    _tprintf(_T("file=%s\n"), name);
    rc = ReadThroughRing(pCreateIoRing, file);
    CloseHandle(file);
    DeleteFileW(name);
    FreeLibrary(kernelbase);
    return rc;
}
