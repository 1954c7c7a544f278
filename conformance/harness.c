/* harness.c - the suite's guest driver (harness.h).
 *
 * Guest memory is one shared mapping of a memfd (struct cf_target.mem_fd: a vhost-user
 * backend in another process maps the same file) seen by the device at CF_GPA (not 0, so a device
 * that confuses guest addresses with offsets is caught).  It holds, bump-allocated: the
 * three rings, their indirect-table areas, the rx buffer slots, the tx slots and the
 * event slots.  Each slot's buffers are placed apart with a guard gap between them, so a
 * device that writes past a descriptor, or treats a chain as one contiguous buffer, writes
 * into a guard (checked on every rx buffer) or into the wrong place. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <vsk/encode.h>
#include <vsk/error.h>
#include <vsk/flow.h>
#include <vsk/format.h>
#include <vsk/proto.h>
#include <vsk/sbuf.h>

#include "harness.h"

#define CF_GPA      0x40000000ULL   /* guest address of the memory */
#define CF_MEM      (32u << 20)
#define RX_NUM      128
#define TX_NUM      256
#define EV_NUM      8
#define TX_SLOTS    64
#define GAP         64              /* guard bytes around every buffer */
#define GUARD_BYTE  0xa5
#define MAX_SEGS    16
#define HDR         VSK_VIRTIO_HDR_LEN
#define EVID_MAX    16
#define EV_FIRST    24              /* evidence: the first packets, then the last ones */

/* cf_verdict_names: in expect.c, the parser of recorded verdicts */

struct slot {
	uint64_t gpa;            /* start of the slot's area */
	uint8_t *mem;
	unsigned nseg;
	struct vsk_vq_seg seg[MAX_SEGS];
	bool busy;
	struct cf_conn *conn;    /* tx: the packet's connection (for the credit ledger) */
};

struct cf_harness {
	struct cf_target t;
	struct cf_params p;
	struct cf_result *r;
	int64_t deadline;        /* CLOCK_MONOTONIC ms */
	bool opened, started, timed_out;
	bool pktlevel;           /* the target moves packets (ops->xmit): no virtqueues */

	uint8_t *mem;
	struct vsk_mem_flat flat;
	uint64_t brk;            /* bump allocator: next free guest address */
	uint64_t features;
	bool stream, seqpacket;

	struct vsk_vq_drv vq[3];
	struct vsk_vq_addr addr[3];
	struct slot rx[RX_NUM], tx[TX_SLOTS], ev[EV_NUM];
	unsigned nrx;            /* rx slots (chains) we keep posted */
	uint32_t rx_total;       /* bytes per rx chain: header + rx_buf */

	struct cf_pkt **trace;   /* each packet allocated once: pointers stay valid */
	size_t ntrace, captrace;
	uint32_t events[EVID_MAX];
	unsigned nevents;

	struct vsk_flow *flow;
	struct vsk_fmt fmt;
	struct vsk_sbuf line;
	char ev_last[CF_MAX_EVIDENCE - EV_FIRST][128];
	unsigned ev_ring, ev_total;

	struct cf_conn *conns;
	uint32_t next_port;
};

/* ---- small things ---- */

int cf_left(const struct cf_harness *h)
{
	int64_t l = h->deadline - cf_now_ms();

	return l <= 0 ? 0 : l > INT32_MAX ? INT32_MAX : (int)l;
}

static int cap_ms(const struct cf_harness *h, int ms)
{
	int l = cf_left(h);

	return ms < 0 || ms > l ? l : ms;
}

int cf_answer_ms(const struct cf_harness *h)
{
	return cap_ms(h, h->p.answer_ms);
}

static void appendf(char *dst, size_t cap, const char *fmt, va_list ap)
{
	size_t n = strlen(dst);

	if (n + 3 >= cap)
		return;
	if (n) {
		dst[n++] = ';';
		dst[n++] = ' ';
		dst[n] = 0;
	}
	vsnprintf(dst + n, cap - n, fmt, ap);
}

void cf_rrequired(struct cf_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	appendf(r->required, sizeof(r->required), fmt, ap);
	va_end(ap);
}

void cf_robserve(struct cf_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	appendf(r->observed, sizeof(r->observed), fmt, ap);
	va_end(ap);
}

void cf_rfail(struct cf_result *r, const char *rule, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (r->verdict == CF_FAIL) {
		/* later failures are consequences more often than not: keep them as notes */
		char tmp[256];

		vsnprintf(tmp, sizeof(tmp), fmt, ap);
		cf_robserve(r, "also %s: %s", rule, tmp);
	} else {
		r->verdict = CF_FAIL;
		snprintf(r->rule, sizeof(r->rule), "%s", rule);
		vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	}
	va_end(ap);
}

void cf_rna(struct cf_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->verdict != CF_PASS)
		return;
	va_start(ap, fmt);
	r->verdict = CF_NA;
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

struct cf_result *cf_result_of(struct cf_harness *h)
{
	return h->r;
}

bool cf_failed(const struct cf_harness *h)
{
	return h->r->verdict != CF_PASS;
}

int cf_app_err(struct cf_harness *h, int err, const char *what)
{
	if (err == -ENOTSUP)
		cf_na(h, "%s: %s", what, h->t.why[0] ? h->t.why : "not supported by the target");
	else if (err == -ETIMEDOUT && cf_left(h) == 0)
		cf_fail(h, "timeout", "timeout: %s", what);
	else
		cf_fail(h, "app", "%s: %s", what, strerror(-err));
	return err;
}

static void timeout(struct cf_harness *h, const char *what)
{
	if (!h->timed_out)
		cf_fail(h, "timeout", "timeout waiting for %s", what);
	h->timed_out = true;
}

struct cf_target *cf_target(struct cf_harness *h) { return &h->t; }
uint64_t cf_features(const struct cf_harness *h) { return h->features; }
bool cf_has_stream(const struct cf_harness *h) { return h->stream; }
bool cf_has_seqpacket(const struct cf_harness *h) { return h->seqpacket; }
bool cf_packet_level(const struct cf_harness *h) { return h->pktlevel; }

uint32_t cf_port(struct cf_harness *h)
{
	return h->next_port++;
}

void cf_pattern(void *buf, size_t len, uint64_t off, unsigned seed)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) * 0x9e3779b97f4a7c15ULL + seed * 0x632be59bd9b4e019ULL;

		b[i] = (uint8_t)(x >> 56 ^ (off + i));
	}
}

/* ---- layouts ---- */

int cf_layout_parse(const char *s, struct cf_layout *l)
{
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);

	memset(l, 0, sizeof(*l));
	if (comma && strcmp(comma, ",indirect"))
		return -1;
	l->indirect = comma != NULL;
	if (n == 3 && !strncmp(s, "one", 3)) {
		l->kind = CF_LAYOUT_ONE;
		l->n = 1;
	} else if (n == 5 && !strncmp(s, "split", 5)) {
		l->kind = CF_LAYOUT_SPLIT;
		l->n = 2;
	} else if (n > 7 && !strncmp(s, "spread:", 7)) {
		char *end;
		unsigned long v = strtoul(s + 7, &end, 10);

		if (end != s + n || v < 2 || v > MAX_SEGS || s[7] < '0' || s[7] > '9')
			return -1;
		l->kind = CF_LAYOUT_SPREAD;
		l->n = (unsigned)v;
	} else {
		return -1;
	}
	return 0;
}

