/* junit.c - the run as JUnit XML (see junit.h). */
#include <string.h>

#include "junit.h"

static void text(struct vsk_sbuf *b, const char *s)
{
	vsk_sbuf_put_xml(b, s, strlen(s));
}

/* attribute name="value" */
static void attr(struct vsk_sbuf *b, const char *name, const char *value)
{
	vsk_sbuf_putf(b, " %s=\"", name);
	text(b, value);
	vsk_sbuf_putc(b, '"');
}

static void failure_body(struct vsk_sbuf *b, const struct cf_junit_case *c)
{
	const struct cf_result *r = c->r;

	vsk_sbuf_puts(b, "clause: ");
	text(b, c->clause);
	vsk_sbuf_puts(b, "\nrequired: ");
	text(b, r->required);
	vsk_sbuf_puts(b, "\nobserved: ");
	text(b, r->observed);
	if (r->nevidence) {
		vsk_sbuf_puts(b, "\npackets:");
		for (unsigned k = 0; k < r->nevidence && k < CF_MAX_EVIDENCE; k++) {
			vsk_sbuf_puts(b, "\n  ");
			text(b, r->evidence[k]);
		}
		if (r->nevidence_dropped)
			vsk_sbuf_putf(b, "\n  (%u more not kept)", r->nevidence_dropped);
	}
	for (unsigned k = 0; k < r->nviol && k < CF_MAX_VIOL; k++) {
		vsk_sbuf_puts(b, "\nflow rule ");
		text(b, r->viol[k].rule);
		vsk_sbuf_puts(b, " (");
		text(b, r->viol[k].who);
		vsk_sbuf_puts(b, "): ");
		text(b, r->viol[k].detail);
	}
}

void cf_junit_report(struct vsk_sbuf *b, const char *suite, const struct cf_junit_case *c,
		     size_t n, time_t started, double seconds)
{
	unsigned fails = 0, skips = 0;
	char ts[32] = "1970-01-01T00:00:00";
	struct tm tm;

	for (size_t i = 0; i < n; i++) {
		fails += c[i].r->verdict == CF_FAIL;
		skips += c[i].r->verdict == CF_NA;
	}
	if (gmtime_r(&started, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsk_sbuf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	attr(b, "name", "vsock-conformance");
	vsk_sbuf_putf(b, " tests=\"%zu\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
		      "time=\"%.3f\">\n", n, fails, skips, seconds);
	vsk_sbuf_puts(b, "  <testsuite");
	vsk_sbuf_puts(b, " name=\"vsock-conformance --target ");
	text(b, suite);
	vsk_sbuf_putf(b, "\" tests=\"%zu\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
		      "time=\"%.3f\" timestamp=\"%s\">\n", n, fails, skips, seconds, ts);
	for (size_t i = 0; i < n; i++) {
		const struct cf_result *r = c[i].r;

		vsk_sbuf_puts(b, "    <testcase");
		attr(b, "classname", c[i].group);
		attr(b, "name", c[i].name);
		vsk_sbuf_putf(b, " time=\"%.3f\">\n", r->seconds);
		if (r->verdict == CF_FAIL) {
			vsk_sbuf_puts(b, "      <failure");
			attr(b, "type", r->rule);
			vsk_sbuf_puts(b, " message=\"");
			text(b, r->rule);
			vsk_sbuf_puts(b, ": ");
			text(b, r->reason);
			vsk_sbuf_puts(b, "\">");
			failure_body(b, &c[i]);
			vsk_sbuf_puts(b, "</failure>\n");
		} else if (r->verdict == CF_NA) {
			vsk_sbuf_puts(b, "      <skipped");
			attr(b, "message", r->reason);
			vsk_sbuf_puts(b, "/>\n");
		}
		vsk_sbuf_puts(b, "      <system-out>clause: ");
		text(b, c[i].clause);
		vsk_sbuf_puts(b, "&#10;required: ");
		text(b, r->required);
		vsk_sbuf_puts(b, "&#10;observed: ");
		text(b, r->observed);
		vsk_sbuf_puts(b, "</system-out>\n    </testcase>\n");
	}
	vsk_sbuf_puts(b, "  </testsuite>\n</testsuites>\n");
}
