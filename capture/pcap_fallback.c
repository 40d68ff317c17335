/* SPDX-License-Identifier: MIT */
/*
 * pcap_fallback.c — the classic-pcap fallback (`--capture-format pcap`): one nanosecond pcap
 * file per capture point, "<prefix>-<point>.pcap", written through libpcap (the layout of
 * ns-3's EnablePcapAll). Classic pcap has one link type and no interface names, directions,
 * packet ids or comments: the point is in the file name, and the rest is lost.
 *
 * Windows counterpart: `pktmon etl2pcap --component-id N` run once per component, which also
 * gives one plain capture per layer.
 *
 * libpcap note (ecosystem.md 1.5): with a handle opened at PCAP_TSTAMP_PRECISION_NANO,
 * pcap_dump() reads pkthdr.ts.tv_usec as nanoseconds.
 */
#include <errno.h>
#include <string.h>

#include "capture/capture_int.h"

int
cap__pcap_open(struct cap_session *s, struct sim_diag *d)
{
    s->pcap_dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)s->snaplen,
                                                        PCAP_TSTAMP_PRECISION_NANO);
    if (s->pcap_dead == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture '%s': libpcap could not create a handle",
                             s->path);
    return 0;
}

int
cap__pcap_open_iface(struct cap_session *s, struct cap_iface *ifc, struct sim_diag *d)
{
    size_t n = strlen(s->path) + 1 + strlen(ifc->name) + sizeof(".pcap");
    ifc->file_name = sim_alloc(SIM_TAG(cap_session), n);
    if (ifc->file_name == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture point '%s': out of memory", ifc->name);
    snprintf(ifc->file_name, n, "%s-%s.pcap", s->path, ifc->name);
    ifc->dumper = pcap_dump_open(s->pcap_dead, ifc->file_name);
    if (ifc->dumper == NULL)
        return sim_diag_fail(d, SIM_EIO, "capture file '%s': cannot open for writing: %s",
                             ifc->file_name, pcap_geterr(s->pcap_dead));
    return 0;
}

void
cap__pcap_write(struct cap_session *s, struct cap_iface *ifc, int64_t ts_ns, const void *frame,
                uint32_t caplen, uint32_t len)
{
    (void)s;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = (time_t)(ts_ns / SIM_NSEC_PER_SEC);
    h.ts.tv_usec = (suseconds_t)(ts_ns % SIM_NSEC_PER_SEC); /* nanoseconds: see the header */
    h.caplen = caplen;
    h.len = len;
    /* pcap_dump cannot report errors: stdio keeps them, checked at flush and close. */
    pcap_dump((u_char *)ifc->dumper, &h, frame);
}

static void
flush_one(struct cap_session *s, struct cap_iface *ifc)
{
    if (ifc->dumper == NULL)
        return;
    errno = 0;
    if (pcap_dump_flush(ifc->dumper) != 0 || ferror(pcap_dump_file(ifc->dumper)))
        cap__session_record_error(s, "capture file '%s': write failed: %s", ifc->file_name,
                                  errno ? strerror(errno) : "stream error");
}

int
cap__pcap_flush(struct cap_session *s)
{
    for (uint32_t i = 0; i < s->n_ifaces; i++)
        flush_one(s, s->ifaces[i]);
    return s->error;
}

int
cap__pcap_close(struct cap_session *s)
{
    for (uint32_t i = 0; i < s->n_ifaces; i++) {
        struct cap_iface *ifc = s->ifaces[i];
        flush_one(s, ifc);
        if (ifc->dumper != NULL)
            pcap_dump_close(ifc->dumper); /* fclose; the flush above surfaced any error */
        ifc->dumper = NULL;
    }
    if (s->pcap_dead != NULL)
        pcap_close(s->pcap_dead);
    s->pcap_dead = NULL;
    return s->error;
}
