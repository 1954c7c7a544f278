/* format.c - text and JSON renderings of a decoded vsock frame.  The per-packet path
 * avoids printf and the C library's time zone code: it is the hot loop of vsockdump. */
#include <string.h>
#include <time.h>

#include "vsk/error.h"
#include "vsk/format.h"

#define PUTS(b, lit) vsk_sbuf_put((b), (lit), sizeof(lit) - 1)

/*
 * The fixed part of a text line is bounded (LINE_RESERVE), so vsk_format_text reserves
 * that much once per frame and writes through a plain char pointer: no capacity check or
 * length update per field, and no aliasing of the buffer's bookkeeping by char stores.
 */
#define LINE_RESERVE 512
#define W_LIT(w, lit) w_mem((w), (lit), sizeof(lit) - 1)

static inline char *w_mem(char *w, const char *s, size_t n)
{
	memcpy(w, s, n);
	return w + n;
}

static inline char *w_str(char *w, const char *s) { return w_mem(w, s, strlen(s)); }

/* A zero-padded number of `width` digits (width even, at most 10). */
static char *w_pad(char *w, unsigned long v, int width)
{
	for (int i = width - 2; i >= 0; i -= 2) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		w[i] = vsk_digits2[d];
		w[i + 1] = vsk_digits2[d + 1];
	}
	return w + width;
}

/* Local UTC offset for `sec`, cached per quarter hour (offsets change on such edges). */
static long local_offset(struct vsk_fmt *f, long long sec)
{
	if (f->tz_valid_to == 0 || sec < f->tz_valid_from || sec >= f->tz_valid_to) {
		time_t t = (time_t)sec;
		struct tm tm;

		f->tz_off = localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
		f->tz_valid_from = sec - ((sec % 900) + 900) % 900;
		f->tz_valid_to = f->tz_valid_from + 900;
	}
	return f->tz_off;
}

/* hh:mm:ss.uuuuuu of a day; the "hh:mm:ss." part is cached for the last second seen. */
static char *w_hms(struct vsk_fmt *f, char *w, long long sec, long usec)
{
	if (!f->hms_valid || sec != f->hms_sec) {
		long long d = ((sec % 86400) + 86400) % 86400;
		int v[3] = {(int)(d / 3600), (int)(d / 60 % 60), (int)(d % 60)};

		for (int i = 0; i < 3; i++) {
			f->hms[3 * i] = vsk_digits2[v[i] * 2];
			f->hms[3 * i + 1] = vsk_digits2[v[i] * 2 + 1];
			f->hms[3 * i + 2] = i < 2 ? ':' : '.';
		}
		f->hms_sec = sec;
		f->hms_valid = true;
	}
	w = w_mem(w, f->hms, 9);
	return w_pad(w, (unsigned long)usec, 6);
}

/* A difference of two timestamps as hh:mm:ss.uuuuuu (tcpdump -ttt style). */
static char *w_delta(char *w, const struct timeval *now, const struct timeval *then)
{
	long long us = ((long long)now->tv_sec - then->tv_sec) * 1000000LL +
		       (now->tv_usec - then->tv_usec);
	unsigned long long h;

	if (us < 0) {
		*w++ = '-';
		us = -us;
	}
	h = (unsigned long long)us / 3600000000ULL;
	if (h < 100)
		w = w_pad(w, (unsigned long)h, 2);
	else
		w = vsk_digits_write(w, h);
	*w++ = ':';
	w = w_pad(w, (unsigned long)(us / 60000000LL % 60), 2);
	*w++ = ':';
	w = w_pad(w, (unsigned long)(us / 1000000LL % 60), 2);
	*w++ = '.';
	return w_pad(w, (unsigned long)(us % 1000000LL), 6);
}

