/* Unwind tables in a live process: a library loaded during the profile and built without
   frame pointers, the same library with its .eh_frame corrupted, libraries loaded and
   unloaded while samples come in, heap stacks through a library loaded since the last
   snapshot, and signal contexts whose registers point anywhere. */
#include <dlfcn.h>

/* Builds /tmp/pprof-cfi-<pid>-<tag>.so: lib_outer -> lib_inner (CPU) and lib_alloc ->
   strdup, -O2 without frame pointers, rbp used for data in lib_outer. */
static void t_cfi_build(const char *so) {
    char src[128], cmd[512];
    FILE *f;
    snprintf(src, sizeof src, "%s.c", so);
    f = fopen(src, "w");
    T_CHECK(f != NULL, "write %s", src);
    fprintf(f,
        "#include <string.h>\n"
        "__attribute__((noinline)) unsigned long lib_inner(unsigned long x, long n) {\n"
        "    long i; for (i = 0; i < n; i++) { x = x * 6364136223846793005ul + 1;\n"
        "    __asm__ __volatile__(\"\" : \"+r\"(x)); } return x; }\n"
        "__attribute__((noinline)) unsigned long lib_outer(unsigned long x, long n) {\n"
        "    unsigned long y = lib_inner(x, n); __asm__ __volatile__(\"\" : \"+r\"(y));\n"
        "    return y + 1; }\n"
        "__attribute__((noinline)) char *lib_alloc(const char *s) {\n"
        "    char *p = strdup(s); __asm__ __volatile__(\"\" : : \"r\"(p) : \"memory\");\n"
        "    return p; }\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "cc -shared -fPIC -O2 -fomit-frame-pointer %s -o %s", src, so);
    T_CHECK(system(cmd) == 0, "%s", cmd);
    unlink(src);
}

/* Overwrites the .eh_frame of ELF file path with pseudo-random bytes, keeping every
   entry's length word (so the parser walks entries whose contents are garbage) when
   keep_lengths, else all of it. */
static void t_cfi_corrupt(const char *path, int keep_lengths) {
    FILE *f = fopen(path, "r+b");
    Elf64_Ehdr eh;
    Elf64_Shdr sh[64], *names;
    char strtab[4096];
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int i, done = 0;
    T_CHECK(f && fread(&eh, sizeof eh, 1, f) == 1 && eh.e_shnum <= 64, "read %s", path);
    T_CHECK(fseek(f, (long)eh.e_shoff, SEEK_SET) == 0 &&
            fread(sh, sizeof sh[0], eh.e_shnum, f) == eh.e_shnum, "section headers");
    names = &sh[eh.e_shstrndx];
    T_CHECK(names->sh_size < sizeof strtab && fseek(f, (long)names->sh_offset, SEEK_SET) == 0 &&
            fread(strtab, 1, names->sh_size, f) == names->sh_size, "section names");
    for (i = 0; i < eh.e_shnum; i++) {
        unsigned char *d;
        size_t n = (size_t)sh[i].sh_size, at = 0, k;
        if (strcmp(strtab + sh[i].sh_name, ".eh_frame") != 0) continue;
        d = (unsigned char *)malloc(n);
        T_CHECK(d && fseek(f, (long)sh[i].sh_offset, SEEK_SET) == 0 && fread(d, 1, n, f) == n, "read");
        while (at + 4 <= n) { /* each entry: its length word stays, its body is noise */
            uint32_t len;
            memcpy(&len, d + at, 4);
            if (len == 0 || len > n - at - 4) break;
            for (k = at + (keep_lengths ? 4 : 0); k < at + 4 + len; k++) {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
                d[k] = (unsigned char)seed;
            }
            at += 4 + len;
        }
        T_CHECK(fseek(f, (long)sh[i].sh_offset, SEEK_SET) == 0 && fwrite(d, 1, n, f) == n, "write");
        free(d);
        done = 1;
    }
    fclose(f);
    T_CHECK(done, "no .eh_frame in %s", path);
}

typedef unsigned long (*t_cfi_fn)(unsigned long, long);
static t_cfi_fn volatile t_cfi_outer;
T_NOINLINE static void *t_cfi_caller(void *arg) { /* until its thread used tr->cpu of CPU */
    t_truth *tr = (t_truth *)arg;
    unsigned long x = 1;
    t_busy b = t_busy_start(tr->cpu);
    while (t_busy_more(&b)) x = t_cfi_outer(x, 1000000); /* ~1 ms a call */
    T_OPAQUE(x);
    tr->out = t_self_cpu_ns();
    return NULL;
}

/* Every caller of every sample is code: a Location inside a mapping of a file. (Frame 0 is
   where the thread was; code of a library loaded and unloaded between two refreshes of
   the profile's mapping log has no mapping in the profile.) */
static void t_cfi_all_code(const prd_profile *p) {
    int i, k, m;
    for (i = 0; i < p->nsample; i++)
        for (k = 1; k < p->sample[i].nlocation; k++) {
            const prd_location *l = prd_loc(p, p->sample[i].location_id[k]);
            const char *file = "";
            T_CHECK(l != NULL, "a sample without its location");
            for (m = 0; m < p->nmapping; m++)
                if (p->mapping[m].id == l->mapping_id) file = prd_str(p, p->mapping[m].filename);
            T_CHECK(file[0] == '/' || strcmp(file, "[vdso]") == 0,
                    "frame %d of sample %d at %#lx is not code (mapping \"%s\")", k, i,
                    (unsigned long)l->address, file);
        }
}

/* Profiles (1000 Hz, into fp, which it closes) a thread that calls lib_outer of library so,
   loaded after the profile started, until the thread has used ms milliseconds of CPU.
   Returns the CPU it used: the truth its samples are compared with. */
static int64_t t_cfi_profile_lib(const char *so, FILE *fp, int64_t ms) {
    void *h, *sym;
    pthread_t t;
    t_truth tr;
    pprof_set_cpu_rate(1000);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    pprof__os_sleep_ns(50000000);
    h = dlopen(so, RTLD_NOW);
    T_CHECK(h != NULL, "dlopen: %s", dlerror());
    sym = dlsym(h, "lib_outer");
    memcpy((void *)&t_cfi_outer, &sym, sizeof sym);
    tr.cpu = ms * 1000000;
    tr.out = 0;
    pthread_create(&t, NULL, t_cfi_caller, &tr);
    pthread_join(t, NULL);
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    dlclose(h);
    fclose(fp);
    return tr.out;
}

/* A library built without frame pointers, loaded after the profile started: its stacks are
   whole (the tables of new code are built when a sample first meets it). */
static void t_cfi_dlopen_nofp(void) {
    static const char *chain[] = {"lib_outer", "t_cfi_caller"};
    char so[64], path[64];
    prd_profile p;
    double share;
    int64_t cpu;
    if (!t_have("cc")) T_SKIP("cc not found: cannot build the test library");
    snprintf(so, sizeof so, "/tmp/pprof-cfi-%d-a.so", (int)getpid());
    t_cfi_build(so);
    cpu = t_cfi_profile_lib(so, t_tmpfile(path, sizeof path), 500);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    t_check_new_thread("lib_inner", &p, t_flat(&p, "lib_inner", 0), cpu);
    share = t_chain_share(&p, "lib_inner", chain, 2);
    T_CHECK(share >= 0.97, "lib_inner <- lib_outer <- t_cfi_caller in %.3f of its samples", share);
    t_cfi_all_code(&p);
    fprintf(stderr, "note: %.1f%% of %lld ms in the library loaded mid-profile whole to its caller\n",
            100 * share, (long long)t_flat(&p, "lib_inner", 0));
    prd_free(&p);
    unlink(path);
    unlink(so);
}

/* The same library with its .eh_frame turned to noise (entry lengths kept, or not): no
   crash, every frame code, and the profile says how stacks ended. */
static void t_cfi_corrupt_eh_frame(void) {
    char so[64], path[64];
    int keep;
    if (!t_have("cc")) T_SKIP("cc not found: cannot build the test library");
    for (keep = 0; keep < 2; keep++) {
        prd_profile p;
        int i, found = 0;
        int64_t cpu;
        snprintf(so, sizeof so, "/tmp/pprof-cfi-%d-bad%d.so", (int)getpid(), keep);
        t_cfi_build(so);
        t_cfi_corrupt(so, keep);
        cpu = t_cfi_profile_lib(so, t_tmpfile(path, sizeof path), 300);
        memset(&p, 0, sizeof p);
        t_load(path, &p);
        t_check_new_thread("lib_inner", &p, t_flat(&p, "lib_inner", 0), cpu);
        t_cfi_all_code(&p);
        for (i = 0; i < p.ncomment; i++)
            if (strstr(prd_str(&p, p.comment[i]), "stacks (walker cfi)")) found = 1;
        T_CHECK(found, "no comment on how stacks ended");
        prd_free(&p);
        unlink(path);
        unlink(so);
    }
}

/* A library loaded and unloaded over and over (its table built and retired each time)
   while it runs and samples come in at 1000 Hz: no crash, every frame code. (One file: two
   at one address would leave that address to neither in the profile, by design.) */
static void t_cfi_load_unload_churn(void) {
    char so[64], path[64];
    FILE *fp;
    prd_profile p;
    int round;
    int64_t t0;
    if (!t_have("cc")) T_SKIP("cc not found: cannot build the test library");
    snprintf(so, sizeof so, "/tmp/pprof-cfi-%d-c.so", (int)getpid());
    t_cfi_build(so);
    fp = t_tmpfile(path, sizeof path);
    pprof_set_cpu_rate(1000);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    t0 = pprof__os_mono_ns();
    for (round = 0; pprof__os_mono_ns() - t0 < 1500000000; round++) {
        void *h = dlopen(so, RTLD_NOW), *sym;
        unsigned long x = (unsigned long)round;
        T_CHECK(h != NULL, "dlopen: %s", dlerror());
        sym = dlsym(h, "lib_outer");
        memcpy((void *)&t_cfi_outer, &sym, sizeof sym);
        x = t_cfi_outer(x, 3000000);
        T_OPAQUE(x);
        dlclose(h);
    }
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    t_cfi_all_code(&p);
    fprintf(stderr, "note: %d loads and unloads, %lld ms in the libraries\n", round,
            (long long)t_flat(&p, "lib_inner", 0));
    prd_free(&p);
    unlink(path);
    unlink(so);
}

#if PPROF__INTERPOSE /* (a sanitizer owns malloc: nothing is interposed) */
/* An allocation inside a library loaded since the last snapshot (strdup in lib_alloc): at
   rate 1 every one is recorded with its caller, the first one too (the walk refreshes the
   snapshot and walks again). */
typedef char *(*t_cfi_alloc_fn)(const char *);
T_NOINLINE static char *t_cfi_alloc_site(t_cfi_alloc_fn f) {
    char *s = f("a string made in a library loaded just now");
    T_OPAQUE(s);
    return s;
}
static void t_cfi_heap_in_new_library(void) {
    static const char *chain[] = {"lib_alloc", "t_cfi_alloc_site"};
    char so[64], path[64];
    FILE *fp;
    void *h, *sym;
    t_cfi_alloc_fn f;
    char *kept[10];
    prd_profile p;
    int i, n = 0, whole = 0;
    if (!t_have("cc")) T_SKIP("cc not found: cannot build the test library");
    snprintf(so, sizeof so, "/tmp/pprof-cfi-%d-h.so", (int)getpid());
    t_cfi_build(so);
    free(strdup("a snapshot exists before the library"));
    pprof_set_heap_rate(1);
    h = dlopen(so, RTLD_NOW);
    T_CHECK(h != NULL, "dlopen: %s", dlerror());
    sym = dlsym(h, "lib_alloc");
    memcpy((void *)&f, &sym, sizeof sym);
    for (i = 0; i < 10; i++) kept[i] = t_cfi_alloc_site(f);
    fp = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_heap(fp) == PPROF_OK, "write");
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    for (i = 0; i < p.nsample; i++) { /* strdup's records: lib_alloc <- t_cfi_alloc_site */
        const prd_sample *s = &p.sample[i];
        int k;
        for (k = 0; k < s->nlocation && k < 3; k++)
            if (t_streq(t_frame(&p, s, k), "lib_alloc")) {
                n += (int)s->value[0];
                whole += t_streq(t_frame(&p, s, k + 1), chain[1]) ? (int)s->value[0] : 0;
            }
    }
    T_CHECK(n == 10 && whole == 10, "%d allocations in the new library, %d with its caller", n, whole);
    for (i = 0; i < 10; i++) free(kept[i]);
    prd_free(&p);
    unlink(path);
    dlclose(h);
    unlink(so);
}

