/* In-process names: right where a symbol covers the address, nothing where none does,
   checked against nm's view of this executable. */

static pprof__exe t_exe;
static pprof__obj *t_obj_for(uintptr_t a, pprof__maps *m) {
    size_t i;
    T_CHECK(pprof__maps_read(m) == 0, "maps");
    pprof__sym_exe(&t_exe);
    for (i = 0; i < m->n; i++)
        if (m->e[i].x && m->e[i].lo <= a && a < m->e[i].hi)
            return pprof__sym_obj(&m->e[i], &t_exe);
    T_CHECK(0, "no executable mapping holds %p", (void *)a);
    return NULL;
}

static void t_sym_own_functions(void) {
    pprof__maps m;
    pprof__obj *o = t_obj_for((uintptr_t)&hot_a, &m);
    T_CHECK(o && o->nsyms > 100, "symbols of this executable: %zu", o ? o->nsyms : 0);
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&hot_a, NULL), "hot_a"), "hot_a start");
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&hot_a + 5, NULL), "hot_a"), "hot_a + 5");
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&t_round, NULL), "t_round"), "t_round");
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&t_chain_share, NULL), "t_chain_share"),
            "a static function (from .symtab)");
    T_CHECK(strlen(o->build_id) == 40, "build id %s", o->build_id);
    pprof__maps_free(&m);
}

static void t_sym_libc_and_vdso(void) {
    pprof__maps m;
    pprof__obj *o;
    const char *name;
    size_t i;
    o = t_obj_for((uintptr_t)&getpid, &m);
    name = pprof__sym_lookup(o, (uintptr_t)&getpid, NULL);
    T_CHECK(t_streq(name, "getpid"), "getpid named %s", name ? name : "(null)");
    pprof__maps_free(&m);
    T_CHECK(pprof__maps_read(&m) == 0, "maps");
    for (i = 0; i < m.n; i++) {
        if (strcmp(m.e[i].path, "[vdso]") != 0) continue;
        o = pprof__sym_obj(&m.e[i], &t_exe);
        T_CHECK(o && o->nsyms > 0, "vdso symbols");
        name = pprof__sym_lookup(o, o->syms[0].lo + o->bias, NULL);
        T_CHECK(name && (strstr(name, "clock") || strstr(name, "time") || strstr(name, "getcpu")),
                "vdso symbol %s", name ? name : "(null)");
    }
    pprof__maps_free(&m);
}

/* Every address of this executable gets the name nm gives it, or none where nm has no
   function: padding, PLT stubs and the like are never charged to a neighbour. */
static void t_sym_matches_nm(void) {
    char cmd[600], exe[512], type, name[512];
    unsigned long long addr, size;
    pprof__maps m;
    pprof__obj *o = t_obj_for((uintptr_t)&hot_a, &m);
    FILE *nm;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    typedef struct { uintptr_t lo, hi; } iv;
    iv *ivs = (iv *)malloc(100000 * sizeof *ivs);
    int niv = 0, i, checked = 0, unnamed = 0;
    uintptr_t a;
    if (!t_have("nm")) T_SKIP("nm (binutils) not found");
    T_CHECK(n > 0, "readlink");
    exe[n] = 0;
    snprintf(cmd, sizeof cmd, "nm -S --defined-only '%s'", exe);
    nm = popen(cmd, "r");
    T_CHECK(nm != NULL, "popen nm");
    while (fgets(cmd, sizeof cmd, nm)) {
        if (sscanf(cmd, "%llx %llx %c %511s", &addr, &size, &type, name) != 4) continue;
        if ((type != 'T' && type != 't' && type != 'W' && type != 'i') || size == 0) continue;
        if (niv < 100000) { ivs[niv].lo = (uintptr_t)addr; ivs[niv].hi = (uintptr_t)(addr + size); niv++; }
    }
    pclose(nm);
    T_CHECK(niv > 100, "nm listed %d functions", niv);
    /* walk the whole text range in small steps */
    for (a = o->lo; a < o->hi; a += 3) {
        uintptr_t rel = a - o->bias;
        int covered = 0;
        const char *got = pprof__sym_lookup(o, a, NULL);
        for (i = 0; i < niv && !covered; i++) covered = ivs[i].lo <= rel && rel < ivs[i].hi;
        T_CHECK(covered == (got != NULL), "address 0x%lx (file 0x%lx): nm %s, pprof.h %s",
                (unsigned long)a, (unsigned long)rel, covered ? "covers it" : "has nothing",
                got ? got : "nothing");
        checked++;
        unnamed += !covered;
    }
    T_CHECK(checked > 1000 && unnamed > 0, "checked %d, unnamed %d", checked, unnamed);
    free(ivs);
    pprof__maps_free(&m);
}

/* Malformed ELF files: offsets and sizes that wrap or lie past the end, truncation. The
   parser must name nothing from them and never fault. */
static void t_sym_malformed_elf(void) {
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    size_t n = 0, cap = 1 << 20;
    unsigned char *img = (unsigned char *)malloc(cap), *work;
    FILE *self = fopen("/proc/self/exe", "rb");
    Elf64_Ehdr eh;
    Elf64_Shdr *sh;
    size_t r;
    int k, i;
    T_CHECK(self && img, "open self");
    while ((r = fread(img + n, 1, cap - n, self)) > 0) {
        n += r;
        if (n == cap) { cap *= 2; img = (unsigned char *)realloc(img, cap); }
    }
    fclose(self);
    fclose(fp);
    memcpy(&eh, img, sizeof eh);
    work = (unsigned char *)malloc(n);
    for (k = 0; k < 6; k++) {
        pprof__obj o;
        pprof__img im;
        size_t len = n;
        FILE *w;
        memcpy(work, img, n);
        sh = (Elf64_Shdr *)(void *)(work + eh.e_shoff);
        switch (k) {
        case 0: len = 100; break;                                          /* truncated */
        case 1: ((Elf64_Ehdr *)(void *)work)->e_shoff = ~(Elf64_Off)0 - 255; break;
        case 2: ((Elf64_Ehdr *)(void *)work)->e_phoff = ~(Elf64_Off)0 - 8; break;
        case 3: /* every section's offset wraps with its size */
            for (i = 0; i < eh.e_shnum; i++) {
                sh[i].sh_offset = ~(Elf64_Off)0 - ((Elf64_Off)1 << 40) + 1;
                sh[i].sh_size = ((Elf64_Off)1 << 40) + 24;
            }
            break;
        case 4: for (i = 0; i < eh.e_shnum; i++) sh[i].sh_link = 0xffff; break;
        case 5: len = (size_t)eh.e_shoff + 10; break;           /* cut inside the section table */
        }
        w = fopen(path, "wb");
        T_CHECK(w && fwrite(work, 1, len, w) == len, "write");
        fclose(w);
        memset(&o, 0, sizeof o);
        o.lo = 0x10000;
        im.mem = NULL;
        im.fd = open(path, O_RDONLY);
        im.size = len;
        pprof__sym_parse(&o, &im);
        close(im.fd);
        T_CHECK(o.nsyms == 0, "case %d: %zu names from a malformed file", k, o.nsyms);
        PPROF_FREE(o.syms);
        PPROF_FREE(o.names);
    }
    free(work);
    free(img);
    unlink(path);
}

#define T_SYM_CASES \
    {"sym_malformed_elf_names_nothing", t_sym_malformed_elf, 20}, \
    {"sym_names_own_functions", t_sym_own_functions, 20}, \
    {"sym_names_libc_and_vdso", t_sym_libc_and_vdso, 20}, \
    {"sym_never_names_outside_a_symbol", t_sym_matches_nm, 60},
