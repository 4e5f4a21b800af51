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
import "C"

import (
	"unsafe"

	"github.com/gotk3/gotk3/gdk"
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
