/* test-device.c - the reference device model (conformance/device.c) driven through real
 * split virtqueues (lib vring, driver role): handshake, data both ways in several buffer
 * layouts, credit, shutdown, close timeout, seqpacket boundaries, bad input, transport
 * reset, and every mutation (mutations.def) changing what the device does. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "../../conformance/device.h"
#include "vsk/encode.h"
#include "vsk/error.h"
#include "vsk/proto.h"
#include "vsk/vring.h"

#define GPA      0x10000ULL
#define MEMSZ    (16u << 20)
#define NUM      256                 /* queue size */
#define NRX      64                  /* rx buffers kept in the queue */
#define RXBASE   (1u << 20)          /* rx slot i at RXBASE + i * 8192 */
#define TXBASE   (2u << 20)          /* tx slot i at TXBASE + i * 0x11000 */
#define TXSLOT   0x11000u
#define INDBASE  (12u << 20)         /* indirect tables, per queue 1 MiB */
#define GUEST    3
#define HOST     2

enum layout { L_ONE, L_SPLIT, L_SPREAD3, L_IND_SPLIT, L__N };
static const char *const lname[L__N] = {"one", "split", "spread:3", "split,indirect"};

struct pkt {
	struct vsk_virtio_hdr h;
	uint8_t data[4096];
	uint32_t dlen;
};

struct w {
	uint8_t *mem;
	struct vsk_mem_flat flat;
	struct cf_dev *d;
	struct vsk_vq_drv q[3];
	enum layout rxl;
	unsigned txn;            /* packets sent (tx layout rotates) */
	struct vsk_vq_seg rxseg[NRX][4];
	unsigned rxnseg[NRX];
	struct pkt log[512];
	unsigned nlog;
	unsigned seen[512];
	uint32_t events[16];
	unsigned nevents;
	uint64_t mutations;
};

static unsigned mut_differs[CF_MUT__COUNT];
/* payload bytes of each rx buffer (after the header): at most 4096, the slots' room */
static uint32_t rx_payload = 4096;

static uint8_t *H(struct w *w, uint64_t gpa) { return w->mem + (gpa - GPA); }

/* Splits [addr, addr+len) into the layout's segments. */
static unsigned layout_segs(enum layout l, uint64_t addr, uint32_t len, bool write,
			    struct vsk_vq_seg *s)
{
	if (l == L_ONE || len < 3 * 45) {
		s[0] = (struct vsk_vq_seg){addr, len, write};
		return 1;
	}
	if (l == L_SPLIT || l == L_IND_SPLIT) {
		s[0] = (struct vsk_vq_seg){addr, VSK_VIRTIO_HDR_LEN, write};
		s[1] = (struct vsk_vq_seg){addr + VSK_VIRTIO_HDR_LEN, len - VSK_VIRTIO_HDR_LEN,
					   write};
		return 2;
	}
	uint32_t a = len / 3, b = len / 3;  /* spread: header cut in the middle */
	s[0] = (struct vsk_vq_seg){addr, a, write};
	s[1] = (struct vsk_vq_seg){addr + a, b, write};
	s[2] = (struct vsk_vq_seg){addr + a + b, len - a - b, write};
	return 3;
}

static void rx_add(struct w *w, unsigned slot)
{
	uint64_t addr = GPA + RXBASE + slot * 8192ULL;

	w->rxnseg[slot] = layout_segs(w->rxl, addr, VSK_VIRTIO_HDR_LEN + rx_payload, true,
				      w->rxseg[slot]);
	if (vsk_vq_drv_add(&w->q[VSK_VQ_RX], w->rxseg[slot], w->rxnseg[slot],
			   w->rxl == L_IND_SPLIT, (void *)(uintptr_t)(slot + 1)) != 0)
		abort();
}

static void ev_add(struct w *w, unsigned slot)
{
	struct vsk_vq_seg s = {GPA + RXBASE + (NRX + slot) * 8192ULL, 4, true};

	if (vsk_vq_drv_add(&w->q[VSK_VQ_EVENT], &s, 1, false, (void *)(uintptr_t)(slot + 1)))
		abort();
}

static void w_open_n(struct w *w, uint64_t mutations, enum layout rxl, unsigned nrx)
{
	struct cf_dev_config cfg = {.guest_cid = GUEST, .host_cid = HOST, .mutations = mutations};

	memset(w, 0, offsetof(struct w, log));
	w->nlog = 0;
	w->nevents = 0;
	w->mutations = mutations;
	memset(w->seen, 0, sizeof(w->seen));
	w->mem = aligned_alloc(4096, MEMSZ);
	if (!w->mem)
		abort();
	memset(w->mem, 0, RXBASE);
	vsk_mem_flat_init(&w->flat, w->mem, GPA, MEMSZ);
	w->rxl = rxl;
	w->d = cf_dev_new(&cfg, &w->flat.mem);
	uint64_t feat = cf_dev_features(w->d);
	if (cf_dev_set_features(w->d, feat) != 0)
		abort();
	for (unsigned q = 0; q < 3; q++) {
		struct vsk_vq_addr a;

		a.num = NUM;
		a.desc = GPA + q * 0x4000ULL;
		a.avail = a.desc + vsk_vq_desc_size(NUM);
		a.used = (a.avail + vsk_vq_avail_size(NUM) + 3) & ~3ULL;
		if (vsk_vq_drv_init(&w->q[q], &w->flat.mem, &a, GPA + INDBASE + q * 0x100000ULL,
				    feat) != 0 || cf_dev_set_vring(w->d, q, &a) != 0)
			abort();
	}
	for (unsigned i = 0; i < nrx; i++)
		rx_add(w, i);
	for (unsigned i = 0; i < 4; i++)
		ev_add(w, i);
	if (cf_dev_start(w->d) != 0)
		abort();
}

static void w_open(struct w *w, uint64_t mutations, enum layout rxl)
{
	w_open_n(w, mutations, rxl, NRX);
}

static void w_close(struct w *w)
{
	for (unsigned q = 0; q < 3; q++)
		vsk_vq_drv_fini(&w->q[q]);
	cf_dev_free(w->d);
	free(w->mem);
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return le64toh(v);
}

