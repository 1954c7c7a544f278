/* target-vhost.c - the Linux host kernel's vhost-vsock as the device under test.
 *
 * The suite is the guest: its memory and rings live in this process, and the kernel's
 * vhost worker reads and writes them through the memory table we give it.  The other end
 * is the kernel itself: ordinary AF_VSOCK sockets in this same kernel (CID 2 from the
 * guest's view) are the application, so no VM is needed, only /dev/vhost-vsock.
 *
 * What vhost-vsock is and is not (drivers/vhost/vsock.c):
 *   - it has two vhost queues, rx (0) and tx (1), in the guest's numbering; the event queue
 *     (2) belongs to the VMM (QEMU's vhost-vsock-common writes TRANSPORT_RESET into it after
 *     a migration), so the kernel never touches it and this target plays the VMM there
 *     (vh_transport_reset);
 *   - ring addresses (VHOST_SET_VRING_ADDR) are addresses of this process, not guest
 *     addresses: without an IOTLB, vhost checks them with access_ok() and reads the rings
 *     through them (vhost.c, vhost_vring_set_addr and vq_access_ok); only descriptor buffer
 *     addresses are guest addresses, translated through VHOST_SET_MEM_TABLE;
 *   - it offers VHOST_F_LOG_ALL (dirty logging for migration) and VIRTIO_F_ACCESS_PLATFORM
 *     (an IOTLB fed by VMM messages).  Neither is a feature of the device a guest sees here:
 *     we give the kernel no log and no IOTLB, so get_features does not offer them.
 *   - it accepts packets only from the guest CID to CID 2 and drops the rest silently.
 *
 * SAFETY: this opens /dev/vhost-vsock and AF_VSOCK sockets: run it only inside the test
 * VM (tests/vm/run), never on a machine whose own host answers on vsock. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/vm_sockets.h>

#include "fdwait.h"
#include "target.h"
#include "vsk/proto.h"

#define VH_DEV      "/dev/vhost-vsock"
#define VH_NQ       2          /* vhost-vsock's queues: rx and tx */
#define VH_MAX_APP  256        /* application sockets open at once */

struct vh {
	int fd;
	int kick[VH_NQ], call[VH_NQ];
	uint8_t *mem;
	uint64_t gpa, size;
	uint64_t offered;          /* VHOST_GET_FEATURES as the kernel said it */
	uint64_t acked;            /* what set_features gave it */
	struct vsk_vq_addr vq[3];
	bool vq_set[3];
	/* The event queue, device side, as the VMM (this target) sees it (vh_transport_reset). */
	struct vsk_mem_flat flat;
	struct vsk_vq_dev evq;
	bool evq_ready, event_signal;
	int app[VH_MAX_APP];       /* fd, or -1 for a free handle */
	int app_type[VH_MAX_APP];  /* SOCK_STREAM or SOCK_SEQPACKET */
	int app_err[VH_MAX_APP];   /* app_connected's result once the connect failed */
};

/* Features vhost offers that only a VMM can back (see the top of the file). */
static const uint64_t vh_vmm_only =
	(1ULL << VHOST_F_LOG_ALL) | (1ULL << VIRTIO_F_ACCESS_PLATFORM);

static struct vh *vh_of(struct cf_target *t)
{
	return t->priv;
}

/* The error line for a failed open: what failed and what to do about it. */
static void open_error(char *err, size_t errlen, const char *what, int e, uint64_t cid)
{
	const char *hint = "";

	if (!strcmp(what, VH_DEV)) {
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			hint = " (the module is not loaded: modprobe vhost_vsock)";
		else if (e == EACCES || e == EPERM)
			hint = " (needs root or write access to " VH_DEV ")";
	} else if (!strcmp(what, "VHOST_VSOCK_SET_GUEST_CID")) {
		if (e == EADDRINUSE)
			hint = " (another vhost-vsock user or a local transport has this CID:"
			       " use another guest CID, --cid)";
		else if (e == EINVAL)
			hint = " (CIDs 0, 1, 2, 0xffffffff and CIDs above 32 bits are reserved)";
	} else if (!strcmp(what, "VHOST_SET_OWNER") && e == EBUSY) {
		hint = " (the device already has an owner)";
	}
	if (cid != UINT64_MAX)
		snprintf(err, errlen, "%s %" PRIu64 ": %s%s", what, cid, strerror(e), hint);
	else
		snprintf(err, errlen, "%s: %s%s", what, strerror(e), hint);
}

