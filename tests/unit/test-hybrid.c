/* test-hybrid.c - the hybrid vsock CONNECT/OK line parser and builder. */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "vsk/error.h"
#include "vsk/hybrid.h"

typedef int (*parse_fn)(const uint8_t *, size_t, uint32_t *, size_t *);

static void check(parse_fn fn, const char *in, size_t len, int want, uint32_t wport,
		  size_t wused)
{
	uint32_t port = 0xdeadbeef;
	size_t used = 12345;
	int rc = fn((const uint8_t *)in, len, &port, &used);
	char shown[80];
	size_t j, k = 0;

	/* one TAP line each: show control bytes as \n, \r, \t, \0 */
	for (j = 0; j < len && k + 3 < sizeof(shown); j++) {
		const char *esc = in[j] == '\n' ? "\\n" : in[j] == '\r' ? "\\r" :
				  in[j] == '\t' ? "\\t" : in[j] == 0 ? "\\0" : NULL;

		if (esc) {
			shown[k++] = esc[0];
			shown[k++] = esc[1];
		} else {
			shown[k++] = in[j];
		}
	}
	shown[k] = 0;

	if (want == 1)
		tap_ok(rc == 1 && port == wport && used == wused,
		       "'%s' -> port %u used %zu (rc %d port %u used %zu)", shown,
		       wport, wused, rc, port, used);
	else
		tap_ok(rc == want && port == 0xdeadbeef && used == 12345,
		       "'%s' -> %d (rc %d, outputs untouched)", shown, want, rc);
}

#define S(x) x, sizeof(x) - 1

int main(void)
{
	uint8_t b[64];
	size_t n;

	check(vsk_hybrid_parse_connect, S("CONNECT 52\n"), 1, 52, 11);
	check(vsk_hybrid_parse_connect, S("connect 0\n"), 1, 0, 10);
	check(vsk_hybrid_parse_connect, S("CoNnEcT \t 4294967295\r\n"), 1, 4294967295u, 22);
	check(vsk_hybrid_parse_connect, S("CONNECT 52\nhello"), 1, 52, 11);
	check(vsk_hybrid_parse_connect, S("CONNECT 4294967296\n"), VSK_E_RANGE, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT 99999999999999999999\n"), VSK_E_RANGE, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT52\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT \n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT 5 2\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT -1\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT 1\r\r\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNEXT 1\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("OK 1\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT 1\0\n"), VSK_E_SYNTAX, 0, 0);
	/* prefixes of a valid line ask for more bytes */
	check(vsk_hybrid_parse_connect, "", 0, 0, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONN"), 0, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT"), 0, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT 12"), 0, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT 12\r"), 0, 0, 0);
	/* a line longer than Firecracker's 32-byte buffer is refused, even unfinished */
	check(vsk_hybrid_parse_connect, S("CONNECT                        1\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT                         "), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_connect, S("CONNECT 0000000000000000000001\n"), 1, 1, 31);

	check(vsk_hybrid_parse_ok, S("OK 1073741824\n"), 1, 1073741824u, 14);
	check(vsk_hybrid_parse_ok, S("ok 52\nbanner\n"), 1, 52, 6);
	check(vsk_hybrid_parse_ok, S("OK"), 0, 0, 0);
	check(vsk_hybrid_parse_ok, S("OK\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_ok, S("ERR no listener\n"), VSK_E_SYNTAX, 0, 0);
	check(vsk_hybrid_parse_ok, S("OKAY 1\n"), VSK_E_SYNTAX, 0, 0);

	n = vsk_hybrid_build_connect(b, sizeof(b), 52);
	tap_ok(n == 11 && memcmp(b, "CONNECT 52\n", 11) == 0, "build CONNECT 52");
	n = vsk_hybrid_build_ok(b, sizeof(b), 4294967295u);
	tap_ok(n == 14 && memcmp(b, "OK 4294967295\n", 14) == 0, "build OK 4294967295");
	tap_ok(vsk_hybrid_build_connect(b, 10, 52) == 0, "build into a 10-byte buffer fails");
	tap_ok(vsk_hybrid_build_connect(b, 11, 52) == 11, "build into an exact buffer works");
	{
		uint32_t port = 0;
		size_t used = 0;

		n = vsk_hybrid_build_connect(b, sizeof(b), 4294967295u);
		tap_ok(vsk_hybrid_parse_connect(b, n, &port, &used) == 1 && port == 4294967295u &&
		       used == n, "build then parse round-trips");
	}
	/* sun_path is 108 bytes: 96 + "_4294967295" + NUL fit, one more byte does not */
	tap_ok(vsk_hybrid_path_fits(96) && !vsk_hybrid_path_fits(97) && vsk_hybrid_path_fits(0),
	       "a path of 96 bytes leaves room for _<port>, 97 does not");
	return tap_done();
}
