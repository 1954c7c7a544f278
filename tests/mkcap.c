/*
 * mkcap.c - writes synthetic LINKTYPE_VSOCK (DLT 271) pcap files for the golden tests,
 * the CLI tests and the benchmarks.  A frame is the 32-byte af_vsockmon_hdr, the 44-byte
 * virtio_vsock_hdr and the payload, every field little-endian (vsock-facts.md A.1, A.2).
 * Frames are encoded by lib/encode.c byte by byte, never through struct casts, so the
 * output is the same on any host.
 *
 *   mkcap catalog FILE
 *   mkcap bulk [-n count] [-s snaplen] [-p payload] [-c conns] FILE
 *   mkcap frame [field=value ...] FILE
 *   mkcap lossy DROPS IN FILE
 *
 * FILE "-" is stdout.
 *
 * catalog: one fixed capture, snaplen 65612.  Timestamps start at 1500000000.000000 and
 * advance 1 ms per frame (frame N is at 1500000000 + (N-1) ms).  Unless said otherwise a
 * frame is transport VIRTIO, vsockmon len 44, vsockmon op from the virtio op (kernel
 * mapping), vsockmon addresses equal to the virtio ones, reserved 0, buf_alloc 262144,
 * fwd_cnt 0, flags 0, hdr len = payload bytes, caplen = len = frame length.
 *   1  STREAM REQUEST        3:1024 > 2:1234
 *   2  STREAM RESPONSE       2:1234 > 3:1024
 *   3  STREAM RW             3:1024 > 2:1234  payload "hello\n" (len 6)
 *   4  STREAM CREDIT_UPDATE  2:1234 > 3:1024  fwd_cnt 6
 *   5  STREAM CREDIT_REQUEST 3:1024 > 2:1234  fwd_cnt 0
 *   6  STREAM SHUTDOWN       3:1024 > 2:1234  flags 0x1 (rcv)
 *   7  STREAM SHUTDOWN       3:1024 > 2:1234  flags 0x2 (send)
 *   8  STREAM SHUTDOWN       3:1024 > 2:1234  flags 0x3 (rcv|send)
 *   9  STREAM RST            2:1234 > 3:1024
 *  10  SEQPACKET RW          1:5000 > 1:6000  flags 0x0, payload "msg0"
 *  11  SEQPACKET RW          1:5000 > 1:6000  flags 0x1 (eom), payload "msg1"
 *  12  SEQPACKET RW          1:5000 > 1:6000  flags 0x3 (eom|eor), payload "msg2"
 *  13  SEQPACKET RW          1:5000 > 1:6000  flags 0x2 (eor), payload "msg3"
 *  14  DGRAM (type 3) RW     3:1025 > 2:1235  payload "dgram"
 *  15  STREAM op 0 INVALID   3:1024 > 2:1234  vsockmon op UNKNOWN
 *  16  STREAM op 9 (unknown) 3:1024 > 2:1234  vsockmon op UNKNOWN
 *  17  type 7 (unknown) REQUEST 3:1024 > 2:1234
 *  18  STREAM SHUTDOWN       3:1024 > 2:1234  flags 0x4 (undefined bit)
 *  19  STREAM RW             3:1024 > 2:1234  flags 0x1 (undefined on STREAM), payload "x"
 *  20  STREAM CREDIT_REQUEST 3:1024 > 2:1234  vsockmon reserved bytes 01 02
 *  21  STREAM REQUEST        0x100000003:1026 > 2:1234  (upper CID bits, in both headers)
 *  22  STREAM RW             virtio 3:1024 > 2:1234, vsockmon 4:1025 > 2:1234,
 *                            payload "diff"
 *  23  STREAM RW             3:1024 > 2:1234  hdr len 100, 10 payload bytes "0123456789"
 *  24  STREAM RW             3:1024 > 2:1234  1000 payload bytes (pattern), record
 *                            len 1076, caplen 128 (cut by the snaplen)
 *  25  STREAM RW             3:1024 > 2:1234  vsockmon len 40 (transport VIRTIO); the
 *                            full 44-byte header follows anyway, payload "abcd" (80 bytes)
 *  26  transport NO_INFO     vsockmon only: 3:1024 > 2:1234, op CONNECT, len 0; 32 bytes
 *  27  transport 7 (unknown) STREAM RW 3:1024 > 2:1234, vsockmon len 44, payload "hi"
 *  28  vsockmon op 9 (unknown) on a STREAM CREDIT_UPDATE 2:1234 > 3:1024, fwd_cnt 6
 *  29  20-byte frame: the first 20 bytes of frame 1 (caplen = len = 20)
 *  30  60-byte frame: the first 60 bytes of frame 1, ends inside the virtio header
 *      (caplen = len = 60)
 *  31  STREAM RW             3:1024 > 2:1234  65536 payload bytes (pattern), 65612 bytes
 *  32  STREAM CREDIT_UPDATE  2:1234 > 3:1024  buf_alloc 0xffffffff, fwd_cnt 0xfffffff0
 * "pattern" payload byte i is 'a' + i % 26.
 *
 * bulk: a benchmark capture, see bulk() below.
 *
 * lossy: the frames of the capture IN as pcapng (lib/pcapng.c's writer), ended by an
 * Interface Statistics Block saying DROPS frames were dropped (isb_ifdrop), as a live
 * capture that lost them would have written it.
 *
 * frame: one record at 1500000000.000000, snaplen 65612.  Default: STREAM RW
 * 3:1024 > 2:1234, payload "x", buf_alloc 262144, the rest derived as in the kernel.
 * Numbers are decimal or 0x hex; op, type, mon_op and transport also take table names
 * (rw, SEQPACKET, control, no_info), flags also names joined by ',' or '|' (rcv|send).
 *   len        virtio hdr len (default: payload bytes)
 *   mon_op     default: the kernel mapping of op
 *   mon_src_cid mon_dst_cid mon_src_port mon_dst_port   default: the virtio addresses
 *   transport  default VIRTIO; NO_INFO also drops the virtio header (payload at 32)
 *   mon_len    default 44, or 0 with transport NO_INFO
 *   reserved   16-bit value, low byte first on the wire (0x0201 gives 01 02)
 *   payload    string (at most 65536 bytes); paylen=N instead gives N pattern bytes
 *   wirelen    record len: the frame is cut, or padded with zeros, to this length
 *   caplen     record caplen (default min(wirelen, 65612)); must not exceed wirelen
 *   ts         seconds after 1500000000 (at most 86400), for frames joined into one capture
 */