const char *cf_layout_str(const struct cf_layout *l, char *buf, size_t len)
{
	if (l->kind == CF_LAYOUT_SPREAD)
		snprintf(buf, len, "spread:%u%s", l->n, l->indirect ? ",indirect" : "");
	else
		snprintf(buf, len, "%s%s", l->kind == CF_LAYOUT_ONE ? "one" : "split",
			 l->indirect ? ",indirect" : "");
	return buf;
}

/* Segment lengths of a total-byte buffer in layout l: one; header | rest; or spread, the
 * first buffer 24 bytes so the 44-byte header crosses a boundary, the rest equal. */
static unsigned layout_lens(const struct cf_layout *l, uint32_t total, uint32_t *len)
{
	unsigned n;

	if (l->kind == CF_LAYOUT_ONE || total <= HDR) {
		if (l->kind == CF_LAYOUT_SPREAD && total >= 2 * l->n) {
			/* header only (control packet): still spread */
		} else {
			len[0] = total;
			return 1;
		}
	}
	if (l->kind == CF_LAYOUT_SPLIT) {
		len[0] = HDR;
		len[1] = total - HDR;
		return 2;
	}
	n = l->n;
	if (total < 24 + (n - 1)) {
		len[0] = total;
		return 1;
	}
	len[0] = 24;
	for (unsigned k = 1; k < n; k++)
		len[k] = (total - 24) / (n - 1) + (k <= (total - 24) % (n - 1) ? 1 : 0);
	return n;
}

/* ---- memory ---- */

static uint64_t alloc(struct cf_harness *h, uint64_t size, uint64_t align)
{
	uint64_t a = (h->brk + align - 1) & ~(align - 1);

	if (a + size > CF_GPA + CF_MEM)
		return 0;
	h->brk = a + size;
	return a;
}

static uint8_t *host(struct cf_harness *h, uint64_t gpa)
{
	return h->mem + (gpa - CF_GPA);
}

/* Places the buffers of one chain in slot s: lens[k] bytes each, a guard gap before and
 * after each.  The slot's area must hold sum(lens) + (n + 1) * GAP bytes. */
static void slot_layout(struct slot *s, const uint32_t *lens, unsigned n, bool write)
{
	uint64_t a = s->gpa + GAP;
	uint64_t end = s->gpa;

	for (unsigned k = 0; k < n; k++) {
		s->seg[k].addr = a;
		s->seg[k].len = lens[k];
		s->seg[k].write = write;
		a += lens[k] + GAP;
	}
	end = a;
	s->nseg = n;
	memset(s->mem, GUARD_BYTE, end - s->gpa);
}

/* Copies the chain's bytes [0, len) out of the slot's buffers. */
static size_t slot_gather(struct cf_harness *h, const struct slot *s, uint8_t *dst, size_t len)
{
	size_t got = 0;

	for (unsigned k = 0; k < s->nseg && got < len; k++) {
		size_t n = s->seg[k].len < len - got ? s->seg[k].len : len - got;

		memcpy(dst + got, host(h, s->seg[k].addr), n);
		got += n;
	}
	return got;
}

static void slot_scatter(struct cf_harness *h, const struct slot *s, const uint8_t *src,
			 size_t len)
{
	size_t put = 0;

	for (unsigned k = 0; k < s->nseg && put < len; k++) {
		size_t n = s->seg[k].len < len - put ? s->seg[k].len : len - put;

		memcpy(host(h, s->seg[k].addr), src + put, n);
		put += n;
	}
}

/* True if every guard byte around the slot's buffers is intact. */
static bool slot_guards_ok(struct cf_harness *h, const struct slot *s, uint64_t *bad)
{
	uint64_t a = s->gpa;

	for (unsigned k = 0; k <= s->nseg; k++) {
		const uint8_t *g = host(h, a);

		for (unsigned i = 0; i < GAP; i++) {
			if (g[i] != GUARD_BYTE) {
				*bad = a + i;
				return false;
			}
		}
		if (k < s->nseg)
			a = s->seg[k].addr + s->seg[k].len;
	}
	return true;
}

/* ---- logging: trace, evidence, flow rules, capture ---- */

static void evidence(struct cf_harness *h, const char *line)
{
	struct cf_result *r = h->r;

	if (r->nevidence < EV_FIRST) {
		snprintf(r->evidence[r->nevidence++], sizeof(r->evidence[0]), "%s", line);
		return;
	}
	snprintf(h->ev_last[h->ev_ring++ % (CF_MAX_EVIDENCE - EV_FIRST)], sizeof(h->ev_last[0]),
		 "%s", line);
	h->ev_total++;
}

/* The evidence kept: the first EV_FIRST lines, then the last ones. */
static void evidence_finish(struct cf_harness *h)
{
	struct cf_result *r = h->r;
	unsigned keep = CF_MAX_EVIDENCE - EV_FIRST, n = h->ev_total < keep ? h->ev_total : keep;

	r->nevidence_dropped = h->ev_total - n;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (h->ev_ring - n + i) % keep;

		snprintf(r->evidence[r->nevidence++], sizeof(r->evidence[0]), "%s", h->ev_last[k]);
	}
}

static void record_viol(struct cf_harness *h, const struct vsk_violation *v, bool ours_now)
{
	const struct vsk_rule_info *ri = &vsk_rules[v->rule];
	bool driver;
	struct cf_result *r = h->r;

	if (v->from >= 0 && v->conn)
		driver = v->conn->end[v->from].cid == h->t.guest_cid;
	else
		driver = ours_now && !v->timed;
	if (r->nviol < CF_MAX_VIOL) {
		struct cf_viol *o = &r->viol[r->nviol++];

		snprintf(o->rule, sizeof(o->rule), "%s", ri->name);
		snprintf(o->who, sizeof(o->who), "%s", driver ? "driver" : "device");
		snprintf(o->detail, sizeof(o->detail), "%s", v->detail);
	} else {
		r->nviol_dropped++;
	}
	/* Errors of the device fail the case; warnings are reported and left to the case. */
	if (!driver && ri->sev == VSK_SEV_ERROR)
		cf_fail(h, ri->name, "flow rule %s broken by the device (%s): %s", ri->name,
			ri->clause, v->detail);
}

static void flow_feed(struct cf_harness *h, const uint8_t *frame, size_t flen,
		      const struct timeval *ts, bool ours)
{
	struct vsk_pkt pkt;
	struct vsk_violation v[8];
	int err = vsk_decode(frame, flen, flen, &pkt);
	size_t n;

	if (h->p.dumper) {
		struct pcap_pkthdr ph = {.ts = *ts, .caplen = (bpf_u_int32)flen,
					 .len = (bpf_u_int32)flen};

		pcap_dump(h->p.dumper, &ph, frame);
		pcap_dump_flush(h->p.dumper);
	}
	vsk_sbuf_reset(&h->line);
	vsk_sbuf_puts(&h->line, ours ? "tx " : "rx ");
	vsk_format_text(&h->fmt, &pkt, err, ts, &h->line);
	while (h->line.len && h->line.p[h->line.len - 1] == '\n')
		h->line.p[--h->line.len] = 0;
	if (h->line.p)
		evidence(h, h->line.p);
	if (!h->flow)
		return;
	n = vsk_flow_packet(h->flow, &pkt, err, ts, v, 8, NULL);
	for (size_t i = 0; i < n && i < 8; i++)
		record_viol(h, &v[i], ours);
}

