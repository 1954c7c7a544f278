/* report.c - words for what lib/flow.c finds (see vsk/report.h). */
#include <stdio.h>

#include "vsk/report.h"

static void put_end(struct vsk_sbuf *b, const struct vsk_flow_dir *e)
{
	vsk_sbuf_putu(b, e->cid);
	vsk_sbuf_putc(b, ':');
	vsk_sbuf_putu(b, e->port);
}

static const char *type_name(uint16_t type)
{
	const struct vsk_name *n = vsk_table_find(&vsk_tab_type, type);

	return n ? n->name : "unknown";
}

void vsk_report_inline(const struct vsk_violation *v, struct vsk_sbuf *out)
{
	vsk_sbuf_puts(out, " [!");
	vsk_sbuf_puts(out, vsk_rules[v->rule].name);
	if (v->detail[0]) {
		vsk_sbuf_puts(out, ": ");
		vsk_sbuf_puts(out, v->detail);
	}
	vsk_sbuf_putc(out, ']');
}

void vsk_report_timed(struct vsk_fmt *f, const struct vsk_violation *v, struct vsk_sbuf *out)
{
	vsk_format_ts(f, &v->ts, out);
	vsk_sbuf_puts(out, "! ");
	if (v->conn) {
		put_end(out, &v->conn->end[0]);
		vsk_sbuf_puts(out, " > ");
		put_end(out, &v->conn->end[1]);
		vsk_sbuf_putf(out, " %s #%llu ", type_name(v->conn->type),
			      (unsigned long long)v->conn->index);
	}
	vsk_sbuf_puts(out, vsk_rules[v->rule].name);
	vsk_sbuf_puts(out, ": ");
	vsk_sbuf_puts(out, v->detail);
	vsk_sbuf_putc(out, '\n');
}

void vsk_report_violation_json(const struct vsk_violation *v, struct vsk_sbuf *out)
{
	const struct vsk_rule_info *r = &vsk_rules[v->rule];

	/* Rule texts and details are ours and hold no characters JSON must escape. */
	vsk_sbuf_putf(out, "{\"record\":\"violation\",\"ts\":%lld.%06ld,\"rule\":\"%s\","
			   "\"severity\":\"%s\",\"clause\":\"%s\",\"detail\":\"%s\",\"timed\":%s",
		      (long long)v->ts.tv_sec, (long)v->ts.tv_usec, r->name,
		      vsk_severity_names[r->sev], r->clause, v->detail, v->timed ? "true" : "false");
	if (v->conn)
		vsk_sbuf_putf(out, ",\"conn\":%llu", (unsigned long long)v->conn->index);
	if (v->conn && v->from >= 0)
		vsk_sbuf_putf(out, ",\"from_cid\":%llu,\"from_port\":%u",
			      (unsigned long long)v->conn->end[v->from].cid, v->conn->end[v->from].port);
	vsk_sbuf_puts(out, "}\n");
}

static double duration(const struct vsk_conn *c)
{
	return (double)(c->last.tv_sec - c->first.tv_sec) +
	       (double)(c->last.tv_usec - c->first.tv_usec) / 1e6;
}

/* Per MiB of payload, or 0 when none moved. */
static double per_mib(uint64_t n, uint64_t bytes)
{
	return bytes ? (double)n * 1048576.0 / (double)bytes : 0;
}

void vsk_report_conn_json(const struct vsk_conn *c, struct vsk_sbuf *out)
{
	vsk_sbuf_putf(out, "{\"record\":\"conn\",\"conn\":%llu,\"type\":\"%s\",\"state\":\"%s\","
			   "\"first\":%lld.%06ld,\"last\":%lld.%06ld,\"violations\":%llu",
		      (unsigned long long)c->index, type_name(c->type), vsk_conn_state_names[c->state],
		      (long long)c->first.tv_sec, (long)c->first.tv_usec, (long long)c->last.tv_sec,
		      (long)c->last.tv_usec, (unsigned long long)c->violations);
	for (int i = 0; i < 2; i++) {
		const struct vsk_flow_dir *e = &c->end[i], *p = &c->end[1 - i];

		vsk_sbuf_putf(out, ",\"%s\":{\"cid\":%llu,\"port\":%u,\"pkts\":%llu,\"rw_pkts\":%llu,"
				   "\"bytes\":%llu,\"credit_updates\":%llu,\"shutdown\":%u,"
				   "\"stalls\":%llu,\"stall_seconds\":%.6f,"
				   "\"credit_updates_per_mib_received\":%.2f,\"pkts_per_mib\":%.2f}",
			      i == 0 ? "a" : "b", (unsigned long long)e->cid, e->port,
			      (unsigned long long)e->pkts, (unsigned long long)e->rw_pkts,
			      (unsigned long long)e->bytes, (unsigned long long)e->credit_updates,
			      e->shutdown, (unsigned long long)e->stalls, e->stall_seconds,
			      per_mib(e->credit_updates, p->bytes), per_mib(e->pkts, e->bytes));
	}
	vsk_sbuf_puts(out, "}\n");
}

