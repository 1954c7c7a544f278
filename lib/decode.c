/* decode.c - af_vsockmon_hdr + virtio_vsock_hdr decoder (see vsk/decode.h). */
#include <string.h>

#include "vsk/cursor.h"
#include "vsk/decode.h"
#include "vsk/error.h"

#define PROB(p, id) ((p)->problems |= 1u << VSK_PROB_##id)

static void decode_virtio(struct vsk_pkt *pkt, struct vsk_cursor *c)
{
	struct vsk_virtio_hdr *h = &pkt->hdr;
	uint32_t undefined;

	h->src_cid = vsk_cur_le64(c);
	h->dst_cid = vsk_cur_le64(c);
	h->src_port = vsk_cur_le32(c);
	h->dst_port = vsk_cur_le32(c);
	h->len = vsk_cur_le32(c);
	h->type = vsk_cur_le16(c);
	h->op = vsk_cur_le16(c);
	h->flags = vsk_cur_le32(c);
	h->buf_alloc = vsk_cur_le32(c);
	h->fwd_cnt = vsk_cur_le32(c);
	if (c->short_) {
		memset(h, 0, sizeof(*h));
		return;
	}
	pkt->has_virtio = true;

	/* Socket Device: Addressing - the upper 32 bits of a CID are reserved and zeroed. */
	if ((h->src_cid >> 32) || (h->dst_cid >> 32))
		PROB(pkt, CID_UPPER);
	/* The kernel copies the virtio addresses into the vsockmon header verbatim. */
	if (h->src_cid != pkt->mon.src_cid || h->dst_cid != pkt->mon.dst_cid ||
	    h->src_port != pkt->mon.src_port || h->dst_port != pkt->mon.dst_port)
		PROB(pkt, MON_DISAGREE);
	if (!vsk_table_find(&vsk_tab_type, h->type))
		PROB(pkt, TYPE_UNKNOWN);
	if (!vsk_table_find(&vsk_tab_op, h->op))
		PROB(pkt, OP_UNKNOWN);
	undefined = h->flags & ~vsk_flags_defined(h->op, h->type);
	if (undefined)
		PROB(pkt, FLAGS_UNKNOWN);
}

int vsk_decode(const uint8_t *frame, size_t caplen, size_t wirelen, struct vsk_pkt *pkt)
{
	struct vsk_cursor c;
	struct vsk_mon_hdr *m = &pkt->mon;
	size_t hdr_end, present;

	/* Field by field, not memset: this runs once per frame. */
	pkt->has_virtio = false;
	pkt->problems = 0;
	pkt->payload = NULL;
	pkt->payload_caplen = pkt->payload_wirelen = 0;
	if (wirelen < caplen)
		wirelen = caplen;
	pkt->frame = frame;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	if (caplen < VSK_MON_HDR_LEN) {
		memset(&pkt->mon, 0, sizeof(pkt->mon));
		memset(&pkt->hdr, 0, sizeof(pkt->hdr));
		PROB(pkt, HDR_SHORT);
		if (wirelen > caplen)
			PROB(pkt, TRUNCATED);
		return VSK_E_SHORT;
	}
	if (wirelen > caplen)
		PROB(pkt, TRUNCATED);

	vsk_cur_init(&c, frame, caplen);
	m->src_cid = vsk_cur_le64(&c);
	m->dst_cid = vsk_cur_le64(&c);
	m->src_port = vsk_cur_le32(&c);
	m->dst_port = vsk_cur_le32(&c);
	m->op = vsk_cur_le16(&c);
	m->transport = vsk_cur_le16(&c);
	m->len = vsk_cur_le16(&c);
	m->reserved[0] = vsk_cur_u8(&c);
	m->reserved[1] = vsk_cur_u8(&c);

	if (m->reserved[0] || m->reserved[1])
		PROB(pkt, MON_RESERVED);
	if (!vsk_table_find(&vsk_tab_mon_op, m->op))
		PROB(pkt, MON_OP_UNKNOWN);
	if (!vsk_table_find(&vsk_tab_transport, m->transport))
		PROB(pkt, TRANSPORT_UNKNOWN);

	/* The transport header is m->len bytes and the payload runs to the end of the frame;
	 * a virtio header is 44 bytes whatever len claims (a wrong len is reported, and the
	 * header still decoded when its bytes are there, as tcpdump does). */
	hdr_end = VSK_MON_HDR_LEN + (size_t)m->len;
	if (m->transport == VSK_TRANSPORT_VIRTIO) {
		if (m->len != VSK_VIRTIO_HDR_LEN)
			PROB(pkt, MON_LEN);
		if (hdr_end < VSK_FRAME_HDR_LEN)
			hdr_end = VSK_FRAME_HDR_LEN;
	}
	if (wirelen < hdr_end) {
		PROB(pkt, HDR_SHORT);
		hdr_end = wirelen;
	}
	present = caplen < hdr_end ? caplen : hdr_end;
	pkt->payload = frame + present;
	pkt->payload_caplen = caplen - present;
	pkt->payload_wirelen = wirelen - hdr_end;

	if (m->transport == VSK_TRANSPORT_VIRTIO) {
		struct vsk_cursor hc;

		vsk_cur_init(&hc, frame + VSK_MON_HDR_LEN, present - VSK_MON_HDR_LEN);
		decode_virtio(pkt, &hc);
		if (pkt->has_virtio && pkt->hdr.len != pkt->payload_wirelen)
			PROB(pkt, LEN_MISMATCH);
	} else {
		memset(&pkt->hdr, 0, sizeof(pkt->hdr));
	}
	return 0;
}
