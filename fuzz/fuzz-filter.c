/* fuzz-filter.c - the filter language on arbitrary bytes.  Every input must compile or be
 * refused with a message naming a place in it; an accepted expression is matched against
 * a few fixed frames and translated to a libpcap expression, which must compile (a
 * refusal is our bug) and select exactly the frames vsk_filter_match() selects. */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/decode.h"
#include "vsk/error.h"
#include "vsk/filter.h"
#include "vsk/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct frame {
	uint8_t b[96];
	struct pcap_pkthdr h;
	struct vsk_pkt pkt;
	int derr;
};

/* Frames that reach every branch of the translation: a virtio frame of each kind, one
 * without a transport header, one cut inside the virtio header, one cut before the
 * vsockmon header ends, and 64-bit CIDs with the upper half set. */
static struct frame frames[10];
static pcap_t *pd;

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void make(struct frame *fr, uint64_t src, uint64_t dst, uint32_t sport, uint32_t dport,
		 uint16_t transport, uint16_t mon_len, uint16_t type, uint16_t op, uint32_t flags,
		 uint32_t len, size_t caplen, size_t wirelen)
{
	uint8_t *b = fr->b, *h = b + VSK_MON_HDR_LEN;
	size_t n = VSK_FRAME_HDR_LEN + 8;

	put_le(b + VSK_MON_OFF_SRC_CID, src, 8);
	put_le(b + VSK_MON_OFF_DST_CID, dst, 8);
	put_le(b + VSK_MON_OFF_SRC_PORT, sport, 4);
	put_le(b + VSK_MON_OFF_DST_PORT, dport, 4);
	put_le(b + VSK_MON_OFF_TRANSPORT, transport, 2);
	put_le(b + VSK_MON_OFF_LEN, mon_len, 2);
	put_le(h + VSK_HDR_OFF_SRC_CID, src, 8);
	put_le(h + VSK_HDR_OFF_DST_CID, dst, 8);
	put_le(h + VSK_HDR_OFF_SRC_PORT, sport, 4);
	put_le(h + VSK_HDR_OFF_DST_PORT, dport, 4);
	put_le(h + VSK_HDR_OFF_LEN, len, 4);
	put_le(h + VSK_HDR_OFF_TYPE, type, 2);
	put_le(h + VSK_HDR_OFF_OP, op, 2);
	put_le(h + VSK_HDR_OFF_FLAGS, flags, 4);
	fr->h.caplen = (bpf_u_int32)(caplen ? caplen : n);
	fr->h.len = (bpf_u_int32)(wirelen ? wirelen : n);
	fr->derr = vsk_decode(fr->b, fr->h.caplen, fr->h.len, &fr->pkt);
}

static void setup(void)
{
	const uint16_t V = VSK_TRANSPORT_VIRTIO, L = VSK_VIRTIO_HDR_LEN;

	pd = pcap_open_dead(VSK_LINKTYPE_VSOCK, VSK_DEFAULT_SNAPLEN);
	if (!pd)
		abort();
	make(&frames[0], 3, 2, 1024, 5000, V, L, VSK_TYPE_STREAM, VSK_OP_RW, 0, 8, 0, 0);
	make(&frames[1], 2, 3, 5000, 1024, V, L, VSK_TYPE_SEQPACKET, VSK_OP_RW,
	     VSK_FLAG_SEQ_EOM, 0x80000000u, 0, 0x10000);
	make(&frames[2], 3, 2, 1024, 5000, V, L, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN,
	     VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND, 0, 0, 0);
	make(&frames[3], 0x100000002ull, 0xffffffffffffffffull, 0xffffffffu, 0, V, L, 0xffff,
	     VSK_OP_REQUEST, 0xffffffffu, 0xffffffffu, 0, 0);
	make(&frames[4], 3, 2, 1, 2, VSK_TRANSPORT_NO_INFO, 0, 0, 0, 0, 0, 0, 0);
	make(&frames[5], 3, 2, 1024, 5000, V, L, VSK_TYPE_STREAM, VSK_OP_RW, 0, 8, 60, 0);
	make(&frames[6], 3, 2, 1024, 5000, V, L, VSK_TYPE_STREAM, VSK_OP_RW, 0, 8, 20, 0);
	make(&frames[7], 3, 2, 1024, 5000, V, 40, VSK_TYPE_STREAM, VSK_OP_RW, 0, 8, 0, 0);
	make(&frames[8], 1, 0xffffffffu, 1024, 5000, V, L, VSK_TYPE_DGRAM, VSK_OP_CREDIT_UPDATE,
	     2, 0x01020304u, 0, 0);
	make(&frames[9], 2, 3, 0x80000000u, 80, V, L, VSK_TYPE_SEQPACKET, VSK_OP_RW,
	     VSK_FLAG_SEQ_EOR, 16, 0, 0);
}

/* The translation must compile and, unoptimised, accept exactly the frames the matcher
 * accepts.  Optimised it must compile too (libpcap refuses a program that accepts
 * nothing, which is fine), but its verdicts are not checked: libpcap 1.10.3's optimizer
 * miscompiles some of these expressions (see tests/unit/test-filter-bpf.c). */
static void check(const struct vsk_filter *f, const char *text)
{
	struct bpf_program prog;
	size_t nframes = sizeof(frames) / sizeof(frames[0]);

	if (pcap_compile(pd, &prog, text, 0, PCAP_NETMASK_UNKNOWN) != 0)
		abort();
	for (size_t i = 0; i < nframes; i++) {
		bool off = vsk_filter_match(f, &frames[i].pkt, frames[i].derr);
		bool live = pcap_offline_filter(&prog, &frames[i].h, frames[i].b) != 0;

		if (off != live)
			abort();
	}
	pcap_freecode(&prog);
	if (pcap_compile(pd, &prog, text, 1, PCAP_NETMASK_UNKNOWN) == 0)
		pcap_freecode(&prog);
	else if (!strstr(pcap_geterr(pd), "rejects all packets"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsk_filter *f;
	struct vsk_filter_error err;
	struct vsk_sbuf text = {0};
	int rc;

	if (!pd)
		setup();
	rc = vsk_filter_compile(data, size, &f, &err);
	if (rc != 0) {
		/* A refusal names a token inside the input (or its end) and says why. */
		if (rc != VSK_E_SYNTAX || f != NULL || err.pos > size || err.len > size - err.pos ||
		    err.msg[0] == 0 || memchr(err.msg, 0, sizeof(err.msg)) == NULL)
			abort();
		return 0;
	}
	vsk_filter_pcap_expr(f, &text);
	if (text.oom)
		abort();
	check(f, text.p);
	vsk_sbuf_free(&text);
	vsk_filter_free(f);
	return 0;
}
