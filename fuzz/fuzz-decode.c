/* fuzz-decode.c - the frame decoder and every rendering of its result; aborts when the
 * decoder breaks what it promises (decode.h): the headers it decoded re-encode to the
 * bytes they came from, the payload is the rest of the captured frame, and len_mismatch
 * is flagged exactly when the virtio len differs from the payload on the wire. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "vsk/decode.h"
#include "vsk/encode.h"
#include "vsk/error.h"
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
	if ((rc == VSK_E_SHORT) != (size < VSK_MON_HDR_LEN) || (rc != 0 && rc != VSK_E_SHORT))
		abort();
	if (rc == 0) {
		uint8_t raw[VSK_VIRTIO_HDR_LEN];

		vsk_encode_mon(raw, &pkt.mon);
		if (memcmp(raw, data, VSK_MON_HDR_LEN) != 0)
			abort();
		if (pkt.payload < data + VSK_MON_HDR_LEN || pkt.payload + pkt.payload_caplen !=
		    data + size || pkt.payload_caplen > pkt.payload_wirelen)
			abort();
		if (pkt.has_virtio) {
			vsk_encode_virtio(raw, &pkt.hdr);
			if (size < VSK_FRAME_HDR_LEN ||
			    memcmp(raw, data + VSK_MON_HDR_LEN, VSK_VIRTIO_HDR_LEN) != 0 ||
			    vsk_pkt_has(&pkt, VSK_PROB_LEN_MISMATCH) !=
				    (pkt.hdr.len != pkt.payload_wirelen))
				abort();
		}
	}
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
