/* vhostuser.c - the vhost-user message parser and builder (QEMU docs/interop/vhost-user.rst: Message
 * Specification).  Bytes in, a struct out: the payload length is checked against what each
 * request carries, nothing is trusted, and no file descriptor is touched here. */
#include <string.h>

#include "vsk/cursor.h"
#include "vsk/encode.h"
#include "vsk/error.h"
#include "vsk/vhostuser.h"

static const struct { uint32_t num; const char *name; } req_names[] = {
#define VSK_VU_REQ(num, ID, name) { num, name },
#include "vsock.def"
};

const char *vsk_vu_req_name(uint32_t request)
{
	for (size_t i = 0; i < sizeof(req_names) / sizeof(req_names[0]); i++)
		if (req_names[i].num == request)
			return req_names[i].name;
	return NULL;
}

/* The payload each request must carry: a fixed length, or one of the variable shapes. */
enum shape { S_NONE, S_U64, S_STATE, S_ADDR, S_MEM, S_CONFIG, S_ANY };

/* A reply (flag REPLY) carries the answer to its request: a u64 (features, queue count,
 * slots, status, or the REPLY_ACK of any request), a state (GET_VRING_BASE) or the
 * config read back (GET_CONFIG). */
static enum shape reply_shape_of(uint32_t request)
{
	switch (request) {
	case VSK_VU_GET_VRING_BASE:
		return S_STATE;
	case VSK_VU_GET_CONFIG:
		return S_CONFIG;
	default:
		return S_U64;
	}
}

/* The payload length of a fixed shape (parse checks it, build writes it); -1 for the
 * variable ones. */
static int fixed_len(enum shape s)
{
	switch (s) {
	case S_NONE: return 0;
	case S_U64: case S_STATE: return 8;
	case S_ADDR: return 40;
	default: return -1;
	}
}

static enum shape shape_of(uint32_t request, uint32_t flags)
{
	if (flags & VSK_VU_FLAG_REPLY)
		return reply_shape_of(request);
	switch (request) {
	case VSK_VU_GET_FEATURES: case VSK_VU_SET_OWNER: case VSK_VU_RESET_OWNER:
	case VSK_VU_GET_PROTOCOL_FEATURES: case VSK_VU_GET_QUEUE_NUM: case VSK_VU_GET_MAX_MEM_SLOTS:
	case VSK_VU_GET_STATUS:
		return S_NONE;
	case VSK_VU_SET_FEATURES: case VSK_VU_SET_PROTOCOL_FEATURES: case VSK_VU_SET_VRING_KICK:
	case VSK_VU_SET_VRING_CALL: case VSK_VU_SET_VRING_ERR: case VSK_VU_SET_STATUS:
		return S_U64;
	case VSK_VU_SET_VRING_NUM: case VSK_VU_SET_VRING_BASE: case VSK_VU_GET_VRING_BASE:
	case VSK_VU_SET_VRING_ENABLE: case VSK_VU_SET_VRING_ENDIAN:
		return S_STATE;
	case VSK_VU_SET_VRING_ADDR:
		return S_ADDR;
	case VSK_VU_SET_MEM_TABLE:
		return S_MEM;
	case VSK_VU_GET_CONFIG: case VSK_VU_SET_CONFIG:
		return S_CONFIG;
	default:
		return S_ANY;    /* known or not: the server refuses it, the length is free */
	}
}

