/* test-filter-bpf.c - the two paths of the filter agree: for every expression below and
 * every frame below, libpcap's BPF program built from vsk_filter_pcap_expr() (what the
 * kernel runs during a live capture) accepts the frame exactly when vsk_filter_match()
 * does.  The frames are chosen to hit every guard: each op, type and flag, frames without
 * or with a cut or odd-sized virtio header, 64-bit CIDs and 32-bit values >= 2^31. */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/decode.h"
#include "vsk/encode.h"
#include "vsk/error.h"
#include "vsk/filter.h"
#include "vsk/proto.h"
#include "tap.h"

#include "frame.h"


#define VIRTIO .transport = VSK_TRANSPORT_VIRTIO, .mon_len = VSK_VIRTIO_HDR_LEN
#define S3 .src_cid = 3, .dst_cid = VSK_CID_HOST, .src_port = 1024, .dst_port = 5000
#define D3 .src_cid = VSK_CID_HOST, .dst_cid = 3, .src_port = 5000, .dst_port = 1024

static const struct fr frames[] = {
	/* every op */
	{"invalid", S3, VIRTIO, .op = VSK_OP_INVALID, .type = VSK_TYPE_STREAM},
	{"request", S3, VIRTIO, .mon_op = VSK_MON_OP_CONNECT, .op = VSK_OP_REQUEST,
	 .type = VSK_TYPE_STREAM},
	{"response", D3, VIRTIO, .mon_op = VSK_MON_OP_CONNECT, .op = VSK_OP_RESPONSE,
	 .type = VSK_TYPE_STREAM},
	{"rst", D3, VIRTIO, .mon_op = VSK_MON_OP_DISCONNECT, .op = VSK_OP_RST,
	 .type = VSK_TYPE_STREAM},
	{"shutdown rcv", S3, VIRTIO, .mon_op = VSK_MON_OP_DISCONNECT, .op = VSK_OP_SHUTDOWN,
	 .type = VSK_TYPE_STREAM, .flags = VSK_FLAG_SHUTDOWN_RCV},
	{"shutdown send", D3, VIRTIO, .mon_op = VSK_MON_OP_DISCONNECT, .op = VSK_OP_SHUTDOWN,
	 .type = VSK_TYPE_STREAM, .flags = VSK_FLAG_SHUTDOWN_SEND},
	{"shutdown both seqpacket", S3, VIRTIO, .mon_op = VSK_MON_OP_DISCONNECT,
	 .op = VSK_OP_SHUTDOWN, .type = VSK_TYPE_SEQPACKET,
	 .flags = VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND},
	{"shutdown no flags", S3, VIRTIO, .mon_op = VSK_MON_OP_DISCONNECT, .op = VSK_OP_SHUTDOWN,
	 .type = VSK_TYPE_STREAM},
	{"rw stream", S3, VIRTIO, .mon_op = VSK_MON_OP_PAYLOAD, .op = VSK_OP_RW,
	 .type = VSK_TYPE_STREAM, .len = 100, .payload = 100},
	{"credit_update", D3, VIRTIO, .mon_op = VSK_MON_OP_CONTROL, .op = VSK_OP_CREDIT_UPDATE,
	 .type = VSK_TYPE_STREAM},
	{"credit_request", S3, VIRTIO, .mon_op = VSK_MON_OP_CONTROL,
	 .op = VSK_OP_CREDIT_REQUEST, .type = VSK_TYPE_SEQPACKET},
	{"op 8", S3, VIRTIO, .op = 8, .type = VSK_TYPE_STREAM},
	{"op 0xffff", S3, VIRTIO, .op = 0xffff, .type = VSK_TYPE_STREAM},
	/* types and flags */
	{"rw seqpacket eom", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_SEQPACKET,
	 .flags = VSK_FLAG_SEQ_EOM, .len = 1, .payload = 1},
	{"rw seqpacket eor", D3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_SEQPACKET,
	 .flags = VSK_FLAG_SEQ_EOR},
	{"rw seqpacket eom+eor", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_SEQPACKET,
	 .flags = VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR, .len = 2, .payload = 2},
	{"rw seqpacket no flags", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_SEQPACKET},
	{"rw stream bit 0", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM, .flags = 1},
	{"rw dgram bits 0+1", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_DGRAM, .flags = 3},
	{"request dgram", S3, VIRTIO, .op = VSK_OP_REQUEST, .type = VSK_TYPE_DGRAM},
	{"rw type 0 bit 0", S3, VIRTIO, .op = VSK_OP_RW, .type = 0, .flags = 1},
	{"rw type 0xffff bit 1", S3, VIRTIO, .op = VSK_OP_RW, .type = 0xffff, .flags = 2},
	{"rst flags all ones", S3, VIRTIO, .op = VSK_OP_RST, .type = VSK_TYPE_STREAM,
	 .flags = 0xffffffff},
	/* frames that did not decode: no filter matches them */
	{"20-byte frame", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM,
	 .caplen = 20, .wirelen = 20},
	{"76-byte frame cut at 20", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM,
	 .caplen = 20},
	{"frame cut at 31", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM, .caplen = 31},
	/* no usable virtio header */
	{"no_info", S3, .transport = VSK_TRANSPORT_NO_INFO, .mon_len = 0,
	 .mon_op = VSK_MON_OP_PAYLOAD, .payload = 8},
	{"unknown transport", S3, .transport = VSK_TRANSPORT_UNKNOWN,
	 .mon_len = VSK_VIRTIO_HDR_LEN, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM},
	{"transport 7", D3, .transport = 7, .mon_len = VSK_VIRTIO_HDR_LEN, .op = VSK_OP_RW,
	 .type = VSK_TYPE_STREAM},
	{"virtio mon len 0", S3, .transport = VSK_TRANSPORT_VIRTIO, .mon_len = 0},
	{"virtio mon len 40", S3, .transport = VSK_TRANSPORT_VIRTIO, .mon_len = 40,
	 .payload = 10},
	{"virtio mon len 48", S3, .transport = VSK_TRANSPORT_VIRTIO, .mon_len = 48,
	 .op = VSK_OP_RW, .type = VSK_TYPE_STREAM},
	{"virtio 60 bytes on the wire", S3, VIRTIO, .op = VSK_OP_RW, .caplen = 60,
	 .wirelen = 60},
	{"virtio mon hdr only", S3, VIRTIO, .op = VSK_OP_RW, .caplen = 32, .wirelen = 32},
	/* cut by the snaplen */
	{"virtio cut at 32", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM,
	 .caplen = 32},
	{"virtio cut at 60", D3, VIRTIO, .op = VSK_OP_RST, .type = VSK_TYPE_STREAM,
	 .caplen = 60},
	{"virtio cut at 75", S3, VIRTIO, .op = VSK_OP_SHUTDOWN, .type = VSK_TYPE_STREAM,
	 .flags = 1, .payload = 4, .caplen = 75},
	{"payload cut at 76", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM,
	 .len = 1000, .payload = 1000, .caplen = 76},
	{"payload cut at 80", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_SEQPACKET,
	 .flags = VSK_FLAG_SEQ_EOM, .len = 0x80000000, .payload = 100, .caplen = 80,
	 .wirelen = 0x10000},
	/* 64-bit CIDs and big numbers */
	{"cid upper bits", .src_cid = 0x100000002ull, .dst_cid = 0xffffffff00000003ull,
	 .src_port = 0x80000000u, .dst_port = 0xffffffffu, VIRTIO, .op = VSK_OP_RW,
	 .type = VSK_TYPE_STREAM, .len = 0xffffffffu},
	{"cid all ones", .src_cid = UINT64_MAX, .dst_cid = UINT64_MAX, .src_port = 1,
	 .dst_port = 2, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM, .len = 0x7fffffffu},
	{"cid any", .src_cid = VSK_CID_ANY, .dst_cid = 2, .src_port = 0xfffffffeu, .dst_port = 2,
	 VIRTIO, .op = VSK_OP_REQUEST, .type = VSK_TYPE_STREAM, .len = 0x80000001u},
	{"len 0x01020304", S3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM,
	 .len = 0x01020304u},
	{"len 0x04030201", D3, VIRTIO, .op = VSK_OP_RW, .type = VSK_TYPE_SEQPACKET,
	 .len = 0x04030201u},
	{"mon and virtio cids differ", .src_cid = 7, .dst_cid = 8, VIRTIO, .vsrc_cid = 3,
	 .vdst_cid = 2, .op = VSK_OP_RW, .type = VSK_TYPE_STREAM},
};

