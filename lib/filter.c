/* filter.c - the vsock filter language: parser, offline matcher and libpcap translation
 * (see vsk/filter.h).
 *
 *   expr      := or
 *   or        := and { ("or" | "||") and }
 *   and       := unary { ("and" | "&&") unary }
 *   unary     := ("not" | "!") unary | "(" or ")" | primitive
 *   primitive := [src|dst] cid CIDVAL | [src|dst] port NUM | op OPNAME | type TYPENAME
 *              | len CMP NUM | flags FLAGNAME | flags NUM
 *
 * Every protocol number and name comes from lib/vsock.def through vsk/proto.h: the
 * language must not drift from the decoder and the formatter.  The parser reads
 * expr[0..len) through explicit bounds and never expects a NUL.
 *
 * The two predicates must select the same frames, so the offline rules are the ones BPF
 * can express: addresses come from af_vsockmon_hdr (always there); op/type/len/flags are
 * false unless the frame carries a usable virtio header (virtio_usable()), and a frame
 * whose virtio header was cut by the snaplen matches no filter that reads them
 * (virtio_cut()).  tests/unit/test-filter-bpf.c checks the equivalence. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vsk/error.h"
#include "vsk/filter.h"

/* Parentheses and "not" nest at most this deep: the parser, the matcher and the pcap
 * writer all recurse along the tree, and hostile input must not exhaust the stack. */
#define FILTER_MAX_DEPTH 64
/* Longest token quoted in an error message (the message buffer is 160 bytes). */
#define FILTER_QUOTE_MAX 32

enum node_kind {
	N_OR, N_AND, N_NOT,            /* n-ary and/or: children linked through `next` */
	N_CID, N_PORT,                 /* af_vsockmon_hdr addresses */
	N_OP, N_TYPE, N_LEN, N_FLAG,   /* virtio_vsock_hdr fields; N_FLAG = "flags NAME" */
	N_FLAGS,                       /* "flags NUM": all bits of NUM set */
};

enum dir { DIR_EITHER, DIR_SRC, DIR_DST };

enum cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

struct node {
	uint8_t kind;   /* enum node_kind */
	uint8_t dir;    /* enum dir (cid, port) */
	uint8_t cmp;    /* enum cmp (len) */
	int first;      /* first child (or, and, not), -1 if none */
	int next;       /* next sibling, -1 if last */
	uint64_t val;   /* cid, port, op, type, len operand, flags mask; vsk_flags[] index */
};

struct vsk_filter {
	struct node *v;
	size_t n, cap;
	int root;       /* -1: empty expression, matches everything */
	bool virtio;    /* some primitive reads virtio_vsock_hdr fields */
};

/* ---------------------------------------------------------------------------------
 * Tokens */

enum tok_kind {
	T_END, T_WORD, T_LPAREN, T_RPAREN, T_NOT, T_AND, T_OR, T_CMP,
	T_BAD,   /* a byte that starts no token */
};

struct tok {
	enum tok_kind kind;
	size_t pos, len;
	enum cmp cmp;
};

struct parser {
	const uint8_t *s;
	size_t n;
	size_t off;        /* where the next token starts its scan */
	struct tok t;      /* the current token */
	int depth;
	struct vsk_filter *f;
	struct vsk_filter_error *err;
	int rc;            /* VSK_E_SYNTAX or VSK_E_NOMEM once an error is recorded */
};

