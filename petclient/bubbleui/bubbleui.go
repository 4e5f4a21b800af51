// Package bubbleui is the speech-bubble window the pet's tools share: an
// overlay window by a pet, placed and shaped by chatui/bubbles, that
// follows the pet as it walks and is rebuilt when a compositor comes or
// goes. What a bubble says is drawn by its owner. GTK thread only.
package bubbleui

import (
	"image"
	"math"
	"time"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"
	"github.com/gotk3/gotk3/pango"

	"github.com/tachikoma-pet/tachikoma/petclient/chatui/bubbles"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
)

// Host is what a bubble needs of the app (*desktop.App).
type Host interface {
	Composited() bool
	Pets() []desktop.PetInfo
}

// Options configure a bubble window.
type Options struct {
	Title string
	// Build adds the content each time the window is made (again).
	Build func(win *gtk.Window) error
	// Draw draws the content over the body; nil: child widgets do.
	Draw func(cr *cairo.Context)
	// Placed runs after the window moved or changed shape.
	Placed func(p bubbles.Placement)
	// AnchorHidden keeps the bubble by a pet hidden from the tray: the
	// user asked for what it says. Otherwise it hides with the pet.
	AnchorHidden bool
}

// Window is one bubble window, made when first shown.
type Window struct {
	host Host
	opts Options

	win     *gtk.Window
	comp    bool // the visual the window was made with
	petID   int
	body    image.Point
	place   bubbles.Placement
	showing bool
	timer   glib.SourceHandle // HideAfter's
	then    func()
}

// New makes a bubble; its window comes with the first Show.
func New(host Host, opts Options) *Window { return &Window{host: host, opts: opts} }

// Win is the GTK window, nil before it is made.
func (w *Window) Win() *gtk.Window { return w.win }

// Composited tells whether the window has an alpha channel.
func (w *Window) Composited() bool { return w.comp }

// Place is where the bubble is, in screen and window coordinates.
func (w *Window) Place() bubbles.Placement { return w.place }

// Showing tells whether it is meant to be up (it hides with its pet).
func (w *Window) Showing() bool { return w.showing }

// Visible tells whether it is on the screen.
func (w *Window) Visible() bool { return w.showing && w.win != nil && w.win.IsVisible() }

// PetID is the pet it speaks for.
func (w *Window) PetID() int { return w.petID }

// Ensure makes the window, again when compositing changed since; false
// when GTK refused.
func (w *Window) Ensure() (*gtk.Window, error) {
	if w.win != nil && w.comp != w.host.Composited() {
		w.destroyWindow() // the visual can only be chosen before realising
	}
	if w.win != nil {
		return w.win, nil
	}
	w.comp = w.host.Composited()
	win, err := desktop.NewOverlayWindow(w.opts.Title, w.comp)
	if err != nil {
		return nil, err
	}
	win.Connect("draw", w.draw)
	win.Connect("destroy", func() {
		if w.win == win {
			w.win = nil
		}
	})
	w.win, w.place = win, bubbles.Placement{}
	if w.opts.Build != nil {
		if err := w.opts.Build(win); err != nil {
			w.destroyWindow()
			return nil, err
		}
	}
	return win, nil
}

// Show puts a body of size body (logical pixels, padding included) by pet
// petID and shows it, or keeps it hidden until the pet shows.
func (w *Window) Show(petID int, body image.Point) error {
	if _, err := w.Ensure(); err != nil {
		return err
	}
	w.petID, w.body, w.showing = petID, body, true
	w.win.SetOpacity(1)
	if w.Reposition(true) {
		w.win.ShowAll()
		w.win.QueueDraw()
	} else {
		w.win.Hide()
	}
	return nil
}

// HideAfter hides the bubble after d and then runs then (may be nil),
// unless HideAfter or Hide come first.
func (w *Window) HideAfter(d time.Duration, then func()) {
	w.stopTimer()
	w.then = then
	w.timer = glib.TimeoutAdd(uint(d/time.Millisecond), func() bool {
		w.timer = 0
		after := w.then
		w.Hide()
		if after != nil {
			after()
		}
		return false
	})
}

func (w *Window) stopTimer() {
	if w.timer != 0 {
		glib.SourceRemove(w.timer)
		w.timer = 0
	}
	w.then = nil
}

// Hide takes it off the screen until the next Show.
func (w *Window) Hide() {
	w.stopTimer()
	w.showing = false
	if w.win != nil {
		w.win.Hide()
	}
}

