/* vsockcat - connect to and listen on AF_VSOCK and hybrid vsock sockets.
 * Options are parsed into one struct opts here, numbers through a range-checked parser,
 * incompatible options rejected in one block; net.c opens sockets, relay.c moves bytes. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsk/number.h"
#include "vsk/proto.h"
#include "vsockcat.h"

static const char usage_text[] =
	"usage: vsockcat [-hklvz] [-c shellcmd] [-e command] [-i secs] [-s cid] [-w secs]\n"
	"\t[--allow cids] [--bench] [--buffer-size bytes] [--bytes bytes] [--deny cids]\n"
	"\t[--eor] [--framing line|len] [--max-conns n] [--msg-size bytes] [--no-shutdown]\n"
	"\t[--record-size bytes] [--recv-only] [--send-only] [--seqpacket]\n"
	"\t[--source-port port] [--to-host] [--uds path] [--cid cid] [cid] port[-port]\n";

static void __attribute__((noreturn)) usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/* A number, or with a K, M or G suffix (powers of 1024) a size; usage error otherwise. */
static uint64_t size_arg(const char *s, uint64_t min, uint64_t max, const char *what)
{
	char e[160];
	uint64_t v;
	int rc = vsk_number_parse((const uint8_t *)s, strlen(s), min, max, VSK_NUM_SIZE, &v);

	if (rc)
		errx(EXIT_USAGE, "%s", vsk_number_error(e, sizeof(e), rc, what, s, min, max));
	return v;
}

static double secs(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || isnan(v))
		errx(EXIT_USAGE, "%s '%s': not a number", what, s);
	if (errno == ERANGE || v <= 0 || v > 86400)
		errx(EXIT_USAGE, "%s '%s': out of range", what, s);
	return v;
}

/* A CID: a name from the protocol table (host, local, hypervisor, any) or a number. */
static uint32_t cid_arg(const char *s, const char *what)
{
	const struct vsk_name *r = vsk_table_lookup(&vsk_tab_cid, s, strlen(s));

	if (r)
		return r->num;
	return (uint32_t)size_arg(s, 0, UINT32_MAX, what);
}

/* CIDS: comma-separated CIDs or ranges A-B, e.g. "local,3-10". */
static void cid_list_arg(struct cid_list *l, const char *s, const char *what)
{
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		err(1, "strdup");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		struct cid_range r;

		if (dash) {
			*dash = 0;
			r.lo = cid_arg(tok, what);
			r.hi = cid_arg(dash + 1, what);
			if (r.hi < r.lo)
				errx(EXIT_USAGE, "%s '%s': empty range", what, s);
		} else {
			r.lo = r.hi = cid_arg(tok, what);
		}
		l->v = reallocarray(l->v, l->n + 1, sizeof(*l->v));
		if (!l->v)
			err(1, "reallocarray");
		l->v[l->n++] = r;
	}
	if (l->n == 0)
		errx(EXIT_USAGE, "%s '%s': no CID", what, s);
	free(copy);
}

enum {
	O_ALLOW = 256, O_BENCH, O_BUFFER, O_BYTES, O_CID, O_DENY, O_EOR, O_FRAMING,
	O_MAXCONNS, O_MSGSIZE, O_NOSHUT, O_RECORD, O_RECVONLY, O_SENDONLY, O_SEQPACKET,
	O_SRCPORT, O_TOHOST, O_UDS,
};

static const struct option longopts[] = {
	{ "allow",       required_argument, NULL, O_ALLOW },
	{ "bench",       no_argument,       NULL, O_BENCH },
	{ "buffer-size", required_argument, NULL, O_BUFFER },
	{ "bytes",       required_argument, NULL, O_BYTES },
	{ "cid",         required_argument, NULL, O_CID },
	{ "deny",        required_argument, NULL, O_DENY },
	{ "eor",         no_argument,       NULL, O_EOR },
	{ "framing",     required_argument, NULL, O_FRAMING },
	{ "help",        no_argument,       NULL, 'h' },
	{ "max-conns",   required_argument, NULL, O_MAXCONNS },
	{ "msg-size",    required_argument, NULL, O_MSGSIZE },
	{ "no-shutdown", no_argument,       NULL, O_NOSHUT },
	{ "record-size", required_argument, NULL, O_RECORD },
	{ "recv-only",   no_argument,       NULL, O_RECVONLY },
	{ "send-only",   no_argument,       NULL, O_SENDONLY },
	{ "seqpacket",   no_argument,       NULL, O_SEQPACKET },
	{ "source-port", required_argument, NULL, O_SRCPORT },
	{ "to-host",     no_argument,       NULL, O_TOHOST },
	{ "uds",         required_argument, NULL, O_UDS },
	{ NULL, 0, NULL, 0 },
};

