// Package shotui is the GTK layer of the screenshot tool: the Tools menu
// entries and the area overlay on the frozen screen. Geometry, keys,
// grabbing and saving are petclient/shot's; everything here runs on the GTK
// main thread.
package shotui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"time"
	"unicode/utf8"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/notify"
	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/portal"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot"
)

// Section is the menu section's name; Order puts it after the translation
// entries: the GUI tests count keyboard steps from the menu's end, which
// submenus (reminders) in between would upset.
const (
	Section = "screenshot"
	Order   = menu.OrderTools + 60
)

// Host is what the UI needs of the app (*desktop.App).
type Host interface {
	Lang() i18n.Lang
	Menus() *menu.Registry
	HideForCapture() (restore func())
}

// Options configure Attach.
type Options struct {
	Logger *slog.Logger
	Dir    string // where saved shots go; "" = Pictures/Screenshots
	// Say tells the user what happened when no pet can say it; nil: a
	// desktop notification.
	Say func(text string)
	// FS is where shots are saved; nil: the real file system.
	FS shot.FS
	// Pets puts "Copied!" and "Saved to …" in a bubble by the pet with a
	// thumbnail; nil or no pet shown: Say.
	Pets Pets
}

// UI is the screenshot tool's GTK side.
type UI struct {
	app    Host
	opts   Options
	log    *slog.Logger
	bubble *sayBubble // made with the first thing said
	saving int        // saves under way; main thread only
	saved  func()     // runs once none is under way
}

// shown is the overlay on screen, if any: one at a time, whoever asked.
var shown *overlay

// Attach adds the Tools entries; call it from desktop.Options.OnStart.
func Attach(app Host, opts Options) *UI {
	u := newUI(app, opts)
	app.Menus().Add(Section, Order, menu.Everywhere, menu.SectionFunc(u.menuItems))
	return u
}

func newUI(app Host, opts Options) *UI {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	u := &UI{app: app, opts: opts, log: opts.Logger.With("component", "screenshot")}
	if u.opts.Say == nil {
		u.opts.Say = func(text string) { notify.Send("Tachikoma", text, u.log) }
	}
	return u
}

func (u *UI) menuItems(ctx menu.Context) []menu.Item {
	l := ctx.Lang
	return []menu.Item{
		{ID: "shot.area", Label: l.T(i18n.ShotArea), Activate: u.Area},
		{ID: "shot.full", Label: l.T(i18n.ShotFull), Activate: u.Full},
		{ID: "shot.delayed", Label: l.T(i18n.ShotDelayed), Activate: func() {
			glib.TimeoutAdd(3000, func() bool { u.Full(); return false })
		}},
	}
}

// hideDelay lets the windows uncovered by the pets and the menu repaint
// before the grab.
const hideDelay = 80 * time.Millisecond

// capture grabs the screen with the pets hidden and hands the result on.
// failed runs when the grab fails, after the user was told.
func (u *UI) capture(then func(*image.RGBA, shot.Layout, time.Time), failed func(error)) {
	asked := time.Now()
	restore := u.app.HideForCapture()
	if d, err := gdk.DisplayGetDefault(); err == nil {
		d.Sync() // the X server has unmapped the pets
	}
	glib.TimeoutAdd(uint(hideDelay/time.Millisecond), func() bool {
		// Off the GTK thread: a portal may take a while to answer.
		go func() {
			img, layout, err := grab()
			glib.IdleAdd(func() bool {
				restore()
				u.log.Debug("screen grabbed", "since_click", time.Since(asked))
				if err != nil {
					u.fail(err)
					failed(err)
					return false
				}
				then(img, layout, asked)
				return false
			})
		}()
		return false
	})
}

// portalWait bounds a portal's answer (it may show the desktop's dialog).
const portalWait = 2 * time.Minute

// grab reads the X root, or asks the desktop's portal on Wayland.
func grab() (*image.RGBA, shot.Layout, error) {
	if portal.IsWayland(os.Getenv) {
		conn, err := petbus.Connect()
		if err != nil {
			return nil, shot.Layout{}, fmt.Errorf("Wayland screenshots go through the desktop portal, which needs the %w", err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), portalWait)
		defer cancel()
		return portal.Grabber{Conn: conn, Ctx: ctx}.Grab()
	}
	g, err := xshot.Open("", os.Getenv)
	if err != nil {
		return nil, shot.Layout{}, err
	}
	defer g.Close()
	return g.Grab()
}

