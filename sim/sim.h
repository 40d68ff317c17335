/* SPDX-License-Identifier: MIT */
/*
 * sim.h — the sriovsim runtime core: errors, diagnostics, logging, tagged allocation, the
 * deterministic PRNG, the scheduler (virtual clock or libuv real time) and the lock-free ring.
 *
 * Windows counterpart: none directly. This is the "kernel" every simulated component runs on:
 * where a Windows driver would call KeQueryInterruptTime, queue a DPC or arm a KTIMER, ours read
 * sim_sched_now() and arm a sim_timer; where it would call ExAllocatePoolWithTag, ours call
 * sim_alloc() with a tag, so tests can prove that every object was returned.
 *
 * Threading: everything here belongs to one thread (the scheduler's loop thread) except where a
 * function says otherwise: sim_sched_post(), sim_sched_stop(), the allocator counters and the
 * ring (single producer thread, single consumer thread).
 */
#ifndef SRIOVSIM_SIM_H
#define SRIOVSIM_SIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIM_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define SIM_PRINTF(fmt_idx, first_arg) __attribute__((format(printf, fmt_idx, first_arg)))
#define SIM_LIKELY(x)                  __builtin_expect(!!(x), 1)
#define SIM_UNLIKELY(x)                __builtin_expect(!!(x), 0)
#else
#define SIM_PRINTF(fmt_idx, first_arg)
#define SIM_LIKELY(x)   (x)
#define SIM_UNLIKELY(x) (x)
#endif

#define SIM_ARRAY_SIZE(a)                   (sizeof(a) / sizeof((a)[0]))
#define SIM_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---------------------------------------------------------------------------------------------
 * Errors. Infrastructure returns int: 0 on success or a negative SIM_E* code. One table gives
 * the symbol, value and message of every code (the libuv UV_ERRNO_MAP pattern).
 * ------------------------------------------------------------------------------------------- */
#define SIM_ERRNO_MAP(X)                                                                           \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(NOENT, -3, "no such object")                                                                 \
    X(EXIST, -4, "object already exists")                                                          \
    X(BUSY, -5, "resource busy")                                                                   \
    X(AGAIN, -6, "resource temporarily unavailable")                                               \
    X(NOSPC, -7, "no space left (pool, table or ring full)")                                       \
    X(RANGE, -8, "value out of range")                                                             \
    X(STATE, -9, "operation not valid in the object's current state")                              \
    X(TIMEDOUT, -10, "operation timed out")                                                        \
    X(IO, -11, "input/output error")                                                               \
    X(NOTSUP, -12, "operation not supported")                                                      \
    X(PERM, -13, "operation not permitted")                                                        \
    X(FAULT, -14, "bad address (translation fault)")                                               \
    X(CANCELED, -15, "operation canceled")                                                         \
    X(PROTO, -16, "protocol error")                                                                \
    X(PARSE, -17, "malformed input")                                                               \
    X(NODEV, -18, "no such device or device removed")                                              \
    X(PENDING, -19, "operation pending; it completes later through its callback")                  \
    X(INTERNAL, -20, "internal invariant violated (a simulator bug)")

enum sim_errno {
#define SIM_ERRNO_ENUM(name, value, msg) SIM_E##name = (value),
    SIM_ERRNO_MAP(SIM_ERRNO_ENUM)
#undef SIM_ERRNO_ENUM
};

/* Human message for a SIM_E* code ("out of memory"); "unknown error" for anything else. */
const char *sim_strerror(int err);
/* Symbolic name of a SIM_E* code ("SIM_ENOMEM"); "SIM_E?" for anything else. */
const char *sim_err_name(int err);

/* ---------------------------------------------------------------------------------------------
 * Diagnostics. A control-plane error carries a human reason that reaches the user's terminal,
 * naming the object and the rule it broke:
 *   "FREE_VF vf=2: VF still has VPort 3 attached (NDIS_STATUS_FILE_NOT_FOUND)"
 * Callers pass a struct sim_diag * (may be NULL when they do not care).
 * ------------------------------------------------------------------------------------------- */
#define SIM_DIAG_REASON_MAX 256

struct sim_diag {
    int code;                         /* 0 while nothing failed, else the SIM_E* code */
    char reason[SIM_DIAG_REASON_MAX]; /* NUL-terminated; empty while nothing failed */
};

