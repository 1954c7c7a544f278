/* vhostuser-opts.c - the argument of --target vhost-user (vhostuser-opts.h). */
#include <stdio.h>
#include <string.h>

#include <vsk/hybrid.h>

#include "hybrid-opts.h"
#include "vhostuser-opts.h"

int vu_opts_parse(const uint8_t *p, size_t n, struct vu_opts *o, char *err, size_t errlen)
{
	const uint8_t *comma = n ? memchr(p, ',', n) : NULL, *rest;
	size_t slen = comma ? (size_t)(comma - p) : n, rlen;
	char t[64];

	memset(o, 0, sizeof(*o));
	if (n == 0) {
		snprintf(err, errlen, "vhost-user needs the backend's socket: "
			 "--target vhost-user=SOCKET[,uds=PATH]");
		return -1;
	}
	if (slen == 0 || slen >= sizeof(o->sock) || memchr(p, 0, slen)) {
		snprintf(err, errlen, "vhost-user socket '%s': %s",
			 cf_shown(t, sizeof(t), p, slen, 40), slen == 0 ? "empty path" :
			 slen >= sizeof(o->sock) ? "path too long for a UNIX socket" :
			 "a NUL byte in the path");
		return -1;
	}
	memcpy(o->sock, p, slen);
	if (!comma)
		return 0;
	rest = comma + 1;
	rlen = n - slen - 1;
	if (rlen < 4 || memcmp(rest, "uds=", 4)) {
		snprintf(err, errlen, "vhost-user option '%s': not uds=PATH",
			 cf_shown(t, sizeof(t), rest, rlen, 40));
		return -1;
	}
	rest += 4;
	rlen -= 4;
	/* the backend's listeners are PATH_<port> */
	if (rlen == 0 || !vsk_hybrid_path_fits(rlen) || memchr(rest, 0, rlen)) {
		snprintf(err, errlen, "vhost-user uds='%s': %s",
			 cf_shown(t, sizeof(t), rest, rlen, 40), rlen == 0 ? "empty path" :
			 memchr(rest, 0, rlen) ? "a NUL byte in the path" :
			 "path too long for a UNIX socket and its _PORT names");
		return -1;
	}
	memcpy(o->uds, rest, rlen);
	return 0;
}
