/* SPDX-License-Identifier: MIT */
/*
 * json_stream.h — `--json-stream`: one JSON object per line, written and flushed as things
 * happen (JSON Lines, https://jsonlines.org), so a CI job or `jq --seq`-style reader sees a
 * run's results, refusals, notes and trace records while it goes on. Models no Windows
 * component: it is how a user reads the model from another program.
 *
 * Every line is one object with at least
 *   "type": what the record is ("start", "result", "refusal", "note", "oid", "trace", "end", ...)
 *   "t_ns": the virtual time it happened at (integer nanoseconds; 0 before the clock runs)
 * plus the record's own fields. The records `run` emits and their fields are documented in
 * docs/scenario-language.md ("Results as data"). Lines are written in the order the records
 * happen, compact (no newline inside an object), each followed by '\n' and a flush.
 *
 * Use: one struct cli_jstream per output, from one thread (scenario mode is single-threaded).
 * A write error is sticky: later emits do nothing and cli_jstream_failed() tells the caller
 * (exit 74).
 */
#ifndef SRIOVSIM_TOOLS_JSON_STREAM_H
#define SRIOVSIM_TOOLS_JSON_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cli_jstream {
    FILE *out;   /* NULL: the stream is off and every emit is a no-op */
    bool failed; /* a write or flush failed (sticky) */
    int error;   /* errno of that failure (0: the record could not be built) */
    uint64_t records;
};

/* Start a stream on `out` (NULL: off). */
void cli_jstream_init(struct cli_jstream *js, FILE *out);
/* Whether the stream is on (callers skip building records when it is off). */
bool cli_jstream_on(const struct cli_jstream *js);

/*
 * Emit one record: {"type": type, "t_ns": t_ns, ...fields}. `fields` is a JSON object whose
 * members are appended after type and t_ns; the reference is stolen (NULL: no extra fields).
 * Returns 0, or -1 when the stream is failed (now or before) or the record could not be built.
 */
int cli_jstream_emit(struct cli_jstream *js, const char *type, int64_t t_ns, json_t *fields);

/* Same with the fields given as a json_pack() format and arguments ("{s:s, s:I}", ...). */
int cli_jstream_emitf(struct cli_jstream *js, const char *type, int64_t t_ns, const char *fmt, ...);

/* True when a write failed. */
bool cli_jstream_failed(const struct cli_jstream *js);

#endif /* SRIOVSIM_TOOLS_JSON_STREAM_H */
