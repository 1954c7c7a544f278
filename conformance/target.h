/* target.h - what the conformance suite tests: a virtio-vsock device implementation and the
 * application that uses sockets on its side.
 *
 * The suite plays the guest driver (conformance/harness.c): it owns guest memory and the
 * three split virtqueues (rx 0, tx 1, event 2; lib/vsk/vring.h driver role), puts packets on
 * tx, keeps rx filled, and reads what the device returns.  A target gives the suite:
 *   - the device: feature negotiation, the queues' addresses, kicks, and a wait for the
 *     device's interrupts (or, for an in-process device, a run until it is idle);
 *   - the application on the device's side: sockets it can listen, connect, send, receive,
 *     shut down and close on command, so a case can make the implementation act.
 *
 * Targets: target-model.c (the reference device model in this process, with mutations) and
 * target-vhost.c (Linux vhost-vsock through /dev/vhost-vsock, ordinary AF_VSOCK sockets in
 * the same kernel as the application), target-vhostuser.c (a vhost-user backend, its
 * hybrid vsock UNIX sockets as the application), target-guest.c (roles flipped: a guest
 * kernel's driver at the packet level, tests/vm/vsock-agent.py as the application).
 *
 * Conventions: functions return 0 (or a handle/count >= 0) on success and a negative errno
 * on failure (-ETIMEDOUT, -ECONNREFUSED, -ECONNRESET, -EPIPE, -EAGAIN, -ENOTSUP when the
 * target cannot do it: the case then reports "not applicable" with t->why).  Timeouts are
 * milliseconds; no call blocks longer than its timeout. */
#ifndef CF_TARGET_H
#define CF_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vsk/vring.h>

struct cf_target;

/* A case's timeout in the model and the hybrid target when neither --timeout nor the case
 * asks for more. */
#define CF_DEFAULT_TIMEOUT_MS 5000

/* Socket types of the application side, the virtio_vsock_hdr type numbers (VSK_TYPE_*). */
struct cf_target_ops {
	const char *name;        /* "model", "vhost", "vhost-user", "guest" */
	/* A case's timeout without --timeout (a case that needs more keeps its own): what a
	 * real device needs under emulation (TCG), where one 64 KiB windowed transfer takes
	 * seconds; the model runs in virtual time. */
	int default_timeout_ms;

	/* Checks the argument of --target NAME=ARG (arg NULL without '=') and the options
	 * that concern the target (cid_set: --cid was given; a target whose guest CID is
	 * not the suite's to choose refuses it) before anything runs: 0, or -EINVAL with
	 * one line in err.  NULL: open() judges the argument, --cid applies. */
	int (*check)(const char *arg, bool cid_set, char *err, size_t errlen);

	/* Bring the device up with the guest CID the suite's driver uses and the guest memory
	 * the suite allocated: mem is host memory of size bytes, seen by the device at guest
	 * address gpa.  err gets one line on failure.  opts: the target's argument after '='
	 * in --target NAME=ARG (e.g. a mutation name for model), or NULL. */
	int (*open)(struct cf_target *t, const char *opts, void *mem, uint64_t gpa,
		    uint64_t size, char *err, size_t errlen);
	/* Feature bits the device offers; the suite picks and sets a subset. */
	uint64_t (*get_features)(struct cf_target *t);
	int (*set_features)(struct cf_target *t, uint64_t features);
	/* Queue q (VSK_VQ_RX, _TX, _EVENT) lives at a; called for each queue before start. */
	int (*set_vring)(struct cf_target *t, unsigned q, const struct vsk_vq_addr *a);
	/* Start processing (vhost: VHOST_VSOCK_SET_RUNNING 1). */
	int (*start)(struct cf_target *t);
	/* Tell the device queue q has new buffers. */
	int (*kick)(struct cf_target *t, unsigned q);
	/* Wait until the device signals used buffers on any queue, or until timeout_ms passes.
	 * 1 signalled, 0 timeout, <0 error.  In-process targets run the device here until it
	 * has nothing left to do and return 1 if it used any buffer. */
	int (*wait)(struct cf_target *t, int timeout_ms);
	/* Stop the device and free everything, including open application sockets. */
	void (*close)(struct cf_target *t);