func (u *UI) fail(err error) {
	u.log.Warn("screenshot failed", "err", err)
	u.tell(u.app.Lang().F(i18n.ShotFailed, err.Error()), nil)
}

// tell has the pet say text with a thumbnail of img (nil: none), or
// notifies when no pet is on the screen.
func (u *UI) tell(text string, img *image.RGBA) {
	if u.opts.Pets != nil {
		if u.bubble == nil {
			u.bubble = newSayBubble(u, u.opts.Pets)
		}
		if u.bubble.say(text, img, u.opts.Pets.Pets()) {
			return
		}
	}
	u.opts.Say(text)
}

// Full saves the whole screen and copies it to the clipboard.
func (u *UI) Full() {
	u.capture(func(img *image.RGBA, _ shot.Layout, _ time.Time) {
		u.copy(img)
		u.save(img, "", nil)
	}, func(error) {})
}

// Area grabs the screen and shows the overlay to select part of it.
func (u *UI) Area() { u.pick(false, nil) }

// picked is how an overlay ended: the selection and the action that ended
// it (Copy, Save, Pin or Cancel), or err when no overlay could be shown.
type picked struct {
	img *image.RGBA
	act shot.Action
	err error
	at  image.Point // the selection's top-left in logical pixels, for a pin
	dev float64     // device pixels per logical pixel
	org image.Point // the selection's top-left in root device pixels
}

// errBusy: another overlay is up.
var errBusy = errors.New("a screenshot overlay is already up")

// PickArea shows the screenshot overlay (pets hidden for the grab) and
// hands the selected part of the screen, in device pixels, to done instead
// of copying or saving it; done gets ok=false when the user cancels, when
// another overlay is up or when the grab fails (then opts.Say is told).
// Main thread only.
func PickArea(app Host, opts Options, done func(img *image.RGBA, ok bool)) {
	newUI(app, opts).pick(true, func(p picked) { done(p.img, p.err == nil && p.act != shot.Cancel) })
}

// Pick is the full overlay (toolbar and annotations) telling which action
// ended it (shot.Copy, Save, Pin or Cancel) and where the selection was
// (its top-left in root device pixels, for a pin), or why none could be
// shown; for the command line, which copies and saves by its own means.
// Main thread only.
func Pick(app Host, opts Options, done func(img *image.RGBA, at image.Point, act shot.Action, err error)) {
	newUI(app, opts).pick(false, func(p picked) { done(p.img, p.org, p.act, p.err) })
}

// pick shows the overlay, plain (no toolbar) for a tool that wants the bare
// area; a nil done copies, saves or pins the selection itself.
func (u *UI) pick(plain bool, done func(picked)) {
	refuse := func(err error) {
		if done != nil {
			done(picked{err: err})
		}
	}
	if shown != nil {
		refuse(errBusy)
		return
	}
	u.capture(func(img *image.RGBA, layout shot.Layout, asked time.Time) {
		if shown != nil {
			refuse(errBusy)
			return
		}
		o, err := newOverlay(u, img, layout, asked)
		if err != nil {
			u.fail(err)
			refuse(err)
			return
		}
		o.done = done
		o.ctl.Plain = plain
		shown = o
		u.log.Info("screenshot overlay shown", "screen", layout.Root, "monitors", len(layout.Monitors))
	}, refuse)
}

func (u *UI) copy(img *image.RGBA) bool {
	pb, err := pixbufOf(img)
	if err != nil {
		u.fail(fmt.Errorf("clipboard image: %w", err))
		return false
	}
	cb, err := gtk.ClipboardGet(gdk.SELECTION_CLIPBOARD)
	if err != nil {
		u.fail(fmt.Errorf("clipboard: %w", err))
		return false
	}
	cb.SetImage(pb)
	cb.Store() // a clipboard manager keeps it after the pet quits
	u.tell(u.app.Lang().T(i18n.ShotCopied), img)
	return true
}

