/* vring.h - a split virtqueue (virtio spec: Basic Facilities of a Virtio Device: Split
 * Virtqueues), both roles, over a memory-access interface so the same code walks local
 * memory, memory shared with vhost or vhost-user, or a fuzzer's bytes.
 *
 * The device role pops descriptor chains the driver made available and pushes used
 * elements; the driver role adds chains and reaps used elements.  Each role trusts nothing
 * the other side wrote: every check libvhost-user makes is a named rule (VSK_RING_RULE in
 * lib/vsock.def), and the first broken rule stops the queue (the spec's DEVICE_NEEDS_RESET)
 * with the rule and a detail string recorded in the queue, instead of a crash.
 *
 * All ring fields are little-endian (VIRTIO_F_VERSION_1) and are read and written with
 * memcpy-style accessors, never by casting memory to structs.  Indices shared with the
 * other side are loaded and stored with acquire/release ordering, so a queue can be shared
 * with another thread or with the kernel (vhost).  Notifications (kicks, interrupts) are the
 * transport's business, not this module's. */
#ifndef VSK_VRING_H
#define VSK_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vsk_ring_rule {
	VSK_RING_OK = 0,
#define VSK_RING_RULE(ID, name, clause, text) VSK_RING_##ID,
#include "../vsock.def"
	VSK_RING__COUNT
};

struct vsk_ring_rule_info {
	enum vsk_ring_rule id;
	const char *name;        /* stable lowercase id, e.g. "chain_loop" */
	const char *clause;      /* virtio spec clause */
	const char *text;        /* one-line explanation */
};
/* Indexed by enum vsk_ring_rule; entry 0 is VSK_RING_OK ("ok"). */
extern const struct vsk_ring_rule_info vsk_ring_rules[VSK_RING__COUNT];

/* Memory as one side of the ring sees it (guest-physical addresses).  map() returns a host
 * pointer to [addr, addr + len), or NULL if any byte of it is outside memory (also on
 * overflow of addr + len).  len 0 is valid and maps if addr is inside or at the end. */
struct vsk_mem {
	void *(*map)(const struct vsk_mem *m, uint64_t addr, uint64_t len);
	void *ctx;
};

/* One flat region: guest address gpa .. gpa + size maps to base .. base + size. */
struct vsk_mem_flat {
	struct vsk_mem mem;      /* pass &flat.mem to the queues */
	uint8_t *base;
	uint64_t gpa, size;
};
void vsk_mem_flat_init(struct vsk_mem_flat *f, void *base, uint64_t gpa, uint64_t size);

/* Where a queue lives: num entries; desc 16-byte aligned, avail 2-byte, used 4-byte. */
struct vsk_vq_addr {
	uint16_t num;
	uint64_t desc, avail, used;
};
/* Bytes of each part for a queue of num entries (no event-idx fields are used, but the
 * sizes include them so rings laid out by others fit). */
uint64_t vsk_vq_desc_size(uint16_t num);
uint64_t vsk_vq_avail_size(uint16_t num);
uint64_t vsk_vq_used_size(uint16_t num);

/* One buffer of a chain: device-readable (write false) or device-writable. */
struct vsk_vq_seg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* Segments one chain may have in this implementation (direct plus indirect); more is
 * VSK_RING_CHAIN_SEGS.  Linux and QEMU never build longer chains for vsock. */
#define VSK_VQ_MAX_SEGS 64

struct vsk_vq_chain {
	uint16_t head;           /* descriptor index to give back in the used element */
	unsigned nseg;
	struct vsk_vq_seg seg[VSK_VQ_MAX_SEGS]; /* readable ones first, then writable ones */
	uint64_t rlen, wlen;     /* total device-readable and device-writable bytes */
};

/* ---- device role ---- */
struct vsk_vq_dev {
	const struct vsk_mem *mem;
	struct vsk_vq_addr a;
	bool indirect;           /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint16_t last_avail;     /* free-running: next avail ring entry to pop */
	uint16_t used_idx;       /* free-running: our used->idx */
	enum vsk_ring_rule broken; /* first rule the driver broke, or VSK_RING_OK */
	char detail[96];         /* e.g. "head 300 >= num 256" */
};

/* Set up the device side of a queue the driver laid out at a.  features: the negotiated
 * feature bits (VSK_F_INDIRECT_DESC is looked at).  0, or VSK_E_RING with q->broken set
 * (QUEUE_SIZE, RING_ADDR).  last_avail and used_idx start at 0; set them for a queue that
 * resumes (vhost-user SET_VRING_BASE). */
