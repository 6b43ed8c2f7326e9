/*
 * file.c - the Win32 file layer: CreateFile, ReadFile/WriteFile, size and
 * pointer, SetEndOfFile, FlushFileBuffers, DeleteFile, GetFileAttributes,
 * FindFirstFile/FindNextFile/FindClose, GetTempPath, lstrlen, and the POSIX
 * interop extensions iore_handle_from_fd/iore_fd_from_handle.
 *
 * DESIGN
 *
 * Objects. A file HANDLE names a struct file: the struct iore__file the
 * rest of the library reads (lib/iore.h) plus pos_lock. Every field is set
 * before iore__handle_new() publishes the object and never written again,
 * so readers need no lock for them. The object lives until its last
 * reference goes (CloseHandle drops the table's; a ring registration or a
 * call in progress may hold others); destroy then closes an owned
 * descriptor and removes delete_path (FILE_FLAG_DELETE_ON_CLOSE), so the
 * file disappears when the last user of that handle is done. Windows
 * deletes when the last handle to the file closes, across every CreateFile
 * of it; here each handle that asked for it deletes on its own last close.
 *
 * The file pointer is the kernel's offset of the descriptor, so a handle
 * from iore_handle_from_fd() shares it with POSIX code using the same
 * descriptor. On a synchronous handle (no FILE_FLAG_OVERLAPPED) Windows
 * serialises I/O and moves the pointer past every transfer, OVERLAPPED
 * offsets included; pos_lock makes "read the pointer, pread/pwrite, move
 * the pointer" one step there. A handle opened with FILE_FLAG_OVERLAPPED
 * has no pointer semantics: an OVERLAPPED offset is required (as Windows'
 * NtReadFile requires one), the transfer takes no lock, the pointer stays.
 * Every call here completes before returning: an OVERLAPPED gets its
 * Internal (STATUS_SUCCESS) and InternalHigh (bytes) and its event is set,
 * on success only (a failure detected synchronously touches neither, as in
 * NT). Transfers loop until done, EOF or an error; an error after some bytes
 * moved reports those bytes (the error recurs on the next call).
 *
 * Non-seekable descriptors (pipes, sockets, character devices) ignore
 * offsets and the pointer. A read returns as soon as some data arrived; 0
 * bytes means ERROR_BROKEN_PIPE on a pipe, success on a socket, end of file
 * on a device. Writes loop until all is written, with SIGPIPE held off (a
 * Windows program expects ERROR_NO_DATA-like errors, not a signal). A
 * descriptor in non-blocking mode is waited on with poll(); EAGAIN never
 * surfaces.
 *
 * FILE_FLAG_NO_BUFFERING asks for O_DIRECT. Where the file system refuses it
 * (open or fcntl fails with EINVAL) the handle is buffered, but the sector
 * size is recorded either way, so ReadFile/WriteFile here and the IoRing
 * dispatch enforce Windows' alignment rule (buffer address, offset and
 * length multiples of the sector) whatever the host does.
 *
 * Locks (lock order: both are leaves; nothing else is taken while one is
 * held, except the fault-injection hook inside the iore__sys_* wrappers):
 *   struct file.pos_lock   the descriptor's offset, for synchronous handles.
 *   struct find.lock       the search's DIR stream (readdir is not safe on
 *                          one stream from two threads).
 * Fork: a child that forks while another thread is inside a synchronous
 * ReadFile/WriteFile/SetFilePointerEx on a handle inherits that handle's
 * pos_lock held; it must not use that handle's file pointer (explicit
 * offsets on FILE_FLAG_OVERLAPPED handles are unaffected).
 *
 * Errors. Data I/O errors go through the one errno table (lib/error.c).
 * Path operations first apply the open-time meanings that table cannot
 * know (path_error): ENOENT is ERROR_FILE_NOT_FOUND or, when the parent
 * directory is missing too, ERROR_PATH_NOT_FOUND; EEXIST is
 * ERROR_FILE_EXISTS; EISDIR is ERROR_ACCESS_DENIED (Windows' open-time
 * STATUS_FILE_IS_A_DIRECTORY); names that do not fit or do not convert are
 * ERROR_FILENAME_EXCED_RANGE and ERROR_INVALID_NAME.
 *
 * Not emulated (documented in the man pages): share modes are accepted and
 * not enforced; security attributes other than bInheritHandle (which keeps
 * the descriptor across exec) are ignored, as is hTemplateFile;
 * FILE_APPEND_DATA counts as write access without append-only positioning;
 * attributes are derived from the host (directory, archive for files,
 * read-only when no write permission bit is set); creation time is the
 * status-change time.
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

_Static_assert(NAME_MAX < MAX_PATH, "every host name fits cFileName");

struct file {
    struct iore__file f; /* first: iore__file_get() hands out &file->f */
    pthread_mutex_t pos_lock;
};

#define FILE_OF(fp) ((struct file *)(void *)(fp))

/* ReadFile/WriteFile transfer positions besides explicit offsets. */
#define AT_POINTER (-1) /* the file pointer */
#define AT_END (-2)     /* end of file: WriteFile's offset 0xFFFFFFFF:0xFFFFFFFF */

/* ------------------------------------------------------------------ errors */

/* 1 when the directory that would hold host exists. */
static int parent_exists(const char *host)
{
    size_t n = strlen(host);
    while (n > 1 && host[n - 1] == '/')
        n--;
    while (n > 0 && host[n - 1] != '/')
        n--;
    if (n == 0)
        return 1; /* a name in the working directory */
    char *dir = strndup(host, n);
    if (!dir)
        return 1;
    struct stat st;
    int ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    free(dir);
    return ok;
}

/* The open-time meaning of err for host (see DESIGN), or 0 for the table's. */
static DWORD path_error(int err, const char *host)
{
    switch (err) {
    case ENOENT:
        return host && !parent_exists(host) ? ERROR_PATH_NOT_FOUND : ERROR_FILE_NOT_FOUND;
    case EEXIST:
        return ERROR_FILE_EXISTS;
    case EISDIR:
        return ERROR_ACCESS_DENIED;
    case ENAMETOOLONG:
        return ERROR_FILENAME_EXCED_RANGE;
    case EILSEQ:
        return ERROR_INVALID_NAME;
    default:
        return 0;
    }
}

