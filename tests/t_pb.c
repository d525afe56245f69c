/* The encoder's wire format and the gzip framing, byte for byte. */

static void t_pb_varint_golden(void) {
    pprof__buf b;
    static const unsigned char neg1[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    memset(&b, 0, sizeof b);
    pprof__pb_varint(&b, 1);
    pprof__pb_varint(&b, 300);
    pprof__pb_varint(&b, 0);
    T_CHECK(b.len == 4 && memcmp(b.p, "\x01\xac\x02\x00", 4) == 0, "varints 1, 300, 0");
    b.len = 0;
    pprof__pb_i64(&b, 1, -1); /* two's complement, 10 bytes, never zigzag */
    T_CHECK(b.len == sizeof neg1 && memcmp(b.p, neg1, sizeof neg1) == 0, "int64 -1");
    b.len = 0;
    pprof__pb_u64(&b, 3, 0); /* zero scalars are omitted */
    T_CHECK(b.len == 0, "zero field written");
    PPROF_FREE(b.p);
}

/* A nested message longer than 127 bytes moves its body for a 2-byte length. */
static void t_pb_nested_lengths(void) {
    pprof__buf b;
    int i;
    memset(&b, 0, sizeof b);
    pprof__pb_open(&b, 4);
    pprof__pb_u64(&b, 1, 7);
    pprof__pb_open(&b, 4);
    for (i = 0; i < 100; i++) pprof__pb_u64(&b, 1, 1);
    pprof__pb_close(&b);
    pprof__pb_close(&b);
    T_CHECK(!b.oom && b.depth == 0, "state");
    /* outer: key 0x22, len = 2 (field 1) + 1 (key) + 2 (len 200) + 200 = 205 = 0xcd 0x01 */
    T_CHECK(b.len == 3 + 205, "length %zu", b.len);
    T_CHECK(b.p[0] == 0x22 && b.p[1] == 0xcd && b.p[2] == 0x01, "outer header %02x %02x %02x",
            b.p[0], b.p[1], b.p[2]);
    T_CHECK(b.p[3] == 0x08 && b.p[4] == 7 && b.p[5] == 0x22 && b.p[6] == 0xc8 && b.p[7] == 0x01,
            "inner header");
    T_CHECK(b.p[8] == 0x08 && b.p[9] == 0x01 && b.p[b.len - 2] == 0x08, "inner body");
    PPROF_FREE(b.p);
}

/* Key 0 is a key like any other (a garbage frame's address - 1 can be 0). */
static void t_pb_map_zero_key(void) {
    pprof__u64map m;
    uint64_t k;
    int found;
    memset(&m, 0, sizeof m);
    *pprof__u64map_at(&m, 0, &found) = 7;
    T_CHECK(!found, "0 found in an empty map");
    for (k = 1; k < 1000; k++) *pprof__u64map_at(&m, k * 4096, &found) = k;
    T_CHECK(*pprof__u64map_at(&m, 0, &found) == 7 && found, "key 0 lost");
    for (k = 1; k < 1000; k++)
        T_CHECK(*pprof__u64map_at(&m, k * 4096, &found) == k && found, "key %llu", (unsigned long long)k);
    pprof__u64map_free(&m);
}

static void t_pb_strings(void) {
    pprof__strs s;
    char name[32];
    int i;
    memset(&s, 0, sizeof s);
    T_CHECK(pprof__strs_add(&s, "") == 0, "\"\" is 0");
    T_CHECK(pprof__strs_add(&s, "cpu") == 1 && pprof__strs_add(&s, "nanoseconds") == 2, "order");
    T_CHECK(pprof__strs_add(&s, "cpu") == 1, "interned");
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        T_CHECK(pprof__strs_add(&s, name) == 3 + i, "string %d", i);
    }
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        T_CHECK(pprof__strs_add(&s, name) == 3 + i, "string %d again", i);
        T_CHECK(strcmp(s.arena + s.off[3 + i], name) == 0, "string %d text", i);
    }
    pprof__strs_free(&s);
}

static void t_gz_stored_blocks(void) {
    pprof__buf gz;
    unsigned char *data = (unsigned char *)malloc(200000);
    prd_profile p;
    size_t i;
    T_CHECK(pprof__gz_crc32(0, (const unsigned char *)"123456789", 9) == 0xCBF43926u, "crc32");
    /* a profile message bigger than one stored block: field 12 (period) repeated */
    for (i = 0; i + 2 <= 200000; i += 2) { data[i] = 0x60; data[i + 1] = 0x05; }
    memset(&gz, 0, sizeof gz);
    pprof__gz_encode(&gz, data, 200000);
    T_CHECK(!gz.oom, "oom");
    T_CHECK(gz.p[0] == 0x1f && gz.p[1] == 0x8b && gz.p[2] == 8, "gzip magic");
    memset(&p, 0, sizeof p);
    T_CHECK(prd_parse_mem(gz.p, gz.len, &p) == 0, "reader: %s", p.err);
    T_CHECK(p.was_gzip && p.period == 5, "content");
#ifndef PPROF_USE_ZLIB
    T_CHECK(p.gzip_stored_only, "stored blocks expected");
    T_CHECK(gz.len == 10 + 4 * 5 + 200000 + 8, "size %zu: 18 + 5 per block", gz.len);
#else
    T_CHECK(!p.gzip_stored_only && gz.len < 20000, "zlib did not compress: %zu", gz.len);
#endif
    prd_free(&p);
    gz.len = 0; /* empty input: one final empty block */
    pprof__gz_encode(&gz, data, 0);
    memset(&p, 0, sizeof p);
    T_CHECK(prd_parse_mem(gz.p, gz.len, &p) == 0, "empty: %s", p.err);
    prd_free(&p);
    PPROF_FREE(gz.p);
    free(data);
}

#define T_PB_CASES \
    {"pb_varint_golden", t_pb_varint_golden, 10}, \
    {"pb_nested_message_lengths", t_pb_nested_lengths, 10}, \
    {"pb_string_table_interning", t_pb_strings, 10}, \
    {"pb_map_key_zero", t_pb_map_zero_key, 10}, \
    {"gz_framing_and_crc", t_gz_stored_blocks, 10},
