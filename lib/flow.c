/* flow.c - connection tracking, the credit ledger and the protocol rules (vsk/flow.h).
 *
 * Every packet advertises its sender's receive side (buf_alloc, fwd_cnt: "Socket Device:
 * Buffer Space Management"); RW packets move the sender's tx_cnt.  For data sent by end
 * s to end r the spec's free space is  peer_free = r.buf_alloc - (s.tx_cnt - r.fwd_cnt)
 * modulo 2^32.  A connection seen from its REQUEST has both counters at 0; one first seen
 * midstream learns them (tx_cnt := the receiver's first fwd_cnt, nothing assumed in
 * flight) so that it never accuses on a guess.
 *
 * Memory is bounded: connections live in a hash table and on two LRU lists (open and
 * closed); closed ones leave after the close timeout, idle ones after the idle timeout,
 * and the oldest leave when max_conns is reached.  Timed rules wait in FIFOs ordered by
 * deadline (each FIFO has one fixed delay, so arrival order is deadline order): the close
 * timeout, the RST timeout, and the stall time (one timer per wait, see vsk_flow_stall). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/flow.h"

#define SEV_ERROR VSK_SEV_ERROR
#define SEV_WARNING VSK_SEV_WARNING
#define SEV_INFO VSK_SEV_INFO

const struct vsk_rule_info vsk_rules[VSK_RULE__COUNT] = {
#define VSK_RULE(ID, name, sev, clause, text) {VSK_RULE_##ID, name, SEV_##sev, clause, text},
#include "vsock.def"
};

const char *const vsk_severity_names[3] = {"info", "warning", "error"};

const char *const vsk_conn_state_names[7] = {
	"requested", "established", "half-closed", "closing", "closed", "refused", "midstream",
};

struct timer {
	struct vsk_conn *c;          /* kept allocated while it has timers (c->ntimers) */
	struct timeval due;
	int end;                     /* the stall timer's sender; -1 for the others */
};

enum { T_SHUTDOWN, T_RST, T_STALL, T__COUNT };

struct fifo {
	struct timer *v;
	size_t head, n, cap;         /* ring buffer */
};

struct list {
	struct vsk_conn *oldest, *newest;
};

struct vsk_flow {
	struct vsk_flow_opts o;
	struct vsk_conn **bucket;
	size_t nbucket, count;
	uint64_t seen;
	struct list open, closed;
	struct fifo timers[T__COUNT];
	struct vsk_conn *grave;      /* left the tracker, freed on the next call */
	struct timeval now;
	bool have_now;
	/* the current call's output */
	struct vsk_violation *out;
	size_t max, found;
};

/* ---- time ------------------------------------------------------------------------- */

static double tv_diff(const struct timeval *a, const struct timeval *b)
{
	return (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_usec - b->tv_usec) / 1e6;
}

static struct timeval tv_add(const struct timeval *t, double seconds)
{
	long long us = (long long)t->tv_sec * 1000000LL + t->tv_usec + (long long)(seconds * 1e6);
	struct timeval r = {(time_t)(us / 1000000LL), (suseconds_t)(us % 1000000LL)};

	return r;
}

static bool tv_le(const struct timeval *a, const struct timeval *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_usec <= b->tv_usec);
}

static bool tv_eq(const struct timeval *a, const struct timeval *b)
{
	return a->tv_sec == b->tv_sec && a->tv_usec == b->tv_usec;
}

/* ---- findings --------------------------------------------------------------------- */

__attribute__((format(printf, 6, 7)))
static void report(struct vsk_flow *fl, enum vsk_rule rule, struct vsk_conn *c, int from,
		   bool timed, const char *fmt, ...)
{
	struct vsk_violation *v;
	va_list ap;

	if (c)
		c->violations++;
	if (fl->found++ >= fl->max)
		return;
	v = &fl->out[fl->found - 1];
	v->rule = rule;
	v->conn = c;
	v->from = from;
	v->timed = timed;
	v->ts = fl->now;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
}

