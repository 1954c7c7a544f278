/* filter.h - the vsock filter language (see man/vsockdump.8, FILTER EXPRESSIONS).
 * One parsed expression gives two equal predicates: vsk_filter_match() on decoded
 * packets (offline), and a libpcap expression over link[] offsets that libpcap compiles
 * to classic BPF so the kernel drops unwanted frames during a live capture. */
#ifndef VSK_FILTER_H
#define VSK_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "sbuf.h"

struct vsk_filter;

struct vsk_filter_error {
	size_t pos;      /* byte offset of the offending token in the expression */
	size_t len;      /* its length (0 at end of input) */
	char msg[160];   /* e.g. "unknown op 'foo'" */
};

/*
 * Parses expr[0..len) (need not be NUL-terminated).  An empty expression matches
 * everything.  Returns 0 and *out (free with vsk_filter_free), or VSK_E_SYNTAX with
 * *err filled, or VSK_E_NOMEM.
 */
int vsk_filter_compile(const uint8_t *expr, size_t len, struct vsk_filter **out,
		       struct vsk_filter_error *err);

/* True if the decoded packet matches.  A frame that did not decode never matches. */
bool vsk_filter_match(const struct vsk_filter *f, const struct vsk_pkt *pkt, int decode_err);

/* Appends the equivalent libpcap filter expression (for LINKTYPE_VSOCK) to out. */
void vsk_filter_pcap_expr(const struct vsk_filter *f, struct vsk_sbuf *out);

void vsk_filter_free(struct vsk_filter *f);

#endif
