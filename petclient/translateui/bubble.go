package translateui

import (
	"image"
	"math"
	"time"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/chatui/bubbles"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// Sizes of the translation bubble's content, logical px.
const (
	wrapChars = 42  // wider than a chat bubble: dictionary lines are long
	maxText   = 240 // taller text scrolls inside the bubble
)

// bubble is the translation bubble: a speech bubble by the pet holding a
// scrollable label and buttons. GTK thread only.
type bubble struct {
	ui    *UI
	win   *gtk.Window
	comp  bool // built with an RGBA visual
	fixed *gtk.Fixed
	box   *gtk.Box
	label *gtk.Label
	sw    *gtk.ScrolledWindow
	btns  []*gtk.Button

	petID   int
	place   bubbles.Placement
	body    image.Point
	showing bool
	timer   glib.SourceHandle
	query   string
	shown   int
}

func (b *bubble) build() error {
	b.comp = b.ui.app.Composited()
	win, err := desktop.NewOverlayWindow("Tachikoma translates", b.comp)
	if err != nil {
		return err
	}
	fixed, _ := gtk.FixedNew()
	box, _ := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 6)
	sw, _ := gtk.ScrolledWindowNew(nil, nil)
	sw.SetPolicy(gtk.POLICY_NEVER, gtk.POLICY_AUTOMATIC)
	sw.SetMaxContentHeight(maxText)
	sw.SetPropagateNaturalHeight(true)
	label, _ := gtk.LabelNew("")
	label.SetLineWrap(true)
	label.SetXAlign(0)
	label.SetYAlign(0)
	label.SetWidthChars(wrapChars)
	label.SetMaxWidthChars(wrapChars)
	sw.Add(label)
	box.PackStart(sw, true, true, 0)

	buttons, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
	b.btns = nil
	for _, bt := range b.ui.buttons() {
		btn, _ := gtk.ButtonNewWithLabel(bt.label)
		btn.SetRelief(gtk.RELIEF_NONE)
		btn.SetName(bt.id)
		act := bt.act
		btn.Connect("clicked", func() { act() })
		buttons.PackStart(btn, false, false, 0)
		b.btns = append(b.btns, btn)
	}
	// The test hook reports where the buttons ended up.
	buttons.Connect("size-allocate", func() { glib.IdleAdd(b.writeState) })
	box.PackStart(buttons, false, false, 0)
	fixed.Put(box, 0, 0)
	win.Add(fixed)
	win.Connect("draw", b.draw)
	win.Connect("destroy", func() { b.win, b.btns = nil, nil })
	b.win, b.fixed, b.box, b.label, b.sw = win, fixed, box, label, sw
	return nil
}

// show puts markup in the bubble by pet petID for a while.
func (b *bubble) show(petID int, query, markup string, stay time.Duration) {
	if b.win != nil && b.comp != b.ui.app.Composited() {
		b.win.Destroy() // the visual is chosen before realising
	}
	if b.win == nil {
		if err := b.build(); err != nil {
			b.ui.log.Error("cannot create the translation bubble", "err", err)
			return
		}
	}
	b.petID, b.query = petID, query
	b.label.SetMarkup(markup)
	b.sw.GetVAdjustment().SetValue(0)
	b.box.ShowAll()
	// Not GetPreferredSize: gotk3 v0.6.3 frees its Go-allocated result
	// with gtk_requisition_free, corrupting the C heap.
	_, lw := b.label.GetPreferredWidth()
	_, lh := b.label.GetPreferredHeightForWidth(lw)
	b.sw.SetMinContentHeight(min(lh, maxText)) // all of it, up to the scrolling limit
	b.box.SetSizeRequest(-1, -1)
	_, w := b.box.GetPreferredWidth()
	_, h := b.box.GetPreferredHeightForWidth(w)
	b.box.SetSizeRequest(w, h) // GtkFixed gives children no more than they ask
	b.body = image.Pt(w+2*bubbles.Padding, h+2*bubbles.Padding)
	b.showing = true
	b.shown++
	if !b.reposition(true) {
		b.win.Hide()
	} else {
		b.win.ShowAll()
		b.win.QueueDraw()
	}
	if b.timer != 0 {
		glib.SourceRemove(b.timer)
	}
	b.timer = glib.TimeoutAdd(uint(stay/time.Millisecond), func() bool {
		b.timer = 0
		b.hide()
		return false
	})
	b.writeState()
}

func (b *bubble) hide() {
	if b.timer != 0 {
		glib.SourceRemove(b.timer)
		b.timer = 0
	}
	b.showing = false
	if b.win != nil {
		b.win.Hide()
	}
	b.writeState()
}

