/* fuzz-agent.c - the text of --target guest on arbitrary bytes.
 * The agent's answers (conformance/agent.c), line after line as target-guest.c reads
 * them: never reads past len; a line's size is within the bytes and ends at its newline;
 * hex data never exceeds the buffer; "ok" and "err" exclusive; error text printable; on
 * failure one line in why.  The same bytes as the --target argument
 * (conformance/guest-opts.c): both paths non-empty and NUL-terminated on success, one
 * printable line on failure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "guest-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[64];
	uint8_t *copy = malloc(size ? size : 1);
	size_t off = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exact-size heap copy: ASan sees any overread */
	while (off < size) {
		struct cf_agent_reply r;
		char why[160] = "";
		long n = cf_agent_parse(copy + off, size - off, &r, out, sizeof(out), why,
					sizeof(why));

		if (n == 0)
			break;
		if (n < 0) {
			if (!why[0] || strchr(why, '\n'))
				abort();
			break;
		}
		if ((size_t)n > size - off || copy[off + (size_t)n - 1] != '\n' ||
		    memchr(copy + off, '\n', (size_t)n - 1) || r.dlen > sizeof(out) ||
		    r.ntok > 3 || (r.ok && r.err) || (!r.ok && !r.err) ||
		    strnlen(r.text, sizeof(r.text)) == sizeof(r.text) ||
		    strnlen(r.word, sizeof(r.word)) == sizeof(r.word))
			abort();
		for (const char *c = r.text; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				abort();
		off += (size_t)n;
	}
	{
		struct cf_guest_opts o;
		char err[200] = "";

		if (cf_guest_opts_parse(copy, size, &o, err, sizeof(err)) == 0) {
			if (!o.relay[0] || !o.agent[0] ||
			    strnlen(o.relay, sizeof(o.relay)) == sizeof(o.relay) ||
			    strnlen(o.agent, sizeof(o.agent)) == sizeof(o.agent))
				abort();
		} else {
			if (!err[0])
				abort();
			for (const char *c = err; *c; c++)
				if (*c < 0x20 || *c > 0x7e)
					abort();
		}
	}
	free(copy);
	return 0;
}
