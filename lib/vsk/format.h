/* format.h - the text and JSON renderings of a decoded packet, shared by every tool.
 * The exact text format is an interface: see man/vsockdump.8, OUTPUT FORMAT. */
#ifndef VSK_FORMAT_H
#define VSK_FORMAT_H

#include <stdbool.h>
#include <sys/time.h>

#include "decode.h"
#include "sbuf.h"

enum vsk_ts_style {
	VSK_TS_TIME = 0,     /* default: local hh:mm:ss.uuuuuu */
	VSK_TS_NONE,         /* -t */
	VSK_TS_EPOCH,        /* -tt: seconds.uuuuuu since the epoch */
	VSK_TS_DELTA,        /* -ttt: since the previous packet */
	VSK_TS_DATE,         /* -tttt: local yyyy-mm-dd hh:mm:ss.uuuuuu */
	VSK_TS_SINCE_FIRST,  /* -ttttt: since the first packet */
};

enum vsk_dump_style {
	VSK_DUMP_NONE = 0,
	VSK_DUMP_HEX,        /* -x */
	VSK_DUMP_HEX_ASCII,  /* -X */
	VSK_DUMP_ASCII,      /* -A */
};

struct vsk_fmt {
	int verbose;                /* 0..3 (-v, -vv, -vvv) */
	enum vsk_ts_style ts;
	enum vsk_dump_style dump;
	bool dump_frame;            /* -xx/-XX: dump the whole frame, not only the payload */
	bool quiet;                 /* -q: address, type and op only */
	bool number;                /* -#: packet number first */
	/* state kept between packets (zero-initialise the struct) */
	unsigned long long count;
	struct timeval first, prev;
	long tz_off;                /* cached local UTC offset in seconds */
	long long tz_valid_from, tz_valid_to;
	char hms[9];                /* "hh:mm:ss." of hms_sec */
	/* Decimal renderings of recent 32-bit values (CIDs, ports, buf_alloc and lengths
	 * repeat from packet to packet): direct-mapped, nc_len 0 = empty. */
	uint32_t nc_val[64];
	uint8_t nc_len[64];
	char nc_str[64][12];
	long long hms_sec;
	bool hms_valid;
};

/* Appends the text line(s) for one packet, ending in '\n'.  `err` is the vsk_decode()
 * return code: a frame that did not decode is rendered as a malformed-frame line. */
void vsk_format_text(struct vsk_fmt *f, const struct vsk_pkt *pkt, int err,
		     const struct timeval *ts, struct vsk_sbuf *out);

/* Appends the timestamp as the text line would show it (and its trailing space), for
 * lines that are not packets; it does not move the -ttt reference. */
void vsk_format_ts(struct vsk_fmt *f, const struct timeval *ts, struct vsk_sbuf *out);

/* Appends one NDJSON object and '\n' (keys: see man/vsockdump.8, JSON OUTPUT). */
void vsk_format_json(struct vsk_fmt *f, const struct vsk_pkt *pkt, int err,
		     const struct timeval *ts, struct vsk_sbuf *out);


#endif
