/* fuzz-vdev.c - the reference device model (conformance/device.c) on arbitrary tx chains.
 *
 * The input is a script run against the model through real split virtqueues (lib vring,
 * driver role), so every packet reaches the device the way a guest would put it there:
 *   byte 0: features to negotiate (bits 0-2: STREAM, SEQPACKET, NO_IMPLIED_STREAM;
 *           bit 3: INDIRECT_DESC), bits 4-5: rx buffer layout (one, split, spread:3, tiny)
 *   byte 1: mutations, an index into mutations.def (0xff and above the count: none)
 *   then commands, each a byte c and its arguments:
 *     c % 8 == 0: tx packet: layout byte (bits 0-1: one/split/spread/indirect;
 *                 bit 2: keep the raw CIDs; bit 3: keep raw ports), 44 header bytes,
 *                 le16 payload length (% 2048), that many payload bytes
 *     1: app listen (port byte, type byte)     2: app accept (handle byte)
 *     3: app connect (port byte, type byte)    4: app send (handle, le16 len % 8192, eor)
 *     5: app recv (handle, le16 len)           6: app shutdown (handle, how) / close
 *     7: time passes (byte * 50 ms), set_buffer, or transport reset
 * After every command the device runs and the driver reaps all queues.  The driver role
 * checks every used element the device wrote (used_len_over and the others): any broken
 * ring rule on the device's side, a header len that disagrees with the used len, or a
 * packet not from the host CID to the guest's aborts. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "device.h"
#include "vsk/error.h"
#include "vsk/proto.h"
#include "vsk/vring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GPA     0x100000ULL
#define MEMSZ   0x70000u
#define NUM     64
#define NRX     16
#define RXOFF   0x8000u         /* rx slot i: RXOFF + i * 8192 */
#define EVOFF   0x28000u
#define TXOFF   0x29000u        /* tx packet: TXOFF + (n % 8) * 0x1000 (44 + 2048 fit) */
#define INDOFF  0x40000u        /* indirect tables: per queue NUM * 64 * 16 = 64 KiB */
#define GUEST   3
#define HOST    2

struct fz {
	const uint8_t *p;
	size_t n;
	uint8_t *mem;
	struct vsk_mem_flat flat;
	struct cf_dev *d;
	struct vsk_vq_drv q[3];
	unsigned rxl, txn;
	bool any_src;            /* the accept_any_src_cid mutation is on */
	struct vsk_vq_seg rxseg[NRX][3];
	unsigned rxnseg[NRX];
};

static unsigned take(struct fz *f, void *dst, size_t n)
{
	size_t k = n < f->n ? n : f->n;

	memset(dst, 0, n);
	memcpy(dst, f->p, k);
	f->p += k;
	f->n -= k;
	return (unsigned)k;
}

static uint8_t byte(struct fz *f)
{
	uint8_t b;

	take(f, &b, 1);
	return b;
}

