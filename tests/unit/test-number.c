/* test-number.c - vsk_number_parse: what the tools' numeric options accept and reject. */
#include <string.h>

#include "tap.h"
#include "vsk/error.h"
#include "vsk/number.h"

struct row {
	const char *in;
	uint64_t min, max;
	unsigned flags;
	int rc;
	uint64_t want;
};

static const struct row rows[] = {
	{ "0", 0, 10, 0, VSK_OK, 0 },
	{ "10", 0, 10, 0, VSK_OK, 10 },
	{ "11", 0, 10, 0, VSK_E_RANGE, 0 },
	{ "0", 1, 10, 0, VSK_E_RANGE, 0 },
	{ "010", 0, 100, 0, VSK_OK, 10 },          /* decimal, not octal */
	{ "0x1F", 0, 100, 0, VSK_OK, 31 },
	{ "0xg", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ "0x", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ "", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ "-1", 0, 100, 0, VSK_E_RANGE, 0 },
	{ "-x", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ "-", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ "+1", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ " 1", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ "1 ", 0, 100, 0, VSK_E_SYNTAX, 0 },
	{ "4294967295", 0, UINT32_MAX, 0, VSK_OK, UINT32_MAX },
	{ "4294967296", 0, UINT32_MAX, 0, VSK_E_RANGE, 0 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, VSK_OK, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, 0, VSK_E_RANGE, 0 },
	{ "99999999999999999999x", 0, UINT64_MAX, 0, VSK_E_SYNTAX, 0 }, /* syntax beats range */
	{ "4M", 0, UINT64_MAX, 0, VSK_E_SYNTAX, 0 },                 /* no suffix unless asked */
	{ "4M", 0, UINT64_MAX, VSK_NUM_SIZE, VSK_OK, 4u << 20 },
	{ "256k", 0, UINT64_MAX, VSK_NUM_SIZE, VSK_OK, 256u << 10 },
	{ "2g", 0, UINT64_MAX, VSK_NUM_SIZE, VSK_OK, 2ull << 30 },
	{ "M", 0, UINT64_MAX, VSK_NUM_SIZE, VSK_E_SYNTAX, 0 },
	{ "1MB", 0, UINT64_MAX, VSK_NUM_SIZE, VSK_E_SYNTAX, 0 },
	{ "17179869184G", 0, UINT64_MAX, VSK_NUM_SIZE, VSK_E_RANGE, 0 }, /* 2^34 G overflows */
	{ "1G", 0, 1u << 20, VSK_NUM_SIZE, VSK_E_RANGE, 0 },
};

int main(void)
{
	char buf[128];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		uint64_t v = 12345;
		int rc = vsk_number_parse((const uint8_t *)r->in, strlen(r->in), r->min, r->max,
					  r->flags, &v);

		tap_ok(rc == r->rc && (rc != VSK_OK ? v == 12345 : v == r->want),
		       "'%s' in %llu..%llu%s: rc %d, value %llu", r->in,
		       (unsigned long long)r->min, (unsigned long long)r->max,
		       r->flags ? " (size)" : "", rc, (unsigned long long)v);
	}
	/* the length bounds the parse: no NUL needed, bytes after it not looked at */
	uint64_t v = 0;
	tap_ok(vsk_number_parse((const uint8_t *)"123xyz", 3, 0, 1000, 0, &v) == VSK_OK && v == 123,
	       "parses only the first n bytes");
	tap_streq(vsk_number_error(buf, sizeof(buf), VSK_E_RANGE, "-c", "0", 1, 9),
		  "-c '0': out of range 1..9", "range error line");
	tap_streq(vsk_number_error(buf, sizeof(buf), VSK_E_SYNTAX, "port", "x", 0, 9),
		  "port 'x': not a number", "syntax error line");
	return tap_done();
}