#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "vsk/encode.h"
#include "vsk/pcapng.h"
#include "vsk/proto.h"

/* Largest snaplen libpcap accepts (pcap-int.h MAXIMUM_SNAPLEN); not a vsock number. */
#define PCAP_MAX_SNAPLEN 262144
/* A flag bit no op defines (catalog frame 18). */
#define FLAG_UNDEFINED 0x4u
/* Numbers no table defines (catalog frames 16, 17, 27, 28). */
#define OP_UNDEFINED 9u
#define TYPE_UNDEFINED 7u
#define TRANSPORT_UNDEFINED 7u
#define MON_OP_UNDEFINED 9u
/* Receive buffer the synthetic sockets advertise (Linux default, 256 KiB). */
#define BUF_ALLOC 262144u
#define TS_START 1500000000L

/* The frame buffer: the largest frame the kernel taps (64 KiB payload). */
static uint8_t frame_buf[VSK_FRAME_HDR_LEN + VSK_MAX_PKT_BUF_SIZE];

static void usage(void)
{
	fprintf(stderr,
		"usage: mkcap catalog file\n"
		"       mkcap bulk [-n count] [-s snaplen] [-p payload] [-c conns] file\n"
		"       mkcap frame [field=value ...] file\n"
		"       mkcap lossy drops in file\n"
		"frame fields: src_cid dst_cid src_port dst_port op type flags len buf_alloc\n"
		"  fwd_cnt mon_op transport mon_len reserved mon_src_cid mon_dst_cid\n"
		"  mon_src_port mon_dst_port payload paylen caplen wirelen\n");
	exit(2);
}

/* ---- frames ------------------------------------------------------------------------ */

struct frame {
	struct vsk_mon_hdr mon;
	bool virtio;                 /* write hdr after the vsockmon header */
	struct vsk_virtio_hdr hdr;
	const uint8_t *payload;      /* borrowed */
	size_t paylen;
};

/* A kernel-like frame: both headers agree, hdr len = payload length. */
static void frame_init(struct frame *f, uint16_t type, uint16_t op, uint64_t src_cid,
		       uint32_t src_port, uint64_t dst_cid, uint32_t dst_port,
		       const void *payload, size_t paylen)
{
	memset(f, 0, sizeof(*f));
	f->hdr.src_cid = src_cid;
	f->hdr.dst_cid = dst_cid;
	f->hdr.src_port = src_port;
	f->hdr.dst_port = dst_port;
	f->hdr.type = type;
	f->hdr.op = op;
	f->hdr.buf_alloc = BUF_ALLOC;
	f->hdr.len = (uint32_t)paylen;
	vsk_mon_from_virtio(&f->mon, &f->hdr);
	f->virtio = true;
	f->payload = payload;
	f->paylen = paylen;
}

