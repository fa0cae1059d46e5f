/*
 * dmaverify_example.c - an example implementation for `verify check --impl exec:...`
 *
 * It speaks the line-delimited JSON protocol of docs/protocol.md and serves two interfaces:
 *
 *   listener    a vfio MemoryListener over one type1 container that plans the MAP/UNMAP ioctls of each
 *               transaction from the DMA-visible map of the view and from the mappings it already created in
 *               the container (its history), instead of from the region_del/region_add callbacks alone;
 *   page-table  a 4-level x86-64 IOMMU page table behind iommu_domain_ops (map_pages, unmap_pages with the
 *               gather, iova_to_phys, iotlb_sync), stored as real 4 KiB table pages of 512 PTE words.
 *
 * C11 and libc only. The JSON reader below is small but complete for what the protocol sends (objects,
 * arrays, strings with every escape, numbers, literals); anything malformed is answered with an "error" line.
 *
 * Build flags, each changing exactly one line (see the two "#ifdef TWIN" sites):
 *   -DTWIN           unmap_pages gathers only the requested range, not the whole leaf it removed
 *                    (CVE-2026-31735: stale IOTLB entries after a whole-leaf unmap; PT-05 catches it);
 *   -DTWIN_LISTENER  the planner keeps a live mapping that changed only in part instead of unmapping it
 *                    (DL-01 sees wrong translations, DL-02 overlapping MAPs).
 *
 * Ranges are [first, last] with both ends inclusive, as in the protocol, so a range ending at 2^64 needs no
 * 65th bit; every "end" computation below is written so that it cannot wrap (docs/semantics.md 1).
 */

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t u64;

#define U64_MAX UINT64_MAX
#define BIT63 (UINT64_C(1) << 63)

/* Linux errno values the protocol uses. */
#define E_NOMEM 12
#define E_EXIST 17
#define E_INVAL 22
#define E_ADDRINUSE 98
#define E_RANGE 34

/* ------------------------------------------------------------------------------------------------------------
 * Small utilities
 * ---------------------------------------------------------------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("dmaverify-example: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("dmaverify-example: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

/* Grows a (ptr, count, capacity) vector so that one more element fits. */
#define GROW(ptr, n, cap)                                                                                    \
    do {                                                                                                     \
        if ((n) == (cap)) {                                                                                  \
            size_t grow_nc_ = (cap) ? (cap) * 2 : 8;                                                         \
            (ptr) = xrealloc((ptr), grow_nc_ * sizeof *(ptr));                                               \
            (cap) = grow_nc_;                                                                                \
        }                                                                                                    \
    } while (0)

/* A growable output string. */
struct sb {
    char *b;
    size_t n, cap;
};

static void sb_addn(struct sb *s, const char *t, size_t n)
{
    if (s->n + n + 1 > s->cap) {
        size_t nc = s->cap ? s->cap : 256;
        while (s->n + n + 1 > nc)
            nc *= 2;
        s->b = xrealloc(s->b, nc);
        s->cap = nc;
    }
    memcpy(s->b + s->n, t, n);
    s->n += n;
    s->b[s->n] = '\0';
}

static void sb_add(struct sb *s, const char *t) { sb_addn(s, t, strlen(t)); }

static void sb_addf(struct sb *s, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_addn(s, tmp, (size_t)n);
        return;
    }
    char *big = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_addn(s, big, (size_t)n);
    free(big);
}

/* A 64-bit value as the protocol writes addresses and sizes: a quoted 0x-prefixed hex string. */
static void sb_hex(struct sb *s, u64 v) { sb_addf(s, "\"0x%" PRIx64 "\"", v); }

/* The size of [first, last]: last - first + 1, except that the whole space is 2^64, which needs 17 digits. */
static void sb_size(struct sb *s, u64 first, u64 last)
{
    if (first == 0 && last == U64_MAX)
        sb_add(s, "\"0x10000000000000000\"");
    else
        sb_hex(s, last - first + 1);
}

/* A JSON string literal: quotes, backslashes and control characters escaped; other bytes as they are. */
static void sb_str(struct sb *s, const char *t)
{
    sb_add(s, "\"");
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p == '"')
            sb_add(s, "\\\"");
        else if (*p == '\\')
            sb_add(s, "\\\\");
        else if (*p < 0x20)
            sb_addf(s, "\\u%04x", *p);
        else
            sb_addn(s, (const char *)p, 1);
    }
    sb_add(s, "\"");
}

/* ------------------------------------------------------------------------------------------------------------
 * A minimal JSON reader: the whole line becomes a tree, freed after the answer.
 * ---------------------------------------------------------------------------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
    enum jtype t;
    bool b;           /* J_BOOL */
    bool is_int;      /* J_NUM: an integer that fits in long long */
    long long i;      /* J_NUM when is_int */
    char *s;          /* J_STR, NUL-terminated (a \u0000 escape is refused) */
    struct jval **items; /* J_ARR elements, J_OBJ values */
    char **keys;      /* J_OBJ keys */
    size_t n, cap;
};

struct jparser {
    const char *p, *e;
    const char *err;
    int depth;
};

#define JSON_MAX_DEPTH 64

static struct jval *jnew(enum jtype t)
{
    struct jval *v = xcalloc(1, sizeof *v);
    v->t = t;
    return v;
}

