/* target-vhostuser.c - any vhost-user vsock backend as the device under test (vsockdev,
 * vhost-device-vsock ...): the suite plays QEMU's vhost-user front end and the guest driver.
 *
 * --target vhost-user=SOCKET[,uds=PATH]
 *   SOCKET  the backend's vhost-user socket (the backend listens, as with QEMU's default
 *           chardev client);
 *   PATH    the backend's hybrid vsock socket (its --uds): the application side.  Without
 *           it every case that needs the application is not applicable.
 *
 * The front end, in QEMU 7.2's order (../shared/reference/vhost-user-vsock.md):
 * GET_FEATURES, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, SET_OWNER, GET_CONFIG (the
 * backend's guest_cid becomes the suite's guest CID: the backend, like QEMU's device, is
 * configured with it, so --cid is a usage error: vu_check), SET_MEM_TABLE (the harness's memfd, one
 * region, user address = where this process maps it), then per queue SET_VRING_NUM, _BASE,
 * _ADDR (user addresses), _KICK and _CALL (eventfds), and SET_VRING_ENABLE at start.  With
 * REPLY_ACK every request without a reply of its own asks for one, so a refusal is seen at
 * once and the backend has taken each request before the next step.  At close,
 * GET_VRING_BASE stops both rings.  Messages are built and parsed by lib/vhostuser.c.
 *
 * Only rx (0) and tx (1) go to the backend: the event queue is the VMM's, here ours, and
 * nothing writes to it (transport_reset is not applicable: see there).
 *
 * The application is hybrid vsock (reference/vsock-facts.md D.3), as vsockdev, Firecracker
 * and Cloud Hypervisor do it: a listener on port P is a UNIX socket at PATH_P (SOCK_STREAM,
 * or SOCK_SEQPACKET for seqpacket), a connect to the guest is "CONNECT P\n" on PATH answered
 * by "OK <port>\n" (the backend closes the socket if the guest refuses).  What hybrid vsock
 * cannot say returns -ENOTSUP with the reason: socket buffer sizes, seqpacket connects
 * from the host (CONNECT carries no type) and record ends (MSG_EOR) of UNIX seqpacket
 * sockets.
 *
 * No AF_VSOCK socket and no /dev/vhost-vsock: only UNIX sockets, safe on any machine. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vsk/hybrid.h>
#include <vsk/proto.h>
#include <vsk/sbuf.h>
#include <vsk/unixsock.h>
#include <vsk/vhostuser.h>

#include "device.h"
#include "fdwait.h"
#include "target.h"
#include "vhostuser-opts.h"

#define VU_NQ       2          /* the backend's queues: rx and tx */
#define VU_MAX_APP  256        /* application sockets open at once */
#define VU_REPLY_MS 5000       /* a reply that does not come: the backend hangs */

/* The protocol features the suite uses: CONFIG (GET_CONFIG) and REPLY_ACK. */
static const uint64_t want_proto = (1ULL << VSK_VU_PROTO_F_CONFIG) |
	(1ULL << VSK_VU_PROTO_F_REPLY_ACK);

enum app_kind { APP_FREE, APP_LISTENER, APP_CONNECTING, APP_CONN };

struct app {
	enum app_kind kind;
	int fd;
	int type;                  /* VSK_TYPE_STREAM or _SEQPACKET */
	int err;                   /* app_connected's result once the connect failed */
	char path[VSK_UNIX_PATH_MAX];    /* a listener's PATH_<port>, unlinked at close */
	uint8_t line[VSK_HYBRID_LINE_MAX];   /* connecting: the "OK" line so far; then */
	size_t line_len, stash_off;          /* the bytes after it (the stream's first) */
};

struct vu {
	int sock;
	struct vu_opts opt;        /* the socket and uds= ("" without) */
	uint64_t offered, proto, acked;
	bool reply_ack, started;
	uint8_t *mem;
	uint64_t gpa, size;
	int kick[VU_NQ], call[VU_NQ];
	bool vq_set[VU_NQ];
	struct app app[VU_MAX_APP];
};

