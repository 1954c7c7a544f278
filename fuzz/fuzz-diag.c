/* fuzz-diag.c - the vsock_diag dump walker and message parser. */
#include <stdint.h>

#include "vsk/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const struct vsk_diag_sock *s, void *arg)
{
	/* Touch every field so a sanitizer sees uninitialised reads. */
	*(uint64_t *)arg += s->type + s->state + s->shutdown + s->src_cid + s->src_port +
			    s->dst_cid + s->dst_port + s->ino + s->cookie;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsk_diag_sock s;
	uint64_t sum = 0;
	int kerr;
	bool done;

	vsk_diag_walk(data, size, count, &sum, &kerr, &done);
	if (vsk_diag_parse(data, size, &s) == 0)
		count(&s, &sum);
	return 0;
}
