/* device.c - the reference virtio-vsock device model (see device.h).
 *
 * Written from the virtio spec's Socket Device section.  Clauses are cited where a rule is
 * implemented; where the spec leaves a choice open, the comment says what this model chose
 * and why.  The model is strict: anything the driver does that breaks a rule is answered by
 * RST (or, for a broken ring rule, stops the queue), never by a crash or silent acceptance.
 *
 * Structure: tx packets are taken in handle_pkt(); every reply or application action only
 * sets state (flags on a connection, or a reply in the pending FIFO); fill_rx() turns that
 * state into packets when rx buffers are there.  So replies never need an rx buffer at the
 * moment they are decided (Virtqueue Flow Control), and per connection the order is fixed:
 * REQUEST/RESPONSE, CREDIT_UPDATE, RW, SHUTDOWN (SEND only after the data), RST. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "device.h"
#include "vsk/credit.h"
#include "vsk/proto.h"

const struct cf_mutation_info cf_mutations[CF_MUT__COUNT] = {
#define CF_MUTATION(ID, name, caught_by, text) [CF_MUT_##ID] = {name, caught_by, text},
#include "mutations.def"
};

int cf_mutation_find(const char *name)
{
	for (int i = 0; i < CF_MUT__COUNT; i++)
		if (strcmp(cf_mutations[i].name, name) == 0)
			return i;
	return -1;
}

#define HDR_LEN  VSK_VIRTIO_HDR_LEN
#define MAX_PKT  VSK_MAX_PKT_BUF_SIZE
#define SHUT_R   VSK_FLAG_SHUTDOWN_RCV
#define SHUT_S   VSK_FLAG_SHUTDOWN_SEND
#define F(bit)   (1ULL << (bit))
/* More than this queued by an application under the unbounded_tx mutation is refused all
 * the same, so a mutated model cannot eat the machine. */
#define UNBOUNDED_CAP (64u << 20)

/* ---- byte queues ---- */

struct bq {
	uint8_t *p;
	size_t off, len, cap;
	uint64_t in, out;        /* bytes ever pushed / popped */
};

static int bq_push(struct bq *q, const void *src, size_t n)
{
	if (q->off + q->len + n > q->cap) {
		if (q->off) {
			memmove(q->p, q->p + q->off, q->len);
			q->off = 0;
		}
		if (q->len + n > q->cap) {
			size_t cap = q->cap ? q->cap : 4096;
			while (cap < q->len + n)
				cap *= 2;
			uint8_t *np = realloc(q->p, cap);
			if (!np)
				return -ENOMEM;
			q->p = np;
			q->cap = cap;
		}
	}
	if (n)
		memcpy(q->p + q->off + q->len, src, n);
	q->len += n;
	q->in += n;
	return 0;
}

/* Takes up to n bytes, into dst unless dst is NULL. */
static size_t bq_pop(struct bq *q, void *dst, size_t n)
{
	if (n > q->len)
		n = q->len;
	if (dst && n)
		memcpy(dst, q->p + q->off, n);
	q->off += n;
	q->len -= n;
	q->out += n;
	if (q->len == 0)
		q->off = 0;
	return n;
}

static void bq_clear(struct bq *q) { bq_pop(q, NULL, q->len); }

static void bq_free(struct bq *q)
{
	free(q->p);
	memset(q, 0, sizeof(*q));
}

/* Seqpacket message ends: absolute byte positions in a bq (in/out counters). */
struct msgs {
	struct msg { uint64_t end; bool eor; } *v;
	unsigned head, n, cap;
};

static int msgs_add(struct msgs *m, uint64_t end, bool eor)
{
	if (m->n >= CF_DEV_MAX_MSGS)
		return -ENOBUFS;
	if (m->head + m->n == m->cap) {
		if (m->head) {
			memmove(m->v, m->v + m->head, m->n * sizeof(*m->v));
			m->head = 0;
		}
		if (m->n == m->cap) {
			unsigned cap = m->cap ? m->cap * 2 : 16;
			struct msg *nv = realloc(m->v, cap * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			m->v = nv;
			m->cap = cap;
		}
	}
	m->v[m->head + m->n++] = (struct msg){end, eor};
	return 0;
}

static const struct msg *msgs_first(const struct msgs *m)
{
	return m->n ? &m->v[m->head] : NULL;
}

static void msgs_drop(struct msgs *m)
{
	if (m->n) {
		m->head++;
		if (--m->n == 0)
			m->head = 0;
	}
}

/* ---- state ---- */

enum cst { C_CONNECTING, C_ESTABLISHED, C_CLOSING, C_DEAD };

struct conn {
	int h;                   /* application handle, -1 while waiting in a listener */
	int type;
	uint32_t lport, pport;   /* ours (host side) and the peer's */
	uint64_t pcid;
	enum cst st;
	int err;                 /* once dead: 0 clean, else ECONNRESET, ECONNREFUSED, ETIMEDOUT */
	bool app_closed;         /* the application closed its handle */
	bool in_backlog;
	uint64_t deadline;       /* connect or close timeout (0: none) */
	/* receive side */
	uint32_t buf_alloc, fwd_cnt, rx_cnt;
	uint32_t adv_buf_alloc, adv_fwd_cnt; /* as last sent to the peer */
	struct bq rxq;
	struct msgs rmsg;
	/* send side */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	struct bq txq;
	struct msgs tmsg;
	/* shutdown: bits the application set, bits we sent, bits the peer sent */
	uint32_t local_shut, shut_sent, peer_shut;
	/* packets owed to the peer */
	bool want_request, want_response, want_credit_update, want_credit_reply, want_rst;
};

struct lsn {
	uint32_t port;
	int type;
	int h;
	struct conn *backlog[CF_DEV_BACKLOG];
	unsigned nback;
};

struct hnd {
	struct lsn *l;           /* one of them, or both NULL: free */
	struct conn *c;
};

struct cf_dev {
	struct cf_dev_config cfg;
	const struct vsk_mem *mem;
	uint64_t offered, features;
	struct vsk_vq_dev q[3];
	bool qset[3], started;
	struct vsk_vq_addr qa[3];
	enum vsk_ring_rule qbroken[3];
	char qdetail[3][96];
	uint64_t now;
	struct cf_dev_stats st;
	struct conn *conns[CF_DEV_MAX_CONNS];
	unsigned nconns;         /* conns[nconns..] are all NULL (loops stop there) */
	unsigned rr;             /* round robin over conns when filling rx */
	struct hnd h[CF_DEV_MAX_HANDLES];
	uint32_t next_port;
	/* replies to packets that have no connection (RST), held for rx */
	uint8_t pend[CF_DEV_MAX_PENDING][HDR_LEN];
	unsigned pend_head, npend;
	uint32_t events[8];
	unsigned nevents;
	uint8_t payload[MAX_PKT];
};

static bool mut(const struct cf_dev *d, enum cf_mutation m)
{
	return (d->cfg.mutations >> m) & 1;
}

/* ---- header encoding ---- */

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned n)
{
	v = htole64(v);
	memcpy(p + off, &v, n);
}

