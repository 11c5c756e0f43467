/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (base sha256.c): the digests golden/ keeps for large events.xml
 * files. Both block functions (portable, and the x86-64 SHA extensions where
 * the processor has them) must give the FIPS 180-4 examples' digests and the
 * same digest as each other for every length and every way of splitting the
 * input into updates: a wrong one would make every soak golden comparison fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tasklab/base.h"

static void hex_in_pieces(const unsigned char *p, size_t len, size_t piece, char out[65])
{
    tl_sha256_ctx c;
    unsigned char dg[32];
    tl_sha256_init(&c);
    for (size_t off = 0; off < len;) {
        size_t k = len - off < piece ? len - off : piece;
        tl_sha256_update(&c, p + off, k);
        off += k;
    }
    tl_sha256_final(&c, dg);
    tl_sha256_hex_of(dg, out);
}

static void check_examples(void)
{
    static const struct {
        const char *in;
        const char *hex;
    } ex[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
         "lmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        tl_sha256_hex(ex[i].in, strlen(ex[i].in), hex);
        assert_string_equal(hex, ex[i].hex);
    }
    /* one million 'a', fed in uneven pieces */
    size_t n = 1000000;
    unsigned char *a = malloc(n);
    assert_non_null(a);
    memset(a, 'a', n);
    hex_in_pieces(a, n, 1000, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    hex_in_pieces(a, n, 4097, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void test_sha256_fips_examples_portable(void **state)
{
    (void)state;
    tl_sha256_accel(0);
    check_examples();
    tl_sha256_accel(1);
}

static void test_sha256_fips_examples_accelerated(void **state)
{
    (void)state;
    if (!tl_sha256_accel(1))
        print_message("no SHA extensions on this processor: the portable code again\n");
    check_examples();
}

/* Every length 0..600 at every alignment 0..15, whole and in pieces of 1..130
 * bytes: the two block functions agree. */
static void test_sha256_paths_agree(void **state)
{
    (void)state;
    enum { MAX = 600 };
    unsigned char *buf = malloc(MAX + 16);
    assert_non_null(buf);
    uint32_t x = 2463534242u; /* xorshift32, fixed seed */
    for (size_t i = 0; i < MAX + 16; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (unsigned char)x;
    }
    for (size_t len = 0; len <= MAX; len++) {
        size_t align = len % 16, piece = 1 + len % 130;
        char a[65], b[65], c[65];
        tl_sha256_accel(0);
        hex_in_pieces(buf + align, len, len ? len : 1, a);
        tl_sha256_accel(1);
        hex_in_pieces(buf + align, len, len ? len : 1, b);
        hex_in_pieces(buf + align, len, piece, c);
        if (strcmp(a, b) || strcmp(a, c))
            fail_msg("length %zu (alignment %zu, pieces of %zu): portable %s, accelerated %s, "
                     "in pieces %s",
                     len, align, piece, a, b, c);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_fips_examples_portable),
        cmocka_unit_test(test_sha256_fips_examples_accelerated),
        cmocka_unit_test(test_sha256_paths_agree),
    };
    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
