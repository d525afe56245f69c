/* pbdump - print a pprof profile (gzipped profile.proto) without Go; part of pprof.h
 * Build: cc -std=c99 -O2 -o pbdump tools/pbdump.c   (add -DPRD_USE_ZLIB ... -lz to read
 *        zlib-compressed profiles; without it only raw protobuf and stored-block gzip)
 * Usage: pbdump [-top|-raw|-traces|-cum=FN,...] [-sample_index=NAME] FILE   (FILE "-": stdin)
 * Exit:  0 ok, 1 unreadable or invalid profile, 2 usage.
 */
#define PPROF_READ_IMPLEMENTATION
#include "pprof_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MODE_TOP, MODE_RAW, MODE_TRACES, MODE_CUM };

typedef struct node { char *name; int64_t flat, cum; int stamp; } node;

static void usage(FILE *f) {
    fprintf(f, "usage: pbdump [-top|-raw|-traces|-cum=FN,...] [-sample_index=NAME] FILE\n"
               "  -top      functions by flat value, like go tool pprof -top (default)\n"
               "  -raw      every field of the profile\n"
               "  -traces   every sample with its stack, leaf first\n"
               "  -cum=FN,...  per function: every value column, exact, summed over the\n"
               "            samples with FN anywhere in their stack (once each)\n"
               "  -sample_index=NAME  value column for -top/-traces (type name or index)\n");
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "pbdump: out of memory\n");
        exit(1);
    }
    return p;
}

/* pprof-style value: nanoseconds as seconds, bytes scaled by 1024, other units as integers */
static const char *fmtv(char *b, size_t n, const prd_profile *p, int col, int64_t v) {
    const char *unit = col >= 0 ? prd_str(p, p->sample_type[col].unit) : "";
    if (v == 0) {
        snprintf(b, n, "0");
    } else if (strcmp(unit, "nanoseconds") == 0) {
        snprintf(b, n, "%.2fs", (double)v / 1e9);
    } else if (strcmp(unit, "bytes") == 0 && (v >= 1024 || v <= -1024)) {
        static const char *const sfx[] = {"B", "kB", "MB", "GB", "TB"};
        double d = (double)v;
        int i = 0;
        size_t len;
        while (i < 4 && (d >= 1024 || d <= -1024)) {
            d /= 1024;
            i++;
        }
        snprintf(b, n, "%.2f", d);
        len = strlen(b);                /* "1.50" -> "1.5", "512.00" -> "512" as pprof does */
        while (len > 0 && b[len - 1] == '0') b[--len] = '\0';
        if (len > 0 && b[len - 1] == '.') b[--len] = '\0';
        snprintf(b + len, n - len, "%s", sfx[i]);
    } else if (strcmp(unit, "bytes") == 0) {
        snprintf(b, n, "%lldB", (long long)v);
    } else {
        snprintf(b, n, "%lld", (long long)v);
    }
    return b;
}

static const char *pct(char *b, size_t n, int64_t v, int64_t total) {
    double r = total ? (double)v / (double)total * 100 : 0;
    if (r < 0) r = -r;
    if (r >= 99.95 && r <= 100.05) snprintf(b, n, "100%%");
    else snprintf(b, n, r >= 1 ? "%.2f%%" : "%.2g%%", r);
    return b;
}

static int nframes(const prd_location *l) { return l->nline ? l->nline : 1; }

/* frame k of a location (line[0] is the innermost inlined one): name, else 0x<address> */
static const char *frame_name(const prd_profile *p, const prd_location *l, int k, char *b,
                              size_t n) {
    if (l->nline) {
        const prd_function *f = prd_func(p, l->line[k].function_id);
        if (f && *prd_str(p, f->name)) return prd_str(p, f->name);
        if (f && *prd_str(p, f->system_name)) return prd_str(p, f->system_name);
    }
    snprintf(b, n, "0x%llx", (unsigned long long)l->address);
    return b;
}

static void print_labels(const prd_profile *p, const prd_sample *s) {
    int j;
    for (j = 0; j < s->nlabel; j++) {
        const prd_label *l = &s->label[j];
        if (l->str) printf(" %s=\"%s\"", prd_str(p, l->key), prd_str(p, l->str));
        else printf(" %s=%lld%s", prd_str(p, l->key), (long long)l->num, prd_str(p, l->num_unit));
    }
}