// Reposition places the window by its pet; false when the pet is gone (or
// hidden, unless AnchorHidden).
func (w *Window) Reposition(force bool) bool {
	if w.win == nil {
		return false
	}
	info, ok := w.pet()
	if !ok || info.Rect.Empty() || (!info.Visible && !w.opts.AnchorHidden) {
		return false
	}
	p := bubbles.Place(w.body, info.Rect, desktop.WorkArea(info))
	if !force && p == w.place {
		return true
	}
	reshape := force || p.Win.Size() != w.place.Win.Size() || p.Side != w.place.Side || p.Tip != w.place.Tip
	w.place = p
	// Not resizable: GTK sizes the window to its request, so request it.
	w.win.SetSizeRequest(p.Win.Dx(), p.Win.Dy())
	w.win.Resize(p.Win.Dx(), p.Win.Dy())
	w.win.Move(p.Win.Min.X, p.Win.Min.Y)
	if reshape {
		setShape(&w.win.Widget, p.Spans(), !w.comp)
		w.win.QueueDraw()
	}
	if w.opts.Placed != nil {
		w.opts.Placed(p)
	}
	return true
}

// PetsChanged follows the pet as it moves (or hides with it).
func (w *Window) PetsChanged() {
	if !w.showing || w.win == nil {
		return
	}
	if w.Reposition(false) {
		if !w.win.IsVisible() {
			w.win.ShowAll()
		}
	} else {
		w.win.Hide()
	}
}

// Destroy drops the window; the next Show makes a new one.
func (w *Window) Destroy() {
	w.stopTimer()
	w.showing = false
	w.destroyWindow()
}

func (w *Window) destroyWindow() {
	if w.win != nil {
		win := w.win
		w.win = nil
		win.Destroy()
	}
}

func (w *Window) pet() (desktop.PetInfo, bool) {
	for _, p := range w.host.Pets() {
		if p.ID == w.petID {
			return p, true
		}
	}
	return desktop.PetInfo{}, false
}

func (w *Window) draw(_ *gtk.Window, cr *cairo.Context) bool {
	if w.comp {
		cr.SetOperator(cairo.OPERATOR_SOURCE)
		cr.SetSourceRGBA(0, 0, 0, 0)
		cr.Paint()
		cr.SetOperator(cairo.OPERATOR_OVER)
	}
	Outline(cr, w.place)
	cr.SetSourceRGB(1, 1, 0.98)
	cr.FillPreserve()
	cr.SetLineWidth(2)
	cr.SetSourceRGB(0.16, 0.42, 0.78) // the robot's blue
	cr.Stroke()
	if w.opts.Draw != nil {
		w.opts.Draw(cr)
	}
	return false // child widgets draw on top
}

// Outline traces the rounded body and the tail as one path (1 px inside
// the window so the stroke is not cut).
func Outline(cr *cairo.Context, p bubbles.Placement) {
	b := p.Body
	x0, y0, x1, y1 := float64(b.Min.X)+1, float64(b.Min.Y)+1, float64(b.Max.X)-1, float64(b.Max.Y)-1
	r := float64(bubbles.Radius)
	half := float64(bubbles.TailBase) / 2
	base := float64(p.Base)
	tip := [2]float64{float64(p.Tip.X), float64(p.Tip.Y)}
	cr.NewPath()
	cr.Arc(x0+r, y0+r, r, math.Pi, 1.5*math.Pi)
	cr.Arc(x1-r, y0+r, r, 1.5*math.Pi, 2*math.Pi)
	if p.Side == bubbles.TailRight {
		cr.LineTo(x1, base-half)
		cr.LineTo(tip[0]-1, tip[1])
		cr.LineTo(x1, base+half)
	}
	cr.Arc(x1-r, y1-r, r, 0, 0.5*math.Pi)
	if p.Side == bubbles.TailDown {
		cr.LineTo(base+half, y1)
		cr.LineTo(tip[0], tip[1]-1)
		cr.LineTo(base-half, y1)
	}
	cr.Arc(x0+r, y1-r, r, 0.5*math.Pi, math.Pi)
	if p.Side == bubbles.TailLeft {
		cr.LineTo(x0, base+half)
		cr.LineTo(tip[0]+1, tip[1])
		cr.LineTo(x0, base-half)
	}
	cr.ClosePath()
}

// Font is the bubbles' text font.
const Font = "Sans 10"

// SetupLayout gives l the bubbles' font, wrap width and markup m.
func SetupLayout(l *pango.Layout, m string) {
	l.SetFontDescription(pango.FontDescriptionFromString(Font))
	l.SetWidth(bubbles.TextWidth * pango.PANGO_SCALE)
	l.SetWrap(pango.WRAP_WORD_CHAR)
	l.SetMarkup(m, -1)
}

// Measure is markup m's size in logical pixels as a bubble shows it.
func Measure(m string) (int, int) {
	s := cairo.CreateImageSurface(cairo.FORMAT_ARGB32, 1, 1)
	defer s.Close()
	l := pango.CairoCreateLayout(cairo.Create(s))
	SetupLayout(l, m)
	w, h := l.GetSize()
	return (w + pango.PANGO_SCALE - 1) / pango.PANGO_SCALE, (h + pango.PANGO_SCALE - 1) / pango.PANGO_SCALE
}
