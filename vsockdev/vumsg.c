/* vumsg.c - the vhost-user message parser (QEMU docs/interop/vhost-user.rst: Message
 * Specification).  Bytes in, a struct out: the payload length is checked against what each
 * request carries, nothing is trusted, and no file descriptor is touched here. */
#include <string.h>

#include "vsk/cursor.h"
#include "vsk/error.h"
#include "vsockdev.h"

static const struct { uint32_t num; const char *name; } req_names[] = {
#define VSK_VU_REQ(num, ID, name) { num, name },
#include "vsock.def"
};

const char *vu_req_name(uint32_t request)
{
	for (size_t i = 0; i < sizeof(req_names) / sizeof(req_names[0]); i++)
		if (req_names[i].num == request)
			return req_names[i].name;
	return NULL;
}

/* The payload each request must carry: a fixed length, or one of the variable shapes. */
enum shape { S_NONE, S_U64, S_STATE, S_ADDR, S_MEM, S_CONFIG, S_ANY };

static enum shape shape_of(uint32_t request)
{
	switch (request) {
	case VU_GET_FEATURES: case VU_SET_OWNER: case VU_RESET_OWNER:
	case VU_GET_PROTOCOL_FEATURES: case VU_GET_QUEUE_NUM: case VU_GET_MAX_MEM_SLOTS:
	case VU_GET_STATUS:
		return S_NONE;
	case VU_SET_FEATURES: case VU_SET_PROTOCOL_FEATURES: case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL: case VU_SET_VRING_ERR: case VU_SET_STATUS:
		return S_U64;
	case VU_SET_VRING_NUM: case VU_SET_VRING_BASE: case VU_GET_VRING_BASE:
	case VU_SET_VRING_ENABLE: case VU_SET_VRING_ENDIAN:
		return S_STATE;
	case VU_SET_VRING_ADDR:
		return S_ADDR;
	case VU_SET_MEM_TABLE:
		return S_MEM;
	case VU_GET_CONFIG: case VU_SET_CONFIG:
		return S_CONFIG;
	default:
		return S_ANY;    /* known or not: the server refuses it, the length is free */
	}
}

int vu_parse(const uint8_t *p, size_t len, struct vu_msg *m)
{
	struct vsk_cursor c;
	size_t need;

	if (len < VSK_VU_HDR_LEN)
		return 0;
	vsk_cur_init(&c, p, len);
	memset(m, 0, sizeof(*m));
	m->request = vsk_cur_le32(&c);
	m->flags = vsk_cur_le32(&c);
	m->size = vsk_cur_le32(&c);
	if (m->size > VU_MAX_PAYLOAD)
		return VSK_E_RANGE;
	need = VSK_VU_HDR_LEN + (size_t)m->size;
	if (len < need)
		return 0;
	/* only this message's bytes from here on */
	vsk_cur_init(&c, p + VSK_VU_HDR_LEN, m->size);
	if ((m->flags & 0x3) != VSK_VU_FLAG_VERSION)
		return VSK_E_SYNTAX;

	switch (shape_of(m->request)) {
	case S_NONE:
		if (m->size != 0)
			return VSK_E_SYNTAX;
		break;
	case S_U64:
		if (m->size != 8)
			return VSK_E_SYNTAX;
		m->u64 = vsk_cur_le64(&c);
		break;
	case S_STATE:
		if (m->size != 8)
			return VSK_E_SYNTAX;
		m->state.index = vsk_cur_le32(&c);
		m->state.num = vsk_cur_le32(&c);
		break;
	case S_ADDR:
		if (m->size != 40)
			return VSK_E_SYNTAX;
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
		if (m->config.size > VU_MAX_CONFIG)
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

size_t vu_build_reply(uint8_t *out, size_t cap, uint32_t request, const void *payload,
		      size_t n)
{
	uint32_t h[3];

	if (cap < VSK_VU_HDR_LEN || n > cap - VSK_VU_HDR_LEN || n > VU_MAX_PAYLOAD)
		return 0;
	h[0] = htole32(request);
	h[1] = htole32(VSK_VU_FLAG_VERSION | VSK_VU_FLAG_REPLY);
	h[2] = htole32((uint32_t)n);
	memcpy(out, h, sizeof(h));
	if (n)
		memcpy(out + VSK_VU_HDR_LEN, payload, n);
	return VSK_VU_HDR_LEN + n;
}
