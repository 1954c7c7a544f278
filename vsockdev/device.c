/* device.c - the virtio-vsock device (virtio spec: Socket Device) over the two rings QEMU
 * hands a vhost-user backend (rx 0, tx 1; QEMU keeps the event queue), and the connection
 * layer between the guest's packets and the host programs' UNIX sockets (hybrid.c).
 *
 * Rings: lib/vring.c, device role, over guest memory (mem.c).  A broken ring rule stops
 * the queue with the rule logged; nothing the driver writes can crash us.
 *
 * Connections (Socket Device: Device Operation), keyed by (host port, guest port):
 *   - guest REQUEST to host port P: hybrid.c dials UDSPATH_P; RESPONSE if a program is
 *     listening there, RST if not.  Host program on UDSPATH: "CONNECT P" becomes our
 *     REQUEST from a fresh host port; the guest's RESPONSE becomes "OK <host port>".
 *   - Buffer Space Management: we advertise buf_alloc VD_BUF_ALLOC and fwd_cnt = bytes
 *     written to the host program; an RW beyond that credit is answered by RST.  We send
 *     RW only within the guest's credit.  A CREDIT_UPDATE goes out on CREDIT_REQUEST and
 *     when lib's policy says (vsk/credit.h: the host program took all we held, or the
 *     guest's view of our space is low within min(our buf_alloc, its own)).
 *   - Stream Sockets: the guest's SHUTDOWN SEND becomes shutdown(SHUT_WR) once its bytes
 *     are written; the host program's EOF becomes SHUTDOWN SEND once its bytes are sent.
 *     When both directions are done we send SHUTDOWN(RCV|SEND) and wait for the guest's
 *     RST (VD_CLOSE_MS, then our RST); the guest's own full SHUTDOWN is answered by RST.
 *     Packets for unknown connections get RST, RST never does.  Packets not from the
 *     guest's CID or not to the host's are dropped.
 * With --relay (relay.c) there is no connection layer: tx packets go to the relay's client
 * as they are, and its packets fill rx buffers as they are. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsk/credit.h"
#include "vsk/encode.h"
#include "vsk/error.h"
#include "vsockdev.h"

#define VD_CONNECT_MS 5000   /* a REQUEST to the guest without an answer */
#define VD_CLOSE_MS   4000   /* our full SHUTDOWN without the guest's RST */
#define SHUT_BOTH (VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND)

static const char *const qname[2] = { "rx", "tx" };

/* ---- connections ---- */

struct vd_conn *vd_conn_new(struct vd *vd, uint32_t local_port, uint32_t peer_port)
{
	struct vd_conn *c;

	if (vd->nconn >= VD_MAX_CONNS || !(c = calloc(1, sizeof(*c))))
		return NULL;
	c->local_port = local_port;
	c->peer_port = peer_port;
	c->fd = -1;
	vd->conn[vd->nconn++] = c;
	return c;
}

struct vd_conn *vd_conn_find(struct vd *vd, uint32_t local_port, uint32_t peer_port)
{
	for (unsigned i = 0; i < vd->nconn; i++) {
		struct vd_conn *c = vd->conn[i];

		if (c->state != VD_HANDSHAKE && c->local_port == local_port &&
		    c->peer_port == peer_port)
			return c;
	}
	return NULL;
}

void vd_conn_free(struct vd *vd, struct vd_conn *c)
{
	for (unsigned i = 0; i < vd->nconn; i++) {
		if (vd->conn[i] != c)
			continue;
		vd->conn[i] = vd->conn[--vd->nconn];
		break;
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->state != VD_HANDSHAKE)
		vd_log(vd, 1, "connection %u:%u closed (host port %u): %u bytes to the guest, "
		       "%u from it", (unsigned)vd->cid, c->peer_port, c->local_port, c->tx_cnt,
		       c->rx_cnt);
	free(c->g2h);
	free(c);
}