static void vh_free(struct vh *v)
{
	/* The device first: when its fd is released, the kernel resets the sockets that
	 * were connected to the guest (vhost_vsock_reset_orphans), so closing them next
	 * does not leave them waiting out the close timeout for a guest that is gone. */
	cf_close_fd(&v->fd);
	for (unsigned q = 0; q < VH_NQ; q++) {
		cf_close_fd(&v->kick[q]);
		cf_close_fd(&v->call[q]);
	}
	for (int h = 0; h < VH_MAX_APP; h++)
		cf_close_fd(&v->app[h]);
	free(v);
}

/* A new vhost-vsock device owned by this process, with our memory and the guest CID:
 * 0, or -errno with err set. */
static int dev_bringup(struct vh *v, uint64_t cid, char *err, size_t errlen)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r[1];
	} table;
	int e;

	v->fd = open(VH_DEV, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		e = errno;
		open_error(err, errlen, VH_DEV, e, UINT64_MAX);
		return -e;
	}
	/* The owner's memory is what vhost reads and writes: this process. */
	if (ioctl(v->fd, VHOST_SET_OWNER) < 0) {
		e = errno;
		open_error(err, errlen, "VHOST_SET_OWNER", e, UINT64_MAX);
		return -e;
	}
	if (ioctl(v->fd, VHOST_GET_FEATURES, &v->offered) < 0) {
		e = errno;
		open_error(err, errlen, "VHOST_GET_FEATURES", e, UINT64_MAX);
		return -e;
	}
	/* One region: guest addresses gpa .. gpa + size are mem .. mem + size here. */
	memset(&table, 0, sizeof(table));
	table.m.nregions = 1;
	table.r[0].guest_phys_addr = v->gpa;
	table.r[0].memory_size = v->size;
	table.r[0].userspace_addr = (uint64_t)(uintptr_t)v->mem;
	if (ioctl(v->fd, VHOST_SET_MEM_TABLE, &table.m) < 0) {
		e = errno;
		open_error(err, errlen, "VHOST_SET_MEM_TABLE", e, UINT64_MAX);
		return -e;
	}
	/* The CID now, so that a clash is reported before any queue is set up. */
	if (ioctl(v->fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0) {
		e = errno;
		open_error(err, errlen, "VHOST_VSOCK_SET_GUEST_CID", e, cid);
		return -e;
	}
	return 0;
}

static int vh_open(struct cf_target *t, const char *opts, void *mem, uint64_t gpa,
		   uint64_t size, char *err, size_t errlen)
{
	struct vh *v;
	int r;

	if (opts && *opts) {
		snprintf(err, errlen, "vhost takes no options (got '%s')", opts);
		return -EINVAL;
	}
	if (!mem || !size || gpa + size < gpa) {
		snprintf(err, errlen, "no guest memory to give the device");
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	v->fd = -1;
	for (unsigned q = 0; q < VH_NQ; q++)
		v->kick[q] = v->call[q] = -1;
	for (int h = 0; h < VH_MAX_APP; h++)
		v->app[h] = -1;
	v->mem = mem;
	v->gpa = gpa;
	v->size = size;
	vsk_mem_flat_init(&v->flat, mem, gpa, size);

	r = dev_bringup(v, t->guest_cid, err, errlen);
	if (r < 0) {
		vh_free(v);
		return r;
	}
	for (unsigned q = 0; q < VH_NQ; q++) {
		v->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->kick[q] < 0 || v->call[q] < 0) {
			r = -errno;
			open_error(err, errlen, "eventfd", -r, UINT64_MAX);
			vh_free(v);
			return r;
		}
	}
	t->priv = v;
	return 0;
}

