/* In-process names: right where a symbol covers the address, nothing where none does,
   checked against nm's view of this executable. */

static pprof__obj *t_obj_for(uintptr_t a, pprof__maps *m) {
    struct stat exe;
    size_t i;
    T_CHECK(pprof__maps_read(m) == 0, "maps");
    T_CHECK(stat("/proc/self/exe", &exe) == 0, "stat");
    for (i = 0; i < m->n; i++)
        if (m->e[i].x && m->e[i].lo <= a && a < m->e[i].hi)
            return pprof__sym_obj(&m->e[i], (unsigned long long)exe.st_ino);
    T_CHECK(0, "no executable mapping holds %p", (void *)a);
    return NULL;
}

static void t_sym_own_functions(void) {
    pprof__maps m;
    pprof__obj *o = t_obj_for((uintptr_t)&hot_a, &m);
    T_CHECK(o && o->nsyms > 100, "symbols of this executable: %zu", o ? o->nsyms : 0);
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&hot_a), "hot_a"), "hot_a start");
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&hot_a + 5), "hot_a"), "hot_a + 5");
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&t_round), "t_round"), "t_round");
    T_CHECK(t_streq(pprof__sym_lookup(o, (uintptr_t)&t_chain_share), "t_chain_share"),
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
    name = pprof__sym_lookup(o, (uintptr_t)&getpid);
    T_CHECK(t_streq(name, "getpid"), "getpid named %s", name ? name : "(null)");
    pprof__maps_free(&m);
    T_CHECK(pprof__maps_read(&m) == 0, "maps");
    for (i = 0; i < m.n; i++) {
        if (strcmp(m.e[i].path, "[vdso]") != 0) continue;
        o = pprof__sym_obj(&m.e[i], 0);
        T_CHECK(o && o->nsyms > 0, "vdso symbols");
        name = pprof__sym_lookup(o, o->syms[0].lo + o->bias);
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
        const char *got = pprof__sym_lookup(o, a);
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

#define T_SYM_CASES \
    {"sym_names_own_functions", t_sym_own_functions, 20}, \
    {"sym_names_libc_and_vdso", t_sym_libc_and_vdso, 20}, \
    {"sym_never_names_outside_a_symbol", t_sym_matches_nm, 60},
