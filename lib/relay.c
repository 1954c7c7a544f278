/* relay.c - frames of vsockdev --relay (lib/vsk/relay.h). */
#include <string.h>

#include "vsk/cursor.h"
#include "vsk/encode.h"
#include "vsk/error.h"
#include "vsk/proto.h"
#include "vsk/relay.h"

const char *vsk_relay_name(unsigned kind)
{
	switch (kind) {
#define VSK_RELAY(num, ID, name) case num: return name;
#include "vsock.def"
	default: return NULL;
	}
}

long vsk_relay_parse(const uint8_t *p, size_t len, struct vsk_relay_frame *f)
{
	struct vsk_cursor c;
	unsigned kind, reserved;
	uint32_t blen;

	if (len < VSK_RELAY_HDR_LEN)
		return 0;
	vsk_cur_init(&c, p, len);
	kind = vsk_cur_le16(&c);
	reserved = vsk_cur_le16(&c);
	blen = vsk_cur_le32(&c);
	if (!vsk_relay_name(kind) || reserved != 0)
		return VSK_E_SYNTAX;
	if (blen > VSK_RELAY_BODY_MAX)
		return VSK_E_RANGE;
	switch (kind) {
	case VSK_RELAY_PKT:
		if (blen < VSK_VIRTIO_HDR_LEN)
			return VSK_E_SYNTAX;
		break;
	case VSK_RELAY_RX_SHORT:
		if (blen != VSK_RELAY_SHORT_LEN)
			return VSK_E_SYNTAX;
		break;
	default:
		if (blen != 0)
			return VSK_E_SYNTAX;
	}
	if (len - VSK_RELAY_HDR_LEN < blen)
		return 0;
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->body = p + VSK_RELAY_HDR_LEN;
	f->len = blen;
	if (kind == VSK_RELAY_RX_SHORT) {
		f->buf_len = vsk_cur_le32(&c);
		f->pkt_len = vsk_cur_le32(&c);
	}
	return (long)(VSK_RELAY_HDR_LEN + blen);
}

void vsk_relay_hdr(uint8_t out[VSK_RELAY_HDR_LEN], unsigned kind, uint32_t blen)
{
	vsk_put_le(out, kind, 2);
	out[2] = out[3] = 0;
	vsk_put_le(out + 4, blen, 4);
}

void vsk_relay_short(uint8_t out[VSK_RELAY_SHORT_LEN], uint32_t buf_len, uint32_t pkt_len)
{
	vsk_put_le(out, buf_len, 4);
	vsk_put_le(out + 4, pkt_len, 4);
}
