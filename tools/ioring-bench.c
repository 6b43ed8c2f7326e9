/*
 * ioring-bench - ioringemu against the native alternatives, in one run.
 *
 * Every workload runs on every engine that can express it, in interleaved
 * rounds (round r runs each (workload, engine) pair once before round r+1
 * starts), and the table reports medians over the rounds: operations per
 * second, p50/p99 latency, CPU time per operation (user + system, all
 * threads), heap allocations per operation, and the ratio ioringemu/engine.
 *
 * Engines: ioringemu (the IoRing API), pread on 1 and N threads, libuv's
 * uv_fs_read with the same queue depth, and liburing when built with it.
 * The file is page-cached (read once before measuring) unless the workload
 * is O_DIRECT.
 */
#define _GNU_SOURCE
#include "config.h"

#include <windows.h>
#include <ioringapi.h>
#include <ioringemu.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/* ------------------------------------------------------------ allocations
 * Counting heap allocations per operation: the executable's malloc family
 * preempts libc's for the whole process (the library included) and forwards
 * to glibc's internal entry points. Not under sanitizers, which own malloc. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__GLIBC__)
#define COUNT_ALLOCS 0
static uint64_t alloc_count(void) { return 0; }
#else
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static atomic_uint_fast64_t allocs;
void *malloc(size_t n) { atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed); return __libc_realloc(p, n); }
int posix_memalign(void **out, size_t align, size_t n)
{
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
static uint64_t alloc_count(void) { return atomic_load_explicit(&allocs, memory_order_relaxed); }
#endif

#include "bench.h"

/* ------------------------------------------------------------ workloads */
static const struct workload workloads[] = {
    { "randread-4k-qd1", RANDREAD, 4096, 1, false, false },
    { "randread-4k-qd8", RANDREAD, 4096, 8, false, false },
    { "randread-4k-qd32", RANDREAD, 4096, 32, false, false },
    { "randread-4k-qd128", RANDREAD, 4096, 128, false, false },
    { "randread-4k-qd32-registered", RANDREAD, 4096, 32, true, false },
    { "seqread-128k-qd4", SEQREAD, 128 * 1024, 4, false, false },
    { "randwrite-4k-qd8-flush32", RANDWRITE, 4096, 8, false, false },
    { "nop-batch32", NOP, 0, 32, false, false },
    { "randread-4k-qd32-direct", RANDREAD, 4096, 32, false, true },
};
enum { NWORKLOADS = sizeof workloads / sizeof workloads[0] };

/* ------------------------------------------------------------ engine: ioringemu */
static int iore_build(struct ctx *c, HIORING ring, int i, uint64_t *t0, uint64_t *nwrites)
{
    const struct workload *w = c->w;
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(c->h);
    IORING_BUFFER_REF raw = IoRingBufferRefFromPointer(slot_buf(c, i));
    IORING_BUFFER_REF reg = IoRingBufferRefFromIndexAndOffset((UINT32)i, 0);
    t0[i] = now_ns();
    if (w->kind == NOP)
        return FAILED(iore_build_nop(ring, (UINT_PTR)i, IOSQE_FLAGS_NONE));
    if (w->kind == RANDWRITE) {
        if (++*nwrites % 32 == 0 &&
            FAILED(BuildIoRingFlushFile(ring, f, FILE_FLUSH_DEFAULT, MAX_DEPTH, IOSQE_FLAGS_NONE)))
            return 1;
        return FAILED(BuildIoRingWriteFile(ring, f, raw, w->bs, next_offset(c), FILE_WRITE_FLAGS_NONE,
                                           (UINT_PTR)i, IOSQE_FLAGS_NONE));
    }
    return FAILED(BuildIoRingReadFile(ring, f, w->registered ? reg : raw, w->bs, next_offset(c),
                                      (UINT_PTR)i, IOSQE_FLAGS_NONE));
}

static int iore_setup(struct ctx *c, HIORING *ring)
{
    const struct workload *w = c->w;
    IORING_CREATE_FLAGS flags = { IORING_CREATE_REQUIRED_FLAGS_NONE,
                                  IORING_CREATE_ADVISORY_FLAGS_NONE };
    /* One spare SQ/CQ slot per depth for the periodic flush. */
    if (FAILED(CreateIoRing(IORING_VERSION_4, flags, (UINT32)w->depth + 1, 0, ring)))
        return 1;
    if (!w->registered)
        return 0;
    IORING_BUFFER_INFO info[MAX_DEPTH];
    for (int i = 0; i < w->depth; i++)
        info[i] = (IORING_BUFFER_INFO){ slot_buf(c, i), w->bs };
    IORING_CQE cqe;
    if (FAILED(BuildIoRingRegisterBuffers(*ring, (UINT32)w->depth, info, 0)) ||
        FAILED(SubmitIoRing(*ring, 1, INFINITE, NULL)) ||
        PopIoRingCompletion(*ring, &cqe) != S_OK || FAILED(cqe.ResultCode))
        return 1;
    return 0;
}

static int run_ioringemu(struct ctx *c)
{
    const struct workload *w = c->w;
    HIORING ring;
    uint64_t t0[MAX_DEPTH + 1], nwrites = 0;
    if (iore_setup(c, &ring))
        return 1;
    int batch = w->kind == NOP ? w->depth : 1;
    for (int i = 0; i < w->depth; i++)
        if (iore_build(c, ring, i, t0, &nwrites))
            return 1;
    while (!expired(c)) {
        if (FAILED(SubmitIoRing(ring, (UINT32)batch, INFINITE, NULL)))
            return 1;
        IORING_CQE cqe;
        while (PopIoRingCompletion(ring, &cqe) == S_OK) {
            if (FAILED(cqe.ResultCode))
                return 1;
            if (cqe.UserData == MAX_DEPTH)
                continue;   /* the periodic flush */
            int i = (int)cqe.UserData;
            sample(c->r, now_ns() - t0[i]);
            c->r->ops++;
            if (iore_build(c, ring, i, t0, &nwrites))
                return 1;
        }
    }
    /* Collect what is still in flight so the ring closes idle. */
    SubmitIoRing(ring, IORING_SUBMIT_WAIT_ALL, INFINITE, NULL);
    CloseIoRing(ring);
    return 0;
}

/* ------------------------------------------------------------ engine: pread threads */
struct pthread_arg {
    struct ctx c;
    struct run r;
    int id;
};

static void *pread_loop(void *p)
{
    struct pthread_arg *a = p;
    struct ctx *c = &a->c;
    uint32_t bs = c->w->bs;
    BYTE *buf = slot_buf(c, a->id);
    uint64_t n = 0;
    while (!expired(c)) {
        uint64_t t = now_ns();
        uint64_t off = next_offset(c);
        ssize_t got = c->w->kind == RANDWRITE ? pwrite(c->fd, buf, bs, (off_t)off)
                                              : pread(c->fd, buf, bs, (off_t)off);
        if (got < 0)
            return (void *)1;
        if (c->w->kind == RANDWRITE && ++n % 32 == 0 && fsync(c->fd) < 0)
            return (void *)1;
        sample(&a->r, now_ns() - t);
        a->r.ops++;
    }
    return NULL;
}

static int run_pread(struct ctx *c, int nthreads)
{
    struct pthread_arg args[8];
    pthread_t tids[8];
    for (int i = 0; i < nthreads; i++) {
        args[i] = (struct pthread_arg){ .c = *c, .id = i };
        args[i].c.rng = c->rng + (uint64_t)i * 0x9E3779B97F4A7C15ull;
        args[i].c.seq = (uint64_t)i * (c->file_size / (unsigned)nthreads / c->w->bs) * c->w->bs;
        /* Thread 0's latencies stand for all threads'. */
        args[i].r.lat = i == 0 ? c->r->lat : NULL;
    }
    for (int i = 0; i < nthreads; i++)
        pthread_create(&tids[i], NULL, pread_loop, &args[i]);
    int rc = 0;
    for (int i = 0; i < nthreads; i++) {
        void *ret;
        pthread_join(tids[i], &ret);
        rc |= ret != NULL;
        c->r->ops += args[i].r.ops;
    }
    c->r->nlat = args[0].r.nlat;
    return rc;
}
static int run_pread1(struct ctx *c) { return run_pread(c, 1); }
static int run_preadn(struct ctx *c)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return run_pread(c, n < 2 ? 2 : n > 8 ? 8 : (int)n);
}

