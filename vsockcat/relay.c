/* relay.c - moving bytes between stdio (or a program) and the socket.  The stream relay
 * is OpenBSD nc's readwrite(): four poll slots, two buffers, and explicit half-close:
 * stdin EOF becomes shutdown(SHUT_WR) (the peer sees SHUTDOWN with F_SEND, Socket
 * Device: Stream Sockets) and reading goes on until the peer closes its side. */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vsockcat.h"

#define POLL_STDIN  0
#define POLL_NETOUT 1
#define POLL_NETIN  2
#define POLL_STDOUT 3

/* Read and write size of the relay: as much as a grown pipe holds (see grow_pipe). */
#define IOBUF (1 << 20)

/* A relay buffer: bytes [off, off + len) of p are waiting to be written.  Taking bytes
 * out moves off, not the bytes: a partial send of a 1 MiB read costs nothing (a memmove
 * of the rest per partial send was measurable under emulation). */
struct buf {
	uint8_t *p;
	size_t off, len;
};

static void buf_init(struct buf *b, size_t cap)
{
	b->p = malloc(cap);
	b->off = b->len = 0;
	if (!b->p)
		err(1, "malloc");
}

static void buf_drop(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* Room to read into: only at the end, once the buffer has drained to its start. */
static size_t buf_room(const struct buf *b)
{
	return b->off == 0 ? IOBUF - b->len : 0;
}

static int idle_ms(const struct opts *o)
{
	return o->idle > 0 ? (int)(o->idle * 1000) : -1;
}

/* A pipe on stdin or stdout grows to 1 MiB (the unprivileged limit, fs.pipe-max-size):
 * the program on its other end then blocks, and wakes us, 16 times less often than with
 * the 64 KiB default.  Failure is harmless: the pipe keeps its size. */
static void grow_pipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, IOBUF);
}

/* stdin a regular file: sent from the page cache through a mapped window instead of
 * read() into a buffer, one copy less per byte (the send copies from the mapping).  The
 * window is prefaulted in one call (MAP_POPULATE): a fault per page is what emulated
 * machines pay most for.  The file is looked at again at each window, so a file that
 * grows is followed up to its size at that moment, as read() would; one truncated under
 * us raises SIGBUS, as it would for cat(1) with mmap. */
#define MAPWIN (4u << 20)

struct filesrc {
	bool on;
	off_t pos;               /* file offset of the next window */
	uint8_t *map;
	size_t maplen;
};

static void filesrc_open(struct filesrc *f, int fd)
{
	struct stat st;

	f->map = NULL;
	f->on = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		(f->pos = lseek(fd, 0, SEEK_CUR)) >= 0;
}

/* Mapping is not possible: read() from the same offset from now on. */
static int filesrc_fail(struct filesrc *f, int fd, struct buf *b)
{
	f->on = false;
	b->len = b->off = 0;
	if (lseek(fd, f->pos, SEEK_SET) < 0)
		err(1, "lseek stdin");
	return -1;
}

/* Points b at the next window: 1, 0 at end of file, -1 if mapping failed (f->on is then
 * off and the caller reads instead, from the same offset). */
static int filesrc_next(struct filesrc *f, int fd, struct buf *b)
{
	struct stat st;
	off_t page = (off_t)sysconf(_SC_PAGESIZE), start, delta;

	if (f->map)
		munmap(f->map, f->maplen);
	f->map = NULL;
	if (fstat(fd, &st) < 0)
		return filesrc_fail(f, fd, b);
	if (st.st_size <= f->pos)
		return 0;
	start = f->pos - f->pos % page;
	delta = f->pos - start;
	b->len = st.st_size - f->pos < (off_t)MAPWIN ? (size_t)(st.st_size - f->pos) : MAPWIN;
	f->maplen = (size_t)delta + b->len;
	f->map = mmap(NULL, f->maplen, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, start);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return filesrc_fail(f, fd, b);
	}
	b->p = f->map;
	b->off = (size_t)delta;
	f->pos += (off_t)b->len;
	return 1;
}

static bool soft(int e)
{
	return e == EINTR || e == EAGAIN || e == EWOULDBLOCK;
}

