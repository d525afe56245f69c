/* pprof_read.h - small reader and validator for pprof profiles (gzipped profile.proto);
 * part of pprof.h, used by its tests and by tools/pbdump.c.
 *
 * STB-style single header: every includer gets the declarations; exactly one C or C++ file does
 *     #define PPROF_READ_IMPLEMENTATION
 *     #include "pprof_read.h"
 * Input is raw protobuf or gzip. Stored deflate blocks are decoded here; compressed blocks need
 * -DPRD_USE_ZLIB and -lz. The gzip CRC-32 and ISIZE are always checked here. All data is copied
 * into the prd_profile, nothing points into the caller's buffer.
 */
#ifndef PPROF_READ_H
#define PPROF_READ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct prd_valuetype { int64_t type, unit; } prd_valuetype;          /* string indices */
typedef struct prd_label { int64_t key, str, num, num_unit; } prd_label;
typedef struct prd_sample {
    uint64_t *location_id; int nlocation;   /* leaf first */
    int64_t *value; int nvalue;
    prd_label *label; int nlabel;
} prd_sample;
typedef struct prd_mapping {
    uint64_t id, memory_start, memory_limit, file_offset;
    int64_t filename, build_id;
    int has_functions, has_filenames, has_line_numbers, has_inline_frames;
} prd_mapping;
typedef struct prd_line { uint64_t function_id; int64_t line; } prd_line;
typedef struct prd_location {
    uint64_t id, mapping_id, address;
    prd_line *line; int nline;              /* line[0] innermost inlined, last = physical frame */
    int is_folded;
} prd_location;
typedef struct prd_function {
    uint64_t id;
    int64_t name, system_name, filename, start_line;
} prd_function;
typedef struct prd_profile {
    prd_valuetype *sample_type; int nsample_type;
    prd_sample *sample; int nsample;
    prd_mapping *mapping; int nmapping;
    prd_location *location; int nlocation;
    prd_function *function; int nfunction;
    char **string; int nstring;             /* NUL-terminated copies */
    int64_t drop_frames, keep_frames, time_nanos, duration_nanos, period, default_sample_type;
    int ntime_nanos;                        /* time_nanos fields seen (must be <= 1) */
    prd_valuetype period_type;
    int64_t *comment; int ncomment;
    int was_gzip, gzip_stored_only;         /* framing facts, for tests */
    char err[256];                          /* message when a call fails */
} prd_profile;

/* Parse a whole profile; p need not be initialised. 0 ok, -1 error (message in p->err, p then
 * holds no data but prd_free is still safe). */
int prd_parse_mem(const unsigned char *buf, size_t n, prd_profile *p);
int prd_parse_file(const char *path, prd_profile *p);     /* "-" reads stdin */
/* The spec's REQUIRED validity rules; 0 when valid, else -1 and the first violation in err. */
int prd_validate(const prd_profile *p, char *err, size_t errlen);
void prd_free(prd_profile *p);

const char *prd_str(const prd_profile *p, int64_t idx);                 /* "" when out of range */
const prd_location *prd_loc(const prd_profile *p, uint64_t id);          /* NULL if absent */
const prd_function *prd_func(const prd_profile *p, uint64_t id);         /* NULL if absent */
/* Name of the function of the LAST line (the physical frame); NULL without line or function. */
const char *prd_loc_name(const prd_profile *p, const prd_location *l);
int prd_sample_type_index(const prd_profile *p, const char *type);      /* -1 if absent */
/* CRC-32 (IEEE, as in gzip) of n bytes, continuing from crc (start with 0). */
uint32_t prd_crc32(uint32_t crc, const void *data, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* PPROF_READ_H */

#if defined(PPROF_READ_IMPLEMENTATION) && !defined(PPROF_READ_IMPLEMENTED)
#define PPROF_READ_IMPLEMENTED

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef PRD_USE_ZLIB
#include <zlib.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PRD__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PRD__PRINTF(f, a)
#endif

typedef unsigned long long prd__ull;

/* formats the message into err and returns -1, so that errors are one statement */
static int prd__bad(char *err, size_t len, const char *fmt, ...) PRD__PRINTF(3, 4);
static int prd__bad(char *err, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && len) vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}
#define PRD__FAIL(p, ...) prd__bad((p)->err, sizeof (p)->err, __VA_ARGS__)

