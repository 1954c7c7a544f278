/* cases.c - the conformance cases (cases.h).
 *
 * Each case plays the guest driver against the device under test and makes the device's
 * application act through the target (target.h).  Clauses are the virtio spec's section
 * names under "Socket Device: Device Operation", shortened as in lib/vsock.def.  Besides
 * what each case checks itself, lib's flow rules judge every packet of every case
 * (harness.c): an error-severity rule broken by the device fails the case, and rules the
 * suite breaks on purpose (shrinking buf_alloc, RW after our SHUTDOWN...) are listed as
 * the driver's, not counted against the device. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <vsk/proto.h>

#include "cases.h"

#define CL_STREAM   "Socket Device: Stream Sockets"
#define CL_CREDIT   "Socket Device: Buffer Space Management"
#define CL_RXTX     "Socket Device: Receive and Transmit"
#define CL_ADDR     "Socket Device: Addressing"
#define CL_SEQ      "Socket Device: Seqpacket Sockets: Message and record boundaries"
#define CL_EVENTS   "Socket Device: Device Events"
#define CL_OP       "Socket Device: Device Operation"
#define CL_LAYOUT   "Basic Facilities of a Virtio Device: Virtqueues: Message Framing"

#define BUF         (256u << 10)   /* our default buf_alloc, as Linux's */
#define CHUNK       16384          /* RW payload per packet we send */
#define FILL_MAX    (16u << 20)    /* most bytes a case sends to fill a peer's buffer */
#define STREAM      VSK_TYPE_STREAM
#define SEQPACKET   VSK_TYPE_SEQPACKET
#define RCV         VSK_FLAG_SHUTDOWN_RCV
#define SEND        VSK_FLAG_SHUTDOWN_SEND
#define OP_BOGUS    42             /* an op the spec does not define */
#define TYPE_BOGUS  9              /* a type the spec does not define */

/* ---- helpers ---- */

static const char *opname(uint16_t op)
{
	const struct vsk_name *n = vsk_table_find(&vsk_tab_op, op);

	return n ? n->label : "unknown op";
}

static const struct cf_target_ops *ops(struct cf_harness *h)
{
	return cf_target(h)->ops;
}

static const struct cf_pkt *on(struct cf_conn *c, int op, int timeout_ms)
{
	return cf_expect_op(c->h, c->its_port, c->our_port, op, timeout_ms);
}

/* A packet on c's tuple (any type) not matched yet: call cf_mark_seen() at the point
 * after which packets count, and cf_settle() before. */
static const struct cf_pkt *later(struct cf_conn *c, int op)
{
	return cf_expect(c->h, cf_match_pred, &(struct cf_match){c->its_port, c->our_port, op, -1},
			 0);
}

static bool is_retry(ssize_t r)
{
	return r == -ETIMEDOUT || r == -EAGAIN;
}

/* One application recv that waits (pumping the device) until something comes: bytes, 0
 * at EOF, or a negative errno (-ETIMEDOUT when nothing came within timeout_ms). */
static ssize_t app_recv_one(struct cf_harness *h, int app, void *buf, size_t len, int timeout_ms,
			    bool *eor)
{
	int left = timeout_ms;

	for (;;) {
		ssize_t r;

		cf_pump(h, 0);
		r = ops(h)->app_recv(cf_target(h), app, buf, len, left < 10 ? left : 10, eor);
		if (!is_retry(r) || left <= 0 || cf_left(h) == 0)
			return r;
		left -= 10;
		cf_pump(h, 0);
	}
}

/* The application sends what fits now, without waiting for credit: bytes taken. */
static size_t app_push(struct cf_harness *h, int app, const uint8_t *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t r = ops(h)->app_send(cf_target(h), app, buf + put,
					     len - put < 65536 ? len - put : 65536, false);

		if (r <= 0)
			break;
		put += (size_t)r;
		cf_pump(h, 0);
	}
	return put;
}

/* We send n bytes to its application within its credit, and it reads them: true if all
 * arrived intact. */
static bool to_app(struct cf_harness *h, struct cf_conn *c, size_t n, unsigned seed)
{
	uint8_t *src = malloc(n ? n : 1), *dst = malloc(n ? n : 1);
	size_t sent = 0, got = 0;
	bool ok = false;

	if (!src || !dst) {
		cf_fail(h, "harness", "out of memory");
		goto out;
	}
	cf_pattern(src, n, 0, seed);
	while (got < n) {
		int64_t fr = cf_conn_peer_free(c);
		size_t k = n - sent;
		ssize_t r;

		if (fr >= 0 && (size_t)fr < k)
			k = (size_t)fr;
		if (k > CHUNK)
			k = CHUNK;
		if (k && cf_conn_write(c, src + sent, k, CHUNK, true, false))
			goto out;
		sent += k;
		r = app_recv_one(h, c->app, dst + got, n - got, 10, NULL);
		if (r > 0) {
			got += (size_t)r;
		} else if (r == 0) {
			cf_fail(h, "data", "its application read EOF after %zu of %zu bytes", got, n);
			goto out;
		} else if (!is_retry(r)) {
			cf_app_err(h, (int)r, "application recv");
			goto out;
		}
		if (cf_left(h) == 0) {
			cf_fail(h, "timeout", "timeout: its application read %zu of %zu bytes "
				"(%zu sent)", got, n, sent);
			goto out;
		}
	}
	if (memcmp(src, dst, n)) {
		size_t i = 0;

		while (src[i] == dst[i])
			i++;
		cf_fail(h, "data", "its application read different bytes than we sent, first at "
			"offset %zu", i);
		goto out;
	}
	ok = true;
out:
	free(src);
	free(dst);
	return ok;
}

/* Its application sends n bytes to us (we consume as they come): true if all arrived
 * intact. */
static bool from_app(struct cf_harness *h, struct cf_conn *c, size_t n, unsigned seed)
{
	uint8_t *src = malloc(n ? n : 1);
	size_t start = c->rxlen, sent = 0;
	bool ok = false;

	if (!src) {
		cf_fail(h, "harness", "out of memory");
		return false;
	}
	cf_pattern(src, n, 0, seed);
	while (c->rxlen - start < n) {
		if (sent < n)
			sent += app_push(h, c->app, src + sent, n - sent);
		if (cf_pump(h, 10) < 0)
			break;
		if (c->rst_rcvd) {
			cf_fail(h, "data", "RST from the device after %zu of %zu bytes",
				c->rxlen - start, n);
			break;
		}
	}
	if (c->rxlen - start >= n) {
		if (memcmp(src, c->rx + start, n)) {
			size_t i = 0;

			while (src[i] == c->rx[start + i])
				i++;
			cf_fail(h, "data", "we received different bytes than its application sent, "
				"first at offset %zu", i);
		} else {
			ok = true;
		}
	} else if (!cf_failed(h)) {
		cf_fail(h, "timeout", "timeout: %zu of %zu bytes from its application arrived",
			c->rxlen - start, n);
	}
	free(src);
	return ok;
}

/* Both ways, n bytes each: true if the connection carries data intact. */
static bool exchange(struct cf_harness *h, struct cf_conn *c, size_t n)
{
	return to_app(h, c, n, 1) && from_app(h, c, n, 2);
}

/* Sends a lone packet from a fresh port of ours (no connection) and returns the fresh
 * conn (to match answers). */
static struct cf_conn *lone(struct cf_harness *h, uint16_t type, uint32_t port, uint16_t op)
{
	struct cf_conn *c = cf_conn_new(h, type, port, BUF);

	if (c && cf_conn_send(c, op, 0, NULL, 0))
		return NULL;
	return c;
}

/* A port nobody listens on in this case. */
static uint32_t free_port(struct cf_harness *h)
{
	return cf_port(h);
}