/* A frame as Linux's vsockmon tap writes it, for bytes the device or we put in a ring:
 * the af_vsockmon_hdr is derived from the virtio header in the bytes themselves. */
static size_t make_frame(uint8_t *out, size_t cap, const uint8_t *bytes, size_t n,
			 struct vsk_virtio_hdr *hdr)
{
	struct vsk_mon_hdr m;
	struct vsk_pkt pkt;
	uint8_t tmp[VSK_FRAME_HDR_LEN];

	if (n + VSK_MON_HDR_LEN > cap)
		n = cap - VSK_MON_HDR_LEN;
	/* Decode the virtio header through lib's decoder: a provisional vsockmon header,
	 * then the real one from what was decoded. */
	memset(&m, 0, sizeof(m));
	m.transport = VSK_TRANSPORT_VIRTIO;
	m.len = HDR;
	vsk_encode_mon(tmp, &m);
	memcpy(tmp + VSK_MON_HDR_LEN, bytes, n < HDR ? n : HDR);
	memset(hdr, 0, sizeof(*hdr));
	if (vsk_decode(tmp, VSK_MON_HDR_LEN + (n < HDR ? n : HDR), VSK_MON_HDR_LEN + n, &pkt) == 0 &&
	    pkt.has_virtio) {
		*hdr = pkt.hdr;
		vsk_mon_from_virtio(&m, hdr);
	}
	vsk_encode_mon(out, &m);
	memmove(out + VSK_MON_HDR_LEN, bytes, n);
	return VSK_MON_HDR_LEN + n;
}

static struct cf_pkt *trace_add(struct cf_harness *h, const struct vsk_virtio_hdr *hdr,
				const uint8_t *data, size_t dlen, bool ours)
{
	struct cf_pkt *p;
	uint8_t *copy = NULL;

	if (h->ntrace == h->captrace) {
		size_t n = h->captrace ? 2 * h->captrace : 256;
		struct cf_pkt **t = realloc(h->trace, n * sizeof(*t));

		if (!t)
			return NULL;
		h->trace = t;
		h->captrace = n;
	}
	if (!(p = calloc(1, sizeof(*p))) || (dlen && !(copy = malloc(dlen)))) {
		free(p);
		return NULL;
	}
	if (dlen)
		memcpy(copy, data, dlen);
	h->trace[h->ntrace++] = p;
	p->hdr = *hdr;
	p->data = copy;
	p->dlen = dlen;
	p->from_us = ours;
	gettimeofday(&p->ts, NULL);
	return p;
}

void cf_mark_seen(struct cf_harness *h)
{
	for (size_t i = 0; i < h->ntrace; i++)
		h->trace[i]->seen = true;
}

size_t cf_trace(const struct cf_harness *h, const struct cf_pkt *const **pkts)
{
	*pkts = (const struct cf_pkt *const *)h->trace;
	return h->ntrace;
}

unsigned cf_events(const struct cf_harness *h, const uint32_t **ids)
{
	*ids = h->events;
	return h->nevents;
}

void cf_pkt_str(const struct cf_pkt *p, char *buf, size_t len)
{
	const struct vsk_name *op = vsk_table_find(&vsk_tab_op, p->hdr.op);
	const struct vsk_name *ty = vsk_table_find(&vsk_tab_type, p->hdr.type);

	snprintf(buf, len, "%s %" PRIu64 ":%u > %" PRIu64 ":%u type %s op %s len %u flags %u "
		 "buf_alloc %u fwd_cnt %u", p->from_us ? "tx" : "rx", p->hdr.src_cid,
		 p->hdr.src_port, p->hdr.dst_cid, p->hdr.dst_port, ty ? ty->name : "?",
		 op ? op->label : "?", p->hdr.len, p->hdr.flags, p->hdr.buf_alloc,
		 p->hdr.fwd_cnt);
}

/* ---- queues ---- */

static int kick(struct cf_harness *h, unsigned q)
{
	int e = h->pktlevel ? 0 : h->t.ops->kick(&h->t, q);

	if (e < 0)
		cf_app_err(h, e, "kick");
	return e;
}

static void ring_broken(struct cf_harness *h, unsigned q)
{
	static const char *const qn[3] = {"rx", "tx", "event"};
	const struct vsk_ring_rule_info *ri = &vsk_ring_rules[h->vq[q].broken];

	cf_fail(h, ri->name, "%s queue: ring rule %s broken by the device (%s): %s", qn[q],
		ri->name, ri->clause, h->vq[q].detail);
}

static int post_rx(struct cf_harness *h, unsigned i)
{
	struct slot *s = &h->rx[i];
	uint32_t lens[MAX_SEGS];
	unsigned n = layout_lens(&h->p.rx, h->rx_total, lens);
	int e;

	slot_layout(s, lens, n, true);
	e = vsk_vq_drv_add(&h->vq[VSK_VQ_RX], s->seg, s->nseg, h->p.rx.indirect,
			   (void *)(uintptr_t)(i + 1));
	if (e == VSK_E_RING)
		ring_broken(h, VSK_VQ_RX);
	s->busy = e == 0;
	return e;
}

static int post_event(struct cf_harness *h, unsigned i)
{
	struct slot *s = &h->ev[i];
	uint32_t len = VSK_EVENT_LEN;

	slot_layout(s, &len, 1, true);
	return vsk_vq_drv_add(&h->vq[VSK_VQ_EVENT], s->seg, 1, false, (void *)(uintptr_t)(i + 1));
}

static struct cf_conn *conn_of(struct cf_harness *h, const struct vsk_virtio_hdr *hdr)
{
	for (struct cf_conn *c = h->conns; c; c = c->next)
		if (c->our_port == hdr->dst_port && c->its_port == hdr->src_port &&
		    c->type == hdr->type)
			return c;
	return NULL;
}

static void rx_append(struct cf_conn *c, const uint8_t *d, size_t n)
{
	if (c->rxlen + n > c->rxcap) {
		size_t cap = c->rxcap ? c->rxcap : 65536;
		uint8_t *p;

		while (cap < c->rxlen + n)
			cap *= 2;
		if (!(p = realloc(c->rx, cap)))
			return;
		c->rx = p;
		c->rxcap = cap;
	}
	memcpy(c->rx + c->rxlen, d, n);
	c->rxlen += n;
}

