/* vsockdump - capture and decode virtio-vsock traffic (vsockmon, pcap, pcapng). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "analysis.h"
#include "capture.h"
#include "writer.h"
#include "vsk/decode.h"
#include "vsk/error.h"
#include "vsk/filter.h"
#include "vsk/format.h"
#include "vsk/number.h"
#include "vsk/pcapng.h"
#include "vsk/report.h"

#define VERSION "0.1"
#define OUT_CHUNK (256 * 1024) /* bytes of text gathered before a write(2) */

/* Command line options */
static const char *iflag;          /* -i: live capture interface */
static const char *rflag;          /* -r: read this pcap/pcapng file ("-" = stdin) */
static const char *wflag;          /* -w: write matching frames as pcapng ("-" = stdout) */
static const char *Fflag;          /* -F: read the filter expression from a file */
static const char *Zflag;          /* -Z: drop privileges to this user */
static unsigned long long cflag;   /* -c: stop after this many frames (0 = no limit) */
/* libpcap's largest snapshot length.  --immediate-mode asks for it by default: there
 * libpcap sizes its fixed ring slots from the interface MTU, and vsockmon's MTU (64 KiB +
 * 32) leaves out the 44-byte virtio header, so a snaplen of a full frame (65612) cuts 16
 * bytes off.  Without immediate mode (the default) slots fit each frame, and a snaplen of
 * VSK_DEFAULT_SNAPLEN keeps every frame whole (measured: docs/benchmarks.md). */
#define MAX_SNAPLEN 262144
/* Default kernel buffer for live captures, KiB: under TCG the 2 MiB libpcap default
 * loses frames of a bulk transfer. */
#define LIVE_BUFFER_KIB 32768

static int sflag;                  /* -s: snapshot length (0: the default) */
static int Bflag = LIVE_BUFFER_KIB; /* -B: kernel buffer size in KiB */
static bool Dflag;                 /* -D: list interfaces */
static bool dflag;                 /* -d: print the compiled filter and exit */
static bool lflag;                 /* -l: flush output after every frame */
static bool Uflag;                 /* -U: flush -w output after every frame */
static bool json;                  /* --json: NDJSON output */
static bool print_too;             /* --print: text output even with -w */
static bool immediate;             /* --immediate-mode / --no-immediate-mode (default) */
static bool pcap_out;              /* --pcap: -w writes classic pcap instead of pcapng */
static bool analyse = true;        /* --no-analysis turns the flow rules off */
static bool check;                 /* --check: exit 3 on any error-severity finding */
static bool stats;                 /* --stats: per-connection table at the end */
static bool follow;                /* --follow: write the selected RW payload, raw */
static double close_timeout;       /* --close-timeout SECS (0: the default, 8) */
static double stall_time;          /* --stall-time SECS (0: the default, 1) */
static struct vsk_fmt fmt;         /* -v -q -t -x -X -A -# */

/* State of the run */
static pcap_t *pc;
static bool dumper;                /* -w is writing (writer.h) */
static struct vsk_filter *filter;
static bool filtering;             /* an expression was given: malformed frames drop out */
static struct vsk_sbuf out;        /* what stdout carries: text, JSON or --follow payload */
/* Text lines (findings, timed findings, --stats, summaries) when stdout carries data (pcap
 * from -w -, or --follow's payload): they go to stderr, so the data stays one kind. */
static struct vsk_sbuf notes;
static unsigned long long nshown, nmalformed, nmissing;
static struct vsk_sbuf *lines;     /* where text lines and records go: &out or &notes */
/* Frames lost: recorded in the file read (its ISBs), or dropped by the kernel live */
static struct vsk_pcapng_stats file_st;
static bool file_has_st;
static struct vsk_pcapng_stats live_st; /* the kernel's counters of a live capture */
static uint64_t lost_said;         /* the loss count last reported */
static volatile sig_atomic_t stopping;

enum {
	OPT_JSON = 256, OPT_IMMEDIATE, OPT_NO_IMMEDIATE, OPT_PRINT, OPT_VERSION, OPT_CHECK,
	OPT_STATS, OPT_RULES, OPT_FOLLOW, OPT_NO_ANALYSIS, OPT_CLOSE_TIMEOUT, OPT_STALL_TIME,
	OPT_PCAP,
};

