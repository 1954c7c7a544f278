/* agent.c - the guest agent's answers to --target guest (agent.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vsk/number.h>
#include <vsk/sbuf.h>

#include "agent.h"

/* The names the agent may answer (Python's errno.errorcode of Linux) that the targets'
 * callers tell apart; any other is EIO. */
static const struct { const char *name; int err; } errs[] = {
	{"ETIMEDOUT", ETIMEDOUT}, {"ECONNREFUSED", ECONNREFUSED}, {"ECONNRESET", ECONNRESET},
	{"EPIPE", EPIPE}, {"EAGAIN", EAGAIN}, {"EINVAL", EINVAL}, {"EBADF", EBADF},
	{"ENOTCONN", ENOTCONN}, {"EADDRINUSE", EADDRINUSE}, {"EINPROGRESS", EINPROGRESS},
	{"ENODEV", ENODEV}, {"EOPNOTSUPP", EOPNOTSUPP}, {"EMSGSIZE", EMSGSIZE},
};

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long cf_agent_parse(const uint8_t *p, size_t len, struct cf_agent_reply *r, uint8_t *data,
		    size_t cap, char *why, size_t whylen)
{
	const uint8_t *nl = memchr(p, '\n', len < CF_AGENT_LINE_MAX ? len : CF_AGENT_LINE_MAX);
	size_t n, i = 0;

	if (!nl) {
		if (len < CF_AGENT_LINE_MAX)
			return 0;
		snprintf(why, whylen, "agent: a line over %u bytes", CF_AGENT_LINE_MAX);
		return -1;
	}
	n = (size_t)(nl - p);
	memset(r, 0, sizeof(*r));
	if (n >= 3 && !memcmp(p, "err", 3) && (n == 3 || p[3] == ' ')) {
		size_t s = n > 3 ? 4 : 3, e = s;

		while (e < n && p[e] != ' ')
			e++;
		r->err = EIO;
		for (size_t k = 0; k < sizeof(errs) / sizeof(errs[0]); k++)
			if (strlen(errs[k].name) == e - s && !memcmp(errs[k].name, p + s, e - s))
				r->err = errs[k].err;
		i = e < n ? e + 1 : n;
		vsk_printable(r->text, sizeof(r->text), p + i, n - i, '?');
		return (long)n + 1;
	}
	if (n < 2 || memcmp(p, "ok", 2) || (n > 2 && p[2] != ' ')) {
		snprintf(why, whylen, "agent: an answer that is neither ok nor err");
		return -1;
	}
	r->ok = true;
	i = 2;
	while (i < n) {
		size_t s = ++i, e;

		while (i < n && p[i] != ' ')
			i++;
		e = i;
		if (e == s || r->ntok == 3) {
			snprintf(why, whylen, "agent: an empty token or more than three");
			return -1;
		}
		if (r->ntok < 2) {
			uint64_t v;

			if (vsk_number_parse(p + s, e - s, 0, UINT64_MAX, 0, &v) == 0) {
				r->num[r->ntok] = v;
				r->isnum[r->ntok] = true;
			}
			if (r->ntok == 0)
				vsk_printable(r->word, sizeof(r->word), p + s, e - s, '?');
		} else if (!(e - s == 1 && p[s] == '-')) {
			if ((e - s) % 2 || (e - s) / 2 > cap) {
				snprintf(why, whylen, "agent: hex of %zu digits for %zu bytes",
					 e - s, cap);
				return -1;
			}
			for (size_t k = s; k < e; k += 2) {
				int hi = hexval(p[k]), lo = hexval(p[k + 1]);

				if (hi < 0 || lo < 0) {
					snprintf(why, whylen, "agent: not lowercase hex");
					return -1;
				}
				data[r->dlen++] = (uint8_t)(hi << 4 | lo);
			}
		}
		r->ntok++;
	}
	return (long)n + 1;
}