uint32_t prd_crc32(uint32_t crc, const void *data, size_t n) {
    /* nibble table for the reflected polynomial 0xEDB88320: small and needs no init */
    static const uint32_t t[16] = {
        0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
        0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
        0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu};
    const unsigned char *s = (const unsigned char *)data;
    crc = ~crc;
    for (; n > 0; n--) {
        crc ^= *s++;
        crc = (crc >> 4) ^ t[crc & 15];
        crc = (crc >> 4) ^ t[crc & 15];
    }
    return ~crc;
}

/* ---- gzip ---------------------------------------------------------------------------- */

typedef struct prd__buf { unsigned char *d; size_t n, cap; } prd__buf;

static int prd__reserve(prd__buf *b, size_t extra) {
    size_t cap = b->cap ? b->cap : 4096;
    unsigned char *nd;
    if (extra > (size_t)-1 / 2 - b->n) return -1;
    while (cap - b->n < extra) cap *= 2;
    if (cap == b->cap) return 0;
    nd = (unsigned char *)realloc(b->d, cap);
    if (!nd) return -1;
    b->d = nd;
    b->cap = cap;
    return 0;
}

static uint32_t prd__le32(const unsigned char *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* t = the 8-byte trailer at offset at; data = this member's output */
static int prd__trailer(prd_profile *p, const unsigned char *t, size_t at,
                        const unsigned char *data, size_t len) {
    uint32_t want = prd__le32(t), got = prd_crc32(0, data, len), isize = prd__le32(t + 4);
    if (want != got)
        return PRD__FAIL(p, "gzip CRC-32 mismatch at offset %llu: trailer %08lx, data %08lx",
                         (prd__ull)at, (unsigned long)want, (unsigned long)got);
    if (isize != (uint32_t)len)
        return PRD__FAIL(p, "gzip ISIZE mismatch at offset %llu: trailer %lu, data %llu bytes",
                         (prd__ull)(at + 4), (unsigned long)isize, (prd__ull)len);
    return 0;
}

#ifdef PRD_USE_ZLIB
/* Whole member through zlib; the trailer is checked again by us for uniform behaviour. */
static int prd__zmember(prd_profile *p, const unsigned char *b, size_t n, size_t at,
                        prd__buf *out, size_t *used) {
    z_stream z;
    size_t o0 = out->n;
    int rc;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return PRD__FAIL(p, "zlib: inflateInit2 failed");
    z.next_in = (Bytef *)(b + at);      /* zlib does not write through next_in */
    z.avail_in = (uInt)(n - at > UINT_MAX ? UINT_MAX : n - at);
    for (;;) {
        if (prd__reserve(out, 65536)) {
            inflateEnd(&z);
            return PRD__FAIL(p, "out of memory");
        }
        z.next_out = out->d + out->n;
        z.avail_out = (uInt)(out->cap - out->n > UINT_MAX ? UINT_MAX : out->cap - out->n);
        rc = inflate(&z, Z_NO_FLUSH);
        out->n = (size_t)(z.next_out - out->d);
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK) {
            const char *m = rc == Z_BUF_ERROR ? "truncated deflate data" : z.msg ? z.msg : "error";
            PRD__FAIL(p, "gzip member at offset %llu: %szlib: %s", (prd__ull)at,
                      strstr(m, "data check") ? "CRC-32 mismatch, " :
                      strstr(m, "length check") ? "ISIZE mismatch, " : "", m);
            inflateEnd(&z);
            return -1;
        }
    }
    *used = (size_t)z.total_in;
    inflateEnd(&z);
    if (*used < 18) return PRD__FAIL(p, "gzip member at offset %llu too short", (prd__ull)at);
    return prd__trailer(p, b + at + *used - 8, at + *used - 8, out->d + o0, out->n - o0);
}
#endif

