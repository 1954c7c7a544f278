/* number.c - option numbers (see vsk/number.h). */
#include <stdio.h>

#include "vsk/error.h"
#include "vsk/number.h"

static int digit(uint8_t c, unsigned base)
{
	unsigned v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10u;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10u;
	else
		return -1;
	return v < base ? (int)v : -1;
}

int vsk_number_parse(const uint8_t *s, size_t n, uint64_t min, uint64_t max, unsigned flags,
		     uint64_t *out)
{
	unsigned base = 10, shift = 0;
	size_t i = 0;
	uint64_t v = 0;
	int over = 0;

	/* "-5" is a number, just not one of ours: say out of range, as strtonum(3) does */
	if (n > 1 && s[0] == '-') {
		int rc = vsk_number_parse(s + 1, n - 1, 0, UINT64_MAX, flags, &v);

		return rc == VSK_E_SYNTAX ? rc : VSK_E_RANGE;
	}
	if (n > 0 && (flags & VSK_NUM_SIZE)) {
		switch (s[n - 1]) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		}
		if (shift)
			n--;
	}
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return VSK_E_SYNTAX;
	for (; i < n; i++) {
		int d = digit(s[i], base);

		if (d < 0)
			return VSK_E_SYNTAX;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			over = 1;       /* keep going: a later bad byte is still a syntax error */
		else
			v = v * base + (unsigned)d;
	}
	if (over || (shift && v > UINT64_MAX >> shift))
		return VSK_E_RANGE;
	v <<= shift;
	if (v < min || v > max)
		return VSK_E_RANGE;
	*out = v;
	return VSK_OK;
}

char *vsk_number_error(char *buf, size_t len, int rc, const char *what, const char *arg,
		       uint64_t min, uint64_t max)
{
	if (rc == VSK_E_RANGE)
		snprintf(buf, len, "%s '%s': out of range %llu..%llu", what, arg,
			 (unsigned long long)min, (unsigned long long)max);
	else
		snprintf(buf, len, "%s '%s': not a number", what, arg);
	return buf;
}
