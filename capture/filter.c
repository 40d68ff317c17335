/* SPDX-License-Identifier: MIT */
/*
 * filter.c — BPF capture filters ("udp", "tcp port 80 and host 10.0.0.1") compiled by libpcap's
 * own compiler on a dead Ethernet handle and run with pcap_offline_filter() on every tapped
 * frame, exactly as tcpdump/dumpcap would apply a capture filter on a live interface.
 *
 * Windows counterpart: `pktmon filter add` (pktmon's own filter syntax); we take libpcap's
 * because every Wireshark user already knows it.
 *
 * The expression is compiled when the session starts, so a bad filter is an error then, with
 * libpcap's message, never a surprise at the first packet.
 */
#include <string.h>

#include "capture/capture_int.h"

int
cap__filter_compile(struct cap__filter *f, const char *text, uint32_t snaplen, struct sim_diag *d)
{
    memset(f, 0, sizeof(*f));
    if (text == NULL || text[0] == '\0')
        return 0;
    f->text = sim_strdup(SIM_TAG(cap_session), text);
    if (f->text == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture filter: out of memory");
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);
    if (dead == NULL) {
        sim_free(f->text);
        f->text = NULL;
        return sim_diag_fail(d, SIM_ENOMEM, "capture filter: libpcap could not create a handle");
    }
    /* optimize = 1; netmask unknown: "ip broadcast" is then rejected, as in tcpdump -r. */
    if (pcap_compile(dead, &f->prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        int err =
            sim_diag_fail(d, SIM_EINVAL, "capture filter \"%.200s\": %s", text, pcap_geterr(dead));
        pcap_close(dead);
        sim_free(f->text);
        f->text = NULL;
        return err;
    }
    /* The compiled program does not refer to the handle. */
    pcap_close(dead);
    f->active = true;
    return 0;
}

bool
cap__filter_match(const struct cap__filter *f, const void *frame, uint32_t caplen, uint32_t len)
{
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof(h));
    h.caplen = caplen;
    h.len = len;
    return pcap_offline_filter(&f->prog, &h, frame) != 0;
}

void
cap__filter_free(struct cap__filter *f)
{
    if (f->active)
        pcap_freecode(&f->prog);
    sim_free(f->text);
    memset(f, 0, sizeof(*f));
}
