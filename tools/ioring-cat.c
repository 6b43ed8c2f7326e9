/*
 * ioring-cat FILE... - concatenate files to standard output, reading them
 * through an IoRing: one registered buffer region split into DEPTH slots,
 * the file registered as handle index 0, up to DEPTH reads in flight.
 * Completions arrive in any order; output is written in file order.
 */
#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DEPTH = 8, CHUNK = 256 * 1024 };

struct slot {
    UINT64 offset;   /* file offset of this slot's read */
    UINT32 got;      /* bytes read, valid once done */
    BOOL busy;       /* read submitted, CQE not yet seen */
    BOOL done;       /* CQE seen, data not yet written out */
};

struct cat {
    HIORING ring;
    BYTE *region;    /* DEPTH * CHUNK bytes, registered as DEPTH buffers */
    struct slot slots[DEPTH];
    const char *name;
    UINT64 next_read;   /* offset of the next read to issue */
    UINT64 next_write;  /* offset of the next byte owed to stdout */
    BOOL eof;           /* a read came back short or at EOF */
    int in_flight;
};

static int fail(const char *name, const char *what, HRESULT hr)
{
    fprintf(stderr, "ioring-cat: %s: %s failed (HRESULT 0x%08X)\n", name, what, (unsigned)hr);
    return 1;
}