static const struct option longopts[] = {
	{"json", no_argument, NULL, OPT_JSON},
	{"immediate-mode", no_argument, NULL, OPT_IMMEDIATE},
	{"no-immediate-mode", no_argument, NULL, OPT_NO_IMMEDIATE},
	{"print", no_argument, NULL, OPT_PRINT},
	{"check", no_argument, NULL, OPT_CHECK},
	{"stats", no_argument, NULL, OPT_STATS},
	{"rules", no_argument, NULL, OPT_RULES},
	{"follow", no_argument, NULL, OPT_FOLLOW},
	{"no-analysis", no_argument, NULL, OPT_NO_ANALYSIS},
	{"close-timeout", required_argument, NULL, OPT_CLOSE_TIMEOUT},
	{"stall-time", required_argument, NULL, OPT_STALL_TIME},
	{"pcap", no_argument, NULL, OPT_PCAP},
	{"interface", required_argument, NULL, 'i'},
	{"count", required_argument, NULL, 'c'},
	{"snapshot-length", required_argument, NULL, 's'},
	{"buffer-size", required_argument, NULL, 'B'},
	{"list-interfaces", no_argument, NULL, 'D'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: vsockdump [-#AdDhlnqUvxX] [-B buffer_size] [-c count] [-F file]\n"
		"                 [-i interface] [-r file] [-s snaplen] [-t...] [-w file]\n"
		"                 [-Z user] [--check] [--close-timeout secs] [--follow]\n"
		"                 [--immediate-mode] [--json] [--no-analysis]\n"
		"                 [--no-immediate-mode] [--pcap] [--print] [--rules]\n"
		"                 [--stall-time secs] [--stats] [expression]\n");
	exit(2);
}

/* A number in [min, max] or a usage error naming the option and the value. */
static uint64_t number(const char *arg, uint64_t min, uint64_t max, const char *what)
{
	char e[160];
	uint64_t v;
	int rc = vsk_number_parse((const uint8_t *)arg, strlen(arg), min, max, 0, &v);

	if (rc)
		errx(2, "%s", vsk_number_error(e, sizeof(e), rc, what, arg, min, max));
	return v;
}

static void flush_out(void)
{
	if (out.len && fwrite(out.p, 1, out.len, stdout) != out.len)
		err(1, "stdout");
	vsk_sbuf_reset(&out);
	if (out.oom || notes.oom)
		errx(1, "out of memory");
	if (notes.len) {
		/* stdout's data first: a reader of both sees a finding after its frames */
		if (fflush(stdout) != 0)
			err(1, "stdout");
		(void)fwrite(notes.p, 1, notes.len, stderr);
		vsk_sbuf_reset(&notes);
	}
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct vsk_pkt pkt;
	int rc = vsk_decode(bytes, h->caplen, h->len, &pkt);

	(void)user;
	if (filtering && !vsk_filter_match(filter, &pkt, rc))
		return;
	if (rc)
		nmalformed++;
	nshown++;
	if (dumper) {
		writer_frame(h, bytes);
		if (Uflag)
			writer_flush();
	}
	if (analyse)
		analysis_packet(&pkt, rc, &h->ts);
	if (follow) {
		/* Raw payload of the selected RW frames, in capture order. */
		if (!rc && pkt.has_virtio && pkt.hdr.op == VSK_OP_RW) {
			vsk_sbuf_put(&out, (const char *)pkt.payload, pkt.payload_caplen);
			nmissing += pkt.payload_wirelen - pkt.payload_caplen;
		}
	} else if (!dumper || print_too) {
		size_t start = out.len;

		if (json)
			vsk_format_json(&fmt, &pkt, rc, &h->ts, &out);
		else
			vsk_format_text(&fmt, &pkt, rc, &h->ts, &out);
		if (analyse)
			analysis_annotate(start);
	}
	if (lflag || out.len >= OUT_CHUNK)
		flush_out();
	if (cflag && nshown >= cflag)
		pcap_breakloop(pc);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	if (pc)
		pcap_breakloop(pc);
}

/* The filter expression: -F file, or the trailing arguments joined by spaces. */
static char *filter_text(int argc, char **argv)
{
	struct vsk_sbuf b = {0};

	if (Fflag) {
		FILE *f = fopen(Fflag, "r");
		char buf[4096];
		size_t n;

		if (argc > 0)
			errx(2, "-F %s: cannot also give an expression on the command line", Fflag);
		if (!f)
			err(1, "%s", Fflag);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			vsk_sbuf_put(&b, buf, n);
		if (ferror(f))
			err(1, "%s", Fflag);
		fclose(f);
	}
	for (int i = 0; i < argc; i++) {
		if (i)
			vsk_sbuf_putc(&b, ' ');
		vsk_sbuf_puts(&b, argv[i]);
	}
	if (b.oom)
		errx(1, "out of memory");
	vsk_sbuf_putc(&b, '\0');
	b.len--;
	return b.p;
}

static void compile_filter(const char *text)
{
	struct vsk_filter_error fe;
	int rc = vsk_filter_compile((const uint8_t *)text, strlen(text), &filter, &fe);

	if (rc == VSK_E_SYNTAX)
		errx(2, "filter: %s (at column %zu)", fe.msg, fe.pos + 1);
	if (rc)
		errx(1, "filter: %s", vsk_strerror(rc));
}

/* Hands the filter to the kernel (live) or prints it (-d). */
static void kernel_filter(pcap_t *p, bool dump)
{
	struct vsk_sbuf expr = {0};
	struct bpf_program prog;

	vsk_filter_pcap_expr(filter, &expr);
	if (expr.oom)
		errx(1, "out of memory");
	/* optimize=0: libpcap 1.10.3's optimizer miscompiles some or-chains of link[] tests */
	if (pcap_compile(p, &prog, expr.p, 0, PCAP_NETMASK_UNKNOWN) != 0)
		errx(1, "filter: libpcap cannot compile '%s': %s", expr.p, pcap_geterr(p));
	if (dump) {
		printf("(%s)\n", expr.p);
		bpf_dump(&prog, 1);
	} else if (pcap_setfilter(p, &prog) != 0) {
		errx(1, "filter: %s", pcap_geterr(p));
	}
	pcap_freecode(&prog);
	vsk_sbuf_free(&expr);
}

/* A loss is never silent: once known, and again whenever it grows, it is said on stderr
 * (and as a JSON record) before the findings that follow, which may come from it. */
static void say_loss(const char *what, const char *source, const struct vsk_pcapng_stats *st)
{
	uint64_t lost = vsk_pcapng_lost(st);
	struct vsk_sbuf line = {0};

	if (lost <= lost_said)
		return;
	lost_said = lost;
	vsk_report_loss(lost, &line);
	if (line.oom)
		errx(1, "out of memory");
	warnx("%s: %s", what, line.p);
	vsk_sbuf_free(&line);
	if (json)
		vsk_report_loss_json(source, st, lines);
}

/* The statistics a pcapng file records (a regular file: its blocks are walked first, so
 * that its losses are said before any frame; a pipe cannot be read twice). */
static void file_stats(FILE *f)
{
	struct stat st;
	void *m;
	size_t n;

	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 12)
		return;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
	if (m == MAP_FAILED)
		return;
	/* a broken block is libpcap's to report when it gets there */
	if (vsk_pcapng_is(m, (size_t)st.st_size)) {
		(void)vsk_pcapng_scan(m, (size_t)st.st_size, &file_st, &n);
		file_has_st = n > 0;
	}
	munmap(m, (size_t)st.st_size);
}

