/* fuzz-hybrid.c - the hybrid vsock CONNECT/OK parsers on arbitrary bytes: never read
 * past len, agree with themselves on every prefix, and round-trip through the builder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/hybrid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int (*fns[2])(const uint8_t *, size_t, uint32_t *, size_t *) = {
		vsk_hybrid_parse_connect, vsk_hybrid_parse_ok };
	size_t (*builds[2])(uint8_t *, size_t, uint32_t) = {
		vsk_hybrid_build_connect, vsk_hybrid_build_ok };
	uint8_t *copy = malloc(size ? size : 1), line[VSK_HYBRID_LINE_MAX];

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	for (int f = 0; f < 2; f++) {
		uint32_t port = 0, p2 = 0;
		size_t used = 0, u2 = 0, n;
		int rc = fns[f](copy, size, &port, &used);

		if (rc == 1) {
			if (used == 0 || used > size || copy[used - 1] != '\n')
				abort();
			/* the line alone parses the same; any strict prefix asks for more */
			if (fns[f](copy, used, &p2, &u2) != 1 || p2 != port || u2 != used)
				abort();
			if (fns[f](copy, used - 1, &p2, &u2) != 0)
				abort();
			n = builds[f](line, sizeof(line), port);
			if (n == 0 || fns[f](line, n, &p2, &u2) != 1 || p2 != port || u2 != n)
				abort();
		} else if (rc == 0) {
			if (size >= VSK_HYBRID_LINE_MAX || memchr(copy, '\n', size))
				abort();
		}
	}
	free(copy);
	return 0;
}
