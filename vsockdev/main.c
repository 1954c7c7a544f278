/* vsockdev - a vhost-user virtio-vsock device for QEMU (-device vhost-user-vsock-pci) whose
 * host side is hybrid vsock: host programs reach the guest through UNIX sockets, as with
 * Firecracker, Cloud Hypervisor and vhost-device-vsock, and no AF_VSOCK socket is ever
 * opened on the host.  Options here; the poll loop here; the parts in vsockdev.h. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vsk/number.h"
#include "vsk/unixsock.h"
#include "vsockdev.h"

static const char usage_text[] =
	"usage: vsockdev [-hv] [--capture file] [--check] [--connect] [--list-mutations]\n"
	"\t[--mutate names] [--persist] --cid cid --socket path (--uds path | --relay path)\n";

static void __attribute__((noreturn)) usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("vsockdev: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

void vd_log(const struct vd *vd, int level, const char *fmt, ...)
{
	va_list ap;

	if (level > vd->verbose)
		return;
	fputs("vsockdev: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t vd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum { O_SOCKET = 256, O_CID, O_UDS, O_CAPTURE, O_CHECK, O_CONNECT, O_PERSIST, O_MUTATE,
       O_LISTMUT, O_RELAY };

static void parse_opts(struct vd *vd, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket",  required_argument, NULL, O_SOCKET },
		{ "cid",     required_argument, NULL, O_CID },
		{ "uds",     required_argument, NULL, O_UDS },
		{ "capture", required_argument, NULL, O_CAPTURE },
		{ "check",   no_argument,       NULL, O_CHECK },
		{ "connect", no_argument,       NULL, O_CONNECT },
		{ "persist", no_argument,       NULL, O_PERSIST },
		{ "mutate",  required_argument, NULL, O_MUTATE },
		{ "list-mutations", no_argument, NULL, O_LISTMUT },
		{ "relay",   required_argument, NULL, O_RELAY },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cid = NULL;
	char e[160];
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hv", lopts, NULL)) != -1) {
		switch (ch) {
		case O_SOCKET: vd->sock_path = optarg; break;
		case O_CID: cid = optarg; break;
		case O_UDS: vd->uds_path = optarg; break;
		case O_CAPTURE: vd->capture_path = optarg; break;
		case O_CHECK: vd->check = true; break;
		case O_CONNECT: vd->connect = true; break;
		case O_PERSIST: vd->persist = true; break;
		case O_RELAY: vd->relay_path = optarg; break;
		case O_LISTMUT: vd_mutate_list(stdout); exit(0);
		case O_MUTATE:
			if (vd_mutate_parse(vd, (const uint8_t *)optarg, strlen(optarg), e,
					    sizeof(e)) < 0)
				usage_err("--mutate %s", e);
			break;
		case 'v': vd->verbose++; break;
		case 'h': usage(0);
		case ':':
			usage_err("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_err("unknown option -%c", optopt);
			usage_err("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_err("unexpected argument '%s'", argv[optind]);
	if (!vd->sock_path)
		usage_err("missing --socket");
	if (!cid)
		usage_err("missing --cid");
	if (!vd->uds_path && !vd->relay_path)
		usage_err("missing --uds (or --relay)");
	if (vd->uds_path && vd->relay_path)
		usage_err("--relay replaces the connection layer --uds serves: not both");
	if (vd->relay_path && vd->mutations)
		usage_err("--mutate changes the connection layer --relay replaces: not both");
	if (vd->persist && vd->connect)
		usage_err("--persist waits for the next front end: not with --connect");
	/* Socket Device: guest_cid; 0-2 are reserved, and the upper 32 bits must be zero
	 * (VMADDR_CID_ANY 0xffffffff is not a CID either) */
	rc = vsk_number_parse((const uint8_t *)cid, strlen(cid), 3, 0xfffffffeu, 0, &vd->cid);
	if (rc)
		usage_err("%s", vsk_number_error(e, sizeof(e), rc, "--cid", cid, 3, 0xfffffffeu));
	if (strlen(vd->sock_path) >= VSK_UNIX_PATH_MAX)
		usage_err("--socket '%s': path too long for a UNIX socket", vd->sock_path);
	if (vd->relay_path &&
	    strlen(vd->relay_path) >= VSK_UNIX_PATH_MAX)
		usage_err("--relay '%s': path too long for a UNIX socket", vd->relay_path);
	if (vd->uds_path && !vsk_hybrid_path_fits(strlen(vd->uds_path)))
		usage_err("--uds '%s': path too long for a UNIX socket and its _PORT names",
			  vd->uds_path);
}

static int listen_vhost_user(struct vd *vd)
{
	int s = vsk_unix_listen(vd->sock_path, SOCK_STREAM, 1);

	if (s < 0) {
		vd_log(vd, 0, "%s: %s", vd->sock_path, strerror(-s));
		return -1;
	}
	vd->listen_fd = s;
	return 0;
}

/* --connect: QEMU is the chardev server (server=on); its socket may appear a moment after
 * we start, so a missing or not yet listening socket is tried again for 10 s. */
static int connect_vhost_user(struct vd *vd)
{
	uint64_t until = vd_now_ms() + 10000;
	int s;

	while ((s = vsk_unix_connect(vd->sock_path, SOCK_STREAM)) < 0) {
		if ((s != -ENOENT && s != -ECONNREFUSED) || vd_now_ms() >= until) {
			vd_log(vd, 0, "%s: %s", vd->sock_path, strerror(-s));
			return -1;
		}
		usleep(100000);
	}
	vd->vu_fd = s;
	vd_log(vd, 1, "vhost-user: connected to the front end at %s", vd->sock_path);
	return 0;
}

