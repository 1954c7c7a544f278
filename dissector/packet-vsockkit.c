/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * packet-vsockkit.c - the vsockkit Wireshark dissector: LINKTYPE_VSOCK frames (the
 * af_vsockmon_hdr, the virtio_vsock_hdr, the payload) decoded by lib/decode.c, with the
 * connection tracker and the protocol rules of lib/flow.c as generated fields and expert
 * info, a conversation table, Follow Stream, and payload handoff by port.
 *
 * Every field name, offset, width and value name comes from lib/vsock.def: the header
 * fields are the VSK_CONST MON_OFF_* and HDR_OFF_* rows (name lowercased, width up to the
 * next offset), value names from lib/proto.c's tables, flag bits from VSK_FLAG, expert
 * info from VSK_PROBLEM and VSK_RULE.
 *
 * Analysis runs once, on the first pass, in frame order (Wireshark's first pass is
 * sequential); what it found is kept per frame (p_add_proto_data, file scope), so every
 * later dissection of a frame shows the same thing.  Timed rules (no_rst_after_shutdown,
 * unknown_type_no_rst) are found when a frame's timestamp passes their deadline: the
 * finding is shown on that frame, naming the connection (stream) it is about.  A capture
 * that ends before a deadline proves nothing, as in vsockdump.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>
#include <epan/address_types.h>
#include <epan/conversation_table.h>
#include <epan/decode_as.h>
#include <epan/follow.h>
#include <epan/tap.h>
#include <wiretap/wtap.h>

#include "vsk/decode.h"
#include "vsk/flow.h"
#include "vsk/format.h"
#include "vsk/hybrid.h"
#include "vsk/proto.h"
#include "vsk/report.h"
#include "vsk/sbuf.h"
#include "vsockkit.h"

#define PFX "vsockkit"

/* ---- the header fields, from VSK_CONST ------------------------------------------ */

static const struct {
	const char *id;
	long long value;
} consts[] = {
#define VSK_CONST(ID, value) {#ID, (long long)(value)},
#include "vsock.def"
};

/* One header field: where it is and what it is called. */
struct hfield {
	int hf;
	uint32_t off, width;
	const char *name;              /* "src_cid" */
	const struct vsk_table *names; /* value names, or NULL */
	bool bytes;                    /* shown as bytes (reserved) */
};

enum { HDR_MON, HDR_VIRTIO };
#define MAX_HFIELDS 16
static struct hfield hfields[2][MAX_HFIELDS];
static unsigned nhfields[2];
static int hf_hdr_flags = -1;      /* the virtio flags field (bitmask header) */

/* ---- the rest of the fields and expert info -------------------------------------- */

static int proto_vsockkit = -1;
static int proto_hybrid = -1;
static int hf_mon_tree = -1, hf_virtio_tree = -1;
static int hf_flag[16];            /* vsk_flags[i] as a bit of the flags field */
static int hf_payload = -1, hf_stream = -1, hf_cid = -1, hf_port = -1, hf_problem = -1;
static int hf_an = -1, hf_an_conn = -1, hf_an_dir = -1, hf_an_state = -1;
static int hf_an_in_flight = -1, hf_an_free = -1, hf_an_stall = -1, hf_an_violation = -1;
static int hf_an_rule_stream = -1, hf_an_since = -1;
static int hf_an_stall_dir = -1, hf_an_stall_seconds = -1, hf_an_stall_since = -1;
static int hf_hybrid_port = -1, hf_hybrid_kind = -1;

static gint ett_vsockkit = -1, ett_mon = -1, ett_virtio = -1, ett_flags = -1, ett_an = -1;
static gint ett_hybrid = -1;

static expert_field ei_problem[VSK_PROB__COUNT];
static expert_field ei_rule[VSK_RULE__COUNT];

static dissector_handle_t vsockkit_handle, data_handle;
static dissector_table_t port_table;
static heur_dissector_list_t heur_list;
static int tap_conv = -1, tap_follow = -1;
static int at_vsock = -1;

static gboolean pref_analyze = TRUE;
static guint pref_close_timeout = 8;   /* Linux VSOCK_CLOSE_TIMEOUT, vsockdump's default */
static guint pref_stall_time = 1;      /* seconds, vsockdump's --stall-time default */
static gboolean pref_heur_first = FALSE;

/* ---- per-frame analysis results -------------------------------------------------- */

struct finding {
	uint8_t rule;
	int8_t from;
	bool timed;
	uint64_t conn;                 /* index of the connection it is about, 0 if none */
	uint32_t since;                /* timed: the frame that started the clock, or 0 */
	char detail[sizeof(((struct vsk_violation *)0)->detail)];
};

struct frame_an {
	uint64_t conn;                 /* vsk_conn.index (1, 2, ...), 0: no connection */
	int64_t in_flight, peer_free;  /* for data from this frame's sender; -1 unknown */
	uint8_t from;                  /* 0: the requester's end (or first sender) */
	uint8_t state;                 /* enum vsk_conn_state after this frame */
	bool stall;                    /* a direction of the connection in a stall (vsk_flow_stall) */
	uint8_t stall_dir;             /* its sender: 0 the requester's end */
	uint32_t stall_since;          /* the frame that began the wait, 0 if unknown */
	double stall_seconds;          /* how long it has lasted at this frame */
	uint16_t nfind;
	struct finding *find;
};

#define MAX_FINDINGS 16
static struct vsk_flow *flow;
/* Timed rules: connection index -> the frame that started the clock (the full SHUTDOWN,
 * the packet of unknown type), so the finding can point back at it; and per sender
 * (index * 2 + end) its current wait: the frame that began it. */
static GHashTable *clock_shutdown, *clock_unknown, *clock_wait;

struct wait_start {
	struct timeval since;          /* vsk_flow_dir.blocked_since: tells waits apart */
	guint32 frame;
};
static struct vsk_sbuf line;       /* the info column */
static struct vsk_fmt fmt;

/* What the taps get. */
struct tap_info {
	address src, dst;
	uint32_t src_port, dst_port;
	uint32_t stream;
	bool has_stream;
	uint32_t len;
};

/* ---- address type: a CID ---------------------------------------------------------- */

