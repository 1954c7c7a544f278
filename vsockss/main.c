/* vsockss - vsock socket statistics from vsock_diag: what `ss --vsock` shows plus the
 * seqpacket type, the shutdown state, inode and cookie, and a live view (-w). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss.h"
#include "vsk/number.h"
#include "vsk/proto.h"

#define VERSION "0.1"

enum { OPT_STREAM = 256, OPT_SEQPACKET, OPT_DGRAM, OPT_BATCH, OPT_READ, OPT_RECORD,
       OPT_VERSION };

static const struct option longopts[] = {
	{"all", no_argument, NULL, 'a'},
	{"listening", no_argument, NULL, 'l'},
	{"numeric", no_argument, NULL, 'n'},
	{"no-header", no_argument, NULL, 'H'},
	{"processes", no_argument, NULL, 'p'},
	{"extended", no_argument, NULL, 'e'},
	{"summary", no_argument, NULL, 's'},
	{"json", no_argument, NULL, 'j'},
	{"watch", no_argument, NULL, 'w'},
	{"count", required_argument, NULL, 'c'},
	{"batch", no_argument, NULL, OPT_BATCH},
	{"stream", no_argument, NULL, OPT_STREAM},
	{"seqpacket", no_argument, NULL, OPT_SEQPACKET},
	{"dgram", no_argument, NULL, OPT_DGRAM},
	{"read", required_argument, NULL, OPT_READ},
	{"record", required_argument, NULL, OPT_RECORD},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: vsockss [-aeHhjlnps] [-c count] [-w [secs]] [--batch] [--dgram]\n"
		"               [--read file] [--record file] [--seqpacket] [--stream]\n"
		"               [state name] [src cid:port] [dst cid:port]\n");
	exit(2);
}

static uint64_t number(const char *arg, uint64_t min, uint64_t max, const char *what)
{
	char e[160];
	uint64_t v;
	int rc = vsk_number_parse((const uint8_t *)arg, strlen(arg), min, max, 0, &v);

	if (rc)
		errx(2, "%s", vsk_number_error(e, sizeof(e), rc, what, arg, min, max));
	return v;
}

static bool is_number(const char *s)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	strtod(s, &end);
	return !errno && *end == '\0';
}

/* `state NAME`: a vsock_diag state by its name or ss label, or one of ss's groups. */
static uint32_t state_bits(const char *name)
{
	const struct vsk_name *n;

	if (!strcmp(name, "all"))
		return VSK_DIAG_STATES_ALL;
	if (!strcmp(name, "connected")) /* ss: every state but listening and closed */
		return 1u << VSK_SOCK_STATE_ESTABLISHED | 1u << VSK_SOCK_STATE_SYN_SENT |
		       1u << VSK_SOCK_STATE_CLOSING;
	n = vsk_table_lookup(&vsk_tab_sock_state, name, strlen(name));
	if (!n)
		errx(2, "state '%s': unknown (listening, established, connecting, closing, "
			"unconnected, connected, all)", name);
	return 1u << n->num;
}

/* CID:PORT, :PORT, CID or CID:*, with `*` (or nothing) for either part; an optional
 * "vsock:" prefix as in ss's host conditions; CIDs by number or well-known name. */
