/* fuzz-decode.c - the frame decoder and every rendering of its result. */
#include <stdint.h>
#include <sys/time.h>

#include "vsk/decode.h"
#include "vsk/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum vsk_dump_style dumps[] = {VSK_DUMP_NONE, VSK_DUMP_HEX,
						    VSK_DUMP_HEX_ASCII, VSK_DUMP_ASCII};
	struct timeval ts = {1500000000, 123456};
	struct vsk_sbuf out = {0};
	struct vsk_pkt pkt;
	size_t wire = size;
	int rc;

	/* The first byte, if any, picks a wire length beyond the captured bytes
	 * (a snaplen-truncated frame) so both shapes are explored. */
	if (size > 0 && (data[0] & 1))
		wire = size + data[0];
	rc = vsk_decode(data, size, wire, &pkt);
	for (int v = 0; v <= 3; v++) {
		struct vsk_fmt f = {.verbose = v, .ts = (enum vsk_ts_style)v,
				    .dump = dumps[v], .dump_frame = v & 1, .number = true};

		vsk_format_text(&f, &pkt, rc, &ts, &out);
	}
	{
		struct vsk_fmt f = {.quiet = true, .ts = VSK_TS_DATE};

		vsk_format_text(&f, &pkt, rc, &ts, &out);
		vsk_format_json(&f, &pkt, rc, &ts, &out);
	}
	vsk_sbuf_free(&out);
	return 0;
}