/* Expects RST on c within the answer time; fails with rule otherwise. */
static bool expect_rst(struct cf_harness *h, struct cf_conn *c, const char *rule,
		       const char *what)
{
	const struct cf_pkt *p = cf_expect(h, cf_match_pred,
					   &(struct cf_match){c->its_port, c->our_port, -1, -1},
					   cf_answer_ms(h));

	if (!p) {
		cf_fail(h, rule, "%s: no answer within %d ms, expected RST", what, cf_answer_ms(h));
		return false;
	}
	if (p->hdr.op != VSK_OP_RST) {
		cf_fail(h, rule, "%s: answered by %s, expected RST", what, opname(p->hdr.op));
		return false;
	}
	cf_observe(h, "%s: RST", what);
	return true;
}

/* The application's end must report the connection reset (or closed). */
static bool app_sees_reset(struct cf_harness *h, int app, const char *rule)
{
	char b[16];
	ssize_t r = app_recv_one(h, app, b, sizeof(b), cf_answer_ms(h), NULL);

	if (r == -ECONNRESET || r == 0 || r == -ENOTCONN || r == -EPIPE) {
		cf_observe(h, "its application: %s", r == 0 ? "EOF" : strerror((int)-r));
		return true;
	}
	cf_fail(h, rule, "the device reset the connection but its application still %s",
		r > 0 ? "reads data" : "waits");
	return false;
}

/* ---- handshake ---- */

static void c_request_listener(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "a REQUEST to a port with a listener is answered by RESPONSE and "
		    "establishes the connection");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	cf_observe(h, "RESPONSE with buf_alloc %u; its application accepted", c->peer_buf_alloc);
	if (exchange(h, c, 1000))
		cf_observe(h, "1000 bytes each way");
}

static void c_request_no_listener(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "a REQUEST to a port without a listener is answered by RST");
	if ((c = lone(h, STREAM, free_port(h), VSK_OP_REQUEST)))
		expect_rst(h, c, "no_rst_no_listener", "REQUEST to a port nobody listens on");
}

static void c_duplicate_request(struct cf_harness *h)
{
	struct cf_conn *c;
	const struct cf_pkt *p;

	cf_required(h, "a second REQUEST on an established tuple does not open a second "
		    "connection: no second RESPONSE; the connection stays usable unless reset");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	cf_mark_seen(h);
	if (cf_conn_send(c, VSK_OP_REQUEST, 0, NULL, 0) || cf_settle(h) < 0)
		return;
	if ((p = later(c, VSK_OP_RESPONSE))) {
		cf_fail(h, "dup_response", "the duplicate REQUEST was answered by a second "
			"RESPONSE: two connections on one (source, destination) tuple");
		return;
	}
	if (c->rst_rcvd) {
		cf_observe(h, "answered by RST");
		app_sees_reset(h, c->app, "rst_but_app_connected");
		return;
	}
	cf_observe(h, "ignored");
	if (exchange(h, c, 1000))
		cf_observe(h, "the connection still carries data");
}

static void c_response_to_nobody(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "a RESPONSE for a connection that does not exist is answered by RST");
	if ((c = lone(h, STREAM, free_port(h), VSK_OP_RESPONSE)))
		expect_rst(h, c, "no_rst_response_to_nobody", "RESPONSE nobody asked for");
}

static void c_app_connect(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "its application's connect sends REQUEST to the guest; our RESPONSE "
		    "establishes the connection");
	if (!(c = cf_accept(h, STREAM, BUF)))
		return;
	cf_observe(h, "REQUEST from port %u with buf_alloc %u; connected after our RESPONSE",
		   c->its_port, c->peer_buf_alloc);
	exchange(h, c, 1000);
}

static void c_app_connect_refused(struct cf_harness *h)
{
	struct cf_target *t = cf_target(h);
	uint32_t port = cf_port(h);
	const struct cf_pkt *p;
	struct cf_conn *c;
	int ah, e;

	cf_required(h, "an RST answering its REQUEST aborts the connection process: its "
		    "application's connect fails");
	if ((ah = ops(h)->app_connect(t, t->guest_cid, port, STREAM)) < 0) {
		cf_app_err(h, ah, "application connect");
		return;
	}
	if (!(p = cf_expect_op(h, -1, port, VSK_OP_REQUEST, cf_answer_ms(h)))) {
		cf_fail(h, "no_request", "no REQUEST after its application's connect");
		return;
	}
	cf_mark_seen(h);
	if (!(c = cf_conn_from_request(h, p, BUF)) || cf_conn_send(c, VSK_OP_RST, 0, NULL, 0))
		return;
	do {
		cf_pump(h, 0);
		e = ops(h)->app_connected(t, ah, 20);
	} while ((e == -ETIMEDOUT || e == -EAGAIN || e == -EINPROGRESS) && cf_left(h) > 0);
	if (e == 0)
		cf_fail(h, "connected_after_rst", "its application is connected although we "
			"answered RST");
	else if (e == -ECONNREFUSED || e == -ECONNRESET)
		cf_observe(h, "connect failed: %s", strerror(-e));
	else
		cf_app_err(h, e, "application connect result");
	cf_settle(h);
	if ((p = later(c, -1)) && p->hdr.op != VSK_OP_RST)
		cf_fail(h, "pkt_after_rst", "%s after our RST refused the connection",
			opname(p->hdr.op));
}

static void c_request_type_mismatch(struct cf_harness *h)
{
	struct cf_target *t = cf_target(h);
	uint32_t port = free_port(h);
	struct cf_conn *c;
	int lh, a;

	cf_required(h, "a stream REQUEST to a port with only a seqpacket listener is refused "
		    "with RST");
	if (!cf_has_seqpacket(h) || !cf_has_stream(h)) {
		cf_na(h, "needs both stream and seqpacket negotiated");
		return;
	}
	if ((lh = ops(h)->app_listen(t, port, SEQPACKET)) < 0) {
		cf_app_err(h, lh, "application listen (seqpacket)");
		return;
	}
	if (!(c = lone(h, STREAM, port, VSK_OP_REQUEST)))
		return;
	expect_rst(h, c, "type_mismatch_accepted", "stream REQUEST to a seqpacket listener");
	cf_settle(h);
	if ((a = ops(h)->app_accept(t, lh, 0)) >= 0)
		cf_fail(h, "type_mismatch_accepted", "its seqpacket listener accepted a stream "
			"connection");
}

static void c_src_cid_spoofed(struct cf_harness *h)
{
	struct cf_target *t = cf_target(h);
	uint32_t port = free_port(h);
	struct vsk_virtio_hdr hd = {0};
	const struct cf_pkt *p;
	int lh, a;

	cf_required(h, "packets must carry the guest's CID as src_cid: a REQUEST from another "
		    "CID does not reach its application and is not answered by RESPONSE");
	if (cf_packet_level(h))
		return (void)cf_na(h, "the device filters the driver's source CID; a guest driver "
				   "trusts the src_cid its device gives");
	if ((lh = ops(h)->app_listen(t, port, STREAM)) < 0) {
		cf_app_err(h, lh, "application listen");
		return;
	}
	hd.src_cid = t->guest_cid + 100;
	hd.dst_cid = t->host_cid;
	hd.src_port = cf_port(h);
	hd.dst_port = port;
	hd.type = STREAM;
	hd.op = VSK_OP_REQUEST;
	hd.buf_alloc = BUF;
	if (cf_send_raw(h, &hd, NULL, 0) || cf_settle(h) < 0)
		return;
	if ((p = cf_expect_op(h, port, hd.src_port, -1, 0))) {
		if (p->hdr.op == VSK_OP_RESPONSE) {
			cf_fail(h, "spoofed_cid_accepted", "RESPONSE to a REQUEST from CID %" PRIu64
				", which is not the guest's", hd.src_cid);
			return;
		}
		cf_observe(h, "answered by %s", opname(p->hdr.op));
	} else {
		cf_observe(h, "dropped");
	}
	if ((a = ops(h)->app_accept(t, lh, 0)) >= 0)
		cf_fail(h, "spoofed_cid_accepted", "its application accepted a connection from "
			"CID %" PRIu64, hd.src_cid);
}

