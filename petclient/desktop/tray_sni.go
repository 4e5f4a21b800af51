package desktop

// #cgo pkg-config: gio-2.0
// #include <stdlib.h>
// void tk_sni_start(const char *address, const char *title);
// void tk_sni_set_icon(const unsigned char *argb, int w, int h);
// void tk_sni_set_title(const char *title);
// void tk_sni_layout_updated(unsigned int revision);
// void tk_sni_stop(void);
import "C"

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// sniTray is a StatusNotifierItem (KDE, GNOME with the AppIndicator
// extension, most panels) with a dbusmenu, spoken through GIO in sni.c.
// All of it runs on the GTK main loop.
type sniTray struct {
	a    *App
	menu *menu.DBusMenu
	rev  uint32
}

// sniPending is the App waiting for the asynchronous start (one per
// process: the D-Bus object paths are fixed).
var (
	sniPending *App
	sniActive  *sniTray
)

// startSNI begins connecting; tkSniStarted later installs the SNI tray or
// the legacy fallback.
func startSNI(a *App) error {
	addr, err := sessionBusAddress()
	if err != nil {
		return err
	}
	if sniPending != nil || sniActive != nil {
		return errors.New("status notifier already started")
	}
	sniPending = a
	caddr, ctitle := C.CString(addr), C.CString(a.lang.T(i18n.TrayTooltip))
	defer C.free(unsafe.Pointer(caddr))
	defer C.free(unsafe.Pointer(ctitle))
	setSNIIcon(trayIcon(a.src, 32))
	C.tk_sni_start(caddr, ctitle)
	return nil
}

// sessionBusAddress finds the session bus without ever auto-launching one
// (GIO and other clients would start a dbus-daemon through dbus-launch when
// the variable is unset, which must not happen behind the user's back).
func sessionBusAddress() (string, error) {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		if strings.HasPrefix(addr, "disabled:") {
			return "", errors.New("session bus disabled")
		}
		return addr, nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		sock := filepath.Join(rt, "bus")
		if st, err := os.Stat(sock); err == nil && st.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + sock, nil
		}
	}
	return "", errors.New("no session bus")
}

// HaveSessionBus reports whether a session bus is reachable without
// auto-launching one (main uses it before GTK starts).
func HaveSessionBus() bool {
	_, err := sessionBusAddress()
	return err == nil
}

//export tkSniStarted
func tkSniStarted(ok C.int, msg *C.char) {
	a := sniPending
	sniPending = nil
	if a == nil {
		return
	}
	if ok == 0 {
		C.tk_sni_stop()
		a.installTray(nil, errors.New(C.GoString(msg)))
		return
	}
	t := &sniTray{a: a}
	sniActive = t
	t.rebuild()
	a.installTray(t, nil)
}

func (t *sniTray) kind() string { return "sni" }

func (t *sniTray) rebuild() {
	t.rev++
	items := t.a.menus.Build(menu.Context{Place: menu.TrayMenu, Lang: t.a.lang})
	t.menu = menu.NewDBusMenu(items, t.rev)
	title := C.CString(t.a.lang.T(i18n.TrayTooltip))
	C.tk_sni_set_title(title)
	C.free(unsafe.Pointer(title))
	C.tk_sni_layout_updated(C.uint(t.rev))
}

func (t *sniTray) close() {
	C.tk_sni_stop()
	sniActive = nil
}

//export tkSniLayout
func tkSniLayout(parent C.int) *C.char {
	t := sniActive
	if t == nil || t.menu == nil {
		return C.CString("(uint32 0, (0, @a{sv} {}, @av []))")
	}
	return C.CString(t.menu.Layout(int32(parent)))
}

//export tkSniGroupProps
func tkSniGroupProps(ids *C.int, n C.int) *C.char {
	t := sniActive
	if t == nil || t.menu == nil {
		return C.CString("@a(ia{sv}) []")
	}
	var list []int32
	if n > 0 {
		for _, id := range unsafe.Slice(ids, int(n)) {
			list = append(list, int32(id))
		}
	}
	return C.CString(t.menu.GroupProperties(list))
}

//export tkSniEvent
func tkSniEvent(id C.int) {
	t := sniActive
	if t == nil || t.menu == nil {
		return
	}
	if it, ok := t.menu.Item(int32(id)); ok && it.Activate != nil && !it.Disabled {
		it.Activate()
	}
}

// tkSniActivate is a primary click on the icon itself: show or hide the
// pets (hosts that honour ItemIsMenu open the menu instead).
//
//export tkSniActivate
func tkSniActivate() {
	if t := sniActive; t != nil {
		t.a.setHidden(!t.a.userHidden)
	}
}

// setSNIIcon converts img to the spec's ARGB32 in network byte order.
func setSNIIcon(img image.Image) {
	n := nrgba(img)
	w, h := n.Rect.Dx(), n.Rect.Dy()
	if w == 0 || h == 0 {
		return
	}
	buf := C.malloc(C.size_t(w * h * 4))
	defer C.free(buf)
	out := unsafe.Slice((*byte)(buf), w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := n.Pix[y*n.Stride+x*4:]
			o := out[(y*w+x)*4:]
			o[0], o[1], o[2], o[3] = p[3], p[0], p[1], p[2]
		}
	}
	C.tk_sni_set_icon((*C.uchar)(buf), C.int(w), C.int(h))
}
