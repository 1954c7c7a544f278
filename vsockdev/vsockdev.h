/* vsockdev.h - the parts of vsockdev, a vhost-user virtio-vsock device for QEMU whose host
 * side is hybrid vsock (UNIX sockets), and how they share state.
 *
 *   main.c       options, signals, the poll loop
 *   (lib/vhostuser.c parses the vhost-user messages: bytes in, struct out; fuzzed)
 *   vhostuser.c  the vhost-user protocol server: QEMU's requests, fds, replies
 *   mem.c        the memory table (SET_MEM_TABLE regions, mmap, address translation)
 *   device.c     the virtio-vsock device: rx/tx queues, packets, connections, credit
 *   hybrid.c     the host side: UDSPATH listener, CONNECT/OK, UDSPATH_<port> dialling
 *   capture.c    --capture (LINKTYPE_VSOCK pcap through libpcap) and --check (lib/flow)
 *   mutate.c     --mutate: the rule-breaking switches of conformance/mutations.def
 *   relay.c      --relay: the connection layer replaced by a raw packet relay to a client
 *
 * Reference: ../shared/reference/vhost-user-vsock.md (what QEMU 7.2 sends and expects). */
#ifndef VSOCKDEV_H
#define VSOCKDEV_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "vsk/decode.h"
#include "vsk/hybrid.h"
#include "vsk/vhostuser.h"
#include "vsk/proto.h"
#include "vsk/relay.h"
#include "vsk/vring.h"

#define EXIT_USAGE 2

/* --mutate: the conformance suite's mutation names (conformance/mutations.def), as bits
 * of struct vd.mutations. */
enum vd_mutation {
#define CF_MUTATION(ID, name, caught_by, text) VD_MUT_##ID,
#include "../conformance/mutations.def"
	VD_MUT__COUNT
};

/* ---- mem.c: guest memory as QEMU shares it ---- */
struct vd_mem_region {
	struct vsk_vu_region r;
	uint8_t *map;                    /* mmap of size + mmap_offset bytes from offset 0 */
	size_t map_len;
};
struct vd_mem {
	struct vsk_mem mem;              /* guest-physical view, for lib/vring.c */
	unsigned n;
	struct vd_mem_region reg[VSK_VU_MAX_REGIONS];
};
void vd_mem_init(struct vd_mem *m);
/* Replaces the table by m's regions, mapping fds[i] for region i (fds are closed here,
 * whatever happens).  0, or -errno with err set. */
int vd_mem_set(struct vd_mem *mm, const struct vsk_vu_msg *m, int *fds, unsigned nfds,
	       char *err, size_t errlen);
void vd_mem_clear(struct vd_mem *m);
/* QEMU's user address uva .. uva + len (one region) as a guest-physical address. */
int vd_mem_uva_to_gpa(const struct vd_mem *m, uint64_t uva, uint64_t len, uint64_t *gpa);

/* ---- the device's state ---- */
struct vd_vq {
	uint16_t num;
	uint16_t base;                   /* SET_VRING_BASE: where the rings resume */
	bool addr_set;
	uint64_t desc, used, avail;      /* QEMU user addresses (SET_VRING_ADDR) */
	int kick, call;                  /* eventfds, -1 if none */
	bool enabled;                    /* SET_VRING_ENABLE 1 */
	bool started;                    /* q is set up (kick, addresses, memory) */
	bool stopped;                    /* a ring rule was broken: no more processing */
	bool need_call;                  /* used buffers not yet signalled */
	struct vsk_vq_dev q;
};

struct vd_capture;
struct vd_relay;

#define VD_BUF_ALLOC (1024u * 1024)   /* our buf_alloc: guest-to-host bytes we hold */
#define VD_H2G_BUF   (64u * 1024)    /* host-to-guest bytes read ahead of the guest;
					 * also the largest seqpacket message to the guest */
#define VD_MAX_MSGS  4096            /* seqpacket: whole guest messages held */

enum vd_conn_state {
	VD_HANDSHAKE,                    /* host program: reading "CONNECT <port>\n" */
	VD_CONNECTING,                   /* REQUEST to the guest, no answer yet */
	VD_ESTABLISHED,
	VD_CLOSING,                      /* our SHUTDOWN(RCV|SEND) went out: waiting for RST */
};

/* pending control packets of a connection (bits) */
enum { VD_P_REQUEST = 1, VD_P_RESPONSE = 2, VD_P_CREDIT = 4, VD_P_SHUTDOWN = 8, VD_P_RST = 16 };

