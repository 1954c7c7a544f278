/* capture.c - every packet vsockdev carries, both ways, as Linux's vsockmon tap would
 * frame it (af_vsockmon_hdr + virtio_vsock_hdr + payload, lib/encode.c): written to a
 * LINKTYPE_VSOCK pcap through libpcap (--capture) and fed to lib/flow.c's rules live
 * (--check), whose findings are logged as they come.  A capture on the host never sees a
 * userspace device's traffic (reference/vsock-facts.md A.3): this one does. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "vsk/encode.h"
#include "vsk/flow.h"
#include "vsockdev.h"

#define MAX_FINDINGS 16

struct vd_capture {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	struct vsk_flow *flow;
	uint64_t frames;
	uint8_t frame[VSK_FRAME_HDR_LEN + VSK_MAX_PKT_BUF_SIZE];
};

static void report(struct vd *vd, const struct vsk_violation *v, size_t n)
{
	for (size_t i = 0; i < n && i < MAX_FINDINGS; i++) {
		const struct vsk_rule_info *r = &vsk_rules[v[i].rule];

		vd->violations++;
		if (v[i].conn)
			vd_log(vd, 0, "check: %s %s: connection %llu (%llu:%u - %llu:%u): %s",
			       vsk_severity_names[r->sev], r->name,
			       (unsigned long long)v[i].conn->index,
			       (unsigned long long)v[i].conn->end[0].cid, v[i].conn->end[0].port,
			       (unsigned long long)v[i].conn->end[1].cid, v[i].conn->end[1].port,
			       v[i].detail);
		else
			vd_log(vd, 0, "check: %s %s: %s", vsk_severity_names[r->sev], r->name,
			       v[i].detail);
	}
}

int vd_capture_open(struct vd *vd)
{
	struct vd_capture *k;

	if (!vd->capture_path && !vd->check)
		return 0;
	if (!(k = calloc(1, sizeof(*k)))) {
		vd_log(vd, 0, "out of memory");
		return -1;
	}
	vd->cap = k;
	if (vd->capture_path) {
		k->dead = pcap_open_dead(VSK_LINKTYPE_VSOCK, VSK_DEFAULT_SNAPLEN);
		if (!k->dead || !(k->dumper = pcap_dump_open(k->dead, vd->capture_path))) {
			vd_log(vd, 0, "%s: %s", vd->capture_path,
			       k->dead ? pcap_geterr(k->dead) : "pcap_open_dead failed");
			return -1;
		}
	}
	if (vd->check && !(k->flow = vsk_flow_new(NULL))) {
		vd_log(vd, 0, "out of memory");
		return -1;
	}
	return 0;
}

void vd_capture_packet(struct vd *vd, const struct vsk_virtio_hdr *h, const uint8_t *payload,
		       size_t plen)
{
	struct vd_capture *k = vd->cap;
	struct pcap_pkthdr ph;
	size_t n;

	if (vd->verbose >= 3)
		vd_log(vd, 3, "%s %llu:%u -> %llu:%u op %u type %u len %u flags %#x buf_alloc %u "
		       "fwd_cnt %u", h->src_cid == vd->cid ? "tx" : "rx",
		       (unsigned long long)h->src_cid, h->src_port,
		       (unsigned long long)h->dst_cid, h->dst_port, h->op, h->type, h->len,
		       h->flags, h->buf_alloc, h->fwd_cnt);
	if (!k)
		return;
	n = vsk_encode_frame(k->frame, sizeof(k->frame), h, payload, plen);
	if (!n)
		return;
	gettimeofday(&ph.ts, NULL);
	ph.caplen = ph.len = (bpf_u_int32)n;
	k->frames++;
	if (k->dumper)
		pcap_dump((u_char *)k->dumper, &ph, k->frame);
	if (k->flow) {
		struct vsk_violation v[MAX_FINDINGS];
		struct vsk_pkt pkt;
		int rc = vsk_decode(k->frame, n, n, &pkt);

		report(vd, v, vsk_flow_packet(k->flow, &pkt, rc, &ph.ts, v, MAX_FINDINGS, NULL));
	}
}

void vd_capture_close(struct vd *vd)
{
	struct vd_capture *k = vd->cap;

	if (!k)
		return;
	if (k->flow) {
		struct vsk_violation v[MAX_FINDINGS];

		report(vd, v, vsk_flow_finish(k->flow, v, MAX_FINDINGS));
		vsk_flow_free(k->flow);
		vd_log(vd, 1, "check: %llu frames, %llu findings", (unsigned long long)k->frames,
		       (unsigned long long)vd->violations);
	}
	if (k->dumper) {
		if (pcap_dump_flush(k->dumper) != 0)
			vd_log(vd, 0, "%s: write failed", vd->capture_path);
		pcap_dump_close(k->dumper);
	}
	if (k->dead)
		pcap_close(k->dead);
	free(k);
	vd->cap = NULL;
}
