/* sbuf.c - growable output buffer. */
#include <stdarg.h>
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

void vsk_sbuf_putu(struct vsk_sbuf *b, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	vsk_sbuf_put(b, tmp + i, sizeof(tmp) - i);
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