	/* The application.  Handles are small ints >= 0 owned by the target. */
	int (*app_listen)(struct cf_target *t, uint32_t port, int type);
	/* Accept one connection on listener lh: handle, or -ETIMEDOUT. */
	int (*app_accept)(struct cf_target *t, int lh, int timeout_ms);
	/* Start a connection to the driver (cid = the guest CID) without blocking: a handle
	 * whose connect completes later (the device sends REQUEST; the case answers). */
	int (*app_connect)(struct cf_target *t, uint64_t cid, uint32_t port, int type);
	/* Result of a started connect within timeout_ms: 0 connected, -ECONNREFUSED (RST),
	 * -ETIMEDOUT, -ECONNRESET. */
	int (*app_connected)(struct cf_target *t, int h, int timeout_ms);
	/* Send without blocking: bytes queued (may be short), -EAGAIN if none fit, -EPIPE
	 * after shutdown, -ECONNRESET.  eor: end of a seqpacket record (MSG_EOR; -ENOTSUP if
	 * the target cannot send one). */
	ssize_t (*app_send)(struct cf_target *t, int h, const void *buf, size_t len, bool eor);
	/* Receive up to len bytes waiting at most timeout_ms: bytes (>0), 0 at EOF, -ETIMEDOUT,
	 * -ECONNRESET.  *eor (may be NULL) is set when the bytes end a seqpacket record (MSG_EOR);
	 * a target that cannot tell record ends returns -ENOTSUP when eor is not NULL. */
	ssize_t (*app_recv)(struct cf_target *t, int h, void *buf, size_t len, int timeout_ms,
			    bool *eor);
	/* shutdown(2) how: SHUT_RD, SHUT_WR, SHUT_RDWR. */
	int (*app_shutdown)(struct cf_target *t, int h, int how);
	int (*app_close)(struct cf_target *t, int h);
	/* SO_VM_SOCKETS_BUFFER_SIZE (and _MAX_SIZE) of a socket: what its buf_alloc becomes. */
	int (*app_set_buffer)(struct cf_target *t, int h, uint64_t size);

	/* Make the device send VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (-ENOTSUP if it cannot). */
	int (*transport_reset)(struct cf_target *t);

	/* Packet level (target-guest.c: the suite plays the DEVICE and the implementation is
	 * a guest kernel's driver, reached through vsockdev --relay).  A target with xmit
	 * has no virtqueues of ours: open() gets no memory (mem NULL), get_features ...
	 * kick are not called, wait() waits for recv to have a packet.  open() sets
	 * guest_cid to the suite's own CID (2) and host_cid to the implementation's.
	 * xmit: one packet (header and payload) to the implementation: 0 or <0.
	 * recv: the next packet from it into buf without blocking: its length, 0 if none,
	 * <0 on error. */
	int (*xmit)(struct cf_target *t, const uint8_t *pkt, size_t len);
	ssize_t (*recv)(struct cf_target *t, uint8_t *buf, size_t cap);
};

struct cf_target {
	const struct cf_target_ops *ops;
	uint64_t guest_cid;      /* the suite's (driver's) CID, set before open; default 3 */
	uint64_t host_cid;       /* the CID the device's side answers to (VMADDR_CID_HOST, 2) */
	int mem_fd;              /* a memfd holding the guest memory open() gets, mapped
				  * MAP_SHARED from offset 0 (vhost-user passes it on) */
	uint32_t max_payload;    /* packet level: the most payload one packet of ours may
				  * carry (what the driver's rx buffers hold), 0: 64 KiB */
	char why[160];           /* why the last -ENOTSUP: one line for "not applicable" */
	void *priv;              /* the target's own state */
};

extern const struct cf_target_ops cf_target_model;
extern const struct cf_target_ops cf_target_vhost;
extern const struct cf_target_ops cf_target_vhostuser;
extern const struct cf_target_ops cf_target_guest;

#endif
