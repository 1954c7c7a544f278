/* test-diag.c - the vsock_diag parser and request builder (lib/diag.c) on netlink reply
 * bytes built with the Linux uapi structs (an independent source of the layout), on
 * whole dump datagrams, and on truncated and malformed ones. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/vm_sockets_diag.h>
#include <sys/socket.h>

#include "tap.h"
#include "vsk/diag.h"
#include "vsk/proto.h"

static struct vsock_diag_msg sample(uint8_t type, uint8_t state, uint8_t shut, uint32_t ino)
{
	struct vsock_diag_msg m;

	memset(&m, 0, sizeof(m));
	m.vdiag_family = AF_VSOCK;
	m.vdiag_type = type;
	m.vdiag_state = state;
	m.vdiag_shutdown = shut;
	m.vdiag_src_cid = 1;
	m.vdiag_src_port = 1234;
	m.vdiag_dst_cid = 0xffffffffu;
	m.vdiag_dst_port = 0xffffffffu;
	m.vdiag_ino = ino;
	m.vdiag_cookie[0] = 0x89abcdefu;
	m.vdiag_cookie[1] = 0x01234567u;
	return m;
}

/* Appends one netlink message (header + payload, padded to NLMSG_ALIGNTO) to buf. */
static size_t put_msg(uint8_t *buf, size_t off, uint16_t type, const void *pl, size_t plen)
{
	struct nlmsghdr h = {.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + plen), .nlmsg_type = type,
			     .nlmsg_flags = NLM_F_MULTI, .nlmsg_seq = 7, .nlmsg_pid = 0};

	memcpy(buf + off, &h, sizeof(h));
	memcpy(buf + off + NLMSG_HDRLEN, pl, plen);
	return off + NLMSG_ALIGN(h.nlmsg_len);
}

/* A real dump, recorded with `vsockss -a --record` in the test VM (Linux 6.12, x86-64,
 * tests/vm/test-vsockss.sh's scene): the reply messages of 9 sockets as the kernel sent
 * them (NLMSG_DONE is not recorded). */
