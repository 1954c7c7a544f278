/* vring.c - the split virtqueue of lib/vsk/vring.h, both roles.
 *
 * virtio spec, Basic Facilities of a Virtio Device: Split Virtqueues.  Layout (all fields
 * little-endian):
 *   descriptor table: num x {le64 addr, le32 len, le16 flags, le16 next}
 *   avail ring:       le16 flags, le16 idx, le16 ring[num], le16 used_event
 *   used ring:        le16 flags, le16 idx, {le32 id, le32 len} ring[num], le16 avail_event
 *
 * Neither role trusts the other: every field the other side wrote is read once, through a
 * freshly mapped pointer, into a local, and checked before use.  The first broken rule is
 * recorded (rule + detail) and the queue stays broken, like the spec's DEVICE_NEEDS_RESET.
 * Shared indices (avail->idx, used->idx) are loaded with acquire and stored with release
 * ordering so the buffers they publish are seen complete. */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/error.h"
#include "vsk/proto.h"
#include "vsk/vring.h"

const struct vsk_ring_rule_info vsk_ring_rules[VSK_RING__COUNT] = {
	[VSK_RING_OK] = {VSK_RING_OK, "ok", "", "no rule broken"},
#define VSK_RING_RULE(ID, name, clause, text) [VSK_RING_##ID] = {VSK_RING_##ID, name, clause, text},
#include "vsock.def"
};

#define DESC_LEN ((uint64_t)VSK_VRING_DESC_LEN)
#define F_INDIRECT (1ULL << VSK_F_INDIRECT_DESC)

/* ---- memory ---- */

static void *flat_map(const struct vsk_mem *m, uint64_t addr, uint64_t len)
{
	const struct vsk_mem_flat *f = m->ctx;

	if (addr < f->gpa)
		return NULL;
	uint64_t off = addr - f->gpa;
	if (off > f->size || len > f->size - off)
		return NULL;
	return f->base + off;
}

void vsk_mem_flat_init(struct vsk_mem_flat *f, void *base, uint64_t gpa, uint64_t size)
{
	f->mem.map = flat_map;
	f->mem.ctx = f;
	f->base = base;
	f->gpa = gpa;
	/* guest addresses must not wrap: gpa + size fits in 64 bits */
	f->size = size > UINT64_MAX - gpa ? UINT64_MAX - gpa : size;
}

static void *map(const struct vsk_mem *m, uint64_t addr, uint64_t len)
{
	if (len > UINT64_MAX - addr)
		return NULL;
	return m->map(m, addr, len);
}

/* ---- little-endian accessors (memcpy: no alignment or aliasing assumptions) ---- */

