/* test-filter.c - the filter language: parsing, matching on hand-built frames, error
 * messages and positions, and the shape of the libpcap translation.  That the pcap
 * translation selects the same frames is proved in test-filter-bpf.c. */
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


/* A stream RW from 3:1024 to 2:5000 with 10 payload bytes: tests change what they need. */
static struct fr base(const char *name)
{
	struct fr f = {
		.name = name, .src_cid = 3, .dst_cid = VSK_CID_HOST, .src_port = 1024,
		.dst_port = 5000, .mon_op = VSK_MON_OP_PAYLOAD,
		.transport = VSK_TRANSPORT_VIRTIO, .mon_len = VSK_VIRTIO_HDR_LEN, .len = 10,
		.type = VSK_TYPE_STREAM, .op = VSK_OP_RW, .payload = 10,
	};
	return f;
}


/* expr for a TAP line: control and non-ASCII bytes as \xHH (a newline would end it). */
static const char *show(const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	static char buf[2][128];
	static int k;
	char *b = buf[k ^= 1];
	size_t o = 0, i;

	for (i = 0; i < len && o < sizeof(buf[0]) - 8; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			b[o++] = (char)c;
		} else {
			b[o++] = '\\';
			b[o++] = 'x';
			b[o++] = hex[c >> 4];
			b[o++] = hex[c & 15];
		}
	}
	if (i < len)
		for (int j = 0; j < 3; j++)
			b[o++] = '.';
	b[o] = 0;
	return b;
}

/* Compiles expr (which must be valid) and matches it against frame f: 1, 0, or -1 if
 * the expression did not compile. */
static int match_len(const char *expr, size_t len, const struct fr *f)
{
	static uint8_t buf[70000];
	struct vsk_filter *flt;
	struct vsk_filter_error err;
	struct vsk_pkt pkt;
	size_t n = build(f, buf, sizeof(buf));
	size_t cap = f->caplen ? f->caplen : n, wire = f->wirelen ? f->wirelen : n;
	int derr, rc;
	bool m;

	rc = vsk_filter_compile((const uint8_t *)expr, len, &flt, &err);
	if (rc != 0) {
		printf("# '%s': compile failed: %d %s\n", expr, rc, err.msg);
		return -1;
	}
	derr = vsk_decode(buf, cap, wire, &pkt);
	m = vsk_filter_match(flt, &pkt, derr);
	vsk_filter_free(flt);
	return m;
}

static int match(const char *expr, const struct fr *f)
{
	return match_len(expr, strlen(expr), f);
}

static void check(const char *expr, const struct fr *f, bool want)
{
	tap_ok(match(expr, f) == (int)want, "'%s' %s %s", show(expr, strlen(expr)),
	       want ? "matches" : "rejects", f->name);
}

/* A whole set of frames: want[i] tells whether expr matches frames[i]. */
static void check_set(const char *expr, const struct fr *const *frames, const char *want)
{
	bool ok = true;

	for (size_t i = 0; frames[i]; i++) {
		int m = match(expr, frames[i]);

		if (m != (want[i] == '1')) {
			printf("#   '%s' on %s: got %d, want %c\n", expr, frames[i]->name, m, want[i]);
			ok = false;
		}
	}
	tap_ok(ok, "'%s' selects %s", show(expr, strlen(expr)), want);
}

static void check_err(const char *expr, size_t len, size_t pos, size_t elen, const char *msg)
{
	struct vsk_filter *f = (struct vsk_filter *)1;
	struct vsk_filter_error err;
	char what[200];
	int rc;

	memset(&err, 0x55, sizeof(err));
	rc = vsk_filter_compile((const uint8_t *)expr, len, &f, &err);
	snprintf(what, sizeof(what), "error for '%s'", show(expr, len));
	if (!tap_ok(rc == VSK_E_SYNTAX && f == NULL && err.pos == pos && err.len == elen &&
		    strcmp(err.msg, msg) == 0, "%s", what))
		printf("#   got rc %d pos %zu len %zu '%.*s'\n#   want pos %zu len %zu '%s'\n", rc,
		       err.pos, err.len, (int)sizeof(err.msg), err.msg, pos, elen, msg);
}