// save writes img as a PNG off the GTK thread: to output, or under the
// usual name in the configured folder. On the main thread again it says
// where, or why not, and then calls then (may be nil).
func (u *UI) save(img *image.RGBA, output string, then func(path string, err error)) {
	dir, taken := u.opts.Dir, time.Now()
	u.saving++
	go func() {
		path, err := saveFile(u.opts.FS, img, output, dir, taken)
		glib.IdleAdd(func() bool {
			if err != nil {
				u.fail(err)
			} else {
				u.log.Info("screenshot saved", "path", path)
				u.tell(u.app.Lang().F(i18n.ShotSaved, path), img)
			}
			if then != nil {
				then(path, err)
			}
			if u.saving--; u.saving == 0 && u.saved != nil {
				f := u.saved
				u.saved = nil
				f()
			}
			return false
		})
	}()
}

// whenSaved runs f on the main thread once no save is under way, so a
// process ending after it loses no picture.
func (u *UI) whenSaved(f func()) {
	if u.saving == 0 {
		f()
		return
	}
	u.saved = f
}

// saveFile is save's work, safe on any goroutine.
func saveFile(fsys shot.FS, img *image.RGBA, output, dir string, taken time.Time) (string, error) {
	if fsys == nil {
		fsys = shot.OSFS{}
	}
	if output != "" {
		return output, shot.SaveImage(fsys, output, img)
	}
	if dir == "" {
		var err error
		if dir, err = shot.DefaultDir(shot.OSEnv); err != nil {
			return "", err
		}
	}
	return shot.SaveNew(fsys, dir, taken, img)
}

// saveOrKeep saves a selection the overlay no longer shows; when saving
// fails it goes to the clipboard so nothing is lost.
func (u *UI) saveOrKeep(img *image.RGBA) {
	u.save(img, "", func(_ string, err error) {
		if err != nil {
			u.copy(img)
		}
	})
}

// pixbufOf copies img into a pixbuf that owns its (C) memory.
func pixbufOf(img *image.RGBA) (*gdk.Pixbuf, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	pb, err := gdk.PixbufNew(gdk.COLORSPACE_RGB, true, 8, w, h)
	if err != nil {
		return nil, err
	}
	dst, stride := pb.GetPixels(), pb.GetRowstride()
	for y := 0; y < h; y++ {
		i := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		copy(dst[y*stride:y*stride+w*4], img.Pix[i:i+w*4])
	}
	return pb, nil
}

// overlay is the frozen screen with the selection. One popup window covers
// every monitor; GDK's scale turns its logical pixels into the shot's.
type overlay struct {
	u      *UI
	win    *gtk.Window
	img    *image.RGBA
	pb     *gdk.Pixbuf
	ctl    *shot.Controller
	scale  float64
	org    image.Point  // the window's origin in root pixels
	asked  time.Time    // when the user asked, for the first draw's log
	done   func(picked) // nil: copy or save the selection
	drawn  bool
	ptr    image.Point // the pointer, for the loupe
	inside bool        // the pointer is over the overlay
	grabs  int         // grab attempts so far
	held   *gdk.Window // the GDK window holding the seat grab, if any
	closed bool

	fixed   *gtk.Fixed  // holds the text entry and the colour chooser
	entry   *gtk.Entry  // a text annotation being typed, if any
	chooser *gtk.Box    // the custom colour chooser, if open
	preview *gdk.Pixbuf // the selection with its marks, while it has any
	dirty   bool        // the marks changed since preview was rendered
	text    shot.TextDrawer
	hinted  string // the toolbar hint last drawn, to log each once
}

// A grab can fail while the map is on its way or a menu still holds the
// seat: retry a few times, then carry on without (the pointer still works).
const (
	grabTries = 10
	grabRetry = 50 * time.Millisecond
)

