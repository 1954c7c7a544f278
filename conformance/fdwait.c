/* fdwait.c - bounded waits on file descriptors (fdwait.h). */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "fdwait.h"

int64_t cf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cf_left_ms(int64_t deadline)
{
	int64_t l = deadline - cf_now_ms();

	return l < 0 ? 0 : l > INT32_MAX ? INT32_MAX : (int)l;
}

void cf_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int poll_until(struct pollfd *p, unsigned n, int64_t deadline)
{
	for (;;) {
		int r = poll(p, n, cf_left_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : r;
	}
}

int cf_wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll_until(&p, 1, deadline);

	if (n < 0)
		return n;
	return n ? p.revents : 0;
}

int cf_wait_eventfds(const int *fds, unsigned n, int64_t deadline)
{
	struct pollfd p[8];
	int r, got = 0;

	if (n > 8)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
		p[i].revents = 0;
	}
	r = poll_until(p, n, deadline);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		uint64_t cnt;

		if ((p[i].revents & POLLIN) && read(fds[i], &cnt, sizeof(cnt)) > 0)
			got = 1;
	}
	return got;
}

int cf_accept_within(int lfd, int64_t deadline)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), r;

		if (fd >= 0)
			return fd;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		r = cf_wait_fd(lfd, POLLIN, deadline);
		if (r < 0)
			return r;
		if (r == 0)
			return -ETIMEDOUT;
	}
}

ssize_t cf_recvmsg_within(int fd, struct msghdr *m, int64_t deadline)
{
	for (;;) {
		ssize_t n;
		int r;

		m->msg_flags = 0;
		n = recvmsg(fd, m, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		r = cf_wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return r;
		if (r == 0)
			return -ETIMEDOUT;
	}
}
