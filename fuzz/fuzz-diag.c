/* fuzz-diag.c - the vsock_diag dump walker and message parser; aborts when the walker
 * hands over more sockets than the datagram has room for (a netlink header and a
 * 32-byte vsock_diag_msg each) or the parser accepts fewer than 32 bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "vsk/diag.h"
#include "vsk/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
	uint64_t sum;
	size_t socks;
};

static int count(const struct vsk_diag_sock *s, void *arg)
{
	struct tally *t = arg;

	/* Touch every field so a sanitizer sees uninitialised reads. */
	t->sum += s->type + s->state + s->shutdown + s->src_cid + s->src_port + s->dst_cid +
		  s->dst_port + s->ino + s->cookie;
	t->socks++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsk_diag_sock s;
	struct tally t = {0, 0};
	int kerr;
	bool done;

	vsk_diag_walk(data, size, count, &t, &kerr, &done);
	if (t.socks > size / (VSK_NLMSG_HDR_LEN + VSK_DIAG_MSG_LEN))
		abort();
	if (vsk_diag_parse(data, size, &s) == 0) {
		if (size < VSK_DIAG_MSG_LEN)
			abort();
		count(&s, &t);
	}
	return 0;
}
