/* The unwinder on hand-made stacks: it follows good frame records and stops, without
   reading, at anything outside the stack region, misaligned or not moving up. */

typedef struct t_stack { uintptr_t w[512]; } t_stack;

static pprof__snap *t_snap(void) {
    pprof__snap *s = (pprof__snap *)calloc(1, sizeof *s);
    T_CHECK(s != NULL, "calloc");
    return s;
}

/* Frame records at words 10, 20, 30, ...: [next fp, return address]. */
static uintptr_t t_chain(t_stack *st, int frames) {
    int i;
    memset(st, 0, sizeof *st);
    for (i = 0; i < frames; i++) {
        int at = 10 + 4 * i;
        st->w[at] = i + 1 < frames ? (uintptr_t)&st->w[at + 4] : 0;
        st->w[at + 1] = 0x1000 + (uintptr_t)i;
    }
    return (uintptr_t)&st->w[10];
}

static void t_unw_good_chain(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    uintptr_t out[PPROF_MAX_FRAMES], fp = t_chain(st, 5);
    uintptr_t lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    int n, i;
    out[0] = 0x42;
    n = pprof__unw_walk(s, 0x42, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 6, "frames %d, want leaf + 5", n);
    for (i = 0; i < 5; i++) T_CHECK(out[1 + i] == 0x1000 + (uintptr_t)i, "frame %d", i);
    free(st);
    free(s);
}

static void t_unw_stops(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    uintptr_t out[PPROF_MAX_FRAMES], fp;
    uintptr_t lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    int n;
    fp = t_chain(st, 5);
    st->w[18] = (uintptr_t)&st->w[0] + 600 * sizeof(uintptr_t); /* past the top */
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 4, "out of bounds: %d frames, want 4", n);
    fp = t_chain(st, 5);
    st->w[18] = (uintptr_t)&st->w[22] + 3; /* misaligned */
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 4, "misaligned: %d frames, want 4", n);
    fp = t_chain(st, 5);
    st->w[18] = (uintptr_t)&st->w[10]; /* back down: a loop */
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 4, "loop: %d frames, want 4", n);
    fp = t_chain(st, 5);
    n = pprof__unw_walk(s, 1, lo, (uintptr_t)&st->w[1], 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 1, "fp below the stack pointer: %d frames", n);
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, (uintptr_t)&st->w[11], out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 1, "record straddling the top: %d frames", n);
    free(st);
    free(s);
}

/* A stack the snapshot does not know is read through a system call: a frame pointer into
   a guard page ends the walk instead of faulting. */
static void t_unw_checked_reads(void) {
    pprof__snap *s = t_snap();
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *m = (unsigned char *)mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t *w = (uintptr_t *)(void *)m, out[PPROF_MAX_FRAMES];
    uintptr_t lo = (uintptr_t)m, hi = (uintptr_t)m + 2 * (uintptr_t)pg;
    int n;
    T_CHECK(m != MAP_FAILED, "mmap");
    T_CHECK(mprotect(m + pg, (size_t)pg, PROT_NONE) == 0, "mprotect");
    w[4] = (uintptr_t)&w[8]; w[5] = 0x2000;
    w[8] = (uintptr_t)m + (uintptr_t)pg + 64; w[9] = 0x2001; /* next record: the guard page */
    n = pprof__unw_walk(s, 1, lo, (uintptr_t)&w[4], 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 1);
    T_CHECK(n == 3 && out[1] == 0x2000 && out[2] == 0x2001, "checked walk: %d frames", n);
    n = pprof__unw_walk(s, 1, lo, (uintptr_t)m + (uintptr_t)pg, 0, lo, hi, out, 1,
                        PPROF_MAX_FRAMES, 1);
    T_CHECK(n == 1, "fp in the guard page: %d frames", n);
    munmap(m, (size_t)pg * 2);
    free(s);
}