func newOverlay(u *UI, img *image.RGBA, layout shot.Layout, asked time.Time) (*overlay, error) {
	pb, err := pixbufOf(img)
	if err != nil {
		return nil, err
	}
	win, err := gtk.WindowNew(gtk.WINDOW_POPUP) // override-redirect: covers panels too
	if err != nil {
		return nil, err
	}
	b := layout.Bounds()
	o := &overlay{u: u, win: win, img: img, pb: pb, org: b.Min, asked: asked, scale: float64(max(1, win.GetScaleFactor()))}
	o.ctl = shot.NewController(b, int(6*o.scale))
	o.ctl.Scale = o.scale
	for _, m := range layout.Monitors {
		o.ctl.Screens = append(o.ctl.Screens, m.Rect)
	}
	o.text = pangoText(u.log)
	o.fixed, err = gtk.FixedNew()
	if err != nil {
		return nil, err
	}
	win.Add(o.fixed)
	win.SetTitle(u.app.Lang().T(i18n.ShotOverlay))
	win.SetAppPaintable(true)
	win.SetKeepAbove(true)
	win.Move(int(float64(b.Min.X)/o.scale), int(float64(b.Min.Y)/o.scale))
	lw, lh := int(float64(b.Dx())/o.scale), int(float64(b.Dy())/o.scale)
	win.SetDefaultSize(lw, lh)
	win.SetSizeRequest(lw, lh)
	win.SetCanFocus(true)
	win.AddEvents(int(gdk.BUTTON_PRESS_MASK | gdk.BUTTON_RELEASE_MASK | gdk.POINTER_MOTION_MASK | gdk.KEY_PRESS_MASK | gdk.STRUCTURE_MASK))
	win.Connect("draw", o.draw)
	win.Connect("map-event", func() bool { o.grab(); return false })
	win.Connect("button-press-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		e := gdk.EventButtonNewFromEvent(ev)
		if o.onChild(e.XRoot(), e.YRoot()) {
			return false // the entry's or the chooser's own click
		}
		o.endText(true) // a click elsewhere ends the typing
		o.closeChooser()
		double := e.Type() == gdk.EVENT_DOUBLE_BUTTON_PRESS
		o.act(o.ctl.Press(o.root(e.X(), e.Y()), int(e.Button()), double))
		return true
	})
	win.Connect("motion-notify-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		x, y := gdk.EventMotionNewFromEvent(ev).MotionVal()
		o.ptr, o.inside = o.root(x, y), true
		if o.ctl.Motion(o.ptr) == shot.Redraw {
			o.dirty = true
		}
		o.win.QueueDraw() // the loupe follows the pointer
		return true
	})
	win.Connect("button-release-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		e := gdk.EventButtonNewFromEvent(ev)
		o.act(o.ctl.Release(o.root(e.X(), e.Y())))
		return true
	})
	win.Connect("key-press-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		e := gdk.EventKeyNewFromEvent(ev)
		if o.entry != nil || o.chooser != nil {
			if e.KeyVal() == gdk.KEY_Escape {
				o.endText(false)
				o.closeChooser()
				return true
			}
			return false // to the entry and its input method, or the chooser
		}
		var m shot.Mods
		if e.State()&uint(gdk.SHIFT_MASK) != 0 {
			m |= shot.Shift
		}
		if e.State()&uint(gdk.CONTROL_MASK) != 0 {
			m |= shot.Ctrl
		}
		o.act(o.ctl.KeyPress(keyOf(e.KeyVal()), m))
		return true
	})
	win.ShowAll()
	win.Present()
	if w, err := win.GetWindow(); err == nil {
		if d, err := gdk.DisplayGetDefault(); err == nil {
			if c, err := gdk.CursorNewFromName(d, "crosshair"); err == nil {
				w.SetCursor(c)
			}
		}
	}
	return o, nil
}

