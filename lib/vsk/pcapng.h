/* pcapng.h - the few pcapng blocks vsockdump writes, and a walker over a file's blocks
 * that finds its Interface Statistics Blocks: libpcap 1.10 can neither write pcapng nor
 * hand a reader the ISBs in which a capture's drop counts live.  Format: "PCAP Next
 * Generation (pcapng) Capture File Format" (IETF opsawg draft); constants in vsock.def. */
#ifndef VSK_PCAPNG_H
#define VSK_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "sbuf.h"

/* Interface statistics, as an ISB carries them; a counter is present when its `has_` bit
 * is set (a writer leaves out what it does not know, a reader reports what it found). */
struct vsk_pcapng_stats {
	struct timeval start, end;       /* isb_starttime, isb_endtime (has_start, has_end) */
	uint64_t ifrecv;                 /* isb_ifrecv: frames the capture saw */
	uint64_t ifdrop;                 /* isb_ifdrop: frames dropped for lack of buffer */
	uint64_t osdrop;                 /* isb_osdrop */
	uint64_t usrdeliv;               /* isb_usrdeliv: frames handed to the application */
	bool has_start, has_end, has_ifrecv, has_ifdrop, has_osdrop, has_usrdeliv;
};

/* Frames a capture lost by its statistics: ifdrop + osdrop (those it has). */
uint64_t vsk_pcapng_lost(const struct vsk_pcapng_stats *s);

/*
 * Writers: each appends one block, little-endian, to b (b->oom tells of a failure).
 * shb: a Section Header Block (section length unknown, shb_userappl "appl" if not NULL).
 * idb: an Interface Description Block, microsecond timestamps, if_name if not NULL.
 * epb: an Enhanced Packet Block of interface ifid; data holds caplen bytes.
 * isb: an Interface Statistics Block of interface ifid with the counters s has, stamped ts.
 */
void vsk_pcapng_shb(struct vsk_sbuf *b, const char *appl);
void vsk_pcapng_idb(struct vsk_sbuf *b, uint16_t linktype, uint32_t snaplen, const char *if_name);
void vsk_pcapng_epb(struct vsk_sbuf *b, uint32_t ifid, const struct timeval *ts,
		    const uint8_t *data, uint32_t caplen, uint32_t wirelen);
void vsk_pcapng_isb(struct vsk_sbuf *b, uint32_t ifid, const struct timeval *ts,
		    const struct vsk_pcapng_stats *s);

/* One block as the walker found it: its type, and its body (between the 8-byte head and
 * the trailing length) inside the caller's buffer. */
struct vsk_pcapng_block {
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
};

/* Walker state: the byte order of the current section (set by its SHB). */
struct vsk_pcapng_walker {
	bool in_section;
	bool big_endian;
};

/* True if p starts like a pcapng file (an SHB's block type). */
bool vsk_pcapng_is(const uint8_t *p, size_t len);

/*
 * The head of the block at p[0..len): its type and total length (12 bytes are enough; an
 * SHB sets w's byte order).  1, or 0 when len < 12, or VSK_E_FORMAT as for
 * vsk_pcapng_next().  For a reader that skips the blocks it does not want.
 */
int vsk_pcapng_head(struct vsk_pcapng_walker *w, const uint8_t *p, size_t len, uint32_t *type,
		    size_t *total);

/*
 * Reads the block at p[0..len): fills *blk and returns the bytes it takes (> 0); 0 when
 * len holds only part of it (len < 12 or less than its declared length); VSK_E_FORMAT for
 * a block that cannot be (length below 12, not a multiple of 4, trailing length that
 * differs, an SHB with an unknown byte-order magic, or a block before the first SHB).
 * An SHB sets w's byte order.  Nothing of p is trusted.
 */
int vsk_pcapng_next(struct vsk_pcapng_walker *w, const uint8_t *p, size_t len,
		    struct vsk_pcapng_block *blk);

/*
 * The counters of an ISB body (blk->type must be VSK_PCAPNG_ISB) into *s, which is
 * cleared first; *ifid gets its interface.  0, or VSK_E_FORMAT when the body is shorter
 * than its fixed part or an option runs past it (the options read until then are kept).
 */
int vsk_pcapng_isb_parse(const struct vsk_pcapng_walker *w, const struct vsk_pcapng_block *blk,
			 uint32_t *ifid, struct vsk_pcapng_stats *s);

/*
 * Walks a whole file image: *sum gets, added over interfaces, the counters of the last
 * ISB of each interface (ISB counters run from the start of the capture, so the last one
 * holds them all); *nisb the number of ISBs.  Returns 0, or VSK_E_FORMAT at the first
 * broken block (what was read until then is kept); a file cut inside its last block is
 * not an error.
 */
int vsk_pcapng_scan(const uint8_t *p, size_t len, struct vsk_pcapng_stats *sum, size_t *nisb);

#endif
