/* unixsock.h - a UNIX socket connected to, or listening at, a path: how vsockdev and the
 * conformance suite open the vhost-user socket, hybrid vsock's PATH and PATH_<port>
 * (vsk_hybrid_port_path in hybrid.h names those) and vsockdev --relay's socket.
 * Like all of libvsk these never print or exit; unlike the decoders they return a
 * negative errno, since every failure here is the kernel's answer. */
#ifndef VSK_UNIXSOCK_H
#define VSK_UNIXSOCK_H

#include <sys/un.h>

/* Bytes of sun_path, the NUL included: the longest path is one less. */
#define VSK_UNIX_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/*
 * type: SOCK_STREAM or SOCK_SEQPACKET, optionally with SOCK_NONBLOCK; SOCK_CLOEXEC is
 * always added.  The caller owns the returned fd.
 */

/*
 * A socket of type connected to path.  A UNIX connect completes at once or fails, even
 * non-blocking.  Returns the fd, or -errno: -ENAMETOOLONG (path does not fit sun_path),
 * -ENOENT or -ECONNREFUSED (nobody listens there), -EAGAIN (non-blocking and the
 * listener's backlog is full), -EPROTOTYPE (the listener is of the other type).
 */
int vsk_unix_connect(const char *path, int type);

/*
 * A socket of type bound to path and listening with backlog.  A socket file already at
 * path (an earlier run's) is unlinked first; any other file is left alone and the bind
 * fails (-EADDRINUSE).  Returns the fd, or -errno (-ENAMETOOLONG as above).  The caller
 * unlinks path when done.
 */
int vsk_unix_listen(const char *path, int type, int backlog);

#endif
