/* report.h - words for what lib/flow.c finds: inline notes, timed lines, JSON records,
 * the per-connection table and the rule list.  Shared by every tool that reports. */
#ifndef VSK_REPORT_H
#define VSK_REPORT_H

#include "flow.h"
#include "format.h"
#include "pcapng.h"
#include "sbuf.h"

/* " [!rule: detail]" - the note appended to the offending packet's line. */
void vsk_report_inline(const struct vsk_violation *v, struct vsk_sbuf *out);

/* A line of its own for a finding made by time passing:
 * "TIME ! SRC > DST TYPE #N rule: detail\n". */
void vsk_report_timed(struct vsk_fmt *f, const struct vsk_violation *v, struct vsk_sbuf *out);

/* {"record":"violation",...}\n */
void vsk_report_violation_json(const struct vsk_violation *v, struct vsk_sbuf *out);

/* {"record":"conn",...}\n */
void vsk_report_conn_json(const struct vsk_conn *c, struct vsk_sbuf *out);

/* The --stats table: a header line, then one row per connection. */
void vsk_report_conn_header(struct vsk_sbuf *out);
void vsk_report_conn_row(const struct vsk_conn *c, struct vsk_sbuf *out);

/* A capture that lost frames: "N frames lost: findings may come from missing frames"
 * (no newline), the words every report leads with when a file or a live capture dropped. */
void vsk_report_loss(uint64_t lost, struct vsk_sbuf *out);

/* {"record":"loss","source":SOURCE,"frames_lost":N, and the counters s has}\n; source is
 * "file" (the file's statistics blocks) or "capture" (the kernel's count, live). */
void vsk_report_loss_json(const char *source, const struct vsk_pcapng_stats *s,
			  struct vsk_sbuf *out);

/* Every rule: "name  severity  clause  text", one per line, with a header. */
void vsk_report_rules(struct vsk_sbuf *out);

#endif
