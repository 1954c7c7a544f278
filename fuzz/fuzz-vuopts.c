/* fuzz-vuopts.c - the argument of --target vhost-user (conformance/vhostuser-opts.c) on
 * arbitrary bytes: never reads past len; on success the socket path is non-empty and
 * NUL-terminated, the uds path empty or with room for "_<port>"; printing the result back
 * and parsing it again gives the same; on failure the error is one line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vsk/hybrid.h>

#include "vhostuser-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct vu_opts o, o2;
	char err[200] = "", err2[200], again[240];
	int n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	if (vu_opts_parse(copy, size, &o, err, sizeof(err)) == 0) {
		size_t slen = strnlen(o.sock, sizeof(o.sock));
		size_t ulen = strnlen(o.uds, sizeof(o.uds));

		if (slen == 0 || slen >= sizeof(o.sock) || strchr(o.sock, ',') ||
		    ulen + VSK_HYBRID_PORT_SUFFIX_MAX >= sizeof(o.uds))
			abort();
		n = ulen ? snprintf(again, sizeof(again), "%s,uds=%s", o.sock, o.uds) :
			   snprintf(again, sizeof(again), "%s", o.sock);
		if (n <= 0 || (size_t)n >= sizeof(again) ||
		    vu_opts_parse((const uint8_t *)again, (size_t)n, &o2, err2, sizeof(err2)) ||
		    strcmp(o.sock, o2.sock) || strcmp(o.uds, o2.uds))
			abort();
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	free(copy);
	return 0;
}
