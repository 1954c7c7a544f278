/* capture.h - live capture on vsockmon devices through libpcap. */
#ifndef VSOCKDUMP_CAPTURE_H
#define VSOCKDUMP_CAPTURE_H

#include <stdbool.h>
#include <pcap/pcap.h>

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

/* Prints the end-of-capture statistics to stderr like tcpdump. */
void cap_print_stats(pcap_t *p, unsigned long long captured);

/* Drops root to USER (groups, gid, uid); prints and returns -1 on failure. */
int cap_drop_privileges(const char *user);

#endif
