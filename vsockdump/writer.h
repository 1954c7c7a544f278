/* writer.h - vsockdump -w: pcapng (the default: its Interface Statistics Block carries the
 * capture's drop counts) or classic pcap (--pcap, through libpcap). */
#ifndef VSOCKDUMP_WRITER_H
#define VSOCKDUMP_WRITER_H

#include <stdbool.h>
#include <pcap/pcap.h>

#include "vsk/pcapng.h"

/* Opens PATH ("-" = stdout) and writes the file header: for pcapng an SHB and an IDB of
 * link type VSOCK, snaplen and interface name IFACE (may be NULL).  Exits on failure. */
void writer_open(const char *path, bool pcapng, pcap_t *pc, const char *iface, int snaplen);

/* One frame. */
void writer_frame(const struct pcap_pkthdr *h, const u_char *bytes);

/* Pushes what is buffered to the file (-U, and after each batch of a live capture). */
void writer_flush(void);

/* Ends the file: with pcapng and st not NULL, an ISB with st's counters first.  Returns 0,
 * or -1 after saying on stderr that the file could not be written. */
int writer_close(const struct vsk_pcapng_stats *st);

#endif
