/* writer.c - vsockdump -w (see writer.h). */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "vsk/pcapng.h"
#include "vsk/proto.h"
#include "vsk/sbuf.h"
#include "writer.h"

#define CHUNK (256 * 1024) /* bytes of blocks gathered before a write */

static const char *name;
static FILE *f;                /* pcapng */
static struct vsk_sbuf blocks; /* pcapng blocks not yet written */
static pcap_dumper_t *dumper;  /* classic pcap */

static void put_blocks(void)
{
	if (blocks.oom)
		errx(1, "out of memory");
	if (blocks.len && fwrite(blocks.p, 1, blocks.len, f) != blocks.len)
		err(1, "%s", name);
	vsk_sbuf_reset(&blocks);
}

void writer_open(const char *path, bool pcapng, pcap_t *pc, const char *iface, int snaplen)
{
	name = path;
	if (!pcapng) {
		dumper = pcap_dump_open(pc, path);
		if (!dumper)
			errx(1, "%s: %s", path, pcap_geterr(pc));
		return;
	}
	f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (!f)
		err(1, "%s", path);
	vsk_pcapng_shb(&blocks, "vsockdump");
	vsk_pcapng_idb(&blocks, VSK_LINKTYPE_VSOCK, (uint32_t)snaplen, iface);
	put_blocks();
}

void writer_frame(const struct pcap_pkthdr *h, const u_char *bytes)
{
	if (dumper) {
		pcap_dump((u_char *)dumper, h, bytes);
		return;
	}
	vsk_pcapng_epb(&blocks, 0, &h->ts, bytes, h->caplen, h->len);
	if (blocks.len >= CHUNK)
		put_blocks();
}

void writer_flush(void)
{
	if (dumper) {
		pcap_dump_flush(dumper);
		return;
	}
	put_blocks();
	fflush(f);
}

int writer_close(const struct vsk_pcapng_stats *st)
{
	int rc = 0;

	if (dumper) {
		if (pcap_dump_flush(dumper) != 0) {
			warnx("%s: write error", name);
			rc = -1;
		}
		pcap_dump_close(dumper);
		dumper = NULL;
		return rc;
	}
	if (st) {
		struct timeval now;

		gettimeofday(&now, NULL);
		vsk_pcapng_isb(&blocks, 0, &now, st);
	}
	put_blocks();
	if (fflush(f) != 0 || ferror(f)) {
		warn("%s", name);
		rc = -1;
	}
	if (f != stdout)
		fclose(f);
	f = NULL;
	vsk_sbuf_free(&blocks);
	return rc;
}
