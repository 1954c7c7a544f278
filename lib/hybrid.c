/* hybrid.c - the CONNECT/OK lines of hybrid vsock (see lib/vsk/hybrid.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vsk/error.h"
#include "vsk/hybrid.h"
#include "vsk/sbuf.h"
#include "vsk/unixsock.h"

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* The common grammar: KEYWORD [ \t]+ DIGITS [\r] \n, checked byte by byte so that a
 * prefix of a valid line answers 0 and anything else answers an error at once. */
static int parse_line(const char *kw, const uint8_t *p, size_t len, uint32_t *port,
		      size_t *used)
{
	size_t i = 0, k, ndig = 0;
	uint64_t v = 0;
	int in_blank = 0, cr = 0;

	for (k = 0; kw[k]; k++, i++) {
		if (i == len)
			return 0;
		if (lower(p[i]) != kw[k])
			return VSK_E_SYNTAX;
	}
	for (;; i++) {
		if (i >= VSK_HYBRID_LINE_MAX)
			return VSK_E_SYNTAX;
		if (i == len)
			return 0;
		if (p[i] == ' ' || p[i] == '\t') {
			if (ndig)
				return VSK_E_SYNTAX;
			in_blank = 1;
			continue;
		}
		break;
	}
	if (!in_blank)
		return VSK_E_SYNTAX;
	for (;; i++) {
		if (i >= VSK_HYBRID_LINE_MAX)
			return VSK_E_SYNTAX;
		if (i == len)
			return 0;
		if (p[i] >= '0' && p[i] <= '9' && !cr) {
			v = v * 10 + (uint64_t)(p[i] - '0');
			if (v > UINT32_MAX)
				return VSK_E_RANGE;
			ndig++;
			continue;
		}
		if (p[i] == '\r' && ndig && !cr) {
			cr = 1;
			continue;
		}
		if (p[i] == '\n' && ndig)
			break;
		return VSK_E_SYNTAX;
	}
	*port = (uint32_t)v;
	*used = i + 1;
	return 1;
}

int vsk_hybrid_parse_connect(const uint8_t *p, size_t len, uint32_t *port, size_t *used)
{
	return parse_line("connect", p, len, port, used);
}

int vsk_hybrid_parse_ok(const uint8_t *p, size_t len, uint32_t *port, size_t *used)
{
	return parse_line("ok", p, len, port, used);
}

static size_t build(uint8_t *out, size_t cap, const char *kw, uint32_t port)
{
	char tmp[VSK_HYBRID_LINE_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s %u\n", kw, (unsigned)port);

	if (n <= 0 || (size_t)n > cap || (size_t)n >= sizeof(tmp))
		return 0;
	for (int i = 0; i < n; i++)
		out[i] = (uint8_t)tmp[i];
	return (size_t)n;
}

size_t vsk_hybrid_build_connect(uint8_t *out, size_t cap, uint32_t port)
{
	return build(out, cap, "CONNECT", port);
}

size_t vsk_hybrid_build_ok(uint8_t *out, size_t cap, uint32_t port)
{
	return build(out, cap, "OK", port);
}

int vsk_hybrid_path_fits(size_t len)
{
	return len + VSK_HYBRID_PORT_SUFFIX_MAX < VSK_UNIX_PATH_MAX;
}

int vsk_hybrid_port_path(char *out, size_t cap, const char *path, uint32_t port)
{
	int n = snprintf(out, cap, "%s_%u", path, (unsigned)port);

	if (n < 0 || (size_t)n >= cap || (size_t)n >= VSK_UNIX_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

const char *vsk_hybrid_shown(char out[VSK_HYBRID_SHOWN_MAX], const uint8_t *line, size_t len)
{
	const uint8_t *nl = memchr(line, '\n', len);

	vsk_printable(out, VSK_HYBRID_SHOWN_MAX, line, nl ? (size_t)(nl - line) : len, '?');
	return out;
}
