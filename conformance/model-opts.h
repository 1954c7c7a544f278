/* model-opts.h - the argument of vsock-conformance --target model=ARG: NAME[,NAME...],
 * each NAME a mutation of mutations.def (device.h) or close_timeout=MS, the model's close
 * timeout in milliseconds (1 to 3600000). */
#ifndef CF_MODEL_OPTS_H
#define CF_MODEL_OPTS_H

#include <stddef.h>
#include <stdint.h>

struct cf_model_opts {
	uint64_t mutations;           /* bit k: cf_mutations[k] on */
	uint32_t close_timeout_ms;    /* 0: the model's default */
};

/* Parses p[0..n) (no NUL needed; n 0: no mutation).  0 with *o set, or -1 with one line in
 * err[0..errlen) naming the token that is wrong; *o is then unspecified. */
int cf_model_opts_parse(const uint8_t *p, size_t n, struct cf_model_opts *o, char *err,
			size_t errlen);

#endif
