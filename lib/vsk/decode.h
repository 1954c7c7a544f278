/* decode.h - one vsockmon frame: af_vsockmon_hdr, then (transport VIRTIO) the
 * virtio_vsock_hdr, then payload.  All fields little-endian on the wire. */
#ifndef VSK_DECODE_H
#define VSK_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct vsk_mon_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint16_t op, transport, len;
	uint8_t reserved[2];
};

struct vsk_virtio_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

struct vsk_pkt {
	struct vsk_mon_hdr mon;
	struct vsk_virtio_hdr hdr;   /* valid only if has_virtio */
	bool has_virtio;             /* transport VIRTIO and all 44 header bytes captured */
	const uint8_t *frame;        /* the frame as given (borrowed, not copied) */
	size_t caplen, wirelen;      /* bytes captured, bytes the frame had on the wire */
	const uint8_t *payload;      /* bytes after the transport header (borrowed) */
	size_t payload_caplen;       /* payload bytes present in the capture */
	size_t payload_wirelen;      /* payload bytes the frame had on the wire */
	uint32_t problems;           /* bit set: 1u << VSK_PROB_* (see lib/vsock.def) */
};

/*
 * Decodes frame[0..caplen); wirelen is the frame's original length (>= caplen; pass
 * caplen if unknown).  Nothing is trusted: every declared length is checked against the
 * bytes present, and what disagrees is recorded in pkt->problems, not fatal.
 * Returns 0, or VSK_E_SHORT if fewer than 32 bytes were captured (pkt->caplen,
 * wirelen and frame are still set).  The pkt borrows `frame`.
 */
int vsk_decode(const uint8_t *frame, size_t caplen, size_t wirelen, struct vsk_pkt *pkt);

static inline bool vsk_pkt_has(const struct vsk_pkt *pkt, enum vsk_problem p)
{
	return (pkt->problems >> p) & 1u;
}

#endif