static BOOL fail_path(int err, const char *host, const char *op)
{
    DWORD win32 = path_error(err, host);
    return win32 ? iore__fail(win32) : iore__fail_errno(err, op);
}

/* A caller's name that is NULL or empty fails as on Windows. */
static BOOL name_usable(const void *name, BOOL empty)
{
    if (!name)
        return iore__fail(ERROR_INVALID_PARAMETER);
    if (empty)
        return iore__fail(ERROR_PATH_NOT_FOUND);
    return TRUE;
}

/* The converted name, or NULL with the last error set. */
static char *converted(char *host, const char *op)
{
    if (!host)
        fail_path(errno, NULL, op);
    return host;
}

static char *host_path_a(LPCSTR name, const char *op)
{
    return name_usable(name, name && !*name) ? converted(iore__path_from_a(name), op) : NULL;
}

static char *host_path_w(LPCWSTR name, const char *op)
{
    return name_usable(name, name && !*name) ? converted(iore__path_from_w(name), op) : NULL;
}

/* ------------------------------------------------------------------ objects */

static void file_destroy(struct iore__obj *obj)
{
    struct file *fo = FILE_OF(obj);
    struct iore__file *f = &fo->f;

    if (f->owns_fd)
        close(f->fd);
    if (f->delete_path) {
        if (f->kind == IORE_FD_DIR)
            rmdir(f->delete_path);
        else
            unlink(f->delete_path);
        free(f->delete_path);
    }
    pthread_mutex_destroy(&fo->pos_lock);
    free(fo);
}

static unsigned char fd_kind(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR: return IORE_FD_DIR;
    case S_IFIFO: return IORE_FD_PIPE;
    case S_IFSOCK: return IORE_FD_SOCK;
    case S_IFCHR: return IORE_FD_CHR;
    case S_IFBLK: return IORE_FD_BLK;
    default: return IORE_FD_REG;
    }
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* The alignment FILE_FLAG_NO_BUFFERING imposes: 512, or what the host needs
 * for direct I/O on this file if larger. The first source that knows wins:
 * statx's direct-I/O alignment, the device's logical block size, and, when
 * neither answers and O_DIRECT was refused, the file system's block size
 * (capped at a page: Windows sectors are 512 or 4096 bytes). */
static uint32_t sector_size(int fd, const struct stat *st, int direct)
{
    uint32_t need = 0;
#ifdef STATX_DIOALIGN
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN))
        need = max_u32(sx.stx_dio_offset_align, sx.stx_dio_mem_align);
#endif
    int lbs;
    if (!need && S_ISBLK(st->st_mode) && ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs > 0)
        need = (uint32_t)lbs;
    struct statvfs vfs;
    if (!need && !direct && fstatvfs(fd, &vfs) == 0) {
        uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
        need = vfs.f_bsize < page ? (uint32_t)vfs.f_bsize : page;
    }
    return max_u32(512, need);
}

/* A file object for fd (not yet published). NULL only when out of memory. */
static struct file *file_new(int fd, const struct stat *st, DWORD access, DWORD flags,
                             int owns_fd, int direct)
{
    struct file *fo = calloc(1, sizeof *fo);
    if (!fo)
        return NULL;
    iore__obj_init(&fo->f.obj, IORE_KIND_FILE, file_destroy);
    pthread_mutex_init(&fo->pos_lock, NULL);
    fo->f.fd = fd;
    fo->f.access = access;
    fo->f.flags = flags;
    fo->f.kind = fd_kind(st->st_mode);
    fo->f.seekable = fo->f.kind == IORE_FD_REG || fo->f.kind == IORE_FD_BLK;
    fo->f.owns_fd = (unsigned char)(owns_fd != 0);
    if (flags & FILE_FLAG_NO_BUFFERING)
        fo->f.sector = sector_size(fd, st, direct);
    return fo;
}

struct iore__file *iore__file_get(HANDLE h, DWORD *why)
{
    struct iore__obj *obj = iore__handle_get(h, IORE_KIND_FILE, why);
    return obj ? &FILE_OF(obj)->f : NULL;
}

/* ------------------------------------------------------------------ CreateFile */

struct open_req {
    const char *path;
    DWORD access;      /* granted: GENERIC_READ and/or GENERIC_WRITE */
    DWORD disposition;
    DWORD flags;       /* dwFlagsAndAttributes */
    int oflags;        /* O_CLOEXEC, O_DSYNC, O_NOCTTY: every open gets them */
    mode_t mode;
};

struct open_res {
    int fd;
    int existed; /* the name existed before the call */
    int created; /* this call created the file (undone on a later failure) */
    int direct;  /* O_DIRECT is in effect */
};

static DWORD granted_access(DWORD desired)
{
    DWORD granted = 0;
    if (desired & (GENERIC_READ | GENERIC_ALL | FILE_READ_DATA))
        granted |= GENERIC_READ;
    if (desired & (GENERIC_WRITE | GENERIC_ALL | FILE_WRITE_DATA | FILE_APPEND_DATA))
        granted |= GENERIC_WRITE;
    return granted;
}

static int access_mode(DWORD access)
{
    switch (access & (GENERIC_READ | GENERIC_WRITE)) {
    case GENERIC_WRITE: return O_WRONLY;
    case GENERIC_READ | GENERIC_WRITE: return O_RDWR;
    default: return O_RDONLY;
    }
}

