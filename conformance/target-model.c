/* target-model.c - the reference device model (device.c) as a target, in this process.
 *
 * --target model runs every case against the strict model (all must pass: the suite's
 * self-test); --target model=NAME[,NAME...] switches mutations on (mutations.def), each
 * breaking one rule, and the case named in the table must then fail.  An argument
 * close_timeout=MS sets the model's close timeout.
 *
 * The model never sleeps: time is virtual.  wait() and the application's blocking calls run
 * the device until it is idle; if that is not enough, they move the model's clock forward to
 * its next timer (close or connect timeout) or by the whole timeout, whichever is first, so
 * an 8 s close timeout takes no wall-clock time and every run is deterministic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "model-opts.h"
#include "target.h"
#include "vsk/proto.h"

struct model {
	struct vsk_mem_flat flat;
	struct cf_dev *d;
	unsigned used;           /* buffers used since the last wait() */
};

static struct model *M(struct cf_target *t) { return t->priv; }

static void run(struct model *m)
{
	m->used += cf_dev_run(m->d);
}

/* Runs until try() gives something other than `again`, moving virtual time forward up to
 * timeout_ms; then -ETIMEDOUT if it still says again. */
static int until(struct model *m, int timeout_ms, int again,
		 int (*try)(struct model *m, void *arg), void *arg)
{
	int64_t left = timeout_ms > 0 ? timeout_ms : 0;
	int r;

	run(m);
	while ((r = try(m, arg)) == again) {
		int64_t nt = cf_dev_next_timer(m->d);

		if (left == 0)
			return -ETIMEDOUT;
		if (nt < 0 || nt > left)
			nt = left;
		if (nt == 0)
			nt = 1;          /* a timer due now was handled by run(): move on */
		cf_dev_advance(m->d, (uint64_t)nt);
		left -= nt;
		run(m);
	}
	return r;
}

/* model=NAME,...: mutations and close_timeout=MS (model-opts.c); any --cid. */
static int model_check(const char *arg, bool cid_set, char *err, size_t errlen)
{
	struct cf_model_opts mo;

	(void)cid_set;
	return cf_model_opts_parse((const uint8_t *)arg, arg ? strlen(arg) : 0, &mo, err,
				   errlen) < 0 ? -EINVAL : 0;
}

static int model_open(struct cf_target *t, const char *opts, void *mem, uint64_t gpa,
		      uint64_t size, char *err, size_t errlen)
{
	struct cf_dev_config cfg = {0};
	struct cf_model_opts mo;
	struct model *m;

	if (!t->guest_cid)
		t->guest_cid = 3;
	if (!t->host_cid)
		t->host_cid = 2;
	if (!cf_dev_cid_ok(t->guest_cid)) {
		snprintf(err, errlen, "guest CID %llu is reserved", (unsigned long long)t->guest_cid);
		return -EINVAL;
	}
	cfg.guest_cid = t->guest_cid;
	cfg.host_cid = t->host_cid;
	if (cf_model_opts_parse((const uint8_t *)opts, opts ? strlen(opts) : 0, &mo, err,
				errlen) < 0)
		return -EINVAL;
	cfg.mutations = mo.mutations;
	cfg.close_timeout_ms = mo.close_timeout_ms;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	vsk_mem_flat_init(&m->flat, mem, gpa, size);
	if (!(m->d = cf_dev_new(&cfg, &m->flat.mem))) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->priv = m;
	return 0;
}

static uint64_t model_get_features(struct cf_target *t) { return cf_dev_features(M(t)->d); }

static int model_set_features(struct cf_target *t, uint64_t f)
{
	return cf_dev_set_features(M(t)->d, f);
}

static int model_set_vring(struct cf_target *t, unsigned q, const struct vsk_vq_addr *a)
{
	return cf_dev_set_vring(M(t)->d, q, a);
}

static int model_start(struct cf_target *t)
{
	int r = cf_dev_start(M(t)->d);

	if (r == 0)
		run(M(t));
	return r;
}

static int model_kick(struct cf_target *t, unsigned q)
{
	if (q > VSK_VQ_EVENT)
		return -EINVAL;
	run(M(t));
	return 0;
}