static void t_unw_depth_cap(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    uintptr_t out[PPROF_MAX_FRAMES];
    uintptr_t fp = t_chain(st, 120), lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    int n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == PPROF_MAX_FRAMES, "deep chain: %d frames", n);
    T_CHECK(out[PPROF_MAX_FRAMES - 1] == 0x1000 + PPROF_MAX_FRAMES - 2, "cut at the root end");
    free(st);
    free(s);
}

#if defined(PPROF__X86_64)
/* The leaf's caller is taken from the stack pointer only if a call instruction precedes it. */
static void t_unw_leaf_caller(void) {
    t_stack *st = (t_stack *)malloc(sizeof *st);
    pprof__snap *s = t_snap();
    unsigned char *code = (unsigned char *)malloc(256);
    uintptr_t out[PPROF_MAX_FRAMES], fp = t_chain(st, 3), ra;
    uintptr_t lo = (uintptr_t)&st->w[2], hi = (uintptr_t)&st->w[512];
    int32_t rel;
    int n;
    memset(code, 0x90, 256);
    code[100] = 0xE8; /* call rel32 to code + 20 */
    ra = (uintptr_t)code + 105;
    rel = (int32_t)((intptr_t)(code + 20) - (intptr_t)ra);
    memcpy(code + 101, &rel, 4);
    s->nx = 1;
    s->x[0].lo = (uintptr_t)code;
    s->x[0].hi = (uintptr_t)code + 256;
    st->w[2] = ra; /* [sp]: a return address into code */
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 5 && out[1] == ra && out[2] == 0x1000, "frameless leaf: %d frames", n);
    st->w[2] = ra - 1; /* not after a call */
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 4 && out[1] == 0x1000, "no call before it: %d frames", n);
    st->w[2] = fp; /* just after push %rbp: the return address is one word up */
    st->w[3] = ra;
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 5 && out[1] == ra, "in the prologue: %d frames", n);
    st->w[2] = 0x1000; /* equal to the first frame's return address: no duplicate */
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 4, "duplicate caller: %d frames", n);
    st->w[511] = ra; /* sp at the very top: the word is not read */
    n = pprof__unw_walk(s, 1, (uintptr_t)&st->w[511], 0, 0, (uintptr_t)&st->w[511], hi, out, 1,
                        PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 1, "sp at the top: %d frames", n);
    code[100] = 0x90; /* a code address whose bytes before it are no call */
    st->w[2] = ra;
    n = pprof__unw_walk(s, 1, lo, fp, 0, lo, hi, out, 1, PPROF_MAX_FRAMES, 0);
    T_CHECK(n == 4, "no call instruction: %d frames", n);
    free(code);
    free(st);
    free(s);
}
#  define T_UNW_LEAF {"unw_leaf_caller_only_after_a_call", t_unw_leaf_caller, 10},
#else
#  define T_UNW_LEAF
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
T_NOINLINE static void t_co_body(void) {
    int64_t t0 = pprof__os_mono_ns();
    while (pprof__os_mono_ns() - t0 < 500000000) t_co_x = stage_a(t_co_x);
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
    T_CHECK(t_flat(&p, "hot_a", 0) > 20, "only %lld samples", (long long)t_flat(&p, "hot_a", 0));
    share = t_chain_share(&p, "hot_a", chain, 2);
    T_CHECK(share > 0.9, "chain on the coroutine stack in %.2f of samples", share);
    prd_free(&p);
    unlink(path);
}

/* The real handler on this thread: a tgkill'd sample holds this very call chain. */
T_NOINLINE static void t_unw_signal_here(void) {
    int tid = pprof__os_gettid();
    syscall(SYS_tgkill, getpid(), tid, SIGPROF);
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
    {"unw_code_of_unloadable_objects_read_checked", t_unw_untrusted_code_gone, 10}, \
    {"unw_coroutine_stack", t_unw_coroutine_stack, 30}, \
    {"unw_coroutine_on_the_main_thread", t_unw_coroutine_main_thread, 30}, \
    T_UNW_LEAF \
    {"unw_signal_handler_stack", t_unw_in_handler, 20},
