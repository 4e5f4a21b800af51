// Command sniwatcher is a GUI-test helper: a minimal
// org.kde.StatusNotifierWatcher that claims a tray host is present and
// prints every item that registers ("registered <service>"), so a test can
// drive the pet's StatusNotifierItem and dbusmenu with gdbus.
package main

// #cgo pkg-config: gio-2.0
// #include <gio/gio.h>
// #include <stdio.h>
// #include <string.h>
//
// static const char *xml =
//   "<node><interface name='org.kde.StatusNotifierWatcher'>"
//   " <method name='RegisterStatusNotifierItem'><arg type='s' direction='in'/></method>"
//   " <method name='RegisterStatusNotifierHost'><arg type='s' direction='in'/></method>"
//   " <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
//   " <property name='ProtocolVersion' type='i' access='read'/>"
//   "</interface></node>";
//
// static void call(GDBusConnection *c, const gchar *sender, const gchar *path, const gchar *iface,
//                  const gchar *method, GVariant *params, GDBusMethodInvocation *inv, gpointer d) {
// 	const gchar *s;
// 	g_variant_get(params, "(&s)", &s);
// 	if (!strcmp(method, "RegisterStatusNotifierItem")) {
// 		// Items may pass a bus name or an object path; report the sender too.
// 		printf("registered %s %s\n", s[0] == '/' ? sender : s, sender);
// 		fflush(stdout);
// 	}
// 	g_dbus_method_invocation_return_value(inv, NULL);
// }
//
// static GVariant *get(GDBusConnection *c, const gchar *sender, const gchar *path, const gchar *iface,
//                      const gchar *prop, GError **err, gpointer d) {
// 	if (!strcmp(prop, "IsStatusNotifierHostRegistered")) return g_variant_new_boolean(TRUE);
// 	return g_variant_new_int32(0);
// }
//
// static const GDBusInterfaceVTable vt = {call, get, NULL};
//
// static void acquired(GDBusConnection *c, const gchar *name, gpointer d) {
// 	GDBusNodeInfo *info = g_dbus_node_info_new_for_xml(xml, NULL);
// 	g_dbus_connection_register_object(c, "/StatusNotifierWatcher", info->interfaces[0], &vt, NULL, NULL, NULL);
// 	printf("ready\n");
// 	fflush(stdout);
// }
//
// static void lost(GDBusConnection *c, const gchar *name, gpointer d) {
// 	fprintf(stderr, "sniwatcher: could not own %s\n", name);
// 	exit(1);
// }
//
// static void run(void) {
// 	g_bus_own_name(G_BUS_TYPE_SESSION, "org.kde.StatusNotifierWatcher", G_BUS_NAME_OWNER_FLAGS_NONE,
// 	               NULL, acquired, lost, NULL, NULL);
// 	g_main_loop_run(g_main_loop_new(NULL, FALSE));
// }
import "C"

func main() { C.run() }