static uint64_t get(const uint8_t *p, unsigned off, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p + off, n);
	return le64toh(v);
}

static void hdr_enc(uint8_t *p, const struct hdr *h)
{
	put(p, VSK_HDR_OFF_SRC_CID, h->src_cid, 8);
	put(p, VSK_HDR_OFF_DST_CID, h->dst_cid, 8);
	put(p, VSK_HDR_OFF_SRC_PORT, h->src_port, 4);
	put(p, VSK_HDR_OFF_DST_PORT, h->dst_port, 4);
	put(p, VSK_HDR_OFF_LEN, h->len, 4);
	put(p, VSK_HDR_OFF_TYPE, h->type, 2);
	put(p, VSK_HDR_OFF_OP, h->op, 2);
	put(p, VSK_HDR_OFF_FLAGS, h->flags, 4);
	put(p, VSK_HDR_OFF_BUF_ALLOC, h->buf_alloc, 4);
	put(p, VSK_HDR_OFF_FWD_CNT, h->fwd_cnt, 4);
}

static void hdr_dec(const uint8_t *p, struct hdr *h)
{
	h->src_cid = get(p, VSK_HDR_OFF_SRC_CID, 8);
	h->dst_cid = get(p, VSK_HDR_OFF_DST_CID, 8);
	h->src_port = (uint32_t)get(p, VSK_HDR_OFF_SRC_PORT, 4);
	h->dst_port = (uint32_t)get(p, VSK_HDR_OFF_DST_PORT, 4);
	h->len = (uint32_t)get(p, VSK_HDR_OFF_LEN, 4);
	h->type = (uint16_t)get(p, VSK_HDR_OFF_TYPE, 2);
	h->op = (uint16_t)get(p, VSK_HDR_OFF_OP, 2);
	h->flags = (uint32_t)get(p, VSK_HDR_OFF_FLAGS, 4);
	h->buf_alloc = (uint32_t)get(p, VSK_HDR_OFF_BUF_ALLOC, 4);
	h->fwd_cnt = (uint32_t)get(p, VSK_HDR_OFF_FWD_CNT, 4);
}

/* ---- set-up ---- */

/* Device configuration layout: guest_cid is never a reserved CID, and its upper 32 bits
 * are zero. */
bool cf_dev_cid_ok(uint64_t cid)
{
	return cid > VSK_CID_HOST && cid < 0xffffffffULL;
}

struct cf_dev *cf_dev_new(const struct cf_dev_config *cfg, const struct vsk_mem *mem)
{
	struct cf_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (cfg)
		d->cfg = *cfg;
	else
		d->cfg.guest_cid = 3;
	if (!cf_dev_cid_ok(d->cfg.guest_cid)) {
		free(d);
		errno = EINVAL;
		return NULL;
	}
	if (!d->cfg.host_cid)
		d->cfg.host_cid = VSK_CID_HOST;
	if (!d->cfg.buf_size)
		d->cfg.buf_size = 256 * 1024;
	if (!d->cfg.close_timeout_ms)
		d->cfg.close_timeout_ms = 8000;
	if (!d->cfg.connect_timeout_ms)
		d->cfg.connect_timeout_ms = 2000;
	d->offered = d->cfg.features ? d->cfg.features :
		F(VSK_FEATURE_STREAM) | F(VSK_FEATURE_SEQPACKET) |
		F(VSK_FEATURE_NO_IMPLIED_STREAM) | F(VSK_F_VERSION_1) | F(VSK_F_INDIRECT_DESC);
	d->mem = mem;
	d->next_port = 49152;
	return d;
}

static void conn_free(struct cf_dev *d, struct conn *c);

void cf_dev_free(struct cf_dev *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->nconns; i++)
		if (d->conns[i])
			conn_free(d, d->conns[i]);
	for (unsigned i = 0; i < CF_DEV_MAX_HANDLES; i++)
		free(d->h[i].l);
	free(d);
}

uint64_t cf_dev_features(const struct cf_dev *d) { return d->offered; }
uint64_t cf_dev_guest_cid(const struct cf_dev *d) { return d->cfg.guest_cid; }
uint64_t cf_dev_now(const struct cf_dev *d) { return d->now; }
void cf_dev_advance(struct cf_dev *d, uint64_t ms) { d->now += ms; }
const struct cf_dev_stats *cf_dev_stats(const struct cf_dev *d) { return &d->st; }

int cf_dev_set_features(struct cf_dev *d, uint64_t features)
{
	if (features & ~d->offered)
		return -EINVAL;
	d->features = features;
	return 0;
}

int cf_dev_set_vring(struct cf_dev *d, unsigned q, const struct vsk_vq_addr *a)
{
	if (q > VSK_VQ_EVENT || d->started)
		return -EINVAL;
	d->qa[q] = *a;
	d->qset[q] = true;
	if (vsk_vq_dev_init(&d->q[q], d->mem, a, d->features) != 0)
		return -EFAULT;
	return 0;
}

int cf_dev_start(struct cf_dev *d)
{
	if (!d->qset[0] || !d->qset[1] || !d->qset[2])
		return -EINVAL;
	/* features may have been set after the queues: set them up again with them */
	for (unsigned q = 0; q < 3; q++)
		vsk_vq_dev_init(&d->q[q], d->mem, &d->qa[q], d->features);
	d->started = true;
	return 0;
}

enum vsk_ring_rule cf_dev_ring_broken(const struct cf_dev *d, unsigned q, const char **detail)
{
	if (q > VSK_VQ_EVENT)
		return VSK_RING_OK;
	if (detail)
		*detail = d->q[q].detail;
	return d->q[q].broken;
}

