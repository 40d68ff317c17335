/* SPDX-License-Identifier: MIT */
/* cli_script.h — helpers shared by the commands that read scenario scripts (check, run). */
#ifndef SRIOVSIM_TOOLS_CLI_SCRIPT_H
#define SRIOVSIM_TOOLS_CLI_SCRIPT_H

#include "script/script.h"

/* Parse options that check OID and NDIS_STATUS names against the ndis_shim tables. */
void cli_script_parse_opts(struct scn_parse_opts *opts);
/* Map a scn_program_parse_file() result to an exit code: 0, 65 (errors), 66 (missing). */
int cli_script_parse_exit(int err);

#endif