/* ------------------------------------------------------------ engine: libuv */
struct uvreq {
    uv_fs_t fs;
    struct ctx *c;
    uint64_t t0;
    int i;
};
static struct uvreq uvreqs[MAX_DEPTH];
static uint64_t uv_writes;
static bool uv_failed;

static void uv_issue(uv_loop_t *loop, struct uvreq *q);

static void uv_done(uv_fs_t *fs)
{
    struct uvreq *q = (struct uvreq *)fs;
    if (fs->fs_type != UV_FS_FSYNC) {
        if (fs->result < 0)
            uv_failed = true;
        sample(q->c->r, now_ns() - q->t0);
        q->c->r->ops++;
    }
    uv_loop_t *loop = fs->loop;
    uv_fs_req_cleanup(fs);
    if (!expired(q->c) && !uv_failed)
        uv_issue(loop, q);
}

static void uv_issue(uv_loop_t *loop, struct uvreq *q)
{
    struct ctx *c = q->c;
    uv_buf_t b = uv_buf_init((char *)slot_buf(c, q->i), c->w->bs);
    q->t0 = now_ns();
    int rc;
    if (c->w->kind == RANDWRITE && ++uv_writes % 32 == 0)
        rc = uv_fs_fsync(loop, &q->fs, c->fd, uv_done);
    else if (c->w->kind == RANDWRITE)
        rc = uv_fs_write(loop, &q->fs, c->fd, &b, 1, (int64_t)next_offset(c), uv_done);
    else
        rc = uv_fs_read(loop, &q->fs, c->fd, &b, 1, (int64_t)next_offset(c), uv_done);
    if (rc < 0)
        uv_failed = true;
}