/* Socket Device: Feature bits.  Stream is allowed when negotiated, when nothing is, or when
 * SEQPACKET is without NO_IMPLIED_STREAM (the device MAY then act as if STREAM were). */
static bool type_ok(const struct cf_dev *d, unsigned type)
{
	uint64_t f = d->features;
	bool stream = (f & F(VSK_FEATURE_STREAM)) ||
		!(f & (F(VSK_FEATURE_STREAM) | F(VSK_FEATURE_SEQPACKET))) ||
		((f & F(VSK_FEATURE_SEQPACKET)) && !(f & F(VSK_FEATURE_NO_IMPLIED_STREAM)));

	if (type == VSK_TYPE_STREAM)
		return stream;
	if (type == VSK_TYPE_SEQPACKET)
		return (f & F(VSK_FEATURE_SEQPACKET)) != 0;
	return false;
}

/* ---- connections ---- */

static struct conn *conn_find(struct cf_dev *d, uint32_t lport, uint64_t pcid, uint32_t pport)
{
	for (unsigned i = 0; i < d->nconns; i++) {
		struct conn *c = d->conns[i];

		/* a dead connection no longer owns its tuple */
		if (c && c->st != C_DEAD && c->lport == lport && c->pport == pport &&
		    c->pcid == pcid)
			return c;
	}
	return NULL;
}

static struct conn *conn_new(struct cf_dev *d, int type, uint32_t lport, uint64_t pcid,
			     uint32_t pport)
{
	for (unsigned i = 0; i < CF_DEV_MAX_CONNS; i++) {
		if (d->conns[i])
			continue;
		struct conn *c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->h = -1;
		c->type = type;
		c->lport = lport;
		c->pport = pport;
		c->pcid = pcid;
		c->buf_alloc = d->cfg.buf_size;
		d->conns[i] = c;
		if (i >= d->nconns)
			d->nconns = i + 1;
		return c;
	}
	return NULL;
}

static void conn_free(struct cf_dev *d, struct conn *c)
{
	for (unsigned i = 0; i < d->nconns; i++)
		if (d->conns[i] == c)
			d->conns[i] = NULL;
	while (d->nconns && !d->conns[d->nconns - 1])
		d->nconns--;
	if (c->h >= 0 && d->h[c->h].c == c)
		d->h[c->h].c = NULL;
	bq_free(&c->rxq);
	bq_free(&c->txq);
	free(c->rmsg.v);
	free(c->tmsg.v);
	free(c);
}

/* The connection ends abnormally: err for the application; rst: we owe the peer an RST. */
static void conn_reset(struct cf_dev *d, struct conn *c, int err, bool rst)
{
	(void)d;
	if (c->st == C_DEAD && !c->want_rst)
		return;
	if (!c->err)
		c->err = err;
	c->want_request = c->want_response = false;
	c->want_credit_update = c->want_credit_reply = false;
	bq_clear(&c->txq);
	while (c->tmsg.n)
		msgs_drop(&c->tmsg);
	c->deadline = 0;
	c->want_rst = rst;
	if (!rst)
		c->st = C_DEAD;
}

/* Bytes the peer may still send us, from its point of view: what we last advertised. */
static uint32_t peer_view_free(const struct conn *c)
{
	return vsk_credit_view_free(c->adv_buf_alloc, c->rx_cnt, c->adv_fwd_cnt);
}

/* Bytes we may send now (Buffer Space Management): the peer's free space
 * peer_buf_alloc - (tx_cnt - peer_fwd_cnt), never below 0, and never more in flight than
 * our own buffer (the fix of CVE-2026-23086). */
static uint32_t tx_credit(const struct cf_dev *d, const struct conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt, credit;

	/* the bug: tx_cnt - fwd_cnt in 64 bits: a peer fwd_cnt above our tx_cnt (it wrapped, or
	 * started high) is ~2^64 bytes in flight: no credit, a stall */
	if (mut(d, CF_MUT_CREDIT_64BIT) && (uint64_t)c->tx_cnt - (uint64_t)c->peer_fwd_cnt > UINT32_MAX)
		return 0;
	if (mut(d, CF_MUT_IGNORE_CREDIT))
		return UINT32_MAX;
	if (mut(d, CF_MUT_CREDIT_WRAP))
		credit = c->peer_buf_alloc - inflight;      /* the bug: wraps */
	else
		credit = inflight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
	if (!mut(d, CF_MUT_UNBOUNDED_TX)) {
		uint32_t own = inflight > c->buf_alloc ? 0 : c->buf_alloc - inflight;
		if (own < credit)
			credit = own;
	}
	return credit;
}

static bool can_send_rw(const struct cf_dev *d, const struct conn *c)
{
	if (c->st != C_ESTABLISHED && c->st != C_CLOSING)
		return false;
	if ((c->peer_shut & SHUT_R) && !mut(d, CF_MUT_SEND_AFTER_PEER_RCV))
		return false;
	if (c->type == VSK_TYPE_SEQPACKET && msgs_first(&c->tmsg) &&
	    msgs_first(&c->tmsg)->end == c->txq.out)
		return true;             /* a zero-length message: no credit needed */
	return c->txq.len > 0 && tx_credit(d, c) > 0;
}

/* The SHUTDOWN bits still to send: SEND only once the queued data went out. */
static uint32_t shut_due(const struct cf_dev *d, const struct conn *c)
{
	uint32_t bits = c->local_shut;

	if (c->st != C_ESTABLISHED && c->st != C_CLOSING)
		return 0;
	if ((bits & SHUT_S) && !(c->shut_sent & SHUT_S) && c->txq.len > 0 &&
	    !((c->peer_shut & SHUT_R) && !mut(d, CF_MUT_SEND_AFTER_PEER_RCV)))
		bits &= ~(uint32_t)SHUT_S;
	return (bits & ~c->shut_sent) ? bits : 0;
}

static bool conn_has_pkt(const struct cf_dev *d, const struct conn *c)
{
	return c->want_request || c->want_response || c->want_rst || c->want_credit_reply ||
	       c->want_credit_update || can_send_rw(d, c) || shut_due(d, c);
}

/* Builds the next packet of c into hdr (and d->payload), at most max payload bytes.
 * false if it has none that fits. */
