/* The walker on hand-made stacks and code: it follows good frame records and unwind
   rules, and stops, without reading, at anything outside the stack region, misaligned, not
   moving up, or a return address that is not code after a call. */

typedef struct t_stack { uintptr_t w[1024]; } t_stack;

/* A code buffer the snapshot calls code: NOPs, with a call rel32 ending at every 16th
   byte from 16 on, so t_ra(code, k) = code + 16 (k + 1) is a return address. */
#define T_CODE 4096
static unsigned char *t_code(pprof__snap *s) {
    unsigned char *code = (unsigned char *)aligned_alloc(64, T_CODE);
    int k;
    T_CHECK(code != NULL, "aligned_alloc");
    memset(code, 0x90, T_CODE);
    for (k = 16; k < T_CODE; k += 16) {
        int32_t rel = -(int32_t)k; /* to the buffer's start */
        code[k - 5] = 0xE8;
        memcpy(code + k - 4, &rel, 4);
    }
    s->nx = 1;
    s->x[0].lo = (uintptr_t)code;
    s->x[0].hi = (uintptr_t)code + T_CODE;
    s->x[0].flags = PPROF__R_TRUSTED;
    s->x[0].cfi = NULL;
    return code;
}
#define t_ra(code, k) ((uintptr_t)(code) + 16 * ((uintptr_t)(k) + 1))

static pprof__snap *t_snap(void) {
    pprof__snap *s = (pprof__snap *)calloc(1, sizeof *s);
    T_CHECK(s != NULL, "calloc");
    return s;
}

/* Frame records at words 10, 14, 18, ...: [next fp, return address k]. */
static uintptr_t t_chain(t_stack *st, const unsigned char *code, int frames) {
    int i;
    memset(st, 0, sizeof *st);
    for (i = 0; i < frames; i++) {
        int at = 10 + 4 * i;
        st->w[at] = i + 1 < frames ? (uintptr_t)&st->w[at + 4] : 0;
        st->w[at + 1] = t_ra(code, i);
    }
    return (uintptr_t)&st->w[10];
}

/* One walk from (pc, sp, fp) in [lo, hi); uc non-NULL makes it a signal's frame 0. */
static int t_walk(pprof__snap *s, int mode, const void *uc, uintptr_t pc, uintptr_t sp,
                  uintptr_t fp, uintptr_t lo, uintptr_t hi, int checked, uintptr_t *out,
                  pprof__uwalk *w) {
    pprof__ureg st;
    memset(w, 0, sizeof *w);
    memset(&st, 0, sizeof st);
    w->s = s;
    w->mode = mode;
    w->uc = uc;
    w->lo = lo;
    w->hi = hi;
    w->checked = checked;
    st.pc = pc;
    st.sp = sp;
    st.fp = fp;
    st.known = PPROF__K_SP | PPROF__K_FP;
    st.exact = 1;
    return pprof__unw_run(w, &st, out, 0, PPROF_MAX_FRAMES);
}

static void t_unw_good_chain(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    unsigned char *code = t_code(s);
    uintptr_t out[PPROF_MAX_FRAMES], fp = t_chain(st, code, 5);
    uintptr_t lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    pprof__uwalk w;
    int n, i;
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 0x42, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 6, "frames %d, want leaf + 5", n);
    T_CHECK(out[0] == 0x42, "leaf %lx", (unsigned long)out[0]);
    for (i = 0; i < 5; i++) T_CHECK(out[1 + i] == t_ra(code, i), "frame %d", i);
    T_CHECK(w.end == PPROF__END_ROOT && w.by[PPROF__BY_FP] == 5, "end %d, %u by records",
            w.end, w.by[PPROF__BY_FP]);
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, (uintptr_t)code + 8, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 6 && w.end == PPROF__END_ROOT, "no tables: records in cfi mode too (%d)", n);
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, 0x42, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 1 && w.end == PPROF__END_NOINFO && w.unknown_code,
            "a pc outside known code: cut at once in cfi mode, a refresh asked (%d)", n);
    free(code);
    free(st);
    free(s);
}

