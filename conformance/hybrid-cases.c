/* hybrid-cases.c - the hybrid vsock cases (hybrid-cases.h).
 *
 * Clauses: Firecracker's docs/vsock.md ("Host-Initiated Connections", "Guest-Initiated
 * Connections"), which Cloud Hypervisor's docs/vsock.md and vhost-device-vsock's README
 * follow, and reference/vsock-facts.md D.3 for what each implementation does beyond it.
 * Each case states what it requires (hy_required) and what it saw (hy_observe). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hybrid-cases.h"

#define CL_HOST  "Firecracker docs/vsock.md: Host-Initiated Connections; vsock-facts D.3"
#define CL_GUEST "Firecracker docs/vsock.md: Guest-Initiated Connections; vsock-facts D.3"
#define CL_HAZ   "vsock-facts D.3: observed hazards (CH #6798, vhost-device-vsock #874)"

#define FC_FIRST_PORT (1u << 30)   /* Firecracker's host-side ports: [2^30, 2^31) */

/* ---- helpers ---- */

enum want { MUST_OK, MAY_OK, MUST_REFUSE };

/* One handshake variant: line[0..len) sent on a new connection.  With an OK the stream
 * must work (1 KiB echoed).  Returns 1 accepted, 0 refused (closed without OK), -1 the
 * case failed (rule). */
static int variant(struct hy *h, const char *label, const void *line, size_t len, enum want w,
		   const char *rule)
{
	struct hy_reply rep;
	char s[160];
	size_t got;
	int fd = hy_handshake(h, line, len, &rep), res = -1;

	if (fd < 0)
		return -1;
	hy_reply_str(&rep, s, sizeof(s));
	switch (rep.ans) {
	case HY_ANS_TIMEOUT:
		hy_fail(h, rule, "%s: no answer and no close: the backend hangs on it", label);
		break;
	case HY_ANS_OK:
		hy_observe(h, "%s: %s", label, s);
		if (w == MUST_REFUSE) {
			hy_fail(h, rule, "%s: accepted with %s", label, s);
			break;
		}
		if (hy_echo(h, &fd, 1, 1024, false, rule) == 0)
			res = 1;
		break;
	case HY_ANS_CLOSED:
	case HY_ANS_BAD:
		if (rep.ans == HY_ANS_BAD && hy_wait_close(h, fd, &got) != 1) {
			if (!hy_failed(h))
				hy_fail(h, rule, "%s: answered %s and then did not close", label, s);
			break;
		}
		hy_observe(h, "%s: refused, %s%s", label, rep.ans == HY_ANS_BAD ? "answered " : "",
			   s);
		if (w == MUST_OK)
			hy_fail(h, rule, "%s: refused (%s)", label, s);
		else
			res = 0;
		break;
	}
	close(fd);
	return res;
}

/* A CONNECT line into buf with another keyword spelling, other separators or a port past
 * u32 (the plain "CONNECT <port>\n" is lib's vsk_hybrid_build_connect). */
static size_t line_of(char *buf, size_t cap, const char *kw, const char *sep,
		      unsigned long long port, const char *end)
{
	int n = snprintf(buf, cap, "%s%s%llu%s", kw, sep, port, end);

	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- handshake ---- */

static void c_connect(struct hy *h)
{
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t n = vsk_hybrid_build_connect(line, sizeof(line), hy_echo_port(h));

	hy_required(h, "\"CONNECT %u\\n\" to a port with a guest listener is answered "
		    "\"OK <n>\\n\", then the bytes flow to the listener and back", hy_echo_port(h));
	variant(h, "\"CONNECT <port>\\n\"", line, n, MUST_OK, "connect_refused");
}

static void c_keyword_case(struct hy *h)
{
	static const char *const kws[] = {"connect", "Connect", "cOnNeCt"};

	hy_required(h, "the keyword is matched ignoring case (Firecracker muxer, "
		    "vhost-device-vsock: vsock-facts D.3): each spelling is answered OK");
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]) && !hy_failed(h); i++) {
		char line[64], label[32];
		size_t n = line_of(line, sizeof(line), kws[i], " ", hy_echo_port(h), "\n");

		snprintf(label, sizeof(label), "\"%s\"", kws[i]);
		variant(h, label, line, n, MUST_OK, "keyword_case");
	}
}