/* Runs the device and reaps every queue (rx packets into the log, refilling rx). */
static void pump(struct w *w)
{
	void *tok;
	uint32_t len;

	cf_dev_run(w->d);
	while (vsk_vq_drv_get(&w->q[VSK_VQ_TX], &tok, &len) == 1)
		;
	while (vsk_vq_drv_get(&w->q[VSK_VQ_RX], &tok, &len) == 1) {
		unsigned slot = (unsigned)(uintptr_t)tok - 1;
		uint8_t buf[VSK_VIRTIO_HDR_LEN + 4096];
		size_t got = 0;

		for (unsigned s = 0; s < w->rxnseg[slot]; s++) {
			memcpy(buf + got, H(w, w->rxseg[slot][s].addr), w->rxseg[slot][s].len);
			got += w->rxseg[slot][s].len;
		}
		if (len >= VSK_VIRTIO_HDR_LEN && w->nlog < 512) {
			struct pkt *p = &w->log[w->nlog++];
			const uint8_t *b = buf;

			p->h.src_cid = rd(b + 0, 8);
			p->h.dst_cid = rd(b + 8, 8);
			p->h.src_port = (uint32_t)rd(b + 16, 4);
			p->h.dst_port = (uint32_t)rd(b + 20, 4);
			p->h.len = (uint32_t)rd(b + 24, 4);
			p->h.type = (uint16_t)rd(b + 28, 2);
			p->h.op = (uint16_t)rd(b + 30, 2);
			p->h.flags = (uint32_t)rd(b + 32, 4);
			p->h.buf_alloc = (uint32_t)rd(b + 36, 4);
			p->h.fwd_cnt = (uint32_t)rd(b + 40, 4);
			p->dlen = len - VSK_VIRTIO_HDR_LEN;
			if (p->dlen != p->h.len)
				printf("# used len %u disagrees with header len %u\n", len, p->h.len);
			memcpy(p->data, buf + VSK_VIRTIO_HDR_LEN, p->dlen);
		}
		memset(buf, 0, sizeof(buf));
		for (unsigned s = 0; s < w->rxnseg[slot]; s++)
			memset(H(w, w->rxseg[slot][s].addr), 0, w->rxseg[slot][s].len);
		rx_add(w, slot);
	}
	while (vsk_vq_drv_get(&w->q[VSK_VQ_EVENT], &tok, &len) == 1) {
		unsigned slot = (unsigned)(uintptr_t)tok - 1;

		if (len == 4 && w->nevents < 16)
			w->events[w->nevents++] = (uint32_t)rd(H(w, GPA + RXBASE +
							     (NRX + slot) * 8192ULL), 4);
		ev_add(w, slot);
	}
	cf_dev_run(w->d);
	if (vsk_vq_drv_pending(&w->q[VSK_VQ_RX]) < NRX || vsk_vq_drv_pending(&w->q[VSK_VQ_TX]))
		pump(w);
}

/* Puts one packet on tx (layouts rotate) and pumps. */
static void tx_full(struct w *w, const struct vsk_virtio_hdr *h, const void *data, size_t n)
{
	unsigned slot = w->txn % NRX;
	enum layout l = (enum layout)(w->txn++ % L__N);
	uint64_t addr = GPA + TXBASE + slot * (uint64_t)TXSLOT;
	struct vsk_vq_seg s[4];

	vsk_encode_virtio(H(w, addr), h);
	if (n)
		memcpy(H(w, addr + VSK_VIRTIO_HDR_LEN), data, n);
	unsigned ns = layout_segs(l, addr, (uint32_t)(VSK_VIRTIO_HDR_LEN + n), false, s);
	if (vsk_vq_drv_add(&w->q[VSK_VQ_TX], s, ns, l == L_IND_SPLIT, NULL) != 0)
		abort();
	pump(w);
}

static void tx(struct w *w, uint32_t sport, uint32_t dport, uint16_t type, uint16_t op,
	       uint32_t flags, uint32_t buf_alloc, uint32_t fwd_cnt, const void *data, size_t n)
{
	struct vsk_virtio_hdr h = {GUEST, HOST, sport, dport, (uint32_t)n, type, op, flags,
				   buf_alloc, fwd_cnt};

	tx_full(w, &h, data, n);
}

/* The next packet not yet looked at with op (-1 any) from port (its) to port (ours). */
static struct pkt *next(struct w *w, int op)
{
	for (unsigned i = 0; i < w->nlog; i++)
		if (!w->seen[i] && (op < 0 || w->log[i].h.op == op)) {
			w->seen[i] = 1;
			return &w->log[i];
		}
	return NULL;
}

static unsigned count(struct w *w, int op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < w->nlog; i++)
		n += w->log[i].h.op == op;
	return n;
}

static uint64_t rw_bytes(struct w *w)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < w->nlog; i++)
		if (w->log[i].h.op == VSK_OP_RW)
			n += w->log[i].h.len;
	return n;
}

/* Listens on 1234 (type), connects from guest port gport with buf_alloc, accepts. */
static int est(struct w *w, uint16_t type, uint32_t gport, uint32_t buf_alloc)
{
	int lh = cf_dev_listen(w->d, 1234, type), h;

	if (lh < 0 && lh != -EADDRINUSE)
		return lh;
	tx(w, gport, 1234, type, VSK_OP_REQUEST, 0, buf_alloc, 0, NULL, 0);
	struct pkt *p = next(w, VSK_OP_RESPONSE);
	if (!p)
		return -1;
	for (int i = 0; i < CF_DEV_MAX_HANDLES; i++)
		if ((h = cf_dev_accept(w->d, i)) >= 0)
			return h;
	return -1;
}

#define MUT(x) (1ULL << CF_MUT_##x)