/* One gzip member starting at b[at]; appends its data to out, sets *used. */
static int prd__member(prd_profile *p, const unsigned char *b, size_t n, size_t at,
                       prd__buf *out, size_t *used, int *stored) {
    size_t pos = at + 10, o0 = out->n, len;
    unsigned flg, hcrc;
    if (n - at < 2 || b[at] != 0x1f || b[at + 1] != 0x8b)
        return PRD__FAIL(p, "offset %llu: %llu trailing bytes are not a gzip member", (prd__ull)at,
                         (prd__ull)(n - at));
    if (n - at < 18) return PRD__FAIL(p, "gzip member at offset %llu: truncated", (prd__ull)at);
    if (b[at + 2] != 8)
        return PRD__FAIL(p, "gzip compression method %u is not deflate (8)", b[at + 2]);
    flg = b[at + 3];
    if (flg & 0xe0) return PRD__FAIL(p, "gzip header has reserved flag bits 0x%02x", flg);
    if (flg & 4) {                      /* FEXTRA: 2-byte length, then that many bytes */
        if (n - pos < 2) goto trunc;
        len = (size_t)b[pos] | (size_t)b[pos + 1] << 8;
        pos += 2;
        if (n - pos < len) goto trunc;
        pos += len;
    }
    if (flg & 8) {                      /* FNAME, NUL-terminated */
        while (pos < n && b[pos]) pos++;
        if (pos++ >= n) goto trunc;
    }
    if (flg & 16) {                     /* FCOMMENT, NUL-terminated */
        while (pos < n && b[pos]) pos++;
        if (pos++ >= n) goto trunc;
    }
    if (flg & 2) {                      /* FHCRC: low 16 bits of the header's CRC-32 */
        if (n - pos < 2) goto trunc;
        hcrc = (unsigned)b[pos] | (unsigned)b[pos + 1] << 8;
        if ((prd_crc32(0, b + at, pos - at) & 0xffff) != hcrc)
            return PRD__FAIL(p, "gzip header CRC mismatch at offset %llu", (prd__ull)pos);
        pos += 2;
    }
    for (;;) {
        unsigned hdr, nlen, btype;
        if (pos >= n) goto trunc;
        hdr = b[pos];
        btype = (hdr >> 1) & 3;
        if (btype == 3)
            return PRD__FAIL(p, "invalid deflate block type 3 at offset %llu", (prd__ull)pos);
        if (btype != 0) {
#ifdef PRD_USE_ZLIB
            out->n = o0;
            *stored = 0;
            return prd__zmember(p, b, n, at, out, used);
#else
            (void)stored;
            return PRD__FAIL(p, "compressed deflate data needs PRD_USE_ZLIB "
                             "(block at offset %llu)", (prd__ull)pos);
#endif
        }
        /* stored block: all previous blocks were stored, so this one starts on a byte */
        if (n - pos < 5) goto trunc;
        len = (size_t)b[pos + 1] | (size_t)b[pos + 2] << 8;
        nlen = (unsigned)b[pos + 3] | (unsigned)b[pos + 4] << 8;
        if (nlen != (~len & 0xffffu))
            return PRD__FAIL(p, "stored block at offset %llu: NLEN %04x is not ~LEN (LEN %04x)",
                             (prd__ull)pos, nlen, (unsigned)len);
        pos += 5;
        if (n - pos < len) goto trunc;
        if (len && prd__reserve(out, len)) return PRD__FAIL(p, "out of memory");
        if (len) memcpy(out->d + out->n, b + pos, len);
        out->n += len;
        pos += len;
        if (hdr & 1) break;
    }
    if (n - pos < 8) goto trunc;
    *used = pos + 8 - at;
    return prd__trailer(p, b + pos, pos, out->d + o0, out->n - o0);
trunc:
    return PRD__FAIL(p, "gzip data truncated at offset %llu (input is %llu bytes)",
                     (prd__ull)(pos < n ? pos : n), (prd__ull)n);
}

/* ---- protobuf ------------------------------------------------------------------------ */

typedef struct prd__rd {
    const unsigned char *b;
    size_t pos, end;        /* absolute offsets; end = end of the current message */
    size_t keyat;           /* offset of the last key, for messages */
    int field, oom;
    prd_profile *p;
} prd__rd;