static int run_libuv(struct ctx *c)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_failed = false;
    for (int i = 0; i < c->w->depth; i++) {
        uvreqs[i] = (struct uvreq){ .c = c, .i = i };
        uv_issue(&loop, &uvreqs[i]);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return uv_failed;
}

#ifdef HAVE_LIBURING
int run_liburing(struct ctx *c);   /* tools/bench-uring.c */
#endif

/* ------------------------------------------------------------ engines table */
struct engine {
    const char *name;
    int (*run)(struct ctx *c);
};

static const struct engine engines[] = {
    { "ioringemu", run_ioringemu },
    { "pread-1t", run_pread1 },
    { "pread-Nt", run_preadn },
    { "libuv", run_libuv },
#ifdef HAVE_LIBURING
    { "liburing", run_liburing },
#endif
};
enum { NENGINES = sizeof engines / sizeof engines[0] };

static bool applies(const struct engine *e, const struct workload *w)
{
    if (w->kind == NOP)
        return e->run == run_ioringemu
#ifdef HAVE_LIBURING
               || e->run == run_liburing
#endif
            ;
    if (w->registered)
        return e->run == run_ioringemu
#ifdef HAVE_LIBURING
               || e->run == run_liburing
#endif
            ;
    return true;
}

/* ------------------------------------------------------------ results */
struct cell {
    double ops_s[MAX_ROUNDS], cpu_ns[MAX_ROUNDS], allocs[MAX_ROUNDS];
    double p50[MAX_ROUNDS], p99[MAX_ROUNDS];
    int n;
    bool failed, skipped;
};
static struct cell cells[NWORKLOADS][NENGINES];

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(const double *v, int n)
{
    double t[MAX_ROUNDS];
    memcpy(t, v, sizeof(double) * (size_t)n);
    qsort(t, (size_t)n, sizeof t[0], cmp_d);
    return n ? (n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2) : 0;
}

static void record(struct cell *cl, struct run *r)
{
    uint32_t n = r->nlat < MAX_SAMPLES ? r->nlat : MAX_SAMPLES;
    qsort(r->lat, n, sizeof r->lat[0], cmp_u64);
    int k = cl->n++;
    cl->ops_s[k] = r->wall_ns ? (double)r->ops * 1e9 / (double)r->wall_ns : 0;
    cl->cpu_ns[k] = r->ops ? (double)r->cpu_ns / (double)r->ops : 0;
    cl->allocs[k] = r->ops ? (double)r->allocs / (double)r->ops : 0;
    cl->p50[k] = n ? (double)r->lat[n / 2] : 0;
    cl->p99[k] = n ? (double)r->lat[(size_t)((double)n * 0.99)] : 0;
}

/* ------------------------------------------------------------ setup */
struct opts {
    int rounds;
    bool scaling;        /* also run the scaling series */
    uint64_t scale_ops;  /* operations per scaling point */
    int ms;
    uint64_t file_mb;
    const char *dir, *json, *svg;
    const char *only;    /* run only these workloads (comma-separated names) */
    const char *engine;  /* and, if set, only this engine besides ioringemu */
};

static int ioringemu_index(void) { return 0; }

