/* flow.h - connection tracking, credit ledger and protocol rules over decoded packets.
 * The engine of vsockdump --check/--stats, and of the plugin's and the conformance
 * suite's verdicts.  It never prints: findings come back as struct vsk_violation. */
#ifndef VSK_FLOW_H
#define VSK_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "decode.h"

enum vsk_rule {
#define VSK_RULE(ID, name, sev, clause, text) VSK_RULE_##ID,
#include "../vsock.def"
	VSK_RULE__COUNT
};

enum vsk_severity { VSK_SEV_INFO, VSK_SEV_WARNING, VSK_SEV_ERROR };

struct vsk_rule_info {
	enum vsk_rule id;
	const char *name;        /* stable lowercase id, e.g. "rw_over_credit" */
	enum vsk_severity sev;
	const char *clause;      /* virtio spec clause, e.g. "Socket Device: Stream Sockets" */
	const char *text;        /* one-line explanation */
};
extern const struct vsk_rule_info vsk_rules[VSK_RULE__COUNT];
extern const char *const vsk_severity_names[3]; /* "info", "warning", "error" */

enum vsk_conn_state {
	VSK_CONN_REQUESTED,      /* REQUEST seen, no answer yet */
	VSK_CONN_ESTABLISHED,
	VSK_CONN_HALF_CLOSED,    /* one end announced SHUTDOWN send (see dir[].shutdown) */
	VSK_CONN_CLOSING,        /* full shutdown announced, waiting for RST */
	VSK_CONN_CLOSED,         /* RST after an established connection */
	VSK_CONN_REFUSED,        /* RST answering the REQUEST */
	VSK_CONN_MIDSTREAM,      /* first seen after its start: history unknown */
};
extern const char *const vsk_conn_state_names[7];

/* What one end of a connection sent, and what it advertised about its receive buffer. */
struct vsk_flow_dir {
	uint64_t cid;
	uint32_t port;
	uint64_t pkts, rw_pkts, bytes;   /* sent by this end; bytes = RW payload */
	uint64_t credit_updates;         /* CREDIT_UPDATE packets sent by this end */
	uint32_t tx_cnt;                 /* RW payload bytes sent, mod 2^32 */
	uint32_t buf_alloc, fwd_cnt;     /* last advertised by this end (its receive side) */
	bool adv_known;                  /* buf_alloc/fwd_cnt seen from this end */
	bool ledger_known;               /* tx_cnt is relative to the peer's fwd_cnt origin */
	uint32_t shutdown;               /* SHUTDOWN bits this end announced */
	bool sent_rst;
	bool msg_open;                   /* seqpacket: RW bytes sent since the last EOM */
	/* Waits and stalls of this end as a sender (see "Stalls:" before vsk_flow_stall). */
	bool uncapped;                   /* has had more than its own buf_alloc in flight */
	bool blocked;                    /* waiting at its send limit now */
	bool stall_counted;              /* the current wait is counted in stalls */
	struct timeval blocked_since;    /* the current wait began (the RW that reached the limit) */
	struct timeval stall_since, stall_end; /* the last stall that ended (if stall_end set) */
	uint64_t stalls;                 /* waits that lasted the stall time */
	double stall_seconds;            /* their whole length, ended or cut by expiry */
};

struct vsk_conn {
	uint64_t index;                  /* 1, 2, ... in order of first sight */
	uint16_t type;
	enum vsk_conn_state state;
	struct vsk_flow_dir end[2];      /* end[0]: the requester (or the first sender seen) */
	struct timeval first, last;
	struct timeval full_shutdown_at; /* valid if full_shutdown */
	bool full_shutdown;
	bool unknown_type_pending;       /* an unknown-type packet awaits its RST */
	struct timeval unknown_type_at;
	int unknown_type_from;
	uint64_t violations;
	/* bookkeeping (private) */
	struct vsk_conn *hnext, *older, *newer;
	uint32_t hash;
	unsigned ntimers;                /* pending timed rules; memory outlives expiry */
	bool expired;
};

/* One finding.  conn points into the tracker and stays valid until the next call. */
struct vsk_violation {
	enum vsk_rule rule;
	const struct vsk_conn *conn;     /* NULL for frame-level rules on untracked frames */
	int from;                        /* index of the end that broke the rule, or -1 */
	bool timed;                      /* found by time passing, not on the current packet */
	struct timeval ts;
	char detail[112];                /* e.g. "len 4096 > free 1024" */
};