static void test_handshake(enum layout rxl)
{
	struct w w;
	struct pkt *p;
	int h;

	w_open(&w, 0, rxl);
	int lh = cf_dev_listen(w.d, 1234, VSK_TYPE_STREAM);
	tap_ok(lh >= 0 && cf_dev_listen(w.d, 1234, VSK_TYPE_STREAM) == -EADDRINUSE,
	       "[%s] listen on 1234; twice is EADDRINUSE", lname[rxl]);
	tap_ok(cf_dev_accept(w.d, lh) == -EAGAIN, "  accept with nobody waiting: EAGAIN");
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RESPONSE && p->h.src_cid == HOST && p->h.dst_cid == GUEST &&
	       p->h.src_port == 1234 && p->h.dst_port == 5000 && p->h.type == VSK_TYPE_STREAM &&
	       p->h.buf_alloc == 256 * 1024 && p->h.fwd_cnt == 0,
	       "  REQUEST to a listener: RESPONSE with the addresses swapped and buf_alloc");
	h = cf_dev_accept(w.d, lh);
	tap_ok(h >= 0 && cf_dev_connected(w.d, h) == 0, "  accepted and connected");
	tx(&w, 5001, 4321, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST && p->h.src_port == 4321 && p->h.dst_port == 5001,
	       "  REQUEST to no listener: RST");
	tx(&w, 5002, 1234, VSK_TYPE_SEQPACKET, VSK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST, "  REQUEST of another type than the listener's: RST");

	/* the application connects */
	int c = cf_dev_connect(w.d, GUEST, 7000, VSK_TYPE_STREAM);
	pump(&w);
	p = next(&w, -1);
	tap_ok(c >= 0 && p && p->h.op == VSK_OP_REQUEST && p->h.dst_port == 7000 &&
	       cf_dev_connected(w.d, c) == -EINPROGRESS, "  app connect sends REQUEST");
	uint32_t lport = p ? p->h.src_port : 0;
	tx(&w, 7000, lport, VSK_TYPE_STREAM, VSK_OP_RESPONSE, 0, 4096, 0, NULL, 0);
	tap_ok(cf_dev_connected(w.d, c) == 0, "  RESPONSE completes it");
	int c2 = cf_dev_connect(w.d, GUEST, 7001, VSK_TYPE_STREAM);
	pump(&w);
	p = next(&w, VSK_OP_REQUEST);
	tx(&w, 7001, p ? p->h.src_port : 0, VSK_TYPE_STREAM, VSK_OP_RST, 0, 0, 0, NULL, 0);
	tap_ok(cf_dev_connected(w.d, c2) == -ECONNREFUSED, "  RST refuses it");
	int c3 = cf_dev_connect(w.d, GUEST, 7002, VSK_TYPE_STREAM);
	pump(&w);
	next(&w, VSK_OP_REQUEST);
	cf_dev_advance(w.d, 1999);
	pump(&w);
	tap_ok(cf_dev_connected(w.d, c3) == -EINPROGRESS, "  still connecting at 1999 ms");
	cf_dev_advance(w.d, 1);
	pump(&w);
	p = next(&w, -1);
	tap_ok(cf_dev_connected(w.d, c3) == -ETIMEDOUT && p && p->h.op == VSK_OP_RST,
	       "  no answer in 2000 ms: ETIMEDOUT and RST");
	w_close(&w);
}

static void test_data(enum layout rxl)
{
	struct w w;
	uint8_t big[10000], got[10000];
	struct pkt *p;
	bool eor;

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	w_open(&w, 0, rxl);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 1 << 20);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 1 << 20, 0, big, 3000);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 1 << 20, 0, big + 3000, 0);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 1 << 20, 0, big + 3000, 7000);
	ssize_t n = cf_dev_recv(w.d, h, got, sizeof(got), &eor);
	tap_ok(n == 10000 && memcmp(got, big, 10000) == 0,
	       "[%s] 3000 + 0 + 7000 bytes from the driver (tx layouts rotate) read back", lname[rxl]);
	tap_ok(cf_dev_recv(w.d, h, got, 1, NULL) == -EAGAIN, "  then nothing: EAGAIN");
	tap_ok(cf_dev_send(w.d, h, big, 10000, false) == 10000, "  app sends 10000 bytes");
	pump(&w);
	uint64_t off = 0;
	bool same = true;
	unsigned npk = 0;
	while ((p = next(&w, VSK_OP_RW))) {
		same &= p->dlen == p->h.len && off + p->dlen <= 10000 &&
			memcmp(p->data, big + off, p->dlen) == 0;
		off += p->dlen;
		npk++;
	}
	tap_ok(same && off == 10000 && npk == 3, "  they arrive as %u RW of at most 4096 (%llu bytes)",
	       npk, (unsigned long long)off);
	w_close(&w);
}