static bool selected(const struct opts *o, int wi)
{
    if (!o->only)
        return true;
    size_t n = strlen(workloads[wi].name);
    for (const char *p = o->only; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, workloads[wi].name, n) && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static int make_file(const char *path, uint64_t size)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0)
        return -1;
    static BYTE chunk[1 << 20];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (BYTE)(i * 31 + 7);
    for (uint64_t done = 0; done < size; done += sizeof chunk)
        if (pwrite(fd, chunk, sizeof chunk, (off_t)done) != (ssize_t)sizeof chunk)
            return close(fd), -1;
    fsync(fd);
    /* Read it once so that buffered workloads measure the page cache. */
    for (uint64_t done = 0; done < size; done += sizeof chunk)
        if (pread(fd, chunk, sizeof chunk, (off_t)done) < 0)
            break;
    return fd;
}

static int one_run(const struct opts *o, const char *path, int fd, int wi, int ei, uint64_t *lat,
                   BYTE *bufs)
{
    const struct workload *w = &workloads[wi];
    const struct engine *e = &engines[ei];
    struct cell *cl = &cells[wi][ei];
    if (cl->failed || cl->skipped || !applies(e, w) || !selected(o, wi) ||
        (o->engine && ei != ioringemu_index() && strcmp(o->engine, e->name)))
        return 0;
    int dfd = fd;
    HANDLE h;
    if (w->direct) {
        dfd = open(path, O_RDWR | O_DIRECT);
        if (dfd < 0) {
            cl->skipped = true;
            return 0;
        }
        h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                        NULL, OPEN_EXISTING, FILE_FLAG_NO_BUFFERING, NULL);
    } else {
        h = iore_handle_from_fd(fd);
    }
    struct stat st;
    fstat(fd, &st);
    struct run r = { .lat = lat };
    struct ctx c = { .w = w, .fd = dfd, .h = h, .file_size = (uint64_t)st.st_size,
                     .rng = 0x2545F4914F6CDD1Dull ^ (uint64_t)(wi * 131 + ei), .bufs = bufs, .r = &r };
    uint64_t a0 = alloc_count(), c0 = cpu_ns(), t0 = now_ns();
    c.deadline = t0 + (uint64_t)o->ms * 1000000u;
    int rc = e->run(&c);
    r.wall_ns = now_ns() - t0;
    r.cpu_ns = cpu_ns() - c0;
    r.allocs = alloc_count() - a0;
    CloseHandle(h);
    if (w->direct)
        close(dfd);
    if (rc == ENGINE_UNSUPPORTED) {
        cl->skipped = true;
        fprintf(stderr, "ioring-bench: %s cannot run %s on this machine\n", e->name, w->name);
        return 0;
    }
    if (rc || r.ops == 0) {
        cl->failed = true;
        fprintf(stderr, "ioring-bench: %s on %s failed\n", e->name, w->name);
        return 0;
    }
    record(cl, &r);
    return 0;
}

/* ------------------------------------------------------------ scaling
 * How the per-operation cost grows: registered reads against tables of
 * 1..10 000 buffers, one thread spreading reads over 1..64 rings, and 1..N
 * threads each with its own ring. Each figure is the median over rounds of
 * (CPU ns per op, wall ns per op) for a fixed number of operations. */
enum scale_dim { BY_BUFFERS, BY_RINGS, BY_THREADS };
struct scale_timer { uint64_t cpu0, wall0, cpu, wall; };
static void timer_start(struct scale_timer *t) { t->cpu0 = cpu_ns(); t->wall0 = now_ns(); }
static void timer_stop(struct scale_timer *t)
{
    t->cpu = cpu_ns() - t->cpu0;
    t->wall = now_ns() - t->wall0;
}

struct scale_point {
    const char *what;
    enum scale_dim dim;
    int n;
    double cpu_ns[MAX_ROUNDS], wall_ns[MAX_ROUNDS];
};

/* Registered 4 KiB reads at depth 32, buffer index chosen at random among
 * nbuf registered buffers, until `ops` reads have completed. Entry i points
 * at page i % 32 of one 128 KiB region, so every table size touches the
 * same memory and only the table's size differs. */