static void t_unw_stops(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    unsigned char *code = t_code(s);
    uintptr_t out[PPROF_MAX_FRAMES], fp;
    uintptr_t lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    pprof__uwalk w;
    int n;
    fp = t_chain(st, code, 5);
    st->w[18] = (uintptr_t)&st->w[0] + 600 * sizeof(uintptr_t); /* past the top */
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 4 && w.end == PPROF__END_NOINFO, "out of bounds: %d frames, want 4", n);
    fp = t_chain(st, code, 5);
    st->w[18] = (uintptr_t)&st->w[22] + 3; /* misaligned */
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 4, "misaligned: %d frames, want 4", n);
    fp = t_chain(st, code, 5);
    st->w[18] = (uintptr_t)&st->w[10]; /* back down: a loop */
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 4, "loop: %d frames, want 4", n);
    fp = t_chain(st, code, 5);
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, (uintptr_t)&st->w[1], lo, hi, 0, out, &w);
    T_CHECK(n == 1, "fp below the stack pointer: %d frames", n);
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, fp, lo, (uintptr_t)&st->w[11], 0, out, &w);
    T_CHECK(n == 1, "record straddling the top: %d frames", n);
    free(code);
    free(st);
    free(s);
}

/* Never a wrong frame: a record whose return address is data, code with no call before it,
   or 0xffffffff ends the stack there, counted as "not code". */
static void t_unw_not_code(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    unsigned char *code = t_code(s);
    uintptr_t out[PPROF_MAX_FRAMES], fp, bad[4];
    uintptr_t lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    pprof__uwalk w;
    int n, i;
    bad[0] = (uintptr_t)st + 64;        /* the stack itself */
    bad[1] = (uintptr_t)s + 4096;       /* the heap */
    bad[2] = 0xffffffffu;               /* perl's */
    bad[3] = t_ra(code, 3) + 1;         /* code, but no call ends there */
    for (i = 0; i < 4; i++) {
        fp = t_chain(st, code, 5);
        st->w[19] = bad[i]; /* the fourth record's return address */
        n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, fp, lo, hi, 0, out, &w);
        T_CHECK(n == 3 && w.end == PPROF__END_NOTCODE, "bad return address %d: %d frames, end %d",
                i, n, w.end);
        T_CHECK(out[1] == t_ra(code, 0) && out[2] == t_ra(code, 1), "frames before it kept");
    }
    free(code);
    free(st);
    free(s);
}

/* A stack the snapshot does not know is read through a system call: a frame pointer into
   a guard page ends the walk instead of faulting. */
static void t_unw_checked_reads(void) {
    pprof__snap *s = t_snap();
    unsigned char *code = t_code(s);
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *m = (unsigned char *)mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t *w = (uintptr_t *)(void *)m, out[PPROF_MAX_FRAMES];
    uintptr_t lo = (uintptr_t)m, hi = (uintptr_t)m + 2 * (uintptr_t)pg;
    pprof__uwalk wk;
    int n;
    T_CHECK(m != MAP_FAILED, "mmap");
    T_CHECK(mprotect(m + pg, (size_t)pg, PROT_NONE) == 0, "mprotect");
    w[4] = (uintptr_t)&w[8]; w[5] = t_ra(code, 0);
    w[8] = (uintptr_t)m + (uintptr_t)pg + 64; w[9] = t_ra(code, 1); /* next: the guard page */
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, (uintptr_t)&w[4], lo, hi, 1, out, &wk);
    T_CHECK(n == 3 && out[1] == t_ra(code, 0) && out[2] == t_ra(code, 1), "checked walk: %d frames", n);
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, (uintptr_t)m + (uintptr_t)pg, lo, hi, 1, out, &wk);
    T_CHECK(n == 1, "fp in the guard page: %d frames", n);
    munmap(m, (size_t)pg * 2);
    free(code);
    free(s);
}

