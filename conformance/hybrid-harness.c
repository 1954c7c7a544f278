/* hybrid-harness.c - the host side of a hybrid vsock socket for the hybrid cases
 * (hybrid-harness.h).  Plain UNIX sockets, non-blocking, every wait a poll bounded by the
 * case's deadline. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vsk/unixsock.h>

#include "fdwait.h"
#include "hybrid-harness.h"

#define ECHO_CHUNK 65536

uint32_t hy_echo_port(const struct hy *h) { return h->o->port; }
uint32_t hy_sink_port(const struct hy *h) { return h->o->port + 1; }
uint32_t hy_report_port(const struct hy *h) { return h->o->port + 2; }
uint32_t hy_dial_port(const struct hy *h) { return h->o->port + 3; }
uint32_t hy_closed_port(const struct hy *h) { return h->o->port + 4; }

bool hy_failed(const struct hy *h)
{
	return h->r->verdict != CF_PASS;
}

/* ---- sockets ---- */

static void timed_out(struct hy *h, const char *what)
{
	hy_fail(h, "timeout", "timeout: %s", what);
}

/* Polls fd for ev until the deadline: 1 ready, 0 deadline (case failed with what,
 * unless what is NULL). */
static int wait_fd(struct hy *h, int fd, short ev, const char *what)
{
	int rc = cf_wait_fd(fd, ev, h->deadline);

	if (rc > 0)
		return 1;
	if (rc < 0)
		hy_fail(h, "harness", "poll: %s", strerror(-rc));
	else if (what)
		timed_out(h, what);
	return 0;
}

int hy_dial(struct hy *h)
{
	int s;

	/* a UNIX connect completes at once or fails (EAGAIN: the backlog is full) */
	while ((s = vsk_unix_connect(h->o->path, SOCK_STREAM | SOCK_NONBLOCK)) == -EAGAIN &&
	       cf_left_ms(h->deadline) > 0)
		poll(NULL, 0, 10);
	if (s < 0)
		hy_fail(h, "socket", "cannot connect to %s: %s", h->o->path,
			s == -EAGAIN ? "its backlog stayed full" : strerror(-s));
	return s < 0 ? -1 : s;
}

int hy_send(struct hy *h, int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t w = send(fd, b, len, MSG_NOSIGNAL);

		if (w > 0) {
			b += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (!wait_fd(h, fd, POLLOUT, "sending"))
			return -ETIMEDOUT;
	}
	return 0;
}

void hy_read_reply(struct hy *h, int fd, struct hy_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	for (;;) {
		uint8_t c;
		ssize_t r = recv(fd, &c, 1, 0);

		if (r == 1) {
			size_t used;
			int rc;

			rep->line[rep->len++] = c;
			rc = vsk_hybrid_parse_ok(rep->line, rep->len, &rep->n, &used);
			if (rc == 1) {
				rep->ans = HY_ANS_OK;
				return;
			}
			if (rc < 0 || c == '\n' || rep->len == sizeof(rep->line)) {
				rep->ans = HY_ANS_BAD;
				return;
			}
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			rep->ans = HY_ANS_CLOSED;
			rep->err = r == 0 ? 0 : errno;
			return;
		}
		if (!wait_fd(h, fd, POLLIN, "no answer to the CONNECT line (neither OK nor a "
			     "close)")) {
			rep->ans = HY_ANS_TIMEOUT;
			return;
		}
	}
}

/* Bytes as C-escaped text. */
static void escape(char *out, size_t cap, const uint8_t *p, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < cap; i++) {
		uint8_t c = p[i];

		if (c == '\n')
			o += (size_t)snprintf(out + o, cap - o, "\\n");
		else if (c == '\r')
			o += (size_t)snprintf(out + o, cap - o, "\\r");
		else if (c == '\t')
			o += (size_t)snprintf(out + o, cap - o, "\\t");
		else if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"')
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
}

