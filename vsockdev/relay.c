/* relay.c - --relay PATH: the connection layer replaced by a raw packet relay
 * (lib/vsk/relay.h).  Every packet the guest driver puts on tx goes, header and payload,
 * to the one client connected at PATH; every packet the client sends is placed in the
 * guest's rx queue as it is.  The rings are the device's (device.c: every ring rule
 * enforced), so the client sees the driver exactly at the wire: this is how
 * vsock-conformance --target guest plays the device with a Linux guest as the driver.
 *
 * One client at a time: a new one replaces the old, and what the old one left queued is
 * dropped.  Without a client, the guest's packets are counted and dropped.  The client is
 * told when its packets wait for rx buffers (rx_wait, once per stall), when one was cut
 * to a buffer (rx_short) and when the driver stopped the device (reset).  Flow control:
 * at most VD_RELAY_Q client packets wait for rx buffers (the client's socket is not read
 * meanwhile), and tx is not taken while VD_RELAY_OUT bytes wait for the client. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsk/error.h"
#include "vsk/sbuf.h"
#include "vsk/unixsock.h"
#include "vsockdev.h"

#define VD_RELAY_Q   256               /* client packets waiting for rx buffers */
#define VD_RELAY_OUT (1024u * 1024)     /* bytes for the client before tx waits */
#define VD_RELAY_IN  (VSK_RELAY_HDR_LEN + VSK_RELAY_BODY_MAX)

struct vd_relay_pkt {
	uint32_t len;
	uint8_t b[];
};

struct vd_relay {
	int listen_fd, fd;
	uint8_t in[VD_RELAY_IN];           /* bytes from the client not yet framed */
	size_t in_len;
	struct vsk_sbuf out;               /* frames for the client not yet written */
	size_t out_off;
	struct vd_relay_pkt *q[VD_RELAY_Q];
	unsigned q_head, q_len;
	bool waiting;                      /* rx_wait sent, no packet placed since */
	bool reset_sent;                   /* reset sent, no packet since */
	uint64_t from_guest, to_guest, dropped;
};

int vd_relay_listen(struct vd *vd)
{
	struct vd_relay *r;

	if (!(r = calloc(1, sizeof(*r)))) {
		vd_log(vd, 0, "out of memory");
		return -1;
	}
	r->listen_fd = r->fd = -1;
	vd->relay = r;
	if ((r->listen_fd = vsk_unix_listen(vd->relay_path, SOCK_STREAM, 4)) < 0) {
		vd_log(vd, 0, "--relay %s: %s", vd->relay_path, strerror(-r->listen_fd));
		r->listen_fd = -1;
		return -1;
	}
	return 0;
}

int vd_relay_listen_fd(const struct vd *vd)
{
	return vd->relay ? vd->relay->listen_fd : -1;
}

static void drop_queue(struct vd_relay *r)
{
	while (r->q_len) {
		free(r->q[r->q_head]);
		r->q_head = (r->q_head + 1) % VD_RELAY_Q;
		r->q_len--;
	}
	r->q_head = 0;
	r->waiting = false;
}

static void drop_client(struct vd *vd, const char *why)
{
	struct vd_relay *r = vd->relay;

	if (r->fd < 0)
		return;
	vd_log(vd, 1, "relay: client gone (%s): %llu packets from the guest, %llu to it",
	       why, (unsigned long long)r->from_guest, (unsigned long long)r->to_guest);
	close(r->fd);
	r->fd = -1;
	r->in_len = r->out_off = 0;
	vsk_sbuf_free(&r->out);   /* and its sticky out-of-memory flag: a new client starts clean */
	drop_queue(r);
}

void vd_relay_accept(struct vd *vd)
{
	struct vd_relay *r = vd->relay;
	int fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	drop_client(vd, "a new client replaces it");
	r->fd = fd;
	r->from_guest = r->to_guest = 0;
	r->reset_sent = false;
	vd_log(vd, 1, "relay: client connected");
}

short vd_relay_events(const struct vd *vd)
{
	const struct vd_relay *r = vd->relay;

	if (!r || r->fd < 0)
		return 0;
	return (short)((r->q_len < VD_RELAY_Q ? POLLIN : 0) |
		       (r->out.len > r->out_off ? POLLOUT : 0));
}

int vd_relay_fd(const struct vd *vd)
{
	return vd->relay ? vd->relay->fd : -1;
}

static void put_frame(struct vd *vd, unsigned kind, const void *a, size_t alen, const void *b,
		      size_t blen)
{
	struct vd_relay *r = vd->relay;
	uint8_t h[VSK_RELAY_HDR_LEN];

	if (r->fd < 0)
		return;
	vsk_relay_hdr(h, kind, (uint32_t)(alen + blen));
	vsk_sbuf_put(&r->out, (const char *)h, sizeof(h));
	vsk_sbuf_put(&r->out, a, alen);
	vsk_sbuf_put(&r->out, b, blen);
	if (r->out.oom)
		drop_client(vd, "out of memory");
}