static void t_unw_depth_cap(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    unsigned char *code = t_code(s);
    uintptr_t out[PPROF_MAX_FRAMES];
    uintptr_t fp = t_chain(st, code, PPROF_MAX_FRAMES + 40), lo = (uintptr_t)&st->w[2];
    uintptr_t hi = (uintptr_t)&st->w[1024];
    pprof__uwalk w;
    int n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == PPROF_MAX_FRAMES, "deep chain: %d frames", n);
    T_CHECK(out[PPROF_MAX_FRAMES - 1] == t_ra(code, PPROF_MAX_FRAMES - 2), "cut at the root end");
    T_CHECK(w.end == PPROF__END_DEPTH, "counted as cut at the depth: end %d", w.end);
    fp = t_chain(st, code, PPROF_MAX_FRAMES - 1); /* exactly the limit: whole */
    n = t_walk(s, PPROF_UNWIND_FP, NULL, 1, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == PPROF_MAX_FRAMES && w.end == PPROF__END_ROOT, "at the limit: %d frames, end %d",
            n, w.end);
    free(code);
    free(st);
    free(s);
}

#if defined(PPROF__X86_64)
/* The leaf's caller is taken from the stack pointer only if a call instruction precedes it,
   and only for a signal's frame 0 without an unwind rule. */
static void t_unw_leaf_caller(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    unsigned char *code = t_code(s);
    ucontext_t uc;
    uintptr_t out[PPROF_MAX_FRAMES], fp = t_chain(st, code, 3), ra = t_ra(code, 7);
    uintptr_t pc = (uintptr_t)code + 8; /* the interrupted pc: code without a rule */
    uintptr_t lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    pprof__uwalk w;
    int n;
    memset(&uc, 0, sizeof uc);
    st->w[2] = ra; /* [sp]: a return address into code */
    n = t_walk(s, PPROF_UNWIND_CFI, &uc, pc, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 5 && out[1] == ra && out[2] == t_ra(code, 0), "frameless leaf: %d frames", n);
    T_CHECK(w.by[PPROF__BY_SP] == 1 && w.by[PPROF__BY_FP] == 3, "counted %u %u",
            w.by[PPROF__BY_SP], w.by[PPROF__BY_FP]);
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, pc, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 4 && out[1] == t_ra(code, 0), "not a signal's frame 0: %d frames", n);
    st->w[2] = ra - 1; /* not after a call */
    n = t_walk(s, PPROF_UNWIND_CFI, &uc, pc, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 4 && out[1] == t_ra(code, 0), "no call before it: %d frames", n);
    st->w[2] = fp; /* just after push %rbp: the return address is one word up, which only */
    st->w[3] = ra; /* the frame-record walk believes (code with rules never comes here) */
    n = t_walk(s, PPROF_UNWIND_FP, &uc, pc, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 5 && out[1] == ra, "in the prologue: %d frames", n);
    n = t_walk(s, PPROF_UNWIND_CFI, &uc, pc, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 4 && out[1] == t_ra(code, 0), "no rule, sp holds fp: %d frames", n);
    st->w[2] = t_ra(code, 0); /* equal to the first record's return address: no duplicate */
    n = t_walk(s, PPROF_UNWIND_CFI, &uc, pc, lo, fp, lo, hi, 0, out, &w);
    T_CHECK(n == 4, "duplicate caller: %d frames", n);
    st->w[511] = ra; /* sp at the very top: the word is not read */
    n = t_walk(s, PPROF_UNWIND_CFI, &uc, pc, (uintptr_t)&st->w[511], 0, (uintptr_t)&st->w[511],
               hi, 0, out, &w);
    T_CHECK(n == 1, "sp at the top: %d frames", n);
    free(code);
    free(st);
    free(s);
}
#  define T_UNW_LEAF {"unw_leaf_caller_only_after_a_call", t_unw_leaf_caller, 10},
#else
#  define T_UNW_LEAF
#endif