/* ---- credit ---- */

/* After the device went quiet: the bytes it sent that we have not consumed must fit in
 * our buf_alloc. */
static bool credit_ok(struct cf_harness *h, struct cf_conn *c, const char *when,
		      uint64_t floor)
{
	uint64_t unacked = c->rx_bytes - c->consumed;

	/* floor: bytes received before we shrank our buffer below them (not its fault) */
	if (unacked > c->buf_alloc && c->rx_bytes > floor) {
		cf_fail(h, "rw_over_credit", "%s: %" PRIu64 " bytes received beyond what we "
			"consumed, our buf_alloc is %u", when, unacked, c->buf_alloc);
		return false;
	}
	return true;
}

/* Its application sends total bytes while we consume step bytes per round, checking our
 * credit at each quiet point.  True if all arrived intact. */
static bool drain_checked(struct cf_harness *h, struct cf_conn *c, const uint8_t *src,
			  size_t total, size_t *sent, size_t step, uint64_t floor)
{
	while (c->rx_bytes < total) {
		if (*sent < total)
			*sent += app_push(h, c->app, src + *sent, total - *sent);
		if (cf_settle(h) < 0 || !credit_ok(h, c, "during the transfer", floor))
			return false;
		if (c->rst_rcvd) {
			cf_fail(h, "data", "RST from the device during the transfer");
			return false;
		}
		if (c->rx_bytes > c->consumed) {
			size_t n = c->rx_bytes - c->consumed;

			if (cf_conn_consume(c, n < step ? n : step))
				return false;
		} else if (*sent >= total && cf_left(h) == 0) {
			break;
		}
	}
	if (c->rxlen < total || memcmp(c->rx, src, total)) {
		cf_fail(h, "data", "%zu of %zu bytes arrived%s", c->rxlen < total ? c->rxlen :
			total, total, c->rxlen < total ? "" : ", with different content");
		return false;
	}
	return true;
}

static void c_credit_never_exceeded(struct cf_harness *h)
{
	enum { N = 65536, WIN = 4096 };
	static uint8_t src[N];
	struct cf_conn *c;
	size_t sent = 0;

	cf_required(h, "RW only when the peer has free space for the payload: with our "
		    "buf_alloc %u, never more than %u bytes unconsumed", WIN, WIN);
	if (!(c = cf_connect(h, STREAM, WIN)))
		return;
	c->autoconsume = false;
	cf_pattern(src, N, 0, 3);
	if (drain_checked(h, c, src, N, &sent, WIN, 0))
		cf_observe(h, "%d bytes arrived in %u-byte windows, never beyond our credit", N, WIN);
}

static void c_credit_update_after_read(struct cf_harness *h)
{
	struct cf_conn *c;
	static uint8_t buf[BUF];
	uint32_t fwd0;
	size_t n, got = 0;
	int64_t fr, low;

	cf_required(h, "after its application reads, it tells us the new fwd_cnt (CREDIT_UPDATE) "
		    "when our view of its free space is low, so the transfer does not stall");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	fwd0 = c->peer_fwd_cnt;
	fr = cf_conn_peer_free(c);
	if (fr <= 16384) {
		cf_fail(h, "credit_fields", "its RESPONSE leaves only %" PRId64 " bytes of credit",
			fr);
		return;
	}
	/* Fill its buffer until our view of its space is within 8 KiB (low).  A device that
	 * passes bytes on before its application reads them (vsockdev: to a UNIX socket)
	 * advertises some on the way: fill again, up to FILL_MAX in all. */
	n = 0;
	while ((fr = cf_conn_peer_free(c)) > 8192 && n < FILL_MAX) {
		size_t k = (size_t)fr - 8192 < sizeof(buf) ? (size_t)fr - 8192 : sizeof(buf);

		cf_pattern(buf, k, n, 4);
		if (cf_conn_write(c, buf, k, CHUNK, false, false) || cf_settle(h) < 0)
			return;
		n += k;
	}
	for (size_t k; got < n; got += k) {
		k = n - got < sizeof(buf) ? n - got : sizeof(buf);
		if ((size_t)cf_app_read(h, c->app, buf, k, cf_left(h)) != k)
			break;
	}
	if (got != n) {
		cf_fail(h, "data", "its application read %zu of %zu bytes", got, n);
		return;
	}
	cf_settle(h);
	if (c->rst_rcvd)
		return (void)cf_fail(h, "data", "RST after its application read");
	/* Low is below one full packet (or half its buffer, if that is smaller): it need
	 * not advertise every byte it read, only enough to go on.  This sender takes all
	 * the credit it is given (as Linux did before the fix of CVE-2026-23086);
	 * credit_capped_sender is the one that caps itself at its own buffer. */
	low = c->peer_buf_alloc / 2 < VSK_MAX_PKT_BUF_SIZE ? c->peer_buf_alloc / 2 :
							       VSK_MAX_PKT_BUF_SIZE;
	if (cf_conn_peer_free(c) < low) {
		cf_fail(h, "no_credit_update", "its application read %zu bytes, but the last "
			"fwd_cnt it sent is %u (%u consumed): our view of its free space stays "
			"%" PRId64 " bytes, below %" PRId64, n, c->peer_fwd_cnt,
			c->peer_fwd_cnt - fwd0, cf_conn_peer_free(c), low);
		return;
	}
	cf_observe(h, "fwd_cnt %u advertised after its application read %zu bytes: our view "
		   "of its free space is %" PRId64 " bytes", c->peer_fwd_cnt, n,
		   cf_conn_peer_free(c));
}

/* Its packet p tells us fwd_cnt that leaves the capped sender (arg: the conn) room to send. */
static bool frees_our_cap(const struct cf_pkt *p, const void *arg)
{
	const struct cf_conn *c = arg;

	return p->hdr.src_port == c->its_port && p->hdr.dst_port == c->our_port &&
	       (p->hdr.op == VSK_OP_RST || c->tx_cnt - p->hdr.fwd_cnt < c->buf_alloc);
}

/* We send as Linux does since the fix of CVE-2026-23086: never more in flight than our own
 * buf_alloc (CAP), here below the device's.  Its application reads everything we sent; a
 * device that waits until our view of its whole buffer runs low never tells us, and the
 * transfer stops at CAP bytes (vsockdev before 2026-12, libkrun#772). */
static void c_credit_capped_sender(struct cf_harness *h)
{
	enum { CAP = 64 << 10, TOTAL = 512 << 10 };
	static uint8_t src[TOTAL], rd[CAP];
	struct cf_conn *c;
	size_t sent = 0, got = 0;

	cf_required(h, "a receiver whose application read everything tells the sender in time: "
		    "a sender that never has more in flight than its own buf_alloc (%u bytes; "
		    "Linux since the fix of CVE-2026-23086) gets all %u bytes through",
		    CAP, TOTAL);
	if (!(c = cf_connect(h, STREAM, CAP)))
		return;
	cf_pattern(src, TOTAL, 0, 6);
	while (got < TOTAL) {
		int64_t fr = cf_conn_peer_free(c);
		uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
		size_t k = in_flight < CAP ? CAP - in_flight : 0;

		if (fr >= 0 && (int64_t)k > fr)
			k = (size_t)fr;
		if (k > TOTAL - sent)
			k = TOTAL - sent;
		if (k) {
			if (cf_conn_write(c, src + sent, k, CHUNK, false, false))
				return;
			sent += k;
		}
		/* its application reads all we sent */
		while (got < sent) {
			size_t n = sent - got < sizeof(rd) ? sent - got : sizeof(rd);

			if ((size_t)cf_app_read(h, c->app, rd, n, cf_left(h)) != n ||
			    memcmp(rd, src + got, n)) {
				cf_fail(h, "data", "its application read %zu of %zu bytes intact",
					got, sent);
				return;
			}
			got += n;
		}
		if (got == TOTAL)
			break;
		/* our own buffer is in flight: only its fwd_cnt lets us go on */
		if (c->tx_cnt - c->peer_fwd_cnt >= CAP) {
			if (!cf_expect(h, frees_our_cap, c, cf_answer_ms(h))) {
				cf_fail(h, "credit_stall", "its application read all %zu bytes we "
					"sent, but the last fwd_cnt it told us is %u: our own "
					"buf_alloc of %u bytes stays in flight and no CREDIT_UPDATE "
					"came within %d ms (its buf_alloc is %u)", got,
					c->peer_fwd_cnt, CAP, cf_answer_ms(h), c->peer_buf_alloc);
				return;
			}
		}
		if (c->rst_rcvd)
			return (void)cf_fail(h, "data", "RST from the device during the transfer");
	}
	/* (not how often we waited: that depends on timing, and the matrix compares this) */
	cf_observe(h, "%u bytes arrived with never more than %u in flight", TOTAL, CAP);
}