/* What we do on a packet of one of our connections: the reference driver's side. */
static void conn_rx(struct cf_conn *c, const struct cf_pkt *p)
{
	const struct vsk_virtio_hdr *hd = &p->hdr;

	c->peer_known = true;
	c->peer_buf_alloc = hd->buf_alloc;
	c->peer_fwd_cnt = hd->fwd_cnt;
	switch (hd->op) {
	case VSK_OP_RESPONSE:
		c->established = true;
		break;
	case VSK_OP_RST:
		c->rst_rcvd = true;
		c->established = false;
		break;
	case VSK_OP_SHUTDOWN:
		c->shut_rcvd |= hd->flags & (VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND);
		/* Clean disconnect: answer a full shutdown with RST (Stream Sockets). */
		if (c->shut_rcvd == (VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND) &&
		    c->auto_rst && !c->rst_sent && !c->rst_rcvd)
			cf_conn_send(c, VSK_OP_RST, 0, NULL, 0);
		break;
	case VSK_OP_RW:
		rx_append(c, p->data, p->dlen);
		c->rx_bytes += p->dlen;
		if (hd->flags & VSK_FLAG_SEQ_EOM) {
			c->eom++;
			if (c->nmsg < sizeof(c->msg_end) / sizeof(c->msg_end[0]))
				c->msg_end[c->nmsg++] = c->rxlen;
		}
		if (hd->flags & VSK_FLAG_SEQ_EOR)
			c->eor++;
		if (c->autoconsume) {
			c->consumed += p->dlen;
			c->fwd_cnt += (uint32_t)p->dlen;
			/* Tell it when its view of our space falls under half. */
			if ((uint32_t)(c->fwd_cnt - c->fwd_sent) >= c->buf_alloc / 2 &&
			    !c->rst_rcvd && !c->rst_sent)
				cf_conn_send(c, VSK_OP_CREDIT_UPDATE, 0, NULL, 0);
		}
		break;
	case VSK_OP_CREDIT_REQUEST:
		if (c->answer_credit_request && c->credit_answers < 32 && !c->rst_sent) {
			c->credit_answers++;
			cf_conn_send(c, VSK_OP_CREDIT_UPDATE, 0, NULL, 0);
		}
		break;
	default:
		break;
	}
}

/* The target's packets (packet level): as reap_rx, without rings. */
static void reap_pkts(struct cf_harness *h, int *got)
{
	static uint8_t buf[VSK_MON_HDR_LEN + HDR + 65536 + 64];
	ssize_t len;

	while ((len = h->t.ops->recv(&h->t, buf + VSK_MON_HDR_LEN, HDR + 65536)) > 0) {
		struct vsk_virtio_hdr hd;
		struct timeval ts;
		size_t n = (size_t)len, flen;
		struct cf_pkt *p;

		gettimeofday(&ts, NULL);
		flen = make_frame(buf, sizeof(buf), buf + VSK_MON_HDR_LEN, n, &hd);
		flow_feed(h, buf, flen, &ts, false);
		p = trace_add(h, &hd, buf + VSK_FRAME_HDR_LEN, n > HDR ? n - HDR : 0, false);
		if (p) {
			p->used_len = (uint32_t)n;
			if (n < HDR || n != HDR + hd.len) {
				p->bad = true;
				cf_fail(h, "pkt_len", "a packet of %zu bytes whose header says 44 + "
					"%u (Socket Device: Device Operation)", n, hd.len);
			} else if (hd.dst_cid != h->t.guest_cid) {
				cf_fail(h, "rx_dst_cid", "packet to CID %" PRIu64 ", not ours %"
					PRIu64 " (Socket Device: Addressing)", hd.dst_cid,
					h->t.guest_cid);
			}
		}
		if (p && !p->bad) {
			struct cf_conn *c = conn_of(h, &hd);

			if (c)
				conn_rx(c, p);
		}
		(*got)++;
	}
	if (len < 0)
		cf_fail(h, "app", "receive from the target: %s", h->t.why[0] ? h->t.why :
			strerror((int)-len));
}

static void reap_rx(struct cf_harness *h, int *got)
{
	/* A nested reap (conn_rx may send, sending may pump) reuses buf: nothing below
	 * reads it after conn_rx. */
	static uint8_t buf[VSK_MON_HDR_LEN + HDR + 65536 + 64];
	void *tok;
	uint32_t len;
	int e;

	if (h->pktlevel) {
		reap_pkts(h, got);
		return;
	}
	while ((e = vsk_vq_drv_get(&h->vq[VSK_VQ_RX], &tok, &len)) == 1) {
		unsigned i = (unsigned)(uintptr_t)tok - 1;
		struct slot *s = &h->rx[i];
		struct vsk_virtio_hdr hd;
		struct timeval ts;
		size_t n, flen;
		uint64_t bad;
		struct cf_pkt *p;

		s->busy = false;
		n = slot_gather(h, s, buf + VSK_MON_HDR_LEN, len);
		gettimeofday(&ts, NULL);
		flen = make_frame(buf, sizeof(buf), buf + VSK_MON_HDR_LEN, n, &hd);
		flow_feed(h, buf, flen, &ts, false);
		p = trace_add(h, &hd, buf + VSK_FRAME_HDR_LEN, n > HDR ? n - HDR : 0, false);
		if (p) {
			p->used_len = len;
			if (len < HDR) {
				p->bad = true;
				cf_fail(h, "rx_used_short", "rx used len %u: shorter than the "
					"44-byte header (Split Virtqueues: The Virtqueue Used Ring)",
					len);
			} else if (len != HDR + hd.len) {
				p->bad = true;
				cf_fail(h, "rx_used_len", "rx used len %u but the header says 44 + "
					"%u bytes (the used len is the bytes written: Split "
					"Virtqueues: The Virtqueue Used Ring)", len, hd.len);
			}
			if (!p->bad && hd.dst_cid != h->t.guest_cid)
				cf_fail(h, "rx_dst_cid", "packet to CID %" PRIu64 ", not the "
					"guest's %" PRIu64 " (Socket Device: Addressing)",
					hd.dst_cid, h->t.guest_cid);
		}
		if (!slot_guards_ok(h, s, &bad))
			cf_fail(h, "rx_outside_buffer", "the device wrote guest memory at 0x%"
				PRIx64 ", outside the rx buffers it was given (Split Virtqueues: "
				"The Virtqueue Descriptor Table)", bad);
		if (p && !p->bad) {
			struct cf_conn *c = conn_of(h, &hd);

			if (c)
				conn_rx(c, p);
		}
		(*got)++;
		if (post_rx(h, i) == 0)
			kick(h, VSK_VQ_RX);
	}
	if (e == VSK_E_RING)
		ring_broken(h, VSK_VQ_RX);
}

static void reap_tx(struct cf_harness *h)
{
	void *tok;
	uint32_t len;
	int e;

	if (h->pktlevel)
		return;
	while ((e = vsk_vq_drv_get(&h->vq[VSK_VQ_TX], &tok, &len)) == 1)
		h->tx[(uintptr_t)tok - 1].busy = false;
	if (e == VSK_E_RING)
		ring_broken(h, VSK_VQ_TX);
}

static void reap_event(struct cf_harness *h, int *got)
{
	void *tok;
	uint32_t len;
	int e;

	if (h->pktlevel)
		return;
	while ((e = vsk_vq_drv_get(&h->vq[VSK_VQ_EVENT], &tok, &len)) == 1) {
		unsigned i = (unsigned)(uintptr_t)tok - 1;
		const uint8_t *b = host(h, h->ev[i].seg[0].addr);
		uint32_t id = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			      (uint32_t)b[3] << 24;
		char line[64];

		if (len != VSK_EVENT_LEN)
			cf_fail(h, "event_len", "event used len %u, not 4 (struct "
				"virtio_vsock_event; Socket Device: Device Events)", len);
		if (h->nevents < EVID_MAX)
			h->events[h->nevents++] = id;
		snprintf(line, sizeof(line), "rx event id %u%s", id,
			 id == VSK_EVENT_TRANSPORT_RESET ? " (TRANSPORT_RESET)" : "");
		evidence(h, line);
		(*got)++;
		if (post_event(h, i) == 0)
			kick(h, VSK_VQ_EVENT);
	}
	if (e == VSK_E_RING)
		ring_broken(h, VSK_VQ_EVENT);
}