static struct vu *vu_of(struct cf_target *t)
{
	return t->priv;
}

/* ---- the argument (vhostuser-opts.c) ---- */

/* SOCKET[,uds=PATH] into o: 0, or -EINVAL with err. */
static int parse_arg(const char *arg, struct vu_opts *o, char *err, size_t errlen)
{
	if (vu_opts_parse((const uint8_t *)arg, arg ? strlen(arg) : 0, o, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

/* The guest CID is the backend's own (GET_CONFIG): --cid cannot choose it. */
static int vu_check(const char *arg, bool cid_set, char *err, size_t errlen)
{
	struct vu_opts o;

	if (cid_set) {
		snprintf(err, errlen, "--cid does not apply: the guest CID is the backend's own "
			 "(GET_CONFIG)");
		return -EINVAL;
	}
	return parse_arg(arg, &o, err, errlen);
}

/* ---- vhost-user messages ---- */

/* Sends request m (built by lib/vhostuser.c) with fds (SCM_RIGHTS on the same sendmsg, as
 * QEMU does). */
static int vu_send(struct vu *v, const struct vsk_vu_msg *m, const int *fds, unsigned nfds)
{
	uint8_t buf[VSK_VU_HDR_LEN + VSK_VU_MAX_PAYLOAD];
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * VSK_VU_MAX_FDS)]; } cm;
	size_t len = vsk_vu_build_msg(buf, sizeof(buf), m);
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t w;

	if (!len || nfds > VSK_VU_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(int) * nfds);
	}
	do
		w = sendmsg(v->sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return w == (ssize_t)len ? 0 : -EIO;
}

/* Reads exactly n bytes within the deadline. */
static int read_full(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		struct iovec iov = { .iov_base = p, .iov_len = n };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t r = cf_recvmsg_within(fd, &m, deadline);

		if (r < 0)
			return (int)r;
		if (r == 0)
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The backend's reply to req, parsed (lib/vhostuser.c) into *m, its payload in
 * buf[VSK_VU_HDR_LEN..).  A reply must say VERSION|REPLY (0x5) and name req. */
static int vu_reply(struct vu *v, uint32_t req, uint8_t *buf, size_t cap, struct vsk_vu_msg *m,
		    char *err, size_t errlen)
{
	int64_t deadline = cf_now_ms() + VU_REPLY_MS;
	uint32_t size = 0;
	int r;

	r = read_full(v->sock, buf, VSK_VU_HDR_LEN, deadline);
	if (r == 0) {
		memcpy(&size, buf + 8, 4);
		size = le32toh(size);
		if (size > cap - VSK_VU_HDR_LEN || size > VSK_VU_MAX_PAYLOAD) {
			snprintf(err, errlen, "reply to %s: %u bytes of payload", vsk_vu_req_name(req),
				 size);
			return -EPROTO;
		}
		r = read_full(v->sock, buf + VSK_VU_HDR_LEN, size, deadline);
	}
	if (r < 0) {
		snprintf(err, errlen, "reply to %s: %s", vsk_vu_req_name(req),
			 r == -ETIMEDOUT ? "none within 5 s" : r == -ECONNRESET ?
			 "the backend closed the connection" : strerror(-r));
		return r;
	}
	r = vsk_vu_parse(buf, VSK_VU_HDR_LEN + size, m);
	if (r <= 0 || m->request != req ||
	    m->flags != (VSK_VU_FLAG_VERSION | VSK_VU_FLAG_REPLY)) {
		snprintf(err, errlen, "reply to %s: request %u, flags %#x, %u bytes (want %u, "
			 "flags 0x5, a payload that fits)", vsk_vu_req_name(req), m->request,
			 m->flags, size, req);
		return -EPROTO;
	}
	return 0;
}

/* A request whose reply is a u64 (GET_FEATURES, GET_PROTOCOL_FEATURES, a REPLY_ACK). */
static int vu_get_u64(struct vu *v, uint32_t req, uint64_t *val, char *err, size_t errlen)
{
	uint8_t buf[VSK_VU_HDR_LEN + VSK_VU_MAX_PAYLOAD];
	struct vsk_vu_msg m;
	int r = vu_reply(v, req, buf, sizeof(buf), &m, err, errlen);

	if (r < 0)
		return r;
	*val = m.u64;   /* vsk_vu_parse checked the payload is a u64 and decoded it */
	return 0;
}

/* A GET request answered by a u64 (features, protocol features) that must have bit need
 * (what names it in err). */
static int vu_query(struct vu *v, uint32_t req, unsigned need, const char *what,
		    uint64_t *val, char *err, size_t errlen)
{
	struct vsk_vu_msg m = { .request = req, .flags = VSK_VU_FLAG_VERSION };
	int r = vu_send(v, &m, NULL, 0);

	if (r < 0) {
		snprintf(err, errlen, "%s: %s", vsk_vu_req_name(req), strerror(-r));
		return r;
	}
	if ((r = vu_get_u64(v, req, val, err, errlen)) < 0)
		return r;
	if (!(*val & (1ULL << need))) {
		snprintf(err, errlen, "the backend does not offer %s (%s: %#" PRIx64 ")", what,
			 vsk_vu_req_name(req), *val);
		return -EPROTO;
	}
	return 0;
}

/* Request m (its payload fields set) without a reply of its own; with REPLY_ACK it asks
 * for one (NEED_REPLY) and a non-zero answer is the backend's refusal. */
static int vu_set(struct vu *v, struct vsk_vu_msg *m, const int *fds, unsigned nfds,
		  char *err, size_t errlen)
{
	uint64_t ack;
	int r;

	m->flags = VSK_VU_FLAG_VERSION | (v->reply_ack ? VSK_VU_FLAG_NEED_REPLY : 0);
	r = vu_send(v, m, fds, nfds);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", vsk_vu_req_name(m->request), strerror(-r));
		return r;
	}
	if (!v->reply_ack)
		return 0;
	r = vu_get_u64(v, m->request, &ack, err, errlen);
	if (r < 0)
		return r;
	if (ack) {
		snprintf(err, errlen, "%s: the backend refused it (REPLY_ACK %" PRIu64 ")",
			 vsk_vu_req_name(m->request), ack);
		return -EIO;
	}
	return 0;
}