static int cid_to_str(const address *addr, gchar *buf, int buf_len)
{
	uint64_t cid;

	memcpy(&cid, addr->data, sizeof(cid));
	return snprintf(buf, (size_t)buf_len, "%" PRIu64, cid) + 1;
}

static int cid_str_len(const address *addr)
{
	(void)addr;
	return 21;  /* 20 digits and the NUL */
}

static int cid_len(void) { return 8; }

static const char *cid_col_filter(const address *addr, gboolean src)
{
	(void)addr;
	return src ? PFX ".src_cid" : PFX ".dst_cid";
}

/* ---- analysis --------------------------------------------------------------------- */

static void an_init(void)
{
	struct vsk_flow_opts o = {.close_timeout = pref_close_timeout,
				  .stall_time = pref_stall_time};

	vsk_flow_free(flow);
	flow = pref_analyze ? vsk_flow_new(&o) : NULL;
	if (!clock_shutdown) {
		clock_shutdown = g_hash_table_new(g_direct_hash, g_direct_equal);
		clock_unknown = g_hash_table_new(g_direct_hash, g_direct_equal);
		clock_wait = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	}
	g_hash_table_remove_all(clock_shutdown);
	g_hash_table_remove_all(clock_unknown);
	g_hash_table_remove_all(clock_wait);
	memset(&fmt, 0, sizeof(fmt));
	fmt.ts = VSK_TS_NONE;
}

static void an_cleanup(void)
{
	vsk_flow_free(flow);
	flow = NULL;
	vsk_sbuf_free(&line);
	if (clock_shutdown) {
		g_hash_table_destroy(clock_shutdown);
		g_hash_table_destroy(clock_unknown);
		g_hash_table_destroy(clock_wait);
		clock_shutdown = clock_unknown = clock_wait = NULL;
	}
}

/* The first frame after which a clock's flag is up is the one that started it; a closed
 * connection's shutdown clock can no longer fire. */
static void clock_note(const struct vsk_conn *c, guint32 num)
{
	gpointer key = GSIZE_TO_POINTER((gsize)c->index);

	if (c->state == VSK_CONN_CLOSED || c->state == VSK_CONN_REFUSED)
		g_hash_table_remove(clock_shutdown, key);
	else if (c->full_shutdown && !g_hash_table_contains(clock_shutdown, key))
		g_hash_table_insert(clock_shutdown, key, GUINT_TO_POINTER(num));
	if (!c->unknown_type_pending)
		g_hash_table_remove(clock_unknown, key);
	else if (!g_hash_table_contains(clock_unknown, key))
		g_hash_table_insert(clock_unknown, key, GUINT_TO_POINTER(num));
	for (int e = 0; e < 2; e++) {
		const struct vsk_flow_dir *d = &c->end[e];
		gpointer wkey = GSIZE_TO_POINTER((gsize)(c->index * 2 + (uint64_t)e));
		struct wait_start *w = g_hash_table_lookup(clock_wait, wkey);

		if (!d->blocked) {
			g_hash_table_remove(clock_wait, wkey);
		} else if (!w || w->since.tv_sec != d->blocked_since.tv_sec ||
			   w->since.tv_usec != d->blocked_since.tv_usec) {
			w = g_new(struct wait_start, 1);
			w->since = d->blocked_since;
			w->frame = num;
			g_hash_table_insert(clock_wait, wkey, w);
		}
	}
}

/* The frame that began the current (or just ended) wait of end e of connection index. */
static guint32 wait_frame(uint64_t index, int e)
{
	struct wait_start *w =
		g_hash_table_lookup(clock_wait, GSIZE_TO_POINTER((gsize)(index * 2 + (uint64_t)e)));

	return w ? w->frame : 0;
}

static struct frame_an *an_packet(packet_info *pinfo, const struct vsk_pkt *pkt, int err)
{
	struct vsk_violation v[MAX_FINDINGS];
	const struct vsk_conn *c = NULL;
	struct timeval ts;
	struct frame_an *fa = wmem_new0(wmem_file_scope(), struct frame_an);
	size_t n;

	ts.tv_sec = (time_t)pinfo->abs_ts.secs;
	ts.tv_usec = pinfo->abs_ts.nsecs / 1000;
	n = vsk_flow_packet(flow, pkt, err, &ts, v, MAX_FINDINGS, &c);
	if (n > MAX_FINDINGS)
		n = MAX_FINDINGS;
	fa->in_flight = fa->peer_free = -1;
	if (c) {
		int from = (c->end[0].cid == pkt->hdr.src_cid && c->end[0].port == pkt->hdr.src_port)
				   ? 0 : 1;

		fa->conn = c->index;
		fa->from = (uint8_t)from;
		fa->state = (uint8_t)c->state;
		fa->in_flight = vsk_conn_in_flight(c, from);
		fa->peer_free = vsk_conn_peer_free(c, from);
		/* This frame's sender first, then the other end (the receiver's frame that
		 * ends the other's stall). */
		for (int k = 0; k < 2 && !fa->stall; k++) {
			int e = k ? 1 - from : from;
			struct vsk_stall st;

			if (vsk_flow_stall(flow, c, e, &ts, &st)) {
				fa->stall = true;
				fa->stall_dir = (uint8_t)e;
				fa->stall_seconds = st.seconds;
				fa->stall_since = wait_frame(c->index, e);
			}
		}
	}
	if (n) {
		fa->find = wmem_alloc_array(wmem_file_scope(), struct finding, n);
		fa->nfind = (uint16_t)n;
		for (size_t i = 0; i < n; i++) {
			struct finding *f = &fa->find[i];

			f->rule = (uint8_t)v[i].rule;
			f->from = (int8_t)v[i].from;
			f->timed = v[i].timed;
			f->conn = v[i].conn ? v[i].conn->index : 0;
			f->since = 0;
			if (f->timed && f->conn && f->rule == VSK_RULE_CREDIT_STALL) {
				/* from is the receiver; the wait is the other end's */
				f->since = wait_frame(f->conn, 1 - f->from);
			} else if (f->timed && f->conn) {
				GHashTable *clk = f->rule == VSK_RULE_NO_RST_AFTER_SHUTDOWN
							  ? clock_shutdown : clock_unknown;
				gpointer key = GSIZE_TO_POINTER((gsize)f->conn);

				f->since = GPOINTER_TO_UINT(g_hash_table_lookup(clk, key));
				g_hash_table_remove(clk, key);
			}
			memcpy(f->detail, v[i].detail, sizeof(f->detail));
			f->detail[sizeof(f->detail) - 1] = 0;
		}
	}
	/* After the findings (which may close a clock), note the clocks this frame started. */
	if (c)
		clock_note(c, pinfo->num);
	return fa;
}

