/* harness.h - the conformance suite's guest driver, over any target (target.h).
 *
 * The harness owns the guest memory (mmap, at a non-zero guest address) and the three
 * split virtqueues in the driver role (lib/vsk/vring.h): it negotiates features, keeps the
 * rx queue filled with buffers in a chosen descriptor layout, puts packets on tx in a
 * chosen layout, reaps both, and decodes what the device wrote into packets.  Every packet
 * either way is logged three times: in the case's trace (its evidence), through lib's flow
 * tracker (lib/vsk/flow.h: the flow rules judge every trace; a rule the device breaks
 * fails the case), and, with --capture, as a LINKTYPE_VSOCK frame (af_vsockmon_hdr +
 * virtio_vsock_hdr + payload, as Linux's vsockmon tap writes them).
 *
 * A case (cases.c) talks to the device through struct cf_conn (our side of one
 * connection: our buf_alloc/fwd_cnt and what we believe of the peer's), makes the target's
 * application act through h->t.ops, and records its verdict in h->r.  No call waits
 * past the case's deadline: a wait that reaches it fails the case with "timeout". */
#ifndef CF_HARNESS_H
#define CF_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <vsk/decode.h>
#include <vsk/vring.h>

#include "fdwait.h"
#include "target.h"

/* ---- descriptor layouts ---- */

enum cf_layout_kind {
	CF_LAYOUT_ONE,           /* header and payload in one buffer */
	CF_LAYOUT_SPLIT,         /* header in one buffer, payload in the next */
	CF_LAYOUT_SPREAD,        /* header and payload spread over n equal buffers */
};

struct cf_layout {
	enum cf_layout_kind kind;
	unsigned n;              /* buffers for SPREAD (2..16); 1 or 2 for the others */
	bool indirect;           /* one indirect table instead of direct descriptors */
};

/* Parses "one", "split" or "spread:N" (N 2..16), each optionally followed by ",indirect".
 * 0, or -1 if s is not a layout. */
int cf_layout_parse(const char *s, struct cf_layout *l);
/* The layout as cf_layout_parse reads it, into buf. */
const char *cf_layout_str(const struct cf_layout *l, char *buf, size_t len);

/* ---- results ---- */

enum cf_verdict { CF_PASS, CF_FAIL, CF_NA };
extern const char *const cf_verdict_names[3];   /* "pass", "fail", "n/a" */

#define CF_MAX_EVIDENCE 48
#define CF_MAX_VIOL     24

/* One finding of lib's flow rules on the case's trace. */
struct cf_viol {
	char rule[32];           /* vsk_rules[].name */
	char who[8];             /* "device" (fails the case) or "driver" (the suite's own,
				  * deliberate in cases that break a rule on purpose) */
	char detail[120];
};

/* A case's outcome.  Fixed size and pointer-free: a case runs in a child process and
 * sends this back through a pipe. */
struct cf_result {
	enum cf_verdict verdict;
	char rule[40];           /* the rule a failure names ("timeout" for a timeout) */
	char reason[320];        /* the failure, or why not applicable */
	char required[400];      /* what the spec requires, in a sentence */
	char observed[800];      /* what the implementation did */
	unsigned nevidence, nevidence_dropped;
	char evidence[CF_MAX_EVIDENCE][128];    /* the packets, one line each */
	unsigned nviol, nviol_dropped;
	struct cf_viol viol[CF_MAX_VIOL];
	unsigned packets;        /* packets exchanged (both ways; each one in --capture) */
	uint64_t guest_cid;      /* the driver's CID once the target opened (the backend's under
				  * vhost-user), 0 before */
	double seconds;          /* filled by the runner */
};

/* ---- the harness ---- */

/* What the command line decides for every case. */
struct cf_params {
	const struct cf_target_ops *ops;
	const char *target_arg;  /* after '=' in --target NAME=ARG, or NULL */
	uint64_t guest_cid;
	struct cf_layout rx, tx;
	uint32_t rx_buf;         /* payload bytes per rx buffer (after the header): 4096 */
	int quiet_ms;            /* a wait this long without device activity is "settled" */
	int answer_ms;           /* how long a case waits for an answer that must come */
	uint32_t port_base;      /* first port the case uses (unique per case in a run, so
				  * one capture of the run has no tuple twice) */
	void *dumper;            /* --capture: a pcap_dumper_t * (main.c owns it; each packet
				  * is flushed as written), or NULL */
};

struct cf_pkt {
	struct vsk_virtio_hdr hdr;
	const uint8_t *data;     /* payload bytes present (owned by the trace) */
	size_t dlen;
	bool from_us;            /* sent by the suite (tx), else by the device (rx) */
	bool seen;               /* matched by an expectation already */
	bool bad;                /* rx: header short or used len disagrees (see reason) */
	uint32_t used_len;       /* rx: what the device wrote into the used element */
	struct timeval ts;
};

