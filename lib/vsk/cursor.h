/* cursor.h - bounds-checked little-endian reads.  A read past the end returns 0 and sets
 * the sticky `short_` flag; a decoder checks the flag once, after its reads. */
#ifndef VSK_CURSOR_H
#define VSK_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <endian.h>
#include <stdint.h>
#include <string.h>

struct vsk_cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool short_;
};

static inline void vsk_cur_init(struct vsk_cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->short_ = false;
}

static inline size_t vsk_cur_left(const struct vsk_cursor *c) { return c->len - c->off; }

/* Reads n bytes as a little-endian number (n <= 8). */
static inline uint64_t vsk_cur_le(struct vsk_cursor *c, size_t n)
{
	uint8_t tmp[8] = {0};
	uint64_t v;

	if (c->short_ || c->len - c->off < n) {
		c->short_ = true;
		return 0;
	}
	memcpy(tmp, c->p + c->off, n);
	memcpy(&v, tmp, sizeof(v));
	c->off += n;
	return le64toh(v);
}

static inline uint8_t vsk_cur_u8(struct vsk_cursor *c) { return (uint8_t)vsk_cur_le(c, 1); }
static inline uint16_t vsk_cur_le16(struct vsk_cursor *c) { return (uint16_t)vsk_cur_le(c, 2); }
static inline uint32_t vsk_cur_le32(struct vsk_cursor *c) { return (uint32_t)vsk_cur_le(c, 4); }
static inline uint64_t vsk_cur_le64(struct vsk_cursor *c) { return vsk_cur_le(c, 8); }

/* Copies n bytes as they are (host byte order, for netlink): zeros and short_ when they
 * are not there. */
static inline void vsk_cur_copy(struct vsk_cursor *c, void *dst, size_t n)
{
	if (c->short_ || c->len - c->off < n) {
		c->short_ = true;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, c->p + c->off, n);
	c->off += n;
}

/* Skips n bytes (sets short_ if they are not there). */
static inline void vsk_cur_skip(struct vsk_cursor *c, size_t n)
{
	if (c->short_ || c->len - c->off < n) {
		c->short_ = true;
		return;
	}
	c->off += n;
}

#endif