static void an_tree(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb,
		    const struct frame_an *fa)
{
	proto_item *ti = proto_tree_add_item(tree, hf_an, tvb, 0, 0, ENC_NA);
	proto_tree *t = proto_item_add_subtree(ti, ett_an);

	proto_item_set_generated(ti);
	if (fa->conn) {
		proto_item_set_generated(proto_tree_add_uint64(t, hf_an_conn, tvb, 0, 0, fa->conn));
		proto_item_set_generated(proto_tree_add_uint(t, hf_an_dir, tvb, 0, 0, fa->from));
		proto_item_set_generated(proto_tree_add_string(t, hf_an_state, tvb, 0, 0,
							       vsk_conn_state_names[fa->state]));
		if (fa->in_flight >= 0)
			proto_item_set_generated(
				proto_tree_add_int64(t, hf_an_in_flight, tvb, 0, 0, fa->in_flight));
		if (fa->peer_free >= 0)
			proto_item_set_generated(
				proto_tree_add_int64(t, hf_an_free, tvb, 0, 0, fa->peer_free));
		/* Only when true: `vsockkit.analysis.stall` alone then filters stalled frames. */
		if (fa->stall) {
			proto_item *si = proto_tree_add_boolean(t, hf_an_stall, tvb, 0, 0, TRUE);
			proto_tree *st = proto_item_add_subtree(si, ett_an);

			proto_item_set_generated(si);
			proto_item_set_generated(proto_tree_add_uint(st, hf_an_stall_dir, tvb, 0, 0,
								     fa->stall_dir));
			proto_item_set_generated(proto_tree_add_double(st, hf_an_stall_seconds, tvb,
								       0, 0, fa->stall_seconds));
			if (fa->stall_since)
				proto_item_set_generated(proto_tree_add_uint(st, hf_an_stall_since, tvb,
									     0, 0, fa->stall_since));
		}
	}
	for (unsigned i = 0; i < fa->nfind; i++) {
		const struct finding *f = &fa->find[i];
		const struct vsk_rule_info *r = &vsk_rules[f->rule];
		proto_item *vi = proto_tree_add_string(t, hf_an_violation, tvb, 0, 0, r->name);

		proto_item_set_generated(vi);
		if (f->conn) {
			proto_tree *vt = proto_item_add_subtree(vi, ett_an);

			proto_item_set_generated(proto_tree_add_uint(vt, hf_an_rule_stream, tvb, 0, 0,
								     (guint32)(f->conn - 1)));
			if (f->since)
				proto_item_set_generated(proto_tree_add_uint(vt, hf_an_since, tvb, 0,
									     0, f->since));
		}
		if (f->timed)
			expert_add_info_format(pinfo, vi, &ei_rule[f->rule],
					       "%s: %s (%s): %s [stream %" PRIu64 ", clock started at "
					       "frame %u, found as time passed]",
					       r->name, r->text, r->clause, f->detail, f->conn - 1,
					       f->since);
		else
			expert_add_info_format(pinfo, vi, &ei_rule[f->rule], "%s: %s (%s): %s", r->name,
					       r->text, r->clause, f->detail);
	}
}

/* ---- payload handoff ---------------------------------------------------------------- */

static void handoff_payload(tvbuff_t *next, packet_info *pinfo, proto_tree *tree,
			    uint32_t src_port, uint32_t dst_port)
{
	heur_dtbl_entry_t *hdtbl_entry;
	uint32_t lo = src_port < dst_port ? src_port : dst_port;
	uint32_t hi = src_port < dst_port ? dst_port : src_port;

	if (pref_heur_first &&
	    dissector_try_heuristic(heur_list, next, pinfo, tree, &hdtbl_entry, NULL))
		return;
	/* Like TCP: the lower port first (usually the service). */
	if (dissector_try_uint_new(port_table, lo, next, pinfo, tree, TRUE, NULL))
		return;
	if (dissector_try_uint_new(port_table, hi, next, pinfo, tree, TRUE, NULL))
		return;
	if (!pref_heur_first &&
	    dissector_try_heuristic(heur_list, next, pinfo, tree, &hdtbl_entry, NULL))
		return;
	/* Unclaimed: vsockkit.payload already shows the bytes (the data dissector would add a
	 * hex dump of every payload to tshark -V, and the cost with it). */
}

/* ---- the dissector ------------------------------------------------------------------ */

static void add_fields(proto_tree *t, tvbuff_t *tvb, int which, uint32_t base,
		       const struct vsk_pkt *pkt)
{
	for (unsigned i = 0; i < nhfields[which]; i++) {
		const struct hfield *f = &hfields[which][i];

		if (f->hf == hf_hdr_flags) {
			static int *bits[G_N_ELEMENTS(hf_flag) + 1];
			uint32_t defined = vsk_flags_defined(pkt->hdr.op, pkt->hdr.type);
			size_t k = 0;

			for (size_t j = 0; j < vsk_nflags && j < G_N_ELEMENTS(hf_flag); j++)
				if (vsk_flags[j].op == pkt->hdr.op && (defined & vsk_flags[j].mask))
					bits[k++] = &hf_flag[j];
			bits[k] = NULL;
			if (k)
				proto_tree_add_bitmask(t, tvb, base + f->off, f->hf, ett_flags, bits,
						       ENC_LITTLE_ENDIAN);
			else
				proto_tree_add_item(t, f->hf, tvb, base + f->off, f->width,
						    ENC_LITTLE_ENDIAN);
			continue;
		}
		proto_tree_add_item(t, f->hf, tvb, base + f->off, f->width,
				    f->bytes ? ENC_NA : ENC_LITTLE_ENDIAN);
	}
}

