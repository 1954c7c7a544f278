/* fuzz-expect.c - recorded verdicts (conformance/expect.c, vsock-conformance --expect) on
 * arbitrary bytes: never reads past len; on success every entry is a name of [a-z0-9_]
 * with a verdict, no name twice, and writing the record back and parsing it again gives
 * the same entries; a record compared with itself as a run has no change, and each entry
 * flipped to another verdict is one change; on failure the error is one non-empty line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cf_expect x, y;
	static const char *names[CF_EXPECT_MAX];
	static enum cf_verdict got[CF_EXPECT_MAX];
	uint8_t *copy = malloc(size ? size : 1);
	struct vsk_sbuf back = {0}, out = {0};
	unsigned counts[CF_CH__COUNT];
	char err[200] = "";

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	if (cf_expect_parse(copy, size, &x, err, sizeof(err)) != 0) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		free(copy);
		return 0;
	}
	for (size_t i = 0; i < x.n; i++) {
		const char *s = x.e[i].name;

		if (!*s || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s) ||
		    (unsigned)x.e[i].verdict > CF_NA || cf_expect_find(&x, s) != &x.e[i])
			abort();
		vsk_sbuf_putf(&back, "%s %s\n", s, cf_verdict_names[x.e[i].verdict]);
		names[i] = s;
		got[i] = x.e[i].verdict;
	}
	if (back.oom || cf_expect_parse((const uint8_t *)(back.p ? back.p : ""), back.len, &y,
					 err, sizeof(err)) != 0 || y.n != x.n)
		abort();
	for (size_t i = 0; i < x.n; i++)
		if (strcmp(x.e[i].name, y.e[i].name) || x.e[i].verdict != y.e[i].verdict)
			abort();
	if (cf_expect_compare(&x, names, x.n, names, got, x.n, &out, counts) != 0)
		abort();
	for (size_t i = 0; i < x.n; i++)
		got[i] = (enum cf_verdict)((got[i] + 1) % 3);
	if (cf_expect_compare(&x, names, x.n, names, got, x.n, &out, counts) != x.n)
		abort();
	vsk_sbuf_free(&back);
	vsk_sbuf_free(&out);
	free(copy);
	return 0;
}
