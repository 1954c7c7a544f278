/* fdwait.h - bounded waits on file descriptors for the targets that talk to a device
 * through fds (target-vhost.c, target-vhostuser.c, target-guest.c) and the hybrid
 * harness: a monotonic clock in milliseconds and poll-based waits that never block past
 * a deadline.  Conventions as in target.h: a
 * negative errno on failure, -ETIMEDOUT when the deadline passed. */
#ifndef CF_FDWAIT_H
#define CF_FDWAIT_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t cf_now_ms(void);
/* Milliseconds left until deadline (>= 0). */
int cf_left_ms(int64_t deadline);
/* Closes *fd if open and sets it to -1. */
void cf_close_fd(int *fd);
/* Polls fd for events until deadline: revents, 0 on timeout, -errno. */
int cf_wait_fd(int fd, short events, int64_t deadline);
/* Waits until one of the n eventfds (a device's call notifiers) is signalled or the
 * deadline passes, and drains those signalled: 1 signalled, 0 timeout, -errno. */
int cf_wait_eventfds(const int *fds, unsigned n, int64_t deadline);
/* accept4 (non-blocking, close-on-exec) on listener lfd within deadline: the new fd,
 * -ETIMEDOUT or -errno. */
int cf_accept_within(int lfd, int64_t deadline);
/* recvmsg(fd, m, MSG_DONTWAIT), waiting until deadline for something to read: bytes
 * (0 at end of file), -ETIMEDOUT or -errno. */
ssize_t cf_recvmsg_within(int fd, struct msghdr *m, int64_t deadline);

#endif
