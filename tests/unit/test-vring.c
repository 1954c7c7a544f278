/* test-vring.c - lib/vring.c: every ring rule provoked and named, round trips driver ->
 * device -> driver (direct, indirect, 1/2/N segments), 16-bit index wraparound, full queue. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vsk/error.h"
#include "vsk/proto.h"
#include "vsk/vring.h"

#define GPA 0x100000ULL
#define MEMSZ (4u << 20)
/* Layout inside memory: rings at 0, indirect tables at 1 MiB, data at 2 MiB. */
#define OFF_IND (1u << 20)
#define OFF_DATA (2u << 20)

static uint8_t *mem;
static struct vsk_mem_flat flat;
static struct vsk_vq_addr qa;
static struct vsk_vq_drv drv;
static struct vsk_vq_dev dev;
static unsigned provoked[VSK_RING__COUNT];

static uint64_t feat_ind = 1ULL << VSK_F_INDIRECT_DESC;

/* Lays out a queue of num entries and sets up both roles on it. */
static void setup(uint16_t num, bool dev_indirect)
{
	memset(mem, 0, MEMSZ);
	qa.num = num;
	qa.desc = GPA;
	qa.avail = GPA + vsk_vq_desc_size(num);
	qa.used = (qa.avail + vsk_vq_avail_size(num) + 3) & ~3ULL;
	vsk_vq_drv_fini(&drv);
	if (vsk_vq_drv_init(&drv, &flat.mem, &qa, GPA + OFF_IND, feat_ind) != 0)
		abort();
	if (vsk_vq_dev_init(&dev, &flat.mem, &qa, dev_indirect ? feat_ind : 0) != 0)
		abort();
}

static uint8_t *host(uint64_t gpa) { return mem + (gpa - GPA); }

/* Descriptor i of the main table, fields written raw. */
static void desc_set(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *p = host(table + 16ULL * i);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &f, 2);
	memcpy(p + 14, &n, 2);
}

static uint16_t desc_flags(uint64_t table, unsigned i)
{
	uint16_t f;

	memcpy(&f, host(table + 16ULL * i + 12), 2);
	return le16toh(f);
}

static void le16_at(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(host(gpa), &v, 2);
}

static void le32_at(uint64_t gpa, uint32_t v)
{
	v = htole32(v);
	memcpy(host(gpa), &v, 4);
}

static struct vsk_vq_seg data_seg(unsigned k, uint32_t len, bool write)
{
	return (struct vsk_vq_seg){GPA + OFF_DATA + 4096ULL * k, len, write};
}

/* The rule a role recorded is `want`, by id and by name. */
static void expect_rule(enum vsk_ring_rule got, const char *detail, enum vsk_ring_rule want,
			const char *what)
{
	char label[160];

	snprintf(label, sizeof(label), "%s: rule %s", what, vsk_ring_rules[want].name);
	if (tap_streq(vsk_ring_rules[got].name, vsk_ring_rules[want].name, label)) {
		provoked[want]++;
		tap_ok(detail[0] != '\0', "%s: detail \"%s\"", what, detail);
	} else {
		printf("#   detail: %s\n", detail);
	}
}

static void expect_pop_rule(enum vsk_ring_rule want, const char *what)
{
	struct vsk_vq_chain c;
	int rc = vsk_vq_dev_pop(&dev, &c);

	tap_ok(rc == VSK_E_RING, "%s: pop returns VSK_E_RING (%d)", what, rc);
	expect_rule(dev.broken, dev.detail, want, what);
	tap_ok(vsk_vq_dev_pop(&dev, &c) == VSK_E_RING && dev.broken == want,
	       "%s: the queue stays broken", what);
}

static void expect_get_rule(enum vsk_ring_rule want, const char *what)
{
	void *tok;
	uint32_t len;
	int rc = vsk_vq_drv_get(&drv, &tok, &len);

	tap_ok(rc == VSK_E_RING, "%s: get returns VSK_E_RING (%d)", what, rc);
	expect_rule(drv.broken, drv.detail, want, what);
}

static void add_or_die(const struct vsk_vq_seg *s, unsigned n, bool ind, void *tok)
{
	if (vsk_vq_drv_add(&drv, s, n, ind, tok) != 0)
		abort();
}