static bool conn_next_pkt(struct cf_dev *d, struct conn *c, struct hdr *h, uint32_t max)
{
	uint32_t bits;

	memset(h, 0, sizeof(*h));
	h->src_cid = d->cfg.host_cid;
	h->dst_cid = c->pcid;
	h->src_port = c->lport;
	h->dst_port = c->pport;
	h->type = (uint16_t)c->type;
	h->buf_alloc = c->buf_alloc;
	h->fwd_cnt = c->fwd_cnt;
	if (c->want_request) {
		h->op = VSK_OP_REQUEST;
		c->want_request = false;
	} else if (c->want_response) {
		h->op = VSK_OP_RESPONSE;
		c->want_response = false;
	} else if (c->want_rst && !can_send_rw(d, c)) {
		/* an RST after a clean shutdown goes after the data still owed; an abort
		 * (conn_reset) has emptied the queue already */
		h->op = VSK_OP_RST;
		c->want_rst = false;
		c->st = C_DEAD;
		d->st.rst_sent++;
	} else if (c->want_credit_reply || c->want_credit_update) {
		h->op = VSK_OP_CREDIT_UPDATE;
		c->want_credit_reply = c->want_credit_update = false;
	} else if (can_send_rw(d, c)) {
		uint32_t n = tx_credit(d, c);
		const struct msg *m = c->type == VSK_TYPE_SEQPACKET ? msgs_first(&c->tmsg) : NULL;

		if (n > max)
			n = max;
		if (n > c->txq.len)
			n = (uint32_t)c->txq.len;
		if (m && m->end - c->txq.out <= n) {
			n = (uint32_t)(m->end - c->txq.out);
			if (!mut(d, CF_MUT_IGNORE_EOM))
				h->flags |= VSK_FLAG_SEQ_EOM;
			if (m->eor && !mut(d, CF_MUT_IGNORE_EOM) && !mut(d, CF_MUT_IGNORE_EOR))
				h->flags |= VSK_FLAG_SEQ_EOR;
			msgs_drop(&c->tmsg);
		} else if (n == 0) {
			return false;    /* the rx buffer has no room for payload */
		}
		h->op = VSK_OP_RW;
		h->len = n;
		bq_pop(&c->txq, d->payload, n);
		c->tx_cnt += n;
	} else if ((bits = shut_due(d, c))) {
		h->op = VSK_OP_SHUTDOWN;
		h->flags = bits;
		c->shut_sent |= bits;
	} else {
		return false;
	}
	if (mut(d, CF_MUT_RW_FWD_CNT_ZERO) && h->op != VSK_OP_CREDIT_UPDATE)
		h->fwd_cnt = 0;          /* the bug: only CREDIT_UPDATE carries the count */
	c->adv_buf_alloc = c->buf_alloc;
	c->adv_fwd_cnt = h->fwd_cnt;
	/* every packet carries our credit: a pending update is answered by any of them */
	c->want_credit_update = false;
	return true;
}

/* Queues a reply that belongs to no connection (an RST to the sender of in). */
static void reply_rst(struct cf_dev *d, const struct hdr *in)
{
	struct hdr h = {0};

	if (in->op == VSK_OP_RST || d->npend == CF_DEV_MAX_PENDING)
		return;          /* never answer RST with RST; the FIFO bound is checked by tx */
	h.src_cid = in->dst_cid;
	h.dst_cid = in->src_cid;
	h.src_port = in->dst_port;
	h.dst_port = in->src_port;
	h.type = in->type;
	h.op = VSK_OP_RST;
	hdr_enc(d->pend[(d->pend_head + d->npend) % CF_DEV_MAX_PENDING], &h);
	d->npend++;
	d->st.rst_sent++;
}

/* A packet broke a rule of an existing connection: RST it (Stream Sockets: RST forcibly
 * disconnects). */
static void protocol_error(struct cf_dev *d, struct conn *c, const struct hdr *in)
{
	d->st.protocol_errors++;
	if (c)
		conn_reset(d, c, ECONNRESET, true);
	else
		reply_rst(d, in);
}

static struct lsn *lsn_find(struct cf_dev *d, uint32_t port)
{
	for (unsigned i = 0; i < CF_DEV_MAX_HANDLES; i++)
		if (d->h[i].l && d->h[i].l->port == port)
			return d->h[i].l;
	return NULL;
}

static void handle_request(struct cf_dev *d, struct conn *c, const struct hdr *in)
{
	struct lsn *l;

	if (c) {
		/* A second REQUEST on a tuple in use: the peer lost track of the connection;
		 * the model resets it rather than guess. */
		if (mut(d, CF_MUT_DUP_REQUEST) && c->st == C_ESTABLISHED) {
			c->want_response = true;
			return;
		}
		protocol_error(d, c, in);
		return;
	}
	l = lsn_find(d, in->dst_port);
	if (!l || (l->type != in->type && !mut(d, CF_MUT_ACCEPT_TYPE_MISMATCH)) ||
	    l->nback == CF_DEV_BACKLOG) {
		/* Stream Sockets: RST if no listening socket exists or the destination has
		 * insufficient resources */
		if (!l && mut(d, CF_MUT_NO_RST_NO_LISTENER))
			return;
		reply_rst(d, in);
		return;
	}
	c = conn_new(d, in->type, in->dst_port, in->src_cid, in->src_port);
	if (!c) {
		reply_rst(d, in);
		return;
	}
	c->st = C_ESTABLISHED;
	c->peer_buf_alloc = in->buf_alloc;
	c->peer_fwd_cnt = in->fwd_cnt;
	c->want_response = true;
	c->in_backlog = true;
	l->backlog[l->nback++] = c;
}

static void handle_shutdown(struct cf_dev *d, struct conn *c, const struct hdr *in)
{
	uint32_t bits = in->flags & (SHUT_R | SHUT_S);

	/* Stream Sockets: the hints are permanent once sent; bits clear in later packets do
	 * not reset them.  Other flag bits are not defined: ignored. */
	if (mut(d, CF_MUT_SHUTDOWN_CLEARS))
		c->peer_shut = bits;
	else
		c->peer_shut |= bits;
	if ((c->peer_shut & SHUT_R) && !mut(d, CF_MUT_SEND_AFTER_PEER_RCV)) {
		bq_clear(&c->txq);       /* it will not receive: what is queued is lost */
		while (c->tmsg.n)
			msgs_drop(&c->tmsg);
	}
	if (c->peer_shut == (SHUT_R | SHUT_S) && !mut(d, CF_MUT_NO_RST_ON_SHUTDOWN) &&
	    c->st != C_DEAD) {
		/* Clean disconnect: SHUTDOWN with both bits is followed by our RST.  For the
		 * application this is a clean end: data queued stays readable, then EOF. */
		c->want_rst = true;
		c->deadline = 0;
	}
}