/* two's complement, without the implementation-defined cast of large values */
static int64_t prd__s64(uint64_t v) {
    return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

static int prd__varint(prd__rd *r, uint64_t *out) {
    uint64_t v = 0;
    size_t at = r->pos;
    int i;
    for (i = 0; i < 10; i++) {
        unsigned c;
        if (r->pos >= r->end)
            return PRD__FAIL(r->p, "truncated varint at offset %llu", (prd__ull)at);
        c = r->b[r->pos++];
        if (i == 9 && (c & 0x80))
            return PRD__FAIL(r->p, "varint longer than 10 bytes at offset %llu", (prd__ull)at);
        if (i == 9 && c > 1)
            return PRD__FAIL(r->p, "varint overflows 64 bits at offset %llu", (prd__ull)at);
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) break;
    }
    *out = v;
    return 0;
}

static int prd__key(prd__rd *r, int *wt) {
    uint64_t k;
    r->keyat = r->pos;
    if (prd__varint(r, &k)) return -1;
    if ((k >> 3) == 0 || (k >> 3) > 0x1fffffff)
        return PRD__FAIL(r->p, "bad field number %llu at offset %llu", (prd__ull)(k >> 3),
                         (prd__ull)r->keyat);
    r->field = (int)(k >> 3);
    *wt = (int)(k & 7);
    return 0;
}

static int prd__wrongwt(prd__rd *r, int wt, int want) {
    return PRD__FAIL(r->p, "field %d at offset %llu: wire type %d, expected %d", r->field,
                     (prd__ull)r->keyat, wt, want);
}

/* length-delimited payload: checks the bound, leaves pos at its start, sets *end */
static int prd__len(prd__rd *r, int wt, size_t *end) {
    uint64_t n;
    size_t at = r->pos;
    if (wt != 2) return prd__wrongwt(r, wt, 2);
    if (prd__varint(r, &n)) return -1;
    if (n > r->end - r->pos)
        return PRD__FAIL(r->p, "length %llu at offset %llu runs past the end (%llu bytes left)",
                         (prd__ull)n, (prd__ull)at, (prd__ull)(r->end - r->pos));
    *end = r->pos + (size_t)n;
    return 0;
}

static int prd__int(prd__rd *r, int wt, uint64_t *v) {
    if (wt != 0) return prd__wrongwt(r, wt, 0);
    return prd__varint(r, v);
}

static int prd__skip(prd__rd *r, int wt) {
    uint64_t v;
    size_t e = 0;
    switch (wt) {
    case 0: return prd__varint(r, &v);
    case 1: case 5:
        e = wt == 1 ? 8 : 4;
        if (r->end - r->pos < e)
            return PRD__FAIL(r->p, "truncated fixed%d field at offset %llu", (int)e * 8,
                             (prd__ull)r->pos);
        r->pos += e;
        return 0;
    case 2:
        if (prd__len(r, wt, &e)) return -1;
        r->pos = e;
        return 0;
    default:
        return PRD__FAIL(r->p, "unsupported wire type %d (field %d) at offset %llu", wt, r->field,
                         (prd__ull)r->keyat);
    }
}

/* Room for element n (zeroed) when capacity, implied by n, is full: capacity is n exactly
 * when n is 0 or a power of two. On failure arr is returned unchanged and r->oom set. */
static void *prd__grow(prd__rd *r, void *arr, int n, size_t sz) {
    if ((n & (n - 1)) == 0) {
        void *na = n < INT_MAX / 2 ? realloc(arr, sz * (size_t)(n ? 2 * n : 1)) : NULL;
        if (!na) {
            r->oom = 1;
            PRD__FAIL(r->p, "out of memory at offset %llu", (prd__ull)r->pos);
            return arr;
        }
        arr = na;
    }
    memset((char *)arr + sz * (size_t)n, 0, sz);
    return arr;
}

/* pointer to a new zeroed element of arr, or NULL on failure */
#define PRD__PUSH(r, T, arr, n) \
    ((arr) = (T *)prd__grow((r), (arr), (n), sizeof(T)), (r)->oom ? (T *)0 : &(arr)[(n)++])

/* repeated scalar: one varint (wire type 0) or a packed run (wire type 2), which bounds
 * the reader so that a varint cannot run past the run */