int vsk_vq_dev_init(struct vsk_vq_dev *q, const struct vsk_mem *mem,
		    const struct vsk_vq_addr *a, uint64_t features);
/* Avail entries the driver published that we have not popped (0 if the ring is broken). */
uint16_t vsk_vq_dev_pending(struct vsk_vq_dev *q);
/* Pop the next chain into c.  1 popped, 0 ring empty, VSK_E_RING a rule broken (q->broken;
 * the queue stays broken and every later call returns VSK_E_RING). */
int vsk_vq_dev_pop(struct vsk_vq_dev *q, struct vsk_vq_chain *c);
/* Copy len bytes starting at byte off of the chain's readable (vsk_vq_dev_read) or writable
 * (vsk_vq_dev_write) segments; returns the bytes copied, short at the end of those
 * segments.  Memory is re-mapped on every call: never keep pointers into the ring. */
size_t vsk_vq_dev_read(const struct vsk_vq_dev *q, const struct vsk_vq_chain *c,
		       uint64_t off, void *dst, size_t len);
size_t vsk_vq_dev_write(const struct vsk_vq_dev *q, const struct vsk_vq_chain *c,
			uint64_t off, const void *src, size_t len);
/* Give a chain back: used element {head, len} then used->idx++ (release).  0,
 * VSK_E_RING (RING_ADDR if the used ring is no longer mapped), or VSK_E_RANGE if head is
 * not below num (a caller bug: the ring is left as it was). */
int vsk_vq_dev_push(struct vsk_vq_dev *q, uint16_t head, uint32_t len);
/* True if the driver asked for no interrupt (VRING_AVAIL_F_NO_INTERRUPT). */
bool vsk_vq_dev_no_interrupt(const struct vsk_vq_dev *q);

/* ---- driver role ---- */
struct vsk_vq_drv {
	const struct vsk_mem *mem;
	struct vsk_vq_addr a;
	uint64_t indirect_base;  /* num * VSK_VQ_MAX_SEGS * 16 bytes for indirect tables, or 0 */
	uint16_t avail_idx;      /* free-running: our avail->idx */
	uint16_t last_used;      /* free-running: next used element to reap */
	uint16_t nfree, free_head;
	uint16_t *next_free;     /* free list links, per descriptor */
	uint16_t *chain_len;     /* per head: descriptors the chain holds (0: not pending) */
	uint32_t *chain_wlen;    /* per head: device-writable bytes of the chain */
	void **token;            /* per head: the caller's cookie */
	enum vsk_ring_rule broken; /* first rule the device broke, or VSK_RING_OK */
	char detail[96];
};

/* Lay out an empty queue at a (zeroing desc, avail and used) and build the free list.
 * indirect_base: guest memory for indirect tables (see above), 0 for none; features as for
 * the device role, but not enforced: a test driver may put indirect descriptors in a queue
 * that did not negotiate them, to see the device refuse them.  0, VSK_E_NOMEM, or
 * VSK_E_RING (QUEUE_SIZE, RING_ADDR; also when the indirect area is outside memory). */
int vsk_vq_drv_init(struct vsk_vq_drv *q, const struct vsk_mem *mem,
		    const struct vsk_vq_addr *a, uint64_t indirect_base, uint64_t features);
void vsk_vq_drv_fini(struct vsk_vq_drv *q);
/* Make one chain available: n segments (readable ones first), as direct descriptors or,
 * with indirect, as one indirect table.  token comes back from vsk_vq_drv_get.  Publishes
 * avail->idx (release).  0, VSK_E_FULL (not enough free descriptors), VSK_E_RANGE (n 0 or
 * above VSK_VQ_MAX_SEGS, readable after writable, indirect without a table area), or
 * VSK_E_RING if the queue is broken. */
int vsk_vq_drv_add(struct vsk_vq_drv *q, const struct vsk_vq_seg *seg, unsigned n,
		   bool indirect, void *token);
/* Reap one used element: 1 with *token and *len set, 0 nothing used, VSK_E_RING if the
 * device broke a used-ring rule (USED_IDX_JUMP, USED_ID_RANGE, USED_ID_NOT_PENDING,
 * USED_LEN_OVER; q->broken and q->detail say which). */
int vsk_vq_drv_get(struct vsk_vq_drv *q, void **token, uint32_t *len);
/* Chains made available and not yet reaped. */
unsigned vsk_vq_drv_pending(const struct vsk_vq_drv *q);
/* Ask the device for no interrupts (true) or for them (false). */
void vsk_vq_drv_set_no_interrupt(struct vsk_vq_drv *q, bool on);

#endif
