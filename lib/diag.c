/* diag.c - vsock_diag request builder and reply parser (see vsk/diag.h). */
#include <string.h>

#include "vsk/cursor.h"
#include "vsk/diag.h"
#include "vsk/error.h"
#include "vsk/proto.h"

/* Netlink and sock_diag are host byte order: bytes copied as they are, bounds-checked. */
static uint32_t ne32(struct vsk_cursor *c)
{
	uint32_t v;

	vsk_cur_copy(c, &v, sizeof(v));
	return v;
}

static uint16_t ne16(struct vsk_cursor *c)
{
	uint16_t v;

	vsk_cur_copy(c, &v, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof(v)); }

int vsk_diag_parse(const uint8_t *p, size_t len, struct vsk_diag_sock *s)
{
	struct vsk_cursor c;
	uint32_t lo, hi;

	vsk_cur_init(&c, p, len);
	s->family = vsk_cur_u8(&c);
	s->type = vsk_cur_u8(&c);
	s->state = vsk_cur_u8(&c);
	s->shutdown = vsk_cur_u8(&c);
	s->src_cid = ne32(&c);
	s->src_port = ne32(&c);
	s->dst_cid = ne32(&c);
	s->dst_port = ne32(&c);
	s->ino = ne32(&c);
	lo = ne32(&c);
	hi = ne32(&c);
	s->cookie = (uint64_t)hi << 32 | lo;
	if (c.short_)
		return VSK_DIAG_E_SHORT;
	if (s->family != VSK_AF_VSOCK)
		return VSK_DIAG_E_FAMILY;
	return 0;
}

size_t vsk_diag_req_build(uint8_t *out, size_t cap, uint32_t states)
{
	if (cap < VSK_DIAG_REQ_LEN)
		return 0;
	/* sdiag_family, sdiag_protocol 0, pad 0; vdiag_ino and vdiag_show are reserved and
	 * must be 0, and the cookie is unused by the dump. */
	memset(out, 0, VSK_DIAG_REQ_LEN);
	out[0] = VSK_AF_VSOCK;
	put32(out + 4, states);
	return VSK_DIAG_REQ_LEN;
}

int vsk_diag_walk(const uint8_t *p, size_t len, vsk_diag_fn fn, void *arg, int *kerr,
		  bool *done)
{
	size_t off = 0;

	if (done)
		*done = false;
	if (kerr)
		*kerr = 0;
	while (off < len) {
		struct vsk_cursor c;
		uint32_t mlen;
		uint16_t type;
		size_t step;

		vsk_cur_init(&c, p + off, len - off);
		mlen = ne32(&c);
		type = ne16(&c);
		vsk_cur_skip(&c, VSK_NLMSG_HDR_LEN - 6); /* flags, seq, pid */
		if (c.short_ || mlen < VSK_NLMSG_HDR_LEN || mlen > len - off)
			return VSK_DIAG_E_NLMSG;
		const uint8_t *pl = p + off + VSK_NLMSG_HDR_LEN;
		size_t plen = mlen - VSK_NLMSG_HDR_LEN;

		if (type == VSK_NLMSG_T_DONE) {
			if (done)
				*done = true;
			return 0;
		} else if (type == VSK_NLMSG_T_ERROR) {
			struct vsk_cursor e;
			int32_t v;
			uint32_t u;

			vsk_cur_init(&e, pl, plen);
			u = ne32(&e);
			if (e.short_)
				return VSK_DIAG_E_NLMSG;
			memcpy(&v, &u, sizeof(v));
			if (v != 0) {
				if (kerr)
					*kerr = v < 0 && v != INT32_MIN ? -v : v;
				return VSK_DIAG_E_KERNEL;
			}
		} else if (type == VSK_SOCK_DIAG_BY_FAMILY) {
			struct vsk_diag_sock s;
			int rc = vsk_diag_parse(pl, plen, &s);

			if (rc)
				return rc;
			if (fn && (rc = fn(&s, arg)) != 0)
				return rc;
		} else if (type != VSK_NLMSG_T_NOOP) {
			return VSK_DIAG_E_NLTYPE;
		}
		/* Messages are padded to 4 bytes; the last one of a datagram may not be. */
		step = ((size_t)mlen + VSK_NLMSG_ALIGN_TO - 1) & ~(size_t)(VSK_NLMSG_ALIGN_TO - 1);
		if (step > len - off)
			break;
		off += step;
	}
	return 0;
}

const char *vsk_diag_strerror(int code)
{
	switch (code) {
	case VSK_DIAG_E_SHORT: return "reply shorter than the 32-byte vsock_diag_msg";
	case VSK_DIAG_E_FAMILY: return "reply for a family other than AF_VSOCK";
	case VSK_DIAG_E_NLMSG: return "netlink message length out of bounds";
	case VSK_DIAG_E_NLTYPE: return "unexpected netlink message type";
	case VSK_DIAG_E_KERNEL: return "the kernel answered with an error";
	}
	return vsk_strerror(code);
}