static int vu_set_u64(struct vu *v, uint32_t req, uint64_t val, const int *fds, unsigned nfds,
		      char *err, size_t errlen)
{
	struct vsk_vu_msg m = { .request = req, .u64 = val };

	return vu_set(v, &m, fds, nfds, err, errlen);
}

static int vu_set_state(struct vu *v, uint32_t req, uint32_t index, uint32_t num, char *err,
			size_t errlen)
{
	struct vsk_vu_msg m = { .request = req, .state = { index, num } };

	return vu_set(v, &m, NULL, 0, err, errlen);
}

/* The device's configuration space (Socket Device: Device configuration layout): le64
 * guest_cid, read as QEMU does (offset 0, size 8, flags 0; the reply is exactly 20 bytes). */
static int vu_get_cid(struct vu *v, uint64_t *cid, char *err, size_t errlen)
{
	uint8_t buf[VSK_VU_HDR_LEN + VSK_VU_MAX_PAYLOAD];
	struct vsk_vu_msg m = { .request = VSK_VU_GET_CONFIG, .flags = VSK_VU_FLAG_VERSION,
				.config = { .size = VSK_VU_VSOCK_CONFIG_LEN } };
	int r;

	r = vu_send(v, &m, NULL, 0);
	if (r < 0) {
		snprintf(err, errlen, "GET_CONFIG: %s", strerror(-r));
		return r;
	}
	r = vu_reply(v, VSK_VU_GET_CONFIG, buf, sizeof(buf), &m, err, errlen);
	if (r < 0)
		return r;
	if (m.config.offset != 0 || m.config.size != VSK_VU_VSOCK_CONFIG_LEN) {
		snprintf(err, errlen, "GET_CONFIG: reply for offset %u size %u, not 0 and 8",
			 m.config.offset, m.config.size);
		return -EPROTO;
	}
	memcpy(cid, buf + VSK_VU_HDR_LEN + VSK_VU_CONFIG_HDR_LEN, 8);
	*cid = le64toh(*cid);
	return 0;
}

