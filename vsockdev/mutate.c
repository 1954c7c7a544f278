/* mutate.c - --mutate: switches that make vsockdev break one rule each, so that
 * vsock-conformance --target vhost-user shows it catches the break against a real backend
 * (tests/cli/conformance-vhostuser.sh).  The names are those of the reference model's
 * mutations (conformance/mutations.def, included here, never re-listed); vsockdev has the
 * ones whose rule its device code owns (vd_mut_have).  Never for production use. */
#include <stdio.h>
#include <string.h>

#include "vsk/sbuf.h"
#include "vsockdev.h"

static const char *const mut_names[VD_MUT__COUNT] = {
#define CF_MUTATION(ID, name, caught_by, text) [VD_MUT_##ID] = name,
#include "../conformance/mutations.def"
};

_Static_assert(VD_MUT__COUNT <= 64, "--mutate keeps its switches in one uint64_t");

#define M(ID) (1ULL << VD_MUT_##ID)
/* The mutations vsockdev has (device.c tests them with vd_mut). */
static const uint64_t vd_mut_have =
	M(IGNORE_CREDIT) | M(CREDIT_WRAP) | M(CREDIT_64BIT) | M(NO_CREDIT_UPDATE) |
	M(LATE_CREDIT_UPDATE) |
	M(NO_CREDIT_REPLY) | M(NO_RST_UNKNOWN_TYPE) | M(NO_RST_UNKNOWN_OP) |
	M(ACCEPT_ANY_SRC_CID) | M(UNKNOWN_OP_RST_ONLY) | M(NO_RST_NO_LISTENER) |
	M(RESPONSE_TO_NOBODY) | M(DUP_REQUEST) | M(SHUTDOWN_CLEARS) | M(NO_RST_ON_SHUTDOWN) |
	M(SEND_AFTER_PEER_RCV) | M(NO_CLOSE_TIMEOUT) | M(ACCEPT_TYPE_MISMATCH) |
	M(RST_CONNECTS) | M(NO_EOF) | M(ZERO_RW_EOF) | M(CLOSE_SILENT) | M(IGNORE_EOM) |
	M(RX_ONE_BUFFER) | M(TX_ONE_BUFFER);

int vd_mutate_parse(struct vd *vd, const uint8_t *list, size_t len, char *err, size_t errlen)
{
	char shown[41];
	size_t off = 0;

	if (len == 0) {
		snprintf(err, errlen, "'': no mutation named");
		return -1;
	}
	for (;;) {
		const uint8_t *tok = list + off, *comma = memchr(tok, ',', len - off);
		size_t n = comma ? (size_t)(comma - tok) : len - off;
		int found = -1;

		for (int i = 0; i < VD_MUT__COUNT; i++)
			if (strlen(mut_names[i]) == n && !memcmp(mut_names[i], tok, n))
				found = i;
		if (found < 0 || !(vd_mut_have & (1ULL << found))) {
			vsk_printable(shown, sizeof(shown), tok, n, '?');
			snprintf(err, errlen, "'%s': %s (see --list-mutations)", shown,
				 found < 0 ? "no such mutation" : "not one vsockdev has");
			return -1;
		}
		vd->mutations |= 1ULL << found;
		if (!comma)
			return 0;
		off += n + 1;
		if (off == len) {
			vsk_printable(shown, sizeof(shown), list, len, '?');
			snprintf(err, errlen, "'%s': an empty name after ','", shown);
			return -1;
		}
	}
}

void vd_mutate_list(FILE *f)
{
	for (int i = 0; i < VD_MUT__COUNT; i++)
		if (vd_mut_have & (1ULL << i))
			fprintf(f, "%s\n", mut_names[i]);
}