/* Opens an existing name (extra: O_TRUNC or 0). Returns 0 or -errno. */
static int open_existing(const struct open_req *rq, int extra, struct open_res *res)
{
    /* Access 0 (attributes only) must not need read permission. */
    int mode = rq->access || extra ? access_mode(rq->access) : O_PATH;
    int flags = mode | rq->oflags | extra;
    int direct = (rq->flags & FILE_FLAG_NO_BUFFERING) != 0;
    int fd = -1;

    if (direct) {
        fd = iore__sys_open(rq->path, flags | O_DIRECT, 0);
        res->direct = fd >= 0;
    }
    /* EINVAL: the file system does not do direct I/O; stay buffered. */
    if (fd < 0 && (!direct || errno == EINVAL))
        fd = iore__sys_open(rq->path, flags, 0);
    /* A directory opened for writing: with FILE_FLAG_BACKUP_SEMANTICS
     * Windows grants it, and a host directory can only be opened read-only. */
    if (fd < 0 && errno == EISDIR && !extra && (rq->flags & FILE_FLAG_BACKUP_SEMANTICS))
        fd = iore__sys_open(rq->path, O_RDONLY | O_DIRECTORY | rq->oflags, 0);
    if (fd < 0)
        return -errno;
    res->fd = fd;
    res->existed = 1;
    return 0;
}

/* Creates a new file. O_DIRECT is applied afterwards with fcntl: some file
 * systems create the file and then fail open(O_CREAT | O_DIRECT). */
static int create_new(const struct open_req *rq, struct open_res *res)
{
    int flags = access_mode(rq->access) | rq->oflags | O_CREAT | O_EXCL;
    int fd = iore__sys_open(rq->path, flags, rq->mode);
    if (fd < 0)
        return -errno;
    if (rq->flags & FILE_FLAG_NO_BUFFERING) {
        int fl = fcntl(fd, F_GETFL);
        res->direct = fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0;
    }
    res->fd = fd;
    res->existed = 0;
    res->created = 1;
    return 0;
}

/* The dispositions that may either open or create retry when the name
 * appears or vanishes between the two attempts; a few rounds only. */
#define RACE_ROUNDS 8

static int open_or_create(const struct open_req *rq, int trunc, struct open_res *res)
{
    int err = -EAGAIN;
    for (int round = 0; round < RACE_ROUNDS; round++) {
        err = trunc ? create_new(rq, res) : open_existing(rq, 0, res);
        if (err != (trunc ? -EEXIST : -ENOENT))
            return err;
        err = trunc ? open_existing(rq, O_TRUNC, res) : create_new(rq, res);
        if (err != (trunc ? -ENOENT : -EEXIST))
            return err;
    }
    return err;
}

static int open_by_disposition(const struct open_req *rq, struct open_res *res)
{
    switch (rq->disposition) {
    case CREATE_NEW: return create_new(rq, res);
    case CREATE_ALWAYS: return open_or_create(rq, 1, res);
    case OPEN_EXISTING: return open_existing(rq, 0, res);
    case OPEN_ALWAYS: return open_or_create(rq, 0, res);
    default: return open_existing(rq, O_TRUNC, res); /* TRUNCATE_EXISTING */
    }
}

/* An absolute copy of path, so a later chdir() does not redirect the
 * delete. NULL when out of memory. */
static char *absolute_path(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return NULL;
    char *abs = NULL;
    if (asprintf(&abs, "%s/%s", cwd, path) < 0)
        abs = NULL;
    free(cwd);
    return abs;
}

/* Turns an open descriptor into a published handle. Returns 0 or a Win32
 * error; on error the descriptor is closed. */
static DWORD publish_open(const struct open_req *rq, struct open_res *res, HANDLE *out)
{
    struct stat st;
    if (fstat(res->fd, &st) < 0) {
        DWORD err = iore__win32_from_errno(errno, "CreateFile");
        close(res->fd);
        return err;
    }
    if (S_ISDIR(st.st_mode) && !(rq->flags & FILE_FLAG_BACKUP_SEMANTICS)) {
        close(res->fd);
        return ERROR_ACCESS_DENIED;
    }
    struct file *fo = file_new(res->fd, &st, rq->access, rq->flags, 1, res->direct);
    if (!fo) {
        close(res->fd);
        return iore__win32_from_errno(ENOMEM, "CreateFile");
    }
    if ((rq->flags & FILE_FLAG_DELETE_ON_CLOSE) &&
        !(fo->f.delete_path = absolute_path(rq->path))) {
        iore__obj_unref(&fo->f.obj);
        return iore__win32_from_errno(ENOMEM, "CreateFile");
    }
    *out = iore__handle_new(&fo->f.obj);
    if (!*out) {
        /* The call fails, so nothing may be deleted on its behalf. */
        free(fo->f.delete_path);
        fo->f.delete_path = NULL;
        iore__obj_unref(&fo->f.obj);
        return iore__win32_from_errno(ENOMEM, "CreateFile");
    }
    return 0;
}

/* Parameter checks Windows makes before touching the file system. */
static DWORD check_create(DWORD access, DWORD share, DWORD disposition)
{
    if (disposition < CREATE_NEW || disposition > TRUNCATE_EXISTING)
        return ERROR_INVALID_PARAMETER;
    if (disposition == TRUNCATE_EXISTING && !(access & GENERIC_WRITE))
        return ERROR_INVALID_PARAMETER;
    if (share & ~(DWORD)(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE))
        return ERROR_INVALID_PARAMETER;
    return 0;
}

