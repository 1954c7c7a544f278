/* test-unixsock.c - UNIX socket connect and listen at a path (lib/unixsock.c) and the
 * PATH_<port> names of hybrid vsock (lib/hybrid.c), in a fresh temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "vsk/hybrid.h"
#include "vsk/unixsock.h"

int main(void)
{
	char dir[] = "/tmp/test-unixsock.XXXXXX", path[VSK_UNIX_PATH_MAX], file[160];
	char longp[VSK_UNIX_PATH_MAX + 8], small[8];
	struct stat st;
	int l, c, a, fd, type = 0;
	socklen_t tl = sizeof(type);

	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	tap_ok(vsk_hybrid_port_path(path, sizeof(path), dir, 5100) == 0 &&
	       strcmp(path + strlen(dir), "_5100") == 0, "port path is PATH_5100");
	tap_ok(vsk_hybrid_port_path(small, sizeof(small), "/tmp/x", 5100) == -ENAMETOOLONG,
	       "port path longer than its buffer: -ENAMETOOLONG");
	tap_ok(vsk_unix_connect(path, SOCK_STREAM) == -ENOENT, "connect to nothing: -ENOENT");

	l = vsk_unix_listen(path, SOCK_STREAM | SOCK_NONBLOCK, 4);
	tap_ok(l >= 0 && (fcntl(l, F_GETFD) & FD_CLOEXEC) && (fcntl(l, F_GETFL) & O_NONBLOCK),
	       "listen: fd, close-on-exec, non-blocking");
	c = vsk_unix_connect(path, SOCK_STREAM);
	a = l >= 0 ? accept(l, NULL, NULL) : -1;
	tap_ok(c >= 0 && a >= 0 && write(c, "x", 1) == 1 && read(a, file, 1) == 1 &&
	       file[0] == 'x', "connect: the listener accepts it and a byte passes");
	tap_ok(vsk_unix_connect(path, SOCK_SEQPACKET) == -EPROTOTYPE,
	       "seqpacket connect to a stream listener: -EPROTOTYPE");
	close(a);
	close(c);
	close(l);

	/* the socket file left behind is replaced */
	l = vsk_unix_listen(path, SOCK_SEQPACKET, 4);
	tap_ok(l >= 0 && getsockopt(l, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
	       type == SOCK_SEQPACKET, "listen again at a stale socket: replaced, seqpacket");
	close(l);
	unlink(path);

	/* any other file is not */
	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	close(fd);
	tap_ok(vsk_unix_listen(file, SOCK_STREAM, 1) == -EADDRINUSE &&
	       stat(file, &st) == 0 && S_ISREG(st.st_mode),
	       "listen at a regular file: -EADDRINUSE, the file stays");
	unlink(file);

	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	tap_ok(vsk_unix_listen(longp, SOCK_STREAM, 1) == -ENAMETOOLONG &&
	       vsk_unix_connect(longp, SOCK_STREAM) == -ENAMETOOLONG,
	       "a path longer than sun_path: -ENAMETOOLONG");
	rmdir(dir);
	return tap_done();
}
