/* vsock-conformance - the virtio-vsock conformance suite: plays the guest driver against a
 * device implementation (--target) and checks what it puts in the virtqueues, case by case,
 * against the virtio spec's Socket Device section.  TAP on stdout, a JSON report with
 * --json, every packet as a LINKTYPE_VSOCK pcap with --capture.  --target hybrid=PATH
 * runs another table, hybrid-cases.c: a VMM's hybrid vsock UNIX socket from the host
 * side, with the same selection, output and exit status.
 *
 * Every case runs in a child process with a fresh target: a case that hangs is killed at
 * its timeout (and fails with "timeout"), a case that crashes fails with the signal, and
 * no case sees another's state.  Options are parsed into one struct here, numbers through
 * a range-checked parser, as in vsockcat. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <vsk/number.h>
#include <vsk/proto.h>
#include <vsk/sbuf.h>

#include "cases.h"
#include "device.h"
#include "expect.h"
#include "harness.h"
#include "hybrid-cases.h"
#include "junit.h"
#include "target.h"

#define EXIT_USAGE  2
#define GRACE_MS    3000    /* beyond its timeout before a case's process is killed */

static const char usage_text[] =
	"usage: vsock-conformance [-hlv] [--capture file] [--cid cid] [--expect file]\n"
	"\t[--json file] [--junit file] [--layout layout] [--list-mutations]\n"
	"\t[--only cases] [--skip cases]\n"
	"\t[--target model[=mutation,...]|vhost|hybrid=path[,port=p][,hostport=h]|"
	"vhost-user=socket[,uds=path]|guest=relay=path,agent=path]\n"
	"\t[--timeout ms]\n";

static void __attribute__((noreturn)) usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

static const struct cf_target_ops *const targets[] = {&cf_target_model, &cf_target_vhost,
						      &cf_target_vhostuser, &cf_target_guest};

struct opts {
	const struct cf_target_ops *target;   /* NULL for hybrid */
	const char *target_name;
	const char *target_arg;
	struct hy_opts hybrid;
	uint64_t cid;
	int timeout_ms;          /* 0: each case's default */
	struct cf_layout layout;
	const char *layout_str;
	const char *capture, *json, *junit, *expect_path;
	struct cf_expect *expect;   /* --expect's record, parsed */
	const char *only, *skip;
	bool list, list_mutations, verbose, cid_set;
};

/* One case of the table the target runs: the virtqueue cases (cases.c) or the hybrid
 * ones (hybrid-cases.c). */
struct entry {
	unsigned id;
	const char *name, *group, *clause;
	int timeout_ms;
	const struct cf_case *vq;
	const struct hy_case *hy;
};

static struct entry table[256];
static size_t ntable;

static void load_table(bool hybrid)
{
	size_t n = hybrid ? hy_ncases : cf_ncases;

	for (ntable = 0; ntable < n && ntable < 256; ntable++) {
		struct entry *e = &table[ntable];

		if (hybrid) {
			const struct hy_case *c = &hy_cases[ntable];

			*e = (struct entry){c->id, c->name, c->group, c->clause, c->timeout_ms,
					    NULL, c};
		} else {
			const struct cf_case *c = &cf_cases[ntable];

			*e = (struct entry){c->id, c->name, c->group, c->clause, c->timeout_ms, c,
					    NULL};
		}
	}
}

static uint64_t num(const char *s, uint64_t min, uint64_t max, const char *what)
{
	char e[160];
	uint64_t v;
	int rc = vsk_number_parse((const uint8_t *)s, strlen(s), min, max, 0, &v);

	if (rc)
		errx(EXIT_USAGE, "%s", vsk_number_error(e, sizeof(e), rc, what, s, min, max));
	return v;
}

static const struct entry *find_case(const char *tok)
{
	char *end;
	unsigned long id = strtoul(tok, &end, 10);

	for (size_t i = 0; i < ntable; i++)
		if ((end != tok && !*end && table[i].id == id) || !strcmp(table[i].name, tok))
			return &table[i];
	return NULL;
}

