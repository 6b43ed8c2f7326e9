/*
 * tchar.h - generic-text mappings (_TCHAR, _T, _tmain, _tcs*, _tprintf ...)
 * so that Visual Studio console code builds unchanged with or without
 * UNICODE/_UNICODE (either one turns on the wide mapping; Visual Studio sets
 * both). Header-only: nothing here is in libioringemu.
 *
 * Why helpers instead of mapping straight to the C library's wide functions:
 *  - WCHAR strings are UTF-32 here, or UTF-16 under -fshort-wchar, where the
 *    C library's wide functions cannot be used at all. The wide string
 *    functions are therefore small loops over wchar_t that work at either
 *    width.
 *  - Windows printf formats differ from ISO C: in the wide functions %s and
 *    %c take WCHAR strings/characters (%S, %hs, %hc take char ones), `l` is
 *    32 bits (a DWORD prints with %lu), and %I64d/%I32d/%Iu exist. The
 *    _tprintf family therefore runs one formatter with Windows semantics, in
 *    both modes, and writes UTF-8 to byte streams: stdout keeps its byte
 *    orientation (printf and _tprintf can be mixed) and no setlocale() is
 *    needed. Narrow strings are taken to be UTF-8.
 *  - Under UNICODE, `int _tmain(int argc, _TCHAR *argv[])` needs a real main
 *    that converts argv (UTF-8) to WCHAR strings; the _tmain macro supplies
 *    it (see the end of this file).
 *
 * Helpers are static inline and named iore_tchar_* / iore_tcs_*; an unused
 * one costs nothing. Their results are malloc'd where a string is returned.
 */
#ifndef _INC_TCHAR
#define _INC_TCHAR

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#if defined(UNICODE) && !defined(_UNICODE)
#define _UNICODE
#endif

/* ------------------------------------------------------------ UTF helpers
 * One code point at a time between WCHAR strings (UTF-32, or UTF-16 with
 * surrogate pairs when wchar_t is 2 bytes) and UTF-8. Anything malformed
 * becomes U+FFFD rather than an error: output must never stop half-way. */
#define IORE_TCHAR_BAD 0xFFFDu

/* Reads one code point at *s and advances; end == NULL means the string is
 * NUL-terminated (reading one unit past a high surrogate is then safe). */
static inline uint32_t iore_tchar_w_next(const wchar_t **s, const wchar_t *end)
{
    uint32_t c = (uint32_t)*(*s)++;
    if (sizeof(wchar_t) == 2 && c >= 0xD800 && c < 0xDC00) {
        uint32_t lo = (end == NULL || *s < end) ? (uint32_t)**s : 0;
        if (lo < 0xDC00 || lo >= 0xE000)
            return IORE_TCHAR_BAD;
        (*s)++;
        return 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
    }
    if ((c >= 0xD800 && c < 0xE000) || c > 0x10FFFF)
        return IORE_TCHAR_BAD;
    return c;
}

/* Writes cp as 1 or 2 WCHAR units (2 only for a surrogate pair). */
static inline size_t iore_tchar_w_put(wchar_t *out, uint32_t cp)
{
    if (sizeof(wchar_t) == 2 && cp >= 0x10000) {
        out[0] = (wchar_t)(0xD800 + ((cp - 0x10000) >> 10));
        out[1] = (wchar_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        return 2;
    }
    out[0] = (wchar_t)cp;
    return 1;
}

static inline size_t iore_tchar_utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one UTF-8 sequence at *s (before end) and advances; a malformed,
 * overlong or surrogate sequence yields U+FFFD and consumes one byte. */
static inline uint32_t iore_tchar_utf8_next(const unsigned char **s, const unsigned char *end)
{
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *p = *s;
    uint32_t c = *p;
    size_t n = c < 0x80 ? 0 : c < 0xC2 ? 4 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : c < 0xF5 ? 3 : 4;
    size_t i;

    (*s)++;
    if (n == 0)
        return c;
    if (n == 4 || (size_t)(end - p) <= n)
        return IORE_TCHAR_BAD;
    c &= 0x3Fu >> n;
    for (i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return IORE_TCHAR_BAD;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min_cp[n] || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000))
        return IORE_TCHAR_BAD;
    *s = p + n + 1;
    return c;
}

/* Converts len bytes of UTF-8 into dst, stopping at the first character
 * that does not fit in cap units (no terminator); *written (if not NULL)
 * gets the units stored. Returns the units the whole conversion needs. */
static inline size_t iore_tchar_utf8_to_w_n(const char *src, size_t len, wchar_t *dst, size_t cap,
                                            size_t *written)
{
    const unsigned char *s = (const unsigned char *)src, *end = s + len;
    size_t n = 0, w = 0;

    while (s < end) {
        wchar_t u[2];
        size_t k = iore_tchar_w_put(u, iore_tchar_utf8_next(&s, end));
        if (w == n && n + k <= cap) {
            memcpy(dst + n, u, k * sizeof(wchar_t));
            w += k;
        }
        n += k;
    }
    if (written)
        *written = w;
    return n;
}

