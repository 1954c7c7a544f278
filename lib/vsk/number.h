/* number.h - the numbers users type in options (counts, ports, CIDs, sizes): one parser
 * for every tool, so `-c`, `--buffer-size` and a port all accept and reject the same. */
#ifndef VSK_NUMBER_H
#define VSK_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* Accept a K, M or G suffix (either case) multiplying by 2^10, 2^20 or 2^30. */
#define VSK_NUM_SIZE 1u

/*
 * Parses all of s[0..n) (no NUL needed) as an unsigned integer: decimal digits, or 0x/0X
 * and hex digits; with VSK_NUM_SIZE an optional K/M/G suffix.  No '+', no spaces, no
 * octal (a leading 0 is decimal).  Returns VSK_OK with *out set; VSK_E_SYNTAX if the
 * bytes are not such a number; VSK_E_RANGE if the value (after the suffix) overflows
 * 64 bits or lies outside [min, max], or is negative ("-5").  *out is untouched unless VSK_OK is returned.
 */
int vsk_number_parse(const uint8_t *s, size_t n, uint64_t min, uint64_t max, unsigned flags,
		     uint64_t *out);

/*
 * The tools' error line for a failed vsk_number_parse: "WHAT 'ARG': not a number" or
 * "WHAT 'ARG': out of range MIN..MAX" into buf[0..len) (NUL-terminated, cut to fit).
 * Returns buf.
 */
char *vsk_number_error(char *buf, size_t len, int rc, const char *what, const char *arg,
		       uint64_t min, uint64_t max);

#endif