int vsk_vu_parse(const uint8_t *p, size_t len, struct vsk_vu_msg *m)
{
	struct vsk_cursor c;
	enum shape s;
	size_t need;

	if (len < VSK_VU_HDR_LEN)
		return 0;
	vsk_cur_init(&c, p, len);
	memset(m, 0, sizeof(*m));
	m->request = vsk_cur_le32(&c);
	m->flags = vsk_cur_le32(&c);
	m->size = vsk_cur_le32(&c);
	if (m->size > VSK_VU_MAX_PAYLOAD)
		return VSK_E_RANGE;
	need = VSK_VU_HDR_LEN + (size_t)m->size;
	if (len < need)
		return 0;
	/* only this message's bytes from here on */
	vsk_cur_init(&c, p + VSK_VU_HDR_LEN, m->size);
	if ((m->flags & 0x3) != VSK_VU_FLAG_VERSION)
		return VSK_E_SYNTAX;

	s = shape_of(m->request, m->flags);
	if (fixed_len(s) >= 0 && m->size != (uint32_t)fixed_len(s))
		return VSK_E_SYNTAX;
	switch (s) {
	case S_NONE:
		break;
	case S_U64:
		m->u64 = vsk_cur_le64(&c);
		break;
	case S_STATE:
		m->state.index = vsk_cur_le32(&c);
		m->state.num = vsk_cur_le32(&c);
		break;
	case S_ADDR:
		m->addr.index = vsk_cur_le32(&c);
		m->addr.flags = vsk_cur_le32(&c);
		m->addr.desc = vsk_cur_le64(&c);
		m->addr.used = vsk_cur_le64(&c);
		m->addr.avail = vsk_cur_le64(&c);
		m->addr.log = vsk_cur_le64(&c);
		break;
	case S_MEM:
		if (m->size < 8)
			return VSK_E_SYNTAX;
		m->nregions = vsk_cur_le32(&c);
		(void)vsk_cur_le32(&c);             /* padding */
		if (m->nregions == 0 || m->nregions > VSK_VU_MAX_REGIONS)
			return VSK_E_RANGE;
		if (m->size != 8 + (size_t)m->nregions * VSK_VU_REGION_LEN)
			return VSK_E_SYNTAX;
		for (uint32_t i = 0; i < m->nregions; i++) {
			m->region[i].gpa = vsk_cur_le64(&c);
			m->region[i].size = vsk_cur_le64(&c);
			m->region[i].uva = vsk_cur_le64(&c);
			m->region[i].mmap_offset = vsk_cur_le64(&c);
		}
		break;
	case S_CONFIG:
		if (m->size < VSK_VU_CONFIG_HDR_LEN)
			return VSK_E_SYNTAX;
		m->config.offset = vsk_cur_le32(&c);
		m->config.size = vsk_cur_le32(&c);
		m->config.flags = vsk_cur_le32(&c);
		if (m->config.size > VSK_VU_MAX_CONFIG)
			return VSK_E_RANGE;
		if (m->size != VSK_VU_CONFIG_HDR_LEN + m->config.size)
			return VSK_E_SYNTAX;
		break;
	case S_ANY:
		break;
	}
	if (c.short_)
		return VSK_E_SYNTAX;
	return (int)need;
}

/* The 12-byte header for a payload of n bytes, if header and payload fit cap: the
 * message's length, else 0. */
static size_t put_hdr(uint8_t *out, size_t cap, uint32_t request, uint32_t flags, size_t n)
{
	if (cap < VSK_VU_HDR_LEN || n > cap - VSK_VU_HDR_LEN || n > VSK_VU_MAX_PAYLOAD)
		return 0;
	vsk_put_le(out, request, 4);
	vsk_put_le(out + 4, flags, 4);
	vsk_put_le(out + 8, n, 4);
	return VSK_VU_HDR_LEN + n;
}

/* Little-endian field writes at out + *off, the bounds checked by put_hdr. */
static void put(uint8_t *out, size_t *off, uint64_t v, size_t n)
{
	vsk_put_le(out + *off, v, n);
	*off += n;
}

size_t vsk_vu_build_msg(uint8_t *out, size_t cap, const struct vsk_vu_msg *m)
{
	enum shape s = shape_of(m->request, m->flags);
	size_t n, off = VSK_VU_HDR_LEN, total;

	if ((m->flags & 0x3) != VSK_VU_FLAG_VERSION)
		return 0;
	switch (s) {
	case S_MEM:
		if (m->nregions == 0 || m->nregions > VSK_VU_MAX_REGIONS)
			return 0;
		n = 8 + (size_t)m->nregions * VSK_VU_REGION_LEN;
		break;
	case S_CONFIG:
		if (m->config.size > VSK_VU_MAX_CONFIG)
			return 0;
		n = VSK_VU_CONFIG_HDR_LEN + (size_t)m->config.size;
		break;
	case S_ANY:
		n = m->size;
		break;
	default:
		n = (size_t)fixed_len(s);
		break;
	}
	total = put_hdr(out, cap, m->request, m->flags, n);
	if (!total)
		return 0;
	memset(out + VSK_VU_HDR_LEN, 0, n);
	switch (s) {
	case S_U64:
		put(out, &off, m->u64, 8);
		break;
	case S_STATE:
		put(out, &off, m->state.index, 4);
		put(out, &off, m->state.num, 4);
		break;
	case S_ADDR:
		put(out, &off, m->addr.index, 4);
		put(out, &off, m->addr.flags, 4);
		put(out, &off, m->addr.desc, 8);
		put(out, &off, m->addr.used, 8);
		put(out, &off, m->addr.avail, 8);
		put(out, &off, m->addr.log, 8);
		break;
	case S_MEM:
		put(out, &off, m->nregions, 4);
		off += 4;                           /* padding */
		for (uint32_t i = 0; i < m->nregions; i++) {
			put(out, &off, m->region[i].gpa, 8);
			put(out, &off, m->region[i].size, 8);
			put(out, &off, m->region[i].uva, 8);
			put(out, &off, m->region[i].mmap_offset, 8);
		}
		break;
	case S_CONFIG:
		put(out, &off, m->config.offset, 4);
		put(out, &off, m->config.size, 4);
		put(out, &off, m->config.flags, 4);
		break;
	default:
		break;
	}
	return total;
}
