/* fuzz-vhostuser.c - the vhost-user message parser (lib/vhostuser.c: vsockdev's requests,
 * vsock-conformance --target vhost-user's replies) on arbitrary bytes taken as a stream of
 * messages: never read past len, a parsed message is exactly
 * 12 + size bytes, parses the same alone, every strict prefix asks for more, and the
 * payload-derived fields stay in range (a reply, flag REPLY, carries its answer instead).
 * The builder is the parser's inverse: a parsed message built again has its length and
 * parses the same; and a message built from arbitrary fields (the input's first bytes)
 * parses into fields that build the very same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsk/vhostuser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t built[VSK_VU_HDR_LEN + VSK_VU_MAX_PAYLOAD], again[sizeof(built)];

/* build -> parse -> build on fields taken from the input. */
static void build_parse(const uint8_t *data, size_t size)
{
	struct vsk_vu_msg m, m2;
	size_t n, n2;

	memset(&m, 0, sizeof(m));
	memcpy(&m, data, size < sizeof(m) ? size : sizeof(m));
	m.flags = (m.flags & ~3u) | VSK_VU_FLAG_VERSION;
	m.size %= VSK_VU_MAX_PAYLOAD + 1;
	n = vsk_vu_build_msg(built, sizeof(built), &m);
	if (n == 0)
		return;
	if (vsk_vu_parse(built, n, &m2) != (int)n || m2.request != m.request ||
	    m2.flags != m.flags || m2.size != n - VSK_VU_HDR_LEN)
		abort();
	n2 = vsk_vu_build_msg(again, sizeof(again), &m2);
	if (n2 != n || memcmp(built, again, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), reply[VSK_VU_HDR_LEN + VSK_VU_CONFIG_HDR_LEN];
	size_t off = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	while (off < size) {
		struct vsk_vu_msg m, m2;
		int rc = vsk_vu_parse(copy + off, size - off, &m);

		if (rc <= 0) {
			if (rc == 0 && size - off >= VSK_VU_HDR_LEN &&
			    size - off >= VSK_VU_HDR_LEN + (size_t)m.size)
				abort();   /* "need more" although everything is there */
			break;
		}
		if ((size_t)rc != VSK_VU_HDR_LEN + m.size || (size_t)rc > size - off)
			abort();
		if (vsk_vu_parse(copy + off, (size_t)rc, &m2) != rc || memcmp(&m, &m2, sizeof(m)))
			abort();
		if (vsk_vu_parse(copy + off, (size_t)rc - 1, &m2) != 0)
			abort();
		if (m.request == VSK_VU_SET_MEM_TABLE && !(m.flags & VSK_VU_FLAG_REPLY) &&
		    (m.nregions == 0 || m.nregions > VSK_VU_MAX_REGIONS))
			abort();
		if ((m.request == VSK_VU_GET_CONFIG || m.request == VSK_VU_SET_CONFIG) &&
		    m.config.size > VSK_VU_MAX_CONFIG)
			abort();
		(void)vsk_vu_req_name(m.request);
		/* build is parse's inverse */
		if (vsk_vu_build_msg(built, sizeof(built), &m) != (size_t)rc ||
		    vsk_vu_parse(built, (size_t)rc, &m2) != rc || memcmp(&m, &m2, sizeof(m)))
			abort();
		off += (size_t)rc;
	}
	build_parse(data, size);
	/* a reply is the header QEMU insists on: flags 0x5 */
	{
		struct vsk_vu_msg r = { .request = (uint32_t)size,
					.flags = VSK_VU_FLAG_VERSION | VSK_VU_FLAG_REPLY };
		size_t want = VSK_VU_HDR_LEN + (size == VSK_VU_GET_VRING_BASE ? 8 :
						size == VSK_VU_GET_CONFIG ? VSK_VU_CONFIG_HDR_LEN : 8);

		if (vsk_vu_build_msg(reply, sizeof(reply), &r) != want || reply[4] != 0x5)
			abort();
	}
	free(copy);
	return 0;
}
