/* libFuzzer target: the unwind-table builder (pprof__cfi_parse) on .eh_frame bytes, its
   lookup (pprof__cfi_rule), and walks by the rules it made over a stack of input words.
   Input: an 8-byte header (the object address of .eh_frame, and of the code's start: u32
   each, little-endian; the code is 64 KiB), then the .eh_frame bytes. The seeds
   (tests/fuzz/cfi_seeds.sh) come from programs gcc and clang built here; `make fuzz` also
   adds every .eh_frame of this machine's libraries (build/fuzz/fuzz_cfi-machine). */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#include "fuzz.h"

#define CODE_SIZE 65536u

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

/* The table's invariants: rows ascending inside the code, rule numbers in range, rules of
   known kinds, and the page index bounding every lookup. */
static void check_table(const pprof__cfitab *t, uintptr_t lo) {
    uint32_t i, k;
    FZ_CHECK(t->lo == lo && t->hi == lo + CODE_SIZE && t->nrow > 0 && t->nrule >= 1);
    for (i = 0; i < t->nrow; i++) {
        FZ_CHECK(t->pc[i] < CODE_SIZE);
        FZ_CHECK(i == 0 || t->pc[i] > t->pc[i - 1]);
        FZ_CHECK(t->rule[i] < t->nrule);
        FZ_CHECK(i == 0 || t->rule[i] != t->rule[i - 1]); /* equal neighbours merge */
    }
    for (k = 1; k < t->nrule; k++) {
        const pprof__cfirule *r = &t->rules[k];
        FZ_CHECK(r->cfa_how >= PPROF__CFA_REG && r->cfa_how <= PPROF__CFA_PLT);
        FZ_CHECK(r->ra_how <= PPROF__AT_UNDEF && r->fp_how <= PPROF__AT_OTHER);
    }
    for (k = 0; k < (CODE_SIZE >> PPROF__CFI_PAGE_SHIFT) + 1; k++) {
        FZ_CHECK(t->page[k] <= t->page[k + 1] && t->page[k + 1] < t->nrow);
        FZ_CHECK(t->pc[t->page[k]] <= ((uint32_t)k << PPROF__CFI_PAGE_SHIFT) || t->page[k] == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uintptr_t stack[512];
    uint32_t ehv, codev, i;
    pprof__cfitab *t;
    if (size < 8) return 0;
    memcpy(&ehv, data, 4);
    memcpy(&codev, data + 4, 4);
    t = pprof__cfi_parse(data + 8, size - 8, ehv, 0, codev, (uintptr_t)codev + CODE_SIZE);
    if (!t) return 0;
    check_table(t, codev);
    {   /* every row's rule is what a lookup inside the row finds */
        for (i = 0; i < t->nrow; i++) {
            const pprof__cfirule *r = pprof__cfi_rule(t, (uintptr_t)codev + t->pc[i]);
            FZ_CHECK(t->rule[i] == 0 ? r == NULL : r == &t->rules[t->rule[i]]);
        }
        FZ_CHECK(pprof__cfi_rule(t, (uintptr_t)codev - 1) == NULL &&
                 pprof__cfi_rule(t, (uintptr_t)codev + CODE_SIZE) == NULL); /* (no 32-bit wrap) */
    }
    {   /* walks by these rules over a stack of input words: every frame read stays in it */
        pprof__snap *s = (pprof__snap *)calloc(1, sizeof *s);
        uintptr_t out[PPROF_MAX_FRAMES];
        size_t n = size - 8 < sizeof stack ? size - 8 : sizeof stack;
        FZ_CHECK(s != NULL);
        memset(stack, 0, sizeof stack);
        memcpy(stack, data + 8, n);
        for (i = 0; i < 512; i += 7) /* some words point back into the stack and the code */
            stack[i] = i % 2 ? (uintptr_t)&stack[(stack[i] >> 3) % 512] : codev + (stack[i] % CODE_SIZE);
        s->nx = 1;
        s->x[0].lo = codev;
        s->x[0].hi = (uintptr_t)codev + CODE_SIZE;
        s->x[0].flags = 0; /* untrusted: code bytes through checked reads, which fail here */
        s->x[0].cfi = t;
        for (i = 0; i < t->nrow && i < 64; i++) {
            pprof__uwalk w;
            pprof__ureg st;
            int k, m;
            memset(&w, 0, sizeof w);
            memset(&st, 0, sizeof st);
            w.s = s;
            w.mode = PPROF_UNWIND_CFI;
            w.lo = (uintptr_t)&stack[0];
            w.hi = (uintptr_t)&stack[512];
            st.pc = (uintptr_t)codev + t->pc[i];
            st.sp = (uintptr_t)&stack[i % 64];
            st.fp = (uintptr_t)&stack[(i * 5) % 512];
            st.known = PPROF__K_SP | PPROF__K_FP;
            st.exact = 1;
            m = pprof__unw_run(&w, &st, out, 0, PPROF_MAX_FRAMES);
            FZ_CHECK(m >= 1 && m <= PPROF_MAX_FRAMES && w.end >= 0 && w.end < PPROF__END_N);
            for (k = 1; k < m; k++) FZ_CHECK(out[k] >= codev && out[k] <= (uintptr_t)codev + CODE_SIZE);
        }
        free(s);
    }
    pprof__cfi_free(t);
    return 0;
}