static char *w_ts(struct vsk_fmt *f, const struct timeval *ts, char *w)
{
	long long sec = ts->tv_sec;

	if (f->count == 1)
		f->first = f->prev = *ts;
	switch (f->ts) {
	case VSK_TS_NONE:
		return w;
	case VSK_TS_TIME:
		w = w_hms(f, w, sec + local_offset(f, sec), (long)ts->tv_usec);
		break;
	case VSK_TS_EPOCH:
		w = vsk_digits_write(w, (unsigned long long)sec);
		*w++ = '.';
		w = w_pad(w, (unsigned long)ts->tv_usec, 6);
		break;
	case VSK_TS_DELTA:
		w = w_delta(w, ts, &f->prev);
		break;
	case VSK_TS_SINCE_FIRST:
		w = w_delta(w, ts, &f->first);
		break;
	case VSK_TS_DATE: {
		time_t t = (time_t)(sec + local_offset(f, sec));
		struct tm tm;

		if (!gmtime_r(&t, &tm))
			return w;
		w = w_pad(w, (unsigned long)tm.tm_year + 1900, 4);
		*w++ = '-';
		w = w_pad(w, (unsigned long)tm.tm_mon + 1, 2);
		*w++ = '-';
		w = w_pad(w, (unsigned long)tm.tm_mday, 2);
		*w++ = ' ';
		w = w_hms(f, w, (long long)t, (long)ts->tv_usec);
		break;
	}
	}
	*w++ = ' ';
	f->prev = *ts;
	return w;
}

/* A number, through the formatter's cache when it fits 32 bits.  Copies a fixed 12
 * bytes (the line's reserve has room) so the copy is a couple of moves. */
static char *w_num(struct vsk_fmt *f, char *w, uint64_t v)
{
	unsigned i;

	if (v > 0xffffffffu)
		return vsk_digits_write(w, v);
	i = ((uint32_t)v * 2654435761u) >> 26;
	if (f->nc_len[i] == 0 || f->nc_val[i] != v) {
		f->nc_len[i] = (uint8_t)(vsk_digits_write(f->nc_str[i], v) - f->nc_str[i]);
		f->nc_val[i] = (uint32_t)v;
	}
	memcpy(w, f->nc_str[i], sizeof(f->nc_str[i]));
	return w + f->nc_len[i];
}

static char *w_addr(struct vsk_fmt *f, char *w, uint64_t cid, uint32_t port)
{
	w = w_num(f, w, cid);
	*w++ = ':';
	return w_num(f, w, port);
}

/* A table value: its label, or "[<what> ]N (unknown)". */
static char *w_label(char *w, const struct vsk_table *t, uint32_t v, bool lower, bool what)
{
	const struct vsk_name *n = vsk_table_find(t, v);

	if (n)
		return lower ? w_mem(w, n->name, n->name_len) : w_mem(w, n->label, n->label_len);
	if (what) {
		w = w_str(w, t->what);
		*w++ = ' ';
	}
	w = vsk_digits_write(w, v);
	return W_LIT(w, " (unknown)");
}

/* Flag names for this op/type joined by '|', then undefined bits as hex. */
static char *w_flags(char *w, const struct vsk_virtio_hdr *h)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t defined = vsk_flags_defined(h->op, h->type), rest = h->flags & ~defined;
	bool first = true;

	for (size_t i = 0; i < vsk_nflags; i++) {
		if (vsk_flags[i].op != h->op || !(defined & h->flags & vsk_flags[i].mask))
			continue;
		if (!first)
			*w++ = '|';
		w = w_str(w, vsk_flags[i].name);
		first = false;
	}
	if (rest) {
		int s = 28;

		if (!first)
			*w++ = '|';
		w = W_LIT(w, "0x");
		while (s > 0 && !((rest >> s) & 15))
			s -= 4;
		for (; s >= 0; s -= 4)
			*w++ = hex[(rest >> s) & 15];
		w = W_LIT(w, " (unknown)");
	}
	if (first && !rest)
		*w++ = '0';
	return w;
}