const char *hy_reply_str(const struct hy_reply *rep, char *buf, size_t len)
{
	char e[4 * VSK_HYBRID_LINE_MAX + 8];

	escape(e, sizeof(e), rep->line, rep->len);
	switch (rep->ans) {
	case HY_ANS_OK:
	case HY_ANS_BAD:
		snprintf(buf, len, "\"%s\"", e);
		break;
	case HY_ANS_CLOSED:
		snprintf(buf, len, "closed (%s) after %zu bytes%s%s%s",
			 rep->err ? strerror(rep->err) : "EOF", rep->len, rep->len ? " \"" : "",
			 e, rep->len ? "\"" : "");
		break;
	case HY_ANS_TIMEOUT:
		snprintf(buf, len, "no answer%s%s%s", rep->len ? " after \"" : "", e,
			 rep->len ? "\"" : "");
		break;
	}
	return buf;
}

int hy_handshake(struct hy *h, const void *line, size_t len, struct hy_reply *rep)
{
	int fd = hy_dial(h), rc;

	if (fd < 0)
		return -1;
	rc = hy_send(h, fd, line, len);
	if (rc == -ETIMEDOUT) {
		rep->ans = HY_ANS_TIMEOUT;
		rep->len = 0;
		return fd;
	}
	/* a backend that closed while we sent may still have answered: read it */
	hy_read_reply(h, fd, rep);
	return fd;
}

int hy_open(struct hy *h, uint32_t port, const char *what)
{
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t n = vsk_hybrid_build_connect(line, sizeof(line), port);
	struct hy_reply rep;
	char s[160];
	int fd = hy_handshake(h, line, n, &rep);

	if (fd < 0)
		return -1;
	if (rep.ans != HY_ANS_OK) {
		if (rep.ans != HY_ANS_TIMEOUT)
			hy_fail(h, what, "\"CONNECT %u\\n\" answered %s (is the guest service on "
				"port %u running? see vsock-conformance(1))", port,
				hy_reply_str(&rep, s, sizeof(s)), port);
		close(fd);
		return -1;
	}
	return fd;
}

int hy_wait_close(struct hy *h, int fd, size_t *got)
{
	uint8_t b[4096];

	*got = 0;
	for (;;) {
		ssize_t r = recv(fd, b, sizeof(b), 0);

		if (r > 0) {
			*got += (size_t)r;
			return 0;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return 1;
		if (!wait_fd(h, fd, POLLIN, "the backend did not close the connection"))
			return -1;
	}
}

size_t hy_read_n(struct hy *h, int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			break;
		if (!wait_fd(h, fd, POLLIN, NULL))
			break;
	}
	return got;
}

int hy_read_all(struct hy *h, int fd, uint8_t *buf, size_t cap, size_t *total)
{
	uint8_t tmp[4096];

	*total = 0;
	for (;;) {
		size_t room = *total < cap ? cap - *total : 0;
		uint8_t *dst = room ? buf + *total : tmp;
		ssize_t r = recv(fd, dst, room ? room : sizeof(tmp), 0);

		if (r > 0) {
			*total += (size_t)r;
			continue;
		}
		if (r == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (!wait_fd(h, fd, POLLIN, "reading until the end of the stream"))
			return -ETIMEDOUT;
	}
}

/* ---- echo ---- */

struct echo_conn {
	int fd;
	unsigned seed;
	size_t sent, rcvd;
	bool shut, eof;
	int err;                 /* send or recv error (negative errno), 0 if none */
};

/* One round of I/O on c: returns -1 (case failed) on a difference. */
static int echo_io(struct hy *h, struct echo_conn *c, size_t len, bool shut, short rev,
		   const char *rule)
{
	uint8_t buf[ECHO_CHUNK], want[ECHO_CHUNK];

	if (rev & POLLOUT && c->sent < len) {
		size_t n = len - c->sent < sizeof(buf) ? len - c->sent : sizeof(buf);
		ssize_t w;

		cf_pattern(buf, n, c->sent, c->seed);
		w = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (w > 0)
			c->sent += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			c->err = -errno;
	}
	if (shut && c->sent == len && !c->shut) {
		shutdown(c->fd, SHUT_WR);
		c->shut = true;
	}
	if (rev & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);

		if (r > 0) {
			cf_pattern(want, (size_t)r, c->rcvd, c->seed);
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != want[i] || c->rcvd + (size_t)i >= c->sent) {
					hy_fail(h, rule, "echo: byte %zu differs (got 0x%02x, sent "
						"0x%02x)%s", c->rcvd + (size_t)i, buf[i], want[i],
						c->rcvd + (size_t)i >= c->sent ? "; more bytes than "
						"were sent" : "");
					return -1;
				}
			c->rcvd += (size_t)r;
		} else if (r == 0) {
			c->eof = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			c->err = -errno;
			c->eof = true;
		}
	}
	return 0;
}

