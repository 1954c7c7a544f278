/* format.c - text and JSON renderings of a decoded vsock frame.  The per-packet path
 * avoids printf and the C library's time zone code: it is the hot loop of vsockdump. */
#include <time.h>

#include "vsk/error.h"
#include "vsk/format.h"

#define PUTS(b, lit) vsk_sbuf_put((b), (lit), sizeof(lit) - 1)

/* A zero-padded number of `width` digits (width even, at most 10). */
static void put_pad(struct vsk_sbuf *b, unsigned long v, int width)
{
	char tmp[10];

	for (int i = width - 2; i >= 0; i -= 2) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		tmp[i] = vsk_digits2[d];
		tmp[i + 1] = vsk_digits2[d + 1];
	}
	vsk_sbuf_put(b, tmp, (size_t)width);
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
static void put_hms(struct vsk_fmt *f, struct vsk_sbuf *b, long long sec, long usec)
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
	vsk_sbuf_put(b, f->hms, 9);
	put_pad(b, (unsigned long)usec, 6);
}

/* A difference of two timestamps as h:mm:ss.uuuuuu (tcpdump -ttt style). */
static void put_delta(struct vsk_sbuf *b, const struct timeval *now, const struct timeval *then)
{
	long long us = ((long long)now->tv_sec - then->tv_sec) * 1000000LL +
		       (now->tv_usec - then->tv_usec);

	if (us < 0) {
		vsk_sbuf_putc(b, '-');
		us = -us;
	}
	put_pad(b, (unsigned long)(us / 3600000000LL), 2);
	vsk_sbuf_putc(b, ':');
	put_pad(b, (unsigned long)(us / 60000000LL % 60), 2);
	vsk_sbuf_putc(b, ':');
	put_pad(b, (unsigned long)(us / 1000000LL % 60), 2);
	vsk_sbuf_putc(b, '.');
	put_pad(b, (unsigned long)(us % 1000000LL), 6);
}

static void put_ts(struct vsk_fmt *f, const struct timeval *ts, struct vsk_sbuf *b)
{
	long long sec = ts->tv_sec;

	if (f->count == 1)
		f->first = f->prev = *ts;
	switch (f->ts) {
	case VSK_TS_NONE:
		return;
	case VSK_TS_TIME:
		put_hms(f, b, sec + local_offset(f, sec), (long)ts->tv_usec);
		break;
	case VSK_TS_EPOCH:
		vsk_sbuf_putu(b, (unsigned long long)sec);
		vsk_sbuf_putc(b, '.');
		put_pad(b, (unsigned long)ts->tv_usec, 6);
		break;
	case VSK_TS_DELTA:
		put_delta(b, ts, &f->prev);
		break;
	case VSK_TS_SINCE_FIRST:
		put_delta(b, ts, &f->first);
		break;
	case VSK_TS_DATE: {
		time_t t = (time_t)(sec + local_offset(f, sec));
		struct tm tm;

		if (!gmtime_r(&t, &tm))
			return;
		put_pad(b, (unsigned long)tm.tm_year + 1900, 4);
		vsk_sbuf_putc(b, '-');
		put_pad(b, (unsigned long)tm.tm_mon + 1, 2);
		vsk_sbuf_putc(b, '-');
		put_pad(b, (unsigned long)tm.tm_mday, 2);
		vsk_sbuf_putc(b, ' ');
		put_hms(f, b, (long long)t, (long)ts->tv_usec);
		break;
	}
	}
	vsk_sbuf_putc(b, ' ');
	f->prev = *ts;
}

static void put_addr(struct vsk_sbuf *b, uint64_t cid, uint32_t port)
{
	vsk_sbuf_putu(b, cid);
	vsk_sbuf_putc(b, ':');
	vsk_sbuf_putu(b, port);
}

/* A table value: its label, or "[<what> ]N (unknown)". */
static void put_label(struct vsk_sbuf *b, const struct vsk_table *t, uint32_t v, bool lower,
		      bool what)
{
	const struct vsk_name *n = vsk_table_find(t, v);

	if (n) {
		vsk_sbuf_puts(b, lower ? n->name : n->label);
		return;
	}
	if (what) {
		vsk_sbuf_puts(b, t->what);
		vsk_sbuf_putc(b, ' ');
	}
	vsk_sbuf_putu(b, v);
	PUTS(b, " (unknown)");
}

/* Flag names for this op/type joined by '|', then undefined bits as hex. */
static void put_flags(struct vsk_sbuf *b, const struct vsk_virtio_hdr *h)
{
	uint32_t defined = vsk_flags_defined(h->op, h->type), rest = h->flags & ~defined;
	bool first = true;

	for (size_t i = 0; i < vsk_nflags; i++) {
		if (!(defined & vsk_flags[i].mask) || vsk_flags[i].op != h->op ||
		    !(h->flags & vsk_flags[i].mask))
			continue;
		if (!first)
			vsk_sbuf_putc(b, '|');
		vsk_sbuf_puts(b, vsk_flags[i].name);
		first = false;
	}
	if (rest) {
		if (!first)
			vsk_sbuf_putc(b, '|');
		vsk_sbuf_putx(b, rest);
		PUTS(b, " (unknown)");
	}
	if (first && !rest)
		vsk_sbuf_putc(b, '0');
}