#define PRD__REP(r, wt, T, arr, n) do { \
        size_t e_ = 0, outer_ = (r)->end; int one_ = (wt) == 0; uint64_t v_; T *slot_; \
        if (!one_ && prd__len((r), (wt), &e_)) return -1; \
        if (!one_) (r)->end = e_; \
        while (one_ || (r)->pos < e_) { \
            if (prd__varint((r), &v_) || !(slot_ = PRD__PUSH((r), T, arr, n))) return -1; \
            *slot_ = (T)prd__s64(v_); \
            one_ = 0; \
        } \
        (r)->end = outer_; \
    } while (0)

/* a message whose fields 1..nf are all varints: into v[1..nf], others skipped */
static int prd__flat(prd__rd *r, int wt, uint64_t *v, int nf) {
    size_t outer = r->end, end = 0;
    if (prd__len(r, wt, &end)) return -1;
    r->end = end;
    while (r->pos < r->end) {
        if (prd__key(r, &wt)) return -1;
        if (r->field <= nf ? prd__int(r, wt, &v[r->field]) : prd__skip(r, wt)) return -1;
    }
    r->end = outer;
    return 0;
}

static int prd__valuetype(prd__rd *r, int wt, prd_valuetype *vt) {
    uint64_t v[3] = {0, 0, 0};
    if (prd__flat(r, wt, v, 2)) return -1;
    vt->type = prd__s64(v[1]);
    vt->unit = prd__s64(v[2]);
    return 0;
}

static int prd__sample(prd__rd *r, prd_sample *s) {
    int wt = 0;
    while (r->pos < r->end) {
        if (prd__key(r, &wt)) return -1;
        if (r->field == 1) {
            PRD__REP(r, wt, uint64_t, s->location_id, s->nlocation);
        } else if (r->field == 2) {
            PRD__REP(r, wt, int64_t, s->value, s->nvalue);
        } else if (r->field == 3) {
            uint64_t v[5] = {0, 0, 0, 0, 0};
            prd_label *l = PRD__PUSH(r, prd_label, s->label, s->nlabel);
            if (!l || prd__flat(r, wt, v, 4)) return -1;
            l->key = prd__s64(v[1]);
            l->str = prd__s64(v[2]);
            l->num = prd__s64(v[3]);
            l->num_unit = prd__s64(v[4]);
        } else if (prd__skip(r, wt)) {
            return -1;
        }
    }
    return 0;
}

static int prd__location(prd__rd *r, prd_location *l) {
    int wt = 0;
    uint64_t v;
    while (r->pos < r->end) {
        if (prd__key(r, &wt)) return -1;
        if (r->field == 4) {
            uint64_t lv[3] = {0, 0, 0};   /* Line: function_id, line; column (3) skipped */
            prd_line *ln = PRD__PUSH(r, prd_line, l->line, l->nline);
            if (!ln || prd__flat(r, wt, lv, 2)) return -1;
            ln->function_id = lv[1];
            ln->line = prd__s64(lv[2]);
        } else if (r->field <= 5) {
            if (prd__int(r, wt, &v)) return -1;
            if (r->field == 1) l->id = v;
            else if (r->field == 2) l->mapping_id = v;
            else if (r->field == 3) l->address = v;
            else l->is_folded = v != 0;
        } else if (prd__skip(r, wt)) {
            return -1;
        }
    }
    return 0;
}

/* a sub-message parsed by fn(r, elem) */
#define PRD__SUB(r, wt, fn, elem) do { \
        size_t outer_ = (r)->end, end_ = 0; \
        if (prd__len((r), (wt), &end_)) return -1; \
        (r)->end = end_; \
        if (fn((r), (elem))) return -1; \
        (r)->end = outer_; \
    } while (0)