static void handle_rw(struct cf_dev *d, struct conn *c, const struct hdr *in,
		      const struct vsk_vq_chain *ch)
{
	const struct vsk_vq_dev *q = &d->q[VSK_VQ_TX];

	if (c->st != C_ESTABLISHED && c->st != C_CLOSING) {
		protocol_error(d, c, in);
		return;
	}
	/* RW after the peer said it will send no more (Stream Sockets: SHUTDOWN SEND). */
	if ((c->peer_shut & SHUT_S) && !mut(d, CF_MUT_DATA_AFTER_EOF)) {
		protocol_error(d, c, in);
		return;
	}
	/* Buffer Space Management: RW only when the receiver has space for it.  Our view is
	 * the peer's: the buf_alloc and fwd_cnt we last advertised.  Beyond it: RST (the model
	 * never drops stream data silently). */
	if (in->len > peer_view_free(c) && !mut(d, CF_MUT_OVERRUN_OVERWRITES)) {
		protocol_error(d, c, in);
		return;
	}
	if (in->len == 0 && c->type == VSK_TYPE_STREAM && mut(d, CF_MUT_ZERO_RW_EOF)) {
		c->peer_shut |= SHUT_S;  /* the bug: an empty RW taken for the end */
		return;
	}
	if (in->len && vsk_vq_dev_read(q, ch, HDR_LEN, d->payload, in->len) != in->len) {
		protocol_error(d, c, in);
		return;
	}
	c->rx_cnt += in->len;
	if ((c->local_shut & SHUT_R) || (c->st == C_CLOSING && c->app_closed)) {
		c->fwd_cnt += in->len;   /* nobody will read it: consumed at once */
		return;
	}
	if (bq_push(&c->rxq, d->payload, in->len) != 0) {
		protocol_error(d, c, in);
		return;
	}
	if (mut(d, CF_MUT_OVERRUN_OVERWRITES) && c->rxq.len > c->buf_alloc) {
		/* the bug: a ring of buf_alloc bytes laps its reader; what it overwrote is gone
		 * as if read */
		size_t lost = bq_pop(&c->rxq, NULL, c->rxq.len - c->buf_alloc);

		c->fwd_cnt += (uint32_t)lost;
	}
	if (c->type == VSK_TYPE_SEQPACKET && (in->flags & VSK_FLAG_SEQ_EOM) &&
	    !mut(d, CF_MUT_IGNORE_EOM)) {
		bool eor = (in->flags & VSK_FLAG_SEQ_EOR) && !mut(d, CF_MUT_IGNORE_EOR);

		/* bounded: a flood of empty messages must not grow without end */
		if (msgs_add(&c->rmsg, c->rxq.in, eor) != 0)
			protocol_error(d, c, in);
	}
}

/* One packet from the tx queue (Device Operation). */
static void handle_pkt(struct cf_dev *d, const struct vsk_vq_chain *chain)
{
	struct vsk_vq_chain one;
	const struct vsk_vq_chain *ch = chain;

	if (mut(d, CF_MUT_TX_ONE_BUFFER) && chain->nseg > 1 && !chain->seg[0].write) {
		/* the bug: the packet is taken to be the first descriptor */
		one.head = chain->head;
		one.nseg = 1;
		one.seg[0] = chain->seg[0];
		one.rlen = chain->seg[0].len;
		one.wlen = 0;
		ch = &one;
	}
	const struct vsk_vq_dev *q = &d->q[VSK_VQ_TX];
	uint8_t raw[HDR_LEN];
	struct hdr in;
	struct conn *c;

	d->st.tx_pkts++;
	if (ch->rlen < HDR_LEN || vsk_vq_dev_read(q, ch, 0, raw, HDR_LEN) != HDR_LEN) {
		d->st.dropped++;         /* no header: no tuple to answer */
		return;
	}
	hdr_dec(raw, &in);
	/* Receive and Transmit: the driver MUST use guest_cid as the source CID.  A packet
	 * from another CID (upper 32 bits included) is not from this guest, and one to
	 * another CID than the host's has nobody here to go to: both dropped (the device
	 * speaks only as the host, like vhost-vsock). */
	if ((in.src_cid != d->cfg.guest_cid && !mut(d, CF_MUT_ACCEPT_ANY_SRC_CID)) ||
	    in.dst_cid != d->cfg.host_cid) {
		d->st.dropped++;
		return;
	}
	c = conn_find(d, in.dst_port, in.src_cid, in.src_port);
	if (in.op == VSK_OP_RST) {
		/* RST aborts the connection process or forcibly disconnects; never answered.
		 * After a clean shutdown (ours or the peer's) it is the expected end. */
		if (c && c->st == C_CONNECTING && mut(d, CF_MUT_RST_CONNECTS)) {
			c->st = C_ESTABLISHED;   /* the bug: any answer completes the connect */
			c->deadline = 0;
		} else if (c) {
			bool clean = c->st == C_CLOSING ||
				c->peer_shut == (SHUT_R | SHUT_S);
			conn_reset(d, c, clean ? 0 : c->st == C_CONNECTING ? ECONNREFUSED :
				   ECONNRESET, false);
		}
		return;
	}
	/* Receive and Transmit: RST reply to an unknown type (and to a type the features do
	 * not allow: for this device it is unknown). */
	if (!type_ok(d, in.type)) {
		if (!mut(d, CF_MUT_NO_RST_UNKNOWN_TYPE)) {
			d->st.protocol_errors++;
			if (c)
				conn_reset(d, c, ECONNRESET, true);
			else
				reply_rst(d, &in);
		}
		return;
	}
	/* len must fit the buffers given and a packet's maximum size */
	if (in.len > ch->rlen - HDR_LEN || in.len > MAX_PKT) {
		protocol_error(d, c, &in);
		return;
	}
	if (c && c->type != in.type) {
		protocol_error(d, c, &in);
		return;
	}
	if (c && c->st != C_DEAD && in.op != VSK_OP_REQUEST) {
		/* Buffer Space Management: every packet of a stream flow carries valid
		 * buf_alloc and fwd_cnt */
		c->peer_buf_alloc = in.buf_alloc;
		c->peer_fwd_cnt = in.fwd_cnt;
	}
	switch (in.op) {
	case VSK_OP_REQUEST:
		handle_request(d, c, &in);
		break;
	case VSK_OP_RESPONSE:
		if (!c) {
			if (!mut(d, CF_MUT_RESPONSE_TO_NOBODY))
				protocol_error(d, NULL, &in);
		} else if (c->st == C_CONNECTING) {
			c->st = C_ESTABLISHED;
			c->deadline = 0;
			c->peer_buf_alloc = in.buf_alloc;
			c->peer_fwd_cnt = in.fwd_cnt;
		} else {
			protocol_error(d, c, &in);
		}
		break;
	case VSK_OP_SHUTDOWN:
		if (!c || c->st == C_CONNECTING)
			protocol_error(d, c, &in);
		else if (c->st != C_DEAD)
			handle_shutdown(d, c, &in);
		break;
	case VSK_OP_RW:
		if (!c || c->st == C_DEAD)
			protocol_error(d, c && c->st != C_DEAD ? c : NULL, &in);
		else
			handle_rw(d, c, &in, ch);
		break;
	case VSK_OP_CREDIT_UPDATE:
		if (!c || c->st == C_CONNECTING)
			protocol_error(d, c, &in);
		break;                   /* the credit was taken above */
	case VSK_OP_CREDIT_REQUEST:
		if (!c || c->st == C_CONNECTING)
			protocol_error(d, c, &in);
		else if (c->st != C_DEAD && !mut(d, CF_MUT_NO_CREDIT_REPLY))
			c->want_credit_reply = true;
		break;
	default:
		/* INVALID (0) and ops the spec does not define: the model answers RST, like
		 * an unknown type, and ends the connection the tuple names. */
		if (mut(d, CF_MUT_UNKNOWN_OP_RST_ONLY) && c) {
			reply_rst(d, &in);       /* the bug: RST, but the connection lives on */
			break;
		}
		if (!mut(d, CF_MUT_NO_RST_UNKNOWN_OP))
			protocol_error(d, c && c->st != C_DEAD ? c : NULL, &in);
		break;
	}
}