/* ---- the device ---- */

static void app_free(struct app *a)
{
	cf_close_fd(&a->fd);
	if (a->kind == APP_LISTENER)
		unlink(a->path);
	a->kind = APP_FREE;
}

static void vu_free(struct vu *v)
{
	cf_close_fd(&v->sock);
	for (unsigned q = 0; q < VU_NQ; q++) {
		cf_close_fd(&v->kick[q]);
		cf_close_fd(&v->call[q]);
	}
	for (int h = 0; h < VU_MAX_APP; h++)
		if (v->app[h].kind != APP_FREE)
			app_free(&v->app[h]);
	free(v);
}

/* Connect, negotiate, read the CID, give the memory: 0 or -errno with err. */
static int bringup(struct cf_target *t, struct vu *v, char *err, size_t errlen)
{
	struct vsk_vu_msg mt = { .request = VSK_VU_SET_MEM_TABLE, .nregions = 1 };
	uint64_t cid;
	int r;

	v->sock = vsk_unix_connect(v->opt.sock, SOCK_STREAM);
	if (v->sock < 0) {
		r = v->sock;
		snprintf(err, errlen, "%s: %s (is the backend listening there?)", v->opt.sock,
			 strerror(-r));
		return r;
	}
	/* Without PROTOCOL_FEATURES there is no GET_CONFIG, so no CID, and GET_CONFIG needs
	 * protocol feature CONFIG (QEMU 7.2 refuses such a backend too:
	 * reference/vhost-user-vsock.md, Feature bits). */
	if ((r = vu_query(v, VSK_VU_GET_FEATURES, VSK_VU_F_PROTOCOL_FEATURES,
			  "VHOST_USER_F_PROTOCOL_FEATURES (bit 30)", &v->offered, err,
			  errlen)) < 0 ||
	    (r = vu_query(v, VSK_VU_GET_PROTOCOL_FEATURES, VSK_VU_PROTO_F_CONFIG,
			  "protocol feature CONFIG (bit 9)", &v->proto, err, errlen)) < 0)
		return r;
	if ((r = vu_set_u64(v, VSK_VU_SET_PROTOCOL_FEATURES, v->proto & want_proto, NULL, 0, err,
			    errlen)) < 0)
		return r;
	v->reply_ack = v->proto & (1ULL << VSK_VU_PROTO_F_REPLY_ACK);
	if ((r = vu_set(v, &(struct vsk_vu_msg){ .request = VSK_VU_SET_OWNER }, NULL, 0, err,
			errlen)) < 0 ||
	    (r = vu_get_cid(v, &cid, err, errlen)) < 0)
		return r;
	/* Socket Device: Device configuration layout: 0, 1, 2, 0xffffffff and above 32 bits
	 * are reserved; a backend configured with one is broken. */
	if (!cf_dev_cid_ok(cid)) {
		snprintf(err, errlen, "GET_CONFIG: guest_cid %" PRIu64 " is reserved", cid);
		return -EPROTO;
	}
	t->guest_cid = cid;
	/* One region: guest addresses gpa .. gpa + size, this process's mapping of the
	 * memfd as the user address (ring addresses are given in that space). */
	mt.region[0] = (struct vsk_vu_region){ .gpa = v->gpa, .size = v->size,
					       .uva = (uint64_t)(uintptr_t)v->mem };
	return vu_set(v, &mt, &t->mem_fd, 1, err, errlen);
}