/* A stream (-r -) passes through here on its way to libpcap, so that the statistics
 * blocks of a pcapng stream are found as they go by: the SHBs and ISBs are kept, in
 * order, and walked again after each ISB (a pipe cannot be walked first). */
#define TEE_MAX (1 << 20) /* bytes of SHBs and ISBs kept; a stream with more is not read */
static struct {
	FILE *in;
	const char *name;
	struct vsk_pcapng_walker w;
	uint8_t head[12];
	size_t nhead, want;
	uint32_t type;
	bool started, off;
	struct vsk_sbuf kept;
} rs;

static void rs_feed(const uint8_t *p, size_t n)
{
	while (n && !rs.off) {
		size_t k;

		if (rs.nhead < sizeof(rs.head)) {
			k = sizeof(rs.head) - rs.nhead < n ? sizeof(rs.head) - rs.nhead : n;
			memcpy(rs.head + rs.nhead, p, k);
			rs.nhead += k;
			p += k;
			n -= k;
			if (rs.nhead < sizeof(rs.head))
				return;
			if ((!rs.started && !vsk_pcapng_is(rs.head, rs.nhead)) ||
			    vsk_pcapng_head(&rs.w, rs.head, rs.nhead, &rs.type, &rs.want) != 1) {
				rs.off = true; /* not pcapng, or broken: libpcap will say */
				return;
			}
			rs.started = true;
			rs.want -= rs.nhead;
			if (rs.type == VSK_PCAPNG_SHB || rs.type == VSK_PCAPNG_ISB)
				vsk_sbuf_put(&rs.kept, (const char *)rs.head, rs.nhead);
		}
		k = rs.want < n ? rs.want : n;
		if (rs.type == VSK_PCAPNG_SHB || rs.type == VSK_PCAPNG_ISB)
			vsk_sbuf_put(&rs.kept, (const char *)p, k);
		p += k;
		n -= k;
		rs.want -= k;
		if (rs.want)
			return;
		rs.nhead = 0;
		if (rs.kept.oom || rs.kept.len > TEE_MAX) {
			rs.off = true;
		} else if (rs.type == VSK_PCAPNG_ISB) {
			size_t nisb;

			(void)vsk_pcapng_scan((const uint8_t *)rs.kept.p, rs.kept.len, &file_st, &nisb);
			file_has_st = nisb > 0;
			say_loss(rs.name, "file", &file_st);
		}
	}
}