func keyOf(v uint) shot.Key {
	switch v {
	case gdk.KEY_Left:
		return shot.KeyLeft
	case gdk.KEY_Right:
		return shot.KeyRight
	case gdk.KEY_Up:
		return shot.KeyUp
	case gdk.KEY_Down:
		return shot.KeyDown
	case gdk.KEY_Return, gdk.KEY_KP_Enter:
		return shot.KeyEnter
	case gdk.KEY_Escape:
		return shot.KeyEscape
	case gdk.KEY_a, gdk.KEY_A:
		return shot.KeyA
	case gdk.KEY_c, gdk.KEY_C:
		return shot.KeyC
	case gdk.KEY_s, gdk.KEY_S:
		return shot.KeyS
	case gdk.KEY_r, gdk.KEY_R:
		return shot.KeyR
	case gdk.KEY_t, gdk.KEY_T:
		return shot.KeyT
	case gdk.KEY_p, gdk.KEY_P:
		return shot.KeyP
	case gdk.KEY_z, gdk.KEY_Z:
		return shot.KeyZ
	case gdk.KEY_y, gdk.KEY_Y:
		return shot.KeyY
	case gdk.KEY_plus, gdk.KEY_equal, gdk.KEY_KP_Add, gdk.KEY_bracketright:
		return shot.KeyPlus
	case gdk.KEY_minus, gdk.KEY_KP_Subtract, gdk.KEY_bracketleft:
		return shot.KeyMinus
	case gdk.KEY_1, gdk.KEY_KP_1:
		return shot.Key1
	case gdk.KEY_2, gdk.KEY_KP_2:
		return shot.Key2
	case gdk.KEY_3, gdk.KEY_KP_3:
		return shot.Key3
	case gdk.KEY_4, gdk.KEY_KP_4:
		return shot.Key4
	case gdk.KEY_5, gdk.KEY_KP_5:
		return shot.Key5
	case gdk.KEY_6, gdk.KEY_KP_6:
		return shot.Key6
	}
	return shot.KeyOther
}

// root converts window coordinates (logical) into root device pixels.
func (o *overlay) root(x, y float64) image.Point {
	return image.Pt(o.org.X+int(x*o.scale), o.org.Y+int(y*o.scale))
}

func (o *overlay) act(a shot.Action) {
	switch a {
	case shot.Redraw:
		o.dirty = true
		o.win.QueueDraw()
	case shot.EditText:
		o.editText()
	case shot.PickColour:
		o.pickColour()
	case shot.Copy, shot.Save, shot.Pin:
		sel, err := o.ctl.Result(o.img, o.text, false)
		if err != nil {
			o.u.fail(err) // the overlay stays: nothing is lost
			return
		}
		at := image.Pt(int(float64(o.ctl.Sel.Rect.Min.X)/o.scale), int(float64(o.ctl.Sel.Rect.Min.Y)/o.scale))
		o.close()
		p := picked{img: sel, act: a, at: at, dev: o.scale, org: o.ctl.Sel.Rect.Intersect(o.img.Bounds()).Min}
		if o.done != nil {
			o.done(p)
		} else {
			keep(o.u, p)
		}
	case shot.Cancel:
		o.close()
		if o.done != nil {
			o.done(picked{act: shot.Cancel})
		}
	}
}

// grab sends keyboard and pointer to the overlay once it is mapped.
func (o *overlay) grab() {
	if o.closed || o.held != nil {
		return
	}
	w, err := o.win.GetWindow()
	if err != nil {
		o.u.log.Warn("screenshot overlay: no window to grab", "err", err)
		return
	}
	o.grabs++
	st := seatGrab(w)
	switch {
	case st == grabSuccess:
		o.held = w
		o.u.log.Info("screenshot overlay grabbed keyboard and pointer", "tries", o.grabs)
	case st.transient() && o.grabs < grabTries:
		glib.TimeoutAdd(uint(grabRetry/time.Millisecond), func() bool { o.grab(); return false })
	default:
		o.u.log.Warn("screenshot overlay: keyboard and pointer not grabbed; keys may go elsewhere", "status", st.String(), "tries", o.grabs)
	}
}

func (o *overlay) close() {
	o.closed = true
	if o.held != nil {
		seatUngrab(o.held)
		o.held = nil
	}
	o.win.Destroy()
	shown = nil
}