static void c_credit_request_answered(struct cf_harness *h)
{
	struct cf_conn *c;
	const struct cf_pkt *p;

	cf_required(h, "a CREDIT_REQUEST is answered by CREDIT_UPDATE");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if (cf_conn_send(c, VSK_OP_CREDIT_REQUEST, 0, NULL, 0))
		return;
	if (!(p = on(c, VSK_OP_CREDIT_UPDATE, cf_answer_ms(h)))) {
		cf_fail(h, "no_credit_reply", "no CREDIT_UPDATE within %d ms of our CREDIT_REQUEST",
			cf_answer_ms(h));
		return;
	}
	cf_observe(h, "CREDIT_UPDATE buf_alloc %u fwd_cnt %u", p->hdr.buf_alloc, p->hdr.fwd_cnt);
}

static void c_credit_buf_alloc_shrink(struct cf_harness *h)
{
	enum { FIRST = 200 << 10, MORE = 64 << 10, SMALL = 4096 };
	static uint8_t src[FIRST + MORE];
	struct cf_conn *c;
	size_t sent = 0;

	cf_required(h, "with buf_alloc shrunk below the bytes in flight, the peer has no free "
		    "space: no RW until fwd_cnt catches up (u32 arithmetic must not wrap into "
		    "~4 GiB of credit: CVE-2026-23069)");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	c->autoconsume = false;
	cf_pattern(src, sizeof(src), 0, 5);
	/* 200 KiB in flight, nothing consumed; the device is quiet before we shrink. */
	while (c->rx_bytes < FIRST && cf_left(h) > 0) {
		if (sent < FIRST)
			sent += app_push(h, c->app, src + sent, FIRST - sent);
		if (cf_settle(h) < 0)
			return;
	}
	if (!credit_ok(h, c, "before the shrink", 0))
		return;
	if (c->rx_bytes < FIRST)
		return (void)cf_fail(h, "data", "only %" PRIu64 " of %d bytes arrived",
				     c->rx_bytes, FIRST);
	c->buf_alloc = SMALL;
	if (cf_conn_send(c, VSK_OP_CREDIT_UPDATE, 0, NULL, 0) || cf_settle(h) < 0)
		return;
	sent += app_push(h, c->app, src + sent, sizeof(src) - sent);
	if (cf_settle(h) < 0)
		return;
	if (c->rx_bytes > FIRST) {
		cf_fail(h, "rw_over_credit", "%" PRIu64 " bytes of RW after we shrank buf_alloc "
			"to %d with %d bytes in flight (free space 0)", c->rx_bytes - FIRST, SMALL,
			FIRST);
		return;
	}
	cf_observe(h, "no RW while in flight > buf_alloc");
	if (drain_checked(h, c, src, sizeof(src), &sent, FIRST, c->rx_bytes))
		cf_observe(h, "the rest arrived in %d-byte windows once we consumed", SMALL);
}

static void c_credit_huge_buf_alloc(struct cf_harness *h)
{
	enum { CAP = 4 << 20, APPBUF = 64 << 10 };
	static uint8_t src[65536];
	struct cf_conn *c;
	size_t sent = 0, r;
	int stuck = 0;

	cf_required(h, "with a huge buf_alloc from a peer that never reads, the bytes it has in "
		    "flight stay bounded by its own buffer (CVE-2026-23086)");
	if (!(c = cf_connect_ex(h, STREAM, 0x40000000u, 0, APPBUF)))
		return;
	c->autoconsume = false;
	c->answer_credit_request = false;
	cf_pattern(src, sizeof(src), 0, 6);
	while (sent < CAP && stuck < 3 && cf_left(h) > 0) {
		r = app_push(h, c->app, src, sizeof(src));
		sent += r;
		if (cf_settle(h) < 0)
			return;
		stuck = r ? 0 : stuck + 1;
	}
	cf_observe(h, "its application queued %zu bytes; %" PRIu64 " arrived unacknowledged; "
		   "its buf_alloc %u", sent, c->rx_bytes, c->peer_buf_alloc);
	if (c->rx_bytes > c->peer_buf_alloc)
		cf_fail(h, "in_flight_over_own", "%" PRIu64 " bytes in flight, more than its own "
			"buf_alloc %u", c->rx_bytes, c->peer_buf_alloc);
	else if (sent >= CAP)
		cf_fail(h, "in_flight_over_own", "its application queued %zu bytes for a peer "
			"that reads nothing", sent);
}

static void c_credit_buf_alloc_zero(struct cf_harness *h)
{
	enum { N = 16384 };
	static uint8_t src[N];
	struct cf_conn *c;
	size_t sent;

	cf_required(h, "with our buf_alloc 0 there is no free space: no RW until we advertise "
		    "buffer space");
	if (!(c = cf_connect(h, STREAM, 0)))
		return;
	cf_pattern(src, N, 0, 7);
	sent = app_push(h, c->app, src, N);
	if (cf_settle(h) < 0)
		return;
	if (c->rx_bytes) {
		cf_fail(h, "rw_over_credit", "%" PRIu64 " bytes of RW with our buf_alloc 0",
			c->rx_bytes);
		return;
	}
	cf_observe(h, "no RW with buf_alloc 0 (its application queued %zu bytes)", sent);
	c->buf_alloc = 65536;
	if (cf_conn_send(c, VSK_OP_CREDIT_UPDATE, 0, NULL, 0))
		return;
	while (c->rx_bytes < N && cf_left(h) > 0) {
		if (sent < N)
			sent += app_push(h, c->app, src + sent, N - sent);
		if (cf_pump(h, 10) < 0)
			return;
	}
	if (c->rxlen < N || memcmp(c->rx, src, N))
		cf_fail(h, "data", "%zu of %d bytes arrived after we advertised 64 KiB", c->rxlen, N);
	else
		cf_observe(h, "all arrived after our CREDIT_UPDATE");
}

static void c_credit_fwd_cnt_wrap(struct cf_harness *h)
{
	enum { N = 256 << 10, BEFORE = 32 << 10 };
	struct cf_conn *c;

	cf_required(h, "free space is buf_alloc - (tx_cnt - fwd_cnt) in u32 arithmetic: our "
		    "fwd_cnt starts %d bytes below 2^32 and wraps through 0 during the transfer; "
		    "no RW beyond the credit, no stall", BEFORE);
	/* buf_alloc + BEFORE: per the formula the device starts with 64 KiB of credit. */
	if (!(c = cf_connect_ex(h, STREAM, (64 << 10) + BEFORE, (uint32_t)-BEFORE, 0)))
		return;
	if (from_app(h, c, N, 8))
		cf_observe(h, "%d bytes arrived; our fwd_cnt went from %u to %u", N,
			   (uint32_t)-BEFORE, c->fwd_cnt);
}