static void c_spacing(struct hy *h)
{
	static const struct { const char *label, *kw, *sep, *end; } v[] = {
		{"two spaces", "CONNECT", "  ", "\n"},
		{"a tab", "CONNECT", "\t", "\n"},
		{"CRLF", "CONNECT", " ", "\r\n"},
		{"a trailing space", "CONNECT", " ", " \n"},
		{"a leading space", " CONNECT", " ", "\n"},
	};
	char acc[200] = "", ref[200] = "";

	hy_required(h, "spacing variants are either accepted (OK, and the stream works, "
		    "nothing of the line leaking into it) or refused by closing; never a hang or "
		    "a broken stream (the VMMs split on whitespace or parse strictly: both "
		    "accepted); the backend serves on afterwards");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && !hy_failed(h); i++) {
		char line[64];
		size_t n = line_of(line, sizeof(line), v[i].kw, v[i].sep, hy_echo_port(h), v[i].end);
		int r = variant(h, v[i].label, line, n, MAY_OK, "spacing");
		char *dst = r == 1 ? acc : ref;

		if (r >= 0)
			snprintf(dst + strlen(dst), sizeof(acc) - strlen(dst), "%s%s",
				 *dst ? ", " : "", v[i].label);
	}
	if (!hy_failed(h)) {
		hy_observe(h, "accepted: %s; refused: %s", *acc ? acc : "none", *ref ? ref : "none");
		hy_alive(h, "the spacing variants");
	}
}

static void c_long_line(struct hy *h)
{
	size_t len = 8 + 4096 + 1;
	char *line = malloc(len);

	hy_required(h, "a CONNECT line of %zu bytes (Firecracker reads at most 32) is refused "
		    "by closing the connection, without OK and without a hang; the backend "
		    "serves on", len);
	if (!line) {
		hy_fail(h, "harness", "out of memory");
		return;
	}
	memcpy(line, "CONNECT ", 8);
	memset(line + 8, 'A', 4096);
	line[len - 1] = '\n';
	if (variant(h, "\"CONNECT AAAA...\\n\" (4105 bytes)", line, len, MUST_REFUSE,
		    "long_line") == 0)
		hy_alive(h, "the long line");
	free(line);
}

static void c_bad_port(struct hy *h)
{
	unsigned long long wrap = (unsigned long long)hy_echo_port(h) + (1ULL << 32);
	char wl[64];
	const struct { const char *label, *line; } v[] = {
		{"not a number", "CONNECT abc\n"},
		{"negative", "CONNECT -1\n"},
		{"no port", "CONNECT \n"},
		{"hex", "CONNECT 0x10\n"},
		{"digits then letters", "CONNECT 12ab\n"},
		{"over 64 bits", "CONNECT 99999999999999999999999\n"},
		{"the echo port + 2^32 (a parser that wraps reaches the echo service)", wl},
	};

	line_of(wl, sizeof(wl), "CONNECT", " ", wrap, "\n");
	hy_required(h, "a port that is not a decimal u32 is refused by closing the connection "
		    "(Firecracker parses a u32): no OK, no hang, the backend serves on");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && !hy_failed(h); i++)
		variant(h, v[i].label, v[i].line, strlen(v[i].line), MUST_REFUSE, "bad_port");
	hy_alive(h, "the bad ports");
}

static void c_unknown_port(struct hy *h)
{
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t n = vsk_hybrid_build_connect(line, sizeof(line), hy_closed_port(h));

	hy_required(h, "CONNECT to a guest port nobody listens on (%u) is closed without OK "
		    "once the guest refuses (RST): no hang", hy_closed_port(h));
	if (variant(h, "CONNECT to the closed port", line, n, MUST_REFUSE, "unknown_port") == 0)
		hy_alive(h, "the refused connection");
}

static void c_close_before_ok(struct hy *h)
{
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t n = vsk_hybrid_build_connect(line, sizeof(line), hy_echo_port(h));
	const struct { const char *label; size_t len; } v[] = {
		{"closed with nothing sent", 0},
		{"closed after \"CONNECT <port>\" without the newline", n - 1},
		{"closed right after \"CONNECT <port>\\n\", before OK", n},
	};

	hy_required(h, "a client that leaves before OK does not hurt the backend (Cloud "
		    "Hypervisor crashed on the one without a newline, #6798): it serves on");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int fd = hy_dial(h);

		if (fd < 0)
			return;
		if (v[i].len && hy_send(h, fd, line, v[i].len) == -ETIMEDOUT) {
			close(fd);
			return;
		}
		close(fd);
		hy_observe(h, "%s", v[i].label);
	}
	hy_alive(h, "three clients that left early");
}