static int scale_buffers(int fd, uint64_t file_size, int nbuf, uint64_t ops, struct scale_timer *tm)
{
    HIORING ring;
    IORING_CREATE_FLAGS flags = { 0, 0 };
    BYTE *region = VirtualAlloc(NULL, 32 * 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    IORING_BUFFER_INFO *info = calloc((size_t)nbuf, sizeof *info);
    HANDLE h = iore_handle_from_fd(fd);
    int rc = 1;
    if (!region || !info || FAILED(CreateIoRing(IORING_VERSION_4, flags, 32, 0, &ring)))
        return 1;
    for (int i = 0; i < nbuf; i++)
        info[i] = (IORING_BUFFER_INFO){ region + (size_t)(i % 32) * 4096, 4096 };
    IORING_CQE cqe;
    if (FAILED(BuildIoRingRegisterBuffers(ring, (UINT32)nbuf, info, 0)) ||
        FAILED(SubmitIoRing(ring, 1, INFINITE, NULL)) ||
        PopIoRingCompletion(ring, &cqe) != S_OK || FAILED(cqe.ResultCode))
        goto out;
    uint64_t rng = 0x9E3779B97F4A7C15ull, done = 0, issued = 0;
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    timer_start(tm);
    while (done < ops) {
        while (issued - done < 32 && issued < ops) {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            IORING_BUFFER_REF b = IoRingBufferRefFromIndexAndOffset((UINT32)(rng % (uint64_t)nbuf), 0);
            if (FAILED(BuildIoRingReadFile(ring, f, b, 4096, ((rng >> 20) % (file_size / 4096)) * 4096,
                                           0, IOSQE_FLAGS_NONE)))
                goto out;
            issued++;
        }
        if (FAILED(SubmitIoRing(ring, 1, INFINITE, NULL)))
            goto out;
        while (PopIoRingCompletion(ring, &cqe) == S_OK) {
            if (FAILED(cqe.ResultCode))
                goto out;
            done++;
        }
    }
    timer_stop(tm);
    rc = 0;
out:
    CloseIoRing(ring);
    CloseHandle(h);
    free(info);
    VirtualFree(region, 0, MEM_RELEASE);
    return rc;
}

/* One thread keeps 8 reads in flight on each of nrings rings. */
static int scale_rings(int fd, uint64_t file_size, int nrings, uint64_t ops, struct scale_timer *tm)
{
    HIORING rings[64];
    IORING_CREATE_FLAGS flags = { 0, 0 };
    static BYTE buf[4096] __attribute__((aligned(4096)));
    HANDLE h = iore_handle_from_fd(fd);
    IORING_HANDLE_REF f = IoRingHandleRefFromHandle(h);
    IORING_BUFFER_REF b = IoRingBufferRefFromPointer(buf);
    uint64_t rng = 0x2545F4914F6CDD1Dull, done = 0, issued = 0;
    int rc = 1, made = 0;
    for (; made < nrings; made++)
        if (FAILED(CreateIoRing(IORING_VERSION_4, flags, 8, 0, &rings[made])))
            goto out;
    timer_start(tm);
    for (;;) {
        for (int r = 0; r < nrings && issued < ops; r++)
            for (int k = 0; k < 8 && issued < ops; k++) {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                if (FAILED(BuildIoRingReadFile(rings[r], f, b, 4096, (rng % (file_size / 4096)) * 4096,
                                               0, IOSQE_FLAGS_NONE)))
                    goto out;
                issued++;
            }
        for (int r = 0; r < nrings; r++) {
            IORING_CQE cqe;
            if (FAILED(SubmitIoRing(rings[r], IORING_SUBMIT_WAIT_ALL, INFINITE, NULL)))
                goto out;
            while (PopIoRingCompletion(rings[r], &cqe) == S_OK)
                done++;
        }
        if (done >= ops)
            break;
    }
    timer_stop(tm);
    rc = 0;
out:
    while (made > 0)
        CloseIoRing(rings[--made]);
    CloseHandle(h);
    return rc;
}

struct scale_thread { int fd; uint64_t file_size, ops; int rc; struct scale_timer tm; };
static void *scale_thread_main(void *p)
{
    struct scale_thread *t = p;
    t->rc = scale_rings(t->fd, t->file_size, 4, t->ops, &t->tm);
    return NULL;
}

/* nthreads threads, each with its own 4 rings; ops is the total. Ring
 * creation is inside this timer (threads start together). */
static int scale_threads(int fd, uint64_t file_size, int nthreads, uint64_t ops, struct scale_timer *tm)
{
    timer_start(tm);
    pthread_t tids[16];
    struct scale_thread args[16];
    int rc = 0;
    for (int i = 0; i < nthreads; i++) {
        args[i] = (struct scale_thread){ .fd = fd, .file_size = file_size, .ops = ops / (uint64_t)nthreads };
        pthread_create(&tids[i], NULL, scale_thread_main, &args[i]);
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tids[i], NULL);
        rc |= args[i].rc;
    }
    timer_stop(tm);
    return rc;
}