static void test_credit(void)
{
	struct w w;
	uint8_t buf[300000];
	struct pkt *p;

	memset(buf, 'x', sizeof(buf));
	/* never beyond the peer's credit */
	w_open(&w, 0, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 300);
	tap_ok(cf_dev_send(w.d, h, buf, 1000, false) == 1000, "credit: app queues 1000 bytes");
	pump(&w);
	tap_ok(rw_bytes(&w) == 300, "  only 300 sent to a peer with buf_alloc 300 (%llu)",
	       (unsigned long long)rw_bytes(&w));
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_CREDIT_UPDATE, 0, 300, 200, NULL, 0);
	tap_ok(rw_bytes(&w) == 500, "  fwd_cnt 200: 200 more (%llu)", (unsigned long long)rw_bytes(&w));
	/* CVE-2026-23069 shape: buf_alloc shrunk below the bytes in flight */
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_CREDIT_UPDATE, 0, 100, 200, NULL, 0);
	tap_ok(rw_bytes(&w) == 500, "  buf_alloc 100 with 300 in flight: nothing more");
	/* CREDIT_REQUEST answered */
	unsigned cu = count(&w, VSK_OP_CREDIT_UPDATE);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_CREDIT_REQUEST, 0, 100, 200, NULL, 0);
	tap_ok(count(&w, VSK_OP_CREDIT_UPDATE) == cu + 1, "  CREDIT_REQUEST gets CREDIT_UPDATE");
	w_close(&w);

	/* fwd_cnt near 2^32 wraps correctly: the peer starts with fwd_cnt 0, we send, it
	 * acknowledges with counters that wrap */
	w_open(&w, 0, L_ONE);
	h = est(&w, VSK_TYPE_STREAM, 5000, 4096);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_CREDIT_UPDATE, 0, 4096, 0, NULL, 0);
	cf_dev_send(w.d, h, buf, 100000, false);
	pump(&w);
	uint64_t sent = rw_bytes(&w);
	tap_ok(sent == 4096, "  buf_alloc 4096: 4096 in flight");
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_CREDIT_UPDATE, 0, 4096, 4096, NULL, 0);
	tap_ok(rw_bytes(&w) == 8192, "  acknowledged: 4096 more");
	w_close(&w);

	/* CREDIT_UPDATE after the application reads */
	w_open(&w, 0, L_ONE);
	h = est(&w, VSK_TYPE_STREAM, 5000, 1 << 20);
	for (unsigned i = 0; i < 50; i++)
		tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 1 << 20, 0, buf, 4096);
	cu = count(&w, VSK_OP_CREDIT_UPDATE);
	tap_ok(cf_dev_recv(w.d, h, buf, 10, NULL) == 10, "credit update: app reads 10 of 204800");
	pump(&w);
	tap_ok(count(&w, VSK_OP_CREDIT_UPDATE) == cu + 1, "  peer's view 57344 < 131072: update");
	while ((p = next(&w, VSK_OP_CREDIT_UPDATE)))
		tap_ok(p->h.fwd_cnt == 10 && p->h.buf_alloc == 256 * 1024, "  fwd_cnt 10");
	tap_ok(cf_dev_recv(w.d, h, buf, sizeof(buf), NULL) == 204790, "  reads the rest");
	pump(&w);
	p = next(&w, VSK_OP_CREDIT_UPDATE);
	tap_ok(p && p->h.fwd_cnt == 204800, "  and tells fwd_cnt 204800");
	/* beyond our credit: RST */
	for (unsigned i = 0; i < 64; i++)
		tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 1 << 20, 0, buf, 4096);
	tap_ok(count(&w, VSK_OP_RST) == 0, "  256 KiB: exactly the credit, no RST");
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 1 << 20, 0, buf, 1);
	p = next(&w, VSK_OP_RST);
	tap_ok(p && p->h.dst_port == 5000 && cf_dev_recv(w.d, h, buf, sizeof(buf), NULL) == 262144 &&
	       cf_dev_recv(w.d, h, buf, 1, NULL) == -ECONNRESET,
	       "  one byte more: RST; data before it readable, then ECONNRESET");
	w_close(&w);

	/* CVE-2026-23086 shape: a huge buf_alloc, never read: in flight <= our own buffer */
	w_open(&w, 0, L_ONE);
	h = est(&w, VSK_TYPE_STREAM, 5000, 0x80000000u);
	cf_dev_set_buffer(w.d, h, 65536);
	ssize_t total = 0, r;
	while ((r = cf_dev_send(w.d, h, buf, 8192, false)) > 0) {
		total += r;
		pump(&w);
	}
	tap_ok(r == -EAGAIN && rw_bytes(&w) == 65536 && total == 65536,
	       "huge peer buf_alloc: sends stop at our own 65536 (%llu sent, %zd queued)",
	       (unsigned long long)rw_bytes(&w), total);
	w_close(&w);
}

static void test_shutdown(void)
{
	struct w w;
	uint8_t b[64];
	struct pkt *p;

	w_open(&w, 0, L_SPLIT);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 65536, 0, "abc", 3);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, SHUT_WR + 1, 65536, 0, NULL, 0);
	tap_ok(cf_dev_recv(w.d, h, b, sizeof(b), NULL) == 3 && cf_dev_recv(w.d, h, b, 1, NULL) == 0,
	       "SHUTDOWN SEND: data, then EOF");
	tap_ok(cf_dev_send(w.d, h, "x", 1, false) == 1, "  the app can still send");
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 65536, 0, "late", 4);
	p = next(&w, VSK_OP_RST);
	tap_ok(p != NULL, "  RW after SHUTDOWN SEND: RST");
	w_close(&w);

	w_open(&w, 0, L_SPLIT);
	h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_RCV, 65536, 0, NULL, 0);
	tap_ok(cf_dev_send(w.d, h, "x", 1, false) == -EPIPE, "SHUTDOWN RCV: app send EPIPE");
	tap_ok(count(&w, VSK_OP_RST) == 0, "  one bit: no RST yet");
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_SEND, 65536, 0, NULL, 0);
	p = next(&w, VSK_OP_RST);
	tap_ok(p && cf_dev_recv(w.d, h, b, 1, NULL) == 0,
	       "  then SEND alone: bits add up to both, RST; app sees EOF");
	w_close(&w);

	/* the application shuts down and closes */
	w_open(&w, 0, L_SPLIT);
	h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_send(w.d, h, "data", 4, false);
	cf_dev_shutdown(w.d, h, SHUT_WR);
	pump(&w);
	p = next(&w, VSK_OP_RW);
	struct pkt *s = next(&w, VSK_OP_SHUTDOWN);
	tap_ok(p && s && p < s && s->h.flags == VSK_FLAG_SHUTDOWN_SEND,
	       "app SHUT_WR: data first, then SHUTDOWN SEND");
	tap_ok(cf_dev_send(w.d, h, "x", 1, false) == -EPIPE, "  send after it: EPIPE");
	cf_dev_shutdown(w.d, h, SHUT_RD);
	pump(&w);
	s = next(&w, VSK_OP_SHUTDOWN);
	tap_ok(s && s->h.flags == (VSK_FLAG_SHUTDOWN_SEND | VSK_FLAG_SHUTDOWN_RCV),
	       "  SHUT_RD then: SHUTDOWN with both bits (permanent)");
	cf_dev_close(w.d, h);
	pump(&w);
	tap_ok(count(&w, VSK_OP_RST) == 0, "  closed: no RST before the timeout");
	cf_dev_advance(w.d, 7999);
	pump(&w);
	tap_ok(count(&w, VSK_OP_RST) == 0, "  none at 7999 ms");
	cf_dev_advance(w.d, 1);
	pump(&w);
	tap_ok(count(&w, VSK_OP_RST) == 1, "  RST at 8000 ms");
	w_close(&w);

	w_open(&w, 0, L_SPLIT);
	h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_close(w.d, h);
	pump(&w);
	s = next(&w, VSK_OP_SHUTDOWN);
	tap_ok(s && s->h.flags == 3, "close: SHUTDOWN with both bits");
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RST, 0, 65536, 0, NULL, 0);
	cf_dev_advance(w.d, 10000);
	pump(&w);
	tap_ok(count(&w, VSK_OP_RST) == 0 && cf_dev_next_timer(w.d) == -1,
	       "  the peer's RST ends it: no RST of ours, no timer");
	w_close(&w);
}

