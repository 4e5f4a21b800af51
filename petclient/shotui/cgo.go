package shotui

// gotk3 does not wrap GdkSeat grabs; these few lines of C do. Same
// pkg-config flags as gotk3 so warm builds stay warm.

// #cgo pkg-config: gdk-3.0 gtk+-3.0
// #include <gtk/gtk.h>
//
// static GdkGrabStatus tks_grab(GdkWindow *w) {
// 	GdkSeat *seat = gdk_display_get_default_seat(gdk_window_get_display(w));
// 	if (seat == NULL) return GDK_GRAB_FAILED;
// 	return gdk_seat_grab(seat, w, GDK_SEAT_CAPABILITY_ALL, TRUE, NULL, NULL, NULL, NULL);
// }
// static void tks_ungrab(GdkWindow *w) {
// 	GdkSeat *seat = gdk_display_get_default_seat(gdk_window_get_display(w));
// 	if (seat != NULL) gdk_seat_ungrab(seat);
// }
// // As GtkTreeView's search popup: an override-redirect window never gets
// // focus from the window manager, so tell the entry (and its input
// // method) it has it.
// static void tks_focus_in(GtkWidget *w) {
// 	GdkEvent *ev = gdk_event_new(GDK_FOCUS_CHANGE);
// 	GdkWindow *win = gtk_widget_get_window(w);
// 	ev->focus_change.type = GDK_FOCUS_CHANGE;
// 	ev->focus_change.window = win ? g_object_ref(win) : NULL;
// 	ev->focus_change.in = TRUE;
// 	GdkSeat *seat = gdk_display_get_default_seat(gtk_widget_get_display(w));
// 	if (seat != NULL) gdk_event_set_device(ev, gdk_seat_get_keyboard(seat));
// 	gtk_widget_send_focus_change(w, ev);
// 	gdk_event_free(ev);
// }
// static GtkWidget *tks_colour_chooser(void) { return gtk_color_chooser_widget_new(); }
// static void tks_chooser_rgba(GtkWidget *w, double *r, double *g, double *b) {
// 	GdkRGBA c;
// 	gtk_color_chooser_get_rgba(GTK_COLOR_CHOOSER(w), &c);
// 	*r = c.red; *g = c.green; *b = c.blue;
// }
import "C"

import (
	"unsafe"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"
)

// grabStatus is a GdkGrabStatus.
type grabStatus int

const (
	grabSuccess        grabStatus = C.GDK_GRAB_SUCCESS
	grabAlreadyGrabbed grabStatus = C.GDK_GRAB_ALREADY_GRABBED
	grabNotViewable    grabStatus = C.GDK_GRAB_NOT_VIEWABLE
	grabFrozen         grabStatus = C.GDK_GRAB_FROZEN
)

func (s grabStatus) String() string {
	switch s {
	case grabSuccess:
		return "success"
	case grabAlreadyGrabbed:
		return "already grabbed"
	case C.GDK_GRAB_INVALID_TIME:
		return "invalid time"
	case grabNotViewable:
		return "not viewable"
	case grabFrozen:
		return "frozen"
	}
	return "failed"
}

// transient: another client's grab or the map may still be on its way.
func (s grabStatus) transient() bool {
	return s == grabAlreadyGrabbed || s == grabNotViewable || s == grabFrozen
}

func gdkWindowPtr(w *gdk.Window) *C.GdkWindow { return (*C.GdkWindow)(unsafe.Pointer(w.GObject)) }

// seatGrab sends the seat's keyboard and pointer to w: an override-redirect
// window never gets the focus from a window manager.
func seatGrab(w *gdk.Window) grabStatus { return grabStatus(C.tks_grab(gdkWindowPtr(w))) }

func seatUngrab(w *gdk.Window) { C.tks_ungrab(gdkWindowPtr(w)) }

// focusIn gives w the keyboard focus inside an override-redirect window.
func focusIn(w *gtk.Widget) { C.tks_focus_in((*C.GtkWidget)(unsafe.Pointer(w.GObject))) }

// colourChooser is a GtkColorChooserWidget (gotk3 wraps only the dialog,
// which an override-redirect overlay would cover).
func colourChooser() *gtk.Widget {
	obj := glib.Take(unsafe.Pointer(C.tks_colour_chooser()))
	return &gtk.Widget{InitiallyUnowned: glib.InitiallyUnowned{Object: obj}}
}

// chooserRGB is the colour chosen in a colourChooser, 0 to 1.
func chooserRGB(w *gtk.Widget) (r, g, b float64) {
	var cr, cg, cb C.double
	C.tks_chooser_rgba((*C.GtkWidget)(unsafe.Pointer(w.GObject)), &cr, &cg, &cb)
	return float64(cr), float64(cg), float64(cb)
}
