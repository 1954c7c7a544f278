/* sbuf.c - growable output buffer and text helpers (vsk/sbuf.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vsk/error.h"
#include "vsk/sbuf.h"

int vsk_sbuf_reserve(struct vsk_sbuf *b, size_t more)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return VSK_E_NOMEM;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return VSK_E_NOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void vsk_sbuf_free(struct vsk_sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void vsk_sbuf_putf(struct vsk_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || vsk_sbuf_reserve(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* "00".."99": two digits per step halves the divisions of the hot path. */
const char vsk_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Decimal digits of a 32-bit value without a loop: log2 from the bit length, times
 * log10(2) ~ 1233/4096, corrected by one comparison. */
static size_t digits32(uint32_t u)
{
	static const uint32_t pow10[] = {0, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					 100000000, 1000000000};
	unsigned t = ((32u - (unsigned)__builtin_clz(u | 1)) * 1233u) >> 12;

	return t + 1 - (u < pow10[t]);
}

/* Fills the digits of u backwards, ending just before `end`, two digits a step. */
static void fill32(char *end, uint32_t u)
{
	while (u >= 100) {
		unsigned d = (u % 100) * 2;

		u /= 100;
		*--end = vsk_digits2[d + 1];
		*--end = vsk_digits2[d];
	}
	if (u >= 10) {
		*--end = vsk_digits2[u * 2 + 1];
		*--end = vsk_digits2[u * 2];
	} else {
		*--end = (char)('0' + u);
	}
}

char *vsk_digits_write(char *w, unsigned long long v)
{
	char tmp[20], *t = tmp + sizeof(tmp);

	if (v <= 0xffffffffu) {
		size_t n = digits32((uint32_t)v);

		fill32(w + n, (uint32_t)v);
		return w + n;
	}
	/* Wider values (64-bit CIDs, counters) are rare: the slow way. */
	while (v) {
		*--t = (char)('0' + v % 10);
		v /= 10;
	}
	memcpy(w, t, (size_t)(tmp + sizeof(tmp) - t));
	return w + (tmp + sizeof(tmp) - t);
}

void vsk_sbuf_putu(struct vsk_sbuf *b, unsigned long long v)
{
	if (vsk_sbuf_reserve(b, 20) != 0)
		return;
	b->len = (size_t)(vsk_digits_write(b->p + b->len, v) - b->p);
	b->p[b->len] = 0;
}

size_t vsk_printable(char *out, size_t cap, const uint8_t *p, size_t len, char subst)
{
	size_t i;

	if (cap == 0)
		return 0;
	for (i = 0; i < len && i < cap - 1; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : subst;
	out[i] = '\0';
	return i;
}

void vsk_sbuf_put_json(struct vsk_sbuf *b, const char *s, size_t len)
{
	size_t i;

	vsk_sbuf_putc(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			vsk_sbuf_putc(b, '\\');
			vsk_sbuf_putc(b, (char)ch);
		} else if (ch < 0x20 || ch == 0x7f) {
			vsk_sbuf_putf(b, "\\u%04x", ch);
		} else {
			vsk_sbuf_putc(b, (char)ch);
		}
	}
	vsk_sbuf_putc(b, '"');
}

void vsk_sbuf_put_xml(struct vsk_sbuf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '&': vsk_sbuf_puts(b, "&amp;"); break;
		case '<': vsk_sbuf_puts(b, "&lt;"); break;
		case '>': vsk_sbuf_puts(b, "&gt;"); break;
		case '"': vsk_sbuf_puts(b, "&quot;"); break;
		case '\'': vsk_sbuf_puts(b, "&apos;"); break;
		case '\t': vsk_sbuf_puts(b, "&#9;"); break;
		case '\n': vsk_sbuf_puts(b, "&#10;"); break;
		default:
			vsk_sbuf_putc(b, ch >= 0x20 && ch < 0x7f ? (char)ch : '?');
		}
	}
}
