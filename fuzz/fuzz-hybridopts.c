/* fuzz-hybridopts.c - the argument of --target hybrid (conformance/hybrid-opts.c) on
 * arbitrary bytes: never reads past len; on success the path is non-empty, NUL-terminated
 * with room for "_<hostport>", holds no comma, and the ports are in range; printing the
 * result back and parsing it again gives the same; on failure the error is one line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vsk/hybrid.h>

#include "hybrid-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct hy_opts o, o2;
	char err[200] = "", err2[200], again[160];
	int n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	if (hy_opts_parse(copy, size, &o, err, sizeof(err)) == 0) {
		size_t plen = strnlen(o.path, sizeof(o.path));

		if (plen == 0 || plen + VSK_HYBRID_PORT_SUFFIX_MAX >= sizeof(o.path) ||
		    strchr(o.path, ',') ||
		    o.port > HY_PORT_MAX || o.hostport > HY_PORT_MAX)
			abort();
		n = snprintf(again, sizeof(again), "%s,port=%u,hostport=%u", o.path, o.port,
			     o.hostport);
		if (n <= 0 || (size_t)n >= sizeof(again) ||
		    hy_opts_parse((const uint8_t *)again, (size_t)n, &o2, err2, sizeof(err2)) ||
		    strcmp(o.path, o2.path) || o.port != o2.port || o.hostport != o2.hostport)
			abort();
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	free(copy);
	return 0;
}
