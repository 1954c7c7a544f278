/* relay.h - the frames of vsockdev --relay: a raw packet relay between the guest driver's
 * virtqueues and one client on a UNIX stream socket (e.g. vsock-conformance playing the
 * device side).  Each frame is an 8-byte header, u16 kind, u16 zero, u32 body length (all
 * little-endian), then the body:
 *   pkt       both ways: a virtio_vsock_hdr (VSK_VIRTIO_HDR_LEN) and its payload, exactly the bytes
 *             of one packet on the ring (the header's len is not checked against the body)
 *   rx_wait   device to client, empty: a packet from the client waits because the driver
 *             has no rx buffer posted
 *   rx_short  device to client: u32 writable bytes of the rx buffer, u32 bytes of the
 *             packet; the packet went out cut to the buffer (used len = the buffer's)
 *   reset     device to client, empty: the driver stopped the device; packets not yet
 *             placed are gone
 * The kinds and sizes are lib/vsock.def's (VSK_RELAY, VSK_RELAY_*). */
#ifndef VSK_RELAY_H
#define VSK_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum vsk_relay_kind {
#define VSK_RELAY(num, ID, name) VSK_RELAY_##ID = num,
#include "../vsock.def"
};

/* Largest body: a header and the largest payload. */
#define VSK_RELAY_BODY_MAX ((uint32_t)VSK_VIRTIO_HDR_LEN + VSK_MAX_PKT_BUF_SIZE)

struct vsk_relay_frame {
	unsigned kind;           /* VSK_RELAY_* */
	const uint8_t *body;     /* points into the parsed bytes */
	uint32_t len;            /* body bytes */
	uint32_t buf_len, pkt_len;  /* rx_short: the buffer's writable bytes, the packet's */
};

/* Parses one frame at p[0..len).  Returns the frame's size (header and body) with *f set;
 * 0 if more bytes are needed; VSK_E_SYNTAX for an unknown kind, a non-zero reserved field
 * or a body the kind does not allow (pkt shorter than a header, rx_short not 8 bytes,
 * rx_wait or reset not empty); VSK_E_RANGE for a body over VSK_RELAY_BODY_MAX.  A
 * complete header that is wrong is reported before its body arrives. */
long vsk_relay_parse(const uint8_t *p, size_t len, struct vsk_relay_frame *f);

/* Writes the header of a frame of kind with a body of blen bytes. */
void vsk_relay_hdr(uint8_t out[VSK_RELAY_HDR_LEN], unsigned kind, uint32_t blen);

/* Writes the body of an rx_short frame: buf_len, the rx buffer's writable bytes, and
 * pkt_len, the packet's; the inverse of what vsk_relay_parse reads into the frame's
 * buf_len and pkt_len. */
void vsk_relay_short(uint8_t out[VSK_RELAY_SHORT_LEN], uint32_t buf_len, uint32_t pkt_len);

/* The name of a kind ("pkt"...), or NULL. */
const char *vsk_relay_name(unsigned kind);

#endif