static uint64_t vh_get_features(struct cf_target *t)
{
	return vh_of(t)->offered & ~vh_vmm_only;
}

static int vh_set_features(struct cf_target *t, uint64_t features)
{
	struct vh *v = vh_of(t);

	if (features & ~(v->offered & ~vh_vmm_only))
		return -EINVAL;
	if (ioctl(v->fd, VHOST_SET_FEATURES, &features) < 0)
		return -errno;
	v->acked = features;
	return 0;
}

/* This process's address of guest range [addr, addr + len), or 0 if it is not all in
 * the guest memory. */
static uint64_t hva(const struct vh *v, uint64_t addr, uint64_t len)
{
	if (addr < v->gpa || addr - v->gpa > v->size || len > v->size - (addr - v->gpa))
		return 0;
	return (uint64_t)(uintptr_t)(v->mem + (addr - v->gpa));
}

/* Give the kernel queue q at v->vq[q], resuming at avail entry base. */
static int ring_setup(struct vh *v, unsigned q, uint16_t base)
{
	const struct vsk_vq_addr *a = &v->vq[q];
	struct vhost_vring_state st;
	struct vhost_vring_addr ad;
	struct vhost_vring_file f;

	memset(&ad, 0, sizeof(ad));
	ad.index = q;
	ad.desc_user_addr = hva(v, a->desc, vsk_vq_desc_size(a->num));
	ad.avail_user_addr = hva(v, a->avail, vsk_vq_avail_size(a->num));
	ad.used_user_addr = hva(v, a->used, vsk_vq_used_size(a->num));
	if (!ad.desc_user_addr || !ad.avail_user_addr || !ad.used_user_addr)
		return -EFAULT;

	st.index = q;
	st.num = a->num;
	if (ioctl(v->fd, VHOST_SET_VRING_NUM, &st) < 0)
		return -errno;
	st.num = base;
	if (ioctl(v->fd, VHOST_SET_VRING_BASE, &st) < 0)
		return -errno;
	if (ioctl(v->fd, VHOST_SET_VRING_ADDR, &ad) < 0)
		return -errno;
	f.index = q;
	f.fd = v->kick[q];
	if (ioctl(v->fd, VHOST_SET_VRING_KICK, &f) < 0)
		return -errno;
	f.fd = v->call[q];
	if (ioctl(v->fd, VHOST_SET_VRING_CALL, &f) < 0)
		return -errno;
	return 0;
}

static int vh_set_vring(struct cf_target *t, unsigned q, const struct vsk_vq_addr *a)
{
	struct vh *v = vh_of(t);

	if (q > VSK_VQ_EVENT)
		return -EINVAL;
	v->vq[q] = *a;
	v->vq_set[q] = true;
	/* The event queue is the VMM's: kept here (transport_reset), never given to the
	 * kernel. */
	if (q == VSK_VQ_EVENT) {
		v->evq_ready = false;
		return 0;
	}
	/* The driver's rings start empty: next avail entry 0. */
	return ring_setup(v, q, 0);
}

static int vh_start(struct cf_target *t)
{
	int on = 1;

	if (ioctl(vh_of(t)->fd, VHOST_VSOCK_SET_RUNNING, &on) < 0)
		return -errno;
	return 0;
}

static int vh_kick(struct cf_target *t, unsigned q)
{
	struct vh *v = vh_of(t);
	uint64_t one = 1;

	if (q == VSK_VQ_EVENT)
		return 0;       /* buffers for events the kernel never sends */
	if (q >= VH_NQ)
		return -EINVAL;
	if (write(v->kick[q], &one, sizeof(one)) != (ssize_t)sizeof(one))
		return -errno;
	return 0;
}

