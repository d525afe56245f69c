/* libFuzzer target: the /proc/self/maps parser (pprof__maps_parse), then what the drain
   thread does with its result: the unwinder's region snapshot (pprof__cfi_publish) and
   the handler's lookup in it (pprof__maps_find). A small table, so it fills. */
#define PPROF_MAX_MAPS 64
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    static const char known[] =
        "55d0c1a00000-55d0c1a02000 r--p 00000000 fe:01 1234567   /usr/bin/prog\n"
        "55d0c1a02000-55d0c1a05000 r-xp 00002000 fe:01 1234567   /usr/bin/prog\n"
        "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
        "7f0000001000-7f0000002000 r-xp 00001000 00:05 42 /tmp/lib x.so (deleted)\n"
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
        "7ffd00100000-7ffd00100000 r-xp 00000000 00:00 0   [empty]\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]";
    pprof__maps m;
    (void)argc;
    (void)argv;
    pprof__sig.snap = (pprof__snap *)calloc(2, sizeof *pprof__sig.snap); /* never freed */
    FZ_CHECK(pprof__sig.snap != NULL);
    pprof__unw_mode = PPROF_UNWIND_FP; /* the regions alone: no file is opened for tables */
    FZ_CHECK(pprof__maps_parse(&m, pprof__mem_strdup(known)) == 0 && m.n == 6);
    FZ_CHECK(m.e[1].lo == 0x55d0c1a02000u && m.e[1].hi == 0x55d0c1a05000u && m.e[1].off == 0x2000);
    FZ_CHECK(m.e[1].r && !m.e[1].w && m.e[1].x && m.e[1].inode == 1234567);
    FZ_CHECK(strcmp(m.e[1].path, "/usr/bin/prog") == 0 && !m.e[1].deleted);
    FZ_CHECK(strcmp(m.e[2].path, "") == 0 && m.e[2].w);
    FZ_CHECK(strcmp(m.e[3].path, "/tmp/lib x.so") == 0 && m.e[3].deleted && m.e[3].inode == 42);
    FZ_CHECK(strcmp(m.e[4].path, "[stack]") == 0);
    FZ_CHECK(strcmp(m.e[5].path, "[vsyscall]") == 0 && !m.e[5].r && m.e[5].x);
    pprof__maps_free(&m);
    FZ_CHECK(pprof__maps_parse(&m, NULL) == -1);
    return 0;
}

/* The published snapshot: bounded, and a hit is a region that holds the address. */
static void check_snapshot(const pprof__maps *m) {
    pprof__snap *s;
    size_t i;
    int k;
    FZ_CHECK(pprof__cfi_publish(m, 0) >= 0);
    s = pprof__maps_acquire();
    FZ_CHECK(s != NULL);
    FZ_CHECK(s->nrw >= 0 && s->nrw <= PPROF_MAX_MAPS && s->nx >= 0 && s->nx <= PPROF_MAX_MAPS);
    for (k = 0; k < s->nrw; k++) FZ_CHECK(s->rw[k].lo < s->rw[k].hi);
    for (k = 0; k < s->nx; k++) FZ_CHECK(s->x[k].lo < s->x[k].hi);
    for (i = 0; i < m->n && i < 32; i++) {
        uintptr_t probe[3], lo, hi;
        int j;
        probe[0] = m->e[i].lo;
        probe[1] = m->e[i].hi - 1;
        probe[2] = m->e[i].hi;
        for (j = 0; j < 3; j++) {
            if (pprof__maps_find(s->rw, s->nrw, probe[j], &lo, &hi))
                FZ_CHECK(lo <= probe[j] && probe[j] < hi);
            if (pprof__maps_find(s->x, s->nx, probe[j], &lo, &hi))
                FZ_CHECK(lo <= probe[j] && probe[j] < hi);
        }
    }
    pprof__maps_release(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fz_cstr(data, size); /* PPROF_MALLOC: the parser owns it from here */
    size_t tlen = strlen(text), lines = 1, i;
    pprof__maps m;
    for (i = 0; i < tlen; i++) lines += text[i] == '\n';
    FZ_CHECK(pprof__maps_parse(&m, text) == 0);
    FZ_CHECK(m.text == text && m.n <= lines && m.n <= m.cap);
    for (i = 0; i < m.n; i++) {
        const pprof__mapent *e = &m.e[i];
        size_t at, pl;
        FZ_CHECK(e->lo < e->hi);
        FZ_CHECK((e->r | e->w | e->x | e->deleted) <= 1);
        /* the path is a string in the text, within its line */
        FZ_CHECK(e->path >= text && e->path <= text + tlen);
        at = (size_t)(e->path - text);
        pl = strlen(e->path);
        FZ_CHECK(at + pl <= tlen && !memchr(data + at, '\n', pl) && !memchr(data + at, 0, pl));
        FZ_CHECK(e->path[0] != ' ');
        /* " (deleted)" was cut from the end of that line */
        if (e->deleted)
            FZ_CHECK(at + pl + 10 <= tlen && memcmp(data + at + pl, " (deleted)", 10) == 0 &&
                     (at + pl + 10 == tlen || data[at + pl + 10] == '\n'));
        else
            FZ_CHECK(at + pl == tlen || data[at + pl] == '\n');
    }
    check_snapshot(&m);
    pprof__maps_free(&m);
    FZ_CHECK(m.text == NULL && m.e == NULL && m.n == 0);
    return 0;
}