/* ---- lists, hash, timers ---------------------------------------------------------- */

static void list_remove(struct list *l, struct vsk_conn *c)
{
	if (c->older)
		c->older->newer = c->newer;
	else
		l->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		l->newest = c->older;
	c->older = c->newer = NULL;
}

static void list_push(struct list *l, struct vsk_conn *c)
{
	c->older = l->newest;
	c->newer = NULL;
	if (l->newest)
		l->newest->newer = c;
	else
		l->oldest = c;
	l->newest = c;
}

static bool is_closed(const struct vsk_conn *c)
{
	return c->state == VSK_CONN_CLOSED || c->state == VSK_CONN_REFUSED;
}

static struct list *list_of(struct vsk_flow *fl, const struct vsk_conn *c)
{
	return is_closed(c) ? &fl->closed : &fl->open;
}

/* Both directions of a connection hash alike: the ends are mixed by addition. */
static uint32_t key_hash(uint16_t type, uint64_t c1, uint32_t p1, uint64_t c2, uint32_t p2)
{
	uint64_t h = ((c1 << 32 ^ p1) + (c2 << 32 ^ p2) + type) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

/* Which end of c sent a packet from (cid, port): 0, 1, or -1 if neither. */
static int end_of(const struct vsk_conn *c, uint64_t cid, uint32_t port)
{
	if (c->end[0].cid == cid && c->end[0].port == port)
		return 0;
	if (c->end[1].cid == cid && c->end[1].port == port)
		return 1;
	return -1;
}

static struct vsk_conn *lookup(struct vsk_flow *fl, const struct vsk_virtio_hdr *h, uint32_t hash)
{
	for (struct vsk_conn *c = fl->bucket[hash & (fl->nbucket - 1)]; c; c = c->hnext) {
		const struct vsk_flow_dir *a = &c->end[0], *b = &c->end[1];

		if (c->hash != hash || c->type != h->type)
			continue;
		if ((a->cid == h->src_cid && a->port == h->src_port && b->cid == h->dst_cid &&
		     b->port == h->dst_port) ||
		    (b->cid == h->src_cid && b->port == h->src_port && a->cid == h->dst_cid &&
		     a->port == h->dst_port))
			return c;
	}
	return NULL;
}

static bool fifo_push(struct fifo *q, struct vsk_conn *c, int end, struct timeval due)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct timer *v = malloc(cap * sizeof(*v));

		if (!v)
			return false;
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->n++) % q->cap] = (struct timer){c, due, end};
	c->ntimers++;
	return true;
}

static bool fifo_due(const struct fifo *q, const struct timeval *now)
{
	return q->n && tv_le(&q->v[q->head].due, now);
}

/* The next due timer's connection (and the timer in *t), or NULL; *live tells whether
 * the connection is still tracked (conn_release frees one that is not). */
static struct vsk_conn *fifo_pop_due(struct fifo *q, const struct timeval *now, bool *live,
				     struct timer *t)
{
	if (!fifo_due(q, now))
		return NULL;
	*t = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	t->c->ntimers--;
	*live = !t->c->expired;
	return t->c;
}

/* ---- waits and stalls (vsk/flow.h, vsk_flow_stall) -------------------------------- */

/* When the current wait of s becomes a stall. */
static struct timeval stall_due(const struct vsk_flow *fl, const struct vsk_flow_dir *s)
{
	return tv_add(&s->blocked_since, fl->o.stall_time);
}

/* Whether end `from` waits at its send limit: bytes in flight reach it, and neither
 * end has shut that direction down nor reset the connection. */
static bool at_limit(const struct vsk_conn *c, int from)
{
	int64_t in_flight = vsk_conn_in_flight(c, from), limit = vsk_conn_send_limit(c, from);

	if (c->state == VSK_CONN_CLOSED || c->state == VSK_CONN_REFUSED ||
	    (c->end[from].shutdown & VSK_FLAG_SHUTDOWN_SEND) ||
	    (c->end[1 - from].shutdown & VSK_FLAG_SHUTDOWN_RCV))
		return false;
	return in_flight > 0 && limit >= 0 && in_flight >= limit;
}

