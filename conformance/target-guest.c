/* target-guest.c - --target guest=relay=PATH,agent=PATH: a Linux guest kernel's
 * virtio-vsock driver as the implementation under test, the suite as the DEVICE (the host
 * side, CID 2).  The test VM's vsock device is vsockdev --relay PATH (man/vsockdev.8): the
 * driver's packets come to us byte for byte and ours go into its rx buffers as they are,
 * so the harness works at the packet level (target.h: xmit, recv) and the guest owns its
 * virtqueues.  The application on the driver's side is tests/vm/vsock-agent.py in the
 * guest, commanded over a virtio-serial line (the QEMU chardev socket at the agent path):
 * out of band, it never puts a packet on the device under test.
 *
 * Each case opens the target afresh: a new relay client (vsockdev drops what the last
 * one left waiting), the agent's "hello" (the guest's CID) and "reset" (every socket of
 * the last case closed). */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vsk/proto.h>
#include <vsk/relay.h>
#include <vsk/unixsock.h>

#include "agent.h"
#include "guest-opts.h"
#include "fdwait.h"
#include "target.h"

#define AGENT_MS   30000    /* an agent answer beyond the case's own wait */
/* Linux's rx buffers: a 4 KiB skb (VIRTIO_VSOCK_DEFAULT_RX_BUF_SIZE) less its overhead;
 * vsockdev found 3776 writable bytes on Debian's 6.1 (its rx_short says so if a kernel
 * posts less: the case then fails with that evidence) */
#define RX_PAYLOAD (3776 - VSK_VIRTIO_HDR_LEN)
#define XMIT_MS    10000    /* the relay not reading our packet */

struct guest {
	int relay, agent;
	uint8_t in[VSK_RELAY_HDR_LEN + VSK_RELAY_BODY_MAX];   /* relay bytes not yet framed */
	size_t in_len;
	char line[CF_AGENT_LINE_MAX];                        /* agent bytes not yet a line */
	size_t line_len;
	uint8_t data[CF_AGENT_DATA_MAX];                     /* the last answer's bytes */
};

static struct guest *G(struct cf_target *t)
{
	return t->priv;
}

/* The suite is the device here (CID 2) and the guest kernel has the CID its VM gave it:
 * --cid cannot choose either. */
static int g_check(const char *arg, bool cid_set, char *err, size_t errlen)
{
	struct cf_guest_opts o;

	if (cid_set) {
		snprintf(err, errlen, "--cid does not apply: the guest kernel's CID is its VM's");
		return -EINVAL;
	}
	if (!arg) {
		snprintf(err, errlen, "needs relay=PATH,agent=PATH");
		return -EINVAL;
	}
	return cf_guest_opts_parse((const uint8_t *)arg, strlen(arg), &o, err, errlen) ? -EINVAL
										   : 0;
}

static int dial(const char *path, char *err, size_t errlen)
{
	int s = vsk_unix_connect(path, SOCK_STREAM);

	if (s < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-s));
		return -1;
	}
	return s;
}

