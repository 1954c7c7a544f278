/* sbuf.c - growable output buffer. */
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

/* Writes the digits straight into the buffer: counted first, then filled backwards two
 * at a time, in 32-bit arithmetic when the value allows (the common case). */
void vsk_sbuf_putu(struct vsk_sbuf *b, unsigned long long v)
{
	size_t n = 1;
	char *w;

	for (unsigned long long t = v; t >= 10; t /= 10)
		n++;
	if (b->len + n + 1 > b->cap && vsk_sbuf_reserve(b, n) != 0)
		return;
	w = b->p + b->len + n;
	b->len += n;
	*w = 0;
	while (v > 0xffffffffu) {
		*--w = (char)('0' + v % 10);
		v /= 10;
	}
	for (uint32_t u = (uint32_t)v;;) {
		if (u >= 100) {
			unsigned d = (u % 100) * 2;

			u /= 100;
			*--w = vsk_digits2[d + 1];
			*--w = vsk_digits2[d];
		} else if (u >= 10) {
			*--w = vsk_digits2[u * 2 + 1];
			*--w = vsk_digits2[u * 2];
			break;
		} else {
			*--w = (char)('0' + u);
			break;
		}
	}
}

void vsk_sbuf_putx(struct vsk_sbuf *b, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	vsk_sbuf_put(b, tmp + i, sizeof(tmp) - i);
}
