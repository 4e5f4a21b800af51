// Package glyphs tells whether text on screen really shows: how many glyphs
// Pango draws as "unknown" boxes because no installed font has them. The
// pet's test hook reports it for its menus and speech bubbles.
package glyphs

// #cgo pkg-config: gdk-3.0 gtk+-3.0
// #include <gtk/gtk.h>
// #include <stdint.h>
//
// // l is a C pointer handed over as gotk3 exposes it (Native).
// static int tkg_unknown(uintptr_t l) { return pango_layout_get_unknown_glyphs_count((PangoLayout *)l); }
//
// typedef struct { int labels, unknown; GString *text; } tkg_acc;
//
// static void tkg_walk(GtkWidget *w, gpointer data) {
// 	tkg_acc *a = data;
// 	if (GTK_IS_LABEL(w)) {
// 		PangoLayout *l = gtk_label_get_layout(GTK_LABEL(w));
// 		a->labels++;
// 		a->unknown += pango_layout_get_unknown_glyphs_count(l);
// 		g_string_append(a->text, pango_layout_get_text(l));
// 		g_string_append_c(a->text, '\n');
// 	}
// 	if (GTK_IS_MENU_ITEM(w)) {
// 		GtkWidget *sub = gtk_menu_item_get_submenu(GTK_MENU_ITEM(w));
// 		if (sub != NULL) tkg_walk(sub, data);
// 	}
// 	if (GTK_IS_CONTAINER(w)) gtk_container_forall(GTK_CONTAINER(w), tkg_walk, data);
// }
//
// static char *tkg_widget(GtkWidget *w, int *labels, int *unknown) {
// 	tkg_acc a = { 0, 0, g_string_new(NULL) };
// 	tkg_walk(w, &a);
// 	*labels = a.labels;
// 	*unknown = a.unknown;
// 	return g_string_free(a.text, FALSE);
// }
import "C"

import (
	"unsafe"

	"github.com/gotk3/gotk3/gtk"
	"github.com/gotk3/gotk3/pango"
)

// Unknown is the number of glyphs of l drawn as boxes.
func Unknown(l *pango.Layout) int {
	if l == nil {
		return 0
	}
	return int(C.tkg_unknown(C.uintptr_t(l.Native())))
}

// Report is what a widget tree's labels show.
type Report struct {
	Labels  int    // labels found (submenus included)
	Unknown int    // glyphs drawn as boxes, all labels together
	Text    string // the labels' text, one per line
}

// InWidget walks w, its children and menu items' submenus.
func InWidget(w gtk.IWidget) Report {
	var labels, unknown C.int
	s := C.tkg_widget((*C.GtkWidget)(unsafe.Pointer(w.ToWidget().GObject)), &labels, &unknown)
	defer C.g_free(C.gpointer(s))
	return Report{Labels: int(labels), Unknown: int(unknown), Text: C.GoString(s)}
}
