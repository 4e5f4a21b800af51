// StatusNotifierItem + com.canonical.dbusmenu over GIO's GDBus.
//
// GIO is already loaded with GTK, and driving D-Bus from C keeps Go's
// reflection-based D-Bus stacks (and the tens of MiB of binary they pull in)
// out of the pet. Everything runs on the GTK main loop: objects are
// registered from the main thread, so GDBus dispatches calls there too. The
// menu content comes from Go as GVariant text (see tray_sni.go).
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>
#include "_cgo_export.h"

static const char *tk_sni_xml =
	"<node>"
	" <interface name='org.kde.StatusNotifierItem'>"
	"  <property name='Category' type='s' access='read'/>"
	"  <property name='Id' type='s' access='read'/>"
	"  <property name='Title' type='s' access='read'/>"
	"  <property name='Status' type='s' access='read'/>"
	"  <property name='WindowId' type='i' access='read'/>"
	"  <property name='IconName' type='s' access='read'/>"
	"  <property name='IconPixmap' type='a(iiay)' access='read'/>"
	"  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
	"  <property name='ItemIsMenu' type='b' access='read'/>"
	"  <property name='Menu' type='o' access='read'/>"
	"  <method name='ContextMenu'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
	"  <method name='Activate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
	"  <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
	"  <method name='Scroll'><arg name='delta' type='i' direction='in'/><arg name='orientation' type='s' direction='in'/></method>"
	"  <signal name='NewTitle'/><signal name='NewIcon'/><signal name='NewToolTip'/>"
	"  <signal name='NewStatus'><arg name='status' type='s'/></signal>"
	" </interface>"
	"</node>";

static const char *tk_menu_xml =
	"<node>"
	" <interface name='com.canonical.dbusmenu'>"
	"  <property name='Version' type='u' access='read'/>"
	"  <property name='TextDirection' type='s' access='read'/>"
	"  <property name='Status' type='s' access='read'/>"
	"  <property name='IconThemePath' type='as' access='read'/>"
	"  <method name='GetLayout'>"
	"   <arg type='i' name='parentId' direction='in'/><arg type='i' name='recursionDepth' direction='in'/>"
	"   <arg type='as' name='propertyNames' direction='in'/>"
	"   <arg type='u' name='revision' direction='out'/><arg type='(ia{sv}av)' name='layout' direction='out'/>"
	"  </method>"
	"  <method name='GetGroupProperties'>"
	"   <arg type='ai' name='ids' direction='in'/><arg type='as' name='propertyNames' direction='in'/>"
	"   <arg type='a(ia{sv})' name='properties' direction='out'/>"
	"  </method>"
	"  <method name='GetProperty'>"
	"   <arg type='i' name='id' direction='in'/><arg type='s' name='name' direction='in'/>"
	"   <arg type='v' name='value' direction='out'/>"
	"  </method>"
	"  <method name='Event'>"
	"   <arg type='i' name='id' direction='in'/><arg type='s' name='eventId' direction='in'/>"
	"   <arg type='v' name='data' direction='in'/><arg type='u' name='timestamp' direction='in'/>"
	"  </method>"
	"  <method name='EventGroup'>"
	"   <arg type='a(isvu)' name='events' direction='in'/><arg type='ai' name='idErrors' direction='out'/>"
	"  </method>"
	"  <method name='AboutToShow'>"
	"   <arg type='i' name='id' direction='in'/><arg type='b' name='needUpdate' direction='out'/>"
	"  </method>"
	"  <method name='AboutToShowGroup'>"
	"   <arg type='ai' name='ids' direction='in'/>"
	"   <arg type='ai' name='updatesNeeded' direction='out'/><arg type='ai' name='idErrors' direction='out'/>"
	"  </method>"
	"  <signal name='ItemsPropertiesUpdated'>"
	"   <arg type='a(ia{sv})' name='updatedProps'/><arg type='a(ias)' name='removedProps'/>"
	"  </signal>"
	"  <signal name='LayoutUpdated'><arg type='u' name='revision'/><arg type='i' name='parent'/></signal>"
	" </interface>"
	"</node>";