/* The kernel's vhost worker signals the call eventfd of a queue when it has put used
 * buffers there (vhost_signal), unless the driver asked for no interrupts. */
static int vh_wait(struct cf_target *t, int timeout_ms)
{
	struct vh *v = vh_of(t);
	int64_t deadline = cf_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	int got = 0, r;

	/* The event queue's interrupt is ours (transport_reset): already due. */
	if (v->event_signal) {
		v->event_signal = false;
		got = 1;
		deadline = cf_now_ms();
	}
	r = cf_wait_eventfds(v->call, VH_NQ, deadline);
	return r < 0 ? r : (got | r);
}

static void vh_close(struct cf_target *t)
{
	struct vh *v = vh_of(t);

	if (!v)
		return;
	vh_free(v);
	t->priv = NULL;
}

/* ---- the application: AF_VSOCK sockets in this kernel ---- */

static int sock_type(int type)
{
	if (type == VSK_TYPE_STREAM)
		return SOCK_STREAM;
	if (type == VSK_TYPE_SEQPACKET)
		return SOCK_SEQPACKET;
	return -1;
}

static int app_new(struct cf_target *t, int type)
{
	struct vh *v = vh_of(t);
	int st = sock_type(type), fd;

	if (st < 0) {
		snprintf(t->why, sizeof(t->why),
			 "AF_VSOCK has sockets of type stream and seqpacket only, not %d", type);
		return -ENOTSUP;
	}
	for (int h = 0; h < VH_MAX_APP; h++) {
		if (v->app[h] >= 0)
			continue;
		fd = socket(AF_VSOCK, st | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		v->app[h] = fd;
		v->app_type[h] = st;
		v->app_err[h] = 0;
		return h;
	}
	return -EMFILE;
}

static int app_fd(struct cf_target *t, int h)
{
	struct vh *v = vh_of(t);

	if (h < 0 || h >= VH_MAX_APP || v->app[h] < 0)
		return -EBADF;
	return v->app[h];
}

static void app_drop(struct cf_target *t, int h)
{
	cf_close_fd(&vh_of(t)->app[h]);
}

static int vh_app_listen(struct cf_target *t, uint32_t port, int type)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	int h = app_new(t, type), fd, e;

	if (h < 0)
		return h;
	fd = app_fd(t, h);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		e = errno;
		app_drop(t, h);
		return -e;
	}
	return h;
}

static int vh_app_accept(struct cf_target *t, int lh, int timeout_ms)
{
	struct vh *v = vh_of(t);
	int lfd = app_fd(t, lh), fd;

	if (lfd < 0)
		return lfd;
	fd = cf_accept_within(lfd, cf_now_ms() + timeout_ms);
	if (fd < 0)
		return fd;
	for (int h = 0; h < VH_MAX_APP; h++) {
		if (v->app[h] < 0) {
			v->app[h] = fd;
			v->app_type[h] = v->app_type[lh];
			v->app_err[h] = 0;
			return h;
		}
	}
	close(fd);
	return -EMFILE;
}

static int vh_app_connect(struct cf_target *t, uint64_t cid, uint32_t port, int type)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_port = port };
	int h, fd, e;

	if (cid > UINT32_MAX)
		return -EINVAL;   /* sockaddr_vm has 32-bit CIDs */
	sa.svm_cid = (unsigned)cid;
	h = app_new(t, type);
	if (h < 0)
		return h;
	fd = app_fd(t, h);
	/* Non-blocking: the kernel sends REQUEST through vhost and returns; the case
	 * answers it from the guest side, app_connected reads the result. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		e = errno;
		app_drop(t, h);
		return -e;
	}
	return h;
}

/* A connect is done when the socket has a peer (getpeername: sock->state is
 * SS_CONNECTED once RESPONSE arrived) or an error.  POLLOUT alone is not enough: it also
 * needs peer credit, and a RESPONSE may advertise buf_alloc 0; after a failure it is set
 * for good.  So look at both every 10 ms.  SO_ERROR is cleared by reading it, so the
 * result is kept for the next call.  Linux reports a REQUEST answered by RST as
 * ECONNRESET (vsock_test case 0); target.h calls that -ECONNREFUSED. */
