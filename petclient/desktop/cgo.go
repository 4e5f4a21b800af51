package desktop

// gotk3 does not wrap the shape and X11 calls the pet window needs, so these
// few lines of C do. Same pkg-config flags as gotk3 so warm builds stay warm.

// #cgo pkg-config: gdk-3.0 gtk+-3.0
// #include <gtk/gtk.h>
// #include <gdk/gdkx.h>
// #include <malloc.h>
//
// // One malloc arena: GTK's helper threads (GDBus, ...) allocate little,
// // and each extra arena keeps its own partly used pages resident.
// static void tk_malloc_setup(void) { mallopt(M_ARENA_MAX, 1); }
// // Return freed C heap pages (theme parsing, start-up) to the OS.
// static void tk_malloc_trim(void) { malloc_trim(0); }
//
// static cairo_region_t *tk_region_from_surface(cairo_surface_t *s) {
// 	return gdk_cairo_region_create_from_surface(s);
// }
// static void tk_region_destroy(cairo_region_t *r) { cairo_region_destroy(r); }
// static cairo_region_t *tk_region_empty(void) { return cairo_region_create(); }
// static int tk_region_contains(cairo_region_t *r, int x, int y) {
// 	return cairo_region_contains_point(r, x, y);
// }
// // Clicks outside r pass through to whatever is below the window.
// static void tk_input_shape(GtkWidget *w, cairo_region_t *r) {
// 	gtk_widget_input_shape_combine_region(w, r);
// }
// // Without a compositor there is no alpha: cut the window itself to r.
// static void tk_shape(GtkWidget *w, cairo_region_t *r) {
// 	gtk_widget_shape_combine_region(w, r);
// }
// static unsigned long tk_xid(GdkWindow *w) {
// 	if (w == NULL || !GDK_IS_X11_WINDOW(w)) return 0;
// 	return gdk_x11_window_get_xid(w);
// }
// static void tk_set_device_scale(cairo_surface_t *s, double k) {
// 	cairo_surface_set_device_scale(s, k, k);
// }
//
// // The draw handler is plain C: painting the current frame needs no Go,
// // and gotk3's reflective signal marshalling cost more than the paint.
// // The frame's surface is kept on the widget (a reference, so Go's cache
// // may drop it meanwhile).
// static void tk_surface_unref(gpointer s) { cairo_surface_destroy(s); }
// static gboolean tk_draw(GtkWidget *w, cairo_t *cr, gpointer data) {
// 	cairo_surface_t *s = g_object_get_data(G_OBJECT(w), "tk-frame");
// 	int faded = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(w), "tk-faded")); // % opacity, 0: solid
// 	cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
// 	if (s && faded) {
// 		cairo_set_source_rgba(cr, 0, 0, 0, 0);
// 		cairo_paint(cr);
// 		cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
// 		cairo_set_source_surface(cr, s, 0, 0);
// 		cairo_paint_with_alpha(cr, faded / 100.0);
// 		return TRUE;
// 	}
// 	if (s) cairo_set_source_surface(cr, s, 0, 0);
// 	else cairo_set_source_rgba(cr, 0, 0, 0, 0);
// 	cairo_paint(cr);
// 	return TRUE;
// }
// static void tk_set_faded(GtkWidget *w, int percent) {
// 	g_object_set_data(G_OBJECT(w), "tk-faded", GINT_TO_POINTER(percent));
// 	gtk_widget_queue_draw(w);
// }
// // Frames live in the X server (a pixmap per frame, similar to the pet
// // window): painting is then a server-side composite with no upload, and
// // the pixels do not count against the pet's own memory.
// static cairo_surface_t *tk_server_copy(GtkWidget *w, cairo_surface_t *img, int lw, int lh) {
// 	GdkWindow *win = gtk_widget_get_window(w);
// 	if (win == NULL) return cairo_surface_reference(img);
// 	cairo_surface_t *s = gdk_window_create_similar_surface(win, CAIRO_CONTENT_COLOR_ALPHA, lw, lh);
// 	cairo_t *cr = cairo_create(s);
// 	cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
// 	cairo_set_source_surface(cr, img, 0, 0);
// 	cairo_paint(cr);
// 	cairo_destroy(cr);
// 	return s;
// }
// static void tk_connect_draw(GtkWidget *w) {
// 	g_signal_connect(w, "draw", G_CALLBACK(tk_draw), NULL);
// }
// static void tk_set_frame(GtkWidget *w, cairo_surface_t *s) {
// 	g_object_set_data_full(G_OBJECT(w), "tk-frame", cairo_surface_reference(s), tk_surface_unref);
// 	gtk_widget_queue_draw(w);
// }
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/gotk3/gotk3/gtk"
)

