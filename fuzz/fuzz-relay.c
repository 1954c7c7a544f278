/* fuzz-relay.c - the frames of vsockdev --relay (lib/relay.c) on arbitrary bytes: frames
 * are parsed one after another as vsockdev reads its client; never reads past len; a
 * frame's size is its header plus its body, inside the bytes; its header written back by
 * vsk_relay_hdr is the bytes it came from; an rx_short body written back by
 * vsk_relay_short is the bytes it came from; a prefix of a complete frame asks for more,
 * never gives another answer.  And the other way round: an rx_short frame built from the
 * input's first bytes (vsk_relay_hdr, vsk_relay_short) parses back to the same lengths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/error.h"
#include "vsk/relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	size_t off = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	if (size >= VSK_RELAY_SHORT_LEN) {
		uint8_t b[VSK_RELAY_HDR_LEN + VSK_RELAY_SHORT_LEN];
		struct vsk_relay_frame f;
		uint32_t buf_len, pkt_len;

		memcpy(&buf_len, data, 4);
		memcpy(&pkt_len, data + 4, 4);
		vsk_relay_hdr(b, VSK_RELAY_RX_SHORT, VSK_RELAY_SHORT_LEN);
		vsk_relay_short(b + VSK_RELAY_HDR_LEN, buf_len, pkt_len);
		if (vsk_relay_parse(b, sizeof(b), &f) != (long)sizeof(b) ||
		    f.kind != VSK_RELAY_RX_SHORT || f.buf_len != buf_len || f.pkt_len != pkt_len)
			abort();
	}
	while (off < size) {
		struct vsk_relay_frame f, g;
		long n = vsk_relay_parse(copy + off, size - off, &f);
		uint8_t hdr[VSK_RELAY_HDR_LEN], body[VSK_RELAY_SHORT_LEN];

		if (n == 0 || n == VSK_E_SYNTAX || n == VSK_E_RANGE)
			break;
		if (n < VSK_RELAY_HDR_LEN || (size_t)n > size - off ||
		    (size_t)n != VSK_RELAY_HDR_LEN + (size_t)f.len ||
		    f.body != copy + off + VSK_RELAY_HDR_LEN || !vsk_relay_name(f.kind) ||
		    f.len > VSK_RELAY_BODY_MAX)
			abort();
		vsk_relay_hdr(hdr, f.kind, f.len);
		if (memcmp(hdr, copy + off, sizeof(hdr)))
			abort();
		if (f.kind == VSK_RELAY_RX_SHORT) {
			vsk_relay_short(body, f.buf_len, f.pkt_len);
			if (memcmp(body, f.body, sizeof(body)))
				abort();
		}
		/* one byte less of the same frame: more is needed */
		if (vsk_relay_parse(copy + off, (size_t)n - 1, &g) != 0)
			abort();
		off += (size_t)n;
	}
	free(copy);
	return 0;
}