#if defined(PPROF__X86_64)
/* Every encoding of an x86-64 call makes what follows it a return address; jumps and
   other bytes do not. (python3.11's "call *disp32(,%r9,8)" was missed once.) */
static void t_unw_call_forms(void) {
    static const struct { const char *bytes; int len, call; } f[] = {
        {"\xe8\x00\x00\x00\x00", 5, 1},             /* call rel32 (to the next byte) */
        {"\xff\xd0", 2, 1},                          /* call *%rax */
        {"\x41\xff\xd3", 3, 1},                      /* call *%r11 */
        {"\xff\x10", 2, 1},                          /* call *(%rax) */
        {"\xff\x50\x08", 3, 1},                      /* call *8(%rax) */
        {"\xff\x14\x24", 3, 1},                      /* call *(%rsp) */
        {"\xff\x54\x24\x08", 4, 1},                  /* call *8(%rsp) */
        {"\xff\x15\x10\x20\x30\x00", 6, 1},          /* call *disp32(%rip) */
        {"\xff\x90\x10\x20\x30\x00", 6, 1},          /* call *disp32(%rax) */
        {"\xff\x94\x24\x10\x20\x30\x00", 7, 1},      /* call *disp32(%rsp) */
        {"\x42\xff\x14\xcd\x00\xae\x73\x00", 8, 1},  /* call *disp32(,%r9,8) */
        {"\xff\x14\xc5\x00\x10\x00\x00", 7, 1},      /* call *disp32(,%rax,8) */
        {"\xff\xe0", 2, 0},                          /* jmp *%rax */
        {"\xff\x20", 2, 0},                          /* jmp *(%rax) */
        {"\xff\x25\x10\x20\x30\x00", 6, 0},          /* jmp *disp32(%rip) */
        {"\xe9\x00\x00\x00\x00", 5, 0},              /* jmp rel32 */
        {"\x48\x89\xc7", 3, 0},                      /* mov %rax, %rdi */
        {"\x0f\x1f\x44\x00\x00", 5, 0},              /* nopl */
    };
    pprof__snap *s = t_snap();
    unsigned char *code = (unsigned char *)aligned_alloc(64, 4096);
    pprof__uwalk w;
    size_t i;
    T_CHECK(code != NULL, "aligned_alloc");
    memset(&w, 0, sizeof w);
    s->nx = 1;
    s->x[0].lo = (uintptr_t)code;
    s->x[0].hi = (uintptr_t)code + 4096;
    s->x[0].flags = PPROF__R_TRUSTED;
    w.s = s;
    for (i = 0; i < sizeof f / sizeof f[0]; i++) {
        unsigned char *at = code + 256 + 32 * i;
        memset(code, 0x90, 4096);
        memcpy(at - f[i].len, f[i].bytes, (size_t)f[i].len);
        T_CHECK(pprof__unw_after_call(&w, &s->x[0], (uintptr_t)at) == f[i].call,
                "form %zu: %s", i, f[i].call ? "a call not seen" : "taken for a call");
    }
    free(code);
    free(s);
}
#  define T_UNW_CALLS {"unw_every_call_form_and_no_jump", t_unw_call_forms, 10},
#else
#  define T_UNW_CALLS
#endif

#if defined(PPROF__X86_64)
/* .eh_frame by hand: one CIE ("zR", pc-relative sdata4, CFA = rsp + 8, return address at
   CFA - 8) and FDEs for code at runtime addresses; vaddr is buf[0]'s object address (the
   object's addresses are its runtime ones: bias 0). */