static bool is_word_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool is_space_byte(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void next_tok(struct parser *p)
{
	const uint8_t *s = p->s;
	size_t i = p->off, n = p->n;
	struct tok *t = &p->t;

	while (i < n && is_space_byte(s[i]))
		i++;
	t->pos = i;
	t->len = 1;
	if (i == n) {
		t->kind = T_END;
		t->len = 0;
	} else if (is_word_byte(s[i])) {
		size_t j = i;

		while (j < n && is_word_byte(s[j]))
			j++;
		t->kind = T_WORD;
		t->len = j - i;
	} else {
		uint8_t c = s[i], c2 = i + 1 < n ? s[i + 1] : 0;

		t->kind = T_BAD;
		switch (c) {
		case '(': t->kind = T_LPAREN; break;
		case ')': t->kind = T_RPAREN; break;
		case '!':
			if (c2 == '=') {
				t->kind = T_CMP, t->cmp = CMP_NE, t->len = 2;
			} else {
				t->kind = T_NOT;
			}
			break;
		case '&':
			if (c2 == '&')
				t->kind = T_AND, t->len = 2;
			break;
		case '|':
			if (c2 == '|')
				t->kind = T_OR, t->len = 2;
			break;
		case '=':
			t->kind = T_CMP, t->cmp = CMP_EQ;
			if (c2 == '=')
				t->len = 2;
			break;
		case '<':
			t->kind = T_CMP, t->cmp = c2 == '=' ? CMP_LE : CMP_LT;
			if (c2 == '=')
				t->len = 2;
			break;
		case '>':
			t->kind = T_CMP, t->cmp = c2 == '=' ? CMP_GE : CMP_GT;
			if (c2 == '=')
				t->len = 2;
			break;
		}
	}
	p->off = t->pos + t->len;
}

static bool tok_is(const struct parser *p, const struct tok *t, const char *kw)
{
	size_t k = strlen(kw);

	return t->kind == T_WORD && t->len == k &&
	       strncasecmp((const char *)p->s + t->pos, kw, k) == 0;
}

static const char *const keywords[] = {
	"src", "dst", "cid", "port", "op", "type", "len", "flags", "and", "or", "not",
};

static bool tok_is_keyword(const struct parser *p, const struct tok *t)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (tok_is(p, t, keywords[i]))
			return true;
	return false;
}

/* ---------------------------------------------------------------------------------
 * Errors */

/* A token for a message: printable ASCII as is, anything else as \xHH (input may hold
 * NULs and non-UTF-8), cut after FILTER_QUOTE_MAX bytes; in single quotes if `quoted`. */