static void put_info(packet_info *pinfo, const struct vsk_pkt *pkt, int err,
		     const struct frame_an *fa)
{
	struct timeval ts = {0, 0};

	vsk_sbuf_reset(&line);
	vsk_format_text(&fmt, pkt, err, &ts, &line);
	if (line.len && line.p[line.len - 1] == '\n')
		line.p[--line.len] = 0;
	for (unsigned i = 0; fa && i < fa->nfind; i++) {
		struct vsk_violation v = {.rule = (enum vsk_rule)fa->find[i].rule,
					  .from = fa->find[i].from, .timed = fa->find[i].timed};

		/* The decoder already put these two on the line. */
		if (v.rule == VSK_RULE_LEN_MISMATCH || v.rule == VSK_RULE_CID_UPPER)
			continue;
		memcpy(v.detail, fa->find[i].detail, sizeof(v.detail));
		vsk_report_inline(&v, &line);
	}
	if (fa && fa->stall)
		vsk_sbuf_puts(&line, " [stall]");
	if (line.p)
		col_add_str(pinfo->cinfo, COL_INFO, line.p);
}

static int dissect_vsockkit(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
	guint caplen = tvb_captured_length(tvb), wirelen = tvb_reported_length(tvb);
	const uint8_t *frame = caplen ? tvb_get_ptr(tvb, 0, caplen) : NULL;
	struct frame_an *fa = NULL;
	struct tap_info *ti;
	struct vsk_pkt pkt;
	proto_item *top;
	proto_tree *vt = NULL;
	uint64_t *cids;
	int err;

	(void)data;
	if (wirelen < caplen)
		wirelen = caplen;
	err = vsk_decode(frame ? frame : (const uint8_t *)"", caplen, wirelen, &pkt);

	col_set_str(pinfo->cinfo, COL_PROTOCOL, "vsock");
	col_clear(pinfo->cinfo, COL_INFO);

	if (!PINFO_FD_VISITED(pinfo)) {
		if (flow) {
			fa = an_packet(pinfo, &pkt, err);
			p_add_proto_data(wmem_file_scope(), pinfo, proto_vsockkit, 0, fa);
		}
	} else {
		fa = (struct frame_an *)p_get_proto_data(wmem_file_scope(), pinfo, proto_vsockkit, 0);
	}
	if (pinfo->cinfo)
		put_info(pinfo, &pkt, err, fa);

	top = proto_tree_add_item(tree, proto_vsockkit, tvb, 0, -1, ENC_NA);
	vt = proto_item_add_subtree(top, ett_vsockkit);

	for (int p = 0; p < VSK_PROB__COUNT; p++) {
		if (!vsk_pkt_has(&pkt, (enum vsk_problem)p))
			continue;
		if (tree) {
			proto_item *pi = proto_tree_add_string(vt, hf_problem, tvb, 0, 0,
							       vsk_tab_problem.v[p].name);

			proto_item_set_generated(pi);
			expert_add_info(pinfo, pi, &ei_problem[p]);
		} else {
			expert_add_info(pinfo, top, &ei_problem[p]);
		}
	}
	if (err) {
		/* Shorter than the af_vsockmon_hdr: nothing to show but the problem. */
		if (fa)
			an_tree(vt, pinfo, tvb, fa);
		return (int)caplen;
	}

	/* Addresses and ports: the virtio header's if present, else the vsockmon header's. */
	cids = wmem_alloc_array(pinfo->pool, uint64_t, 2);
	cids[0] = pkt.has_virtio ? pkt.hdr.src_cid : pkt.mon.src_cid;
	cids[1] = pkt.has_virtio ? pkt.hdr.dst_cid : pkt.mon.dst_cid;
	set_address(&pinfo->src, at_vsock, 8, &cids[0]);
	set_address(&pinfo->dst, at_vsock, 8, &cids[1]);
	copy_address_shallow(&pinfo->net_src, &pinfo->src);
	copy_address_shallow(&pinfo->net_dst, &pinfo->dst);
	pinfo->srcport = pkt.has_virtio ? pkt.hdr.src_port : pkt.mon.src_port;
	pinfo->destport = pkt.has_virtio ? pkt.hdr.dst_port : pkt.mon.dst_port;

	if (tree) {
		proto_item *mi = proto_tree_add_item(vt, hf_mon_tree, tvb, 0, VSK_MON_HDR_LEN, ENC_NA);
		proto_tree *mt = proto_item_add_subtree(mi, ett_mon);
		proto_item *hi;

		add_fields(mt, tvb, HDR_MON, 0, &pkt);
		if (pkt.has_virtio) {
			proto_tree *ht;

			hi = proto_tree_add_item(vt, hf_virtio_tree, tvb, VSK_MON_HDR_LEN,
						 VSK_VIRTIO_HDR_LEN, ENC_NA);
			ht = proto_item_add_subtree(hi, ett_virtio);
			add_fields(ht, tvb, HDR_VIRTIO, VSK_MON_HDR_LEN, &pkt);
		}
		/* Either-end fields for filters and the conversation table. */
		hi = proto_tree_add_uint64(vt, hf_cid, tvb, 0, 0, cids[0]);
		proto_item_set_hidden(hi);
		hi = proto_tree_add_uint64(vt, hf_cid, tvb, 0, 0, cids[1]);
		proto_item_set_hidden(hi);
		hi = proto_tree_add_uint(vt, hf_port, tvb, 0, 0, pinfo->srcport);
		proto_item_set_hidden(hi);
		hi = proto_tree_add_uint(vt, hf_port, tvb, 0, 0, pinfo->destport);
		proto_item_set_hidden(hi);
	}
	if (fa && fa->conn)
		proto_item_set_generated(proto_tree_add_uint(vt, hf_stream, tvb, 0, 0,
							     (guint32)(fa->conn - 1)));
	if (fa)
		an_tree(vt, pinfo, tvb, fa);

	ti = wmem_new0(pinfo->pool, struct tap_info);
	copy_address_shallow(&ti->src, &pinfo->src);
	copy_address_shallow(&ti->dst, &pinfo->dst);
	ti->src_port = pinfo->srcport;
	ti->dst_port = pinfo->destport;
	ti->has_stream = fa && fa->conn;
	ti->stream = ti->has_stream ? (uint32_t)(fa->conn - 1) : 0;
	ti->len = wirelen;
	tap_queue_packet(tap_conv, pinfo, ti);

	if (pkt.payload_caplen) {
		guint off = (guint)(pkt.payload - frame);
		tvbuff_t *next = tvb_new_subset_remaining(tvb, off);

		proto_tree_add_item(vt, hf_payload, tvb, off, -1, ENC_NA);
		if (pkt.has_virtio && pkt.hdr.op == VSK_OP_RW) {
			if (ti->has_stream)
				tap_queue_packet(tap_follow, pinfo, next);
			handoff_payload(next, pinfo, tree, pinfo->srcport, pinfo->destport);
		}
	}
	return (int)caplen;
}