static void c_credit_peer_exceeded(struct cf_harness *h)
{
	enum { APPBUF = 16384 };
	static uint8_t src[APPBUF * 3], dst[APPBUF * 3];
	struct cf_conn *c;
	size_t n, got = 0;
	ssize_t r = 0;

	cf_required(h, "the spec forbids the sender's RW beyond the peer's free space and does "
		    "not say what the receiver does: reported (drop, reset or accept); data it "
		    "delivers must be the data sent, in order");
	if (!(c = cf_connect_ex(h, STREAM, BUF, 0, APPBUF)))
		return;
	n = c->peer_buf_alloc + 8192u;
	if (n > sizeof(src))
		n = sizeof(src);
	cf_pattern(src, n, 0, 9);
	/* deliberately past its credit (the driver's violation, expected) */
	if (cf_conn_write(c, src, n, CHUNK, false, false) || cf_settle(h) < 0)
		return;
	while (got < n) {
		r = app_recv_one(h, c->app, dst + got, n - got, 200, NULL);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got && memcmp(src, dst, got)) {
		cf_fail(h, "data", "its application read bytes that differ from what we sent");
		return;
	}
	cf_observe(h, "we sent %zu bytes against its buf_alloc %u: %s; its application read "
		   "%zu bytes%s", n, c->peer_buf_alloc, c->rst_rcvd ? "it answered RST" :
		   got == n ? "it accepted them all" : "it dropped some silently", got,
		   r == -ECONNRESET ? ", then ECONNRESET" : "");
}

static void c_credit_fields_valid(struct cf_harness *h)
{
	enum { APPBUF = 65536, N = 10000 };
	static uint8_t buf[N];
	struct cf_conn *c;
	const struct cf_pkt *p;
	uint32_t fwd0, ba;

	cf_required(h, "every packet of a stream carries valid buf_alloc and fwd_cnt: buf_alloc "
		    "its socket buffer, fwd_cnt the bytes its application consumed");
	if (!(c = cf_connect_ex(h, STREAM, BUF, 0, APPBUF)))
		return;
	ba = c->peer_buf_alloc;
	fwd0 = c->peer_fwd_cnt;
	if (fwd0 != 0)
		cf_observe(h, "RESPONSE fwd_cnt %u (a new connection has consumed nothing)", fwd0);
	cf_pattern(buf, N, 0, 10);
	if (cf_conn_write(c, buf, N, CHUNK, false, false) || cf_settle(h) < 0)
		return;
	if (cf_app_read(h, c->app, buf, N, cf_left(h)) != N)
		return (void)cf_fail(h, "data", "its application did not read the %d bytes", N);
	if (ops(h)->app_send(cf_target(h), c->app, "x", 1, false) != 1)
		return (void)cf_fail(h, "app", "its application could not send 1 byte");
	if (!(p = on(c, VSK_OP_RW, cf_answer_ms(h))))
		return (void)cf_fail(h, "timeout", "no RW for its application's 1-byte send");
	if (p->hdr.fwd_cnt != fwd0 + N)
		cf_fail(h, "credit_fields", "RW after its application read %d bytes carries "
			"fwd_cnt %u, expected %u", N, p->hdr.fwd_cnt, fwd0 + N);
	if (p->hdr.buf_alloc != ba)
		cf_fail(h, "credit_fields", "buf_alloc changed from %u to %u without a reason",
			ba, p->hdr.buf_alloc);
	if (!cf_failed(h))
		cf_observe(h, "buf_alloc %u%s, fwd_cnt %u after its application read %d bytes", ba,
			   ba == APPBUF ? " (the buffer its listener was given)" : "",
			   p->hdr.fwd_cnt, N);
}

/* ---- shutdown ---- */

static void c_shutdown_send_eof(struct cf_harness *h)
{
	static uint8_t buf[1000], rd[1001];
	struct cf_conn *c;
	ssize_t r, got;

	cf_required(h, "SHUTDOWN with F_SEND means the peer sends no more: its application "
		    "reads the data before it, then EOF");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	cf_pattern(buf, sizeof(buf), 0, 11);
	if (cf_conn_write(c, buf, sizeof(buf), CHUNK, false, false) ||
	    cf_conn_send(c, VSK_OP_SHUTDOWN, SEND, NULL, 0))
		return;
	got = cf_app_read(h, c->app, rd, sizeof(buf), cf_left(h));
	if (got != (ssize_t)sizeof(buf) || memcmp(buf, rd, sizeof(buf)))
		return (void)cf_fail(h, "data", "its application read %zd of %zu bytes before "
				     "EOF", got, sizeof(buf));
	r = app_recv_one(h, c->app, rd, sizeof(rd), cf_answer_ms(h), NULL);
	if (r != 0)
		cf_fail(h, "no_eof", "after our SHUTDOWN SEND its application's read gives %s, "
			"not EOF", r > 0 ? "data" : strerror((int)-r));
	else
		cf_observe(h, "EOF after %zu bytes", sizeof(buf));
}

static void c_shutdown_rcv_send_fails(struct cf_harness *h)
{
	struct cf_conn *c;
	const struct cf_pkt *p;
	ssize_t r;

	cf_required(h, "SHUTDOWN with F_RECEIVE means the peer receives no more: no RW after "
		    "it; its application's send fails");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	cf_mark_seen(h);
	if (cf_conn_send(c, VSK_OP_SHUTDOWN, RCV, NULL, 0) || cf_settle(h) < 0)
		return;
	r = ops(h)->app_send(cf_target(h), c->app, "data", 4, false);
	if (cf_settle(h) < 0)
		return;
	if ((p = later(c, VSK_OP_RW)))
		return (void)cf_fail(h, "rw_after_peer_rcv", "RW of %u bytes after our SHUTDOWN "
				     "RCV", p->hdr.len);
	if (r >= 0)
		cf_fail(h, "send_after_peer_rcv", "its application's send of 4 bytes returned %zd "
			"after our SHUTDOWN RCV", r);
	else
		cf_observe(h, "its application's send: %s; no RW", strerror((int)-r));
}

static void c_shutdown_both_rst(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "SHUTDOWN with both bits (no more data either way) is answered by RST "
		    "(clean disconnect)");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if (cf_conn_send(c, VSK_OP_SHUTDOWN, RCV | SEND, NULL, 0))
		return;
	expect_rst(h, c, "no_rst_on_shutdown", "SHUTDOWN RCV|SEND");
}

static void c_shutdown_bits_permanent(struct cf_harness *h)
{
	char b[8];
	struct cf_conn *c;
	const struct cf_pkt *p;
	ssize_t r;

	cf_required(h, "shutdown hints are permanent once sent: a later SHUTDOWN with bits "
		    "clear does not reset them; SEND then RCV add up to a full shutdown");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if (cf_conn_send(c, VSK_OP_SHUTDOWN, SEND, NULL, 0))
		return;
	if ((r = app_recv_one(h, c->app, b, sizeof(b), cf_answer_ms(h), NULL)) != 0)
		return (void)cf_fail(h, "no_eof", "no EOF after SHUTDOWN SEND (%zd)", r);
	/* the driver's violation on purpose: flags 0 after SEND */
	if (cf_conn_send(c, VSK_OP_SHUTDOWN, 0, NULL, 0) || cf_settle(h) < 0)
		return;
	if ((r = app_recv_one(h, c->app, b, sizeof(b), 50, NULL)) != 0)
		return (void)cf_fail(h, "shutdown_not_permanent", "after SHUTDOWN flags 0 its "
				     "application's read gives %s instead of EOF",
				     r > 0 ? "data" : strerror((int)-r));
	if (cf_conn_send(c, VSK_OP_SHUTDOWN, RCV, NULL, 0))
		return;
	p = on(c, -1, cf_answer_ms(h));
	if (p && p->hdr.op == VSK_OP_RST) {
		cf_observe(h, "EOF kept after flags 0; SEND then RCV answered by RST");
		return;
	}
	/* No RST: tell "does not add up" from "never answers a full shutdown". */
	if (cf_conn_send(c, VSK_OP_SHUTDOWN, RCV | SEND, NULL, 0))
		return;
	p = on(c, VSK_OP_RST, cf_answer_ms(h));
	if (p)
		cf_fail(h, "shutdown_not_permanent", "SHUTDOWN SEND, then RCV, got no RST; "
			"SHUTDOWN RCV|SEND did: the bits did not add up");
	else
		cf_observe(h, "EOF kept after flags 0; no RST even for RCV|SEND (see "
			   "shutdown_both_rst)");
}