int relay_stream(const struct opts *o, int s, int in, int out)
{
	struct pollfd pfd[4];
	struct buf sb, nb;          /* stdin -> net, net -> stdout */
	bool in_eof = o->recv_only; /* nothing more will come from stdin */
	bool net_eof = false;       /* the peer shut its sending side */
	bool net_out_dead = false;  /* the peer can take no more data */
	bool out_dead = false;      /* stdout is gone: discard what the peer sends */
	bool shut = false;          /* our SHUT_WR is done (or not wanted) */
	int status = 0;
	struct filesrc fsrc = { 0 };
	uint8_t *heap;

	buf_init(&sb, IOBUF);
	buf_init(&nb, IOBUF);
	heap = sb.p;
	if (!o->recv_only)
		filesrc_open(&fsrc, in);
	if (!o->recv_only)
		grow_pipe(in);
	if (!o->send_only)
		grow_pipe(out);
	if (fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) < 0)
		err(1, "fcntl");
	for (;;) {
		if ((in_eof || net_out_dead) && sb.len == 0 && !shut) {
			if (!o->no_shutdown && !net_out_dead && shutdown(s, SHUT_WR) < 0 &&
			    errno != ENOTCONN)
				err(1, "shutdown");
			shut = true;
		}
		if (net_eof && nb.len == 0 && out >= 0) {
			/* the peer is done: pass the EOF on (a program on -e sees it) */
			if (out != STDOUT_FILENO)
				close(out);
			out = -1;
		}
		if (net_eof && nb.len == 0 && shut)
			break;
		if (net_out_dead && net_eof && nb.len == 0)
			break;

		if (fsrc.on && !in_eof && !net_out_dead && sb.len == 0) {
			int r = filesrc_next(&fsrc, in, &sb);

			if (r == 0)
				in_eof = true;
			if (r < 0)
				sb.p = heap;
			if (r != 1)
				continue;
		}
		pfd[POLL_STDIN].fd = !fsrc.on && !in_eof && !net_out_dead && buf_room(&sb) ? in : -1;
		pfd[POLL_STDIN].events = POLLIN;
		pfd[POLL_NETOUT].fd = sb.len > 0 && !net_out_dead ? s : -1;
		pfd[POLL_NETOUT].events = POLLOUT;
		pfd[POLL_NETIN].fd = !net_eof && buf_room(&nb) ? s : -1;
		pfd[POLL_NETIN].events = POLLIN;
		pfd[POLL_STDOUT].fd = nb.len > 0 && out >= 0 ? out : -1;
		pfd[POLL_STDOUT].events = POLLOUT;

		int n = poll(pfd, 4, idle_ms(o));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (n == 0) {
			if (o->verbose)
				warnx("idle for %g s, closing", o->idle);
			break;
		}
		if (pfd[POLL_STDIN].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(in, sb.p + sb.len, buf_room(&sb));

			if (r > 0) {
				sb.len += (size_t)r;
				/* the socket is non-blocking: try it now rather than after a poll */
				pfd[POLL_NETOUT].revents |= net_out_dead ? 0 : POLLOUT;
			}
			else if (r == 0)
				in_eof = true;
			else if (!soft(errno))
				err(1, "read stdin");
		}
		if (pfd[POLL_NETOUT].revents & (POLLOUT | POLLHUP | POLLERR)) {
			ssize_t r = send(s, sb.p + sb.off, sb.len, MSG_NOSIGNAL);

			if (r > 0) {
				buf_drop(&sb, (size_t)r);
			} else if (r < 0 && !soft(errno)) {
				/* the peer closed or reset: what is left cannot be delivered */
				if (errno != EPIPE && errno != ECONNRESET)
					err(1, "send");
				if (sb.len || !in_eof) {
					warnx("peer closed: %zu bytes not sent", sb.len);
					status = 1;
				}
				sb.len = sb.off = 0;
				net_out_dead = true;
			}
		}
		if (pfd[POLL_NETIN].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(s, nb.p + nb.len, buf_room(&nb), 0);

			if (r > 0) {
				if (o->send_only || out_dead)
					; /* discarded */
				else
					nb.len += (size_t)r;
				if (nb.len && out >= 0)
					pfd[POLL_STDOUT].revents |= POLLOUT;
			} else if (r == 0) {
				net_eof = true;
				/* both directions shut by the peer (POLLHUP): it takes nothing more */
				if (pfd[POLL_NETIN].revents & POLLHUP)
					net_out_dead = true;
			} else if (errno == ECONNRESET || errno == EPIPE) {
				net_eof = net_out_dead = true;
			} else if (!soft(errno)) {
				err(1, "recv");
			}
		}
		if (pfd[POLL_STDOUT].revents & (POLLOUT | POLLHUP | POLLERR)) {
			ssize_t r = write(out, nb.p + nb.off, nb.len);

			if (r > 0) {
				buf_drop(&nb, (size_t)r);
			} else if (r < 0 && !soft(errno)) {
				if (errno != EPIPE)
					err(1, "write stdout");
				/* the reader went away: stop taking data from the peer */
				nb.len = nb.off = 0;
				out_dead = true;
				shutdown(s, SHUT_RD);
			}
		}
	}
	if (fsrc.on) {
		if (fsrc.map)
			munmap(fsrc.map, fsrc.maplen);
		/* leave stdin's offset after what was sent, as read() would have */
		(void)lseek(in, fsrc.pos - (off_t)sb.len, SEEK_SET);
	}
	free(heap);
	free(nb.p);
	close(s);
	return status;
}