static void test_bad_input(void)
{
	struct w w;
	struct pkt *p;

	w_open(&w, 0, L_SPREAD3);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5001, 1234, 9, VSK_OP_REQUEST, 0, 0, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST && p->h.type == 9, "unknown type: RST");
	tx(&w, 5001, 1234, VSK_TYPE_STREAM, 42, 0, 0, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST, "unknown op: RST");
	tx(&w, 5001, 1234, VSK_TYPE_STREAM, VSK_OP_INVALID, 0, 0, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST, "op INVALID: RST");
	tx(&w, 5009, 1234, VSK_TYPE_STREAM, VSK_OP_RESPONSE, 0, 0, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST && p->h.dst_port == 5009, "RESPONSE to nobody: RST");
	tx(&w, 5009, 1234, VSK_TYPE_STREAM, VSK_OP_RST, 0, 0, 0, NULL, 0);
	tap_ok(next(&w, -1) == NULL, "RST to nobody: no answer");
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST && cf_dev_recv(w.d, h, NULL, 0, NULL) == -ECONNRESET,
	       "duplicate REQUEST on an established tuple: RST, connection reset");
	struct vsk_virtio_hdr hh = {GUEST + 1, HOST, 5000, 1234, 0, VSK_TYPE_STREAM,
				    VSK_OP_REQUEST, 0, 0, 0};
	tx_full(&w, &hh, NULL, 0);
	tap_ok(next(&w, -1) == NULL && cf_dev_stats(w.d)->dropped == 1,
	       "src_cid not the guest's: dropped");
	hh.src_cid = GUEST | (1ULL << 32);
	tx_full(&w, &hh, NULL, 0);
	tap_ok(next(&w, -1) == NULL && cf_dev_stats(w.d)->dropped == 2, "upper CID bits: dropped");
	hh = (struct vsk_virtio_hdr){GUEST, HOST, 5003, 1234, 100, VSK_TYPE_STREAM,
				     VSK_OP_REQUEST, 0, 65536, 0};
	tx_full(&w, &hh, "x", 1);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RST, "len 100 with 1 byte of buffer: RST");
	{
		/* a tx chain shorter than a header */
		struct vsk_vq_seg s = {GPA + TXBASE, 20, false};

		vsk_vq_drv_add(&w.q[VSK_VQ_TX], &s, 1, false, NULL);
		pump(&w);
		tap_ok(next(&w, -1) == NULL && cf_dev_stats(w.d)->dropped == 3,
		       "20-byte tx chain: dropped");
	}
	w_close(&w);

	/* an rx buffer with a readable part is returned unused, the packet goes to the next */
	w_open_n(&w, 0, L_ONE, 0);
	w.rxseg[0][0] = (struct vsk_vq_seg){GPA + RXBASE, 10, false};
	w.rxseg[0][1] = (struct vsk_vq_seg){GPA + RXBASE + 100, 4096, true};
	w.rxnseg[0] = 2;
	vsk_vq_drv_add(&w.q[VSK_VQ_RX], w.rxseg[0], 2, false, (void *)(uintptr_t)1);
	w.rxseg[1][0] = (struct vsk_vq_seg){GPA + RXBASE + 8192, 20, true};
	w.rxnseg[1] = 1;
	vsk_vq_drv_add(&w.q[VSK_VQ_RX], w.rxseg[1], 1, false, (void *)(uintptr_t)2);
	for (unsigned i = 2; i < NRX; i++)
		rx_add(&w, i);
	cf_dev_listen(w.d, 1234, VSK_TYPE_STREAM);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RESPONSE && cf_dev_stats(w.d)->bad_rx_bufs == 2,
	       "readable and 20-byte rx buffers returned unused; RESPONSE in the next (%llu bad)",
	       (unsigned long long)cf_dev_stats(w.d)->bad_rx_bufs);
	w_close(&w);

	/* a driver that breaks a ring rule stops the queue, nothing worse */
	w_open(&w, 0, L_ONE);
	{
		uint8_t *av = H(&w, w.q[VSK_VQ_TX].a.avail);
		uint16_t bad = htole16(NUM + 5);
		const char *detail = NULL;

		memcpy(av + 2, &bad, 2);
		cf_dev_run(w.d);
		enum vsk_ring_rule r = cf_dev_ring_broken(w.d, VSK_VQ_TX, &detail);
		tap_ok(r == VSK_RING_AVAIL_IDX_JUMP && detail && detail[0],
		       "tx avail idx jump: ring rule %s (%s)", vsk_ring_rules[r].name, detail);
		tap_ok(cf_dev_ring_broken(w.d, VSK_VQ_RX, NULL) == VSK_RING_OK, "  rx still fine");
	}
	w_close(&w);
}

static void test_seqpacket(void)
{
	struct w w;
	uint8_t b[100];
	struct pkt *p, *q;
	bool eor = false;

	w_open(&w, 0, L_SPLIT);
	int h = est(&w, VSK_TYPE_SEQPACKET, 5000, 65536);
	tap_ok(h >= 0, "seqpacket: connected");
	tap_ok(cf_dev_send(w.d, h, "hello", 5, false) == 5 && cf_dev_send(w.d, h, "world!", 6, true) == 6,
	       "  app sends 'hello' and 'world!' (EOR)");
	pump(&w);
	p = next(&w, VSK_OP_RW);
	q = next(&w, VSK_OP_RW);
	tap_ok(p && q && p->h.len == 5 && p->h.flags == VSK_FLAG_SEQ_EOM && q->h.len == 6 &&
	       q->h.flags == (VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR) && p->h.type == VSK_TYPE_SEQPACKET,
	       "  two RW: EOM, then EOM|EOR");
	tap_ok(cf_dev_send(w.d, h, "", 0, false) == 0, "  an empty message");
	pump(&w);
	p = next(&w, VSK_OP_RW);
	tap_ok(p && p->h.len == 0 && p->h.flags == VSK_FLAG_SEQ_EOM, "  is one RW, len 0, EOM");
	tx(&w, 5000, 1234, VSK_TYPE_SEQPACKET, VSK_OP_RW, 0, 65536, 0, "abc", 3);
	tap_ok(cf_dev_recv(w.d, h, b, sizeof(b), &eor) == -EAGAIN, "  half a message: not readable");
	tx(&w, 5000, 1234, VSK_TYPE_SEQPACKET, VSK_OP_RW, VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR, 65536, 0,
	   "def", 3);
	tx(&w, 5000, 1234, VSK_TYPE_SEQPACKET, VSK_OP_RW, VSK_FLAG_SEQ_EOM, 65536, 0, "ghij", 4);
	tap_ok(cf_dev_recv(w.d, h, b, sizeof(b), &eor) == 6 && memcmp(b, "abcdef", 6) == 0 && eor,
	       "  'abc' + 'def'(EOM|EOR): one message of 6, eor");
	tap_ok(cf_dev_recv(w.d, h, b, 2, &eor) == 2 && memcmp(b, "gh", 2) == 0 && !eor,
	       "  'ghij' into 2 bytes: 'gh', no eor");
	tap_ok(cf_dev_recv(w.d, h, b, sizeof(b), &eor) == -EAGAIN, "  the rest of it was dropped");
	char big[2000];
	memset(big, 'm', sizeof(big));
	cf_dev_set_buffer(w.d, h, 1000);
	tap_ok(cf_dev_send(w.d, h, big, sizeof(big), false) == -EMSGSIZE,
	       "  a 2000-byte message with a 1000-byte buffer: EMSGSIZE");
	w_close(&w);
}