static void c_ok_format(struct hy *h)
{
	uint8_t want[VSK_HYBRID_LINE_MAX];
	uint32_t first = 0;

	hy_required(h, "the answer is exactly \"OK <n>\\n\": upper case, one space, n decimal, "
		    "no CR; n is the host-side port (Firecracker, Cloud Hypervisor: from 2^30) or "
		    "the guest port (vhost-device-vsock): both accepted, the kind reported");
	for (int i = 0; i < 2 && !hy_failed(h); i++) {
		uint8_t line[VSK_HYBRID_LINE_MAX];
		char s[160];
		size_t n = vsk_hybrid_build_connect(line, sizeof(line), hy_echo_port(h)), wl;
		struct hy_reply rep;
		int fd = hy_handshake(h, line, n, &rep);

		if (fd < 0)
			return;
		hy_reply_str(&rep, s, sizeof(s));
		wl = vsk_hybrid_build_ok(want, sizeof(want), rep.n);
		if (rep.ans == HY_ANS_TIMEOUT) {
			/* failed already */
		} else if (rep.ans != HY_ANS_OK) {
			hy_fail(h, "ok_format", "the answer is %s, not \"OK <n>\\n\"", s);
		} else if (rep.len != wl || memcmp(rep.line, want, wl)) {
			hy_fail(h, "ok_format", "the answer %s is an OK line but not in the exact "
				"form \"OK %u\\n\"", s, rep.n);
		} else if (i == 0) {
			first = rep.n;
			hy_observe(h, "%s: %s", s, rep.n == hy_echo_port(h) ? "the guest port "
				   "(as vhost-device-vsock)" : rep.n >= FC_FIRST_PORT &&
				   rep.n < 2 * FC_FIRST_PORT ? "a host-side port in [2^30, 2^31) "
				   "(as Firecracker, Cloud Hypervisor)" : "neither the guest port "
				   "nor in Firecracker's range");
		} else {
			hy_observe(h, "a second connection: %s (%s)", s, rep.n == first ? "the same "
				   "number" : "another number");
		}
		close(fd);
	}
}

/* ---- the stream ---- */

static void c_pipelined(struct hy *h)
{
	uint8_t buf[VSK_HYBRID_LINE_MAX + 1000], back[1000], want[1000];
	size_t n = vsk_hybrid_build_connect(buf, VSK_HYBRID_LINE_MAX, hy_echo_port(h)), got;
	struct hy_reply rep;
	char s[160];
	int fd;

	hy_required(h, "bytes sent in the same write as the CONNECT line, after its newline, "
		    "are the stream's first bytes: they reach the guest (echoed back whole); "
		    "vhost-device-vsock's buffered reader lost them (#874)");
	cf_pattern(want, sizeof(want), 0, 77);
	memcpy(buf + n, want, sizeof(want));
	if ((fd = hy_handshake(h, buf, n + sizeof(want), &rep)) < 0)
		return;
	hy_reply_str(&rep, s, sizeof(s));
	if (rep.ans != HY_ANS_OK) {
		if (rep.ans != HY_ANS_TIMEOUT)
			hy_fail(h, "connect_refused", "answered %s", s);
		close(fd);
		return;
	}
	got = hy_read_n(h, fd, back, sizeof(back));
	if (got == sizeof(back) && !memcmp(back, want, sizeof(back)))
		hy_observe(h, "%s, then the 1000 pipelined bytes echoed back", s);
	else
		hy_fail(h, "pipelined_lost", "of the 1000 bytes sent after the newline, %zu came "
			"back%s", got, got && memcmp(back, want, got) ? ", not the bytes sent" :
			" before the echo went quiet");
	close(fd);
}

static void c_echo(struct hy *h)
{
	int fd = hy_open(h, hy_echo_port(h), "connect_refused");

	hy_required(h, "1 MiB sent while reading: the guest's echo of it comes back "
		    "byte-identical (data both ways on one connection)");
	if (fd < 0)
		return;
	if (hy_echo(h, &fd, 1, 1u << 20, false, "echo") == 0)
		hy_observe(h, "1 MiB echoed byte-identical");
	close(fd);
}