#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

static const char *const exprs[] = {
	"",
	"cid 2",
	"src cid 3",
	"dst cid host",
	"cid 0x100000002",
	"dst cid 0xffffffff00000003",
	"cid 18446744073709551615",
	"cid any or cid local",
	"port 1024",
	"src port 0x80000000 or dst port 4294967295",
	"not port 5000",
	"op rw",
	"not op rw",
	"op request or op response",
	"op 8 or op 65535 or op invalid",
	"type stream",
	"type dgram or type 0",
	"not type seqpacket",
	"len = 0",
	"len != 0",
	"len > 2147483647",
	"len >= 2147483648 and len < 4294967295",
	"len <= 16909060",
	"len < 16909061 and len > 16909059",
	"len >= 0",
	"len>8||len=6||len>4||len<6",  /* miscompiled by libpcap 1.10.3 when built with + */
	"flags rcv",
	"flags send or flags eor",
	"flags eom",
	"not flags eom",
	"flags 3",
	"flags 0",
	"flags 0xffffffff",
	"cid 3 or not op rw",
	"not op rw or cid 3",
	"(op rw and type seqpacket) or (op shutdown and not flags send)",
	"src cid 3 and dst port 5000 and not (len > 99 or flags eom)",
	"not (cid 2 or cid 3)",
	"not (op rw or not op rw)",
	"op rw and not op rw",
	"!(!op rst || !(src cid 2 && dst port 1024))",
};