typedef struct t_eh { unsigned char b[2048]; size_t n; uintptr_t vaddr; } t_eh;
static void t_eh_put(t_eh *e, const void *p, size_t n) { memcpy(e->b + e->n, p, n); e->n += n; }
static void t_eh_u32(t_eh *e, uint32_t v) { t_eh_put(e, &v, 4); }
static size_t t_eh_cie(t_eh *e, int signal) {
    static const unsigned char body[] = {0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x1b,
                                         0x0c, 7, 8, 0x90, 1, 0, 0};
    static const unsigned char sbody[] = {0, 0, 0, 0, 1, 'z', 'R', 'S', 0, 1, 0x78, 16, 1, 0x1b,
                                          0x0c, 7, 8, 0x90, 1, 0};
    size_t at = e->n;
    t_eh_u32(e, (uint32_t)sizeof body);
    t_eh_put(e, signal ? sbody : body, sizeof body);
    return at;
}
static void t_eh_fde(t_eh *e, size_t cie, uintptr_t lo, uint32_t len, const char *ins, size_t nins) {
    size_t body = 4 + 4 + 4 + 1 + nins;
    int32_t rel;
    body = (body + 3) & ~(size_t)3;
    t_eh_u32(e, (uint32_t)body);
    t_eh_u32(e, (uint32_t)(e->n - cie));           /* back to the CIE */
    rel = (int32_t)((intptr_t)lo - (intptr_t)(e->vaddr + e->n));
    t_eh_put(e, &rel, 4);                           /* pc_begin, pcrel sdata4 */
    t_eh_u32(e, len);
    e->b[e->n++] = 0;                               /* augmentation data: none */
    t_eh_put(e, ins, nins);
    while (e->n % 4) e->b[e->n++] = 0;              /* DW_CFA_nop */
}

static uintptr_t t_unw_data_word;
/* Unwind rules on a frameless stack: sp-relative, a saved frame pointer, the PLT rule,
   "*(sp + 8) + 8" (hand-written code that realigns sp), a signal frame and an undefined
   return address (the outermost frame). */
