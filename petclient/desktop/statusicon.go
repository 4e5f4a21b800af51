package desktop

// #cgo pkg-config: gdk-3.0 gtk+-3.0 x11
// #cgo CFLAGS: -Wno-deprecated-declarations
// #include <stdlib.h>
// #include <gtk/gtk.h>
// GtkStatusIcon *tk_status_icon_new(GdkPixbuf *pb, const char *title);
// void tk_status_icon_set_tooltip(GtkStatusIcon *icon, const char *text);
// void tk_status_icon_hide(GtkStatusIcon *icon);
// int tk_status_icon_embedded(GtkStatusIcon *icon);
// int tk_xembed_tray_present(void);
// void tk_menu_popup_for_status(GtkMenu *menu);
import "C"

import (
	"unsafe"

	"github.com/gotk3/gotk3/glib"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// statusIconTray is the legacy XEmbed tray icon for desktops without a
// StatusNotifier host.
type statusIconTray struct {
	a    *App
	icon *C.GtkStatusIcon
}

var activeStatusIcon *statusIconTray // GTK callbacks find the Go side here

func newStatusIconTray(a *App) tray {
	pb, err := pixbufFromImage(trayIcon(a.src, 32))
	if err != nil {
		a.log.Warn("no status icon", "err", err)
		return nil
	}
	title := C.CString("Tachikoma")
	defer C.free(unsafe.Pointer(title))
	t := &statusIconTray{a: a, icon: C.tk_status_icon_new((*C.GdkPixbuf)(unsafe.Pointer(pb.GObject)), title)}
	activeStatusIcon = t
	t.rebuild()
	return t
}

func (t *statusIconTray) kind() string { return "statusicon" }

func (t *statusIconTray) rebuild() {
	tip := C.CString(t.a.lang.T(i18n.TrayTooltip))
	defer C.free(unsafe.Pointer(tip))
	C.tk_status_icon_set_tooltip(t.icon, tip)
}

func (t *statusIconTray) close() {
	C.tk_status_icon_hide(t.icon)
	activeStatusIcon = nil
}

//export tkStatusIconMenu
func tkStatusIconMenu(button C.guint, at C.guint32) {
	t := activeStatusIcon
	if t == nil {
		return
	}
	items := t.a.menus.Build(menu.Context{Place: menu.TrayMenu, Lang: t.a.lang})
	m, err := buildGtkMenu(items)
	if err != nil {
		return
	}
	m.Connect("deactivate", func() { glib.IdleAdd(func() { m.Destroy() }) })
	m.ShowAll()
	C.tk_menu_popup_for_status((*C.GtkMenu)(unsafe.Pointer(m.GObject)))
}

// xembedTrayPresent reports whether a legacy (XEmbed) system tray runs: a
// status icon without one is invisible yet still loads fonts and theme
// parts, megabytes for nothing.
func xembedTrayPresent() bool { return C.tk_xembed_tray_present() != 0 }
