/* analysis.c - vsockdump's use of lib/flow.c (see analysis.h). */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "vsk/flow.h"
#include "vsk/report.h"

#define MAX_FINDINGS 16 /* per packet; more are counted, not shown */

static struct analysis_opts opt;
static struct vsk_flow *flow;
static struct vsk_violation found[MAX_FINDINGS];
static size_t nfound;
static unsigned long long nerrors;
/* --stats: connections as they leave the tracker */
static struct vsk_conn *rows;
static size_t nrows, caprows;

static void tally(const struct vsk_violation *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (vsk_rules[v[i].rule].sev == VSK_SEV_ERROR)
			nerrors++;
}

static void on_expire(const struct vsk_conn *c, void *arg)
{
	(void)arg;
	if (!opt.stats)
		return;
	if (opt.json) {
		vsk_report_conn_json(c, opt.out);
		return;
	}
	if (nrows == caprows) {
		size_t cap = caprows ? caprows * 2 : 256;
		struct vsk_conn *r = realloc(rows, cap * sizeof(*r));

		if (!r)
			errx(1, "out of memory");
		rows = r;
		caprows = cap;
	}
	rows[nrows++] = *c;
}

int analysis_init(const struct analysis_opts *o)
{
	struct vsk_flow_opts fo = {.close_timeout = o->close_timeout, .stall_time = o->stall_time,
				   .on_expire = on_expire};

	opt = *o;
	flow = vsk_flow_new(&fo);
	if (!flow) {
		warnx("out of memory");
		return -1;
	}
	return 0;
}

/* Timed findings print as lines; the rest wait for the packet's line. */
static size_t split_timed(size_t n)
{
	size_t k = 0;

	tally(found, n < MAX_FINDINGS ? n : MAX_FINDINGS);
	for (size_t i = 0; i < n && i < MAX_FINDINGS; i++) {
		if (!found[i].timed) {
			found[k++] = found[i];
			continue;
		}
		if (opt.json)
			vsk_report_violation_json(&found[i], opt.out);
		else
			vsk_report_timed(opt.fmt, &found[i], opt.out);
	}
	return k;
}

size_t analysis_packet(const struct vsk_pkt *pkt, int decode_err, const struct timeval *ts)
{
	size_t n = vsk_flow_packet(flow, pkt, decode_err, ts, found, MAX_FINDINGS, NULL);

	nfound = n ? split_timed(n) : 0;
	return nfound;
}

static int cmp_index(const void *a, const void *b)
{
	const struct vsk_conn *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

void analysis_annotate(size_t line_start)
{
	struct vsk_sbuf notes = {0};
	char *nl;

	if (!nfound)
		return;
	if (opt.json) {
		for (size_t i = 0; i < nfound; i++)
			vsk_report_violation_json(&found[i], opt.out);
		return;
	}
	if (opt.quiet_lines)
		return;
	for (size_t i = 0; i < nfound; i++) {
		/* The decoder already printed these two on the line. */
		if (found[i].rule == VSK_RULE_LEN_MISMATCH || found[i].rule == VSK_RULE_CID_UPPER)
			continue;
		vsk_report_inline(&found[i], &notes);
	}
	nl = opt.out->p ? memchr(opt.out->p + line_start, '\n', opt.out->len - line_start) : NULL;
	if (notes.len && nl) {
		size_t at = (size_t)(nl - opt.out->p);

		if (vsk_sbuf_reserve(opt.out, notes.len) == 0) {
			memmove(opt.out->p + at + notes.len, opt.out->p + at, opt.out->len - at + 1);
			memcpy(opt.out->p + at, notes.p, notes.len);
			opt.out->len += notes.len;
		}
	}
	vsk_sbuf_free(&notes);
}

void analysis_finish(void)
{
	struct vsk_violation v[MAX_FINDINGS];
	size_t n = vsk_flow_finish(flow, v, MAX_FINDINGS);

	memcpy(found, v, sizeof(v));
	split_timed(n);
	nfound = 0;
	/* Every connection left goes through on_expire. */
	vsk_flow_free(flow);
	flow = NULL;
	if (opt.stats && !opt.json) {
		qsort(rows, nrows, sizeof(*rows), cmp_index);
		vsk_report_conn_header(opt.out);
		for (size_t i = 0; i < nrows; i++)
			vsk_report_conn_row(&rows[i], opt.out);
	}
}

unsigned long long analysis_errors(void) { return nerrors; }

void analysis_free(void)
{
	vsk_flow_free(flow);
	flow = NULL;
	free(rows);
	rows = NULL;
	nrows = caprows = 0;
}
