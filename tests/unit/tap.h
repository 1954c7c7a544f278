/* tap.h - minimal TAP producer for the unit tests (tests/run counts the lines). */
#ifndef VSK_TAP_H
#define VSK_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_UNUSED __attribute__((unused))

__attribute__((format(printf, 2, 3), unused))
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

/* Compares strings; on mismatch prints both as TAP diagnostics. */
TAP_UNUSED static int tap_streq(const char *got, const char *want, const char *what)
{
	int ok = tap_ok(got && want && strcmp(got, want) == 0, "%s", what);

	if (!ok)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return ok;
}

TAP_UNUSED static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
