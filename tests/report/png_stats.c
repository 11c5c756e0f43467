/* SPDX-License-Identifier: MIT */
/*
 * png_stats FILE.png: prints "WIDTH HEIGHT VARIANCE" — the variance of the
 * pixels' grey level (0..255) — for the browser test's "the screenshot is not
 * blank" check. A tiny PNG reader: 8-bit grey, grey+alpha, RGB or RGBA, not
 * interlaced (what Chromium writes), zlib for the IDAT stream. Exit 2 with a
 * one-line message for anything else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int fail(const char *f, const char *msg)
{
    fprintf(stderr, "png_stats: %s: %s\n", f, msg);
    return 2;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fail("usage", "png_stats FILE.png");
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return fail(argv[1], "cannot open");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 8 || n > (256L << 20)) {
        fclose(f);
        return fail(argv[1], "bad size");
    }
    unsigned char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return fail(argv[1], "cannot read");
    }
    fclose(f);
    if (memcmp(buf, "\x89PNG\r\n\x1a\n", 8))
        return fail(argv[1], "not a PNG");
    uint32_t w = 0, h = 0;
    int depth = 0, ctype = -1, interlace = 0;
    unsigned char *idat = NULL;
    size_t idat_len = 0;
    for (size_t off = 8; off + 12 <= (size_t)n;) {
        uint32_t len = be32(buf + off);
        const unsigned char *type = buf + off + 4, *data = buf + off + 8;
        if (len > (size_t)n - off - 12)
            return fail(argv[1], "truncated chunk");
        if (!memcmp(type, "IHDR", 4) && len >= 13) {
            w = be32(data);
            h = be32(data + 4);
            depth = data[8];
            ctype = data[9];
            interlace = data[12];
        } else if (!memcmp(type, "IDAT", 4)) {
            unsigned char *ni = realloc(idat, idat_len + len + 1);
            if (!ni)
                return fail(argv[1], "out of memory");
            idat = ni;
            memcpy(idat + idat_len, data, len);
            idat_len += len;
        } else if (!memcmp(type, "IEND", 4)) {
            break;
        }
        off += 12 + len;
    }
    int ch = ctype == 0 ? 1 : ctype == 4 ? 2 : ctype == 2 ? 3 : ctype == 6 ? 4 : 0;
    if (!w || !h || w > 20000 || h > 40000 || depth != 8 || !ch || interlace || !idat)
        return fail(argv[1], "unsupported PNG (8-bit, not interlaced, grey/RGB[A] only)");
    size_t stride = (size_t)w * (size_t)ch;
    size_t raw_len = (stride + 1) * h;
    unsigned char *raw = malloc(raw_len);
    uLongf got = (uLongf)raw_len;
    if (!raw || uncompress(raw, &got, idat, (uLong)idat_len) != Z_OK || got != raw_len)
        return fail(argv[1], "bad image data");
    unsigned char *prev = calloc(stride, 1);
    if (!prev)
        return fail(argv[1], "out of memory");
    double sum = 0, sum2 = 0;
    for (uint32_t y = 0; y < h; y++) {
        unsigned char *row = raw + y * (stride + 1);
        int filter = row[0];
        unsigned char *px = row + 1;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)ch ? px[i - ch] : 0, b = prev[i],
                c = i >= (size_t)ch ? prev[i - ch] : 0;
            switch (filter) {
            case 0: break;
            case 1: px[i] = (unsigned char)(px[i] + a); break;
            case 2: px[i] = (unsigned char)(px[i] + b); break;
            case 3: px[i] = (unsigned char)(px[i] + (a + b) / 2); break;
            case 4: px[i] = (unsigned char)(px[i] + paeth(a, b, c)); break;
            default: return fail(argv[1], "bad filter");
            }
        }
        for (uint32_t x = 0; x < w; x++) {
            const unsigned char *p = px + (size_t)x * ch;
            double g = ch >= 3 ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : p[0];
            sum += g;
            sum2 += g * g;
        }
        memcpy(prev, px, stride);
    }
    double cnt = (double)w * h, mean = sum / cnt;
    printf("%u %u %.2f\n", w, h, sum2 / cnt - mean * mean);
    free(prev);
    free(raw);
    free(idat);
    free(buf);
    return 0;
}
