/* testutil.c - scratch files, the runner, waits and the held-read gate
 * shared by the suites. */
#define _GNU_SOURCE /* nftw, struct FTW */
#include "testutil.h"

#include <ioringemu.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char scratch[4096];
static pid_t scratch_owner;
static unsigned counter;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void rm_scratch(void)
{
    /* Forked Check children inherit the atexit hook; only the creator cleans. */
    if (scratch[0] && getpid() == scratch_owner)
        nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_scratch_dir(void)
{
    if (!scratch[0]) {
        const char *base = getenv("TMPDIR");
        if (!base || !*base)
            base = "/tmp";
        snprintf(scratch, sizeof scratch, "%s/ioringemu-test-XXXXXX", base);
        if (!mkdtemp(scratch)) {
            perror("mkdtemp");
            abort();
        }
        scratch_owner = getpid();
        atexit(rm_scratch);
    }
    return scratch;
}

const char *tu_path(const char *stem)
{
    static _Thread_local char path[4096];
    snprintf(path, sizeof path, "%s/%s-%d-%u", tu_scratch_dir(), stem, (int)getpid(),
             __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    return path;
}

unsigned char tu_pattern(size_t i)
{
    return (unsigned char)((i * 131u + (i >> 12) * 7u + 17u) & 0xff);
}

void tu_assert_pattern(const unsigned char *buf, size_t len, size_t file_off)
{
    size_t i = 0;
    while (i < len && buf[i] == tu_pattern(file_off + i))
        i++;
    if (i < len)
        ck_abort_msg("byte %zu of %zu is %#x, the file's byte %zu is %#x", i, len, buf[i],
                     file_off + i, tu_pattern(file_off + i));
}

void tu_expect_cqe(HIORING ring, UINT_PTR user_data, HRESULT hr, ULONG_PTR info)
{
    IORING_CQE cqe = { TU_SENTINEL_UD, TU_SENTINEL_HR, TU_SENTINEL_INFO };
    ck_assert_int_eq(PopIoRingCompletion(ring, &cqe), S_OK);
    ck_assert_uint_eq(cqe.UserData, user_data);
    ck_assert_msg(cqe.ResultCode == hr, "ResultCode 0x%08x, expected 0x%08x",
                  (unsigned)cqe.ResultCode, (unsigned)hr);
    ck_assert_uint_eq(cqe.Information, info);
}

SIZE_T tu_page_size(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
}

char *tu_make_file(const char *stem, size_t len)
{
    char *path = strdup(tu_path(stem));
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    unsigned char chunk[65536];
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
        for (size_t i = 0; i < n; i++)
            chunk[i] = tu_pattern(done + i);
        ck_assert_int_eq(write(fd, chunk, n), (ssize_t)n);
        done += n;
    }
    close(fd);
    return path;
}

HANDLE tu_open(const char *path, int rw)
{
    return CreateFileA(path, GENERIC_READ | (rw ? GENERIC_WRITE : 0),
                       FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                       FILE_ATTRIBUTE_NORMAL, NULL);
}

HANDLE tu_pattern_file(const char *stem, size_t len, int rw)
{
    char *path = tu_make_file(stem, len);
    HANDLE h = tu_open(path, rw);
    ck_assert_msg(h != INVALID_HANDLE_VALUE, "open %s: error %lu", path,
                  (unsigned long)GetLastError());
    free(path);
    return h;
}

HANDLE tu_event(BOOL manual, BOOL initial)
{
    HANDLE h = CreateEventA(NULL, manual, initial, NULL);
    ck_assert_ptr_nonnull(h);
    return h;
}

void tu_skip(const char *reason)
{
    fprintf(stderr, "SKIP: %s\n", reason);
    fflush(NULL);
    exit(TU_SKIP);
}

/* ------------------------------------------------------------------ locked memory */

long tu_vmlck_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* With capget/capset directly, so the tests need no libcap. */
int tu_drop_ipc_lock(void)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    const unsigned word = CAP_TO_INDEX(CAP_IPC_LOCK);
    const uint32_t bit = CAP_TO_MASK(CAP_IPC_LOCK);
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) != 0)
        return -errno;
    data[word].effective &= ~bit;
    data[word].permitted &= ~bit;
    data[word].inheritable &= ~bit;
    if (syscall(SYS_capset, &hdr, data) != 0)
        return -errno;
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) != 0)
        return -errno;
    return (data[word].effective & bit) ? -EPERM : 0;
}

/* ------------------------------------------------------------------ child */

