package bubbleui

// gotk3 does not wrap shape regions; these few lines of C build one from
// the bubble outline. Same pkg-config flags as gotk3 so warm builds stay warm.

// #cgo pkg-config: gdk-3.0 gtk+-3.0
// #include <gtk/gtk.h>
//
// // spans: y, x0, x1 triples. Without a compositor the window itself is cut
// // to them; either way clicks outside them reach the window below.
// static void tkb_shape(GtkWidget *w, const int *spans, int n, int cut) {
// 	cairo_region_t *r = cairo_region_create();
// 	for (int i = 0; i < n; i++) {
// 		cairo_rectangle_int_t rect = { spans[3*i+1], spans[3*i], spans[3*i+2] - spans[3*i+1], 1 };
// 		cairo_region_union_rectangle(r, &rect);
// 	}
// 	gtk_widget_shape_combine_region(w, cut ? r : NULL);
// 	gtk_widget_input_shape_combine_region(w, r);
// 	cairo_region_destroy(r);
// }
import "C"

import (
	"unsafe"

	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/chatui/bubbles"
)

// setShape applies the outline as input shape, and as window shape when cut
// (no compositor, so no alpha).
func setShape(w *gtk.Widget, spans []bubbles.Span, cut bool) {
	flat := make([]C.int, 0, 3*len(spans)+1)
	for _, s := range spans {
		flat = append(flat, C.int(s.Y), C.int(s.X0), C.int(s.X1))
	}
	flat = append(flat, 0) // never an empty slice to take the address of
	c := 0
	if cut {
		c = 1
	}
	C.tkb_shape((*C.GtkWidget)(unsafe.Pointer(w.GObject)), &flat[0], C.int(len(spans)), C.int(c))
}
