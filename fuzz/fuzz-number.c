/* fuzz-number.c - the option-number parser on arbitrary bytes: never reads past len,
 * respects the bounds it is given, and agrees with printing the value back. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/error.h"
#include "vsk/number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	uint64_t v = 0, w = 0, max = size ? (uint64_t)1 << (data[0] % 64) : UINT64_MAX;
	char txt[32];

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	for (unsigned flags = 0; flags <= VSK_NUM_SIZE; flags++) {
		int rc = vsk_number_parse(copy, size, 0, UINT64_MAX, flags, &v);

		if (rc != VSK_OK && rc != VSK_E_SYNTAX && rc != VSK_E_RANGE)
			abort();
		if (rc == VSK_OK) {
			/* the decimal form of the value parses to the same value */
			int k = snprintf(txt, sizeof(txt), "%" PRIu64, v);

			if (vsk_number_parse((const uint8_t *)txt, (size_t)k, 0, UINT64_MAX, 0, &w) ||
			    w != v)
				abort();
			/* a bound below the value turns it into a range error, never a syntax one */
			if (v > 0 && vsk_number_parse(copy, size, 0, v - 1, flags, &w) != VSK_E_RANGE)
				abort();
		}
		rc = vsk_number_parse(copy, size, 0, max, flags, &w);
		if (rc == VSK_OK && w > max)
			abort();
	}
	free(copy);
	return 0;
}
