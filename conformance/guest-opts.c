/* guest-opts.c - the argument of --target guest (guest-opts.h). */
#include <stdio.h>
#include <string.h>

#include <vsk/sbuf.h>

#include "guest-opts.h"

int cf_guest_opts_parse(const uint8_t *p, size_t n, struct cf_guest_opts *o, char *err,
			size_t errlen)
{
	static const char usage[] = "(guest=relay=PATH,agent=PATH)";
	const uint8_t *end = p + n, *tok = p;

	memset(o, 0, sizeof(*o));
	while (tok <= end) {
		const uint8_t *comma = memchr(tok, ',', (size_t)(end - tok));
		size_t tlen = comma ? (size_t)(comma - tok) : (size_t)(end - tok);
		char *dst = NULL;
		size_t k = 0;

		if (tlen > 6 && !memcmp(tok, "relay=", 6))
			dst = o->relay, k = 6;
		else if (tlen > 6 && !memcmp(tok, "agent=", 6))
			dst = o->agent, k = 6;
		if (!dst) {
			char shown[41];

			vsk_printable(shown, sizeof(shown), tok, tlen, '?');
			snprintf(err, errlen, "'%s' is not relay=PATH or agent=PATH %s", shown,
				 usage);
			return -1;
		}
		if (dst[0]) {
			snprintf(err, errlen, "%.5s given twice", (const char *)tok);
			return -1;
		}
		if (tlen - k >= sizeof(o->relay) || memchr(tok + k, 0, tlen - k)) {
			snprintf(err, errlen, "the %.5s path is too long for a "
				 "UNIX socket or holds a NUL", (const char *)tok);
			return -1;
		}
		memcpy(dst, tok + k, tlen - k);
		if (!comma)
			break;
		tok = comma + 1;
	}
	if (!o->relay[0] || !o->agent[0]) {
		snprintf(err, errlen, "%s missing %s",
			 o->relay[0] ? "agent=PATH" : "relay=PATH", usage);
		return -1;
	}
	return 0;
}