static HANDLE create_file(const char *path, DWORD access, LPSECURITY_ATTRIBUTES sa,
                          DWORD disposition, DWORD flags)
{
    struct open_req rq = {
        .path = path,
        .access = granted_access(access),
        .disposition = disposition,
        .flags = flags,
        .oflags = O_NOCTTY | ((flags & FILE_FLAG_WRITE_THROUGH) ? O_DSYNC : 0) |
                  (sa && sa->bInheritHandle ? 0 : O_CLOEXEC),
        .mode = (flags & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666,
    };
    struct open_res res = { .fd = -1 };
    HANDLE h = INVALID_HANDLE_VALUE;

    int err = open_by_disposition(&rq, &res);
    if (err < 0) {
        fail_path(-err, path, "CreateFile");
        return INVALID_HANDLE_VALUE;
    }
    DWORD win32 = publish_open(&rq, &res, &h);
    if (win32) {
        /* All or nothing: a file this call created does not outlive it. */
        if (res.created)
            unlink(path);
        iore__fail(win32);
        return INVALID_HANDLE_VALUE;
    }
    int reopened = res.existed && (disposition == CREATE_ALWAYS || disposition == OPEN_ALWAYS);
    SetLastError(reopened ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

/* CreateFileA/W after the name: both check the same things in the same
 * order, only the conversion of the name differs. */
static HANDLE create_named(const void *name, BOOL wide, DWORD access, DWORD share,
                           LPSECURITY_ATTRIBUTES sa, DWORD disposition, DWORD flags)
{
    const char *op = wide ? "CreateFileW" : "CreateFileA";
    if (!name) {
        iore__fail(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    DWORD bad = check_create(access, share, disposition);
    if (bad) {
        iore__fail(bad);
        return INVALID_HANDLE_VALUE;
    }
    char *path = wide ? host_path_w(name, op) : host_path_a(name, op);
    if (!path)
        return INVALID_HANDLE_VALUE;
    HANDLE h = create_file(path, access, sa, disposition, flags);
    free(path);
    return h;
}

IORE_API HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                                   LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                   DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                                   HANDLE hTemplateFile)
{
    return create_named(lpFileName, FALSE, dwDesiredAccess, dwShareMode, lpSecurityAttributes,
                        dwCreationDisposition, dwFlagsAndAttributes);
}

IORE_API HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                                   LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                   DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                                   HANDLE hTemplateFile)
{
    return create_named(lpFileName, TRUE, dwDesiredAccess, dwShareMode, lpSecurityAttributes,
                        dwCreationDisposition, dwFlagsAndAttributes);
}

/* ------------------------------------------------------------------ transfers */

struct xfer {
    struct iore__file *f;
    char *buf;     /* const for writes; never written through then */
    size_t len;
    int write;
    int64_t off;   /* >= 0, AT_POINTER or AT_END */
};

/* Positional transfer at off, looping on short counts. Bytes moved, or
 * -errno when the first attempt failed. */
static ssize_t transfer_at(const struct xfer *x, int64_t off)
{
    size_t done = 0;
    while (done < x->len) {
        ssize_t r = x->write
            ? iore__sys_pwrite(x->f->fd, x->buf + done, x->len - done, (off_t)(off + (int64_t)done))
            : iore__sys_pread(x->f->fd, x->buf + done, x->len - done, (off_t)(off + (int64_t)done));
        if (r < 0)
            return done ? (ssize_t)done : -errno;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* Checks the offset (and, with FILE_FLAG_NO_BUFFERING, its alignment) of a
 * transfer at off, then performs it. */
static ssize_t checked_transfer_at(const struct xfer *x, int64_t off)
{
    if ((uint64_t)off > (uint64_t)INT64_MAX - x->len)
        return -EINVAL;
    if (x->f->sector && (uint64_t)off % x->f->sector)
        return -EINVAL;
    return transfer_at(x, off);
}

static int64_t file_pointer(int fd)
{
    off_t pos = lseek(fd, 0, SEEK_CUR);
    return pos < 0 ? -errno : (int64_t)pos;
}

static int64_t end_of_file(const struct iore__file *f)
{
    struct stat st;
    uint64_t size;
    if (fstat(f->fd, &st) < 0)
        return -errno;
    if (S_ISBLK(st.st_mode))
        return ioctl(f->fd, BLKGETSIZE64, &size) < 0 ? -errno : (int64_t)size;
    return S_ISREG(st.st_mode) ? (int64_t)st.st_size : 0;
}

/* A transfer on a synchronous handle: the pointer is read, used when no
 * offset was given, and left past the bytes moved, all under pos_lock. */
static ssize_t transfer_sync(const struct xfer *x)
{
    struct file *fo = FILE_OF(x->f);
    ssize_t r;

    pthread_mutex_lock(&fo->pos_lock);
    int64_t pos = x->off;
    if (pos == AT_POINTER)
        pos = file_pointer(x->f->fd);
    else if (pos == AT_END)
        pos = end_of_file(x->f);
    r = pos < 0 ? (ssize_t)pos : checked_transfer_at(x, pos);
    if (r > 0 && lseek(x->f->fd, (off_t)(pos + r), SEEK_SET) < 0)
        r = -errno;
    pthread_mutex_unlock(&fo->pos_lock);
    return r;
}

/* Waits until fd is ready for events (a descriptor in non-blocking mode). */
static int wait_ready(int fd, short events)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    while (poll(&pfd, 1, -1) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

/* write(2) with SIGPIPE held off: blocked for the call, and a SIGPIPE this
 * write raised is taken back unless one was already pending before it. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
    static const struct timespec no_wait;
    sigset_t pipe_set, old, pending;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t r = write(fd, buf, len);
    int err = errno;
    if (r < 0 && err == EPIPE && !was_pending)
        while (sigtimedwait(&pipe_set, NULL, &no_wait) < 0 && errno == EINTR)
            ;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return r;
}

static ssize_t stream_write(const struct xfer *x)
{
    size_t done = 0;
    while (done < x->len) {
        const char *p = x->buf + done;
        ssize_t r = x->f->kind == IORE_FD_SOCK ? send(x->f->fd, p, x->len - done, MSG_NOSIGNAL)
                                                : write_nosigpipe(x->f->fd, p, x->len - done);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_ready(x->f->fd, POLLOUT) == 0)
            continue;
        if (r == 0)
            break;
        return done ? (ssize_t)done : -errno;
    }
    return (ssize_t)done;
}

static ssize_t stream_read(const struct xfer *x)
{
    if (!x->len)
        return 0; /* a 0-byte read(2) would look like a closed pipe */
    for (;;) {
        ssize_t r = read(x->f->fd, x->buf, x->len);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int err = wait_ready(x->f->fd, POLLIN);
        if (err)
            return err;
    }
}

static ssize_t transfer(const struct xfer *x)
{
    if (!x->f->seekable)
        return x->write ? stream_write(x) : stream_read(x);
    if (!(x->f->flags & FILE_FLAG_OVERLAPPED))
        return transfer_sync(x);
    int64_t off = x->off == AT_END ? end_of_file(x->f) : x->off;
    return off < 0 ? (ssize_t)off : checked_transfer_at(x, off);
}

/* ------------------------------------------------------------------ ReadFile/WriteFile */

/* The transfer position an OVERLAPPED names (Windows' special values
 * included), or 0 with *bad set. */
static int64_t overlapped_offset(const OVERLAPPED *ov, int write, DWORD *bad)
{
    uint64_t off = ((uint64_t)ov->OffsetHigh << 32) | ov->Offset;
    if (off == UINT64_MAX && write)
        return AT_END;                /* FILE_WRITE_TO_END_OF_FILE */
    if (off == UINT64_MAX - 1)
        return AT_POINTER;            /* FILE_USE_FILE_POINTER_POSITION */
    if (off > (uint64_t)INT64_MAX)
        *bad = ERROR_INVALID_PARAMETER;
    return (int64_t)(off & (uint64_t)INT64_MAX);
}

/* Everything Windows rejects before the transfer starts; 0 if none. */
static DWORD check_io(struct xfer *x, const OVERLAPPED *ov)
{
    const struct iore__file *f = x->f;
    DWORD bad = 0;

    if (!(f->access & (x->write ? GENERIC_WRITE : GENERIC_READ)))
        return ERROR_ACCESS_DENIED;
    if (f->kind == IORE_FD_DIR)
        return ERROR_INVALID_FUNCTION;
    if (!x->buf && x->len)
        return ERROR_NOACCESS;
    /* Offsets mean nothing to pipes, sockets and devices. */
    x->off = ov && f->seekable ? overlapped_offset(ov, x->write, &bad) : AT_POINTER;
    if (bad)
        return bad;
    if (f->seekable && (f->flags & FILE_FLAG_OVERLAPPED) && x->off == AT_POINTER)
        return ERROR_INVALID_PARAMETER; /* no pointer: an offset is required */
    if (f->sector && ((uintptr_t)x->buf % f->sector || x->len % f->sector))
        return ERROR_INVALID_PARAMETER;
    return 0;
}

/* A read that moved nothing although asked for something: the Win32 error
 * it means, or 0 when it is a successful empty read. */
static DWORD empty_read_error(const struct iore__file *f, const OVERLAPPED *ov)
{
    if (f->kind == IORE_FD_PIPE)
        return ERROR_BROKEN_PIPE;
    if (f->kind == IORE_FD_SOCK)
        return 0;
    /* End of file: synchronous reads succeed with 0 bytes, reads at an
     * OVERLAPPED offset fail (STATUS_END_OF_FILE). */
    return ov ? ERROR_HANDLE_EOF : 0;
}

/* Windows' rule: an event handle with its low bit set still names the
 * event (the bit only suppresses completion-port notification). */
static HANDLE event_of(const OVERLAPPED *ov)
{
    return (HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1);
}

static BOOL file_io(HANDLE h, struct xfer *x, LPDWORD count, LPOVERLAPPED ov, const char *op)
{
    struct iore__event *ev = NULL;
    DWORD why = 0;
    BOOL ok = FALSE;

    if (!count && !ov)
        return iore__fail(ERROR_INVALID_PARAMETER);
    x->f = iore__file_get(h, &why);
    if (!x->f)
        return iore__fail(why);
    if ((why = check_io(x, ov)))
        goto fail;
    if (ov && ov->hEvent && !(ev = iore__event_get(event_of(ov), &why)))
        goto fail;
    ssize_t r = transfer(x);
    if (r < 0) {
        iore__fail_errno((int)-r, op);
        goto out;
    }
    if (!x->write && r == 0 && x->len && (why = empty_read_error(x->f, ov)))
        goto fail;
    if (ov) {
        ov->Internal = 0; /* STATUS_SUCCESS */
        ov->InternalHigh = (ULONG_PTR)r;
    }
    if (count)
        *count = (DWORD)r;
    if (ev)
        iore__event_set(ev); /* after the OVERLAPPED writes: a waiter sees them */
    ok = TRUE;
    goto out;
fail:
    iore__fail(why);
out:
    if (ev)
        iore__event_put(ev);
    iore__file_put(x->f);
    return ok;
}

IORE_API BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                              LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped)
{
    struct xfer x = { .buf = lpBuffer, .len = nNumberOfBytesToRead, .write = 0 };
    return file_io(hFile, &x, lpNumberOfBytesRead, lpOverlapped, "ReadFile");
}

IORE_API BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                               LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)
{
    struct xfer x = { .buf = (char *)(uintptr_t)lpBuffer, .len = nNumberOfBytesToWrite, .write = 1 };
    return file_io(hFile, &x, lpNumberOfBytesWritten, lpOverlapped, "WriteFile");
}

/* ------------------------------------------------------------------ size, pointer, end, flush */

IORE_API BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize)
{
    DWORD why = 0;
    struct iore__file *f = iore__file_get(hFile, &why);
    if (!f)
        return iore__fail(why);
    BOOL ok = FALSE;
    int64_t size = end_of_file(f);
    if (!lpFileSize)
        iore__fail(ERROR_INVALID_PARAMETER);
    else if (size < 0)
        iore__fail_errno((int)-size, "GetFileSizeEx");
    else {
        lpFileSize->QuadPart = size;
        ok = TRUE;
    }
    iore__file_put(f);
    return ok;
}

IORE_API DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh)
{
    LARGE_INTEGER size;
    if (!GetFileSizeEx(hFile, &size))
        return INVALID_FILE_SIZE;
    if (lpFileSizeHigh)
        *lpFileSizeHigh = (DWORD)((uint64_t)size.QuadPart >> 32);
    /* A low part of 0xFFFFFFFF is also the failure value: Windows clears the
     * last error so that callers can tell. */
    if ((DWORD)size.QuadPart == INVALID_FILE_SIZE)
        SetLastError(NO_ERROR);
    return (DWORD)size.QuadPart;
}

/* The new pointer for a move, or -errno; ERANGE stands for a negative result. */
static int64_t seek_target(const struct iore__file *f, int64_t dist, DWORD method)
{
    int64_t base = 0, pos;
    if (method == FILE_CURRENT)
        base = file_pointer(f->fd);
    else if (method == FILE_END)
        base = end_of_file(f);
    if (base < 0)
        return base;
    if (__builtin_add_overflow(base, dist, &pos))
        return -EINVAL;
    return pos < 0 ? -ERANGE : pos;
}

IORE_API BOOL WINAPI SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove,
                                      PLARGE_INTEGER lpNewFilePointer, DWORD dwMoveMethod)
{
    DWORD why = 0;
    struct iore__file *f = iore__file_get(hFile, &why);
    if (!f)
        return iore__fail(why);
    if (dwMoveMethod > FILE_END) {
        iore__file_put(f);
        return iore__fail(ERROR_INVALID_PARAMETER);
    }
    struct file *fo = FILE_OF(f);
    pthread_mutex_lock(&fo->pos_lock);
    int64_t pos = seek_target(f, liDistanceToMove.QuadPart, dwMoveMethod);
    if (pos >= 0 && lseek(f->fd, (off_t)pos, SEEK_SET) < 0)
        pos = -errno;
    pthread_mutex_unlock(&fo->pos_lock);
    iore__file_put(f);
    if (pos == -ERANGE)
        return iore__fail(ERROR_NEGATIVE_SEEK);
    if (pos < 0)
        return iore__fail_errno((int)-pos, "SetFilePointerEx");
    if (lpNewFilePointer)
        lpNewFilePointer->QuadPart = pos;
    return TRUE;
}

