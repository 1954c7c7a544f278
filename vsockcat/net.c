/* net.c - opening vsockcat's sockets: AF_VSOCK connect, listen and scan, and hybrid
 * vsock over a VMM's UNIX socket (lib/vsk/hybrid.h).  Errors become one line naming the
 * address, with a hint where the cause is usually the setup (vsock-facts A.5). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "vsk/error.h"
#include "vsk/hybrid.h"
#include "vsk/sbuf.h"
#include "vsk/unixsock.h"
#include "vsockcat.h"

/* Why a socket call failed, in words a user can act on. */
static const char *hint(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNREFUSED: return "connection refused (no listener on that port)";
	case ETIMEDOUT: return "connection timed out";
	case ENODEV: return "no vsock transport for this CID (module not loaded, or no such CID)";
	case EHOSTUNREACH:
	case ENETUNREACH: return "CID unreachable";
	case EAFNOSUPPORT: return "no AF_VSOCK support (modprobe vsock)";
	case EACCES:
	case EPERM: return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
	case EADDRINUSE: return "address already in use";
	case EADDRNOTAVAIL: return "address not available (CID is not this machine's)";
	default: return strerror(e);
	}
}

static struct sockaddr_vm svm(uint32_t cid, uint32_t port, bool to_host)
{
	struct sockaddr_vm a;

	memset(&a, 0, sizeof(a));
	a.svm_family = AF_VSOCK;
	a.svm_cid = cid;
	a.svm_port = port;
	if (to_host)
		a.svm_flags = VMADDR_FLAG_TO_HOST;
	return a;
}

static int vsock_socket(const struct opts *o)
{
	int s = socket(AF_VSOCK, (o->seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (s < 0)
		errx(1, "socket: %s", hint(errno));
	net_set_buffer(o, s);
	return s;
}

/* SO_VM_SOCKETS_BUFFER_SIZE is clamped to _MAX_SIZE (256 KiB by default), so the
 * maximum goes first (Socket Device: Buffer Space Management; buf_alloc follows). */
void net_set_buffer(const struct opts *o, int s)
{
	unsigned long long v = o->buffer_size;

	if (setsockopt(s, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &v, sizeof(v)) < 0 ||
	    setsockopt(s, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &v, sizeof(v)) < 0)
		err(1, "setsockopt: buffer size %llu", v);
}

static void set_connect_timeout(int s, double secs)
{
	struct timeval tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	if (setsockopt(s, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv)) < 0)
		err(1, "setsockopt: connect timeout");
}

static int try_connect(const struct opts *o, uint32_t port, int *err_out)
{
	int s = vsock_socket(o);
	struct sockaddr_vm a;

	if (o->src_cid_set || o->src_port_set) {
		a = svm(o->src_cid_set ? o->src_cid : VMADDR_CID_ANY,
			o->src_port_set ? o->src_port : VMADDR_PORT_ANY, false);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
			errx(1, "bind %u:%u: %s", a.svm_cid, a.svm_port, hint(errno));
	}
	if (o->wait > 0)
		set_connect_timeout(s, o->wait);
	a = svm(o->cid, port, o->to_host);
	while (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (errno == EINTR)
			continue;
		*err_out = errno;
		close(s);
		return -1;
	}
	return s;
}

void net_names(int s, uint32_t *lcid, uint32_t *lport, uint32_t *pcid, uint32_t *pport)
{
	struct sockaddr_vm a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(s, (struct sockaddr *)&a, &len) == 0) {
		*lcid = a.svm_cid;
		*lport = a.svm_port;
	}
	len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getpeername(s, (struct sockaddr *)&a, &len) == 0) {
		*pcid = a.svm_cid;
		*pport = a.svm_port;
	}
}

/* IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock; -1 if it cannot be asked. */
static long long local_cid(void)
{
	unsigned int cid;
	int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return cid;
}

int net_connect(const struct opts *o)
{
	int e = 0, s = try_connect(o, o->port, &e);

	if (s < 0)
		errx(e == ETIMEDOUT ? EXIT_TIMEDOUT : 1, "%u:%u: %s", o->cid, o->port, hint(e));
	if (o->verbose) {
		uint32_t lc = 0, lp = 0, pc = 0, pp = 0;

		long long me = local_cid();

		net_names(s, &lc, &lp, &pc, &pp);
		/* a connecting socket is auto-bound to CID any; say which CID that is */
		if (lc == VMADDR_CID_ANY && me >= 0)
			lc = (uint32_t)me;
		warnx("connected to %u:%u from %u:%u (local CID %lld)", pc, pp, lc, lp, me);
	}
	return s;
}

int net_listen(const struct opts *o)
{
	int s = vsock_socket(o);
	struct sockaddr_vm a = svm(o->cid_set ? o->cid : VMADDR_CID_ANY, o->port, false);
	socklen_t len = sizeof(a);

	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		errx(1, "bind %u:%u: %s", a.svm_cid, a.svm_port, hint(errno));
	if (listen(s, 128) < 0)
		err(1, "listen");
	if (getsockname(s, (struct sockaddr *)&a, &len) < 0)
		err(1, "getsockname");
	/* Always said with -v; the port is the real one when 4294967295 (any) was asked. */
	if (o->verbose)
		warnx("listening on %u:%u (local CID %lld)", a.svm_cid, a.svm_port, local_cid());
	return s;
}

