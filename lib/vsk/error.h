/* error.h - return codes of libvsk.  libvsk never prints or exits: functions return 0 or
 * one of these negative codes, and tools turn them into words with vsk_strerror(). */
#ifndef VSK_ERROR_H
#define VSK_ERROR_H

/* VSK_ERRORS(X): X(ID, code, words) for every code: VSK_E_ID, and what vsk_strerror()
 * says, in one place so that no code is without its words (test-proto walks the list).
 * SYNTAX: a bad filter expression (details in the error struct); RING: the other side of
 * a virtqueue broke a ring rule (lib/vsk/vring.h); FULL: no free descriptors; FORMAT: a
 * file's block structure is broken (lib/vsk/pcapng.h). */
#define VSK_ERRORS(X) \
	X(SHORT,  -1, "frame shorter than the 32-byte af_vsockmon_hdr") \
	X(NOMEM,  -2, "out of memory") \
	X(SYNTAX, -3, "syntax error") \
	X(RANGE,  -4, "number out of range") \
	X(RING,   -5, "virtqueue rule broken") \
	X(FULL,   -6, "virtqueue full") \
	X(FORMAT, -7, "malformed pcapng block")

enum vsk_err {
	VSK_OK = 0,
#define VSK_ERR_ENUM(ID, code, words) VSK_E_##ID = code,
	VSK_ERRORS(VSK_ERR_ENUM)
#undef VSK_ERR_ENUM
};

/* A static English string for a code above (never NULL). */
const char *vsk_strerror(int code);

#endif
