/* vhostuser.c - the vhost-user protocol server: reads QEMU's requests with their file
 * descriptors, keeps features, memory and the two rings' setup, and answers exactly as
 * QEMU 7.2 insists (reference/vhost-user-vsock.md: reply flags 0x5, the 20-byte
 * GET_CONFIG reply, REPLY_ACK when NEED_REPLY is set, GET_VRING_BASE at stop). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsk/encode.h"
#include "vsk/error.h"
#include "vsockdev.h"

/* What we offer: VERSION_1 and PROTOCOL_FEATURES are mandatory for QEMU 7.2, INDIRECT_DESC
 * lib/vring.c walks, SEQPACKET (guest-initiated only: SOCK_SEQPACKET UNIX sockets).  Not
 * EVENT_IDX (lib/vring.c does not keep used_event). */
static const uint64_t offered_features = (1ULL << VSK_F_VERSION_1) |
	(1ULL << VSK_VU_F_PROTOCOL_FEATURES) | (1ULL << VSK_F_INDIRECT_DESC) |
	(1ULL << VSK_FEATURE_SEQPACKET);
static const uint64_t offered_proto = (1ULL << VSK_VU_PROTO_F_MQ) |
	(1ULL << VSK_VU_PROTO_F_REPLY_ACK) | (1ULL << VSK_VU_PROTO_F_CONFIG);

/* Sends the reply r (its request and answer set; flags VERSION|REPLY, as QEMU insists:
 * 0x5), built by lib/vhostuser.c.  A GET_CONFIG reply's config bytes follow in data. */