static void show(const struct parser *p, const struct tok *t, bool quoted, char *buf,
		 size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, n = t->len < FILTER_QUOTE_MAX ? t->len : FILTER_QUOTE_MAX;

	if (quoted)
		buf[o++] = '\'';
	for (size_t i = 0; i < n && o + 8 < size; i++) {
		uint8_t c = p->s[t->pos + i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (n < t->len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (quoted)
		buf[o++] = '\'';
	buf[o] = 0;
}

static void quote(const struct parser *p, const struct tok *t, char *buf, size_t size)
{
	show(p, t, true, buf, size);
}

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, const struct tok *t, const char *fmt, ...)
{
	va_list ap;

	p->rc = VSK_E_SYNTAX;
	p->err->pos = t->pos;
	p->err->len = t->len;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* The current token is not what `what` (e.g. "a number") after `prev` should be:
 * "expression ends after 'port'" or "expected a number after 'port', got 'x'". */
static int fail_expected(struct parser *p, const char *what, const struct tok *prev)
{
	char a[FILTER_QUOTE_MAX * 4 + 8], b[FILTER_QUOTE_MAX * 4 + 8];

	quote(p, prev, a, sizeof(a));
	if (p->t.kind == T_END)
		return fail(p, &p->t, "expression ends after %s", a);
	quote(p, &p->t, b, sizeof(b));
	return fail(p, &p->t, "expected %s after %s, got %s", what, a, b);
}

static int fail_tok(struct parser *p, const char *fmt_prefix)
{
	char q[FILTER_QUOTE_MAX * 4 + 8];

	quote(p, &p->t, q, sizeof(q));
	return fail(p, &p->t, "%s%s", fmt_prefix, q);
}

/* ---------------------------------------------------------------------------------
 * Numbers: decimal or 0x hex, up to 2^64-1.  No octal: "010" is ten. */

enum num_res { NUM_OK, NUM_BAD, NUM_RANGE };

static enum num_res parse_num(const struct parser *p, const struct tok *t, uint64_t *out)
{
	const uint8_t *s = p->s + t->pos;
	size_t n = t->len, i = 0;
	unsigned base = 10;
	uint64_t v = 0;
	bool range = false;

	if (t->kind != T_WORD || n == 0)
		return NUM_BAD;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < n; i++) {
		uint8_t c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return NUM_BAD;
		/* Keep scanning after an overflow: "99999999999999999999x" is bad, not big. */
		if (v > (UINT64_MAX - d) / base)
			range = true;
		else
			v = v * base + d;
	}
	if (range)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

static bool starts_with_digit(const struct parser *p, const struct tok *t)
{
	return t->kind == T_WORD && p->s[t->pos] >= '0' && p->s[t->pos] <= '9';
}

/* ---------------------------------------------------------------------------------
 * Tree */

static int new_node(struct parser *p, enum node_kind kind)
{
	struct vsk_filter *f = p->f;
	struct node *nd;

	/* Node numbers are ints; no real expression comes near (2^30 nodes is >4 GiB). */
	if (f->n >= (size_t)INT_MAX / 2) {
		p->rc = VSK_E_NOMEM;
		return -1;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct node *v = realloc(f->v, cap * sizeof(*v));

		if (!v) {
			p->rc = VSK_E_NOMEM;
			return -1;
		}
		f->v = v;
		f->cap = cap;
	}
	nd = &f->v[f->n];
	memset(nd, 0, sizeof(*nd));
	nd->kind = (uint8_t)kind;
	nd->first = nd->next = -1;
	return (int)f->n++;
}

/* ---------------------------------------------------------------------------------
 * Parser */

static int parse_or(struct parser *p);

/* The argument of cid/op/type: a number up to `max`, or a name from `tab`. */
static int parse_named(struct parser *p, const struct tok *kw, const struct vsk_table *tab,
		       const char *what, uint64_t max, uint64_t *out)
{
	const struct vsk_name *row;
	char q[FILTER_QUOTE_MAX * 4 + 8];

	if (p->t.kind != T_WORD)
		return fail_expected(p, what, kw);
	if (starts_with_digit(p, &p->t)) {
		enum num_res r = parse_num(p, &p->t, out);

		if (r == NUM_OK && *out <= max)
			return 0;
		show(p, &p->t, r == NUM_BAD, q, sizeof(q));
		if (r == NUM_BAD)
			return fail(p, &p->t, "bad number %s", q);
		return fail(p, &p->t, "%s %s out of range", tab->what, q);
	}
	row = vsk_table_lookup(tab, (const char *)p->s + p->t.pos, p->t.len);
	if (row) {
		*out = row->num;
		return 0;
	}
	if (tok_is_keyword(p, &p->t))
		return fail_expected(p, what, kw);
	quote(p, &p->t, q, sizeof(q));
	return fail(p, &p->t, "unknown %s %s", tab->what, q);
}

/* A plain number up to `max` after `kw` (port, len comparison, flags). */
static int parse_plain(struct parser *p, const struct tok *kw, const char *what, uint64_t max,
		       uint64_t *out)
{
	enum num_res r = parse_num(p, &p->t, out);
	char q[FILTER_QUOTE_MAX * 4 + 8];

	if (r == NUM_BAD)
		return fail_expected(p, "a number", kw);
	if (r == NUM_OK && *out <= max)
		return 0;
	show(p, &p->t, false, q, sizeof(q));
	return fail(p, &p->t, "%s %s out of range", what, q);
}

/* "flags NAME": a row of vsk_flags[] by name; the index is stored. */
static int lookup_flag(const struct parser *p, const struct tok *t, uint64_t *out)
{
	for (size_t i = 0; i < vsk_nflags; i++) {
		const char *name = vsk_flags[i].name;

		if (strlen(name) == t->len &&
		    strncasecmp(name, (const char *)p->s + t->pos, t->len) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

static int parse_primitive(struct parser *p)
{
	struct tok kw = p->t, arg;
	enum dir dir = DIR_EITHER;
	uint64_t v = 0;
	int id;

	if (tok_is(p, &kw, "src") || tok_is(p, &kw, "dst")) {
		dir = tok_is(p, &kw, "src") ? DIR_SRC : DIR_DST;
		next_tok(p);
		if (!tok_is(p, &p->t, "cid") && !tok_is(p, &p->t, "port"))
			return fail_expected(p, "'cid' or 'port'", &kw);
		kw = p->t;
	}
	if (kw.kind != T_WORD)
		return fail_tok(p, "unexpected ");
	next_tok(p);
	arg = p->t;

	if (tok_is(p, &kw, "cid")) {
		if (parse_named(p, &kw, &vsk_tab_cid, "a cid", UINT64_MAX, &v) < 0)
			return -1;
		id = new_node(p, N_CID);
	} else if (tok_is(p, &kw, "port")) {
		if (parse_plain(p, &kw, "port", UINT32_MAX, &v) < 0)
			return -1;
		id = new_node(p, N_PORT);
	} else if (tok_is(p, &kw, "op")) {
		if (parse_named(p, &kw, &vsk_tab_op, "an op", UINT16_MAX, &v) < 0)
			return -1;
		id = new_node(p, N_OP);
	} else if (tok_is(p, &kw, "type")) {
		if (parse_named(p, &kw, &vsk_tab_type, "a type", UINT16_MAX, &v) < 0)
			return -1;
		id = new_node(p, N_TYPE);
	} else if (tok_is(p, &kw, "len")) {
		if (arg.kind != T_CMP)
			return fail_expected(p, "a comparison", &kw);
		next_tok(p);
		if (parse_plain(p, &arg, "len", UINT32_MAX, &v) < 0)
			return -1;
		id = new_node(p, N_LEN);
		if (id >= 0)
			p->f->v[id].cmp = (uint8_t)arg.cmp;
	} else if (tok_is(p, &kw, "flags")) {
		if (arg.kind == T_WORD && !starts_with_digit(p, &arg)) {
			if (lookup_flag(p, &arg, &v) < 0) {
				if (tok_is_keyword(p, &arg))
					return fail_expected(p, "a flag name or number", &kw);
				return fail_tok(p, "unknown flag ");
			}
			id = new_node(p, N_FLAG);
		} else if (arg.kind == T_WORD) {
			if (parse_plain(p, &kw, "flags", UINT32_MAX, &v) < 0)
				return -1;
			id = new_node(p, N_FLAGS);
		} else {
			return fail_expected(p, "a flag name or number", &kw);
		}
	} else {
		char q[FILTER_QUOTE_MAX * 4 + 8];

		quote(p, &kw, q, sizeof(q));
		if (tok_is_keyword(p, &kw) || starts_with_digit(p, &kw))
			return fail(p, &kw, "unexpected %s", q);
		return fail(p, &kw, "unknown primitive %s", q);
	}
	if (id < 0)
		return -1;
	p->f->v[id].dir = (uint8_t)dir;
	p->f->v[id].val = v;
	if (p->f->v[id].kind >= N_OP)
		p->f->virtio = true;
	next_tok(p);
	return id;
}

static int parse_unary(struct parser *p)
{
	struct tok open = p->t;
	int id, child;

	if (open.kind != T_NOT && !tok_is(p, &open, "not") && open.kind != T_LPAREN)
		return parse_primitive(p);
	if (p->depth >= FILTER_MAX_DEPTH - 1)
		return fail(p, &open, "expression nested too deeply");
	p->depth++;
	next_tok(p);
	if (p->t.kind == T_END)
		return fail_expected(p, "an expression", &open);
	if (open.kind == T_LPAREN) {
		id = parse_or(p);
		if (id < 0)
			return -1;
		if (p->t.kind == T_END)
			return fail(p, &open, "missing ')'");
		if (p->t.kind == T_BAD)
			return fail_tok(p, "unexpected ");
		if (p->t.kind != T_RPAREN)
			return fail_tok(p, "expected 'and', 'or' or ')', got ");
		next_tok(p);
	} else {
		child = parse_unary(p);
		if (child < 0)
			return -1;
		id = new_node(p, N_NOT);
		if (id < 0)
			return -1;
		p->f->v[id].first = child;
	}
	p->depth--;
	return id;
}

/* One level of and/or: children are chained through `next` into one n-ary node, so a
 * long "a or b or c ..." is a flat list, not a deep tree (the matcher recurses). */
static int parse_chain(struct parser *p, enum node_kind kind)
{
	enum tok_kind sym = kind == N_OR ? T_OR : T_AND;
	const char *word = kind == N_OR ? "or" : "and";
	int first, last, id = -1;

	first = kind == N_OR ? parse_chain(p, N_AND) : parse_unary(p);
	if (first < 0)
		return -1;
	last = first;
	while (p->t.kind == sym || tok_is(p, &p->t, word)) {
		struct tok op = p->t;
		int child;

		next_tok(p);
		if (p->t.kind == T_END)
			return fail_expected(p, "an expression", &op);
		child = kind == N_OR ? parse_chain(p, N_AND) : parse_unary(p);
		if (child < 0)
			return -1;
		if (id < 0) {
			id = new_node(p, kind);
			if (id < 0)
				return -1;
			p->f->v[id].first = first;
		}
		p->f->v[last].next = child;
		last = child;
	}
	return id < 0 ? first : id;
}

static int parse_or(struct parser *p)
{
	return parse_chain(p, N_OR);
}

int vsk_filter_compile(const uint8_t *expr, size_t len, struct vsk_filter **out,
		       struct vsk_filter_error *err)
{
	struct vsk_filter_error dummy;
	struct parser p;
	struct vsk_filter *f;

	*out = NULL;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	f = calloc(1, sizeof(*f));
	if (!f)
		return VSK_E_NOMEM;
	f->root = -1;
	memset(&p, 0, sizeof(p));
	p.s = expr;
	p.n = expr ? len : 0;
	p.f = f;
	p.err = err;
	next_tok(&p);
	if (p.t.kind != T_END) {
		f->root = parse_or(&p);
		if (f->root >= 0 && p.t.kind != T_END) {
			if (p.t.kind == T_RPAREN || p.t.kind == T_BAD)
				fail_tok(&p, "unexpected ");
			else
				fail_tok(&p, "expected 'and' or 'or', got ");
		}
		if (p.rc != 0) {
			if (p.rc == VSK_E_NOMEM)
				snprintf(err->msg, sizeof(err->msg), "out of memory");
			vsk_filter_free(f);
			return p.rc;
		}
	}
	*out = f;
	return 0;
}

void vsk_filter_free(struct vsk_filter *f)
{
	if (!f)
		return;
	free(f->v);
	free(f);
}

/* ---------------------------------------------------------------------------------
 * Offline matching */

/* virtio_vsock_hdr fields count only if the header is there as the vsockmon header
 * declares it (transport VIRTIO, len 44) and both the wire and the capture hold it;
 * the pcap translation guards every field the same way. */
static bool virtio_usable(const struct vsk_pkt *pkt)
{
	return pkt->has_virtio && pkt->mon.len == VSK_VIRTIO_HDR_LEN &&
	       pkt->wirelen >= VSK_FRAME_HDR_LEN && pkt->caplen >= VSK_FRAME_HDR_LEN;
}

/* The vsockmon header promises a virtio header that the wire carried but the snaplen
 * cut.  BPF cannot test the captured length, and a load past it ends the program with
 * "no match" whatever and/or/not surround it; so the pcap expression rejects such a
 * frame up front when the filter reads any virtio field, and so does the matcher.
 * Filters on addresses alone still see it.  (Live captures never meet this: the kernel
 * runs the filter on the whole packet.) */
static bool virtio_cut(const struct vsk_pkt *pkt)
{
	return pkt->mon.transport == VSK_TRANSPORT_VIRTIO &&
	       pkt->mon.len == VSK_VIRTIO_HDR_LEN && pkt->wirelen >= VSK_FRAME_HDR_LEN &&
	       pkt->caplen < VSK_FRAME_HDR_LEN;
}

static bool cmp_u32(enum cmp c, uint32_t a, uint32_t b)
{
	switch (c) {
	case CMP_EQ: return a == b;
	case CMP_NE: return a != b;
	case CMP_LT: return a < b;
	case CMP_LE: return a <= b;
	case CMP_GT: return a > b;
	case CMP_GE: return a >= b;
	}
	return false;
}

static bool eval(const struct vsk_filter *f, int id, const struct vsk_pkt *pkt)
{
	const struct node *nd = &f->v[id];
	const struct vsk_virtio_hdr *h = &pkt->hdr;
	int c;

	switch ((enum node_kind)nd->kind) {
	case N_OR:
		for (c = nd->first; c >= 0; c = f->v[c].next)
			if (eval(f, c, pkt))
				return true;
		return false;
	case N_AND:
		for (c = nd->first; c >= 0; c = f->v[c].next)
			if (!eval(f, c, pkt))
				return false;
		return true;
	case N_NOT:
		return !eval(f, nd->first, pkt);
	case N_CID:
		return (nd->dir != DIR_DST && pkt->mon.src_cid == nd->val) ||
		       (nd->dir != DIR_SRC && pkt->mon.dst_cid == nd->val);
	case N_PORT:
		return (nd->dir != DIR_DST && pkt->mon.src_port == nd->val) ||
		       (nd->dir != DIR_SRC && pkt->mon.dst_port == nd->val);
	case N_OP:
		return virtio_usable(pkt) && h->op == nd->val;
	case N_TYPE:
		return virtio_usable(pkt) && h->type == nd->val;
	case N_LEN:
		return virtio_usable(pkt) && cmp_u32((enum cmp)nd->cmp, h->len, (uint32_t)nd->val);
	case N_FLAG: {
		const struct vsk_flag *fl = &vsk_flags[nd->val];

		/* The flag exists only where the protocol table defines it (its op, and for
		 * RW only SEQPACKET): the same bit on another op means something else. */
		return virtio_usable(pkt) && h->op == fl->op &&
		       (h->flags & fl->mask & vsk_flags_defined(h->op, h->type)) != 0;
	}
	case N_FLAGS:
		return virtio_usable(pkt) && (h->flags & nd->val) == nd->val;
	}
	return false;
}

bool vsk_filter_match(const struct vsk_filter *f, const struct vsk_pkt *pkt, int decode_err)
{
	if (decode_err != 0 || !pkt)
		return false;
	if (!f || f->root < 0)
		return true;
	if (f->virtio && virtio_cut(pkt))
		return false;
	return eval(f, f->root, pkt);
}

/* ---------------------------------------------------------------------------------
 * libpcap translation.  BPF loads are big-endian and every vsock field is little-endian,
 * so equality constants are byte-swapped and ordered comparisons go byte by byte from
 * the most significant byte (BPF comparisons are unsigned, as the fields are). */

static uint32_t swap16(uint32_t v)
{
	return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

static uint32_t swap32(uint32_t v)
{
	return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
}

/* link[off:2] = v, v a little-endian 16-bit field */
static void put_eq16(struct vsk_sbuf *o, unsigned off, uint32_t v)
{
	vsk_sbuf_putf(o, "link[%u:2] = 0x%04x", off, swap16(v));
}

static void put_eq32(struct vsk_sbuf *o, unsigned off, uint32_t v)
{
	vsk_sbuf_putf(o, "link[%u:4] = 0x%08x", off, swap32(v));
}

static void put_cid(struct vsk_sbuf *o, unsigned off, uint64_t cid)
{
	vsk_sbuf_putc(o, '(');
	put_eq32(o, off, (uint32_t)cid);
	vsk_sbuf_puts(o, " and ");
	put_eq32(o, off + 4, (uint32_t)(cid >> 32));
	vsk_sbuf_putc(o, ')');
}

/* The frame carries a usable virtio header (see virtio_usable()): comes before every
 * load of a virtio field, so the load never runs past the frame. */
static void put_guard(struct vsk_sbuf *o)
{
	put_eq16(o, VSK_MON_OFF_TRANSPORT, VSK_TRANSPORT_VIRTIO);
	vsk_sbuf_puts(o, " and ");
	put_eq16(o, VSK_MON_OFF_LEN, VSK_VIRTIO_HDR_LEN);
	vsk_sbuf_putf(o, " and len >= %u", (unsigned)VSK_FRAME_HDR_LEN);
}

#define VIRTIO_OFF(field) ((unsigned)(VSK_MON_HDR_LEN + VSK_HDR_OFF_##field))

static const char *const cmp_str[] = {
	[CMP_EQ] = "=", [CMP_NE] = "!=", [CMP_LT] = "<",
	[CMP_LE] = "<=", [CMP_GT] = ">", [CMP_GE] = ">=",
};

/* An ordered comparison of the little-endian 32-bit field at off with v, byte by byte
 * from the most significant one: "b3 > v3 or (b3 = v3 and (b2 > v2 or ...))".  Loads and
 * jumps only: libpcap's optimizer miscompiles arithmetic that goes through its scratch
 * memory (libpcap 1.10.3 turned "len>8||len=6||len>4||len<6" built with + and * into a
 * load of a never-stored M[]; dead-store bugs #1670, #1726 upstream). */
static void put_ordered32(struct vsk_sbuf *o, unsigned off, enum cmp c, uint32_t v)
{
	const char *strict = c == CMP_GT || c == CMP_GE ? ">" : "<";

	for (int i = 3; i > 0; i--)
		vsk_sbuf_putf(o, "(link[%u] %s %u or (link[%u] = %u and ", off + i, strict,
			      (v >> (8 * i)) & 0xff, off + i, (v >> (8 * i)) & 0xff);
	vsk_sbuf_putf(o, "link[%u] %s %u))))))", off, cmp_str[c], v & 0xff);
}

static bool flag_on_type(const struct vsk_flag *fl, uint32_t type)
{
	return (vsk_flags_defined(fl->op, (uint16_t)type) & fl->mask) != 0;
}

/* Appends " and <test of the type field>" limiting flag `fl` to the types where
 * vsk_flags_defined() has it, or nothing when every type does.  Each type of the table
 * is probed, plus one number outside it that stands for all unknown types. */
static void put_flag_types(struct vsk_sbuf *o, const struct vsk_flag *fl)
{
	uint32_t probe = 0;
	bool others, all = true;
	size_t i, k;

	while (vsk_table_find(&vsk_tab_type, probe))
		probe++;
	others = flag_on_type(fl, probe);
	for (i = 0; i < vsk_tab_type.n; i++)
		all = all && flag_on_type(fl, vsk_tab_type.v[i].num);
	if (others && all)
		return;
	/* Either "type is one of the defined ones" or "type is none of the undefined ones". */
	vsk_sbuf_puts(o, others ? " and not (" : " and (");
	for (i = 0, k = 0; i < vsk_tab_type.n; i++) {
		if (flag_on_type(fl, vsk_tab_type.v[i].num) == others)
			continue;
		if (k++)
			vsk_sbuf_puts(o, " or ");
		put_eq16(o, VIRTIO_OFF(TYPE), vsk_tab_type.v[i].num);
	}
	if (k == 0)  /* defined on no type: a test no frame passes, given len >= 32 */
		vsk_sbuf_putf(o, "len < %u", (unsigned)VSK_MON_HDR_LEN);
	vsk_sbuf_putc(o, ')');
}

static void put_node(const struct vsk_filter *f, int id, struct vsk_sbuf *o)
{
	const struct node *nd = &f->v[id];
	int c;

	switch ((enum node_kind)nd->kind) {
	case N_OR:
	case N_AND:
		vsk_sbuf_putc(o, '(');
		for (c = nd->first; c >= 0; c = f->v[c].next) {
			if (c != nd->first)
				vsk_sbuf_puts(o, nd->kind == N_OR ? " or " : " and ");
			put_node(f, c, o);
		}
		vsk_sbuf_putc(o, ')');
		return;
	case N_NOT:
		vsk_sbuf_puts(o, "not ");
		put_node(f, nd->first, o);
		return;
	case N_CID:
		if (nd->dir == DIR_EITHER)
			vsk_sbuf_putc(o, '(');
		if (nd->dir != DIR_DST)
			put_cid(o, VSK_MON_OFF_SRC_CID, nd->val);
		if (nd->dir == DIR_EITHER)
			vsk_sbuf_puts(o, " or ");
		if (nd->dir != DIR_SRC)
			put_cid(o, VSK_MON_OFF_DST_CID, nd->val);
		if (nd->dir == DIR_EITHER)
			vsk_sbuf_putc(o, ')');
		return;
	case N_PORT:
		vsk_sbuf_putc(o, '(');
		if (nd->dir != DIR_DST)
			put_eq32(o, VSK_MON_OFF_SRC_PORT, (uint32_t)nd->val);
		if (nd->dir == DIR_EITHER)
			vsk_sbuf_puts(o, " or ");
		if (nd->dir != DIR_SRC)
			put_eq32(o, VSK_MON_OFF_DST_PORT, (uint32_t)nd->val);
		vsk_sbuf_putc(o, ')');
		return;
	default:
		break;
	}

	vsk_sbuf_putc(o, '(');
	put_guard(o);
	vsk_sbuf_puts(o, " and ");
	switch ((enum node_kind)nd->kind) {
	case N_OP:
		put_eq16(o, VIRTIO_OFF(OP), (uint32_t)nd->val);
		break;
	case N_TYPE:
		put_eq16(o, VIRTIO_OFF(TYPE), (uint32_t)nd->val);
		break;
	case N_LEN:
		if (nd->cmp == CMP_EQ || nd->cmp == CMP_NE) {
			vsk_sbuf_putf(o, "link[%u:4] %s 0x%08x", VIRTIO_OFF(LEN), cmp_str[nd->cmp],
				      swap32((uint32_t)nd->val));
		} else {
			put_ordered32(o, VIRTIO_OFF(LEN), (enum cmp)nd->cmp, (uint32_t)nd->val);
		}
		break;
	case N_FLAG: {
		const struct vsk_flag *fl = &vsk_flags[nd->val];

		put_eq16(o, VIRTIO_OFF(OP), fl->op);
		vsk_sbuf_putf(o, " and link[%u:4] & 0x%08x != 0", VIRTIO_OFF(FLAGS),
			      swap32(fl->mask));
		put_flag_types(o, fl);
		break;
	}
	case N_FLAGS:
		vsk_sbuf_putf(o, "link[%u:4] & 0x%08x = 0x%08x", VIRTIO_OFF(FLAGS),
			      swap32((uint32_t)nd->val), swap32((uint32_t)nd->val));
		break;
	default:
		break;
	}
	vsk_sbuf_putc(o, ')');
}

void vsk_filter_pcap_expr(const struct vsk_filter *f, struct vsk_sbuf *out)
{
	/* pcap's `len` is the wire length.  A frame needs its 32-byte vsockmon header on the
	 * wire and in the capture: the byte load fails (and rejects the frame, as the
	 * decoder does) when a snaplen cut it; the comparison itself always holds. */
	vsk_sbuf_putf(out, "len >= %u and link[%u] <= 255", (unsigned)VSK_MON_HDR_LEN,
		      (unsigned)VSK_MON_HDR_LEN - 1);
	if (!f || f->root < 0)
		return;
	if (f->virtio) {
		/* See virtio_cut(): reject frames whose virtio header was cut by the snaplen. */
		vsk_sbuf_puts(out, " and (not (");
		put_guard(out);
		vsk_sbuf_putf(out, ") or link[%u] <= 255)", (unsigned)VSK_FRAME_HDR_LEN - 1);
	}
	vsk_sbuf_puts(out, " and ");
	put_node(f, f->root, out);
}
