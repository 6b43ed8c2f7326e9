/*
 * bench.h - what the engines of tools/ioring-bench share. Free of Windows
 * headers: liburing's io_uring.h and ntioring_x.h both define IORING_OP_*,
 * so the liburing engine lives in its own translation unit.
 */
#ifndef IORE_BENCH_H
#define IORE_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

/* ------------------------------------------------------------ workloads */
enum kind { RANDREAD, SEQREAD, RANDWRITE, NOP };

struct workload {
    const char *name;
    enum kind kind;
    uint32_t bs;
    int depth;
    bool registered;
    bool direct;
};


/* ------------------------------------------------------------ measurement */
enum { MAX_SAMPLES = 1 << 20, MAX_DEPTH = 128, MAX_ROUNDS = 15 };
/* An engine's run() returns 0, 1 on failure, or ENGINE_UNSUPPORTED when the
 * machine refuses what the engine needs (the cell then says so). */
enum { ENGINE_UNSUPPORTED = 77 };

struct run {
    uint64_t ops;
    uint64_t wall_ns;
    uint64_t cpu_ns;
    uint64_t allocs;
    uint64_t *lat;       /* latency samples (ns), shared scratch */
    uint32_t nlat;
};

struct ctx {
    const struct workload *w;
    int fd;              /* buffered or O_DIRECT descriptor of the data file */
    void *h;             /* the same file as a Windows HANDLE */
    uint64_t file_size;
    uint64_t deadline;   /* monotonic ns */
    uint64_t rng;
    uint64_t seq;        /* next sequential offset */
    unsigned char *bufs; /* MAX_DEPTH * bs, page aligned */
    struct run *r;
};

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static inline void sample(struct run *r, uint64_t ns)
{
    if (r->lat)
        r->lat[r->nlat++ & (MAX_SAMPLES - 1)] = ns;
}

static inline uint64_t next_offset(struct ctx *c)
{
    uint32_t bs = c->w->bs;
    if (c->w->kind == SEQREAD) {
        uint64_t off = c->seq;
        c->seq = (c->seq + bs) % (c->file_size - c->file_size % bs);
        return off;
    }
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return (c->rng % (c->file_size / bs)) * bs;
}

static inline bool expired(struct ctx *c) { return now_ns() >= c->deadline; }
static inline unsigned char *slot_buf(struct ctx *c, int i) { return c->bufs + (size_t)i * (c->w->bs ? c->w->bs : 1); }


#endif