static void test_reset(void)
{
	struct w w;
	struct pkt *p;

	w_open(&w, 0, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tap_ok(cf_dev_transport_reset(w.d) == 0, "transport reset");
	pump(&w);
	tap_ok(w.nevents == 1 && w.events[0] == VSK_EVENT_TRANSPORT_RESET, "  event id 0 written");
	tap_ok(cf_dev_recv(w.d, h, NULL, 0, NULL) == -ECONNRESET &&
	       cf_dev_send(w.d, h, "x", 1, false) == -ECONNRESET, "  the connection is reset");
	tx(&w, 5001, 1234, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	p = next(&w, -1);
	tap_ok(p && p->h.op == VSK_OP_RESPONSE, "  the listener is kept");
	w_close(&w);
}

/* ---- mutations: one scenario each, its observable differs between strict and mutated ---- */

static int64_t m_credit(uint64_t m)
{
	struct w w;
	uint8_t buf[1000] = {0};

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 300);
	cf_dev_send(w.d, h, buf, 1000, false);
	pump(&w);
	if (m & MUT(CREDIT_WRAP))
		tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_CREDIT_UPDATE, 0, 100, 0, NULL, 0);
	int64_t r = (int64_t)rw_bytes(&w);
	w_close(&w);
	return r;
}

static int64_t m_unbounded(uint64_t m)
{
	struct w w;
	uint8_t buf[8192] = {0};

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 0x80000000u);
	cf_dev_set_buffer(w.d, h, 65536);
	for (int i = 0; i < 40 && cf_dev_send(w.d, h, buf, sizeof(buf), false) > 0; i++)
		pump(&w);
	int64_t r = (int64_t)rw_bytes(&w);
	w_close(&w);
	return r;
}

static int64_t m_credit_update(uint64_t m)
{
	struct w w;
	uint8_t buf[4096] = {0};

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	for (int i = 0; i < 50; i++)
		tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 65536, 0, buf, sizeof(buf));
	cf_dev_recv(w.d, h, buf, 10, NULL);
	pump(&w);
	int64_t r = count(&w, VSK_OP_CREDIT_UPDATE);
	w_close(&w);
	return r;
}

/* A sender capped at its own 64 KiB (buf_alloc in its headers) sends it all; the
 * application reads it all: a CREDIT_UPDATE must follow (the model's buffer is larger). */
static int64_t m_capped_sender(uint64_t m)
{
	struct w w;
	uint8_t buf[4096] = {0};
	size_t got = 0;
	ssize_t n;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	for (int i = 0; i < 16; i++)
		tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 65536, 0, buf, sizeof(buf));
	while (got < 65536 && (n = cf_dev_recv(w.d, h, buf, sizeof(buf), NULL)) > 0)
		got += (size_t)n;
	pump(&w);
	int64_t r = got == 65536 ? (int64_t)count(&w, VSK_OP_CREDIT_UPDATE) : -1;
	w_close(&w);
	return r;
}

/* A packet after an established connection; what comes back: count of op `want`. */
static int64_t m_pkt(uint64_t m, uint32_t sport, uint16_t type, uint16_t op, uint32_t flags,
		     uint32_t dport, int want)
{
	struct w w;

	w_open(&w, m, L_ONE);
	est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, sport, dport, type, op, flags, 65536, 0, NULL, 0);
	int64_t r = count(&w, want);
	w_close(&w);
	return r;
}

static int64_t m_credit_reply(uint64_t m)
{
	return m_pkt(m, 5000, VSK_TYPE_STREAM, VSK_OP_CREDIT_REQUEST, 0, 1234, VSK_OP_CREDIT_UPDATE);
}
static int64_t m_type(uint64_t m) { return m_pkt(m, 5001, 9, VSK_OP_REQUEST, 0, 1234, VSK_OP_RST); }
static int64_t m_op(uint64_t m) { return m_pkt(m, 5000, VSK_TYPE_STREAM, 42, 0, 1234, VSK_OP_RST); }
static int64_t m_listener(uint64_t m)
{
	return m_pkt(m, 5001, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 4321, VSK_OP_RST);
}
static int64_t m_nobody(uint64_t m)
{
	return m_pkt(m, 5009, VSK_TYPE_STREAM, VSK_OP_RESPONSE, 0, 1234, VSK_OP_RST);
}
static int64_t m_dup(uint64_t m)
{
	return m_pkt(m, 5000, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 1234, VSK_OP_RST);
}
static int64_t m_shut_both(uint64_t m)
{
	return m_pkt(m, 5000, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, 3, 1234, VSK_OP_RST);
}

static int64_t m_shut_clears(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_RCV, 65536, 0, NULL, 0);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_SEND, 65536, 0, NULL, 0);
	int64_t r = count(&w, VSK_OP_RST);
	w_close(&w);
	return r;
}

static int64_t m_rw_after(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_shutdown(w.d, h, SHUT_WR);
	int64_t r = cf_dev_send(w.d, h, "x", 1, false);
	pump(&w);
	r = r * 100 + count(&w, VSK_OP_RW);
	w_close(&w);
	return r;
}

