/* model-opts.c - the argument of --target model (model-opts.h). */
#include <stdio.h>
#include <string.h>

#include <vsk/error.h>
#include <vsk/number.h>

#include "device.h"
#include "hybrid-opts.h"
#include "model-opts.h"

#define CLOSE_TIMEOUT_MAX 3600000

/* The mutation named tok[0..len): its index, or -1. */
static int mutation(const uint8_t *tok, size_t len)
{
	char name[64];

	if (len >= sizeof(name) || memchr(tok, 0, len))
		return -1;
	memcpy(name, tok, len);
	name[len] = 0;
	return cf_mutation_find(name);
}

int cf_model_opts_parse(const uint8_t *p, size_t n, struct cf_model_opts *o, char *err,
			size_t errlen)
{
	static const char ct[] = "close_timeout=";
	const uint8_t *end = p + n, *tok = p;
	char t[64];

	memset(o, 0, sizeof(*o));
	while (n) {
		const uint8_t *comma = memchr(tok, ',', (size_t)(end - tok));
		size_t tlen = comma ? (size_t)(comma - tok) : (size_t)(end - tok);
		int k = mutation(tok, tlen);

		if (k >= 0) {
			o->mutations |= 1ULL << k;
		} else if (tlen >= sizeof(ct) - 1 && !memcmp(tok, ct, sizeof(ct) - 1)) {
			uint64_t v;
			int rc = vsk_number_parse(tok + sizeof(ct) - 1, tlen - (sizeof(ct) - 1), 1,
						  CLOSE_TIMEOUT_MAX, 0, &v);

			if (rc != VSK_OK) {
				vsk_number_error(err, errlen, rc, "close_timeout",
						 cf_shown(t, sizeof(t), tok + sizeof(ct) - 1,
							  tlen - (sizeof(ct) - 1), 20),
						 1, CLOSE_TIMEOUT_MAX);
				return -1;
			}
			o->close_timeout_ms = (uint32_t)v;
		} else {
			snprintf(err, errlen, "'%s': %s", cf_shown(t, sizeof(t), tok, tlen, 40),
				 tlen ? "no such mutation (see --list-mutations)" :
				 "an empty name (mutation or close_timeout=MS)");
			return -1;
		}
		if (!comma)
			break;
		tok = comma + 1;
	}
	return 0;
}
