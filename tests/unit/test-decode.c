/* test-decode.c - vsk_decode(): every field, every problem it reports, and no read past
 * the captured bytes (each frame is decoded from an exact-size heap copy, so the asan
 * build catches an over-read). */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vsk/decode.h"
#include "vsk/encode.h"
#include "vsk/error.h"

static uint8_t buf[VSK_DEFAULT_SNAPLEN];

static struct vsk_virtio_hdr base(uint16_t type, uint16_t op, uint32_t len)
{
	struct vsk_virtio_hdr h = {
		.src_cid = 3, .dst_cid = 2, .src_port = 1024, .dst_port = 1234, .len = len,
		.type = type, .op = op, .buf_alloc = 262144, .fwd_cnt = 7,
	};
	return h;
}

/* Decodes buf[0..caplen) from an exact-size copy; returns the code, fills *pkt. */
static int decode(size_t caplen, size_t wirelen, struct vsk_pkt *pkt)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	int rc;

	memcpy(copy, buf, caplen);
	rc = vsk_decode(caplen ? copy : NULL, caplen, wirelen, pkt);
	/* The packet borrows the frame: point it back at buf before the copy goes. */
	if (pkt->payload)
		pkt->payload = buf + (pkt->payload - copy);
	pkt->frame = buf;
	free(copy);
	return rc;
}

static size_t frame(const struct vsk_virtio_hdr *h, size_t plen)
{
	static uint8_t payload[VSK_MAX_PKT_BUF_SIZE];

	for (size_t i = 0; i < plen; i++)
		payload[i] = (uint8_t)i;
	return vsk_encode_frame(buf, sizeof(buf), h, payload, plen);
}

static int only(const struct vsk_pkt *pkt, enum vsk_problem p)
{
	return pkt->problems == (1u << p);
}