/* One poll slot per fd; conns[] says which connection a slot belongs to. */
enum { S_SIG, S_VU, S_UDS, S_KICK0, S_KICK1, S_RELAY, S_RELAYC, S_FIXED };

static int loop(struct vd *vd, int sfd)
{
	static struct pollfd pfd[S_FIXED + VD_MAX_CONNS];
	static struct vd_conn *who[S_FIXED + VD_MAX_CONNS];
	int status = 0;

	while (!vd->quit) {
		unsigned n = S_FIXED;
		int tmo, r;

		pfd[S_SIG] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[S_VU] = (struct pollfd){ .fd = vd->vu_fd >= 0 ? vd->vu_fd : vd->listen_fd,
					     .events = POLLIN };
		pfd[S_UDS] = (struct pollfd){ .fd = vd->uds_fd, .events = POLLIN };
		for (unsigned q = 0; q < 2; q++)
			pfd[S_KICK0 + q] = (struct pollfd){
				.fd = vd->vq[q].started ? vd->vq[q].kick : -1, .events = POLLIN };
		pfd[S_RELAY] = (struct pollfd){ .fd = vd_relay_listen_fd(vd), .events = POLLIN };
		pfd[S_RELAYC] = (struct pollfd){ .fd = vd_relay_events(vd) ? vd_relay_fd(vd) : -1,
						 .events = vd_relay_events(vd) };
		for (unsigned i = 0; i < vd->nconn; i++) {
			short ev = vd_conn_events(vd->conn[i]);

			if (!ev)
				continue;
			who[n] = vd->conn[i];
			pfd[n++] = (struct pollfd){ .fd = vd->conn[i]->fd, .events = ev };
		}
		tmo = vd_dev_next_timer(vd);
		r = poll(pfd, n, tmo);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			vd_log(vd, 0, "poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[S_SIG].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				vd_log(vd, 1, "signal %u: shutting down", si.ssi_signo);
			break;
		}
		if (pfd[S_VU].revents) {
			if (vd->vu_fd < 0) {
				vd->vu_fd = accept4(vd->listen_fd, NULL, NULL, SOCK_CLOEXEC);
				if (vd->vu_fd >= 0)
					vd_log(vd, 1, "vhost-user: front end connected");
			} else if (vd_vu_handle(vd) < 0) {
				if (!vd->persist) {
					vd_log(vd, 1, "vhost-user: front end gone: shutting down");
					break;
				}
				/* a fresh device for the next one, as if QEMU restarted */
				vd_log(vd, 1, "vhost-user: front end gone: waiting for the next");
				vd_vu_close(vd);
				continue;
			}
		}
		if (pfd[S_UDS].revents)
			vd_hybrid_accept(vd);
		if (pfd[S_RELAYC].revents && pfd[S_RELAYC].fd == vd_relay_fd(vd))
			vd_relay_io(vd, pfd[S_RELAYC].revents);
		if (pfd[S_RELAY].revents)
			vd_relay_accept(vd);
		for (unsigned q = 0; q < 2; q++)
			if (pfd[S_KICK0 + q].revents && pfd[S_KICK0 + q].fd == vd->vq[q].kick)
				vd_dev_kick(vd, q);
		for (unsigned i = S_FIXED; i < n; i++) {
			bool alive = false;

			if (!pfd[i].revents)
				continue;
			/* an earlier slot's work may have freed this connection */
			for (unsigned k = 0; k < vd->nconn && !alive; k++)
				alive = vd->conn[k] == who[i] && who[i]->fd == pfd[i].fd;
			if (alive)
				vd_conn_io(vd, who[i], pfd[i].revents);
		}
		vd_dev_timers(vd);
		vd_dev_run(vd);
	}
	return status;
}

int main(int argc, char **argv)
{
	struct vd vd;
	sigset_t set;
	int sfd, status;

	memset(&vd, 0, sizeof(vd));
	vd.listen_fd = vd.vu_fd = vd.uds_fd = -1;
	for (unsigned q = 0; q < 2; q++)
		vd.vq[q].kick = vd.vq[q].call = -1;
	vd.next_port = 1u << 30;
	vd_mem_init(&vd.mem);
	parse_opts(&vd, argc, argv);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		vd_log(&vd, 0, "signalfd: %s", strerror(errno));
		return 1;
	}
	if (vd_capture_open(&vd) < 0 ||
	    (vd.relay_path ? vd_relay_listen(&vd) : vd_hybrid_listen(&vd)) < 0 ||
	    (vd.connect ? connect_vhost_user(&vd) : listen_vhost_user(&vd)) < 0)
		return 1;
	vd_log(&vd, 1, "guest CID %llu; vhost-user socket %s; %s %s", (unsigned long long)vd.cid,
	       vd.sock_path, vd.relay_path ? "packets relayed at" : "host programs at",
	       vd.relay_path ? vd.relay_path : vd.uds_path);

	status = loop(&vd, sfd);

	vd_vu_close(&vd);
	vd_capture_close(&vd);
	if (vd.listen_fd >= 0) {
		close(vd.listen_fd);
		unlink(vd.sock_path);
	}
	vd_relay_close(&vd);
	if (vd.uds_fd >= 0) {
		close(vd.uds_fd);
		unlink(vd.uds_path);
	}
	vd_log(&vd, 1, "%llu packets from the guest, %llu to it, %llu dropped",
	       (unsigned long long)vd.tx_pkts, (unsigned long long)vd.rx_pkts,
	       (unsigned long long)vd.dropped);
	if (vd.check)
		fprintf(stderr, "vsockdev: check: %llu finding%s\n",
			(unsigned long long)vd.violations, vd.violations == 1 ? "" : "s");
	return status;
}