#define NEXPRS (sizeof(exprs) / sizeof(exprs[0]))

/* Expressions that libpcap 1.10.3's optimizer miscompiles (found by fuzz/fuzz-filter.c;
 * compare optimize=0 and 1 with `tcpdump -d`): the translation is right, the optimised
 * program is not.  For these only the unoptimised program must agree; what optimize=1
 * does is printed.  Reason enough for live captures to compile with optimize=0. */
static const char *const optimizer_bugs[] = {
	/* the optimised program never tests dst port 2 after src port 1 */
	"port 0 or !port 1 or port 2 or port 3",
};

#define NBUGS (sizeof(optimizer_bugs) / sizeof(optimizer_bugs[0]))

static uint8_t bufs[NFRAMES][2048];
static struct pcap_pkthdr hdrs[NFRAMES];
static struct vsk_pkt pkts[NFRAMES];
static int derrs[NFRAMES];

/* Compiles the pcap expression.  With optimize=1 libpcap refuses a program that rejects
 * every packet ("expression rejects all packets"); then the unoptimised one is used. */
static int compile(pcap_t *pd, const char *text, int optimize, struct bpf_program *prog,
		   bool *rejects_all)
{
	*rejects_all = false;
	if (pcap_compile(pd, prog, text, optimize, PCAP_NETMASK_UNKNOWN) == 0)
		return 0;
	if (optimize && strstr(pcap_geterr(pd), "rejects all packets")) {
		*rejects_all = true;
		return pcap_compile(pd, prog, text, 0, PCAP_NETMASK_UNKNOWN);
	}
	return -1;
}

/* One TAP line: expression x selects the same frames offline and in BPF, unoptimised
 * and (if opt_strict) optimised. */
