/* test-credit.c - the receiver's credit-update policy (lib/credit.c): when a CREDIT_UPDATE
 * is due, above all for a sender capped at its own smaller buffer. */
#include "tap.h"
#include "vsk/credit.h"

#define KiB 1024u

static bool due(uint32_t buf, uint32_t peer_buf, uint32_t rx, uint32_t fwd, uint32_t adv)
{
	const struct vsk_credit_rx s = {
		.buf_alloc = buf, .peer_buf_alloc = peer_buf, .rx_cnt = rx, .fwd_cnt = fwd,
		.adv_fwd_cnt = adv,
	};

	return vsk_credit_update_due(&s);
}

int main(void)
{
	tap_ok(vsk_credit_view_free(256 * KiB, 100, 0) == 256 * KiB - 100,
	       "view: buf_alloc less the bytes not yet acknowledged");
	tap_ok(vsk_credit_view_free(4 * KiB, 8 * KiB, 0) == 0,
	       "view: bytes beyond a shrunk buf_alloc give 0, not a wrapped u32");
	tap_ok(vsk_credit_view_free(64 * KiB, 10, 0xfffffff0u) == 64 * KiB - 26,
	       "view: counters wrap mod 2^32");

	tap_ok(!due(1024 * KiB, 256 * KiB, 256 * KiB, 0, 0),
	       "nothing consumed since the last update: not due");
	tap_ok(!due(1024 * KiB, 256 * KiB, 300 * KiB, 300 * KiB, 300 * KiB),
	       "fwd_cnt already told: not due, even with the queue empty");
	tap_ok(due(1024 * KiB, 256 * KiB, 256 * KiB, 256 * KiB, 0),
	       "the application took all a 256 KiB-capped sender sent (1 MiB ours): due");
	tap_ok(due(1024 * KiB, 1024 * KiB, 4 * KiB, 4 * KiB, 0),
	       "the queue emptied after a small read: due (Linux's SO_RCVLOWAT rule)");
	tap_ok(!due(1024 * KiB, 1024 * KiB, 100 * KiB, 50 * KiB, 0),
	       "1 MiB each, 100 KiB held, half read: the sender sees 924 KiB free, not due");
	tap_ok(due(1024 * KiB, 1024 * KiB, 600 * KiB, 500 * KiB, 0),
	       "1 MiB each, 600 KiB held: the sender sees under half the window, due");
	tap_ok(!due(1024 * KiB, 256 * KiB, 100 * KiB, 50 * KiB, 0),
	       "256 KiB sender, 100 KiB held: 156 KiB of its window left, not due");
	tap_ok(due(1024 * KiB, 256 * KiB, 200 * KiB, 100 * KiB, 0),
	       "256 KiB sender, 200 KiB held: its window below half, due (our 1 MiB aside)");
	tap_ok(due(1024 * KiB, 64 * KiB, 20 * KiB, 10 * KiB, 0),
	       "64 KiB sender: its window is below one packet, any read is due");
	tap_ok(due(256 * KiB, 0, 8 * KiB, 4 * KiB, 0),
	       "a sender announcing buf_alloc 0: any read is due");
	tap_ok(due(1024 * KiB, 256 * KiB, 0x00010000u, 0x00008000u, 0xfffe0000u),
	       "counters wrapped: 192 KiB held of a 256 KiB window, due");
	return tap_done();
}
