/* SPDX-License-Identifier: MIT */
/* fuzz.h — what the libFuzzer targets share: a reader that turns the fuzzer's bytes into
 * decisions (reads past the end give zeros, so every input is a complete program), and the
 * end-of-input check that every tagged allocation was returned. */
#ifndef SRIOVSIM_TESTS_FUZZ_H
#define SRIOVSIM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    const uint8_t *p;
    size_t n;
};

void fz_init(struct fz *z, const uint8_t *data, size_t size);
uint8_t fz_u8(struct fz *z);
uint16_t fz_u16(struct fz *z);
uint32_t fz_u32(struct fz *z);
uint64_t fz_u64(struct fz *z);
/* Copy up to `want` bytes (zero-filled past the input's end); returns how many were real. */
size_t fz_bytes(struct fz *z, void *out, size_t want);
static inline int
fz_more(const struct fz *z)
{
    return z->n != 0;
}

/* Abort (a finding) with the per-tag report if any tagged allocation is still live. */
void fuzz_no_leaks(const char *target);

#endif
