/* hybrid-opts.h - the argument of vsock-conformance --target hybrid=ARG:
 * PATH[,port=P][,hostport=H].  PATH (up to the first comma) is the VMM's hybrid vsock
 * UNIX socket; P the guest's first service port (hybrid-harness.h); H the host port the
 * guest's dial service connects to (the suite listens on PATH_H). */
#ifndef CF_HYBRID_OPTS_H
#define CF_HYBRID_OPTS_H

#include <stddef.h>
#include <stdint.h>

#define HY_DEF_PORT     5100u
#define HY_DEF_HOSTPORT 7100u
#define HY_PORT_MAX     (UINT32_MAX - 4)   /* P + 4 must be a port too */

struct hy_opts {
	char path[108];          /* sun_path, NUL-terminated; PATH_<H> fits too */
	uint32_t port;           /* the echo service; sink, report, dial and nothing follow */
	uint32_t hostport;       /* where the dial service connects to (PATH_hostport) */
};

/* Parses p[0..n) (no NUL needed).  0 with *o set, or -1 with one line in err[0..errlen)
 * naming what is wrong; *o is then unspecified. */
int hy_opts_parse(const uint8_t *p, size_t n, struct hy_opts *o, char *err, size_t errlen);

/* Up to max bytes of p[0..n) as text for an error line in out[0..cap): other than
 * printable ASCII as '?', "..." when cut (cap must leave room for it).  Returns out.
 * vhostuser-opts.c uses it too. */
const char *cf_shown(char *out, size_t cap, const uint8_t *p, size_t n, size_t max);

#endif