/* ---- SOCK_SEQPACKET: one message per line, per --record-size read, or per frame ---- */

static void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0) {
		ssize_t r = write(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			err(1, "write");
		c += r;
		n -= (size_t)r;
	}
}

/* Sends one message; false if the peer can take no more (closed or reset). */
static bool send_msg(const struct opts *o, int s, const uint8_t *p, size_t n)
{
	/* An empty message never reaches the peer over vsock (sent as 0 bytes, nothing
	 * arrives: observed on 6.12 loopback), so empty lines are not sent at all. */
	if (n == 0)
		return true;
	for (;;) {
		ssize_t r = send(s, p, n, MSG_NOSIGNAL | (o->eor ? MSG_EOR : 0));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EPIPE || errno == ECONNRESET))
			return false;
		if (r < 0)
			err(1, "send message of %zu bytes", n);
		if ((size_t)r != n)
			errx(1, "send: message of %zu bytes cut to %zd", n, r);
		return true;
	}
}

/* Splits what stdin gave into messages; returns the bytes consumed, or SIZE_MAX if
 * the peer went away (what is left cannot be delivered). */
static size_t take_messages(const struct opts *o, int s, const uint8_t *p, size_t n, bool eof)
{
	size_t used = 0;

	if (o->record_size) {
		while (n - used >= o->record_size || (eof && n > used)) {
			size_t k = n - used < o->record_size ? n - used : o->record_size;

			if (!send_msg(o, s, p + used, k))
				return SIZE_MAX;
			used += k;
		}
	} else if (o->framing == FRAMING_LEN) {
		while (n - used >= 4) {
			uint32_t len;

			memcpy(&len, p + used, 4);
			len = ntohl(len);
			if (len > (16u << 20))
				errx(1, "stdin: frame of %u bytes (more than 16 MiB)", len);
			if (n - used - 4 < len)
				break;
			if (!send_msg(o, s, p + used + 4, len))
				return SIZE_MAX;
			used += 4 + len;
		}
		if (eof && used < n)
			errx(1, "stdin: %zu bytes of an unfinished frame at EOF", n - used);
	} else {
		for (;;) {
			const uint8_t *nl = memchr(p + used, '\n', n - used);

			if (!nl)
				break;
			if (!send_msg(o, s, p + used, (size_t)(nl - (p + used))))
				return SIZE_MAX;
			used = (size_t)(nl - p) + 1;
		}
		if (eof && used < n) {
			if (!send_msg(o, s, p + used, n - used))
				return SIZE_MAX;
			used = n;
		}
	}
	return used;
}

int relay_seqpacket(const struct opts *o, int s, int in, int out)
{
	size_t cap = (16u << 20) + 4, len = 0;
	size_t rcap = o->buffer_size > (64u << 10) ? (size_t)o->buffer_size : (64u << 10);
	uint8_t *ib = malloc(cap), *rb = malloc(rcap + 4);
	bool in_eof = o->recv_only, net_eof = false, shut = false;
	int status = 0;

	if (!ib || !rb)
		err(1, "malloc");
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = in_eof ? -1 : in, .events = POLLIN },
			{ .fd = net_eof ? -1 : s, .events = POLLIN },
		};

		if (in_eof && !shut) {
			if (!o->no_shutdown && shutdown(s, SHUT_WR) < 0 && errno != ENOTCONN)
				err(1, "shutdown");
			shut = true;
		}
		/* done when both directions are: the peer's EOF alone does not stop sending */
		if (net_eof && in_eof)
			break;
		int n = poll(pfd, 2, idle_ms(o));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(1, "poll");
		if (n == 0) {
			if (o->verbose)
				warnx("idle for %g s, closing", o->idle);
			break;
		}
		if (pfd[0].revents) {
			size_t want = o->record_size ? o->record_size - len % o->record_size : cap - len;
			ssize_t r = read(in, ib + len, want);

			if (r < 0 && !soft(errno))
				err(1, "read stdin");
			if (r == 0)
				in_eof = true;
			if (r > 0)
				len += (size_t)r;
			if (len == cap && !o->record_size && o->framing == FRAMING_LINE)
				errx(1, "stdin: line longer than %zu bytes", cap);
			size_t used = take_messages(o, s, ib, len, in_eof);

			if (used == SIZE_MAX) {
				warnx("peer closed: messages not sent");
				status = 1;
				in_eof = shut = true;
				len = 0;
			} else {
				memmove(ib, ib + used, len - used);
				len -= used;
			}
		}
		if (pfd[1].revents) {
			struct iovec iov = { .iov_base = rb + 4, .iov_len = rcap };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
			ssize_t r = recvmsg(s, &mh, 0);

			if (r < 0 && (errno == ECONNRESET || errno == EPIPE))
				r = 0;
			if (r < 0 && !soft(errno))
				err(1, "recv");
			if (r == 0) {
				net_eof = true;
			} else if (r > 0 && !o->send_only) {
				if (mh.msg_flags & MSG_TRUNC)
					warnx("message longer than %zu bytes truncated", rcap);
				if (o->framing == FRAMING_LEN) {
					uint32_t be = htonl((uint32_t)r);

					memcpy(rb, &be, 4);
					write_all(out, rb, (size_t)r + 4);
				} else {
					rb[4 + r] = '\n';
					write_all(out, rb + 4, (size_t)r + 1);
				}
			}
		}
	}
	free(ib);
	free(rb);
	close(s);
	return status;
}

