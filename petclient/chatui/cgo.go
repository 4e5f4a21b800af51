package chatui

// gotk3 does not give a window's X id; these few lines of C do. Same
// pkg-config flags as gotk3 so warm builds stay warm.

// #cgo pkg-config: gdk-3.0 gtk+-3.0
// #include <gtk/gtk.h>
// #include <gdk/gdkx.h>
//
// static unsigned long tkc_xid(GtkWidget *w) {
// 	GdkWindow *g = gtk_widget_get_window(w);
// 	if (g == NULL || !GDK_IS_X11_WINDOW(g)) return 0;
// 	return gdk_x11_window_get_xid(g);
// }
import "C"

import (
	"unsafe"

	"github.com/gotk3/gotk3/gtk"
)

func widgetPtr(w *gtk.Widget) *C.GtkWidget { return (*C.GtkWidget)(unsafe.Pointer(w.GObject)) }

func xidOf(w *gtk.Widget) uint32 { return uint32(C.tkc_xid(widgetPtr(w))) }