static void c_shutdown_close_timeout_rst(struct cf_harness *h)
{
	struct cf_conn *c;
	const struct cf_pkt *p;
	int e;

	cf_required(h, "after its SHUTDOWN RCV|SEND, if we send no RST, it sends RST itself "
		    "after an implementation-specific time (clean disconnect)");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	c->auto_rst = false;
	if ((e = ops(h)->app_close(cf_target(h), c->app)) < 0)
		return (void)cf_app_err(h, e, "application close");
	c->app = -1;
	while (c->shut_rcvd != (RCV | SEND) && !c->rst_rcvd && cf_left(h) > 0)
		if (cf_pump(h, 50) < 0)
			return;
	if (!c->rst_rcvd && c->shut_rcvd != (RCV | SEND))
		return (void)cf_fail(h, "close_no_shutdown", "its close sent no SHUTDOWN "
				     "RCV|SEND");
	if (!c->rst_rcvd && !(p = on(c, VSK_OP_RST, cf_left(h))))
		return (void)cf_fail(h, "no_close_timeout", "timeout: no RST by the end of "
				     "the case after its SHUTDOWN, while we sent none");
	cf_observe(h, "RST after its SHUTDOWN without ours");
}

static void c_shutdown_rw_after_our_send(struct cf_harness *h)
{
	static uint8_t buf[100], rd[256];
	struct cf_conn *c;
	ssize_t r;

	cf_required(h, "after our SHUTDOWN SEND its application has read EOF; an RW we send "
		    "anyway (against the spec) must not surface as data after that EOF");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	cf_pattern(buf, sizeof(buf), 0, 12);
	if (cf_conn_write(c, buf, sizeof(buf), CHUNK, false, false) ||
	    cf_conn_send(c, VSK_OP_SHUTDOWN, SEND, NULL, 0))
		return;
	if (cf_app_read(h, c->app, rd, sizeof(buf), cf_left(h)) != (ssize_t)sizeof(buf))
		return (void)cf_fail(h, "data", "its application did not read our 100 bytes");
	if ((r = app_recv_one(h, c->app, rd, sizeof(rd), cf_answer_ms(h), NULL)) != 0)
		return (void)cf_fail(h, "no_eof", "no EOF after SHUTDOWN SEND");
	if (cf_conn_write(c, buf, sizeof(buf), CHUNK, false, false) || cf_settle(h) < 0)
		return;
	r = app_recv_one(h, c->app, rd, sizeof(rd), 50, NULL);
	if (r > 0)
		cf_fail(h, "data_after_eof", "its application read %zd bytes after EOF", r);
	else
		cf_observe(h, "RW after SHUTDOWN SEND: %s; its application's read: %s",
			   c->rst_rcvd ? "answered by RST" : "ignored",
			   r == 0 ? "EOF" : strerror((int)-r));
}

static void c_shutdown_send_then_rw(struct cf_harness *h)
{
	static uint8_t buf[100];
	struct cf_conn *c;
	const struct cf_pkt *p;
	ssize_t r;
	int e;

	cf_required(h, "after its application's shutdown(SHUT_WR) it sends SHUTDOWN with F_SEND "
		    "and no RW after it; it still receives (half-close)");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	cf_mark_seen(h);
	if ((e = ops(h)->app_shutdown(cf_target(h), c->app, SHUT_WR)) < 0)
		return (void)cf_app_err(h, e, "application shutdown(SHUT_WR)");
	if (!(p = on(c, VSK_OP_SHUTDOWN, cf_answer_ms(h))) || !(p->hdr.flags & SEND))
		return (void)cf_fail(h, "no_shutdown_send", "no SHUTDOWN with F_SEND after its "
				     "shutdown(SHUT_WR)");
	r = ops(h)->app_send(cf_target(h), c->app, "late", 4, false);
	if (cf_settle(h) < 0)
		return;
	if ((p = later(c, VSK_OP_RW)))
		return (void)cf_fail(h, "rw_after_shutdown", "RW of %u bytes after its SHUTDOWN "
				     "SEND", p->hdr.len);
	if (r >= 0)
		cf_fail(h, "rw_after_shutdown", "its application's send after SHUT_WR returned %zd",
			r);
	cf_pattern(buf, sizeof(buf), 0, 13);
	if (!cf_failed(h) && to_app(h, c, sizeof(buf), 13))
		cf_observe(h, "SHUTDOWN flags %u; send after SHUT_WR: %s; still receives", SEND,
			   strerror((int)-r));
}

static void c_rst_mid_transfer(struct cf_harness *h)
{
	enum { WIN = 16384, N = 65536 };
	static uint8_t src[N];
	struct cf_conn *c;
	const struct cf_pkt *p;
	char b[16];
	ssize_t r;

	cf_required(h, "RST forcibly disconnects: nothing more on the connection from it, and "
		    "its application sees the reset");
	if (!(c = cf_connect(h, STREAM, WIN)))
		return;
	c->autoconsume = false;
	cf_pattern(src, N, 0, 14);
	app_push(h, c->app, src, N);
	if (cf_settle(h) < 0)
		return;
	if (!c->rx_bytes)
		return (void)cf_fail(h, "data", "no RW from its application's send");
	cf_mark_seen(h);
	if (cf_conn_send(c, VSK_OP_RST, 0, NULL, 0) || cf_settle(h) < 0)
		return;
	if ((p = later(c, -1)) && p->hdr.op != VSK_OP_RST)
		return (void)cf_fail(h, "pkt_after_rst", "%s after our RST", opname(p->hdr.op));
	r = ops(h)->app_send(cf_target(h), c->app, b, sizeof(b), false);
	if (r >= 0)
		r = app_recv_one(h, c->app, b, sizeof(b), cf_answer_ms(h), NULL);
	if (r >= 0)
		cf_fail(h, "app_not_reset", "its application still sends/receives after our RST");
	else
		cf_observe(h, "RST after %" PRIu64 " bytes; its application: %s", c->rx_bytes,
			   strerror((int)-r));
}

static void c_app_close_clean(struct cf_harness *h)
{
	enum { N = 1000 };
	static uint8_t src[N];
	struct cf_conn *c;
	const struct cf_pkt *p;
	int e;

	cf_required(h, "its application's close sends its data, then SHUTDOWN with both bits; "
		    "our RST ends the connection (clean disconnect)");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	cf_pattern(src, N, 0, 15);
	if (app_push(h, c->app, src, N) != N)
		return (void)cf_fail(h, "app", "its application could not send %d bytes", N);
	if ((e = ops(h)->app_close(cf_target(h), c->app)) < 0)
		return (void)cf_app_err(h, e, "application close");
	c->app = -1;
	while (c->shut_rcvd != (RCV | SEND) && !c->rst_rcvd && cf_left(h) > 0)
		if (cf_pump(h, 10) < 0)
			return;
	if (c->rst_rcvd && c->shut_rcvd != (RCV | SEND))
		cf_observe(h, "RST without SHUTDOWN first");
	else if (c->shut_rcvd != (RCV | SEND))
		return (void)cf_fail(h, "close_no_shutdown", "no SHUTDOWN RCV|SEND after its close");
	if (c->rxlen != N || memcmp(c->rx, src, N))
		return (void)cf_fail(h, "data", "%zu of %d bytes before its SHUTDOWN", c->rxlen, N);
	cf_mark_seen(h);    /* the RST goes out as the full SHUTDOWN is received */
	if (cf_settle(h) < 0)
		return;
	if ((p = later(c, -1)) && p->hdr.op != VSK_OP_RST)
		return (void)cf_fail(h, "pkt_after_rst", "%s after the RST", opname(p->hdr.op));
	cf_observe(h, "%d bytes, SHUTDOWN RCV|SEND, %s", N, c->rst_sent ? "our RST" : "its RST");
}

