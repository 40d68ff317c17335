/* SPDX-License-Identifier: MIT */
/* cmd_version.c — `sriovsim version`: our version and the versions of the libraries linked. */
#include <getopt.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <uv.h>

#include "sim/sim.h"
#include "tools/cli.h"

int
cli_cmd_version(int argc, char **argv, const struct cli_global *g)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: sriovsim version\n\nPrints the version of sriovsim and of libuv, "
                   "libpcap and jansson.\n");
            return CLI_EXIT_OK;
        }
        return CLI_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_error(g, "version", CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    if (g->json) {
        json_t *doc =
            json_pack("{s:s, s:s, s:s, s:s}", "tool", "sriovsim", "version", SIM_VERSION_STRING,
                      "libuv", uv_version_string(), "jansson", JANSSON_VERSION);
        json_object_set_new(doc, "libpcap", json_string(pcap_lib_version()));
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(doc);
    } else {
        printf("sriovsim %s\n", SIM_VERSION_STRING);
        if (g->verbosity >= 0)
            printf("libuv %s, %s, jansson %s\n", uv_version_string(), pcap_lib_version(),
                   JANSSON_VERSION);
    }
    return CLI_EXIT_OK;
}