static void check_pcap(const char *expr, const char *want)
{
	struct vsk_filter *f;
	struct vsk_filter_error err;
	struct vsk_sbuf out = {0};
	char what[200];

	snprintf(what, sizeof(what), "pcap expression of '%s'", expr);
	if (vsk_filter_compile((const uint8_t *)expr, strlen(expr), &f, &err) != 0) {
		tap_ok(0, "%s: %s", what, err.msg);
		return;
	}
	vsk_filter_pcap_expr(f, &out);
	tap_streq(out.p, want, what);
	vsk_sbuf_free(&out);
	vsk_filter_free(f);
}

static void test_addresses(void)
{
	struct fr f = base("3:1024->2:5000");
	struct fr big = base("cid 0x100000003->0xffffffff");
	struct fr loc = base("1->0");

	big.src_cid = 0x100000003ull;
	big.dst_cid = VSK_CID_ANY;
	loc.src_cid = VSK_CID_LOCAL;
	loc.dst_cid = VSK_CID_HYPERVISOR;

	check("cid 3", &f, true);
	check("cid 2", &f, true);
	check("cid 4", &f, false);
	check("src cid 3", &f, true);
	check("src cid 2", &f, false);
	check("dst cid 2", &f, true);
	check("dst cid 3", &f, false);
	check("cid host", &f, true);
	check("dst cid HOST", &f, true);
	check("src cid host", &f, false);
	check("cid 0x3", &f, true);
	check("cid 0X03", &f, true);
	check("cid 003", &f, true);   /* decimal, never octal */
	check("cid local", &loc, true);
	check("dst cid hypervisor", &loc, true);
	check("src cid hypervisor", &loc, false);
	check("cid any", &big, true);
	check("dst cid 4294967295", &big, true);
	check("cid 3", &big, false);  /* the upper 32 bits count */
	check("src cid 0x100000003", &big, true);
	check("src cid 4294967299", &big, true);
	check("cid 0x200000003", &big, false);

	check("port 1024", &f, true);
	check("port 5000", &f, true);
	check("port 5001", &f, false);
	check("src port 1024", &f, true);
	check("src port 5000", &f, false);
	check("dst port 5000", &f, true);
	check("dst port 1024", &f, false);
	check("port 0x400", &f, true);
	f.dst_port = UINT32_MAX;
	check("dst port 4294967295", &f, true);
	check("dst port 0xffffffff", &f, true);
}

static void test_ops_types(void)
{
	char e[64];

	for (size_t i = 0; i < vsk_tab_op.n; i++) {
		const struct vsk_name *r = &vsk_tab_op.v[i];
		struct fr f = base(r->name), g = base("other op");
		bool ok;

		f.op = (uint16_t)r->num;
		g.op = (uint16_t)(r->num + 1);
		snprintf(e, sizeof(e), "op %s", r->name);
		ok = match(e, &f) == 1 && match(e, &g) == 0;
		snprintf(e, sizeof(e), "op %s", r->label);
		ok = ok && match(e, &f) == 1 && match(e, &g) == 0;
		snprintf(e, sizeof(e), "op %u", (unsigned)r->num);
		ok = ok && match(e, &f) == 1 && match(e, &g) == 0;
		tap_ok(ok, "op %s by name, label and number", r->name);
	}
	for (size_t i = 0; i < vsk_tab_type.n; i++) {
		const struct vsk_name *r = &vsk_tab_type.v[i];
		struct fr f = base(r->name), g = base("other type");
		bool ok;

		f.type = (uint16_t)r->num;
		g.type = (uint16_t)(r->num + 7);
		snprintf(e, sizeof(e), "type %s", r->name);
		ok = match(e, &f) == 1 && match(e, &g) == 0;
		snprintf(e, sizeof(e), "type %s", r->label);
		ok = ok && match(e, &f) == 1 && match(e, &g) == 0;
		snprintf(e, sizeof(e), "type 0x%x", (unsigned)r->num);
		ok = ok && match(e, &f) == 1 && match(e, &g) == 0;
		tap_ok(ok, "type %s by name, label and number", r->name);
	}

	struct fr odd = base("op 0xbeef type 65535");

	odd.op = 0xbeef;
	odd.type = UINT16_MAX;
	check("op 48879", &odd, true);
	check("op 0xBEEF", &odd, true);
	check("type 65535", &odd, true);
	check("op Credit_Update", &odd, false);
	odd.op = VSK_OP_CREDIT_UPDATE;
	odd.name = "credit update";
	check("op Credit_Update", &odd, true);
	check("OP CREDIT_UPDATE", &odd, true);
}