/* ---- hybrid vsock CONNECT/OK line (heuristic on the payload) ---------------------- */

static const value_string hybrid_kinds[] = {
	{0, "CONNECT (host program to VMM)"},
	{1, "OK (VMM to host program)"},
	{0, NULL},
};

static gboolean dissect_hybrid_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
				    void *data)
{
	guint len = tvb_captured_length(tvb);
	const uint8_t *p;
	uint32_t port;
	size_t used;
	int kind;
	proto_item *ti;
	proto_tree *t;

	(void)data;
	if (len > VSK_HYBRID_LINE_MAX)
		len = VSK_HYBRID_LINE_MAX;
	if (len < 4)
		return FALSE;
	p = tvb_get_ptr(tvb, 0, len);
	if (vsk_hybrid_parse_connect(p, len, &port, &used) == 1)
		kind = 0;
	else if (vsk_hybrid_parse_ok(p, len, &port, &used) == 1)
		kind = 1;
	else
		return FALSE;
	col_append_fstr(pinfo->cinfo, COL_INFO, " [hybrid %s %u]", kind ? "OK" : "CONNECT", port);
	ti = proto_tree_add_item(tree, proto_hybrid, tvb, 0, (gint)used, ENC_NA);
	t = proto_item_add_subtree(ti, ett_hybrid);
	proto_tree_add_uint(t, hf_hybrid_kind, tvb, 0, (gint)used, (guint32)kind);
	proto_tree_add_uint(t, hf_hybrid_port, tvb, 0, (gint)used, port);
	if (used < tvb_reported_length(tvb))
		call_dissector(data_handle, tvb_new_subset_remaining(tvb, (gint)used), pinfo, tree);
	return TRUE;
}

/* ---- conversation table, endpoints, follow ---------------------------------------- */

static const char *conv_filter_type(conv_item_t *conv, conv_filter_type_e ft)
{
	(void)conv;
	switch (ft) {
	case CONV_FT_SRC_ADDRESS: return PFX ".src_cid";
	case CONV_FT_DST_ADDRESS: return PFX ".dst_cid";
	case CONV_FT_ANY_ADDRESS: return PFX ".cid";
	case CONV_FT_SRC_PORT: return PFX ".src_port";
	case CONV_FT_DST_PORT: return PFX ".dst_port";
	case CONV_FT_ANY_PORT: return PFX ".port";
	}
	return CONV_FILTER_INVALID;
}

static const char *endpoint_filter_type(endpoint_item_t *e, conv_filter_type_e ft)
{
	(void)e;
	switch (ft) {
	case CONV_FT_SRC_ADDRESS:
	case CONV_FT_DST_ADDRESS:
	case CONV_FT_ANY_ADDRESS: return PFX ".cid";
	case CONV_FT_SRC_PORT:
	case CONV_FT_DST_PORT:
	case CONV_FT_ANY_PORT: return PFX ".port";
	}
	return CONV_FILTER_INVALID;
}

static ct_dissector_info_t ct_info = {&conv_filter_type};
static et_dissector_info_t et_info = {&endpoint_filter_type};

static tap_packet_status conv_packet(void *pct, packet_info *pinfo, epan_dissect_t *edt,
				     const void *vip, tap_flags_t flags)
{
	conv_hash_t *hash = (conv_hash_t *)pct;
	const struct tap_info *ti = (const struct tap_info *)vip;

	(void)edt;
	hash->flags = flags;
	add_conversation_table_data_with_conv_id(hash, &ti->src, &ti->dst, ti->src_port,
						 ti->dst_port, ti->has_stream ? ti->stream : CONV_ID_UNSET,
						 1, (int)ti->len, &pinfo->rel_ts, &pinfo->abs_ts,
						 &ct_info, CONVERSATION_NONE);
	return TAP_PACKET_REDRAW;
}

static tap_packet_status endpoint_packet(void *pit, packet_info *pinfo, epan_dissect_t *edt,
					 const void *vip, tap_flags_t flags)
{
	conv_hash_t *hash = (conv_hash_t *)pit;
	const struct tap_info *ti = (const struct tap_info *)vip;

	(void)pinfo;
	(void)edt;
	hash->flags = flags;
	add_endpoint_table_data(hash, &ti->src, ti->src_port, TRUE, 1, (int)ti->len, &et_info,
				CONVERSATION_NONE);
	add_endpoint_table_data(hash, &ti->dst, ti->dst_port, FALSE, 1, (int)ti->len, &et_info,
				CONVERSATION_NONE);
	return TAP_PACKET_REDRAW;
}

static gchar *follow_conv_filter(epan_dissect_t *edt, packet_info *pinfo, guint *stream,
				 guint *sub_stream)
{
	const struct frame_an *fa =
		(const struct frame_an *)p_get_proto_data(wmem_file_scope(), pinfo, proto_vsockkit, 0);

	(void)edt;
	(void)sub_stream;
	if (!fa || !fa->conn)
		return NULL;
	*stream = (guint)(fa->conn - 1);
	return g_strdup_printf(PFX ".stream eq %u", *stream);
}

static gchar *follow_index_filter(guint stream, guint sub_stream)
{
	(void)sub_stream;
	return g_strdup_printf(PFX ".stream eq %u", stream);
}

