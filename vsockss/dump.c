/* dump.c - one vsock_diag dump through libnl-3: the request is built by lib/diag.c, each
 * reply message's payload is parsed by it; libnl only moves the bytes. */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <linux/netlink.h>

#include "ss.h"
#include "vsk/proto.h"

struct ctx {
	const struct opts *o;
	struct rows *r;
	FILE *rec;
	int rc;        /* first parse error */
	int kerr;      /* errno of an NLMSG_ERROR */
};

bool row_selected(const struct opts *o, const struct vsk_diag_sock *s)
{
	/* Shifts beyond the bitmap: an unknown state number is kept only with "all". */
	uint32_t sb = s->state < 32 ? 1u << s->state : 0;

	if (!(o->states & sb) && o->states != VSK_DIAG_STATES_ALL)
		return false;
	if (o->types && (s->type >= 32 || !(o->types & (1u << s->type))))
		return false;
	if (o->src.set && ((!o->src.any_cid && o->src.cid != s->src_cid) ||
			   (!o->src.any_port && o->src.port != s->src_port)))
		return false;
	if (o->dst.set && ((!o->dst.any_cid && o->dst.cid != s->dst_cid) ||
			   (!o->dst.any_port && o->dst.port != s->dst_port)))
		return false;
	return true;
}

static int add(const struct vsk_diag_sock *s, void *arg)
{
	struct ctx *c = arg;
	struct rows *r = c->r;

	if (!row_selected(c->o, s))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct row *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			errx(1, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct row){.s = *s};
	return 0;
}

void rows_clear(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].users);
	r->n = 0;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct ctx *c = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct vsk_diag_sock s;
	int rc;

	if (c->rec && fwrite(h, 1, h->nlmsg_len, c->rec) != h->nlmsg_len)
		err(1, "%s", c->o->record_file);
	if (h->nlmsg_type != VSK_SOCK_DIAG_BY_FAMILY) {
		c->rc = VSK_DIAG_E_NLTYPE;
		return NL_STOP;
	}
	rc = vsk_diag_parse(nlmsg_data(h), (size_t)nlmsg_datalen(h), &s);
	if (rc) {
		c->rc = rc;
		return NL_STOP;
	}
	add(&s, c);
	return NL_OK;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct ctx *c = arg;

	(void)who;
	c->kerr = e->error < 0 ? -e->error : e->error;
	return NL_STOP;
}

/* The kernel's errno made into something a user can act on. */
static void kernel_error(int e)
{
	struct stat st;

	if (e == ENOENT || e == EOPNOTSUPP || e == EPROTONOSUPPORT) {
		/* sock_diag answers ENOENT when no handler registered for AF_VSOCK and the
		 * module autoload (net-pf-16-proto-4-type-40) failed. */
		if (stat("/sys/module/vsock", &st) != 0)
			warnx("vsock_diag: kernel has no AF_VSOCK (module vsock not loaded: "
			      "modprobe vsock)");
		else
			warnx("vsock_diag: not available (module vsock_diag not loaded: "
			      "modprobe vsock_diag)");
	} else if (e == EPERM || e == EACCES) {
		warnx("vsock_diag: permission denied (%s)", strerror(e));
	} else {
		warnx("vsock_diag: %s", strerror(e));
	}
}

static int dump_kernel(struct ctx *c)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct nl_msg *msg = NULL;
	uint8_t req[VSK_DIAG_REQ_LEN];
	int rc, ret = -1;

	if (!sk || !cb)
		errx(1, "out of memory");
	rc = nl_connect(sk, NETLINK_SOCK_DIAG);
	if (rc < 0) {
		/* libnl folds errno into its own codes; EPROTONOSUPPORT here is a kernel
		 * without sock_diag at all. */
		if (rc == -NLE_PERM)
			kernel_error(EPERM);
		else
			warnx("netlink sock_diag: %s", nl_geterror(rc));
		goto out;
	}
	nl_socket_disable_auto_ack(sk);
	nl_socket_set_msg_buf_size(sk, 64 * 1024);
	msg = nlmsg_alloc_simple(VSK_SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP);
	if (!msg)
		errx(1, "out of memory");
	vsk_diag_req_build(req, sizeof(req), c->o->states);
	if (nlmsg_append(msg, req, sizeof(req), NLMSG_ALIGNTO) < 0)
		errx(1, "out of memory");
	rc = nl_send_auto(sk, msg);
	if (rc < 0) {
		warnx("vsock_diag: send: %s", nl_geterror(rc));
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, c);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, c);
	rc = nl_recvmsgs(sk, cb);
	if (c->kerr) {
		kernel_error(c->kerr);
	} else if (c->rc) {
		warnx("vsock_diag: %s", vsk_diag_strerror(c->rc));
	} else if (rc < 0) {
		warnx("vsock_diag: receive: %s", nl_geterror(rc));
	} else {
		ret = 0;
	}
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	nl_socket_free(sk);
	return ret;
}

/* --read: a file of raw netlink messages, as --record saves them. */
static int dump_file(struct ctx *c)
{
	const char *path = c->o->read_file;
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc, kerr;

	if (!f) {
		warn("%s", path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb)
				errx(1, "out of memory");
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		warn("%s", path);
		free(buf);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	rc = vsk_diag_walk(buf, len, add, c, &kerr, NULL);
	free(buf);
	if (rc == VSK_DIAG_E_KERNEL) {
		kernel_error(kerr);
		return -1;
	}
	if (rc) {
		warnx("%s: %s", path, vsk_diag_strerror(rc));
		return -1;
	}
	return 0;
}

int dump_sockets(const struct opts *o, struct rows *r)
{
	struct ctx c = {.o = o, .r = r};
	int rc;

	if (o->record_file && !(c.rec = fopen(o->record_file, "wb"))) {
		warn("%s", o->record_file);
		return -1;
	}
	rc = o->read_file ? dump_file(&c) : dump_kernel(&c);
	if (c.rec && fclose(c.rec) != 0) {
		warn("%s", o->record_file);
		rc = -1;
	}
	if (rc == 0 && o->procs)
		procs_attach(r);
	return rc;
}