/* One command to the agent and its answer; the answer's error (-errno) or 0. */
static int agent(struct cf_target *t, struct cf_agent_reply *r, int wait_ms, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

static int agent(struct cf_target *t, struct cf_agent_reply *r, int wait_ms, const char *fmt,
		 ...)
{
	struct guest *g = G(t);
	int64_t deadline = cf_now_ms() + wait_ms + AGENT_MS;
	char *cmd = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	cmd[n - 1] = '\n';    /* fmt ends in a space that becomes the newline */
	for (ssize_t off = 0, w; off < n; off += w) {
		if (cf_wait_fd(g->agent, POLLOUT, deadline) <= 0 ||
		    (w = send(g->agent, cmd + off, (size_t)(n - off), MSG_NOSIGNAL)) < 0) {
			free(cmd);
			snprintf(t->why, sizeof(t->why), "agent: the command did not go out");
			return -EIO;
		}
	}
	free(cmd);
	for (;;) {
		char why[160];
		long k = cf_agent_parse((const uint8_t *)g->line, g->line_len, r, g->data,
					sizeof(g->data), why, sizeof(why));
		ssize_t got;

		if (k > 0) {
			memmove(g->line, g->line + k, g->line_len - (size_t)k);
			g->line_len -= (size_t)k;
			if (!r->ok)
				snprintf(t->why, sizeof(t->why), "agent: %s", r->text);
			return r->ok ? 0 : -r->err;
		}
		if (k < 0) {
			snprintf(t->why, sizeof(t->why), "%s", why);
			return -EPROTO;
		}
		if (cf_wait_fd(g->agent, POLLIN, deadline) <= 0) {
			snprintf(t->why, sizeof(t->why), "agent: no answer");
			return -ETIMEDOUT;
		}
		got = recv(g->agent, g->line + g->line_len, sizeof(g->line) - g->line_len, 0);
		if (got <= 0) {
			snprintf(t->why, sizeof(t->why), "agent: its line closed");
			return -EIO;
		}
		g->line_len += (size_t)got;
	}
}

static void g_close(struct cf_target *t)
{
	struct guest *g = G(t);
	struct cf_agent_reply r;

	if (!g)
		return;
	if (g->agent >= 0)
		agent(t, &r, 0, "reset ");
	cf_close_fd(&g->relay);
	cf_close_fd(&g->agent);
	free(g);
	t->priv = NULL;
}

static int g_open(struct cf_target *t, const char *opts, void *mem, uint64_t gpa,
		  uint64_t size, char *err, size_t errlen)
{
	struct cf_guest_opts o;
	struct cf_agent_reply r = {0};
	struct guest *g;

	(void)mem, (void)gpa, (void)size;
	if (!opts || cf_guest_opts_parse((const uint8_t *)opts, strlen(opts), &o, err, errlen))
		return -EINVAL;
	if (!(g = calloc(1, sizeof(*g))))
		return -ENOMEM;
	g->relay = g->agent = -1;
	t->priv = g;
	if ((g->agent = dial(o.agent, err, errlen)) < 0 ||
	    (g->relay = dial(o.relay, err, errlen)) < 0) {
		g_close(t);
		return -EIO;
	}
	/* answers an earlier case left unread (it was killed mid-command) come first */
	for (int i = 0; agent(t, &r, 0, "hello ") == 0 && strcmp(r.word, "vsock-agent") &&
	     i < 8; i++)
		;
	if (strcmp(r.word, "vsock-agent") || !r.isnum[1] || r.num[1] < 3 ||
	    r.num[1] > UINT32_MAX - 1) {
		snprintf(err, errlen, "%s: not the vsock agent (%s)", o.agent, t->why);
		g_close(t);
		return -EIO;
	}
	/* we are the device: our CID is the host's, the implementation's the guest's */
	t->host_cid = r.num[1];
	t->guest_cid = VSK_CID_HOST;
	t->max_payload = RX_PAYLOAD;
	if (agent(t, &r, 0, "reset ") < 0) {
		snprintf(err, errlen, "%s: reset: %s", o.agent, t->why);
		g_close(t);
		return -EIO;
	}
	return 0;
}

/* A complete relay frame in g->in: its size, 0 if none yet, <0 if it is bad. */
static long frame(struct cf_target *t, struct vsk_relay_frame *f)
{
	struct guest *g = G(t);
	long n = vsk_relay_parse(g->in, g->in_len, f);

	if (n < 0)
		snprintf(t->why, sizeof(t->why), "relay: a bad frame from vsockdev");
	return n;
}

static ssize_t g_recv(struct cf_target *t, uint8_t *buf, size_t cap)
{
	struct guest *g = G(t);

	for (;;) {
		struct vsk_relay_frame f;
		long n = frame(t, &f);
		ssize_t got;

		if (n < 0)
			return -EPROTO;
		if (n > 0) {
			ssize_t ret = 0;

			if (f.kind == VSK_RELAY_PKT) {
				ret = f.len < cap ? f.len : (ssize_t)cap;
				memcpy(buf, f.body, (size_t)ret);
			} else if (f.kind == VSK_RELAY_RX_SHORT) {
				snprintf(t->why, sizeof(t->why), "relay: our packet of %u bytes was "
					 "cut to the guest's rx buffer of %u", f.pkt_len, f.buf_len);
				ret = -EMSGSIZE;
			} else if (f.kind == VSK_RELAY_RESET) {
				snprintf(t->why, sizeof(t->why), "relay: the guest driver stopped "
					 "the device");
				ret = -ECONNABORTED;
			}
			memmove(g->in, g->in + n, g->in_len - (size_t)n);
			g->in_len -= (size_t)n;
			if (ret)
				return ret;
			continue;    /* rx_wait: the guest has not posted buffers yet */
		}
		got = recv(g->relay, g->in + g->in_len, sizeof(g->in) - g->in_len, MSG_DONTWAIT);
		if (got == 0) {
			snprintf(t->why, sizeof(t->why), "relay: vsockdev closed the socket");
			return -EPIPE;
		}
		if (got < 0)
			return errno == EAGAIN ? 0 : -errno;
		g->in_len += (size_t)got;
	}
}

static int g_wait(struct cf_target *t, int timeout_ms)
{
	struct guest *g = G(t);
	struct vsk_relay_frame f;
	int e;

	if (frame(t, &f) != 0)
		return 1;
	e = cf_wait_fd(g->relay, POLLIN, cf_now_ms() + timeout_ms);
	return e < 0 ? e : e > 0;
}

static int g_xmit(struct cf_target *t, const uint8_t *pkt, size_t len)
{
	struct guest *g = G(t);
	int64_t deadline = cf_now_ms() + XMIT_MS;
	uint8_t h[VSK_RELAY_HDR_LEN];
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)pkt, len } };
	size_t total = sizeof(h) + len, done = 0;

	vsk_relay_hdr(h, VSK_RELAY_PKT, (uint32_t)len);
	while (done < total) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t w;

		if (cf_wait_fd(g->relay, POLLOUT, deadline) <= 0) {
			snprintf(t->why, sizeof(t->why), "relay: vsockdev does not take packets");
			return -ETIMEDOUT;
		}
		if ((w = sendmsg(g->relay, &m, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
			if (errno == EAGAIN)
				continue;
			return -errno;
		}
		done += (size_t)w;
		for (unsigned i = 0; i < 2; i++) {
			size_t k = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;

			iov[i].iov_base = (uint8_t *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			w -= (ssize_t)k;
		}
	}
	return 0;
}

static const char *tname(int type)
{
	return type == VSK_TYPE_SEQPACKET ? "seqpacket" : "stream";
}

static int g_app_listen(struct cf_target *t, uint32_t port, int type)
{
	struct cf_agent_reply r;
	int e = agent(t, &r, 0, "listen %u %s ", port, tname(type));

	return e < 0 ? e : (int)r.num[0];
}

static int g_app_accept(struct cf_target *t, int lh, int timeout_ms)
{
	struct cf_agent_reply r;
	int e = agent(t, &r, timeout_ms, "accept %d %d ", lh, timeout_ms);

	return e < 0 ? e : (int)r.num[0];
}

static int g_app_connect(struct cf_target *t, uint64_t cid, uint32_t port, int type)
{
	struct cf_agent_reply r;
	int e = agent(t, &r, 0, "connect %llu %u %s ", (unsigned long long)cid, port,
		      tname(type));

	return e < 0 ? e : (int)r.num[0];
}

static int g_app_connected(struct cf_target *t, int h, int timeout_ms)
{
	struct cf_agent_reply r;

	return agent(t, &r, timeout_ms, "connected %d %d ", h, timeout_ms);
}

static ssize_t g_app_send(struct cf_target *t, int h, const void *buf, size_t len, bool eor)
{
	struct cf_agent_reply r;
	static char hex[2 * CF_AGENT_DATA_MAX + 1];
	const uint8_t *b = buf;
	int e;

	if (len > CF_AGENT_DATA_MAX)
		len = CF_AGENT_DATA_MAX;     /* a short send, as the target.h contract allows */
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	e = agent(t, &r, 0, "send %d %d %s ", h, eor ? 1 : 0, len ? hex : "-");
	return e < 0 ? e : (ssize_t)r.num[0];
}

static ssize_t g_app_recv(struct cf_target *t, int h, void *buf, size_t len, int timeout_ms,
			  bool *eor)
{
	struct guest *g = G(t);
	struct cf_agent_reply r;
	int e;

	if (len > sizeof(g->data))
		len = sizeof(g->data);
	e = agent(t, &r, timeout_ms, "recv %d %zu %d ", h, len, timeout_ms);
	if (e < 0)
		return e;
	if (r.dlen > len)
		return -EPROTO;
	memcpy(buf, g->data, r.dlen);
	if (eor)
		*eor = r.isnum[1] && r.num[1];
	return (ssize_t)r.dlen;
}

static int g_app_shutdown(struct cf_target *t, int h, int how)
{
	struct cf_agent_reply r;

	return agent(t, &r, 0, "shutdown %d %s ", h,
		     how == SHUT_RD ? "rd" : how == SHUT_WR ? "wr" : "rdwr");
}

static int g_app_close(struct cf_target *t, int h)
{
	struct cf_agent_reply r;

	return agent(t, &r, 0, "close %d ", h);
}

static int g_app_set_buffer(struct cf_target *t, int h, uint64_t size)
{
	struct cf_agent_reply r;

	return agent(t, &r, 0, "setbuf %d %llu ", h, (unsigned long long)size);
}

static int g_transport_reset(struct cf_target *t)
{
	snprintf(t->why, sizeof(t->why), "QEMU keeps the event queue of a vhost-user vsock "
		 "device: vsockdev cannot send TRANSPORT_RESET");
	return -ENOTSUP;
}

const struct cf_target_ops cf_target_guest = {
	.name = "guest",
	.default_timeout_ms = 60000,
	.check = g_check,
	.open = g_open,
	.wait = g_wait,
	.close = g_close,
	.app_listen = g_app_listen,
	.app_accept = g_app_accept,
	.app_connect = g_app_connect,
	.app_connected = g_app_connected,
	.app_send = g_app_send,
	.app_recv = g_app_recv,
	.app_shutdown = g_app_shutdown,
	.app_close = g_app_close,
	.app_set_buffer = g_app_set_buffer,
	.transport_reset = g_transport_reset,
	.xmit = g_xmit,
	.recv = g_recv,
};