static void test_len(void)
{
	struct fr f = base("len 100");
	struct fr big = base("len 0x80000001");

	f.len = 100;
	big.len = 0x80000001u;
	check("len = 100", &f, true);
	check("len == 100", &f, true);
	check("len != 100", &f, false);
	check("len < 100", &f, false);
	check("len <= 100", &f, true);
	check("len > 100", &f, false);
	check("len >= 100", &f, true);
	check("len < 101", &f, true);
	check("len > 99", &f, true);
	check("len=100", &f, true);
	check("len>=0x64", &f, true);
	check("len > 2147483648", &big, true);
	check("len > 2147483649", &big, false);
	check("len >= 2147483649", &big, true);
	check("len < 2147483648", &big, false);
	check("len = 0x80000001", &big, true);
	check("len != 1", &big, true);
	check("len <= 4294967295", &big, true);
	check("len > 4294967295", &big, false);
	check("len >= 0", &big, true);
	/* len is the virtio field, not the frame or payload length */
	f.payload = 3;
	f.name = "len 100 with 3 payload bytes";
	check("len = 100", &f, true);
	check("len = 3", &f, false);
}

static void test_flags(void)
{
	char e[64];

	/* Each flag of the table: on its op (SEQPACKET, where RW flags live), with its bit
	 * set it matches; the same bit on another op, or without the bit, does not. */
	for (size_t i = 0; i < vsk_nflags; i++) {
		const struct vsk_flag *fl = &vsk_flags[i];
		struct fr on = base(fl->name), off = base("bit clear"), other = base("other op");
		bool ok;

		on.op = off.op = fl->op;
		other.op = fl->op == VSK_OP_RW ? VSK_OP_SHUTDOWN : VSK_OP_RW;
		on.type = off.type = other.type = VSK_TYPE_SEQPACKET;
		on.flags = other.flags = fl->mask;
		off.flags = ~fl->mask;
		snprintf(e, sizeof(e), "flags %s", fl->name);
		ok = match(e, &on) == 1 && match(e, &off) == 0 && match(e, &other) == 0;
		tap_ok(ok, "flags %s: its op and bit, not another op, not the bit clear", fl->name);
	}

	struct fr eom_stream = base("stream rw with bit 0");
	struct fr eom_seq = base("seqpacket rw with bit 0");
	struct fr eor_dgram = base("dgram rw with bit 1");
	struct fr rcv_stream = base("stream shutdown 3");
	struct fr rcv_seq = base("seqpacket shutdown 1");
	struct fr rst = base("rst with flags 3");

	eom_stream.flags = VSK_FLAG_SEQ_EOM;
	eom_seq.type = VSK_TYPE_SEQPACKET;
	eom_seq.flags = VSK_FLAG_SEQ_EOM;
	eor_dgram.type = VSK_TYPE_DGRAM;
	eor_dgram.flags = VSK_FLAG_SEQ_EOR;
	rcv_stream.op = VSK_OP_SHUTDOWN;
	rcv_stream.flags = VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND;
	rcv_seq.op = VSK_OP_SHUTDOWN;
	rcv_seq.type = VSK_TYPE_SEQPACKET;
	rcv_seq.flags = VSK_FLAG_SHUTDOWN_RCV;
	rst.op = VSK_OP_RST;
	rst.flags = 3;

	/* EOM/EOR exist only on SEQPACKET (vsk_flags_defined()). */
	check("flags eom", &eom_stream, false);
	check("flags eom", &eom_seq, true);
	check("flags EOM", &eom_seq, true);
	check("flags eor", &eom_seq, false);
	check("flags eor", &eor_dgram, false);
	check("flags rcv", &eom_seq, false);
	check("flags rcv", &rcv_stream, true);
	check("flags send", &rcv_stream, true);
	check("flags rcv", &rcv_seq, true);
	check("flags send", &rcv_seq, false);
	check("flags rcv", &rst, false);
	/* flags NUM: all of the bits, any op */
	check("flags 1", &eom_stream, true);
	check("flags 3", &rcv_stream, true);
	check("flags 3", &rcv_seq, false);
	check("flags 0x2", &rcv_stream, true);
	check("flags 3", &rst, true);
	check("flags 0", &rst, true);
	check("flags 4", &rst, false);
}