static void test_rules(void)
{
	struct vsk_vq_seg s[3] = {data_seg(0, 64, false), data_seg(1, 64, true),
				  data_seg(2, 64, true)};
	struct vsk_vq_dev d2;
	struct vsk_vq_addr bad;
	struct vsk_vq_chain c;

	/* set-up rules, both roles */
	bad = (struct vsk_vq_addr){3, GPA, GPA + 4096, GPA + 8192};
	tap_ok(vsk_vq_dev_init(&d2, &flat.mem, &bad, 0) == VSK_E_RING, "num 3: dev init fails");
	expect_rule(d2.broken, d2.detail, VSK_RING_QUEUE_SIZE, "num 3");
	bad.num = 0;
	vsk_vq_dev_init(&d2, &flat.mem, &bad, 0);
	expect_rule(d2.broken, d2.detail, VSK_RING_QUEUE_SIZE, "num 0");
	{
		struct vsk_vq_drv q2 = {0};

		bad.num = 0x8000 | 0x4000;
		tap_ok(vsk_vq_drv_init(&q2, &flat.mem, &bad, 0, 0) == VSK_E_RING,
		       "num 49152: drv init fails");
		expect_rule(q2.broken, q2.detail, VSK_RING_QUEUE_SIZE, "drv num 49152");
		vsk_vq_drv_fini(&q2);
	}
	bad = (struct vsk_vq_addr){8, GPA + 8, GPA + 4096, GPA + 8192};
	vsk_vq_dev_init(&d2, &flat.mem, &bad, 0);
	expect_rule(d2.broken, d2.detail, VSK_RING_RING_ADDR, "desc misaligned");
	bad = (struct vsk_vq_addr){8, GPA, GPA + 4096, GPA + MEMSZ - 8};
	vsk_vq_dev_init(&d2, &flat.mem, &bad, 0);
	expect_rule(d2.broken, d2.detail, VSK_RING_RING_ADDR, "used ring past the end");
	bad = (struct vsk_vq_addr){8, GPA - 4096, GPA + 4096, GPA + 8192};
	vsk_vq_dev_init(&d2, &flat.mem, &bad, 0);
	expect_rule(d2.broken, d2.detail, VSK_RING_RING_ADDR, "desc below memory");

	/* avail idx jumps past num */
	setup(8, true);
	le16_at(qa.avail + 2, 9);
	tap_ok(vsk_vq_dev_pending(&dev) == 0, "avail jump: pending 0");
	expect_rule(dev.broken, dev.detail, VSK_RING_AVAIL_IDX_JUMP, "avail idx 9, num 8");
	setup(8, true);
	le16_at(qa.avail + 2, 0xffff); /* -1: behind the device */
	expect_pop_rule(VSK_RING_AVAIL_IDX_JUMP, "avail idx moved backwards");

	/* head out of range */
	setup(8, true);
	add_or_die(s, 1, false, NULL);
	le16_at(qa.avail + 4, 8);
	expect_pop_rule(VSK_RING_HEAD_RANGE, "head 8, num 8");

	/* next out of range */
	setup(8, true);
	add_or_die(s, 2, false, NULL);
	desc_set(qa.desc, 0, s[0].addr, 64, VSK_VRING_DESC_F_NEXT, 8);
	expect_pop_rule(VSK_RING_NEXT_RANGE, "next 8, num 8");

	/* a loop: the second descriptor points back at the first */
	setup(8, true);
	add_or_die(s + 1, 2, false, NULL);
	desc_set(qa.desc, 1, s[2].addr, 64, VSK_VRING_DESC_F_WRITE | VSK_VRING_DESC_F_NEXT, 0);
	expect_pop_rule(VSK_RING_CHAIN_LOOP, "0 -> 1 -> 0");
	/* a loop on itself, made of readable descriptors only */
	setup(8, true);
	add_or_die(s, 1, false, NULL);
	desc_set(qa.desc, 0, s[0].addr, 64, VSK_VRING_DESC_F_NEXT, 0);
	expect_pop_rule(VSK_RING_CHAIN_LOOP, "0 -> 0");
	/* a loop inside an indirect table */
	setup(8, true);
	add_or_die(s, 3, true, NULL);
	desc_set(GPA + OFF_IND, 2, s[2].addr, 64, VSK_VRING_DESC_F_WRITE | VSK_VRING_DESC_F_NEXT, 1);
	expect_pop_rule(VSK_RING_CHAIN_LOOP, "indirect 0 -> 1 -> 2 -> 1");

	/* more segments than VSK_VQ_MAX_SEGS: a 65-descriptor chain, no loop */
	setup(128, true);
	for (unsigned i = 0; i <= VSK_VQ_MAX_SEGS; i++)
		desc_set(qa.desc, i, s[0].addr, 8,
			 i < VSK_VQ_MAX_SEGS ? VSK_VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	le16_at(qa.avail + 4, 0);
	le16_at(qa.avail + 2, 1);
	expect_pop_rule(VSK_RING_CHAIN_SEGS, "65 segments");
	/* exactly VSK_VQ_MAX_SEGS is fine */
	setup(128, true);
	for (unsigned i = 0; i < VSK_VQ_MAX_SEGS; i++)
		desc_set(qa.desc, i, s[0].addr, 8,
			 i + 1 < VSK_VQ_MAX_SEGS ? VSK_VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	le16_at(qa.avail + 4, 0);
	le16_at(qa.avail + 2, 1);
	tap_ok(vsk_vq_dev_pop(&dev, &c) == 1 && c.nseg == VSK_VQ_MAX_SEGS &&
	       c.rlen == 8 * VSK_VQ_MAX_SEGS, "64 segments pop");

	/* buffer outside memory */
	setup(8, true);
	{
		struct vsk_vq_seg o = {GPA + MEMSZ - 16, 17, false};

		add_or_die(&o, 1, false, NULL);
	}
	expect_pop_rule(VSK_RING_DESC_ADDR, "buffer one byte past the end");
	setup(8, true);
	{
		struct vsk_vq_seg o = {UINT64_MAX - 3, 8, true};

		add_or_die(&o, 1, false, NULL);
	}
	expect_pop_rule(VSK_RING_DESC_ADDR, "buffer address wraps");

	/* readable after writable */
	setup(8, true);
	add_or_die(s, 3, false, NULL);
	desc_set(qa.desc, 2, s[2].addr, 64, 0, 0);
	expect_pop_rule(VSK_RING_READ_AFTER_WRITE, "write, then read");
	setup(8, true);
	add_or_die(s, 3, true, NULL);
	desc_set(GPA + OFF_IND, 2, s[2].addr, 64, 0, 0);
	expect_pop_rule(VSK_RING_READ_AFTER_WRITE, "indirect: write, then read");

	/* indirect rules */
	setup(8, false);
	add_or_die(s, 2, true, NULL);
	expect_pop_rule(VSK_RING_INDIRECT_UNNEGOTIATED, "indirect without the feature");
	setup(8, true);
	add_or_die(s, 2, true, NULL);
	desc_set(qa.desc, 0, GPA + OFF_IND, 20, VSK_VRING_DESC_F_INDIRECT, 0);
	expect_pop_rule(VSK_RING_INDIRECT_LEN, "indirect len 20");
	setup(8, true);
	add_or_die(s, 2, true, NULL);
	desc_set(qa.desc, 0, GPA + OFF_IND, 0, VSK_VRING_DESC_F_INDIRECT, 0);
	expect_pop_rule(VSK_RING_INDIRECT_LEN, "indirect len 0");
	setup(8, true);
	add_or_die(s, 2, true, NULL);
	desc_set(qa.desc, 0, GPA + OFF_IND, 32, VSK_VRING_DESC_F_INDIRECT | VSK_VRING_DESC_F_NEXT, 1);
	expect_pop_rule(VSK_RING_INDIRECT_NEXT, "INDIRECT and NEXT");
	setup(8, true);
	add_or_die(s, 2, true, NULL);
	desc_set(GPA + OFF_IND, 1, GPA + OFF_IND, 32, VSK_VRING_DESC_F_INDIRECT, 0);
	expect_pop_rule(VSK_RING_INDIRECT_NESTED, "indirect in indirect");
	setup(8, true);
	add_or_die(s, 2, true, NULL);
	desc_set(qa.desc, 0, GPA + MEMSZ - 16, 32, VSK_VRING_DESC_F_INDIRECT, 0);
	expect_pop_rule(VSK_RING_DESC_ADDR, "indirect table past the end");

	/* used-ring rules (driver role judging the device) */
	setup(8, true);
	add_or_die(s, 2, false, (void *)1);
	le16_at(qa.used + 2, 2);
	expect_get_rule(VSK_RING_USED_IDX_JUMP, "used idx 2 with 1 in flight");
	setup(8, true);
	add_or_die(s, 2, false, (void *)1);
	le32_at(qa.used + 4, 8);
	le16_at(qa.used + 2, 1);
	expect_get_rule(VSK_RING_USED_ID_RANGE, "used id 8, num 8");
	setup(8, true);
	add_or_die(s, 2, false, (void *)1);
	le32_at(qa.used + 4, 1); /* descriptor 1 is the chain's second, not a head */
	le16_at(qa.used + 2, 1);
	expect_get_rule(VSK_RING_USED_ID_NOT_PENDING, "used id of a non-head");
	setup(8, true);
	add_or_die(s, 2, false, (void *)1);
	tap_ok(vsk_vq_dev_pop(&dev, &c) == 1, "pop for a double use");
	vsk_vq_dev_push(&dev, c.head, 0);
	vsk_vq_dev_push(&dev, c.head, 0); /* the same head twice */
	expect_get_rule(VSK_RING_USED_IDX_JUMP, "same head used twice (nothing in flight)");
	setup(8, true);
	add_or_die(s, 2, false, (void *)1);
	add_or_die(s, 2, false, (void *)2);
	tap_ok(vsk_vq_dev_pop(&dev, &c) == 1, "pop for a double use, 2 in flight");
	vsk_vq_dev_push(&dev, c.head, 0);
	vsk_vq_dev_push(&dev, c.head, 0);
	{
		void *tok;
		uint32_t len;

		vsk_vq_drv_get(&drv, &tok, &len);
	}
	expect_get_rule(VSK_RING_USED_ID_NOT_PENDING, "same head used twice (2 in flight)");
	setup(8, true);
	add_or_die(s, 2, false, (void *)1);
	tap_ok(vsk_vq_dev_pop(&dev, &c) == 1 && c.wlen == 64, "pop with 64 writable bytes");
	vsk_vq_dev_push(&dev, c.head, 65);
	expect_get_rule(VSK_RING_USED_LEN_OVER, "used len 65 > 64");

	for (int r = 1; r < VSK_RING__COUNT; r++)
		tap_ok(provoked[r] > 0, "rule %s provoked by a test", vsk_ring_rules[r].name);
	for (int r = 0; r < VSK_RING__COUNT; r++)
		if (!tap_ok(vsk_ring_rules[r].id == (enum vsk_ring_rule)r && vsk_ring_rules[r].name &&
			    vsk_ring_rules[r].text, "table row %d is complete", r))
			break;
}

/* One round trip: n segments (r readable then n - r writable), direct or indirect. */
static void round_trip(unsigned n, unsigned r, bool ind, uint16_t num)
{
	struct vsk_vq_seg s[VSK_VQ_MAX_SEGS];
	struct vsk_vq_chain c;
	uint8_t in[VSK_VQ_MAX_SEGS * 256], out[VSK_VQ_MAX_SEGS * 256];
	uint64_t rtot = 0, wtot = 0;
	void *tok = NULL;
	uint32_t ulen = 0;
	bool ok = true;

	setup(num, true);
	for (unsigned k = 0; k < n; k++) {
		s[k] = data_seg(k, 10 + k * 3, k >= r);
		if (k < r) {
			for (uint32_t b = 0; b < s[k].len; b++)
				in[rtot + b] = (uint8_t)(rtot + b + 1);
			memcpy(host(s[k].addr), in + rtot, s[k].len);
			rtot += s[k].len;
		} else {
			memset(host(s[k].addr), 0xee, s[k].len);
			wtot += s[k].len;
		}
	}
	tap_ok(vsk_vq_drv_add(&drv, s, n, ind, (void *)0x5a) == 0, "%s %u-seg (%u readable): add",
	       ind ? "indirect" : "direct", n, r);
	tap_ok(vsk_vq_drv_pending(&drv) == 1 && vsk_vq_dev_pending(&dev) == 1, "  pending 1");
	tap_ok(vsk_vq_dev_pop(&dev, &c) == 1 && c.nseg == n && c.rlen == rtot && c.wlen == wtot,
	       "  pop: %u segments, %llu readable, %llu writable", c.nseg,
	       (unsigned long long)c.rlen, (unsigned long long)c.wlen);
	for (unsigned k = 0; k < c.nseg && k < n; k++)
		ok &= c.seg[k].addr == s[k].addr && c.seg[k].len == s[k].len &&
		      c.seg[k].write == s[k].write;
	tap_ok(ok, "  segments as added");
	memset(out, 0, sizeof(out));
	tap_ok(vsk_vq_dev_read(&dev, &c, 0, out, sizeof(out)) == rtot &&
	       memcmp(out, in, rtot) == 0, "  read the readable bytes across segments");
	if (rtot > 3)
		tap_ok(vsk_vq_dev_read(&dev, &c, 3, out, 5) == (rtot - 3 < 5 ? rtot - 3 : 5) &&
		       memcmp(out, in + 3, rtot - 3 < 5 ? rtot - 3 : 5) == 0, "  read at offset 3");
	for (uint64_t b = 0; b < wtot; b++)
		out[b] = (uint8_t)(0x80 ^ b);
	tap_ok(vsk_vq_dev_write(&dev, &c, 0, out, wtot + 50) == wtot, "  write is short at the end");
	uint64_t pos = 0;
	ok = true;
	for (unsigned k = r; k < n; k++) {
		ok &= memcmp(host(s[k].addr), out + pos, s[k].len) == 0;
		pos += s[k].len;
	}
	tap_ok(ok, "  written bytes landed in the writable segments in order");
	tap_ok(vsk_vq_dev_push(&dev, c.head, (uint32_t)wtot) == 0, "  push");
	tap_ok(vsk_vq_drv_get(&drv, &tok, &ulen) == 1 && tok == (void *)0x5a && ulen == wtot,
	       "  get: token and len back");
	tap_ok(vsk_vq_drv_get(&drv, &tok, &ulen) == 0 && vsk_vq_drv_pending(&drv) == 0 &&
	       drv.nfree == num, "  nothing more, every descriptor free");
}

static void test_round_trips(void)
{
	round_trip(1, 1, false, 8);
	round_trip(1, 0, false, 8);
	round_trip(2, 1, false, 8);
	round_trip(5, 2, false, 8);
	round_trip(1, 1, true, 8);
	round_trip(2, 1, true, 8);
	round_trip(7, 3, true, 8);
	round_trip(VSK_VQ_MAX_SEGS, 32, true, 8);
	round_trip(VSK_VQ_MAX_SEGS, 1, false, 64);
}

/* 70000 chains through a 4-entry queue: both free-running indices wrap. */
static void test_wrap(void)
{
	struct vsk_vq_seg s[2] = {data_seg(0, 44, false), data_seg(1, 100, true)};
	bool ok = true;
	unsigned i;

	setup(4, true);
	for (i = 0; i < 70000 && ok; i++) {
		struct vsk_vq_chain c;
		void *tok;
		uint32_t len;
		uint32_t v = htole32(i);

		memcpy(host(s[0].addr), &v, 4);
		ok &= vsk_vq_drv_add(&drv, s, 2, i % 3 == 0, (void *)(uintptr_t)(i + 1)) == 0;
		ok &= vsk_vq_drv_add(&drv, s, 1, false, (void *)(uintptr_t)(i + 2)) == 0;
		ok &= vsk_vq_dev_pop(&dev, &c) == 1;
		v = 0;
		ok &= vsk_vq_dev_read(&dev, &c, 0, &v, 4) == 4 && le32toh(v) == i;
		ok &= vsk_vq_dev_push(&dev, c.head, i % 101) == 0;
		ok &= vsk_vq_dev_pop(&dev, &c) == 1;
		ok &= vsk_vq_dev_push(&dev, c.head, 0) == 0;
		ok &= vsk_vq_drv_get(&drv, &tok, &len) == 1 && tok == (void *)(uintptr_t)(i + 1) &&
		      len == i % 101;
		ok &= vsk_vq_drv_get(&drv, &tok, &len) == 1 && tok == (void *)(uintptr_t)(i + 2);
	}
	tap_ok(ok, "140000 chains through num 4 (stopped at %u)", i);
	tap_ok(drv.avail_idx == (uint16_t)140000 && dev.used_idx == (uint16_t)140000 &&
	       dev.last_avail == (uint16_t)140000 && drv.last_used == (uint16_t)140000,
	       "indices wrapped to %u", drv.avail_idx);
	tap_ok(dev.broken == VSK_RING_OK && drv.broken == VSK_RING_OK, "no rule broken");
}

static void test_full(void)
{
	struct vsk_vq_seg s[3] = {data_seg(0, 8, false), data_seg(1, 8, true),
				  data_seg(2, 8, true)};
	struct vsk_vq_chain c;
	void *tok;
	uint32_t len;
	int rc = 0;

	setup(8, true);
	for (int i = 0; i < 8 && rc == 0; i++)
		rc = vsk_vq_drv_add(&drv, s, 1, false, NULL);
	tap_ok(rc == 0 && vsk_vq_drv_add(&drv, s, 1, false, NULL) == VSK_E_FULL,
	       "8 single chains fill num 8; the 9th is VSK_E_FULL");
	tap_ok(vsk_vq_drv_add(&drv, s, 1, true, NULL) == VSK_E_FULL, "indirect too");
	tap_ok(vsk_vq_dev_pending(&dev) == 8, "device sees 8 pending");
	setup(8, true);
	tap_ok(vsk_vq_drv_add(&drv, s, 3, false, (void *)1) == 0 &&
	       vsk_vq_drv_add(&drv, s, 3, false, (void *)2) == 0 &&
	       vsk_vq_drv_add(&drv, s, 3, false, NULL) == VSK_E_FULL &&
	       vsk_vq_drv_add(&drv, s, 2, false, (void *)3) == 0 &&
	       vsk_vq_drv_add(&drv, s, 1, false, NULL) == VSK_E_FULL,
	       "3+3+2 descriptors fill num 8");
	tap_ok(vsk_vq_dev_pop(&dev, &c) == 1 && vsk_vq_dev_pop(&dev, &c) == 1 &&
	       vsk_vq_dev_push(&dev, c.head, 0) == 0, "device uses the second chain first");
	tap_ok(vsk_vq_drv_get(&drv, &tok, &len) == 1 && tok == (void *)2 && drv.nfree == 3,
	       "out-of-order reap frees its 3 descriptors");
	tap_ok(vsk_vq_drv_add(&drv, s, 3, true, (void *)4) == 0 &&
	       vsk_vq_drv_add(&drv, s, 2, false, (void *)5) == 0 && drv.nfree == 0,
	       "freed descriptors are reused");
	tap_ok(vsk_vq_dev_pop(&dev, &c) == 1 && c.nseg == 2 && vsk_vq_dev_pop(&dev, &c) == 1 &&
	       c.nseg == 3 && vsk_vq_dev_pop(&dev, &c) == 1 && c.nseg == 2 &&
	       vsk_vq_dev_pop(&dev, &c) == 0, "device pops them in avail order");

	/* the driver role refuses what it cannot express */
	setup(8, true);
	struct vsk_vq_seg rw[2] = {data_seg(0, 8, true), data_seg(1, 8, false)};
	tap_ok(vsk_vq_drv_add(&drv, rw, 2, false, NULL) == VSK_E_RANGE, "add: read after write");
	tap_ok(vsk_vq_drv_add(&drv, s, 0, false, NULL) == VSK_E_RANGE, "add: 0 segments");
	tap_ok(vsk_vq_drv_add(&drv, s, VSK_VQ_MAX_SEGS + 1, false, NULL) == VSK_E_RANGE,
	       "add: too many segments");
	{
		struct vsk_vq_drv q2;

		tap_ok(vsk_vq_drv_init(&q2, &flat.mem, &qa, 0, 0) == 0 &&
		       vsk_vq_drv_add(&q2, s, 2, true, NULL) == VSK_E_RANGE,
		       "add: indirect without a table area");
		vsk_vq_drv_fini(&q2);
	}
	vsk_vq_drv_set_no_interrupt(&drv, true);
	tap_ok(vsk_vq_dev_no_interrupt(&dev), "no-interrupt flag seen by the device");
	vsk_vq_drv_set_no_interrupt(&drv, false);
	tap_ok(!vsk_vq_dev_no_interrupt(&dev), "and cleared");
	tap_ok(!(desc_flags(qa.desc, 0) & VSK_VRING_DESC_F_INDIRECT), "fresh table is zero");
}

int main(void)
{
	mem = aligned_alloc(4096, MEMSZ);
	if (!mem)
		return 1;
	vsk_mem_flat_init(&flat, mem, GPA, MEMSZ);
	test_rules();
	test_round_trips();
	test_wrap();
	test_full();
	vsk_vq_drv_fini(&drv);
	free(mem);
	return tap_done();
}