/* Encodes the vsockmon and virtio headers into buf; returns the header bytes written. */
static size_t frame_put_headers(uint8_t *buf, const struct frame *f)
{
	vsk_encode_mon(buf, &f->mon);
	if (!f->virtio)
		return VSK_MON_HDR_LEN;
	vsk_encode_virtio(buf + VSK_MON_HDR_LEN, &f->hdr);
	return VSK_FRAME_HDR_LEN;
}

/* Encodes the whole frame into frame_buf; returns its length. */
static size_t frame_build(const struct frame *f)
{
	size_t n = frame_put_headers(frame_buf, f);

	if (f->paylen)
		memcpy(frame_buf + n, f->payload, f->paylen);
	return n + f->paylen;
}

static void fill_pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + i % 26);
}

/* ---- output ------------------------------------------------------------------------ */

struct out {
	const char *name;
	pcap_t *p;
	pcap_dumper_t *d;
	FILE *fp;
};

static void out_open(struct out *o, const char *name, int snaplen)
{
	static char iobuf[1 << 20];

	o->name = name;
	o->p = pcap_open_dead(VSK_LINKTYPE_VSOCK, snaplen);
	if (!o->p)
		errx(1, "%s: pcap_open_dead failed", name);
	if (strcmp(name, "-") == 0) {
		o->fp = stdout;
	} else if (!(o->fp = fopen(name, "wb"))) {
		err(1, "%s", name);
	}
	/* A large buffer: the benchmark capture is written a record at a time. */
	setvbuf(o->fp, iobuf, _IOFBF, sizeof(iobuf));
	o->d = pcap_dump_fopen(o->p, o->fp);
	if (!o->d)
		errx(1, "%s: %s", name, pcap_geterr(o->p));
}

/* True once a write failed (checked now and then by the long loops). */
static bool out_failed(const struct out *o)
{
	return ferror(o->fp) != 0;
}

static void out_close(struct out *o)
{
	int e;

	errno = 0;
	if (pcap_dump_flush(o->d) != 0 || out_failed(o)) {
		e = errno;
		errx(1, "%s: write error%s%s", o->name, e ? ": " : "", e ? strerror(e) : "");
	}
	pcap_dump_close(o->d);  /* fcloses o->fp */
	pcap_close(o->p);
}

/*
 * Writes frame_buf[0..caplen) as one record with original length wirelen.  Bytes between
 * `built` (what frame_build() wrote) and caplen are zeroed first.
 */
static void out_record(struct out *o, size_t built, size_t caplen, size_t wirelen,
		       long sec, long usec)
{
	struct pcap_pkthdr h;

	if (caplen > built)
		memset(frame_buf + built, 0, caplen - built);
	h.ts.tv_sec = sec;
	h.ts.tv_usec = usec;
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)wirelen;
	pcap_dump((u_char *)o->d, &h, frame_buf);
}

/* ---- numbers ----------------------------------------------------------------------- */

/* Decimal or 0x hex, at most max; false on anything else (no sign, no octal). */
static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
	int base = 10;
	char *end;
	unsigned long long v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!(base == 16 ? (s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f') ||
				   (s[0] >= 'A' && s[0] <= 'F')
			 : (s[0] >= '0' && s[0] <= '9')))
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* A range-checked option value; bad values are usage errors. */
static uint64_t opt_num(int opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (!parse_num(s, max, &v) || v < min) {
		fprintf(stderr, "mkcap: -%c %s: not a number in %llu..%llu\n", opt, s,
			(unsigned long long)min, (unsigned long long)max);
		usage();
	}
	return v;
}

/* ---- catalog ----------------------------------------------------------------------- */

static void catalog_put(struct out *o, const struct frame *f, unsigned *idx)
{
	size_t n = frame_build(f);
	long t = (long)(*idx)++;  /* 1 ms per frame */

	out_record(o, n, n, n, TS_START + t / 1000, (t % 1000) * 1000);
}

/* A frame cut to `cut` bytes on the wire (caplen = len = cut). */
static void catalog_put_cut(struct out *o, const struct frame *f, size_t cut, unsigned *idx)
{
	long t = (long)(*idx)++;

	frame_build(f);
	out_record(o, cut, cut, cut, TS_START + t / 1000, (t % 1000) * 1000);
}