static uint16_t le16(struct fz *f)
{
	uint8_t b[2];

	take(f, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static void rx_add(struct fz *f, unsigned slot)
{
	uint64_t a = GPA + RXOFF + slot * 8192ULL;
	struct vsk_vq_seg *s = f->rxseg[slot];

	switch (f->rxl) {
	case 0:
		s[0] = (struct vsk_vq_seg){a, 44 + 4096, true};
		f->rxnseg[slot] = 1;
		break;
	case 1:
		s[0] = (struct vsk_vq_seg){a, 44, true};
		s[1] = (struct vsk_vq_seg){a + 44, 4096, true};
		f->rxnseg[slot] = 2;
		break;
	case 2:
		s[0] = (struct vsk_vq_seg){a, 30, true};
		s[1] = (struct vsk_vq_seg){a + 30, 30, true};
		s[2] = (struct vsk_vq_seg){a + 60, 4000, true};
		f->rxnseg[slot] = 3;
		break;
	default:                 /* header-sized buffers: no room for payload */
		s[0] = (struct vsk_vq_seg){a, slot % 2 ? 44 : 100, true};
		f->rxnseg[slot] = 1;
		break;
	}
	if (vsk_vq_drv_add(&f->q[VSK_VQ_RX], s, f->rxnseg[slot], false,
			   (void *)(uintptr_t)(slot + 1)) != 0)
		abort();
}

static void ev_add(struct fz *f, unsigned slot)
{
	struct vsk_vq_seg s = {GPA + EVOFF + slot * 64ULL, 4, true};

	if (vsk_vq_drv_add(&f->q[VSK_VQ_EVENT], &s, 1, false, (void *)(uintptr_t)(slot + 1)))
		abort();
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return le64toh(v);
}

static void reap(struct fz *f)
{
	void *tok;
	uint32_t len;
	int rc;

	cf_dev_run(f->d);
	while ((rc = vsk_vq_drv_get(&f->q[VSK_VQ_TX], &tok, &len)) == 1)
		if (len != 0)
			abort();
	if (rc < 0)
		abort();
	while ((rc = vsk_vq_drv_get(&f->q[VSK_VQ_RX], &tok, &len)) == 1) {
		unsigned slot = (unsigned)(uintptr_t)tok - 1;
		uint8_t b[44 + 4096];
		size_t got = 0;

		if (slot >= NRX)
			abort();
		for (unsigned s = 0; s < f->rxnseg[slot]; s++) {
			memcpy(b + got, f->mem + (f->rxseg[slot][s].addr - GPA), f->rxseg[slot][s].len);
			got += f->rxseg[slot][s].len;
		}
		if (len) {
			/* accept_any_src_cid talks to whatever CID wrote to it */
			if (len < 44 || rd(b + VSK_HDR_OFF_LEN, 4) != len - 44 ||
			    rd(b + VSK_HDR_OFF_SRC_CID, 8) != HOST ||
			    (rd(b + VSK_HDR_OFF_DST_CID, 8) != GUEST && !f->any_src))
				abort();
		}
		rx_add(f, slot);
	}
	if (rc < 0)
		abort();
	while ((rc = vsk_vq_drv_get(&f->q[VSK_VQ_EVENT], &tok, &len)) == 1)
		ev_add(f, (unsigned)(uintptr_t)tok - 1);
	if (rc < 0)
		abort();
	cf_dev_run(f->d);
}

static void tx_pkt(struct fz *f)
{
	uint8_t lay = byte(f), h[44];
	uint64_t addr = GPA + TXOFF + (f->txn++ % 8) * 0x1000ULL;
	struct vsk_vq_seg s[3];
	unsigned ns;
	uint16_t plen;

	take(f, h, sizeof(h));
	if (!(lay & 4)) {        /* mostly: the right CIDs */
		uint64_t g = htole64(GUEST), hc = htole64(HOST);
		memcpy(h + VSK_HDR_OFF_SRC_CID, &g, 8);
		memcpy(h + VSK_HDR_OFF_DST_CID, &hc, 8);
	}
	if (!(lay & 8)) {        /* mostly: a few ports, so packets meet connections */
		for (unsigned o = VSK_HDR_OFF_SRC_PORT; o <= VSK_HDR_OFF_DST_PORT; o += 4) {
			uint32_t port = htole32(1000 + h[o] % 4);
			memcpy(h + o, &port, 4);
		}
	}
	plen = le16(f) % 2048;
	memcpy(f->mem + (addr - GPA), h, 44);
	take(f, f->mem + (addr - GPA) + 44, plen);
	uint32_t len = 44u + plen;
	switch (lay & 3) {
	case 0:
		s[0] = (struct vsk_vq_seg){addr, len, false};
		ns = 1;
		break;
	case 1: case 3:
		s[0] = (struct vsk_vq_seg){addr, 44, false};
		s[1] = (struct vsk_vq_seg){addr + 44, plen, false};
		ns = 2;
		break;
	default:
		s[0] = (struct vsk_vq_seg){addr, len / 3, false};
		s[1] = (struct vsk_vq_seg){addr + len / 3, len / 3, false};
		s[2] = (struct vsk_vq_seg){addr + 2 * (len / 3), len - 2 * (len / 3), false};
		ns = 3;
		break;
	}
	/* VSK_E_FULL: the device stopped taking tx (a ring rule broken, e.g. indirect
	 * descriptors without the feature): the packet is not sent */
	int rc = vsk_vq_drv_add(&f->q[VSK_VQ_TX], s, ns, (lay & 3) == 3, NULL);
	if (rc != 0 && rc != VSK_E_FULL)
		abort();
}

static int type_of(uint8_t b)
{
	return b % 3 == 0 ? VSK_TYPE_SEQPACKET : b % 3 == 1 ? VSK_TYPE_STREAM : b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t appbuf[8192];
	struct cf_dev_config cfg = {.guest_cid = GUEST, .host_cid = HOST};
	struct fz f;
	uint64_t feat;

	memset(&f, 0, sizeof(f));
	f.p = data;
	f.n = size;
	uint8_t fb = byte(&f), mb = byte(&f);

	if (mb < CF_MUT__COUNT)
		cfg.mutations = 1ULL << mb;
	f.any_src = mb == CF_MUT_ACCEPT_ANY_SRC_CID;
	f.rxl = (fb >> 4) & 3;
	if (!(f.mem = aligned_alloc(4096, MEMSZ)))
		return 0;
	memset(f.mem, 0, MEMSZ);
	vsk_mem_flat_init(&f.flat, f.mem, GPA, MEMSZ);
	if (!(f.d = cf_dev_new(&cfg, &f.flat.mem)))
		abort();
	feat = (fb & 7) | (1ULL << VSK_F_VERSION_1) | (fb & 8 ? 1ULL << VSK_F_INDIRECT_DESC : 0);
	if (cf_dev_set_features(f.d, feat) != 0)
		abort();
	for (unsigned q = 0; q < 3; q++) {
		struct vsk_vq_addr a = {NUM, GPA + q * 0x2000ULL, 0, 0};

		a.avail = a.desc + vsk_vq_desc_size(NUM);
		a.used = (a.avail + vsk_vq_avail_size(NUM) + 3) & ~3ULL;
		if (vsk_vq_drv_init(&f.q[q], &f.flat.mem, &a, GPA + INDOFF + q * 0x10000ULL, feat) ||
		    cf_dev_set_vring(f.d, q, &a))
			abort();
	}
	for (unsigned i = 0; i < NRX; i++)
		rx_add(&f, i);
	for (unsigned i = 0; i < 4; i++)
		ev_add(&f, i);
	if (cf_dev_start(f.d) != 0)
		abort();
	for (unsigned steps = 0; f.n && steps < 4096; steps++) {
		uint8_t c = byte(&f), a = byte(&f);
		bool eor;

		switch (c % 8) {
		case 0:
			f.p--, f.n++;            /* a is the layout byte */
			tx_pkt(&f);
			break;
		case 1:
			cf_dev_listen(f.d, 1000 + a % 4, type_of(byte(&f)));
			break;
		case 2:
			cf_dev_accept(f.d, a % 8);
			break;
		case 3:
			cf_dev_connect(f.d, byte(&f) & 1 ? GUEST : a, 1000 + a % 4, type_of(a >> 2));
			break;
		case 4: {
			uint16_t n = le16(&f) % sizeof(appbuf);
			ssize_t r = cf_dev_send(f.d, a % 8, appbuf, n, byte(&f) & 1);
			if (r > (ssize_t)n)
				abort();
			break;
		}
		case 5: {
			uint16_t n = le16(&f) % sizeof(appbuf);
			ssize_t r = cf_dev_recv(f.d, a % 8, appbuf, n, &eor);
			if (r > (ssize_t)n)
				abort();
			break;
		}
		case 6: {
			uint8_t how = byte(&f);
			if (how % 4 == 3)
				cf_dev_close(f.d, a % 8);
			else
				cf_dev_shutdown(f.d, a % 8, how % 4 == 0 ? SHUT_RD :
						how % 4 == 1 ? SHUT_WR : SHUT_RDWR);
			break;
		}
		default:
			if (a < 200)
				cf_dev_advance(f.d, a * 50ULL);
			else if (a < 250)
				cf_dev_set_buffer(f.d, a % 8, 1ULL << (a % 24));
			else
				cf_dev_transport_reset(f.d);
			break;
		}
		reap(&f);
	}
	/* The end: time passes, every timer fires, the queues are reaped once more. */
	cf_dev_advance(f.d, 60000);
	reap(&f);
	if (cf_dev_ring_broken(f.d, VSK_VQ_RX, NULL) || cf_dev_ring_broken(f.d, VSK_VQ_EVENT, NULL))
		abort();
	for (unsigned q = 0; q < 3; q++)
		vsk_vq_drv_fini(&f.q[q]);
	cf_dev_free(f.d);
	free(f.mem);
	return 0;
}