static void c_half_close_host(struct hy *h)
{
	int fd = hy_open(h, hy_echo_port(h), "connect_refused");

	hy_required(h, "the host's shutdown(SHUT_WR) reaches the guest as EOF and nothing "
		    "else: the guest's echo still comes back after it, then the guest's own close "
		    "(its cat ends at EOF) arrives as EOF (Firecracker turned it into a full "
		    "shutdown and lost the answer; Cloud Hypervisor fixed that, PR #8372)");
	if (fd < 0)
		return;
	if (hy_echo(h, &fd, 1, 65536, true, "half_close_host") == 0)
		hy_observe(h, "64 KiB sent then SHUT_WR: all of it came back, then EOF");
	close(fd);
}

static void c_half_close_guest(struct hy *h)
{
	char token[96];
	int fd = hy_open(h, hy_sink_port(h), "connect_refused"), rc;
	uint8_t *rep = NULL;
	size_t got = 0;

	hy_required(h, "the guest's shutdown(SHUT_WR) (sink, port %u) reaches the host as EOF "
		    "while the host can still send: what it sends then arrives in the guest (read "
		    "back from the report service, port %u)", hy_sink_port(h), hy_report_port(h));
	if (fd < 0)
		return;
	rc = hy_read_all(h, fd, NULL, 0, &got);
	if (rc < 0 || got) {
		if (!hy_failed(h))
			hy_fail(h, "half_close_guest", "the sink's connection ended with %s after "
				"%zu bytes instead of a clean EOF", rc ? strerror(-rc) : "EOF", got);
		close(fd);
		return;
	}
	hy_observe(h, "the guest's EOF arrived");
	snprintf(token, sizeof(token), "vsock-conformance half_close_guest %ld.%ld\n",
		 (long)getpid(), (long)time(NULL));
	rc = hy_send(h, fd, token, strlen(token));
	if (rc < 0) {
		if (rc != -ETIMEDOUT)
			hy_fail(h, "half_close_guest", "sending after the guest's EOF: %s",
				strerror(-rc));
		close(fd);
		return;
	}
	shutdown(fd, SHUT_WR);
	hy_read_all(h, fd, NULL, 0, &got);
	close(fd);
	hy_observe(h, "%zu bytes sent after it", strlen(token));
	if (!(rep = malloc(1u << 20))) {
		hy_fail(h, "harness", "out of memory");
		return;
	}
	/* the report shows what the sink wrote; it may lag the close: ask until it is there */
	while (!hy_failed(h)) {
		size_t total = 0;
		int r = hy_open(h, hy_report_port(h), "connect_refused");

		if (r < 0)
			break;
		rc = hy_read_all(h, r, rep, 1u << 20, &total);
		close(r);
		if (rc == 0 && memmem(rep, total < (1u << 20) ? total : 1u << 20, token,
				       strlen(token))) {
			hy_observe(h, "the report shows them arrived in the guest");
			break;
		}
		if (cf_left_ms(h->deadline) < 100) {
			hy_fail(h, "half_close_guest", "the bytes sent after the guest's EOF never "
				"showed in the guest's report (%zu bytes of report)", total);
			break;
		}
		poll(NULL, 0, 50);
	}
	free(rep);
}

/* ---- many connections ---- */

static void c_sequential(struct hy *h)
{
	unsigned good = 0;

	hy_required(h, "32 connections one after another, each with 1 KiB echoed and closed: "
		    "every one works (no port or connection leaks)");
	for (unsigned i = 0; i < 32 && !hy_failed(h); i++) {
		int fd = hy_open(h, hy_echo_port(h), "sequential");

		if (fd < 0)
			break;
		if (hy_echo(h, &fd, 1, 1024, false, "sequential") == 0)
			good++;
		close(fd);
	}
	hy_observe(h, "%u of 32 connections echoed", good);
}