static gchar *follow_address_filter(address *src, address *dst, int src_port, int dst_port)
{
	uint64_t s, d;

	memcpy(&s, src->data, sizeof(s));
	memcpy(&d, dst->data, sizeof(d));
	return g_strdup_printf("((" PFX ".src_cid eq %" PRIu64 " and " PFX ".src_port eq %d and "
			       PFX ".dst_cid eq %" PRIu64 " and " PFX ".dst_port eq %d) or ("
			       PFX ".src_cid eq %" PRIu64 " and " PFX ".src_port eq %d and "
			       PFX ".dst_cid eq %" PRIu64 " and " PFX ".dst_port eq %d))",
			       s, src_port, d, dst_port, d, dst_port, s, src_port);
}

static gchar *follow_port_to_display(wmem_allocator_t *allocator, guint port)
{
	return wmem_strdup_printf(allocator, "%u", port);
}

/* ---- Decode As ----------------------------------------------------------------------- */

static void da_label_src(packet_info *pinfo, gchar *result)
{
	snprintf(result, MAX_DECODE_AS_PROMPT_LEN, "source port (%u)", pinfo->srcport);
}

static void da_label_dst(packet_info *pinfo, gchar *result)
{
	snprintf(result, MAX_DECODE_AS_PROMPT_LEN, "destination port (%u)", pinfo->destport);
}

static gpointer da_value_src(packet_info *pinfo) { return GUINT_TO_POINTER(pinfo->srcport); }

static gpointer da_value_dst(packet_info *pinfo) { return GUINT_TO_POINTER(pinfo->destport); }

static build_valid_func da_src_values[] = {da_value_src};
static build_valid_func da_dst_values[] = {da_value_dst};
static decode_as_value_t da_values[] = {
	{da_label_src, 1, da_src_values},
	{da_label_dst, 1, da_dst_values},
};
static decode_as_t da = {
	PFX, PFX ".port", 2, 1, da_values, "vsock port", NULL, decode_as_default_populate_list,
	decode_as_default_reset, decode_as_default_change, NULL,
};

/* ---- registration ------------------------------------------------------------------- */

static char *lower_dup(const char *s)
{
	char *d = g_ascii_strdown(s, -1);

	return d;
}

static const value_string *vals_of(const struct vsk_table *t)
{
	value_string *vs = g_new0(value_string, t->n + 1);

	for (size_t i = 0; i < t->n; i++) {
		vs[i].value = t->v[i].num;
		vs[i].strptr = t->v[i].label ? t->v[i].label : t->v[i].name;
	}
	return vs;
}