/* Clear a diagnostic (code 0, empty reason). d may be NULL. */
void sim_diag_clear(struct sim_diag *d);
/* Record code and a printf-formatted reason in d (may be NULL); returns code so that callers
 * can write `return sim_diag_fail(d, SIM_EBUSY, "vf=%u: ...", id);`. */
int sim_diag_fail(struct sim_diag *d, int code, const char *fmt, ...) SIM_PRINTF(3, 4);

/* ---------------------------------------------------------------------------------------------
 * Drop causes. The correctness contract: a packet is never silently lost; every layer that
 * drops one names the cause from this table and tells its drop sink, so that flow figures
 * reconcile exactly (sent = delivered + dropped by cause + in flight).
 * ------------------------------------------------------------------------------------------- */
#define SIM_DROP_CAUSE_MAP(X)                                                                      \
    X(RING_FULL, "ring-full", "a descriptor ring had no free slot")                                \
    X(VMBUS_RING_FULL, "vmbus-ring-full", "the VMBus channel ring or send buffer was full")        \
    X(POOL_EXHAUSTED, "pool-exhausted", "no packet descriptor (NBL) or buffer was free")           \
    X(NO_FILTER_MATCH, "no-filter-match",                                                          \
      "no receive filter matched and no default VPort took it")                                    \
    X(SPOOF_CHECK, "spoof-check", "source MAC not owned by the sending VPort / switch port")       \
    X(VLAN_MISMATCH, "vlan-mismatch", "VLAN tag not allowed on the port")                          \
    X(IOMMU_FAULT, "iommu-fault", "the device's DMA was blocked by the IOMMU")                     \
    X(SURPRISE_REMOVAL, "surprise-removal", "in flight when the function was surprise-removed")    \
    X(FUNCTION_RESET, "function-reset", "in flight when the function was reset (FLR)")             \
    X(LINK_DOWN, "link-down", "the physical link was down")                                        \
    X(POLICY, "policy", "refused by a switch port policy")                                         \
    X(NO_ROUTE, "no-route", "the switch had no port for the destination")                          \
    X(PATH_INACTIVE, "path-inactive", "sent on a data path that was not (or no longer) active")    \
    X(PAUSED, "paused", "the adapter was paused, halted or not yet started")                       \
    X(MTU, "mtu", "frame longer than the port's MTU")                                              \
    X(MALFORMED, "malformed", "frame failed a header or checksum check")

enum sim_drop_cause {
#define SIM_DROP_ENUM(name, word, msg) SIM_DROP_##name,
    SIM_DROP_CAUSE_MAP(SIM_DROP_ENUM)
#undef SIM_DROP_ENUM
        SIM_DROP_CAUSE_COUNT
};

/* Short name ("ring-full") and message of a drop cause; "?" for anything else. */
const char *sim_drop_cause_name(enum sim_drop_cause cause);
const char *sim_drop_cause_message(enum sim_drop_cause cause);
/* Parse a short name back; SIM_EINVAL if unknown. */
int sim_drop_cause_parse(const char *name, enum sim_drop_cause *out);

/* Where a component reports drops. Components take a `const struct sim_drop_sink *` (may be
 * NULL) at creation, count drops per cause themselves, and call sim_drop_report() for each.
 * `where` names the drop point ("h1.pf0.vport3 rx"); `frame` is the dropped frame (may be NULL
 * when the bytes are no longer reachable, e.g. behind a blocked DMA). */
struct sim_drop_sink {
    void (*drop)(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t packet_id,
                 const void *frame, uint32_t len);
    void *ctx;
};

static inline void
sim_drop_report(const struct sim_drop_sink *sink, enum sim_drop_cause cause, const char *where,
                uint64_t packet_id, const void *frame, uint32_t len)
{
    if (sink != NULL && sink->drop != NULL)
        sink->drop(sink->ctx, cause, where, packet_id, frame, len);
}

/* ---------------------------------------------------------------------------------------------
 * Logging: a namespace per module ("pcie", "ndis", ...), levels, quiet by default (warnings and
 * errors only). Configure with a spec such as "debug" or "pcie=trace,ndis=info,warn" (the last
 * bare level is the default for unnamed namespaces), (the CLI applies the SRIOVSIM_LOG environment
 * variable and --log).
 * ------------------------------------------------------------------------------------------- */
