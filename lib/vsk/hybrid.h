/* hybrid.h - the hybrid vsock handshake of Firecracker, Cloud Hypervisor and
 * vhost-device-vsock: a host program connects to the VMM's UNIX socket, sends
 * "CONNECT <port>\n" and gets "OK <port>\n" back before the byte stream starts.
 * The keyword is matched ignoring case (Firecracker, vhost-device-vsock); the port is a
 * decimal u32.  The meaning of the number after OK differs: Firecracker and Cloud
 * Hypervisor send the host-side local port, vhost-device-vsock the guest port. */
#ifndef VSK_HYBRID_H
#define VSK_HYBRID_H

#include <stddef.h>
#include <stdint.h>

/* Longest line accepted, newline included.  Firecracker reads into a 32-byte buffer. */
#define VSK_HYBRID_LINE_MAX 32
/* Room for a line as vsk_hybrid_shown writes it. */
#define VSK_HYBRID_SHOWN_MAX (VSK_HYBRID_LINE_MAX + 1)

/*
 * Parses the line at p[0..len) (no NUL needed; bytes after the newline are not looked at).
 * vsk_hybrid_parse_connect expects "CONNECT <port>\n", vsk_hybrid_parse_ok "OK <port>\n";
 * the keyword in any case, one or more spaces or tabs, decimal digits, an optional '\r'.
 * Returns 1 with *port and *used (bytes of the line, newline included) set; 0 if no
 * newline is there yet and more bytes could still make a valid line; VSK_E_SYNTAX if the
 * bytes cannot start a valid line (or the line exceeds VSK_HYBRID_LINE_MAX); VSK_E_RANGE
 * if the port does not fit in 32 bits.  port and used are untouched unless 1 is returned.
 */
int vsk_hybrid_parse_connect(const uint8_t *p, size_t len, uint32_t *port, size_t *used);
int vsk_hybrid_parse_ok(const uint8_t *p, size_t len, uint32_t *port, size_t *used);

/*
 * Writes "CONNECT <port>\n" or "OK <port>\n" (no NUL) to out[0..cap).
 * Returns the number of bytes written, or 0 if cap is too small.
 */
size_t vsk_hybrid_build_connect(uint8_t *out, size_t cap, uint32_t port);
size_t vsk_hybrid_build_ok(uint8_t *out, size_t cap, uint32_t port);

/*
 * A host-side listener for port P is the UNIX socket PATH_P (guest-initiated connections
 * to host port P go there): the path, '_', up to ten digits and the NUL must all fit
 * sun_path.  VSK_HYBRID_PORT_SUFFIX_MAX is the most "_<port>" adds.
 */
#define VSK_HYBRID_PORT_SUFFIX_MAX 11

/* 1 if a UNIX socket path of len bytes (no NUL counted) leaves room for "_<port>" and the
 * NUL in sun_path, else 0. */
int vsk_hybrid_path_fits(size_t len);

/* "path_<port>" into out[0..cap), NUL-terminated.  Returns 0, or -ENAMETOOLONG if it does
 * not fit out or sun_path (out then holds a cut string). */
int vsk_hybrid_port_path(char *out, size_t cap, const char *path, uint32_t port);

/* A received CONNECT or OK line (of at most VSK_HYBRID_LINE_MAX bytes, not NUL-terminated)
 * as text for a one-line message: its bytes up to the newline, or all len when it has
 * none, anything but printable ASCII as '?' (vsk_printable).  Returns out. */
const char *vsk_hybrid_shown(char out[VSK_HYBRID_SHOWN_MAX], const uint8_t *line, size_t len);

#endif
