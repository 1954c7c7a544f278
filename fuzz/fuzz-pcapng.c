/* fuzz-pcapng.c - the pcapng block walker on arbitrary bytes: never reads past len, every
 * block it returns lies inside the input and its length adds up, an ISB's counters parse
 * or are refused, and the whole-file scan agrees with a walk done here.  Also writes the
 * counters found back as an ISB and reads them again. */
#include <stdlib.h>
#include <string.h>

#include "vsk/error.h"
#include "vsk/pcapng.h"
#include "vsk/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct vsk_pcapng_walker w = {0};
	struct vsk_pcapng_stats sum, s, back;
	size_t off = 0, nisb = 0, nscan;
	int rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size); /* exact-size heap copy: ASan sees any overread */
	for (;;) {
		struct vsk_pcapng_block blk;
		uint32_t ifid;
		int n = vsk_pcapng_next(&w, copy + off, size - off, &blk);

		if (n == 0 || n == VSK_E_FORMAT)
			break;
		if (n < 12 || (size_t)n > size - off || n % 4 || blk.body != copy + off + 8 ||
		    blk.body_len + 12 != (size_t)n)
			abort();
		off += (size_t)n;
		if (blk.type != VSK_PCAPNG_ISB)
			continue;
		nisb++;
		rc = vsk_pcapng_isb_parse(&w, &blk, &ifid, &s);
		if (rc != 0 && rc != VSK_E_FORMAT)
			abort();
		if (rc)
			break;
	}
	rc = vsk_pcapng_scan(copy, size, &sum, &nscan);
	if ((rc != 0 && rc != VSK_E_FORMAT) || nscan != nisb)
		abort();
	if (nisb) {
		/* what was found survives a write and a read */
		struct vsk_sbuf b = {0};
		struct timeval ts = {0, 0};
		size_t k;

		vsk_pcapng_shb(&b, "fuzz");
		vsk_pcapng_isb(&b, 0, &ts, &sum);
		if (!b.oom && (vsk_pcapng_scan((const uint8_t *)b.p, b.len, &back, &k) != 0 || k != 1 ||
			       vsk_pcapng_lost(&back) != vsk_pcapng_lost(&sum) ||
			       back.ifrecv != sum.ifrecv || back.usrdeliv != sum.usrdeliv))
			abort();
		vsk_sbuf_free(&b);
	}
	free(copy);
	return 0;
}