static int prd__profile(prd__rd *r) {
    prd_profile *p = r->p;
    int wt = 0;
    uint64_t v[11];
    while (r->pos < r->end) {
        if (prd__key(r, &wt)) return -1;
        memset(v, 0, sizeof v);
        switch (r->field) {
        case 1: {
            prd_valuetype *vt = PRD__PUSH(r, prd_valuetype, p->sample_type, p->nsample_type);
            if (!vt || prd__valuetype(r, wt, vt)) return -1;
            break;
        }
        case 2: {
            prd_sample *s = PRD__PUSH(r, prd_sample, p->sample, p->nsample);
            if (!s) return -1;
            PRD__SUB(r, wt, prd__sample, s);
            break;
        }
        case 3: {
            prd_mapping *m = PRD__PUSH(r, prd_mapping, p->mapping, p->nmapping);
            if (!m || prd__flat(r, wt, v, 10)) return -1;
            m->id = v[1];
            m->memory_start = v[2];
            m->memory_limit = v[3];
            m->file_offset = v[4];
            m->filename = prd__s64(v[5]);
            m->build_id = prd__s64(v[6]);
            m->has_functions = v[7] != 0;
            m->has_filenames = v[8] != 0;
            m->has_line_numbers = v[9] != 0;
            m->has_inline_frames = v[10] != 0;
            break;
        }
        case 4: {
            prd_location *l = PRD__PUSH(r, prd_location, p->location, p->nlocation);
            if (!l) return -1;
            PRD__SUB(r, wt, prd__location, l);
            break;
        }
        case 5: {
            prd_function *f = PRD__PUSH(r, prd_function, p->function, p->nfunction);
            if (!f || prd__flat(r, wt, v, 5)) return -1;
            f->id = v[1];
            f->name = prd__s64(v[2]);
            f->system_name = prd__s64(v[3]);
            f->filename = prd__s64(v[4]);
            f->start_line = prd__s64(v[5]);
            break;
        }
        case 6: {
            size_t end = 0;
            char **sp;
            if (prd__len(r, wt, &end) || !(sp = PRD__PUSH(r, char *, p->string, p->nstring)))
                return -1;
            if (!(*sp = (char *)malloc(end - r->pos + 1)))
                return PRD__FAIL(p, "out of memory at offset %llu", (prd__ull)r->pos);
            memcpy(*sp, r->b + r->pos, end - r->pos);
            (*sp)[end - r->pos] = '\0';
            r->pos = end;
            break;
        }
        case 7: case 8: case 9: case 10: case 12: case 14: {
            int64_t x;
            if (prd__int(r, wt, &v[0])) return -1;
            x = prd__s64(v[0]);
            switch (r->field) {
            case 7: p->drop_frames = x; break;
            case 8: p->keep_frames = x; break;
            case 9: p->time_nanos = x; p->ntime_nanos++; break;
            case 10: p->duration_nanos = x; break;
            case 12: p->period = x; break;
            default: p->default_sample_type = x; break;
            }
            break;
        }
        case 11:
            if (prd__valuetype(r, wt, &p->period_type)) return -1;
            break;
        case 13:
            PRD__REP(r, wt, int64_t, p->comment, p->ncomment);
            break;
        default:
            if (prd__skip(r, wt)) return -1;
        }
    }
    return 0;
}

/* ---- public -------------------------------------------------------------------------- */

void prd_free(prd_profile *p) {
    int i;
    if (!p) return;
    for (i = 0; i < p->nsample; i++) {
        free(p->sample[i].location_id);
        free(p->sample[i].value);
        free(p->sample[i].label);
    }
    for (i = 0; i < p->nlocation; i++) free(p->location[i].line);
    for (i = 0; i < p->nstring; i++) free(p->string[i]);
    free(p->sample_type);
    free(p->sample);
    free(p->mapping);
    free(p->location);
    free(p->function);
    free(p->string);
    free(p->comment);
    memset(p, 0, sizeof *p);
}

int prd_parse_mem(const unsigned char *buf, size_t n, prd_profile *p) {
    prd__buf out;
    prd__rd r;
    int rc;
    memset(p, 0, sizeof *p);
    memset(&out, 0, sizeof out);
    memset(&r, 0, sizeof r);
    r.p = p;
    if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        size_t at = 0, used = 0;
        int stored = 1;
        p->was_gzip = 1;
        if (prd__reserve(&out, 1)) return PRD__FAIL(p, "out of memory");  /* d never NULL */
        while (at < n) {                /* concatenated members, as Go's reader accepts */
            if (prd__member(p, buf, n, at, &out, &used, &stored)) {
                free(out.d);
                return -1;
            }
            at += used;
        }
        p->gzip_stored_only = stored;
        buf = out.d;
        n = out.n;
    }
    r.b = buf;
    r.end = n;
    rc = n ? prd__profile(&r) : 0;
    free(out.d);
    if (rc) {                           /* keep the message, drop the partial data */
        char err[sizeof p->err];
        memcpy(err, p->err, sizeof err);
        prd_free(p);
        memcpy(p->err, err, sizeof err);
    }
    return rc;
}

