/* libFuzzer target: the ELF symbol-table reader (pprof__sym_parse) on an image in memory
   (as the vDSO is read) and the same bytes in a file (as libraries are read, with pread),
   which must agree; the lookup over what it kept (pprof__sym_lookup); and the DT_NEEDED
   reader (pprof__sym_needed), which takes a path. Any file a program maps reaches these. */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#include "fuzz.h"

static int fz_memfd = -1;         /* a file holding the current input */
static char fz_memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fz_memfd = (int)syscall(SYS_memfd_create, "fuzz_elf", 0u);
    FZ_CHECK(fz_memfd >= 0);
    snprintf(fz_memfd_path, sizeof fz_memfd_path, "/proc/self/fd/%d", fz_memfd);
    return 0;
}

/* o as pprof__sym_obj sets it up for an executable mapping at lo with file offset off. */
static void parse(pprof__obj *o, const pprof__img *im, uintptr_t lo, uintptr_t off) {
    memset(o, 0, sizeof *o);
    o->lo = lo;
    o->hi = lo + 0x200000;
    o->off = off;
    pprof__sym_parse(o, im);
}

/* The paged file offset of the first executable PT_LOAD (what /proc/self/maps shows for a
   library's code), read here apart from pprof.h; 0x1000 when there is none. */
static uintptr_t exec_off(const uint8_t *d, size_t n) {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    size_t i;
    if (n < sizeof eh) return 0x1000;
    memcpy(&eh, d, sizeof eh);
    if (eh.e_phentsize != sizeof ph || eh.e_phoff > n) return 0x1000;
    for (i = 0; i < eh.e_phnum && (n - eh.e_phoff) / sizeof ph > i; i++) {
        memcpy(&ph, d + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) return (uintptr_t)ph.p_offset & ~(uintptr_t)0xfff;
    }
    return 0x1000;
}

static void drop(pprof__obj *o) {
    PPROF_FREE(o->syms);
    PPROF_FREE(o->names);
}

/* What the writer relies on: sorted distinct starts, names packed in order, and a lookup
   that names each symbol's own start. */
static void check_obj(const pprof__obj *o) {
    static const uintptr_t probes[] = {0, 1, 0x1000, UINTPTR_MAX, UINTPTR_MAX / 2};
    size_t i, bl;
    uint32_t next = 0;
    uintptr_t start;
    const char *nm;
    FZ_CHECK(memchr(o->build_id, 0, sizeof o->build_id) != NULL);
    bl = strlen(o->build_id);
    FZ_CHECK(bl % 2 == 0 && bl <= 128 && strspn(o->build_id, "0123456789abcdef") == bl);
    if (!o->syms || !o->names) FZ_CHECK(o->nsyms == 0);
    for (i = 0; i < o->nsyms; i++) {
        const pprof__sym *s = &o->syms[i];
        FZ_CHECK(s->lo < s->hi);
        FZ_CHECK(i == 0 || o->syms[i - 1].lo < s->lo);
        FZ_CHECK(s->name == next);
        next += (uint32_t)strlen(o->names + s->name) + 1;
        if (i < 64) {
            start = 1;
            nm = pprof__sym_lookup(o, s->lo + o->bias, &start);
            FZ_CHECK(nm == o->names + s->name && start == s->lo + o->bias);
            nm = pprof__sym_lookup(o, s->hi - 1 + o->bias, &start);
            FZ_CHECK(!nm || (start - o->bias <= s->hi - 1 && nm >= o->names));
        }
    }
    for (i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        nm = pprof__sym_lookup(o, probes[i], &start);
        FZ_CHECK(!nm || (nm >= o->names && start - o->bias <= probes[i] - o->bias));
    }
}

static void check_same(const pprof__obj *a, const pprof__obj *b) {
    size_t i;
    FZ_CHECK(a->bias == b->bias && a->nsyms == b->nsyms);
    FZ_CHECK(strcmp(a->build_id, b->build_id) == 0);
    for (i = 0; i < a->nsyms; i++)
        FZ_CHECK(a->syms[i].lo == b->syms[i].lo && a->syms[i].hi == b->syms[i].hi &&
                 strcmp(a->names + a->syms[i].name, b->names + b->syms[i].name) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pprof__obj mem, file, off;
    pprof__img im;
    char *needed = NULL;
    size_t len = 0, cap = 0, at;
    im.fd = -1;
    im.mem = data;
    im.size = size;
    parse(&mem, &im, 0x555555554000u, 0);
    check_obj(&mem);
    /* its code mapping, as maps shows it, elsewhere */
    parse(&off, &im, 0x7f0000001000u, exec_off(data, size));
    check_obj(&off);
    drop(&off);
    /* the same bytes as a file: read with pread, the same answer */
    FZ_CHECK(ftruncate(fz_memfd, 0) == 0);
    FZ_CHECK(size == 0 || pwrite(fz_memfd, data, size, 0) == (ssize_t)size);
    im.fd = fz_memfd;
    im.mem = NULL;
    parse(&file, &im, 0x555555554000u, 0);
    check_same(&mem, &file);
    drop(&file);
    drop(&mem);
    /* the libraries it needs: a list of strings */
    pprof__sym_needed(fz_memfd_path, &needed, &len, &cap);
    FZ_CHECK(len <= cap && (len == 0 || needed[len - 1] == 0));
    for (at = 0; at < len; at += strlen(needed + at) + 1) FZ_CHECK(at + strlen(needed + at) < len);
    PPROF_FREE(needed);
    return 0;
}
