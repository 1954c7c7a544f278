/* show.c - the listing: cells of a row as text (shared with the live view), the aligned
 * table, JSON lines and the -s summary.  Only what the kernel reported is shown. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss.h"
#include "vsk/proto.h"
#include "vsk/sbuf.h"

const char *const col_title[COL__N] = {
	"Netid", "State", "Local Address:Port", "Peer Address:Port", "Shutdown", "Inode",
	"Cookie", "Process",
};

bool col_shown(const struct opts *o, enum col c)
{
	switch (c) {
	case COL_INO:
	case COL_COOKIE:
		return o->extended;
	case COL_PROC:
		return o->procs;
	default:
		return true;
	}
}

static const char *shut_name(uint8_t v, char *tmp, size_t n)
{
	switch (v) {
	case 0: return "-";
	case VSK_SK_RCV_SHUTDOWN: return "rcv";
	case VSK_SK_SEND_SHUTDOWN: return "send";
	case VSK_SK_RCV_SHUTDOWN | VSK_SK_SEND_SHUTDOWN: return "both";
	}
	snprintf(tmp, n, "0x%x", v); /* bits the kernel does not define today */
	return tmp;
}

static void addr(const struct opts *o, uint32_t cid, uint32_t port, char out[CELL])
{
	const struct vsk_name *n = o->numeric ? NULL : vsk_table_find(&vsk_tab_cid, cid);
	char c[16], p[16];

	if (cid == VSK_CID_ANY)
		strcpy(c, "*");
	else if (n)
		snprintf(c, sizeof(c), "%s", n->name);
	else
		snprintf(c, sizeof(c), "%u", cid);
	if (port == 0xffffffffu) /* VMADDR_PORT_ANY */
		strcpy(p, "*");
	else
		snprintf(p, sizeof(p), "%u", port);
	snprintf(out, CELL, "%s:%s", c, p);
}

void cell_text(const struct opts *o, const struct row *w, enum col c, char out[CELL])
{
	const struct vsk_diag_sock *s = &w->s;
	const struct vsk_name *n;
	char tmp[16];

	switch (c) {
	case COL_NETID:
		if ((n = vsk_table_find(&vsk_tab_sock_type, s->type)))
			snprintf(out, CELL, "%s", n->name);
		else
			snprintf(out, CELL, "type-%u", s->type);
		break;
	case COL_STATE:
		if ((n = vsk_table_find(&vsk_tab_sock_state, s->state)))
			snprintf(out, CELL, "%s", n->label);
		else
			snprintf(out, CELL, "state-%u", s->state);
		break;
	case COL_LOCAL: addr(o, s->src_cid, s->src_port, out); break;
	case COL_PEER: addr(o, s->dst_cid, s->dst_port, out); break;
	case COL_SHUT: snprintf(out, CELL, "%s", shut_name(s->shutdown, tmp, sizeof(tmp))); break;
	case COL_INO: snprintf(out, CELL, "%u", s->ino); break;
	case COL_COOKIE: snprintf(out, CELL, "%llx", (unsigned long long)s->cookie); break;
	case COL_PROC:
		if (w->users)
			snprintf(out, CELL, "users:(%s)", w->users);
		else
			out[0] = '\0';
		break;
	default: out[0] = '\0';
	}
}

void show_list(const struct opts *o, const struct rows *r, FILE *f)
{
	size_t wid[COL__N];
	char cell[CELL];
	int last = COL__N - 1;

	while (last > 0 && !col_shown(o, (enum col)last))
		last--;
	for (int c = 0; c < COL__N; c++)
		wid[c] = o->no_header ? 0 : strlen(col_title[c]);
	for (size_t i = 0; i < r->n; i++)
		for (int c = 0; c < last; c++) {
			cell_text(o, &r->v[i], (enum col)c, cell);
			if (strlen(cell) > wid[c])
				wid[c] = strlen(cell);
		}
	if (!o->no_header) {
		for (int c = 0; c <= last; c++)
			if (col_shown(o, (enum col)c))
				fprintf(f, "%-*s%s", c < last ? (int)wid[c] : 0, col_title[c], c < last ? " " : "\n");
	}
	for (size_t i = 0; i < r->n; i++)
		for (int c = 0; c <= last; c++) {
			if (!col_shown(o, (enum col)c))
				continue;
			/* The process column is the last and long: its full text, unpadded. */
			if (c == COL_PROC) {
				if (r->v[i].users)
					fprintf(f, "users:(%s)\n", r->v[i].users);
				else
					fputc('\n', f);
				continue;
			}
			cell_text(o, &r->v[i], (enum col)c, cell);
			fprintf(f, "%-*s%s", c < last ? (int)wid[c] : 0, cell, c < last ? " " : "\n");
		}
}

