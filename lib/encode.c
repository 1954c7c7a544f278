/* encode.c - headers to little-endian bytes (see vsk/encode.h). */
#include <string.h>

#include "vsk/encode.h"

void vsk_encode_mon(uint8_t out[VSK_MON_HDR_LEN], const struct vsk_mon_hdr *m)
{
	vsk_put_le(out + VSK_MON_OFF_SRC_CID, m->src_cid, 8);
	vsk_put_le(out + VSK_MON_OFF_DST_CID, m->dst_cid, 8);
	vsk_put_le(out + VSK_MON_OFF_SRC_PORT, m->src_port, 4);
	vsk_put_le(out + VSK_MON_OFF_DST_PORT, m->dst_port, 4);
	vsk_put_le(out + VSK_MON_OFF_OP, m->op, 2);
	vsk_put_le(out + VSK_MON_OFF_TRANSPORT, m->transport, 2);
	vsk_put_le(out + VSK_MON_OFF_LEN, m->len, 2);
	out[VSK_MON_OFF_RESERVED] = m->reserved[0];
	out[VSK_MON_OFF_RESERVED + 1] = m->reserved[1];
}

void vsk_encode_virtio(uint8_t out[VSK_VIRTIO_HDR_LEN], const struct vsk_virtio_hdr *h)
{
	vsk_put_le(out + VSK_HDR_OFF_SRC_CID, h->src_cid, 8);
	vsk_put_le(out + VSK_HDR_OFF_DST_CID, h->dst_cid, 8);
	vsk_put_le(out + VSK_HDR_OFF_SRC_PORT, h->src_port, 4);
	vsk_put_le(out + VSK_HDR_OFF_DST_PORT, h->dst_port, 4);
	vsk_put_le(out + VSK_HDR_OFF_LEN, h->len, 4);
	vsk_put_le(out + VSK_HDR_OFF_TYPE, h->type, 2);
	vsk_put_le(out + VSK_HDR_OFF_OP, h->op, 2);
	vsk_put_le(out + VSK_HDR_OFF_FLAGS, h->flags, 4);
	vsk_put_le(out + VSK_HDR_OFF_BUF_ALLOC, h->buf_alloc, 4);
	vsk_put_le(out + VSK_HDR_OFF_FWD_CNT, h->fwd_cnt, 4);
}

void vsk_mon_from_virtio(struct vsk_mon_hdr *m, const struct vsk_virtio_hdr *h)
{
	memset(m, 0, sizeof(*m));
	m->src_cid = h->src_cid;
	m->dst_cid = h->dst_cid;
	m->src_port = h->src_port;
	m->dst_port = h->dst_port;
	m->op = vsk_mon_op_for(h->op);
	m->transport = VSK_TRANSPORT_VIRTIO;
	m->len = VSK_VIRTIO_HDR_LEN;
}

size_t vsk_encode_frame(uint8_t *out, size_t cap, const struct vsk_virtio_hdr *h,
			const uint8_t *payload, size_t plen)
{
	struct vsk_mon_hdr m;

	if (cap < VSK_FRAME_HDR_LEN || cap - VSK_FRAME_HDR_LEN < plen)
		return 0;
	vsk_mon_from_virtio(&m, h);
	vsk_encode_mon(out, &m);
	vsk_encode_virtio(out + VSK_MON_HDR_LEN, h);
	if (plen)
		memcpy(out + VSK_FRAME_HDR_LEN, payload, plen);
	return VSK_FRAME_HDR_LEN + plen;
}