struct vsk_flow_opts {
	double close_timeout;            /* seconds to wait for RST after full shutdown (8) */
	double rst_timeout;              /* seconds to wait for RST to an unknown type (1) */
	double idle_timeout;             /* seconds before an idle connection expires (300) */
	double stall_time;               /* seconds a sender waits at its send limit before
					  * the wait is a stall (1); see vsk_flow_stall */
	size_t max_conns;                /* oldest connections expire beyond this (65536) */
	/* Called with every connection as it leaves the tracker (expiry or vsk_flow_free). */
	void (*on_expire)(const struct vsk_conn *c, void *arg);
	void *arg;
};

struct vsk_flow;

/* A tracker; opts may be NULL for the defaults.  NULL on allocation failure. */
struct vsk_flow *vsk_flow_new(const struct vsk_flow_opts *opts);

/*
 * Feeds one decoded packet (decode_err from vsk_decode; frames that did not decode or
 * carry no virtio header are only checked for frame-level rules).  Writes at most `max`
 * findings to out (the ones about this packet, and timed ones that came due), and
 * returns how many there were in all (more than max means some were dropped).
 * *conn_out, if not NULL, receives the packet's connection or NULL.
 */
size_t vsk_flow_packet(struct vsk_flow *fl, const struct vsk_pkt *pkt, int decode_err,
		       const struct timeval *ts, struct vsk_violation *out, size_t max,
		       const struct vsk_conn **conn_out);

/* End of capture: the timed rules that are due by the last timestamp seen.  Same
 * return convention.  The tracker stays usable. */
size_t vsk_flow_finish(struct vsk_flow *fl, struct vsk_violation *out, size_t max);

/* Calls fn for every connection still tracked, oldest first. */
void vsk_flow_foreach(struct vsk_flow *fl, void (*fn)(const struct vsk_conn *c, void *arg),
		      void *arg);

/* Connections tracked now / seen in all. */
size_t vsk_flow_count(const struct vsk_flow *fl);
uint64_t vsk_flow_seen(const struct vsk_flow *fl);

/* The receiver's free space for data sent by end `from`, as the spec defines it:
 * buf_alloc - (tx_cnt - fwd_cnt) mod 2^32, or -1 while unknown. */
int64_t vsk_conn_peer_free(const struct vsk_conn *c, int from);

/* Bytes sent by end `from` and not yet acknowledged by the peer's fwd_cnt, or -1. */
int64_t vsk_conn_in_flight(const struct vsk_conn *c, int from);

/* The most end `from` may have in flight: min(the receiver's buf_alloc, its own
 * buf_alloc), the limit a Linux sender keeps since the CVE-2026-23086 fix; the
 * receiver's alone while the sender's is unknown, or once the sender has had more than
 * its own in flight (it does not cap itself); -1 while the receiver's is unknown. */
int64_t vsk_conn_send_limit(const struct vsk_conn *c, int from);

/*
 * Stalls: the one definition the tools share (--stats, the plugin, the live view, graphs).
 *
 * End `from` is blocked when it has bytes in flight and they reach its send limit
 * (vsk_conn_send_limit): either the receiver has no free space left (a zero window) or
 * the sender has its own buf_alloc in flight and caps itself there.  The wait begins with
 * the RW that reached the limit and ends when the receiver frees space (a fwd_cnt or
 * buf_alloc that takes the bytes in flight under the limit), when the sender sends again
 * anyway (it was not waiting), when either end shuts its side down, or with the RST.
 * A healthy bulk sender touches its limit all the time; a wait is a stall only once it
 * has lasted the stall time (vsk_flow_opts.stall_time, 1 s by default).  A stall is
 * counted once (vsk_flow_dir.stalls) when it comes due, and its whole length, from the
 * start of the wait, goes to stall_seconds when it ends (or when the connection leaves
 * the tracker still waiting).  When the limit was the sender's own buf_alloc while the
 * receiver still had free space, the stall is also a credit_stall finding (a warning,
 * found as time passes, like no_rst_after_shutdown).
 */
struct vsk_stall {
	bool blocked;                    /* waiting at `at` (any length so far) */
	bool stall;                      /* the wait has lasted (or lasted) the stall time */
	bool own_limit;                  /* blocked by its own buf_alloc, the receiver had room */
	struct timeval since;            /* when the wait began */
	double seconds;                  /* its length at `at`, or its whole length if it ended */
};

/*
 * The wait of end `from` of c as of time `at` (normally the time of the packet just fed,
 * or later: the tracker keeps the current wait and the last stall that ended).  Fills
 * *st (all zero when there is none); the last stall that ended is reported, with blocked
 * false, when `at` lies within it (e.g. for the packet that ended it).  Returns st->stall.
 */
bool vsk_flow_stall(const struct vsk_flow *fl, const struct vsk_conn *c, int from,
		    const struct timeval *at, struct vsk_stall *st);

/* Frees the tracker, calling on_expire for every connection left. */
void vsk_flow_free(struct vsk_flow *fl);

#endif
