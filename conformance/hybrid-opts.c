/* hybrid-opts.c - the argument of --target hybrid (hybrid-opts.h). */
#include <stdio.h>
#include <string.h>

#include <vsk/error.h>
#include <vsk/hybrid.h>
#include <vsk/number.h>
#include <vsk/sbuf.h>

#include "hybrid-opts.h"

const char *cf_shown(char *out, size_t cap, const uint8_t *p, size_t n, size_t max)
{
	size_t room = cap - 4 < max ? cap - 4 : max;

	if (vsk_printable(out, room + 1, p, n, '?') < n)
		strcat(out, "...");
	return out;
}

/* "KEY=VALUE" at tok[0..len) with the given key: 1 with *out set, 0 if tok is another
 * key, -1 with err set if VALUE is not a port. */
static int opt_port(const uint8_t *tok, size_t len, const char *key, uint32_t *out,
		    char *err, size_t errlen)
{
	size_t k = strlen(key);
	uint64_t v;
	int rc;

	if (len <= k || memcmp(tok, key, k) || tok[k] != '=')
		return 0;
	rc = vsk_number_parse(tok + k + 1, len - k - 1, 0, HY_PORT_MAX, 0, &v);
	if (rc != VSK_OK) {
		char what[32], arg[32];

		snprintf(what, sizeof(what), "--target hybrid: %s", key);
		vsk_number_error(err, errlen, rc, what, cf_shown(arg, sizeof(arg), tok + k + 1,
			         len - k - 1, 20), 0, HY_PORT_MAX);
		return -1;
	}
	*out = (uint32_t)v;
	return 1;
}

int hy_opts_parse(const uint8_t *p, size_t n, struct hy_opts *o, char *err, size_t errlen)
{
	const uint8_t *comma = memchr(p, ',', n), *end = p + n;
	size_t plen = comma ? (size_t)(comma - p) : n;
	char t[64];

	memset(o, 0, sizeof(*o));
	o->port = HY_DEF_PORT;
	o->hostport = HY_DEF_HOSTPORT;
	if (plen == 0) {
		snprintf(err, errlen, "--target hybrid: no socket path "
			 "(hybrid=PATH[,port=P][,hostport=H])");
		return -1;
	}
	if (memchr(p, 0, plen)) {
		snprintf(err, errlen, "--target hybrid: a NUL byte in the path");
		return -1;
	}
	/* PATH_<hostport> must fit too */
	if (!vsk_hybrid_path_fits(plen)) {
		snprintf(err, errlen, "--target hybrid: path '%s' too long for a UNIX socket",
			 cf_shown(t, sizeof(t), p, plen, 40));
		return -1;
	}
	memcpy(o->path, p, plen);
	while (comma) {
		const uint8_t *tok = comma + 1;
		size_t tlen;
		int a, b = 0;

		comma = memchr(tok, ',', (size_t)(end - tok));
		tlen = comma ? (size_t)(comma - tok) : (size_t)(end - tok);
		a = opt_port(tok, tlen, "port", &o->port, err, errlen);
		if (a == 0)
			b = opt_port(tok, tlen, "hostport", &o->hostport, err, errlen);
		if (a < 0 || b < 0)
			return -1;
		if (a == 0 && b == 0) {
			snprintf(err, errlen, "--target hybrid: '%s': not port=P or hostport=H",
				 cf_shown(t, sizeof(t), tok, tlen, 40));
			return -1;
		}
	}
	return 0;
}