enum sim_log_level {
    SIM_LOG_OFF = 0,
    SIM_LOG_ERROR = 1,
    SIM_LOG_WARN = 2,
    SIM_LOG_INFO = 3,
    SIM_LOG_DEBUG = 4,
    SIM_LOG_TRACE = 5,
};

/* A log namespace. Define one per module with SIM_LOG_NS_DEFINE(pcie) in one .c file and
 * declare it with SIM_LOG_NS_DECLARE(pcie) in the module's private header. */
struct sim_log_ns {
    const char *name;
    unsigned generation; /* configuration generation `level` was resolved for */
    int level;           /* cached effective level */
};
#define SIM_LOG_NS_DEFINE(ns)  struct sim_log_ns sim_log_ns_##ns = {#ns, 0, 0}
#define SIM_LOG_NS_DECLARE(ns) extern struct sim_log_ns sim_log_ns_##ns

/* Where log lines go. The default sink writes "[t=1.000000000s] pcie debug: text" to stderr. */
typedef void (*sim_log_sink_fn)(void *ctx, const char *ns, enum sim_log_level level,
                                int64_t time_ns, const char *text);

/* Parse a spec ("warn", "pcie=trace,info") and apply it. Returns 0 or SIM_EINVAL (nothing
 * changed) with the offending word in d. */
int sim_log_configure(const char *spec, struct sim_diag *d);
/* Replace the sink (NULL restores stderr). */
void sim_log_set_sink(sim_log_sink_fn sink, void *ctx);
/* Give log lines a timestamp: fn(ctx) returns the current time in ns (NULL: no timestamp). */
void sim_log_set_clock(int64_t (*fn)(void *ctx), void *ctx);
/* True if a message at `level` in namespace `ns` would be emitted. */
bool sim_log_is_enabled(struct sim_log_ns *ns, enum sim_log_level level);
void sim_log_emit(struct sim_log_ns *ns, enum sim_log_level level, const char *fmt, ...)
    SIM_PRINTF(3, 4);
const char *sim_log_level_name(enum sim_log_level level);