void vsk_report_conn_header(struct vsk_sbuf *out)
{
	vsk_sbuf_putf(out, "%5s %-9s %-21s %-21s %-11s %8s %10s %8s %10s %9s %11s %9s %8s %5s\n",
		      "conn", "type", "a", "b", "state", "pkts a>b", "bytes a>b", "pkts b>a",
		      "bytes b>a", "duration", "bytes/s", "stalls", "cred/MiB", "viol");
}

void vsk_report_conn_row(const struct vsk_conn *c, struct vsk_sbuf *out)
{
	char a[32], b[32], stalls[24];
	double d = duration(c);
	uint64_t bytes = c->end[0].bytes + c->end[1].bytes;
	uint64_t updates = c->end[0].credit_updates + c->end[1].credit_updates;

	snprintf(a, sizeof(a), "%llu:%u", (unsigned long long)c->end[0].cid, c->end[0].port);
	snprintf(b, sizeof(b), "%llu:%u", (unsigned long long)c->end[1].cid, c->end[1].port);
	snprintf(stalls, sizeof(stalls), "%llu/%.2fs",
		 (unsigned long long)(c->end[0].stalls + c->end[1].stalls),
		 c->end[0].stall_seconds + c->end[1].stall_seconds);
	vsk_sbuf_putf(out, "%5llu %-9s %-21s %-21s %-11s %8llu %10llu %8llu %10llu %9.3f %11.0f %9s "
			   "%8.1f %5llu\n",
		      (unsigned long long)c->index, type_name(c->type), a, b,
		      vsk_conn_state_names[c->state], (unsigned long long)c->end[0].pkts,
		      (unsigned long long)c->end[0].bytes, (unsigned long long)c->end[1].pkts,
		      (unsigned long long)c->end[1].bytes, d, d > 0 ? (double)bytes / d : 0, stalls,
		      per_mib(updates, bytes), (unsigned long long)c->violations);
}

void vsk_report_rules(struct vsk_sbuf *out)
{
	vsk_sbuf_putf(out, "%-22s %-8s %-40s %s\n", "RULE", "SEVERITY", "CLAUSE (virtio spec)",
		      "WHAT");
	for (int i = 0; i < VSK_RULE__COUNT; i++)
		vsk_sbuf_putf(out, "%-22s %-8s %-40s %s\n", vsk_rules[i].name,
			      vsk_severity_names[vsk_rules[i].sev], vsk_rules[i].clause,
			      vsk_rules[i].text);
}

void vsk_report_loss(uint64_t lost, struct vsk_sbuf *out)
{
	vsk_sbuf_putf(out, "%llu frame%s lost: findings may come from missing frames",
		      (unsigned long long)lost, lost == 1 ? "" : "s");
}

void vsk_report_loss_json(const char *source, const struct vsk_pcapng_stats *s,
			  struct vsk_sbuf *out)
{
	vsk_sbuf_putf(out, "{\"record\":\"loss\",\"source\":\"%s\",\"frames_lost\":%llu", source,
		      (unsigned long long)vsk_pcapng_lost(s));
	if (s->has_ifrecv)
		vsk_sbuf_putf(out, ",\"ifrecv\":%llu", (unsigned long long)s->ifrecv);
	if (s->has_ifdrop)
		vsk_sbuf_putf(out, ",\"ifdrop\":%llu", (unsigned long long)s->ifdrop);
	if (s->has_osdrop)
		vsk_sbuf_putf(out, ",\"osdrop\":%llu", (unsigned long long)s->osdrop);
	if (s->has_usrdeliv)
		vsk_sbuf_putf(out, ",\"usrdeliv\":%llu", (unsigned long long)s->usrdeliv);
	vsk_sbuf_puts(out, "}\n");
}