IORE_API BOOL WINAPI SetEndOfFile(HANDLE hFile)
{
    DWORD why = 0;
    struct iore__file *f = iore__file_get(hFile, &why);
    if (!f)
        return iore__fail(why);
    int err = 0;
    if (!(f->access & GENERIC_WRITE))
        why = ERROR_ACCESS_DENIED;
    else if (f->kind == IORE_FD_DIR)
        why = ERROR_INVALID_PARAMETER;
    else {
        struct file *fo = FILE_OF(f);
        pthread_mutex_lock(&fo->pos_lock);
        off_t pos = lseek(f->fd, 0, SEEK_CUR);
        if (pos < 0 || ftruncate(f->fd, pos) < 0)
            err = errno;
        pthread_mutex_unlock(&fo->pos_lock);
    }
    iore__file_put(f);
    if (why)
        return iore__fail(why);
    return err ? iore__fail_errno(err, "SetEndOfFile") : TRUE;
}

IORE_API BOOL WINAPI FlushFileBuffers(HANDLE hFile)
{
    DWORD why = 0;
    struct iore__file *f = iore__file_get(hFile, &why);
    if (!f)
        return iore__fail(why);
    int err = 0;
    if (!(f->access & GENERIC_WRITE))
        why = ERROR_ACCESS_DENIED;
    else if (f->seekable || f->kind == IORE_FD_DIR)
        err = iore__sys_fsync(f->fd) < 0 ? errno : 0;
    /* Pipes, sockets and devices: nothing is buffered on our side. */
    iore__file_put(f);
    if (why)
        return iore__fail(why);
    return err ? iore__fail_errno(err, "FlushFileBuffers") : TRUE;
}

