/* libFuzzer target: the profile writer's encoders. The input is a little program of
   pprof__pb_* calls (varint, u64, i64, bytes, nested and packed messages); what they write
   is read back by a decoder written here and must hold exactly the fields called for. Then
   pprof__gz_encode of the input, unwrapped by a gunzip written here (stored blocks) and by
   tools/pprof_read.h's; the string table (pprof__strs_add) over the input's strings, which
   in a profile come from symbol tables and /proc/self/maps; and the trace's JSON quoting of
   such names (pprof__cpu_json_str). */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#define PPROF_READ_IMPLEMENTATION
#include "../../tools/pprof_read.h"
#include "fuzz.h"

#define MAX_DEPTH 10 /* past the encoder's 8 levels: it must say so (oom), not misbehave */
#define MAX_NODES 4096
#define PAT_LEN 65536

enum { K_MSG, K_PACKED, K_SCALAR, K_BYTES, K_RAW };
typedef struct node {
    int kind;
    uint32_t field;
    uint64_t v;          /* K_SCALAR, K_RAW */
    size_t off, len;     /* K_BYTES: pat[off, off + len) */
    int first, last, next; /* children in order (-1: none) */
} node;

static node nodes[MAX_NODES];
static int nnodes;
static unsigned char pat[PAT_LEN * 2]; /* bytes payloads, from a fixed pattern */

typedef struct rd { const uint8_t *d; size_t n, at; } rd;
static uint64_t get(rd *r, int bytes) { /* little-endian; 0 past the end */
    uint64_t v = 0;
    int i;
    for (i = 0; i < bytes; i++) v |= (uint64_t)(r->at < r->n ? r->d[r->at++] : 0) << (8 * i);
    return v;
}