/* Frames whose virtio header is missing or unusable: virtio primitives are false (so
 * their negation is true), address primitives still work; a frame that did not decode
 * matches nothing at all. */
static void test_unusable(void)
{
	struct fr noinfo = base("no_info transport");
	struct fr len40 = base("mon len 40");
	struct fr len48 = base("mon len 48");
	struct fr wshort = base("50-byte frame");
	struct fr cut = base("header cut at 60 bytes");
	struct fr tail = base("payload cut");
	struct fr tiny = base("20-byte frame");
	struct fr tinycut = base("frame cut at 20 bytes");

	noinfo.transport = VSK_TRANSPORT_NO_INFO;
	noinfo.mon_len = 0;
	len40.mon_len = 40;
	len48.mon_len = 48;
	len48.payload = 0;
	wshort.payload = 0;
	wshort.caplen = wshort.wirelen = 50;
	cut.caplen = 60;
	tail.caplen = 80;
	tiny.caplen = tiny.wirelen = 20;
	tinycut.caplen = 20;

	check("op rw", &noinfo, false);
	check("not op rw", &noinfo, true);
	check("type stream", &noinfo, false);
	check("len >= 0", &noinfo, false);
	check("flags 0", &noinfo, false);
	check("not flags 0", &noinfo, true);
	check("cid 3 and port 5000", &noinfo, true);
	check("op rw", &len40, false);
	check("not op rw", &len40, true);
	check("op rw", &len48, false);
	check("not type stream", &len48, true);
	check("op rw", &wshort, false);
	check("not op rw", &wshort, true);
	check("src cid 3", &wshort, true);
	check("op rw", &tail, true);
	check("len = 10", &tail, true);
	/* Cut inside the virtio header: BPF cannot see the snaplen, its load of the missing
	 * field rejects the frame, so no filter that reads virtio fields matches it. */
	check("op rw", &cut, false);
	check("not op rw", &cut, false);
	check("cid 3 or not op rw", &cut, false);
	check("cid 3", &cut, true);
	check("not port 1", &cut, true);
	check("", &cut, true);
	/* did not decode */
	check("", &tiny, false);
	check("not op rw", &tiny, false);
	check("not cid 3", &tiny, false);
	check("", &tinycut, false);
	check("not port 1", &tinycut, false);
}