static void print_header(const prd_profile *p, int col) {
    int i;
    if (p->nmapping && *prd_str(p, p->mapping[0].filename))
        printf("File: %s\n", prd_str(p, p->mapping[0].filename));
    if (col >= 0) printf("Type: %s\n", prd_str(p, p->sample_type[col].type));
    if (p->time_nanos) {
        time_t t = (time_t)(p->time_nanos / 1000000000);
        char tb[64];
        struct tm *tm = gmtime(&t);
        if (tm && strftime(tb, sizeof tb, "%Y-%m-%d %H:%M:%S UTC", tm)) printf("Time: %s\n", tb);
    }
    if (p->duration_nanos) printf("Duration: %.2fs\n", (double)p->duration_nanos / 1e9);
    printf("Sample types:");
    for (i = 0; i < p->nsample_type; i++)
        printf(" %s/%s", prd_str(p, p->sample_type[i].type), prd_str(p, p->sample_type[i].unit));
    if (p->default_sample_type) printf(" (default %s)", prd_str(p, p->default_sample_type));
    printf("\nPeriod: %lld %s/%s\n", (long long)p->period, prd_str(p, p->period_type.type),
           prd_str(p, p->period_type.unit));
}

static unsigned long hash(const char *s) {
    unsigned long h = 2166136261u;      /* FNV-1a */
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static int cmp_node(const void *a, const void *b) {
    const node *x = (const node *)a, *y = (const node *)b;
    int64_t fx = x->flat < 0 ? -x->flat : x->flat, fy = y->flat < 0 ? -y->flat : y->flat;
    if (fx != fy) return fx > fy ? -1 : 1;      /* by |flat| as pprof, then by name */
    return strcmp(x->name, y->name);
}

static void top(const prd_profile *p, int col) {
    int i, j, k, nn = 0, total_frames = 0, *off, *fr;
    size_t cap = 1, mask;
    int *tab;
    node *nodes;
    int64_t total = 0, sum = 0;
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    for (i = 0; i < p->nlocation; i++) total_frames += nframes(&p->location[i]);
    while (cap < 2 * (size_t)total_frames + 2) cap *= 2;
    mask = cap - 1;
    tab = (int *)xmalloc(cap * sizeof *tab);    /* node index + 1, 0 = empty */
    memset(tab, 0, cap * sizeof *tab);
    nodes = (node *)xmalloc((size_t)total_frames * sizeof *nodes);
    off = (int *)xmalloc(((size_t)p->nlocation + 1) * sizeof *off);
    fr = (int *)xmalloc((size_t)total_frames * sizeof *fr);
    /* one node per distinct name; each location's frames resolved once */
    for (i = 0, off[0] = 0; i < p->nlocation; i++) {
        const prd_location *l = &p->location[i];
        off[i + 1] = off[i] + nframes(l);
        for (k = 0; k < nframes(l); k++) {
            char ab[32];
            const char *name = frame_name(p, l, k, ab, sizeof ab);
            size_t h = hash(name) & mask;
            while (tab[h] && strcmp(nodes[tab[h] - 1].name, name)) h = (h + 1) & mask;
            if (!tab[h]) {
                nodes[nn].name = (char *)xmalloc(strlen(name) + 1);
                strcpy(nodes[nn].name, name);
                nodes[nn].flat = nodes[nn].cum = 0;
                nodes[nn].stamp = 0;
                tab[h] = ++nn;
            }
            fr[off[i] + k] = tab[h] - 1;
        }
    }
    for (i = 0; col >= 0 && i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        int64_t v = s->value[col];
        total += v < 0 ? -v : v;        /* pprof's total: sum of absolute values */
        if (s->nlocation == 0) continue;
        nodes[fr[off[s->location_id[0] - 1]]].flat += v;
        for (j = 0; j < s->nlocation; j++) {
            int li = (int)s->location_id[j] - 1;
            for (k = off[li]; k < off[li + 1]; k++) {
                node *nd = &nodes[fr[k]];
                if (nd->stamp == i + 1) continue;   /* recursion: once per sample */
                nd->stamp = i + 1;
                nd->cum += v;
            }
        }
    }
    print_header(p, col);
    fmtv(b1, sizeof b1, p, col, total);
    printf("Showing nodes accounting for %s, 100%% of %s total (%d samples)\n", b1, b1,
           p->nsample);
    printf("%10s %6s %6s %10s %6s\n", "flat", "flat%", "sum%", "cum", "cum%");
    qsort(nodes, (size_t)nn, sizeof *nodes, cmp_node);
    for (i = 0; i < nn; i++) {
        node *nd = &nodes[i];
        sum += nd->flat;
        if (nd->flat || nd->cum)
            printf("%10s %6s %6s %10s %6s  %s\n", fmtv(b1, sizeof b1, p, col, nd->flat),
                   pct(b2, sizeof b2, nd->flat, total), pct(b3, sizeof b3, sum, total),
                   fmtv(b4, sizeof b4, p, col, nd->cum), pct(b5, sizeof b5, nd->cum, total),
                   nd->name);
        free(nd->name);
    }
    free(tab);
    free(nodes);
    free(off);
    free(fr);
}

static void print_stack(const prd_profile *p, const prd_sample *s, const char *indent, int ids) {
    int j, k;
    char ab[32];
    for (j = 0; j < s->nlocation; j++) {
        const prd_location *l = prd_loc(p, s->location_id[j]);
        for (k = 0; l && k < nframes(l); k++) {
            if (ids) printf("%sloc %llu 0x%llx", indent, (unsigned long long)l->id,
                            (unsigned long long)l->address);
            if (!ids || l->nline)       /* with ids an unnamed frame is its address already */
                printf("%s%s%s", ids ? " " : indent, frame_name(p, l, k, ab, sizeof ab),
                       k + 1 < nframes(l) ? " (inline)" : "");
            printf("\n");
        }
    }
}

static void traces(const prd_profile *p, int col) {
    int i, j;
    char b[32];
    print_header(p, col);
    for (i = 0; i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        printf("-----------+-------------------------------------------------------\n");
        printf("sample %d:", i);
        for (j = 0; j < s->nvalue; j++)
            printf(" %s=%s", prd_str(p, p->sample_type[j].type),
                   fmtv(b, sizeof b, p, j, s->value[j]));
        print_labels(p, s);
        printf("\n");
        print_stack(p, s, "    ", 0);
    }
    printf("-----------+-------------------------------------------------------\n");
}

/* "FN v0 v1 ...": the exact cumulative values of function FN (each sample counted once). */
static void cum(const prd_profile *p, const char *fn) {
    int i, j, k, c;
    char ab[32];
    int64_t v[64] = {0};
    for (i = 0; i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        int hit = 0;
        for (j = 0; j < s->nlocation && !hit; j++) {
            const prd_location *l = prd_loc(p, s->location_id[j]);
            for (k = 0; l && k < nframes(l) && !hit; k++)
                hit = strcmp(frame_name(p, l, k, ab, sizeof ab), fn) == 0;
        }
        for (c = 0; hit && c < s->nvalue && c < 64; c++) v[c] += s->value[c];
    }
    printf("%s", fn);
    for (c = 0; c < p->nsample_type && c < 64; c++) printf(" %lld", (long long)v[c]);
    printf("\n");
}

static void raw(const prd_profile *p) {
    int i, j;
    printf("encoding: %s\n", !p->was_gzip ? "raw protobuf"
                             : p->gzip_stored_only ? "gzip (stored blocks)" : "gzip (compressed)");
    for (i = 0; i < p->nsample_type; i++)
        printf("sample_type[%d]: %s/%s\n", i, prd_str(p, p->sample_type[i].type),
               prd_str(p, p->sample_type[i].unit));
    printf("default_sample_type: \"%s\"\n", prd_str(p, p->default_sample_type));
    printf("period_type: %s/%s\nperiod: %lld\n", prd_str(p, p->period_type.type),
           prd_str(p, p->period_type.unit), (long long)p->period);
    printf("time_nanos: %lld\nduration_nanos: %lld\n", (long long)p->time_nanos,
           (long long)p->duration_nanos);
    printf("drop_frames: \"%s\"\nkeep_frames: \"%s\"\n", prd_str(p, p->drop_frames),
           prd_str(p, p->keep_frames));
    for (i = 0; i < p->ncomment; i++) printf("comment[%d]: %s\n", i, prd_str(p, p->comment[i]));
    for (i = 0; i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        printf("sample[%d]: values", i);
        for (j = 0; j < s->nvalue; j++) printf(" %lld", (long long)s->value[j]);
        if (s->nlabel) printf(" labels");
        print_labels(p, s);
        printf("\n");
        print_stack(p, s, "    ", 1);
    }
    for (i = 0; i < p->nmapping; i++) {
        const prd_mapping *m = &p->mapping[i];
        printf("mapping[%d]: id %llu 0x%llx-0x%llx offset 0x%llx file \"%s\" build_id \"%s\""
               "%s%s%s%s\n", i, (unsigned long long)m->id, (unsigned long long)m->memory_start,
               (unsigned long long)m->memory_limit, (unsigned long long)m->file_offset,
               prd_str(p, m->filename), prd_str(p, m->build_id),
               m->has_functions ? " has_functions" : "", m->has_filenames ? " has_filenames" : "",
               m->has_line_numbers ? " has_line_numbers" : "",
               m->has_inline_frames ? " has_inline_frames" : "");
    }
    for (i = 0; i < p->nlocation; i++) {
        const prd_location *l = &p->location[i];
        printf("location[%d]: id %llu mapping %llu address 0x%llx%s\n", i,
               (unsigned long long)l->id, (unsigned long long)l->mapping_id,
               (unsigned long long)l->address, l->is_folded ? " folded" : "");
        for (j = 0; j < l->nline; j++) {
            const prd_function *f = prd_func(p, l->line[j].function_id);
            printf("    line[%d]: function %llu (%s) line %lld\n", j,
                   (unsigned long long)l->line[j].function_id, f ? prd_str(p, f->name) : "?",
                   (long long)l->line[j].line);
        }
    }
    for (i = 0; i < p->nfunction; i++) {
        const prd_function *f = &p->function[i];
        printf("function[%d]: id %llu name \"%s\" system_name \"%s\" file \"%s\" "
               "start_line %lld\n", i, (unsigned long long)f->id, prd_str(p, f->name),
               prd_str(p, f->system_name), prd_str(p, f->filename), (long long)f->start_line);
    }
    for (i = 0; i < p->nstring; i++) printf("string[%d]: \"%s\"\n", i, p->string[i]);
}

int main(int argc, char **argv) {
    const char *file = NULL, *sidx = NULL, *fns = NULL;
    int i, mode = MODE_TOP, col = -1;
    char err[256];
    prd_profile p;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && a[2]) a++;   /* --top works like -top */
        if (strcmp(a, "-top") == 0) mode = MODE_TOP;
        else if (strcmp(a, "-raw") == 0) mode = MODE_RAW;
        else if (strcmp(a, "-traces") == 0) mode = MODE_TRACES;
        else if (strncmp(a, "-cum=", 5) == 0) { mode = MODE_CUM; fns = a + 5; }
        else if (strncmp(a, "-sample_index=", 14) == 0) sidx = a + 14;
        else if (strcmp(a, "-sample_index") == 0 && i + 1 < argc) sidx = argv[++i];
        else if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0) {
            usage(stdout);
            return 0;
        } else if ((a[0] == '-' && a[1]) || file) {
            usage(stderr);
            return 2;
        } else {
            file = a;
        }
    }
    if (!file) {
        usage(stderr);
        return 2;
    }
    if (prd_parse_file(file, &p)) {
        fprintf(stderr, "pbdump: %s: %s\n", file, p.err);
        return 1;
    }
    if (prd_validate(&p, err, sizeof err)) {
        fprintf(stderr, "pbdump: %s: invalid profile: %s\n", file, err);
        prd_free(&p);
        return 1;
    }
    /* value column: -sample_index, else default_sample_type, else the last one (as pprof) */
    if (sidx) {
        char *end;
        col = prd_sample_type_index(&p, sidx);
        if (col < 0 && *sidx) {
            long n = strtol(sidx, &end, 10);
            if (!*end && n >= 0 && n < p.nsample_type) col = (int)n;
        }
        if (col < 0) {
            fprintf(stderr, "pbdump: sample_index %s: no such sample type; have:", sidx);
            for (i = 0; i < p.nsample_type; i++)
                fprintf(stderr, " %s", prd_str(&p, p.sample_type[i].type));
            fprintf(stderr, "\n");
            prd_free(&p);
            return 2;
        }
    } else if (p.default_sample_type) {
        col = prd_sample_type_index(&p, prd_str(&p, p.default_sample_type));
    }
    if (col < 0) col = p.nsample_type - 1;
    if (mode == MODE_RAW) raw(&p);
    else if (mode == MODE_TRACES) traces(&p, col);
    else if (mode == MODE_CUM) {
        char *list = (char *)xmalloc(strlen(fns) + 2), *fn, *comma;
        strcpy(list, fns);
        for (fn = list; *fn; fn = comma + 1) {
            if (!(comma = strchr(fn, ','))) comma = fn + strlen(fn) - 1 + 1, comma[1] = '\0';
            *comma = '\0';
            cum(&p, fn);
        }
        free(list);
    }
    else top(&p, col);
    prd_free(&p);
    return 0;
}
