/* pcapng.c - pcapng blocks out, and a walker that finds ISBs (see vsk/pcapng.h). */
#include <string.h>

#include "vsk/encode.h"
#include "vsk/error.h"
#include "vsk/pcapng.h"
#include "vsk/proto.h"

#define HEAD 8    /* block type, block total length */
#define TAIL 4    /* block total length again */
#define MIN_BLOCK (HEAD + TAIL)
/* Interfaces per section whose last ISB is remembered; ISBs of higher ones add up. */
#define MAX_IFS 32

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

uint64_t vsk_pcapng_lost(const struct vsk_pcapng_stats *s)
{
	return (s->has_ifdrop ? s->ifdrop : 0) + (s->has_osdrop ? s->osdrop : 0);
}

/* ---- writing ------------------------------------------------------------------------ */

static void put_n(struct vsk_sbuf *b, uint64_t v, size_t n)
{
	uint8_t t[8];

	vsk_put_le(t, v, n);
	vsk_sbuf_put(b, (const char *)t, n);
}

static void put_pad(struct vsk_sbuf *b, size_t n)
{
	static const char zero[4];

	vsk_sbuf_put(b, zero, pad4(n) - n);
}

/* Block head with a placeholder length; returns where the block starts. */
static size_t block_open(struct vsk_sbuf *b, uint32_t type)
{
	size_t at = b->len;

	put_n(b, type, 4);
	put_n(b, 0, 4);
	return at;
}

/* Ends the options (opt_endofopt) if any was written, then the trailing length. */
static void block_close(struct vsk_sbuf *b, size_t at, bool options)
{
	size_t total;

	if (options)
		put_n(b, VSK_PCAPNG_OPT_END, 4);
	total = b->len - at + TAIL;
	put_n(b, total, 4);
	if (!b->oom)
		vsk_put_le((uint8_t *)b->p + at + 4, total, 4);
}

static void put_opt(struct vsk_sbuf *b, uint16_t code, const void *v, size_t n)
{
	put_n(b, code, 2);
	put_n(b, n, 2);
	vsk_sbuf_put(b, v, n);
	put_pad(b, n);
}

static void put_opt_str(struct vsk_sbuf *b, uint16_t code, const char *s)
{
	size_t n = strlen(s);

	put_opt(b, code, s, n > UINT16_MAX ? UINT16_MAX : n);
}

static void put_opt_u64(struct vsk_sbuf *b, uint16_t code, uint64_t v)
{
	uint8_t t[8];

	vsk_put_le(t, v, 8);
	put_opt(b, code, t, 8);
}

