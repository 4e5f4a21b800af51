// The pet's tick as a plain GLib timeout calling one exported Go function:
// gotk3's TimeoutAdd goes through reflection on every call, which showed up
// as a tenth of an idle pet's CPU.
#include <glib.h>
#include "_cgo_export.h"

static gboolean tk_tick_cb(gpointer data) {
	return tkTick() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

guint tk_tick_start(guint ms) {
	return g_timeout_add(ms, tk_tick_cb, NULL);
}

void tk_tick_stop(guint id) {
	if (id) g_source_remove(id);
}
