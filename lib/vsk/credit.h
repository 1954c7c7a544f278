/* credit.h - a receiver's credit-update policy (virtio spec, Socket Device: Buffer Space
 * Management): when to tell the sender a new fwd_cnt.  The spec allows a CREDIT_UPDATE
 * whenever buffer space changes and requires none but the answer to CREDIT_REQUEST, so
 * the policy is the receiver's; a receiver that waits too long deadlocks a sender that
 * caps itself.  One policy for every device of ours (the reference model and vsockdev). */
#ifndef VSK_CREDIT_H
#define VSK_CREDIT_H

#include <stdbool.h>
#include <stdint.h>

/* What a receiver knows of one connection's receive side (all counters mod 2^32). */
struct vsk_credit_rx {
	uint32_t buf_alloc;       /* ours, as last advertised */
	uint32_t peer_buf_alloc;  /* the sender's own, from its last header: since the fix of
				   * CVE-2026-23086 a Linux sender never has more than
				   * min(our buf_alloc, its own) in flight */
	uint32_t rx_cnt;          /* payload bytes received */
	uint32_t fwd_cnt;         /* of them, consumed by our application (or passed on) */
	uint32_t adv_fwd_cnt;     /* the fwd_cnt in the last packet we sent */
};

/* The sender's view of our free space: buf_alloc - (rx_cnt - adv_fwd_cnt), 0 when the
 * bytes it believes in flight exceed buf_alloc (never a wrapped u32). */
uint32_t vsk_credit_view_free(uint32_t buf_alloc, uint32_t rx_cnt, uint32_t adv_fwd_cnt);

/* Whether a CREDIT_UPDATE is due now.  Never when fwd_cnt is what we last said.
 * Otherwise it is due
 *   - when the application has consumed everything received (rx_cnt == fwd_cnt): the
 *     sender may be waiting for exactly these bytes (Linux's rule: an update when a read
 *     leaves less than SO_RCVLOWAT queued);
 *   - when the sender's view of our free space, within the window it can use,
 *     min(buf_alloc, peer_buf_alloc), falls below max(64 KiB, half that window).
 * A sender capped at its own smaller buffer therefore hears of every read that empties
 * our queue and of every half window consumed, whatever our buf_alloc. */
bool vsk_credit_update_due(const struct vsk_credit_rx *s);

#endif