int hy_echo(struct hy *h, const int *fds, size_t n, size_t len, bool shut, const char *rule)
{
	struct echo_conn *c = calloc(n, sizeof(*c));
	struct pollfd *p = calloc(n, sizeof(*p));
	size_t done = 0;
	int rc = -1;

	if (!c || !p) {
		hy_fail(h, "harness", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		c[i].fd = fds[i];
		c[i].seed = h->seed++;
	}
	while (done < n) {
		int left = cf_left_ms(h->deadline), pr;

		for (size_t i = 0; i < n; i++) {
			p[i].fd = c[i].fd;
			p[i].events = (short)((c[i].sent < len && !c[i].err ? POLLOUT : 0) |
					      (c[i].eof ? 0 : POLLIN));
			p[i].revents = 0;
			if (!p[i].events)
				p[i].fd = -1;
		}
		if (left == 0) {
			for (size_t i = 0; i < n; i++)
				if (c[i].rcvd < len || (shut && !c[i].eof)) {
					hy_fail(h, "timeout", "timeout: connection %zu of %zu: sent "
						"%zu of %zu bytes, %zu came back%s", i + 1, n, c[i].sent,
						len, c[i].rcvd, shut ? ", no EOF yet" : "");
					break;
				}
			goto out;
		}
		pr = poll(p, (nfds_t)n, left);
		if (pr < 0 && errno != EINTR) {
			hy_fail(h, "harness", "poll: %s", strerror(errno));
			goto out;
		}
		done = 0;
		for (size_t i = 0; i < n; i++) {
			if (p[i].fd >= 0 && echo_io(h, &c[i], len, shut, p[i].revents, rule) < 0)
				goto out;
			if (c[i].eof && c[i].rcvd < len) {
				hy_fail(h, rule, "connection %zu of %zu: %s after %zu of %zu bytes "
					"came back (%zu sent)", i + 1, n, c[i].err ? strerror(-c[i].err) :
					"EOF", c[i].rcvd, len, c[i].sent);
				goto out;
			}
			if (c[i].rcvd == len && (!shut || c[i].eof))
				done++;
		}
	}
	rc = 0;
out:
	free(c);
	free(p);
	return rc;
}

bool hy_alive(struct hy *h, const char *after)
{
	int fd;

	if (hy_failed(h))
		return false;
	fd = hy_open(h, hy_echo_port(h), "backend_died");
	if (fd < 0 || hy_echo(h, &fd, 1, 4096, false, "backend_died") < 0) {
		hy_observe(h, "after %s the backend no longer serves", after);
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	hy_observe(h, "after %s a new CONNECT and 4 KiB echo work", after);
	return true;
}

/* ---- guest-initiated ---- */

int hy_listen(struct hy *h, uint32_t port, char *path, size_t pathlen)
{
	int s = vsk_hybrid_port_path(path, pathlen, h->o->path, port);

	if (s == 0)
		s = vsk_unix_listen(path, SOCK_STREAM | SOCK_NONBLOCK, 16);
	if (s < 0) {
		hy_fail(h, "harness", "%s: %s", path, strerror(-s));
		return -1;
	}
	return s;
}

int hy_accept(struct hy *h, int ls)
{
	int s = cf_accept_within(ls, h->deadline);

	if (s == -ETIMEDOUT)
		timed_out(h, "no connection from the guest");
	else if (s < 0)
		hy_fail(h, "harness", "accept: %s", strerror(-s));
	return s < 0 ? -1 : s;
}