/* ------------------------------------------------------------------ names */

static DWORD attributes_of(const struct stat *st)
{
    if (S_ISDIR(st->st_mode))
        return FILE_ATTRIBUTE_DIRECTORY;
    DWORD attr = FILE_ATTRIBUTE_ARCHIVE;
    if (!(st->st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)))
        attr |= FILE_ATTRIBUTE_READONLY;
    return attr;
}

static BOOL delete_file(const char *path, const char *op)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return fail_path(errno, path, op);
    /* Windows refuses to delete directories and read-only files. */
    if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && (attributes_of(&st) & FILE_ATTRIBUTE_READONLY)))
        return iore__fail(ERROR_ACCESS_DENIED);
    if (unlink(path) < 0)
        return fail_path(errno, path, op);
    return TRUE;
}

IORE_API BOOL WINAPI DeleteFileA(LPCSTR lpFileName)
{
    char *path = host_path_a(lpFileName, "DeleteFileA");
    if (!path)
        return FALSE;
    BOOL ok = delete_file(path, "DeleteFileA");
    free(path);
    return ok;
}

IORE_API BOOL WINAPI DeleteFileW(LPCWSTR lpFileName)
{
    char *path = host_path_w(lpFileName, "DeleteFileW");
    if (!path)
        return FALSE;
    BOOL ok = delete_file(path, "DeleteFileW");
    free(path);
    return ok;
}

static DWORD file_attributes(char *path, const char *op)
{
    if (!path)
        return INVALID_FILE_ATTRIBUTES;
    struct stat st;
    DWORD attr = INVALID_FILE_ATTRIBUTES;
    if (stat(path, &st) < 0)
        fail_path(errno, path, op);
    else
        attr = attributes_of(&st);
    free(path);
    return attr;
}

IORE_API DWORD WINAPI GetFileAttributesA(LPCSTR lpFileName)
{
    return file_attributes(host_path_a(lpFileName, "GetFileAttributesA"), "GetFileAttributesA");
}

IORE_API DWORD WINAPI GetFileAttributesW(LPCWSTR lpFileName)
{
    return file_attributes(host_path_w(lpFileName, "GetFileAttributesW"), "GetFileAttributesW");
}

/* ------------------------------------------------------------------ FindFirstFile */

struct find {
    struct iore__obj obj;
    pthread_mutex_t lock; /* protects dir; a leaf */
    DIR *dir;
    char *pattern;        /* the name part of the search, UTF-8 */
};

/* One directory entry that matched, as FindFirstFile/FindNextFile need it.
 * A UTF-8 name of n bytes never needs more than n WCHAR units. */
struct found {
    char name[NAME_MAX + 1];
    WCHAR wname[NAME_MAX + 1]; /* filled for the W calls only */
    struct stat st;
};

static void find_destroy(struct iore__obj *obj)
{
    struct find *fs = (struct find *)(void *)obj;
    closedir(fs->dir);
    pthread_mutex_destroy(&fs->lock);
    free(fs->pattern);
    free(fs);
}