static int64_t m_peer_rcv(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_RCV, 65536, 0, NULL, 0);
	int64_t r = cf_dev_send(w.d, h, "x", 1, false);
	pump(&w);
	r = r * 100 + count(&w, VSK_OP_RW);
	w_close(&w);
	return r;
}

static int64_t m_close_timeout(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_close(w.d, h);
	pump(&w);
	cf_dev_advance(w.d, 60000);
	pump(&w);
	int64_t r = count(&w, VSK_OP_RST);
	w_close(&w);
	return r;
}

static int64_t m_seq_flags(uint64_t m)
{
	struct w w;
	int64_t eom = 0, eor = 0;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_SEQPACKET, 5000, 65536);
	cf_dev_send(w.d, h, "one", 3, false);
	cf_dev_send(w.d, h, "two", 3, true);
	pump(&w);
	for (unsigned i = 0; i < w.nlog; i++)
		if (w.log[i].h.op == VSK_OP_RW) {
			eom += (w.log[i].h.flags & VSK_FLAG_SEQ_EOM) != 0;
			eor += (w.log[i].h.flags & VSK_FLAG_SEQ_EOR) != 0;
		}
	/* and what the application makes of two messages, the first a record */
	uint8_t b[16];
	bool e = false;
	tx(&w, 5000, 1234, VSK_TYPE_SEQPACKET, VSK_OP_RW, VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR, 65536,
	   0, "ab", 2);
	tx(&w, 5000, 1234, VSK_TYPE_SEQPACKET, VSK_OP_RW, VSK_FLAG_SEQ_EOM, 65536, 0, "cd", 2);
	ssize_t n = cf_dev_recv(w.d, h, b, sizeof(b), &e);
	w_close(&w);
	return eom * 1000 + eor * 100 + n * 10 + e;
}

static int64_t m_reset(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_transport_reset(w.d);
	pump(&w);
	int64_t r = cf_dev_recv(w.d, h, NULL, 0, NULL);
	w_close(&w);
	return r;
}

static int64_t m_credit64(uint64_t m)
{
	struct w w;
	uint8_t buf[1000] = {0};

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	/* the peer's fwd_cnt 65536 below 2^32: per the formula 65536 in flight, 65536 free */
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_CREDIT_UPDATE, 0, 0x20000, 0xffff0000u, NULL, 0);
	cf_dev_send(w.d, h, buf, sizeof(buf), false);
	pump(&w);
	int64_t r = (int64_t)rw_bytes(&w);
	w_close(&w);
	return r;
}

static int64_t m_fwd_zero(uint64_t m)
{
	struct w w;
	uint8_t buf[100] = {0};
	struct pkt *p, *last = NULL;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 65536, 0, buf, sizeof(buf));
	cf_dev_recv(w.d, h, buf, sizeof(buf), NULL);
	cf_dev_send(w.d, h, "x", 1, false);
	pump(&w);
	while ((p = next(&w, VSK_OP_RW)))
		last = p;
	int64_t r = last ? (int64_t)last->h.fwd_cnt : -1;
	w_close(&w);
	return r;
}

static int64_t m_src_cid(uint64_t m)
{
	struct w w;
	struct vsk_virtio_hdr hh = {GUEST + 100, HOST, 5000, 1234, 0, VSK_TYPE_STREAM,
				    VSK_OP_REQUEST, 0, 65536, 0};

	w_open(&w, m, L_ONE);
	cf_dev_listen(w.d, 1234, VSK_TYPE_STREAM);
	tx_full(&w, &hh, NULL, 0);
	int64_t r = count(&w, VSK_OP_RESPONSE);
	w_close(&w);
	return r;
}

/* After an established connection and one packet from the peer: the app's recv. */
static int64_t m_recv_after(uint64_t m, uint16_t op, uint32_t flags, const void *data,
			    size_t n, enum layout rxl)
{
	struct w w;
	uint8_t b[64];

	w_open(&w, m, rxl);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, op, flags, 65536, 0, data, n);
	int64_t r = cf_dev_recv(w.d, h, b, sizeof(b), NULL);
	w_close(&w);
	return r;
}

static int64_t m_op_rst_only(uint64_t m) { return m_recv_after(m, 42, 0, NULL, 0, L_ONE); }
static int64_t m_no_eof(uint64_t m)
{
	return m_recv_after(m, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_SEND, NULL, 0, L_ONE);
}
static int64_t m_zero_rw(uint64_t m) { return m_recv_after(m, VSK_OP_RW, 0, NULL, 0, L_ONE); }
/* est's REQUEST is tx packet 0 (layout one); this RW is packet 1 (layout split) */
static int64_t m_tx_one(uint64_t m)
{
	static const uint8_t data[200];

	return m_recv_after(m, VSK_OP_RW, 0, data, sizeof(data), L_ONE);
}

/* 6 KiB against the model's 4 KiB buffer: strict, an RST; mutated, none. */
static int64_t m_overrun(uint64_t m)
{
	struct w w;
	uint8_t buf[2048] = {0};

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_set_buffer(w.d, h, 4096);
	pump(&w);
	for (int i = 0; i < 3; i++)
		tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 65536, 0, buf, sizeof(buf));
	int64_t r = count(&w, VSK_OP_RST);
	w_close(&w);
	return r;
}

/* rx buffers of 128 payload bytes: the longest RW's header len (strict: 128). */
static int64_t m_rx_size(uint64_t m)
{
	struct w w;
	uint8_t buf[1000] = {0};
	int64_t r = 0;

	rx_payload = 128;
	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_send(w.d, h, buf, sizeof(buf), false);
	pump(&w);
	for (unsigned i = 0; i < w.nlog; i++)
		if (w.log[i].h.op == VSK_OP_RW && w.log[i].h.len > r)
			r = w.log[i].h.len;
	w_close(&w);
	rx_payload = 4096;
	return r;
}

static int64_t m_data_after_eof(uint64_t m)
{
	struct w w;
	uint8_t b[64];

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_SHUTDOWN, VSK_FLAG_SHUTDOWN_SEND, 65536, 0, NULL, 0);
	int64_t r = cf_dev_recv(w.d, h, b, sizeof(b), NULL) * 100;
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_RW, 0, 65536, 0, "late", 4);
	r += cf_dev_recv(w.d, h, b, sizeof(b), NULL);
	w_close(&w);
	return r;
}