int prd_parse_file(const char *path, prd_profile *p) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    unsigned char *d = NULL;
    size_t n = 0, cap = 0;
    int rc;
    memset(p, 0, sizeof *p);
    if (!f) return PRD__FAIL(p, "%s: %s", path, strerror(errno));
    for (;;) {
        size_t got;
        if (cap - n < 65536) {
            unsigned char *nd = (unsigned char *)realloc(d, cap = cap ? 2 * cap : 65536);
            if (!nd) {
                rc = PRD__FAIL(p, "%s: out of memory", path);
                goto done;
            }
            d = nd;
        }
        got = fread(d + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        rc = PRD__FAIL(p, "%s: read error", path);
        goto done;
    }
    rc = prd_parse_mem(d, n, p);
done:
    if (f != stdin) fclose(f);
    free(d);
    return rc;
}

const char *prd_str(const prd_profile *p, int64_t idx) {
    return idx >= 0 && idx < p->nstring && p->string[idx] ? p->string[idx] : "";
}

const prd_location *prd_loc(const prd_profile *p, uint64_t id) {
    int i;
    if (id >= 1 && id <= (uint64_t)p->nlocation && p->location[id - 1].id == id)
        return &p->location[id - 1];    /* the normal 1..N numbering */
    for (i = 0; i < p->nlocation; i++)
        if (p->location[i].id == id) return &p->location[i];
    return NULL;
}

const prd_function *prd_func(const prd_profile *p, uint64_t id) {
    int i;
    if (id >= 1 && id <= (uint64_t)p->nfunction && p->function[id - 1].id == id)
        return &p->function[id - 1];
    for (i = 0; i < p->nfunction; i++)
        if (p->function[i].id == id) return &p->function[i];
    return NULL;
}

const char *prd_loc_name(const prd_profile *p, const prd_location *l) {
    const prd_function *f;
    if (!l || l->nline == 0) return NULL;
    f = prd_func(p, l->line[l->nline - 1].function_id);
    return f ? prd_str(p, f->name) : NULL;
}

int prd_sample_type_index(const prd_profile *p, const char *type) {
    int i;
    for (i = 0; i < p->nsample_type; i++)
        if (strcmp(prd_str(p, p->sample_type[i].type), type) == 0) return i;
    return -1;
}

/* string index check; the location is "what[i].label[j].field" with the parts that apply */
static int prd__vs(const prd_profile *p, int64_t idx, const char *what, int i, int j,
                   const char *field, char *err, size_t len) {
    char w[96];
    if (idx >= 0 && idx < p->nstring) return 0;
    if (j >= 0) snprintf(w, sizeof w, "%s[%d].label[%d].%s", what, i, j, field);
    else if (i >= 0 && field) snprintf(w, sizeof w, "%s[%d].%s", what, i, field);
    else if (i >= 0) snprintf(w, sizeof w, "%s[%d]", what, i);
    else snprintf(w, sizeof w, "%s%s%s", what, field ? "." : "", field ? field : "");
    return prd__bad(err, len, "%s: string index %lld out of range (string_table has %d entries)",
                    w, (long long)idx, p->nstring);
}

/* ids exactly 1..N in written order: Parca checks it, Pyroscope indexes by id - 1 */
static int prd__ids(const char *what, const void *arr, size_t size, int n, char *err, size_t len) {
    int i;
    uint64_t id;
    for (i = 0; i < n; i++) {
        memcpy(&id, (const char *)arr + size * (size_t)i, sizeof id);   /* id comes first */
        if (id != (uint64_t)i + 1)
            return prd__bad(err, len, "%s[%d].id is %llu, must be %d (ids are 1..N in order)",
                            what, i, (prd__ull)id, i + 1);
    }
    return 0;
}

