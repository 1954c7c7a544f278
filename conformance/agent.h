/* agent.h - the answers of tests/vm/vsock-agent.py, the guest application of --target
 * guest (target-guest.c), one line each, "ok [TOKEN [TOKEN [HEX]]]" or "err ENAME [text]",
 * parsed from bytes as they come off the agent's line. */
#ifndef CF_AGENT_H
#define CF_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_AGENT_DATA_MAX 131072              /* most bytes one recv answer carries */
#define CF_AGENT_LINE_MAX (2 * CF_AGENT_DATA_MAX + 128)   /* longest answer, in hex */

struct cf_agent_reply {
	bool ok;
	int err;                 /* "err": the errno its name stands for (EIO if unknown) */
	unsigned ntok;           /* "ok": tokens after it (0..3) */
	uint64_t num[2];         /* tokens 1 and 2 as decimal numbers ... */
	bool isnum[2];           /* ... when they are */
	char word[32];           /* token 1 as text (cut), e.g. "vsock-agent" */
	size_t dlen;             /* token 3: bytes of its hex ("-": none) in data */
	char text[120];          /* "err": the text after the name (printable, cut) */
};

/* Parses the first line of p[0..len): the line's size with its newline (> 0) and *r set,
 * 0 if no newline yet (and len < CF_AGENT_LINE_MAX), or -1 with one line in why (no
 * "ok"/"err", a token that is neither, hex of odd length or over cap, a line too long).
 * data gets token 3's bytes (cap bytes at most). */
long cf_agent_parse(const uint8_t *p, size_t len, struct cf_agent_reply *r, uint8_t *data,
		    size_t cap, char *why, size_t whylen);

#endif