bool cid_allowed(const struct opts *o, uint32_t cid)
{
	size_t i;

	for (i = 0; i < o->deny.n; i++)
		if (cid >= o->deny.v[i].lo && cid <= o->deny.v[i].hi)
			return false;
	if (o->allow.n == 0)
		return true;
	for (i = 0; i < o->allow.n; i++)
		if (cid >= o->allow.v[i].lo && cid <= o->allow.v[i].hi)
			return true;
	return false;
}

int net_accept(const struct opts *o, int ls, struct sockaddr_vm *peer)
{
	socklen_t len = sizeof(*peer);
	int s = accept4(ls, (struct sockaddr *)peer, &len, SOCK_CLOEXEC);

	if (s < 0) {
		if (errno == EINTR || errno == ECONNABORTED)
			return -1;
		err(1, "accept");
	}
	if (!cid_allowed(o, peer->svm_cid)) {
		/* Closing an accepted socket resets it: the peer sees its connection end. */
		if (o->verbose)
			warnx("rejected %u:%u (--allow/--deny)", peer->svm_cid, peer->svm_port);
		close(s);
		return -1;
	}
	if (o->verbose)
		warnx("connection from %u:%u", peer->svm_cid, peer->svm_port);
	return s;
}

/* -z: one line per port, "CID:PORT open|refused|timeout|error: ..."; status 0 if any
 * port is open, 1 otherwise (like nc -z). */
int net_scan(const struct opts *o)
{
	int any = 0;
	uint64_t p;
	struct opts so = *o;

	if (so.wait <= 0)
		so.wait = 1;
	for (p = o->port; p <= o->port_hi; p++) {
		int e = 0, s = try_connect(&so, (uint32_t)p, &e);
		const char *what;

		if (s >= 0) {
			what = "open";
			any = 1;
			close(s);
		} else if (e == ECONNRESET || e == ECONNREFUSED) {
			what = "refused";
		} else if (e == ETIMEDOUT) {
			what = "timeout";
		} else {
			printf("%u:%u error: %s\n", o->cid, (uint32_t)p, hint(e));
			continue;
		}
		printf("%u:%u %s\n", o->cid, (uint32_t)p, what);
	}
	if (fflush(stdout) != 0)
		err(1, "stdout");
	return any ? 0 : 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Hybrid vsock, host-initiated: "CONNECT <port>\n", then wait (at most -w seconds, 5 by
 * default: clients need a timeout on the OK line, buildbuddy #4590) for "OK <n>\n".
 * The OK line is read byte by byte, so bytes the VMM sends right after it stay in the
 * socket and reach the relay as the first bytes of the stream. */
int net_uds_connect(const struct opts *o)
{
	int s = vsk_unix_connect(o->uds, SOCK_STREAM), rc;
	uint8_t line[VSK_HYBRID_LINE_MAX], req[VSK_HYBRID_LINE_MAX];
	size_t len = 0, used = 0, n;
	uint32_t okport = 0;
	double limit = o->wait > 0 ? o->wait : 5, deadline;

	if (s < 0) {
		errno = -s;
		err(1, "%s", o->uds);
	}
	n = vsk_hybrid_build_connect(req, sizeof(req), o->port);
	if (n == 0 || send(s, req, n, MSG_NOSIGNAL) != (ssize_t)n)
		err(1, "%s: send CONNECT", o->uds);
	deadline = now() + limit;
	for (;;) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		double left = deadline - now();
		ssize_t r;

		if (left <= 0)
			errx(EXIT_TIMEDOUT, "%s: no OK for port %u within %g s", o->uds, o->port, limit);
		if (poll(&pfd, 1, (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (!pfd.revents)
			continue;
		r = recv(s, line + len, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err(1, "%s: waiting for OK", o->uds);
		if (r == 0)
			errx(1, "%s: the VMM closed the connection instead of answering OK "
			     "(nothing listening on guest port %u?)", o->uds, o->port);
		len++;
		rc = vsk_hybrid_parse_ok(line, len, &okport, &used);
		if (rc == 1)
			break;
		if (rc < 0) {
			char shown[VSK_HYBRID_SHOWN_MAX];

			errx(1, "%s: unexpected answer to CONNECT %u: '%s'", o->uds, o->port,
			     vsk_hybrid_shown(shown, line, len));
		}
	}
	if (o->verbose)
		warnx("connected through %s to guest port %u (OK %u)", o->uds, o->port, okport);
	return s;
}

/* Hybrid vsock, guest-initiated: the VMM connects to "<path>_<port>" when the guest
 * connects to the host's CID 2 on that port. */
int net_uds_listen(const struct opts *o, char *path, size_t cap)
{
	int s;

	if (vsk_hybrid_port_path(path, cap, o->uds, o->port) < 0)
		errx(1, "%s: path too long for a UNIX socket with _%u", o->uds, o->port);
	/* a socket left by an earlier run is replaced; any other file is not touched */
	s = vsk_unix_listen(path, SOCK_STREAM, 128);
	if (s < 0) {
		errno = -s;
		err(1, "%s", path);
	}
	if (o->verbose)
		warnx("listening on %s", path);
	return s;
}