/* The parent's end: the child's result, or -1 when it never came. */
static int child_result(int fd, pid_t pid)
{
    int result = -1;
    size_t got = 0;
    while (got < sizeof result) {
        ssize_t n = read(fd, (char *)&result + got, sizeof result - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    if (got == sizeof result)
        return result;
    fprintf(stderr, "tu_run_in_child: child died without a result (wait status %#x)\n",
            (unsigned)status);
    return -1;
}

int tu_run_in_child(int (*fn)(void *arg), void *arg)
{
    int p[2];
    if (pipe(p) != 0) {
        perror("tu_run_in_child: pipe");
        return -1;
    }
    fflush(NULL); /* or the child flushes the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0) {
        perror("tu_run_in_child: fork");
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        int result = fn(arg);
        /* _exit: no atexit handlers (the scratch directory is the parent's). */
        _exit(write(p[1], &result, sizeof result) == (ssize_t)sizeof result ? 0 : 1);
    }
    close(p[1]);
    return child_result(p[0], pid);
}

/* ------------------------------------------------------------------ waits */

void tu_sem_wait(sem_t *s)
{
    while (sem_wait(s) != 0)
        ck_assert_int_eq(errno, EINTR);
}

void tu_sem_wait_ms(sem_t *s, unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* sem_timedwait's clock */
    long long ns = ts.tv_nsec + ms * 1000000LL;
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    int rc;
    while ((rc = sem_timedwait(s, &ts)) != 0 && errno == EINTR)
        continue;
    ck_assert_msg(rc == 0, "semaphore never posted: %s", strerror(errno));
}

/* ------------------------------------------------------------------ gate */

/*
 * The gate's state. The semaphores are initialised once per process and
 * never destroyed or re-initialised: a pool worker may still be blocked on
 * `release` when a test ends, and re-initialising a semaphore with a
 * waiter is undefined. Install drains them instead. `holds` and the `also`
 * pair are atomics because a hook call that began before an install may
 * still be running on a worker when the next install writes them; the
 * pair is published fn-last (release) and read fn-first (acquire), so a
 * hook never calls a new fn with an old arg.
 */
static struct {
    sem_t dispatched; /* one post per inline attempt sent to the pool */
    sem_t held;       /* one post per pool read blocked in the gate */
    sem_t release;    /* one post lets one held read through */
    atomic_int holds; /* reads still to hold; TU_GATE_HOLD_ALL: every one */
    _Atomic(int (*)(const char *, void *)) also;
    _Atomic(void *) also_arg;
} gate;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;

static void gate_init(void)
{
    if (sem_init(&gate.dispatched, 0, 0) != 0 || sem_init(&gate.held, 0, 0) != 0 ||
        sem_init(&gate.release, 0, 0) != 0) {
        perror("sem_init");
        abort();
    }
}

static void gate_ready(void)
{
    pthread_once(&gate_once, gate_init);
}

static void drain(sem_t *s)
{
    while (sem_trywait(s) == 0)
        continue;
}

/* Whether this pool read is one to hold: takes one of the holds left. */
static int take_hold(void)
{
    int n = atomic_load(&gate.holds);
    do {
        if (n == 0)
            return 0;
        if (n < 0)
            return 1;
    } while (!atomic_compare_exchange_weak(&gate.holds, &n, n - 1));
    return 1;
}

static int gate_hook(const char *call, void *arg)
{
    (void)arg;
    if (strcmp(call, "preadv2") == 0 || strcmp(call, "pwritev2") == 0) {
        sem_post(&gate.dispatched);
        return EAGAIN; /* "would block": the op goes to the pool */
    }
    if (strcmp(call, "pread") == 0 || strcmp(call, "preadv") == 0) {
        if (take_hold()) {
            sem_post(&gate.held);
            tu_sem_wait(&gate.release);
        }
        return 0;
    }
    int (*also)(const char *, void *) = atomic_load_explicit(&gate.also, memory_order_acquire);
    return also ? also(call, atomic_load_explicit(&gate.also_arg, memory_order_relaxed)) : 0;
}

void tu_gate_install(int hold, int (*also)(const char *call, void *arg), void *arg)
{
    gate_ready();
    drain(&gate.dispatched);
    drain(&gate.held);
    drain(&gate.release);
    atomic_store(&gate.holds, hold < 0 ? TU_GATE_HOLD_ALL : hold);
    atomic_store_explicit(&gate.also_arg, arg, memory_order_relaxed);
    atomic_store_explicit(&gate.also, also, memory_order_release);
    iore_fault_set_hook(gate_hook, NULL);
}

void tu_force_pool(void)
{
    tu_gate_install(TU_GATE_HOLD_NONE, NULL, NULL);
}

void tu_gate_hold(int n)
{
    int cur = atomic_load(&gate.holds);
    while (cur >= 0 && !atomic_compare_exchange_weak(&gate.holds, &cur, cur + n))
        continue;
}

void tu_gate_wait_dispatched(int n)
{
    gate_ready();
    for (int i = 0; i < n; i++)
        tu_sem_wait_ms(&gate.dispatched, TU_WAIT_MS);
}

void tu_gate_wait_held(int n)
{
    gate_ready();
    for (int i = 0; i < n; i++)
        tu_sem_wait_ms(&gate.held, TU_WAIT_MS);
}

void tu_gate_release(int n)
{
    gate_ready();
    for (int i = 0; i < n; i++)
        sem_post(&gate.release);
}

void tu_gate_remove(void)
{
    iore_fault_set_hook(NULL, NULL);
}

/* ------------------------------------------------------------------ runner */

int tu_run(Suite *s)
{
    tu_scratch_dir();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
