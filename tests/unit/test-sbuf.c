/* test-sbuf.c - vsk_printable and vsk_sbuf_put_json: how bytes a peer or a user chose are
 * shown as text and written into JSON. */
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

	/* JSON: quotes, backslashes, controls and DEL escaped; UTF-8 and the rest as is; the
	 * length given, not the NUL, ends the string. */
	struct vsk_sbuf b = {0};
	static const char odd[] = "a\"b\\c\n\x01\x7f\xc3\xa9~";

	vsk_sbuf_put_json(&b, odd, sizeof(odd) - 1);
	tap_streq(b.p ? b.p : "", "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\xc3\xa9~\"",
		  "JSON: quote, backslash, newline, 0x01 and DEL escaped, UTF-8 kept");
	vsk_sbuf_reset(&b);
	vsk_sbuf_put_json(&b, "ab\0cd", 5);
	tap_streq(b.p ? b.p : "", "\"ab\\u0000cd\"", "JSON: a NUL inside the length is escaped");
	vsk_sbuf_reset(&b);
	vsk_sbuf_put_json(&b, "", 0);
	tap_streq(b.p ? b.p : "", "\"\"", "JSON: the empty string");
	vsk_sbuf_free(&b);
	return tap_done();
}