func (o *overlay) draw(_ *gtk.Window, cr *cairo.Context) bool {
	if !o.drawn {
		o.drawn = true
		o.u.log.Info("screenshot overlay drawn", "since_click", time.Since(o.asked).Round(time.Millisecond))
	}
	// The entry and the chooser draw after this, in GTK's own coordinates.
	cr.Save()
	defer cr.Restore()
	cr.Scale(1/o.scale, 1/o.scale) // draw in device pixels
	cr.Translate(-float64(o.org.X), -float64(o.org.Y))
	gtk.GdkCairoSetSourcePixBuf(cr, o.pb, 0, 0)
	cr.Paint()
	b := o.ctl.Sel.Bounds
	r := o.ctl.Sel.Rect
	// Dim everything but the selection (even-odd: the selection is a hole).
	cr.SetFillRule(cairo.FILL_RULE_EVEN_ODD)
	cr.SetSourceRGBA(0, 0, 0, 0.4)
	cr.Rectangle(float64(b.Min.X), float64(b.Min.Y), float64(b.Dx()), float64(b.Dy()))
	if !r.Empty() {
		cr.Rectangle(float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()))
	}
	cr.Fill()
	defer o.drawLoupe(cr)
	if r.Empty() {
		return false
	}
	o.drawMarks(cr)
	s := o.scale
	cr.SetSourceRGB(0.16, 0.42, 0.78)
	cr.SetLineWidth(s)
	cr.Rectangle(float64(r.Min.X)-s/2, float64(r.Min.Y)-s/2, float64(r.Dx())+s, float64(r.Dy())+s)
	cr.Stroke()
	hs := 3 * s // handle half size
	x0, y0, x1, y1 := float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)
	for _, p := range [][2]float64{{x0, y0}, {(x0 + x1) / 2, y0}, {x1, y0}, {x1, (y0 + y1) / 2}, {x1, y1}, {(x0 + x1) / 2, y1}, {x0, y1}, {x0, (y0 + y1) / 2}} {
		cr.Rectangle(p[0]-hs, p[1]-hs, 2*hs, 2*hs)
	}
	cr.Fill()
	// The W×H label above the selection (inside it at the screen's top).
	label := shot.SizeLabel(r)
	cr.SetFontSize(13 * s)
	ly := y0 - 8*s
	if ly < float64(b.Min.Y)+16*s {
		ly = y0 + 18*s
	}
	cr.SetSourceRGBA(0, 0, 0, 0.7)
	cr.Rectangle(x0, ly-14*s, float64(len(label))*8*s, 18*s)
	cr.Fill()
	cr.SetSourceRGB(1, 1, 1)
	cr.MoveTo(x0+4*s, ly)
	cr.ShowText(label)
	o.drawToolbar(cr)
	o.drawChooserPanel(cr)
	return false // the entry and the chooser draw on top
}

// drawMarks paints the selection with its annotations over the frozen
// screen, rendered by the same code as the result.
func (o *overlay) drawMarks(cr *cairo.Context) {
	if !o.ctl.Hist.CanUndo() && o.ctl.Draft() == nil {
		o.preview = nil
		return
	}
	if o.dirty || o.preview == nil {
		o.dirty = false
		img, err := o.ctl.Result(o.img, o.text, true)
		if err != nil {
			o.u.log.Warn("screenshot marks not drawn", "err", err)
			return
		}
		if o.preview, err = pixbufOf(img); err != nil {
			return
		}
	}
	r := o.ctl.Sel.Rect.Intersect(o.img.Bounds())
	gtk.GdkCairoSetSourcePixBuf(cr, o.preview, float64(r.Min.X), float64(r.Min.Y))
	cr.Rectangle(float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()))
	cr.Fill()
}

// logical is a root device point in the overlay's widget coordinates.
func (o *overlay) logical(p image.Point) (int, int) {
	return int(float64(p.X-o.org.X) / o.scale), int(float64(p.Y-o.org.Y) / o.scale)
}

// onChild tells whether a pointer at root logical coordinates is over the
// text entry or the colour chooser's panel.
func (o *overlay) onChild(xroot, yroot float64) bool {
	x, y := int(xroot-float64(o.org.X)/o.scale), int(yroot-float64(o.org.Y)/o.scale)
	for _, w := range []gtk.IWidget{o.entry, o.chooser} {
		if w == nil || w == (*gtk.Entry)(nil) || w == (*gtk.Box)(nil) {
			continue
		}
		a := w.ToWidget().GetAllocation()
		r := image.Rect(a.GetX(), a.GetY(), a.GetX()+a.GetWidth(), a.GetY()+a.GetHeight()).Inset(-chooserMargin)
		if image.Pt(x, y).In(r) {
			return true
		}
	}
	return false
}