/* ---- the queues ---- */

static bool q_ok(const struct cf_dev *d, unsigned q)
{
	return d->started && d->q[q].broken == VSK_RING_OK;
}

static unsigned do_tx(struct cf_dev *d)
{
	unsigned used = 0;
	struct vsk_vq_chain ch;

	/* Virtqueue Flow Control: take tx packets while replies can be held outside rx */
	while (q_ok(d, VSK_VQ_TX) && d->npend < CF_DEV_MAX_PENDING) {
		if (vsk_vq_dev_pop(&d->q[VSK_VQ_TX], &ch) != 1)
			break;
		handle_pkt(d, &ch);
		if (vsk_vq_dev_push(&d->q[VSK_VQ_TX], ch.head, 0) != 0)
			break;
		used++;
	}
	return used;
}

/* The connection with a packet to send, round robin; NULL if none. */
static struct conn *next_conn(struct cf_dev *d)
{
	for (unsigned k = 0; k < d->nconns; k++) {
		unsigned i = (d->rr + k) % d->nconns;
		struct conn *c = d->conns[i];

		if (c && conn_has_pkt(d, c)) {
			d->rr = i + 1;
			return c;
		}
	}
	return NULL;
}

static unsigned fill_rx(struct cf_dev *d)
{
	struct vsk_vq_dev *q = &d->q[VSK_VQ_RX];
	unsigned used = 0;
	struct vsk_vq_chain ch;

	while (q_ok(d, VSK_VQ_RX)) {
		struct conn *c = d->npend ? NULL : next_conn(d);
		uint8_t raw[HDR_LEN];
		struct hdr h;
		uint32_t plen = 0;

		if (!d->npend && !c)
			break;
		if (vsk_vq_dev_pop(q, &ch) != 1)
			break;
		/* Receive and Transmit: rx buffers are write-only, and must hold a header */
		if (mut(d, CF_MUT_RX_ONE_BUFFER) && ch.nseg > 0) {
			/* the bug: header and payload must be in the first descriptor */
			ch.nseg = 1;
			ch.wlen = ch.seg[0].write ? ch.seg[0].len : 0;
		}
		if (ch.rlen > 0 || ch.wlen < HDR_LEN) {
			d->st.bad_rx_bufs++;
			vsk_vq_dev_push(q, ch.head, 0);
			used++;
			continue;
		}
		if (d->npend) {
			memcpy(raw, d->pend[d->pend_head], HDR_LEN);
			d->pend_head = (d->pend_head + 1) % CF_DEV_MAX_PENDING;
			d->npend--;
		} else {
			uint64_t room = ch.wlen - HDR_LEN;

			if (mut(d, CF_MUT_RX_ASSUMED_SIZE))
				room = VSK_DEFAULT_RX_BUF_SIZE;  /* the bug: not this buffer's */

			if (!conn_next_pkt(d, c, &h, room > MAX_PKT ? MAX_PKT : (uint32_t)room)) {
				/* only payload was left and this buffer has no room for it */
				d->st.bad_rx_bufs++;
				vsk_vq_dev_push(q, ch.head, 0);
				used++;
				break;
			}
			plen = h.len;
			hdr_enc(raw, &h);
		}
		vsk_vq_dev_write(q, &ch, 0, raw, HDR_LEN);
		if (plen)  /* short under rx_assumed_size: used len counts what was written */
			plen = (uint32_t)vsk_vq_dev_write(q, &ch, HDR_LEN, d->payload, plen);
		if (vsk_vq_dev_push(q, ch.head, HDR_LEN + plen) != 0)
			break;
		d->st.rx_pkts++;
		used++;
	}
	return used;
}

static unsigned do_events(struct cf_dev *d)
{
	struct vsk_vq_dev *q = &d->q[VSK_VQ_EVENT];
	unsigned used = 0;
	struct vsk_vq_chain ch;

	while (d->nevents && q_ok(d, VSK_VQ_EVENT)) {
		uint8_t ev[VSK_EVENT_LEN];

		if (vsk_vq_dev_pop(q, &ch) != 1)
			break;
		if (ch.rlen > 0 || ch.wlen < VSK_EVENT_LEN) {
			vsk_vq_dev_push(q, ch.head, 0);
			used++;
			continue;
		}
		put(ev, 0, d->events[0], 4);
		memmove(d->events, d->events + 1, --d->nevents * sizeof(d->events[0]));
		vsk_vq_dev_write(q, &ch, 0, ev, sizeof(ev));
		vsk_vq_dev_push(q, ch.head, sizeof(ev));
		d->st.events++;
		used++;
	}
	return used;
}

