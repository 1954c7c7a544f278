/* hybrid.c - the host side of vsockdev: hybrid vsock as Firecracker, Cloud Hypervisor and
 * vhost-device-vsock do it (reference/vsock-facts.md D.3).
 *   - host-initiated: a program connects to UDSPATH and sends "CONNECT <port>\n" (keyword
 *     in any case, lib/hybrid.c); we send REQUEST to the guest's port from a fresh host
 *     port (from 2^30 up, as Firecracker) and answer "OK <host port>\n" once the guest's
 *     RESPONSE came, or close the socket on its RST.  Bytes sent right after the newline
 *     are kept and become the stream's first bytes (vhost-device-vsock loses them, #874).
 *   - guest-initiated: the guest's REQUEST to host port P connects to UDSPATH_P.
 * Half-close passes both ways (vd_conn_update in device.c). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsk/sbuf.h"
#include "vsk/unixsock.h"

#include "vsockdev.h"

#define VD_FIRST_PORT (1u << 30)

int vd_hybrid_listen(struct vd *vd)
{
	/* a socket left by an earlier run is replaced; any other file is not touched */
	int s = vsk_unix_listen(vd->uds_path, SOCK_STREAM | SOCK_NONBLOCK, 128);

	if (s < 0) {
		vd_log(vd, 0, "%s: %s", vd->uds_path, strerror(-s));
		return -1;
	}
	vd->uds_fd = s;
	return 0;
}

void vd_hybrid_accept(struct vd *vd)
{
	struct vd_conn *c;
	int s = accept4(vd->uds_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (s < 0) {
		if (errno != EAGAIN && errno != EINTR)
			vd_log(vd, 0, "%s: accept: %s", vd->uds_path, strerror(errno));
		return;
	}
	if (!(c = vd_conn_new(vd, 0, 0))) {
		vd_log(vd, 0, "%s: %u connections: refusing another", vd->uds_path, VD_MAX_CONNS);
		close(s);
		return;
	}
	c->state = VD_HANDSHAKE;
	c->type = VSK_TYPE_STREAM;
	c->host_initiated = true;
	c->fd = s;
}

static uint32_t free_port(struct vd *vd, uint32_t peer_port)
{
	for (;;) {
		uint32_t p = vd->next_port++;

		if (vd->next_port == 0)
			vd->next_port = VD_FIRST_PORT;
		if (p >= VD_FIRST_PORT && !vd_conn_find(vd, p, peer_port))
			return p;
	}
}

/* Reads the CONNECT line; the bytes after it are the stream's first bytes. */
static void handshake(struct vd *vd, struct vd_conn *c)
{
	ssize_t r = recv(c->fd, c->line + c->line_len, sizeof(c->line) - c->line_len, 0);
	uint32_t port;
	size_t used;
	int rc;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		vd_log(vd, 1, "%s: host program left before its CONNECT line", vd->uds_path);
		vd_conn_free(vd, c);
		return;
	}
	c->line_len += (size_t)r;
	rc = vsk_hybrid_parse_connect(c->line, c->line_len, &port, &used);
	if (rc == 0)
		return;
	if (rc < 0) {
		char shown[VSK_HYBRID_SHOWN_MAX];

		vd_log(vd, 1, "%s: bad CONNECT line '%s'", vd->uds_path,
		       vsk_hybrid_shown(shown, c->line, c->line_len));
		vd_conn_free(vd, c);
		return;
	}
	c->peer_port = port;
	c->local_port = free_port(vd, port);
	memcpy(c->h2g, c->line + used, c->line_len - used);
	c->h2g_len = c->line_len - used;
	c->state = VD_CONNECTING;
	c->pending |= VD_P_REQUEST;
	c->deadline = vd_now_ms() + 5000;
	vd_log(vd, 1, "host program: CONNECT %u from host port %u", port, c->local_port);
}

