/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c — `sriovsim check SCRIPT...`: parse and check scenario scripts without running
 * them (like `nft -c`). OID and NDIS_STATUS names are checked against the ndis_shim tables,
 * so a misspelt OID gets a did-you-mean too. Exit 0 when every script is clean, 65 when any
 * has an error (nothing is run), 66 when a script is missing.
 */
#include <getopt.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <string.h>

#include "ndis_shim/ndis_shim.h"
#include "script/script.h"
#include "sim/sim.h"
#include "tools/cli.h"
#include "tools/cli_script.h"

/* Candidate names for suggestions, built once from the ndis tables. */
static const char *oid_names[512];
static size_t oid_name_count;
static const char *status_names[512];
static size_t status_name_count;

static void
load_names(void)
{
    if (oid_name_count != 0)
        return;
    for (size_t i = 0; i < ndis_oid_count() && oid_name_count < SIM_ARRAY_SIZE(oid_names); i++)
        oid_names[oid_name_count++] = ndis_oid_at(i)->name;
    for (size_t i = 0; i < ndis_status_count() && status_name_count < SIM_ARRAY_SIZE(status_names);
         i++)
        status_names[status_name_count++] = ndis_status_name(ndis_status_at(i));
}

static bool
ident_is_known(void *ctx, enum scn_ident kind, const char *name)
{
    if (kind == SCN_IDENT_OID) {
        ndis_oid_t oid;
        return ndis_oid_parse(name, &oid);
    }
    ndis_status_t st;
    return ndis_status_parse(name, &st);
}

static const char *
ident_suggest(void *ctx, enum scn_ident kind, const char *name)
{
    load_names();
    if (kind == SCN_IDENT_OID)
        return scn_suggest(name, oid_names, oid_name_count);
    return scn_suggest(name, status_names, status_name_count);
}

/* A capture filter compiles for Ethernet frames, as capture/ compiles it when the run starts. */
static bool
filter_compiles(void *ctx, const char *filter, char *why, size_t why_len)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    if (p == NULL) {
        snprintf(why, why_len, "libpcap could not open a dead handle");
        return false;
    }
    struct bpf_program prog;
    bool ok = pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (ok)
        pcap_freecode(&prog);
    else
        snprintf(why, why_len, "%s", pcap_geterr(p));
    pcap_close(p);
    return ok;
}

void
cli_script_parse_opts(struct scn_parse_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->is_known = ident_is_known;
    opts->suggest = ident_suggest;
    opts->check_filter = filter_compiles;
}

int
cli_script_parse_exit(int err)
{
    switch (err) {
    case 0:
        return CLI_EXIT_OK;
    case SIM_EPARSE:
        return CLI_EXIT_DATAERR;
    case SIM_ENOENT:
        return CLI_EXIT_NOINPUT;
    case SIM_ENOMEM:
        return CLI_EXIT_SOFTWARE;
    default:
        return CLI_EXIT_NOINPUT; /* unreadable: a directory, too large, I/O error */
    }
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: sriovsim check [options] SCRIPT...\n"
                 "\n"
                 "Parses and checks .scn scenario scripts without running anything: syntax, every\n"
                 "verb and key, value types, names defined before use, times that never go\n"
                 "backwards, OID and NDIS_STATUS names. Errors are printed gcc-style as\n"
                 "FILE:LINE:COL: error: MESSAGE, with a suggestion for misspelt words.\n"
                 "\n"
                 "options:\n"
                 "  --no-source   print only the FILE:LINE:COL lines, not the source and caret\n"
                 "  -h, --help    this help\n"
                 "\n"
                 "Exit codes: 0 every script is clean, 65 a script has errors, 66 a script is\n"
                 "missing or unreadable. The language reference is docs/scenario-language.md.\n");
}

int
cli_cmd_check(int argc, char **argv, const struct cli_global *g)
{
    enum { OPT_NO_SOURCE = 256 };
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"no-source", no_argument, NULL, OPT_NO_SOURCE},
        {NULL, 0, NULL, 0},
    };
    bool with_source = true;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case OPT_NO_SOURCE:
            with_source = false;
            break;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_error(g, "check", CLI_EXIT_USAGE,
                         "no script given (usage: sriovsim check "
                         "SCRIPT...)");

    struct scn_parse_opts popts;
    cli_script_parse_opts(&popts);
    int worst = CLI_EXIT_OK;
    json_t *results = g->json ? json_array() : NULL;
    for (int i = optind; i < argc; i++) {
        struct scn_program *prog = NULL;
        struct scn_diags *diags = NULL;
        int err = scn_program_parse_file(argv[i], &popts, &prog, &diags);
        int code = cli_script_parse_exit(err);
        if (diags != NULL)
            scn_diag_print(stderr, diags, with_source);
        if (results != NULL) {
            json_t *r = json_pack("{s:s, s:b}", "file", argv[i], "ok", err == 0);
            if (prog != NULL) {
                json_object_set_new(r, "statements",
                                    json_integer((json_int_t)scn_program_count(prog)));
                json_object_set_new(r, "expectations",
                                    json_integer((json_int_t)scn_program_expect_count(prog)));
            }
            json_t *errs = json_array();
            for (size_t k = 0; diags != NULL && k < scn_diags_count(diags); k++) {
                const struct scn_diag *d = scn_diags_get(diags, k);
                json_array_append_new(errs, json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", d->file,
                                                      "line", (int)d->line, "col", (int)d->col,
                                                      "severity",
                                                      d->severity == SCN_SEV_ERROR     ? "error"
                                                      : d->severity == SCN_SEV_WARNING ? "warning"
                                                                                       : "note",
                                                      "message", d->message));
            }
            json_object_set_new(r, "diagnostics", errs);
            json_array_append_new(results, r);
        } else if (err == 0 && g->verbosity >= 0) {
            printf("check %s: ok (%zu statements, %zu expectations)\n", argv[i],
                   scn_program_count(prog), scn_program_expect_count(prog));
        } else if (err != 0 && err != SIM_EPARSE && diags == NULL) {
            fprintf(stderr, "%s: %s\n", argv[i], sim_strerror(err));
        }
        scn_program_destroy(prog);
        scn_diags_destroy(diags);
        /* 66 (missing input) outranks 65 (errors): the run could not even look at a file. */
        if (code == CLI_EXIT_NOINPUT || (code != CLI_EXIT_OK && worst == CLI_EXIT_OK))
            worst = code;
    }
    if (results != NULL) {
        json_t *doc = json_pack("{s:s, s:s, s:o}", "tool", "sriovsim", "command", "check",
                                "results", results);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(doc);
    }
    return worst;
}