/* users is ("comm",pid=N,fd=N),... as procs.c built it; comm may hold anything but a
 * newline, so it is taken up to the last '",pid=' of each entry. */
static void json_users(FILE *f, const char *u)
{
	struct vsk_sbuf comm = {0};   /* process names are chosen by their owners */
	bool first = true;

	fputs(",\"users\":[", f);
	while (u && *u == '(') {
		const char *q = u + 2, *end = strstr(q, "\",pid=");
		int pid, fd, used = 0;

		if (!end || sscanf(end, "\",pid=%d,fd=%d)%n", &pid, &fd, &used) != 2 || !used)
			break;
		vsk_sbuf_reset(&comm);
		vsk_sbuf_put_json(&comm, q, (size_t)(end - q));
		fprintf(f, "%s{\"comm\":%s,\"pid\":%d,\"fd\":%d}", first ? "" : ",",
			comm.oom || !comm.p ? "\"\"" : comm.p, pid, fd);
		first = false;
		u = end + used;
		if (*u == ',')
			u++;
	}
	fputc(']', f);
	vsk_sbuf_free(&comm);
}

void show_json(const struct opts *o, const struct rows *r, FILE *f)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct vsk_diag_sock *s = &r->v[i].s;
		const struct vsk_name *t = vsk_table_find(&vsk_tab_sock_type, s->type);
		const struct vsk_name *st = vsk_table_find(&vsk_tab_sock_state, s->state);
		char shut[CELL];

		cell_text(o, &r->v[i], COL_SHUT, shut);
		fputs("{\"netid\":", f);
		if (t)
			fprintf(f, "\"%s\"", t->name);
		else
			fprintf(f, "%u", s->type);
		fputs(",\"state\":", f);
		if (st)
			fprintf(f, "\"%s\"", st->name);
		else
			fprintf(f, "%u", s->state);
		fprintf(f, ",\"local_cid\":%u,\"local_port\":%u,\"peer_cid\":%u,\"peer_port\":%u,"
			   "\"shutdown\":\"%s\",\"shutdown_bits\":%u,\"ino\":%u,\"cookie\":%llu",
			s->src_cid, s->src_port, s->dst_cid, s->dst_port, shut, s->shutdown, s->ino,
			(unsigned long long)s->cookie);
		if (o->procs)
			json_users(f, r->v[i].users);
		fputs("}\n", f);
	}
}

void show_summary(const struct opts *o, const struct rows *r, FILE *f)
{
	size_t nt = vsk_tab_sock_type.n, ns = vsk_tab_sock_state.n;
	/* counts[type * (ns + 1) + state]; the extra row and column count unknown numbers */
	size_t *counts = calloc((nt + 1) * (ns + 1), sizeof(*counts));

	(void)o;
	if (!counts)
		errx(1, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		size_t t = nt, s = ns;

		for (size_t k = 0; k < nt; k++)
			if (vsk_tab_sock_type.v[k].num == r->v[i].s.type)
				t = k;
		for (size_t k = 0; k < ns; k++)
			if (vsk_tab_sock_state.v[k].num == r->v[i].s.state)
				s = k;
		counts[t * (ns + 1) + s]++;
	}
	fprintf(f, "Total: %zu\n%-10s", r->n, "Netid");
	for (size_t s = 0; s < ns; s++)
		fprintf(f, " %9s", vsk_tab_sock_state.v[s].label);
	fprintf(f, " %9s %9s\n", "other", "total");
	for (size_t t = 0; t <= nt; t++) {
		size_t sum = 0;

		for (size_t s = 0; s <= ns; s++)
			sum += counts[t * (ns + 1) + s];
		if (t == nt && sum == 0)
			continue;
		fprintf(f, "%-10s", t < nt ? vsk_tab_sock_type.v[t].name : "other");
		for (size_t s = 0; s <= ns; s++)
			fprintf(f, " %9zu", counts[t * (ns + 1) + s]);
		fprintf(f, " %9zu\n", sum);
	}
	free(counts);
}