static void t_unw_cfi_rules(void) {
    pprof__snap *s = t_snap();
    unsigned char *code = t_code(s);
    t_stack *st = (t_stack *)calloc(1, sizeof *st);
    t_eh *e = (t_eh *)calloc(1, sizeof *e);
    uintptr_t out[PPROF_MAX_FRAMES], c = (uintptr_t)code, sp = (uintptr_t)&st->w[10];
    pprof__cfitab *t;
    pprof__uwalk w;
    size_t cie, scie;
    int n;
    e->vaddr = c - 0x10000;
    cie = t_eh_cie(e, 0);
    scie = t_eh_cie(e, 1);
    /* A [0, 0x100): after 4 bytes, sub $24,%rsp: CFA = rsp + 32 */
    t_eh_fde(e, cie, c, 0x100, "\x44\x0e\x20", 3);
    /* B [0x100, 0x200): push %rbp (rbp at CFA-16), sub: CFA = rsp + 48 */
    t_eh_fde(e, cie, c + 0x100, 0x100, "\x41\x0e\x10\x86\x02\x41\x0e\x30", 8);
    /* C [0x200, 0x300): the PLT rule */
    t_eh_fde(e, cie, c + 0x200, 0x100,
             "\x0f\x0b\x77\x08\x80\x00\x3f\x1a\x3b\x2a\x33\x24\x22", 13);
    /* D [0x300, 0x400): CFA = *(rsp + 8) + 8 */
    t_eh_fde(e, cie, c + 0x300, 0x100, "\x0f\x05\x77\x08\x06\x23\x08", 7);
    /* E [0x400, 0x500): return address undefined: the outermost frame */
    t_eh_fde(e, cie, c + 0x400, 0x100, "\x07\x10", 2);
    /* F [0x500, 0x600): a signal frame ('S'): CFA = *(rsp + 16), return address at rsp + 24,
       rbp at rsp + 32, as glibc describes __restore_rt */
    t_eh_fde(e, scie, c + 0x500, 0x100,
             "\x0f\x03\x77\x10\x06\x10\x10\x02\x77\x18\x10\x06\x02\x77\x20", 15);
    t = pprof__cfi_parse(e->b, e->n, e->vaddr, 0, c, c + T_CODE);
    T_CHECK(t != NULL, "no table from the hand-made .eh_frame");
    T_CHECK(t->nrow >= 8 && t->nrow <= 12, "rows %u", t->nrow);
    s->x[0].cfi = t;
    /* A at sp = w[10]: CFA w[14], its return address (into B) at w[13] */
    st->w[13] = c + 0x150;
    /* B: sp w[14], CFA w[20]: return address (into C) w[19], rbp w[18] */
    st->w[18] = 0x5151;
    st->w[19] = c + 0x250;
    /* C: sp w[20]; (0x250 & 15) = 0 < 11: CFA = w[21], return address (into D) w[20] */
    st->w[20] = c + 0x350;
    /* D: sp w[21]: CFA = *(w[22]) + 8 = w[31], return address (into E) w[30] */
    st->w[22] = (uintptr_t)&st->w[30];
    st->w[30] = c + 0x450;
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, c + 0x10, sp, 0x77, sp, (uintptr_t)&st->w[512], 0, out, &w);
    T_CHECK(n == 5, "frames %d, want 5", n);
    T_CHECK(out[1] == c + 0x150 && out[2] == c + 0x250 && out[3] == c + 0x350 && out[4] == c + 0x450,
            "frames %lx %lx %lx %lx", (unsigned long)out[1] - c, (unsigned long)out[2] - c,
            (unsigned long)out[3] - c, (unsigned long)out[4] - c);
    T_CHECK(w.end == PPROF__END_ROOT && w.by[PPROF__BY_CFI] == 4, "end %d, %u by tables", w.end,
            w.by[PPROF__BY_CFI]);
    /* the same in frame-pointer mode: no rule applies, the leaf alone */
    n = t_walk(s, PPROF_UNWIND_FP, NULL, c + 0x10, sp, 0x77, sp, (uintptr_t)&st->w[512], 0, out, &w);
    T_CHECK(n == 1, "fp mode: %d frames", n);
    /* a derived return address that is not code (data of this program): cut, counted */
    st->w[19] = (uintptr_t)&t_unw_data_word;
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, c + 0x10, sp, 0x77, sp, (uintptr_t)&st->w[512], 0, out, &w);
    T_CHECK(n == 2 && w.end == PPROF__END_NOTCODE, "not code: %d frames, end %d", n, w.end);
    st->w[19] = c + 0x250;
    /* a CFA beyond the stack's top: cut, counted */
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, c + 0x10, sp, 0x77, sp, (uintptr_t)&st->w[17], 0, out, &w);
    T_CHECK(n == 2 && w.end == PPROF__END_STACK, "beyond the top: %d frames, end %d", n, w.end);
    /* D's pointer to the caller's frame points below sp: cut */
    st->w[22] = (uintptr_t)&st->w[3];
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, c + 0x10, sp, 0x77, sp, (uintptr_t)&st->w[512], 0, out, &w);
    T_CHECK(n == 4 && w.end == PPROF__END_STACK, "CFA below sp: %d frames, end %d", n, w.end);
    st->w[22] = (uintptr_t)&st->w[30];
    /* a signal frame: the interrupted pc (exact: not stepped back), sp and rbp from it;
       its stack is looked up anew (it may be another: sigaltstack) */
    memset(st, 0, sizeof *st);
    s->nrw = 1;
    s->rw[0].lo = (uintptr_t)st;
    s->rw[0].hi = (uintptr_t)&st->w[512];
    s->rw[0].flags = PPROF__R_TRUSTED;
    st->w[12] = (uintptr_t)&st->w[40];       /* rsp + 16: the interrupted sp */
    st->w[13] = c + 0x157;                   /* rsp + 24: its pc, in B (no call before it) */
    st->w[14] = 0x1234;                      /* rsp + 32: its rbp */
    st->w[40 + 5] = c + 0x250;               /* B at sp w[40]: CFA w[46], return at w[45] */
    st->w[40 + 4] = 0x4321;
    st->w[46] = c + 0x450;                   /* C: CFA w[47], return address into E */
    n = t_walk(s, PPROF_UNWIND_CFI, NULL, c + 0x501, sp, 0, sp, (uintptr_t)&st->w[512], 0, out, &w);
    T_CHECK(n == 4 && out[1] == c + 0x157 && out[2] == c + 0x250 && out[3] == c + 0x450,
            "through a signal frame: %d frames", n);
    T_CHECK(w.end == PPROF__END_ROOT && w.by[PPROF__BY_SIG] == 1, "end %d, %u signal frames",
            w.end, w.by[PPROF__BY_SIG]);
    pprof__cfi_free(t);
    free(e);
    free(st);
    free(code);
    free(s);
}
#  define T_UNW_CFI {"unw_cfi_rules_on_a_frameless_stack", t_unw_cfi_rules, 10},
#else
#  define T_UNW_CFI
#endif

