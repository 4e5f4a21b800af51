package shotui

import (
	"image"
	"math"
	"strings"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// Zoom limits and step of a pin window.
const (
	pinZoomMin  = 0.1
	pinZoomMax  = 8
	pinZoomStep = 1.1
	pinBorder   = 1 // logical pixels of frame around the image
)

// pin is an image kept on the screen above other windows.
type pin struct {
	u     *UI
	win   *gtk.Window
	img   *image.RGBA
	pb    *gdk.Pixbuf
	dev   float64 // device pixels per logical pixel of the shot
	zoom  float64
	menu  *gtk.Menu
	onEnd func()
	from  image.Point // where the left button went down, root pixels
	down  bool        // the left button is down and no move began yet
}

// pins are the pin windows open, so the last one closing can end a
// command-line run.
var pins = map[*pin]bool{}

// Pin shows img in an undecorated keep-above window with its top-left
// corner at at (logical pixels); dev is the shot's device pixels per
// logical pixel, so the pin starts at the size it had on the screen.
// Drag moves it, the wheel zooms, a double-click or Esc closes it and a
// right-click offers copy, save and close. Main thread only.
func (u *UI) Pin(img *image.RGBA, at image.Point, dev float64) {
	if err := u.newPin(img, at, dev, nil); err != nil {
		u.fail(err)
	}
}

// PinAlone pins img with its top-left corner at at (device pixels) in a
// process without a pet and runs GTK's main loop until the pin closes:
// `tachikoma screenshot --pin`. The caller has called gtk.Init on this
// thread.
func PinAlone(img *image.RGBA, at image.Point, lang i18n.Lang, opts Options) error {
	u := newUI(aloneHost{lang}, opts)
	dev := gdkScale()
	logical := image.Pt(int(float64(at.X)/dev), int(float64(at.Y)/dev))
	if err := u.newPin(img, logical, dev, func() { u.whenSaved(gtk.MainQuit) }); err != nil {
		return err
	}
	gtk.Main()
	return nil
}

// gdkScale is GDK's device pixels per logical pixel (GDK_SCALE), which a
// grab of the X root does not know.
func gdkScale() float64 {
	if d, err := gdk.DisplayGetDefault(); err == nil {
		if m, err := d.GetPrimaryMonitor(); err == nil {
			return float64(max(1, m.GetScaleFactor()))
		}
	}
	return 1
}

// Alone is the Host for an overlay or pin in a process where no pet runs.
func Alone(lang i18n.Lang) Host { return aloneHost{lang} }

// aloneHost is the little the overlay and a pin need of an app when no pet runs.
type aloneHost struct{ lang i18n.Lang }

func (h aloneHost) Lang() i18n.Lang                { return h.lang }
func (aloneHost) Menus() *menu.Registry            { return nil }
func (aloneHost) HideForCapture() (restore func()) { return func() {} }

func (u *UI) newPin(img *image.RGBA, at image.Point, dev float64, onEnd func()) error {
	pb, err := pixbufOf(img)
	if err != nil {
		return err
	}
	win, err := gtk.WindowNew(gtk.WINDOW_TOPLEVEL)
	if err != nil {
		return err
	}
	p := &pin{u: u, win: win, img: img, pb: pb, dev: max(1, dev), zoom: 1, onEnd: onEnd}
	win.SetTitle(u.app.Lang().T(i18n.ShotPinTitle))
	win.SetDecorated(false)
	win.SetKeepAbove(true)
	win.SetSkipTaskbarHint(true)
	win.SetSkipPagerHint(true)
	win.SetTypeHint(gdk.WINDOW_TYPE_HINT_UTILITY)
	win.SetAppPaintable(true)
	win.SetResizable(false)
	win.Move(at.X-pinBorder, at.Y-pinBorder)
	p.resize()
	win.AddEvents(int(gdk.BUTTON_PRESS_MASK | gdk.BUTTON_RELEASE_MASK | gdk.BUTTON1_MOTION_MASK | gdk.SCROLL_MASK | gdk.KEY_PRESS_MASK))
	win.Connect("draw", p.draw)
	win.Connect("map-event", func() bool { win.Present(); return false }) // no manager focuses it otherwise
	win.Connect("button-press-event", p.press)
	win.Connect("button-release-event", func() bool { p.down = false; return false })
	win.Connect("motion-notify-event", p.motion)
	win.Connect("scroll-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		e := gdk.EventScrollNewFromEvent(ev)
		switch e.Direction() {
		case gdk.SCROLL_UP:
			p.setZoom(p.zoom * pinZoomStep)
		case gdk.SCROLL_DOWN:
			p.setZoom(p.zoom / pinZoomStep)
		case gdk.SCROLL_SMOOTH:
			p.setZoom(p.zoom * math.Pow(pinZoomStep, -e.DeltaY()))
		}
		return true
	})
	win.Connect("key-press-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		e := gdk.EventKeyNewFromEvent(ev)
		ctrl := e.State()&uint(gdk.CONTROL_MASK) != 0
		switch {
		case e.KeyVal() == gdk.KEY_Escape:
			p.close()
		case ctrl && (e.KeyVal() == gdk.KEY_c || e.KeyVal() == gdk.KEY_C):
			p.u.copy(p.img)
		case ctrl && (e.KeyVal() == gdk.KEY_s || e.KeyVal() == gdk.KEY_S):
			p.u.save(p.img, "", nil)
		case e.KeyVal() == gdk.KEY_plus || e.KeyVal() == gdk.KEY_equal:
			p.setZoom(p.zoom * pinZoomStep)
		case e.KeyVal() == gdk.KEY_minus:
			p.setZoom(p.zoom / pinZoomStep)
		case e.KeyVal() == gdk.KEY_0:
			p.setZoom(1)
		}
		return true
	})
	win.Connect("destroy", func() {
		delete(pins, p)
		if p.onEnd != nil {
			p.onEnd()
		}
	})
	pins[p] = true
	win.ShowAll()
	u.log.Info("screenshot pinned", "w", img.Rect.Dx(), "h", img.Rect.Dy(), "x", at.X, "y", at.Y)
	return nil
}