static ssize_t rs_read(void *cookie, char *buf, size_t size)
{
	size_t n = fread(buf, 1, size, rs.in);

	(void)cookie;
	if (n == 0 && ferror(rs.in))
		return -1;
	rs_feed((const uint8_t *)buf, n);
	return (ssize_t)n;
}

static pcap_t *open_file(const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct stat st;
	pcap_t *p;
	FILE *f;
	int dlt;

	/* libpcap would report a directory as a read error of its first record. */
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		errx(1, "%s: is a directory", path);
	/* Our own FILE with a large buffer: libpcap reads every record with two freads,
	 * and stdio's default 4 KiB buffer makes that a read(2) per few frames. */
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		err(1, "%s", path);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
		file_stats(f);
	} else {
		rs.in = f;
		rs.name = path;
		f = fopencookie(NULL, "rb", (cookie_io_functions_t){.read = rs_read});
		if (!f)
			err(1, "%s", path);
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	}
	p = pcap_fopen_offline(f, ebuf);
	if (!p)
		errx(1, "%s: %s", path, ebuf);
	dlt = pcap_datalink(p);
	if (dlt != VSK_LINKTYPE_VSOCK) {
		const char *n = pcap_datalink_val_to_name(dlt);

		errx(1, "%s: link type %s (%d), not VSOCK (%d)", path, n ? n : "unknown", dlt,
		     VSK_LINKTYPE_VSOCK);
	}
	return p;
}

