/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rulecaps.c - writes, for every flow rule of lib/vsock.def, a capture that breaks it
 * (DIR/NAME.bad.pcap) and a near miss that does not (DIR/NAME.clean.pcap), for the plugin
 * tests (tests/cli/dissector.sh).  The packet sequences are those of tests/unit/test-flow.c:
 * ends A (3:1024, the requester) and B (2:1234), one packet every 10 ms from t = 1000 s,
 * each end advertising its own buf_alloc and fwd_cnt.  Frames are encoded by lib/encode.c.
 *
 *   rulecaps DIR
 */
#include <err.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "vsk/encode.h"
#include "vsk/flow.h"

#define A 0
#define B 1
#define BUF 262144u
#define TYPE_UNDEFINED 7u

static const char *dir;
static pcap_t *pd;
static pcap_dumper_t *dump;
static struct timeval now;
static uint16_t cur_type;
static uint32_t fwd[2], alloc_[2];
static uint8_t frame[VSK_FRAME_HDR_LEN + VSK_MAX_PKT_BUF_SIZE], data[VSK_MAX_PKT_BUF_SIZE];

static void start(enum vsk_rule r, bool bad, uint16_t type)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.%s.pcap", dir, vsk_rules[r].name,
		 bad ? "bad" : "clean");
	pd = pcap_open_dead(VSK_LINKTYPE_VSOCK, VSK_DEFAULT_SNAPLEN);
	if (!pd || !(dump = pcap_dump_open(pd, path)))
		errx(1, "%s: %s", path, pd ? pcap_geterr(pd) : "pcap_open_dead failed");
	now.tv_sec = 1000;
	now.tv_usec = 0;
	cur_type = type;
	fwd[A] = fwd[B] = 0;
	alloc_[A] = alloc_[B] = BUF;
}

static void finish(void)
{
	pcap_dump_close(dump);
	pcap_close(pd);
}

static void put(size_t n)
{
	struct pcap_pkthdr h;

	now.tv_usec += 10000;
	if (now.tv_usec >= 1000000) {
		now.tv_sec++;
		now.tv_usec -= 1000000;
	}
	h.ts = now;
	h.caplen = h.len = (bpf_u_int32)n;
	pcap_dump((u_char *)dump, &h, frame);
}

/* One packet from end `from`: header len `len`, `payload` bytes after the header. */
static void send_full(int from, uint16_t type, uint16_t op, uint32_t flags, uint32_t len,
		      size_t payload)
{
	struct vsk_virtio_hdr h = {
		.src_cid = from == A ? 3 : VSK_CID_HOST, .dst_cid = from == A ? VSK_CID_HOST : 3,
		.src_port = from == A ? 1024 : 1234, .dst_port = from == A ? 1234 : 1024,
		.len = len, .type = type, .op = op, .flags = flags,
		.buf_alloc = alloc_[from], .fwd_cnt = fwd[from],
	};

	put(vsk_encode_frame(frame, sizeof(frame), &h, data, payload));
}

static void pkt(int from, uint16_t op, uint32_t flags, uint32_t len)
{
	send_full(from, cur_type, op, flags, len, len);
}

static void connect_ab(void)
{
	pkt(A, VSK_OP_REQUEST, 0, 0);
	pkt(B, VSK_OP_RESPONSE, 0, 0);
}

static void wait_s(long s) { now.tv_sec += s; }

static void wait_half(void)
{
	now.tv_usec += 500000;
	if (now.tv_usec >= 1000000) {
		now.tv_sec++;
		now.tv_usec -= 1000000;
	}
}

/* 64 KiB from end `from` in 8 RW packets. */
static void send_64k(int from)
{
	for (int i = 0; i < 8; i++)
		pkt(from, VSK_OP_RW, 0, 8192);
}

/* An unrelated packet that moves the capture's clock past a deadline. */
static void tick(void)
{
	struct vsk_virtio_hdr h = {.src_cid = 5, .dst_cid = 6, .src_port = 1, .dst_port = 2,
				   .type = VSK_TYPE_STREAM, .op = VSK_OP_CREDIT_REQUEST};

	put(vsk_encode_frame(frame, sizeof(frame), &h, NULL, 0));
}

