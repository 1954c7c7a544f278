/* fuzz-relay.c - the frames of vsockdev --relay (lib/relay.c) on arbitrary bytes: frames
 * are parsed one after another as vsockdev reads its client; never reads past len; a
 * frame's size is its header plus its body, inside the bytes; its header written back by
 * vsk_relay_hdr is the bytes it came from; a prefix of a complete frame asks for more,
 * never gives another answer. */
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
	while (off < size) {
		struct vsk_relay_frame f, g;
		long n = vsk_relay_parse(copy + off, size - off, &f);
		uint8_t hdr[8];

		if (n == 0 || n == VSK_E_SYNTAX || n == VSK_E_RANGE)
			break;
		if (n < 8 || (size_t)n > size - off || (size_t)n != 8 + (size_t)f.len ||
		    f.body != copy + off + 8 || !vsk_relay_name(f.kind) ||
		    f.len > VSK_RELAY_BODY_MAX)
			abort();
		vsk_relay_hdr(hdr, f.kind, f.len);
		if (memcmp(hdr, copy + off, 8))
			abort();
		/* one byte less of the same frame: more is needed */
		if (vsk_relay_parse(copy + off, (size_t)n - 1, &g) != 0)
			abort();
		off += (size_t)n;
	}
	free(copy);
	return 0;
}