static void parse_args(int argc, char **argv)
{
	int ch, tcount = 0, xcount = 0, Xcount = 0;

	opterr = 0; /* one-line messages below instead of getopt's plus the usage text */
	while ((ch = getopt_long(argc, argv, ":#AB:c:dDF:hi:lnqr:s:tUvw:xXZ:", longopts, NULL)) != -1) {
		switch (ch) {
		case '#': fmt.number = true; break;
		case 'A': fmt.dump = VSK_DUMP_ASCII; break;
		case 'B': Bflag = (int)number(optarg, 1, INT_MAX / 1024, "-B"); break;
		case 'c': cflag = (unsigned long long)number(optarg, 1, LLONG_MAX, "-c"); break;
		case 'd': dflag = true; break;
		case 'D': Dflag = true; break;
		case 'F': Fflag = optarg; break;
		case 'h': usage();
		case 'i': iflag = optarg; break;
		case 'l': lflag = true; break;
		case 'n': break; /* vsockdump never resolves names; accepted for tcpdump habits */
		case 'q': fmt.quiet = true; break;
		case 'r': rflag = optarg; break;
		case 's':
			sflag = (int)number(optarg, 0, MAX_SNAPLEN, "-s"); /* 0: the default */
			break;
		case 't': tcount++; break;
		case 'U': Uflag = true; break;
		case 'v': fmt.verbose++; break;
		case 'w': wflag = optarg; break;
		case 'x': xcount++; break;
		case 'X': Xcount++; break;
		case 'Z': Zflag = optarg; break;
		case OPT_JSON: json = true; break;
		case OPT_IMMEDIATE: immediate = true; break;
		case OPT_NO_IMMEDIATE: immediate = false; break;
		case OPT_PRINT: print_too = true; break;
		case OPT_CHECK: check = true; break;
		case OPT_STATS: stats = true; break;
		case OPT_FOLLOW: follow = true; break;
		case OPT_NO_ANALYSIS: analyse = false; break;
		case OPT_PCAP: pcap_out = true; break;
		case OPT_CLOSE_TIMEOUT:
			close_timeout = (double)number(optarg, 1, 86400, "--close-timeout");
			break;
		case OPT_STALL_TIME:
			stall_time = (double)number(optarg, 1, 86400, "--stall-time");
			break;
		case OPT_RULES: {
			struct vsk_sbuf b = {0};

			vsk_report_rules(&b);
			fputs(b.p, stdout);
			vsk_sbuf_free(&b);
			exit(0);
		}
		case OPT_VERSION:
			printf("vsockdump %s (%s)\n", VERSION, pcap_lib_version());
			exit(0);
		case ':':
			errx(2, "option %s needs an argument (see vsockdump -h)", argv[optind - 1]);
		default:
			if (optopt)
				errx(2, "unknown option -%c (see vsockdump -h)", optopt);
			errx(2, "unknown option %s (see vsockdump -h)", argv[optind - 1]);
		}
	}
	if (tcount > 5)
		errx(2, "-t given more than 5 times");
	static const enum vsk_ts_style ts_by_count[] = {
		VSK_TS_TIME, VSK_TS_NONE, VSK_TS_EPOCH, VSK_TS_DELTA, VSK_TS_DATE, VSK_TS_SINCE_FIRST,
	};
	fmt.ts = ts_by_count[tcount];
	if (fmt.verbose > 3)
		fmt.verbose = 3;
	if (Xcount) {
		fmt.dump = VSK_DUMP_HEX_ASCII;
		fmt.dump_frame = Xcount > 1;
	} else if (xcount) {
		fmt.dump = VSK_DUMP_HEX;
		fmt.dump_frame = xcount > 1;
	}

	/* Cross-option checks */
	if (rflag && iflag)
		errx(2, "cannot use -r and -i together");
	if (rflag && Zflag)
		errx(2, "-Z applies to live capture only");
	if (json && fmt.dump != VSK_DUMP_NONE)
		errx(2, "cannot use --json with -x, -X or -A");
	if (print_too && !wflag)
		errx(2, "--print needs -w");
	if (wflag && !print_too && json)
		errx(2, "--json needs --print when writing with -w");
	if (wflag && strcmp(wflag, "-") == 0 && print_too)
		errx(2, "cannot --print while -w writes to stdout");
	if (Dflag && (rflag || wflag))
		errx(2, "-D takes no -r or -w");
	if (!analyse && (check || stats))
		errx(2, "--check and --stats need the analysis (drop --no-analysis)");
	if (follow && (json || fmt.dump != VSK_DUMP_NONE || print_too))
		errx(2, "--follow writes raw payload: no --json, --print, -x, -X or -A");
	if (follow && wflag && strcmp(wflag, "-") == 0)
		errx(2, "--follow and -w - both want stdout");
	if (follow && stats)
		errx(2, "cannot use --follow with --stats");
	if (pcap_out && !wflag)
		errx(2, "--pcap needs -w");
}

