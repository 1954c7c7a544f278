/* proto.c - name tables generated from lib/vsock.def. */
#include <strings.h>

#include "vsk/error.h"
#include "vsk/proto.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct vsk_name op_rows[] = {
#define VSK_OP(num, ID, name, label) {num, name, label, "", sizeof(name) - 1, sizeof(label) - 1},
#include "vsock.def"
};
static const struct vsk_name type_rows[] = {
#define VSK_TYPE(num, ID, name, label, note) {num, name, label, note, sizeof(name) - 1, sizeof(label) - 1},
#include "vsock.def"
};
static const struct vsk_name mon_op_rows[] = {
#define VSK_MON_OP(num, ID, name) {num, name, #ID, "", sizeof(name) - 1, sizeof(#ID) - 1},
#include "vsock.def"
};
static const struct vsk_name transport_rows[] = {
#define VSK_TRANSPORT(num, ID, name) {num, name, #ID, "", sizeof(name) - 1, sizeof(#ID) - 1},
#include "vsock.def"
};
static const struct vsk_name cid_rows[] = {
#define VSK_CID(num, ID, name) {num, name, #ID, "", sizeof(name) - 1, sizeof(#ID) - 1},
#include "vsock.def"
};
static const struct vsk_name sock_state_rows[] = {
#define VSK_SOCK_STATE(num, ID, name, ss) {num, name, ss, "", sizeof(name) - 1, sizeof(ss) - 1},
#include "vsock.def"
};
static const struct vsk_name sock_type_rows[] = {
#define VSK_SOCK_TYPE(num, ID, name, ss) {num, name, ss, "", sizeof(name) - 1, sizeof(ss) - 1},
#include "vsock.def"
};
static const struct vsk_name feature_rows[] = {
#define VSK_FEATURE(bit, ID, name, note) {bit, name, #ID, note, sizeof(name) - 1, sizeof(#ID) - 1},
#include "vsock.def"
};
static const struct vsk_name problem_rows[] = {
#define VSK_PROBLEM(ID, name, text) {VSK_PROB_##ID, name, text, "", sizeof(name) - 1, sizeof(text) - 1},
#include "vsock.def"
};

const struct vsk_table vsk_tab_op = {"op", op_rows, N(op_rows)};
const struct vsk_table vsk_tab_type = {"type", type_rows, N(type_rows)};
const struct vsk_table vsk_tab_mon_op = {"vsockmon op", mon_op_rows, N(mon_op_rows)};
const struct vsk_table vsk_tab_transport = {"transport", transport_rows, N(transport_rows)};
const struct vsk_table vsk_tab_cid = {"cid", cid_rows, N(cid_rows)};
const struct vsk_table vsk_tab_sock_state = {"state", sock_state_rows, N(sock_state_rows)};
const struct vsk_table vsk_tab_sock_type = {"socket type", sock_type_rows, N(sock_type_rows)};
const struct vsk_table vsk_tab_feature = {"feature", feature_rows, N(feature_rows)};
const struct vsk_table vsk_tab_problem = {"problem", problem_rows, N(problem_rows)};

const struct vsk_flag vsk_flags[] = {
#define VSK_FLAG(op, bit, ID, name) {VSK_OP_##op, bit, name},
#include "vsock.def"
};
const size_t vsk_nflags = N(vsk_flags);

const struct vsk_name *vsk_table_find(const struct vsk_table *t, uint32_t num)
{
	/* Dense tables (ops, mon ops, transports, problems) index directly. */
	if (num < t->n && t->v[num].num == num)
		return &t->v[num];
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].num == num)
			return &t->v[i];
	return NULL;
}

static int name_eq(const char *s, const char *name, size_t len)
{
	return s && strncasecmp(s, name, len) == 0 && s[len] == '\0';
}

const struct vsk_name *vsk_table_lookup(const struct vsk_table *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (name_eq(t->v[i].name, name, len) || name_eq(t->v[i].label, name, len))
			return &t->v[i];
	return NULL;
}

uint16_t vsk_mon_op_for(uint16_t op)
{
	static const struct { uint16_t op, mon; } map[] = {
#define VSK_OP_MON(op, mon) {VSK_OP_##op, VSK_MON_OP_##mon},
#include "vsock.def"
	};

	for (size_t i = 0; i < N(map); i++)
		if (map[i].op == op)
			return map[i].mon;
	return VSK_MON_OP_UNKNOWN;
}

uint32_t vsk_flags_defined(uint16_t op, uint16_t type)
{
	uint32_t m = 0;

	/* Socket Device: Seqpacket Sockets - EOM/EOR exist only on SEQPACKET RW. */
	if (op == VSK_OP_RW && type != VSK_TYPE_SEQPACKET)
		return 0;
	for (size_t i = 0; i < vsk_nflags; i++)
		if (vsk_flags[i].op == op)
			m |= vsk_flags[i].mask;
	return m;
}

const char *vsk_strerror(int code)
{
	switch (code) {
	case VSK_OK: return "success";
#define VSK_ERR_CASE(ID, value, words) case VSK_E_##ID: return words;
	VSK_ERRORS(VSK_ERR_CASE)
#undef VSK_ERR_CASE
	}
	return "unknown error";
}
