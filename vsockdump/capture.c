/* capture.c - live capture on vsockmon devices through libpcap. */
#include <err.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "vsk/proto.h"

bool cap_is_vsockmon(const char *iface)
{
	char path[512];
	FILE *f;
	int type = -1;

	/* The device type tells vsockmon apart without opening it (needs no privilege). */
	if (strchr(iface, '/') || snprintf(path, sizeof(path), "/sys/class/net/%s/type", iface) >=
	    (int)sizeof(path))
		return false;
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	return type == VSK_ARPHRD_VSOCKMON;
}

int cap_list(FILE *out)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int i = 0;

	if (pcap_findalldevs(&all, ebuf) != 0) {
		warnx("cannot list interfaces: %s", ebuf);
		return 1;
	}
	for (d = all; d; d = d->next) {
		fprintf(out, "%d.%s", ++i, d->name);
		if (d->description)
			fprintf(out, " (%s)", d->description);
		fprintf(out, " [%s%s]%s\n", d->flags & PCAP_IF_UP ? "Up" : "Down",
			d->flags & PCAP_IF_RUNNING ? ", Running" : "",
			cap_is_vsockmon(d->name) ? " [vsockmon]" : "");
	}
	pcap_freealldevs(all);
	return 0;
}

/* The first vsockmon interface libpcap knows, or NULL. */
static char *first_vsockmon(void)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	char *name = NULL;

	if (pcap_findalldevs(&all, ebuf) != 0)
		return NULL;
	for (d = all; d && !name; d = d->next)
		if (cap_is_vsockmon(d->name))
			name = strdup(d->name);
	pcap_freealldevs(all);
	return name;
}

pcap_t *cap_open_live(struct live_opts *o)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int rc, dlt;

	if (!o->iface) {
		o->iface = first_vsockmon();
		if (!o->iface) {
			warnx("no vsockmon interface found (create one: modprobe vsockmon; "
			      "ip link add type vsockmon; ip link set vsockmon0 up)");
			return NULL;
		}
	}
	p = pcap_create(o->iface, ebuf);
	if (!p) {
		warnx("%s: %s", o->iface, ebuf);
		return NULL;
	}
	pcap_set_snaplen(p, o->snaplen);
	/* Immediate mode makes libpcap use TPACKET_V2, one fixed slot per frame; without it,
	 * TPACKET_V3 packs frames into blocks the kernel hands over when full or after the
	 * timeout (man page: -B, --immediate-mode; docs/benchmarks.md). */
	pcap_set_immediate_mode(p, o->immediate);
	pcap_set_timeout(p, CAP_TIMEOUT_MS);
	if (o->buffer_kib > 0)
		pcap_set_buffer_size(p, o->buffer_kib * 1024);
	rc = pcap_activate(p);
	if (rc < 0) {
		warnx("%s: %s", o->iface, rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		warnx("%s: %s", o->iface, pcap_statustostr(rc));
	dlt = pcap_datalink(p);
	if (dlt != VSK_LINKTYPE_VSOCK) {
		const char *n = pcap_datalink_val_to_name(dlt);

		warnx("%s: not a vsockmon device (link type %s)", o->iface, n ? n : "unknown");
		pcap_close(p);
		return NULL;
	}
	return p;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cap_drain(pcap_t *p, pcap_handler cb)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pollfd pfd = {.fd = pcap_get_selectable_fd(p), .events = POLLIN};
	long long end = now_ms() + 3 * CAP_TIMEOUT_MS;
	int left;

	if (pfd.fd < 0 || pcap_setnonblock(p, 1, ebuf) != 0)
		return;
	/* A partly filled block becomes readable when its timer expires: stop when two
	 * periods pass without one, or after three periods of traffic that goes on. */
	while ((left = (int)(end - now_ms())) > 0 &&
	       poll(&pfd, 1, left < 2 * CAP_TIMEOUT_MS ? left : 2 * CAP_TIMEOUT_MS) > 0)
		if (pcap_dispatch(p, -1, cb, NULL) < 0)
			break;
}

int cap_stats(pcap_t *p, struct vsk_pcapng_stats *st)
{
	struct pcap_stat ps;

	if (pcap_stats(p, &ps) != 0) {
		warnx("statistics: %s", pcap_geterr(p));
		return -1;
	}
	st->ifrecv = ps.ps_recv;
	st->ifdrop = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	st->has_ifrecv = st->has_ifdrop = true;
	return 0;
}

void cap_print_stats(pcap_t *p, unsigned long long captured)
{
	struct pcap_stat st;

	fprintf(stderr, "%llu packet%s captured\n", captured, captured == 1 ? "" : "s");
	if (pcap_stats(p, &st) != 0) {
		warnx("statistics: %s", pcap_geterr(p));
		return;
	}
	fprintf(stderr, "%u packet%s received by filter\n", st.ps_recv, st.ps_recv == 1 ? "" : "s");
	fprintf(stderr, "%u packet%s dropped by kernel\n", st.ps_drop, st.ps_drop == 1 ? "" : "s");
}

int cap_drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		warnx("-Z %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		warn("-Z %s", user);
		return -1;
	}
	return 0;
}