/* The header fields of one header: its VSK_CONST <prefix>* offsets, sorted. */
static void collect_fields(int which, const char *prefix, uint32_t hdr_len)
{
	size_t plen = strlen(prefix);
	unsigned n = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(consts) && n < MAX_HFIELDS; i++) {
		struct hfield *f;

		if (strncmp(consts[i].id, prefix, plen) != 0)
			continue;
		f = &hfields[which][n++];
		f->hf = -1;
		f->off = (uint32_t)consts[i].value;
		f->name = lower_dup(consts[i].id + plen);
	}
	/* Sort by offset (insertion sort, a dozen rows); widths run to the next offset. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && hfields[which][j - 1].off > hfields[which][j].off; j--) {
			struct hfield tmp = hfields[which][j];

			hfields[which][j] = hfields[which][j - 1];
			hfields[which][j - 1] = tmp;
		}
	for (unsigned i = 0; i < n; i++)
		hfields[which][i].width = (i + 1 < n ? hfields[which][i + 1].off : hdr_len) -
					  hfields[which][i].off;
	nhfields[which] = n;
}

static void register_hfields(void)
{
	static const struct {
		int which;
		uint32_t off;
		const struct vsk_table *t;
	} named[] = {
		{HDR_MON, VSK_MON_OFF_OP, &vsk_tab_mon_op},
		{HDR_MON, VSK_MON_OFF_TRANSPORT, &vsk_tab_transport},
		{HDR_VIRTIO, VSK_HDR_OFF_OP, &vsk_tab_op},
		{HDR_VIRTIO, VSK_HDR_OFF_TYPE, &vsk_tab_type},
	};
	hf_register_info *hf;
	unsigned k = 0;

	collect_fields(HDR_MON, "MON_OFF_", VSK_MON_HDR_LEN);
	collect_fields(HDR_VIRTIO, "HDR_OFF_", VSK_VIRTIO_HDR_LEN);
	hf = g_new0(hf_register_info, nhfields[0] + nhfields[1] + vsk_nflags);
	for (int w = 0; w < 2; w++) {
		for (unsigned i = 0; i < nhfields[w]; i++) {
			struct hfield *f = &hfields[w][i];
			header_field_info *h = &hf[k].hfinfo;

			hf[k].p_id = &f->hf;
			h->name = w == HDR_MON ? g_strconcat("vsockmon ", f->name, NULL) : f->name;
			h->abbrev = g_strconcat(PFX, w == HDR_MON ? ".mon." : ".", f->name, NULL);
			h->display = BASE_DEC;
			if (w == HDR_MON && f->off == VSK_MON_OFF_RESERVED) {
				f->bytes = true;
				h->type = FT_BYTES;
				h->display = BASE_NONE;
			} else if (f->width == 8) {
				h->type = FT_UINT64;
			} else if (f->width == 4) {
				h->type = FT_UINT32;
			} else if (f->width == 2) {
				h->type = FT_UINT16;
			} else {
				f->bytes = true;
				h->type = FT_BYTES;
				h->display = BASE_NONE;
			}
			if (w == HDR_VIRTIO && f->off == VSK_HDR_OFF_FLAGS)
				h->display = BASE_HEX;
			for (size_t j = 0; j < G_N_ELEMENTS(named); j++)
				if (named[j].which == w && named[j].off == f->off) {
					f->names = named[j].t;
					h->strings = VALS(vals_of(named[j].t));
				}
			h->blurb = w == HDR_MON ? "af_vsockmon_hdr field" : "virtio_vsock_hdr field";
			HFILL_INIT(hf[k]);
			k++;
		}
	}
	for (size_t j = 0; j < vsk_nflags && j < G_N_ELEMENTS(hf_flag); j++) {
		const struct vsk_name *op = vsk_table_find(&vsk_tab_op, vsk_flags[j].op);
		header_field_info *h = &hf[k].hfinfo;

		hf_flag[j] = -1;
		hf[k].p_id = &hf_flag[j];
		h->name = g_strdup_printf("%s %s", op ? op->label : "?", vsk_flags[j].name);
		h->abbrev = g_strconcat(PFX ".flags.", vsk_flags[j].name, NULL);
		h->type = FT_BOOLEAN;
		h->display = 32;
		h->bitmask = vsk_flags[j].mask;
		h->blurb = "virtio_vsock_hdr flag bit";
		HFILL_INIT(hf[k]);
		k++;
	}
	proto_register_field_array(proto_vsockkit, hf, (int)k);
	for (unsigned i = 0; i < nhfields[HDR_VIRTIO]; i++)
		if (hfields[HDR_VIRTIO][i].off == VSK_HDR_OFF_FLAGS)
			hf_hdr_flags = hfields[HDR_VIRTIO][i].hf;
}

static void register_experts(expert_module_t *em)
{
	ei_register_info *ei = g_new0(ei_register_info, VSK_PROB__COUNT + VSK_RULE__COUNT);
	static const int sev[] = {[VSK_SEV_INFO] = PI_NOTE, [VSK_SEV_WARNING] = PI_WARN,
				  [VSK_SEV_ERROR] = PI_ERROR};
	int k = 0;

	for (int p = 0; p < VSK_PROB__COUNT; p++, k++) {
		ei[k].ids = &ei_problem[p];
		ei[k].eiinfo.name = g_strconcat(PFX ".problem.", vsk_tab_problem.v[p].name, NULL);
		ei[k].eiinfo.group = p == VSK_PROB_HDR_SHORT || p == VSK_PROB_TRUNCATED
					     ? PI_MALFORMED : PI_PROTOCOL;
		ei[k].eiinfo.severity = PI_WARN;
		ei[k].eiinfo.summary = vsk_tab_problem.v[p].label;
		HFILL_INIT(ei[k].eiinfo.hf_info);
	}
	for (int r = 0; r < VSK_RULE__COUNT; r++, k++) {
		ei[k].ids = &ei_rule[r];
		ei[k].eiinfo.name = g_strconcat(PFX ".rule.", vsk_rules[r].name, NULL);
		ei[k].eiinfo.group = PI_SEQUENCE;
		ei[k].eiinfo.severity = sev[vsk_rules[r].sev];
		ei[k].eiinfo.summary = g_strdup_printf("%s: %s (%s)", vsk_rules[r].name,
						       vsk_rules[r].text, vsk_rules[r].clause);
		HFILL_INIT(ei[k].eiinfo.hf_info);
	}
	expert_register_field_array(em, ei, k);
}

static const value_string dir_vals[] = {
	{0, "from the requester (end 0)"},
	{1, "from the responder (end 1)"},
	{0, NULL},
};

void vsockkit_register(void)
{
	static hf_register_info hf[] = {
		{&hf_mon_tree, {"af_vsockmon_hdr", PFX ".mon", FT_NONE, BASE_NONE, NULL, 0,
				"The vsockmon header Linux's tap adds", HFILL}},
		{&hf_virtio_tree, {"virtio_vsock_hdr", PFX ".hdr", FT_NONE, BASE_NONE, NULL, 0,
				   "The virtio-vsock transport header", HFILL}},
		{&hf_payload, {"Payload", PFX ".payload", FT_BYTES, BASE_NONE, NULL, 0, NULL, HFILL}},
		{&hf_stream, {"Stream index", PFX ".stream", FT_UINT32, BASE_DEC, NULL, 0,
			      "Connection index from 0 (vsockdump's connection N is stream N-1)",
			      HFILL}},
		{&hf_cid, {"CID", PFX ".cid", FT_UINT64, BASE_DEC, NULL, 0,
			   "Source or destination CID", HFILL}},
		{&hf_port, {"Port", PFX ".port", FT_UINT32, BASE_DEC, NULL, 0,
			    "Source or destination port", HFILL}},
		{&hf_problem, {"Decoder problem", PFX ".problem", FT_STRING, BASE_NONE, NULL, 0,
			       "What lib/decode.c found wrong with the frame", HFILL}},
		{&hf_an, {"Analysis", PFX ".analysis", FT_NONE, BASE_NONE, NULL, 0,
			  "Connection tracking and protocol rules (lib/flow.c)", HFILL}},
		{&hf_an_conn, {"Connection", PFX ".analysis.conn", FT_UINT64, BASE_DEC, NULL, 0,
			       "Connection number as vsockdump counts them (from 1)", HFILL}},
		{&hf_an_dir, {"Direction", PFX ".analysis.direction", FT_UINT8, BASE_DEC,
			      VALS(dir_vals), 0, NULL, HFILL}},
		{&hf_an_state, {"Connection state", PFX ".analysis.state", FT_STRING, BASE_NONE,
				NULL, 0, "After this frame", HFILL}},
		{&hf_an_in_flight, {"Bytes in flight", PFX ".analysis.in_flight", FT_INT64, BASE_DEC,
				    NULL, 0, "Sent by this end, not yet acknowledged by the "
				    "peer's fwd_cnt", HFILL}},
		{&hf_an_free, {"Receiver free space", PFX ".analysis.peer_free", FT_INT64, BASE_DEC,
			       NULL, 0, "buf_alloc - (tx_cnt - fwd_cnt) for data from this end "
			       "(Socket Device: Buffer Space Management)", HFILL}},
		{&hf_an_stall, {"Stalled", PFX ".analysis.stall", FT_BOOLEAN, BASE_NONE, NULL, 0,
				"A sender of this connection has waited at its send limit, min(the "
				"receiver's buf_alloc, its own), for the stall time or longer, as of "
				"this frame (also on the frame that ends the wait; present only then; "
				"lib/vsk/flow.h vsk_flow_stall)", HFILL}},
		{&hf_an_stall_dir, {"Stalled sender", PFX ".analysis.stall.direction", FT_UINT8,
				    BASE_DEC, VALS(dir_vals), 0, NULL, HFILL}},
		{&hf_an_stall_seconds, {"Waited (seconds)", PFX ".analysis.stall.seconds",
					FT_DOUBLE, BASE_NONE, NULL, 0, "How long the wait has lasted "
					"at this frame, or lasted if this frame ended it", HFILL}},
		{&hf_an_stall_since, {"Wait began at", PFX ".analysis.stall.since", FT_FRAMENUM,
				      BASE_NONE, NULL, 0, "The RW that reached the send limit",
				      HFILL}},
		{&hf_an_violation, {"Violation", PFX ".analysis.violation", FT_STRING, BASE_NONE,
				    NULL, 0, "A flow rule broken (rule name)", HFILL}},
		{&hf_an_rule_stream, {"About stream", PFX ".analysis.violation.stream", FT_UINT32,
				      BASE_DEC, NULL, 0, "The connection the finding is about",
				      HFILL}},
		{&hf_an_since, {"Clock started at", PFX ".analysis.violation.since", FT_FRAMENUM,
				BASE_NONE, NULL, 0, "Timed rules: the frame whose deadline passed "
				"(the full SHUTDOWN, the packet of unknown type, the RW that began "
				"the wait)", HFILL}},
	};
	static hf_register_info hf_hybrid[] = {
		{&hf_hybrid_kind, {"Line", PFX ".hybrid.line", FT_UINT32, BASE_DEC,
				   VALS(hybrid_kinds), 0, NULL, HFILL}},
		{&hf_hybrid_port, {"Port", PFX ".hybrid.port", FT_UINT32, BASE_DEC, NULL, 0,
				   "The port the line names", HFILL}},
	};
	static gint *ett[] = {&ett_vsockkit, &ett_mon, &ett_virtio, &ett_flags, &ett_an,
			      &ett_hybrid};
	module_t *m;

	proto_vsockkit = proto_register_protocol("vsock (vsockkit)", "vsockkit", PFX);
	proto_hybrid = proto_register_protocol("Hybrid vsock handshake (vsockkit)",
					       "vsockkit-hybrid", PFX ".hybrid");
	register_hfields();
	proto_register_field_array(proto_vsockkit, hf, (int)G_N_ELEMENTS(hf));
	proto_register_field_array(proto_hybrid, hf_hybrid, (int)G_N_ELEMENTS(hf_hybrid));
	proto_register_subtree_array(ett, (int)G_N_ELEMENTS(ett));
	register_experts(expert_register_protocol(proto_vsockkit));

	vsockkit_handle = register_dissector(PFX, dissect_vsockkit, proto_vsockkit);
	port_table = register_dissector_table(PFX ".port", "vsock port", proto_vsockkit,
					      FT_UINT32, BASE_DEC);
	heur_list = register_heur_dissector_list(PFX, proto_vsockkit);
	register_decode_as(&da);

	at_vsock = address_type_dissector_register("AT_VSOCKKIT", "vsock CID", cid_to_str,
						   cid_str_len, NULL, cid_col_filter, cid_len,
						   NULL, NULL);
	tap_conv = register_tap(PFX);
	tap_follow = register_tap(PFX "_follow");
	register_conversation_table(proto_vsockkit, FALSE, conv_packet, endpoint_packet);
	register_follow_stream(proto_vsockkit, PFX "_follow", follow_conv_filter,
			       follow_index_filter, follow_address_filter, follow_port_to_display,
			       follow_tvb_tap_listener);

	m = prefs_register_protocol(proto_vsockkit, NULL);
	prefs_register_bool_preference(m, "analyze", "Analyze connections",
				       "Track connections, credit and shutdown, and check the flow "
				       "rules (vsockdump --check)", &pref_analyze);
	prefs_register_uint_preference(m, "close_timeout", "Close timeout (seconds)",
				       "How long after a full SHUTDOWN an RST must follow "
				       "(no_rst_after_shutdown)", 10, &pref_close_timeout);
	prefs_register_uint_preference(m, "stall_time", "Stall time (seconds)",
				       "How long a sender may wait at its send limit before the wait "
				       "is a stall (vsockkit.analysis.stall, credit_stall)", 10,
				       &pref_stall_time);
	prefs_register_bool_preference(m, "try_heuristic_first", "Try heuristic sub-dissectors "
				       "first", "Before the port table", &pref_heur_first);

	register_init_routine(an_init);
	register_cleanup_routine(an_cleanup);
}

/* Every protocol TCP can hand a port's payload to is offered for Decode As here, once
 * per description (Wireshark warns about two handles with the same one). */
