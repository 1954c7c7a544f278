/* frame.h - frames described by their fields and laid out with lib/encode.c, for the
 * filter tests (test-filter.c, test-filter-bpf.c). */
#ifndef VSK_TEST_FRAME_H
#define VSK_TEST_FRAME_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/encode.h"

struct fr {
	const char *name;
	uint64_t src_cid, dst_cid;       /* af_vsockmon_hdr */
	uint32_t src_port, dst_port;
	uint16_t mon_op, transport, mon_len;
	uint64_t vsrc_cid, vdst_cid;     /* virtio_vsock_hdr, if different (0: the same) */
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	size_t payload;                  /* bytes after the transport header */
	size_t caplen, wirelen;          /* 0: the whole frame */
};

/* Lays the frame out.  A virtio header is written into any transport header of 44 bytes
 * or more, whatever the transport says: a frame that only looks like virtio must still
 * not match virtio primitives. */
static size_t build(const struct fr *f, uint8_t *buf, size_t size)
{
	size_t n = VSK_MON_HDR_LEN + f->mon_len + f->payload;
	struct vsk_mon_hdr m = {
		.src_cid = f->src_cid, .dst_cid = f->dst_cid, .src_port = f->src_port,
		.dst_port = f->dst_port, .op = f->mon_op, .transport = f->transport,
		.len = f->mon_len,
	};
	struct vsk_virtio_hdr h = {
		.src_cid = f->vsrc_cid ? f->vsrc_cid : f->src_cid, .dst_cid = f->vdst_cid ? f->vdst_cid : f->dst_cid,
		.src_port = f->src_port, .dst_port = f->dst_port, .len = f->len, .type = f->type,
		.op = f->op, .flags = f->flags, .buf_alloc = 262144, .fwd_cnt = 4096,
	};

	if (n > size)
		abort();
	memset(buf, 0, n);
	vsk_encode_mon(buf, &m);
	if (f->mon_len >= VSK_VIRTIO_HDR_LEN)
		vsk_encode_virtio(buf + VSK_MON_HDR_LEN, &h);
	for (size_t i = VSK_MON_HDR_LEN + f->mon_len; i < n; i++)
		buf[i] = (uint8_t)(i * 7);
	return n;
}

#endif