static uint16_t ld16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static uint32_t ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void st16(void *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void st32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void st64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* Shared indices: an atomic access where the host pointer is aligned (it is whenever the
 * memory's host base is, as the ring addresses are checked for alignment), else a plain
 * copy with a fence. */
static uint16_t ld16_acquire(const void *p)
{
	uint16_t v;

	if (((uintptr_t)p & 1) == 0) {
		v = __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
	} else {
		memcpy(&v, p, 2);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	}
	return le16toh(v);
}

static void st16_release(void *p, uint16_t v)
{
	v = htole16(v);
	if (((uintptr_t)p & 1) == 0) {
		__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
	} else {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		memcpy(p, &v, 2);
	}
}

/* ---- sizes and set-up checks shared by both roles ---- */

uint64_t vsk_vq_desc_size(uint16_t num) { return DESC_LEN * num; }
uint64_t vsk_vq_avail_size(uint16_t num) { return 6 + 2ULL * num; }
uint64_t vsk_vq_used_size(uint16_t num) { return 6 + 8ULL * num; }

/* Records rule r with a detail line (the first broken rule wins) and returns VSK_E_RING. */
__attribute__((format(printf, 5, 6)))
static int brk(enum vsk_ring_rule *broken, char *detail, size_t dlen, enum vsk_ring_rule r,
	       const char *fmt, ...)
{
	va_list ap;

	if (*broken != VSK_RING_OK)
		return VSK_E_RING;
	*broken = r;
	va_start(ap, fmt);
	vsnprintf(detail, dlen, fmt, ap);
	va_end(ap);
	return VSK_E_RING;
}
#define BREAK(q, r, ...) brk(&(q)->broken, (q)->detail, sizeof((q)->detail), r, __VA_ARGS__)

static bool queue_size_ok(uint16_t num)
{
	return num != 0 && num <= VSK_VRING_MAX_SIZE && (num & (num - 1)) == 0;
}

/* The three parts must be mapped and aligned (desc 16, avail 2, used 4).  Returns a static
 * description of what is wrong, or NULL. */
static const char *addr_problem(const struct vsk_mem *mem, const struct vsk_vq_addr *a)
{
	if (a->desc % 16)
		return "descriptor table not 16-byte aligned";
	if (a->avail % 2)
		return "avail ring not 2-byte aligned";
	if (a->used % 4)
		return "used ring not 4-byte aligned";
	if (!map(mem, a->desc, vsk_vq_desc_size(a->num)))
		return "descriptor table outside memory";
	if (!map(mem, a->avail, vsk_vq_avail_size(a->num)))
		return "avail ring outside memory";
	if (!map(mem, a->used, vsk_vq_used_size(a->num)))
		return "used ring outside memory";
	return NULL;
}

/* ---- device role ---- */

int vsk_vq_dev_init(struct vsk_vq_dev *q, const struct vsk_mem *mem,
		    const struct vsk_vq_addr *a, uint64_t features)
{
	const char *why;

	memset(q, 0, sizeof(*q));
	q->mem = mem;
	q->a = *a;
	q->indirect = (features & F_INDIRECT) != 0;
	if (!queue_size_ok(a->num))
		return BREAK(q, VSK_RING_QUEUE_SIZE, "queue size %u", a->num);
	if ((why = addr_problem(mem, a)))
		return BREAK(q, VSK_RING_RING_ADDR, "%s", why);
	return 0;
}

/* Reads avail->idx and checks how far it moved: the number of new entries, or -1 (broken). */
static int dev_new_entries(struct vsk_vq_dev *q)
{
	uint8_t *av;
	uint16_t idx, n;

	if (q->broken)
		return -1;
	if (!(av = map(q->mem, q->a.avail, vsk_vq_avail_size(q->a.num)))) {
		BREAK(q, VSK_RING_RING_ADDR, "avail ring no longer mapped");
		return -1;
	}
	idx = ld16_acquire(av + 2);
	n = (uint16_t)(idx - q->last_avail);
	if (n > q->a.num) {
		BREAK(q, VSK_RING_AVAIL_IDX_JUMP, "avail idx %u, last popped %u, num %u", idx,
		      q->last_avail, q->a.num);
		return -1;
	}
	return n;
}

uint16_t vsk_vq_dev_pending(struct vsk_vq_dev *q)
{
	int n = dev_new_entries(q);

	return n < 0 ? 0 : (uint16_t)n;
}

/* One descriptor as read from memory. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static bool read_desc(const struct vsk_mem *mem, uint64_t table, uint32_t i, struct desc *d)
{
	const uint8_t *p = map(mem, table + DESC_LEN * i, DESC_LEN);

	if (!p)
		return false;
	d->addr = ld64(p);
	d->len = ld32(p + 8);
	d->flags = ld16(p + 12);
	d->next = ld16(p + 14);
	return true;
}

int vsk_vq_dev_pop(struct vsk_vq_dev *q, struct vsk_vq_chain *c)
{
	int n = dev_new_entries(q);
	const uint8_t *av;
	uint64_t table = q->a.desc;
	uint32_t tsize = q->a.num;  /* entries of the table being walked */
	uint32_t walked = 0;        /* descriptors walked in that table */
	uint32_t i;
	unsigned nseg = 0;
	bool in_indirect = false, seen_write = false;

	if (n < 0)
		return VSK_E_RING;
	if (n == 0)
		return 0;
	c->nseg = 0;
	c->rlen = c->wlen = 0;
	if (!(av = map(q->mem, q->a.avail, vsk_vq_avail_size(q->a.num))))
		return BREAK(q, VSK_RING_RING_ADDR, "avail ring no longer mapped");
	i = ld16(av + 4 + 2 * (q->last_avail % q->a.num));
	if (i >= q->a.num)
		return BREAK(q, VSK_RING_HEAD_RANGE, "head %u >= num %u", i, q->a.num);
	c->head = (uint16_t)i;

	for (;;) {
		struct desc d;

		/* More descriptors walked than the table holds: some index repeats. */
		if (++walked > tsize)
			return BREAK(q, VSK_RING_CHAIN_LOOP, "chain from head %u: more than %u "
				     "descriptors in its %s table", c->head, tsize,
				     in_indirect ? "indirect" : "descriptor");
		if (!read_desc(q->mem, table, i, &d))
			return BREAK(q, VSK_RING_RING_ADDR, "descriptor %u not mapped", i);
		if (d.flags & VSK_VRING_DESC_F_INDIRECT) {
			if (!q->indirect)
				return BREAK(q, VSK_RING_INDIRECT_UNNEGOTIATED,
					     "descriptor %u is indirect", i);
			if (in_indirect)
				return BREAK(q, VSK_RING_INDIRECT_NESTED,
					     "indirect descriptor %u inside an indirect table", i);
			if (d.flags & VSK_VRING_DESC_F_NEXT)
				return BREAK(q, VSK_RING_INDIRECT_NEXT,
					     "descriptor %u has INDIRECT and NEXT", i);
			if (d.len == 0 || d.len % DESC_LEN)
				return BREAK(q, VSK_RING_INDIRECT_LEN,
					     "indirect table of descriptor %u: len %u", i, d.len);
			if (!map(q->mem, d.addr, d.len))
				return BREAK(q, VSK_RING_DESC_ADDR, "indirect table 0x%llx+%u "
					     "outside memory", (unsigned long long)d.addr, d.len);
			/* The WRITE flag of the descriptor naming the table is ignored (spec:
			 * Indirect Descriptors). */
			table = d.addr;
			tsize = d.len / DESC_LEN;
			walked = 0;
			in_indirect = true;
			i = 0;
			continue;
		}
		if (!map(q->mem, d.addr, d.len))
			return BREAK(q, VSK_RING_DESC_ADDR, "descriptor %u: 0x%llx+%u outside memory",
				     i, (unsigned long long)d.addr, d.len);
		if (d.flags & VSK_VRING_DESC_F_WRITE) {
			seen_write = true;
			c->wlen += d.len;
		} else {
			if (seen_write)
				return BREAK(q, VSK_RING_READ_AFTER_WRITE,
					     "descriptor %u readable after a writable one", i);
			c->rlen += d.len;
		}
		/* Past the limit keep walking (a loop or a bad next wins), store nothing. */
		if (nseg < VSK_VQ_MAX_SEGS)
			c->seg[nseg] = (struct vsk_vq_seg){d.addr, d.len,
					(d.flags & VSK_VRING_DESC_F_WRITE) != 0};
		nseg++;
		if (!(d.flags & VSK_VRING_DESC_F_NEXT))
			break;
		if (d.next >= tsize)
			return BREAK(q, VSK_RING_NEXT_RANGE, "descriptor %u: next %u >= %u", i,
				     d.next, tsize);
		i = d.next;
	}
	if (nseg > VSK_VQ_MAX_SEGS)
		return BREAK(q, VSK_RING_CHAIN_SEGS, "chain from head %u: %u segments, limit %u",
			     c->head, nseg, VSK_VQ_MAX_SEGS);
	c->nseg = nseg;
	q->last_avail++;
	return 1;
}

static size_t dev_copy(const struct vsk_vq_dev *q, const struct vsk_vq_chain *c, bool wr,
		       uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	unsigned nseg = c->nseg < VSK_VQ_MAX_SEGS ? c->nseg : VSK_VQ_MAX_SEGS;

	for (unsigned s = 0; s < nseg && done < len; s++) {
		const struct vsk_vq_seg *g = &c->seg[s];
		uint64_t n;
		uint8_t *p;

		if (g->write != wr)
			continue;
		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		n = g->len - off;
		if (n > len - done)
			n = len - done;
		if (!(p = map(q->mem, g->addr + off, n)))
			break;
		if (wr)
			memcpy(p, (const uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, p, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vsk_vq_dev_read(const struct vsk_vq_dev *q, const struct vsk_vq_chain *c,
		       uint64_t off, void *dst, size_t len)
{
	return dev_copy(q, c, false, off, dst, len);
}

size_t vsk_vq_dev_write(const struct vsk_vq_dev *q, const struct vsk_vq_chain *c,
			uint64_t off, const void *src, size_t len)
{
	return dev_copy(q, c, true, off, (void *)src, len);
}

int vsk_vq_dev_push(struct vsk_vq_dev *q, uint16_t head, uint32_t len)
{
	uint8_t *u;

	if (q->broken)
		return VSK_E_RING;
	if (head >= q->a.num)
		return VSK_E_RANGE;
	if (!(u = map(q->mem, q->a.used, vsk_vq_used_size(q->a.num))))
		return BREAK(q, VSK_RING_RING_ADDR, "used ring no longer mapped");
	uint8_t *e = u + 4 + 8 * (q->used_idx % q->a.num);
	st32(e, head);
	st32(e + 4, len);
	q->used_idx++;
	st16_release(u + 2, q->used_idx);
	return 0;
}

bool vsk_vq_dev_no_interrupt(const struct vsk_vq_dev *q)
{
	const uint8_t *av = map(q->mem, q->a.avail, 2);

	return av && (ld16(av) & VSK_VRING_AVAIL_F_NO_INTERRUPT);
}

/* ---- driver role ---- */

#define IND_TABLE_BYTES (DESC_LEN * VSK_VQ_MAX_SEGS)

int vsk_vq_drv_init(struct vsk_vq_drv *q, const struct vsk_mem *mem,
		    const struct vsk_vq_addr *a, uint64_t indirect_base, uint64_t features)
{
	const char *why;
	uint8_t *p;

	(void)features; /* the caller decides what it puts in the ring, rules or not */
	memset(q, 0, sizeof(*q));
	q->mem = mem;
	q->a = *a;
	q->indirect_base = indirect_base;
	if (!queue_size_ok(a->num))
		return BREAK(q, VSK_RING_QUEUE_SIZE, "queue size %u", a->num);
	if ((why = addr_problem(mem, a)))
		return BREAK(q, VSK_RING_RING_ADDR, "%s", why);
	if (indirect_base && (indirect_base % 16 ||
			      !map(mem, indirect_base, IND_TABLE_BYTES * a->num)))
		return BREAK(q, VSK_RING_RING_ADDR, "indirect table area outside memory or "
			     "misaligned");
	q->next_free = calloc(a->num, sizeof(*q->next_free));
	q->chain_len = calloc(a->num, sizeof(*q->chain_len));
	q->chain_wlen = calloc(a->num, sizeof(*q->chain_wlen));
	q->token = calloc(a->num, sizeof(*q->token));
	if (!q->next_free || !q->chain_len || !q->chain_wlen || !q->token) {
		vsk_vq_drv_fini(q);
		return VSK_E_NOMEM;
	}
	memset(map(mem, a->desc, vsk_vq_desc_size(a->num)), 0, vsk_vq_desc_size(a->num));
	memset(map(mem, a->avail, vsk_vq_avail_size(a->num)), 0, vsk_vq_avail_size(a->num));
	memset(map(mem, a->used, vsk_vq_used_size(a->num)), 0, vsk_vq_used_size(a->num));
	for (uint32_t i = 0; i < a->num; i++)
		q->next_free[i] = (uint16_t)(i + 1);
	q->free_head = 0;
	q->nfree = a->num;
	p = map(mem, a->avail, 2);
	st16(p, 0);
	return 0;
}

void vsk_vq_drv_fini(struct vsk_vq_drv *q)
{
	free(q->next_free);
	free(q->chain_len);
	free(q->chain_wlen);
	free(q->token);
	q->next_free = q->chain_len = NULL;
	q->chain_wlen = NULL;
	q->token = NULL;
	q->nfree = 0;
}

static void put_desc(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	st64(p, addr);
	st32(p + 8, len);
	st16(p + 12, flags);
	st16(p + 14, next);
}

int vsk_vq_drv_add(struct vsk_vq_drv *q, const struct vsk_vq_seg *seg, unsigned n,
		   bool indirect, void *token)
{
	unsigned need = indirect ? 1 : n;
	uint64_t wlen = 0;
	uint8_t *desc, *av;
	uint16_t head, i;

	if (q->broken)
		return VSK_E_RING;
	if (n == 0 || n > VSK_VQ_MAX_SEGS || (indirect && !q->indirect_base))
		return VSK_E_RANGE;
	for (unsigned k = 0; k < n; k++) {
		if (k && seg[k - 1].write && !seg[k].write)
			return VSK_E_RANGE;
		if (seg[k].write)
			wlen += seg[k].len;
	}
	if (q->nfree < need)
		return VSK_E_FULL;
	desc = map(q->mem, q->a.desc, vsk_vq_desc_size(q->a.num));
	av = map(q->mem, q->a.avail, vsk_vq_avail_size(q->a.num));
	if (!desc || !av)
		return BREAK(q, VSK_RING_RING_ADDR, "rings no longer mapped");

	head = q->free_head;
	if (indirect) {
		uint64_t tab = q->indirect_base + IND_TABLE_BYTES * head;
		uint8_t *t = map(q->mem, tab, DESC_LEN * n);

		if (!t)
			return BREAK(q, VSK_RING_RING_ADDR, "indirect table no longer mapped");
		for (unsigned k = 0; k < n; k++)
			put_desc(t + DESC_LEN * k, seg[k].addr, seg[k].len,
				 (uint16_t)((seg[k].write ? VSK_VRING_DESC_F_WRITE : 0) |
					    (k + 1 < n ? VSK_VRING_DESC_F_NEXT : 0)),
				 (uint16_t)(k + 1 < n ? k + 1 : 0));
		put_desc(desc + DESC_LEN * head, tab, (uint32_t)(DESC_LEN * n),
			 VSK_VRING_DESC_F_INDIRECT, 0);
		q->free_head = q->next_free[head];
		q->next_free[head] = 0;
	} else {
		i = head;
		for (unsigned k = 0; k < n; k++) {
			uint16_t nx = q->next_free[i];
			bool last = k + 1 == n;

			put_desc(desc + DESC_LEN * i, seg[k].addr, seg[k].len,
				 (uint16_t)((seg[k].write ? VSK_VRING_DESC_F_WRITE : 0) |
					    (last ? 0 : VSK_VRING_DESC_F_NEXT)),
				 last ? 0 : nx);
			/* next_free keeps our own copy of the chain links: freeing a chain
			 * never trusts the descriptor table, which the device could scribble. */
			if (last) {
				q->free_head = nx;
				q->next_free[i] = 0;
			} else {
				i = nx;
			}
		}
	}
	q->nfree = (uint16_t)(q->nfree - need);
	q->chain_len[head] = (uint16_t)need;
	q->chain_wlen[head] = wlen > UINT32_MAX ? UINT32_MAX : (uint32_t)wlen;
	q->token[head] = token;
	st16(av + 4 + 2 * (q->avail_idx % q->a.num), head);
	q->avail_idx++;
	st16_release(av + 2, q->avail_idx);
	return 0;
}

int vsk_vq_drv_get(struct vsk_vq_drv *q, void **token, uint32_t *len)
{
	uint8_t *u;
	uint16_t idx, n, inflight;
	uint32_t id, ulen;

	if (q->broken)
		return VSK_E_RING;
	if (!(u = map(q->mem, q->a.used, vsk_vq_used_size(q->a.num))))
		return BREAK(q, VSK_RING_RING_ADDR, "used ring no longer mapped");
	idx = ld16_acquire(u + 2);
	n = (uint16_t)(idx - q->last_used);
	if (n == 0)
		return 0;
	inflight = (uint16_t)(q->avail_idx - q->last_used);
	if (n > inflight)
		return BREAK(q, VSK_RING_USED_IDX_JUMP, "used idx %u, last reaped %u, %u in "
			     "flight", idx, q->last_used, inflight);
	const uint8_t *e = u + 4 + 8 * (q->last_used % q->a.num);
	id = ld32(e);
	ulen = ld32(e + 4);
	if (id >= q->a.num)
		return BREAK(q, VSK_RING_USED_ID_RANGE, "used id %u >= num %u", id, q->a.num);
	if (q->chain_len[id] == 0)
		return BREAK(q, VSK_RING_USED_ID_NOT_PENDING, "used id %u is not a pending head",
			     id);
	if (ulen > q->chain_wlen[id])
		return BREAK(q, VSK_RING_USED_LEN_OVER, "used id %u: len %u > %u writable bytes",
			     id, ulen, q->chain_wlen[id]);
	/* Give the chain's descriptors back to the free list (our own links). */
	uint16_t d = (uint16_t)id, last = d;
	for (uint16_t k = 1; k < q->chain_len[id]; k++)
		last = q->next_free[last];
	q->next_free[last] = q->free_head;
	q->free_head = d;
	q->nfree = (uint16_t)(q->nfree + q->chain_len[id]);
	q->chain_len[id] = 0;
	if (token)
		*token = q->token[id];
	if (len)
		*len = ulen;
	q->token[id] = NULL;
	q->last_used++;
	return 1;
}

unsigned vsk_vq_drv_pending(const struct vsk_vq_drv *q)
{
	return (uint16_t)(q->avail_idx - q->last_used);
}

void vsk_vq_drv_set_no_interrupt(struct vsk_vq_drv *q, bool on)
{
	uint8_t *av = map(q->mem, q->a.avail, 2);

	if (av)
		st16(av, on ? VSK_VRING_AVAIL_F_NO_INTERRUPT : 0);
}