struct vd_conn {
	enum vd_conn_state state;
	bool host_initiated;
	uint16_t type;                   /* VSK_TYPE_STREAM or VSK_TYPE_SEQPACKET */
	uint32_t local_port;             /* host side (the UNIX socket's) port */
	uint32_t peer_port;              /* the guest's port */
	int fd;                          /* the host program's UNIX socket, -1 once closed */
	unsigned pending;                /* VD_P_* */
	uint32_t shut_bits;              /* SHUTDOWN bits to send (with VD_P_SHUTDOWN) */
	uint64_t deadline;               /* connect or close timer (vd_now_ms), 0 none */
	/* handshake line (host-initiated) */
	uint8_t line[VSK_HYBRID_LINE_MAX];
	size_t line_len;
	/* guest to host: RW payload not yet written to the UNIX socket */
	uint8_t *g2h;                    /* VD_BUF_ALLOC bytes */
	size_t g2h_off, g2h_len;
	/* seqpacket: lengths of the whole messages at the front of g2h (a ring), and the
	 * bytes of the message still open (no EOM yet) after them */
	uint32_t msg_len[VD_MAX_MSGS];
	unsigned msg_head, msg_n;
	size_t msg_open;
	uint32_t rx_cnt;                 /* RW bytes received from the guest */
	uint32_t fwd_cnt;                /* of them, written to the host program */
	uint32_t fwd_cnt_adv;            /* fwd_cnt the guest last heard from us */
	/* host to guest */
	uint8_t h2g[VD_H2G_BUF];
	size_t h2g_off, h2g_len;
	uint32_t tx_cnt;                 /* RW bytes sent to the guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t peer_shut;              /* SHUTDOWN bits the guest sent */
	uint32_t our_shut;               /* SHUTDOWN bits we sent */
	bool uds_eof;                    /* the host program shut its sending side */
	bool uds_wr_shut;                /* we shut the host program's receiving side */
	bool uds_rd_shut;                /* we shut our receiving side (the guest's SHUTDOWN
					  * RCV): the host program's sends fail */
	bool uds_closed;                 /* the host program closed its socket (POLLHUP) */
};

#define VD_MAX_CONNS 1024
#define VD_CTRLQ     256             /* replies without a connection (RST) held for rx */

struct vd_ctrl {
	struct vsk_virtio_hdr h;
};

struct vd {
	/* options */
	const char *sock_path, *uds_path, *capture_path;
	const char *relay_path;          /* --relay: no connection layer, packets to a client */
	uint64_t cid;
	bool check;
	bool connect;                    /* --connect: QEMU listens (server=on), we connect */
	bool persist;                    /* --persist: the next front end after one leaves */
	uint64_t mutations;              /* --mutate: bits (1ULL << VD_MUT_x) */
	int verbose;

	int listen_fd;                   /* vhost-user socket we listen on (-1 with --connect) */
	int vu_fd;                       /* QEMU's connection, -1 before/after */
	int uds_fd;                      /* hybrid listener at uds_path */
	bool quit;

	uint64_t features;               /* acked by SET_FEATURES */
	uint64_t proto_features;
	struct vd_mem mem;
	struct vd_vq vq[2];              /* VSK_VQ_RX, VSK_VQ_TX; QEMU keeps the event queue */

	struct vd_conn *conn[VD_MAX_CONNS];
	unsigned nconn, rr;
	struct vd_ctrl ctrlq[VD_CTRLQ];
	unsigned ctrl_head, ctrl_len;
	uint32_t next_port;

	struct vd_capture *cap;
	struct vd_relay *relay;          /* --relay, else NULL */
	uint64_t tx_pkts, rx_pkts, dropped, violations;
};

