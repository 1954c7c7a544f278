/* error.h - return codes of libvsk.  libvsk never prints or exits: functions return 0 or
 * one of these negative codes, and tools turn them into words with vsk_strerror(). */
#ifndef VSK_ERROR_H
#define VSK_ERROR_H

enum vsk_err {
	VSK_OK = 0,
	VSK_E_SHORT = -1,  /* frame shorter than the 32-byte af_vsockmon_hdr */
	VSK_E_NOMEM = -2,  /* out of memory */
	VSK_E_SYNTAX = -3, /* bad filter expression (details in the error struct) */
	VSK_E_RANGE = -4,  /* number out of range */
	VSK_E_RING = -5,   /* the other side of a virtqueue broke a ring rule (lib/vsk/vring.h) */
	VSK_E_FULL = -6,   /* no free descriptors in the virtqueue */
	VSK_E_FORMAT = -7, /* a file's block structure is broken (lib/vsk/pcapng.h) */
};

/* A static English string for a code above (never NULL). */
const char *vsk_strerror(int code);

#endif
