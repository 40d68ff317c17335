/* SPDX-License-Identifier: MIT */
/*
 * log.c — namespaced, levelled logging, quiet by default (warnings and errors only).
 * Windows counterpart: WPP tracing, where each driver has its own flags and levels and nothing
 * is printed unless a session asks for it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/sim.h"

SIM_LOG_NS_DEFINE(sim);

#define LOG_RULES_MAX 32
#define LOG_NAME_MAX  32

struct log_rule {
    char name[LOG_NAME_MAX];
    int level;
};

/* Configuration. Written by sim_log_configure (loop thread, before data-path threads start);
 * read through the per-namespace cache. `generation` is bumped after every change so cached
 * levels are re-resolved: release here pairs with the acquire in sim_log_is_enabled. */
static struct log_rule log_rules[LOG_RULES_MAX];
static int log_rule_count;
static int log_default_level = SIM_LOG_WARN;
static unsigned log_generation = 1;

static sim_log_sink_fn log_sink;
static void *log_sink_ctx;
static int64_t (*log_clock)(void *ctx);
static void *log_clock_ctx;

static const char *const level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

const char *
sim_log_level_name(enum sim_log_level level)
{
    if ((int)level < 0 || (size_t)level >= SIM_ARRAY_SIZE(level_names))
        return "?";
    return level_names[level];
}

static int
parse_level(const char *word, size_t len)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(level_names); i++) {
        if (strlen(level_names[i]) == len && strncasecmp(word, level_names[i], len) == 0)
            return (int)i;
    }
    if (len == 7 && strncasecmp(word, "warning", len) == 0)
        return SIM_LOG_WARN;
    return -1;
}

int
sim_log_configure(const char *spec, struct sim_diag *d)
{
    struct log_rule rules[LOG_RULES_MAX];
    int count = 0;
    int default_level = SIM_LOG_WARN;
    if (spec == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "log spec is NULL");

    const char *p = spec;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (len == 0) {
            return sim_diag_fail(d, SIM_EINVAL, "log spec '%s': empty item", spec);
        } else if (eq == NULL) {
            int lvl = parse_level(p, len);
            if (lvl < 0)
                return sim_diag_fail(d, SIM_EINVAL,
                                     "log spec '%s': unknown level '%.*s' (use off, error, warn, "
                                     "info, debug or trace)",
                                     spec, (int)len, p);
            default_level = lvl;
        } else {
            size_t name_len = (size_t)(eq - p);
            int lvl = parse_level(eq + 1, len - name_len - 1);
            if (name_len == 0 || name_len >= LOG_NAME_MAX)
                return sim_diag_fail(d, SIM_EINVAL, "log spec '%s': bad namespace in '%.*s'", spec,
                                     (int)len, p);
            if (lvl < 0)
                return sim_diag_fail(d, SIM_EINVAL, "log spec '%s': unknown level in '%.*s'", spec,
                                     (int)len, p);
            if (count == LOG_RULES_MAX)
                return sim_diag_fail(d, SIM_ENOSPC, "log spec '%s': more than %d namespaces", spec,
                                     LOG_RULES_MAX);
            memcpy(rules[count].name, p, name_len);
            rules[count].name[name_len] = '\0';
            rules[count].level = lvl;
            count++;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    memcpy(log_rules, rules, sizeof rules[0] * (size_t)count);
    log_rule_count = count;
    log_default_level = default_level;
    /* release: publishes the rules above to readers that acquire the generation. */
    __atomic_add_fetch(&log_generation, 1, __ATOMIC_RELEASE);
    return 0;
}

void
sim_log_set_sink(sim_log_sink_fn sink, void *ctx)
{
    log_sink = sink;
    log_sink_ctx = ctx;
}

void
sim_log_set_clock(int64_t (*fn)(void *ctx), void *ctx)
{
    log_clock = fn;
    log_clock_ctx = ctx;
}

static int
resolve_level(const char *name)
{
    for (int i = 0; i < log_rule_count; i++) {
        if (strcmp(log_rules[i].name, name) == 0)
            return log_rules[i].level;
    }
    return log_default_level;
}

bool
sim_log_is_enabled(struct sim_log_ns *ns, enum sim_log_level level)
{
    /* acquire: pairs with the release in sim_log_configure, so the rules are visible. */
    unsigned gen = __atomic_load_n(&log_generation, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&ns->generation, __ATOMIC_RELAXED) != gen) {
        __atomic_store_n(&ns->level, resolve_level(ns->name), __ATOMIC_RELAXED);
        __atomic_store_n(&ns->generation, gen, __ATOMIC_RELAXED);
    }
    return (int)level <= __atomic_load_n(&ns->level, __ATOMIC_RELAXED) && level != SIM_LOG_OFF;
}

void
sim_log_emit(struct sim_log_ns *ns, enum sim_log_level level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    int64_t t = log_clock ? log_clock(log_clock_ctx) : -1;
    if (log_sink != NULL) {
        log_sink(log_sink_ctx, ns->name, level, t, text);
        return;
    }
    if (t >= 0) {
        char tbuf[32];
        fprintf(stderr, "[t=%s] %s %s: %s\n", sim_time_format(t, tbuf, sizeof tbuf), ns->name,
                sim_log_level_name(level), text);
    } else {
        fprintf(stderr, "%s %s: %s\n", ns->name, sim_log_level_name(level), text);
    }
}