static void rule(enum vsk_rule r, bool bad)
{
	switch (r) {
	case VSK_RULE_RW_OVER_CREDIT:
		start(r, bad, VSK_TYPE_STREAM);
		alloc_[B] = 1000;
		connect_ab();
		pkt(A, VSK_OP_RW, 0, 600);
		pkt(A, VSK_OP_RW, 0, 400);          /* exactly filling the window */
		if (bad)
			pkt(A, VSK_OP_RW, 0, 1);
		break;
	case VSK_RULE_FWD_CNT_BACKWARDS:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		for (uint32_t f = 0x40000000u; f != 0; f += 0x40000000u) {
			fwd[B] = f;
			pkt(B, VSK_OP_CREDIT_UPDATE, 0, 0);
		}
		fwd[B] = 0x10;                       /* wrapping past 2^32 */
		pkt(B, VSK_OP_CREDIT_UPDATE, 0, 0);
		if (bad) {
			fwd[B] = 0x8;
			pkt(B, VSK_OP_CREDIT_UPDATE, 0, 0);
		}
		break;
	case VSK_RULE_BUF_ALLOC_SHRINK:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		for (int i = 0; i < 4; i++)
			pkt(A, VSK_OP_RW, 0, 50000);
		alloc_[B] = bad ? 4096 : 200000;     /* clean: exactly the bytes in flight */
		pkt(B, VSK_OP_CREDIT_UPDATE, 0, 0);
		break;
	case VSK_RULE_IN_FLIGHT_OVER_OWN:
		start(r, bad, VSK_TYPE_STREAM);
		alloc_[A] = 65536;
		alloc_[B] = 0x7fffffffu;
		connect_ab();
		pkt(A, VSK_OP_RW, 0, 65536);        /* equal to the own buffer */
		if (bad)
			pkt(A, VSK_OP_RW, 0, 1);
		break;
	case VSK_RULE_RW_AFTER_SHUTDOWN:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		pkt(A, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_RCV, 0);
		pkt(A, VSK_OP_RW, 0, 5);            /* after SHUTDOWN rcv only */
		pkt(A, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND, 0);
		pkt(B, VSK_OP_RW, 0, 5);            /* the other end may still send */
		if (bad)
			pkt(A, VSK_OP_RW, 0, 5);
		break;
	case VSK_RULE_PKT_AFTER_RST:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		pkt(A, VSK_OP_RST, 0, 0);
		pkt(B, VSK_OP_RST, 0, 0);           /* an RST answering an RST */
		pkt(A, VSK_OP_SHUTDOWN, 3, 0);      /* a SHUTDOWN racing the RST */
		if (bad)
			pkt(B, VSK_OP_RW, 0, 3);
		break;
	case VSK_RULE_SHUTDOWN_CLEARED:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		pkt(A, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_SEND, 0);
		pkt(A, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_SEND | VSK_FLAG_SHUTDOWN_RCV, 0);
		if (bad)
			pkt(A, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_RCV, 0);
		break;
	case VSK_RULE_NO_RST_AFTER_SHUTDOWN:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		pkt(A, VSK_OP_SHUTDOWN, 3, 0);
		if (bad) {
			wait_s(9);                   /* past the 8 s close timeout */
			tick();
		} else {
			wait_s(7);
			tick();
			pkt(B, VSK_OP_RST, 0, 0);
			wait_s(10);
			tick();
		}
		break;
	case VSK_RULE_RW_LEN_ZERO:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		pkt(A, VSK_OP_RW, 0, bad ? 0 : 1);
		break;
	case VSK_RULE_UNKNOWN_TYPE_NO_RST:
		if (bad) {
			start(r, bad, VSK_TYPE_DGRAM);
			pkt(A, VSK_OP_RW, 0, 4);
			wait_s(2);
			tick();
		} else {
			start(r, bad, TYPE_UNDEFINED);
			pkt(A, VSK_OP_REQUEST, 0, 0);
			pkt(B, VSK_OP_RST, 0, 0);
			wait_s(5);
			tick();
		}
		break;
	case VSK_RULE_LEN_MISMATCH:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		send_full(A, VSK_TYPE_STREAM, VSK_OP_RW, 0, bad ? 100 : 10, 10);
		break;
	case VSK_RULE_CID_UPPER:
		start(r, bad, VSK_TYPE_STREAM);
		connect_ab();
		if (bad) {
			struct vsk_virtio_hdr h = {.src_cid = 0x100000003ull, .dst_cid = 2,
						   .src_port = 1, .dst_port = 2,
						   .type = VSK_TYPE_STREAM, .op = VSK_OP_REQUEST};

			put(vsk_encode_frame(frame, sizeof(frame), &h, NULL, 0));
		}
		break;
	case VSK_RULE_NOT_REQUESTED:
		start(r, bad, VSK_TYPE_STREAM);
		if (bad) {
			pkt(A, VSK_OP_REQUEST, 0, 0);
			pkt(A, VSK_OP_RW, 0, 3);    /* RW before the RESPONSE */
		} else {
			pkt(B, VSK_OP_RESPONSE, 0, 0); /* a capture starting after the REQUEST */
			pkt(A, VSK_OP_RW, 0, 3);
		}
		break;
	case VSK_RULE_SEQ_NO_EOM:
		start(r, bad, VSK_TYPE_SEQPACKET);
		connect_ab();
		pkt(A, VSK_OP_RW, bad ? VSK_FLAG_SEQ_EOM : 0, 100);
		pkt(A, VSK_OP_RW, bad ? 0 : VSK_FLAG_SEQ_EOM, 100);
		pkt(A, VSK_OP_SHUTDOWN, 3, 0);
		break;
	case VSK_RULE_CREDIT_STALL:
		/* A caps itself at its own 64 KiB; B advertises 1 MiB (issue 23's deadlock).
		 * Bad: B sends nothing for 2 s, then its RST (frames 3-10 RW, 11 the tick that
		 * passes the deadline, 12 the RST).  Near miss: B's update comes within half a
		 * second (frame 11); then B sends A 64 KiB, A's whole buffer, and A's update
		 * comes 2 s later (frame 21): a zero-window stall, no finding. */
		start(r, bad, VSK_TYPE_STREAM);
		alloc_[A] = 65536;
		alloc_[B] = 1u << 20;
		connect_ab();
		send_64k(A);
		if (bad) {
			wait_s(2);
			tick();
			fwd[B] = 65536;
			pkt(B, VSK_OP_RST, 0, 0);
		} else {
			wait_half();
			fwd[B] = 65536;
			pkt(B, VSK_OP_CREDIT_UPDATE, 0, 0);
			send_64k(B);
			wait_s(2);
			tick();
			fwd[A] = 65536;
			pkt(A, VSK_OP_CREDIT_UPDATE, 0, 0);
		}
		break;
	default:
		/* A rule without a scenario: no file, and the test names it. */
		return;
	}
	finish();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: rulecaps dir\n");
		return 2;
	}
	dir = argv[1];
	for (int i = 0; i < (int)(sizeof(data)); i++)
		data[i] = (uint8_t)('a' + i % 26);
	for (int r = 0; r < VSK_RULE__COUNT; r++) {
		rule((enum vsk_rule)r, true);
		rule((enum vsk_rule)r, false);
	}
	return 0;
}