static void test_logic(void)
{
	struct fr rw2 = base("rw cid 3");       /* op rw, cid 3 */
	struct fr rw9 = base("rw cid 9");       /* op rw, cid 9 */
	struct fr rst3 = base("rst cid 3");     /* op rst, cid 3 */
	struct fr rst9 = base("rst cid 9");     /* op rst, cid 9 */
	const struct fr *const set[] = {&rw2, &rw9, &rst3, &rst9, NULL};

	rw9.src_cid = rst9.src_cid = 9;
	rst3.op = rst9.op = VSK_OP_RST;

	check_set("", set, "1111");
	check_set("   \t\n", set, "1111");
	check_set("op rw", set, "1100");
	check_set("src cid 3", set, "1010");
	check_set("op rw and src cid 3", set, "1000");
	check_set("op rw or src cid 3", set, "1110");
	check_set("not op rw", set, "0011");
	check_set("! op rw", set, "0011");
	check_set("!op rw", set, "0011");
	check_set("not not op rw", set, "1100");
	check_set("op rw && src cid 3", set, "1000");
	check_set("op rw || src cid 3", set, "1110");
	/* not binds tighter than and, and tighter than or */
	check_set("not op rw and src cid 3", set, "0010");
	check_set("not (op rw and src cid 3)", set, "0111");
	check_set("op rst or op rw and src cid 9", set, "0111");
	check_set("(op rst or op rw) and src cid 9", set, "0101");
	check_set("src cid 9 and op rw or op rst", set, "0111");
	check_set("src cid 9 and (op rw or op rst)", set, "0101");
	check_set("op rw and not src cid 3 or op rst and src cid 3", set, "0110");
	check_set("not op rw or not src cid 3", set, "0111");
	check_set("op rw or op rw or op rw or src cid 9 and op rst", set, "1101");
	check_set("((((op rw))))", set, "1100");
	check_set("(op rw)&&!(src cid 3)", set, "0100");
	check_set("OP RW AND NOT SRC CID 3", set, "0100");
	check_set("Op Rw Or Src Cid 3", set, "1110");
	check_set("\top\nrw\r\vand\fsrc cid 3", set, "1000");
	check_set("op rw and src cid 3 and dst cid 2 and src port 1024", set, "1000");
	check_set("op rw and (src cid 3 or src cid 9) and not op rst", set, "1100");

	/* The parser reads exactly len bytes and needs no NUL. */
	tap_ok(match_len("op rwXXXX", 5, &rw2) == 1, "reads only len bytes");
	check_err("op rst", 5, 3, 2, "unknown op 'rs'");
	tap_ok(match_len(NULL, 0, &rw2) == 1, "NULL with length 0 is the empty expression");

	/* Long flat chains are lists, not deep trees: no recursion per term. */
	{
		size_t n = 20000;
		char *s = malloc(n * 16 + 32), *p = s;

		for (size_t i = 0; i < n; i++)
			p += sprintf(p, "%sport %zu", i ? " or " : "", i + 5001);
		tap_ok(match(s, &rw2) == 0, "20000-term or-chain compiles and rejects");
		p += sprintf(p, " or port 5000");
		tap_ok(match(s, &rw2) == 1, "20001-term or-chain matches its last term");
		free(s);
	}

	/* Nesting: 63 levels are fine, the 64th is refused. */
	{
		char s[1024];
		size_t k;

		memset(s, '(', 63);
		k = 63 + (size_t)sprintf(s + 63, "op rw");
		memset(s + k, ')', 63);
		s[k + 63] = 0;
		tap_ok(match(s, &rw2) == 1, "63 nested parentheses");
		memset(s, '!', 63);
		strcpy(s + 63, "op rw");
		tap_ok(match(s, &rw2) == 0, "63 nested '!'");
		memset(s, '(', 64);
		strcpy(s + 64, "op rw");
		check_err(s, strlen(s), 63, 1, "expression nested too deeply");
		memset(s, '!', 64);
		strcpy(s + 64, "op rw");
		check_err(s, strlen(s), 63, 1, "expression nested too deeply");
		for (k = 0; k < 64; k++)
			memcpy(s + 4 * k, "not ", 4);
		strcpy(s + 4 * k, "op rw");
		check_err(s, strlen(s), 252, 3, "expression nested too deeply");
		/* depth counts nesting, not how many parentheses there are */
		k = 0;
		for (int i = 0; i < 50; i++)
			k += (size_t)sprintf(s + k, "(op rw) or ");
		strcpy(s + k, "op rw");
		tap_ok(match(s, &rw2) == 1, "50 parentheses side by side");
	}
}