/* Problems the text line shows with details; the rest by name. */
static void put_problems(struct vsk_sbuf *b, const struct vsk_pkt *pkt, int verbose)
{
	uint32_t rest = pkt->problems;

	if (!rest)
		return;
	if (vsk_pkt_has(pkt, VSK_PROB_TRUNCATED)) {
		PUTS(b, " [truncated: ");
		vsk_sbuf_putu(b, pkt->caplen);
		PUTS(b, " of ");
		vsk_sbuf_putu(b, pkt->wirelen);
		PUTS(b, " bytes captured]");
		rest &= ~(1u << VSK_PROB_TRUNCATED);
	}
	if (vsk_pkt_has(pkt, VSK_PROB_LEN_MISMATCH)) {
		PUTS(b, " [len_mismatch: ");
		vsk_sbuf_putu(b, pkt->payload_wirelen);
		PUTS(b, " payload bytes in frame]");
		rest &= ~(1u << VSK_PROB_LEN_MISMATCH);
	}
	if (vsk_pkt_has(pkt, VSK_PROB_MON_LEN)) {
		PUTS(b, " [mon_len: ");
		vsk_sbuf_putu(b, pkt->mon.len);
		PUTS(b, "]");
		rest &= ~(1u << VSK_PROB_MON_LEN);
	}
	if (vsk_pkt_has(pkt, VSK_PROB_MON_RESERVED)) {
		static const char hex[] = "0123456789abcdef";
		const uint8_t *r = pkt->mon.reserved;
		char bytes[] = {hex[r[0] >> 4], hex[r[0] & 15], ' ', hex[r[1] >> 4], hex[r[1] & 15]};

		PUTS(b, " [mon_reserved: ");
		vsk_sbuf_put(b, bytes, sizeof(bytes));
		PUTS(b, "]");
		rest &= ~(1u << VSK_PROB_MON_RESERVED);
	}
	if (vsk_pkt_has(pkt, VSK_PROB_MON_DISAGREE)) {
		PUTS(b, " [mon_disagree: virtio ");
		vsk_sbuf_putu(b, pkt->hdr.src_cid);
		vsk_sbuf_putc(b, ':');
		vsk_sbuf_putu(b, pkt->hdr.src_port);
		PUTS(b, " > ");
		vsk_sbuf_putu(b, pkt->hdr.dst_cid);
		vsk_sbuf_putc(b, ':');
		vsk_sbuf_putu(b, pkt->hdr.dst_port);
		PUTS(b, "]");
		rest &= ~(1u << VSK_PROB_MON_DISAGREE);
	}
	/* Unknown values already visible as "(unknown)" in the line need no bracket. */
	rest &= ~(1u << VSK_PROB_OP_UNKNOWN | 1u << VSK_PROB_TYPE_UNKNOWN |
		  1u << VSK_PROB_FLAGS_UNKNOWN | 1u << VSK_PROB_TRANSPORT_UNKNOWN);
	if (!pkt->has_virtio || verbose >= 2)
		rest &= ~(1u << VSK_PROB_MON_OP_UNKNOWN);
	if (rest & (1u << VSK_PROB_MON_OP_UNKNOWN)) {
		PUTS(b, " [mon_op_unknown: ");
		vsk_sbuf_putu(b, pkt->mon.op);
		PUTS(b, "]");
		rest &= ~(1u << VSK_PROB_MON_OP_UNKNOWN);
	}
	for (size_t i = 0; i < vsk_tab_problem.n; i++) {
		if (!(rest & (1u << vsk_tab_problem.v[i].num)))
			continue;
		PUTS(b, " [");
		vsk_sbuf_puts(b, vsk_tab_problem.v[i].name);
		if (verbose) {
			PUTS(b, ": ");
			vsk_sbuf_puts(b, vsk_tab_problem.v[i].label);
		}
		PUTS(b, "]");
	}
}

static void put_dump(struct vsk_fmt *f, const struct vsk_pkt *pkt, struct vsk_sbuf *b)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = f->dump_frame ? pkt->frame : pkt->payload;
	size_t n = f->dump_frame ? pkt->caplen : pkt->payload_caplen;

	if (n == 0)
		return;
	if (f->dump == VSK_DUMP_ASCII) {
		if (vsk_sbuf_reserve(b, n + 1) != 0)
			return;
		for (size_t i = 0; i < n; i++) {
			char c = (char)p[i];

			b->p[b->len++] = (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) ? c : '.';
		}
		b->p[b->len] = 0;
		if (p[n - 1] != '\n')
			vsk_sbuf_putc(b, '\n');
		return;
	}
	for (size_t off = 0; off < n; off += 16) {
		size_t m = n - off < 16 ? n - off : 16;
		char line[96];
		size_t k = 0;

		line[k++] = '\t';
		line[k++] = '0';
		line[k++] = 'x';
		for (int s = 12; s >= 0; s -= 4)
			line[k++] = hex[(off >> s) & 15];
		line[k++] = ':';
		line[k++] = ' ';
		for (size_t i = 0; i < 16; i++) {
			/* Columns past the data are padded only where ASCII follows. */
			if (i >= m && f->dump != VSK_DUMP_HEX_ASCII)
				break;
			if (i % 2 == 0)
				line[k++] = ' ';
			line[k++] = i < m ? hex[p[off + i] >> 4] : ' ';
			line[k++] = i < m ? hex[p[off + i] & 15] : ' ';
		}
		if (f->dump == VSK_DUMP_HEX_ASCII) {
			line[k++] = ' ';
			line[k++] = ' ';
			k += vsk_printable(line + k, m + 1, p + off, m, '.');
		}
		line[k++] = '\n';
		vsk_sbuf_put(b, line, k);
	}
}