static void run_scaling(const struct opts *o, int fd)
{
    struct stat st;
    fstat(fd, &st);
    uint64_t size = (uint64_t)st.st_size, ops = o->scale_ops;
#define PT(w, d, k) { .what = (w), .dim = (d), .n = (k) }
    static struct scale_point pts[] = {
        PT("registered buffers", BY_BUFFERS, 1), PT("registered buffers", BY_BUFFERS, 100),
        PT("registered buffers", BY_BUFFERS, 10000), PT("rings (1 thread)", BY_RINGS, 1),
        PT("rings (1 thread)", BY_RINGS, 4), PT("rings (1 thread)", BY_RINGS, 16),
        PT("rings (1 thread)", BY_RINGS, 64), PT("threads (4 rings each)", BY_THREADS, 1),
        PT("threads (4 rings each)", BY_THREADS, 2), PT("threads (4 rings each)", BY_THREADS, 4),
    };
#undef PT
    enum { NPTS = sizeof pts / sizeof pts[0] };
    for (int round = 0; round < o->rounds; round++)
        for (int i = 0; i < NPTS; i++) {
            struct scale_timer tm = { 0 };
            int rc = pts[i].dim == BY_BUFFERS ? scale_buffers(fd, size, pts[i].n, ops, &tm)
                     : pts[i].dim == BY_RINGS ? scale_rings(fd, size, pts[i].n, ops, &tm)
                                              : scale_threads(fd, size, pts[i].n, ops, &tm);
            if (rc)
                fprintf(stderr, "ioring-bench: scaling %s %d failed\n", pts[i].what, pts[i].n);
            pts[i].cpu_ns[round] = (double)tm.cpu / (double)ops;
            pts[i].wall_ns[round] = (double)tm.wall / (double)ops;
        }
    printf("\nscaling: %llu registered/raw 4 KiB cached reads per point, medians of %d rounds\n",
           (unsigned long long)ops, o->rounds);
    printf("%-24s %7s %12s %12s %10s\n", "dimension", "n", "cpu ns/op", "wall ns/op", "vs first");
    double first = 0;
    for (int i = 0; i < NPTS; i++) {
        double cpu = median(pts[i].cpu_ns, o->rounds), wall = median(pts[i].wall_ns, o->rounds);
        if (i == 0 || pts[i].dim != pts[i - 1].dim)
            first = wall;
        printf("%-24s %7d %12.0f %12.0f %9.2fx\n", pts[i].what, pts[i].n, cpu, wall,
               first > 0 ? wall / first : 0);
    }
}

/* ------------------------------------------------------------ the machine
 * What one cache line costs to move between two cores, measured by two
 * threads bouncing a counter. On a VM this depends on where the host
 * places the vCPUs and changes while the machine runs (about 30 ns or
 * 150-180 ns on the 2-vCPU CI machine), and every engine that uses two
 * threads feels it: it is printed before and after the cells so that a
 * run can be read against it. */
enum { BOUNCES = 200000 };
static _Alignas(64) atomic_uint_fast64_t bounce;

static void *bounce_peer(void *arg)
{
    (void)arg;
    for (uint64_t i = 1; i < 2 * BOUNCES; i += 2) {
        while (atomic_load_explicit(&bounce, memory_order_acquire) != i)
            ;
        atomic_store_explicit(&bounce, i + 1, memory_order_release);
    }
    return NULL;
}

/* Nanoseconds per one-way transfer, or 0 on one CPU (the two spinners
 * would take turns by time slice) or if the peer cannot start. */
static double line_transfer_ns(void)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return 0;
    pthread_t th;
    atomic_store(&bounce, 0);
    if (pthread_create(&th, NULL, bounce_peer, NULL))
        return 0;
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < 2 * BOUNCES; i += 2) {
        while (atomic_load_explicit(&bounce, memory_order_acquire) != i)
            ;
        atomic_store_explicit(&bounce, i + 1, memory_order_release);
    }
    uint64_t t1 = now_ns();
    pthread_join(th, NULL);
    return (double)(t1 - t0) / (2.0 * BOUNCES);
}

/* ------------------------------------------------------------ output */

