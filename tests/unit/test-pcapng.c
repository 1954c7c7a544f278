/* test-pcapng.c - lib/pcapng.c: blocks written are walked back with the same values; the
 * walker's answers for cut, broken and big-endian input; the scan keeps the last ISB of
 * each interface.  TAP. */
#include <string.h>

#include "tap.h"
#include "vsk/error.h"
#include "vsk/pcapng.h"
#include "vsk/proto.h"

/* For the hand-written big-endian section below. */
static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

int main(void)
{
	struct vsk_sbuf b = {0};
	struct vsk_pcapng_walker w = {0};
	struct vsk_pcapng_block blk;
	struct vsk_pcapng_stats in = {.ifrecv = 1000, .ifdrop = 75, .osdrop = 3, .usrdeliv = 922,
				      .has_ifrecv = true, .has_ifdrop = true, .has_osdrop = true,
				      .has_usrdeliv = true, .has_start = true, .has_end = true};
	struct vsk_pcapng_stats out, sum;
	struct timeval ts = {1500000000, 123456};
	const uint8_t frame[5] = {1, 2, 3, 4, 5};
	uint32_t ifid = 9;
	size_t off = 0, nisb = 0, isb_at = 0;
	int n, types[8], nt = 0;

	in.start = (struct timeval){1499999999, 1};
	in.end = ts;
	vsk_pcapng_shb(&b, "test");
	vsk_pcapng_idb(&b, VSK_LINKTYPE_VSOCK, VSK_DEFAULT_SNAPLEN, "vsockmon0");
	vsk_pcapng_epb(&b, 0, &ts, frame, sizeof(frame), 76);
	isb_at = b.len;
	vsk_pcapng_isb(&b, 0, &ts, &in);
	tap_ok(!b.oom && b.len % 4 == 0 && vsk_pcapng_is((uint8_t *)b.p, b.len), "four blocks written, 32-bit aligned");
	while (nt < 8 && (n = vsk_pcapng_next(&w, (uint8_t *)b.p + off, b.len - off, &blk)) > 0) {
		types[nt++] = (int)blk.type;
		if (blk.type == VSK_PCAPNG_EPB)
			tap_ok(blk.body_len == 20 + 8 && memcmp(blk.body + 20, frame, 5) == 0 &&
			       blk.body[25] == 0, "EPB: 20-byte head, the frame, padding");
		if (blk.type == VSK_PCAPNG_ISB) {
			tap_ok(vsk_pcapng_isb_parse(&w, &blk, &ifid, &out) == 0 && ifid == 0,
			       "ISB parses");
			tap_ok(out.ifrecv == 1000 && out.ifdrop == 75 && out.osdrop == 3 &&
			       out.usrdeliv == 922 && out.has_start && out.start.tv_sec == 1499999999 &&
			       out.start.tv_usec == 1 && out.end.tv_usec == 123456,
			       "ISB counters and times read back");
		}
		off += (size_t)n;
	}
	tap_ok(nt == 4 && types[0] == VSK_PCAPNG_SHB && types[1] == VSK_PCAPNG_IDB &&
	       types[2] == VSK_PCAPNG_EPB && types[3] == VSK_PCAPNG_ISB && off == b.len,
	       "walked SHB, IDB, EPB, ISB to the end");
	tap_ok(vsk_pcapng_lost(&out) == 78, "lost = ifdrop + osdrop");

	/* cut input: 0, never a block past the end */
	w = (struct vsk_pcapng_walker){0};
	tap_ok(vsk_pcapng_next(&w, (uint8_t *)b.p, 11, &blk) == 0, "11 bytes: need more");
	w = (struct vsk_pcapng_walker){0};
	tap_ok(vsk_pcapng_next(&w, (uint8_t *)b.p + isb_at, b.len - isb_at, &blk) == VSK_E_FORMAT,
	       "a block before any SHB is refused");
	tap_ok(vsk_pcapng_scan((uint8_t *)b.p, b.len - 1, &sum, &nisb) == 0 && nisb == 0,
	       "a file cut inside its last block: no error, no ISB");

	/* two ISBs of interface 0: the last one counts; a later section adds its own */
	{
		struct vsk_sbuf two = {0};
		struct vsk_pcapng_stats a = {.ifdrop = 5, .has_ifdrop = true};

		vsk_pcapng_shb(&two, NULL);
		vsk_pcapng_isb(&two, 0, &ts, &a);
		a.ifdrop = 7;
		vsk_pcapng_isb(&two, 0, &ts, &a);
		vsk_pcapng_shb(&two, NULL);
		a.ifdrop = 2;
		vsk_pcapng_isb(&two, 0, &ts, &a);
		tap_ok(vsk_pcapng_scan((uint8_t *)two.p, two.len, &sum, &nisb) == 0 && nisb == 3 &&
		       sum.ifdrop == 9 && !sum.has_osdrop, "last ISB per interface, summed over sections (7 + 2)");
		/* a broken trailing length */
		two.p[two.len - 1] ^= 1;
		tap_ok(vsk_pcapng_scan((uint8_t *)two.p, two.len, &sum, &nisb) == VSK_E_FORMAT &&
		       sum.ifdrop == 7, "a broken block stops the scan, what came before is kept");
		vsk_sbuf_free(&two);
	}

	/* big-endian: an SHB and an ISB with ifdrop 0x0102 written by hand */
	{
		uint8_t be[28 + 36];

		memset(be, 0, sizeof(be));
		put_be32(be, VSK_PCAPNG_SHB); put_be32(be + 4, 28); put_be32(be + 8, VSK_PCAPNG_BYTE_ORDER);
		be[12] = 0; be[13] = 1;                       /* major 1, minor 0 */
		memset(be + 16, 0xff, 8);                      /* section length -1 */
		put_be32(be + 24, 28);
		put_be32(be + 28, VSK_PCAPNG_ISB); put_be32(be + 32, 36);
		/* ifid 0, timestamp 0, then isb_ifdrop (5), length 8, value, end of options */
		be[48] = 0; be[49] = VSK_PCAPNG_ISB_IFDROP; be[50] = 0; be[51] = 8;
		put_be32(be + 52, 0); put_be32(be + 56, 0x0102);
		put_be32(be + 60, 36);
		tap_ok(vsk_pcapng_scan(be, sizeof(be), &sum, &nisb) == 0 && nisb == 1 &&
		       sum.ifdrop == 0x0102, "big-endian section read in its own byte order");
	}
	vsk_sbuf_free(&b);
	return tap_done();
}
