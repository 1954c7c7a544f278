/* sbuf.h - a growable byte buffer that libvsk formats into, and text helpers (libvsk
 * never prints: the caller shows what these write). */
#ifndef VSK_SBUF_H
#define VSK_SBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct vsk_sbuf {
	char *p;     /* NUL-terminated after every append; owned, free with vsk_sbuf_free */
	size_t len;  /* bytes used, not counting the NUL */
	size_t cap;  /* bytes allocated */
	int oom;     /* sticky: an allocation failed, later appends are dropped */
};

/* Make room for `more` bytes past len; 0 ok, VSK_E_NOMEM (and oom set) otherwise. */
int vsk_sbuf_reserve(struct vsk_sbuf *b, size_t more);
void vsk_sbuf_free(struct vsk_sbuf *b);
void vsk_sbuf_putf(struct vsk_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void vsk_sbuf_reset(struct vsk_sbuf *b) { b->len = 0; if (b->p) b->p[0] = 0; }

static inline void vsk_sbuf_put(struct vsk_sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && vsk_sbuf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static inline void vsk_sbuf_puts(struct vsk_sbuf *b, const char *s) { vsk_sbuf_put(b, s, strlen(s)); }

static inline void vsk_sbuf_putc(struct vsk_sbuf *b, char c) { vsk_sbuf_put(b, &c, 1); }

/* Decimal without printf (the per-packet path is hot). */
extern const char vsk_digits2[201]; /* "000102...99" */
void vsk_sbuf_putu(struct vsk_sbuf *b, unsigned long long v);

/* Writes v in decimal at w (at most 20 bytes, no NUL); returns the end. */
char *vsk_digits_write(char *w, unsigned long long v);

/* Writes p[0..len), bytes a peer or a user chose, as text that is safe to show in a
 * message or a dump column: every byte other than printable ASCII (0x20..0x7e) becomes
 * subst, at most cap - 1 bytes are written, then a NUL (nothing when cap is 0).  Stops
 * nowhere else: to show a peer's line, pass the length up to its newline.  Returns how
 * many bytes of p were written: less than len when out was too small. */
size_t vsk_printable(char *out, size_t cap, const uint8_t *p, size_t len, char subst);

/* Appends s[0..len) as a JSON string literal, quotes included: '"' and '\\' escaped with a
 * backslash, control bytes and DEL as \u00XX; every other byte as is (the caller's text is
 * UTF-8).  For strings their owners chose: process names, case reasons, arguments. */
void vsk_sbuf_put_json(struct vsk_sbuf *b, const char *s, size_t len);

/* Appends s[0..len) as XML 1.0 character data or attribute text (no quotes added): '&',
 * '<', '>', '"' and '\'' as entities, tab and newline as &#9; and &#10; (kept in
 * attributes too), every other byte outside printable ASCII as '?' (XML 1.0 cannot carry
 * most controls even escaped, and the caller's bytes need not be UTF-8). */
void vsk_sbuf_put_xml(struct vsk_sbuf *b, const char *s, size_t len);

#endif
