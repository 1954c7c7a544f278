/* cases.h - the conformance cases: a table like Linux's tools/testing/vsock/vsock_test.c,
 * each case citing the virtio spec clause it checks.  A case states what the spec
 * requires (cf_required), records what the implementation did (cf_observe) and leaves a
 * verdict in the harness: pass, fail (naming the rule, with the packets as evidence), or
 * not applicable (with the reason). */
#ifndef CF_CASES_H
#define CF_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

struct cf_case {
	unsigned id;             /* stable: 1, 2, ... (new cases are appended) */
	const char *name;        /* stable lowercase id, e.g. "request_listener" */
	const char *group;       /* handshake, credit, shutdown, types, transport, layout */
	const char *clause;      /* virtio spec clause */
	void (*run)(struct cf_harness *h);
	int timeout_ms;          /* the case's own timeout when --timeout is not given (0:
				  * the default); for waits on a peer's timer */
	const char *rx_layout;   /* layout the case needs (cf_layout_parse), or NULL for
				  * --layout */
	const char *tx_layout;
	uint32_t rx_buf;         /* rx payload bytes per buffer, or 0 for the default */
};

extern const struct cf_case cf_cases[];
extern const size_t cf_ncases;

#endif