#define SIM_LOG(ns, lvl, ...)                                                                      \
    do {                                                                                           \
        if (sim_log_is_enabled(&sim_log_ns_##ns, (lvl)))                                           \
            sim_log_emit(&sim_log_ns_##ns, (lvl), __VA_ARGS__);                                    \
    } while (0)
#define SIM_ERROR(ns, ...) SIM_LOG(ns, SIM_LOG_ERROR, __VA_ARGS__)
#define SIM_WARN(ns, ...)  SIM_LOG(ns, SIM_LOG_WARN, __VA_ARGS__)
#define SIM_INFO(ns, ...)  SIM_LOG(ns, SIM_LOG_INFO, __VA_ARGS__)
#define SIM_DEBUG(ns, ...) SIM_LOG(ns, SIM_LOG_DEBUG, __VA_ARGS__)
#define SIM_TRACE(ns, ...) SIM_LOG(ns, SIM_LOG_TRACE, __VA_ARGS__)

/* ---------------------------------------------------------------------------------------------
 * Tagged allocation (the model of ExAllocatePoolWithTag). Every allocation names a tag; each
 * tag keeps a live count so a test can assert that teardown returned everything. The
 * underlying allocator is replaceable, and a hook fails the Nth allocation from now so that
 * constructors can be swept for out-of-memory handling.
 *
 * Thread safety: sim_alloc/sim_free and the counters may be called from any thread (counters
 * are relaxed atomics). The data path does not allocate; bench threads allocate only at init.
 * ------------------------------------------------------------------------------------------- */
struct sim_alloc_tag {
    const char *name;
    struct sim_alloc_tag *next; /* registry link, set on first use */
    int registered;             /* 0 until linked into the registry */
    long live;                  /* live blocks (atomic access only) */
    long total;                 /* blocks ever allocated (atomic access only) */
    long live_bytes;            /* live bytes (atomic access only) */
};
#define SIM_ALLOC_TAG_DEFINE(tag)  struct sim_alloc_tag sim_tag_##tag = {#tag, NULL, 0, 0, 0, 0}
#define SIM_ALLOC_TAG_DECLARE(tag) extern struct sim_alloc_tag sim_tag_##tag
#define SIM_TAG(tag)               (&sim_tag_##tag)

struct sim_allocator {
    void *(*alloc)(void *ctx, size_t size); /* returns NULL on failure */
    void (*free)(void *ctx, void *ptr);
    void *ctx;
};

/* Allocate `size` bytes (16-byte aligned) under `tag`. NULL when out of memory (real or
 * injected). sim_calloc zeroes. */
void *sim_alloc(struct sim_alloc_tag *tag, size_t size);
void *sim_calloc(struct sim_alloc_tag *tag, size_t count, size_t size);
/* Resize; on failure returns NULL and leaves ptr untouched. ptr NULL behaves as sim_alloc. */
void *sim_realloc(struct sim_alloc_tag *tag, void *ptr, size_t size);
/* Free a block from sim_alloc; NULL is ignored. */
void sim_free(void *ptr);
/* Duplicate a string under tag. */
char *sim_strdup(struct sim_alloc_tag *tag, const char *s);

/* Replace the allocator (NULL restores malloc/free). Only while no block is live. */
int sim_allocator_set(const struct sim_allocator *allocator);
/* Fail the nth allocation from now (0 = the very next one); a negative n disables the hook.
 * Only that one allocation fails; later ones succeed again. */
void sim_alloc_fail_nth(long n);
/* Number of allocations attempted since the process started (successful or not). */
long sim_alloc_attempts(void);
/* Live blocks under one tag, and under every tag together. */
long sim_alloc_live(const struct sim_alloc_tag *tag);
long sim_alloc_live_total(void);
/* Print "tag: N live (B bytes)" for every tag with live blocks; returns how many tags. */
int sim_alloc_report(FILE *out);

/* ---------------------------------------------------------------------------------------------
 * Deterministic PRNG: xoshiro256** seeded through splitmix64. Same seed, same sequence, on
 * every platform. Components fork their own stream so adding a draw in one does not shift
 * another's sequence.
 * ------------------------------------------------------------------------------------------- */
struct sim_prng {
    uint64_t s[4];
    uint64_t seed; /* the seed this stream was made from, for printing and replay */
};

void sim_prng_init(struct sim_prng *p, uint64_t seed);
uint64_t sim_prng_next(struct sim_prng *p);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t sim_prng_below(struct sim_prng *p, uint64_t bound);
/* Uniform double in [0, 1). */
double sim_prng_unit(struct sim_prng *p);
/* Derive an independent stream for component `stream_id` (same parent seed + id = same stream). */
void sim_prng_fork(const struct sim_prng *parent, uint64_t stream_id, struct sim_prng *child);
/* A seed for a run: `text` parsed as decimal or 0x-hex if non-NULL (SIM_EINVAL if malformed),
 * else one drawn from the clock. The caller prints it so the run can be replayed with --seed. */
int sim_seed_parse_or_draw(const char *text, uint64_t *seed_out);

/* ---------------------------------------------------------------------------------------------
 * The scheduler. One interface, two backends:
 *   - virtual: an integer-nanosecond clock that jumps from event to event; events run in
 *     (time, start sequence) order, so ties run in the order they were scheduled; fully
 *     deterministic; single-threaded.
 *   - realtime: a libuv loop; time is wall time since the scheduler was created; a uv_timer
 *     paces the next deadline; uv_async wakes the loop for sim_sched_post from other threads.
 * Components only ever read time and schedule work through this interface.
 *
 * Timers are caller-allocated handles (libuv style): embed a struct sim_timer in the object,
 * sim_timer_init() once, start/stop any number of times. A stopped timer's callback never runs.
 * ------------------------------------------------------------------------------------------- */
typedef int64_t sim_time_t; /* nanoseconds */

#define SIM_NSEC_PER_USEC INT64_C(1000)
#define SIM_NSEC_PER_MSEC INT64_C(1000000)
#define SIM_NSEC_PER_SEC  INT64_C(1000000000)
#define SIM_USEC(x)       ((sim_time_t)(x)*SIM_NSEC_PER_USEC)
#define SIM_MSEC(x)       ((sim_time_t)(x)*SIM_NSEC_PER_MSEC)
#define SIM_SEC(x)        ((sim_time_t)(x)*SIM_NSEC_PER_SEC)
#define SIM_TIME_NEVER    INT64_MAX

enum sim_sched_kind {
    SIM_SCHED_VIRTUAL = 0,
    SIM_SCHED_REALTIME = 1,
};

struct sim_sched;
struct sim_timer;
typedef void (*sim_timer_cb)(struct sim_timer *timer);
typedef void (*sim_call_cb)(void *arg);

/* Invariant: heap_index >= 0 exactly while the timer is pending in its scheduler's heap. */
struct sim_timer {
    struct sim_sched *sched;
    sim_timer_cb cb;
    void *data;      /* free for the owner */
    sim_time_t due;  /* absolute time it fires */
    uint64_t seq;    /* start order, breaks ties between equal due times */
    long heap_index; /* position in the heap, -1 when not pending */
};

/* Create a scheduler. Returns 0, SIM_ENOMEM, or SIM_EIO if libuv could not start. */
int sim_sched_create(enum sim_sched_kind kind, struct sim_sched **out);
/* Destroy; pending timers are dropped without running. Must run on the loop thread, not inside
 * sim_sched_run(). */
void sim_sched_destroy(struct sim_sched *s);
enum sim_sched_kind sim_sched_kind(const struct sim_sched *s);
/* Current time in ns since the scheduler was created (virtual: the clock; realtime: wall). */
sim_time_t sim_sched_now(const struct sim_sched *s);

/* Run events until none is pending, sim_sched_stop() is called, or the next event lies beyond
 * `until` (then the virtual clock is advanced to `until`). Pass SIM_TIME_NEVER to run dry.
 * Returns the number of callbacks run, or a negative SIM_E* code. Loop thread only. */
long sim_sched_run(struct sim_sched *s, sim_time_t until);
/* Run at most one due event (virtual: the earliest, advancing the clock). Returns 1 if one
 * ran, 0 if none was pending. For tests and debuggers that single-step the model. */
int sim_sched_step(struct sim_sched *s);
/* Make sim_sched_run() return after the current callback. Any thread. */
void sim_sched_stop(struct sim_sched *s);
/* Grow the timer heap to hold at least `n` pending timers, so that a run that never exceeds
 * it allocates nothing. Returns 0 or SIM_ENOMEM (the heap is unchanged). Loop thread only. */
int sim_sched_reserve(struct sim_sched *s, size_t n);
/* Due time of the earliest pending event (the current time if work was posted from another
 * thread and not yet drained); SIM_TIME_NEVER when nothing is pending. Loop thread only. */
sim_time_t sim_sched_next_due(const struct sim_sched *s);
/* Number of timers pending. */
size_t sim_sched_pending(const struct sim_sched *s);
/* Events run since creation (for "events per second" figures). */
uint64_t sim_sched_events_run(const struct sim_sched *s);

void sim_timer_init(struct sim_sched *s, struct sim_timer *t, sim_timer_cb cb, void *data);
/* Arm t to fire `delay` ns from now (delay < 0 is SIM_EINVAL). A pending timer is re-armed:
 * it keeps one pending occurrence, with a new sequence number. Returns 0, SIM_EINVAL, or
 * SIM_ENOMEM (heap growth). */
int sim_timer_start(struct sim_timer *t, sim_time_t delay);
/* Arm t to fire at absolute time `when` (a time in the past fires at the next step, at now). */
int sim_timer_start_at(struct sim_timer *t, sim_time_t when);
/* Disarm; returns true if the timer was pending (its callback will now not run). */
bool sim_timer_stop(struct sim_timer *t);
bool sim_timer_is_pending(const struct sim_timer *t);

/* Fire-and-forget: run fn(arg) after `delay` ns on the loop thread. Returns 0, SIM_EINVAL or
 * SIM_ENOMEM (then fn never runs). Loop thread only. */
int sim_sched_call(struct sim_sched *s, sim_time_t delay, sim_call_cb fn, void *arg);
/* Thread-safe: run fn(arg) on the loop thread as soon as possible (virtual: at the current
 * time, after events already due; realtime: wakes the loop through uv_async). Returns 0 or
 * SIM_ENOMEM. */
int sim_sched_post(struct sim_sched *s, sim_call_cb fn, void *arg);

/* Format a time as "1.500000000s" into buf (at least 32 bytes); returns buf. */
char *sim_time_format(sim_time_t t, char *buf, size_t len);
/* Parse "1.5s", "250ms", "10us", "7ns" or a bare number of seconds into ns. SIM_EINVAL if
 * malformed, SIM_ERANGE on overflow. */
int sim_time_parse(const char *text, sim_time_t *out);

#ifdef __cplusplus
}
#endif

#if __has_include("sim/ring.h") /* the ring lands in its own change */
#include "sim/ring.h"
#endif

#endif /* SRIOVSIM_SIM_H */
