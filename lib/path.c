/*
 * path.c - Windows path names on a POSIX host: WCHAR <-> UTF-8, the
 * Windows -> host path mapping, and Windows wildcard matching.
 *
 * Strings. Narrow ("A") strings are taken to be UTF-8 (the emulator's ANSI
 * code page is CP_UTF8). WCHAR is wchar_t: UTF-32 normally, UTF-16 with
 * surrogate pairs when the program is built with -fshort-wchar; the unit
 * width is a compile-time property (sizeof(WCHAR)), so one library serves
 * one width. Surrogates are rejected in UTF-32, unpaired ones in UTF-16,
 * code points above U+10FFFF and malformed UTF-8 (overlong forms, stray
 * continuation bytes, encoded surrogates) everywhere: EILSEQ.
 *
 * The path mapping (what ioringemu(7) documents):
 *   1. A "\\?\" or "\??\" prefix is dropped ("\\?\UNC\srv\share" becomes
 *      "\\srv\share"); the rest is mapped like any other path.
 *   2. "X:\rest" or "X:/rest", X any letter in either case: the directory
 *      named by the environment variable IORINGEMU_DRIVE_X (X upper case),
 *      then "/rest". With the variable unset or empty the drive is the host
 *      root "/", so "C:\tmp\f" is "/tmp/f".
 *   3. "X:rest" (drive-relative; the emulator keeps no per-drive current
 *      directory): "$IORINGEMU_DRIVE_X/rest" when the variable is set, else
 *      "rest" relative to the process's working directory. "X:" alone is
 *      the drive directory, or ".".
 *   4. Every '\' becomes '/'. Other paths keep their meaning: "\dir\f" is
 *      "/dir/f" (the root of the current drive is "/"), relative paths stay
 *      relative to the working directory, POSIX paths pass unchanged, and
 *      UNC names ("\\srv\share") become "//srv/share", which POSIX reads as
 *      "/srv/share" (there is no network redirector).
 *   Not emulated: trailing dots and spaces are not stripped, device names
 *   (NUL, CON, COM1) are ordinary names, and lookups are case-sensitive like
 *   the host file system. The result must fit PATH_MAX (else ENAMETOOLONG);
 *   the Windows MAX_PATH limit is not applied.
 *
 * Global state: one locale_t for Unicode case folding, created once
 * (pthread_once), never freed, read-only afterwards, so it is thread- and
 * fork-safe.
 */
#define _GNU_SOURCE
#include "config.h"
#include "iore.h"

#include <tchar.h> /* iore_tchar_utf8_put: the one UTF-8 encoder */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define WCHAR_IS_UTF16 (__SIZEOF_WCHAR_T__ == 2)
_Static_assert(sizeof(WCHAR) == __SIZEOF_WCHAR_T__, "WCHAR is wchar_t");
_Static_assert(sizeof(WCHAR) == 2 || sizeof(WCHAR) == 4, "WCHAR is UTF-16 or UTF-32");

#define CP_MAX 0x10FFFFu

static int is_surrogate(uint32_t cp) { return cp >= 0xD800 && cp <= 0xDFFF; }

/* ------------------------------------------------------------------ UTF-8 */

/* Decodes one code point from s (not at its NUL). Returns the bytes used,
 * or 0 for a malformed sequence. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    static const uint32_t min_cp[4] = { 0, 0x80, 0x800, 0x10000 };
    size_t len;
    uint32_t c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, c &= 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, c &= 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, c &= 0x07;
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the NUL */
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min_cp[len - 1] || c > CP_MAX || is_surrogate(c))
        return 0;
    *cp = c;
    return len;
}

/* ------------------------------------------------------------------ WCHAR */

/* Decodes one code point from w (not at its NUL). Returns the units used,
 * or 0 for a surrogate that is unpaired (UTF-16) or present at all (UTF-32). */
