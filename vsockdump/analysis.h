/* analysis.h - vsockdump's use of lib/flow.c: notes on packet lines, timed findings,
 * --stats, --check, JSON records. */
#ifndef VSOCKDUMP_ANALYSIS_H
#define VSOCKDUMP_ANALYSIS_H

#include <stdbool.h>
#include <sys/time.h>

#include "vsk/decode.h"
#include "vsk/format.h"
#include "vsk/sbuf.h"

struct analysis_opts {
	bool json;            /* records as NDJSON instead of text */
	bool stats;           /* the per-connection table (or conn records) at the end */
	bool quiet_lines;     /* no packet lines are printed: no inline notes either */
	double close_timeout; /* seconds; 0 = the default */
	double stall_time;    /* seconds; 0 = the default (vsk_flow_opts.stall_time) */
	struct vsk_fmt *fmt;  /* timestamps of timed lines */
	struct vsk_sbuf *out; /* where everything goes */
};

/* 0, or -1 (printed) when memory runs out. */
int analysis_init(const struct analysis_opts *o);

/* Before the packet's line is formatted: timed findings that came due go out as lines of
 * their own, and the packet is judged.  Returns the number of findings about it. */
size_t analysis_packet(const struct vsk_pkt *pkt, int decode_err, const struct timeval *ts);

/* After the packet's line was appended at out[line_start..]: its notes go on the line
 * (text) or follow it (JSON). */
void analysis_annotate(size_t line_start);

/* End of input: due timed findings, the table or conn records. */
void analysis_finish(void);

/* Findings of severity error seen so far. */
unsigned long long analysis_errors(void);

void analysis_free(void);

#endif
