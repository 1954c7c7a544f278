/* vsockcat.h - what the files of vsockcat share: the options, parsed once in main.c. */
#ifndef VSOCKCAT_H
#define VSOCKCAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>

/* Exit statuses (man/vsockcat.1, EXIT STATUS). */
#define EXIT_USAGE    2
#define EXIT_TIMEDOUT 3

struct cid_range {
	uint32_t lo, hi;
};

struct cid_list {
	struct cid_range *v;
	size_t n;
};

enum framing { FRAMING_LINE, FRAMING_LEN };

struct opts {
	bool listen;            /* -l: accept instead of connect */
	bool keep;              /* -k: keep listening after a client leaves */
	bool verbose;           /* -v: addresses and local CID on stderr */
	bool zero;              /* -z: scan, no data */
	bool bench;             /* --bench: throughput mode */
	bool to_host;           /* --to-host: VMADDR_FLAG_TO_HOST */
	bool send_only;         /* --send-only: nothing from the peer is written out */
	bool recv_only;         /* --recv-only: stdin is not read */
	bool no_shutdown;       /* --no-shutdown: stdin EOF does not shutdown(SHUT_WR) */
	bool seqpacket;         /* --seqpacket: SOCK_SEQPACKET */
	bool eor;               /* --eor: MSG_EOR on every message */
	bool cid_set, src_cid_set, src_port_set, buffer_set;
	uint32_t cid;           /* peer CID (connect), local CID to bind (listen) */
	uint32_t port, port_hi; /* port; port_hi > port only for -z ranges */
	uint32_t src_cid;       /* -s */
	uint32_t src_port;      /* --source-port */
	double wait;            /* -w: connect timeout in seconds, 0 = the kernel's 2 s */
	double idle;            /* -i: idle timeout in seconds, 0 = none */
	const char *exec;       /* -e: program run without a shell */
	const char *shell;      /* -c: command run by /bin/sh -c */
	const char *uds;        /* --uds: hybrid vsock through this UNIX socket */
	unsigned long long buffer_size; /* --buffer-size */
	size_t record_size;     /* --record-size: one message per read of this size */
	enum framing framing;   /* --framing */
	unsigned max_conns;     /* --max-conns: children served at once with -k */
	struct cid_list allow, deny;
	unsigned long long bench_bytes; /* --bytes */
	size_t msg_size;        /* --msg-size: bytes per write in --bench */
};

/* net.c: sockets */
int net_connect(const struct opts *o);             /* connected socket, or exits */
int net_listen(const struct opts *o);              /* listening socket, or exits */
int net_accept(const struct opts *o, int ls, struct sockaddr_vm *peer); /* -1: rejected */
int net_uds_connect(const struct opts *o);
int net_uds_listen(const struct opts *o, char *path, size_t cap);
int net_scan(const struct opts *o);                /* -z; exit status */
void net_set_buffer(const struct opts *o, int s);
void net_names(int s, uint32_t *lcid, uint32_t *lport, uint32_t *pcid, uint32_t *pport);
bool cid_allowed(const struct opts *o, uint32_t cid);

/* relay.c: moving bytes */
/* Relays between (in, out) and the socket until both directions are done.
 * Returns the exit status. */
int relay_stream(const struct opts *o, int s, int in, int out);
int relay_seqpacket(const struct opts *o, int s, int in, int out);
/* -e / -c: runs the program on the socket, with VSOCK_* in its environment; waits. */
int relay_exec(const struct opts *o, int s);
int bench_send(const struct opts *o, int s);
int bench_recv(const struct opts *o, int s);

#endif
