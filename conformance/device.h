/* device.h - the reference virtio-vsock device model (virtio spec: Socket Device), written
 * from the spec text, strict, and with switches (mutations.def) that each break one rule so
 * the conformance suite can show it catches them.
 *
 * The model is the device side of the three queues (rx 0, tx 1, event 2) over guest memory
 * (struct vsk_mem, lib/vsk/vring.h device role) plus the application on the host's side: a
 * small socket API (listen/accept/connect/send/recv/shutdown/close/set_buffer) on handles.
 * It never blocks and never sleeps: cf_dev_run() does all the work there is, and time is a
 * number the caller advances (cf_dev_advance), so the close and connect timeouts are exact
 * and a whole run takes no wall-clock time.
 *
 * What it does, by spec clause (Socket Device: Device Operation):
 *   - Receive and Transmit: packets of an unknown type, or a type the negotiated features do
 *     not allow, are answered by RST.  Packets whose src_cid is not the guest's CID (the
 *     driver MUST use guest_cid as source) or whose dst_cid is not the host's are dropped.  Any rx buffer layout is fine (the
 *     header and payload are written across the chain's writable segments).
 *   - Stream Sockets: REQUEST to a listener gives RESPONSE, to no listener RST; SHUTDOWN bits
 *     are permanent; both bits from the peer are answered by RST; the application's close
 *     sends SHUTDOWN(RCV|SEND) and, if no RST comes within close_timeout_ms, an RST.
 *   - Buffer Space Management: RW is never sent beyond the peer's credit, and the bytes in
 *     flight never exceed the sender's own buffer (the CVE-2026-23086 fix); a CREDIT_REQUEST
 *     gets a CREDIT_UPDATE; after the application reads, a CREDIT_UPDATE goes out when the
 *     peer's view of our free space is below VSK_MAX_PKT_BUF_SIZE (64 KiB) or half our
 *     buffer; an RW beyond the credit we gave is answered by RST (the model's choice: data is
 *     never silently dropped).
 *   - Seqpacket Sockets: EOM on the last RW of each message, EOR on the last of a record;
 *     the application receives one message per recv, with *eor for a record end.
 *   - Device Events: cf_dev_transport_reset() writes VIRTIO_VSOCK_EVENT_TRANSPORT_RESET,
 *     resets every connection (the application sees -ECONNRESET) and keeps listeners.
 *   - Virtqueue Flow Control: tx is processed while rx is full, with packets held outside
 *     the queue up to CF_DEV_MAX_PENDING; beyond that tx processing stops until rx buffers
 *     come back.
 *   - A queue whose driver broke a ring rule (lib/vsk/vring.h) stops (DEVICE_NEEDS_RESET);
 *     cf_dev_ring_broken() says which rule.
 * Conventions: 0 or a value >= 0 on success, a negative errno on failure. */
#ifndef CF_DEVICE_H
#define CF_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vsk/vring.h>

/* The mutations (mutations.def): bit numbers of cf_dev_config.mutations. */
enum cf_mutation {
#define CF_MUTATION(ID, name, caught_by, text) CF_MUT_##ID,
#include "mutations.def"
	CF_MUT__COUNT
};
struct cf_mutation_info {
	const char *name;        /* "ignore_credit" */
	const char *caught_by;   /* the case (cases.c) expected to fail with it switched on */
	const char *text;        /* which rule it breaks */
};
extern const struct cf_mutation_info cf_mutations[CF_MUT__COUNT];
/* The mutation called name, or -1. */
int cf_mutation_find(const char *name);

#define CF_DEV_MAX_HANDLES  256    /* application handles (listeners + connections) */
#define CF_DEV_MAX_CONNS    512    /* connections, including ones not accepted yet */
#define CF_DEV_MAX_PENDING  64     /* replies held outside the rx queue */
#define CF_DEV_MAX_MSGS     1024   /* seqpacket messages queued per connection */
#define CF_DEV_BACKLOG      16     /* connections waiting in a listener */

struct cf_dev_config {
	uint64_t guest_cid;          /* the driver's CID (config space guest_cid) */
	uint64_t host_cid;           /* the application's CID: VMADDR_CID_HOST (2) */
	uint64_t features;           /* offered: 0 means the default set (see cf_dev_new) */
	uint64_t mutations;          /* bit (1ULL << CF_MUT_x) per mutation */
	uint32_t buf_size;           /* default buffer (buf_alloc) of a socket: 256 KiB */
	uint32_t close_timeout_ms;   /* RST this long after our SHUTDOWN: 8000 */
	uint32_t connect_timeout_ms; /* a REQUEST without answer fails: 2000 */
};

/* Counters of what the model saw; for tests and fuzzing. */
struct cf_dev_stats {
	uint64_t tx_pkts;            /* packets taken from tx */
	uint64_t rx_pkts;            /* packets written to rx */
	uint64_t events;             /* events written */
	uint64_t dropped;            /* tx packets dropped (bad src_cid, short header) */
	uint64_t rst_sent;
	uint64_t bad_rx_bufs;        /* rx chains returned unused (readable or < 44 bytes) */
	uint64_t protocol_errors;    /* driver packets answered by RST because they broke a rule */
};

