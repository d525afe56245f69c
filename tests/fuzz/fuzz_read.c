/* libFuzzer target: the project's own profile reader (tools/pprof_read.h), which the tests
   and tools/pbdump use on profiles from anywhere: gzip members (stored blocks here; zlib's
   when built with PRD_USE_ZLIB), profile.proto, the validity rules and the lookups. */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#define PPROF_READ_IMPLEMENTATION
#include "../../tools/pprof_read.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const int64_t idx[] = {-1, 0, 1, 2, INT64_MAX, INT64_MIN};
    prd_profile p;
    char err[200];
    int rc = prd_parse_mem(data, size, &p), i, k;
    FZ_CHECK(memchr(p.err, 0, sizeof p.err) != NULL);
    if (rc != 0) {
        /* an error keeps the message and nothing else */
        FZ_CHECK(rc == -1 && p.err[0] && !p.sample && !p.nsample && !p.string && !p.nstring &&
                 !p.location && !p.function && !p.mapping && !p.sample_type);
        prd_free(&p);
        return 0;
    }
    FZ_CHECK(p.nsample >= 0 && p.nlocation >= 0 && p.nfunction >= 0 && p.nmapping >= 0 &&
             p.nstring >= 0 && p.nsample_type >= 0 && p.ncomment >= 0);
    rc = prd_validate(&p, err, sizeof err);
    FZ_CHECK((rc == 0 || (rc == -1 && memchr(err, 0, sizeof err) && err[0])));
    for (k = 0; k < (int)(sizeof idx / sizeof idx[0]); k++) FZ_CHECK(prd_str(&p, idx[k]) != NULL);
    if (p.nstring > 0) FZ_CHECK(prd_str(&p, p.nstring - 1) == p.string[p.nstring - 1]);
    FZ_CHECK(prd_str(&p, p.nstring)[0] == 0);
    for (i = 0; i < p.nlocation && i < 64; i++) {
        const prd_location *l = prd_loc(&p, p.location[i].id);
        const char *name;
        FZ_CHECK(l && l->id == p.location[i].id);
        name = prd_loc_name(&p, &p.location[i]);
        FZ_CHECK(!name || strlen(name) < ((size_t)1 << 31));
    }
    for (i = 0; i < p.nfunction && i < 64; i++) {
        const prd_function *f = prd_func(&p, p.function[i].id);
        FZ_CHECK(f && f->id == p.function[i].id);
    }
    for (i = 0; i < p.nsample && i < 64; i++)
        FZ_CHECK(p.sample[i].nlocation >= 0 && p.sample[i].nvalue >= 0 && p.sample[i].nlabel >= 0);
    k = prd_sample_type_index(&p, "cpu");
    FZ_CHECK(k >= -1 && k < p.nsample_type);
    prd_free(&p);
    return 0;
}