#define TK_SNI_PATH "/StatusNotifierItem"
#define TK_MENU_PATH "/MenuBar"

static GDBusConnection *tk_conn;
static GDBusNodeInfo *tk_sni_info, *tk_menu_info;
static guint tk_sni_reg, tk_menu_reg, tk_owner, tk_watch;
static char *tk_title, *tk_service;
static GVariant *tk_icon; // a(iiay), floating ref sunk on creation

static GVariant *tk_empty_pixmaps(void) {
	return g_variant_new_array(G_VARIANT_TYPE("(iiay)"), NULL, 0);
}

static GVariant *sni_get(GDBusConnection *c, const gchar *sender, const gchar *path,
                         const gchar *iface, const gchar *prop, GError **err, gpointer data) {
	if (!strcmp(prop, "Category")) return g_variant_new_string("ApplicationStatus");
	if (!strcmp(prop, "Id")) return g_variant_new_string("tachikoma");
	if (!strcmp(prop, "Title")) return g_variant_new_string(tk_title ? tk_title : "Tachikoma");
	if (!strcmp(prop, "Status")) return g_variant_new_string("Active");
	if (!strcmp(prop, "WindowId")) return g_variant_new_int32(0);
	if (!strcmp(prop, "IconName")) return g_variant_new_string("");
	if (!strcmp(prop, "IconPixmap")) return tk_icon ? g_variant_ref(tk_icon) : tk_empty_pixmaps();
	if (!strcmp(prop, "ToolTip"))
		return g_variant_new("(s@a(iiay)ss)", "", tk_empty_pixmaps(), tk_title ? tk_title : "", "");
	if (!strcmp(prop, "ItemIsMenu")) return g_variant_new_boolean(TRUE);
	if (!strcmp(prop, "Menu")) return g_variant_new_object_path(TK_MENU_PATH);
	g_set_error(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	return NULL;
}

static void sni_call(GDBusConnection *c, const gchar *sender, const gchar *path, const gchar *iface,
                     const gchar *method, GVariant *params, GDBusMethodInvocation *inv, gpointer data) {
	if (!strcmp(method, "Activate")) tkSniActivate();
	g_dbus_method_invocation_return_value(inv, NULL);
}

static GVariant *menu_get(GDBusConnection *c, const gchar *sender, const gchar *path,
                          const gchar *iface, const gchar *prop, GError **err, gpointer data) {
	if (!strcmp(prop, "Version")) return g_variant_new_uint32(3);
	if (!strcmp(prop, "TextDirection")) return g_variant_new_string("ltr");
	if (!strcmp(prop, "Status")) return g_variant_new_string("normal");
	if (!strcmp(prop, "IconThemePath")) return g_variant_new_strv(NULL, 0);
	g_set_error(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	return NULL;
}

// parse_go turns GVariant text made by Go into a value (and frees the text).
static GVariant *parse_go(char *text, const char *type) {
	GError *err = NULL;
	GVariant *v = g_variant_parse(G_VARIANT_TYPE(type), text, NULL, NULL, &err);
	if (!v) {
		g_warning("tachikoma tray: bad menu text: %s", err->message);
		g_error_free(err);
	}
	free(text);
	return v;
}

static void menu_call(GDBusConnection *c, const gchar *sender, const gchar *path, const gchar *iface,
                      const gchar *method, GVariant *params, GDBusMethodInvocation *inv, gpointer data) {
	if (!strcmp(method, "GetLayout")) {
		gint32 parent, depth;
		g_variant_get(params, "(ii@as)", &parent, &depth, NULL);
		GVariant *v = parse_go(tkSniLayout(parent), "(u(ia{sv}av))");
		if (v) g_dbus_method_invocation_return_value(inv, v);
		else g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.Failed", "layout");
		return;
	}
	if (!strcmp(method, "GetGroupProperties")) {
		GVariant *ids = g_variant_get_child_value(params, 0);
		gsize n = 0;
		const gint32 *arr = g_variant_get_fixed_array(ids, &n, sizeof(gint32));
		GVariant *v = parse_go(tkSniGroupProps((int *)arr, (int)n), "a(ia{sv})");
		g_variant_unref(ids);
		if (v) g_dbus_method_invocation_return_value(inv, g_variant_new_tuple(&v, 1));
		else g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.Failed", "props");
		return;
	}
	if (!strcmp(method, "GetProperty")) {
		g_dbus_method_invocation_return_value(inv, g_variant_new("(v)", g_variant_new_string("")));
		return;
	}
	if (!strcmp(method, "Event")) {
		gint32 id;
		const gchar *ev;
		g_variant_get(params, "(i&svu)", &id, &ev, NULL, NULL);
		if (!strcmp(ev, "clicked")) tkSniEvent(id);
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	if (!strcmp(method, "EventGroup")) {
		GVariantIter *it;
		gint32 id;
		const gchar *ev;
		g_variant_get(params, "(a(isvu))", &it);
		while (g_variant_iter_next(it, "(i&svu)", &id, &ev, NULL, NULL))
			if (!strcmp(ev, "clicked")) tkSniEvent(id);
		g_variant_iter_free(it);
		g_dbus_method_invocation_return_value(inv, g_variant_new_parsed("(@ai [],)"));
		return;
	}
	if (!strcmp(method, "AboutToShow")) {
		g_dbus_method_invocation_return_value(inv, g_variant_new("(b)", FALSE));
		return;
	}
	if (!strcmp(method, "AboutToShowGroup")) {
		g_dbus_method_invocation_return_value(inv, g_variant_new_parsed("(@ai [], @ai [])"));
		return;
	}
	g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.UnknownMethod", method);
}

static const GDBusInterfaceVTable sni_vtable = {sni_call, sni_get, NULL};
static const GDBusInterfaceVTable menu_vtable = {menu_call, menu_get, NULL};

static void tk_register_item(void) {
	g_dbus_connection_call(tk_conn, "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher",
	                       "org.kde.StatusNotifierWatcher", "RegisterStatusNotifierItem",
	                       g_variant_new("(s)", tk_service), NULL, G_DBUS_CALL_FLAGS_NONE, 2000,
	                       NULL, NULL, NULL);
}

// A restarted panel brings a new watcher: register with it again.
static void tk_watcher_appeared(GDBusConnection *c, const gchar *name, const gchar *owner, gpointer d) {
	if (tk_sni_reg) tk_register_item();
}

static void tk_fail(const char *msg) {
	tkSniStarted(0, (char *)msg);
}

static void tk_host_checked(GObject *src, GAsyncResult *res, gpointer data) {
	GError *err = NULL;
	GVariant *r = g_dbus_connection_call_finish(tk_conn, res, &err);
	if (!r) {
		tk_fail(err->message);
		g_error_free(err);
		return;
	}
	GVariant *v = NULL;
	g_variant_get(r, "(v)", &v);
	gboolean host = g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) && g_variant_get_boolean(v);
	g_variant_unref(v);
	g_variant_unref(r);
	if (!host) {
		tk_fail("StatusNotifierWatcher has no host");
		return;
	}
	tk_sni_info = g_dbus_node_info_new_for_xml(tk_sni_xml, NULL);
	tk_menu_info = g_dbus_node_info_new_for_xml(tk_menu_xml, NULL);
	tk_sni_reg = g_dbus_connection_register_object(tk_conn, TK_SNI_PATH, tk_sni_info->interfaces[0],
	                                               &sni_vtable, NULL, NULL, &err);
	if (tk_sni_reg)
		tk_menu_reg = g_dbus_connection_register_object(tk_conn, TK_MENU_PATH, tk_menu_info->interfaces[0],
		                                                &menu_vtable, NULL, NULL, &err);
	if (!tk_sni_reg || !tk_menu_reg) {
		tk_fail(err ? err->message : "register");
		if (err) g_error_free(err);
		return;
	}
	tk_service = g_strdup_printf("org.kde.StatusNotifierItem-%d-1", (int)getpid());
	tk_owner = g_bus_own_name_on_connection(tk_conn, tk_service, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
	                                        NULL, NULL, NULL, NULL);
	// The watch fires at once if the watcher is there, and again whenever a
	// restarted panel brings a new one: registration happens there.
	tk_watch = g_bus_watch_name_on_connection(tk_conn, "org.kde.StatusNotifierWatcher",
	                                          G_BUS_NAME_WATCHER_FLAGS_NONE, tk_watcher_appeared,
	                                          NULL, NULL, NULL);
	tkSniStarted(1, NULL);
}

static void tk_connected(GObject *src, GAsyncResult *res, gpointer data) {
	GError *err = NULL;
	tk_conn = g_dbus_connection_new_for_address_finish(res, &err);
	if (!tk_conn) {
		tk_fail(err->message);
		g_error_free(err);
		return;
	}
	g_dbus_connection_set_exit_on_close(tk_conn, FALSE); // a lost bus must not kill the pet
	g_dbus_connection_call(tk_conn, "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher",
	                       "org.freedesktop.DBus.Properties", "Get",
	                       g_variant_new("(ss)", "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered"),
	                       G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 2000, NULL, tk_host_checked, NULL);
}

// tk_sni_start connects to the bus at address (never auto-launching one)
// and reports through tkSniStarted whether a tray host took the item.
void tk_sni_start(const char *address, const char *title) {
	g_free(tk_title);
	tk_title = g_strdup(title);
	g_dbus_connection_new_for_address(address,
	                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
	                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	                                  NULL, NULL, tk_connected, NULL);
}

// tk_sni_set_icon takes ARGB32 pixels in network byte order (as the spec
// wants) and announces the new icon.
void tk_sni_set_icon(const unsigned char *argb, int w, int h) {
	GVariant *bytes = g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, argb, (gsize)w * h * 4, 1);
	GVariant *pix = g_variant_new("(ii@ay)", w, h, bytes);
	if (tk_icon) g_variant_unref(tk_icon);
	tk_icon = g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("(iiay)"), &pix, 1));
	if (tk_conn && tk_sni_reg)
		g_dbus_connection_emit_signal(tk_conn, NULL, TK_SNI_PATH, "org.kde.StatusNotifierItem", "NewIcon", NULL, NULL);
}

