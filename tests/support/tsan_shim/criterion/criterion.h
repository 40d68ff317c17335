/* SPDX-License-Identifier: MIT */
/*
 * A minimal stand-in for <criterion/criterion.h>, used ONLY to build the tests labelled
 * "threads" under ThreadSanitizer. Criterion's runner (boxfort) cannot start under TSan
 * ("Could not initialize inheritable arena"), so these builds run the same test sources in one
 * process, sequentially, with this header's macros. Assertion semantics match Criterion's:
 * cr_assert_* ends the test (here: the run) on failure, cr_expect_* records and continues.
 * Only the subset of Criterion the threaded tests use is provided; a missing macro is a
 * compile error in the TSan build, never a silently skipped check.
 */
#ifndef SRIOVSIM_TSAN_SHIM_CRITERION_H
#define SRIOVSIM_TSAN_SHIM_CRITERION_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct criterion_test_extra_data {
    double timeout;
    void (*init)(void);
    void (*fini)(void);
    bool disabled;
    int signal;
    int exit_code;
    const char *description;
};

void shim_register(const char *suite, const char *name, void (*fn)(void),
                   const struct criterion_test_extra_data *extra);
void shim_register_suite(const char *suite, const struct criterion_test_extra_data *extra);
void shim_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void shim_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define Test(suite, name, ...)                                                                     \
    static void shim_test_##suite##_##name(void);                                                  \
    static const struct criterion_test_extra_data shim_extra_##suite##_##name = {__VA_ARGS__};     \
    __attribute__((constructor)) static void shim_reg_##suite##_##name(void)                       \
    {                                                                                              \
        shim_register(#suite, #name, shim_test_##suite##_##name, &shim_extra_##suite##_##name);    \
    }                                                                                              \
    static void shim_test_##suite##_##name(void)

/* Suite-wide .init/.fini, used by the tests of that suite that set none of their own. */
#define TestSuite(suite, ...)                                                                      \
    static const struct criterion_test_extra_data shim_suite_##suite = {__VA_ARGS__};              \
    __attribute__((constructor)) static void shim_suite_reg_##suite(void)                          \
    {                                                                                              \
        shim_register_suite(#suite, &shim_suite_##suite);                                          \
    }

#define SHIM_CHECK(fatal, cond, expr, ...)                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            shim_fail((fatal), __FILE__, __LINE__, (expr), "" __VA_ARGS__);                        \
    } while (0)

#define cr_assert(cond, ...)     SHIM_CHECK(true, (cond), #cond, __VA_ARGS__)
#define cr_expect(cond, ...)     SHIM_CHECK(false, (cond), #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...) SHIM_CHECK(true, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_expect_not(cond, ...) SHIM_CHECK(false, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_fail(...)      shim_fail(true, __FILE__, __LINE__, "cr_assert_fail", "" __VA_ARGS__)
#define cr_expect_fail(...)      shim_fail(false, __FILE__, __LINE__, "cr_expect_fail", "" __VA_ARGS__)
#define cr_skip_test(...)        shim_skip("" __VA_ARGS__)

#define SHIM_CMP(fatal, a, op, b, ...)                                                             \
    SHIM_CHECK((fatal), ((a)op(b)), #a " " #op " " #b, __VA_ARGS__)
#define cr_assert_eq(a, b, ...)    SHIM_CMP(true, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...)   SHIM_CMP(true, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...)    SHIM_CMP(true, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...)   SHIM_CMP(true, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...)    SHIM_CMP(true, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...)   SHIM_CMP(true, a, >=, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...)    SHIM_CMP(false, a, ==, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...)   SHIM_CMP(false, a, !=, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...)    SHIM_CMP(false, a, <, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...)   SHIM_CMP(false, a, <=, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...)    SHIM_CMP(false, a, >, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...)   SHIM_CMP(false, a, >=, b, __VA_ARGS__)
#define cr_assert_null(p, ...)     SHIM_CHECK(true, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_null(p, ...)     SHIM_CHECK(false, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) SHIM_CHECK(true, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...) SHIM_CHECK(false, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...)                                                                \
    SHIM_CHECK(true, strcmp((a), (b)) == 0, #a " == " #b, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...)                                                                \
    SHIM_CHECK(false, strcmp((a), (b)) == 0, #a " == " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...)                                                               \
    SHIM_CHECK(true, strcmp((a), (b)) != 0, #a " != " #b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...)                                                               \
    SHIM_CHECK(false, strcmp((a), (b)) != 0, #a " != " #b, __VA_ARGS__)
#define cr_assert_str_empty(a, ...) SHIM_CHECK(true, (a)[0] == '\0', #a " is empty", __VA_ARGS__)
#define cr_expect_str_empty(a, ...) SHIM_CHECK(false, (a)[0] == '\0', #a " is empty", __VA_ARGS__)
#define cr_log_info(...)            (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))
#define cr_log_warn(...)            (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))

#endif