static int vu_open(struct cf_target *t, const char *opts, void *mem, uint64_t gpa,
		   uint64_t size, char *err, size_t errlen)
{
	struct vu *v;
	int r;

	if (!mem || !size || gpa + size < gpa || t->mem_fd < 0) {
		snprintf(err, errlen, "no shared guest memory (memfd) to give the backend");
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	v->sock = -1;
	for (unsigned q = 0; q < VU_NQ; q++)
		v->kick[q] = v->call[q] = -1;
	for (int h = 0; h < VU_MAX_APP; h++)
		v->app[h].fd = -1;
	v->mem = mem;
	v->gpa = gpa;
	v->size = size;
	r = parse_arg(opts, &v->opt, err, errlen);
	if (r == 0)
		r = bringup(t, v, err, errlen);
	for (unsigned q = 0; q < VU_NQ && r == 0; q++) {
		v->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->kick[q] < 0 || v->call[q] < 0) {
			r = -errno;
			snprintf(err, errlen, "eventfd: %s", strerror(-r));
		}
	}
	if (r < 0) {
		vu_free(v);
		return r;
	}
	t->priv = v;
	return 0;
}

/* The device's feature bits: PROTOCOL_FEATURES is vhost-user's, not the device's. */
static uint64_t vu_get_features(struct cf_target *t)
{
	return vu_of(t)->offered & ~(1ULL << VSK_VU_F_PROTOCOL_FEATURES);
}

static int vu_set_features(struct cf_target *t, uint64_t features)
{
	struct vu *v = vu_of(t);
	char err[160];
	int r;

	if (features & ~vu_get_features(t))
		return -EINVAL;
	/* bit 30 goes back with the device's features, as QEMU sends it */
	r = vu_set_u64(v, VSK_VU_SET_FEATURES, features | (1ULL << VSK_VU_F_PROTOCOL_FEATURES),
		       NULL, 0, err, sizeof(err));
	if (r < 0) {
		snprintf(t->why, sizeof(t->why), "%s", err);
		return r;
	}
	v->acked = features;
	return 0;
}

/* This process's address of guest range [addr, addr + len), or 0 if it is not all in
 * the guest memory. */
static uint64_t hva(const struct vu *v, uint64_t addr, uint64_t len)
{
	if (addr < v->gpa || addr - v->gpa > v->size || len > v->size - (addr - v->gpa))
		return 0;
	return (uint64_t)(uintptr_t)(v->mem + (addr - v->gpa));
}

static int vu_set_vring(struct cf_target *t, unsigned q, const struct vsk_vq_addr *a)
{
	struct vu *v = vu_of(t);
	struct vsk_vu_msg ad = { .request = VSK_VU_SET_VRING_ADDR };
	char err[160];
	int r;

	if (q > VSK_VQ_EVENT)
		return -EINVAL;
	/* The event queue is the VMM's (QEMU keeps it): never given to the backend. */
	if (q == VSK_VQ_EVENT)
		return 0;
	ad.addr.index = q;
	ad.addr.desc = hva(v, a->desc, vsk_vq_desc_size(a->num));
	ad.addr.used = hva(v, a->used, vsk_vq_used_size(a->num));
	ad.addr.avail = hva(v, a->avail, vsk_vq_avail_size(a->num));
	ad.addr.log = a->used;     /* log_guest_addr: the used ring's guest address */
	if (!ad.addr.desc || !ad.addr.used || !ad.addr.avail)
		return -EFAULT;
	if ((r = vu_set_state(v, VSK_VU_SET_VRING_NUM, q, a->num, err, sizeof(err))) < 0 ||
	    (r = vu_set_state(v, VSK_VU_SET_VRING_BASE, q, 0, err, sizeof(err))) < 0 ||
	    (r = vu_set(v, &ad, NULL, 0, err, sizeof(err))) < 0 ||
	    (r = vu_set_u64(v, VSK_VU_SET_VRING_KICK, q, &v->kick[q], 1, err, sizeof(err))) < 0 ||
	    (r = vu_set_u64(v, VSK_VU_SET_VRING_CALL, q, &v->call[q], 1, err, sizeof(err))) < 0) {
		snprintf(t->why, sizeof(t->why), "%s", err);
		return r;
	}
	v->vq_set[q] = true;
	return 0;
}