/* Marks the cases a comma-separated list of ids and names selects. */
static void select_cases(const char *list, bool *sel, const char *opt)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		err(1, "strdup");
	if (!*list)
		errx(EXIT_USAGE, "%s '': no case named", opt);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct entry *c = find_case(tok);

		if (!c)
			errx(EXIT_USAGE, "%s '%s': no such case (see --list)", opt, tok);
		sel[c - table] = true;
	}
	free(copy);
}

/* hybrid=ARG: the socket and the guest's ports; the virtqueue options mean nothing there. */
static void parse_hybrid(struct opts *o)
{
	const char *a = o->target_arg ? o->target_arg : "";
	char e[200];

	if (hy_opts_parse((const uint8_t *)a, strlen(a), &o->hybrid, e, sizeof(e)))
		errx(EXIT_USAGE, "%s", e);
	if (o->capture || o->cid_set || strcmp(o->layout_str, "one"))
		errx(EXIT_USAGE, "--target hybrid: --capture, --cid and --layout are for the "
		     "virtqueue targets");
}

/* --expect FILE: read (at most 1 MiB) and parsed before any case runs. */
static void load_expect(struct opts *o)
{
	static uint8_t buf[1 << 20];
	static struct cf_expect x;
	FILE *f = fopen(o->expect_path, "rb");
	size_t n;
	char e[160];

	if (!f)
		err(1, "%s", o->expect_path);
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f))
		err(1, "%s", o->expect_path);
	if (n == sizeof(buf) && fgetc(f) != EOF)
		errx(EXIT_USAGE, "--expect %s: larger than 1 MiB", o->expect_path);
	fclose(f);
	if (cf_expect_parse(buf, n, &x, e, sizeof(e)) < 0)
		errx(EXIT_USAGE, "--expect %s: %s", o->expect_path, e);
	o->expect = &x;
}