int main(int argc, char **argv)
{
	char *expr;
	int rc, status = 0; /* exit status: 0, 1 (read, write or --follow failure), 3 (--check) */

	parse_args(argc, argv);
	lines = follow || (wflag && strcmp(wflag, "-") == 0) ? &notes : &out;
	if (Dflag)
		return cap_list(stdout);
	expr = filter_text(argc - optind, argv + optind);
	compile_filter(expr);
	filtering = expr[strspn(expr, " \t\r\n")] != '\0';

	if (dflag) {
		pcap_t *dead = pcap_open_dead(VSK_LINKTYPE_VSOCK, sflag ? sflag : MAX_SNAPLEN);

		if (!dead)
			errx(1, "cannot open a libpcap handle");
		kernel_filter(dead, true);
		pcap_close(dead);
		return 0;
	}

	if (rflag) {
		pc = open_file(rflag);
	} else {
		struct live_opts lo = {
			iflag, sflag ? sflag : immediate ? MAX_SNAPLEN : VSK_DEFAULT_SNAPLEN, Bflag,
			immediate,
		};

		pc = cap_open_live(&lo);
		if (!pc)
			return 1;
		iflag = lo.iface;
		kernel_filter(pc, false);
		if (Zflag && cap_drop_privileges(Zflag) != 0)
			return 1;
		/* Always, as tcpdump does: scripts wait for this line before sending. */
		fprintf(stderr, "vsockdump: listening on %s, link-type VSOCK, snapshot length %d bytes\n",
			iflag, lo.snaplen);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		gettimeofday(&live_st.start, NULL);
		live_st.has_start = true;
	}
	if (wflag) {
		writer_open(wflag, !pcap_out, pc, rflag ? NULL : iflag, pcap_snapshot(pc));
		dumper = true;
	}
	if (file_has_st)
		say_loss(rflag, "file", &file_st);

	if (analyse) {
		struct analysis_opts ao = {
			.json = json, .stats = stats, .close_timeout = close_timeout,
			.stall_time = stall_time, .fmt = &fmt,
			.out = lines, .quiet_lines = follow || (dumper && !print_too),
		};

		if (analysis_init(&ao) != 0)
			return 1;
	}
	if (lflag)
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		/* A bigger pipe means fewer sleeps waiting for the reader; failure is harmless. */
		(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);

	/* Live: flush after each batch so a pipe sees frames as they come. */
	do {
		rc = pcap_dispatch(pc, -1, on_frame, NULL);
		if (!rflag && cap_stats(pc, &live_st) == 0)
			say_loss(iflag, "capture", &live_st);
		flush_out();
		if (dumper && !rflag)
			writer_flush();
	} while (!rflag && rc >= 0 && !stopping && !(cflag && nshown >= cflag));
	if (rc == PCAP_ERROR) {
		warnx("%s: %s", rflag ? rflag : iflag, pcap_geterr(pc));
		status = 1;
	}
	if (!rflag && stopping && !immediate && !(cflag && nshown >= cflag)) {
		cap_drain(pc, on_frame);
		flush_out();
	}
	if (!rflag && cap_stats(pc, &live_st) == 0)
		say_loss(iflag, "capture", &live_st);

	if (analyse) {
		if (stats && !json && lost_said) {
			vsk_report_loss(lost_said, lines);
			vsk_sbuf_putc(lines, '\n');
		}
		analysis_finish();
		flush_out();
	}
	if (dumper) {
		const struct vsk_pcapng_stats *st = file_has_st ? &file_st : NULL;

		if (!rflag) {
			gettimeofday(&live_st.end, NULL);
			live_st.has_end = true;
			live_st.usrdeliv = nshown;
			live_st.has_usrdeliv = true;
			st = &live_st;
		}
		if (writer_close(st) != 0)
			status = 1;
	}
	if (fflush(stdout) != 0)
		err(1, "stdout");
	if (!rflag)
		cap_print_stats(pc, nshown);
	if (nmalformed)
		warnx("%llu malformed frame%s", nmalformed, nmalformed == 1 ? "" : "s");
	if (nmissing) {
		warnx("follow: %llu payload bytes missing (frames cut by the snapshot length)",
		      nmissing);
		status = 1;
	}
	if (analyse && check && lost_said) {
		struct vsk_sbuf line = {0};

		vsk_report_loss(lost_said, &line);
		warnx("check: %s", line.oom ? "frames lost" : line.p);
		vsk_sbuf_free(&line);
	}
	if (analyse && check && analysis_errors()) {
		warnx("check: %llu error%s found", analysis_errors(),
		      analysis_errors() == 1 ? "" : "s");
		if (status == 0)
			status = 3;
	}
	if (analyse)
		analysis_free();
	pcap_close(pc);
	vsk_filter_free(filter);
	vsk_sbuf_free(&out);
	vsk_sbuf_free(&notes);
	vsk_sbuf_free(&rs.kept);
	free(expr);
	return status;
}