void vsk_format_ts(struct vsk_fmt *f, const struct timeval *ts, struct vsk_sbuf *b)
{
	struct timeval prev = f->prev;

	if (vsk_sbuf_reserve(b, 64) != 0)
		return;
	if (f->count == 0)
		f->first = f->prev = *ts;
	b->len = (size_t)(w_ts(f, ts, b->p + b->len) - b->p);
	b->p[b->len] = 0;
	f->prev = prev;
}

void vsk_format_text(struct vsk_fmt *f, const struct vsk_pkt *pkt, int err,
		     const struct timeval *ts, struct vsk_sbuf *b)
{
	const struct vsk_virtio_hdr *h = &pkt->hdr;
	bool more = !f->quiet;
	char *w;

	if (vsk_sbuf_reserve(b, LINE_RESERVE) != 0)
		return;
	w = b->p + b->len;
	f->count++;
	if (f->number) {
		char tmp[24];
		size_t n = (size_t)(vsk_digits_write(tmp, f->count) - tmp);

		for (size_t i = n; i < 5; i++)
			*w++ = ' ';
		w = w_mem(w, tmp, n);
		w = W_LIT(w, "  ");
	}
	w = w_ts(f, ts, w);
	if (err) {
		w = W_LIT(w, "[malformed: ");
		w = w_str(w, vsk_strerror(err));
		w = W_LIT(w, ", caplen ");
		w = vsk_digits_write(w, pkt->caplen);
		w = W_LIT(w, "]\n");
		b->len = (size_t)(w - b->p);
		b->p[b->len] = 0;
		if (f->dump != VSK_DUMP_NONE && f->dump_frame)
			put_dump(f, pkt, b);
		return;
	}
	w = w_addr(f, w, pkt->mon.src_cid, pkt->mon.src_port);
	w = W_LIT(w, " > ");
	w = w_addr(f, w, pkt->mon.dst_cid, pkt->mon.dst_port);
	*w++ = ' ';
	if (pkt->has_virtio) {
		w = w_label(w, &vsk_tab_type, h->type, true, true);
		*w++ = ' ';
		w = w_label(w, &vsk_tab_op, h->op, false, true);
		if (more && h->flags) {
			w = W_LIT(w, " flags ");
			w = w_flags(w, h);
		}
		if (more) {
			w = W_LIT(w, ", len ");
			w = w_num(f, w, h->len);
		}
		if (more && f->verbose >= 1) {
			w = W_LIT(w, ", buf_alloc ");
			w = w_num(f, w, h->buf_alloc);
			w = W_LIT(w, ", fwd_cnt ");
			w = w_num(f, w, h->fwd_cnt);
		}
	} else {
		/* No virtio header: say what the vsockmon header says. */
		w = W_LIT(w, "mon ");
		w = w_label(w, &vsk_tab_mon_op, pkt->mon.op, false, false);
		w = W_LIT(w, ", transport ");
		w = w_label(w, &vsk_tab_transport, pkt->mon.transport, false, false);
	}
	if (more && f->verbose >= 2) {
		if (pkt->has_virtio) {
			w = W_LIT(w, ", mon ");
			w = w_label(w, &vsk_tab_mon_op, pkt->mon.op, false, false);
		}
		w = W_LIT(w, ", caplen ");
		w = vsk_digits_write(w, pkt->caplen);
	}
	if (more && f->verbose >= 3) {
		w = W_LIT(w, ", mon_len ");
		w = vsk_digits_write(w, pkt->mon.len);
		w = W_LIT(w, ", wirelen ");
		w = vsk_digits_write(w, pkt->wirelen);
	}
	b->len = (size_t)(w - b->p);
	b->p[b->len] = 0;
	put_problems(b, pkt, f->verbose);
	vsk_sbuf_putc(b, '\n');
	if (f->dump != VSK_DUMP_NONE)
		put_dump(f, pkt, b);
}