/* The wait of end `from` ends now; if it lasted the stall time it was a stall. */
static void wait_end(struct vsk_flow *fl, struct vsk_conn *c, int from)
{
	struct vsk_flow_dir *s = &c->end[from];
	struct timeval due = stall_due(fl, s);

	if (!s->blocked)
		return;
	/* Counted when its timer fired; counted here if the timer could not be queued, or
	 * the connection leaves the tracker before the timers run. */
	if (!s->stall_counted && tv_le(&due, &fl->now)) {
		s->stall_counted = true;
		s->stalls++;
	}
	if (s->stall_counted) {
		s->stall_seconds += tv_diff(&fl->now, &s->blocked_since);
		s->stall_since = s->blocked_since;
		s->stall_end = fl->now;
	}
	s->blocked = s->stall_counted = false;
}

/* After a packet of c: does end `from` start or stop waiting? */
static void judge_wait(struct vsk_flow *fl, struct vsk_conn *c, int from)
{
	struct vsk_flow_dir *s = &c->end[from];
	bool blocked = at_limit(c, from);

	if (s->blocked && !blocked) {
		wait_end(fl, c, from);
	} else if (!s->blocked && blocked) {
		s->blocked = true;
		s->stall_counted = false;
		s->blocked_since = fl->now;
		fifo_push(&fl->timers[T_STALL], c, from, stall_due(fl, s));
	}
}

/* A stall timer came due: the wait it was set for may have ended (a later wait has a
 * timer of its own, and a deadline of its own). */
static void stall_timer(struct vsk_flow *fl, const struct timer *t)
{
	struct vsk_conn *c = t->c;
	struct vsk_flow_dir *s = &c->end[t->end];
	struct timeval due = stall_due(fl, s);

	if (!s->blocked || s->stall_counted || !tv_eq(&t->due, &due))
		return;
	s->stall_counted = true;
	s->stalls++;
	/* Socket Device: Buffer Space Management - the receiver may send CREDIT_UPDATE
	 * whenever its space changes, and need not; but one that waits for its free space to
	 * run low never frees a sender that stops at its own, smaller buffer. */
	if (vsk_conn_peer_free(c, t->end) > 0)
		report(fl, VSK_RULE_CREDIT_STALL, c, 1 - t->end, true,
		       "%llu:%u at its own buf_alloc %u since %lld.%06ld",
		       (unsigned long long)s->cid, s->port, s->buf_alloc,
		       (long long)s->blocked_since.tv_sec, (long)s->blocked_since.tv_usec);
}

/* A connection that left the tracker and has no timer left goes to the graveyard: the
 * findings of the current call may still point at it (vsk/flow.h promises they stay
 * valid until the next call), so it is freed at the start of the next one. */
static void conn_release(struct vsk_flow *fl, struct vsk_conn *c)
{
	if (c->expired && c->ntimers == 0) {
		c->hnext = fl->grave;
		fl->grave = c;
	}
}

static void bury(struct vsk_flow *fl)
{
	while (fl->grave) {
		struct vsk_conn *c = fl->grave;

		fl->grave = c->hnext;
		free(c);
	}
}