static void parse_addr(const char *key, const char *arg, struct addr_match *m)
{
	const char *s = strncmp(arg, "vsock:", 6) ? arg : arg + 6;
	const char *colon = strrchr(s, ':');
	char cid[64];
	size_t cl = colon ? (size_t)(colon - s) : strlen(s);
	const char *port = colon ? colon + 1 : "";
	const struct vsk_name *n;

	if (m->set)
		errx(2, "%s given twice", key);
	if (cl >= sizeof(cid))
		errx(2, "%s '%s': not an address (cid:port)", key, arg);
	memcpy(cid, s, cl);
	cid[cl] = '\0';
	m->set = true;
	if (!*cid || !strcmp(cid, "*")) {
		m->any_cid = true;
	} else if ((n = vsk_table_lookup(&vsk_tab_cid, cid, cl))) {
		m->cid = n->num;
	} else {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(cid, &end, 10);
		if (errno || *end || cid[0] == '-' || v > 0xffffffffull)
			errx(2, "%s '%s': cid '%s' is not a number 0..4294967295 or a name",
			     key, arg, cid);
		m->cid = (uint32_t)v;
	}
	if (!*port || !strcmp(port, "*"))
		m->any_port = true;
	else
		m->port = (uint32_t)number(port, 0, 0xffffffffll, key);
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	bool aflag = false, lflag = false, sflag = false, wflag = false, batch = false;
	uint32_t states = 0;
	double interval = 1;
	long count = 0;
	struct rows r = {0};
	int ch;

	opterr = 0; /* our own one-line messages */
	while ((ch = getopt_long(argc, argv, "+:aeHhjlnpsc:w", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': aflag = true; break;
		case 'l': lflag = true; break;
		case 'n': o.numeric = true; break;
		case 'H': o.no_header = true; break;
		case 'p': o.procs = true; break;
		case 'e': o.extended = true; break;
		case 's': sflag = true; break;
		case 'j': o.json = true; break;
		case 'c': count = (long)number(optarg, 1, 1000000000, "-c"); break;
		case 'w':
			wflag = true;
			/* -w [SECS]: a number right after -w is its interval. */
			if (optind < argc && is_number(argv[optind])) {
				char *end;

				interval = strtod(argv[optind++], &end);
				if (!(interval >= 0.1 && interval <= 86400))
					errx(2, "-w '%s': out of range 0.1..86400", argv[optind - 1]);
			}
			break;
		case OPT_BATCH: batch = true; break;
		case OPT_STREAM: o.types |= 1u << VSK_SOCK_TYPE_STREAM; break;
		case OPT_SEQPACKET: o.types |= 1u << VSK_SOCK_TYPE_SEQPACKET; break;
		case OPT_DGRAM: o.types |= 1u << VSK_SOCK_TYPE_DGRAM; break;
		case OPT_READ: o.read_file = optarg; break;
		case OPT_RECORD: o.record_file = optarg; break;
		case OPT_VERSION: printf("vsockss %s\n", VERSION); return 0;
		case 'h': usage();
		case ':':
			if (optopt)
				errx(2, "option -%c needs an argument", optopt);
			errx(2, "option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				errx(2, "unknown option -%c", optopt);
			errx(2, "unknown option %s", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		const char *k = argv[i];

		if (i + 1 >= argc)
			errx(2, "%s: needs an argument", k);
		if (!strcmp(k, "state"))
			states |= state_bits(argv[++i]);
		else if (!strcmp(k, "src"))
			parse_addr("src", argv[++i], &o.src);
		else if (!strcmp(k, "dst"))
			parse_addr("dst", argv[++i], &o.dst);
		else
			errx(2, "'%s': not a filter (state, src, dst)", k);
	}

	/* Cross-option checks. */
	if (o.json && sflag)
		errx(2, "cannot use -j with -s");
	if (batch && !wflag)
		errx(2, "--batch needs -w");
	if (count && !wflag)
		errx(2, "-c needs -w");
	if (wflag && (o.json || sflag))
		errx(2, "cannot use -w with %s", o.json ? "-j" : "-s");
	if (o.read_file && o.record_file)
		errx(2, "cannot use --read and --record");
	if (o.read_file && wflag)
		errx(2, "cannot use --read with -w");
	if (aflag && lflag)
		errx(2, "cannot use -a and -l");

	/* As ss: listening sockets with -l, everything with -a, else the connected ones;
	 * an explicit `state` filter replaces all three. */
	if (states)
		o.states = states;
	else if (aflag)
		o.states = VSK_DIAG_STATES_ALL;
	else if (lflag)
		o.states = 1u << VSK_SOCK_STATE_LISTEN;
	else
		o.states = state_bits("connected");

	if (wflag)
		return watch(&o, interval, count, batch || !isatty(STDOUT_FILENO));
	if (dump_sockets(&o, &r) != 0)
		return 1;
	if (sflag)
		show_summary(&o, &r, stdout);
	else if (o.json)
		show_json(&o, &r, stdout);
	else
		show_list(&o, &r, stdout);
	rows_clear(&r);
	free(r.v);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return 0;
}