static void print_table(const struct opts *o)
{
    printf("\n%-28s %-10s %12s %10s %10s %10s %9s %10s\n", "workload", "engine", "ops/s",
           "p50 us", "p99 us", "cpu ns/op", "allocs/op", "iore/this");
    for (int wi = 0; wi < NWORKLOADS; wi++) {
        if (!selected(o, wi))
            continue;
        struct cell *ref = &cells[wi][ioringemu_index()];
        double ref_ops = ref->n ? median(ref->ops_s, ref->n) : 0;
        for (int ei = 0; ei < NENGINES; ei++) {
            struct cell *cl = &cells[wi][ei];
            if (!applies(&engines[ei], &workloads[wi]) || (!cl->n && !cl->skipped && !cl->failed))
                continue;   /* not applicable, or filtered out by --engine */
            if (cl->skipped || cl->failed) {
                printf("%-28s %-10s %12s\n", workloads[wi].name, engines[ei].name,
                       cl->skipped ? "(unsupported here)" : "(failed)");
                continue;
            }
            double ops = median(cl->ops_s, cl->n);
            printf("%-28s %-10s %12.0f %10.2f %10.2f %10.0f %9.3f %9.2fx\n", workloads[wi].name,
                   engines[ei].name, ops, median(cl->p50, cl->n) / 1e3,
                   median(cl->p99, cl->n) / 1e3, median(cl->cpu_ns, cl->n),
                   median(cl->allocs, cl->n), ops > 0 ? ref_ops / ops : 0);
        }
    }
    printf("\n%d rounds x %d ms per cell, medians; iore/this = ioringemu ops/s / engine ops/s;"
           " allocs counted: %s\n", o->rounds, o->ms, COUNT_ALLOCS ? "yes" : "no (sanitizer build)");
}

static double transfer_before, transfer_after;

static void write_json(const struct opts *o)
{
    FILE *f = fopen(o->json, "w");
    if (!f) {
        perror(o->json);
        return;
    }
    fprintf(f, "{\n  \"rounds\": %d, \"ms_per_cell\": %d, \"cpus\": %ld,\n"
               "  \"line_transfer_ns_before\": %.1f, \"line_transfer_ns_after\": %.1f,\n"
               "  \"results\": [\n",
            o->rounds, o->ms, sysconf(_SC_NPROCESSORS_ONLN), transfer_before, transfer_after);
    const char *sep = "";
    for (int wi = 0; wi < NWORKLOADS; wi++)
        for (int ei = 0; ei < NENGINES; ei++) {
            struct cell *cl = &cells[wi][ei];
            if (!applies(&engines[ei], &workloads[wi]) || !cl->n)
                continue;
            fprintf(f, "%s    {\"workload\": \"%s\", \"engine\": \"%s\", \"ops_per_s\": %.0f, "
                       "\"p50_ns\": %.0f, \"p99_ns\": %.0f, \"cpu_ns_per_op\": %.1f, "
                       "\"allocs_per_op\": %.4f}",
                    sep, workloads[wi].name, engines[ei].name, median(cl->ops_s, cl->n),
                    median(cl->p50, cl->n), median(cl->p99, cl->n), median(cl->cpu_ns, cl->n),
                    median(cl->allocs, cl->n));
            sep = ",\n";
        }
    fprintf(f, "\n  ]\n}\n");
    fclose(f);
}

/* One horizontal bar group per workload, bars scaled to the group's best. */
static void write_svg(const struct opts *o)
{
    FILE *f = fopen(o->svg, "w");
    if (!f) {
        perror(o->svg);
        return;
    }
    static const char *colors[] = { "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd" };
    int bar = 14, width = 900, left = 260, y = 40;
    int height = 60 + NWORKLOADS * (NENGINES * bar + 24);
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
               "font-family='sans-serif' font-size='11'>\n<rect width='100%%' height='100%%' "
               "fill='white'/>\n<text x='10' y='20' font-size='14'>ioring-bench: operations per "
               "second (median of %d rounds)</text>\n", width, height, o->rounds);
    for (int wi = 0; wi < NWORKLOADS; wi++) {
        double best = 1;
        for (int ei = 0; ei < NENGINES; ei++)
            if (cells[wi][ei].n && median(cells[wi][ei].ops_s, cells[wi][ei].n) > best)
                best = median(cells[wi][ei].ops_s, cells[wi][ei].n);
        fprintf(f, "<text x='10' y='%d' font-weight='bold'>%s</text>\n", y + 10, workloads[wi].name);
        for (int ei = 0; ei < NENGINES; ei++) {
            struct cell *cl = &cells[wi][ei];
            if (!applies(&engines[ei], &workloads[wi]) || !cl->n)
                continue;
            double ops = median(cl->ops_s, cl->n);
            int len = (int)((width - left - 110) * ops / best);
            fprintf(f, "<text x='%d' y='%d' text-anchor='end'>%s</text><rect x='%d' y='%d' "
                       "width='%d' height='%d' fill='%s'/><text x='%d' y='%d'>%.0f</text>\n",
                    left - 6, y + bar - 3, engines[ei].name, left, y, len, bar - 2, colors[ei % 5],
                    left + len + 4, y + bar - 3, ops);
            y += bar;
        }
        y += 24;
    }
    fprintf(f, "</svg>\n");
    fclose(f);
}