static int try_used(struct model *m, void *arg)
{
	(void)arg;
	if (m->used) {
		m->used = 0;
		return 1;
	}
	return 0;
}

static int model_wait(struct cf_target *t, int timeout_ms)
{
	int r = until(M(t), timeout_ms, 0, try_used, NULL);

	return r == -ETIMEDOUT ? 0 : r;
}

static void model_close(struct cf_target *t)
{
	struct model *m = M(t);

	if (!m)
		return;
	cf_dev_free(m->d);
	free(m);
	t->priv = NULL;
}

static int model_app_listen(struct cf_target *t, uint32_t port, int type)
{
	int r = cf_dev_listen(M(t)->d, port, type);

	run(M(t));
	return r;
}

static int try_accept(struct model *m, void *arg)
{
	return cf_dev_accept(m->d, *(int *)arg);
}

static int model_app_accept(struct cf_target *t, int lh, int timeout_ms)
{
	return until(M(t), timeout_ms, -EAGAIN, try_accept, &lh);
}

static int model_app_connect(struct cf_target *t, uint64_t cid, uint32_t port, int type)
{
	int r = cf_dev_connect(M(t)->d, cid, port, type);

	run(M(t));
	return r;
}

static int try_connected(struct model *m, void *arg)
{
	return cf_dev_connected(m->d, *(int *)arg);
}

static int model_app_connected(struct cf_target *t, int h, int timeout_ms)
{
	return until(M(t), timeout_ms, -EINPROGRESS, try_connected, &h);
}

static ssize_t model_app_send(struct cf_target *t, int h, const void *buf, size_t len, bool eor)
{
	ssize_t r = cf_dev_send(M(t)->d, h, buf, len, eor);

	run(M(t));
	return r;
}

struct recv_args {
	int h;
	void *buf;
	size_t len;
	bool *eor;
	ssize_t got;
};

static int try_recv(struct model *m, void *arg)
{
	struct recv_args *a = arg;

	a->got = cf_dev_recv(m->d, a->h, a->buf, a->len, a->eor);
	run(m);                  /* a read may owe the peer a CREDIT_UPDATE */
	return a->got == -EAGAIN ? -EAGAIN : 0;
}

static ssize_t model_app_recv(struct cf_target *t, int h, void *buf, size_t len, int timeout_ms,
			      bool *eor)
{
	struct recv_args a = {h, buf, len, eor, 0};
	int r = until(M(t), timeout_ms, -EAGAIN, try_recv, &a);

	return r < 0 ? r : a.got;
}

static int model_app_shutdown(struct cf_target *t, int h, int how)
{
	int r = cf_dev_shutdown(M(t)->d, h, how);

	run(M(t));
	return r;
}

static int model_app_close(struct cf_target *t, int h)
{
	int r = cf_dev_close(M(t)->d, h);

	run(M(t));
	return r;
}

static int model_app_set_buffer(struct cf_target *t, int h, uint64_t size)
{
	int r = cf_dev_set_buffer(M(t)->d, h, size);

	run(M(t));
	return r;
}

static int model_transport_reset(struct cf_target *t)
{
	int r = cf_dev_transport_reset(M(t)->d);

	run(M(t));
	return r;
}

const struct cf_target_ops cf_target_model = {
	.name = "model",
	.default_timeout_ms = CF_DEFAULT_TIMEOUT_MS,
	.check = model_check,
	.open = model_open,
	.get_features = model_get_features,
	.set_features = model_set_features,
	.set_vring = model_set_vring,
	.start = model_start,
	.kick = model_kick,
	.wait = model_wait,
	.close = model_close,
	.app_listen = model_app_listen,
	.app_accept = model_app_accept,
	.app_connect = model_app_connect,
	.app_connected = model_app_connected,
	.app_send = model_app_send,
	.app_recv = model_app_recv,
	.app_shutdown = model_app_shutdown,
	.app_close = model_app_close,
	.app_set_buffer = model_app_set_buffer,
	.transport_reset = model_transport_reset,
};