static int vh_app_connected(struct cf_target *t, int h, int timeout_ms)
{
	struct vh *v = vh_of(t);
	int64_t deadline = cf_now_ms() + timeout_ms;
	int fd = app_fd(t, h), e;

	if (fd < 0)
		return fd;
	for (;;) {
		struct sockaddr_vm peer;
		socklen_t sl = sizeof(e), pl = sizeof(peer);
		int64_t slice;

		if (v->app_err[h])
			return v->app_err[h];
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
			return -errno;
		if (e) {
			v->app_err[h] = e == ECONNRESET ? -ECONNREFUSED : -e;
			return v->app_err[h];
		}
		if (getpeername(fd, (struct sockaddr *)&peer, &pl) == 0)
			return 0;
		if (!cf_left_ms(deadline))
			return -ETIMEDOUT;
		slice = cf_now_ms() + 10 < deadline ? cf_now_ms() + 10 : deadline;
		if (cf_wait_fd(fd, POLLOUT | POLLIN, slice) > 0 && cf_left_ms(slice)) {
			struct timespec ts = {0, (long)cf_left_ms(slice) * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
}

static ssize_t vh_app_send(struct cf_target *t, int h, const void *buf, size_t len, bool eor)
{
	struct vh *v = vh_of(t);
	int fd = app_fd(t, h), flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (eor && v->app_type[h] == SOCK_SEQPACKET)
		flags |= MSG_EOR;
	n = send(fd, buf, len, flags);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static ssize_t vh_app_recv(struct cf_target *t, int h, void *buf, size_t len, int timeout_ms,
			   bool *eor)
{
	int fd = app_fd(t, h);
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd < 0)
		return fd;
	if (eor)
		*eor = false;
	n = cf_recvmsg_within(fd, &m, cf_now_ms() + timeout_ms);
	if (n < 0)
		return n;
	/* Linux returns one whole seqpacket message per call; MSG_EOR says the message
	 * ended a record (VIRTIO_VSOCK_SEQ_EOR). */
	if (eor && (m.msg_flags & MSG_EOR))
		*eor = true;
	return n;
}

static int vh_app_shutdown(struct cf_target *t, int h, int how)
{
	int fd = app_fd(t, h);

	if (fd < 0)
		return fd;
	return shutdown(fd, how) < 0 ? -errno : 0;
}

static int vh_app_close(struct cf_target *t, int h)
{
	if (app_fd(t, h) < 0)
		return -EBADF;
	app_drop(t, h);
	return 0;
}

/* The kernel clamps BUFFER_SIZE into [MIN_SIZE, MAX_SIZE] (af_vsock.c,
 * vsock_update_buffer_size) and buf_alloc follows BUFFER_SIZE (capped at 0xffffffff):
 * set the maximum, the minimum, then the size itself. */
static int vh_app_set_buffer(struct cf_target *t, int h, uint64_t size)
{
	int fd = app_fd(t, h);
	unsigned long long s = size;

	if (fd < 0)
		return fd;
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &s, sizeof(s)) < 0 ||
	    setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MIN_SIZE, &s, sizeof(s)) < 0 ||
	    setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &s, sizeof(s)) < 0)
		return -errno;
	return 0;
}

/* TRANSPORT_RESET the way a VMM produces it.  The kernel has no event queue: QEMU sends
 * the event (vhost-vsock-common, after loading a migrated VM) on a new vhost-vsock device
 * that replaced the one on the source host.  We do the same on one kernel: stop the
 * device and read where its rings stopped (VHOST_GET_VRING_BASE), close it (the kernel
 * then resets every host socket connected to the guest CID: vhost_vsock_reset_orphans),
 * bring up a new device with the same CID, features and rings resuming at those
 * indices, and write VIRTIO_VSOCK_EVENT_TRANSPORT_RESET into the driver's event queue as
 * QEMU does: the next buffer, which must be device-writable, 4 bytes used.  Host
 * listeners are untouched; what the kernel does with the old connections is what the
 * case observes. */