int main(void)
{
	struct vsk_virtio_hdr h;
	struct vsk_pkt pkt;
	size_t n;
	int rc;

	/* A clean RW frame: every field decoded, nothing reported. */
	h = base(VSK_TYPE_STREAM, VSK_OP_RW, 6);
	h.flags = 0;
	n = frame(&h, 6);
	tap_ok(n == 82, "encoded frame is 32 + 44 + 6 bytes");
	rc = decode(n, n, &pkt);
	tap_ok(rc == 0 && pkt.problems == 0, "clean frame: no problems");
	tap_ok(pkt.has_virtio, "clean frame: virtio header decoded");
	tap_ok(pkt.mon.src_cid == 3 && pkt.mon.dst_cid == 2 && pkt.mon.src_port == 1024 &&
		       pkt.mon.dst_port == 1234,
	       "vsockmon addresses");
	tap_ok(pkt.mon.op == VSK_MON_OP_PAYLOAD && pkt.mon.transport == VSK_TRANSPORT_VIRTIO &&
		       pkt.mon.len == VSK_VIRTIO_HDR_LEN,
	       "vsockmon op, transport, len");
	tap_ok(pkt.hdr.src_cid == 3 && pkt.hdr.dst_cid == 2 && pkt.hdr.src_port == 1024 &&
		       pkt.hdr.dst_port == 1234 && pkt.hdr.len == 6 && pkt.hdr.type == VSK_TYPE_STREAM &&
		       pkt.hdr.op == VSK_OP_RW && pkt.hdr.flags == 0 && pkt.hdr.buf_alloc == 262144 &&
		       pkt.hdr.fwd_cnt == 7,
	       "every virtio field");
	tap_ok(pkt.payload == buf + VSK_FRAME_HDR_LEN && pkt.payload_caplen == 6 &&
		       pkt.payload_wirelen == 6 && pkt.payload[5] == 5,
	       "payload located after the headers");
	tap_ok(pkt.caplen == n && pkt.wirelen == n, "lengths recorded");

	/* Little-endian on the wire, whatever the host. */
	h = base(VSK_TYPE_STREAM, VSK_OP_CREDIT_UPDATE, 0);
	h.src_cid = 0x0102030405060708ull & 0xffffffffu;
	h.buf_alloc = 0x11223344;
	n = frame(&h, 0);
	tap_ok(buf[VSK_MON_HDR_LEN + VSK_HDR_OFF_BUF_ALLOC] == 0x44 &&
		       buf[VSK_MON_HDR_LEN + VSK_HDR_OFF_BUF_ALLOC + 3] == 0x11,
	       "encoder writes little-endian");
	decode(n, n, &pkt);
	tap_ok(pkt.hdr.buf_alloc == 0x11223344 && pkt.hdr.src_cid == 0x05060708,
	       "decoder reads little-endian");

	/* Shorter than the vsockmon header: the only hard error. */
	for (size_t c = 0; c < VSK_MON_HDR_LEN; c += 7) {
		rc = decode(c, c, &pkt);
		tap_ok(rc == VSK_E_SHORT && vsk_pkt_has(&pkt, VSK_PROB_HDR_SHORT) && !pkt.has_virtio,
		       "%zu-byte frame: VSK_E_SHORT and hdr_short", c);
	}
	rc = decode(0, 0, &pkt);
	tap_ok(rc == VSK_E_SHORT, "empty frame with a NULL pointer");
	rc = decode(20, 76, &pkt);
	tap_ok(rc == VSK_E_SHORT && vsk_pkt_has(&pkt, VSK_PROB_TRUNCATED),
	       "20 of 76 bytes captured: short and truncated");

	/* Truncated by snaplen: shown, not an error, and no len_mismatch. */
	h = base(VSK_TYPE_STREAM, VSK_OP_RW, 1000);
	n = frame(&h, 1000);
	rc = decode(128, n, &pkt);
	tap_ok(rc == 0 && only(&pkt, VSK_PROB_TRUNCATED) && pkt.has_virtio,
	       "cut at 128 of 1076: truncated only");
	tap_ok(pkt.payload_caplen == 128 - 76 && pkt.payload_wirelen == 1000,
	       "cut frame: payload captured and on the wire");
	rc = decode(60, n, &pkt);
	tap_ok(rc == 0 && only(&pkt, VSK_PROB_TRUNCATED) && !pkt.has_virtio && pkt.payload_caplen == 0,
	       "cut inside the virtio header: truncated, header not decoded");

	/* Frame ends inside the virtio header on the wire. */
	h = base(VSK_TYPE_STREAM, VSK_OP_REQUEST, 0);
	frame(&h, 0);
	rc = decode(60, 60, &pkt);
	tap_ok(rc == 0 && only(&pkt, VSK_PROB_HDR_SHORT) && !pkt.has_virtio,
	       "60-byte frame: hdr_short");

	/* len disagrees with the payload present */
	h = base(VSK_TYPE_STREAM, VSK_OP_RW, 100);
	n = frame(&h, 10);
	rc = decode(n, n, &pkt);
	tap_ok(rc == 0 && only(&pkt, VSK_PROB_LEN_MISMATCH), "len 100 with 10 bytes: len_mismatch");
	h = base(VSK_TYPE_STREAM, VSK_OP_REQUEST, 5);
	n = frame(&h, 0);
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_LEN_MISMATCH), "control packet claiming payload: len_mismatch");

	/* vsockmon header problems */
	h = base(VSK_TYPE_STREAM, VSK_OP_RST, 0);
	n = frame(&h, 0);
	buf[VSK_MON_OFF_RESERVED + 1] = 0x80;
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_MON_RESERVED) && pkt.mon.reserved[1] == 0x80,
	       "reserved byte set: mon_reserved");
	n = frame(&h, 0);
	buf[VSK_MON_OFF_OP] = 9;
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_MON_OP_UNKNOWN) && pkt.has_virtio, "vsockmon op 9: mon_op_unknown");
	n = frame(&h, 0);
	buf[VSK_MON_OFF_TRANSPORT] = 7;
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_TRANSPORT_UNKNOWN) && !pkt.has_virtio &&
		       pkt.payload == buf + VSK_MON_HDR_LEN + pkt.mon.len && pkt.payload_wirelen == 0,
	       "transport 7: transport_unknown, the declared header skipped undecoded");
	n = frame(&h, 0);
	buf[VSK_MON_OFF_TRANSPORT] = VSK_TRANSPORT_NO_INFO;
	buf[VSK_MON_OFF_LEN] = 0;
	decode(VSK_MON_HDR_LEN, VSK_MON_HDR_LEN, &pkt);
	tap_ok(pkt.problems == 0 && !pkt.has_virtio && pkt.payload_wirelen == 0,
	       "NO_INFO frame of 32 bytes: fine, no virtio header");
	n = frame(&h, 0);
	buf[VSK_MON_OFF_LEN] = 40;
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_MON_LEN) && pkt.has_virtio && pkt.payload_wirelen == 0,
	       "vsockmon len 40: mon_len, the 44-byte header still decoded");
	h = base(VSK_TYPE_STREAM, VSK_OP_RW, 4);
	n = frame(&h, 8);
	buf[VSK_MON_OFF_LEN] = 48;
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_MON_LEN) && pkt.payload_wirelen == 4 &&
		       pkt.payload == buf + VSK_FRAME_HDR_LEN + 4,
	       "vsockmon len 48: payload starts after the declared header");
	n = frame(&h, 4);
	buf[VSK_MON_OFF_LEN] = 0xff;
	buf[VSK_MON_OFF_LEN + 1] = 0xff;
	rc = decode(n, n, &pkt);
	tap_ok(rc == 0 && vsk_pkt_has(&pkt, VSK_PROB_HDR_SHORT) && vsk_pkt_has(&pkt, VSK_PROB_MON_LEN),
	       "vsockmon len 65535 in an 84-byte frame: hdr_short and mon_len");

	/* CIDs: upper 32 bits reserved; addresses must agree between the headers. */
	h = base(VSK_TYPE_STREAM, VSK_OP_REQUEST, 0);
	h.src_cid = 0x100000003ull;
	n = frame(&h, 0);
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_CID_UPPER) && pkt.hdr.src_cid == 0x100000003ull,
	       "src_cid upper bits: cid_upper, full value kept");
	h = base(VSK_TYPE_STREAM, VSK_OP_REQUEST, 0);
	h.dst_cid = 0xffffffff00000002ull;
	n = frame(&h, 0);
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_CID_UPPER), "dst_cid upper bits: cid_upper");
	{
		static const size_t offs[] = {VSK_MON_OFF_SRC_CID, VSK_MON_OFF_DST_CID,
					      VSK_MON_OFF_SRC_PORT, VSK_MON_OFF_DST_PORT};

		for (size_t i = 0; i < 4; i++) {
			h = base(VSK_TYPE_STREAM, VSK_OP_REQUEST, 0);
			n = frame(&h, 0);
			buf[offs[i]] ^= 0x10;
			decode(n, n, &pkt);
			tap_ok(only(&pkt, VSK_PROB_MON_DISAGREE), "vsockmon field at %zu differs: mon_disagree",
			       offs[i]);
		}
	}

	/* Unknown values are kept as numbers and reported. */
	h = base(7, VSK_OP_REQUEST, 0);
	n = frame(&h, 0);
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_TYPE_UNKNOWN) && pkt.hdr.type == 7, "type 7: type_unknown");
	h = base(VSK_TYPE_STREAM, 9, 0);
	n = frame(&h, 0);
	decode(n, n, &pkt);
	tap_ok(only(&pkt, VSK_PROB_OP_UNKNOWN) && pkt.hdr.op == 9 && pkt.mon.op == VSK_MON_OP_UNKNOWN,
	       "op 9: op_unknown (tapped as vsockmon UNKNOWN)");
	h = base(VSK_TYPE_DGRAM, VSK_OP_RW, 0);
	n = frame(&h, 0);
	decode(n, n, &pkt);
	tap_ok(pkt.problems == 0, "dgram type is known (as a proposal)");

	/* Flags: defined per op and type. */
	{
		static const struct { uint16_t type, op; uint32_t flags; int bad; } cases[] = {
			{VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND, 0},
			{VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, 0x4, 1},
			{VSK_TYPE_SEQPACKET, VSK_OP_RW, VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR, 0},
			{VSK_TYPE_SEQPACKET, VSK_OP_RW, 0x8, 1},
			{VSK_TYPE_STREAM, VSK_OP_RW, VSK_FLAG_SEQ_EOM, 1},
			{VSK_TYPE_STREAM, VSK_OP_REQUEST, 0x1, 1},
			{VSK_TYPE_SEQPACKET, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_SEND, 0},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			h = base(cases[i].type, cases[i].op, 0);
			h.flags = cases[i].flags;
			n = frame(&h, 0);
			decode(n, n, &pkt);
			tap_ok(cases[i].bad ? only(&pkt, VSK_PROB_FLAGS_UNKNOWN) : pkt.problems == 0,
			       "type %u op %u flags %#x: %s", cases[i].type, cases[i].op, cases[i].flags,
			       cases[i].bad ? "flags_unknown" : "fine");
		}
	}

	/* The largest frame the kernel taps. */
	h = base(VSK_TYPE_STREAM, VSK_OP_RW, VSK_MAX_PKT_BUF_SIZE);
	n = frame(&h, VSK_MAX_PKT_BUF_SIZE);
	rc = decode(n, n, &pkt);
	tap_ok(rc == 0 && pkt.problems == 0 && n == VSK_DEFAULT_SNAPLEN, "full 64 KiB RW frame");
	tap_ok(vsk_encode_frame(buf, VSK_FRAME_HDR_LEN - 1, &h, NULL, 0) == 0,
	       "encoder refuses a buffer too small");

	/* wirelen below caplen is taken as caplen. */
	h = base(VSK_TYPE_STREAM, VSK_OP_RST, 0);
	n = frame(&h, 0);
	rc = decode(n, 10, &pkt);
	tap_ok(rc == 0 && pkt.wirelen == n && pkt.problems == 0, "wirelen < caplen is corrected");
	return tap_done();
}