#  define T_CFI_HEAP {"cfi_heap_stack_in_a_library_loaded_since", t_cfi_heap_in_new_library, 60},
#else
#  define T_CFI_HEAP
#endif

/* Signal contexts whose registers point anywhere (sp in the middle of nowhere, in the
   kernel's half, at the stack's top, pc in data): the walk reads nothing it may not and
   says why it stopped. */
static void t_cfi_wild_contexts(void) {
    static uintptr_t heap_words[64];
    uintptr_t vals[8], out[PPROF_MAX_FRAMES];
    FILE *fp = tmpfile();
    ucontext_t uc;
    int a, b, c, n;
    vals[0] = 0;
    vals[1] = 1;
    vals[2] = (uintptr_t)0xffff800000001000ull;
    vals[3] = (uintptr_t)&heap_words[32];
    vals[4] = (uintptr_t)pthread_self() - 8;
    vals[5] = (uintptr_t)&t_cfi_wild_contexts;
    vals[6] = (uintptr_t)0x1000;
    vals[7] = (uintptr_t)__builtin_frame_address(0) - 4096;
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start"); /* a published snapshot */
    for (a = 0; a < 8; a++)
        for (b = 0; b < 8; b++)
            for (c = 0; c < 8; c++) {
                pprof__uwalk w;
                memset(&uc, 0, sizeof uc);
#if defined(PPROF__X86_64)
                uc.uc_mcontext.gregs[16] = (greg_t)vals[a]; /* REG_RIP, REG_RSP, REG_RBP */
                uc.uc_mcontext.gregs[15] = (greg_t)vals[b];
                uc.uc_mcontext.gregs[10] = (greg_t)vals[c];
#else
                uc.uc_mcontext.pc = vals[a];
                uc.uc_mcontext.sp = vals[b];
                uc.uc_mcontext.regs[29] = vals[c];
                uc.uc_mcontext.regs[30] = vals[(c + 3) % 8];
#endif
                n = pprof__unw_context(&uc, &w, out, PPROF_MAX_FRAMES);
                T_CHECK(n >= 1 && n <= PPROF_MAX_FRAMES && out[0] == vals[a], "walk %d %d %d: %d", a, b, c, n);
                T_CHECK(w.end >= 0 && w.end < PPROF__END_N, "end %d", w.end);
            }
    pprof_cpu_stop();
    fclose(fp);
}

#define T_CFI_CASES \
    {"cfi_library_loaded_mid_profile_without_frame_pointers", t_cfi_dlopen_nofp, 60}, \
    {"cfi_corrupt_eh_frame_in_a_dlopened_library", t_cfi_corrupt_eh_frame, 60}, \
    {"cfi_libraries_loaded_and_unloaded_while_sampling", t_cfi_load_unload_churn, 60}, \
    T_CFI_HEAP \
    {"cfi_wild_signal_contexts_never_fault", t_cfi_wild_contexts, 30},