int prd_validate(const prd_profile *p, char *err, size_t len) {
    int i, j;
    if (err && len) err[0] = '\0';
    if (p->nstring == 0) return prd__bad(err, len, "string_table is empty (entry 0 must be \"\")");
    if (p->string[0][0])
        return prd__bad(err, len, "string_table[0] is \"%.40s\", must be \"\"", p->string[0]);
    if (p->ntime_nanos > 1)
        return prd__bad(err, len, "time_nanos appears %d times (at most once)", p->ntime_nanos);
    if (prd__ids("mapping", p->mapping, sizeof *p->mapping, p->nmapping, err, len) ||
        prd__ids("location", p->location, sizeof *p->location, p->nlocation, err, len) ||
        prd__ids("function", p->function, sizeof *p->function, p->nfunction, err, len))
        return -1;
    for (i = 0; i < p->nsample_type; i++)
        if (prd__vs(p, p->sample_type[i].type, "sample_type", i, -1, "type", err, len) ||
            prd__vs(p, p->sample_type[i].unit, "sample_type", i, -1, "unit", err, len))
            return -1;
    if (prd__vs(p, p->period_type.type, "period_type", -1, -1, "type", err, len) ||
        prd__vs(p, p->period_type.unit, "period_type", -1, -1, "unit", err, len) ||
        prd__vs(p, p->drop_frames, "drop_frames", -1, -1, NULL, err, len) ||
        prd__vs(p, p->keep_frames, "keep_frames", -1, -1, NULL, err, len) ||
        prd__vs(p, p->default_sample_type, "default_sample_type", -1, -1, NULL, err, len))
        return -1;
    for (i = 0; i < p->ncomment; i++)
        if (prd__vs(p, p->comment[i], "comment", i, -1, NULL, err, len)) return -1;
    for (i = 0; i < p->nmapping; i++)
        if (prd__vs(p, p->mapping[i].filename, "mapping", i, -1, "filename", err, len) ||
            prd__vs(p, p->mapping[i].build_id, "mapping", i, -1, "build_id", err, len))
            return -1;
    for (i = 0; i < p->nfunction; i++)
        if (prd__vs(p, p->function[i].name, "function", i, -1, "name", err, len) ||
            prd__vs(p, p->function[i].system_name, "function", i, -1, "system_name", err, len) ||
            prd__vs(p, p->function[i].filename, "function", i, -1, "filename", err, len))
            return -1;
    if (p->nsample > 0 && p->nsample_type == 0)
        return prd__bad(err, len, "profile has %d samples but no sample_type", p->nsample);
    for (i = 0; i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        if (s->nvalue != p->nsample_type)
            return prd__bad(err, len, "sample[%d] has %d values vs. %d sample types", i,
                            s->nvalue, p->nsample_type);
        for (j = 0; j < s->nlocation; j++)
            if (s->location_id[j] == 0 || s->location_id[j] > (uint64_t)p->nlocation)
                return prd__bad(err, len, "sample[%d].location_id[%d] is %llu: no such location "
                                "(%d locations)", i, j, (prd__ull)s->location_id[j], p->nlocation);
        for (j = 0; j < s->nlabel; j++) {
            const prd_label *l = &s->label[j];
            if (l->key == 0) return prd__bad(err, len, "sample[%d].label[%d].key is 0", i, j);
            if (prd__vs(p, l->key, "sample", i, j, "key", err, len) ||
                prd__vs(p, l->str, "sample", i, j, "str", err, len) ||
                prd__vs(p, l->num_unit, "sample", i, j, "num_unit", err, len))
                return -1;
        }
    }
    for (i = 0; i < p->nlocation; i++) {
        const prd_location *l = &p->location[i];
        if (l->mapping_id > (uint64_t)p->nmapping)
            return prd__bad(err, len, "location[%d].mapping_id is %llu but there are %d mappings",
                            i, (prd__ull)l->mapping_id, p->nmapping);
        for (j = 0; j < l->nline; j++)
            if (l->line[j].function_id == 0 || l->line[j].function_id > (uint64_t)p->nfunction)
                return prd__bad(err, len, "location[%d].line[%d].function_id is %llu: no such "
                                "function (%d functions)", i, j,
                                (prd__ull)l->line[j].function_id, p->nfunction);
    }
    return 0;
}

#endif /* PPROF_READ_IMPLEMENTATION */