/* ------------------------------------------------------- string helpers */
static inline size_t iore_tcs_len(const wchar_t *s)
{
    const wchar_t *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}
static inline wchar_t *iore_tcs_cpy(wchar_t *dst, const wchar_t *src)
{
    wchar_t *d = dst;
    while ((*d++ = *src++) != 0)
        ;
    return dst;
}
/* As wcsncpy: pads with NULs up to n, no terminator when src is longer. */
static inline wchar_t *iore_tcs_ncpy(wchar_t *dst, const wchar_t *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = 0;
    return dst;
}
static inline wchar_t *iore_tcs_cat(wchar_t *dst, const wchar_t *src)
{
    iore_tcs_cpy(dst + iore_tcs_len(dst), src);
    return dst;
}
static inline wchar_t *iore_tcs_ncat(wchar_t *dst, const wchar_t *src, size_t n)
{
    wchar_t *d = dst + iore_tcs_len(dst);
    while (n-- && *src)
        *d++ = *src++;
    *d = 0;
    return dst;
}
/* Units compare as unsigned values, as Windows' 16-bit WCHARs do. */
static inline int iore_tcs_ncmp(const wchar_t *a, const wchar_t *b, size_t n)
{
    for (; n; n--, a++, b++) {
        uint32_t x = (uint32_t)*a, y = (uint32_t)*b;
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    return 0;
}
static inline int iore_tcs_cmp(const wchar_t *a, const wchar_t *b)
{
    return iore_tcs_ncmp(a, b, SIZE_MAX);
}
static inline int iore_tcs_nicmp(const wchar_t *a, const wchar_t *b, size_t n)
{
    for (; n; n--, a++, b++) {
        uint32_t x = (uint32_t)towlower((wint_t)*a), y = (uint32_t)towlower((wint_t)*b);
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    return 0;
}
static inline int iore_tcs_icmp(const wchar_t *a, const wchar_t *b)
{
    return iore_tcs_nicmp(a, b, SIZE_MAX);
}
/* Like wcschr, finds the terminator when c is 0. */
static inline wchar_t *iore_tcs_chr(const wchar_t *s, wchar_t c)
{
    for (;; s++) {
        if (*s == c)
            return (wchar_t *)s;
        if (*s == 0)
            return NULL;
    }
}
static inline wchar_t *iore_tcs_rchr(const wchar_t *s, wchar_t c)
{
    const wchar_t *hit = NULL;
    for (;; s++) {
        if (*s == c)
            hit = s;
        if (*s == 0)
            return (wchar_t *)hit;
    }
}
static inline wchar_t *iore_tcs_str(const wchar_t *hay, const wchar_t *needle)
{
    size_t n = iore_tcs_len(needle);
    for (; *hay; hay++)
        if (iore_tcs_ncmp(hay, needle, n) == 0)
            return (wchar_t *)hay;
    return n == 0 ? (wchar_t *)hay : NULL;
}
/* The copy is malloc'd: release it with free(). NULL (errno ENOMEM) when
 * memory is short. */
static inline wchar_t *iore_tcs_dup(const wchar_t *s)
{
    size_t n = (iore_tcs_len(s) + 1) * sizeof(wchar_t);
    wchar_t *d = (wchar_t *)malloc(n);
    return d ? (wchar_t *)memcpy(d, s, n) : NULL;
}
/* _tcscpy_s/_tcscat_s: 0, or EINVAL (NULL argument, zero size) / ERANGE
 * (dst too small); on failure dst becomes "" when it can hold that. */
static inline int iore_tcs_cpy_s(wchar_t *dst, size_t size, const wchar_t *src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL || iore_tcs_len(src) >= size) {
        dst[0] = 0;
        return src == NULL ? EINVAL : ERANGE;
    }
    iore_tcs_cpy(dst, src);
    return 0;
}
static inline int iore_tcs_cat_s(wchar_t *dst, size_t size, const wchar_t *src)
{
    size_t used;
    if (dst == NULL || size == 0)
        return EINVAL;
    for (used = 0; used < size && dst[used]; used++)
        ;
    if (src == NULL || used == size || iore_tcs_len(src) >= size - used) {
        dst[0] = 0;
        return src == NULL ? EINVAL : ERANGE;
    }
    iore_tcs_cpy(dst + used, src);
    return 0;
}

/* Narrow counterparts the C library only has under POSIX feature macros
 * (strdup, strcasecmp) or not at all (the _s forms). ASCII case folding,
 * as Windows' _stricmp in the "C" locale. */
static inline char *iore_tchar_dup_a(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = (char *)malloc(n);
    return d ? (char *)memcpy(d, s, n) : NULL;
}
static inline int iore_tchar_nicmp_a(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    return 0;
}
static inline int iore_tchar_icmp_a(const char *a, const char *b)
{
    return iore_tchar_nicmp_a(a, b, SIZE_MAX);
}
static inline int iore_tchar_cpy_s_a(char *dst, size_t size, const char *src)
{
    if (dst == NULL || size == 0)
        return EINVAL;
    if (src == NULL || strlen(src) >= size) {
        dst[0] = 0;
        return src == NULL ? EINVAL : ERANGE;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}
static inline int iore_tchar_cat_s_a(char *dst, size_t size, const char *src)
{
    size_t used;
    if (dst == NULL || size == 0)
        return EINVAL;
    for (used = 0; used < size && dst[used]; used++)
        ;
    if (src == NULL || used == size || strlen(src) >= size - used) {
        dst[0] = 0;
        return src == NULL ? EINVAL : ERANGE;
    }
    memcpy(dst + used, src, strlen(src) + 1);
    return 0;
}

/* Number parsing: the leading ASCII part of a WCHAR string goes through the
 * narrow strto* (digits, signs, spaces and prefixes are all ASCII), and the
 * end pointer maps back one unit per byte. */
static inline size_t iore_tchar_ascii(const wchar_t *s, char *buf, size_t size)
{
    size_t i = 0;
    for (; i + 1 < size && (uint32_t)s[i] != 0 && (uint32_t)s[i] < 0x80; i++)
        buf[i] = (char)s[i];
    buf[i] = 0;
    return i;
}
static inline long iore_tcs_tol(const wchar_t *s, wchar_t **end, int base)
{
    char buf[128], *e;
    long v;
    iore_tchar_ascii(s, buf, sizeof buf);
    v = strtol(buf, &e, base);
    if (end)
        *end = (wchar_t *)s + (e - buf);
    return v;
}
static inline unsigned long iore_tcs_toul(const wchar_t *s, wchar_t **end, int base)
{
    char buf[128], *e;
    unsigned long v;
    iore_tchar_ascii(s, buf, sizeof buf);
    v = strtoul(buf, &e, base);
    if (end)
        *end = (wchar_t *)s + (e - buf);
    return v;
}
static inline long long iore_tcs_toll(const wchar_t *s, wchar_t **end, int base)
{
    char buf[128], *e;
    long long v;
    iore_tchar_ascii(s, buf, sizeof buf);
    v = strtoll(buf, &e, base);
    if (end)
        *end = (wchar_t *)s + (e - buf);
    return v;
}
static inline unsigned long long iore_tcs_toull(const wchar_t *s, wchar_t **end, int base)
{
    char buf[128], *e;
    unsigned long long v;
    iore_tchar_ascii(s, buf, sizeof buf);
    v = strtoull(buf, &e, base);
    if (end)
        *end = (wchar_t *)s + (e - buf);
    return v;
}
static inline double iore_tcs_tod(const wchar_t *s, wchar_t **end)
{
    char buf[128], *e;
    double v;
    iore_tchar_ascii(s, buf, sizeof buf);
    v = strtod(buf, &e);
    if (end)
        *end = (wchar_t *)s + (e - buf);
    return v;
}

/* ------------------------------------------------------------ formatter
 * Output accumulates as UTF-8 in a growing buffer; `failed` latches the
 * first allocation failure so the callers report -1 once at the end. */
struct iore_tchar_buf {
    char *p;
    size_t len, cap;
    int failed;
};

/* Room for n more bytes plus the terminator; the returned pointer is where
 * they go (the caller advances len), NULL once failed. */
static inline char *iore_tchar_reserve(struct iore_tchar_buf *b, size_t n)
{
    size_t cap = b->cap ? b->cap : 64;
    char *p;

    if (b->failed)
        return NULL;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return NULL;
        }
        cap *= 2;
    }
    if (cap != b->cap) {
        p = (char *)realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}
static inline void iore_tchar_put(struct iore_tchar_buf *b, const char *s, size_t n)
{
    char *d = iore_tchar_reserve(b, n);
    if (d) {
        memcpy(d, s, n);
        b->len += n;
        b->p[b->len] = 0;
    }
}
static inline void iore_tchar_put_cp(struct iore_tchar_buf *b, uint32_t cp)
{
    char u[4];
    iore_tchar_put(b, u, iore_tchar_utf8_put(u, cp));
}
static inline void iore_tchar_pad(struct iore_tchar_buf *b, size_t n)
{
    while (n--)
        iore_tchar_put(b, " ", 1);
}

/* One conversion specification, as Windows parses it. */
struct iore_tchar_spec {
    char flags[8]; /* subset of "-+ #0", NUL-terminated */
    int width;     /* -1 when absent */
    int prec;      /* -1 when absent */
    char size;     /* 0, 'H' (hh), 'h', 'l', 'q' (ll, I64, I, z, j, t), 'L' */
    uint32_t conv;
};

/* The format string is narrow (a) or wide (w); i indexes units. */
struct iore_tchar_fmt {
    const char *a;
    const wchar_t *w;
    size_t i;
};

static inline uint32_t iore_tchar_peek(const struct iore_tchar_fmt *f, size_t ahead)
{
    return f->w ? (uint32_t)f->w[f->i + ahead] : (unsigned char)f->a[f->i + ahead];
}

/* Reads a decimal count (saturating) or '*' (taken from ap) into *n;
 * returns whether either was there. */
static inline int iore_tchar_count(struct iore_tchar_fmt *f, va_list *ap, int *n)
{
    uint32_t c = iore_tchar_peek(f, 0);

    if (c == '*') {
        f->i++;
        *n = va_arg(*ap, int);
        return 1;
    }
    if (c < '0' || c > '9')
        return 0;
    for (*n = 0; c >= '0' && c <= '9'; c = iore_tchar_peek(f, 0)) {
        int d = (int)(c - '0');
        *n = *n > (0x7fffffff - d) / 10 ? 0x7fffffff : *n * 10 + d;
        f->i++;
    }
    return 1;
}

static inline char iore_tchar_size(struct iore_tchar_fmt *f)
{
    uint32_t c = iore_tchar_peek(f, 0), d = c ? iore_tchar_peek(f, 1) : 0;
    uint32_t e = d ? iore_tchar_peek(f, 2) : 0;

    if ((c == 'h' || c == 'l') && d == c) {
        f->i += 2;
        return c == 'h' ? 'H' : 'q';
    }
    if (c == 'I' && ((d == '6' && e == '4') || (d == '3' && e == '2'))) {
        f->i += 3;
        return d == '6' ? 'q' : 0;
    }
    f->i += (c == 'h' || c == 'l' || c == 'w' || c == 'L' || c == 'I' || c == 'z' ||
             c == 'j' || c == 't');
    switch (c) {
    case 'h': return 'h';
    case 'l': case 'w': return 'l'; /* 32-bit for integers, wide for s/c */
    case 'L': return 'L';
    case 'I': case 'z': case 'j': case 't': return 'q';
    default: return 0;
    }
}

/* Parses the specification after '%'; a negative '*' width means '-'. */
static inline void iore_tchar_parse(struct iore_tchar_fmt *f, struct iore_tchar_spec *sp,
                                    va_list *ap)
{
    size_t nf = 0;
    uint32_t c;
    int n;

    while ((c = iore_tchar_peek(f, 0)) != 0 && c < 0x80 && strchr("-+ #0", (int)c) && nf < 6) {
        sp->flags[nf++] = (char)c;
        f->i++;
    }
    sp->flags[nf] = 0;
    sp->width = -1;
    if (iore_tchar_count(f, ap, &n)) {
        if (n < 0) {
            strcat(sp->flags, "-");
            n = n < -0x7fffffff ? 0x7fffffff : -n;
        }
        sp->width = n;
    }
    sp->prec = -1;
    if (iore_tchar_peek(f, 0) == '.') {
        f->i++;
        if (!iore_tchar_count(f, ap, &n))
            n = 0;
        sp->prec = n < 0 ? -1 : n; /* a negative '*' precision is no precision */
    }
    sp->size = iore_tchar_size(f);
    sp->conv = iore_tchar_peek(f, 0);
    if (sp->conv)
        f->i++;
}

/* Builds the ISO C specification for a numeric conversion: flags, width and
 * precision as given, then the length modifier `len`. */
static inline void iore_tchar_cspec(char *out, size_t size, const struct iore_tchar_spec *sp,
                                    const char *len)
{
    char w[16] = "", p[16] = "";
    if (sp->width >= 0)
        snprintf(w, sizeof w, "%d", sp->width);
    if (sp->prec >= 0)
        snprintf(p, sizeof p, ".%d", sp->prec);
    snprintf(out, size, "%%%s%s%s%s%c", sp->flags, w, p, len, (char)sp->conv);
}

/* One emitter per argument type: snprintf sizes the text, then writes it
 * straight into the buffer. */
#define IORE_TCHAR_EMIT(name, type)                                                  \
    static inline void name(struct iore_tchar_buf *b, const char *cs, type v)         \
    {                                                                                 \
        int n = snprintf(NULL, 0, cs, v);                                             \
        char *d = n < 0 ? NULL : iore_tchar_reserve(b, (size_t)n);                    \
        if (n < 0)                                                                    \
            b->failed = 1;                                                            \
        if (d) {                                                                      \
            snprintf(d, (size_t)n + 1, cs, v);                                        \
            b->len += (size_t)n;                                                      \
        }                                                                             \
    }
IORE_TCHAR_EMIT(iore_tchar_emit_ll, long long)
IORE_TCHAR_EMIT(iore_tchar_emit_ull, unsigned long long)
IORE_TCHAR_EMIT(iore_tchar_emit_dbl, double)
IORE_TCHAR_EMIT(iore_tchar_emit_ldbl, long double)
IORE_TCHAR_EMIT(iore_tchar_emit_ptr, void *)
#undef IORE_TCHAR_EMIT

static inline void iore_tchar_emit_int(struct iore_tchar_buf *b, const struct iore_tchar_spec *sp,
                                       va_list *ap)
{
    char cs[64];
    iore_tchar_cspec(cs, sizeof cs, sp, "ll");
    if (sp->conv == 'd' || sp->conv == 'i') {
        long long v = sp->size == 'q' ? va_arg(*ap, long long) : (long long)va_arg(*ap, int);
        v = sp->size == 'H' ? (signed char)v : sp->size == 'h' ? (short)v : v;
        iore_tchar_emit_ll(b, cs, v);
    } else {
        unsigned long long v = sp->size == 'q' ? va_arg(*ap, unsigned long long)
                                               : (unsigned long long)va_arg(*ap, unsigned int);
        v = sp->size == 'H' ? (unsigned char)v : sp->size == 'h' ? (unsigned short)v : v;
        iore_tchar_emit_ull(b, cs, v);
    }
}

static inline void iore_tchar_emit_float(struct iore_tchar_buf *b,
                                         const struct iore_tchar_spec *sp, va_list *ap)
{
    char cs[64];
    iore_tchar_cspec(cs, sizeof cs, sp, sp->size == 'L' ? "L" : "");
    if (sp->size == 'L')
        iore_tchar_emit_ldbl(b, cs, va_arg(*ap, long double));
    else
        iore_tchar_emit_dbl(b, cs, va_arg(*ap, double));
}

/* Appends UTF-8 text of `chars` characters, padded to the width. */
static inline void iore_tchar_emit_text(struct iore_tchar_buf *b, const struct iore_tchar_spec *sp,
                                        const char *s, size_t len, size_t chars)
{
    size_t pad = sp->width > 0 && (size_t)sp->width > chars ? (size_t)sp->width - chars : 0;
    int left = strchr(sp->flags, '-') != NULL;
    if (!left)
        iore_tchar_pad(b, pad);
    iore_tchar_put(b, s, len);
    if (left)
        iore_tchar_pad(b, pad);
}

/* %s and friends: `wide` is whether the argument is a WCHAR string. The
 * precision counts units of the argument's own type. */
static inline void iore_tchar_emit_str(struct iore_tchar_buf *b, const struct iore_tchar_spec *sp,
                                       int wide, va_list *ap)
{
    const wchar_t *w = wide ? va_arg(*ap, const wchar_t *) : NULL;
    const char *s = wide ? NULL : va_arg(*ap, const char *);
    struct iore_tchar_buf t = {NULL, 0, 0, 0};
    size_t n = 0, chars = 0;

    if (w == NULL && s == NULL)
        s = "(null)";
    if (w) {
        const wchar_t *end;
        while ((sp->prec < 0 || n < (size_t)sp->prec) && w[n])
            n++;
        for (end = w + n; w < end; chars++)
            iore_tchar_put_cp(&t, iore_tchar_w_next(&w, end));
    } else {
        while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
            chars += ((unsigned char)s[n++] & 0xC0) != 0x80;
        iore_tchar_put(&t, s, n);
    }
    b->failed |= t.failed;
    iore_tchar_emit_text(b, sp, t.p ? t.p : "", t.len, chars);
    free(t.p);
}

static inline void iore_tchar_emit_char(struct iore_tchar_buf *b, const struct iore_tchar_spec *sp,
                                        int wide, va_list *ap)
{
    int c = va_arg(*ap, int);
    char u[4];
    size_t n;

    if (wide) {
        wchar_t w[2] = {(wchar_t)c, 0};
        const wchar_t *p = w;
        n = iore_tchar_utf8_put(u, iore_tchar_w_next(&p, w + 1));
    } else {
        u[0] = (char)c;
        n = 1;
    }
    iore_tchar_emit_text(b, sp, u, n, 1);
}

/* One conversion. In a wide format %s/%c are wide and %S/%C narrow; in a
 * narrow one the reverse; h forces narrow and l/w wide either way. */
static inline void iore_tchar_convert(struct iore_tchar_buf *b, const struct iore_tchar_spec *sp,
                                      int wide_fmt, va_list *ap)
{
    uint32_t c = sp->conv;
    int wide = sp->size == 'h' ? 0 : sp->size == 'l' ? 1 : (c == 's' || c == 'c') == wide_fmt;

    if (c && c < 0x80 && strchr("diuoxX", (int)c))
        iore_tchar_emit_int(b, sp, ap);
    else if (c && c < 0x80 && strchr("eEfFgGaA", (int)c))
        iore_tchar_emit_float(b, sp, ap);
    else if (c == 's' || c == 'S')
        iore_tchar_emit_str(b, sp, wide, ap);
    else if (c == 'c' || c == 'C')
        iore_tchar_emit_char(b, sp, wide, ap);
    else if (c == 'p') {
        char cs[64];
        iore_tchar_cspec(cs, sizeof cs, sp, "");
        iore_tchar_emit_ptr(b, cs, va_arg(*ap, void *));
    } else if (c == 'n')
        (void)va_arg(*ap, void *); /* consumed, never written: Windows disables %n by default */
    else if (c == '%')
        iore_tchar_put(b, "%", 1);
    else if (c) {
        iore_tchar_put(b, "%", 1); /* unknown: echoed, no argument consumed */
        iore_tchar_put_cp(b, c);
    }
}

/* Formats with Windows semantics into malloc'd UTF-8 (*len bytes, plus a
 * terminator). Exactly one of afmt/wfmt is non-NULL. NULL when memory ran
 * out. */
static inline char *iore_tchar_vformat(const char *afmt, const wchar_t *wfmt, va_list ap,
                                       size_t *len)
{
    struct iore_tchar_fmt f = {afmt, wfmt, 0};
    struct iore_tchar_buf b = {NULL, 0, 0, 0};
    va_list aq;
    uint32_t c;

    va_copy(aq, ap);
    iore_tchar_reserve(&b, 0);
    while (!b.failed && (c = iore_tchar_peek(&f, 0)) != 0) {
        if (c == '%') {
            struct iore_tchar_spec sp;
            f.i++;
            iore_tchar_parse(&f, &sp, &aq);
            iore_tchar_convert(&b, &sp, wfmt != NULL, &aq);
        } else if (wfmt) {
            const wchar_t *p = wfmt + f.i;
            iore_tchar_put_cp(&b, iore_tchar_w_next(&p, NULL));
            f.i = (size_t)(p - wfmt);
        } else {
            iore_tchar_put(&b, afmt + f.i++, 1);
        }
    }
    va_end(aq);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = 0;
    *len = b.len;
    return b.p;
}

/* Writes formatted text to a byte stream; returns the characters written
 * (WCHAR units for a wide format, bytes for a narrow one) or -1. */
static inline int iore_tchar_vfprintf(FILE *fp, const char *afmt, const wchar_t *wfmt, va_list ap)
{
    size_t len, n;
    char *s = iore_tchar_vformat(afmt, wfmt, ap, &len);

    if (s == NULL)
        return -1;
    n = wfmt ? iore_tchar_utf8_to_w_n(s, len, NULL, 0, NULL) : len;
    if (fwrite(s, 1, len, fp) != len)
        n = (size_t)-1;
    free(s);
    return n > 0x7fffffff ? -1 : (int)n;
}

/* Formats into buf of `count` units. Fits: terminated, returns the length.
 * Does not fit: truncated and still terminated (when count > 0), returns -1
 * (as _snwprintf/_snprintf report truncation). */
static inline int iore_tchar_vsnprintf(void *buf, size_t count, const char *afmt,
                                       const wchar_t *wfmt, va_list ap)
{
    size_t len, n, w;
    char *s = iore_tchar_vformat(afmt, wfmt, ap, &len);

    if (s == NULL)
        return -1;
    if (wfmt) {
        n = iore_tchar_utf8_to_w_n(s, len, (wchar_t *)buf, count ? count - 1 : 0, &w);
        if (count)
            ((wchar_t *)buf)[w] = 0;
    } else {
        n = len;
        if (count) {
            memcpy(buf, s, n < count ? n : count - 1);
            ((char *)buf)[n < count ? n : count - 1] = 0;
        }
    }
    free(s);
    return n >= count || n > 0x7fffffff ? -1 : (int)n;
}

static inline int iore_tchar_fprintf_w(FILE *fp, const wchar_t *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vfprintf(fp, NULL, fmt, ap);
    va_end(ap);
    return n;
}
static inline int iore_tchar_printf_w(const wchar_t *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vfprintf(stdout, NULL, fmt, ap);
    va_end(ap);
    return n;
}
static inline int iore_tchar_snprintf_w(wchar_t *buf, size_t count, const wchar_t *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vsnprintf(buf, count, NULL, fmt, ap);
    va_end(ap);
    return n;
}
/* _stprintf: the caller vouches for the room, as with sprintf. */
static inline int iore_tchar_sprintf_w(wchar_t *buf, const wchar_t *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vsnprintf(buf, SIZE_MAX / sizeof(wchar_t), NULL, fmt, ap);
    va_end(ap);
    return n;
}
static inline int iore_tchar_fprintf_a(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vfprintf(fp, fmt, NULL, ap);
    va_end(ap);
    return n;
}
static inline int iore_tchar_printf_a(const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vfprintf(stdout, fmt, NULL, ap);
    va_end(ap);
    return n;
}
static inline int iore_tchar_snprintf_a(char *buf, size_t count, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vsnprintf(buf, count, fmt, NULL, ap);
    va_end(ap);
    return n;
}
static inline int iore_tchar_sprintf_a(char *buf, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = iore_tchar_vsnprintf(buf, SIZE_MAX, fmt, NULL, ap);
    va_end(ap);
    return n;
}

/* Malloc'd UTF-8 copy of a WCHAR string, NULL when memory is short. */
static inline char *iore_tchar_utf8_from_w(const wchar_t *w)
{
    struct iore_tchar_buf b = {NULL, 0, 0, 0};
    const wchar_t *end = w + iore_tcs_len(w);

    iore_tchar_reserve(&b, 0);
    while (w < end)
        iore_tchar_put_cp(&b, iore_tchar_w_next(&w, end));
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = 0;
    return b.p;
}
static inline int iore_tchar_fputs_w(const wchar_t *s, FILE *fp)
{
    char *u = iore_tchar_utf8_from_w(s);
    int r = u && fputs(u, fp) != EOF ? 0 : EOF;
    free(u);
    return r;
}
static inline int iore_tchar_puts_w(const wchar_t *s)
{
    return iore_tchar_fputs_w(s, stdout) == EOF || putchar('\n') == EOF ? EOF : 0;
}
static inline FILE *iore_tchar_fopen_w(const wchar_t *name, const wchar_t *mode)
{
    char *n = iore_tchar_utf8_from_w(name), *m = iore_tchar_utf8_from_w(mode);
    FILE *fp = n && m ? fopen(n, m) : NULL;
    free(n);
    free(m);
    return fp;
}

/* ------------------------------------------------- UNICODE main wrapper
 * The argument vectors become one allocation each: the pointer array (argc
 * entries and a NULL, like argv) followed by the converted strings. */
static inline wchar_t **iore_tchar_argv_w(int argc, char **argv)
{
    size_t units = 0, ptrs = (size_t)argc + 1, used = 0;
    wchar_t **out, *text;
    int i;

    for (i = 0; i < argc; i++)
        units += iore_tchar_utf8_to_w_n(argv[i], strlen(argv[i]), NULL, 0, NULL) + 1;
    out = (wchar_t **)malloc(ptrs * sizeof(wchar_t *) + units * sizeof(wchar_t));
    if (out == NULL)
        return NULL;
    text = (wchar_t *)(out + ptrs);
    for (i = 0; i < argc; i++) {
        size_t n = iore_tchar_utf8_to_w_n(argv[i], strlen(argv[i]), text + used, units - used, NULL);
        out[i] = text + used;
        text[used + n] = 0;
        used += n + 1;
    }
    out[argc] = NULL;
    return out;
}

typedef int (*iore_tchar_main_fn)(int argc, wchar_t **argv, wchar_t **envp);

/* Converts argv and envp, runs the program's _tmain, frees both after it
 * returns (a program that calls exit() leaves them to the process). */
static inline int iore_tchar_run_main(int argc, char **argv, char **envp, iore_tchar_main_fn fn)
{
    int envc = 0, r = 1;
    wchar_t **wargv, **wenvp;

    while (envp && envp[envc])
        envc++;
    wargv = iore_tchar_argv_w(argc, argv);
    wenvp = iore_tchar_argv_w(envc, envp);
    if (wargv && wenvp)
        r = fn(argc, wargv, wenvp);
    else
        fputs("_tmain: out of memory converting the command line\n", stderr);
    free(wargv);
    free(wenvp);
    return r;
}

/* ------------------------------------------------------------- mappings */
#ifdef _UNICODE

typedef wchar_t _TCHAR;
typedef wchar_t _TSCHAR;
typedef wchar_t _TUCHAR;
typedef wchar_t _TXCHAR;
typedef wint_t _TINT;
#define __T(x) L##x
#define _TEOF WEOF

#define _tcslen iore_tcs_len
#define _tcsclen iore_tcs_len
#define _tcscpy iore_tcs_cpy
#define _tcsncpy iore_tcs_ncpy
#define _tcscat iore_tcs_cat
#define _tcsncat iore_tcs_ncat
#define _tcscmp iore_tcs_cmp
#define _tcsncmp iore_tcs_ncmp
#define _tcsicmp iore_tcs_icmp
#define _tcsnicmp iore_tcs_nicmp
#define _tcschr iore_tcs_chr
#define _tcsrchr iore_tcs_rchr
#define _tcsstr iore_tcs_str
#define _tcsdup iore_tcs_dup
#define _tcscpy_s iore_tcs_cpy_s
#define _tcscat_s iore_tcs_cat_s
#define _tcstol iore_tcs_tol
#define _tcstoul iore_tcs_toul
#define _tcstoi64 iore_tcs_toll
#define _tcstoui64 iore_tcs_toull
#define _tcstod iore_tcs_tod
#define _ttoi(s) ((int)iore_tcs_tol((s), NULL, 10))
#define _tstoi(s) ((int)iore_tcs_tol((s), NULL, 10))
#define _ttol(s) iore_tcs_tol((s), NULL, 10)
#define _tstol(s) iore_tcs_tol((s), NULL, 10)
#define _ttoi64(s) iore_tcs_toll((s), NULL, 10)
#define _tstoi64(s) iore_tcs_toll((s), NULL, 10)
#define _tstof(s) iore_tcs_tod((s), NULL)
#define _ttof(s) iore_tcs_tod((s), NULL)

#define _istalpha iswalpha
#define _istdigit iswdigit
#define _istxdigit iswxdigit
#define _istalnum iswalnum
#define _istspace iswspace
#define _istupper iswupper
#define _istlower iswlower
#define _istpunct iswpunct
#define _istprint iswprint
#define _totupper towupper
#define _totlower towlower

#define _tprintf iore_tchar_printf_w
#define _ftprintf iore_tchar_fprintf_w
#define _stprintf iore_tchar_sprintf_w
#define _stprintf_s iore_tchar_snprintf_w
#define _sntprintf iore_tchar_snprintf_w
#define _vtprintf(fmt, ap) iore_tchar_vfprintf(stdout, NULL, (fmt), (ap))
#define _vftprintf(fp, fmt, ap) iore_tchar_vfprintf((fp), NULL, (fmt), (ap))
#define _vstprintf(buf, fmt, ap) \
    iore_tchar_vsnprintf((buf), SIZE_MAX / sizeof(wchar_t), NULL, (fmt), (ap))
#define _vsntprintf(buf, count, fmt, ap) iore_tchar_vsnprintf((buf), (count), NULL, (fmt), (ap))
#define _putts iore_tchar_puts_w
#define _fputts iore_tchar_fputs_w
#define _tfopen iore_tchar_fopen_w

/* `int _tmain(int argc, _TCHAR *argv[])` (or with envp, or with no
 * parameters) becomes:
 *     int iore_tmain_w(<params>);                      -- the declaration
 *     static int iore_tmain_thunk(...) {...}           -- calls it with as
 *     int main(int, char **, char **) {...}               many arguments as
 *     int iore_tmain_w(<params>) { <the program> }        it has parameters
 * The parameter list is the macro argument; counting its commas tells the
 * thunk how to call. Declaring _tmain before its definition, or calling it
 * by that name, would expand the macro again and is not supported. */
#define IORE_TMAIN_NARGS(...) IORE_TMAIN_NARGS_(__VA_ARGS__, 3, 2, 1, 0)
#define IORE_TMAIN_NARGS_(a, b, c, n, ...) n
#define IORE_TMAIN_CAT(a, b) IORE_TMAIN_CAT_(a, b)
#define IORE_TMAIN_CAT_(a, b) a##b
#define IORE_TMAIN_CALL_1 iore_tmain_w()
#define IORE_TMAIN_CALL_2 iore_tmain_w(argc, argv)
#define IORE_TMAIN_CALL_3 iore_tmain_w(argc, argv, envp)
#define _tmain(...)                                                                     \
    iore_tmain_w(__VA_ARGS__);                                                          \
    static int iore_tmain_thunk(int argc, wchar_t **argv, wchar_t **envp)               \
    {                                                                                   \
        (void)argc;                                                                     \
        (void)argv;                                                                     \
        (void)envp;                                                                     \
        return IORE_TMAIN_CAT(IORE_TMAIN_CALL_, IORE_TMAIN_NARGS(__VA_ARGS__));        \
    }                                                                                   \
    int main(int iore_argc, char **iore_argv, char **iore_envp)                         \
    {                                                                                   \
        return iore_tchar_run_main(iore_argc, iore_argv, iore_envp, iore_tmain_thunk);  \
    }                                                                                   \
    int iore_tmain_w(__VA_ARGS__)

#else /* !_UNICODE */

typedef char _TCHAR;
typedef signed char _TSCHAR;
typedef unsigned char _TUCHAR;
typedef char _TXCHAR;
typedef int _TINT;
#define __T(x) x
#define _TEOF EOF

#define _tcslen strlen
#define _tcsclen strlen
#define _tcscpy strcpy
#define _tcsncpy strncpy
#define _tcscat strcat
#define _tcsncat strncat
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcsicmp iore_tchar_icmp_a
#define _tcsnicmp iore_tchar_nicmp_a
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _tcsdup iore_tchar_dup_a
#define _tcscpy_s iore_tchar_cpy_s_a
#define _tcscat_s iore_tchar_cat_s_a
#define _tcstol strtol
#define _tcstoul strtoul
#define _tcstoi64 strtoll
#define _tcstoui64 strtoull
#define _tcstod strtod
#define _ttoi atoi
#define _tstoi atoi
#define _ttol atol
#define _tstol atol
#define _ttoi64 atoll
#define _tstoi64 atoll
#define _tstof atof
#define _ttof atof

#define _istalpha isalpha
#define _istdigit isdigit
#define _istxdigit isxdigit
#define _istalnum isalnum
#define _istspace isspace
#define _istupper isupper
#define _istlower islower
#define _istpunct ispunct
#define _istprint isprint
#define _totupper toupper
#define _totlower tolower

#define _tprintf iore_tchar_printf_a
#define _ftprintf iore_tchar_fprintf_a
#define _stprintf iore_tchar_sprintf_a
#define _stprintf_s iore_tchar_snprintf_a
#define _sntprintf iore_tchar_snprintf_a
#define _vtprintf(fmt, ap) iore_tchar_vfprintf(stdout, (fmt), NULL, (ap))
#define _vftprintf(fp, fmt, ap) iore_tchar_vfprintf((fp), (fmt), NULL, (ap))
#define _vstprintf(buf, fmt, ap) iore_tchar_vsnprintf((buf), SIZE_MAX, (fmt), NULL, (ap))
#define _vsntprintf(buf, count, fmt, ap) iore_tchar_vsnprintf((buf), (count), (fmt), NULL, (ap))
#define _putts puts
#define _fputts fputs
#define _tfopen fopen

#define _tmain main

#endif /* _UNICODE */

#define _T(x) __T(x)
#define _TEXT(x) __T(x)

#endif /* _INC_TCHAR */
