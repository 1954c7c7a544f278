/* credit.c - the receiver's credit-update policy (see vsk/credit.h). */
#include "vsk/credit.h"
#include "vsk/proto.h"

uint32_t vsk_credit_view_free(uint32_t buf_alloc, uint32_t rx_cnt, uint32_t adv_fwd_cnt)
{
	uint32_t held = rx_cnt - adv_fwd_cnt;

	return held > buf_alloc ? 0 : buf_alloc - held;
}

bool vsk_credit_update_due(const struct vsk_credit_rx *s)
{
	uint32_t window = s->buf_alloc < s->peer_buf_alloc ? s->buf_alloc : s->peer_buf_alloc;
	uint32_t low = window / 2 > VSK_MAX_PKT_BUF_SIZE ? window / 2 : VSK_MAX_PKT_BUF_SIZE;

	if (s->fwd_cnt == s->adv_fwd_cnt)
		return false;
	if (s->rx_cnt == s->fwd_cnt)
		return true;
	return vsk_credit_view_free(window, s->rx_cnt, s->adv_fwd_cnt) < low;
}
