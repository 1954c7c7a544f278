/* hybrid-harness.h - the host side of a VMM's hybrid vsock socket, for the hybrid cases
 * (hybrid-cases.c): Firecracker, Cloud Hypervisor, vhost-device-vsock and vsockdev let a
 * host program connect to a UNIX socket PATH, send "CONNECT <port>\n", read
 * "OK <n>\n" and then talk to the guest's listener on <port>; a guest's connection to
 * host port H reaches a listener on PATH_H (reference/vsock-facts.md D.3).
 *
 * --target hybrid=PATH[,port=P][,hostport=H] (hybrid-opts.h) names the socket and what
 * runs in the guest behind it, all with vsockcat (man/vsock-conformance.1 gives the commands):
 *   P      echo: every connection's bytes come back, its EOF ends the echo and closes
 *   P + 1  sink: the guest shuts its sending side at once and appends what it reads to
 *          a file
 *   P + 2  report: sends that file and closes
 *   P + 3  dial: reads one line "<H>\n", connects to the host's port H and echoes there
 *   P + 4  nothing listens
 * H is the host port the suite listens on (PATH_H) for the dial service's connection.
 *
 * Every call waits at most until the case's deadline; a wait that reaches it fails the
 * case with rule "timeout".  Outcomes the VMMs are allowed to differ on are returned, not
 * judged: the case decides. */
#ifndef CF_HYBRID_HARNESS_H
#define CF_HYBRID_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vsk/hybrid.h>

#include "harness.h"
#include "hybrid-opts.h"

/* One case's context. */
struct hy {
	const struct hy_opts *o;
	struct cf_result *r;
	int64_t deadline;        /* CLOCK_MONOTONIC ms */
	unsigned seed;           /* data patterns: distinct per connection */
};

/* The guest's services, from o->port. */
uint32_t hy_echo_port(const struct hy *h);
uint32_t hy_sink_port(const struct hy *h);
uint32_t hy_report_port(const struct hy *h);
uint32_t hy_dial_port(const struct hy *h);
uint32_t hy_closed_port(const struct hy *h);

/* Verdicts on the case's result (harness.h: cf_rrequired and the rest). */
#define hy_required(h, ...)   cf_rrequired((h)->r, __VA_ARGS__)
#define hy_observe(h, ...)    cf_robserve((h)->r, __VA_ARGS__)
#define hy_fail(h, rule, ...) cf_rfail((h)->r, rule, __VA_ARGS__)
#define hy_na(h, ...)         cf_rna((h)->r, __VA_ARGS__)
bool hy_failed(const struct hy *h);

/* A new connection to PATH (non-blocking), or -1 with the case failed. */
int hy_dial(struct hy *h);
/* Sends all of p (waiting for room): 0, or a negative errno (-EPIPE, -ECONNRESET: the
 * backend closed; -ETIMEDOUT: deadline, case failed). */
int hy_send(struct hy *h, int fd, const void *p, size_t len);

/* What came back for a handshake line. */
enum hy_answer {
	HY_ANS_OK,               /* a line vsk_hybrid_parse_ok accepts */
	HY_ANS_CLOSED,           /* EOF or reset before a whole line */
	HY_ANS_BAD,              /* a line (or VSK_HYBRID_LINE_MAX bytes) that is not OK */
	HY_ANS_TIMEOUT,          /* nothing decisive before the deadline (case failed) */
};

struct hy_reply {
	enum hy_answer ans;
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t len;              /* bytes of line read, newline included */
	uint32_t n;              /* HY_ANS_OK: the number after OK */
	int err;                 /* HY_ANS_CLOSED: 0 (EOF) or the errno of the reset */
};

/* Reads the answer to a CONNECT line byte by byte (so nothing after its newline is
 * taken). */
void hy_read_reply(struct hy *h, int fd, struct hy_reply *rep);
/* The reply as text for observed ("OK 1073741824\\n", "closed (EOF) after 0 bytes"). */
const char *hy_reply_str(const struct hy_reply *rep, char *buf, size_t len);

/* Dials, sends line[0..len) and reads the reply.  The fd (the caller closes it), or -1
 * if PATH could not be reached (case failed). */
int hy_handshake(struct hy *h, const void *line, size_t len, struct hy_reply *rep);
/* "CONNECT <port>\n" that must be answered with OK: the fd, or -1 with the case failed
 * (rule: what, e.g. "connect_refused"). */
int hy_open(struct hy *h, uint32_t port, const char *what);

/* After an OK: waits for the backend to close fd (EOF or reset) without sending more
 * than what comes; 1 closed, 0 data came (*got bytes), -1 timeout (case failed). */
int hy_wait_close(struct hy *h, int fd, size_t *got);

/* Echo check on n connections at once: sends len pattern bytes on each (distinct
 * patterns), then shuts the sending side if shut; reads until each has its len bytes
 * back (and, if shut, its EOF).  0 if all came back byte-identical, else -1 with the
 * case failed (rule given) and the first difference observed. */
int hy_echo(struct hy *h, const int *fds, size_t n, size_t len, bool shut, const char *rule);
/* Reads exactly n bytes into buf unless EOF, a reset or the deadline comes first: bytes
 * read (the case is not failed here). */
size_t hy_read_n(struct hy *h, int fd, uint8_t *buf, size_t n);
/* Reads until EOF: bytes into buf (at most cap; more is counted in *total), 0 or a
 * negative errno (-ETIMEDOUT: case failed). */
int hy_read_all(struct hy *h, int fd, uint8_t *buf, size_t cap, size_t *total);

/* The backend still serves: a fresh CONNECT to the echo service and 4 KiB echoed.
 * Observes and returns true, or fails the case with rule "backend_died". */
bool hy_alive(struct hy *h, const char *after);

/* Listens on PATH_port (replacing a socket file left there): the fd, or -1 (case
 * failed). */
int hy_listen(struct hy *h, uint32_t port, char *path, size_t pathlen);
/* Accepts one connection within the deadline: the fd, or -1 (case failed). */
int hy_accept(struct hy *h, int ls);

#endif