/* The rings start disabled once PROTOCOL_FEATURES is negotiated: enable them. */
static int vu_start(struct cf_target *t)
{
	struct vu *v = vu_of(t);
	char err[160];
	int r;

	for (unsigned q = 0; q < VU_NQ; q++) {
		r = vu_set_state(v, VSK_VU_SET_VRING_ENABLE, q, 1, err, sizeof(err));
		if (r < 0) {
			snprintf(t->why, sizeof(t->why), "%s", err);
			return r;
		}
	}
	v->started = true;
	return 0;
}

static int vu_kick(struct cf_target *t, unsigned q)
{
	struct vu *v = vu_of(t);
	uint64_t one = 1;

	if (q == VSK_VQ_EVENT)
		return 0;       /* buffers for events nobody sends */
	if (q >= VU_NQ)
		return -EINVAL;
	if (write(v->kick[q], &one, sizeof(one)) != (ssize_t)sizeof(one))
		return -errno;
	return 0;
}

/* The backend writes the call eventfd of a queue when it has used buffers there (unless
 * the driver asked for no interrupts). */
static int vu_wait(struct cf_target *t, int timeout_ms)
{
	return cf_wait_eventfds(vu_of(t)->call, VU_NQ,
				cf_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms));
}

/* Stop as QEMU does (Phase C): disable the rings, then GET_VRING_BASE each, which the
 * backend must answer; then hang up. */
static void vu_close(struct cf_target *t)
{
	struct vu *v = vu_of(t);
	uint8_t buf[VSK_VU_HDR_LEN + VSK_VU_MAX_PAYLOAD];
	struct vsk_vu_msg m;
	char err[160];

	if (!v)
		return;
	for (unsigned q = 0; q < VU_NQ && v->started; q++)
		if (vu_set_state(v, VSK_VU_SET_VRING_ENABLE, q, 0, err, sizeof(err)) < 0)
			break;
	for (unsigned q = 0; q < VU_NQ; q++) {
		struct vsk_vu_msg gb = { .request = VSK_VU_GET_VRING_BASE,
					 .flags = VSK_VU_FLAG_VERSION, .state = { q, 0 } };

		if (!v->vq_set[q] || v->sock < 0)
			continue;
		if (vu_send(v, &gb, NULL, 0) < 0 ||
		    vu_reply(v, VSK_VU_GET_VRING_BASE, buf, sizeof(buf), &m, err, sizeof(err)) < 0)
			break;
	}
	vu_free(v);
	t->priv = NULL;
}

/* ---- the application: the backend's hybrid vsock UNIX sockets ---- */

static int no_uds(struct cf_target *t)
{
	snprintf(t->why, sizeof(t->why), "no uds=PATH in --target vhost-user: the backend's "
		 "host side is not reachable");
	return -ENOTSUP;
}

static int no_eor(struct cf_target *t)
{
	snprintf(t->why, sizeof(t->why), "hybrid vsock's SOCK_SEQPACKET UNIX sockets keep "
		 "message boundaries but have no record ends (MSG_EOR)");
	return -ENOTSUP;
}

static int app_new(struct cf_target *t, enum app_kind kind, int fd, int type)
{
	struct vu *v = vu_of(t);

	for (int h = 0; h < VU_MAX_APP; h++) {
		struct app *a = &v->app[h];

		if (a->kind != APP_FREE)
			continue;
		memset(a, 0, sizeof(*a));
		a->kind = kind;
		a->fd = fd;
		a->type = type;
		return h;
	}
	close(fd);
	return -EMFILE;
}

static struct app *app_get(struct cf_target *t, int h)
{
	struct vu *v = vu_of(t);

	if (h < 0 || h >= VU_MAX_APP || v->app[h].kind == APP_FREE)
		return NULL;
	return &v->app[h];
}