static void check_expr(pcap_t *pd, const char *x, bool opt_strict)
{
	struct vsk_filter *f;
	struct vsk_filter_error err;
	struct vsk_sbuf text = {0};
	struct bpf_program prog[2];
	bool ok = true, none[2];
	size_t matches = 0, opt_wrong = 0;

	if (vsk_filter_compile((const uint8_t *)x, strlen(x), &f, &err) != 0) {
		tap_ok(0, "'%s': %s", x, err.msg);
		return;
	}
	vsk_filter_pcap_expr(f, &text);
	if (text.oom || compile(pd, text.p, 0, &prog[0], &none[0]) != 0 ||
	    compile(pd, text.p, 1, &prog[1], &none[1]) != 0) {
		tap_ok(0, "'%s': pcap_compile: %s", x, pcap_geterr(pd));
		printf("#   pcap: %s\n", text.p);
		vsk_sbuf_free(&text);
		vsk_filter_free(f);
		return;
	}
	for (size_t i = 0; i < NFRAMES; i++) {
		bool off = vsk_filter_match(f, &pkts[i], derrs[i]);

		matches += off;
		for (int o = 0; o < 2; o++) {
			bool live = pcap_offline_filter(&prog[o], &hdrs[i], bufs[i]) != 0;

			if (live == off)
				continue;
			printf("#   %s (caplen %u, len %u): vsk_filter_match %d, BPF (optimize=%d) "
			       "%d%s\n", frames[i].name, hdrs[i].caplen, hdrs[i].len, off, o, live,
			       o && !opt_strict ? " (known libpcap optimizer bug)" : "");
			if (o && !opt_strict)
				opt_wrong++;
			else
				ok = false;
		}
	}
	if (!ok)
		printf("#   pcap: %s\n", text.p);
	/* Every expression but the two contradictions must split the frames, so that
	 * agreement is not agreement on "nothing" or "everything". */
	if ((matches == 0 || matches == NFRAMES) !=
	    (strstr(x, "rw and not op rw") != NULL || strstr(x, "rw or not op rw") != NULL)) {
		printf("#   matches %zu of %zu frames\n", matches, NFRAMES);
		ok = false;
	}
	tap_ok(ok, "'%s': BPF (%s) and vsk_filter_match agree on %zu frames (%zu match)%s", x,
	       opt_strict ? "optimize=0 and 1" : "optimize=0", NFRAMES, matches,
	       none[1] ? ", rejects all" : "");
	if (!opt_strict && opt_wrong == 0)
		printf("# '%s': this libpcap optimises it correctly now\n", x);
	pcap_freecode(&prog[0]);
	pcap_freecode(&prog[1]);
	vsk_sbuf_free(&text);
	vsk_filter_free(f);
}

int main(void)
{
	pcap_t *pd = pcap_open_dead(VSK_LINKTYPE_VSOCK, VSK_DEFAULT_SNAPLEN);

	(void)tap_streq;  /* tap.h defines it static; this test compares no strings */
	if (!pd) {
		tap_ok(0, "pcap_open_dead(%d)", VSK_LINKTYPE_VSOCK);
		return tap_done();
	}
	for (size_t i = 0; i < NFRAMES; i++) {
		size_t n = build(&frames[i], bufs[i], sizeof(bufs[i]));

		memset(&hdrs[i], 0, sizeof(hdrs[i]));
		hdrs[i].caplen = (bpf_u_int32)(frames[i].caplen ? frames[i].caplen : n);
		hdrs[i].len = (bpf_u_int32)(frames[i].wirelen ? frames[i].wirelen : n);
		derrs[i] = vsk_decode(bufs[i], hdrs[i].caplen, hdrs[i].len, &pkts[i]);
	}
	for (size_t e = 0; e < NEXPRS; e++)
		check_expr(pd, exprs[e], true);
	for (size_t e = 0; e < NBUGS; e++)
		check_expr(pd, optimizer_bugs[e], false);
	pcap_close(pd);
	return tap_done();
}