static void conn_drop(struct vsk_flow *fl, struct vsk_conn *c)
{
	struct vsk_conn **pp = &fl->bucket[c->hash & (fl->nbucket - 1)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	list_remove(list_of(fl, c), c);
	c->expired = true;
	/* A wait still going when the tracker lets go counts up to now. */
	wait_end(fl, c, 0);
	wait_end(fl, c, 1);
	if (fl->o.on_expire)
		fl->o.on_expire(c, fl->o.arg);
	fl->count--;
	conn_release(fl, c);
}

/* Timed rules whose deadline is not after `now`. */
static void run_timers(struct vsk_flow *fl, const struct timeval *now)
{
	struct vsk_conn *c;
	struct timer t;
	bool live;

	while ((c = fifo_pop_due(&fl->timers[T_SHUTDOWN], now, &live, &t))) {
		if (live && c->full_shutdown && !is_closed(c))
			report(fl, VSK_RULE_NO_RST_AFTER_SHUTDOWN, c, -1, true,
			       "no RST %.1f s after full shutdown", fl->o.close_timeout);
		conn_release(fl, c);
	}
	while ((c = fifo_pop_due(&fl->timers[T_STALL], now, &live, &t))) {
		if (live)
			stall_timer(fl, &t);
		conn_release(fl, c);
	}
	while ((c = fifo_pop_due(&fl->timers[T_RST], now, &live, &t))) {
		if (live && c->unknown_type_pending) {
			c->unknown_type_pending = false;
			report(fl, VSK_RULE_UNKNOWN_TYPE_NO_RST, c, 1 - c->unknown_type_from, true,
			       "type %u unanswered %.1f s later", c->type, fl->o.rst_timeout);
		}
		conn_release(fl, c);
	}
}

/* Connections that have had their time: closed ones after the close timeout, idle ones
 * after the idle timeout, the oldest beyond max_conns. */
static void expire(struct vsk_flow *fl, const struct timeval *now)
{
	while (fl->closed.oldest && tv_diff(now, &fl->closed.oldest->last) > fl->o.close_timeout)
		conn_drop(fl, fl->closed.oldest);
	while (fl->open.oldest && tv_diff(now, &fl->open.oldest->last) > fl->o.idle_timeout)
		conn_drop(fl, fl->open.oldest);
	while (fl->count >= fl->o.max_conns && (fl->closed.oldest || fl->open.oldest))
		conn_drop(fl, fl->closed.oldest ? fl->closed.oldest : fl->open.oldest);
}

/* Doubles the bucket array when connections outnumber buckets; on failure keeps the
 * old one (longer chains, still correct). */
static void grow(struct vsk_flow *fl)
{
	size_t n = fl->nbucket * 2;
	struct vsk_conn **b;

	if (fl->count < fl->nbucket || !(b = calloc(n, sizeof(*b))))
		return;
	for (size_t i = 0; i < fl->nbucket; i++) {
		while (fl->bucket[i]) {
			struct vsk_conn *c = fl->bucket[i];

			fl->bucket[i] = c->hnext;
			c->hnext = b[c->hash & (n - 1)];
			b[c->hash & (n - 1)] = c;
		}
	}
	free(fl->bucket);
	fl->bucket = b;
	fl->nbucket = n;
}

static struct vsk_conn *conn_new(struct vsk_flow *fl, const struct vsk_virtio_hdr *h,
				 uint32_t hash, const struct timeval *ts)
{
	struct vsk_conn *c;

	expire(fl, ts);
	grow(fl);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->index = ++fl->seen;
	c->type = h->type;
	c->hash = hash;
	c->end[0].cid = h->src_cid;
	c->end[0].port = h->src_port;
	c->end[1].cid = h->dst_cid;
	c->end[1].port = h->dst_port;
	c->first = c->last = *ts;
	if (h->op == VSK_OP_REQUEST) {
		c->state = VSK_CONN_REQUESTED;
		/* Both counters start at 0 with the connection. */
		c->end[0].ledger_known = c->end[1].ledger_known = true;
	} else {
		c->state = VSK_CONN_MIDSTREAM;
	}
	c->hnext = fl->bucket[hash & (fl->nbucket - 1)];
	fl->bucket[hash & (fl->nbucket - 1)] = c;
	list_push(&fl->open, c);
	fl->count++;
	return c;
}

static void set_state(struct vsk_flow *fl, struct vsk_conn *c, enum vsk_conn_state s)
{
	struct list *from = list_of(fl, c);

	c->state = s;
	if (list_of(fl, c) != from) {
		list_remove(from, c);
		list_push(list_of(fl, c), c);
	}
}

/* ---- the ledger ------------------------------------------------------------------- */

int64_t vsk_conn_in_flight(const struct vsk_conn *c, int from)
{
	const struct vsk_flow_dir *s = &c->end[from], *r = &c->end[1 - from];

	if (!s->ledger_known || !r->adv_known)
		return -1;
	return (uint32_t)(s->tx_cnt - r->fwd_cnt);
}

int64_t vsk_conn_send_limit(const struct vsk_conn *c, int from)
{
	const struct vsk_flow_dir *s = &c->end[from], *r = &c->end[1 - from];

	if (!r->adv_known)
		return -1;
	return s->adv_known && !s->uncapped && s->buf_alloc < r->buf_alloc ? s->buf_alloc
									      : r->buf_alloc;
}

int64_t vsk_conn_peer_free(const struct vsk_conn *c, int from)
{
	int64_t in_flight = vsk_conn_in_flight(c, from);
	uint32_t buf_alloc = c->end[1 - from].buf_alloc;

	if (in_flight < 0)
		return -1;
	/* The spec's u32 subtraction would wrap to ~4 GiB here (CVE-2026-23069): no space. */
	return in_flight > buf_alloc ? 0 : (int64_t)buf_alloc - in_flight;
}

/* The end `from` advertises its receive side; judge and record it. */
static void advertise(struct vsk_flow *fl, struct vsk_conn *c, int from,
		      const struct vsk_virtio_hdr *h)
{
	struct vsk_flow_dir *r = &c->end[from], *s = &c->end[1 - from];
	uint32_t in_flight;

	if (r->adv_known && (int32_t)(h->fwd_cnt - r->fwd_cnt) < 0)
		report(fl, VSK_RULE_FWD_CNT_BACKWARDS, c, from, false, "fwd_cnt %u after %u",
		       h->fwd_cnt, r->fwd_cnt);
	if (!s->ledger_known) {
		/* Midstream: learn the origin, assume nothing in flight. */
		s->tx_cnt = h->fwd_cnt;
		s->ledger_known = true;
	}
	in_flight = s->tx_cnt - h->fwd_cnt;
	if ((int32_t)in_flight < 0) {
		/* Acknowledged more than we saw sent (frames missing from the capture, or a
		 * learned origin): follow the receiver rather than accuse. */
		s->tx_cnt = h->fwd_cnt;
		in_flight = 0;
	}
	if (r->adv_known && h->buf_alloc < r->buf_alloc && in_flight > h->buf_alloc)
		report(fl, VSK_RULE_BUF_ALLOC_SHRINK, c, from, false,
		       "buf_alloc %u -> %u with %u bytes in flight", r->buf_alloc, h->buf_alloc,
		       in_flight);
	r->buf_alloc = h->buf_alloc;
	r->fwd_cnt = h->fwd_cnt;
	r->adv_known = true;
}

static void on_rw(struct vsk_flow *fl, struct vsk_conn *c, int from, const struct vsk_virtio_hdr *h)
{
	struct vsk_flow_dir *s = &c->end[from], *r = &c->end[1 - from];
	int64_t free_space = vsk_conn_peer_free(c, from);

	if (c->state == VSK_CONN_REQUESTED)
		report(fl, VSK_RULE_NOT_REQUESTED, c, from, false, "RW before RESPONSE");
	if (h->len == 0)
		report(fl, VSK_RULE_RW_LEN_ZERO, c, from, false, "%s", "empty RW");
	if (s->shutdown & VSK_FLAG_SHUTDOWN_SEND)
		report(fl, VSK_RULE_RW_AFTER_SHUTDOWN, c, from, false, "%u bytes after SHUTDOWN send",
		       h->len);
	if (free_space >= 0 && h->len > free_space)
		report(fl, VSK_RULE_RW_OVER_CREDIT, c, from, false, "len %u > free %lld", h->len,
		       (long long)free_space);
	/* Sending at its limit, the sender was not waiting: a wait starts afresh after it. */
	wait_end(fl, c, from);
	s->tx_cnt += h->len;
	s->bytes += h->len;
	s->rw_pkts++;
	if (s->ledger_known && r->adv_known) {
		uint32_t in_flight = s->tx_cnt - r->fwd_cnt, before = in_flight - h->len;

		/* Linux caps TX credit at its own buffer too; warn when the line is crossed. */
		if (s->adv_known && in_flight > s->buf_alloc && before <= s->buf_alloc)
			report(fl, VSK_RULE_IN_FLIGHT_OVER_OWN, c, from, false,
			       "%u bytes in flight, own buf_alloc %u", in_flight, s->buf_alloc);
		/* It does not cap itself: from now on its limit is the receiver's alone. */
		if (s->adv_known && in_flight > s->buf_alloc)
			s->uncapped = true;
	}
	if (c->type == VSK_TYPE_SEQPACKET) {
		if (h->flags & VSK_FLAG_SEQ_EOM)
			s->msg_open = false;
		else if (h->len)
			s->msg_open = true;
	}
}

static void on_shutdown(struct vsk_flow *fl, struct vsk_conn *c, int from,
			const struct vsk_virtio_hdr *h)
{
	struct vsk_flow_dir *s = &c->end[from];
	uint32_t both = VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND, bits = h->flags & both;

	if (s->shutdown & ~bits)
		report(fl, VSK_RULE_SHUTDOWN_CLEARED, c, from, false, "flags %u after %u", bits,
		       s->shutdown);
	if (c->type == VSK_TYPE_SEQPACKET && s->msg_open && (bits & VSK_FLAG_SHUTDOWN_SEND))
		report(fl, VSK_RULE_SEQ_NO_EOM, c, from, false, "%s", "message left open");
	s->shutdown |= bits;
	if (s->shutdown == both && !c->full_shutdown) {
		c->full_shutdown = true;
		c->full_shutdown_at = fl->now;
		fifo_push(&fl->timers[T_SHUTDOWN], c, -1, tv_add(&fl->now, fl->o.close_timeout));
		set_state(fl, c, VSK_CONN_CLOSING);
	} else if (!c->full_shutdown && (s->shutdown & VSK_FLAG_SHUTDOWN_SEND)) {
		set_state(fl, c, VSK_CONN_HALF_CLOSED);
	}
}

static void on_rst(struct vsk_flow *fl, struct vsk_conn *c, int from)
{
	c->end[from].sent_rst = true;
	if (c->unknown_type_pending && from != c->unknown_type_from)
		c->unknown_type_pending = false;
	set_state(fl, c, c->state == VSK_CONN_REQUESTED && from == 1 ? VSK_CONN_REFUSED
								     : VSK_CONN_CLOSED);
}

/* ---- the API ---------------------------------------------------------------------- */

struct vsk_flow *vsk_flow_new(const struct vsk_flow_opts *opts)
{
	struct vsk_flow *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return NULL;
	if (opts)
		fl->o = *opts;
	if (fl->o.close_timeout <= 0)
		fl->o.close_timeout = 8;   /* Linux VSOCK_CLOSE_TIMEOUT */
	if (fl->o.rst_timeout <= 0)
		fl->o.rst_timeout = 1;
	if (fl->o.idle_timeout <= 0)
		fl->o.idle_timeout = 300;
	if (fl->o.stall_time <= 0)
		fl->o.stall_time = 1;
	if (fl->o.max_conns == 0)
		fl->o.max_conns = 65536;
	/* Small to start with (it stays in cache); doubled as connections come. */
	fl->nbucket = 256;
	fl->bucket = calloc(fl->nbucket, sizeof(*fl->bucket));
	if (!fl->bucket) {
		free(fl);
		return NULL;
	}
	return fl;
}

size_t vsk_flow_packet(struct vsk_flow *fl, const struct vsk_pkt *pkt, int decode_err,
		       const struct timeval *ts, struct vsk_violation *out, size_t max,
		       const struct vsk_conn **conn_out)
{
	const struct vsk_virtio_hdr *h = &pkt->hdr;
	struct vsk_conn *c;
	uint32_t hash;
	int from;
	bool known_type;

	bury(fl);
	fl->out = out;
	fl->max = max;
	fl->found = 0;
	if (conn_out)
		*conn_out = NULL;
	if (!fl->have_now || tv_le(&fl->now, ts)) {
		fl->now = *ts;
		fl->have_now = true;
	}
	/* Most packets find no timer due: test the heads before calling. */
	if (fifo_due(&fl->timers[T_SHUTDOWN], &fl->now) || fifo_due(&fl->timers[T_RST], &fl->now) ||
	    fifo_due(&fl->timers[T_STALL], &fl->now))
		run_timers(fl, &fl->now);
	if (decode_err || !pkt->has_virtio)
		return fl->found;

	hash = key_hash(h->type, h->src_cid, h->src_port, h->dst_cid, h->dst_port);
	c = lookup(fl, h, hash);
	if (c && is_closed(c) && h->op == VSK_OP_REQUEST) {
		conn_drop(fl, c);    /* a new connection on the same tuple */
		c = NULL;
	}
	if (!c) {
		/* A lone RST (a refusal with no socket behind it) opens nothing. */
		if (h->op == VSK_OP_RST)
			goto frame_rules;
		c = conn_new(fl, h, hash, ts);
		if (!c)
			goto frame_rules;
	}
	from = end_of(c, h->src_cid, h->src_port);
	if (conn_out)
		*conn_out = c;
	c->last = fl->now;
	if (c->newer) { /* already the newest in a burst: nothing to move */
		list_remove(list_of(fl, c), c);
		list_push(list_of(fl, c), c);
	}
	c->end[from].pkts++;

	/* Socket Device: Receive and Transmit - unknown types must be answered by RST. */
	known_type = h->type == VSK_TYPE_STREAM || h->type == VSK_TYPE_SEQPACKET;
	if (!known_type) {
		if (h->op == VSK_OP_RST)
			on_rst(fl, c, from);
		else if (!c->unknown_type_pending) {
			c->unknown_type_pending = true;
			c->unknown_type_from = from;
			c->unknown_type_at = fl->now;
			fifo_push(&fl->timers[T_RST], c, -1, tv_add(&fl->now, fl->o.rst_timeout));
		}
		goto frame_rules;
	}

	if (is_closed(c)) {
		/* RSTs answering stray packets are expected, and so is a SHUTDOWN from a close()
		 * that raced the RST (Linux does this on both kernels tested: it carries neither
		 * data nor credit).  Anything else is not. */
		if (h->op != VSK_OP_RST && h->op != VSK_OP_SHUTDOWN) {
			const struct vsk_name *n = vsk_table_find(&vsk_tab_op, h->op);

			if (n)
				report(fl, VSK_RULE_PKT_AFTER_RST, c, from, false, "%s after RST", n->label);
			else
				report(fl, VSK_RULE_PKT_AFTER_RST, c, from, false, "op %u after RST", h->op);
		}
		goto frame_rules;
	}
	/* An RST sent without a socket carries buf_alloc 0, fwd_cnt 0: not credit info. */
	if (!(h->op == VSK_OP_RST && h->buf_alloc == 0 && h->fwd_cnt == 0))
		advertise(fl, c, from, h);

	switch (h->op) {
	case VSK_OP_RESPONSE:
		if (c->state == VSK_CONN_REQUESTED && from == 0)
			report(fl, VSK_RULE_NOT_REQUESTED, c, from, false, "%s",
			       "RESPONSE from the requesting end");
		else if (c->state == VSK_CONN_REQUESTED || c->state == VSK_CONN_MIDSTREAM)
			set_state(fl, c, VSK_CONN_ESTABLISHED);
		break;
	case VSK_OP_RW:
		on_rw(fl, c, from, h);
		break;
	case VSK_OP_SHUTDOWN:
		on_shutdown(fl, c, from, h);
		break;
	case VSK_OP_RST:
		on_rst(fl, c, from);
		break;
	case VSK_OP_CREDIT_UPDATE:
		c->end[from].credit_updates++;
		break;
	default:
		break;
	}
	/* Any packet may start or end a wait either way (a fwd_cnt, a buf_alloc, an RW, a
	 * SHUTDOWN, the RST). */
	judge_wait(fl, c, 0);
	judge_wait(fl, c, 1);

frame_rules:
	if (vsk_pkt_has(pkt, VSK_PROB_LEN_MISMATCH))
		report(fl, VSK_RULE_LEN_MISMATCH, c, c ? end_of(c, h->src_cid, h->src_port) : -1,
		       false, "len %u, %zu payload bytes", h->len, pkt->payload_wirelen);
	if (vsk_pkt_has(pkt, VSK_PROB_CID_UPPER))
		report(fl, VSK_RULE_CID_UPPER, c, c ? end_of(c, h->src_cid, h->src_port) : -1, false,
		       "%llu > %llu", (unsigned long long)h->src_cid, (unsigned long long)h->dst_cid);
	return fl->found;
}

size_t vsk_flow_finish(struct vsk_flow *fl, struct vsk_violation *out, size_t max)
{
	bury(fl);
	fl->out = out;
	fl->max = max;
	fl->found = 0;
	if (fl->have_now)
		run_timers(fl, &fl->now);
	return fl->found;
}

void vsk_flow_foreach(struct vsk_flow *fl, void (*fn)(const struct vsk_conn *c, void *arg),
		      void *arg)
{
	for (struct vsk_conn *c = fl->closed.oldest; c; c = c->newer)
		fn(c, arg);
	for (struct vsk_conn *c = fl->open.oldest; c; c = c->newer)
		fn(c, arg);
}

bool vsk_flow_stall(const struct vsk_flow *fl, const struct vsk_conn *c, int from,
		    const struct timeval *at, struct vsk_stall *st)
{
	const struct vsk_flow_dir *s = &c->end[from];
	struct timeval due = stall_due(fl, s);

	memset(st, 0, sizeof(*st));
	if (s->blocked && tv_le(&s->blocked_since, at)) {
		st->blocked = true;
		st->stall = s->stall_counted || tv_le(&due, at);
		st->own_limit = vsk_conn_peer_free(c, from) > 0;
		st->since = s->blocked_since;
		st->seconds = tv_diff(at, &s->blocked_since);
	} else if (s->stalls && !s->blocked && tv_le(&s->stall_since, at) && tv_le(at, &s->stall_end)) {
		st->stall = true;
		st->since = s->stall_since;
		st->seconds = tv_diff(&s->stall_end, &s->stall_since);
	}
	return st->stall;
}

size_t vsk_flow_count(const struct vsk_flow *fl) { return fl->count; }

uint64_t vsk_flow_seen(const struct vsk_flow *fl) { return fl->seen; }

void vsk_flow_free(struct vsk_flow *fl)
{
	if (!fl)
		return;
	while (fl->closed.oldest)
		conn_drop(fl, fl->closed.oldest);
	while (fl->open.oldest)
		conn_drop(fl, fl->open.oldest);
	/* Connections kept for their timers go now. */
	for (struct fifo *q = fl->timers; q < fl->timers + T__COUNT; q++) {
		for (; q->n; q->n--, q->head = (q->head + 1) % q->cap) {
			q->v[q->head].c->ntimers--;
			conn_release(fl, q->v[q->head].c);
		}
		free(q->v);
	}
	bury(fl);
	free(fl->bucket);
	free(fl);
}