/* Code of an object that may be unloaded is read through a system call: a region the
   snapshot still lists but that is gone (dlclose, a JIT freeing code) is no fault. */
static void t_unw_untrusted_code_gone(void) {
    pprof__snap *s = t_snap();
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *code = (unsigned char *)mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
                                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t ra;
    T_CHECK(code != MAP_FAILED, "mmap");
    memset(code, 0x90, (size_t)pg);
    code[100] = 0xE8; /* call rel32, target inside the page */
    memset(code + 101, 0, 4);
    ra = (uintptr_t)code + 105;
    s->nx = 1;
    s->x[0].lo = (uintptr_t)code;
    s->x[0].hi = (uintptr_t)code + (uintptr_t)pg;
    s->x[0].flags = 0;
    T_CHECK(pprof__unw_is_return_address(s, ra) == 1, "a call before it, checked read");
    munmap(code, (size_t)pg); /* the snapshot still lists it */
    T_CHECK(pprof__unw_is_return_address(s, ra) == 0, "gone code must read as no call");
    free(s);
}

/* A thread running on a stack of its own making (a coroutine, swapcontext): stacks are
   read with checked reads there, and still complete. */
#include <ucontext.h>
static ucontext_t t_co_main, t_co_ctx;
static volatile unsigned long t_co_x = 1;
static int64_t t_co_cpu; /* the CPU its thread had used when t_co_body ended */
T_NOINLINE static void t_co_body(void) { /* until its thread has used 0.5 s of CPU */
    t_busy b = t_busy_start(500000000);
    int i;
    for (i = 0; i % 32 != 0 || t_busy_more(&b); i++) t_co_x = stage_a(t_co_x); /* 25 us each */
    t_co_cpu = t_self_cpu_ns();
}
static void *t_co_thread(void *arg) {
    void *stack = malloc(256 * 1024);
    (void)arg;
    getcontext(&t_co_ctx);
    t_co_ctx.uc_stack.ss_sp = stack;
    t_co_ctx.uc_stack.ss_size = 256 * 1024;
    t_co_ctx.uc_link = &t_co_main;
    makecontext(&t_co_ctx, t_co_body, 0);
    swapcontext(&t_co_main, &t_co_ctx);
    free(stack);
    return NULL;
}
/* The same on the main thread, whose descriptor is on the heap, not atop its stack: the
   creator's stack is freed before the coroutine runs (its outermost frame points there). */