// reposition places the window by its pet; false when the pet is gone. A
// hidden pet (tray: Hide) still anchors it: the user asked for this answer.
func (b *bubble) reposition(force bool) bool {
	info, ok := b.ui.pet(b.petID)
	if !ok || info.Rect.Empty() {
		return false
	}
	p := bubbles.Place(b.body, info.Rect, desktop.WorkArea(info))
	if !force && p == b.place {
		return true
	}
	b.place = p
	b.fixed.Move(b.box, p.Body.Min.X+bubbles.Padding, p.Body.Min.Y+bubbles.Padding)
	b.win.SetSizeRequest(p.Win.Dx(), p.Win.Dy())
	b.win.Resize(p.Win.Dx(), p.Win.Dy())
	b.win.Move(p.Win.Min.X, p.Win.Min.Y)
	b.win.QueueDraw()
	return true
}

// petsChanged follows the pet as it walks.
func (b *bubble) petsChanged() {
	if !b.showing || b.win == nil {
		return
	}
	if b.reposition(false) {
		if !b.win.IsVisible() {
			b.win.ShowAll()
		}
	} else {
		b.win.Hide()
	}
	b.writeState()
}

func (b *bubble) draw(_ *gtk.Window, cr *cairo.Context) bool {
	if b.comp {
		cr.SetOperator(cairo.OPERATOR_SOURCE)
		cr.SetSourceRGBA(0, 0, 0, 0)
		cr.Paint()
		cr.SetOperator(cairo.OPERATOR_OVER)
		outline(cr, b.place)
	} else {
		// No alpha without a compositor: the whole window is the bubble.
		w, h := b.place.Win.Dx(), b.place.Win.Dy()
		cr.Rectangle(1, 1, float64(w-2), float64(h-2))
	}
	cr.SetSourceRGB(1, 1, 0.98)
	cr.FillPreserve()
	cr.SetLineWidth(2)
	cr.SetSourceRGB(0.16, 0.42, 0.78) // the robot's blue
	cr.Stroke()
	return false // the children draw on top
}

// outline traces a rounded body and a triangular tail pointing at the pet.
func outline(cr *cairo.Context, p bubbles.Placement) {
	x0, y0 := float64(p.Body.Min.X)+1, float64(p.Body.Min.Y)+1
	x1, y1 := float64(p.Body.Max.X)-1, float64(p.Body.Max.Y)-1
	r := float64(bubbles.Radius)
	cr.NewPath()
	cr.Arc(x0+r, y0+r, r, math.Pi, 1.5*math.Pi)
	cr.Arc(x1-r, y0+r, r, 1.5*math.Pi, 2*math.Pi)
	cr.Arc(x1-r, y1-r, r, 0, 0.5*math.Pi)
	cr.Arc(x0+r, y1-r, r, 0.5*math.Pi, math.Pi)
	cr.ClosePath()
	half, base := float64(bubbles.TailBase)/2, float64(p.Base)
	tx, ty := float64(p.Tip.X), float64(p.Tip.Y)
	switch p.Side {
	case bubbles.TailDown:
		cr.MoveTo(base-half, y1-1)
		cr.LineTo(tx, ty-1)
		cr.LineTo(base+half, y1-1)
	case bubbles.TailLeft:
		cr.MoveTo(x0+1, base-half)
		cr.LineTo(tx+1, ty)
		cr.LineTo(x0+1, base+half)
	case bubbles.TailRight:
		cr.MoveTo(x1-1, base-half)
		cr.LineTo(tx-1, ty)
		cr.LineTo(x1-1, base+half)
	}
	cr.ClosePath()
}

func (b *bubble) writeState() {
	if !b.ui.app.StateEnabled() {
		return
	}
	st := &statefile.Translate{Visible: b.showing && b.win != nil && b.win.IsVisible(), Query: b.query, Shown: b.shown}
	if b.win != nil {
		g := glyphs.InWidget(b.box)
		st.Drawn = statefile.Glyphs{Labels: g.Labels, Unknown: g.Unknown, Text: g.Text}
		st.X, st.Y, st.W, st.H = b.place.Win.Min.X, b.place.Win.Min.Y, b.place.Win.Dx(), b.place.Win.Dy()
		for _, btn := range b.btns {
			a := btn.GetAllocation()
			name, _ := btn.GetName()
			st.Buttons = append(st.Buttons, statefile.Button{ID: name, X: a.GetX(), Y: a.GetY(), W: a.GetWidth(), H: a.GetHeight()})
		}
	}
	b.ui.app.SetTranslateState(st)
}