// editText shows an entry where the text tool was clicked; its input
// method takes Chinese. Enter or a click elsewhere adds the text, Esc drops it.
func (o *overlay) editText() {
	o.endText(true)
	e, err := gtk.EntryNew()
	if err != nil {
		o.u.log.Warn("screenshot text entry", "err", err)
		return
	}
	e.SetWidthChars(12)
	e.SetPlaceholderText(o.u.app.Lang().T(i18n.ShotTextHint))
	// Typed in the size and colour it will have (logical pixels).
	pen := o.ctl.Pen
	if css, err := gtk.CssProviderNew(); err == nil {
		// No padding and a 1 px border: the text sits where it will be drawn.
		if css.LoadFromData(fmt.Sprintf("entry { font: bold %gpx Sans; color: #%02x%02x%02x; padding: 0; min-height: 0;"+
			" border: 1px dashed #2a6bc7; border-radius: 0; background: rgba(255,255,255,0.5); box-shadow: none; }",
			shot.TextSize(pen.Width), pen.Colour.R, pen.Colour.G, pen.Colour.B)) == nil {
			if sc, err := e.GetStyleContext(); err == nil {
				sc.AddProvider(css, gtk.STYLE_PROVIDER_PRIORITY_APPLICATION)
			}
		}
	}
	x, y := o.logical(o.ctl.TextAt)
	o.fixed.Put(e, x-1, y-1)
	e.Connect("activate", func() { o.endText(true) })
	e.Connect("changed", func() {
		text, _ := e.GetText()
		o.u.log.Debug("screenshot text typed", "runes", utf8.RuneCountInString(text))
	})
	e.ShowAll()
	e.GrabFocus()
	focusIn(&e.Widget)
	o.entry = e
	o.u.log.Info("screenshot text entry shown", "x", o.ctl.TextAt.X, "y", o.ctl.TextAt.Y)
}

// endText closes the entry, adding its text when keep.
func (o *overlay) endText(keep bool) {
	if o.entry == nil {
		return
	}
	e := o.entry
	o.entry = nil
	text, _ := e.GetText()
	e.Destroy()
	if keep {
		o.ctl.AddText(text)
		o.dirty = true
	}
	o.win.QueueDraw()
}

// Loupe geometry in logical pixels: 15×15 screen pixels at 8×, beside the pointer.
const (
	loupeRadius = 7
	loupeZoom   = 8
	loupeGap    = 24
)

// drawLoupe magnifies the pixels around the pointer with a crosshair on
// the one under it, and prints its position and colour.
func (o *overlay) drawLoupe(cr *cairo.Context) {
	if !o.inside || o.chooser != nil || o.entry != nil {
		return
	}
	s := o.scale
	cell := loupeZoom * s
	side := float64(2*loupeRadius+1) * cell
	b := o.ctl.Sel.Bounds
	x, y := float64(o.ptr.X)+loupeGap*s, float64(o.ptr.Y)+loupeGap*s
	if x+side > float64(b.Max.X) {
		x = float64(o.ptr.X) - loupeGap*s - side
	}
	if y+side+20*s > float64(b.Max.Y) {
		y = float64(o.ptr.Y) - loupeGap*s - side - 20*s
	}
	l := shot.Loupe(o.img, o.ptr, loupeRadius)
	for j := 0; j <= 2*loupeRadius; j++ {
		for i := 0; i <= 2*loupeRadius; i++ {
			c := l.RGBAAt(i, j)
			cr.SetSourceRGB(float64(c.R)/255, float64(c.G)/255, float64(c.B)/255)
			cr.Rectangle(x+float64(i)*cell, y+float64(j)*cell, cell, cell)
			cr.Fill()
		}
	}
	cr.SetSourceRGB(0.16, 0.42, 0.78)
	cr.SetLineWidth(s)
	cr.Rectangle(x+loupeRadius*cell, y+loupeRadius*cell, cell, cell)
	cr.Rectangle(x, y, side, side)
	cr.Stroke()
	text := fmt.Sprintf("%d,%d %s", o.ptr.X, o.ptr.Y, shot.Hex(o.img.RGBAAt(o.ptr.X, o.ptr.Y)))
	cr.SetSourceRGBA(0, 0, 0, 0.7)
	cr.Rectangle(x, y+side, side, 20*s)
	cr.Fill()
	cr.SetSourceRGB(1, 1, 1)
	cr.SetFontSize(12 * s)
	cr.MoveTo(x+4*s, y+side+15*s)
	cr.ShowText(text)
}