int vd_hybrid_ok(struct vd *vd, struct vd_conn *c)
{
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t n = vsk_hybrid_build_ok(line, sizeof(line), c->local_port);

	if (c->fd < 0 || send(c->fd, line, n, MSG_NOSIGNAL) != (ssize_t)n) {
		vd_conn_reset(vd, c, "the host program left before OK");
		return -1;
	}
	vd_log(vd, 1, "connection %u:%u established (host port %u)", (unsigned)vd->cid,
	       c->peer_port, c->local_port);
	return 0;
}

int vd_hybrid_dial(struct vd *vd, const struct vsk_virtio_hdr *h)
{
	char path[VSK_UNIX_PATH_MAX];
	int st = h->type == VSK_TYPE_SEQPACKET ? SOCK_SEQPACKET : SOCK_STREAM;
	struct vd_conn *c;
	int s;

	/* main.c checked that --uds leaves room for the _<port> */
	if ((s = vsk_hybrid_port_path(path, sizeof(path), vd->uds_path, h->dst_port)) < 0)
		return -1;
	/* a seqpacket connection goes to a SOCK_SEQPACKET listener (one message per
	 * send and recv); a listener of the other type refuses it (EPROTOTYPE).  A UNIX
	 * connect completes at once, or fails (EAGAIN: the backlog is full). */
	s = vsk_unix_connect(path, st | SOCK_NONBLOCK);
	if (s == -EPROTOTYPE && vd_mut(vd, ACCEPT_TYPE_MISMATCH))
		/* --mutate accept_type_mismatch: a listener of the other type takes it */
		s = vsk_unix_connect(path, (st == SOCK_STREAM ? SOCK_SEQPACKET : SOCK_STREAM) |
				     SOCK_NONBLOCK);
	if (s < 0) {
		vd_log(vd, 1, "guest port %u to host port %u: %s: %s", h->src_port, h->dst_port,
		       path, strerror(-s));
		return -1;
	}
	if (!(c = vd_conn_new(vd, h->dst_port, h->src_port))) {
		close(s);
		return -1;
	}
	c->fd = s;
	c->type = h->type;
	c->state = VD_ESTABLISHED;
	c->pending = VD_P_RESPONSE;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	vd_log(vd, 1, "connection %u:%u established (host port %u, %s)", (unsigned)vd->cid,
	       c->peer_port, c->local_port, path);
	return 0;
}

/* After its EOF, a POLLHUP says the host program closed its socket (or shut its reading
 * side too) rather than only shut its sending side: the guest hears a close (full
 * SHUTDOWN, vd_conn_update).  Not when we shut a side of our own: then POLLHUP is ours. */
static bool program_left(const struct vd_conn *c)
{
	return c->uds_eof && !c->uds_closed && !c->uds_wr_shut && !c->uds_rd_shut;
}

/* The host program closed its socket (POLLHUP, see program_left): true if the
 * connection is gone (--mutate close_silent: it just ends, nothing to the guest). */
static bool program_closed(struct vd *vd, struct vd_conn *c, short revents)
{
	if (!(revents & POLLHUP) || !program_left(c))
		return false;
	if (vd_mut(vd, CLOSE_SILENT)) {
		vd_conn_free(vd, c);
		return true;
	}
	c->uds_closed = true;
	return false;
}

short vd_conn_events(const struct vd_conn *c)
{
	short ev = 0;

	if (c->fd < 0)
		return 0;
	if (c->state == VD_HANDSHAKE)
		return POLLIN;
	if (c->state != VD_CONNECTING && c->state != VD_ESTABLISHED)
		return 0;
	if (!c->uds_eof && c->h2g_len < VD_H2G_BUF &&
	    !(c->peer_shut & VSK_FLAG_SHUTDOWN_RCV) && !(c->our_shut & VSK_FLAG_SHUTDOWN_SEND) &&
	    (c->type == VSK_TYPE_STREAM || c->h2g_len == 0))
		ev |= POLLIN;
	if (c->type == VSK_TYPE_STREAM ? c->g2h_len > 0 : c->msg_n > 0)
		ev |= POLLOUT;
	/* poll reports POLLHUP whatever is asked: asking for it keeps the socket in the
	 * poll set to see the program's close after its EOF */
	if (!ev && c->state == VD_ESTABLISHED && program_left(c))
		ev = POLLHUP;
	return ev;
}

