/* SPDX-License-Identifier: MIT */
/* shim_main.c — the runner behind the TSan stand-in for Criterion (see criterion/criterion.h):
 * runs every registered test in registration order, in this process, and prints Criterion's
 * synthesis line. Exit 0 if every check held, 1 otherwise. */
#include <setjmp.h>
#include <stdarg.h>

#include "criterion/criterion.h"

#define SHIM_MAX_TESTS 512

struct shim_test {
    const char *suite, *name;
    void (*fn)(void);
    const struct criterion_test_extra_data *extra;
};

static struct shim_test tests[SHIM_MAX_TESTS];
static struct {
    const char *suite;
    const struct criterion_test_extra_data *extra;
} suites[64];
static int suite_count;
static int test_count;
static bool current_failed, current_skipped;
static jmp_buf current_exit;

void
shim_register(const char *suite, const char *name, void (*fn)(void),
              const struct criterion_test_extra_data *extra)
{
    if (test_count == SHIM_MAX_TESTS) {
        fprintf(stderr, "tsan shim: more than %d tests\n", SHIM_MAX_TESTS);
        exit(2);
    }
    tests[test_count++] = (struct shim_test){suite, name, fn, extra};
}

void
shim_register_suite(const char *suite, const struct criterion_test_extra_data *extra)
{
    if (suite_count == (int)(sizeof suites / sizeof suites[0])) {
        fprintf(stderr, "tsan shim: too many suites\n");
        exit(2);
    }
    suites[suite_count].suite = suite;
    suites[suite_count].extra = extra;
    suite_count++;
}

static const struct criterion_test_extra_data *
suite_extra(const char *suite)
{
    for (int i = 0; i < suite_count; i++) {
        if (strcmp(suites[i].suite, suite) == 0)
            return suites[i].extra;
    }
    return NULL;
}

void
shim_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt, ...)
{
    fprintf(stderr, "[----] %s:%d: Assertion Failed: %s\n", file, line, expr);
    if (fmt[0] != '\0') {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "[----]   ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    current_failed = true;
    if (fatal)
        longjmp(current_exit, 1);
}

void
shim_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[SKIP] ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    current_skipped = true;
    longjmp(current_exit, 1);
}

/* Run one test; returns 1 passed, 0 failed, -1 skipped. Kept apart from main() so that nothing
 * of main's is live across the setjmp. */
static int
run_test(const struct shim_test *t)
{
    const struct criterion_test_extra_data *se = suite_extra(t->suite);
    void (*volatile init)(void) = t->extra->init ? t->extra->init : se ? se->init : NULL;
    void (*volatile fini)(void) = t->extra->fini ? t->extra->fini : se ? se->fini : NULL;
    current_failed = current_skipped = false;
    if (setjmp(current_exit) == 0) {
        if (init)
            init();
        t->fn();
    }
    if (fini)
        fini();
    if (current_skipped)
        return -1;
    if (current_failed) {
        fprintf(stderr, "[FAIL] %s::%s\n", t->suite, t->name);
        return 0;
    }
    return 1;
}

int
main(int argc, char **argv)
{
    (void)argc;
    (void)argv; /* Criterion options such as --verbose=0 are accepted and ignored */
    int passed = 0, failed = 0;
    for (int i = 0; i < test_count; i++) {
        if (tests[i].extra->disabled)
            continue;
        int r = run_test(&tests[i]);
        if (r == 1)
            passed++;
        else if (r == 0)
            failed++;
    }
    fprintf(stderr, "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: 0 \n",
            passed + failed, passed, failed);
    return failed == 0 ? 0 : 1;
}