static int add(int parent, int kind, uint32_t field) {
    node *n = &nodes[nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->field = field;
    n->first = n->last = n->next = -1;
    if (parent >= 0) {
        if (nodes[parent].last >= 0) nodes[nodes[parent].last].next = nnodes;
        else nodes[parent].first = nnodes;
        nodes[parent].last = nnodes;
    }
    return nnodes++;
}

/* ---- the decoder: protobuf wire format, written for this check only ---- */
static uint64_t dec_varint(const unsigned char *p, size_t end, size_t *at) {
    uint64_t v = 0;
    unsigned shift = 0;
    size_t start = *at;
    for (;;) {
        unsigned char c;
        FZ_CHECK(*at < end && shift < 64);
        c = p[(*at)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
        if (!(c & 0x80)) {
            FZ_CHECK(*at - start == 1 || c != 0); /* shortest form: lengths were fixed up */
            return v;
        }
    }
}

static void check_packed(const unsigned char *p, size_t at, size_t end, const node *n) {
    int c;
    for (c = n->first; c >= 0; c = nodes[c].next) FZ_CHECK(dec_varint(p, end, &at) == nodes[c].v);
    FZ_CHECK(at == end);
}

static void check_msg(const unsigned char *p, size_t at, size_t end, const node *n) {
    int c;
    for (c = n->first; c >= 0; c = nodes[c].next) {
        const node *k = &nodes[c];
        uint64_t key = dec_varint(p, end, &at), len;
        FZ_CHECK(key >> 3 == k->field);
        FZ_CHECK((key & 7) == (k->kind == K_SCALAR ? 0u : 2u));
        if (k->kind == K_SCALAR) {
            FZ_CHECK(dec_varint(p, end, &at) == k->v);
            continue;
        }
        len = dec_varint(p, end, &at);
        FZ_CHECK(len <= end - at);
        if (k->kind == K_BYTES) FZ_CHECK(len == k->len && memcmp(p + at, pat + k->off, k->len) == 0);
        else if (k->kind == K_MSG) check_msg(p, at, at + (size_t)len, k);
        else check_packed(p, at, at + (size_t)len, k);
        at += (size_t)len;
    }
    FZ_CHECK(at == end); /* nothing but the fields called for */
}

/* Runs the program in data against b; returns the deepest nesting it opened. */
static int run_program(const uint8_t *data, size_t size, pprof__buf *b) {
    rd r;
    int stack[MAX_DEPTH + 1], depth = 0, deepest = 0;
    r.d = data;
    r.n = size;
    r.at = 0;
    nnodes = 0;
    stack[0] = add(-1, K_MSG, 0);
    while (r.at < r.n && nnodes < MAX_NODES - 1) {
        unsigned op = (unsigned)get(&r, 1);
        int cur = stack[depth], packed = nodes[cur].kind == K_PACKED;
        uint32_t field = (uint32_t)get(&r, 1);
        uint64_t v;
        /* field numbers: mostly small, some up to the largest protobuf allows */
        field = field < 0xe0 ? field % 32 + 1 : ((uint32_t)get(&r, 4) & 0x1fffffffu) | 1u;
        switch (op % 8) {
        case 0: case 1: case 6: /* a scalar: u64, i64, or a raw varint inside packed */
            v = get(&r, 1 << (op >> 3 & 3)); /* 1, 2, 4 or 8 bytes */
            if (op & 0x40) v = (uint64_t)-(int64_t)(v & 0x7fffffffffffffffull); /* negatives */
            if (packed) {
                pprof__pb_varint(b, v);
                nodes[add(cur, K_RAW, 0)].v = v;
            } else {
                if (op % 8 == 1) pprof__pb_i64(b, (int)field, (int64_t)v);
                else pprof__pb_u64(b, (int)field, v);
                if (v) nodes[add(cur, K_SCALAR, field)].v = v; /* zero is omitted */
            }
            break;
        case 2: case 7: { /* bytes: short, or up to 64 KiB (3-byte lengths in a message) */
            size_t off = (size_t)get(&r, 2), len = (size_t)get(&r, op % 8 == 7 ? 2 : 1);
            int k;
            if (packed) break;
            pprof__pb_bytes(b, (int)field, (const char *)pat + off, len);
            k = add(cur, K_BYTES, field);
            nodes[k].off = off;
            nodes[k].len = len;
            break;
        }
        case 3: case 4: /* a nested message, or a packed run */
            if (packed || depth == MAX_DEPTH) break;
            pprof__pb_open(b, (int)field);
            stack[++depth] = add(cur, op % 8 == 3 ? K_MSG : K_PACKED, field);
            if (depth > deepest) deepest = depth;
            break;
        case 5:
            if (depth > 0) {
                pprof__pb_close(b);
                depth--;
            }
            break;
        }
    }
    while (depth > 0) {
        pprof__pb_close(b);
        depth--;
    }
    return deepest;
}

static void check_program(const uint8_t *data, size_t size) {
    pprof__buf b;
    int deepest;
    memset(&b, 0, sizeof b);
    deepest = run_program(data, size, &b);
    FZ_CHECK(b.depth == 0);
    if (deepest > 8) {
        FZ_CHECK(b.oom); /* too deep for the encoder: it says so */
    } else {
        FZ_CHECK(!b.oom);
        check_msg(b.p, 0, b.len, &nodes[0]);
    }
    PPROF_FREE(b.p);
}

/* ---- gzip: a reader of stored deflate blocks, written for this check only ---- */
static uint32_t crc32_bitwise(const unsigned char *p, size_t n) {
    uint32_t c = 0xffffffffu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void check_gzip(const unsigned char *d, size_t n) {
    static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    pprof__buf gz;
    prd_profile p;
    prd__buf out;
    size_t at = sizeof hdr, got = 0, used = 0;
    int last = 0, stored = 1;
    uint32_t crc, isize;
    memset(&gz, 0, sizeof gz);
    pprof__gz_encode(&gz, d, n);
    FZ_CHECK(!gz.oom && gz.len >= sizeof hdr + 5 + 8 && memcmp(gz.p, hdr, sizeof hdr) == 0);
    while (!last) {
        size_t len;
        FZ_CHECK(gz.len - at >= 5);
        FZ_CHECK(gz.p[at] <= 1); /* BTYPE 00, BFINAL on the last, padding bits zero */
        last = gz.p[at];
        len = (size_t)gz.p[at + 1] | (size_t)gz.p[at + 2] << 8;
        FZ_CHECK(((gz.p[at + 3] | gz.p[at + 4] << 8) ^ 0xffff) == (int)len);
        FZ_CHECK(last || len == 65535); /* full blocks until the last */
        at += 5;
        FZ_CHECK(len <= gz.len - at && len <= n - got && memcmp(gz.p + at, d + got, len) == 0);
        at += len;
        got += len;
    }
    FZ_CHECK(got == n && gz.len - at == 8); /* all of it, then the trailer, then nothing */
    crc = (uint32_t)gz.p[at] | (uint32_t)gz.p[at + 1] << 8 | (uint32_t)gz.p[at + 2] << 16 |
          (uint32_t)gz.p[at + 3] << 24;
    isize = (uint32_t)gz.p[at + 4] | (uint32_t)gz.p[at + 5] << 8 | (uint32_t)gz.p[at + 6] << 16 |
            (uint32_t)gz.p[at + 7] << 24;
    FZ_CHECK(crc == crc32_bitwise(d, n) && isize == (uint32_t)n);
    /* the project's own reader agrees */
    memset(&p, 0, sizeof p);
    memset(&out, 0, sizeof out);
    FZ_CHECK(prd__reserve(&out, 1) == 0); /* as prd_parse_mem: out.d is never NULL */
    FZ_CHECK(prd__member(&p, gz.p, gz.len, 0, &out, &used, &stored) == 0);
    FZ_CHECK(used == gz.len && out.n == n && (n == 0 || memcmp(out.d, d, n) == 0));
    free(out.d);
    PPROF_FREE(gz.p);
}

/* ---- the string table: the same index for the same string, "" is 0 ---- */
static void check_strings(const uint8_t *data, size_t size) {
    pprof__strs s;
    const char *seen[256];
    char *text = fz_cstr(data, size);
    size_t at = 0, nseen = 0, i;
    memset(&s, 0, sizeof s);
    while (at <= size && nseen < 256) { /* NUL-separated strings of the input */
        const char *str = text + at;
        int64_t idx = pprof__strs_add(&s, str);
        int64_t want = -1;
        FZ_CHECK(!s.oom);
        if (!*str) want = 0;
        for (i = 0; i < nseen && want < 0; i++)
            if (strcmp(seen[i], str) == 0) want = (int64_t)i + 1;
        if (want < 0) {
            seen[nseen++] = str;
            want = (int64_t)nseen;
        }
        FZ_CHECK(idx == want && (size_t)idx < s.n && strcmp(s.arena + s.off[idx], str) == 0);
        at += strlen(str) + 1;
    }
    pprof__strs_free(&s);
    PPROF_FREE(text);
}

/* The code point of the well-formed UTF-8 sequence at s and its length in *n, or -1:
   written apart from pprof.h's check, by decoding and comparing ranges. */
static long fz_utf8(const unsigned char *s, int *n) {
    long cp;
    int len, i;
    if (s[0] < 0x80) { *n = 1; return s[0]; }
    if ((s[0] & 0xE0) == 0xC0) { len = 2; cp = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; cp = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; cp = s[0] & 0x07; }
    else return -1;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return -1;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *n = len;
    return cp;
}

/* ---- the trace's JSON strings (symbol and thread names): quoted, valid UTF-8, and read
   back the same but for each byte that is not well-formed UTF-8, which reads as U+FFFD ---- */
static void check_json(const uint8_t *data, size_t size) {
    char *s = fz_cstr(data, size);
    const unsigned char *in = (const unsigned char *)s;
    size_t i, end;
    pprof__buf b;
    memset(&b, 0, sizeof b);
    pprof__cpu_json_str(&b, s);
    FZ_CHECK(!b.oom && b.len >= 2 && b.p[0] == '"' && b.p[b.len - 1] == '"');
    end = b.len - 1; /* the closing quote */
    for (i = 1; i < end;) {
        unsigned c = b.p[i];
        int n = 1, m = 1;
        long want = fz_utf8(in, &m);
        FZ_CHECK(*in != 0);                   /* nothing more than the input */
        FZ_CHECK(c >= 0x20 && c != '"');      /* nothing that ends or breaks it */
        if (c == '\\') {
            FZ_CHECK(i + 1 < end);
            c = b.p[++i];
            if (c == 'u') {
                char hex[5];
                long got;
                FZ_CHECK(end - i > 4);
                memcpy(hex, b.p + i + 1, 4);
                hex[4] = 0;
                FZ_CHECK(strspn(hex, "0123456789abcdef") == 4);
                got = strtol(hex, NULL, 16);
                i += 5;
                if (got == 0xfffd && want != 0xfffd) { FZ_CHECK(want < 0); in += 1; continue; }
                FZ_CHECK(got == want && got < 0x20);
            } else {
                FZ_CHECK((c == '"' || c == '\\') && want == (long)c);
                i++;
            }
            in += m;
            continue;
        }
        FZ_CHECK(fz_utf8(b.p + i, &n) >= 0); /* the output itself is valid UTF-8 */
        FZ_CHECK(want >= 0 && n == m && memcmp(b.p + i, in, (size_t)n) == 0);
        i += (size_t)n;
        in += m;
    }
    FZ_CHECK(*in == 0); /* all of it */
    PPROF_FREE(b.p);
    PPROF_FREE(s);
}

/* Cases the inputs hardly reach: 4-byte lengths, many gzip blocks, a hash collision. */
static void known_answers(void) {
    static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
    static const uint8_t deep[] = {3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 0, 1, 9};
    pprof__buf b;
    pprof__strs s;
    unsigned char *big;
    size_t i, bl = (size_t)1 << 21;
    uint64_t h = 1469598103934665603ull;
    int found;
    big = (unsigned char *)malloc(bl);
    FZ_CHECK(big != NULL);
    for (i = 0; i < bl; i++) big[i] = (unsigned char)(i * 2654435761u >> 13);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) check_gzip(big, sizes[i]);
    /* a message of 2 MiB: its length needs 4 bytes, so the body moves by 3 */
    memset(&b, 0, sizeof b);
    pprof__pb_open(&b, 5);
    pprof__pb_bytes(&b, 1, (const char *)big, bl);
    pprof__pb_u64(&b, 2, 7);
    pprof__pb_close(&b);
    FZ_CHECK(!b.oom && b.len == 1 + 4 + 1 + 4 + bl + 2);
    FZ_CHECK(memcmp(b.p, "\x2a\x87\x80\x80\x01\x0a\x80\x80\x80\x01", 10) == 0 &&
             memcmp(b.p + 10, big, bl) == 0 && memcmp(b.p + 10 + bl, "\x10\x07", 2) == 0);
    PPROF_FREE(b.p);
    free(big);
    check_program(deep, sizeof deep); /* nine levels: the encoder must say oom */
    /* a 64-bit collision: "b" finds "a"'s slot, so it must probe on and still intern */
    memset(&s, 0, sizeof s);
    FZ_CHECK(pprof__strs_add(&s, "a") == 1);
    h = (h ^ 'b') * 1099511628211ull;
    *pprof__u64map_at(&s.idx, h, &found) = 1;
    FZ_CHECK(pprof__strs_add(&s, "b") == 2 && pprof__strs_add(&s, "b") == 2 &&
             pprof__strs_add(&s, "a") == 1 && pprof__strs_add(&s, "") == 0 && !s.oom);
    pprof__strs_free(&s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    size_t i;
    (void)argc;
    (void)argv;
    for (i = 0; i < sizeof pat; i++) pat[i] = (unsigned char)(i * 40503u >> 7 ^ i);
    known_answers();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_program(data, size);
    check_gzip(data, size);
    check_strings(data, size);
    check_json(data, size);
    return 0;
}