/* ---- -e / -c ---- */

int relay_exec(const struct opts *o, int s)
{
	uint32_t lc = 0, lp = 0, pc = 0, pp = 0;
	char v[16];
	pid_t pid;
	int st;

	net_names(s, &lc, &lp, &pc, &pp);
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		/* over --uds there is no vsock address: the variables are not set */
		if (!o->uds) {
			snprintf(v, sizeof(v), "%u", pc);
			setenv("VSOCK_PEER_CID", v, 1);
			snprintf(v, sizeof(v), "%u", pp);
			setenv("VSOCK_PEER_PORT", v, 1);
			snprintf(v, sizeof(v), "%u", lc);
			setenv("VSOCK_LOCAL_CID", v, 1);
			snprintf(v, sizeof(v), "%u", lp);
			setenv("VSOCK_LOCAL_PORT", v, 1);
		}
		if (dup2(s, STDIN_FILENO) < 0 || dup2(s, STDOUT_FILENO) < 0)
			err(1, "dup2");
		if (s > STDOUT_FILENO)
			close(s);
		if (o->shell) {
			execl("/bin/sh", "sh", "-c", o->shell, (char *)NULL);
			err(126, "/bin/sh");
		}
		execlp(o->exec, o->exec, (char *)NULL);
		err(127, "%s", o->exec);
	}
	close(s);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	if (WIFEXITED(st))
		return WEXITSTATUS(st) ? 1 : 0;
	return 1;
}

/* ---- --bench ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const struct opts *o, const char *verb, unsigned long long bytes, double t)
{
	double mib = (double)bytes / (1 << 20) / t;

	printf("%s %llu bytes in %.3f s: %.1f MiB/s, %.2f Gbit/s (buffer %llu, message %zu)\n",
	       verb, bytes, t, mib, (double)bytes * 8 / 1e9 / t, o->buffer_size, o->msg_size);
	fflush(stdout);
}

/* Sends --bytes in --msg-size writes, half-closes, and waits for the receiver to close:
 * the time covers delivery, not just the copy into the socket buffer. */
int bench_send(const struct opts *o, int s)
{
	uint8_t *p = calloc(1, o->msg_size), tmp[64];
	unsigned long long left = o->bench_bytes;
	double t0 = now();

	if (!p)
		err(1, "calloc");
	while (left > 0) {
		size_t k = left < o->msg_size ? (size_t)left : o->msg_size;
		ssize_t r = send(s, p, k, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			err(1, "bench: send");
		left -= (unsigned long long)r;
	}
	if (shutdown(s, SHUT_WR) < 0)
		err(1, "bench: shutdown");
	while (recv(s, tmp, sizeof(tmp), 0) > 0)
		;
	report(o, "sent", o->bench_bytes, now() - t0);
	free(p);
	close(s);
	return 0;
}

int bench_recv(const struct opts *o, int s)
{
	size_t cap = o->msg_size > IOBUF ? o->msg_size : IOBUF;
	uint8_t *p = malloc(cap);
	unsigned long long got = 0;
	double t0 = now();

	if (!p)
		err(1, "malloc");
	for (;;) {
		ssize_t r = recv(s, p, cap, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err(1, "bench: recv");
		if (r == 0)
			break;
		got += (unsigned long long)r;
	}
	report(o, "received", got, now() - t0);
	free(p);
	close(s);
	return 0;
}