static void test_errors(void)
{
	static const struct {
		const char *expr;
		size_t pos, len;
		const char *msg;
	} t[] = {
		{"op foo", 3, 3, "unknown op 'foo'"},
		{"type bar", 5, 3, "unknown type 'bar'"},
		{"cid guest", 4, 5, "unknown cid 'guest'"},
		{"flags fin", 6, 3, "unknown flag 'fin'"},
		{"port x", 5, 1, "expected a number after 'port', got 'x'"},
		{"src port 12ab", 9, 4, "expected a number after 'port', got '12ab'"},
		{"port 0x", 5, 2, "expected a number after 'port', got '0x'"},
		{"port )", 5, 1, "expected a number after 'port', got ')'"},
		{"port -1", 5, 1, "expected a number after 'port', got '-'"},
		{"op rw)", 5, 1, "unexpected ')'"},
		{")", 0, 1, "unexpected ')'"},
		{"()", 1, 1, "unexpected ')'"},
		{"(op rw", 0, 1, "missing ')'"},
		{"op rw and ((cid 2 or cid 3)", 10, 1, "missing ')'"},
		{"(op rw cid 2)", 7, 3, "expected 'and', 'or' or ')', got 'cid'"},
		{"op rw cid 2", 6, 3, "expected 'and' or 'or', got 'cid'"},
		{"src op rw", 4, 2, "expected 'cid' or 'port' after 'src', got 'op'"},
		{"dst 5", 4, 1, "expected 'cid' or 'port' after 'dst', got '5'"},
		{"src", 3, 0, "expression ends after 'src'"},
		{"port 4294967296", 5, 10, "port 4294967296 out of range"},
		{"port 0x100000000", 5, 11, "port 0x100000000 out of range"},
		{"cid 18446744073709551616", 4, 20, "cid 18446744073709551616 out of range"},
		{"cid 0x10000000000000000", 4, 19, "cid 0x10000000000000000 out of range"},
		{"op 65536", 3, 5, "op 65536 out of range"},
		{"type 0x10000", 5, 7, "type 0x10000 out of range"},
		{"len > 4294967296", 6, 10, "len 4294967296 out of range"},
		{"flags 0x100000000", 6, 11, "flags 0x100000000 out of range"},
		{"port 10000000000000000000000000000000000000000", 5, 41,
		 "port 10000000000000000000000000000000... out of range"},
		{"op 5x", 3, 2, "bad number '5x'"},
		{"cid 99999999999999999999z", 4, 21, "bad number '99999999999999999999z'"},
		{"op", 2, 0, "expression ends after 'op'"},
		{"op rw and", 9, 0, "expression ends after 'and'"},
		{"op rw ||", 8, 0, "expression ends after '||'"},
		{"not", 3, 0, "expression ends after 'not'"},
		{"!", 1, 0, "expression ends after '!'"},
		{"(", 1, 0, "expression ends after '('"},
		{"len", 3, 0, "expression ends after 'len'"},
		{"len <", 5, 0, "expression ends after '<'"},
		{"len 5", 4, 1, "expected a comparison after 'len', got '5'"},
		{"len < x", 6, 1, "expected a number after '<', got 'x'"},
		{"len >= (", 7, 1, "expected a number after '>=', got '('"},
		{"flags", 5, 0, "expression ends after 'flags'"},
		{"flags (", 6, 1, "expected a flag name or number after 'flags', got '('"},
		{"flags or", 6, 2, "expected a flag name or number after 'flags', got 'or'"},
		{"op and", 3, 3, "expected an op after 'op', got 'and'"},
		{"type =", 5, 1, "expected a type after 'type', got '='"},
		{"cid not", 4, 3, "expected a cid after 'cid', got 'not'"},
		{"foo", 0, 3, "unknown primitive 'foo'"},
		{"op rw or host", 9, 4, "unknown primitive 'host'"},
		{"and op rw", 0, 3, "unexpected 'and'"},
		{"5", 0, 1, "unexpected '5'"},
		{"0123456789012345678901234567890123456789", 0, 40,
		 "unexpected '01234567890123456789012345678901...'"},
		{"op rw and or", 10, 2, "unexpected 'or'"},
		{"= 5", 0, 1, "unexpected '='"},
		{"&", 0, 1, "unexpected '&'"},
		{"op rw & cid 2", 6, 1, "unexpected '&'"},
		{"op rw | cid 2", 6, 1, "unexpected '|'"},
		{"(op rw & cid 2)", 7, 1, "unexpected '&'"},
		{"op rw, cid 2", 5, 1, "unexpected ','"},
		{"op 'rw'", 3, 1, "expected an op after 'op', got '\\x27'"},
		{"op rw\xc3\xa9", 5, 1, "unexpected '\\xc3'"},
		{"\xff", 0, 1, "unexpected '\\xff'"},
		{"cid 3 or cid xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 13, 42,
		 "unknown cid 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_err(t[i].expr, strlen(t[i].expr), t[i].pos, t[i].len, t[i].msg);
	/* NUL bytes are bytes like any other */
	check_err("op rw\0", 6, 5, 1, "unexpected '\\x00'");
	check_err("\0op rw", 6, 0, 1, "unexpected '\\x00'");
	check_err("op \0", 4, 3, 1, "expected an op after 'op', got '\\x00'");
	/* an error stops at len: what follows is not looked at */
	check_err("op rw and cid 2", 9, 9, 0, "expression ends after 'and'");
}

static void test_pcap_text(void)
{
	check_pcap("", "len >= 32 and link[31] <= 255");
	check_pcap("src cid 2",
		   "len >= 32 and link[31] <= 255 and "
		   "(link[0:4] = 0x02000000 and link[4:4] = 0x00000000)");
	check_pcap("dst port 0x01020304",
		   "len >= 32 and link[31] <= 255 and (link[20:4] = 0x04030201)");
	check_pcap("op rw",
		   "len >= 32 and link[31] <= 255 and (not (link[26:2] = 0x0200 and "
		   "link[28:2] = 0x2c00 and len >= 76) or link[75] <= 255) and "
		   "(link[26:2] = 0x0200 and link[28:2] = 0x2c00 and len >= 76 and "
		   "link[62:2] = 0x0500)");
	check_pcap("not type seqpacket or len < 0x80000000",
		   "len >= 32 and link[31] <= 255 and (not (link[26:2] = 0x0200 and "
		   "link[28:2] = 0x2c00 and len >= 76) or link[75] <= 255) and "
		   "(not (link[26:2] = 0x0200 and link[28:2] = 0x2c00 and len >= 76 and "
		   "link[60:2] = 0x0200) or (link[26:2] = 0x0200 and link[28:2] = 0x2c00 and "
		   "len >= 76 and (link[59] < 128 or (link[59] = 128 and (link[58] < 0 or "
		   "(link[58] = 0 and (link[57] < 0 or (link[57] = 0 and "
		   "link[56] < 0))))))))");
	check_pcap("len >= 0x01020304",
		   "len >= 32 and link[31] <= 255 and (not (link[26:2] = 0x0200 and "
		   "link[28:2] = 0x2c00 and len >= 76) or link[75] <= 255) and "
		   "(link[26:2] = 0x0200 and link[28:2] = 0x2c00 and len >= 76 and "
		   "(link[59] > 1 or (link[59] = 1 and (link[58] > 2 or (link[58] = 2 and "
		   "(link[57] > 3 or (link[57] = 3 and link[56] >= 4)))))))");
}

int main(void)
{
	test_addresses();
	test_ops_types();
	test_len();
	test_flags();
	test_unusable();
	test_logic();
	test_errors();
	test_pcap_text();
	return tap_done();
}
