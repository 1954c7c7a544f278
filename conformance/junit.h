/* junit.h - the run as JUnit XML (vsock-conformance --junit FILE), the shape GitLab,
 * Jenkins and GitHub test reporters read: one <testsuite> for the target, one <testcase>
 * per case (classname its group), a fail as <failure> (its rule, reason, what the spec
 * requires, what was observed, the packets and flow-rule findings), n/a as <skipped> with
 * its reason, and each case's time. */
#ifndef CF_JUNIT_H
#define CF_JUNIT_H

#include <stddef.h>
#include <time.h>

#include <vsk/sbuf.h>

#include "harness.h"

struct cf_junit_case {
	const char *name, *group, *clause;
	const struct cf_result *r;
};

/* Appends the document to b.  suite: the target as given ("vhost", "model=credit_wrap");
 * started: when the run began; seconds: its length. */
void cf_junit_report(struct vsk_sbuf *b, const char *suite, const struct cf_junit_case *c,
		     size_t n, time_t started, double seconds);

#endif