/* Default --buffer-size: 4 MiB moved bulk data fastest of 64K..4M on both kernels
 * (bench/vsockcat.sh, docs/benchmarks.md); the kernel's own default is 256 KiB.  It is
 * a credit limit (buf_alloc), not memory allocated up front. */
#define DEFAULT_BUFFER_SIZE (4ULL << 20)

static void parse(struct opts *o, int argc, char **argv)
{
	int ch;
	const char *bad;

	o->max_conns = 1;
	o->bench_bytes = 256ULL << 20;
	o->msg_size = 64 << 10;
	o->buffer_size = DEFAULT_BUFFER_SIZE;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:e:hi:kls:vw:z", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->shell = optarg; break;
		case 'e': o->exec = optarg; break;
		case 'h': usage(0);
		case 'i': o->idle = secs(optarg, "-i"); break;
		case 'k': o->keep = true; break;
		case 'l': o->listen = true; break;
		case 's': o->src_cid = cid_arg(optarg, "-s"); o->src_cid_set = true; break;
		case 'v': o->verbose = true; break;
		case 'w': o->wait = secs(optarg, "-w"); break;
		case 'z': o->zero = true; break;
		case O_ALLOW: cid_list_arg(&o->allow, optarg, "--allow"); break;
		case O_BENCH: o->bench = true; break;
		case O_BUFFER:
			/* the kernel's floor is 128 bytes; its hard cap 0xFFFFFFFF */
			o->buffer_size = size_arg(optarg, 128, UINT32_MAX, "--buffer-size");
			o->buffer_set = true;
			break;
		case O_BYTES: o->bench_bytes = size_arg(optarg, 1, 1ULL << 40, "--bytes"); break;
		case O_CID: o->cid = cid_arg(optarg, "--cid"); o->cid_set = true; break;
		case O_DENY: cid_list_arg(&o->deny, optarg, "--deny"); break;
		case O_EOR: o->eor = true; break;
		case O_FRAMING:
			if (strcmp(optarg, "line") == 0)
				o->framing = FRAMING_LINE;
			else if (strcmp(optarg, "len") == 0)
				o->framing = FRAMING_LEN;
			else
				errx(EXIT_USAGE, "--framing '%s': not line or len", optarg);
			break;
		case O_MAXCONNS: o->max_conns = (unsigned)size_arg(optarg, 1, 1024, "--max-conns"); break;
		case O_MSGSIZE: o->msg_size = size_arg(optarg, 1, 16 << 20, "--msg-size"); break;
		case O_NOSHUT: o->no_shutdown = true; break;
		case O_RECORD: o->record_size = size_arg(optarg, 1, 16 << 20, "--record-size"); break;
		case O_RECVONLY: o->recv_only = true; break;
		case O_SENDONLY: o->send_only = true; break;
		case O_SEQPACKET: o->seqpacket = true; break;
		case O_SRCPORT:
			o->src_port = (uint32_t)size_arg(optarg, 0, UINT32_MAX, "--source-port");
			o->src_port_set = true;
			break;
		case O_TOHOST: o->to_host = true; break;
		case O_UDS: o->uds = optarg; break;
		case ':':
			if (optopt > 0 && optopt < 256)
				errx(EXIT_USAGE, "option -%c needs an argument", optopt);
			errx(EXIT_USAGE, "option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256)
				errx(EXIT_USAGE, "unknown option -%c", optopt);
			errx(EXIT_USAGE, "unknown option %s", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;

	/* Operands: [cid] port.  The port is always the last one, so "-l 1234" is a port
	 * (ncat's regression, vsock-facts B.4, cannot happen here). */
	if (argc > 2)
		errx(EXIT_USAGE, "too many arguments: '%s'", argv[2]);
	if (argc == 0)
		errx(EXIT_USAGE, "missing port (see vsockcat -h)");
	if (argc == 2) {
		if (o->cid_set)
			errx(EXIT_USAGE, "CID given twice: --cid and '%s'", argv[0]);
		if (o->uds)
			errx(EXIT_USAGE, "cannot use a CID with --uds");
		o->cid = cid_arg(argv[0], "CID");
		o->cid_set = true;
	}
	{
		const char *p = argv[argc - 1];
		char *dash = strchr(p, '-');

		if (dash && dash != p) {
			char *lo = strndup(p, (size_t)(dash - p));

			if (!lo)
				err(1, "strndup");
			o->port = (uint32_t)size_arg(lo, 0, UINT32_MAX, "port");
			o->port_hi = (uint32_t)size_arg(dash + 1, 0, UINT32_MAX, "port");
			free(lo);
			if (!o->zero)
				errx(EXIT_USAGE, "port range '%s' needs -z", p);
			if (o->port_hi < o->port)
				errx(EXIT_USAGE, "port range '%s': empty", p);
		} else {
			o->port = o->port_hi = (uint32_t)size_arg(p, 0, UINT32_MAX, "port");
		}
	}

	/* Cross-option checks: one rule a line. */
	bad = NULL;
	if (!o->listen && !o->cid_set && !o->uds)
		errx(EXIT_USAGE, "missing CID (vsockcat CID PORT, or -l to listen)");
	if (o->listen && o->zero)
		bad = "cannot use -l and -z";
	else if (!o->listen && o->keep)
		bad = "-k needs -l";
	else if (!o->keep && o->max_conns > 1)
		bad = "--max-conns needs -k";
	else if (o->exec && o->shell)
		bad = "cannot use -e and -c";
	else if (o->send_only && o->recv_only)
		bad = "cannot use --send-only and --recv-only";
	else if ((o->exec || o->shell) && (o->send_only || o->recv_only || o->bench))
		bad = "-e and -c cannot be used with --send-only, --recv-only or --bench";
	else if ((o->allow.n || o->deny.n) && !o->listen)
		bad = "--allow and --deny need -l";
	else if ((o->allow.n || o->deny.n) && o->uds)
		bad = "--allow and --deny do not apply to --uds";
	else if ((o->record_size || o->eor || o->framing != FRAMING_LINE) && !o->seqpacket)
		bad = "--record-size, --framing and --eor need --seqpacket";
	else if (o->record_size && o->framing == FRAMING_LEN)
		bad = "cannot use --record-size and --framing len";
	else if (o->seqpacket && o->uds)
		bad = "--seqpacket does not work over --uds (the VMMs carry streams only)";
	else if (o->seqpacket && o->bench)
		bad = "--bench measures streams, not --seqpacket";
	else if (o->zero && (o->exec || o->shell || o->bench || o->uds))
		bad = "-z cannot be used with -e, -c, --bench or --uds";
	else if (o->listen && (o->src_cid_set || o->src_port_set || o->to_host))
		bad = "-s, --source-port and --to-host apply to connecting only";
	else if (o->listen && o->wait > 0)
		bad = "-w applies to connecting only";
	else if (o->uds && (o->src_cid_set || o->src_port_set || o->to_host || o->buffer_set))
		bad = "-s, --source-port, --to-host and --buffer-size do not apply to --uds";
	else if (o->listen && o->cid_set && o->uds)
		bad = "cannot use a CID with --uds";
	if (bad)
		errx(EXIT_USAGE, "%s", bad);
}

static int serve(const struct opts *o, int s)
{
	if (o->exec || o->shell)
		return relay_exec(o, s);
	if (o->bench)
		return o->listen ? bench_recv(o, s) : bench_send(o, s);
	if (o->seqpacket)
		return relay_seqpacket(o, s, STDIN_FILENO, STDOUT_FILENO);
	return relay_stream(o, s, STDIN_FILENO, STDOUT_FILENO);
}

static int do_listen(const struct opts *o)
{
	char path[512];
	int ls, s, rc = 0;
	unsigned active = 0;
	struct sockaddr_vm peer;

	ls = o->uds ? net_uds_listen(o, path, sizeof(path)) : net_listen(o);
	for (;;) {
		/* reap finished children without blocking; then wait while at the limit */
		while (active > 0 && waitpid(-1, NULL, active >= o->max_conns ? 0 : WNOHANG) > 0)
			active--;
		if (o->uds) {
			s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (s < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				err(1, "accept: %s", path);
			}
			if (o->verbose)
				warnx("connection on %s", path);
		} else if ((s = net_accept(o, ls, &peer)) < 0) {
			continue;
		}
		if (!o->keep) {
			close(ls);
			return serve(o, s);
		}
		if (o->max_conns == 1) {
			rc = serve(o, s);   /* serve() closes s */
			continue;
		}
		pid_t pid = fork();

		if (pid < 0)
			err(1, "fork");
		if (pid == 0) {
			close(ls);
			_exit(serve(o, s));
		}
		active++;
		close(s);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int s;

	parse(&o, argc, argv);
	/* A peer that goes away must give EPIPE on write, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (o.zero)
		return net_scan(&o);
	if (o.listen)
		return do_listen(&o);
	s = o.uds ? net_uds_connect(&o) : net_connect(&o);
	return serve(&o, s);
}
