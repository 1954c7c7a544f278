/* fuzz-flow.c - arbitrary packet sequences through the flow tracker and its reports.
 * Input: records of [len lo][len hi][time step][len bytes of frame].  Aborts when the
 * tracker's counts disagree with what it promises (flow.h): at most max_conns tracked,
 * never more tracked than seen, seen never going down, every finding a known rule. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "vsk/flow.h"
#include "vsk/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vsk_sbuf sink;

static void on_expire(const struct vsk_conn *c, void *arg)
{
	(void)arg;
	vsk_report_conn_json(c, &sink);
	vsk_report_conn_row(c, &sink);
	vsk_sbuf_reset(&sink);
}

static void report_all(struct vsk_fmt *f, const struct vsk_violation *v, size_t n)
{
	for (size_t i = 0; i < n && i < 8; i++)
		if ((unsigned)v[i].rule >= VSK_RULE__COUNT)
			abort();
	for (size_t i = 0; i < n && i < 8; i++) {
		vsk_report_inline(&v[i], &sink);
		vsk_report_timed(f, &v[i], &sink);
		vsk_report_violation_json(&v[i], &sink);
	}
	vsk_sbuf_reset(&sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small limits so expiry and eviction run often. */
	struct vsk_flow_opts o = {.close_timeout = 2, .rst_timeout = 1, .idle_timeout = 5,
				  .stall_time = 1, .max_conns = 8, .on_expire = on_expire};
	struct vsk_flow *fl = vsk_flow_new(&o);
	struct timeval ts = {1000, 0};
	struct vsk_violation v[8];
	struct vsk_fmt f;
	size_t off = 0;
	uint64_t seen = 0;

	memset(&f, 0, sizeof(f));
	if (!fl)
		return 0;
	while (size - off >= 3) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		uint8_t step = data[off + 2];
		struct vsk_pkt pkt;
		const struct vsk_conn *c;
		struct vsk_stall st;
		int rc;

		off += 3;
		if (len > size - off)
			len = size - off;
		/* A step of 0xff goes back in time: captures are not always in order. */
		if (step == 0xff)
			ts.tv_sec -= 3;
		else
			ts.tv_usec += step * 20000;
		while (ts.tv_usec >= 1000000) {
			ts.tv_sec++;
			ts.tv_usec -= 1000000;
		}
		rc = vsk_decode(data + off, len, len, &pkt);
		report_all(&f, v, vsk_flow_packet(fl, &pkt, rc, &ts, v, 8, &c));
		/* The stall query, as the plugin asks it, for both ends: never a negative length. */
		for (int e = 0; c && e < 2; e++)
			if (vsk_flow_stall(fl, c, e, &ts, &st) && st.seconds < 0)
				__builtin_trap();
		off += len;
		if (vsk_flow_count(fl) > o.max_conns || vsk_flow_count(fl) > vsk_flow_seen(fl) ||
		    vsk_flow_seen(fl) < seen)
			abort();
		seen = vsk_flow_seen(fl);
	}
	report_all(&f, v, vsk_flow_finish(fl, v, 8));
	vsk_flow_free(fl);
	vsk_sbuf_free(&sink);
	return 0;
}
