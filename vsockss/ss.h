/* ss.h - vsockss's modules: the dump (dump.c), owners from /proc (procs.c), the listing
 * (show.c) and the live view (watch.c).  One data source, two views (systat's model). */
#ifndef VSOCKSS_SS_H
#define VSOCKSS_SS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vsk/diag.h"

/* One socket of a snapshot, with its owners when -p asked for them. */
struct row {
	struct vsk_diag_sock s;
	char *users; /* ss-style ("name",pid=N,fd=N),...; NULL without -p or when none */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

/* What to show: filled by main.c from the command line. */
struct addr_match {
	bool set;
	bool any_cid, any_port;
	uint32_t cid, port;
};

struct opts {
	uint32_t states;     /* bitmap of 1 << state asked for */
	unsigned types;      /* bitmap of 1 << socket type; 0 = every type */
	struct addr_match src, dst;
	bool numeric, no_header, procs, extended, json;
	const char *read_file;   /* --read: a saved dump instead of the kernel */
	const char *record_file; /* --record: save the dump's raw netlink messages */
};

/* Columns of the listing, in order; the live view sorts by them. */
enum col { COL_NETID, COL_STATE, COL_LOCAL, COL_PEER, COL_SHUT, COL_INO, COL_COOKIE,
	   COL_PROC, COL__N };
#define CELL 96

/* dump.c: appends every socket the kernel (or the --read file) reports in o->states to
 * r, keeping those that pass the filters.  0, or -1 after printing one error line. */
int dump_sockets(const struct opts *o, struct rows *r);
void rows_clear(struct rows *r);
bool row_selected(const struct opts *o, const struct vsk_diag_sock *s);

/* procs.c: sets users on every row whose inode an open file of a process names. */
void procs_attach(struct rows *r);

/* show.c */
void cell_text(const struct opts *o, const struct row *w, enum col c, char out[CELL]);
extern const char *const col_title[COL__N];
bool col_shown(const struct opts *o, enum col c);
void show_list(const struct opts *o, const struct rows *r, FILE *f);
void show_json(const struct opts *o, const struct rows *r, FILE *f);
void show_summary(const struct opts *o, const struct rows *r, FILE *f);

/* watch.c: -w.  interval in seconds, count of snapshots (0 = until quit/killed). */
int watch(const struct opts *o, double interval, long count, bool batch);

#endif
