/* fuzz-modelopts.c - the argument of --target model (conformance/model-opts.c) on
 * arbitrary bytes: never reads past len; on success only mutations of the table are on
 * and close_timeout is in range; printing the result back and parsing it again gives the
 * same; on failure the error is one line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "model-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char again[4096];
	uint8_t *copy = malloc(size ? size : 1);
	struct cf_model_opts o, o2;
	char err[200] = "", err2[200];
	size_t n = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	if (cf_model_opts_parse(copy, size, &o, err, sizeof(err)) == 0) {
		if ((CF_MUT__COUNT < 64 && o.mutations >> CF_MUT__COUNT) ||
		    o.close_timeout_ms > 3600000)
			abort();
		for (int k = 0; k < CF_MUT__COUNT; k++)
			if (o.mutations & (1ULL << k))
				n += (size_t)snprintf(again + n, sizeof(again) - n, "%s%s",
						      n ? "," : "", cf_mutations[k].name);
		if (o.close_timeout_ms)
			n += (size_t)snprintf(again + n, sizeof(again) - n, "%sclose_timeout=%u",
					      n ? "," : "", o.close_timeout_ms);
		if (n >= sizeof(again) ||
		    cf_model_opts_parse((const uint8_t *)again, n, &o2, err2, sizeof(err2)) ||
		    o.mutations != o2.mutations || o.close_timeout_ms != o2.close_timeout_ms)
			abort();
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	free(copy);
	return 0;
}
