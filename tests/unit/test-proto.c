/* test-proto.c - the protocol table (lib/vsock.def): every entry reachable by number,
 * name and label, and every number and layout equal to the Linux uapi headers, which
 * are an independent source (linux-libc-dev). */
#include <stddef.h>
#include <strings.h>

#include <linux/virtio_vsock.h>
#include <linux/vm_sockets.h>
#include <linux/vm_sockets_diag.h>
#include <linux/vsockmon.h>
#include <netinet/tcp.h>

/* Comparing our enums with the uapi enums is the point of this file. */
#pragma GCC diagnostic ignored "-Wenum-compare"

#include "tap.h"
#include "vsk/decode.h"
#include "vsk/error.h"
#include "vsk/proto.h"

static void check_table(const struct vsk_table *t, int dense)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct vsk_name *r = &t->v[i];

		tap_ok(vsk_table_find(t, r->num) == r, "%s %u (%s) found by number", t->what,
		       (unsigned)r->num, r->name);
		tap_ok(vsk_table_lookup(t, r->name, strlen(r->name)) == r, "%s '%s' found by name",
		       t->what, r->name);
		if (r->label) {
			tap_ok(vsk_table_lookup(t, r->label, strlen(r->label)) == r,
			       "%s label '%s' found", t->what, r->label);
		}
		for (size_t k = 0; k < i; k++) {
			if (t->v[k].num == r->num || strcasecmp(t->v[k].name, r->name) == 0)
				tap_ok(0, "%s: rows %zu and %zu clash", t->what, k, i);
		}
		for (const char *c = r->name; *c; c++) {
			if (*c >= 'A' && *c <= 'Z') {
				tap_ok(0, "%s name '%s' is lowercase", t->what, r->name);
				break;
			}
		}
		if (dense)
			tap_ok(r->num == i, "%s table is dense at %zu", t->what, i);
		if (i > 0 && t != &vsk_tab_cid)
			tap_ok(t->v[i - 1].num < r->num, "%s table sorted at %zu", t->what, i);
	}
	/* Lookups take a length and do not need a NUL. */
	tap_ok(t->n == 0 || vsk_table_lookup(t, t->v[0].name, strlen(t->v[0].name) - 1) == NULL ||
		       strlen(t->v[0].name) == 1,
	       "%s: a prefix of a name is not a match", t->what);
	tap_ok(vsk_table_lookup(t, "no-such-name", 12) == NULL, "%s: unknown name not found",
	       t->what);
	tap_ok(vsk_table_find(t, 0xfffffff0u) == NULL, "%s: unknown number not found", t->what);
}