struct cf_dev;

/* False for the CIDs the spec reserves (0, 1, 2, 0xffffffff, above 32 bits): they cannot
 * be a guest's (Device configuration layout). */
bool cf_dev_cid_ok(uint64_t cid);
/* A new device over guest memory mem (the caller keeps mem alive).  cfg NULL: defaults
 * (guest_cid 3, host_cid 2, features STREAM|SEQPACKET|NO_IMPLIED_STREAM|VERSION_1|
 * INDIRECT_DESC).  NULL with errno EINVAL if cfg->guest_cid is reserved, ENOMEM on
 * allocation failure. */
struct cf_dev *cf_dev_new(const struct cf_dev_config *cfg, const struct vsk_mem *mem);
void cf_dev_free(struct cf_dev *d);

/* ---- the transport side (what a VMM's virtio transport would do) ---- */
uint64_t cf_dev_features(const struct cf_dev *d);
/* -EINVAL if features has bits not offered. */
int cf_dev_set_features(struct cf_dev *d, uint64_t features);
uint64_t cf_dev_guest_cid(const struct cf_dev *d);
/* Queue q (VSK_VQ_RX, _TX, _EVENT) at a; before cf_dev_start.  0, -EINVAL (q), or
 * -EFAULT (a ring rule: see cf_dev_ring_broken). */
int cf_dev_set_vring(struct cf_dev *d, unsigned q, const struct vsk_vq_addr *a);
/* -EINVAL unless all three queues are set. */
int cf_dev_start(struct cf_dev *d);
/* Does all the work there is now: tx packets, rx packets, events, expired timers.  Returns
 * the number of buffers it used (0 if there was nothing to do). */
unsigned cf_dev_run(struct cf_dev *d);
/* The model's clock in milliseconds (starts at 0). */
uint64_t cf_dev_now(const struct cf_dev *d);
/* Moves the clock forward by ms (timers fire in the next cf_dev_run). */
void cf_dev_advance(struct cf_dev *d, uint64_t ms);
/* Milliseconds until the next timer, or -1 if none. */
int64_t cf_dev_next_timer(const struct cf_dev *d);
/* The ring rule the driver broke on queue q (VSK_RING_OK if none) and its detail. */
enum vsk_ring_rule cf_dev_ring_broken(const struct cf_dev *d, unsigned q, const char **detail);
const struct cf_dev_stats *cf_dev_stats(const struct cf_dev *d);
/* Sends VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (held until an event buffer is there), resets
 * every connection, keeps listeners. */
int cf_dev_transport_reset(struct cf_dev *d);

/* ---- the application (host side); type is VSK_TYPE_STREAM or _SEQPACKET ---- */
/* A listener on port: handle, -EADDRINUSE, -EINVAL (type), -EMFILE. */
int cf_dev_listen(struct cf_dev *d, uint32_t port, int type);
/* A connection waiting on listener lh: handle, -EAGAIN none, -EBADF, -EMFILE. */
int cf_dev_accept(struct cf_dev *d, int lh);
/* Sends REQUEST from a new local port to cid:port: handle (connect completes later);
 * -ENETUNREACH if cid is not the guest's. */
int cf_dev_connect(struct cf_dev *d, uint64_t cid, uint32_t port, int type);
/* 0 connected, -EINPROGRESS, -ECONNREFUSED (RST), -ETIMEDOUT, -ECONNRESET, -EBADF. */
int cf_dev_connected(struct cf_dev *d, int h);
/* Queues bytes to send: bytes queued (stream: may be short), -EAGAIN (no room; seqpacket:
 * not all of it fits), -EMSGSIZE (seqpacket message larger than the buffer), -EPIPE (after
 * our SHUT_WR or the peer's SHUTDOWN RCV), -ENOTCONN, -ECONNRESET, -EBADF.  eor: the
 * seqpacket message ends a record. */
ssize_t cf_dev_send(struct cf_dev *d, int h, const void *buf, size_t len, bool eor);
/* Bytes received: >0, 0 at EOF (the peer's SHUTDOWN SEND or clean close, after all data),
 * -EAGAIN nothing yet, -ECONNRESET, -ENOTCONN, -EBADF.  Seqpacket: at most one whole
 * message (the rest of a longer one is dropped, as MSG_TRUNC); *eor (may be NULL) is set
 * when the message ended a record (EOR). */
ssize_t cf_dev_recv(struct cf_dev *d, int h, void *buf, size_t len, bool *eor);
/* how: SHUT_RD, SHUT_WR, SHUT_RDWR (sys/socket.h).  Sends SHUTDOWN with every bit set so
 * far (SEND only once the queued data went out). */
int cf_dev_shutdown(struct cf_dev *d, int h, int how);
/* Frees the handle.  A connection does a clean close (SHUTDOWN, then RST at the timeout). */
int cf_dev_close(struct cf_dev *d, int h);
/* The socket's buffer (its buf_alloc); the peer is told by a CREDIT_UPDATE. */
int cf_dev_set_buffer(struct cf_dev *d, int h, uint64_t size);

#endif
