/* hybrid-cases.h - the hybrid vsock cases: a VMM's UNIX socket protocol checked from the
 * host side (hybrid-harness.h), with the guest services of --target hybrid behind it.
 * The virtio spec does not define hybrid vsock: each case cites the VMMs' documentation
 * and reference/vsock-facts.md D.3, which lists where Firecracker, Cloud Hypervisor and
 * vhost-device-vsock differ; where they may differ a case accepts each known behaviour
 * and reports which one it saw. */
#ifndef CF_HYBRID_CASES_H
#define CF_HYBRID_CASES_H

#include <stddef.h>

#include "harness.h"
#include "hybrid-harness.h"

struct hy_case {
	unsigned id;             /* stable: 1, 2, ... (new cases are appended) */
	const char *name;        /* stable lowercase id */
	const char *group;       /* handshake, stream, guest */
	const char *clause;      /* the documentation the case checks */
	void (*run)(struct hy *h);
	int timeout_ms;          /* the case's own timeout when --timeout is not given (0:
				  * the default) */
};

extern const struct hy_case hy_cases[];
extern const size_t hy_ncases;

/* Runs case c against the socket and guest services of o: the verdict in r. */
void hy_run(const struct hy_case *c, const struct hy_opts *o, struct cf_result *r,
	    int timeout_ms);

#endif