static void *t_co_creator(void *arg) {
    void *stack = arg;
    getcontext(&t_co_ctx);
    t_co_ctx.uc_stack.ss_sp = stack;
    t_co_ctx.uc_stack.ss_size = 256 * 1024;
    t_co_ctx.uc_link = &t_co_main;
    makecontext(&t_co_ctx, t_co_body, 0);
    return NULL;
}
static void t_unw_coroutine_main_thread(void) {
    pthread_t t;
    pthread_attr_t at;
    FILE *fp = tmpfile();
    void *stack = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    T_CHECK(stack != MAP_FAILED, "mmap");
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 1 << 20);
    pthread_create(&t, &at, t_co_creator, stack); /* its stack is gone after the join */
    pthread_join(t, NULL);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    swapcontext(&t_co_main, &t_co_ctx); /* runs t_co_body for 0.5 s on the main thread */
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    munmap(stack, 256 * 1024);
    fclose(fp);
}

static void t_unw_coroutine_stack(void) {
    static const char *chain[] = {"stage_a", "t_co_body"};
    pthread_t t;
    prd_profile p;
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    double share;
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    pthread_create(&t, NULL, t_co_thread, NULL);
    pthread_join(t, NULL);
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    t_check_new_thread("hot_a on the coroutine stack", &p, t_flat(&p, "hot_a", 0), t_co_cpu);
    share = t_chain_share(&p, "hot_a", chain, 2);
    T_CHECK(share > 0.9, "chain on the coroutine stack in %.2f of samples", share);
    prd_free(&p);
    unlink(path);
}

/* The real handler on this thread: a tgkill'd sample holds this very call chain. */
T_NOINLINE static void t_unw_signal_here(void) {
    int tid = pprof__os_gettid();
    syscall(SYS_tgkill, getpid(), tid, PPROF_SIGNAL);
    __asm__ __volatile__("");
}
T_NOINLINE static void t_unw_signal_outer(void) {
    t_unw_signal_here();
    __asm__ __volatile__("");
}
static void t_unw_in_handler(void) {
    FILE *fp = tmpfile();
    pprof__slot *sl;
    uintptr_t here = (uintptr_t)&t_unw_signal_here, outer = (uintptr_t)&t_unw_signal_outer;
    int i, found_here = 0, found_outer = 0;
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    __atomic_store_n(&pprof__cpu.drain_paused, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pprof__sig.accept_user, 1, __ATOMIC_SEQ_CST);
    t_unw_signal_outer();
    __atomic_store_n(&pprof__sig.accept_user, 0, __ATOMIC_SEQ_CST);
    sl = pprof__ring_peek(pprof__cpu.deq);
    T_CHECK(sl != NULL, "no sample in the ring");
    T_CHECK(sl->tid == pprof__os_gettid(), "tid %d", sl->tid);
    for (i = 0; i < (int)sl->nframes; i++) {
        if (sl->pc[i] > here && sl->pc[i] - here < 64) found_here = 1;
        if (sl->pc[i] > outer && sl->pc[i] - outer < 64) found_outer = 1;
    }
    T_CHECK(found_here && found_outer, "stack of %u frames misses the callers (%d %d)",
            sl->nframes, found_here, found_outer);
    __atomic_store_n(&pprof__cpu.drain_paused, 0, __ATOMIC_SEQ_CST);
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    fclose(fp);
}

#define T_UNW_CASES \
    {"unw_follows_good_frame_records", t_unw_good_chain, 10}, \
    {"unw_stops_outside_misaligned_or_looping", t_unw_stops, 10}, \
    {"unw_checked_reads_never_fault", t_unw_checked_reads, 10}, \
    {"unw_depth_cap", t_unw_depth_cap, 10}, \
    {"unw_never_a_frame_that_is_not_code", t_unw_not_code, 10}, \
    T_UNW_CFI \
    T_UNW_CALLS \
    {"unw_code_of_unloadable_objects_read_checked", t_unw_untrusted_code_gone, 10}, \
    {"unw_coroutine_stack", t_unw_coroutine_stack, 30}, \
    {"unw_coroutine_on_the_main_thread", t_unw_coroutine_main_thread, 30}, \
    T_UNW_LEAF \
    {"unw_signal_handler_stack", t_unw_in_handler, 20},