static void do_timers(struct cf_dev *d)
{
	for (unsigned i = 0; i < d->nconns; i++) {
		struct conn *c = d->conns[i];

		if (!c || !c->deadline || c->deadline > d->now)
			continue;
		c->deadline = 0;
		if (c->st == C_CONNECTING) {
			/* no answer to our REQUEST: abort the connection process */
			conn_reset(d, c, ETIMEDOUT, true);
		} else if (c->st == C_CLOSING && !mut(d, CF_MUT_NO_CLOSE_TIMEOUT)) {
			/* Stream Sockets: no RST within our time after SHUTDOWN: send one */
			conn_reset(d, c, 0, true);
		}
	}
}

/* Frees connections nobody can see any more. */
static void gc(struct cf_dev *d)
{
	for (unsigned i = 0; i < d->nconns; i++) {
		struct conn *c = d->conns[i];

		if (c && c->st == C_DEAD && !c->want_rst && c->app_closed)
			conn_free(d, c);
	}
}

unsigned cf_dev_run(struct cf_dev *d)
{
	unsigned total = 0, n;

	if (!d->started)
		return 0;
	do {
		do_timers(d);
		n = do_tx(d);
		n += fill_rx(d);
		n += do_events(d);
		gc(d);
		total += n;
	} while (n);
	return total;
}

