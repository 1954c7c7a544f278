/* unixsock.c - UNIX socket connect and listen at a path (see lib/vsk/unixsock.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsk/unixsock.h"

/* A socket of type and its address path: the fd, or -errno. */
static int unix_socket(const char *path, int type, struct sockaddr_un *a)
{
	size_t n = strlen(path);
	int s;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (n >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, path, n + 1);
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	return s < 0 ? -errno : s;
}

/* Closes s keeping errno's value: -errno. */
static int fail(int s)
{
	int e = errno;

	close(s);
	return -e;
}

int vsk_unix_connect(const char *path, int type)
{
	struct sockaddr_un a;
	int s = unix_socket(path, type, &a);

	if (s < 0)
		return s;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail(s);
	return s;
}

int vsk_unix_listen(const char *path, int type, int backlog)
{
	struct sockaddr_un a;
	struct stat st;
	int s = unix_socket(path, type, &a);

	if (s < 0)
		return s;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, backlog) < 0)
		return fail(s);
	return s;
}