static size_t w_decode(const WCHAR *w, uint32_t *cp)
{
    uint32_t c = (uint32_t)w[0];

    if (WCHAR_IS_UTF16 && c >= 0xD800 && c <= 0xDBFF) {
        uint32_t lo = (uint32_t)w[1];
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        *cp = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        return 2;
    }
    if (is_surrogate(c) || c > CP_MAX)
        return 0;
    *cp = c;
    return 1;
}

static size_t w_encode(uint32_t cp, WCHAR *out)
{
    if (WCHAR_IS_UTF16 && cp >= 0x10000) {
        out[0] = (WCHAR)(0xD800 + ((cp - 0x10000) >> 10));
        out[1] = (WCHAR)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        return 2;
    }
    out[0] = (WCHAR)cp;
    return 1;
}

static size_t w_len(const WCHAR *w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

char *iore__utf8_from_w(const WCHAR *w)
{
    if (!w) {
        errno = EINVAL;
        return NULL;
    }
    /* A unit yields at most 4 bytes (UTF-32) or 3 (a UTF-16 unit outside a
     * pair; a pair is 2 units for 4 bytes). */
    size_t units = w_len(w);
    if (units > (SIZE_MAX - 1) / 4) {
        errno = ENOMEM;
        return NULL;
    }
    char *out = malloc(units * 4 + 1), *p = out;
    if (!out)
        return NULL;
    while (*w) {
        uint32_t cp;
        size_t used = w_decode(w, &cp);
        if (!used) {
            free(out);
            errno = EILSEQ;
            return NULL;
        }
        w += used;
        p += iore_tchar_utf8_put(p, cp);
    }
    *p = '\0';
    return out;
}

WCHAR *iore__w_from_utf8(const char *s)
{
    if (!s) {
        errno = EINVAL;
        return NULL;
    }
    /* Never more units than bytes: 4 bytes make at most 2 UTF-16 units. */
    size_t bytes = strlen(s);
    WCHAR *out = malloc((bytes + 1) * sizeof(WCHAR)), *p = out;
    if (!out)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t cp;
        size_t used = utf8_decode(u, &cp);
        if (!used) {
            free(out);
            errno = EILSEQ;
            return NULL;
        }
        u += used;
        p += w_encode(cp, p);
    }
    *p = 0;
    return out;
}

/* ------------------------------------------------------------------ paths */

static int is_sep(char c) { return c == '\\' || c == '/'; }

/* Drops a "\\?\" or "\??\" prefix; "\\?\UNC\" keeps the UNC's leading "\\". */
static const char *strip_prefix(const char *p, int *unc)
{
    *unc = 0;
    if (!(p[0] == '\\' && (p[1] == '\\' || p[1] == '?') && p[2] == '?' && p[3] == '\\'))
        return p;
    p += 4;
    if (strncasecmp(p, "UNC", 3) == 0 && is_sep(p[3])) {
        *unc = 1;
        return p + 4;
    }
    return p;
}

/* The host directory of drive letter d (NULL: the drive is "/" or the working
 * directory, see the header). Trailing '/' are trimmed by the caller. */
static const char *drive_dir(char d)
{
    char name[] = "IORINGEMU_DRIVE_X";
    name[sizeof name - 2] = (char)toupper((unsigned char)d);
    const char *dir = getenv(name);
    return dir && *dir ? dir : NULL;
}

/* Appends src to out (capacity PATH_MAX), turning '\' into '/'. */
static int append(char *out, size_t *len, const char *src, size_t n, int convert)
{
    if (n >= PATH_MAX - *len)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < n; i++)
        out[*len + i] = convert && src[i] == '\\' ? '/' : src[i];
    *len += n;
    out[*len] = '\0';
    return 0;
}

/* Writes the drive part of "X:..." into out and returns the remainder. */
static int map_drive(const char *p, char *out, size_t *len, const char **rest)
{
    const char *dir = drive_dir(p[0]);
    const char *r = p + 2;
    int rooted = is_sep(*r);
    int err = 0;

    if (dir) {
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/')
            n--;
        err = append(out, len, dir, n, 0);
        if (!err && *r && !rooted && !(n == 1 && dir[0] == '/'))
            err = append(out, len, "/", 1, 0);
    } else if (!rooted && !*r) {
        err = append(out, len, ".", 1, 0);
    }
    if (!err && rooted) {
        while (is_sep(*r))
            r++;
        if (!(*len == 1 && out[0] == '/'))
            err = append(out, len, "/", 1, 0);
    }
    *rest = r;
    return err;
}

