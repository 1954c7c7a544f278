/* expect.c - recorded verdicts and what changed (see expect.h). */
#include <stdio.h>
#include <string.h>

#include "expect.h"

const char *const cf_verdict_names[3] = {"pass", "fail", "n/a"};
const char *const cf_change_names[CF_CH__COUNT] = {
	"new fail", "fail now passes", "n/a changed", "new case", "gone",
};

static int verdict_of(const uint8_t *p, size_t n)
{
	for (int v = 0; v < 3; v++)
		if (strlen(cf_verdict_names[v]) == n && !memcmp(cf_verdict_names[v], p, n))
			return v;
	return -1;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }
static bool is_name(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

int cf_expect_parse(const uint8_t *p, size_t n, struct cf_expect *x, char *err, size_t errlen)
{
	unsigned line = 0;
	size_t off = 0;

	x->n = 0;
	while (off < n) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		size_t end = nl ? (size_t)(nl - p) : n, i = off, name0, name1, v0, v1;
		char shown[24];
		int v;

		line++;
		while (i < end && is_space(p[i]))
			i++;
		if (i == end || p[i] == '#') {
			off = end + 1;
			continue;
		}
		for (name0 = i; i < end && is_name(p[i]); i++)
			;
		name1 = i;
		while (i < end && is_space(p[i]))
			i++;
		for (v0 = i; i < end && !is_space(p[i]); i++)
			;
		v1 = i;
		while (i < end && is_space(p[i]))
			i++;
		if (name1 == name0 || name1 - name0 >= CF_EXPECT_NAME || v0 == name1 || i != end) {
			vsk_printable(shown, sizeof(shown), p + name0, end - name0, '?');
			snprintf(err, errlen, "line %u: '%s': not NAME VERDICT (a case name of a-z, "
				 "0-9 and _, then pass, fail or n/a)", line, shown);
			return -1;
		}
		if ((v = verdict_of(p + v0, v1 - v0)) < 0) {
			vsk_printable(shown, sizeof(shown), p + v0, v1 - v0, '?');
			snprintf(err, errlen, "line %u: verdict '%s': not pass, fail or n/a", line,
				 shown);
			return -1;
		}
		if (x->n == CF_EXPECT_MAX) {
			snprintf(err, errlen, "line %u: more than %d verdicts", line, CF_EXPECT_MAX);
			return -1;
		}
		memcpy(x->e[x->n].name, p + name0, name1 - name0);
		x->e[x->n].name[name1 - name0] = 0;
		if (cf_expect_find(x, x->e[x->n].name)) {
			snprintf(err, errlen, "line %u: case %s recorded twice (line %u first)", line,
				 x->e[x->n].name, cf_expect_find(x, x->e[x->n].name)->line);
			return -1;
		}
		x->e[x->n].verdict = (enum cf_verdict)v;
		x->e[x->n].line = line;
		x->n++;
		off = end + 1;
	}
	return 0;
}

const struct cf_expect_entry *cf_expect_find(const struct cf_expect *x, const char *name)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->e[i].name, name))
			return &x->e[i];
	return NULL;
}

static void change(struct vsk_sbuf *out, unsigned *counts, enum cf_change k, const char *name,
		   const char *detail)
{
	counts[k]++;
	vsk_sbuf_putf(out, "%s: %s (%s)\n", cf_change_names[k], name, detail);
}

size_t cf_expect_compare(const struct cf_expect *x, const char *const *all_names, size_t nall,
			 const char *const *run_names, const enum cf_verdict *got, size_t nrun,
			 struct vsk_sbuf *out, unsigned *counts)
{
	size_t total = 0;
	char d[64];

	memset(counts, 0, CF_CH__COUNT * sizeof(*counts));
	for (size_t i = 0; i < nrun; i++) {
		const struct cf_expect_entry *e = cf_expect_find(x, run_names[i]);
		enum cf_verdict was;

		if (!e) {
			snprintf(d, sizeof(d), "%s, not recorded", cf_verdict_names[got[i]]);
			change(out, counts, CF_CH_NEW_CASE, run_names[i], d);
			total++;
			continue;
		}
		if ((was = e->verdict) == got[i])
			continue;
		snprintf(d, sizeof(d), "recorded %s, now %s", cf_verdict_names[was],
			 cf_verdict_names[got[i]]);
		if (was == CF_NA || got[i] == CF_NA)
			change(out, counts, CF_CH_NA, run_names[i], d);
		else if (got[i] == CF_FAIL)
			change(out, counts, CF_CH_NEW_FAIL, run_names[i], d);
		else
			change(out, counts, CF_CH_NOW_PASS, run_names[i], d);
		total++;
	}
	for (size_t i = 0; i < x->n; i++) {
		bool known = false;

		for (size_t k = 0; k < nall && !known; k++)
			known = !strcmp(all_names[k], x->e[i].name);
		if (known)
			continue;
		snprintf(d, sizeof(d), "recorded %s on line %u, no such case",
			 cf_verdict_names[x->e[i].verdict], x->e[i].line);
		change(out, counts, CF_CH_GONE, x->e[i].name, d);
		total++;
	}
	return total;
}
