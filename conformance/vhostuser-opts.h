/* vhostuser-opts.h - the argument of vsock-conformance --target vhost-user=ARG:
 * SOCKET[,uds=PATH].  SOCKET (up to the first comma) is the backend's vhost-user socket;
 * PATH (everything after "uds=", commas included) its hybrid vsock socket, where the
 * suite connects and whose PATH_<port> names it listens on (target-vhostuser.c). */
#ifndef CF_VHOSTUSER_OPTS_H
#define CF_VHOSTUSER_OPTS_H

#include <stddef.h>
#include <stdint.h>

struct vu_opts {
	char sock[108];          /* sun_path, NUL-terminated */
	char uds[108];           /* "" without uds=; else PATH_<port> fits too */
};

/* Parses p[0..n) (no NUL needed; p may be NULL when n is 0: no argument at all).  0 with
 * *o set, or -1 with one line in err[0..errlen) naming what is wrong; *o is then
 * unspecified. */
int vu_opts_parse(const uint8_t *p, size_t n, struct vu_opts *o, char *err, size_t errlen);

#endif