static int sock_type(struct cf_target *t, int type)
{
	if (type == VSK_TYPE_STREAM)
		return SOCK_STREAM;
	if (type == VSK_TYPE_SEQPACKET)
		return SOCK_SEQPACKET;
	snprintf(t->why, sizeof(t->why), "hybrid vsock has stream and seqpacket sockets only, "
		 "not type %d", type);
	return -ENOTSUP;
}

static int vu_app_listen(struct cf_target *t, uint32_t port, int type)
{
	struct vu *v = vu_of(t);
	int stype = sock_type(t, type), fd, h;
	char path[VSK_UNIX_PATH_MAX];

	if (!v->opt.uds[0])
		return no_uds(t);
	if (stype < 0)
		return stype;
	/* the argument's check left room for the _<port> */
	fd = vsk_hybrid_port_path(path, sizeof(path), v->opt.uds, port);
	if (fd == 0)
		fd = vsk_unix_listen(path, stype | SOCK_NONBLOCK, 16);
	if (fd < 0)
		return fd;
	h = app_new(t, APP_LISTENER, fd, type);
	if (h >= 0)
		snprintf(v->app[h].path, sizeof(v->app[h].path), "%s", path);
	else
		unlink(path);
	return h;
}

static int vu_app_accept(struct cf_target *t, int lh, int timeout_ms)
{
	struct app *l = app_get(t, lh);
	int fd;

	if (!l || l->kind != APP_LISTENER)
		return -EBADF;
	fd = cf_accept_within(l->fd, cf_now_ms() + timeout_ms);
	if (fd < 0)
		return fd;
	return app_new(t, APP_CONN, fd, l->type);
}

/* "CONNECT <port>\n" on the backend's socket; the "OK" comes in app_connected. */
static int vu_app_connect(struct cf_target *t, uint64_t cid, uint32_t port, int type)
{
	struct vu *v = vu_of(t);
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t n = vsk_hybrid_build_connect(line, sizeof(line), port);
	int fd, e;

	if (!v->opt.uds[0])
		return no_uds(t);
	if (type != VSK_TYPE_STREAM) {
		snprintf(t->why, sizeof(t->why), "hybrid vsock's CONNECT line carries no socket "
			 "type: host-initiated connections are stream only");
		return -ENOTSUP;
	}
	if (cid != t->guest_cid) {
		snprintf(t->why, sizeof(t->why), "hybrid vsock reaches only the backend's own "
			 "guest (CID %" PRIu64 "), not CID %" PRIu64, t->guest_cid, cid);
		return -ENOTSUP;
	}
	/* a UNIX connect completes at once (or fails), and the line fits any buffer */
	fd = vsk_unix_connect(v->opt.uds, SOCK_STREAM | SOCK_NONBLOCK);
	if (fd < 0)
		return fd;
	if (send(fd, line, n, MSG_NOSIGNAL) != (ssize_t)n) {
		e = errno;
		close(fd);
		return -e;
	}
	return app_new(t, APP_CONNECTING, fd, type);
}

/* Reads the backend's "OK <port>\n" (lib/hybrid.c); bytes after it are kept as the first
 * bytes of the stream.  The backend closes the socket when the guest refuses (RST). */