static void offer_handle(const gchar *table, gpointer handle, gpointer user)
{
	GHashTable *seen = (GHashTable *)user;
	const char *desc = dissector_handle_get_description((dissector_handle_t)handle);

	(void)table;
	if (!desc || g_hash_table_contains(seen, desc))
		return;
	g_hash_table_add(seen, (gpointer)desc);
	dissector_add_for_decode_as(PFX ".port", (dissector_handle_t)handle);
}

void vsockkit_handoff(void)
{
	static const char *const extra[] = {"json", "data", "text-lines"};
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	/* Plugin handoffs run after the built-in ones: this replaces packet-vsock.c's
	 * registration for WTAP_ENCAP_VSOCK (LINKTYPE_VSOCK 271). */
	dissector_add_uint("wtap_encap", WTAP_ENCAP_VSOCK, vsockkit_handle);
	data_handle = find_dissector("data");
	dissector_table_foreach_handle("tcp.port", offer_handle, seen);
	for (size_t i = 0; i < G_N_ELEMENTS(extra); i++) {
		dissector_handle_t h = find_dissector(extra[i]);

		if (h)
			offer_handle(NULL, h, seen);
	}
	g_hash_table_destroy(seen);
	heur_dissector_add(PFX, dissect_hybrid_heur, "Hybrid vsock CONNECT/OK line",
			   "vsockkit_hybrid", proto_hybrid, HEURISTIC_ENABLE);
}
