/* test-sbuf.c - vsk_printable: how bytes a peer or a user chose are shown as text. */
#include <string.h>

#include "tap.h"
#include "vsk/sbuf.h"

int main(void)
{
	static const uint8_t mixed[] = { 'O', 'K', ' ', 0x00, 0x1f, '~', 0x7f, 0x80, 0xff,
					 '\n', '\t', '\r' };
	char out[32];
	size_t n;

	n = vsk_printable(out, sizeof(out), (const uint8_t *)"OK 5", 4, '?');
	tap_ok(n == 4, "printable ASCII: all 4 bytes written (%zu)", n);
	tap_streq(out, "OK 5", "printable ASCII: as is");

	n = vsk_printable(out, sizeof(out), mixed, sizeof(mixed), '?');
	tap_ok(n == sizeof(mixed), "mixed: all %zu bytes written (%zu)", sizeof(mixed), n);
	tap_streq(out, "OK ??~??????", "mixed: NUL, controls, DEL, high bytes, newline as '?'");

	vsk_printable(out, sizeof(out), mixed, sizeof(mixed), '.');
	tap_streq(out, "OK ..~......", "the substitute is the caller's ('.')");

	n = vsk_printable(out, 4, (const uint8_t *)"CONNECT", 7, '?');
	tap_ok(n == 3, "cut to cap - 1: 3 of 7 bytes written (%zu)", n);
	tap_streq(out, "CON", "cut: NUL-terminated inside cap");

	memset(out, 'x', sizeof(out));
	n = vsk_printable(out, 1, (const uint8_t *)"A", 1, '?');
	tap_ok(n == 0 && out[0] == '\0', "cap 1: only the NUL");

	memset(out, 'x', sizeof(out));
	n = vsk_printable(out, 0, (const uint8_t *)"A", 1, '?');
	tap_ok(n == 0 && out[0] == 'x', "cap 0: nothing written");

	n = vsk_printable(out, sizeof(out), NULL, 0, '?');
	tap_ok(n == 0 && out[0] == '\0', "no bytes: the empty string");
	return tap_done();
}