/* Frames from the client's bytes into the queue while it has room. */
static void take_input(struct vd *vd)
{
	struct vd_relay *r = vd->relay;
	size_t off = 0;

	while (r->fd >= 0 && r->q_len < VD_RELAY_Q) {
		struct vsk_relay_frame f;
		struct vd_relay_pkt *p;
		long n = vsk_relay_parse(r->in + off, r->in_len - off, &f);

		if (n == 0)
			break;
		if (n < 0 || f.kind != VSK_RELAY_PKT) {
			vd_log(vd, 0, "relay: client sent %s%s: dropped",
			       n < 0 ? "a bad frame header: " : "a frame only the device sends",
			       n < 0 ? vsk_strerror((int)n) : "");
			drop_client(vd, "bad frame");
			return;
		}
		if (!(p = malloc(sizeof(*p) + f.len))) {
			drop_client(vd, "out of memory");
			return;
		}
		p->len = f.len;
		memcpy(p->b, f.body, f.len);
		r->q[(r->q_head + r->q_len++) % VD_RELAY_Q] = p;
		off += (size_t)n;
	}
	if (r->fd >= 0 && off) {
		memmove(r->in, r->in + off, r->in_len - off);
		r->in_len -= off;
	}
}

void vd_relay_io(struct vd *vd, short revents)
{
	struct vd_relay *r = vd->relay;
	ssize_t n;

	if (revents & POLLOUT && r->out.len > r->out_off) {
		n = send(r->fd, r->out.p + r->out_off, r->out.len - r->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			drop_client(vd, strerror(errno));
			return;
		}
		if (n > 0 && (r->out_off += (size_t)n) == r->out.len) {
			r->out_off = 0;
			vsk_sbuf_reset(&r->out);
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR) && r->q_len < VD_RELAY_Q) {
		n = recv(r->fd, r->in + r->in_len, sizeof(r->in) - r->in_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			drop_client(vd, n == 0 ? "end of file" : strerror(errno));
			return;
		}
		if (n > 0)
			r->in_len += (size_t)n;
		take_input(vd);
	}
}

bool vd_relay_tx_room(const struct vd *vd)
{
	const struct vd_relay *r = vd->relay;

	return r->out.len - r->out_off < VD_RELAY_OUT;
}

void vd_relay_from_guest(struct vd *vd, const uint8_t *hdr, const uint8_t *payload,
			 size_t plen)
{
	struct vd_relay *r = vd->relay;

	if (r->fd < 0) {
		r->dropped++;
		vd->dropped++;
		return;
	}
	r->from_guest++;
	r->reset_sent = false;
	put_frame(vd, VSK_RELAY_PKT, hdr, VSK_VIRTIO_HDR_LEN, payload, plen);
}

const uint8_t *vd_relay_next(const struct vd *vd, size_t *len)
{
	const struct vd_relay *r = vd->relay;

	if (!r || !r->q_len)
		return NULL;
	*len = r->q[r->q_head]->len;
	return r->q[r->q_head]->b;
}

void vd_relay_placed(struct vd *vd, uint64_t wlen, size_t written)
{
	struct vd_relay *r = vd->relay;
	struct vd_relay_pkt *p = r->q[r->q_head];

	/* off the queue first: put_frame may drop the client, and the queue with it */
	r->q_head = (r->q_head + 1) % VD_RELAY_Q;
	r->q_len--;
	if (written < p->len) {
		uint8_t b[VSK_RELAY_SHORT_LEN];

		vsk_relay_short(b, wlen > UINT32_MAX ? UINT32_MAX : (uint32_t)wlen, p->len);
		put_frame(vd, VSK_RELAY_RX_SHORT, b, sizeof(b), NULL, 0);
	}
	free(p);
	r->to_guest++;
	r->waiting = r->reset_sent = false;
	take_input(vd);
}

void vd_relay_starved(struct vd *vd)
{
	struct vd_relay *r = vd->relay;

	if (r->waiting)
		return;
	r->waiting = true;
	put_frame(vd, VSK_RELAY_RX_WAIT, NULL, 0, NULL, 0);
}

void vd_relay_reset(struct vd *vd)
{
	struct vd_relay *r = vd->relay;

	drop_queue(r);
	take_input(vd);
	if (r->reset_sent)
		return;
	r->reset_sent = true;
	put_frame(vd, VSK_RELAY_RESET, NULL, 0, NULL, 0);
}

void vd_relay_close(struct vd *vd)
{
	struct vd_relay *r = vd->relay;

	if (!r)
		return;
	drop_client(vd, "shutting down");
	if (r->listen_fd >= 0) {
		close(r->listen_fd);
		unlink(vd->relay_path);
	}
	vd_log(vd, 1, "relay: %llu guest packets dropped without a client",
	       (unsigned long long)r->dropped);
	vsk_sbuf_free(&r->out);
	free(r);
	vd->relay = NULL;
}