/* Timestamps in microseconds as two 32-bit halves, high first (the default if_tsresol). */
static uint64_t usec(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

static void put_opt_ts(struct vsk_sbuf *b, uint16_t code, const struct timeval *tv)
{
	uint8_t t[8];
	uint64_t u = usec(tv);

	vsk_put_le(t, u >> 32, 4);
	vsk_put_le(t + 4, u & 0xffffffffu, 4);
	put_opt(b, code, t, 8);
}

void vsk_pcapng_shb(struct vsk_sbuf *b, const char *appl)
{
	size_t at = block_open(b, VSK_PCAPNG_SHB);

	put_n(b, VSK_PCAPNG_BYTE_ORDER, 4);
	put_n(b, 1, 2);                 /* major version */
	put_n(b, 0, 2);                 /* minor version */
	put_n(b, UINT64_MAX, 8);        /* section length: not known */
	if (appl)
		put_opt_str(b, VSK_PCAPNG_SHB_USERAPPL, appl);
	block_close(b, at, appl != NULL);
}

void vsk_pcapng_idb(struct vsk_sbuf *b, uint16_t linktype, uint32_t snaplen, const char *if_name)
{
	size_t at = block_open(b, VSK_PCAPNG_IDB);

	put_n(b, linktype, 2);
	put_n(b, 0, 2);                 /* reserved */
	put_n(b, snaplen, 4);
	if (if_name)
		put_opt_str(b, VSK_PCAPNG_IF_NAME, if_name);
	block_close(b, at, if_name != NULL);
}

void vsk_pcapng_epb(struct vsk_sbuf *b, uint32_t ifid, const struct timeval *ts,
		    const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	size_t at = block_open(b, VSK_PCAPNG_EPB);
	uint64_t u = usec(ts);

	put_n(b, ifid, 4);
	put_n(b, u >> 32, 4);
	put_n(b, u & 0xffffffffu, 4);
	put_n(b, caplen, 4);
	put_n(b, wirelen, 4);
	vsk_sbuf_put(b, (const char *)data, caplen);
	put_pad(b, caplen);
	block_close(b, at, false);
}

void vsk_pcapng_isb(struct vsk_sbuf *b, uint32_t ifid, const struct timeval *ts,
		    const struct vsk_pcapng_stats *s)
{
	size_t at = block_open(b, VSK_PCAPNG_ISB);
	uint64_t u = usec(ts);

	put_n(b, ifid, 4);
	put_n(b, u >> 32, 4);
	put_n(b, u & 0xffffffffu, 4);
	if (s->has_start)
		put_opt_ts(b, VSK_PCAPNG_ISB_STARTTIME, &s->start);
	if (s->has_end)
		put_opt_ts(b, VSK_PCAPNG_ISB_ENDTIME, &s->end);
	if (s->has_ifrecv)
		put_opt_u64(b, VSK_PCAPNG_ISB_IFRECV, s->ifrecv);
	if (s->has_ifdrop)
		put_opt_u64(b, VSK_PCAPNG_ISB_IFDROP, s->ifdrop);
	if (s->has_osdrop)
		put_opt_u64(b, VSK_PCAPNG_ISB_OSDROP, s->osdrop);
	if (s->has_usrdeliv)
		put_opt_u64(b, VSK_PCAPNG_ISB_USRDELIV, s->usrdeliv);
	block_close(b, at, s->has_start || s->has_end || s->has_ifrecv || s->has_ifdrop ||
				   s->has_osdrop || s->has_usrdeliv);
}

/* ---- reading ------------------------------------------------------------------------ */

/* n (2, 4 or 8) bytes at p in the section's byte order; the caller checked they exist. */
static uint64_t get(const struct vsk_pcapng_walker *w, const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[w->big_endian ? n - 1 - i : i] << (8 * i);
	return v;
}

bool vsk_pcapng_is(const uint8_t *p, size_t len)
{
	/* The SHB type reads the same in both byte orders. */
	return len >= 4 && p[0] == 0x0A && p[1] == 0x0D && p[2] == 0x0D && p[3] == 0x0A;
}

int vsk_pcapng_head(struct vsk_pcapng_walker *w, const uint8_t *p, size_t len, uint32_t *type,
		    size_t *total)
{
	uint64_t n;

	if (len < MIN_BLOCK)
		return 0;
	if (vsk_pcapng_is(p, len)) {
		uint32_t bom = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
			       (uint32_t)p[11] << 24;

		if (bom == VSK_PCAPNG_BYTE_ORDER)
			w->big_endian = false;
		else if (__builtin_bswap32(bom) == VSK_PCAPNG_BYTE_ORDER)
			w->big_endian = true;
		else
			return VSK_E_FORMAT;
		w->in_section = true;
	} else if (!w->in_section) {
		return VSK_E_FORMAT;
	}
	n = get(w, p + 4, 4);
	if (n < MIN_BLOCK || n % 4 || n > INT32_MAX)
		return VSK_E_FORMAT;
	*type = (uint32_t)get(w, p, 4);
	*total = (size_t)n;
	return 1;
}

int vsk_pcapng_next(struct vsk_pcapng_walker *w, const uint8_t *p, size_t len,
		    struct vsk_pcapng_block *blk)
{
	struct vsk_pcapng_walker at = *w;
	uint32_t type;
	size_t total;
	int rc = vsk_pcapng_head(&at, p, len, &type, &total);

	if (rc <= 0)
		return rc;
	if (total > len)
		return 0;
	if (get(&at, p + total - TAIL, 4) != total)
		return VSK_E_FORMAT;
	*w = at;
	blk->type = type;
	blk->body = p + HEAD;
	blk->body_len = total - MIN_BLOCK;
	return (int)total;
}

static void get_ts(const struct vsk_pcapng_walker *w, const uint8_t *p, struct timeval *tv)
{
	uint64_t u = get(w, p, 4) << 32 | get(w, p + 4, 4);

	tv->tv_sec = (time_t)(u / 1000000u);
	tv->tv_usec = (suseconds_t)(u % 1000000u);
}

int vsk_pcapng_isb_parse(const struct vsk_pcapng_walker *w, const struct vsk_pcapng_block *blk,
			 uint32_t *ifid, struct vsk_pcapng_stats *s)
{
	const uint8_t *p = blk->body;
	size_t len = blk->body_len, off = 12; /* interface id, timestamp high, low */

	memset(s, 0, sizeof(*s));
	if (len < off)
		return VSK_E_FORMAT;
	*ifid = (uint32_t)get(w, p, 4);
	while (len - off >= 4) {
		uint16_t code = (uint16_t)get(w, p + off, 2);
		size_t n = (size_t)get(w, p + off + 2, 2);
		const uint8_t *v = p + off + 4;

		if (code == VSK_PCAPNG_OPT_END)
			return 0;
		if (pad4(n) > len - off - 4)
			return VSK_E_FORMAT;
		off += 4 + pad4(n);
		if (n != 8)
			continue; /* a comment, or an option of a size we do not read */
		switch (code) {
		case VSK_PCAPNG_ISB_STARTTIME: get_ts(w, v, &s->start); s->has_start = true; break;
		case VSK_PCAPNG_ISB_ENDTIME: get_ts(w, v, &s->end); s->has_end = true; break;
		case VSK_PCAPNG_ISB_IFRECV: s->ifrecv = get(w, v, 8); s->has_ifrecv = true; break;
		case VSK_PCAPNG_ISB_IFDROP: s->ifdrop = get(w, v, 8); s->has_ifdrop = true; break;
		case VSK_PCAPNG_ISB_OSDROP: s->osdrop = get(w, v, 8); s->has_osdrop = true; break;
		case VSK_PCAPNG_ISB_USRDELIV:
			s->usrdeliv = get(w, v, 8);
			s->has_usrdeliv = true;
			break;
		}
	}
	return len == off ? 0 : VSK_E_FORMAT;
}

/* Adds the counters of a into sum (the ones a has). */
static void add(struct vsk_pcapng_stats *sum, const struct vsk_pcapng_stats *a)
{
	if (a->has_ifrecv) { sum->ifrecv += a->ifrecv; sum->has_ifrecv = true; }
	if (a->has_ifdrop) { sum->ifdrop += a->ifdrop; sum->has_ifdrop = true; }
	if (a->has_osdrop) { sum->osdrop += a->osdrop; sum->has_osdrop = true; }
	if (a->has_usrdeliv) { sum->usrdeliv += a->usrdeliv; sum->has_usrdeliv = true; }
}

int vsk_pcapng_scan(const uint8_t *p, size_t len, struct vsk_pcapng_stats *sum, size_t *nisb)
{
	struct vsk_pcapng_walker w = {0};
	struct vsk_pcapng_stats last[MAX_IFS];
	bool seen[MAX_IFS] = {false};
	size_t off = 0;
	int rc = 0;

	memset(sum, 0, sizeof(*sum));
	*nisb = 0;
	for (;;) {
		struct vsk_pcapng_block blk;
		struct vsk_pcapng_stats s;
		uint32_t ifid;
		int n = vsk_pcapng_next(&w, p + off, len - off, &blk);

		if (n <= 0) {
			rc = n;
			break;
		}
		off += (size_t)n;
		if (blk.type == VSK_PCAPNG_SHB) {
			/* a new section numbers its interfaces from 0 again */
			for (size_t i = 0; i < MAX_IFS; i++)
				if (seen[i])
					add(sum, &last[i]);
			memset(seen, 0, sizeof(seen));
		}
		if (blk.type != VSK_PCAPNG_ISB)
			continue;
		rc = vsk_pcapng_isb_parse(&w, &blk, &ifid, &s);
		(*nisb)++;
		if (ifid < MAX_IFS) {
			last[ifid] = s;
			seen[ifid] = true;
		} else {
			add(sum, &s);
		}
		if (rc)
			break;
	}
	for (size_t i = 0; i < MAX_IFS; i++)
		if (seen[i])
			add(sum, &last[i]);
	return rc;
}
