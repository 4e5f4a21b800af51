// GtkStatusIcon is deprecated, so gotk3 only wraps it behind a build tag we
// do not use; these few calls are all the legacy tray needs.
#include <gtk/gtk.h>
#include <gdk/gdkx.h>
#include <stdio.h>
#include "_cgo_export.h"

static void on_popup(GtkStatusIcon *icon, guint button, guint32 at, gpointer data) {
	tkStatusIconMenu(button, at);
}

static void on_activate(GtkStatusIcon *icon, gpointer data) {
	tkStatusIconMenu(1, gtk_get_current_event_time());
}

GtkStatusIcon *tk_status_icon_new(GdkPixbuf *pb, const char *title) {
	GtkStatusIcon *icon = gtk_status_icon_new_from_pixbuf(pb);
	gtk_status_icon_set_title(icon, title);
	gtk_status_icon_set_name(icon, "tachikoma");
	g_signal_connect(icon, "popup-menu", G_CALLBACK(on_popup), NULL);
	g_signal_connect(icon, "activate", G_CALLBACK(on_activate), NULL);
	return icon;
}

void tk_status_icon_set_tooltip(GtkStatusIcon *icon, const char *text) {
	gtk_status_icon_set_tooltip_text(icon, text);
}

void tk_status_icon_hide(GtkStatusIcon *icon) {
	gtk_status_icon_set_visible(icon, FALSE);
}

int tk_status_icon_embedded(GtkStatusIcon *icon) {
	return gtk_status_icon_is_embedded(icon);
}

void tk_menu_popup_for_status(GtkMenu *menu) {
	gtk_menu_popup_at_pointer(menu, NULL);
}

int tk_xembed_tray_present(void) {
	GdkScreen *screen = gdk_screen_get_default();
	if (screen == NULL || !GDK_IS_X11_SCREEN(screen)) return 0;
	GdkDisplay *display = gdk_screen_get_display(screen);
	char name[64];
	snprintf(name, sizeof name, "_NET_SYSTEM_TRAY_S%d", gdk_x11_screen_get_screen_number(screen));
	Atom sel = gdk_x11_get_xatom_by_name_for_display(display, name);
	return XGetSelectionOwner(gdk_x11_display_get_xdisplay(display), sel) != None;
}
