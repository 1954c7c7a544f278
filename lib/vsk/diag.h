/* diag.h - vsock_diag: the dump request vsockss sends over NETLINK_SOCK_DIAG and the
 * parser of the replies (include/uapi/linux/vm_sockets_diag.h, net/vmw_vsock/diag.c).
 * Netlink data is in host byte order; the parser reads it through bounds checks, never
 * by casting the bytes to a struct. */
#ifndef VSK_DIAG_H
#define VSK_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One socket, as struct vsock_diag_msg reports it.  Field names are the uapi ones
 * without the vdiag_ prefix; cookie is vdiag_cookie[0] | vdiag_cookie[1] << 32. */
struct vsk_diag_sock {
	uint8_t family;   /* always VSK_AF_VSOCK once parsed */
	uint8_t type;     /* SOCK_* (enum vsk_sock_type); unknown values are kept */
	uint8_t state;    /* sk_state, TCP_* numbering (enum vsk_sock_state) */
	uint8_t shutdown; /* sk_shutdown bits VSK_SK_RCV_SHUTDOWN | VSK_SK_SEND_SHUTDOWN */
	uint32_t src_cid, src_port, dst_cid, dst_port;
	uint32_t ino;
	uint64_t cookie;
};

/* Return codes beyond those of vsk/error.h (vsk_diag_strerror() names them all). */
enum vsk_diag_err {
	VSK_DIAG_E_SHORT = -100,   /* payload shorter than the 32-byte vsock_diag_msg */
	VSK_DIAG_E_FAMILY = -101,  /* vdiag_family is not AF_VSOCK */
	VSK_DIAG_E_NLMSG = -102,   /* netlink header cut short or nlmsg_len out of bounds */
	VSK_DIAG_E_NLTYPE = -103,  /* netlink message of a type a vsock dump never sends */
	VSK_DIAG_E_KERNEL = -104,  /* the kernel answered NLMSG_ERROR (errno in *kerr) */
};

/* Every state bit the dump can ask for (vdiag_states is a bitmap of 1 << sk_state). */
#define VSK_DIAG_STATES_ALL 0xffffffffu

/* Parses one vsock_diag_msg (the payload of one SOCK_DIAG_BY_FAMILY reply message) from
 * p[0..len).  Bytes after the 32-byte struct are ignored (the kernel sends none today).
 * Returns 0, VSK_DIAG_E_SHORT or VSK_DIAG_E_FAMILY; *s is filled in every case (zeros
 * for missing bytes). */
int vsk_diag_parse(const uint8_t *p, size_t len, struct vsk_diag_sock *s);

/* Writes the 24-byte struct vsock_diag_req asking for the sockets whose state bit is
 * set in `states` into out[0..cap).  Returns the length written, or 0 if cap is too
 * small.  The netlink header (SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP) is the
 * caller's: libnl's nlmsg_alloc_simple() makes it. */
size_t vsk_diag_req_build(uint8_t *out, size_t cap, uint32_t states);

/* Called once per socket by vsk_diag_walk(); a nonzero return stops the walk and is
 * returned by it. */
typedef int (*vsk_diag_fn)(const struct vsk_diag_sock *s, void *arg);

/* Walks one netlink datagram p[0..len) of a dump reply: every SOCK_DIAG_BY_FAMILY
 * message is parsed and handed to fn.  NLMSG_DONE sets *done and ends the walk;
 * NLMSG_ERROR stores the kernel's positive errno in *kerr and returns
 * VSK_DIAG_E_KERNEL (an error of 0, an acknowledgement, is skipped).  Returns 0 when
 * every message was good, fn's nonzero return, or the first error.  kerr and done may
 * be NULL. */
int vsk_diag_walk(const uint8_t *p, size_t len, vsk_diag_fn fn, void *arg, int *kerr,
		  bool *done);

/* A static English string for any code above or of vsk/error.h (never NULL). */
const char *vsk_diag_strerror(int code);

#endif
