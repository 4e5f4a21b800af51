// GtkStatusIcon is deprecated, so gotk3 only wraps it behind a build tag we
// do not use; these few calls are all the legacy tray needs.
#include <gtk/gtk.h>
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
