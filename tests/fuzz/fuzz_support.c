/* SPDX-License-Identifier: MIT */
/* fuzz_support.c — the assertion back end the fuzz targets share: the fixtures of the test suite
 * (pf_test.h, vsp_test.h) are compiled against the in-tree Criterion stand-in
 * (tests/support/tsan_shim), whose failed check lands here and aborts, so libFuzzer records the
 * input as a crash with the message. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "fuzz.h"

void
shim_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt, ...)
{
    fprintf(stderr, "%s:%d: check failed: %s", file, line, expr);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs(": ", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    abort();
}

void
shim_skip(const char *fmt, ...)
{
    (void)fmt;
}

void
shim_register(const char *suite, const char *name, void (*fn)(void),
              const struct criterion_test_extra_data *extra)
{
}

void
shim_register_suite(const char *suite, const struct criterion_test_extra_data *extra)
{
}

void
fuzz_no_leaks(const char *target)
{
    if (sim_alloc_live_total() != 0) {
        fprintf(stderr, "%s: live allocations after teardown:\n", target);
        sim_alloc_report(stderr);
        abort();
    }
}

void
fz_init(struct fz *z, const uint8_t *data, size_t size)
{
    z->p = data;
    z->n = size;
}

uint8_t
fz_u8(struct fz *z)
{
    if (z->n == 0)
        return 0;
    z->n--;
    return *z->p++;
}

uint16_t
fz_u16(struct fz *z)
{
    return (uint16_t)(fz_u8(z) | (fz_u8(z) << 8));
}

uint32_t
fz_u32(struct fz *z)
{
    return (uint32_t)fz_u16(z) | ((uint32_t)fz_u16(z) << 16);
}

uint64_t
fz_u64(struct fz *z)
{
    return (uint64_t)fz_u32(z) | ((uint64_t)fz_u32(z) << 32);
}

size_t
fz_bytes(struct fz *z, void *out, size_t want)
{
    size_t n = want < z->n ? want : z->n;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)out)[i] = z->p[i];
    for (size_t i = n; i < want; i++)
        ((uint8_t *)out)[i] = 0;
    z->p += n;
    z->n -= n;
    return n;
}