static int reply(struct vd *vd, struct vsk_vu_msg *r, const uint8_t *data)
{
	uint8_t buf[VSK_VU_HDR_LEN + VSK_VU_MAX_PAYLOAD];
	size_t len;
	ssize_t w;

	r->flags = VSK_VU_FLAG_VERSION | VSK_VU_FLAG_REPLY;
	len = vsk_vu_build_msg(buf, sizeof(buf), r);
	if (len && data)
		memcpy(buf + VSK_VU_HDR_LEN + VSK_VU_CONFIG_HDR_LEN, data, r->config.size);
	if (!len) {
		vd_log(vd, 0, "vhost-user: reply to %s: does not fit", vsk_vu_req_name(r->request));
		return -1;
	}

	do
		w = send(vd->vu_fd, buf, len, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)len) {
		vd_log(vd, 0, "vhost-user: reply to %s: %s", vsk_vu_req_name(r->request),
		       w < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

static int reply_u64(struct vd *vd, uint32_t request, uint64_t v)
{
	struct vsk_vu_msg r = { .request = request, .u64 = v };

	return reply(vd, &r, NULL);
}

/* Reads exactly n bytes (the rest of a message QEMU sent in one piece). */
static int read_full(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void set_fd(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

/* A vring request's queue index; only rx (0) and tx (1) come to a vhost-user vsock
 * backend (QEMU keeps the event queue). */
static int vq_index(struct vd *vd, uint32_t index, const char *what)
{
	if (index > VSK_VQ_TX) {
		vd_log(vd, 0, "vhost-user: %s: queue %u: not rx or tx", what, index);
		return -1;
	}
	return (int)index;
}

static int handle(struct vd *vd, const struct vsk_vu_msg *m, int *fds, unsigned nfds)
{
	const char *name = vsk_vu_req_name(m->request);
	int status = 0, q, fd;
	char err[160];

	/* only these carry file descriptors: any others sent along are closed here */
	if (m->request != VSK_VU_SET_MEM_TABLE && m->request != VSK_VU_SET_VRING_KICK &&
	    m->request != VSK_VU_SET_VRING_CALL && m->request != VSK_VU_SET_VRING_ERR) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		nfds = 0;
	}
	switch (m->request) {
	case VSK_VU_GET_FEATURES:
		return reply_u64(vd, m->request, offered_features);
	case VSK_VU_SET_FEATURES:
		if (m->u64 & ~offered_features) {
			vd_log(vd, 0, "vhost-user: SET_FEATURES %#llx: bits %#llx were not offered",
			       (unsigned long long)m->u64,
			       (unsigned long long)(m->u64 & ~offered_features));
			status = 1;
			break;
		}
		vd->features = m->u64;
		vd_log(vd, 1, "vhost-user: features %#llx", (unsigned long long)m->u64);
		break;
	case VSK_VU_GET_PROTOCOL_FEATURES:
		return reply_u64(vd, m->request, offered_proto);
	case VSK_VU_SET_PROTOCOL_FEATURES:
		vd->proto_features = m->u64 & offered_proto;
		break;
	case VSK_VU_GET_QUEUE_NUM:
		return reply_u64(vd, m->request, 2);
	case VSK_VU_SET_OWNER:
	case VSK_VU_RESET_OWNER:
		break;
	case VSK_VU_GET_CONFIG: {
		/* the 20-byte reply: offset, size, flags, then le64 guest_cid (the device's
		 * config space, Socket Device: Device configuration layout) */
		struct vsk_vu_msg r = { .request = m->request, .config = m->config };
		uint8_t out[VSK_VU_MAX_CONFIG] = {0};
		uint8_t space[VSK_VU_VSOCK_CONFIG_LEN];

		vsk_put_le(space, vd->cid, 8);
		for (uint32_t i = 0; i < m->config.size; i++)
			if ((uint64_t)m->config.offset + i < sizeof(space))
				out[i] = space[m->config.offset + i];
		vd_log(vd, 1, "vhost-user: GET_CONFIG offset %u size %u: guest_cid %llu",
		       m->config.offset, m->config.size, (unsigned long long)vd->cid);
		return reply(vd, &r, out);
	}
	case VSK_VU_SET_MEM_TABLE: {
		int rc = vd_mem_set(&vd->mem, m, fds, nfds, err, sizeof(err));

		nfds = 0;    /* taken (and closed) by vd_mem_set */
		if (rc) {
			vd_log(vd, 0, "vhost-user: SET_MEM_TABLE: %s", err);
			status = 1;
		} else {
			for (unsigned i = 0; i < vd->mem.n; i++) {
				const struct vsk_vu_region *r = &m->region[i];

				vd_log(vd, 1, "vhost-user: region %u: gpa %#llx size %#llx "
				       "uva %#llx offset %#llx", i, (unsigned long long)r->gpa,
				       (unsigned long long)r->size, (unsigned long long)r->uva,
				       (unsigned long long)r->mmap_offset);
			}
		}
		for (unsigned i = 0; i < 2; i++)
			vd_dev_queue_update(vd, i);
		break;
	}
	case VSK_VU_SET_VRING_NUM:
		if ((q = vq_index(vd, m->state.index, name)) < 0) {
			status = 1;
			break;
		}
		vd->vq[q].num = m->state.num > UINT16_MAX ? 0 : (uint16_t)m->state.num;
		if (m->state.num > VSK_VRING_MAX_SIZE)
			vd_log(vd, 0, "vhost-user: queue %d: size %u above 32768", q, m->state.num);
		vd_dev_queue_update(vd, (unsigned)q);
		break;
	case VSK_VU_SET_VRING_BASE:
		if ((q = vq_index(vd, m->state.index, name)) < 0) {
			status = 1;
			break;
		}
		vd->vq[q].base = (uint16_t)m->state.num;
		vd_dev_queue_update(vd, (unsigned)q);
		break;
	case VSK_VU_SET_VRING_ADDR:
		if ((q = vq_index(vd, m->addr.index, name)) < 0) {
			status = 1;
			break;
		}
		vd->vq[q].desc = m->addr.desc;
		vd->vq[q].used = m->addr.used;
		vd->vq[q].avail = m->addr.avail;
		vd->vq[q].addr_set = true;
		vd_dev_queue_update(vd, (unsigned)q);
		break;
	case VSK_VU_GET_VRING_BASE: {
		struct vsk_vu_msg r = { .request = m->request, .state.index = m->state.index };

		if ((q = vq_index(vd, m->state.index, name)) >= 0)
			r.state.num = vd_dev_queue_stop(vd, (unsigned)q);
		vd_log(vd, 1, "vhost-user: queue %u stopped at %u", m->state.index, r.state.num);
		return reply(vd, &r, NULL);
	}
	case VSK_VU_SET_VRING_KICK:
	case VSK_VU_SET_VRING_CALL:
	case VSK_VU_SET_VRING_ERR:
		fd = -1;
		if (!(m->u64 & VSK_VU_VRING_NOFD)) {
			if (nfds != 1) {
				vd_log(vd, 0, "vhost-user: %s without a file descriptor", name);
				status = 1;
				break;
			}
			fd = fds[0];
			nfds = 0;
		}
		if ((q = vq_index(vd, (uint32_t)(m->u64 & VSK_VU_VRING_IDX_MASK), name)) < 0) {
			if (fd >= 0)
				close(fd);
			status = 1;
			break;
		}
		if (m->request == VSK_VU_SET_VRING_KICK) {
			set_fd(&vd->vq[q].kick, fd);
			vd_dev_queue_update(vd, (unsigned)q);
		} else if (m->request == VSK_VU_SET_VRING_CALL) {
			/* always the newest: QEMU swaps these at every start and stop */
			set_fd(&vd->vq[q].call, fd);
		} else if (fd >= 0) {
			close(fd);    /* error notifiers: vsockdev logs instead */
		}
		break;
	case VSK_VU_SET_VRING_ENABLE:
		if ((q = vq_index(vd, m->state.index, name)) < 0) {
			status = 1;
			break;
		}
		vd->vq[q].enabled = m->state.num != 0;
		vd_dev_queue_update(vd, (unsigned)q);
		break;
	default:
		vd_log(vd, 0, "vhost-user: request %u (%s) not supported", m->request,
		       name ? name : "unknown");
		status = 1;
		break;
	}
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	if (m->flags & VSK_VU_FLAG_NEED_REPLY &&
	    vd->proto_features & (1ULL << VSK_VU_PROTO_F_REPLY_ACK))
		return reply_u64(vd, m->request, (uint64_t)status);
	return 0;
}

int vd_vu_handle(struct vd *vd)
{
	uint8_t buf[VSK_VU_HDR_LEN + VSK_VU_MAX_PAYLOAD];
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * VSK_VU_MAX_FDS)]; } cm;
	struct iovec iov = { .iov_base = buf, .iov_len = VSK_VU_HDR_LEN };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			     .msg_controllen = sizeof(cm.b) };
	int fds[VSK_VU_MAX_FDS];
	unsigned nfds = 0;
	struct vsk_vu_msg m;
	ssize_t r;
	int rc;

	do
		r = recvmsg(vd->vu_fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		vd_log(vd, 1, "vhost-user: QEMU closed the connection");
		return -1;
	}
	if (r < 0) {
		vd_log(vd, 0, "vhost-user: %s", strerror(errno));
		return -1;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < VSK_VU_MAX_FDS)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	rc = -1;
	if (r != VSK_VU_HDR_LEN || mh.msg_flags & MSG_CTRUNC) {
		vd_log(vd, 0, "vhost-user: short header (%zd bytes)", r);
		goto out;
	}
	rc = vsk_vu_parse(buf, VSK_VU_HDR_LEN, &m);
	if (rc == 0) {
		/* the payload follows in the same stream */
		uint32_t size;

		memcpy(&size, buf + 8, 4);
		size = le32toh(size);
		if (read_full(vd->vu_fd, buf + VSK_VU_HDR_LEN, size) < 0) {
			vd_log(vd, 0, "vhost-user: message cut short");
			rc = -1;
			goto out;
		}
		rc = vsk_vu_parse(buf, VSK_VU_HDR_LEN + size, &m);
	}
	if (rc <= 0) {
		uint32_t req;

		memcpy(&req, buf, 4);
		vd_log(vd, 0, "vhost-user: malformed request %u: %s", le32toh(req),
		       rc == VSK_E_RANGE ? "a size out of range" :
		       "payload does not fit the request");
		rc = -1;
		goto out;
	}
	if (m.flags & VSK_VU_FLAG_REPLY) {
		/* the parser reads a REPLY-flagged message as a reply's shape: acting on it
		 * as a request would, e.g., take an 8-byte SET_MEM_TABLE as "no regions" */
		vd_log(vd, 0, "vhost-user: %s: a reply where a request belongs",
		       vsk_vu_req_name(m.request) ? vsk_vu_req_name(m.request) : "?");
		rc = -1;
		goto out;
	}
	vd_log(vd, 2, "vhost-user: <- %s flags %#x size %u fds %u",
	       vsk_vu_req_name(m.request) ? vsk_vu_req_name(m.request) : "?", m.flags, m.size, nfds);
	return handle(vd, &m, fds, nfds);
out:
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return rc;
}

void vd_vu_close(struct vd *vd)
{
	vd_dev_reset_all(vd);
	for (unsigned q = 0; q < 2; q++) {
		struct vd_vq *v = &vd->vq[q];

		set_fd(&v->kick, -1);
		set_fd(&v->call, -1);
		memset(v, 0, sizeof(*v));
		v->kick = v->call = -1;
	}
	vd_mem_clear(&vd->mem);
	vd->features = vd->proto_features = 0;
	if (vd->vu_fd >= 0)
		close(vd->vu_fd);
	vd->vu_fd = -1;
}
