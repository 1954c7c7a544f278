/* fuzz-mutate.c - vsockdev --mutate's list (vsockdev/mutate.c) on arbitrary bytes: never
 * reads past len; on success at least one switch is on and the names of the switches,
 * joined by ',', parse to the same switches; on failure the error is one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../vsockdev/vsockdev.h"

static const char *const names[VD_MUT__COUNT] = {
#define CF_MUTATION(ID, name, caught_by, text) [VD_MUT_##ID] = name,
#include "mutations.def"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct vd *vd = calloc(1, sizeof(*vd)), *vd2 = calloc(1, sizeof(*vd2));
	char err[200] = "", err2[200], again[VD_MUT__COUNT * 32] = "";

	if (!copy || !vd || !vd2)
		abort();
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	if (vd_mutate_parse(vd, copy, size, err, sizeof(err)) == 0) {
		if (!vd->mutations)
			abort();
		for (int i = 0; i < VD_MUT__COUNT; i++)
			if (vd->mutations >> i & 1) {
				if (again[0])
					strcat(again, ",");
				strcat(again, names[i]);
			}
		if (vd_mutate_parse(vd2, (const uint8_t *)again, strlen(again), err2,
				    sizeof(err2)) != 0 || vd2->mutations != vd->mutations)
			abort();
	} else if (!err[0] || strchr(err, '\n') || strlen(err) >= sizeof(err) - 1) {
		abort();
	}
	free(copy);
	free(vd);
	free(vd2);
	return 0;
}
