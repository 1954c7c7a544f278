/* expect.h - recorded verdicts (vsock-conformance --expect FILE): one line per case,
 * "NAME VERDICT" (VERDICT pass, fail or n/a), '#' comments and blank lines ignored, the
 * format of tests/vm/conformance-expect/, tests/vm/guest-expect/ and
 * tests/cli/conformance-expect/; and what changed between such a record and a run. */
#ifndef CF_EXPECT_H
#define CF_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include <vsk/sbuf.h>

#include "harness.h"

#define CF_EXPECT_MAX   1024        /* lines with a verdict in one file */
#define CF_EXPECT_NAME  48          /* longest case name + 1 */

struct cf_expect_entry {
	char name[CF_EXPECT_NAME];
	enum cf_verdict verdict;
	unsigned line;
};

struct cf_expect {
	struct cf_expect_entry e[CF_EXPECT_MAX];
	size_t n;
};

/* Parses p[0..n) (no NUL needed).  0 with *x filled, or -1 with one line in err naming
 * the line number and what is wrong (a name of other than [a-z0-9_], a verdict not pass,
 * fail or n/a, a case twice, more than CF_EXPECT_MAX entries); *x is then unspecified. */
int cf_expect_parse(const uint8_t *p, size_t n, struct cf_expect *x, char *err, size_t errlen);

/* The recorded verdict of case name, or NULL. */
const struct cf_expect_entry *cf_expect_find(const struct cf_expect *x, const char *name);

/* The kinds of change from a record to a run. */
enum cf_change {
	CF_CH_NEW_FAIL,     /* recorded pass (or n/a), now fail */
	CF_CH_NOW_PASS,     /* recorded fail, now pass */
	CF_CH_NA,           /* n/a recorded and now something else, or now n/a */
	CF_CH_NEW_CASE,     /* run, not recorded */
	CF_CH_GONE,         /* recorded, not a case of the suite */
	CF_CH__COUNT
};
extern const char *const cf_change_names[CF_CH__COUNT];

/* Compares record x with a run: run_names[i] got verdict got[i] (i < nrun); all_names are
 * every case of the suite (a recorded case that is none of them is gone; one that is but
 * was not run is not compared).  Appends one line per change to out ("new fail:
 * credit_x (recorded pass)") and counts them per kind in counts (CF_CH__COUNT entries,
 * zeroed here).  Returns the number of changes. */
size_t cf_expect_compare(const struct cf_expect *x, const char *const *all_names, size_t nall,
			 const char *const *run_names, const enum cf_verdict *got, size_t nrun,
			 struct vsk_sbuf *out, unsigned *counts);

#endif