/* Fills out from the entry called name in fs's directory. 0, or -errno when
 * it vanished since readdir or (wide) has no WCHAR spelling. */
static int found_fill(struct find *fs, const char *name, struct found *out, int wide)
{
    int dfd = dirfd(fs->dir);
    if (fstatat(dfd, name, &out->st, 0) < 0 &&
        fstatat(dfd, name, &out->st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (wide) {
        WCHAR *w = iore__w_from_utf8(name); /* NULL: not UTF-8 (or no memory) */
        if (!w)
            return -errno;
        size_t i = 0;
        for (; w[i]; i++)
            out->wname[i] = w[i];
        out->wname[i] = 0;
        free(w);
    }
    strcpy(out->name, name); /* fits: d_name holds at most NAME_MAX bytes */
    return 0;
}

/* The next entry of the search that matches and can be reported. 0, or
 * -ENOENT at the end. */
static int find_next(struct find *fs, struct found *out, int wide)
{
    int err = -ENOENT;
    pthread_mutex_lock(&fs->lock);
    for (struct dirent *de; (de = readdir(fs->dir));) {
        if (iore__path_match(fs->pattern, de->d_name) && found_fill(fs, de->d_name, out, wide) == 0) {
            err = 0;
            break;
        }
    }
    pthread_mutex_unlock(&fs->lock);
    return err;
}

static FILETIME filetime_of(struct timespec ts)
{
    /* 100 ns intervals since 1601-01-01; earlier host times clamp to 0. */
    const int64_t epoch_1601 = 11644473600LL;
    int64_t ticks = ts.tv_sec < -epoch_1601 ? 0
                  : (ts.tv_sec + epoch_1601) * 10000000LL + ts.tv_nsec / 100;
    FILETIME ft = { .dwLowDateTime = (DWORD)ticks, .dwHighDateTime = (DWORD)((uint64_t)ticks >> 32) };
    return ft;
}

/* The fields WIN32_FIND_DATAA and WIN32_FIND_DATAW share, filled once. */
struct find_fields {
    DWORD attributes;
    FILETIME created, accessed, written;
    DWORD size_high, size_low;
};

static struct find_fields fields_of(const struct stat *st)
{
    uint64_t size = S_ISDIR(st->st_mode) ? 0 : (uint64_t)st->st_size;
    struct find_fields ff = {
        .attributes = attributes_of(st),
        .created = filetime_of(st->st_ctim),
        .accessed = filetime_of(st->st_atim),
        .written = filetime_of(st->st_mtim),
        .size_high = (DWORD)(size >> 32),
        .size_low = (DWORD)size,
    };
    return ff;
}

static void fill_a(WIN32_FIND_DATAA *d, const struct found *fd)
{
    struct find_fields ff = fields_of(&fd->st);
    memset(d, 0, sizeof *d);
    d->dwFileAttributes = ff.attributes;
    d->ftCreationTime = ff.created;
    d->ftLastAccessTime = ff.accessed;
    d->ftLastWriteTime = ff.written;
    d->nFileSizeHigh = ff.size_high;
    d->nFileSizeLow = ff.size_low;
    strcpy(d->cFileName, fd->name);
}

static void fill_w(WIN32_FIND_DATAW *d, const struct found *fd)
{
    struct find_fields ff = fields_of(&fd->st);
    memset(d, 0, sizeof *d);
    d->dwFileAttributes = ff.attributes;
    d->ftCreationTime = ff.created;
    d->ftLastAccessTime = ff.accessed;
    d->ftLastWriteTime = ff.written;
    d->nFileSizeHigh = ff.size_high;
    d->nFileSizeLow = ff.size_low;
    memcpy(d->cFileName, fd->wname, sizeof fd->wname);
}

/* Splits host at its last '/' into a directory and the name pattern, and
 * opens the search. Returns 0 or a Win32 error. */
static DWORD find_open(char *host, struct find **out)
{
    char *slash = strrchr(host, '/');
    const char *dir = slash ? (slash == host ? "/" : host) : ".";
    const char *pattern = slash ? slash + 1 : host;
    if (!*pattern)
        return ERROR_FILE_NOT_FOUND;

    struct find *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->pattern = strdup(pattern))) {
        free(fs);
        return iore__win32_from_errno(ENOMEM, "FindFirstFile");
    }
    if (slash)
        *slash = '\0';
    if (!(fs->dir = opendir(dir))) {
        DWORD err = errno == ENOENT ? ERROR_PATH_NOT_FOUND : iore__win32_from_errno(errno, "FindFirstFile");
        free(fs->pattern);
        free(fs);
        return err;
    }
    iore__obj_init(&fs->obj, IORE_KIND_FIND, find_destroy);
    pthread_mutex_init(&fs->lock, NULL);
    *out = fs;
    return 0;
}

/* Opens the search for name, reads its first match into first and returns
 * the unpublished search, or NULL with the last error set. */
static struct find *find_first(char *host, struct found *first, int wide)
{
    struct find *fs = NULL;
    if (!host)
        return NULL;
    DWORD err = find_open(host, &fs);
    free(host);
    if (err) {
        iore__fail(err);
        return NULL;
    }
    if (find_next(fs, first, wide) < 0) {
        iore__obj_unref(&fs->obj);
        iore__fail(ERROR_FILE_NOT_FOUND);
        return NULL;
    }
    return fs;
}