static void c_parallel(struct hy *h)
{
	enum { N = 16 };
	int fds[N];
	size_t open = 0;
	char s[160];

	/* 512 KiB each: more than a guest program's default buffer (256 KiB), which a
	 * patched Linux sender never exceeds in flight, so the echo back needs the
	 * backend's CREDIT_UPDATEs (issue 23) */
	hy_required(h, "16 connections open at once (all CONNECT lines sent before any OK is "
		    "read), 512 KiB each echoed concurrently and byte-identical");
	for (; open < N; open++) {
		uint8_t line[VSK_HYBRID_LINE_MAX];
		size_t n = vsk_hybrid_build_connect(line, sizeof(line), hy_echo_port(h));

		if ((fds[open] = hy_dial(h)) < 0)
			goto out;
		if (hy_send(h, fds[open], line, n) < 0) {
			if (!hy_failed(h))
				hy_fail(h, "parallel", "connection %zu: the CONNECT line could not "
					"be sent", open + 1);
			open++;
			goto out;
		}
	}
	for (size_t i = 0; i < N; i++) {
		struct hy_reply rep;

		hy_read_reply(h, fds[i], &rep);
		if (rep.ans != HY_ANS_OK) {
			if (rep.ans != HY_ANS_TIMEOUT)
				hy_fail(h, "parallel", "connection %zu: answered %s", i + 1,
					hy_reply_str(&rep, s, sizeof(s)));
			goto out;
		}
	}
	if (hy_echo(h, fds, N, 512u << 10, false, "parallel") == 0)
		hy_observe(h, "16 connections: all OK, 512 KiB each echoed");
out:
	for (size_t i = 0; i < open; i++)
		close(fds[i]);
}

/* ---- guest-initiated ---- */

static void c_guest_initiated(struct hy *h)
{
	char path[160], line[16];
	int ls, fd = -1, g = -1;

	hy_required(h, "the guest's connection to host port %u reaches a listener on "
		    "PATH_%u (started by the dial service, port %u) and carries 64 KiB both ways",
		    h->o->hostport, h->o->hostport, hy_dial_port(h));
	if ((ls = hy_listen(h, h->o->hostport, path, sizeof(path))) < 0)
		return;
	if ((fd = hy_open(h, hy_dial_port(h), "connect_refused")) < 0)
		goto out;
	snprintf(line, sizeof(line), "%u\n", h->o->hostport);
	if (hy_send(h, fd, line, strlen(line)) < 0) {
		if (!hy_failed(h))
			hy_fail(h, "guest_initiated", "the dial service closed before its line");
		goto out;
	}
	if ((g = hy_accept(h, ls)) < 0) {
		hy_observe(h, "nothing connected to %s", path);
		goto out;
	}
	hy_observe(h, "the guest connected to %s", path);
	if (hy_echo(h, &g, 1, 65536, false, "guest_initiated") == 0)
		hy_observe(h, "64 KiB echoed byte-identical over it");
out:
	if (g >= 0)
		close(g);
	if (fd >= 0)
		close(fd);
	close(ls);
	unlink(path);
}

#define C(id, name, group, clause, fn) {id, name, group, clause, fn, 20000}

const struct hy_case hy_cases[] = {
	C(1, "connect", "handshake", CL_HOST, c_connect),
	C(2, "keyword_case", "handshake", CL_HOST, c_keyword_case),
	C(3, "spacing", "handshake", CL_HOST, c_spacing),
	C(4, "long_line", "handshake", CL_HOST, c_long_line),
	C(5, "bad_port", "handshake", CL_HOST, c_bad_port),
	C(6, "unknown_port", "handshake", CL_HOST, c_unknown_port),
	C(7, "close_before_ok", "handshake", CL_HAZ, c_close_before_ok),
	C(8, "ok_format", "handshake", CL_HOST, c_ok_format),
	C(9, "pipelined", "stream", CL_HAZ, c_pipelined),
	{10, "echo", "stream", CL_HOST, c_echo, 60000},
	C(11, "half_close_host", "stream", CL_HOST, c_half_close_host),
	C(12, "half_close_guest", "stream", CL_HOST, c_half_close_guest),
	{13, "sequential", "stream", CL_HOST, c_sequential, 60000},
	{14, "parallel", "stream", CL_HOST, c_parallel, 60000},
	C(15, "guest_initiated", "guest", CL_GUEST, c_guest_initiated),
};

const size_t hy_ncases = sizeof(hy_cases) / sizeof(hy_cases[0]);

void hy_run(const struct hy_case *c, const struct hy_opts *o, struct cf_result *r,
	    int timeout_ms)
{
	struct hy h = {o, r, cf_now_ms() + timeout_ms, 1000u * c->id};

	c->run(&h);
}