/* A JSON string value; names from our tables never need escaping. */
static void json_key(struct vsk_sbuf *b, const char *key)
{
	PUTS(b, ",\"");
	vsk_sbuf_puts(b, key);
	PUTS(b, "\":");
}

static void json_u(struct vsk_sbuf *b, const char *key, unsigned long long v)
{
	json_key(b, key);
	vsk_sbuf_putu(b, v);
}

/* A table value as its lowercase name, or as a number when the table lacks it. */
static void json_name(struct vsk_sbuf *b, const char *key, const struct vsk_table *t, uint32_t v)
{
	const struct vsk_name *n = vsk_table_find(t, v);

	json_key(b, key);
	if (!n) {
		vsk_sbuf_putu(b, v);
		return;
	}
	vsk_sbuf_putc(b, '"');
	vsk_sbuf_puts(b, n->name);
	vsk_sbuf_putc(b, '"');
}

void vsk_format_json(struct vsk_fmt *f, const struct vsk_pkt *pkt, int err,
		     const struct timeval *ts, struct vsk_sbuf *b)
{
	const struct vsk_virtio_hdr *h = &pkt->hdr;

	f->count++;
	PUTS(b, "{\"ts\":");
	vsk_sbuf_putu(b, (unsigned long long)ts->tv_sec);
	vsk_sbuf_putc(b, '.');
	if (vsk_sbuf_reserve(b, 6) == 0) {
		b->len = (size_t)(w_pad(b->p + b->len, (unsigned long)ts->tv_usec, 6) - b->p);
		b->p[b->len] = 0;
	}
	json_u(b, "caplen", pkt->caplen);
	if (!err) {
		json_u(b, "src_cid", pkt->mon.src_cid);
		json_u(b, "dst_cid", pkt->mon.dst_cid);
		json_u(b, "src_port", pkt->mon.src_port);
		json_u(b, "dst_port", pkt->mon.dst_port);
		json_name(b, "mon_op", &vsk_tab_mon_op, pkt->mon.op);
		json_name(b, "transport", &vsk_tab_transport, pkt->mon.transport);
	}
	if (!err && pkt->has_virtio) {
		uint32_t defined = vsk_flags_defined(h->op, h->type);
		bool first = true;

		json_name(b, "type", &vsk_tab_type, h->type);
		json_name(b, "op", &vsk_tab_op, h->op);
		json_u(b, "flags", h->flags);
		json_key(b, "flag_names");
		vsk_sbuf_putc(b, '[');
		for (size_t i = 0; i < vsk_nflags; i++) {
			if (vsk_flags[i].op != h->op || !(defined & h->flags & vsk_flags[i].mask))
				continue;
			if (!first)
				vsk_sbuf_putc(b, ',');
			vsk_sbuf_putc(b, '"');
			vsk_sbuf_puts(b, vsk_flags[i].name);
			vsk_sbuf_putc(b, '"');
			first = false;
		}
		vsk_sbuf_putc(b, ']');
		json_u(b, "len", h->len);
		json_u(b, "buf_alloc", h->buf_alloc);
		json_u(b, "fwd_cnt", h->fwd_cnt);
	}
	if (pkt->problems) {
		bool first = true;

		json_key(b, "problems");
		vsk_sbuf_putc(b, '[');
		for (size_t i = 0; i < vsk_tab_problem.n; i++) {
			if (!(pkt->problems & (1u << vsk_tab_problem.v[i].num)))
				continue;
			if (!first)
				vsk_sbuf_putc(b, ',');
			vsk_sbuf_putc(b, '"');
			vsk_sbuf_puts(b, vsk_tab_problem.v[i].name);
			vsk_sbuf_putc(b, '"');
			first = false;
		}
		vsk_sbuf_putc(b, ']');
	}
	PUTS(b, "}\n");
	(void)f;
}
