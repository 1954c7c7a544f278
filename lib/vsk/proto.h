/* proto.h - the protocol table (lib/vsock.def) as C enums and name tables. */
#ifndef VSK_PROTO_H
#define VSK_PROTO_H

#include <stddef.h>
#include <stdint.h>

enum vsk_op {
#define VSK_OP(num, ID, name, label) VSK_OP_##ID = num,
#include "../vsock.def"
};
enum vsk_type {
#define VSK_TYPE(num, ID, name, label, note) VSK_TYPE_##ID = num,
#include "../vsock.def"
};
enum vsk_flag_bits {
#define VSK_FLAG(op, bit, ID, name) VSK_FLAG_##ID = bit,
#include "../vsock.def"
};
enum vsk_mon_op {
#define VSK_MON_OP(num, ID, name) VSK_MON_OP_##ID = num,
#include "../vsock.def"
};
enum vsk_transport {
#define VSK_TRANSPORT(num, ID, name) VSK_TRANSPORT_##ID = num,
#include "../vsock.def"
};
enum vsk_cid {
#define VSK_CID(num, ID, name) VSK_CID_##ID = num,
#include "../vsock.def"
};
enum vsk_sock_state {
#define VSK_SOCK_STATE(num, ID, name, ss) VSK_SOCK_STATE_##ID = num,
#include "../vsock.def"
};
enum vsk_sock_type {
#define VSK_SOCK_TYPE(num, ID, name, ss) VSK_SOCK_TYPE_##ID = num,
#include "../vsock.def"
};
enum vsk_feature {
#define VSK_FEATURE(bit, ID, name, note) VSK_FEATURE_##ID = bit,
#include "../vsock.def"
};
/* Problem numbers are dense (0..VSK_PROB__COUNT-1); pkt->problems is a bit set. */
enum vsk_problem {
#define VSK_PROBLEM(ID, name, text) VSK_PROB_##ID,
#include "../vsock.def"
	VSK_PROB__COUNT
};
enum {
#define VSK_CONST(ID, value) VSK_##ID = value,
#include "../vsock.def"
};

/* One row of a name table: the number, the lowercase spec name (JSON, filters), the
 * uppercase label (text output; NULL where the table has none) and a note ("" or text). */
struct vsk_name {
	uint32_t num;
	const char *name;
	const char *label;
	const char *note;
	uint8_t name_len, label_len; /* strlen of name and label (the hot path prints them) */
};

/* A table of rows sorted by number; `what` names it in messages ("op", "type"...). */
struct vsk_table {
	const char *what;
	const struct vsk_name *v;
	size_t n;
};

extern const struct vsk_table vsk_tab_op;         /* virtio ops */
extern const struct vsk_table vsk_tab_type;       /* virtio types */
extern const struct vsk_table vsk_tab_mon_op;     /* af_vsockmon ops; label = upper name */
extern const struct vsk_table vsk_tab_transport;  /* af_vsockmon transports */
extern const struct vsk_table vsk_tab_cid;        /* well-known CIDs */
extern const struct vsk_table vsk_tab_sock_state; /* vsock_diag states; label = ss name */
extern const struct vsk_table vsk_tab_sock_type;  /* vsock_diag types; label = netid */
extern const struct vsk_table vsk_tab_feature;    /* feature bits; num = bit number */
extern const struct vsk_table vsk_tab_problem;    /* decoder problems; label = text */

/* A flag bit: meaningful only on packets whose op is `op` (and for RW, type SEQPACKET). */
struct vsk_flag {
	uint16_t op;
	uint32_t mask;
	const char *name;
};
extern const struct vsk_flag vsk_flags[];
extern const size_t vsk_nflags;

/* The row numbered `num`, or NULL if the table has none. */
const struct vsk_name *vsk_table_find(const struct vsk_table *t, uint32_t num);

/* The row whose name or label equals name[0..len) ignoring case, or NULL. */
const struct vsk_name *vsk_table_lookup(const struct vsk_table *t, const char *name,
					size_t len);

/* The vsockmon op Linux's tap gives a virtio op (VSK_MON_OP_UNKNOWN for others). */
uint16_t vsk_mon_op_for(uint16_t op);

/* The flag bits defined for a packet of this op and type (0 when none are). */
uint32_t vsk_flags_defined(uint16_t op, uint16_t type);

#endif