static int write_all(const BYTE *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static HRESULT issue(struct cat *c, int i)
{
    IORING_HANDLE_REF file = IoRingHandleRefFromIndex(0);
    IORING_BUFFER_REF buf = IoRingBufferRefFromIndexAndOffset((UINT32)i, 0);
    HRESULT hr = BuildIoRingReadFile(c->ring, file, buf, CHUNK, c->next_read, (UINT_PTR)i,
                                     IOSQE_FLAGS_NONE);
    if (FAILED(hr))
        return hr;
    c->slots[i] = (struct slot){ .offset = c->next_read, .busy = TRUE };
    c->next_read += CHUNK;
    c->in_flight++;
    return S_OK;
}

/* Writes every finished slot that is next in file order. */
static int drain_in_order(struct cat *c)
{
    for (;;) {
        int i = (int)((c->next_write / CHUNK) % DEPTH);
        struct slot *s = &c->slots[i];
        if (!s->done || s->offset != c->next_write)
            return 0;
        if (write_all(c->region + (size_t)i * CHUNK, s->got) < 0)
            return -1;
        c->next_write += s->got;
        s->done = FALSE;
        if (s->got < CHUNK)
            return 0;   /* end of file: nothing after this slot is owed */
    }
}

static int reap(struct cat *c)
{
    IORING_CQE cqe;
    while (PopIoRingCompletion(c->ring, &cqe) == S_OK) {
        struct slot *s = &c->slots[cqe.UserData];
        s->busy = FALSE;
        c->in_flight--;
        if (cqe.ResultCode == HRESULT_FROM_WIN32(ERROR_HANDLE_EOF)) {
            s->got = 0;
        } else if (FAILED(cqe.ResultCode)) {
            c->eof = TRUE;
            return fail(c->name, "read", cqe.ResultCode);
        } else {
            s->got = (UINT32)cqe.Information;
        }
        if (s->got < CHUNK)
            c->eof = TRUE;
        s->done = TRUE;
    }
    return drain_in_order(c) < 0 ? fail(c->name, "write to stdout", E_FAIL) : 0;
}

/* Pipes and character devices: one read at a time (offsets mean nothing
 * there), a short read is just what was available, the end is a read of
 * nothing (broken pipe or end of file). */
static int cat_stream(struct cat *c)
{
    IORING_HANDLE_REF file = IoRingHandleRefFromIndex(0);
    IORING_BUFFER_REF buf = IoRingBufferRefFromIndexAndOffset(0, 0);
    IORING_CQE cqe;
    for (;;) {
        HRESULT hr = BuildIoRingReadFile(c->ring, file, buf, CHUNK, 0, 0, IOSQE_FLAGS_NONE);
        if (SUCCEEDED(hr))
            hr = SubmitIoRing(c->ring, 1, INFINITE, NULL);
        if (FAILED(hr) || PopIoRingCompletion(c->ring, &cqe) != S_OK)
            return fail(c->name, "read", FAILED(hr) ? hr : E_FAIL);
        if (cqe.ResultCode == HRESULT_FROM_WIN32(ERROR_BROKEN_PIPE) ||
            cqe.ResultCode == HRESULT_FROM_WIN32(ERROR_HANDLE_EOF) ||
            (cqe.ResultCode == S_OK && cqe.Information == 0))
            return 0;
        if (FAILED(cqe.ResultCode))
            return fail(c->name, "read", cqe.ResultCode);
        if (write_all(c->region, cqe.Information) < 0)
            return fail(c->name, "write to stdout", E_FAIL);
    }
}

static BOOL is_stream(HANDLE h)
{
    struct stat st;
    int fd = iore_fd_from_handle(h);
    return fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
}

static int cat_file(struct cat *c, HANDLE h)
{
    int rc = 0;
    HRESULT hr = BuildIoRingRegisterFileHandles(c->ring, 1, &h, 0);
    if (SUCCEEDED(hr))
        hr = SubmitIoRing(c->ring, 1, INFINITE, NULL);
    IORING_CQE cqe;
    if (FAILED(hr) || PopIoRingCompletion(c->ring, &cqe) != S_OK || FAILED(cqe.ResultCode))
        return fail(c->name, "register file", FAILED(hr) ? hr : cqe.ResultCode);
    if (is_stream(h))
        return cat_stream(c);

    memset(c->slots, 0, sizeof c->slots);
    c->next_read = c->next_write = 0;
    c->eof = FALSE;
    while (!rc && (!c->eof || c->in_flight > 0)) {
        for (int i = 0; i < DEPTH && !c->eof; i++) {
            int slot = (int)((c->next_read / CHUNK) % DEPTH);
            if (c->slots[slot].busy || c->slots[slot].done)
                break;
            if (FAILED(hr = issue(c, slot)))
                return fail(c->name, "build read", hr);
        }
        if (c->in_flight == 0)
            break;
        hr = SubmitIoRing(c->ring, 1, INFINITE, NULL);
        if (FAILED(hr))
            return fail(c->name, "submit", hr);
        rc = reap(c);
    }
    /* After an error, collect what is still in flight before reusing slots. */
    while (c->in_flight > 0 && SUCCEEDED(SubmitIoRing(c->ring, 1, INFINITE, NULL)))
        while (c->in_flight > 0 && PopIoRingCompletion(c->ring, &cqe) == S_OK) {
            c->slots[cqe.UserData].busy = c->slots[cqe.UserData].done = FALSE;
            c->in_flight--;
        }
    return rc;
}

static int setup(struct cat *c)
{
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  IORING_CREATE_ADVISORY_FLAGS_NONE };
    HRESULT hr = CreateIoRing(IORING_VERSION_3, flags, DEPTH, 2 * DEPTH, &c->ring);
    if (FAILED(hr))
        return fail("ring", "CreateIoRing", hr);
    c->region = VirtualAlloc(NULL, (SIZE_T)DEPTH * CHUNK, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!c->region)
        return fail("ring", "VirtualAlloc", HRESULT_FROM_WIN32(GetLastError()));
    IORING_BUFFER_INFO bufs[DEPTH];
    for (int i = 0; i < DEPTH; i++)
        bufs[i] = (IORING_BUFFER_INFO){ c->region + (size_t)i * CHUNK, CHUNK };
    IORING_CQE cqe;
    hr = BuildIoRingRegisterBuffers(c->ring, DEPTH, bufs, 0);
    if (SUCCEEDED(hr))
        hr = SubmitIoRing(c->ring, 1, INFINITE, NULL);
    if (FAILED(hr) || PopIoRingCompletion(c->ring, &cqe) != S_OK || FAILED(cqe.ResultCode))
        return fail("ring", "register buffers", FAILED(hr) ? hr : cqe.ResultCode);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ioring-cat FILE...\n");
        return 2;
    }
    struct cat c = { 0 };
    if (setup(&c))
        return 1;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        c.name = argv[i];
        HANDLE h = CreateFileA(argv[i], GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                               FILE_ATTRIBUTE_NORMAL, NULL);
        if (h == INVALID_HANDLE_VALUE) {
            rc |= fail(argv[i], "CreateFileA", HRESULT_FROM_WIN32(GetLastError()));
            continue;
        }
        rc |= cat_file(&c, h);
        CloseHandle(h);
    }
    CloseIoRing(c.ring);
    VirtualFree(c.region, 0, MEM_RELEASE);
    return rc;
}