static int64_t m_type_mismatch(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	cf_dev_listen(w.d, 1234, VSK_TYPE_SEQPACKET);
	tx(&w, 5000, 1234, VSK_TYPE_STREAM, VSK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	int64_t r = count(&w, VSK_OP_RESPONSE);
	w_close(&w);
	return r;
}

static int64_t m_rst_connects(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	int c = cf_dev_connect(w.d, GUEST, 7000, VSK_TYPE_STREAM);
	pump(&w);
	struct pkt *p = next(&w, VSK_OP_REQUEST);
	tx(&w, 7000, p ? p->h.src_port : 0, VSK_TYPE_STREAM, VSK_OP_RST, 0, 0, 0, NULL, 0);
	int64_t r = cf_dev_connected(w.d, c);
	w_close(&w);
	return r;
}

static int64_t m_close_silent(uint64_t m)
{
	struct w w;

	w_open(&w, m, L_ONE);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_close(w.d, h);
	pump(&w);
	int64_t r = count(&w, VSK_OP_SHUTDOWN);
	w_close(&w);
	return r;
}

static int64_t m_rx_one(uint64_t m)
{
	struct w w;
	uint8_t buf[100] = {0};

	w_open(&w, m, L_SPLIT);
	int h = est(&w, VSK_TYPE_STREAM, 5000, 65536);
	cf_dev_send(w.d, h, buf, sizeof(buf), false);
	pump(&w);
	int64_t r = (int64_t)rw_bytes(&w);
	w_close(&w);
	return r;
}

static const struct {
	enum cf_mutation m;
	int64_t (*fn)(uint64_t m);
} scen[] = {
	{CF_MUT_IGNORE_CREDIT, m_credit},
	{CF_MUT_CREDIT_WRAP, m_credit},
	{CF_MUT_UNBOUNDED_TX, m_unbounded},
	{CF_MUT_NO_CREDIT_UPDATE, m_credit_update},
	{CF_MUT_LATE_CREDIT_UPDATE, m_capped_sender},
	{CF_MUT_NO_CREDIT_REPLY, m_credit_reply},
	{CF_MUT_NO_RST_UNKNOWN_TYPE, m_type},
	{CF_MUT_NO_RST_UNKNOWN_OP, m_op},
	{CF_MUT_NO_RST_NO_LISTENER, m_listener},
	{CF_MUT_RESPONSE_TO_NOBODY, m_nobody},
	{CF_MUT_DUP_REQUEST, m_dup},
	{CF_MUT_SHUTDOWN_CLEARS, m_shut_clears},
	{CF_MUT_NO_RST_ON_SHUTDOWN, m_shut_both},
	{CF_MUT_RW_AFTER_SHUTDOWN, m_rw_after},
	{CF_MUT_SEND_AFTER_PEER_RCV, m_peer_rcv},
	{CF_MUT_NO_CLOSE_TIMEOUT, m_close_timeout},
	{CF_MUT_IGNORE_EOM, m_seq_flags},
	{CF_MUT_IGNORE_EOR, m_seq_flags},
	{CF_MUT_RESET_KEEPS_CONNS, m_reset},
	{CF_MUT_CREDIT_64BIT, m_credit64},
	{CF_MUT_RW_FWD_CNT_ZERO, m_fwd_zero},
	{CF_MUT_ACCEPT_ANY_SRC_CID, m_src_cid},
	{CF_MUT_UNKNOWN_OP_RST_ONLY, m_op_rst_only},
	{CF_MUT_ACCEPT_TYPE_MISMATCH, m_type_mismatch},
	{CF_MUT_RST_CONNECTS, m_rst_connects},
	{CF_MUT_NO_EOF, m_no_eof},
	{CF_MUT_DATA_AFTER_EOF, m_data_after_eof},
	{CF_MUT_ZERO_RW_EOF, m_zero_rw},
	{CF_MUT_CLOSE_SILENT, m_close_silent},
	{CF_MUT_RX_ONE_BUFFER, m_rx_one},
	{CF_MUT_TX_ONE_BUFFER, m_tx_one},
	{CF_MUT_OVERRUN_OVERWRITES, m_overrun},
	{CF_MUT_RX_ASSUMED_SIZE, m_rx_size},
};

static void test_mutations(void)
{
	for (size_t i = 0; i < sizeof(scen) / sizeof(scen[0]); i++) {
		int64_t strict = scen[i].fn(0), mutated = scen[i].fn(1ULL << scen[i].m);

		if (tap_ok(strict != mutated, "mutation %s changes behaviour (strict %lld, mutated %lld)",
			   cf_mutations[scen[i].m].name, (long long)strict, (long long)mutated))
			mut_differs[scen[i].m]++;
	}
	for (int m = 0; m < CF_MUT__COUNT; m++)
		tap_ok(mut_differs[m] && cf_mutation_find(cf_mutations[m].name) == m &&
		       cf_mutations[m].caught_by[0], "mutation %s has a scenario and a case (%s)",
		       cf_mutations[m].name, cf_mutations[m].caught_by);
	tap_ok(cf_mutation_find("no_such_thing") == -1, "unknown mutation name: -1");
}

int main(void)
{
	for (enum layout l = 0; l < L__N; l++)
		test_handshake(l);
	for (enum layout l = 0; l < L__N; l++)
		test_data(l);
	test_credit();
	test_shutdown();
	test_bad_input();
	test_seqpacket();
	test_reset();
	test_mutations();
	{
		struct cf_dev_config cfg = {.guest_cid = 2};
		struct vsk_mem_flat fl;
		uint8_t m[64];

		vsk_mem_flat_init(&fl, m, 0, sizeof(m));
		tap_ok(!cf_dev_cid_ok(0) && !cf_dev_cid_ok(1) && !cf_dev_cid_ok(2) &&
		       !cf_dev_cid_ok(0xffffffffULL) && !cf_dev_cid_ok(1ULL << 32) &&
		       !cf_dev_cid_ok(UINT64_MAX) && cf_dev_cid_ok(3) && cf_dev_cid_ok(0xfffffffeULL),
		       "reserved guest CIDs refused, others fine");
		errno = 0;
		tap_ok(cf_dev_new(&cfg, &fl.mem) == NULL && errno == EINVAL,
		       "a device with guest_cid 2 is not made");
	}
	return tap_done();
}