static void jfree(struct jval *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        jfree(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
    free(v);
}

static void jws(struct jparser *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int jhex4(struct jparser *j)
{
    if (j->e - j->p < 4)
        return -1;
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = *j->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static void utf8_put(struct sb *out, unsigned long cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    sb_addn(out, b, n);
}

/* Reads a string literal at j->p (which is at the opening quote); returns a malloc'd copy or NULL. */
static char *jstring(struct jparser *j)
{
    struct sb out = {0};
    j->p++;
    for (;;) {
        if (j->p >= j->e) {
            j->err = "unterminated string";
            goto fail;
        }
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            break;
        if (c < 0x20) {
            j->err = "control character in a string";
            goto fail;
        }
        if (c != '\\') {
            sb_addn(&out, (const char *)&c, 1);
            continue;
        }
        if (j->p >= j->e) {
            j->err = "unterminated escape";
            goto fail;
        }
        c = (unsigned char)*j->p++;
        switch (c) {
        case '"': sb_add(&out, "\""); break;
        case '\\': sb_add(&out, "\\"); break;
        case '/': sb_add(&out, "/"); break;
        case 'b': sb_add(&out, "\b"); break;
        case 'f': sb_add(&out, "\f"); break;
        case 'n': sb_add(&out, "\n"); break;
        case 'r': sb_add(&out, "\r"); break;
        case 't': sb_add(&out, "\t"); break;
        case 'u': {
            int hi = jhex4(j);
            if (hi < 0) {
                j->err = "bad \\u escape";
                goto fail;
            }
            unsigned long cp = (unsigned long)hi;
            if (hi >= 0xd800 && hi <= 0xdbff) {
                int lo = -1;
                if (j->e - j->p >= 2 && j->p[0] == '\\' && j->p[1] == 'u') {
                    j->p += 2;
                    lo = jhex4(j);
                }
                if (lo < 0xdc00 || lo > 0xdfff) {
                    j->err = "unpaired surrogate in \\u escape";
                    goto fail;
                }
                cp = 0x10000 + (((unsigned long)hi - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
            } else if (hi >= 0xdc00 && hi <= 0xdfff) {
                j->err = "unpaired surrogate in \\u escape";
                goto fail;
            } else if (hi == 0) {
                j->err = "\\u0000 in a string";
                goto fail;
            }
            utf8_put(&out, cp);
            break;
        }
        default:
            j->err = "bad escape in a string";
            goto fail;
        }
    }
    if (!out.b)
        return xstrdup("");
    return out.b;
fail:
    free(out.b);
    return NULL;
}

static struct jval *jvalue(struct jparser *j);

static struct jval *jnumber(struct jparser *j)
{
    const char *start = j->p;
    bool integer = true;
    if (j->p < j->e && *j->p == '-')
        j->p++;
    if (j->p >= j->e || *j->p < '0' || *j->p > '9') {
        j->err = "bad number";
        return NULL;
    }
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->e && *j->p == '.') {
        integer = false;
        j->p++;
        if (j->p >= j->e || *j->p < '0' || *j->p > '9') {
            j->err = "bad number";
            return NULL;
        }
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
        integer = false;
        j->p++;
        if (j->p < j->e && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->e || *j->p < '0' || *j->p > '9') {
            j->err = "bad number";
            return NULL;
        }
        while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    struct jval *v = jnew(J_NUM);
    size_t len = (size_t)(j->p - start);
    if (integer && len < 24) {
        /* Accumulate by hand so that an overflow is noticed without errno games. */
        const char *q = start;
        bool neg = *q == '-';
        if (neg)
            q++;
        unsigned long long acc = 0;
        bool fits = true;
        for (; q < j->p; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (acc > (ULLONG_MAX - d) / 10) {
                fits = false;
                break;
            }
            acc = acc * 10 + d;
        }
        if (fits && acc <= (unsigned long long)LLONG_MAX) {
            v->is_int = true;
            v->i = neg ? -(long long)acc : (long long)acc;
        }
    }
    return v;
}

static bool jlit(struct jparser *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->e - j->p) < n || memcmp(j->p, word, n) != 0)
        return false;
    j->p += n;
    return true;
}

static struct jval *jvalue(struct jparser *j)
{
    jws(j);
    if (j->p >= j->e) {
        j->err = "unexpected end of line";
        return NULL;
    }
    char c = *j->p;
    if (c == '{' || c == '[') {
        if (++j->depth > JSON_MAX_DEPTH) {
            j->err = "nesting too deep";
            return NULL;
        }
        bool obj = c == '{';
        char close = obj ? '}' : ']';
        struct jval *v = jnew(obj ? J_OBJ : J_ARR);
        j->p++;
        jws(j);
        if (j->p < j->e && *j->p == close) {
            j->p++;
            j->depth--;
            return v;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                jws(j);
                if (j->p >= j->e || *j->p != '"') {
                    j->err = "expected a string key";
                    jfree(v);
                    return NULL;
                }
                key = jstring(j);
                if (!key) {
                    jfree(v);
                    return NULL;
                }
                jws(j);
                if (j->p >= j->e || *j->p != ':') {
                    j->err = "expected ':'";
                    free(key);
                    jfree(v);
                    return NULL;
                }
                j->p++;
            }
            struct jval *item = jvalue(j);
            if (!item) {
                free(key);
                jfree(v);
                return NULL;
            }
            if (v->n == v->cap) {
                size_t nc = v->cap ? v->cap * 2 : 8;
                v->items = xrealloc(v->items, nc * sizeof *v->items);
                if (obj)
                    v->keys = xrealloc(v->keys, nc * sizeof *v->keys);
                v->cap = nc;
            }
            v->items[v->n] = item;
            if (obj)
                v->keys[v->n] = key;
            v->n++;
            jws(j);
            if (j->p < j->e && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->e && *j->p == close) {
                j->p++;
                j->depth--;
                return v;
            }
            j->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
            jfree(v);
            return NULL;
        }
    }
    if (c == '"') {
        char *s = jstring(j);
        if (!s)
            return NULL;
        struct jval *v = jnew(J_STR);
        v->s = s;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return jnumber(j);
    if (jlit(j, "true")) {
        struct jval *v = jnew(J_BOOL);
        v->b = true;
        return v;
    }
    if (jlit(j, "false"))
        return jnew(J_BOOL);
    if (jlit(j, "null"))
        return jnew(J_NULL);
    j->err = "unexpected character";
    return NULL;
}

static struct jval *jparse(const char *text, size_t len, const char **err)
{
    struct jparser j = {text, text + len, NULL, 0};
    struct jval *v = jvalue(&j);
    if (v) {
        jws(&j);
        if (j.p != j.e) {
            j.err = "trailing characters after the JSON value";
            jfree(v);
            v = NULL;
        }
    }
    *err = j.err ? j.err : "invalid JSON";
    return v;
}

static const struct jval *jget(const struct jval *o, const char *key)
{
    if (!o || o->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->items[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------------------------
 * Field accessors: each returns false and leaves a message in g_err when the field is missing or malformed.
 * ---------------------------------------------------------------------------------------------------------- */

static char g_err[512];

static void set_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
}

/* "0x..." with 1 to 16 significant hex digits (leading zeros are fine); false on anything else. */
static bool parse_hex(const char *s, u64 *out)
{
    if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
        return false;
    u64 v = 0;
    for (const char *p = s + 2; *p; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (*p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (*p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            return false;
        if (v >> 60)
            return false; /* a 17th significant digit: past 2^64 - 1 */
        v = (v << 4) | d;
    }
    *out = v;
    return true;
}

static bool get_hex(const struct jval *o, const char *key, u64 *out)
{
    const struct jval *v = jget(o, key);
    if (!v || v->t != J_STR || !parse_hex(v->s, out)) {
        set_err("field \"%s\" should be a 0x-prefixed hex string of at most 64 bits", key);
        return false;
    }
    return true;
}

static bool get_int(const struct jval *o, const char *key, long long *out)
{
    const struct jval *v = jget(o, key);
    if (!v || v->t != J_NUM || !v->is_int) {
        set_err("field \"%s\" should be an integer", key);
        return false;
    }
    *out = v->i;
    return true;
}

static bool get_bool(const struct jval *o, const char *key, bool *out)
{
    const struct jval *v = jget(o, key);
    if (!v || v->t != J_BOOL) {
        set_err("field \"%s\" should be true or false", key);
        return false;
    }
    *out = v->b;
    return true;
}

static bool get_str(const struct jval *o, const char *key, const char **out)
{
    const struct jval *v = jget(o, key);
    if (!v || v->t != J_STR) {
        set_err("field \"%s\" should be a string", key);
        return false;
    }
    *out = v->s;
    return true;
}

static bool is_pow2(u64 v) { return v && !(v & (v - 1)); }

/* ============================================================================================================
 * LISTENER
 *
 * QEMU's vfio listener (hw/vfio/listener.c: vfio_listener_region_add / vfio_listener_region_del) maps each
 * section on region_add and unmaps it on region_del, so A + B -> A' (docs/semantics.md 3) unmaps and maps back
 * every page of A and B. This listener instead buffers the callbacks, rebuilds the view at commit (the way
 * memory_region_transaction_commit hands out a whole new FlatView), derives the DMA-visible map by QEMU's own
 * section rules and plans against what the container really holds. It keeps no other memory of the past: the
 * history is exactly the mappings it created (docs/semantics.md 3, "Why the past matters").
 * ========================================================================================================== */

enum kind { K_RAM, K_ROM_DEVICE, K_RAM_DEVICE, K_IO, K_IOMMU };

/* A FlatRange / MemoryRegionSection as the protocol sends it (only what the section rules read). */
struct sect {
    u64 start, last, offset;
    char *region; /* owned by the view */
    enum kind kind;
    bool readonly;
};

/* A linear run of IOVA: [first, last] reaches region + offset onwards. Used for the desired map (region
 * borrowed from the view), for live mappings (region owned) and for the MAP calls of a plan. */
struct map {
    u64 first, last, offset;
    char *region;
    bool writable;
};

struct listener {
    long long id;
    u64 page;       /* host page size P of REAL_HOST_PAGE_ALIGN */
    u64 iommu_page; /* smallest IOMMU page (ctz of the container's pgsizes) */
    bool bisects;   /* an UNMAP may cut a mapping (type1 v1, iommufd's split) */
    bool unmap_all; /* VFIO_DMA_UNMAP_FLAG_ALL exists (Linux 5.12+) */
    long long entry_limit; /* vfio_iommu_type1's dma_entry_limit */
    char **protected_regions;
    size_t nprotected;
    struct sect *view; /* sorted by start, disjoint */
    size_t nview, capview;
    struct map *live; /* the container's mappings this listener created: sorted, disjoint */
    size_t nlive, caplive;
};

static struct listener **g_listeners;
static size_t g_nlisteners, g_caplisteners;

static void map_free_owned(struct map *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].region);
    free(m);
}

static void listener_free(struct listener *l)
{
    for (size_t i = 0; i < l->nprotected; i++)
        free(l->protected_regions[i]);
    free(l->protected_regions);
    for (size_t i = 0; i < l->nview; i++)
        free(l->view[i].region);
    free(l->view);
    map_free_owned(l->live, l->nlive);
    free(l);
}

static struct listener *listener_find(long long id, size_t *at)
{
    for (size_t i = 0; i < g_nlisteners; i++)
        if (g_listeners[i]->id == id) {
            if (at)
                *at = i;
            return g_listeners[i];
        }
    return NULL;
}

static bool is_protected(const struct listener *l, const char *region)
{
    for (size_t i = 0; i < l->nprotected; i++)
        if (strcmp(l->protected_regions[i], region) == 0)
            return true;
    return false;
}

/*
 * The section rules in QEMU's order (docs/semantics.md 2.4): vfio_listener_valid_section, then
 * vfio_get_section_iova_range, then the ram-device check of vfio_listener_region_add. Returns true and the one
 * MAP vfio would issue for the section; false when it maps nothing.
 */
static bool section_mapping(const struct listener *l, const struct sect *s, struct map *m)
{
    /* 1. memory_region_is_ram() is false for i/o and for a ROM device (even in ROMD mode). An IOMMU section is
     *    valid for vfio but gets a notifier (6.), never a MAP of its own, so it ends here too. */
    if (s->kind != K_RAM && s->kind != K_RAM_DEVICE)
        return false;
    /* 2. memory_region_is_protected(): a confidential guest's private memory is never mapped. */
    if (is_protected(l, s->region))
        return false;
    /* 3. 64-bit BAR sizing parks the BAR with bit 63 set for a moment; vfio skips such sections. */
    if (s->start & BIT63)
        return false;
    /* 4. "vfio: listener region_add: address and offset not aligned": QEMU reports it and maps nothing. */
    u64 mask = l->page - 1;
    if ((s->start & mask) != (s->offset & mask))
        return false;
    /* 5. REAL_HOST_PAGE_ALIGN(start) and (start + size) & page_mask. Done without a 65th bit: the start rounds
     *    up past 2^64 only if it lies in the top page, and an end of exactly 2^64 is already aligned. */
    u64 first, last;
    if (s->start & mask) {
        if (s->start > U64_MAX - mask)
            return false;
        first = (s->start + mask) & ~mask;
    } else {
        first = s->start;
    }
    if (s->last == U64_MAX) {
        last = U64_MAX;
    } else {
        u64 end = (s->last + 1) & ~mask;
        if (end == 0)
            return false;
        last = end - 1;
    }
    if (first > last)
        return false; /* nothing left after rounding: the straddling page is mapped by neither neighbour */
    /* 7. A ram-device BAR whose interior is not a whole number of IOMMU pages cannot be mapped (QEMU warns,
     *    "Region ... is not aligned to ... and cannot be mapped for DMA"). A 2^64 size wraps to 0: aligned. */
    if (s->kind == K_RAM_DEVICE) {
        u64 imask = l->iommu_page - 1;
        if ((first & imask) || ((last - first + 1) & imask))
            return false;
    }
    /* 8. One MAP of the interior; read-only sections are mapped without IOMMU_WRITE. */
    m->first = first;
    m->last = last;
    m->offset = s->offset + (first - s->start); /* the vaddr advances with the IOVA */
    m->region = s->region;
    m->writable = !s->readonly;
    return true;
}

/* Two mappings translate every byte they share the same way: same host memory at the same IOVA shift, same
 * rights. Offsets and IOVAs are both real 64-bit values, so the wrapping difference compares exactly. */
static bool same_translation(const struct map *a, const struct map *b)
{
    return a->writable == b->writable && a->offset - a->first == b->offset - b->first
           && strcmp(a->region, b->region) == 0;
}

static bool parse_section(const struct jval *o, struct sect *s)
{
    const char *kind, *region;
    if (!o || o->t != J_OBJ) {
        set_err("an event's \"section\" should be an object");
        return false;
    }
    if (!get_hex(o, "start", &s->start) || !get_hex(o, "last", &s->last) || !get_hex(o, "offset", &s->offset)
        || !get_str(o, "region", &region) || !get_str(o, "kind", &kind) || !get_bool(o, "readonly", &s->readonly))
        return false;
    if (s->start > s->last) {
        set_err("section start 0x%" PRIx64 " is after its last byte 0x%" PRIx64, s->start, s->last);
        return false;
    }
    if (strcmp(kind, "ram") == 0)
        s->kind = K_RAM;
    else if (strcmp(kind, "rom-device") == 0)
        s->kind = K_ROM_DEVICE;
    else if (strcmp(kind, "ram-device") == 0)
        s->kind = K_RAM_DEVICE;
    else if (strcmp(kind, "io") == 0)
        s->kind = K_IO;
    else if (strcmp(kind, "iommu") == 0)
        s->kind = K_IOMMU;
    else {
        set_err("unknown section kind \"%s\"", kind);
        return false;
    }
    s->region = (char *)region; /* borrowed from the request until applied */
    return true;
}

/* Index of the first view section whose start is >= start. */
static size_t view_lower_bound(const struct listener *l, u64 start)
{
    size_t lo = 0, hi = l->nview;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->view[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* region_del: the range leaves the view. QEMU deletes ranges that are in the old view, so a section with that
 * start is there; one that is not is ignored (vfio itself would just send an UNMAP of nothing). */
static void view_del(struct listener *l, const struct sect *s)
{
    size_t i = view_lower_bound(l, s->start);
    if (i < l->nview && l->view[i].start == s->start) {
        free(l->view[i].region);
        memmove(&l->view[i], &l->view[i + 1], (l->nview - i - 1) * sizeof *l->view);
        l->nview--;
    }
}

/* region_add (and region_nop, which carries the range's new attributes): put the section in, replacing one
 * with the same start. */
static void view_put(struct listener *l, const struct sect *s)
{
    size_t i = view_lower_bound(l, s->start);
    struct sect copy = *s;
    copy.region = xstrdup(s->region);
    if (i < l->nview && l->view[i].start == s->start) {
        free(l->view[i].region);
        l->view[i] = copy;
        return;
    }
    GROW(l->view, l->nview, l->capview);
    memmove(&l->view[i + 1], &l->view[i], (l->nview - i) * sizeof *l->view);
    l->view[i] = copy;
    l->nview++;
}

enum opkind { OP_MAP, OP_UNMAP, OP_UNMAP_ALL };

struct op {
    enum opkind kind;
    struct map m; /* OP_MAP: the mapping (region borrowed); OP_UNMAP: m.first..m.last */
};

struct ops {
    struct op *v;
    size_t n, cap;
};

static void ops_push(struct ops *o, enum opkind kind, const struct map *m)
{
    GROW(o->v, o->n, o->cap);
    o->v[o->n].kind = kind;
    if (m)
        o->v[o->n].m = *m;
    else
        memset(&o->v[o->n].m, 0, sizeof o->v[o->n].m);
    o->n++;
}

static void ops_unmap(struct ops *o, u64 first, u64 last)
{
    struct map r = {first, last, 0, NULL, false};
    ops_push(o, OP_UNMAP, &r);
}

/* One MAP per piece, except that a piece of the whole 2^64 space has a size no 64-bit ioctl argument holds (QEMU's
 * int128_get64 would assert): it goes as the two halves [0, 2^63) and [2^63, 2^64), which translate the same. */
static void ops_map(struct ops *o, const struct map *m)
{
    if (m->first == 0 && m->last == U64_MAX) {
        struct map lo = *m, hi = *m;
        lo.last = BIT63 - 1;
        hi.first = BIT63;
        hi.offset = m->offset + BIT63;
        ops_push(o, OP_MAP, &lo);
        ops_push(o, OP_MAP, &hi);
        return;
    }
    ops_push(o, OP_MAP, m);
}

struct ranges {
    struct map *v; /* only first/last used */
    size_t n, cap;
};

static void ranges_push(struct ranges *r, u64 first, u64 last)
{
    GROW(r->v, r->n, r->cap);
    r->v[r->n] = (struct map){first, last, 0, NULL, false};
    r->n++;
}

/*
 * Executes the plan on a copy of the live list with the kernel's rules (vfio_dma_do_map inserts one vfio_dma;
 * vfio_dma_do_unmap removes the ones inside the range, or, where the backend may bisect, cuts the ones it
 * overlaps at its ends) and reports the peak number of live mappings, which dma_entry_limit bounds (the MAP
 * that would pass it fails with ENOSPC). The copy becomes the new history when the plan is issued.
 */
static struct map *simulate(const struct listener *l, const struct ops *ops, size_t *nout, size_t *peak)
{
    size_t n = l->nlive, cap = l->nlive + 8;
    struct map *v = xrealloc(NULL, cap * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = l->live[i];
        v[i].region = xstrdup(l->live[i].region);
    }
    *peak = n;
    for (size_t k = 0; k < ops->n; k++) {
        const struct op *op = &ops->v[k];
        if (op->kind == OP_UNMAP_ALL) {
            for (size_t i = 0; i < n; i++)
                free(v[i].region);
            n = 0;
        } else if (op->kind == OP_UNMAP) {
            u64 a = op->m.first, b = op->m.last;
            size_t wcap = n + 2; /* each end of the range may leave one outside piece */
            struct map *w = xrealloc(NULL, wcap * sizeof *w);
            size_t wn = 0;
            for (size_t i = 0; i < n; i++) {
                struct map *m = &v[i];
                if (m->last < a || m->first > b) {
                    w[wn++] = *m;
                    continue;
                }
                /* Overlapped. The planner never asks v2 to cut, so only a bisecting backend keeps the parts
                 * outside the range. */
                if (l->bisects && m->first < a) {
                    w[wn] = *m;
                    w[wn].last = a - 1;
                    w[wn].region = xstrdup(m->region);
                    wn++;
                }
                if (l->bisects && m->last > b) {
                    w[wn] = *m;
                    w[wn].first = b + 1;
                    w[wn].offset = m->offset + (b + 1 - m->first);
                    w[wn].region = xstrdup(m->region);
                    wn++;
                }
                free(m->region);
            }
            free(v);
            v = w;
            n = wn;
            cap = wcap;
        } else {
            size_t i = 0;
            while (i < n && v[i].first < op->m.first)
                i++;
            if (n == cap) {
                cap = cap * 2 + 8;
                v = xrealloc(v, cap * sizeof *v);
            }
            memmove(&v[i + 1], &v[i], (n - i) * sizeof *v);
            v[i] = op->m;
            v[i].region = xstrdup(op->m.region);
            n++;
        }
        if (n > *peak)
            *peak = n;
    }
    *nout = n;
    return v;
}

struct run {
    u64 first, last;
    bool changed;
};

/*
 * Splits live mapping l into runs that keep their translation in the desired map (same region, contiguous
 * offset, same rights) and runs that change or stop being mapped. want[j..] are the desired mappings that may
 * overlap it (sorted, disjoint).
 */
static size_t compare_runs(const struct map *l, const struct map *want, size_t nwant, size_t j, struct run **runs,
                           size_t *cap)
{
    size_t n = 0;
    u64 cursor = l->first;
    bool done = false;
#define ADD_RUN(f, t, c)                                                                                    \
    do {                                                                                                     \
        if (n > 0 && (*runs)[n - 1].changed == (c) && (*runs)[n - 1].last + 1 == (f)) {                      \
            (*runs)[n - 1].last = (t);                                                                       \
        } else {                                                                                             \
            GROW(*runs, n, *cap);                                                                            \
            (*runs)[n++] = (struct run){(f), (t), (c)};                                                      \
        }                                                                                                    \
    } while (0)
    for (size_t k = j; k < nwant && want[k].first <= l->last && !done; k++) {
        if (want[k].last < l->first)
            continue;
        u64 of = want[k].first > l->first ? want[k].first : l->first;
        u64 ol = want[k].last < l->last ? want[k].last : l->last;
        if (of > cursor)
            ADD_RUN(cursor, of - 1, true); /* nothing desired there any more */
        ADD_RUN(of, ol, !same_translation(l, &want[k]));
        if (ol == l->last)
            done = true; /* no cursor = ol + 1: it could wrap at 2^64 */
        else
            cursor = ol + 1;
    }
    if (!done)
        ADD_RUN(cursor, l->last, true);
#undef ADD_RUN
    return n;
}

/*
 * Plans one commit (docs/semantics.md 3, "What the code adds"):
 *  - a live mapping whose every byte keeps its translation is kept untouched: no ioctl, no DMA window;
 *  - type1 v2 can neither overlap a MAP (vfio_dma_do_map: EEXIST) nor cut a mapping with an UNMAP
 *    (vfio_dma_do_unmap: EINVAL), so a live mapping that changed anywhere goes whole; the collateral left is
 *    its unchanged bytes, which is the least that history allows (CollateralOracle.MinimumType1Collateral);
 *  - a backend that may bisect unmaps only the changed runs, so nothing unchanged ever loses its translation;
 *  - removals not separated by a surviving byte share one UNMAP (holes are legal; such an UNMAP never cuts);
 *    when nothing survives and VFIO_DMA_UNMAP_FLAG_ALL exists, one unmap-all does it;
 *  - all UNMAPs come first, then one MAP per maximal piece of a section's interior not covered by a survivor.
 * If the plan's peak of live mappings passes the entry limit it is refused whole and nothing is issued.
 */
static void plan_commit(struct listener *l, struct sb *out, bool *first_call, bool *refused)
{
    /* The DMA-visible map of the view: one mapping per mapped section, sorted and disjoint like the view. */
    struct map *want = xcalloc(l->nview, sizeof *want);
    size_t nwant = 0;
    for (size_t i = 0; i < l->nview; i++)
        if (section_mapping(l, &l->view[i], &want[nwant]))
            nwant++;

    struct ranges surv = {0};   /* live bytes that stay mapped as they are */
    struct ranges groups = {0}; /* one UNMAP each */
    struct run *runs = NULL;
    size_t caprun = 0;
    bool open = false;
    u64 gfirst = 0, glast = 0;
#define EXTEND(f, t)                                                                                        \
    do {                                                                                                     \
        if (!open) {                                                                                         \
            open = true;                                                                                     \
            gfirst = (f);                                                                                    \
        }                                                                                                    \
        glast = (t);                                                                                         \
    } while (0)
#define CLOSE()                                                                                             \
    do {                                                                                                     \
        if (open) {                                                                                          \
            ranges_push(&groups, gfirst, glast);                                                             \
            open = false;                                                                                    \
        }                                                                                                    \
    } while (0)

    size_t j = 0;
    for (size_t i = 0; i < l->nlive; i++) {
        const struct map *m = &l->live[i];
        while (j < nwant && want[j].last < m->first)
            j++;
        size_t nrun = compare_runs(m, want, nwant, j, &runs, &caprun);
        bool changed_any = false, unchanged_any = false;
        for (size_t r = 0; r < nrun; r++) {
            changed_any |= runs[r].changed;
            unchanged_any |= !runs[r].changed;
        }
#ifndef TWIN_LISTENER
        bool keep = !changed_any; /* kept only when every byte is unchanged */
#else
        bool keep = unchanged_any; /* TWIN_LISTENER bug: a partly changed mapping is kept as it is */
#endif
        (void)unchanged_any;
        if (keep) {
            ranges_push(&surv, m->first, m->last);
            CLOSE();
        } else if (!l->bisects) {
            EXTEND(m->first, m->last);
        } else {
            for (size_t r = 0; r < nrun; r++) {
                if (runs[r].changed) {
                    EXTEND(runs[r].first, runs[r].last);
                } else {
                    ranges_push(&surv, runs[r].first, runs[r].last);
                    CLOSE();
                }
            }
        }
    }
    CLOSE();
#undef EXTEND
#undef CLOSE

    struct ops ops = {0};
    if (groups.n > 0 && surv.n == 0 && l->unmap_all) {
        /* Every live mapping goes: one VFIO_DMA_UNMAP_FLAG_ALL (QEMU 10.1's answer to the 2^64 unmap). */
        ops_push(&ops, OP_UNMAP_ALL, NULL);
    } else {
        for (size_t g = 0; g < groups.n; g++) {
            u64 f = groups.v[g].first, t = groups.v[g].last;
            if (f == 0 && t == U64_MAX) {
                /* A 2^64 range does not fit the ioctl's 64-bit size ("vfio: Don't issue full 2^64 unmap"). Without
                 * FLAG_ALL send two halves, cut where no live mapping straddles (2^63 if possible), so that
                 * neither half bisects under v2. */
                u64 cut = BIT63;
                for (size_t i = 0; i < l->nlive; i++) {
                    const struct map *m = &l->live[i];
                    if (m->first < cut && m->last >= cut) {
                        if (m->first > 0)
                            cut = m->first;
                        else if (m->last < U64_MAX)
                            cut = m->last + 1;
                        break; /* a single [0, 2^64) mapping cannot be removed without FLAG_ALL anyway */
                    }
                }
                ops_unmap(&ops, 0, cut - 1);
                ops_unmap(&ops, cut, U64_MAX);
            } else {
                ops_unmap(&ops, f, t);
            }
        }
    }

    /* MAPs: every desired byte that no survivor already translates (survivors agree with the desired map by
     * construction, except under the TWIN_LISTENER bug). */
    size_t p = 0;
    for (size_t k = 0; k < nwant; k++) {
        const struct map *d = &want[k];
        while (p < surv.n && surv.v[p].last < d->first)
            p++;
        u64 cursor = d->first;
        bool done = false;
        for (size_t q = p; q < surv.n && surv.v[q].first <= d->last && !done; q++) {
            u64 cf = surv.v[q].first > d->first ? surv.v[q].first : d->first;
            u64 cl = surv.v[q].last < d->last ? surv.v[q].last : d->last;
            if (cf > cursor) {
                struct map piece = {cursor, cf - 1, d->offset + (cursor - d->first), d->region, d->writable};
                ops_map(&ops, &piece);
            }
            if (cl == d->last)
                done = true;
            else
                cursor = cl + 1;
        }
        if (!done) {
            struct map piece = {cursor, d->last, d->offset + (cursor - d->first), d->region, d->writable};
            ops_map(&ops, &piece);
        }
    }

    size_t nnew = 0, peak = 0;
    struct map *next = simulate(l, &ops, &nnew, &peak);
    bool refuse = l->entry_limit < 0 || (unsigned long long)peak > (unsigned long long)l->entry_limit;
    if (refuse) {
        /* Refused whole: the container keeps every mapping it had and gets no ioctl (DL-07). */
        map_free_owned(next, nnew);
        *refused = true;
    } else {
        map_free_owned(l->live, l->nlive);
        l->live = next;
        l->nlive = nnew;
        l->caplive = nnew;
    }

    for (size_t k = 0; k < ops.n; k++) {
        const struct op *op = &ops.v[k];
        sb_add(out, *first_call ? "" : ",");
        *first_call = false;
        if (op->kind == OP_UNMAP_ALL) {
            sb_add(out, "{\"op\":\"unmap_all\"}");
        } else if (op->kind == OP_UNMAP) {
            sb_add(out, "{\"op\":\"unmap\",\"iova\":");
            sb_hex(out, op->m.first);
            sb_add(out, ",\"size\":");
            sb_size(out, op->m.first, op->m.last);
            sb_add(out, "}");
        } else {
            sb_add(out, "{\"op\":\"map\",\"iova\":");
            sb_hex(out, op->m.first);
            sb_add(out, ",\"size\":");
            sb_size(out, op->m.first, op->m.last);
            sb_add(out, ",\"region\":");
            sb_str(out, op->m.region);
            sb_add(out, ",\"offset\":");
            sb_hex(out, op->m.offset);
            sb_add(out, op->m.writable ? ",\"writable\":true}" : ",\"writable\":false}");
        }
    }

    free(ops.v);
    free(runs);
    free(surv.v);
    free(groups.v);
    free(want);
}

static bool do_listener_create(const struct jval *req, struct sb *out)
{
    (void)out;
    long long id, limit;
    u64 page, ipage;
    bool bisects, unmap_all;
    if (!get_int(req, "listener", &id) || !get_hex(req, "host_page_size", &page)
        || !get_hex(req, "iommu_min_page", &ipage) || !get_bool(req, "unmap_bisects", &bisects)
        || !get_bool(req, "unmap_all", &unmap_all) || !get_int(req, "entry_limit", &limit))
        return false;
    if (!is_pow2(page) || !is_pow2(ipage)) {
        set_err("host_page_size and iommu_min_page should be powers of two");
        return false;
    }
    if (limit < 0) {
        set_err("entry_limit should not be negative");
        return false;
    }
    const struct jval *prot = jget(req, "protected");
    if (prot && prot->t != J_ARR && prot->t != J_NULL) {
        set_err("field \"protected\" should be an array of region names");
        return false;
    }
    if (prot && prot->t == J_ARR)
        for (size_t i = 0; i < prot->n; i++)
            if (prot->items[i]->t != J_STR) {
                set_err("field \"protected\" should be an array of region names");
                return false;
            }
    if (listener_find(id, NULL)) {
        set_err("listener %lld already exists", id);
        return false;
    }
    struct listener *l = xcalloc(1, sizeof *l);
    l->id = id;
    l->page = page;
    l->iommu_page = ipage;
    l->bisects = bisects;
    l->unmap_all = unmap_all;
    l->entry_limit = limit;
    if (prot && prot->t == J_ARR && prot->n > 0) {
        l->protected_regions = xcalloc(prot->n, sizeof *l->protected_regions);
        for (size_t i = 0; i < prot->n; i++)
            l->protected_regions[i] = xstrdup(prot->items[i]->s);
        l->nprotected = prot->n;
    }
    GROW(g_listeners, g_nlisteners, g_caplisteners);
    g_listeners[g_nlisteners++] = l;
    return true;
}

static bool do_listener_destroy(const struct jval *req, struct sb *out)
{
    (void)out;
    long long id;
    size_t at;
    if (!get_int(req, "listener", &id))
        return false;
    struct listener *l = listener_find(id, &at);
    if (!l) {
        set_err("no listener %lld", id);
        return false;
    }
    listener_free(l);
    memmove(&g_listeners[at], &g_listeners[at + 1], (g_nlisteners - at - 1) * sizeof *g_listeners);
    g_nlisteners--;
    return true;
}

enum evkind { EV_BEGIN, EV_COMMIT, EV_DEL, EV_NOP, EV_ADD, EV_LOG };

static bool do_transaction(const struct jval *req, struct sb *out)
{
    long long id;
    if (!get_int(req, "listener", &id))
        return false;
    struct listener *l = listener_find(id, NULL);
    if (!l) {
        set_err("no listener %lld", id);
        return false;
    }
    const struct jval *events = jget(req, "events");
    if (!events || events->t != J_ARR) {
        set_err("field \"events\" should be an array");
        return false;
    }
    /* Validate every event before touching the view, so a bad request changes nothing. */
    enum evkind *kinds = xcalloc(events->n, sizeof *kinds);
    struct sect *sects = xcalloc(events->n, sizeof *sects);
    for (size_t i = 0; i < events->n; i++) {
        const struct jval *e = events->items[i];
        const char *name;
        if (!get_str(e, "event", &name)) {
            set_err("event %zu should be an object with an \"event\" name", i);
            goto fail;
        }
        if (strcmp(name, "begin") == 0)
            kinds[i] = EV_BEGIN;
        else if (strcmp(name, "commit") == 0)
            kinds[i] = EV_COMMIT;
        else if (strcmp(name, "region_del") == 0)
            kinds[i] = EV_DEL;
        else if (strcmp(name, "region_nop") == 0)
            kinds[i] = EV_NOP;
        else if (strcmp(name, "region_add") == 0)
            kinds[i] = EV_ADD;
        else if (strcmp(name, "log_start") == 0 || strcmp(name, "log_stop") == 0)
            kinds[i] = EV_LOG;
        else {
            set_err("unknown event \"%s\"", name);
            goto fail;
        }
        if (kinds[i] != EV_BEGIN && kinds[i] != EV_COMMIT) {
            if (!parse_section(jget(e, "section"), &sects[i])) {
                char inner[sizeof g_err];
                memcpy(inner, g_err, sizeof inner);
                set_err("event %zu (%s): %s", i, name, inner);
                goto fail;
            }
        }
    }

    sb_add(out, ",\"calls\":[");
    bool first_call = true, refused = false;
    for (size_t i = 0; i < events->n; i++) {
        switch (kinds[i]) {
        case EV_BEGIN:
            break; /* vfio_listener_begin does nothing for type1 either */
        case EV_DEL:
            view_del(l, &sects[i]);
            break;
        case EV_NOP: /* same range, possibly new dirty mask: keep the newest attributes */
        case EV_ADD:
            view_put(l, &sects[i]);
            break;
        case EV_LOG:
            break; /* dirty logging changes no translation */
        case EV_COMMIT:
            for (size_t k = 1; k < l->nview; k++)
                if (l->view[k].start <= l->view[k - 1].last) {
                    set_err("the view after this transaction has overlapping sections at 0x%" PRIx64,
                            l->view[k].start);
                    goto fail;
                }
            plan_commit(l, out, &first_call, &refused);
            break;
        }
    }
    sb_add(out, refused ? "],\"refused\":true" : "],\"refused\":false");
    free(kinds);
    free(sects);
    return true;
fail:
    free(kinds);
    free(sects);
    return false;
}

/* ============================================================================================================
 * PAGE TABLE
 *
 * A VT-d second-level style table (the "x86-64" format of docs/semantics.md 4.1): 4 levels of 4 KiB table pages
 * of 512 64-bit PTEs; level 1 holds 4 KiB leaves, levels 2 and 3 may hold 2 MiB and 1 GiB superpage leaves
 * (PS bit, DMA_PTE_LARGE_PAGE), level 4 is the top. Input addresses are 48 bits ("x86-64-5level": 5 levels, 57).
 * PTE bits as Intel's: bit 0 read, bit 1 write, bit 7 superpage, bits 12..51 the address of the page or of the
 * next table page. Behaviour follows the legacy Intel driver (drivers/iommu/intel/iommu.c) where the hello's
 * options agree with it (whole-leaf unmap), and io-pgtable-arm's EEXIST for a map over a live leaf.
 * ========================================================================================================== */

#define PTE_R UINT64_C(0x1)
#define PTE_W UINT64_C(0x2)
#define PTE_PS UINT64_C(0x80)
#define PTE_ADDR UINT64_C(0x000ffffffffff000)
#define PT_ENTRIES 512
#define PT_PAGE 4096
#define PA_LIMIT_BITS 52

struct domain {
    long long id;
    int levels; /* the top table is at this level */
    int ias;
    u64 bitmap; /* leaf sizes the domain publishes */
    u64 *root;
    u64 **pending; /* table pages unlinked by unmap, freed at the next iotlb_sync (the gather's freelist) */
    size_t npending, cappending;
};

static struct domain **g_domains;
static size_t g_ndomains, g_capdomains;

static int level_shift(int level) { return 12 + 9 * (level - 1); }

static size_t pte_index(u64 iova, int level) { return (size_t)((iova >> level_shift(level)) & (PT_ENTRIES - 1)); }

static bool pte_present(u64 e) { return (e & (PTE_R | PTE_W)) != 0; }

/* A present entry is a leaf at level 1, or with the superpage bit above it; otherwise it points at a table. */
static bool pte_is_leaf(u64 e, int level) { return level == 1 || (e & PTE_PS) != 0; }

static u64 *pte_table(u64 e) { return (u64 *)(uintptr_t)(e & PTE_ADDR); }

/* A zeroed table page (calloc semantics), page aligned so its address fits a PTE's address field exactly as a
 * real table page's physical address does (alloc_pgtable_page / iommu_alloc_page_node). */
static u64 *table_new(void)
{
    void *p = aligned_alloc(PT_PAGE, PT_PAGE);
    if (!p)
        return NULL;
    if ((uintptr_t)p & ~(uintptr_t)PTE_ADDR) {
        free(p); /* not representable in a PTE (cannot happen on x86-64 Linux user space) */
        return NULL;
    }
    memset(p, 0, PT_PAGE);
    return p;
}

static bool table_empty(const u64 *t)
{
    for (size_t i = 0; i < PT_ENTRIES; i++)
        if (t[i])
            return false;
    return true;
}

/* Frees a table page and every table below it (the leaves are just words in them). */
static void table_free_tree(u64 *t, int level)
{
    if (level > 1)
        for (size_t i = 0; i < PT_ENTRIES; i++)
            if (pte_present(t[i]) && !pte_is_leaf(t[i], level))
                table_free_tree(pte_table(t[i]), level - 1);
    free(t);
}

static void domain_pending_release(struct domain *d)
{
    for (size_t i = 0; i < d->npending; i++)
        free(d->pending[i]);
    d->npending = 0;
}

static void domain_destroy(struct domain *d)
{
    table_free_tree(d->root, d->levels);
    domain_pending_release(d);
    free(d->pending);
    free(d);
}

static struct domain *domain_find(long long id, size_t *at)
{
    for (size_t i = 0; i < g_ndomains; i++)
        if (g_domains[i]->id == id) {
            if (at)
                *at = i;
            return g_domains[i];
        }
    return NULL;
}

/*
 * Unlinks the table pages on the walk to iova that have become empty, deepest first, stopping at the first one
 * still holding an entry (dma_pte_clear_level + dma_pte_free_level; the pages go on the gather's freelist and are
 * freed only after the IOTLB sync, so a walk cached by the device cannot reach a reused page).
 */
static void prune_path(struct domain *d, u64 iova)
{
    u64 *tabs[8];
    size_t idx[8];
    int lowest = d->levels;
    u64 *t = d->root;
    for (int level = d->levels;; level--) {
        tabs[level] = t;
        idx[level] = pte_index(iova, level);
        lowest = level;
        u64 e = t[idx[level]];
        if (level == 1 || !pte_present(e) || pte_is_leaf(e, level))
            break;
        t = pte_table(e);
    }
    for (int level = lowest; level < d->levels; level++) {
        if (!table_empty(tabs[level]))
            return;
        tabs[level + 1][idx[level + 1]] = 0;
        GROW(d->pending, d->npending, d->cappending);
        d->pending[d->npending++] = tabs[level];
    }
}

/*
 * Installs one leaf of the size of `level` (the inner loop of __domain_mapping / __arm_lpae_map):
 *  - a missing table on the way is allocated (ENOMEM if that fails; the empty tables linked so far are pruned);
 *  - a live leaf on the way (a larger page holding this one) or in the slot itself answers EEXIST
 *    (io-pgtable-arm's arm_lpae_init_pte: "We require an unmap first"), changing nothing;
 *  - a superpage over a sub-table replaces it only when it is empty, and otherwise answers EADDRINUSE, as
 *    generic_pt does (the hello's "sub_table":"empty-only"). The older drivers threw the sub-table away with every
 *    leaf below it (Intel's switch_to_super_page -> dma_pte_free_pagetable); through the IOMMU core that cannot be
 *    undone when a later page of the same iommu_map fails, which is one reason generic_pt stopped doing it.
 */
static int map_one(struct domain *d, u64 iova, u64 pa, int target, u64 rights)
{
    u64 *t = d->root;
    for (int level = d->levels; level > target; level--) {
        size_t i = pte_index(iova, level);
        u64 e = t[i];
        if (!pte_present(e)) {
            u64 *child = table_new();
            if (!child) {
                prune_path(d, iova);
                return E_NOMEM;
            }
            t[i] = (u64)(uintptr_t)child | PTE_R | PTE_W; /* VT-d non-leaf entries carry R/W */
            t = child;
        } else if (pte_is_leaf(e, level)) {
            return E_EXIST;
        } else {
            t = pte_table(e);
        }
    }
    size_t i = pte_index(iova, target);
    u64 e = t[i];
    if (pte_present(e)) {
        if (pte_is_leaf(e, target))
            return E_EXIST;
        if (!table_empty(pte_table(e)))
            return E_ADDRINUSE;
        /* Nothing below it is mapped, so nothing a device could have cached goes with it. */
        table_free_tree(pte_table(e), target - 1);
    }
    t[i] = (pa & PTE_ADDR) | rights | (target > 1 ? PTE_PS : 0);
    return 0;
}

static int level_of_pgsize(u64 pgsize)
{
    switch (pgsize) {
    case UINT64_C(1) << 12: return 1;
    case UINT64_C(1) << 21: return 2;
    case UINT64_C(1) << 30: return 3;
    default: return 0;
    }
}

static bool get_domain(const struct jval *req, struct domain **d)
{
    long long id;
    if (!get_int(req, "domain", &id))
        return false;
    *d = domain_find(id, NULL);
    if (!*d) {
        set_err("no domain %lld", id);
        return false;
    }
    return true;
}

static bool do_domain_alloc(const struct jval *req, struct sb *out)
{
    (void)out;
    long long id, ias;
    const char *format;
    u64 bitmap;
    if (!get_int(req, "domain", &id) || !get_str(req, "format", &format) || !get_hex(req, "pgsize_bitmap", &bitmap)
        || !get_int(req, "ias", &ias))
        return false;
    int levels;
    if (strcmp(format, "x86-64") == 0)
        levels = 4;
    else if (strcmp(format, "x86-64-5level") == 0)
        levels = 5;
    else {
        set_err("format \"%s\" is not served (this table is x86-64)", format);
        return false;
    }
    if (ias != level_shift(levels) + 9) {
        set_err("ias %lld does not match format %s (%d bits)", ias, format, level_shift(levels) + 9);
        return false;
    }
    if (bitmap == 0 || (bitmap & ~UINT64_C(0x40201000)) != 0) {
        set_err("pgsize_bitmap 0x%" PRIx64 " is not a subset of 4K|2M|1G (0x40201000)", bitmap);
        return false;
    }
    if (domain_find(id, NULL)) {
        set_err("domain %lld already exists", id);
        return false;
    }
    struct domain *d = xcalloc(1, sizeof *d);
    d->root = table_new();
    if (!d->root) {
        free(d);
        set_err("no memory for the top table page");
        return false;
    }
    d->id = id;
    d->levels = levels;
    d->ias = (int)ias;
    d->bitmap = bitmap;
    GROW(g_domains, g_ndomains, g_capdomains);
    g_domains[g_ndomains++] = d;
    return true;
}

/* iommu_domain_ops.map_pages: pgcount pages of pgsize; the errno and the bytes mapped before any error (the
 * core, iommu_map, unmaps those on an error). */
static bool do_map_pages(const struct jval *req, struct sb *out)
{
    struct domain *d;
    u64 iova, pa, pgsize, pgcount;
    const char *prot;
    if (!get_domain(req, &d) || !get_hex(req, "iova", &iova) || !get_hex(req, "paddr", &pa)
        || !get_hex(req, "pgsize", &pgsize) || !get_hex(req, "pgcount", &pgcount) || !get_str(req, "prot", &prot))
        return false;
    u64 rights = 0;
    if (strcmp(prot, "r") == 0)
        rights = PTE_R;
    else if (strcmp(prot, "w") == 0)
        rights = PTE_W;
    else if (strcmp(prot, "rw") == 0)
        rights = PTE_R | PTE_W;
    else if (strcmp(prot, "none") != 0 && prot[0] != '\0') {
        set_err("prot \"%s\" should be r, w, rw or none", prot);
        return false;
    }
    int err = 0;
    u64 mapped = 0;
    int target = level_of_pgsize(pgsize);
    u64 limit = UINT64_C(1) << d->ias;
    if (rights == 0 || pgcount == 0 || target == 0 || !(d->bitmap & pgsize) || ((iova | pa) & (pgsize - 1)))
        err = E_INVAL;
    else if (pgcount > limit / pgsize || iova > limit - pgcount * pgsize
             || pgcount * pgsize > (UINT64_C(1) << PA_LIMIT_BITS)
             || pa > (UINT64_C(1) << PA_LIMIT_BITS) - pgcount * pgsize)
        err = E_RANGE; /* checked as differences (pgcount * pgsize <= 2^ias cannot wrap): iova + size could */
    else
        for (u64 k = 0; k < pgcount; k++) {
            err = map_one(d, iova + k * pgsize, pa + k * pgsize, target, rights);
            if (err)
                break;
            mapped += pgsize;
        }
    sb_addf(out, ",\"errno\":%d,\"mapped\":", err);
    sb_hex(out, mapped);
    return true;
}

/*
 * iommu_domain_ops.unmap_pages with the whole-leaf policy of the legacy Intel driver (intel_iommu_unmap: "Cope
 * with horrid API which requires us to unmap more than the size argument if it happens to be a large-page
 * mapping"): from iova on, every leaf met goes whole, even one the request only touches, and the call reports
 * every byte it removed, so the core (__iommu_unmap) moves on past the leaf. A hole stops it. The gather
 * (iommu_iotlb_gather_add_page) must then cover the whole leaves that went: the device may have cached any page
 * of them, including the ones the caller never asked to remove (CVE-2026-31735).
 */
static bool do_unmap_pages(const struct jval *req, struct sb *out)
{
    struct domain *d;
    u64 iova, pgsize, pgcount;
    if (!get_domain(req, &d) || !get_hex(req, "iova", &iova) || !get_hex(req, "pgsize", &pgsize)
        || !get_hex(req, "pgcount", &pgcount))
        return false;
    u64 limit = UINT64_C(1) << d->ias;
    u64 done = 0;
    bool gathered = false;
    u64 gfirst = 0, glast = 0;
    bool ok = pgcount > 0 && level_of_pgsize(pgsize) != 0 && (iova & (pgsize - 1)) == 0 && iova < limit
              && pgcount <= (limit - iova) / pgsize;
    u64 size = ok ? pgsize * pgcount : 0;
    u64 req_last = ok ? iova + size - 1 : 0;
    u64 pos = iova;
    while (ok && done < size && pos < limit) {
        /* pfn_to_dma_pte without allocation: find the leaf holding pos, remembering the path. */
        u64 *t = d->root;
        int level = d->levels;
        u64 e;
        for (;;) {
            e = t[pte_index(pos, level)];
            if (!pte_present(e) || pte_is_leaf(e, level))
                break;
            t = pte_table(e);
            level--;
        }
        if (!pte_present(e))
            break; /* a hole: report what went so far (0 if nothing) */
        u64 span = UINT64_C(1) << level_shift(level);
        u64 leaf_first = pos & ~(span - 1);
        u64 leaf_last = leaf_first + (span - 1);
        t[pte_index(pos, level)] = 0;
        prune_path(d, pos);
        u64 add_first, add_last;
#ifndef TWIN
        add_first = leaf_first, add_last = leaf_last; /* the whole leaf that went */
#else
        add_first = pos, add_last = leaf_last < req_last ? leaf_last : req_last; /* TWIN bug: the request only */
#endif
        (void)req_last;
        if (!gathered) {
            gfirst = add_first;
            glast = add_last;
            gathered = true;
        } else {
            if (add_first < gfirst)
                gfirst = add_first;
            if (add_last > glast)
                glast = add_last;
        }
        done += span;
        pos += span; /* as the core steps by what is reported: from inside a leaf this lands past its end */
    }
    sb_add(out, ",\"unmapped\":");
    sb_hex(out, done);
    if (gathered) {
        sb_add(out, ",\"gather\":{\"start\":");
        sb_hex(out, gfirst);
        sb_add(out, ",\"last\":");
        sb_hex(out, glast);
        sb_add(out, "}");
    } else {
        sb_add(out, ",\"gather\":null");
    }
    return true;
}

/* iommu_domain_ops.iova_to_phys (intel_iommu_iova_to_phys): the walk, not the IOTLB; plus the leaf's rights. */
static bool do_iova_to_phys(const struct jval *req, struct sb *out)
{
    struct domain *d;
    u64 iova;
    if (!get_domain(req, &d) || !get_hex(req, "iova", &iova))
        return false;
    if (iova < (UINT64_C(1) << d->ias)) {
        u64 *t = d->root;
        for (int level = d->levels;; level--) {
            u64 e = t[pte_index(iova, level)];
            if (!pte_present(e))
                break;
            if (pte_is_leaf(e, level)) {
                u64 span = UINT64_C(1) << level_shift(level);
                sb_add(out, ",\"phys\":");
                sb_hex(out, (e & PTE_ADDR & ~(span - 1)) + (iova & (span - 1)));
                sb_add(out, (e & PTE_R) && (e & PTE_W) ? ",\"prot\":\"rw\"" : (e & PTE_R) ? ",\"prot\":\"r\"" : ",\"prot\":\"w\"");
                return true;
            }
            t = pte_table(e);
        }
    }
    sb_add(out, ",\"phys\":null");
    return true;
}

/* iommu_domain_ops.iotlb_sync: verify owns the IOTLB and invalidates the gather itself; the driver's part is
 * what intel_iommu_tlb_sync does after the flush: free the table pages the unmaps put on the freelist. */
static bool do_iotlb_sync(const struct jval *req, struct sb *out)
{
    (void)out;
    struct domain *d;
    if (!get_domain(req, &d))
        return false;
    const struct jval *g = jget(req, "gather");
    if (g && g->t != J_OBJ && g->t != J_NULL) {
        set_err("field \"gather\" should be an object or null");
        return false;
    }
    domain_pending_release(d);
    return true;
}

/* ============================================================================================================
 * The conversation
 * ========================================================================================================== */

static void reset_all(void)
{
    for (size_t i = 0; i < g_nlisteners; i++)
        listener_free(g_listeners[i]);
    g_nlisteners = 0;
    for (size_t i = 0; i < g_ndomains; i++)
        domain_destroy(g_domains[i]);
    g_ndomains = 0;
}

static void write_line(struct sb *s)
{
    sb_add(s, "\n");
    fwrite(s->b, 1, s->n, stdout);
    fflush(stdout);
}

static void answer_error(bool have_id, long long id, const char *msg)
{
    struct sb s = {0};
    if (have_id)
        sb_addf(&s, "{\"id\":%lld,\"error\":", id);
    else
        sb_add(&s, "{\"id\":null,\"error\":");
    sb_str(&s, msg);
    sb_add(&s, "}");
    write_line(&s);
    free(s.b);
}

/* For a line that is not JSON: the id anyway when the line starts like a request ({"id":N, ...), so the answer
 * can still name it; false otherwise. */
static bool salvage_id(const char *p, size_t len, long long *id)
{
    const char *e = p + len;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= e || *p++ != '{')
        return false;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    if (e - p < 4 || memcmp(p, "\"id\"", 4) != 0)
        return false;
    p += 4;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= e || *p++ != ':')
        return false;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    long long v = 0;
    const char *digits = p;
    while (p < e && *p >= '0' && *p <= '9' && p - digits < 18)
        v = v * 10 + (*p++ - '0');
    if (p == digits || (p < e && *p >= '0' && *p <= '9'))
        return false;
    *id = v;
    return true;
}

/* Returns false when the conversation is over (shutdown). */
static bool handle_line(const char *line, size_t len)
{
    const char *perr;
    struct jval *req = jparse(line, len, &perr);
    if (!req) {
        long long sid = 0;
        bool have = salvage_id(line, len, &sid);
        set_err("not JSON: %s", perr);
        answer_error(have, sid, g_err);
        return true;
    }
    long long id;
    const char *call;
    if (req->t != J_OBJ) {
        answer_error(false, 0, "a request should be a JSON object");
        jfree(req);
        return true;
    }
    if (!get_int(req, "id", &id)) {
        answer_error(false, 0, g_err);
        jfree(req);
        return true;
    }
    if (!get_str(req, "call", &call)) {
        answer_error(true, id, g_err);
        jfree(req);
        return true;
    }
    struct sb out = {0};
    sb_addf(&out, "{\"id\":%lld", id);
    bool ok, more = true;
    g_err[0] = '\0';
    if (strcmp(call, "reset") == 0) {
        reset_all();
        ok = true;
    } else if (strcmp(call, "shutdown") == 0) {
        ok = true;
        more = false;
    } else if (strcmp(call, "listener_create") == 0)
        ok = do_listener_create(req, &out);
    else if (strcmp(call, "transaction") == 0)
        ok = do_transaction(req, &out);
    else if (strcmp(call, "listener_destroy") == 0)
        ok = do_listener_destroy(req, &out);
    else if (strcmp(call, "domain_alloc") == 0)
        ok = do_domain_alloc(req, &out);
    else if (strcmp(call, "map_pages") == 0)
        ok = do_map_pages(req, &out);
    else if (strcmp(call, "unmap_pages") == 0)
        ok = do_unmap_pages(req, &out);
    else if (strcmp(call, "iova_to_phys") == 0)
        ok = do_iova_to_phys(req, &out);
    else if (strcmp(call, "iotlb_sync") == 0)
        ok = do_iotlb_sync(req, &out);
    else {
        set_err("unknown call \"%s\" (this child serves listener and page-table)", call);
        ok = false;
    }
    if (ok) {
        sb_add(&out, "}");
        write_line(&out);
    } else {
        answer_error(true, id, g_err[0] ? g_err : "request refused");
    }
    free(out.b);
    jfree(req);
    return more;
}

/* Reads one line of any length; false at end of input with nothing read. */
static bool read_line(FILE *in, char **buf, size_t *cap, size_t *len)
{
    size_t n = 0;
    int c;
    bool any = false;
    while ((c = getc(in)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (n + 1 >= *cap) {
            *cap = *cap ? *cap * 2 : 4096;
            *buf = xrealloc(*buf, *cap);
        }
        (*buf)[n++] = (char)c;
    }
    if (!any)
        return false;
    if (n > 0 && (*buf)[n - 1] == '\r')
        n--;
    if (!*buf) {
        *cap = 1;
        *buf = xrealloc(NULL, 1);
    }
    *len = n;
    return true;
}

int main(void)
{
    fputs("{\"protocol\":\"dmaverify-impl\",\"version\":1,\"name\":\"c example\",\"implements\":[\"listener\",\"page-table\"],"
          "\"page_table\":{\"format\":\"x86-64\",\"split\":\"whole-leaf\",\"live_leaf\":\"eexist\",\"sub_table\":\"empty-only\"}}\n",
          stdout);
    fflush(stdout);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    while (read_line(stdin, &buf, &cap, &len)) {
        size_t k = 0;
        while (k < len && (buf[k] == ' ' || buf[k] == '\t'))
            k++;
        if (k == len)
            continue; /* a blank line is no request */
        if (!handle_line(buf, len))
            break;
    }
    free(buf);
    reset_all();
    free(g_listeners);
    free(g_domains);
    return 0;
}