static int post_event(struct vh *v, uint32_t id)
{
	struct vsk_vq_chain c;
	uint8_t ev[VSK_EVENT_LEN];
	int r;

	if (!v->evq_ready) {
		if (vsk_vq_dev_init(&v->evq, &v->flat.mem, &v->vq[VSK_VQ_EVENT], v->acked) < 0)
			return -EFAULT;
		v->evq_ready = true;
	}
	r = vsk_vq_dev_pop(&v->evq, &c);
	if (r < 0)
		return -EFAULT;
	if (r == 0)
		return -ENOBUFS;  /* QEMU: "vhost-vsock missed transport reset event" */
	for (unsigned i = 0; i < sizeof(ev); i++)
		ev[i] = (uint8_t)(id >> (8 * i));
	if (c.rlen || vsk_vq_dev_write(&v->evq, &c, 0, ev, sizeof(ev)) != sizeof(ev)) {
		/* QEMU drops such a buffer without using it; we give it back empty. */
		vsk_vq_dev_push(&v->evq, c.head, 0);
		v->event_signal = true;
		return -EINVAL;
	}
	if (vsk_vq_dev_push(&v->evq, c.head, sizeof(ev)) < 0)
		return -EFAULT;
	if (!vsk_vq_dev_no_interrupt(&v->evq))
		v->event_signal = true;
	return 0;
}

static int vh_transport_reset(struct cf_target *t)
{
	struct vh *v = vh_of(t);
	struct vhost_vring_state st;
	uint16_t base[VH_NQ];
	uint64_t cid = t->guest_cid;
	char err[128];
	int off = 0, on = 1, r;

	if (!v->vq_set[VSK_VQ_EVENT]) {
		snprintf(t->why, sizeof(t->why), "the driver set up no event queue");
		return -ENOTSUP;
	}
	if (ioctl(v->fd, VHOST_VSOCK_SET_RUNNING, &off) < 0)
		return -errno;
	for (unsigned q = 0; q < VH_NQ; q++) {
		st.index = q;
		st.num = 0;
		if (ioctl(v->fd, VHOST_GET_VRING_BASE, &st) < 0)
			return -errno;
		base[q] = (uint16_t)st.num;
	}
	cf_close_fd(&v->fd);
	r = dev_bringup(v, cid, err, sizeof(err));
	if (r < 0) {
		snprintf(t->why, sizeof(t->why), "new device: %s", err);
		return r;
	}
	if (ioctl(v->fd, VHOST_SET_FEATURES, &v->acked) < 0)
		return -errno;
	for (unsigned q = 0; q < VH_NQ; q++) {
		if (!v->vq_set[q])
			continue;
		r = ring_setup(v, q, base[q]);
		if (r < 0)
			return r;
	}
	if (ioctl(v->fd, VHOST_VSOCK_SET_RUNNING, &on) < 0)
		return -errno;
	return post_event(v, VSK_EVENT_TRANSPORT_RESET);
}

const struct cf_target_ops cf_target_vhost = {
	.name = "vhost",
	.default_timeout_ms = 30000,
	.open = vh_open,
	.get_features = vh_get_features,
	.set_features = vh_set_features,
	.set_vring = vh_set_vring,
	.start = vh_start,
	.kick = vh_kick,
	.wait = vh_wait,
	.close = vh_close,
	.app_listen = vh_app_listen,
	.app_accept = vh_app_accept,
	.app_connect = vh_app_connect,
	.app_connected = vh_app_connected,
	.app_send = vh_app_send,
	.app_recv = vh_app_recv,
	.app_shutdown = vh_app_shutdown,
	.app_close = vh_app_close,
	.app_set_buffer = vh_app_set_buffer,
	.transport_reset = vh_transport_reset,
};