static void catalog(const char *file)
{
	static uint8_t big[VSK_MAX_PKT_BUF_SIZE];
	struct out o;
	struct frame f;
	unsigned i = 0;
	const uint64_t g = 3, h = VSK_CID_HOST, lo = VSK_CID_LOCAL;
	const uint16_t S = VSK_TYPE_STREAM, Q = VSK_TYPE_SEQPACKET;

	fill_pattern(big, sizeof(big));
	out_open(&o, file, VSK_DEFAULT_SNAPLEN);

	/* 1-9: a STREAM connection from its REQUEST to its RST */
	frame_init(&f, S, VSK_OP_REQUEST, g, 1024, h, 1234, NULL, 0);
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_RESPONSE, h, 1234, g, 1024, NULL, 0);
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, "hello\n", 6);
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_CREDIT_UPDATE, h, 1234, g, 1024, NULL, 0);
	f.hdr.fwd_cnt = 6;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_CREDIT_REQUEST, g, 1024, h, 1234, NULL, 0);
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_SHUTDOWN, g, 1024, h, 1234, NULL, 0);
	f.hdr.flags = VSK_FLAG_SHUTDOWN_RCV;
	catalog_put(&o, &f, &i);
	f.hdr.flags = VSK_FLAG_SHUTDOWN_SEND;
	catalog_put(&o, &f, &i);
	f.hdr.flags = VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_RST, h, 1234, g, 1024, NULL, 0);
	catalog_put(&o, &f, &i);

	/* 10-13: SEQPACKET over loopback, every EOM/EOR combination */
	frame_init(&f, Q, VSK_OP_RW, lo, 5000, lo, 6000, "msg0", 4);
	catalog_put(&o, &f, &i);
	frame_init(&f, Q, VSK_OP_RW, lo, 5000, lo, 6000, "msg1", 4);
	f.hdr.flags = VSK_FLAG_SEQ_EOM;
	catalog_put(&o, &f, &i);
	frame_init(&f, Q, VSK_OP_RW, lo, 5000, lo, 6000, "msg2", 4);
	f.hdr.flags = VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR;
	catalog_put(&o, &f, &i);
	frame_init(&f, Q, VSK_OP_RW, lo, 5000, lo, 6000, "msg3", 4);
	f.hdr.flags = VSK_FLAG_SEQ_EOR;
	catalog_put(&o, &f, &i);

	/* 14: DGRAM (proposed type) */
	frame_init(&f, VSK_TYPE_DGRAM, VSK_OP_RW, g, 1025, h, 1235, "dgram", 5);
	catalog_put(&o, &f, &i);

	/* 15-19: ops, types and flags the spec does not define */
	frame_init(&f, S, VSK_OP_INVALID, g, 1024, h, 1234, NULL, 0);
	catalog_put(&o, &f, &i);
	frame_init(&f, S, OP_UNDEFINED, g, 1024, h, 1234, NULL, 0);
	catalog_put(&o, &f, &i);
	frame_init(&f, TYPE_UNDEFINED, VSK_OP_REQUEST, g, 1024, h, 1234, NULL, 0);
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_SHUTDOWN, g, 1024, h, 1234, NULL, 0);
	f.hdr.flags = FLAG_UNDEFINED;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, "x", 1);
	f.hdr.flags = VSK_FLAG_SEQ_EOM;  /* bit 0: EOM on SEQPACKET, nothing on STREAM */
	catalog_put(&o, &f, &i);

	/* 20-23: header fields that disagree with the rules */
	frame_init(&f, S, VSK_OP_CREDIT_REQUEST, g, 1024, h, 1234, NULL, 0);
	f.mon.reserved[0] = 0x01;
	f.mon.reserved[1] = 0x02;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_REQUEST, (uint64_t)1 << 32 | g, 1026, h, 1234, NULL, 0);
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, "diff", 4);
	f.mon.src_cid = 4;
	f.mon.src_port = 1025;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, "0123456789", 10);
	f.hdr.len = 100;
	catalog_put(&o, &f, &i);

	/* 24: cut by the snaplen: the record keeps the full length */
	{
		long t = (long)i++;
		size_t n;

		frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, big, 1000);
		n = frame_build(&f);
		out_record(&o, n, 128, n, TS_START + t / 1000, (t % 1000) * 1000);
	}

	/* 25-28: vsockmon header oddities */
	frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, "abcd", 4);
	f.mon.len = 40;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_REQUEST, g, 1024, h, 1234, NULL, 0);
	f.mon.transport = VSK_TRANSPORT_NO_INFO;
	f.mon.len = 0;
	f.virtio = false;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, "hi", 2);
	f.mon.transport = TRANSPORT_UNDEFINED;
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_CREDIT_UPDATE, h, 1234, g, 1024, NULL, 0);
	f.hdr.fwd_cnt = 6;
	f.mon.op = MON_OP_UNDEFINED;
	catalog_put(&o, &f, &i);

	/* 29-30: frames that end early on the wire (not cut by the snaplen) */
	frame_init(&f, S, VSK_OP_REQUEST, g, 1024, h, 1234, NULL, 0);
	catalog_put_cut(&o, &f, 20, &i);
	catalog_put_cut(&o, &f, 60, &i);

	/* 31-32: the largest payload, the largest credit counters */
	frame_init(&f, S, VSK_OP_RW, g, 1024, h, 1234, big, sizeof(big));
	catalog_put(&o, &f, &i);
	frame_init(&f, S, VSK_OP_CREDIT_UPDATE, h, 1234, g, 1024, NULL, 0);
	f.hdr.buf_alloc = 0xffffffffu;
	f.hdr.fwd_cnt = 0xfffffff0u;
	catalog_put(&o, &f, &i);

	out_close(&o);
}