static void parse(int argc, char **argv, struct opts *o)
{
	enum { O_CAPTURE = 256, O_CID, O_EXPECT, O_JSON, O_JUNIT, O_LAYOUT, O_LISTMUT, O_ONLY,
	       O_SKIP, O_TARGET, O_TIMEOUT };
	static const struct option lo[] = {
		{"help", no_argument, NULL, 'h'},
		{"list", no_argument, NULL, 'l'},
		{"verbose", no_argument, NULL, 'v'},
		{"capture", required_argument, NULL, O_CAPTURE},
		{"cid", required_argument, NULL, O_CID},
		{"expect", required_argument, NULL, O_EXPECT},
		{"json", required_argument, NULL, O_JSON},
		{"junit", required_argument, NULL, O_JUNIT},
		{"layout", required_argument, NULL, O_LAYOUT},
		{"list-mutations", no_argument, NULL, O_LISTMUT},
		{"only", required_argument, NULL, O_ONLY},
		{"skip", required_argument, NULL, O_SKIP},
		{"target", required_argument, NULL, O_TARGET},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{NULL, 0, NULL, 0},
	};
	const char *target = "model";
	int ch;

	memset(o, 0, sizeof(*o));
	o->cid = 3;
	o->layout_str = "one";
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hlv", lo, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(0);
		case 'l': o->list = true; break;
		case 'v': o->verbose = true; break;
		case O_CAPTURE: o->capture = optarg; break;
		/* 0, 1, 2 and 0xffffffff are reserved (Socket Device: Device configuration
		 * layout); so are CIDs above 32 bits. */
		case O_CID:
			o->cid = num(optarg, 3, 0xfffffffeULL, "--cid");
			o->cid_set = true;
			break;
		case O_EXPECT: o->expect_path = optarg; break;
		case O_JSON: o->json = optarg; break;
		case O_JUNIT: o->junit = optarg; break;
		case O_LAYOUT: o->layout_str = optarg; break;
		case O_LISTMUT: o->list_mutations = true; break;
		case O_ONLY: o->only = optarg; break;
		case O_SKIP: o->skip = optarg; break;
		case O_TARGET: target = optarg; break;
		case O_TIMEOUT: o->timeout_ms = (int)num(optarg, 10, 3600000, "--timeout"); break;
		case ':':
			errx(EXIT_USAGE, "option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				errx(EXIT_USAGE, "unknown option -%c", optopt);
			errx(EXIT_USAGE, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		errx(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (cf_layout_parse(o->layout_str, &o->layout))
		errx(EXIT_USAGE, "--layout '%s': not one, split or spread:N (2-16), with "
		     "optional ,indirect", o->layout_str);
	{
		const char *eq = strchr(target, '=');
		size_t n = eq ? (size_t)(eq - target) : strlen(target);

		for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
			if (strlen(targets[i]->name) == n && !strncmp(targets[i]->name, target, n))
				o->target = targets[i];
		o->target_arg = eq ? eq + 1 : NULL;
		o->target_name = o->target ? o->target->name : "hybrid";
		if (n == 6 && !strncmp(target, "hybrid", 6))
			parse_hybrid(o);
		else if (!o->target)
			errx(EXIT_USAGE, "--target '%s': not model, vhost, hybrid=PATH, "
			     "vhost-user=SOCKET or guest=relay=PATH,agent=PATH", target);
		if (o->target && o->target->check) {
			char e[200];

			if (o->target->check(o->target_arg, o->cid_set, e, sizeof(e)) < 0)
				errx(EXIT_USAGE, "--target %s: %s", o->target->name, e);
		}
	}
	if (o->list && o->list_mutations)
		errx(EXIT_USAGE, "cannot use --list with --list-mutations");
	if (o->expect_path)
		load_expect(o);
}

/* ---- running one case ---- */

static int case_timeout(const struct opts *o, const struct entry *c)
{
	int def = o->target ? o->target->default_timeout_ms : CF_DEFAULT_TIMEOUT_MS;

	if (o->timeout_ms)
		return o->timeout_ms;
	return c->timeout_ms > def ? c->timeout_ms : def;
}

/* In the child: open the target, run the case, close. */
static void run_child(const struct opts *o, const struct cf_case *c, struct cf_params *p,
		      struct cf_result *r, int timeout_ms)
{
	struct cf_harness *h;

	if (c->rx_layout)
		cf_layout_parse(c->rx_layout, &p->rx);
	if (c->tx_layout)
		cf_layout_parse(c->tx_layout, &p->tx);
	if (c->rx_buf)
		p->rx_buf = c->rx_buf;
	(void)o;
	h = cf_open(p, r, timeout_ms);
	if (!h)
		return;
	c->run(h);
	cf_close(h);
}

static void run_case(const struct opts *o, const struct entry *c, struct cf_params *p,
		     struct cf_result *r)
{
	int timeout_ms = case_timeout(o, c), pfd[2], status;
	int64_t start = cf_now_ms(), kill_at = start + timeout_ms + GRACE_MS;
	struct cf_params cp = *p;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	fflush(NULL);
	if (pipe(pfd) < 0 || (pid = fork()) < 0)
		err(1, "cannot start case %s", c->name);
	if (pid == 0) {
		close(pfd[0]);
		signal(SIGPIPE, SIG_IGN);
		if (c->hy)
			hy_run(c->hy, &o->hybrid, r, timeout_ms);
		else
			run_child(o, c->vq, &cp, r, timeout_ms);
		_exit(0);   /* closing pfd[1] tells the parent */
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd pf = {pfd[0], POLLIN, 0};
		int64_t left = kill_at - cf_now_ms();
		char b;

		if (left <= 0) {
			kill(pid, SIGKILL);
			memset(r, 0, sizeof(*r));
			r->verdict = CF_FAIL;
			snprintf(r->rule, sizeof(r->rule), "timeout");
			snprintf(r->reason, sizeof(r->reason), "timeout: the case did not end "
				 "within %d ms (killed)", timeout_ms + GRACE_MS);
			break;
		}
		if (poll(&pf, 1, (int)left) > 0 && read(pfd[0], &b, 1) <= 0)
			break;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
		r->verdict = CF_FAIL;
		snprintf(r->rule, sizeof(r->rule), "crash");
		snprintf(r->reason, sizeof(r->reason), "the case's process died of signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		/* e.g. a sanitizer's report: whatever the case recorded cannot be trusted */
		r->verdict = CF_FAIL;
		snprintf(r->rule, sizeof(r->rule), "crash");
		snprintf(r->reason, sizeof(r->reason), "the case's process exited with status %d",
			 WEXITSTATUS(status));
	}
	r->seconds = (double)(cf_now_ms() - start) / 1000;
}

/* ---- output ---- */

static void tap_comment(const char *key, const char *text)
{
	if (text && *text)
		printf("#   %s: %s\n", key, text);
}

static void tap_case(const struct opts *o, unsigned n, const struct entry *c,
		     const struct cf_result *r)
{
	/* n/a is "ok" with a comment that is not the TAP SKIP directive: a suite that could
	 * not run a case must not look skipped to CI. */
	if (r->verdict == CF_NA)
		printf("ok %u - %s # %s; n/a: %s\n", n, c->name, c->clause, r->reason);
	else
		printf("%s %u - %s # %s\n", r->verdict == CF_FAIL ? "not ok" : "ok", n, c->name,
		       c->clause);
	if (r->verdict == CF_FAIL) {
		tap_comment("rule", r->rule);
		tap_comment("failure", r->reason);
		tap_comment("required", r->required);
	}
	tap_comment("observed", r->observed);
	for (unsigned i = 0; i < r->nviol; i++)
		printf("#   flow rule %s (%s): %s\n", r->viol[i].rule, r->viol[i].who,
		       r->viol[i].detail);
	if (r->verdict == CF_FAIL || o->verbose) {
		for (unsigned i = 0; i < r->nevidence; i++) {
			if (i == 24 && r->nevidence_dropped)
				printf("#   ... %u packets ...\n", r->nevidence_dropped);
			printf("#   %s\n", r->evidence[i]);
		}
	}
	fflush(stdout);
}

/* The JSON report is built in memory, then written at once. */
static void json_str(struct vsk_sbuf *b, const char *s)
{
	vsk_sbuf_put_json(b, s, strlen(s));
}

static void json_report(struct vsk_sbuf *b, const struct opts *o,
			const struct entry *const *run, const struct cf_result *res, size_t n,
			const unsigned *count, double secs)
{
	char lay[48];

	vsk_sbuf_puts(b, "{\"tool\":\"vsock-conformance\",\"target\":");
	json_str(b, o->target_name);
	vsk_sbuf_puts(b, ",\"target_arg\":");
	if (o->target_arg)
		json_str(b, o->target_arg);
	else
		vsk_sbuf_puts(b, "null");
	if (o->target) {
		uint64_t cid = o->cid;   /* the CID the cases used: the backend's under vhost-user */

		for (size_t i = 0; i < n; i++)
			if (res[i].guest_cid) {
				cid = res[i].guest_cid;
				break;
			}
		vsk_sbuf_putf(b, ",\"guest_cid\":%" PRIu64 ",\"layout\":", cid);
		json_str(b, cf_layout_str(&o->layout, lay, sizeof(lay)));
	} else {
		vsk_sbuf_puts(b, ",\"guest_cid\":null,\"layout\":null");   /* no virtqueues */
	}
	vsk_sbuf_putf(b, ",\"seconds\":%.3f,\"summary\":{\"pass\":%u,\"fail\":%u,\"n/a\":%u},"
		"\"cases\":[", secs, count[CF_PASS], count[CF_FAIL], count[CF_NA]);
	for (size_t i = 0; i < n; i++) {
		const struct cf_result *r = &res[i];

		vsk_sbuf_putf(b, "%s\n{\"id\":%u,\"name\":", i ? "," : "", run[i]->id);
		json_str(b, run[i]->name);
		vsk_sbuf_puts(b, ",\"group\":");
		json_str(b, run[i]->group);
		vsk_sbuf_puts(b, ",\"clause\":");
		json_str(b, run[i]->clause);
		vsk_sbuf_puts(b, ",\"verdict\":");
		json_str(b, cf_verdict_names[r->verdict]);
		vsk_sbuf_puts(b, ",\"rule\":");
		json_str(b, r->rule);
		vsk_sbuf_puts(b, ",\"reason\":");
		json_str(b, r->reason);
		vsk_sbuf_puts(b, ",\"required\":");
		json_str(b, r->required);
		vsk_sbuf_puts(b, ",\"observed\":");
		json_str(b, r->observed);
		vsk_sbuf_putf(b, ",\"seconds\":%.3f,\"packets\":%u,\"evidence\":[", r->seconds,
			r->packets);
		for (unsigned k = 0; k < r->nevidence; k++) {
			if (k)
				vsk_sbuf_putc(b, ',');
			json_str(b, r->evidence[k]);
		}
		vsk_sbuf_putf(b, "],\"evidence_dropped\":%u,\"violations\":[", r->nevidence_dropped);
		for (unsigned k = 0; k < r->nviol; k++) {
			vsk_sbuf_putf(b, "%s{\"rule\":", k ? "," : "");
			json_str(b, r->viol[k].rule);
			vsk_sbuf_puts(b, ",\"by\":");
			json_str(b, r->viol[k].who);
			vsk_sbuf_puts(b, ",\"detail\":");
			json_str(b, r->viol[k].detail);
			vsk_sbuf_putc(b, '}');
		}
		vsk_sbuf_puts(b, "]}");
	}
	vsk_sbuf_puts(b, "\n]}\n");
}

/* Writes a report built in memory to f (opened before the run) and closes it. */
static void write_report(FILE *f, struct vsk_sbuf *b, const char *path)
{
	if (b->oom)
		errx(1, "%s: out of memory", path);
	if (fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0)
		err(1, "%s", path);
	vsk_sbuf_free(b);
}

/* --expect: what changed from the record, as TAP comments; the number of changes. */
static size_t expect_summary(const struct opts *o, const struct entry *const *run,
			     const struct cf_result *res, size_t n)
{
	const char *all[256], *names[256];
	enum cf_verdict got[256];
	unsigned counts[CF_CH__COUNT];
	struct vsk_sbuf out = {0};
	size_t changes;

	for (size_t i = 0; i < ntable; i++)
		all[i] = table[i].name;
	for (size_t i = 0; i < n; i++) {
		names[i] = run[i]->name;
		got[i] = res[i].verdict;
	}
	changes = cf_expect_compare(o->expect, all, ntable, names, got, n, &out, counts);
	if (out.oom)
		errx(1, "out of memory");
	if (!changes) {
		printf("# expect %s: no change (%zu cases as recorded)\n", o->expect_path, n);
		return 0;
	}
	printf("# expect %s: %zu change%s:", o->expect_path, changes, changes == 1 ? "" : "s");
	for (int k = 0, first = 1; k < CF_CH__COUNT; k++)
		if (counts[k]) {
			printf("%s %u %s", first ? "" : ",", counts[k], cf_change_names[k]);
			first = 0;
		}
	printf("\n");
	for (char *line = out.p, *nl; line && *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n')))
			break;
		printf("#   %.*s\n", (int)(nl - line), line);
	}
	vsk_sbuf_free(&out);
	return changes;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct cf_params p = {0};
	bool only[256] = {0}, skip[256] = {0};
	const struct entry *run[256];
	struct cf_result *res, *shared;
	unsigned count[3] = {0};
	pcap_t *dead = NULL;
	pcap_dumper_t *dumper = NULL;
	FILE *jf = NULL, *xf = NULL;
	size_t n = 0, changes = 0;
	int64_t t0;
	time_t started = time(NULL);

	parse(argc, argv, &o);
	load_table(!o.target);
	if (o.list) {
		for (size_t i = 0; i < ntable; i++)
			printf("%-3u %-28s %-10s %s\n", table[i].id, table[i].name, table[i].group,
			       table[i].clause);
		return 0;
	}
	if (o.list_mutations) {
		for (int i = 0; i < CF_MUT__COUNT; i++)
			printf("%s\t%s\t%s\n", cf_mutations[i].name, cf_mutations[i].caught_by,
			       cf_mutations[i].text);
		return 0;
	}
	if (o.only)
		select_cases(o.only, only, "--only");
	if (o.skip)
		select_cases(o.skip, skip, "--skip");
	for (size_t i = 0; i < ntable; i++)
		if ((!o.only || only[i]) && !skip[i])
			run[n++] = &table[i];

	if (o.json && !(jf = fopen(o.json, "w")))
		err(1, "%s", o.json);
	if (o.junit && !(xf = fopen(o.junit, "w")))
		err(1, "%s", o.junit);
	if (o.capture) {
		if (!(dead = pcap_open_dead(VSK_LINKTYPE_VSOCK, VSK_DEFAULT_SNAPLEN)))
			errx(1, "%s: pcap_open_dead failed", o.capture);
		if (!(dumper = pcap_dump_open(dead, o.capture)))
			errx(1, "%s", pcap_geterr(dead));
		pcap_dump_flush(dumper);
	}
	res = calloc(n ? n : 1, sizeof(*res));
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (!res || shared == MAP_FAILED)
		err(1, "memory");

	p.ops = o.target;
	p.target_arg = o.target_arg;
	p.guest_cid = o.cid;
	p.rx = p.tx = o.layout;
	p.rx_buf = 4096;
	p.dumper = dumper;

	t0 = cf_now_ms();
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int to = case_timeout(&o, run[i]);

		p.answer_ms = to / 2 < 2000 ? to / 2 : 2000;
		p.quiet_ms = to / 10 < 200 ? to / 10 : 200;
		p.port_base = 10000 + 64 * run[i]->id;
		run_case(&o, run[i], &p, shared);
		res[i] = *shared;
		count[res[i].verdict]++;
		tap_case(&o, (unsigned)i + 1, run[i], &res[i]);
	}
	printf("# %zu cases on target %s%s%s: %u pass, %u fail, %u n/a (%.1f s)\n", n,
	       o.target_name, o.target_arg ? "=" : "", o.target_arg ? o.target_arg : "",
	       count[CF_PASS], count[CF_FAIL], count[CF_NA], (double)(cf_now_ms() - t0) / 1000);
	if (dumper) {
		if (pcap_dump_flush(dumper) != 0)
			errx(1, "%s: write failed", o.capture);
		pcap_dump_close(dumper);
		pcap_close(dead);
	}
	if (jf) {
		struct vsk_sbuf js = {0};

		json_report(&js, &o, run, res, n, count, (double)(cf_now_ms() - t0) / 1000);
		write_report(jf, &js, o.json);
	}
	if (xf) {
		struct vsk_sbuf xs = {0};
		struct cf_junit_case *jc = calloc(n ? n : 1, sizeof(*jc));
		char suite[300];

		if (!jc)
			err(1, "memory");
		for (size_t i = 0; i < n; i++)
			jc[i] = (struct cf_junit_case){run[i]->name, run[i]->group, run[i]->clause,
						       &res[i]};
		snprintf(suite, sizeof(suite), "%s%s%s", o.target_name, o.target_arg ? "=" : "",
			 o.target_arg ? o.target_arg : "");
		cf_junit_report(&xs, suite, jc, n, started, (double)(cf_now_ms() - t0) / 1000);
		write_report(xf, &xs, o.junit);
		free(jc);
	}
	if (o.expect)
		changes = expect_summary(&o, run, res, n);
	free(res);
	if (o.expect)
		return changes ? 1 : 0;
	return count[CF_FAIL] ? 1 : 0;
}