static void close_fd(struct vd_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void vd_conn_reset(struct vd *vd, struct vd_conn *c, const char *why)
{
	vd_log(vd, 1, "connection %u:%u (host port %u): reset: %s", (unsigned)vd->cid,
	       c->peer_port, c->local_port, why);
	/* the guest never heard of it: nothing to tell */
	if (c->state == VD_HANDSHAKE ||
	    (c->state == VD_CONNECTING && c->pending & VD_P_REQUEST)) {
		vd_conn_free(vd, c);
		return;
	}
	close_fd(c);
	c->state = VD_CLOSING;
	c->pending = VD_P_RST;
	c->deadline = 0;
	c->g2h_len = c->h2g_len = 0;
}

/* Bytes we may send now (Socket Device: Buffer Space Management): within the guest's
 * credit, and never more in flight than our own buf_alloc (the CVE-2026-23086 fix: a
 * sender whose unacknowledged bytes exceed its own buffer is what lib/flow.c warns of). */
static uint32_t peer_credit(const struct vd *vd, const struct vd_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
	uint32_t limit = c->peer_buf_alloc < VD_BUF_ALLOC ? c->peer_buf_alloc : VD_BUF_ALLOC;

	/* --mutate: the credit bugs the conformance suite must catch (one test when off) */
	if (vd->mutations) {
		if (vd_mut(vd, IGNORE_CREDIT))
			return UINT32_MAX;
		if (vd_mut(vd, CREDIT_WRAP))
			return c->peer_buf_alloc - in_flight;
		if (vd_mut(vd, CREDIT_64BIT) &&
		    (uint64_t)c->tx_cnt - (uint64_t)c->peer_fwd_cnt >= limit)
			return 0;
	}
	return in_flight >= limit ? 0 : limit - in_flight;
}

static bool can_send_data(const struct vd *vd, const struct vd_conn *c)
{
	return c->state == VD_ESTABLISHED && c->h2g_len > 0 &&
	       !(c->our_shut & VSK_FLAG_SHUTDOWN_SEND) &&
	       (!(c->peer_shut & VSK_FLAG_SHUTDOWN_RCV) || vd_mut(vd, SEND_AFTER_PEER_RCV)) &&
	       peer_credit(vd, c) > 0;
}

void vd_conn_update(struct vd *vd, struct vd_conn *c)
{
	if (c->state != VD_ESTABLISHED)
		return;
	/* the guest will not read any more: the host program's sends fail from now on
	 * (SHUT_RD here is its EPIPE), what it sent already goes nowhere */
	if (c->peer_shut & VSK_FLAG_SHUTDOWN_RCV && !vd_mut(vd, SEND_AFTER_PEER_RCV)) {
		c->h2g_len = c->h2g_off = 0;
		if (!c->uds_rd_shut && c->fd >= 0) {
			shutdown(c->fd, SHUT_RD);
			c->uds_rd_shut = true;
		}
	}
	/* --mutate no_rst_on_shutdown: the guest's full SHUTDOWN is left unanswered */
	if (vd_mut(vd, NO_RST_ON_SHUTDOWN) && (c->peer_shut & SHUT_BOTH) == SHUT_BOTH)
		return;
	/* a seqpacket message the guest never ended (no EOM before SHUTDOWN) is dropped */
	if (c->type == VSK_TYPE_SEQPACKET && c->peer_shut & VSK_FLAG_SHUTDOWN_SEND &&
	    !c->msg_n && c->msg_open) {
		c->fwd_cnt += (uint32_t)c->msg_open;
		c->g2h_len = c->g2h_off = c->msg_open = 0;
	}
	/* the guest's SHUTDOWN SEND reaches the host program after the guest's last byte */
	if (c->peer_shut & VSK_FLAG_SHUTDOWN_SEND && c->g2h_len == 0 && !c->uds_wr_shut &&
	    c->fd >= 0 && !vd_mut(vd, NO_EOF)) {
		shutdown(c->fd, SHUT_WR);
		c->uds_wr_shut = true;
	}
	/* the host program's EOF reaches the guest after its last byte */
	if (c->uds_eof && c->h2g_len == 0 && !(c->our_shut & VSK_FLAG_SHUTDOWN_SEND) &&
	    !(c->shut_bits & VSK_FLAG_SHUTDOWN_SEND)) {
		c->shut_bits |= VSK_FLAG_SHUTDOWN_SEND;
		c->pending |= VD_P_SHUTDOWN;
	}
	/* the guest closed its socket and got all we owed the host program: RST ends it */
	if ((c->peer_shut & SHUT_BOTH) == SHUT_BOTH && c->g2h_len == 0) {
		close_fd(c);
		c->state = VD_CLOSING;
		c->pending = VD_P_RST;
		return;
	}
	/* both directions done, or the host program closed its socket (as close(2) on a
	 * vsock socket): full SHUTDOWN, then wait for the guest's RST */
	bool guest_done = c->peer_shut & VSK_FLAG_SHUTDOWN_SEND && c->g2h_len == 0;
	bool host_done = (c->uds_eof && c->h2g_len == 0) || c->peer_shut & VSK_FLAG_SHUTDOWN_RCV;

	if ((guest_done && host_done) || (c->uds_closed && c->h2g_len == 0)) {
		close_fd(c);
		c->state = VD_CLOSING;
		c->shut_bits = SHUT_BOTH;
		c->pending = (c->pending & VD_P_CREDIT) | VD_P_SHUTDOWN;
		c->g2h_len = c->g2h_off = 0;
		c->deadline = vd_mut(vd, NO_CLOSE_TIMEOUT) ? 0 : vd_now_ms() + VD_CLOSE_MS;
		return;
	}
	/* a CREDIT_UPDATE when lib's policy (vsk/credit.h) says: the host program took all we
	 * held, or the guest's view of our space is low within the window it can use (its own
	 * buf_alloc caps what it sends: the fix of CVE-2026-23086) */
	const struct vsk_credit_rx rx = {
		.buf_alloc = VD_BUF_ALLOC, .peer_buf_alloc = c->peer_buf_alloc,
		.rx_cnt = c->rx_cnt, .fwd_cnt = c->fwd_cnt, .adv_fwd_cnt = c->fwd_cnt_adv,
	};
	bool due;

	if (vd_mut(vd, NO_CREDIT_UPDATE))
		return;
	/* --mutate late_credit_update: the policy before 2026-12, an update only when the
	 * guest's view of our whole 1 MiB falls below one packet */
	if (vd_mut(vd, LATE_CREDIT_UPDATE))
		due = c->fwd_cnt != c->fwd_cnt_adv &&
		      vsk_credit_view_free(VD_BUF_ALLOC, c->rx_cnt, c->fwd_cnt_adv) < VSK_MAX_PKT_BUF_SIZE;
	else
		due = vsk_credit_update_due(&rx);
	if (due)
		c->pending |= VD_P_CREDIT;
}

static bool wants_rx(const struct vd *vd, const struct vd_conn *c)
{
	return (c->pending & (VD_P_RST | VD_P_REQUEST | VD_P_RESPONSE | VD_P_SHUTDOWN |
			      VD_P_CREDIT)) || can_send_data(vd, c);
}

void vd_dev_reset_all(struct vd *vd)
{
	while (vd->nconn)
		vd_conn_free(vd, vd->conn[vd->nconn - 1]);
	vd->ctrl_len = vd->ctrl_head = 0;
	if (vd->relay)
		vd_relay_reset(vd);
}

int vd_dev_next_timer(struct vd *vd)
{
	uint64_t now = vd_now_ms(), best = UINT64_MAX;

	for (unsigned i = 0; i < vd->nconn; i++)
		if (vd->conn[i]->deadline && vd->conn[i]->deadline < best)
			best = vd->conn[i]->deadline;
	if (best == UINT64_MAX)
		return -1;
	return best <= now ? 0 : (int)(best - now > 60000 ? 60000 : best - now);
}

void vd_dev_timers(struct vd *vd)
{
	uint64_t now = vd_now_ms();

	for (unsigned i = 0; i < vd->nconn; i++) {
		struct vd_conn *c = vd->conn[i];

		if (!c->deadline || c->deadline > now)
			continue;
		c->deadline = 0;
		if (c->state == VD_CONNECTING) {
			vd_conn_reset(vd, c, "the guest did not answer the REQUEST");
		} else if (c->state == VD_CLOSING) {
			c->pending = VD_P_RST;   /* no RST from the guest: ours ends it */
		}
		return;    /* the table may have changed; the rest at the next call */
	}
}

/* ---- packets ---- */

static void hdr_for(const struct vd *vd, const struct vd_conn *c, uint16_t op,
		    struct vsk_virtio_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = VSK_CID_HOST;
	h->dst_cid = vd->cid;
	h->src_port = c->local_port;
	h->dst_port = c->peer_port;
	h->type = c->type;
	h->op = op;
	h->buf_alloc = VD_BUF_ALLOC;
	h->fwd_cnt = c->fwd_cnt;
}

/* An RST answering packet h, for which there is no connection. */
static void reply_rst(struct vd *vd, const struct vsk_virtio_hdr *h)
{
	struct vsk_virtio_hdr r = {
		.src_cid = VSK_CID_HOST, .dst_cid = vd->cid, .src_port = h->dst_port,
		.dst_port = h->src_port, .type = h->type, .op = VSK_OP_RST,
	};

	if (h->op == VSK_OP_RST)
		return;
	if (vd->ctrl_len == VD_CTRLQ) {
		vd->dropped++;
		return;
	}
	vd->ctrlq[(vd->ctrl_head + vd->ctrl_len++) % VD_CTRLQ].h = r;
}

static void guest_packet(struct vd *vd, const struct vsk_virtio_hdr *h, const uint8_t *payload,
			 size_t plen)
{
	struct vd_conn *c;

	/* Socket Device: Device Operation: the driver MUST use guest_cid as source */
	if (h->src_cid != vd->cid && !vd_mut(vd, ACCEPT_ANY_SRC_CID)) {
		vd_log(vd, 1, "tx: packet from CID %llu, not the guest's %llu: dropped",
		       (unsigned long long)h->src_cid, (unsigned long long)vd->cid);
		vd->dropped++;
		return;
	}
	/* only the host is reachable through this device: others are dropped, as Linux's
	 * vhost-vsock does (correctly addressed packets only) */
	if (h->dst_cid != VSK_CID_HOST) {
		vd_log(vd, 1, "tx: packet to CID %llu, not the host: dropped",
		       (unsigned long long)h->dst_cid);
		vd->dropped++;
		return;
	}
	/* Socket Device: Receive and Transmit: an unknown (or unnegotiated) type gets RST */
	if (h->type != VSK_TYPE_STREAM &&
	    !(h->type == VSK_TYPE_SEQPACKET && vd->features & (1ULL << VSK_FEATURE_SEQPACKET))) {
		if (!vd_mut(vd, NO_RST_UNKNOWN_TYPE))
			reply_rst(vd, h);
		return;
	}
	c = vd_conn_find(vd, h->dst_port, h->src_port);
	if (h->op == VSK_OP_REQUEST) {
		if (c && vd_mut(vd, DUP_REQUEST)) {
			c->pending |= VD_P_RESPONSE;
			return;
		}
		if (c) {
			vd_conn_reset(vd, c, "REQUEST on an open connection");
			return;
		}
		if (vd_hybrid_dial(vd, h) < 0 && !vd_mut(vd, NO_RST_NO_LISTENER))
			reply_rst(vd, h);
		return;
	}
	if (!c || c->state == VD_HANDSHAKE) {
		if (!(vd_mut(vd, RESPONSE_TO_NOBODY) && h->op == VSK_OP_RESPONSE) &&
		    !(vd_mut(vd, NO_RST_UNKNOWN_OP) && !vsk_table_find(&vsk_tab_op, h->op)))
			reply_rst(vd, h);
		return;
	}
	if (h->type != c->type) {
		if (h->op != VSK_OP_RST)
			vd_conn_reset(vd, c, "packet of another type");
		else
			vd_conn_free(vd, c);
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSK_OP_RESPONSE:
		if (c->state != VD_CONNECTING || c->pending & VD_P_REQUEST) {
			vd_conn_reset(vd, c, "RESPONSE without our REQUEST");
			return;
		}
		c->state = VD_ESTABLISHED;
		c->deadline = 0;
		if (vd_hybrid_ok(vd, c) < 0)
			return;
		break;
	case VSK_OP_RST:
		if (c->state == VD_CONNECTING)
			vd_log(vd, 1, "guest port %u refused host port %u", c->peer_port,
			       c->local_port);
		/* --mutate rst_connects: the refusal is taken for an acceptance */
		if (c->state == VD_CONNECTING && vd_mut(vd, RST_CONNECTS) &&
		    vd_hybrid_ok(vd, c) < 0)
			return;
		vd_conn_free(vd, c);
		return;
	case VSK_OP_SHUTDOWN:
		if (vd_mut(vd, SHUTDOWN_CLEARS))
			c->peer_shut = h->flags & SHUT_BOTH;
		else
			c->peer_shut |= h->flags & SHUT_BOTH;
		if (c->state == VD_CLOSING && (c->peer_shut & SHUT_BOTH) == SHUT_BOTH &&
		    !(c->pending & VD_P_RST)) {
			c->pending = VD_P_RST;
			return;
		}
		break;
	case VSK_OP_RW:
		if (c->state != VD_ESTABLISHED || c->peer_shut & VSK_FLAG_SHUTDOWN_SEND) {
			if (c->state != VD_CLOSING)
				vd_conn_reset(vd, c, c->state == VD_ESTABLISHED ?
					      "RW after the guest's SHUTDOWN SEND" :
					      "RW before the connection was established");
			return;
		}
		if (plen > VD_BUF_ALLOC - c->g2h_len) {
			vd_conn_reset(vd, c, "RW beyond the credit we gave");
			return;
		}
		if (!c->g2h && !(c->g2h = malloc(VD_BUF_ALLOC))) {
			vd_conn_reset(vd, c, "out of memory");
			return;
		}
		if (c->g2h_off + c->g2h_len + plen > VD_BUF_ALLOC) {
			memmove(c->g2h, c->g2h + c->g2h_off, c->g2h_len);
			c->g2h_off = 0;
		}
		/* --mutate zero_rw_eof: an empty RW taken for the end of the stream */
		if (plen == 0 && vd_mut(vd, ZERO_RW_EOF))
			c->peer_shut |= VSK_FLAG_SHUTDOWN_SEND;
		memcpy(c->g2h + c->g2h_off + c->g2h_len, payload, plen);
		c->g2h_len += plen;
		c->rx_cnt += (uint32_t)plen;
		if (c->type == VSK_TYPE_SEQPACKET) {
			/* Seqpacket Sockets: EOM ends a message; it becomes one send() */
			c->msg_open += plen;
			if (h->flags & VSK_FLAG_SEQ_EOM && !vd_mut(vd, IGNORE_EOM)) {
				if (c->msg_n == VD_MAX_MSGS) {
					vd_conn_reset(vd, c, "too many messages held");
					return;
				}
				c->msg_len[(c->msg_head + c->msg_n++) % VD_MAX_MSGS] =
					(uint32_t)c->msg_open;
				c->msg_open = 0;
			}
		}
		break;
	case VSK_OP_CREDIT_UPDATE:
		break;
	case VSK_OP_CREDIT_REQUEST:
		if (!vd_mut(vd, NO_CREDIT_REPLY))
			c->pending |= VD_P_CREDIT;
		break;
	default:
		/* --mutate unknown_op_rst_only: RST, but the connection stays */
		if (vd_mut(vd, UNKNOWN_OP_RST_ONLY)) {
			reply_rst(vd, h);
			return;
		}
		vd_conn_reset(vd, c, "unknown op");
		return;
	}
	vd_conn_update(vd, c);
}

static void ring_broken(struct vd *vd, unsigned q)
{
	struct vd_vq *v = &vd->vq[q];
	const struct vsk_ring_rule_info *r = &vsk_ring_rules[v->q.broken];

	vd_log(vd, 0, "%s queue: the driver broke ring rule %s (%s: %s): %s; queue stopped",
	       qname[q], r->name, r->clause, r->text, v->q.detail);
	v->stopped = true;
}

static bool ready(const struct vd_vq *v)
{
	return v->started && v->enabled && !v->stopped;
}

static uint8_t pkt_buf[VSK_MAX_PKT_BUF_SIZE];

/* The 44 header bytes of a packet as lib/decode.c reads them, framed as Linux's vsockmon
 * tap would (so capture, check and device read the same fields). */
static void hdr_decode(const uint8_t raw[VSK_VIRTIO_HDR_LEN], struct vsk_virtio_hdr *h)
{
	uint8_t frame[VSK_FRAME_HDR_LEN] = {0};
	struct vsk_pkt pkt;

	memcpy(frame + VSK_MON_HDR_LEN, raw, VSK_VIRTIO_HDR_LEN);
	frame[VSK_MON_OFF_TRANSPORT] = VSK_TRANSPORT_VIRTIO;
	frame[VSK_MON_OFF_LEN] = VSK_VIRTIO_HDR_LEN;
	vsk_decode(frame, sizeof(frame), sizeof(frame), &pkt);
	*h = pkt.hdr;
}

/* One chain from tx: the header (hdr_decode), the payload, then the packet's effect.  A
 * chain too short for its header or its len is dropped. */
static void tx_chain(struct vd *vd, const struct vd_vq *v, const struct vsk_vq_chain *ch)
{
	uint8_t raw[VSK_VIRTIO_HDR_LEN];
	struct vsk_virtio_hdr h;
	struct vsk_vq_chain one;
	size_t plen;

	if (vd_mut(vd, TX_ONE_BUFFER) && ch->nseg > 1 && !ch->seg[0].write) {
		/* --mutate tx_one_buffer: the packet is taken to be the first descriptor */
		one = *ch;
		one.nseg = 1;
		one.rlen = ch->seg[0].len;
		one.wlen = 0;
		ch = &one;
	}

	if (vsk_vq_dev_read(&v->q, ch, 0, raw, VSK_VIRTIO_HDR_LEN) != VSK_VIRTIO_HDR_LEN) {
		vd_log(vd, 1, "tx: chain of %llu readable bytes: no header; dropped",
		       (unsigned long long)ch->rlen);
		vd->dropped++;
		return;
	}
	hdr_decode(raw, &h);
	if (h.len > VSK_MAX_PKT_BUF_SIZE || h.len > ch->rlen - VSK_VIRTIO_HDR_LEN) {
		vd_log(vd, 0, "tx: packet len %u beyond its %llu-byte chain or 64 KiB; dropped",
		       h.len, (unsigned long long)ch->rlen);
		vd->dropped++;
		return;
	}
	plen = vsk_vq_dev_read(&v->q, ch, VSK_VIRTIO_HDR_LEN, pkt_buf, h.len);
	vd->tx_pkts++;
	vd_capture_packet(vd, &h, pkt_buf, plen);
	if (vd->relay)
		vd_relay_from_guest(vd, raw, pkt_buf, plen);
	else
		guest_packet(vd, &h, pkt_buf, plen);
}

/* Takes every packet the guest made available on tx (while replies have room). */
static bool tx_process(struct vd *vd)
{
	struct vd_vq *v = &vd->vq[VSK_VQ_TX];
	struct vsk_vq_chain ch;
	bool progress = false;
	int rc;

	while (ready(v) && vd->ctrl_len < VD_CTRLQ && (!vd->relay || vd_relay_tx_room(vd))) {
		if ((rc = vsk_vq_dev_pop(&v->q, &ch)) < 0) {
			ring_broken(vd, VSK_VQ_TX);
			break;
		}
		if (rc == 0)
			break;
		progress = true;
		tx_chain(vd, v, &ch);
		if (vsk_vq_dev_push(&v->q, ch.head, 0) < 0) {
			ring_broken(vd, VSK_VQ_TX);
			break;
		}
		v->need_call = true;
	}
	return progress;
}

/* --relay: the client's packet rp (header and payload) into the rx buffer ch as it is,
 * cut to the buffer if it is longer (the client hears of it). */
static void relay_rx(struct vd *vd, struct vd_vq *v, const struct vsk_vq_chain *ch,
		     const uint8_t *rp, size_t rlen)
{
	struct vsk_virtio_hdr h;
	size_t n = rlen < ch->wlen ? rlen : (size_t)ch->wlen;

	if (vsk_vq_dev_write(&v->q, ch, 0, rp, n) != n)
		vd_log(vd, 0, "rx: short write into a %llu-byte buffer",
		       (unsigned long long)ch->wlen);
	if (vsk_vq_dev_push(&v->q, ch->head, (uint32_t)n) < 0) {
		ring_broken(vd, VSK_VQ_RX);
		return;
	}
	v->need_call = true;
	vd->rx_pkts++;
	if (vd->cap || vd->verbose >= 3) {   /* the only use of the decode: no per-packet cost
					      * without --capture, --check or -vvv */
		hdr_decode(rp, &h);
		vd_capture_packet(vd, &h, rp + VSK_VIRTIO_HDR_LEN, n - VSK_VIRTIO_HDR_LEN);
	}
	vd_relay_placed(vd, ch->wlen, n);
}

/* Fills rx buffers with what is due: replies without a connection, then connections'
 * control packets and data, round robin. */
static bool rx_fill(struct vd *vd)
{
	struct vd_vq *v = &vd->vq[VSK_VQ_RX];
	struct vsk_vq_chain ch;
	bool progress = false;
	int rc;

	while (ready(v)) {
		struct vd_conn *c = NULL;
		const uint8_t *rp = NULL;
		size_t rlen = 0;
		struct vsk_virtio_hdr h;
		uint8_t raw[VSK_VIRTIO_HDR_LEN];
		const uint8_t *payload = NULL;
		size_t plen = 0;

		if (vd->relay) {
			if (!(rp = vd_relay_next(vd, &rlen)))
				break;
		} else if (!vd->ctrl_len) {
			for (unsigned i = 0; i < vd->nconn && !c; i++) {
				unsigned k = (vd->rr + i) % vd->nconn;

				if (wants_rx(vd, vd->conn[k])) {
					c = vd->conn[k];
					vd->rr = (k + 1) % vd->nconn;
				}
			}
			if (!c)
				break;
		}
		if (!vsk_vq_dev_pending(&v->q)) {
			if (vd->relay)
				vd_relay_starved(vd);
			break;
		}
		if ((rc = vsk_vq_dev_pop(&v->q, &ch)) < 0) {
			ring_broken(vd, VSK_VQ_RX);
			break;
		}
		if (rc == 0)
			break;
		progress = true;
		if (vd_mut(vd, RX_ONE_BUFFER) && ch.nseg > 0) {
			/* --mutate rx_one_buffer: header and payload in the first descriptor */
			ch.nseg = 1;
			ch.wlen = ch.seg[0].write ? ch.seg[0].len : 0;
		}
		if (ch.wlen < VSK_VIRTIO_HDR_LEN) {
			vd_log(vd, 1, "rx: buffer of %llu writable bytes: returned unused",
			       (unsigned long long)ch.wlen);
			if (vsk_vq_dev_push(&v->q, ch.head, 0) < 0) {
				ring_broken(vd, VSK_VQ_RX);
				break;
			}
			v->need_call = true;
			continue;
		}
		if (vd->relay) {
			relay_rx(vd, v, &ch, rp, rlen);
			continue;
		}
		if (!c) {
			h = vd->ctrlq[vd->ctrl_head].h;
			vd->ctrl_head = (vd->ctrl_head + 1) % VD_CTRLQ;
			vd->ctrl_len--;
		} else if (c->pending & VD_P_RST) {
			hdr_for(vd, c, VSK_OP_RST, &h);
		} else if (c->pending & VD_P_REQUEST) {
			hdr_for(vd, c, VSK_OP_REQUEST, &h);
			c->pending &= ~(unsigned)VD_P_REQUEST;
		} else if (c->pending & VD_P_RESPONSE) {
			hdr_for(vd, c, VSK_OP_RESPONSE, &h);
			c->pending &= ~(unsigned)VD_P_RESPONSE;
		} else if (can_send_data(vd, c)) {
			uint64_t room = ch.wlen - VSK_VIRTIO_HDR_LEN;
			uint32_t credit = peer_credit(vd, c);

			plen = c->h2g_len;
			if (plen > credit)
				plen = credit;
			if (plen > room)
				plen = (size_t)room;
			if (plen > VSK_MAX_PKT_BUF_SIZE)
				plen = VSK_MAX_PKT_BUF_SIZE;
			hdr_for(vd, c, VSK_OP_RW, &h);
			h.len = (uint32_t)plen;
			/* h2g holds one whole message of a seqpacket connection */
			if (c->type == VSK_TYPE_SEQPACKET && plen == c->h2g_len &&
			    !vd_mut(vd, IGNORE_EOM))
				h.flags = VSK_FLAG_SEQ_EOM;
			payload = c->h2g + c->h2g_off;
		} else if (c->pending & VD_P_SHUTDOWN) {
			hdr_for(vd, c, VSK_OP_SHUTDOWN, &h);
			h.flags = c->shut_bits;
			c->our_shut |= c->shut_bits;
			c->pending &= ~(unsigned)VD_P_SHUTDOWN;
		} else {
			hdr_for(vd, c, VSK_OP_CREDIT_UPDATE, &h);
		}
		if (c) {
			/* every packet carries fwd_cnt: it is a credit update too */
			c->fwd_cnt_adv = c->fwd_cnt;
			c->pending &= ~(unsigned)VD_P_CREDIT;
		}
		vsk_encode_virtio(raw, &h);
		if (vsk_vq_dev_write(&v->q, &ch, 0, raw, sizeof(raw)) != sizeof(raw) ||
		    (plen &&
		     vsk_vq_dev_write(&v->q, &ch, VSK_VIRTIO_HDR_LEN, payload, plen) != plen)) {
			/* cannot happen: wlen was checked; treat as a broken ring */
			vd_log(vd, 0, "rx: short write into a %llu-byte buffer",
			       (unsigned long long)ch.wlen);
		}
		if (vsk_vq_dev_push(&v->q, ch.head, (uint32_t)(VSK_VIRTIO_HDR_LEN + plen)) < 0) {
			ring_broken(vd, VSK_VQ_RX);
			break;
		}
		v->need_call = true;
		vd->rx_pkts++;
		vd_capture_packet(vd, &h, payload, plen);
		if (!c)
			continue;
		if (h.op == VSK_OP_RST) {
			vd_conn_free(vd, c);
			continue;
		}
		if (h.op == VSK_OP_RW) {
			c->tx_cnt += (uint32_t)plen;
			c->h2g_off += plen;
			c->h2g_len -= plen;
			if (!c->h2g_len)
				c->h2g_off = 0;
		}
		vd_conn_update(vd, c);
	}
	return progress;
}

static void signal_guest(struct vd *vd, unsigned q)
{
	struct vd_vq *v = &vd->vq[q];
	uint64_t one = 1;

	if (!v->need_call || v->stopped || !v->started)
		return;
	v->need_call = false;
	if (vsk_vq_dev_no_interrupt(&v->q) || v->call < 0)
		return;
	if (write(v->call, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vd_log(vd, 0, "%s queue: call: %s", qname[q], strerror(errno));
}

void vd_dev_run(struct vd *vd)
{
	for (int round = 0; round < 1024; round++) {
		bool p = tx_process(vd);

		p |= rx_fill(vd);
		if (!p)
			break;
	}
	signal_guest(vd, VSK_VQ_TX);
	signal_guest(vd, VSK_VQ_RX);
}

void vd_dev_kick(struct vd *vd, unsigned q)
{
	uint64_t n;

	if (read(vd->vq[q].kick, &n, sizeof(n)) < 0 && errno != EAGAIN)
		vd_log(vd, 0, "%s queue: kick: %s", qname[q], strerror(errno));
}

void vd_dev_queue_update(struct vd *vd, unsigned q)
{
	struct vd_vq *v = &vd->vq[q];
	struct vsk_vq_addr a = { .num = v->num };

	if (v->started)
		return;    /* QEMU changes a ring only while it is stopped */
	if (!v->addr_set || !v->num || v->kick < 0 || !vd->mem.n)
		return;
	if (vd_mem_uva_to_gpa(&vd->mem, v->desc, vsk_vq_desc_size(v->num), &a.desc) ||
	    vd_mem_uva_to_gpa(&vd->mem, v->avail, vsk_vq_avail_size(v->num), &a.avail) ||
	    vd_mem_uva_to_gpa(&vd->mem, v->used, vsk_vq_used_size(v->num), &a.used)) {
		vd_log(vd, 0, "%s queue: ring addresses outside the memory table; queue stopped",
		       qname[q]);
		v->stopped = true;
		v->started = true;
		return;
	}
	v->started = true;
	v->stopped = false;
	if (vsk_vq_dev_init(&v->q, &vd->mem.mem, &a, vd->features) < 0) {
		ring_broken(vd, q);
		return;
	}
	v->q.last_avail = v->q.used_idx = v->base;
	vd_log(vd, 1, "%s queue: %u entries, starting at %u", qname[q], v->num, v->base);
}

uint16_t vd_dev_queue_stop(struct vd *vd, unsigned q)
{
	struct vd_vq *v = &vd->vq[q];
	uint16_t base = v->started ? v->q.last_avail : v->base;

	v->started = v->stopped = false;
	v->base = base;
	if (v->kick >= 0)
		close(v->kick);
	v->kick = -1;
	/* the driver resets its sockets with the device */
	vd_dev_reset_all(vd);
	return base;
}