int64_t cf_dev_next_timer(const struct cf_dev *d)
{
	int64_t best = -1;

	for (unsigned i = 0; i < d->nconns; i++) {
		const struct conn *c = d->conns[i];

		if (!c || !c->deadline)
			continue;
		if (c->st == C_CLOSING && mut(d, CF_MUT_NO_CLOSE_TIMEOUT))
			continue;
		int64_t left = c->deadline > d->now ? (int64_t)(c->deadline - d->now) : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best;
}

int cf_dev_transport_reset(struct cf_dev *d)
{
	if (d->nevents == sizeof(d->events) / sizeof(d->events[0]))
		return -EAGAIN;
	d->events[d->nevents++] = VSK_EVENT_TRANSPORT_RESET;
	if (mut(d, CF_MUT_RESET_KEEPS_CONNS))
		return 0;
	/* Device Events: communication was interrupted; connections end (no packets: the
	 * driver shuts them down itself), listeners stay. */
	for (unsigned i = 0; i < d->nconns; i++) {
		struct conn *c = d->conns[i];

		if (c)
			conn_reset(d, c, ECONNRESET, false);
	}
	d->npend = 0;
	return 0;
}

/* ---- the application ---- */

static int hnd_new(struct cf_dev *d)
{
	for (int i = 0; i < CF_DEV_MAX_HANDLES; i++)
		if (!d->h[i].l && !d->h[i].c)
			return i;
	return -EMFILE;
}

static struct conn *hconn(struct cf_dev *d, int h)
{
	if (h < 0 || h >= CF_DEV_MAX_HANDLES)
		return NULL;
	return d->h[h].c;
}

int cf_dev_listen(struct cf_dev *d, uint32_t port, int type)
{
	int h;

	if (type != VSK_TYPE_STREAM && type != VSK_TYPE_SEQPACKET)
		return -EINVAL;
	if (lsn_find(d, port))
		return -EADDRINUSE;
	if ((h = hnd_new(d)) < 0)
		return h;
	struct lsn *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->port = port;
	l->type = type;
	l->h = h;
	d->h[h].l = l;
	return h;
}

int cf_dev_accept(struct cf_dev *d, int lh)
{
	struct lsn *l;
	int h;

	if (lh < 0 || lh >= CF_DEV_MAX_HANDLES || !(l = d->h[lh].l))
		return -EBADF;
	if (l->nback == 0)
		return -EAGAIN;
	if ((h = hnd_new(d)) < 0)
		return h;
	struct conn *c = l->backlog[0];
	memmove(l->backlog, l->backlog + 1, --l->nback * sizeof(l->backlog[0]));
	c->in_backlog = false;
	c->h = h;
	d->h[h].c = c;
	return h;
}

int cf_dev_connect(struct cf_dev *d, uint64_t cid, uint32_t port, int type)
{
	struct conn *c;
	uint32_t lport;
	int h;

	if (type != VSK_TYPE_STREAM && type != VSK_TYPE_SEQPACKET)
		return -EINVAL;
	if (cid != d->cfg.guest_cid)
		return -ENETUNREACH;     /* this device reaches its one guest only */
	if ((h = hnd_new(d)) < 0)
		return h;
	for (unsigned tries = 0;; tries++) {
		if (tries > 16384)
			return -EADDRINUSE;
		lport = d->next_port++;
		if (d->next_port == 0 || d->next_port > 65535)
			d->next_port = 49152;
		if (!lsn_find(d, lport) && !conn_find(d, lport, cid, port))
			break;
	}
	if (!(c = conn_new(d, type, lport, cid, port)))
		return -ENOMEM;
	c->h = h;
	c->st = C_CONNECTING;
	c->want_request = true;
	c->deadline = d->now + d->cfg.connect_timeout_ms;
	d->h[h].c = c;
	return h;
}

int cf_dev_connected(struct cf_dev *d, int h)
{
	struct conn *c = hconn(d, h);

	if (!c)
		return -EBADF;
	if (c->st == C_CONNECTING)
		return -EINPROGRESS;
	if (c->st == C_DEAD && c->err)
		return -c->err;
	return 0;
}

ssize_t cf_dev_send(struct cf_dev *d, int h, const void *buf, size_t len, bool eor)
{
	struct conn *c = hconn(d, h);
	uint64_t room, queued;

	if (!c)
		return -EBADF;
	if (c->st == C_CONNECTING)
		return -ENOTCONN;
	if (c->st == C_DEAD || c->want_rst)
		return c->err ? -c->err : -EPIPE;
	if ((c->local_shut & SHUT_S) && !mut(d, CF_MUT_RW_AFTER_SHUTDOWN))
		return -EPIPE;
	if ((c->peer_shut & SHUT_R) && !mut(d, CF_MUT_SEND_AFTER_PEER_RCV))
		return -EPIPE;
	/* What we hold: queued plus in flight, at most our own buffer. */
	queued = c->txq.len + (uint32_t)(c->tx_cnt - c->peer_fwd_cnt);
	if (mut(d, CF_MUT_UNBOUNDED_TX))
		room = c->txq.len >= UNBOUNDED_CAP ? 0 : UNBOUNDED_CAP - c->txq.len;
	else
		room = queued >= c->buf_alloc ? 0 : c->buf_alloc - queued;
	if (c->type == VSK_TYPE_SEQPACKET) {
		if (len > c->buf_alloc && !mut(d, CF_MUT_UNBOUNDED_TX))
			return -EMSGSIZE;
		if (len > room || c->tmsg.n >= CF_DEV_MAX_MSGS)
			return -EAGAIN;
		if (bq_push(&c->txq, buf, len) != 0)
			return -ENOMEM;
		if (msgs_add(&c->tmsg, c->txq.in, eor) != 0)
			return -ENOMEM;  /* cannot happen: checked above */
		return (ssize_t)len;
	}
	if (len > room)
		len = (size_t)room;
	if (len == 0)
		return -EAGAIN;
	if (bq_push(&c->txq, buf, len) != 0)
		return -ENOMEM;
	return (ssize_t)len;
}

/* After the application read: lib's credit-update policy (vsk/credit.h), the one vsockdev
 * keeps too. */
static void after_read(struct cf_dev *d, struct conn *c)
{
	const struct vsk_credit_rx rx = {
		.buf_alloc = c->adv_buf_alloc, .peer_buf_alloc = c->peer_buf_alloc,
		.rx_cnt = c->rx_cnt, .fwd_cnt = c->fwd_cnt, .adv_fwd_cnt = c->adv_fwd_cnt,
	};
	bool due;

	if (mut(d, CF_MUT_NO_CREDIT_UPDATE) || !(c->st == C_ESTABLISHED || c->st == C_CLOSING))
		return;
	/* --mutate late_credit_update: vsockdev's policy before 2026-12, an update only when
	 * the peer's view of our whole buffer falls below one packet */
	if (mut(d, CF_MUT_LATE_CREDIT_UPDATE))
		due = c->fwd_cnt != c->adv_fwd_cnt && peer_view_free(c) < MAX_PKT;
	else
		due = vsk_credit_update_due(&rx);
	if (due)
		c->want_credit_update = true;
}

ssize_t cf_dev_recv(struct cf_dev *d, int h, void *buf, size_t len, bool *eor)
{
	struct conn *c = hconn(d, h);
	const struct msg *m;
	size_t n;

	if (eor)
		*eor = false;
	if (!c)
		return -EBADF;
	if (c->st == C_CONNECTING)
		return -ENOTCONN;
	if (c->type == VSK_TYPE_SEQPACKET && (m = msgs_first(&c->rmsg))) {
		size_t mlen = (size_t)(m->end - c->rxq.out);

		n = mlen < len ? mlen : len;
		bq_pop(&c->rxq, buf, n);
		bq_pop(&c->rxq, NULL, mlen - n);     /* the rest of a longer message: dropped */
		if (eor)
			*eor = m->eor;
		msgs_drop(&c->rmsg);
		c->fwd_cnt += (uint32_t)mlen;
		after_read(d, c);
		return (ssize_t)n;
	}
	if (c->rxq.len && (c->type == VSK_TYPE_STREAM || mut(d, CF_MUT_IGNORE_EOM))) {
		n = bq_pop(&c->rxq, buf, len);
		c->fwd_cnt += (uint32_t)n;
		after_read(d, c);
		return (ssize_t)n;
	}
	if (((c->peer_shut & SHUT_S) && !mut(d, CF_MUT_NO_EOF)) || (c->local_shut & SHUT_R) ||
	    (c->st == C_DEAD && !c->err) || (c->want_rst && !c->err))
		return 0;
	if (c->st == C_DEAD || c->want_rst)
		return -c->err;
	return -EAGAIN;
}

int cf_dev_shutdown(struct cf_dev *d, int h, int how)
{
	struct conn *c = hconn(d, h);

	if (!c)
		return -EBADF;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (c->st != C_ESTABLISHED)
		return -ENOTCONN;
	if (how == SHUT_RD || how == SHUT_RDWR)
		c->local_shut |= SHUT_R;
	if (how == SHUT_WR || how == SHUT_RDWR)
		c->local_shut |= SHUT_S;
	return 0;
}

int cf_dev_close(struct cf_dev *d, int h)
{
	struct conn *c;
	struct lsn *l;

	if (h < 0 || h >= CF_DEV_MAX_HANDLES)
		return -EBADF;
	if ((l = d->h[h].l)) {
		/* connections not accepted yet are refused */
		for (unsigned i = 0; i < l->nback; i++) {
			l->backlog[i]->app_closed = true;
			l->backlog[i]->in_backlog = false;
			conn_reset(d, l->backlog[i], ECONNRESET, l->backlog[i]->st != C_DEAD);
		}
		free(l);
		d->h[h].l = NULL;
		return 0;
	}
	if (!(c = d->h[h].c))
		return -EBADF;
	d->h[h].c = NULL;
	c->h = -1;
	c->app_closed = true;
	if (c->st == C_CONNECTING) {
		conn_reset(d, c, ECONNRESET, true);
	} else if (c->st == C_ESTABLISHED && mut(d, CF_MUT_CLOSE_SILENT)) {
		conn_reset(d, c, 0, false);      /* the bug: gone without a word */
	} else if (c->st == C_ESTABLISHED && !c->want_rst) {
		/* Stream Sockets: clean disconnect: SHUTDOWN with both bits (after the data
		 * already queued), then wait for the peer's RST, and send one ourselves when
		 * it does not come in time. */
		c->local_shut = SHUT_R | SHUT_S;
		c->st = C_CLOSING;
		c->deadline = d->now + d->cfg.close_timeout_ms;
		bq_clear(&c->rxq);
		while (c->rmsg.n)
			msgs_drop(&c->rmsg);
	}
	return 0;
}

int cf_dev_set_buffer(struct cf_dev *d, int h, uint64_t size)
{
	struct conn *c = hconn(d, h);

	if (!c)
		return -EBADF;
	if (size > UINT32_MAX)
		size = UINT32_MAX;
	c->buf_alloc = (uint32_t)size;
	if ((c->st == C_ESTABLISHED || c->st == C_CLOSING) && c->buf_alloc != c->adv_buf_alloc)
		c->want_credit_update = true;
	return 0;
}