/* ---- types and ops ---- */

static void c_unknown_type_rst(struct cf_harness *h)
{
	struct cf_target *t = cf_target(h);
	uint32_t port = free_port(h);
	struct cf_conn *c;
	int lh;

	cf_required(h, "a packet with an unknown type is answered by RST");
	if ((lh = ops(h)->app_listen(t, port, STREAM)) < 0)
		return (void)cf_app_err(h, lh, "application listen");
	if ((c = lone(h, TYPE_BOGUS, port, VSK_OP_REQUEST)))
		expect_rst(h, c, "unknown_type_no_rst", "REQUEST of type 9");
	cf_settle(h);
	if (ops(h)->app_accept(t, lh, 0) >= 0)
		cf_fail(h, "unknown_type_accepted", "its application accepted a type-9 connection");
}

static void c_dgram_type_rst(struct cf_harness *h)
{
	struct cf_target *t = cf_target(h);
	uint32_t port = free_port(h);
	struct cf_conn *c;
	int lh;

	cf_required(h, "type 3 (DGRAM, proposed, not in the spec) is an unknown type: "
		    "answered by RST");
	if ((lh = ops(h)->app_listen(t, port, STREAM)) < 0)
		return (void)cf_app_err(h, lh, "application listen");
	if ((c = lone(h, VSK_TYPE_DGRAM, port, VSK_OP_REQUEST)))
		expect_rst(h, c, "unknown_type_no_rst", "REQUEST of type 3 (DGRAM)");
}

static void c_unknown_op_rst(struct cf_harness *h)
{
	struct cf_target *t = cf_target(h);
	uint32_t port = free_port(h);
	struct cf_conn *c;
	int lh;

	cf_required(h, "the spec defines ops 0-7 only; a packet with another op that belongs "
		    "to no connection (here: to a listener) is refused with RST, as a REQUEST "
		    "would be without a listener");
	if ((lh = ops(h)->app_listen(t, port, STREAM)) < 0)
		return (void)cf_app_err(h, lh, "application listen");
	if ((c = lone(h, STREAM, port, OP_BOGUS)))
		expect_rst(h, c, "unknown_op_no_rst", "op 42 to a listener");
}

static void c_unknown_op_established(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "the spec defines no answer to an unknown op on a connection: reported; "
		    "either RST (and its application sees the reset) or ignored (and the "
		    "connection still works)");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if (cf_conn_send(c, OP_BOGUS, 0, NULL, 0) || cf_settle(h) < 0)
		return;
	if (c->rst_rcvd) {
		cf_observe(h, "op 42 answered by RST");
		app_sees_reset(h, c->app, "rst_but_app_connected");
		return;
	}
	cf_observe(h, "op 42 ignored");
	if (exchange(h, c, 1000))
		cf_observe(h, "the connection still carries data");
}

static void c_rw_zero_length(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "an RW with len 0 carries no data: its application sees neither EOF nor "
		    "a reset, the stream goes on");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if (cf_conn_send(c, VSK_OP_RW, 0, NULL, 0) || cf_settle(h) < 0)
		return;
	if (c->rst_rcvd)
		cf_observe(h, "answered by RST");
	if (to_app(h, c, 10, 16))
		cf_observe(h, "the next 10 bytes read normally");
}

/* Seqpacket messages both ways with EOM (and EOR where eor[i]). */
static void seq_run(struct cf_harness *h, bool with_eor)
{
	static const size_t len_to[] = {1, 100, 4096, 70000, 5};
	static const size_t len_from[] = {1, 300, 9000, 40000};
	static const bool eor_to[] = {false, true, false, true, true};
	static const bool eor_from[] = {true, false, true, true};
	static uint8_t src[70000], dst[70001];
	struct cf_conn *c;
	size_t off = 0;

	if (!(c = cf_connect(h, SEQPACKET, BUF)))
		return;
	for (size_t i = 0; i < sizeof(len_to) / sizeof(len_to[0]); i++) {
		bool eor = false;
		ssize_t r;

		cf_pattern(src, len_to[i], 0, 20 + (unsigned)i);
		if (cf_conn_write(c, src, len_to[i], CHUNK, true, with_eor && eor_to[i]))
			return;
		/* eor only when records are checked: a target without them is n/a there */
		r = app_recv_one(h, c->app, dst, sizeof(dst), cf_answer_ms(h),
				 with_eor ? &eor : NULL);
		if (r == -ETIMEDOUT || r == -EAGAIN)
			return (void)cf_fail(h, "eom", "message %zu of %zu bytes (EOM on its last "
					     "RW) never reached its application", i, len_to[i]);
		if (r < 0)
			return (void)cf_app_err(h, (int)r, "application recv");
		if ((size_t)r != len_to[i] || memcmp(src, dst, len_to[i]))
			return (void)cf_fail(h, "eom", "message %zu of %zu bytes read as %zd bytes",
					     i, len_to[i], r);
		if (with_eor && eor != eor_to[i])
			return (void)cf_fail(h, "eor", "message %zu: EOR %s, its application's "
					     "recv says %s", i, eor_to[i] ? "set" : "clear",
					     eor ? "record end" : "no record end");
	}
	for (size_t i = 0; i < sizeof(len_from) / sizeof(len_from[0]); i++) {
		unsigned eom0 = c->eom, eor0 = c->eor;
		ssize_t r;

		cf_pattern(src, len_from[i], 0, 30 + (unsigned)i);
		r = ops(h)->app_send(cf_target(h), c->app, src, len_from[i],
				     with_eor && eor_from[i]);
		if (r != (ssize_t)len_from[i])
			return (void)cf_fail(h, "app", "its application's send of a %zu-byte "
					     "message returned %zd", len_from[i], r);
		while (c->rxlen < off + len_from[i] && !c->rst_rcvd && cf_left(h) > 0)
			if (cf_pump(h, 10) < 0)
				return;
		if (cf_settle(h) < 0)
			return;
		if (c->eom != eom0 + 1 || c->nmsg == 0 || c->msg_end[c->nmsg - 1] != off +
		    len_from[i])
			return (void)cf_fail(h, "eom", "message %zu of %zu bytes: %u EOM seen, "
					     "boundary at %zu", i, len_from[i], c->eom - eom0,
					     c->nmsg ? c->msg_end[c->nmsg - 1] - off : 0);
		if (memcmp(c->rx + off, src, len_from[i]))
			return (void)cf_fail(h, "data", "message %zu differs", i);
		if (with_eor && (c->eor != eor0 + (eor_from[i] ? 1 : 0)))
			return (void)cf_fail(h, "eor", "message %zu sent %s MSG_EOR: %u RW with EOR",
					     i, eor_from[i] ? "with" : "without", c->eor - eor0);
		off += len_from[i];
	}
	cf_observe(h, "5 messages to its application and 4 from it kept their boundaries%s",
		   with_eor ? " and record ends" : "");
}

static void c_seqpacket_boundaries(struct cf_harness *h)
{
	cf_required(h, "the last RW of each message has EOM, and each message arrives whole "
		    "and alone (one recv per message), both ways");
	seq_run(h, false);
}

static void c_seqpacket_eor(struct cf_harness *h)
{
	cf_required(h, "the last RW of each record (message sent with MSG_EOR) has EOR, and the "
		    "receiver gets MSG_EOR on exactly that message, both ways");
	seq_run(h, true);
}

/* ---- transport ---- */