struct cf_conn;
struct cf_harness;

/* Opens the target with guest memory, negotiates features (VERSION_1 always; STREAM,
 * SEQPACKET, NO_IMPLIED_STREAM when offered; INDIRECT_DESC when a layout needs it) and
 * lays out the queues; rx and event are filled.  r gets the verdict of whatever goes
 * wrong (a missing feature a layout needs is "not applicable").  Returns the harness, or
 * NULL with r filled in. */
struct cf_harness *cf_open(const struct cf_params *p, struct cf_result *r, int timeout_ms);
/* Feeds the flow tracker's end of trace (timed rules), closes the target, frees all. */
void cf_close(struct cf_harness *h);

/* The target under test (its ops, guest_cid, host_cid, why). */
struct cf_target *cf_target(struct cf_harness *h);
/* Negotiated feature bits. */
uint64_t cf_features(const struct cf_harness *h);
bool cf_has_stream(const struct cf_harness *h);
bool cf_has_seqpacket(const struct cf_harness *h);
/* The target moves packets itself (target.h: xmit and recv, no virtqueues of ours): the
 * implementation is a guest driver, the suite its device. */
bool cf_packet_level(const struct cf_harness *h);

/* Milliseconds left until the case's deadline (0 when reached). */
int cf_left(const struct cf_harness *h);
/* How long to wait for an answer the device must send (answer_ms, capped at the
 * deadline). */
int cf_answer_ms(const struct cf_harness *h);

/* ---- verdicts (first failure wins; later ones are appended to observed) ---- */
/* On a result: cf_rrequired states what the case requires, cf_robserve records what the
 * implementation did, cf_rfail fails the case (rule: a stable lowercase name the failure
 * is known by), cf_rna makes it not applicable (only if nothing failed yet).  Cases that
 * drive no virtqueues (hybrid-cases.c) use these on their own result; the cf_ macros
 * below are them on the harness's. */