static int vu_app_connected(struct cf_target *t, int h, int timeout_ms)
{
	struct app *a = app_get(t, h);
	int64_t deadline = cf_now_ms() + timeout_ms;

	if (!a)
		return -EBADF;
	if (a->err)
		return a->err;
	while (a->kind == APP_CONNECTING) {
		ssize_t r = recv(a->fd, a->line + a->line_len, sizeof(a->line) - a->line_len,
				 MSG_DONTWAIT);
		uint32_t port;
		size_t used;
		int rc, w;

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			w = cf_wait_fd(a->fd, POLLIN, deadline);
			if (w < 0)
				return w;
			if (w == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (r <= 0) {
			/* closed before OK: the guest refused, or the backend gave up */
			a->err = -ECONNREFUSED;
			return a->err;
		}
		a->line_len += (size_t)r;
		rc = vsk_hybrid_parse_ok(a->line, a->line_len, &port, &used);
		if (rc == 0)
			continue;
		if (rc < 0) {
			char shown[VSK_HYBRID_SHOWN_MAX];

			snprintf(t->why, sizeof(t->why), "the backend answered CONNECT with '%s', "
				 "not OK <port>", vsk_hybrid_shown(shown, a->line, a->line_len));
			a->err = -EPROTO;
			return a->err;
		}
		a->stash_off = used;
		a->kind = APP_CONN;
	}
	return 0;
}

/* A connection that can send and receive: 0, or why not (with record ends asked of a
 * seqpacket socket: not applicable). */
static int conn_ready(struct cf_target *t, const struct app *a, bool eor)
{
	if (!a || a->kind == APP_LISTENER)
		return -EBADF;
	if (a->kind == APP_CONNECTING)
		return -ENOTCONN;
	if (eor && a->type == VSK_TYPE_SEQPACKET)
		return no_eor(t);
	return 0;
}

static ssize_t vu_app_send(struct cf_target *t, int h, const void *buf, size_t len, bool eor)
{
	struct app *a = app_get(t, h);
	int e = conn_ready(t, a, eor);
	ssize_t n;

	if (e < 0)
		return e;
	n = send(a->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static ssize_t vu_app_recv(struct cf_target *t, int h, void *buf, size_t len, int timeout_ms,
			   bool *eor)
{
	struct app *a = app_get(t, h);
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int e = conn_ready(t, a, eor != NULL);
	ssize_t n;

	if (e < 0)
		return e;
	if (eor)
		*eor = false;
	/* the bytes that came with the OK line */
	if (a->stash_off < a->line_len) {
		n = (ssize_t)(a->line_len - a->stash_off);
		if ((size_t)n > len)
			n = (ssize_t)len;
		memcpy(buf, a->line + a->stash_off, (size_t)n);
		a->stash_off += (size_t)n;
		return n;
	}
	return cf_recvmsg_within(a->fd, &m, cf_now_ms() + timeout_ms);
}

static int vu_app_shutdown(struct cf_target *t, int h, int how)
{
	struct app *a = app_get(t, h);

	if (!a)
		return -EBADF;
	return shutdown(a->fd, how) < 0 ? -errno : 0;
}

static int vu_app_close(struct cf_target *t, int h)
{
	struct app *a = app_get(t, h);

	if (!a)
		return -EBADF;
	app_free(a);
	return 0;
}

static int vu_app_set_buffer(struct cf_target *t, int h, uint64_t size)
{
	(void)h;
	(void)size;
	snprintf(t->why, sizeof(t->why), "hybrid vsock has no SO_VM_SOCKETS_BUFFER_SIZE: the "
		 "backend picks its buf_alloc");
	return -ENOTSUP;
}

/* A VMM writes TRANSPORT_RESET into the event queue (its own) after a migration, with a
 * new backend behind the rings; vhost-user has no request that makes a backend reset its
 * connections while keeping its listeners, so there is nothing here to observe. */
static int vu_transport_reset(struct cf_target *t)
{
	snprintf(t->why, sizeof(t->why), "the event queue is the VMM's and vhost-user has no "
		 "request to reset a backend's connections: TRANSPORT_RESET is not the "
		 "backend's to send");
	return -ENOTSUP;
}

const struct cf_target_ops cf_target_vhostuser = {
	.name = "vhost-user",
	.default_timeout_ms = 15000,
	.check = vu_check,
	.open = vu_open,
	.get_features = vu_get_features,
	.set_features = vu_set_features,
	.set_vring = vu_set_vring,
	.start = vu_start,
	.kick = vu_kick,
	.wait = vu_wait,
	.close = vu_close,
	.app_listen = vu_app_listen,
	.app_accept = vu_app_accept,
	.app_connect = vu_app_connect,
	.app_connected = vu_app_connected,
	.app_send = vu_app_send,
	.app_recv = vu_app_recv,
	.app_shutdown = vu_app_shutdown,
	.app_close = vu_app_close,
	.app_set_buffer = vu_app_set_buffer,
	.transport_reset = vu_transport_reset,
};