static HANDLE find_publish(struct find *fs)
{
    HANDLE h = iore__handle_new(&fs->obj);
    if (!h) {
        iore__obj_unref(&fs->obj);
        iore__fail_errno(ENOMEM, "FindFirstFile");
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

/* FindFirstFileA/W after the name: only the conversions differ. */
static HANDLE find_first_named(const void *name, void *data, int wide)
{
    struct found first;
    if (!data) {
        iore__fail(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    char *host = wide ? host_path_w(name, "FindFirstFileW") : host_path_a(name, "FindFirstFileA");
    struct find *fs = find_first(host, &first, wide);
    if (!fs)
        return INVALID_HANDLE_VALUE;
    HANDLE h = find_publish(fs);
    if (h != INVALID_HANDLE_VALUE) {
        if (wide)
            fill_w(data, &first);
        else
            fill_a(data, &first);
    }
    return h;
}

IORE_API HANDLE WINAPI FindFirstFileA(LPCSTR lpFileName, LPWIN32_FIND_DATAA lpFindFileData)
{
    return find_first_named(lpFileName, lpFindFileData, 0);
}

IORE_API HANDLE WINAPI FindFirstFileW(LPCWSTR lpFileName, LPWIN32_FIND_DATAW lpFindFileData)
{
    return find_first_named(lpFileName, lpFindFileData, 1);
}

/* The next match of search h into *next. TRUE, or FALSE with the last error. */
static BOOL find_step(HANDLE h, struct found *next, int wide)
{
    DWORD why = 0;
    struct iore__obj *obj = iore__handle_get(h, IORE_KIND_FIND, &why);
    if (!obj)
        return iore__fail(why);
    int err = find_next((struct find *)(void *)obj, next, wide);
    iore__obj_unref(obj);
    return err < 0 ? iore__fail(ERROR_NO_MORE_FILES) : TRUE;
}

IORE_API BOOL WINAPI FindNextFileA(HANDLE hFindFile, LPWIN32_FIND_DATAA lpFindFileData)
{
    struct found next;
    if (!lpFindFileData)
        return iore__fail(ERROR_INVALID_PARAMETER);
    if (!find_step(hFindFile, &next, 0))
        return FALSE;
    fill_a(lpFindFileData, &next);
    return TRUE;
}

IORE_API BOOL WINAPI FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData)
{
    struct found next;
    if (!lpFindFileData)
        return iore__fail(ERROR_INVALID_PARAMETER);
    if (!find_step(hFindFile, &next, 1))
        return FALSE;
    fill_w(lpFindFileData, &next);
    return TRUE;
}

IORE_API BOOL WINAPI FindClose(HANDLE hFindFile)
{
    return iore__handle_close(hFindFile, IORE_KIND_FIND) < 0 ? iore__fail(ERROR_INVALID_HANDLE) : TRUE;
}

/* ------------------------------------------------------------------ temp path, strings */

/* $TMPDIR (or /tmp) with a trailing '/', malloc'd; NULL when out of memory. */
static char *temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t n = strlen(dir);
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    memcpy(out, dir, n);
    if (out[n - 1] != '/')
        out[n++] = '/';
    out[n] = '\0';
    return out;
}

IORE_API DWORD WINAPI GetTempPathA(DWORD nBufferLength, LPSTR lpBuffer)
{
    char *dir = temp_dir();
    if (!dir) {
        iore__fail_errno(ENOMEM, "GetTempPathA");
        return 0;
    }
    DWORD len = (DWORD)strlen(dir), ret = len + 1; /* too small: the size needed */
    if (nBufferLength > len && !lpBuffer) {
        iore__fail(ERROR_INVALID_PARAMETER);
        ret = 0;
    } else if (nBufferLength > len) {
        memcpy(lpBuffer, dir, len + 1);
        ret = len;
    }
    free(dir);
    return ret;
}

IORE_API DWORD WINAPI GetTempPathW(DWORD nBufferLength, LPWSTR lpBuffer)
{
    char *dir = temp_dir();
    WCHAR *w = dir ? iore__w_from_utf8(dir) : NULL;
    int err = errno;
    free(dir);
    if (!w) {
        fail_path(err, NULL, "GetTempPathW");
        return 0;
    }
    DWORD len = 0, ret;
    while (w[len])
        len++;
    ret = len + 1;
    if (nBufferLength > len && !lpBuffer) {
        iore__fail(ERROR_INVALID_PARAMETER);
        ret = 0;
    } else if (nBufferLength > len) {
        memcpy(lpBuffer, w, (len + 1) * sizeof(WCHAR));
        ret = len;
    }
    free(w);
    return ret;
}

IORE_API int WINAPI lstrlenA(LPCSTR lpString)
{
    if (!lpString)
        return 0;
    size_t n = strlen(lpString);
    return n > INT_MAX ? INT_MAX : (int)n;
}

IORE_API int WINAPI lstrlenW(LPCWSTR lpString)
{
    if (!lpString)
        return 0;
    size_t n = 0;
    while (lpString[n] && n < INT_MAX)
        n++;
    return (int)n;
}

/* ------------------------------------------------------------------ POSIX interop */

IORE_API HANDLE iore_handle_from_fd(int fd)
{
    struct stat st;
    int fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
    if (fl < 0 || fstat(fd, &st) < 0) {
        iore__fail(ERROR_INVALID_HANDLE);
        return INVALID_HANDLE_VALUE;
    }
    DWORD access = 0, flags = 0;
    if ((fl & O_PATH) != O_PATH) {
        int acc = fl & O_ACCMODE;
        access = acc == O_RDONLY ? GENERIC_READ : acc == O_WRONLY ? GENERIC_WRITE
                                               : GENERIC_READ | GENERIC_WRITE;
    }
    if (fl & O_DIRECT)
        flags |= FILE_FLAG_NO_BUFFERING;
    if (fl & O_DSYNC)
        flags |= FILE_FLAG_WRITE_THROUGH;
    /* Borrowed: CloseHandle forgets fd, the caller still owns it. */
    struct file *fo = file_new(fd, &st, access, flags, 0, (fl & O_DIRECT) != 0);
    if (!fo) {
        iore__fail_errno(ENOMEM, "iore_handle_from_fd");
        return INVALID_HANDLE_VALUE;
    }
    HANDLE h = iore__handle_new(&fo->f.obj);
    if (!h) {
        iore__obj_unref(&fo->f.obj);
        iore__fail_errno(ENOMEM, "iore_handle_from_fd");
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

IORE_API int iore_fd_from_handle(HANDLE h)
{
    DWORD why = 0;
    struct iore__file *f = iore__file_get(h, &why);
    if (!f) {
        iore__fail(why);
        return -1;
    }
    int fd = f->fd;
    iore__file_put(f);
    return fd;
}