static const uint8_t recorded_6_12[] = {
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x01, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xae, 0x88, 0xa3, 0x3f, 0x01, 0x00, 0x00, 0x00, 0x72, 0x17, 0x00, 0x00,
	0x43, 0x01, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x01, 0x01, 0x02, 0xff, 0xff, 0xff, 0xff,
	0xaf, 0x88, 0xa3, 0x3f, 0x01, 0x00, 0x00, 0x00, 0x74, 0x17, 0x00, 0x00,
	0x46, 0x01, 0x00, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x05, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xb0, 0x88, 0xa3, 0x3f, 0x01, 0x00, 0x00, 0x00, 0x73, 0x17, 0x00, 0x00,
	0x82, 0x04, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x01, 0x02, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xb1, 0x88, 0xa3, 0x3f, 0x03, 0x00, 0x00, 0x00, 0x61, 0x1e, 0x00, 0x00,
	0x5f, 0x01, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x01, 0x0a, 0x00, 0xff, 0xff, 0xff, 0xff,
	0x71, 0x17, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x76, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x01, 0x07, 0x00, 0xff, 0xff, 0xff, 0xff,
	0x62, 0x1e, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x60, 0x01, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x05, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x73, 0x17, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb0, 0x88, 0xa3, 0x3f,
	0x4e, 0x01, 0x00, 0x00, 0x04, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x72, 0x17, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xae, 0x88, 0xa3, 0x3f,
	0x7f, 0x04, 0x00, 0x00, 0x05, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x93, 0x6e, 0x02, 0x6b,
	0xd1, 0x00, 0xc0, 0x18, 0x28, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x74, 0x17, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xaf, 0x88, 0xa3, 0x3f,
	0x47, 0x01, 0x00, 0x00, 0x06, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

struct seen {
	struct vsk_diag_sock s[8];
	int n;
	int stop_at;
};

static int collect(const struct vsk_diag_sock *s, void *arg)
{
	struct seen *v = arg;

	if (v->n < 8)
		v->s[v->n] = *s;
	v->n++;
	return v->stop_at && v->n == v->stop_at ? 42 : 0;
}

int main(void)
{
	struct vsock_diag_msg m = sample(SOCK_STREAM, 10, 0, 4242);
	struct vsk_diag_sock s;
	uint8_t buf[1024], req[64];
	int rc, kerr;
	bool done;

	/* The layout constants against the uapi. */
	tap_ok(VSK_DIAG_MSG_LEN == sizeof(struct vsock_diag_msg), "VSK_DIAG_MSG_LEN is sizeof(vsock_diag_msg)");
	tap_ok(VSK_DIAG_REQ_LEN == sizeof(struct vsock_diag_req), "VSK_DIAG_REQ_LEN is sizeof(vsock_diag_req)");
	tap_ok(VSK_SOCK_DIAG_BY_FAMILY == SOCK_DIAG_BY_FAMILY, "SOCK_DIAG_BY_FAMILY is 20");
	tap_ok(VSK_NLMSG_HDR_LEN == NLMSG_HDRLEN && VSK_NLMSG_T_DONE == NLMSG_DONE &&
	       VSK_NLMSG_T_ERROR == NLMSG_ERROR && VSK_NLMSG_T_NOOP == NLMSG_NOOP &&
	       VSK_NLMSG_ALIGN_TO == NLMSG_ALIGNTO, "netlink constants match linux/netlink.h");
	tap_ok((int)VSK_SOCK_TYPE_STREAM == (int)SOCK_STREAM && (int)VSK_SOCK_TYPE_DGRAM == (int)SOCK_DGRAM &&
	       (int)VSK_SOCK_TYPE_SEQPACKET == (int)SOCK_SEQPACKET, "socket types match sys/socket.h");
	tap_ok(VSK_SK_RCV_SHUTDOWN == 1 && VSK_SK_SEND_SHUTDOWN == 2 &&
	       (SHUT_RD + 1) == VSK_SK_RCV_SHUTDOWN && (SHUT_WR + 1) == VSK_SK_SEND_SHUTDOWN,
	       "sk_shutdown bits are SHUT_RD+1 and SHUT_WR+1 (the kernel's mapping)");
	tap_streq(vsk_table_find(&vsk_tab_sock_type, 5)->name, "seqpacket", "type 5 is seqpacket");

	/* One message parsed field by field. */
	rc = vsk_diag_parse((const uint8_t *)&m, sizeof(m), &s);
	tap_ok(rc == 0, "a full vsock_diag_msg parses (rc %d)", rc);
	tap_ok(s.family == AF_VSOCK && s.type == SOCK_STREAM && s.state == 10 && s.shutdown == 0,
	       "family, type, state, shutdown");
	tap_ok(s.src_cid == 1 && s.src_port == 1234 && s.dst_cid == 0xffffffffu &&
	       s.dst_port == 0xffffffffu, "addresses");
	tap_ok(s.ino == 4242 && s.cookie == 0x0123456789abcdefull, "inode, cookie[1]:cookie[0] (cookie %llx)",
	       (unsigned long long)s.cookie);

	/* Every truncation is refused, never read past. */
	int bad = 0;
	for (size_t n = 0; n < sizeof(m); n++)
		if (vsk_diag_parse((const uint8_t *)&m, n, &s) != VSK_DIAG_E_SHORT)
			bad++;
	tap_ok(bad == 0, "every length 0..31 is VSK_DIAG_E_SHORT (%d were not)", bad);
	memcpy(buf, &m, sizeof(m));
	memset(buf + sizeof(m), 0xee, 8);
	tap_ok(vsk_diag_parse(buf, sizeof(m) + 8, &s) == 0 && s.ino == 4242,
	       "trailing bytes after the struct are ignored");
	m.vdiag_family = 2;
	tap_ok(vsk_diag_parse((const uint8_t *)&m, sizeof(m), &s) == VSK_DIAG_E_FAMILY,
	       "family AF_INET is VSK_DIAG_E_FAMILY");
	m.vdiag_family = AF_VSOCK;

	/* The request. */
	tap_ok(vsk_diag_req_build(req, 23, 0) == 0, "request builder refuses a short buffer");
	memset(req, 0xff, sizeof(req));
	tap_ok(vsk_diag_req_build(req, sizeof(req), 1u << 10 | 1u << 1) == 24, "request is 24 bytes");
	{
		struct vsock_diag_req want;

		memset(&want, 0, sizeof(want));
		want.sdiag_family = AF_VSOCK;
		want.vdiag_states = 1u << 10 | 1u << 1;
		tap_ok(memcmp(req, &want, sizeof(want)) == 0 && req[24] == 0xff,
		       "request equals the uapi vsock_diag_req, nothing written past it");
	}

	/* A dump datagram: three sockets, then NLMSG_DONE. */
	struct vsock_diag_msg m2 = sample(SOCK_SEQPACKET, 1, 3, 7);
	struct vsock_diag_msg m3 = sample(9, 99, 0x80, 8); /* unknown values are kept */
	int32_t zero = 0, enoent = -ENOENT;
	struct seen v = {0};
	size_t len = 0;

	len = put_msg(buf, len, SOCK_DIAG_BY_FAMILY, &m, sizeof(m));
	len = put_msg(buf, len, SOCK_DIAG_BY_FAMILY, &m2, sizeof(m2));
	len = put_msg(buf, len, SOCK_DIAG_BY_FAMILY, &m3, sizeof(m3));
	size_t three = len;
	len = put_msg(buf, len, NLMSG_DONE, &zero, sizeof(zero));
	rc = vsk_diag_walk(buf, len, collect, &v, &kerr, &done);
	tap_ok(rc == 0 && done && kerr == 0 && v.n == 3, "dump: 3 sockets then DONE (rc %d, n %d)", rc, v.n);
	tap_ok(v.s[1].type == SOCK_SEQPACKET && v.s[1].state == 1 && v.s[1].shutdown == 3 &&
	       v.s[1].ino == 7, "dump: second socket is the seqpacket, shutdown 3");
	tap_ok(v.s[2].type == 9 && v.s[2].state == 99 && v.s[2].shutdown == 0x80,
	       "dump: unknown type, state and shutdown bits are kept as numbers");
	v = (struct seen){0};
	rc = vsk_diag_walk(buf, three, collect, &v, NULL, &done);
	tap_ok(rc == 0 && !done && v.n == 3, "dump without DONE: more datagrams to come");
	v = (struct seen){.stop_at = 2};
	rc = vsk_diag_walk(buf, len, collect, &v, NULL, NULL);
	tap_ok(rc == 42 && v.n == 2, "a callback's nonzero return stops the walk and is returned");

	/* The recorded dump. */
	v = (struct seen){0};
	rc = vsk_diag_walk(recorded_6_12, sizeof(recorded_6_12), collect, &v, &kerr, &done);
	tap_ok(rc == 0 && !done && v.n == 9, "recorded 6.12 dump: 9 sockets (rc %d, n %d)", rc, v.n);
	tap_ok(v.s[1].type == SOCK_STREAM && v.s[1].state == 1 && v.s[1].shutdown == 2 &&
	       v.s[1].src_cid == 0xffffffffu && v.s[1].dst_cid == 1 && v.s[1].dst_port == 6004,
	       "recorded: the half-closed client *:%u > 1:6004, shutdown send", v.s[1].src_port);
	tap_ok(v.s[2].type == SOCK_SEQPACKET && v.s[2].state == 1 && v.s[2].dst_port == 6003,
	       "recorded: the seqpacket client, established to 1:6003");
	tap_ok(v.s[3].state == 2 && v.s[3].dst_cid == 3 && v.s[3].dst_port == 7777 && v.s[3].cookie == 5,
	       "recorded: the connecting socket to 3:7777, cookie 5");
	tap_ok(v.s[4].state == 10 && v.s[4].src_port == 6001 && v.s[4].dst_cid == 0xffffffffu &&
	       v.s[4].dst_port == 0xffffffffu && v.s[4].ino == 1142, "recorded: the listener on 6001, inode 1142");
	tap_ok(v.s[5].state == 7 && v.s[5].src_port == 7778, "recorded: the unconnected socket on 7778");
	bad = 0;
	for (size_t n = 0; n < sizeof(recorded_6_12); n++) {
		rc = vsk_diag_walk(recorded_6_12, n, NULL, NULL, NULL, NULL);
		if (n % 48 == 0 ? rc != 0 : rc != VSK_DIAG_E_NLMSG)
			bad++;
	}
	tap_ok(bad == 0, "recorded: every cut is refused unless it falls between messages (%d not)", bad);

	/* Truncated datagrams: every cut inside a message is an error, never a read past. */
	bad = 0;
	for (size_t n = 1; n < len; n++) {
		v = (struct seen){0};
		rc = vsk_diag_walk(buf, n, collect, &v, NULL, &done);
		/* A cut exactly at a message boundary is a shorter, valid datagram. */
		int boundary = n % NLMSG_ALIGN(NLMSG_HDRLEN + sizeof(m)) == 0 && n <= three;
		if (boundary ? rc != 0 : rc != VSK_DIAG_E_NLMSG)
			bad++;
	}
	tap_ok(bad == 0, "every truncated dump is VSK_DIAG_E_NLMSG (%d were not)", bad);

	/* Malformed headers. */
	struct nlmsghdr h;
	memcpy(&h, buf, sizeof(h));
	h.nlmsg_len = 8;
	memcpy(buf, &h, sizeof(h));
	tap_ok(vsk_diag_walk(buf, len, collect, &v, NULL, NULL) == VSK_DIAG_E_NLMSG,
	       "nlmsg_len below the header size is refused");
	h.nlmsg_len = (uint32_t)len + 4;
	memcpy(buf, &h, sizeof(h));
	tap_ok(vsk_diag_walk(buf, len, collect, &v, NULL, NULL) == VSK_DIAG_E_NLMSG,
	       "nlmsg_len beyond the datagram is refused");
	len = put_msg(buf, 0, SOCK_DIAG_BY_FAMILY, &m, 20);
	tap_ok(vsk_diag_walk(buf, len, collect, &v, NULL, NULL) == VSK_DIAG_E_SHORT,
	       "a reply message with a 20-byte payload is VSK_DIAG_E_SHORT");
	len = put_msg(buf, 0, 16 /* RTM_NEWLINK */, &m, sizeof(m));
	tap_ok(vsk_diag_walk(buf, len, collect, &v, NULL, NULL) == VSK_DIAG_E_NLTYPE,
	       "a message of another type is VSK_DIAG_E_NLTYPE");

	/* The kernel's answers when vsock_diag is missing or the caller may not dump. */
	struct {
		int32_t error;
		struct nlmsghdr req;
	} e = {.error = -ENOENT};
	len = put_msg(buf, 0, NLMSG_ERROR, &e, sizeof(e));
	rc = vsk_diag_walk(buf, len, collect, &v, &kerr, &done);
	tap_ok(rc == VSK_DIAG_E_KERNEL && kerr == ENOENT && !done,
	       "NLMSG_ERROR -ENOENT: VSK_DIAG_E_KERNEL, errno ENOENT (rc %d, kerr %d)", rc, kerr);
	len = put_msg(buf, 0, NLMSG_ERROR, &enoent, 2);
	tap_ok(vsk_diag_walk(buf, len, collect, &v, &kerr, NULL) == VSK_DIAG_E_NLMSG,
	       "NLMSG_ERROR cut inside its error code is refused");
	e.error = 0;
	len = put_msg(buf, 0, NLMSG_ERROR, &e, sizeof(e));
	len = put_msg(buf, len, NLMSG_DONE, &zero, sizeof(zero));
	tap_ok(vsk_diag_walk(buf, len, collect, &v, &kerr, &done) == 0 && done,
	       "an acknowledgement (error 0) is skipped");
	tap_ok(strcmp(vsk_diag_strerror(VSK_DIAG_E_SHORT), "unknown error") != 0 &&
	       strcmp(vsk_diag_strerror(-1), "unknown error") != 0 &&
	       strcmp(vsk_diag_strerror(12345), "unknown error") == 0, "every code has a message");
	return tap_done();
}