// size is the image's size on the screen in logical pixels.
func (p *pin) size() (int, int) {
	f := p.zoom / p.dev
	return max(1, int(math.Round(float64(p.img.Rect.Dx())*f))), max(1, int(math.Round(float64(p.img.Rect.Dy())*f)))
}

func (p *pin) resize() {
	w, h := p.size()
	p.win.SetSizeRequest(w+2*pinBorder, h+2*pinBorder)
	p.win.Resize(w+2*pinBorder, h+2*pinBorder)
}

func (p *pin) setZoom(z float64) {
	z = math.Max(pinZoomMin, math.Min(pinZoomMax, z))
	if math.Abs(z-1) < 0.02 {
		z = 1 // back to the exact pixels
	}
	if z == p.zoom {
		return
	}
	p.zoom = z
	p.resize()
	w, h := p.size()
	p.u.log.Debug("screenshot pin zoomed", "zoom", z, "w", w, "h", h)
	p.win.QueueDraw()
}

func (p *pin) draw(_ *gtk.Window, cr *cairo.Context) bool {
	w, h := p.size()
	cr.SetSourceRGB(0.16, 0.42, 0.78) // the robot's blue frame
	cr.Paint()
	cr.Save()
	cr.Translate(pinBorder, pinBorder)
	cr.Rectangle(0, 0, float64(w), float64(h))
	cr.Clip()
	cr.Scale(float64(w)/float64(p.img.Rect.Dx()), float64(h)/float64(p.img.Rect.Dy()))
	gtk.GdkCairoSetSourcePixBuf(cr, p.pb, 0, 0)
	cr.Paint()
	cr.Restore()
	return true
}

func (p *pin) press(_ *gtk.Window, ev *gdk.Event) bool {
	e := gdk.EventButtonNewFromEvent(ev)
	p.win.PresentWithTime(e.Time()) // keys (Esc) without a window manager too
	switch {
	case e.Type() == gdk.EVENT_DOUBLE_BUTTON_PRESS && e.Button() == gdk.BUTTON_PRIMARY:
		p.down = false
		p.close()
	case e.Button() == gdk.BUTTON_PRIMARY:
		p.from, p.down = image.Pt(int(e.XRoot()), int(e.YRoot())), true
	case e.Button() == gdk.BUTTON_SECONDARY:
		p.popup(ev)
	}
	return true
}

// pinDragStart is how far the pointer moves with the button down before
// the pin follows it; a click or a double click never starts a move, whose
// pointer grab (GTK's own without a window manager) would outlive a pin
// closed by the double click.
const pinDragStart = 3

func (p *pin) motion(_ *gtk.Window, ev *gdk.Event) bool {
	e := gdk.EventMotionNewFromEvent(ev)
	x, y := e.MotionValRoot()
	if !p.down || max(abs(int(x)-p.from.X), abs(int(y)-p.from.Y)) < pinDragStart {
		return false
	}
	p.down = false
	p.win.BeginMoveDrag(gdk.BUTTON_PRIMARY, p.from.X, p.from.Y, e.Time())
	return true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func (p *pin) popup(ev *gdk.Event) {
	if p.menu == nil {
		m, err := gtk.MenuNew()
		if err != nil {
			return
		}
		l := p.u.app.Lang()
		for _, it := range []struct {
			k  i18n.Key
			do func()
		}{
			{i18n.ShotPinCopy, func() { p.u.copy(p.img) }},
			{i18n.ShotPinSave, func() { p.u.save(p.img, "", nil) }},
			{i18n.ShotPinClose, p.close},
		} {
			mi, err := gtk.MenuItemNewWithLabel(l.T(it.k))
			if err != nil {
				continue
			}
			do := it.do
			mi.Connect("activate", func() { do() })
			m.Append(mi)
		}
		// The GUI tests read what the menu shows.
		m.Connect("map", func() {
			glib.IdleAdd(func() bool {
				g := glyphs.InWidget(m)
				p.u.log.Debug("screenshot pin menu shown", "unknown_glyphs", g.Unknown, "text", strings.Fields(g.Text))
				return false
			})
		})
		m.ShowAll()
		p.menu = m
	}
	p.menu.PopupAtPointer(ev)
}

func (p *pin) close() {
	p.u.log.Info("screenshot pin closed")
	if p.menu != nil {
		p.menu.Destroy()
	}
	p.win.Destroy()
}
