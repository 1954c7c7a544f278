/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plugin.c - the entry points Wireshark 4.0 looks up in an epan plugin (wsutil/plugins.c:
 * plugin_version, plugin_want_major, plugin_want_minor, plugin_register).  The plugin is
 * loaded only if want_major.want_minor is the running Wireshark's major.minor.
 */
#include <wireshark.h>
#include <epan/proto.h>

#include "vsockkit.h"

#define VSOCKKIT_PLUGIN_VERSION "1.0"

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = VSOCKKIT_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
	static proto_plugin plug;

	plug.register_protoinfo = vsockkit_register;
	plug.register_handoff = vsockkit_handoff;
	proto_register_plugin(&plug);
}
