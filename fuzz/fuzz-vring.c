/* fuzz-vring.c - the split virtqueue (lib/vring.c) on arbitrary guest memory.
 *
 * Input: a 9-byte header, then guest memory (seen at guest address 0x1000):
 *   [0]     queue size: 1 << (b % 16) unless b & 0x80, then b & 0x7f (mostly invalid)
 *   [1..2]  le16 descriptor table offset into memory
 *   [3..4]  le16 avail ring offset
 *   [5..6]  le16 used ring offset
 *   [7]     bit 0: VIRTIO_F_INDIRECT_DESC negotiated; bits 1..7: bytes to write per chain
 *   [8]     chains the driver role adds before the used ring is replaced
 * Device role: pop every chain, check what came out, read it, write into it, push it.
 * Driver role: a fresh queue of the same size gets chains, then its used ring is overwritten
 * with the memory's first bytes (a device writing garbage) and reaped until it stops.
 * Either role may find a broken rule; neither may crash, read outside memory or hand back
 * an inconsistent chain or token. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/error.h"
#include "vsk/proto.h"
#include "vsk/vring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GPA 0x1000ULL
#define HDR 9

static uint16_t le16_of(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void check_chain(const struct vsk_vq_dev *q, const struct vsk_vq_chain *c,
			const struct vsk_mem *m)
{
	uint64_t r = 0, w = 0;
	bool seen_w = false;

	if (c->nseg == 0 || c->nseg > VSK_VQ_MAX_SEGS || c->head >= q->a.num)
		abort();
	for (unsigned i = 0; i < c->nseg; i++) {
		const struct vsk_vq_seg *s = &c->seg[i];

		if (!m->map(m, s->addr, s->len))
			abort();
		if (s->write)
			seen_w = true, w += s->len;
		else if (seen_w)
			abort();
		else
			r += s->len;
	}
	if (r != c->rlen || w != c->wlen)
		abort();
}

static void device_walk(const uint8_t *h, uint8_t *mem, size_t len)
{
	struct vsk_mem_flat flat;
	struct vsk_vq_addr a;
	struct vsk_vq_dev q;
	struct vsk_vq_chain c;
	uint8_t buf[512];
	unsigned wr = h[7] >> 1;
	int rc;

	vsk_mem_flat_init(&flat, mem, GPA, len);
	a.num = h[0] & 0x80 ? h[0] & 0x7f : (uint16_t)(1u << (h[0] % 16));
	a.desc = GPA + le16_of(h + 1);
	a.avail = GPA + le16_of(h + 3);
	a.used = GPA + le16_of(h + 5);
	if (vsk_vq_dev_init(&q, &flat.mem, &a, h[7] & 1 ? 1ULL << VSK_F_INDIRECT_DESC : 0) != 0) {
		if (q.broken == VSK_RING_OK)
			abort();
		return;
	}
	/* At most 2 * num pops: the device keeps going as the avail ring says. */
	for (unsigned n = 0; n < 2u * a.num + 1; n++) {
		uint16_t pend = vsk_vq_dev_pending(&q);

		rc = vsk_vq_dev_pop(&q, &c);
		if (rc == 0 && pend == 0 && q.broken == VSK_RING_OK)
			break;
		if (rc == VSK_E_RING) {
			if (q.broken == VSK_RING_OK || q.broken >= VSK_RING__COUNT ||
			    !q.detail[0] || vsk_vq_dev_pop(&q, &c) != VSK_E_RING)
				abort();
			break;
		}
		if (rc != 1)
			abort();
		check_chain(&q, &c, &flat.mem);
		size_t got = vsk_vq_dev_read(&q, &c, 0, buf, sizeof(buf));
		if (got > c.rlen || (got < sizeof(buf) && got != c.rlen))
			abort();
		if (c.rlen > 7)
			vsk_vq_dev_read(&q, &c, c.rlen - 7, buf, sizeof(buf));
		memset(buf, 0xa5, wr);
		size_t put = vsk_vq_dev_write(&q, &c, n % 5, buf, wr);
		if (put > wr || put > c.wlen)
			abort();
		if (vsk_vq_dev_push(&q, c.head, (uint32_t)put) != 0)
			abort();
	}
	(void)vsk_vq_dev_no_interrupt(&q);
}

static void driver_walk(const uint8_t *h, const uint8_t *garbage, size_t glen)
{
	static uint8_t mem[1 << 19] __attribute__((aligned(16))); /* rings, tables for 256 */
	struct vsk_mem_flat flat;
	struct vsk_vq_addr a;
	struct vsk_vq_drv q;
	unsigned added = 0, reaped = 0;
	uint8_t tokens[256] = {0};

	/* drv_init zeroes the rings; the rest is only ever written by the driver role */
	vsk_mem_flat_init(&flat, mem, GPA, sizeof(mem));
	a.num = (uint16_t)(1u << (h[0] % 9)); /* up to 256: fits the tables below */
	a.desc = GPA;
	a.avail = GPA + 4096;
	a.used = GPA + 8192;
	if (vsk_vq_drv_init(&q, &flat.mem, &a, GPA + 16384, 1ULL << VSK_F_INDIRECT_DESC) != 0)
		abort();
	for (unsigned i = 0; i < h[8]; i++) {
		struct vsk_vq_seg s[3] = {{GPA + 0x70000, 44, false}, {GPA + 0x70100, 100, true},
					  {GPA + 0x70200, 7 * i, true}};
		unsigned n = 1 + i % 3;
		int rc = vsk_vq_drv_add(&q, s, n, i % 4 == 3, &tokens[i % 256]);

		if (rc == VSK_E_FULL)
			break;
		if (rc != 0)
			abort();
		added++;
	}
	/* The device scribbles the used ring (flags, idx, elements). */
	uint64_t ulen = vsk_vq_used_size(a.num);
	memcpy(mem + (a.used - GPA), garbage, glen < ulen ? glen : ulen);
	for (;;) {
		void *tok = NULL;
		uint32_t len = 0;
		int rc = vsk_vq_drv_get(&q, &tok, &len);

		if (rc == 0)
			break;
		if (rc == VSK_E_RING) {
			if (q.broken < VSK_RING_USED_IDX_JUMP || q.broken >= VSK_RING__COUNT ||
			    !q.detail[0])
				abort();
			break;
		}
		if (rc != 1 || (uint8_t *)tok < tokens || (uint8_t *)tok >= tokens + 256 ||
		    ++reaped > added)
			abort();
	}
	if (vsk_vq_drv_pending(&q) != added - reaped)
		abort();
	/* Every descriptor is either free or in a pending chain. */
	unsigned held = 0;
	for (unsigned i = 0; i < a.num; i++)
		held += q.chain_len[i];
	if (held + q.nfree != a.num)
		abort();
	vsk_vq_drv_fini(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *mem;
	size_t len;

	if (size < HDR)
		return 0;
	len = size - HDR;
	/* An exact-size copy (malloc: 16-byte aligned here): ASan sees any access past the
	 * end. */
	mem = malloc(len ? len : 1);
	if (!mem)
		return 0;
	memcpy(mem, data + HDR, len);
	device_walk(data, mem, len);
	driver_walk(data, data + HDR, len);
	free(mem);
	return 0;
}
