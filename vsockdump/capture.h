/* capture.h - live capture on vsockmon devices through libpcap. */
#ifndef VSOCKDUMP_CAPTURE_H
#define VSOCKDUMP_CAPTURE_H

#include <stdbool.h>
#include <pcap/pcap.h>

#include "vsk/pcapng.h"

/* How long the kernel may hold a partly filled ring block (TPACKET_V3) before handing it
 * over: the longest a frame waits to be printed when traffic is sparse. */
#define CAP_TIMEOUT_MS 100

struct live_opts {
	const char *iface;   /* NULL: the first vsockmon interface */
	int snaplen;
	int buffer_kib;      /* 0: libpcap's default */
	bool immediate;
};

/* True if the interface is a vsockmon device (ARPHRD_VSOCKMON). */
bool cap_is_vsockmon(const char *iface);

/* Prints the capture interfaces like tcpdump -D, marking vsockmon ones; 0 or 1. */
int cap_list(FILE *out);

/* Opens and activates a live capture; on error prints "vsockdump: ..." and returns NULL. */
pcap_t *cap_open_live(struct live_opts *o);

/* After a stop by signal: reads the frames the kernel still holds in a partly filled
 * block (it hands it over within CAP_TIMEOUT_MS), for at most a few such periods. */
void cap_drain(pcap_t *p, pcap_handler cb);

/* The kernel's counters as pcapng statistics: ifrecv (received by filter) and ifdrop
 * (dropped by kernel + by interface), as dumpcap records them.  0, or -1 (said). */
int cap_stats(pcap_t *p, struct vsk_pcapng_stats *st);

/* Prints the end-of-capture statistics to stderr like tcpdump. */
void cap_print_stats(pcap_t *p, unsigned long long captured);

/* Drops root to USER (groups, gid, uid); prints and returns -1 on failure. */
int cap_drop_privileges(const char *user);

#endif
