package desktop

import (
	"image"
	"image/draw"
	"os"
	"sync"

	"fyne.io/systray"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// sniTray exports a StatusNotifierItem with a dbusmenu through
// fyne.io/systray in its external-loop mode: pure Go over D-Bus, no second
// GUI loop; GTK keeps the main thread.
type sniTray struct {
	a    *App
	end  func()
	mu   sync.Mutex
	gen  chan struct{} // closed when the menu is rebuilt: stops old listeners
	once sync.Once
}

var sniStarted bool // fyne.io/systray is a process-wide singleton

func newSNITray(a *App, addr string) (tray, error) {
	if sniStarted {
		return nil, errSNIUsed
	}
	sniStarted = true
	// systray connects with godbus' default session bus; point it at the
	// bus we probed so it can never auto-launch another.
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	t := &sniTray{a: a}
	icon := iconPNG(trayIcon(a.src, 32))
	title := a.lang.T(i18n.TrayTooltip)
	start, end := systray.RunWithExternalLoop(func() {
		systray.SetIcon(icon)
		systray.SetTitle(title)
		systray.SetTooltip(title)
		glib.IdleAdd(t.rebuild) // menu content is read on the GTK thread
	}, nil)
	t.end = end
	start()
	return t, nil
}

type sniErr string

func (e sniErr) Error() string { return string(e) }

const errSNIUsed = sniErr("status notifier already in use")

func (t *sniTray) kind() string { return "sni" }

// rebuild runs on the GTK thread: it reads the registry there, then hands
// the plain data to systray (which is goroutine-safe).
func (t *sniTray) rebuild() {
	items := t.a.menus.Build(menu.Context{Place: menu.TrayMenu, Lang: t.a.lang})
	tooltip := t.a.lang.T(i18n.TrayTooltip)
	t.mu.Lock()
	if t.gen != nil {
		close(t.gen)
	}
	gen := make(chan struct{})
	t.gen = gen
	t.mu.Unlock()
	go func() {
		systray.ResetMenu()
		systray.SetTooltip(tooltip)
		addSNIItems(nil, items, gen)
	}()
}

func addSNIItems(parent *systray.MenuItem, items []menu.Item, gen chan struct{}) {
	for _, it := range items {
		if it.Kind == menu.Separator {
			if parent == nil {
				systray.AddSeparator()
			} else {
				parent.AddSeparator()
			}
			continue
		}
		checkable := it.Kind == menu.Check || it.Kind == menu.Radio
		var mi *systray.MenuItem
		switch {
		case parent == nil && checkable:
			mi = systray.AddMenuItemCheckbox(it.Label, it.Tooltip, it.Checked)
		case parent == nil:
			mi = systray.AddMenuItem(it.Label, it.Tooltip)
		case checkable:
			mi = parent.AddSubMenuItemCheckbox(it.Label, it.Tooltip, it.Checked)
		default:
			mi = parent.AddSubMenuItem(it.Label, it.Tooltip)
		}
		if it.Disabled {
			mi.Disable()
		}
		if len(it.Children) > 0 {
			addSNIItems(mi, it.Children, gen)
			continue
		}
		if act := it.Activate; act != nil {
			go func(ch chan struct{}) {
				for {
					select {
					case <-ch:
						glib.IdleAdd(act) // menu actions touch GTK
					case <-gen:
						return
					}
				}
			}(mi.ClickedCh)
		}
	}
}

func (t *sniTray) close() {
	t.once.Do(func() {
		t.mu.Lock()
		if t.gen != nil {
			close(t.gen)
			t.gen = nil
		}
		t.mu.Unlock()
		t.end()
	})
}

// pixbufFromImage copies img into a new RGBA pixbuf (non-premultiplied,
// like image.NRGBA).
func pixbufFromImage(img image.Image) (*gdk.Pixbuf, error) {
	b := img.Bounds()
	n, ok := img.(*image.NRGBA)
	if !ok || b.Min != (image.Point{}) {
		n = image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(n, n.Bounds(), img, b.Min, draw.Src)
	}
	pb, err := gdk.PixbufNew(gdk.COLORSPACE_RGB, true, 8, b.Dx(), b.Dy())
	if err != nil {
		return nil, err
	}
	pix, stride := pb.GetPixels(), pb.GetRowstride()
	for y := 0; y < b.Dy(); y++ {
		copy(pix[y*stride:y*stride+b.Dx()*4], n.Pix[y*n.Stride:])
	}
	return pb, nil
}