static void c_transport_reset(struct cf_harness *h)
{
	struct cf_target *t = cf_target(h);
	const uint32_t *ids;
	struct cf_conn *c, *c2;
	const struct cf_pkt *p;
	int e, a;

	cf_required(h, "TRANSPORT_RESET arrives on the event queue; its connections are closed; "
		    "its listeners remain and accept new connections");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if ((e = ops(h)->transport_reset(t)) < 0)
		return (void)cf_app_err(h, e, "transport reset");
	while (cf_events(h, &ids) == 0 && cf_left(h) > 0)
		if (cf_pump(h, 10) < 0)
			return;
	if (cf_events(h, &ids) != 1 || ids[0] != VSK_EVENT_TRANSPORT_RESET)
		return (void)cf_fail(h, "transport_reset_event", "no TRANSPORT_RESET event");
	if (!app_sees_reset(h, c->app, "reset_keeps_conns"))
		return;
	if (!(c2 = cf_conn_new(h, STREAM, c->its_port, BUF)) ||
	    cf_conn_send(c2, VSK_OP_REQUEST, 0, NULL, 0))
		return;
	if (!(p = on(c2, -1, cf_answer_ms(h))) || p->hdr.op != VSK_OP_RESPONSE)
		return (void)cf_fail(h, "reset_drops_listener", "after TRANSPORT_RESET a REQUEST "
				     "to its listener got %s", p ? opname(p->hdr.op) : "no answer");
	a = ops(h)->app_accept(t, c->app_listener, cf_answer_ms(h));
	if (a < 0)
		return (void)cf_fail(h, "reset_drops_listener", "its listener accepted nothing "
				     "after TRANSPORT_RESET");
	c2->app = a;
	if (exchange(h, c2, 1000))
		cf_observe(h, "event id 0; old connection reset; listener accepted a new one");
}

/* ---- descriptor layouts ---- */

static void c_layout(struct cf_harness *h)
{
	struct cf_conn *c;

	cf_required(h, "the device handles any descriptor layout the driver chooses (only "
		    "device-writable after device-readable is fixed): 100 KiB each way arrive "
		    "intact");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if (exchange(h, c, 100 << 10))
		cf_observe(h, "100 KiB each way");
}

static void c_rx_small_buffers(struct cf_harness *h)
{
	struct cf_conn *c;
	const struct cf_pkt *const *pk;
	size_t n, big = 0;

	cf_required(h, "with rx buffers of 128 payload bytes, the device splits its data into "
		    "RW packets that fit; 20 KiB arrive intact");
	if (!(c = cf_connect(h, STREAM, BUF)))
		return;
	if (!from_app(h, c, 20 << 10, 17))
		return;
	n = cf_trace(h, &pk);
	for (size_t i = 0; i < n; i++)
		if (!pk[i]->from_us && pk[i]->hdr.len > 128)
			big++;
	if (big)
		cf_fail(h, "rx_small_buffers", "%zu packets longer than the 128-byte buffers", big);
	else
		cf_observe(h, "20 KiB in packets of at most 128 bytes");
}

/* ---- the table ---- */

#define C(id, name, group, clause, fn) {id, name, group, clause, fn, 0, NULL, NULL, 0}

const struct cf_case cf_cases[] = {
	C(1, "request_listener", "handshake", CL_STREAM, c_request_listener),
	C(2, "request_no_listener", "handshake", CL_STREAM, c_request_no_listener),
	C(3, "duplicate_request", "handshake", CL_ADDR, c_duplicate_request),
	C(4, "response_to_nobody", "handshake", CL_STREAM, c_response_to_nobody),
	C(5, "app_connect", "handshake", CL_STREAM, c_app_connect),
	C(6, "app_connect_refused", "handshake", CL_STREAM, c_app_connect_refused),
	C(7, "request_type_mismatch", "handshake", CL_STREAM, c_request_type_mismatch),
	C(8, "src_cid_spoofed", "handshake", CL_RXTX, c_src_cid_spoofed),
	C(9, "credit_never_exceeded", "credit", CL_CREDIT, c_credit_never_exceeded),
	C(10, "credit_update_after_read", "credit", CL_CREDIT, c_credit_update_after_read),
	C(11, "credit_request_answered", "credit", CL_CREDIT, c_credit_request_answered),
	C(12, "credit_buf_alloc_shrink", "credit", CL_CREDIT, c_credit_buf_alloc_shrink),
	C(13, "credit_huge_buf_alloc", "credit", CL_CREDIT, c_credit_huge_buf_alloc),
	C(14, "credit_buf_alloc_zero", "credit", CL_CREDIT, c_credit_buf_alloc_zero),
	C(15, "credit_fwd_cnt_wrap", "credit", CL_CREDIT, c_credit_fwd_cnt_wrap),
	C(16, "credit_peer_exceeded", "credit", CL_CREDIT, c_credit_peer_exceeded),
	C(17, "credit_fields_valid", "credit", CL_CREDIT, c_credit_fields_valid),
	C(18, "shutdown_send_eof", "shutdown", CL_STREAM, c_shutdown_send_eof),
	C(19, "shutdown_rcv_send_fails", "shutdown", CL_STREAM, c_shutdown_rcv_send_fails),
	C(20, "shutdown_both_rst", "shutdown", CL_STREAM, c_shutdown_both_rst),
	C(21, "shutdown_bits_permanent", "shutdown", CL_STREAM, c_shutdown_bits_permanent),
	{22, "shutdown_close_timeout_rst", "shutdown", CL_STREAM, c_shutdown_close_timeout_rst,
	 15000, NULL, NULL, 0},
	C(23, "shutdown_rw_after_our_send", "shutdown", CL_STREAM, c_shutdown_rw_after_our_send),
	C(24, "shutdown_send_then_rw", "shutdown", CL_STREAM, c_shutdown_send_then_rw),
	C(25, "rst_mid_transfer", "shutdown", CL_STREAM, c_rst_mid_transfer),
	C(26, "app_close_clean", "shutdown", CL_STREAM, c_app_close_clean),
	C(27, "unknown_type_rst", "types", CL_RXTX, c_unknown_type_rst),
	C(28, "dgram_type_rst", "types", CL_RXTX, c_dgram_type_rst),
	C(29, "unknown_op_rst", "types", CL_OP, c_unknown_op_rst),
	C(30, "unknown_op_established", "types", CL_OP, c_unknown_op_established),
	C(31, "rw_zero_length", "types", CL_CREDIT, c_rw_zero_length),
	C(32, "seqpacket_boundaries", "types", CL_SEQ, c_seqpacket_boundaries),
	C(33, "seqpacket_eor", "types", CL_SEQ, c_seqpacket_eor),
	C(34, "transport_reset", "transport", CL_EVENTS, c_transport_reset),
	{35, "rx_layout_one", "layout", CL_LAYOUT, c_layout, 0, "one", NULL, 0},
	{36, "rx_layout_split", "layout", CL_LAYOUT, c_layout, 0, "split", NULL, 0},
	{37, "rx_layout_spread", "layout", CL_LAYOUT, c_layout, 0, "spread:4", NULL, 0},
	{38, "rx_layout_indirect", "layout", CL_LAYOUT, c_layout, 0, "spread:3,indirect", NULL, 0},
	{39, "rx_small_buffers", "layout", CL_LAYOUT, c_rx_small_buffers, 0, NULL, NULL, 128},
	{40, "tx_layout_one", "layout", CL_LAYOUT, c_layout, 0, NULL, "one", 0},
	{41, "tx_layout_split", "layout", CL_LAYOUT, c_layout, 0, NULL, "split", 0},
	{42, "tx_layout_spread", "layout", CL_LAYOUT, c_layout, 0, NULL, "spread:4", 0},
	{43, "tx_layout_indirect", "layout", CL_LAYOUT, c_layout, 0, NULL, "spread:3,indirect", 0},
	C(44, "credit_capped_sender", "credit", CL_CREDIT, c_credit_capped_sender),
};
const size_t cf_ncases = sizeof(cf_cases) / sizeof(cf_cases[0]);