int main(void)
{
	check_table(&vsk_tab_op, 1);
	check_table(&vsk_tab_type, 0);
	check_table(&vsk_tab_mon_op, 1);
	check_table(&vsk_tab_transport, 1);
	check_table(&vsk_tab_cid, 0);
	check_table(&vsk_tab_sock_state, 0);
	check_table(&vsk_tab_feature, 1);
	check_table(&vsk_tab_problem, 1);
	tap_ok(vsk_tab_problem.n == VSK_PROB__COUNT && VSK_PROB__COUNT <= 32,
	       "problem bits fit the 32-bit set");
	tap_ok(vsk_table_lookup(&vsk_tab_op, "Credit_Update", 13) != NULL,
	       "lookups ignore case");

	/* Against the uapi: virtio_vsock.h */
	tap_ok(VSK_OP_INVALID == VIRTIO_VSOCK_OP_INVALID && VSK_OP_REQUEST == VIRTIO_VSOCK_OP_REQUEST &&
		       VSK_OP_RESPONSE == VIRTIO_VSOCK_OP_RESPONSE && VSK_OP_RST == VIRTIO_VSOCK_OP_RST &&
		       VSK_OP_SHUTDOWN == VIRTIO_VSOCK_OP_SHUTDOWN && VSK_OP_RW == VIRTIO_VSOCK_OP_RW &&
		       VSK_OP_CREDIT_UPDATE == VIRTIO_VSOCK_OP_CREDIT_UPDATE &&
		       VSK_OP_CREDIT_REQUEST == VIRTIO_VSOCK_OP_CREDIT_REQUEST,
	       "ops equal the uapi enum virtio_vsock_op");
	tap_ok(vsk_tab_op.n == VIRTIO_VSOCK_OP_CREDIT_REQUEST + 1, "no op beyond the uapi's");
	tap_ok(VSK_TYPE_STREAM == VIRTIO_VSOCK_TYPE_STREAM &&
		       VSK_TYPE_SEQPACKET == VIRTIO_VSOCK_TYPE_SEQPACKET,
	       "types equal the uapi enum virtio_vsock_type");
	tap_ok(strstr(vsk_table_find(&vsk_tab_type, VSK_TYPE_DGRAM)->note, "proposed") != NULL,
	       "dgram is marked as a proposal");
	tap_ok(VSK_FLAG_SHUTDOWN_RCV == VIRTIO_VSOCK_SHUTDOWN_RCV &&
		       VSK_FLAG_SHUTDOWN_SEND == VIRTIO_VSOCK_SHUTDOWN_SEND &&
		       VSK_FLAG_SEQ_EOM == VIRTIO_VSOCK_SEQ_EOM && VSK_FLAG_SEQ_EOR == VIRTIO_VSOCK_SEQ_EOR,
	       "flags equal the uapi shutdown and seqpacket flags");
	tap_ok(VSK_FEATURE_SEQPACKET == VIRTIO_VSOCK_F_SEQPACKET, "feature bit SEQPACKET");
	tap_ok(sizeof(struct virtio_vsock_hdr) == VSK_VIRTIO_HDR_LEN, "virtio_vsock_hdr is 44 bytes");
#define OFF(f, C) tap_ok(offsetof(struct virtio_vsock_hdr, f) == VSK_HDR_OFF_##C, "virtio offset " #f)
	OFF(src_cid, SRC_CID); OFF(dst_cid, DST_CID); OFF(src_port, SRC_PORT);
	OFF(dst_port, DST_PORT); OFF(len, LEN); OFF(type, TYPE); OFF(op, OP);
	OFF(flags, FLAGS); OFF(buf_alloc, BUF_ALLOC); OFF(fwd_cnt, FWD_CNT);
#undef OFF

	/* vsockmon.h */
	tap_ok(sizeof(struct af_vsockmon_hdr) == VSK_MON_HDR_LEN, "af_vsockmon_hdr is 32 bytes");
#define OFF(f, C) tap_ok(offsetof(struct af_vsockmon_hdr, f) == VSK_MON_OFF_##C, "vsockmon offset " #f)
	OFF(src_cid, SRC_CID); OFF(dst_cid, DST_CID); OFF(src_port, SRC_PORT);
	OFF(dst_port, DST_PORT); OFF(op, OP); OFF(transport, TRANSPORT); OFF(len, LEN);
	OFF(reserved, RESERVED);
#undef OFF
	tap_ok(VSK_MON_OP_UNKNOWN == AF_VSOCK_OP_UNKNOWN && VSK_MON_OP_CONNECT == AF_VSOCK_OP_CONNECT &&
		       VSK_MON_OP_DISCONNECT == AF_VSOCK_OP_DISCONNECT &&
		       VSK_MON_OP_CONTROL == AF_VSOCK_OP_CONTROL && VSK_MON_OP_PAYLOAD == AF_VSOCK_OP_PAYLOAD,
	       "vsockmon ops equal the uapi");
	tap_ok(VSK_TRANSPORT_UNKNOWN == AF_VSOCK_TRANSPORT_UNKNOWN &&
		       VSK_TRANSPORT_NO_INFO == AF_VSOCK_TRANSPORT_NO_INFO &&
		       VSK_TRANSPORT_VIRTIO == AF_VSOCK_TRANSPORT_VIRTIO,
	       "transports equal the uapi");
	tap_ok(VSK_FRAME_HDR_LEN == VSK_MON_HDR_LEN + VSK_VIRTIO_HDR_LEN, "frame header = 32 + 44");
	tap_ok(VSK_DEFAULT_SNAPLEN == VSK_FRAME_HDR_LEN + VSK_MAX_PKT_BUF_SIZE,
	       "default snaplen holds a full 64 KiB RW frame");

	/* vm_sockets.h and the diag states (TCP_* numbering) */
	tap_ok(VSK_CID_ANY == VMADDR_CID_ANY && VSK_CID_HYPERVISOR == VMADDR_CID_HYPERVISOR &&
		       VSK_CID_LOCAL == VMADDR_CID_LOCAL && VSK_CID_HOST == VMADDR_CID_HOST,
	       "well-known CIDs equal the uapi");
	tap_ok(VSK_AF_VSOCK == AF_VSOCK, "AF_VSOCK");
	tap_ok(VSK_SOCK_STATE_ESTABLISHED == TCP_ESTABLISHED && VSK_SOCK_STATE_SYN_SENT == TCP_SYN_SENT &&
		       VSK_SOCK_STATE_CLOSE == TCP_CLOSE && VSK_SOCK_STATE_LISTEN == TCP_LISTEN &&
		       VSK_SOCK_STATE_CLOSING == TCP_CLOSING,
	       "socket states use the TCP_* numbers");
	tap_ok(sizeof(struct vsock_diag_msg) == 32 && sizeof(struct vsock_diag_req) == 24,
	       "vsock_diag structs have the sizes the parser expects");

	/* Flags are defined only where the spec defines them. */
	tap_ok(vsk_flags_defined(VSK_OP_SHUTDOWN, VSK_TYPE_STREAM) ==
		       (VSK_FLAG_SHUTDOWN_RCV | VSK_FLAG_SHUTDOWN_SEND),
	       "SHUTDOWN defines rcv|send");
	tap_ok(vsk_flags_defined(VSK_OP_RW, VSK_TYPE_SEQPACKET) == (VSK_FLAG_SEQ_EOM | VSK_FLAG_SEQ_EOR),
	       "seqpacket RW defines eom|eor");
	tap_ok(vsk_flags_defined(VSK_OP_RW, VSK_TYPE_STREAM) == 0, "stream RW defines no flags");
	tap_ok(vsk_flags_defined(VSK_OP_REQUEST, VSK_TYPE_STREAM) == 0, "REQUEST defines no flags");
	for (size_t i = 0; i < vsk_nflags; i++)
		tap_ok(vsk_table_find(&vsk_tab_op, vsk_flags[i].op) != NULL, "flag %s names a known op",
		       vsk_flags[i].name);

	/* Every error code has its own words; the codes are -1, -2, ... with no gap, and the
	 * one below the last has none. */
	static const struct { int code; const char *id, *words; } errs[] = {
#define ERR(ID, value, words) {VSK_E_##ID, #ID, words},
		VSK_ERRORS(ERR)
#undef ERR
	};
	size_t nerr = sizeof(errs) / sizeof(errs[0]);
	tap_streq(vsk_strerror(VSK_OK), "success", "vsk_strerror(VSK_OK)");
	for (size_t i = 0; i < nerr; i++) {
		bool own = errs[i].code == -(int)i - 1 &&
			   strcmp(vsk_strerror(errs[i].code), errs[i].words) == 0 &&
			   strcmp(errs[i].words, "unknown error") != 0 && errs[i].words[0];
		for (size_t j = 0; j < i; j++)
			own = own && strcmp(errs[j].words, errs[i].words) != 0;
		tap_ok(own, "VSK_E_%s is %d and vsk_strerror says its own words", errs[i].id,
		       errs[i].code);
	}
	tap_streq(vsk_strerror(errs[nerr - 1].code - 1), "unknown error",
		  "vsk_strerror of the code below the last");
	tap_streq(vsk_strerror(-99), "unknown error", "vsk_strerror of an unknown code");
	return tap_done();
}