/* ---- bulk -------------------------------------------------------------------------- */

/*
 * Each of `conns` slots runs connections one after another: REQUEST (client to server),
 * RESPONSE, then `cycles` rounds of the 5-frame pattern below (3 RW, 2 control), then
 * SHUTDOWN rcv|send from the client and RST from the server.  Slots take turns, one frame
 * each.  The data flows one way per connection (client to server on even connections,
 * server to client on odd ones); the receiver's CREDIT_UPDATEs carry a fwd_cnt that grows
 * by the bytes it received (Socket Device: Buffer Space Management).  Every fourth
 * connection is SEQPACKET, with EOM on every second RW and EOR on every eighth.  Near the
 * end the connections are closed so that the capture ends with every connection torn down
 * (when COUNT allows it).  Everything is deterministic.
 */
enum { ST_CLOSED, ST_REQ_SENT, ST_OPEN, ST_SHUT_SENT };
enum { P_RW, P_UPDATE, P_RW_OR_REQUEST };

/* Every eighth round the sender asks for credit instead of sending its third RW, and the
 * receiver's next CREDIT_UPDATE answers it. */
static const uint8_t pattern[] = { P_RW, P_UPDATE, P_RW, P_RW_OR_REQUEST, P_UPDATE };
#define NPATTERN (sizeof(pattern) / sizeof(pattern[0]))

struct conn {
	int state;
	uint64_t ccid, scid;       /* client (guest) and server (host) CIDs */
	uint32_t cport, sport;
	uint16_t type;
	bool server_sends;
	uint32_t cycles, pos, rw;  /* rounds left, position in pattern[], RWs sent */
	uint32_t received;         /* receiver's fwd_cnt: every byte is consumed at once */
};