/* main.c: one "vsockdev: ..." line on stderr when level <= the -v count (0: always). */
void vd_log(const struct vd *vd, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t vd_now_ms(void);

/* ---- vhostuser.c ---- */
/* Reads and handles one message from QEMU.  0 ok, -1 the connection is gone or broken
 * (the caller closes it). */
int vd_vu_handle(struct vd *vd);
/* Closes QEMU's connection and forgets the rings and memory. */
void vd_vu_close(struct vd *vd);

/* ---- device.c ---- */
/* Re-evaluates queue q after a vhost-user change (address, kick, enable, memory). */
void vd_dev_queue_update(struct vd *vd, unsigned q);
/* Stops queue q (GET_VRING_BASE): returns the next avail index to process. */
uint16_t vd_dev_queue_stop(struct vd *vd, unsigned q);
/* A kick on queue q arrived (its eventfd is readable). */
void vd_dev_kick(struct vd *vd, unsigned q);
/* Does all device work there is: tx packets, rx packets, interrupts. */
void vd_dev_run(struct vd *vd);
/* Resets every connection (device stop, shutdown). */
void vd_dev_reset_all(struct vd *vd);
/* Milliseconds until the next connection timer, or -1. */
int vd_dev_next_timer(struct vd *vd);
void vd_dev_timers(struct vd *vd);
/* Connections: a new one (NULL: table full), found by ports, freed (closes the fd). */
struct vd_conn *vd_conn_new(struct vd *vd, uint32_t local_port, uint32_t peer_port);
struct vd_conn *vd_conn_find(struct vd *vd, uint32_t local_port, uint32_t peer_port);
void vd_conn_free(struct vd *vd, struct vd_conn *c);
/* The connection's state changed (bytes moved, EOF...): queue what the guest must hear. */
void vd_conn_update(struct vd *vd, struct vd_conn *c);
/* Abort: RST to the guest (if it knows the connection), close the UNIX socket. */
void vd_conn_reset(struct vd *vd, struct vd_conn *c, const char *why);

/* ---- hybrid.c ---- */
int vd_hybrid_listen(struct vd *vd);
/* A host program connected to uds_path. */
void vd_hybrid_accept(struct vd *vd);
/* poll events wanted for a connection's UNIX socket (0: leave it out of poll). */
short vd_conn_events(const struct vd_conn *c);
/* The connection's UNIX socket is ready (revents). */
void vd_conn_io(struct vd *vd, struct vd_conn *c, short revents);
/* The guest's REQUEST h: dial UDSPATH_<dst_port>; 0 with a new connection that owes the
 * guest a RESPONSE, -1 if nobody listens there (the caller answers RST). */
int vd_hybrid_dial(struct vd *vd, const struct vsk_virtio_hdr *h);
/* The guest accepted a host-initiated connection: "OK <host port>\n" to the program.
 * 0, or -1 with the connection reset. */
int vd_hybrid_ok(struct vd *vd, struct vd_conn *c);

/* ---- mutate.c ---- */
/* Adds the comma-separated mutation names of list to vd->mutations: 0, or -1 with err
 * (an unknown name, or one vsockdev does not have). */
int vd_mutate_parse(struct vd *vd, const uint8_t *list, size_t len, char *err, size_t errlen);
/* The names vsockdev has, one a line (--list-mutations). */
void vd_mutate_list(FILE *f);
/* Mutation ID switched on? */
#define vd_mut(vd, ID) (((vd)->mutations >> VD_MUT_##ID) & 1)

/* ---- relay.c (--relay) ---- */
int vd_relay_listen(struct vd *vd);
int vd_relay_listen_fd(const struct vd *vd);
/* A client connected at relay_path: it replaces the one before. */
void vd_relay_accept(struct vd *vd);
/* The client's socket (-1: none) and the poll events it wants (0: leave it out). */
int vd_relay_fd(const struct vd *vd);
short vd_relay_events(const struct vd *vd);
void vd_relay_io(struct vd *vd, short revents);
/* Room for more guest packets to the client (else tx waits). */
bool vd_relay_tx_room(const struct vd *vd);
/* One packet the guest put on tx: its 44 header bytes as on the ring, its payload. */
void vd_relay_from_guest(struct vd *vd, const uint8_t *hdr, const uint8_t *payload,
			 size_t plen);
/* The client's next packet for rx (header and payload, len bytes), or NULL. */
const uint8_t *vd_relay_next(const struct vd *vd, size_t *len);
/* It went into an rx buffer of wlen writable bytes, written of its bytes (rx_short if
 * cut). */
void vd_relay_placed(struct vd *vd, uint64_t wlen, size_t written);
/* A packet waits and the rx queue has no buffer (rx_wait, once per stall). */
void vd_relay_starved(struct vd *vd);
/* The device stopped: waiting packets dropped, reset to the client. */
void vd_relay_reset(struct vd *vd);
void vd_relay_close(struct vd *vd);

/* ---- capture.c ---- */
int vd_capture_open(struct vd *vd);
/* One packet vsockdev carried; payload plen bytes. */
void vd_capture_packet(struct vd *vd, const struct vsk_virtio_hdr *h, const uint8_t *payload,
		       size_t plen);
void vd_capture_close(struct vd *vd);

#endif
