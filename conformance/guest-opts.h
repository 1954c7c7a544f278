/* guest-opts.h - the argument of vsock-conformance --target guest=ARG:
 * relay=PATH,agent=PATH (target-guest.c). */
#ifndef CF_GUEST_OPTS_H
#define CF_GUEST_OPTS_H

#include <stddef.h>
#include <stdint.h>

struct cf_guest_opts {
	char relay[108];         /* vsockdev --relay's socket (sun_path, NUL-terminated) */
	char agent[108];         /* the agent's virtio-serial chardev socket */
};

/* Parses p[0..n) (no NUL needed): relay=PATH and agent=PATH, comma-separated, in any
 * order, each once.  0 with *o set, or -1 with one line in err. */
int cf_guest_opts_parse(const uint8_t *p, size_t n, struct cf_guest_opts *o, char *err,
			size_t errlen);

#endif