void cf_rrequired(struct cf_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cf_robserve(struct cf_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cf_rfail(struct cf_result *r, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cf_rna(struct cf_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct cf_result *cf_result_of(struct cf_harness *h);
#define cf_required(h, ...)   cf_rrequired(cf_result_of(h), __VA_ARGS__)
#define cf_observe(h, ...)    cf_robserve(cf_result_of(h), __VA_ARGS__)
#define cf_fail(h, rule, ...) cf_rfail(cf_result_of(h), rule, __VA_ARGS__)
#define cf_na(h, ...)         cf_rna(cf_result_of(h), __VA_ARGS__)
bool cf_failed(const struct cf_harness *h);    /* failed or not applicable: stop */
/* A target call returned err: -ENOTSUP makes the case n/a with t->why; others fail it
 * with rule "app" and what was being done.  Returns err. */
int cf_app_err(struct cf_harness *h, int err, const char *what);

/* ---- moving packets ---- */

/* Puts one packet on tx in the tx layout and kicks.  Fields not set by the caller keep
 * what they are in *hdr; len is set from plen.  Waits (bounded) for free descriptors.
 * 0, or -ETIMEDOUT (case failed). */
int cf_send_raw(struct cf_harness *h, const struct vsk_virtio_hdr *hdr, const void *payload,
		size_t plen);
/* Lets the device work for up to ms: waits for it, reaps used tx, rx and event buffers,
 * refills rx.  Returns how many packets/events arrived, or -ETIMEDOUT at the deadline. */
int cf_pump(struct cf_harness *h, int ms);
/* Pumps until the device has been quiet for quiet_ms (in-process targets: until idle). */
int cf_settle(struct cf_harness *h);

/* A predicate over received packets. */
typedef bool (*cf_pred)(const struct cf_pkt *p, const void *arg);
/* The first received packet not yet seen that matches, waiting up to timeout_ms (capped
 * at the deadline); marks it seen.  NULL if none came (the case is not failed here). */
const struct cf_pkt *cf_expect(struct cf_harness *h, cf_pred pred, const void *arg,
			       int timeout_ms);
/* Received packets between the given ports (-1: any) with op (-1: any), not yet seen. */
struct cf_match {
	int64_t src_port, dst_port;  /* as the device sent them: src is its port */
	int op;
	int type;                    /* -1: any */
};
bool cf_match_pred(const struct cf_pkt *p, const void *arg);
const struct cf_pkt *cf_expect_op(struct cf_harness *h, int64_t its_port, int64_t our_port,
				  int op, int timeout_ms);
/* Marks every packet received so far as seen: later expectations match only newer ones. */
void cf_mark_seen(struct cf_harness *h);
/* Every packet of the trace (both ways), in order; the pointers stay valid until
 * cf_close (so do those cf_expect returns). */
size_t cf_trace(const struct cf_harness *h, const struct cf_pkt *const **pkts);
/* TRANSPORT_RESET and other events received on the event queue. */
unsigned cf_events(const struct cf_harness *h, const uint32_t **ids);

/* A local port for a new connection (unique within the case). */
uint32_t cf_port(struct cf_harness *h);

/* ---- our side of a connection ---- */

struct cf_conn {
	struct cf_harness *h;
	uint16_t type;
	uint32_t our_port, its_port;
	/* our receive side */
	uint32_t buf_alloc;      /* advertised */
	uint32_t fwd_cnt;        /* advertised: bytes we consumed (free-running) */
	uint32_t fwd_sent;       /* fwd_cnt in the last packet we sent */
	uint64_t rx_bytes;       /* payload bytes received in all */
	uint64_t consumed;       /* of them, consumed (fwd_cnt advanced) */
	bool autoconsume;        /* consume what arrives and advertise it (default true) */
	bool answer_credit_request; /* answer its CREDIT_REQUEST (default true) */
	bool auto_rst;           /* answer its full SHUTDOWN with RST (default true) */
	unsigned credit_answers;
	uint8_t *rx;             /* received payload, in order */
	size_t rxlen, rxcap;
	unsigned eom, eor;       /* seqpacket: RW packets with EOM / EOR received */
	size_t msg_end[64];      /* seqpacket: rx offsets where EOM ended a message */
	unsigned nmsg;
	/* what we know of its receive side (from its headers) */
	bool peer_known;
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t tx_cnt;         /* payload bytes we sent */
	/* state */
	bool established;
	uint32_t shut_sent, shut_rcvd;  /* SHUTDOWN bits we sent / it sent */
	bool rst_sent, rst_rcvd;
	int app;                 /* the target application's handle, -1 if none */
	int app_listener;        /* cf_connect: the listener the application accepted on */
	struct cf_conn *next;
};

/* Our side of a connection to its_port (a new local port), not yet requested.  The conn is
 * owned by the harness (freed in cf_close). */
struct cf_conn *cf_conn_new(struct cf_harness *h, uint16_t type, uint32_t its_port,
			    uint32_t buf_alloc);
/* Our side for a connection the device requested (its REQUEST packet p). */
struct cf_conn *cf_conn_from_request(struct cf_harness *h, const struct cf_pkt *p,
				     uint32_t buf_alloc);
/* A packet on the connection: op, flags, payload; buf_alloc and fwd_cnt are ours. */
int cf_conn_send(struct cf_conn *c, uint16_t op, uint32_t flags, const void *payload,
		 size_t plen);
/* RW packets of at most max bytes each (seqpacket: EOM, and EOR if eor, on the last). */
int cf_conn_write(struct cf_conn *c, const void *data, size_t len, size_t max, bool eom,
		  bool eor);
/* Its free space as we compute it (peer_buf_alloc - (tx_cnt - peer_fwd_cnt)), or -1. */
int64_t cf_conn_peer_free(const struct cf_conn *c);
/* Consume n received bytes (advance fwd_cnt) and tell it with a CREDIT_UPDATE. */
int cf_conn_consume(struct cf_conn *c, size_t n);

/* Handshakes.  cf_connect: app listens on port (type), we REQUEST, expect RESPONSE, app
 * accepts: the conn with c->app set, or NULL (case failed or n/a).  cf_accept: the app
 * connects to us, we expect its REQUEST and answer RESPONSE.  buf_alloc: ours. */
struct cf_conn *cf_connect(struct cf_harness *h, uint16_t type, uint32_t buf_alloc);
/* cf_connect with our first fwd_cnt and the listener's buffer size (0: the target's
 * default; set with app_set_buffer before our REQUEST, -ENOTSUP leaves the default). */
struct cf_conn *cf_connect_ex(struct cf_harness *h, uint16_t type, uint32_t buf_alloc,
			      uint32_t fwd_cnt, uint64_t app_buffer);
struct cf_conn *cf_accept(struct cf_harness *h, uint16_t type, uint32_t buf_alloc);
/* The application reads exactly len bytes (or until EOF/timeout) into buf: bytes read. */
ssize_t cf_app_read(struct cf_harness *h, int app, void *buf, size_t len, int timeout_ms);
/* The application sends all of buf (pumping the device while its buffer is full):
 * bytes sent, or <0. */
ssize_t cf_app_write(struct cf_harness *h, int app, const void *buf, size_t len, bool eor);
/* Pumps until conn received at least n payload bytes (or deadline): bytes received. */
size_t cf_conn_wait_rx(struct cf_conn *c, size_t n, int timeout_ms);

/* Fills buf with a pattern that identifies offset and stream (seed). */
void cf_pattern(void *buf, size_t len, uint64_t off, unsigned seed);

/* A packet as one evidence line ("> 3:1024 2:1234 stream REQUEST len 0 ..."). */
void cf_pkt_str(const struct cf_pkt *p, char *buf, size_t len);

#endif