/* The mapping of the header comment, on a UTF-8 Windows path. */
static char *map_path(const char *wp)
{
    char *out = malloc(PATH_MAX);
    size_t len = 0;
    int unc, err = 0;

    if (!out)
        return NULL;
    out[0] = '\0';
    const char *p = strip_prefix(wp, &unc);
    if (unc)
        err = append(out, &len, "//", 2, 0);
    else if (isalpha((unsigned char)p[0]) && p[1] == ':')
        err = map_drive(p, out, &len, &p);
    if (!err)
        err = append(out, &len, p, strlen(p), 1);
    if (err) {
        free(out);
        errno = -err;
        return NULL;
    }
    return out;
}

char *iore__path_from_a(const char *apath)
{
    if (!apath) {
        errno = EINVAL;
        return NULL;
    }
    const unsigned char *u = (const unsigned char *)apath;
    for (uint32_t cp; *u;) {
        size_t used = utf8_decode(u, &cp);
        if (!used) {
            errno = EILSEQ;
            return NULL;
        }
        u += used;
    }
    return map_path(apath);
}

char *iore__path_from_w(const WCHAR *wpath)
{
    char *utf8 = iore__utf8_from_w(wpath);
    if (!utf8)
        return NULL;
    char *host = map_path(utf8);
    int saved = errno;
    free(utf8);
    errno = saved;
    return host;
}

/* ------------------------------------------------------------------ wildcards */

static locale_t fold_locale;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void)
{
    /* C.UTF-8 has the Unicode case tables whatever the program's locale is;
     * without it (old C libraries) folding is ASCII only. */
    fold_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Windows compares names through an upper-case table; towupper is the host's
 * closest equivalent. */
static uint32_t fold(uint32_t cp)
{
    if (cp < 0x80)
        return (uint32_t)toupper((int)cp);
    pthread_once(&fold_once, fold_init);
    return fold_locale ? (uint32_t)towupper_l((wint_t)cp, fold_locale) : cp;
}

/* Next code point of a name; a byte that is not valid UTF-8 (host names may
 * hold any bytes) stands for itself, offset past U+10FFFF so that it matches
 * only the same byte or '?'. */
static const char *next_cp(const char *s, uint32_t *cp)
{
    size_t used = utf8_decode((const unsigned char *)s, cp);
    if (used)
        return s + used;
    *cp = 0x110000u + (unsigned char)*s;
    return s + 1;
}

int iore__path_match(const char *pattern, const char *name)
{
    /* "*.*" is how Windows code spells "everything", names without a dot
     * included. */
    if (strcmp(pattern, "*.*") == 0)
        pattern = "*";

    /* Iterative matching with one backtrack point: on a mismatch after a
     * '*', let that '*' absorb one more character and retry. */
    const char *p = pattern, *n = name, *star_p = NULL, *star_n = NULL;
    while (*n) {
        uint32_t pc = 0, nc;
        const char *pn = *p ? next_cp(p, &pc) : p;
        if (*p && pc == '*') {
            star_p = p = pn;
            star_n = n;
            continue;
        }
        const char *nn = next_cp(n, &nc);
        if (*p && (pc == '?' || fold(pc) == fold(nc))) {
            p = pn;
            n = nn;
            continue;
        }
        if (!star_p)
            return 0;
        p = star_p;
        n = star_n = next_cp(star_n, &nc);
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

BOOL iore__fail_name(int err, const char *op)
{
    if (err == EILSEQ)
        return iore__fail(ERROR_INVALID_NAME);
    if (err == ENAMETOOLONG)
        return iore__fail(ERROR_FILENAME_EXCED_RANGE);
    return iore__fail_errno(err, op);
}