void tk_sni_set_title(const char *title) {
	g_free(tk_title);
	tk_title = g_strdup(title);
	if (!tk_conn || !tk_sni_reg) return;
	g_dbus_connection_emit_signal(tk_conn, NULL, TK_SNI_PATH, "org.kde.StatusNotifierItem", "NewTitle", NULL, NULL);
	g_dbus_connection_emit_signal(tk_conn, NULL, TK_SNI_PATH, "org.kde.StatusNotifierItem", "NewToolTip", NULL, NULL);
}

void tk_sni_layout_updated(unsigned int revision) {
	if (tk_conn && tk_menu_reg)
		g_dbus_connection_emit_signal(tk_conn, NULL, TK_MENU_PATH, "com.canonical.dbusmenu", "LayoutUpdated",
		                              g_variant_new("(ui)", revision, 0), NULL);
}

void tk_sni_stop(void) {
	if (tk_watch) g_bus_unwatch_name(tk_watch);
	if (tk_owner) g_bus_unown_name(tk_owner);
	if (tk_conn) {
		if (tk_sni_reg) g_dbus_connection_unregister_object(tk_conn, tk_sni_reg);
		if (tk_menu_reg) g_dbus_connection_unregister_object(tk_conn, tk_menu_reg);
		g_dbus_connection_flush_sync(tk_conn, NULL, NULL);
		g_object_unref(tk_conn);
	}
	tk_watch = tk_owner = tk_sni_reg = tk_menu_reg = 0;
	tk_conn = NULL;
}