/* Frames still needed to tear the connection down. */
static unsigned conn_need(const struct conn *c)
{
	switch (c->state) {
	case ST_REQ_SENT:
	case ST_SHUT_SENT:
		return 1;
	case ST_OPEN:
		return 2;
	default:
		return 0;
	}
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void conn_frame(struct frame *f, const struct conn *c, uint16_t op, bool from_client)
{
	if (from_client)
		frame_init(f, c->type, op, c->ccid, c->cport, c->scid, c->sport, NULL, 0);
	else
		frame_init(f, c->type, op, c->scid, c->sport, c->ccid, c->cport, NULL, 0);
	/* Every packet from the receiving end advertises what it has consumed. */
	if (from_client == c->server_sends)
		f->hdr.fwd_cnt = c->received;
}

static void bulk(int argc, char **argv)
{
	static uint8_t pool[VSK_MAX_PKT_BUF_SIZE + 4096];
	uint64_t count = 1000000, rng = 0x9e3779b97f4a7c15ull, conn_id = 0;
	uint64_t usec = 0, total_need = 0;
	size_t snaplen = VSK_DEFAULT_SNAPLEN, paymax = 4096, nconns = 16, slot = 0;
	size_t sizes[4];
	struct conn *conns;
	struct frame f;
	struct out o;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "+n:s:p:c:")) != -1) {
		switch (ch) {
		case 'n':
			count = opt_num(ch, optarg, 0, UINT32_MAX);
			break;
		case 's':
			snaplen = opt_num(ch, optarg, 1, PCAP_MAX_SNAPLEN);
			break;
		case 'p':
			paymax = opt_num(ch, optarg, 1, VSK_MAX_PKT_BUF_SIZE);
			break;
		case 'c':
			nconns = opt_num(ch, optarg, 1, 16384);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();

	sizes[0] = 64;
	sizes[1] = 512;
	sizes[2] = 4096;
	sizes[3] = paymax;
	for (size_t k = 0; k < sizeof(pool); k += 8) {
		uint64_t r = rng_next(&rng);

		for (size_t i = 0; i < 8; i++)
			pool[k + i] = (uint8_t)(r >> (8 * i));
	}
	conns = calloc(nconns, sizeof(*conns));
	if (!conns)
		err(1, "bulk");
	out_open(&o, argv[optind], (int)snaplen);

	for (uint64_t i = 0; i < count; i++) {
		uint64_t left = count - i - 1;  /* frames after this one */
		struct conn *c = &conns[slot];
		size_t n;

		slot = (slot + 1) % nconns;
		/* No budget left for a new connection here: close one instead. */
		if (c->state == ST_CLOSED && total_need + 1 > left) {
			for (size_t k = 0; k < nconns && conn_need(c) == 0; k++)
				c = &conns[(slot + k) % nconns];
		}

		switch (c->state) {
		case ST_CLOSED: {
			uint64_t r = rng_next(&rng);

			c->ccid = 3 + conn_id % 8;
			c->scid = VSK_CID_HOST;
			c->cport = 49152 + (uint32_t)(conn_id % 16384);
			c->sport = 1234 + (uint32_t)(conn_id % 4);
			c->type = conn_id % 4 == 3 ? VSK_TYPE_SEQPACKET : VSK_TYPE_STREAM;
			c->server_sends = conn_id % 2 == 1;
			c->cycles = 10 + (uint32_t)(r % 91);
			c->pos = c->rw = c->received = 0;
			conn_id++;
			conn_frame(&f, c, VSK_OP_REQUEST, true);
			c->state = ST_REQ_SENT;
			total_need += 1;
			break;
		}
		case ST_REQ_SENT:
			if (total_need + 1 > left) {  /* refused: RST */
				conn_frame(&f, c, VSK_OP_RST, false);
				c->state = ST_CLOSED;
				total_need -= 1;
			} else {
				conn_frame(&f, c, VSK_OP_RESPONSE, false);
				c->state = ST_OPEN;
				total_need += 1;
			}
			break;
		case ST_OPEN:
			if (c->cycles == 0 || total_need > left) {
				conn_frame(&f, c, VSK_OP_SHUTDOWN, true);
				f.hdr.flags = VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND;
				c->state = ST_SHUT_SENT;
				total_need -= 1;
				break;
			}
			switch (pattern[c->pos]) {
			case P_RW_OR_REQUEST:
				if (c->cycles % 8 == 0) {
					conn_frame(&f, c, VSK_OP_CREDIT_REQUEST, !c->server_sends);
					break;
				}
				/* fall through */
			case P_RW: {
				size_t len = sizes[c->rw % 4];

				conn_frame(&f, c, VSK_OP_RW, !c->server_sends);
				f.payload = pool + (c->rw * 61 + i) % 4096;
				f.paylen = len;
				f.hdr.len = (uint32_t)len;
				if (c->type == VSK_TYPE_SEQPACKET) {
					if (c->rw % 8 == 7)
						f.hdr.flags = VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR;
					else if (c->rw % 2 == 1)
						f.hdr.flags = VSK_FLAG_SEQ_EOM;
				}
				c->received += (uint32_t)len;
				c->rw++;
				break;
			}
			default:
				conn_frame(&f, c, VSK_OP_CREDIT_UPDATE, c->server_sends);
				break;
			}
			if (++c->pos == NPATTERN) {
				c->pos = 0;
				c->cycles--;
			}
			break;
		default:  /* ST_SHUT_SENT */
			conn_frame(&f, c, VSK_OP_RST, false);
			c->state = ST_CLOSED;
			total_need -= 1;
			break;
		}

		/* Encode only what the record keeps: the snaplen cut makes -s 128 cheap. */
		{
			size_t wire = VSK_FRAME_HDR_LEN + f.paylen;
			size_t cap = wire < snaplen ? wire : snaplen;
			size_t body = cap - VSK_FRAME_HDR_LEN;

			n = frame_put_headers(frame_buf, &f);
			if (body)
				memcpy(frame_buf + n, f.payload, body);
			out_record(&o, cap, cap, wire, TS_START + (long)(usec / 1000000),
				   (long)(usec % 1000000));
		}
		usec += 10;
		if ((i & 0xffff) == 0 && out_failed(&o))
			break;
	}
	free(conns);
	out_close(&o);
}

/* ---- frame ------------------------------------------------------------------------- */

enum fid {
	F_SRC_CID, F_DST_CID, F_SRC_PORT, F_DST_PORT, F_OP, F_TYPE, F_FLAGS, F_LEN,
	F_BUF_ALLOC, F_FWD_CNT, F_MON_OP, F_TRANSPORT, F_MON_LEN, F_RESERVED,
	F_MON_SRC_CID, F_MON_DST_CID, F_MON_SRC_PORT, F_MON_DST_PORT,
	F_PAYLOAD, F_PAYLEN, F_CAPLEN, F_WIRELEN, F_TS, F__COUNT
};

struct field {
	const char *name;
	uint64_t max;
	const struct vsk_table *names;  /* values may also be names from this table */
};

static const struct field fields[F__COUNT] = {
	[F_SRC_CID] = {"src_cid", UINT64_MAX, NULL},
	[F_DST_CID] = {"dst_cid", UINT64_MAX, NULL},
	[F_SRC_PORT] = {"src_port", UINT32_MAX, NULL},
	[F_DST_PORT] = {"dst_port", UINT32_MAX, NULL},
	[F_OP] = {"op", UINT16_MAX, &vsk_tab_op},
	[F_TYPE] = {"type", UINT16_MAX, &vsk_tab_type},
	[F_FLAGS] = {"flags", UINT32_MAX, NULL},
	[F_LEN] = {"len", UINT32_MAX, NULL},
	[F_BUF_ALLOC] = {"buf_alloc", UINT32_MAX, NULL},
	[F_FWD_CNT] = {"fwd_cnt", UINT32_MAX, NULL},
	[F_MON_OP] = {"mon_op", UINT16_MAX, &vsk_tab_mon_op},
	[F_TRANSPORT] = {"transport", UINT16_MAX, &vsk_tab_transport},
	[F_MON_LEN] = {"mon_len", UINT16_MAX, NULL},
	[F_RESERVED] = {"reserved", UINT16_MAX, NULL},
	[F_MON_SRC_CID] = {"mon_src_cid", UINT64_MAX, NULL},
	[F_MON_DST_CID] = {"mon_dst_cid", UINT64_MAX, NULL},
	[F_MON_SRC_PORT] = {"mon_src_port", UINT32_MAX, NULL},
	[F_MON_DST_PORT] = {"mon_dst_port", UINT32_MAX, NULL},
	[F_PAYLOAD] = {"payload", 0, NULL},
	[F_PAYLEN] = {"paylen", VSK_MAX_PKT_BUF_SIZE, NULL},
	[F_CAPLEN] = {"caplen", VSK_DEFAULT_SNAPLEN, NULL},
	[F_TS] = {"ts", 86400, NULL},
	[F_WIRELEN] = {"wirelen", UINT32_MAX, NULL},
};

static void bad_field(const char *arg, const char *why)
{
	fprintf(stderr, "mkcap: %s: %s\n", arg, why);
	usage();
}

/* flags=NUM or names from the flag table joined by ',' or '|' (rcv|send, eom,eor). */
static uint64_t parse_flags(const char *arg, const char *v)
{
	uint64_t m = 0;

	if (parse_num(v, UINT32_MAX, &m))
		return m;
	while (*v) {
		size_t len = strcspn(v, ",|");
		size_t k;

		for (k = 0; k < vsk_nflags; k++)
			if (strlen(vsk_flags[k].name) == len &&
			    strncmp(vsk_flags[k].name, v, len) == 0)
				break;
		if (k == vsk_nflags)
			bad_field(arg, "unknown flag");
		m |= vsk_flags[k].mask;
		v += len;
		if (*v)
			v++;
	}
	return m;
}

static void frame_cmd(int argc, char **argv)
{
	static uint8_t pay[VSK_MAX_PKT_BUF_SIZE];
	uint64_t val[F__COUNT] = {0};
	bool set[F__COUNT] = {false};
	const char *payload = "x";
	struct frame f;
	struct out o;
	size_t paylen, built, wire, cap;

	if (argc < 2)
		usage();
	for (int a = 1; a < argc - 1; a++) {
		const char *arg = argv[a], *eq = strchr(arg, '='), *v;
		size_t k;

		if (!eq)
			bad_field(arg, "expected field=value");
		for (k = 0; k < F__COUNT; k++)
			if (strlen(fields[k].name) == (size_t)(eq - arg) &&
			    strncmp(fields[k].name, arg, (size_t)(eq - arg)) == 0)
				break;
		if (k == F__COUNT)
			bad_field(arg, "unknown field");
		v = eq + 1;
		set[k] = true;
		if (k == F_PAYLOAD) {
			if (strlen(v) > VSK_MAX_PKT_BUF_SIZE)
				bad_field("payload", "longer than 65536 bytes");
			payload = v;
		} else if (k == F_FLAGS) {
			val[k] = parse_flags(arg, v);
		} else if (!parse_num(v, fields[k].max, &val[k])) {
			const struct vsk_name *row = NULL;

			if (fields[k].names && !(v[0] >= '0' && v[0] <= '9'))
				row = vsk_table_lookup(fields[k].names, v, strlen(v));
			if (!row)
				bad_field(arg, fields[k].names ? "not a number or name in range"
							       : "not a number in range");
			val[k] = row->num;
		}
	}

	if (set[F_PAYLEN]) {
		paylen = (size_t)val[F_PAYLEN];
		if (set[F_PAYLOAD])
			bad_field("paylen", "payload and paylen exclude each other");
		fill_pattern(pay, paylen);
	} else {
		paylen = strlen(payload);
		memcpy(pay, payload, paylen);
	}
	frame_init(&f, set[F_TYPE] ? (uint16_t)val[F_TYPE] : VSK_TYPE_STREAM,
		   set[F_OP] ? (uint16_t)val[F_OP] : VSK_OP_RW,
		   set[F_SRC_CID] ? val[F_SRC_CID] : 3,
		   set[F_SRC_PORT] ? (uint32_t)val[F_SRC_PORT] : 1024,
		   set[F_DST_CID] ? val[F_DST_CID] : VSK_CID_HOST,
		   set[F_DST_PORT] ? (uint32_t)val[F_DST_PORT] : 1234, pay, paylen);
	if (set[F_FLAGS]) f.hdr.flags = (uint32_t)val[F_FLAGS];
	if (set[F_LEN]) f.hdr.len = (uint32_t)val[F_LEN];
	if (set[F_BUF_ALLOC]) f.hdr.buf_alloc = (uint32_t)val[F_BUF_ALLOC];
	if (set[F_FWD_CNT]) f.hdr.fwd_cnt = (uint32_t)val[F_FWD_CNT];
	if (set[F_MON_OP]) f.mon.op = (uint16_t)val[F_MON_OP];
	if (set[F_MON_SRC_CID]) f.mon.src_cid = val[F_MON_SRC_CID];
	if (set[F_MON_DST_CID]) f.mon.dst_cid = val[F_MON_DST_CID];
	if (set[F_MON_SRC_PORT]) f.mon.src_port = (uint32_t)val[F_MON_SRC_PORT];
	if (set[F_MON_DST_PORT]) f.mon.dst_port = (uint32_t)val[F_MON_DST_PORT];
	if (set[F_TRANSPORT]) {
		f.mon.transport = (uint16_t)val[F_TRANSPORT];
		/* NO_INFO: no transport header, the payload follows the vsockmon header. */
		if (f.mon.transport == VSK_TRANSPORT_NO_INFO) {
			f.virtio = false;
			f.mon.len = 0;
		}
	}
	if (set[F_MON_LEN]) f.mon.len = (uint16_t)val[F_MON_LEN];
	if (set[F_RESERVED]) {
		f.mon.reserved[0] = (uint8_t)val[F_RESERVED];
		f.mon.reserved[1] = (uint8_t)(val[F_RESERVED] >> 8);
	}

	built = frame_build(&f);
	wire = set[F_WIRELEN] ? (size_t)val[F_WIRELEN] : built;
	cap = set[F_CAPLEN] ? (size_t)val[F_CAPLEN] : wire;
	if (cap > VSK_DEFAULT_SNAPLEN)
		cap = VSK_DEFAULT_SNAPLEN;
	if (cap > wire)
		bad_field("caplen", "larger than wirelen");
	out_open(&o, argv[argc - 1], VSK_DEFAULT_SNAPLEN);
	out_record(&o, built < cap ? built : cap, cap, wire, TS_START + (long)val[F_TS], 0);
	out_close(&o);
}

static void lossy(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct vsk_pcapng_stats st = {.has_ifdrop = true, .has_ifrecv = true,
				      .has_usrdeliv = true};
	struct vsk_sbuf b = {0};
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timeval last = {TS_START, 0};
	uint64_t drops;
	pcap_t *in;
	FILE *f;

	if (argc != 4 || !parse_num(argv[1], UINT32_MAX, &drops))
		usage();
	in = pcap_open_offline(argv[2], ebuf);
	if (!in)
		errx(1, "%s: %s", argv[2], ebuf);
	vsk_pcapng_shb(&b, "mkcap");
	vsk_pcapng_idb(&b, VSK_LINKTYPE_VSOCK, VSK_DEFAULT_SNAPLEN, "vsockmon0");
	while (pcap_next_ex(in, &h, &data) == 1) {
		vsk_pcapng_epb(&b, 0, &h->ts, data, h->caplen, h->len);
		last = h->ts;
		st.usrdeliv++;
	}
	pcap_close(in);
	st.ifdrop = drops;
	st.ifrecv = st.usrdeliv + drops;
	vsk_pcapng_isb(&b, 0, &last, &st);
	f = strcmp(argv[3], "-") == 0 ? stdout : fopen(argv[3], "wb");
	if (!f || b.oom || fwrite(b.p, 1, b.len, f) != b.len || fflush(f) != 0)
		err(1, "%s", argv[3]);
	if (f != stdout)
		fclose(f);
	vsk_sbuf_free(&b);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "catalog") == 0) {
		if (argc != 3)
			usage();
		catalog(argv[2]);
	} else if (strcmp(argv[1], "bulk") == 0) {
		bulk(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "frame") == 0) {
		frame_cmd(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "lossy") == 0) {
		lossy(argc - 1, argv + 1);
	} else {
		usage();
	}
	return 0;
}