static void usage(void)
{
    fprintf(stderr, "usage: ioring-bench [--rounds N] [--ms MS] [--file-mb MB] [--dir DIR]\n"
                    "                    [--json FILE] [--svg FILE] [--scaling [--scale-ops N]] [--quick]\n"
                    "                    [--only WORKLOAD[,WORKLOAD...]] [--engine NAME]\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        { "rounds", required_argument, 0, 'r' }, { "ms", required_argument, 0, 'm' },
        { "file-mb", required_argument, 0, 'f' }, { "dir", required_argument, 0, 'd' },
        { "json", required_argument, 0, 'j' }, { "svg", required_argument, 0, 's' },
        { "scaling", no_argument, 0, 'S' }, { "scale-ops", required_argument, 0, 'O' },
        { "quick", no_argument, 0, 'q' }, { "only", required_argument, 0, 'o' },
        { "engine", required_argument, 0, 'e' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'r': o->rounds = atoi(optarg); break;
        case 'm': o->ms = atoi(optarg); break;
        case 'f': o->file_mb = strtoull(optarg, NULL, 10); break;
        case 'd': o->dir = optarg; break;
        case 'j': o->json = optarg; break;
        case 's': o->svg = optarg; break;
        case 'S': o->scaling = true; break;
        case 'O': o->scale_ops = strtoull(optarg, NULL, 10); break;
        case 'o': o->only = optarg; break;
        case 'e': o->engine = optarg; break;
        case 'q': o->rounds = 1; o->ms = 20; o->file_mb = 8; o->scale_ops = 2000; break;
        default: usage(); return 1;
        }
    }
    if (o->rounds < 1 || o->rounds > MAX_ROUNDS || o->ms < 1 || o->file_mb < 1 || o->scale_ops < 64) {
        usage();
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = { .rounds = 5, .ms = 300, .file_mb = 64, .dir = "/tmp",
                      .json = "ioring-bench.json", .svg = NULL, .scale_ops = 200000 };
    if (parse(argc, argv, &o))
        return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/ioring-bench-%d.dat", o.dir, (int)getpid());
    int fd = make_file(path, o.file_mb << 20);
    if (fd < 0) {
        fprintf(stderr, "ioring-bench: cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    uint64_t *lat = malloc(sizeof(uint64_t) * MAX_SAMPLES);
    BYTE *bufs = VirtualAlloc(NULL, (SIZE_T)(MAX_DEPTH + 1) * 128 * 1024, MEM_COMMIT | MEM_RESERVE,
                              PAGE_READWRITE);
    if (!lat || !bufs)
        return 1;
    printf("ioring-bench: %llu MiB file in %s, %d rounds x %d ms, %ld CPUs\n",
           (unsigned long long)o.file_mb, o.dir, o.rounds, o.ms, sysconf(_SC_NPROCESSORS_ONLN));
    transfer_before = line_transfer_ns();
    for (int round = 0; round < o.rounds; round++) {
        for (int wi = 0; wi < NWORKLOADS; wi++)
            for (int ei = 0; ei < NENGINES; ei++)
                one_run(&o, path, fd, wi, ei, lat, bufs);
        fprintf(stderr, "round %d/%d done\n", round + 1, o.rounds);
    }
    transfer_after = line_transfer_ns();
    print_table(&o);
    printf("cache line between cores: %.0f ns before the cells, %.0f ns after (see docs/performance.md)\n",
           transfer_before, transfer_after);
    if (o.scaling)
        run_scaling(&o, fd);
    if (o.json)
        write_json(&o);
    if (o.svg)
        write_svg(&o);
    close(fd);
    unlink(path);
    free(lat);
    VirtualFree(bufs, 0, MEM_RELEASE);
    int failed = 0;
    for (int wi = 0; wi < NWORKLOADS; wi++)
        for (int ei = 0; ei < NENGINES; ei++)
            failed |= cells[wi][ei].failed;
    return failed;
}
