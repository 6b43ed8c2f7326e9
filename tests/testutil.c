/* testutil.c - scratch files and the runner shared by every suite. */
#define _GNU_SOURCE /* nftw, struct FTW */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void tu_skip(const char *reason)
{
    fprintf(stderr, "SKIP: %s\n", reason);
    fflush(NULL);
    exit(TU_SKIP);
}

int tu_run(Suite *s)
{
    tu_scratch_dir();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