// surface is an owned cairo surface.
type surface struct{ p *C.cairo_surface_t }

// newImageSurface makes a w×h ARGB32 image surface and returns it with its
// pixel buffer (stride 4*w, as cairo uses for ARGB32).
func newImageSurface(w, h int) (surface, []byte, error) {
	s := C.cairo_image_surface_create(C.CAIRO_FORMAT_ARGB32, C.int(w), C.int(h))
	if st := C.cairo_surface_status(s); st != C.CAIRO_STATUS_SUCCESS {
		C.cairo_surface_destroy(s)
		return surface{}, nil, fmt.Errorf("cairo surface %dx%d: status %d", w, h, int(st))
	}
	if int(C.cairo_image_surface_get_stride(s)) != 4*w {
		C.cairo_surface_destroy(s)
		return surface{}, nil, fmt.Errorf("cairo stride for width %d is not %d", w, 4*w)
	}
	C.cairo_surface_flush(s)
	buf := unsafe.Slice((*byte)(unsafe.Pointer(C.cairo_image_surface_get_data(s))), 4*w*h)
	return surface{s}, buf, nil
}

func (s surface) markDirty()               { C.cairo_surface_mark_dirty(s.p) }
func (s surface) setDeviceScale(k float64) { C.tk_set_device_scale(s.p, C.double(k)) }
func (s surface) destroy() {
	if s.p != nil {
		C.cairo_surface_destroy(s.p)
	}
}

// serverCopy copies an image surface into the X server next to w's window
// (lw×lh logical pixels); without a realised window it returns img itself.
func serverCopy(w *gtk.Widget, img surface, lw, lh int) surface {
	return surface{C.tk_server_copy(widgetPtr(w), img.p, C.int(lw), C.int(lh))}
}

// region is an owned cairo region (destroyed by free).
type region struct{ p *C.cairo_region_t }

// regionFromSurface covers the pixels of s with more than 50% alpha; GDK
// honours the surface's device scale, so the region is in logical pixels.
func regionFromSurface(s surface) region {
	return region{C.tk_region_from_surface(s.p)}
}

func (r region) free() {
	if r.p != nil {
		C.tk_region_destroy(r.p)
	}
}

func (r region) contains(x, y int) bool {
	return r.p != nil && C.tk_region_contains(r.p, C.int(x), C.int(y)) != 0
}

func widgetPtr(w *gtk.Widget) *C.GtkWidget { return (*C.GtkWidget)(unsafe.Pointer(w.GObject)) }

// emptyRegion takes no input at all: every click goes through.
var emptyRegion = region{p: C.tk_region_empty()}

// setInputShape makes only r receive pointer input (nil: the whole window).
func setInputShape(w *gtk.Widget, r region) { C.tk_input_shape(widgetPtr(w), r.p) }

// setShape cuts the window's visible area to r (nil: no cut).
func setShape(w *gtk.Widget, r region) { C.tk_shape(widgetPtr(w), r.p) }

// xid returns the X11 window id of w's GDK window, 0 if not realised or not
// on X11 (x11world excludes the pets' own windows by these ids).
func xid(w *gtk.Widget) uint32 {
	gw, err := w.GetWindow()
	if err != nil || gw == nil {
		return 0
	}
	return uint32(C.tk_xid((*C.GdkWindow)(unsafe.Pointer(gw.GObject))))
}

// connectDraw paints the widget's current frame (see setFrameSurface).
func connectDraw(w *gtk.Widget) { C.tk_connect_draw(widgetPtr(w)) }

// setFaded paints the widget's frames at percent opacity (0: solid).
func setFaded(w *gtk.Widget, percent int) { C.tk_set_faded(widgetPtr(w), C.int(percent)) }

// setFrameSurface makes s the widget's frame and queues a redraw.
func setFrameSurface(w *gtk.Widget, s surface) { C.tk_set_frame(widgetPtr(w), s.p) }

func mallocSetup() { C.tk_malloc_setup() }
func mallocTrim()  { C.tk_malloc_trim() }