void vsk_format_problems(uint32_t problems, struct vsk_sbuf *out)
{
	bool first = true;

	for (size_t i = 0; i < vsk_tab_problem.n; i++) {
		if (!(problems & (1u << vsk_tab_problem.v[i].num)))
			continue;
		if (!first)
			PUTS(out, ", ");
		vsk_sbuf_puts(out, vsk_tab_problem.v[i].name);
		first = false;
	}
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
		PUTS(b, " [mon_reserved: ");
		vsk_sbuf_putx(b, (unsigned)pkt->mon.reserved[0] << 8 | pkt->mon.reserved[1]);
		PUTS(b, "]");
		rest &= ~(1u << VSK_PROB_MON_RESERVED);
	}
	if (vsk_pkt_has(pkt, VSK_PROB_MON_DISAGREE)) {
		PUTS(b, " [mon_disagree: virtio ");
		put_addr(b, pkt->hdr.src_cid, pkt->hdr.src_port);
		PUTS(b, " > ");
		put_addr(b, pkt->hdr.dst_cid, pkt->hdr.dst_port);
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
			if (i % 2 == 0)
				line[k++] = ' ';
			if (i < m) {
				line[k++] = hex[p[off + i] >> 4];
				line[k++] = hex[p[off + i] & 15];
			} else if (f->dump == VSK_DUMP_HEX_ASCII) {
				line[k++] = ' ';
				line[k++] = ' ';
			}
		}
		if (f->dump == VSK_DUMP_HEX_ASCII) {
			line[k++] = ' ';
			line[k++] = ' ';
			for (size_t i = 0; i < m; i++) {
				uint8_t c = p[off + i];

				line[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
			}
		}
		line[k++] = '\n';
		vsk_sbuf_put(b, line, k);
	}
}

void vsk_format_text(struct vsk_fmt *f, const struct vsk_pkt *pkt, int err,
		     const struct timeval *ts, struct vsk_sbuf *b)
{
	const struct vsk_virtio_hdr *h = &pkt->hdr;

	f->count++;
	if (f->number) {
		char tmp[24];
		int w = 0;
		unsigned long long v = f->count;

		do {
			tmp[w++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		for (int i = w; i < 5; i++)
			vsk_sbuf_putc(b, ' ');
		while (w)
			vsk_sbuf_putc(b, tmp[--w]);
		PUTS(b, "  ");
	}
	put_ts(f, ts, b);
	if (err) {
		PUTS(b, "[malformed: ");
		vsk_sbuf_puts(b, vsk_strerror(err));
		PUTS(b, ", caplen ");
		vsk_sbuf_putu(b, pkt->caplen);
		PUTS(b, "]\n");
		if (f->dump != VSK_DUMP_NONE && f->dump_frame)
			put_dump(f, pkt, b);
		return;
	}
	put_addr(b, pkt->mon.src_cid, pkt->mon.src_port);
	PUTS(b, " > ");
	put_addr(b, pkt->mon.dst_cid, pkt->mon.dst_port);
	vsk_sbuf_putc(b, ' ');
	if (pkt->has_virtio) {
		put_label(b, &vsk_tab_type, h->type, true, true);
		vsk_sbuf_putc(b, ' ');
		put_label(b, &vsk_tab_op, h->op, false, true);
		if (!f->quiet && h->flags) {
			PUTS(b, " flags ");
			put_flags(b, h);
		}
		if (!f->quiet) {
			PUTS(b, ", len ");
			vsk_sbuf_putu(b, h->len);
		}
		if (f->verbose >= 1 && !f->quiet) {
			PUTS(b, ", buf_alloc ");
			vsk_sbuf_putu(b, h->buf_alloc);
			PUTS(b, ", fwd_cnt ");
			vsk_sbuf_putu(b, h->fwd_cnt);
		}
	} else {
		/* No virtio header: say what the vsockmon header says. */
		PUTS(b, "mon ");
		put_label(b, &vsk_tab_mon_op, pkt->mon.op, false, false);
		PUTS(b, ", transport ");
		put_label(b, &vsk_tab_transport, pkt->mon.transport, false, false);
	}
	if (f->verbose >= 2 && !f->quiet) {
		if (pkt->has_virtio) {
			PUTS(b, ", mon ");
			put_label(b, &vsk_tab_mon_op, pkt->mon.op, false, false);
		}
		PUTS(b, ", caplen ");
		vsk_sbuf_putu(b, pkt->caplen);
	}
	if (f->verbose >= 3 && !f->quiet) {
		PUTS(b, ", mon_len ");
		vsk_sbuf_putu(b, pkt->mon.len);
		PUTS(b, ", wirelen ");
		vsk_sbuf_putu(b, pkt->wirelen);
	}
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
	put_pad(b, (unsigned long)ts->tv_usec, 6);
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
