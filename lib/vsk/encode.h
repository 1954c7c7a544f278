/* encode.h - the inverse of decode.h: headers from structs to little-endian bytes.  For
 * the capture generator, tests, fuzz seeds and (later) the device model. */
#ifndef VSK_ENCODE_H
#define VSK_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* Writes the n (at most 8) low bytes of v at p, little-endian: the byte order of every
 * vsock, vhost-user and relay field libvsk writes. */
static inline void vsk_put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes the 32-byte af_vsockmon_hdr. */
void vsk_encode_mon(uint8_t out[VSK_MON_HDR_LEN], const struct vsk_mon_hdr *m);

/* Writes the 44-byte virtio_vsock_hdr. */
void vsk_encode_virtio(uint8_t out[VSK_VIRTIO_HDR_LEN], const struct vsk_virtio_hdr *h);

/* Fills *m as Linux's tap would for the virtio header h: same addresses, op from
 * vsk_mon_op_for(), transport VIRTIO, len 44, reserved zero. */
void vsk_mon_from_virtio(struct vsk_mon_hdr *m, const struct vsk_virtio_hdr *h);

/*
 * Writes a whole frame as Linux's tap does: vsockmon header (vsk_mon_from_virtio), virtio
 * header, then plen payload bytes (payload may be NULL when plen is 0; h->len is written as
 * given, not derived).  Returns the frame length, or 0 if it does not fit in cap.
 */
size_t vsk_encode_frame(uint8_t *out, size_t cap, const struct vsk_virtio_hdr *h,
			const uint8_t *payload, size_t plen);

#endif
