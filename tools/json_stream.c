/* SPDX-License-Identifier: MIT */
/* json_stream.c — one JSON object per line, flushed as it happens (see json_stream.h). */
#include "tools/json_stream.h"

#include <errno.h>
#include <stdarg.h>

void
cli_jstream_init(struct cli_jstream *js, FILE *out)
{
    js->out = out;
    js->failed = false;
    js->error = 0;
    js->records = 0;
}

bool
cli_jstream_on(const struct cli_jstream *js)
{
    return js != NULL && js->out != NULL;
}

bool
cli_jstream_failed(const struct cli_jstream *js)
{
    return js != NULL && js->failed;
}

int
cli_jstream_emit(struct cli_jstream *js, const char *type, int64_t t_ns, json_t *fields)
{
    if (!cli_jstream_on(js) || js->failed) {
        json_decref(fields);
        return js != NULL && js->failed ? -1 : 0;
    }
    /* type and t_ns first, so a reader can dispatch on the start of the line. */
    json_t *rec = json_pack("{s:s, s:I}", "type", type, "t_ns", (json_int_t)t_ns);
    if (rec == NULL || (fields != NULL && !json_is_object(fields))) {
        json_decref(rec);
        json_decref(fields);
        return -1;
    }
    if (fields != NULL) {
        const char *k;
        json_t *v;
        json_object_foreach(fields, k, v)
        {
            if (json_object_set(rec, k, v) != 0) {
                json_decref(rec);
                json_decref(fields);
                return -1;
            }
        }
        json_decref(fields);
    }
    errno = 0;
    int rc = json_dumpf(rec, js->out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(rec);
    if (rc != 0 || fputc('\n', js->out) == EOF || fflush(js->out) != 0) {
        js->failed = true;
        js->error = errno;
        return -1;
    }
    js->records++;
    return 0;
}

int
cli_jstream_emitf(struct cli_jstream *js, const char *type, int64_t t_ns, const char *fmt, ...)
{
    if (!cli_jstream_on(js))
        return 0;
    va_list ap;
    va_start(ap, fmt);
    json_error_t err;
    json_t *fields = json_vpack_ex(&err, 0, fmt, ap);
    va_end(ap);
    if (fields == NULL)
        return -1;
    return cli_jstream_emit(js, type, t_ns, fields);
}
