/* vhostuser.h - vhost-user messages (QEMU docs/interop/vhost-user.rst: Message
 * Specification), both roles: vsockdev parses the front end's requests, vsock-conformance
 * (--target vhost-user) parses the backend's replies.  Request numbers come from
 * lib/vsock.def (VSK_VU_REQ); file descriptors are the caller's business. */
#ifndef VSK_VHOSTUSER_H
#define VSK_VHOSTUSER_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum {
#define VSK_VU_REQ(num, ID, name) VSK_VU_##ID = num,
#include "../vsock.def"
};

/* Largest payload accepted: SET_MEM_TABLE with 8 regions is 264 bytes, a config read 12
 * + 256.  Anything larger is a broken front end. */
#define VSK_VU_MAX_PAYLOAD 4096
#define VSK_VU_MAX_CONFIG  256
#define VSK_VU_MAX_FDS     8

struct vsk_vu_region {
	uint64_t gpa, size, uva, mmap_offset;
};

struct vsk_vu_msg {
	uint32_t request, flags, size;
	/* what the payload holds, by request */
	uint64_t u64;                    /* features; vring index | NOFD for KICK/CALL/ERR */
	struct { uint32_t index, num; } state;   /* VRING_NUM/BASE/ENABLE, GET_VRING_BASE */
	struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr;
	uint32_t nregions;
	struct vsk_vu_region region[VSK_VU_MAX_REGIONS];
	struct { uint32_t offset, size, flags; } config;
};

/* Parses one message at p[0..len): 12-byte header (request, flags, size) and size bytes of
 * payload, whose length must be exactly what the request carries (with flag REPLY: what
 * its reply carries, a u64 but for GET_VRING_BASE and GET_CONFIG).  Returns the bytes the
 * message takes (12 + size) with *m filled; 0 if len is shorter than the header or than the
 * payload it announces (size <= VSK_VU_MAX_PAYLOAD); VSK_E_RANGE if size exceeds
 * VSK_VU_MAX_PAYLOAD or a region count is 0 or above 8 or a config size above 256;
 * VSK_E_SYNTAX if the payload length does not fit the request, or the flags lack
 * version 1. */
int vsk_vu_parse(const uint8_t *p, size_t len, struct vsk_vu_msg *m);
/* The request's name ("SET_MEM_TABLE"), or NULL if unknown. */
const char *vsk_vu_req_name(uint32_t request);
/* The inverse of vsk_vu_parse: writes m->request, m->flags and the payload the request
 * (with flag REPLY: its reply) carries, taken from the fields of *m that vsk_vu_parse
 * fills, to out[0..cap); the header's size is computed, m->size is read only for a
 * request of no known shape.  The bytes vsk_vu_parse does not keep are written as zeros:
 * SET_MEM_TABLE's padding, the config.size bytes after a config header (the caller fills
 * them at out + VSK_VU_HDR_LEN + VSK_VU_CONFIG_HDR_LEN for SET_CONFIG or a GET_CONFIG
 * reply), the payload of a request of no known shape.  Returns the bytes written
 * (12 + size), or 0 if they do not fit or *m is not something vsk_vu_parse accepts
 * (flags without version 1, nregions 0 or above 8, config.size above 256, a payload above
 * VSK_VU_MAX_PAYLOAD).  vsk_vu_parse of the result gives *m back. */
size_t vsk_vu_build_msg(uint8_t *out, size_t cap, const struct vsk_vu_msg *m);

#endif
