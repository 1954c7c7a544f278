/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vsockkit.h - what plugin.c needs from the dissector (packet-vsockkit.c). */
#ifndef VSOCKKIT_H
#define VSOCKKIT_H

/* proto_register_plugin() callbacks: fields, expert info, taps, tables; then the
 * LINKTYPE_VSOCK takeover and the Decode As handles. */
void vsockkit_register(void);
void vsockkit_handoff(void);

#endif