/* Seqpacket: whole messages each way; a message from the host program larger than
 * VD_H2G_BUF cannot be carried whole and resets the connection. */
static void seq_io(struct vd *vd, struct vd_conn *c, short ev, short revents)
{
	while (ev & POLLOUT && revents & (POLLOUT | POLLERR | POLLHUP) && c->msg_n) {
		size_t len = c->msg_len[c->msg_head];
		ssize_t w = send(c->fd, c->g2h + c->g2h_off, len, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (w != (ssize_t)len) {
			vd_conn_reset(vd, c, w < 0 ? strerror(errno) : "message cut");
			return;
		}
		c->g2h_off += len;
		c->g2h_len -= len;
		c->fwd_cnt += (uint32_t)len;
		c->msg_head = (c->msg_head + 1) % VD_MAX_MSGS;
		c->msg_n--;
		if (!c->g2h_len)
			c->g2h_off = 0;
	}
	if (ev & POLLIN && revents & (POLLIN | POLLERR | POLLHUP) && !c->h2g_len) {
		struct iovec iov = { .iov_base = c->h2g, .iov_len = VD_H2G_BUF };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t r = recvmsg(c->fd, &mh, 0);

		/* a zero-length message cannot be told from end of file: both end it */
		if (r == 0) {
			c->uds_eof = true;
		} else if (r > 0) {
			if (mh.msg_flags & MSG_TRUNC) {
				vd_conn_reset(vd, c, "a message over 64 KiB from the host program");
				return;
			}
			c->h2g_off = 0;
			c->h2g_len = (size_t)r;
		} else if (errno != EAGAIN && errno != EINTR) {
			vd_conn_reset(vd, c, strerror(errno));
			return;
		}
	}
	if (program_closed(vd, c, revents))
		return;
	vd_conn_update(vd, c);
}

void vd_conn_io(struct vd *vd, struct vd_conn *c, short revents)
{
	short ev = vd_conn_events(c);

	if (c->state == VD_HANDSHAKE) {
		handshake(vd, c);
		return;
	}
	if (c->type == VSK_TYPE_SEQPACKET) {
		seq_io(vd, c, ev, revents);
		return;
	}
	if (ev & POLLOUT && revents & (POLLOUT | POLLERR | POLLHUP)) {
		ssize_t w = send(c->fd, c->g2h + c->g2h_off, c->g2h_len, MSG_NOSIGNAL);

		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			vd_conn_reset(vd, c, strerror(errno));
			return;
		}
		if (w > 0) {
			c->g2h_off += (size_t)w;
			c->g2h_len -= (size_t)w;
			c->fwd_cnt += (uint32_t)w;
			if (!c->g2h_len)
				c->g2h_off = 0;
		}
	}
	if (ev & POLLIN && revents & (POLLIN | POLLERR | POLLHUP)) {
		ssize_t r;

		if (c->h2g_off && c->h2g_off + c->h2g_len == VD_H2G_BUF) {
			memmove(c->h2g, c->h2g + c->h2g_off, c->h2g_len);
			c->h2g_off = 0;
		}
		r = recv(c->fd, c->h2g + c->h2g_off + c->h2g_len,
			 VD_H2G_BUF - c->h2g_off - c->h2g_len, 0);
		if (r == 0)
			c->uds_eof = true;
		else if (r > 0)
			c->h2g_len += (size_t)r;
		else if (errno != EAGAIN && errno != EINTR) {
			vd_conn_reset(vd, c, strerror(errno));
			return;
		}
	}
	if (program_closed(vd, c, revents))
		return;
	vd_conn_update(vd, c);
}