int cf_pump(struct cf_harness *h, int ms)
{
	int64_t start = cf_now_ms();
	int got = 0, w;

	if (cf_left(h) == 0) {
		timeout(h, "the device");
		return -ETIMEDOUT;
	}
	ms = cap_ms(h, ms);
	/* rx before tx: an RW is judged against every credit we advertised that the device
	 * may not have processed yet (see cf_conn_send). */
	reap_rx(h, &got);
	reap_event(h, &got);
	reap_tx(h);
	if (got)
		return got;
	w = h->t.ops->wait(&h->t, ms);
	if (w < 0) {
		cf_app_err(h, w, "wait for the device");
		return w;
	}
	reap_rx(h, &got);
	reap_event(h, &got);
	reap_tx(h);
	if (!got && w == 0 && ms > 0) {
		/* In-process targets return at once when idle: do not spin. */
		int64_t el = cf_now_ms() - start;

		if (el < ms) {
			struct timespec ts = {0, (el + 2 < ms ? 2 : ms - el) * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	return got;
}

int cf_settle(struct cf_harness *h)
{
	for (;;) {
		int w, got = 0;

		if (cf_left(h) == 0) {
			timeout(h, "the device to go quiet");
			return -ETIMEDOUT;
		}
		reap_rx(h, &got);
		reap_event(h, &got);
		reap_tx(h);
		if (got)
			continue;
		/* vhost: quiet_ms without an interrupt; in-process: idle at once */
		w = h->t.ops->wait(&h->t, cap_ms(h, h->p.quiet_ms));
		if (w < 0)
			return cf_app_err(h, w, "wait for the device");
		reap_rx(h, &got);
		reap_event(h, &got);
		reap_tx(h);
		if (!got && w == 0)
			return 0;
	}
}

bool cf_match_pred(const struct cf_pkt *p, const void *arg)
{
	const struct cf_match *m = arg;

	return (m->src_port < 0 || p->hdr.src_port == m->src_port) &&
	       (m->dst_port < 0 || p->hdr.dst_port == m->dst_port) &&
	       (m->op < 0 || p->hdr.op == m->op) && (m->type < 0 || p->hdr.type == m->type);
}

const struct cf_pkt *cf_expect(struct cf_harness *h, cf_pred pred, const void *arg,
			       int timeout_ms)
{
	int64_t end = cf_now_ms() + cap_ms(h, timeout_ms);
	size_t scanned = 0;

	for (;;) {
		for (; scanned < h->ntrace; scanned++) {
			struct cf_pkt *p = h->trace[scanned];

			if (!p->from_us && !p->seen && !p->bad && pred(p, arg)) {
				p->seen = true;
				return p;
			}
		}
		/* packets seen by an earlier expect are skipped; rescan only new ones */
		if (cf_now_ms() >= end || cf_left(h) == 0)
			return NULL;
		if (cf_pump(h, (int)(end - cf_now_ms())) < 0)
			return NULL;
	}
}

const struct cf_pkt *cf_expect_op(struct cf_harness *h, int64_t its_port, int64_t our_port,
				  int op, int timeout_ms)
{
	struct cf_match m = {its_port, our_port, op, -1};

	return cf_expect(h, cf_match_pred, &m, timeout_ms);
}

/* cf_send_raw at the packet level: the bytes to the target, then as for a ring. */
static int send_pkt(struct cf_harness *h, const struct vsk_virtio_hdr *hdr, const void *payload,
		    size_t plen)
{
	uint8_t *buf = malloc(VSK_FRAME_HDR_LEN + plen);
	struct timeval ts;
	size_t flen;
	int e;

	if (!buf) {
		cf_fail(h, "harness", "out of memory");
		return -ENOMEM;
	}
	vsk_encode_virtio(buf + VSK_MON_HDR_LEN, hdr);
	if (plen)
		memcpy(buf + VSK_FRAME_HDR_LEN, payload, plen);
	e = h->t.ops->xmit(&h->t, buf + VSK_MON_HDR_LEN, HDR + plen);
	if (e < 0) {
		free(buf);
		cf_app_err(h, e, "send to the target");
		return -EIO;
	}
	gettimeofday(&ts, NULL);
	flen = make_frame(buf, VSK_FRAME_HDR_LEN + plen, buf + VSK_MON_HDR_LEN, HDR + plen,
			  &(struct vsk_virtio_hdr){0});
	flow_feed(h, buf, flen, &ts, true);
	trace_add(h, hdr, payload, plen, true);
	free(buf);
	return 0;
}

int cf_send_raw(struct cf_harness *h, const struct vsk_virtio_hdr *hdr0, const void *payload,
		size_t plen)
{
	/* Waiting for tx space pumps the device, and what arrives meanwhile may make us send
	 * (a CREDIT_UPDATE, an RST): nothing here may be shared with such a nested call, so
	 * the slot is ours from the moment it is chosen and the bytes are in a buffer of
	 * this call. */
	struct vsk_virtio_hdr hdr = *hdr0;
	uint32_t lens[MAX_SEGS];
	struct slot *s = NULL;
	struct timeval ts;
	unsigned i, n;
	size_t flen, cap;
	uint8_t *buf;
	int e;

	if (plen > 65536)
		plen = 65536;
	hdr.len = (uint32_t)plen;
	if (h->pktlevel)
		return send_pkt(h, &hdr, payload, plen);
	for (;;) {
		for (i = 0; i < TX_SLOTS && h->tx[i].busy; i++)
			;
		if (i < TX_SLOTS) {
			s = &h->tx[i];
			s->busy = true;
			break;
		}
		if (cf_pump(h, 10) < 0)
			return -ETIMEDOUT;
	}
	cap = VSK_FRAME_HDR_LEN + plen;
	if (!(buf = malloc(cap))) {
		s->busy = false;
		cf_fail(h, "harness", "out of memory");
		return -ENOMEM;
	}
	n = layout_lens(&h->p.tx, (uint32_t)(HDR + plen), lens);
	slot_layout(s, lens, n, false);
	vsk_encode_virtio(buf + VSK_MON_HDR_LEN, &hdr);
	if (plen)
		memcpy(buf + VSK_FRAME_HDR_LEN, payload, plen);
	slot_scatter(h, s, buf + VSK_MON_HDR_LEN, HDR + plen);
	for (;;) {
		e = vsk_vq_drv_add(&h->vq[VSK_VQ_TX], s->seg, s->nseg, h->p.tx.indirect,
				   (void *)(uintptr_t)(i + 1));
		if (e != VSK_E_FULL)
			break;
		if (cf_pump(h, 10) < 0) {
			s->busy = false;
			free(buf);
			return -ETIMEDOUT;
		}
	}
	if (e < 0) {
		s->busy = false;
		free(buf);
		if (e == VSK_E_RING) {
			ring_broken(h, VSK_VQ_TX);
		} else {
			cf_fail(h, "harness", "tx add: %s", vsk_strerror(e));
		}
		return -EIO;
	}
	gettimeofday(&ts, NULL);
	flen = make_frame(buf, cap, buf + VSK_MON_HDR_LEN, HDR + plen, &hdr);
	flow_feed(h, buf, flen, &ts, true);
	trace_add(h, &hdr, payload, plen, true);
	free(buf);
	return kick(h, VSK_VQ_TX) < 0 ? -EIO : 0;
}

/* ---- open and close ---- */

static int setup_queue(struct cf_harness *h, unsigned q, uint16_t num, bool indirect)
{
	struct vsk_vq_addr *a = &h->addr[q];
	uint64_t ind = 0;
	int e;

	a->num = num;
	a->desc = alloc(h, vsk_vq_desc_size(num), 4096);
	a->avail = alloc(h, vsk_vq_avail_size(num), 4096);
	a->used = alloc(h, vsk_vq_used_size(num), 4096);
	if (indirect)
		ind = alloc(h, (uint64_t)num * VSK_VQ_MAX_SEGS * VSK_VRING_DESC_LEN, 4096);
	if (!a->desc || !a->avail || !a->used || (indirect && !ind)) {
		cf_fail(h, "harness", "guest memory too small for the queues");
		return -1;
	}
	e = vsk_vq_drv_init(&h->vq[q], &h->flat.mem, a, ind, h->features);
	if (e) {
		cf_fail(h, "harness", "queue %u: %s", q, vsk_strerror(e));
		return -1;
	}
	e = h->t.ops->set_vring(&h->t, q, a);
	if (e < 0) {
		cf_app_err(h, e, "set_vring");
		return -1;
	}
	return 0;
}

static int slots(struct cf_harness *h, struct slot *s, unsigned n, uint64_t bytes)
{
	for (unsigned i = 0; i < n; i++) {
		s[i].gpa = alloc(h, bytes + (MAX_SEGS + 1) * GAP, 64);
		if (!s[i].gpa) {
			cf_fail(h, "harness", "guest memory too small for the buffers");
			return -1;
		}
		s[i].mem = host(h, s[i].gpa);
	}
	return 0;
}

/* The target's open(): its failure is the case's verdict (-ENOTSUP: not applicable). */
static int open_target(struct cf_harness *h, const struct cf_params *p, void *mem, uint64_t gpa,
		       uint64_t size)
{
	char err[256] = "";
	int e = h->t.ops->open(&h->t, p->target_arg, mem, gpa, size, err, sizeof(err));

	if (e == -ENOTSUP)
		cf_na(h, "target %s: %s", p->ops->name, err[0] ? err : h->t.why);
	else if (e < 0)
		cf_fail(h, "target", "target %s: %s", p->ops->name, err[0] ? err : strerror(-e));
	return e;
}

/* cf_open for a packet-level target: the implementation owns the virtqueues and their
 * layouts (a case that needs its own layout is not applicable), we only move packets. */
static struct cf_harness *open_pktlevel(struct cf_harness *h, const struct cf_params *p)
{
	h->pktlevel = true;
	if (p->rx.kind != CF_LAYOUT_ONE || p->rx.indirect || p->tx.kind != CF_LAYOUT_ONE ||
	    p->tx.indirect || h->p.rx_buf != VSK_DEFAULT_RX_BUF_SIZE) {
		cf_na(h, "target %s: the guest driver lays out its own virtqueues and sizes its "
		      "rx buffers; the suite cannot choose them", p->ops->name);
		goto fail;
	}
	if (open_target(h, p, NULL, 0, 0) < 0)
		goto fail;
	h->opened = h->started = true;
	h->r->guest_cid = h->t.host_cid;   /* roles flipped: the guest's CID is the peer's */
	/* the guest kernels offer both; the driver's acked features stay in QEMU */
	h->stream = h->seqpacket = true;
	return h;
fail:
	cf_close(h);
	return NULL;
}

struct cf_harness *cf_open(const struct cf_params *p, struct cf_result *r, int timeout_ms)
{
	struct cf_harness *h = calloc(1, sizeof(*h));
	uint64_t offered, want;
	int e;

	if (!h) {
		snprintf(r->reason, sizeof(r->reason), "out of memory");
		snprintf(r->rule, sizeof(r->rule), "harness");
		r->verdict = CF_FAIL;
		return NULL;
	}
	h->p = *p;
	h->r = r;
	h->deadline = cf_now_ms() + timeout_ms;
	h->next_port = p->port_base ? p->port_base : 10000;
	h->fmt.ts = VSK_TS_NONE;
	h->fmt.verbose = 1;
	h->t.ops = p->ops;
	h->t.guest_cid = p->guest_cid;
	h->t.host_cid = VSK_CID_HOST;
	h->t.mem_fd = -1;
	if (h->p.rx_buf == 0)
		h->p.rx_buf = VSK_DEFAULT_RX_BUF_SIZE;
	if (h->p.quiet_ms <= 0)
		h->p.quiet_ms = 100;
	if (h->p.answer_ms <= 0)
		h->p.answer_ms = 2000;
	h->rx_total = HDR + h->p.rx_buf;
	/* The flow rules' close timeout a little above Linux's 8 s: a kernel that sends its
	 * RST at its own 8 s timer is not flagged by a hair. */
	h->flow = vsk_flow_new(&(struct vsk_flow_opts){.close_timeout = 10});
	if (p->ops->xmit)
		return open_pktlevel(h, p);

	h->t.mem_fd = memfd_create("vsock-conformance-guest", MFD_CLOEXEC);
	if (h->t.mem_fd < 0 || ftruncate(h->t.mem_fd, CF_MEM) < 0) {
		cf_fail(h, "harness", "memfd of %u bytes: %s", CF_MEM, strerror(errno));
		goto fail;
	}
	h->mem = mmap(NULL, CF_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, h->t.mem_fd, 0);
	if (h->mem == MAP_FAILED) {
		h->mem = NULL;
		cf_fail(h, "harness", "mmap %u bytes: %s", CF_MEM, strerror(errno));
		goto fail;
	}
	vsk_mem_flat_init(&h->flat, h->mem, CF_GPA, CF_MEM);
	h->brk = CF_GPA;

	if (open_target(h, p, h->mem, CF_GPA, CF_MEM) < 0)
		goto fail;
	h->opened = true;
	h->r->guest_cid = h->t.guest_cid;

	/* Feature negotiation (Socket Device: Feature bits): the driver SHOULD accept
	 * NO_IMPLIED_STREAM; without it, stream is implied. */
	offered = h->t.ops->get_features(&h->t);
	want = 1ULL << VSK_F_VERSION_1 | 1ULL << VSK_FEATURE_STREAM |
	       1ULL << VSK_FEATURE_SEQPACKET | 1ULL << VSK_FEATURE_NO_IMPLIED_STREAM;
	if (p->rx.indirect || p->tx.indirect) {
		if (!(offered & 1ULL << VSK_F_INDIRECT_DESC)) {
			cf_na(h, "the layout needs VIRTIO_F_INDIRECT_DESC, which the device does "
			      "not offer");
			goto fail;
		}
		want |= 1ULL << VSK_F_INDIRECT_DESC;
	}
	if (!(offered & 1ULL << VSK_F_VERSION_1)) {
		cf_fail(h, "version_1", "the device does not offer VIRTIO_F_VERSION_1 "
			"(features 0x%" PRIx64 ")", offered);
		goto fail;
	}
	h->features = offered & want;
	h->seqpacket = h->features & 1ULL << VSK_FEATURE_SEQPACKET;
	h->stream = !(h->features & 1ULL << VSK_FEATURE_NO_IMPLIED_STREAM) ||
		    (h->features & 1ULL << VSK_FEATURE_STREAM);
	e = h->t.ops->set_features(&h->t, h->features);
	if (e < 0) {
		cf_app_err(h, e, "set_features");
		goto fail;
	}
	if (setup_queue(h, VSK_VQ_RX, RX_NUM, p->rx.indirect) ||
	    setup_queue(h, VSK_VQ_TX, TX_NUM, p->tx.indirect) ||
	    setup_queue(h, VSK_VQ_EVENT, EV_NUM, false))
		goto fail;
	if (slots(h, h->rx, RX_NUM, h->rx_total) || slots(h, h->tx, TX_SLOTS, HDR + 65536) ||
	    slots(h, h->ev, EV_NUM, VSK_EVENT_LEN))
		goto fail;
	/* Device Initialization: event buffers first, then rx buffers. */
	for (unsigned i = 0; i < EV_NUM; i++)
		post_event(h, i);
	h->nrx = p->rx.indirect ? RX_NUM : RX_NUM / layout_lens(&p->rx, h->rx_total,
								 (uint32_t[MAX_SEGS]){0});
	for (unsigned i = 0; i < h->nrx; i++)
		post_rx(h, i);
	e = h->t.ops->start(&h->t);
	if (e < 0) {
		cf_app_err(h, e, "start");
		goto fail;
	}
	h->started = true;
	if (kick(h, VSK_VQ_EVENT) < 0 || kick(h, VSK_VQ_RX) < 0)
		goto fail;
	return h;
fail:
	cf_close(h);
	return NULL;
}

/* The end of a case: what the device still sends within the quiet time is judged too
 * (a packet after its RST, a CREDIT_UPDATE nobody waits for), the same on every run
 * instead of depending on whether the case happened to reap it.  Stops quietly at the
 * deadline: running out of time here fails nothing. */
static void final_settle(struct cf_harness *h)
{
	while (cf_left(h) > 0 && !h->timed_out) {
		int w, got = 0;

		reap_rx(h, &got);
		reap_event(h, &got);
		reap_tx(h);
		if (got)
			continue;
		w = h->t.ops->wait(&h->t, cap_ms(h, h->p.quiet_ms));
		reap_rx(h, &got);
		reap_event(h, &got);
		reap_tx(h);
		if (w <= 0 && !got)
			break;
	}
}

void cf_close(struct cf_harness *h)
{
	if (!h)
		return;
	if (h->started && h->r->verdict != CF_NA)
		final_settle(h);
	if (h->flow) {
		struct vsk_violation v[8];
		size_t n = vsk_flow_finish(h->flow, v, 8);

		for (size_t i = 0; i < n && i < 8; i++)
			record_viol(h, &v[i], false);
		vsk_flow_free(h->flow);
	}
	if (h->opened)
		h->t.ops->close(&h->t);
	evidence_finish(h);
	h->r->packets = (unsigned)h->ntrace;
	for (unsigned q = 0; q < 3; q++)
		vsk_vq_drv_fini(&h->vq[q]);
	while (h->conns) {
		struct cf_conn *c = h->conns;

		h->conns = c->next;
		free(c->rx);
		free(c);
	}
	for (size_t i = 0; i < h->ntrace; i++) {
		free((void *)h->trace[i]->data);
		free(h->trace[i]);
	}
	free(h->trace);
	vsk_sbuf_free(&h->line);
	if (h->mem)
		munmap(h->mem, CF_MEM);
	if (h->t.mem_fd >= 0)
		close(h->t.mem_fd);
	free(h);
}

/* ---- connections ---- */

static struct cf_conn *conn_alloc(struct cf_harness *h, uint16_t type, uint32_t our_port,
				  uint32_t its_port, uint32_t buf_alloc)
{
	struct cf_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		cf_fail(h, "harness", "out of memory");
		return NULL;
	}
	c->h = h;
	c->type = type;
	c->our_port = our_port;
	c->its_port = its_port;
	c->buf_alloc = buf_alloc;
	c->autoconsume = true;
	c->answer_credit_request = true;
	c->auto_rst = true;
	c->app = -1;
	c->app_listener = -1;
	c->next = h->conns;
	h->conns = c;
	return c;
}

struct cf_conn *cf_conn_new(struct cf_harness *h, uint16_t type, uint32_t its_port,
			    uint32_t buf_alloc)
{
	return conn_alloc(h, type, cf_port(h), its_port, buf_alloc);
}

struct cf_conn *cf_conn_from_request(struct cf_harness *h, const struct cf_pkt *p,
				     uint32_t buf_alloc)
{
	struct cf_conn *c = conn_alloc(h, p->hdr.type, p->hdr.dst_port, p->hdr.src_port,
				       buf_alloc);

	if (c) {
		c->peer_known = true;
		c->peer_buf_alloc = p->hdr.buf_alloc;
		c->peer_fwd_cnt = p->hdr.fwd_cnt;
	}
	return c;
}

int cf_conn_send(struct cf_conn *c, uint16_t op, uint32_t flags, const void *payload,
		 size_t plen)
{
	struct cf_harness *h = c->h;
	struct vsk_virtio_hdr hd = {
		.src_cid = h->t.guest_cid, .dst_cid = h->t.host_cid,
		.src_port = c->our_port, .dst_port = c->its_port,
		.type = c->type, .op = op, .flags = flags,
		.buf_alloc = c->buf_alloc, .fwd_cnt = c->fwd_cnt,
	};
	int e = cf_send_raw(h, &hd, payload, plen);

	if (e)
		return e;
	c->fwd_sent = c->fwd_cnt;
	if (op == VSK_OP_RW)
		c->tx_cnt += (uint32_t)plen;
	else if (op == VSK_OP_RST)
		c->rst_sent = true;
	else if (op == VSK_OP_SHUTDOWN)
		c->shut_sent |= flags;
	return 0;
}

int64_t cf_conn_peer_free(const struct cf_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	if (!c->peer_known)
		return -1;
	return in_flight > c->peer_buf_alloc ? 0 : (int64_t)c->peer_buf_alloc - in_flight;
}

int cf_conn_write(struct cf_conn *c, const void *data, size_t len, size_t max, bool eom,
		  bool eor)
{
	const uint8_t *d = data;
	size_t off = 0;

	if (max == 0 || max > 65536)
		max = 65536;
	/* the device side (packet level) fits each packet in one of the driver's rx
	 * buffers */
	if (c->h->pktlevel && c->h->t.max_payload && max > c->h->t.max_payload)
		max = c->h->t.max_payload;
	do {
		size_t n = len - off < max ? len - off : max;
		bool last = off + n == len;
		uint32_t fl = 0;
		int e;

		if (c->type == VSK_TYPE_SEQPACKET && last)
			fl = (eom ? VSK_FLAG_SEQ_EOM : 0) | (eor ? VSK_FLAG_SEQ_EOR : 0);
		if ((e = cf_conn_send(c, VSK_OP_RW, fl, d + off, n)))
			return e;
		off += n;
	} while (off < len);
	return 0;
}

int cf_conn_consume(struct cf_conn *c, size_t n)
{
	c->consumed += n;
	c->fwd_cnt += (uint32_t)n;
	return cf_conn_send(c, VSK_OP_CREDIT_UPDATE, 0, NULL, 0);
}

size_t cf_conn_wait_rx(struct cf_conn *c, size_t n, int timeout_ms)
{
	int64_t end = cf_now_ms() + cap_ms(c->h, timeout_ms);

	while (c->rxlen < n && !c->rst_rcvd && cf_now_ms() < end)
		if (cf_pump(c->h, (int)(end - cf_now_ms())) < 0)
			break;
	return c->rxlen;
}

static int need_type(struct cf_harness *h, uint16_t type)
{
	if (type == VSK_TYPE_SEQPACKET && !h->seqpacket) {
		cf_na(h, "VIRTIO_VSOCK_F_SEQPACKET not negotiated (the device does not offer "
		      "it)");
		return -1;
	}
	if (type == VSK_TYPE_STREAM && !h->stream) {
		cf_na(h, "stream sockets not negotiated (NO_IMPLIED_STREAM without STREAM)");
		return -1;
	}
	return 0;
}

struct cf_conn *cf_connect_ex(struct cf_harness *h, uint16_t type, uint32_t buf_alloc,
			      uint32_t fwd_cnt, uint64_t app_buffer)
{
	uint32_t port = cf_port(h);
	const struct cf_pkt *p;
	struct cf_conn *c;
	int lh, a, e;

	if (need_type(h, type))
		return NULL;
	lh = h->t.ops->app_listen(&h->t, port, type);
	if (lh < 0) {
		cf_app_err(h, lh, "application listen");
		return NULL;
	}
	/* A listener's buffer is inherited by its connections (Linux); a target that sets
	 * it only on connections gets it after the accept. */
	if (app_buffer && h->t.ops->app_set_buffer(&h->t, lh, app_buffer) == 0)
		app_buffer = 0;
	if (!(c = cf_conn_new(h, type, port, buf_alloc)))
		return NULL;
	c->app_listener = lh;
	c->fwd_cnt = c->fwd_sent = fwd_cnt;
	if (cf_conn_send(c, VSK_OP_REQUEST, 0, NULL, 0))
		return NULL;
	p = cf_expect(h, cf_match_pred, &(struct cf_match){port, c->our_port, -1, type},
		      cf_left(h));
	if (!p) {
		timeout(h, "the answer to our REQUEST");
		return NULL;
	}
	if (p->hdr.op != VSK_OP_RESPONSE) {
		const struct vsk_name *op = vsk_table_find(&vsk_tab_op, p->hdr.op);

		cf_fail(h, "no_response", "REQUEST to a listener answered by %s, not RESPONSE "
			"(Socket Device: Stream Sockets)", op ? op->label : "an unknown op");
		return NULL;
	}
	a = h->t.ops->app_accept(&h->t, lh, cap_ms(h, 20));
	while ((a == -ETIMEDOUT || a == -EAGAIN) && cf_left(h) > 0) {
		if (cf_pump(h, 10) < 0)
			return NULL;
		a = h->t.ops->app_accept(&h->t, lh, cap_ms(h, 20));
	}
	if (a < 0) {
		cf_app_err(h, a, "application accept");
		return NULL;
	}
	c->app = a;
	if (app_buffer) {
		if ((e = h->t.ops->app_set_buffer(&h->t, a, app_buffer)) < 0) {
			cf_app_err(h, e, "application set_buffer");
			return NULL;
		}
		/* the device tells us its new buf_alloc (or the next packet will) */
		if (cf_settle(h) < 0)
			return NULL;
	}
	return c;
}

struct cf_conn *cf_connect(struct cf_harness *h, uint16_t type, uint32_t buf_alloc)
{
	return cf_connect_ex(h, type, buf_alloc, 0, 0);
}

struct cf_conn *cf_accept(struct cf_harness *h, uint16_t type, uint32_t buf_alloc)
{
	uint32_t port = cf_port(h);
	const struct cf_pkt *p;
	struct cf_conn *c;
	int ah, e;

	if (need_type(h, type))
		return NULL;
	ah = h->t.ops->app_connect(&h->t, h->t.guest_cid, port, type);
	if (ah < 0) {
		cf_app_err(h, ah, "application connect");
		return NULL;
	}
	p = cf_expect(h, cf_match_pred, &(struct cf_match){-1, port, VSK_OP_REQUEST, type},
		      cf_left(h));
	if (!p) {
		timeout(h, "the application's REQUEST");
		return NULL;
	}
	if (!(c = cf_conn_from_request(h, p, buf_alloc)))
		return NULL;
	c->app = ah;
	if (cf_conn_send(c, VSK_OP_RESPONSE, 0, NULL, 0))
		return NULL;
	c->established = true;
	for (;;) {
		cf_pump(h, 0);
		e = h->t.ops->app_connected(&h->t, ah, cap_ms(h, 20));
		if ((e != -ETIMEDOUT && e != -EAGAIN && e != -EINPROGRESS) || cf_left(h) == 0)
			break;
	}
	if (e < 0) {
		cf_app_err(h, e, "application connect after our RESPONSE");
		return NULL;
	}
	return c;
}

ssize_t cf_app_read(struct cf_harness *h, int app, void *buf, size_t len, int timeout_ms)
{
	int64_t end = cf_now_ms() + cap_ms(h, timeout_ms);
	size_t got = 0;

	while (got < len) {
		ssize_t r;

		cf_pump(h, 0);
		r = h->t.ops->app_recv(&h->t, app, (uint8_t *)buf + got, len - got,
				       (int)(cf_now_ms() < end ? (end - cf_now_ms() < 20 ? end - cf_now_ms()
									  : 20) : 0), NULL);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			break;                  /* EOF */
		if (r != -ETIMEDOUT && r != -EAGAIN)
			return got ? (ssize_t)got : r;
		if (cf_now_ms() >= end)
			break;
	}
	return (ssize_t)got;
}

ssize_t cf_app_write(struct cf_harness *h, int app, const void *buf, size_t len, bool eor)
{
	size_t put = 0;

	while (put < len) {
		ssize_t r = h->t.ops->app_send(&h->t, app, (const uint8_t *)buf + put, len - put,
					       eor);

		if (r > 0) {
			put += (size_t)r;
			cf_pump(h, 0);
			continue;
		}
		if (r == 0 || r == -EAGAIN) {
			if (cf_left(h) == 0)
				return put ? (ssize_t)put : -ETIMEDOUT;
			if (cf_pump(h, 10) < 0)
				return put ? (ssize_t)put : -ETIMEDOUT;
			continue;
		}
		return put ? (ssize_t)put : r;
	}
	return (ssize_t)put;
}
