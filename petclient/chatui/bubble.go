package chatui

import (
	"image"
	"math"
	"time"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"
	"github.com/gotk3/gotk3/pango"

	"github.com/tachikoma-pet/tachikoma/petclient/chatui/bubbles"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

const bubbleFont = "Sans 10"

// bubble is one pet's speech bubble window and queue. GTK thread only.
type bubble struct {
	c     *Controller
	petID int

	win        *gtk.Window
	composited bool // the visual the window was built with
	xid        uint32

	q       bubbles.Queue
	cur     bubbles.Item
	showing bool
	last    bubbles.Item // for the state file once it faded
	body    image.Point
	place   bubbles.Placement

	// drawn is what the last draw showed, for the test hook.
	drawn     statefile.Glyphs
	drawnText image.Rectangle

	timer   glib.SourceHandle
	fading  int // fade steps done; 0 = not fading
	fadeTmr glib.SourceHandle
}

// say queues it on this pet.
func (b *bubble) say(it bubbles.Item) {
	if b.q.Push(it) {
		b.show(it)
	}
	b.c.writeState()
}

func (b *bubble) build() {
	b.composited = b.c.app.Composited()
	win, err := desktop.NewOverlayWindow("Tachikoma says", b.composited)
	if err != nil {
		b.c.log.Error("cannot create bubble window", "err", err)
		return
	}
	b.win = win
	win.AddEvents(int(gdk.BUTTON_PRESS_MASK))
	win.Connect("draw", b.draw)
	win.Connect("button-press-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		if gdk.EventButtonNewFromEvent(ev).Button() == gdk.BUTTON_PRIMARY {
			cur := b.cur
			b.next()
			if !cur.Sticky { // a reminder is only dismissed
				b.c.openChat(cur.Conv)
			}
		}
		return true
	})
	win.Realize()
	b.xid = xidOf(&win.Widget)
}

// show makes it the visible bubble and starts its timer.
func (b *bubble) show(it bubbles.Item) {
	if b.win != nil && b.composited != b.c.app.Composited() {
		b.destroyWindow() // the visual can only be chosen before realising
	}
	if b.win == nil {
		b.build()
		if b.win == nil {
			return
		}
	}
	b.stopTimers()
	b.cur, b.last, b.showing = it, it, true
	tw, th := measure(markup(it))
	b.body = image.Pt(max(tw+2*bubbles.Padding, 2*bubbles.Radius+bubbles.TailBase+4), th+2*bubbles.Padding)
	b.win.SetOpacity(1)
	if !b.reposition(true) {
		b.win.Hide()
	} else {
		b.win.ShowAll()
		b.win.QueueDraw()
	}
	b.c.bubbled++
	if it.Sticky {
		return // stays until clicked
	}
	b.timer = glib.TimeoutAdd(uint(it.Show/time.Millisecond), func() bool {
		b.timer = 0
		b.fadeOut()
		return false
	})
}

// reposition places the window by its pet; false when the pet is hidden.
func (b *bubble) reposition(force bool) bool {
	info, ok := b.c.pet(b.petID)
	if !ok || !info.Visible {
		return false
	}
	p := bubbles.Place(b.body, info.Rect, desktop.WorkArea(info))
	if !force && p == b.place {
		return true
	}
	reshape := force || p.Win.Size() != b.place.Win.Size() || p.Side != b.place.Side || p.Tip != b.place.Tip
	b.place = p
	// Not resizable: GTK sizes the window to its request, so request it.
	b.win.SetSizeRequest(p.Win.Dx(), p.Win.Dy())
	b.win.Resize(p.Win.Dx(), p.Win.Dy())
	b.win.Move(p.Win.Min.X, p.Win.Min.Y)
	if reshape {
		setShape(&b.win.Widget, p.Spans(), !b.composited)
		b.win.QueueDraw()
	}
	return true
}

// petsChanged follows the pet as it moves (or hides with it).
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
	b.c.writeState()
}

func (b *bubble) fadeOut() {
	if !b.composited {
		b.next() // no alpha without a compositor: just go
		return
	}
	every, steps := bubbles.FadeStep()
	b.fading = 0
	b.fadeTmr = glib.TimeoutAdd(uint(every/time.Millisecond), func() bool {
		b.fading++
		if b.fading >= steps || b.win == nil {
			b.fadeTmr = 0
			b.next()
			return false
		}
		b.win.SetOpacity(1 - float64(b.fading)/float64(steps))
		return true
	})
}

// next ends the current bubble and shows the next queued one.
func (b *bubble) next() {
	b.stopTimers()
	b.showing = false
	if b.win != nil {
		b.win.Hide()
	}
	if it, ok := b.q.Next(); ok {
		b.show(it)
	}
	b.c.writeState()
}

// clear drops the queue but reminders (do-not-disturb).
func (b *bubble) clear() {
	b.stopTimers()
	b.showing = false
	if b.win != nil {
		b.win.Hide()
	}
	if it, ok := b.q.Clear(); ok {
		b.show(it)
	}
}

func (b *bubble) stopTimers() {
	if b.timer != 0 {
		glib.SourceRemove(b.timer)
		b.timer = 0
	}
	if b.fadeTmr != 0 {
		glib.SourceRemove(b.fadeTmr)
		b.fadeTmr = 0
	}
}

func (b *bubble) destroyWindow() {
	if b.win != nil {
		b.win.Destroy()
		b.win = nil
		b.xid = 0
	}
}

func (b *bubble) destroy() {
	b.q = bubbles.Queue{}
	b.stopTimers()
	b.showing = false
	b.destroyWindow()
}

func (b *bubble) draw(_ *gtk.Window, cr *cairo.Context) bool {
	if b.composited {
		cr.SetOperator(cairo.OPERATOR_SOURCE)
		cr.SetSourceRGBA(0, 0, 0, 0)
		cr.Paint()
		cr.SetOperator(cairo.OPERATOR_OVER)
	}
	outline(cr, b.place)
	cr.SetSourceRGB(1, 1, 0.98)
	cr.FillPreserve()
	cr.SetLineWidth(2)
	cr.SetSourceRGB(0.16, 0.42, 0.78) // the robot's blue
	cr.Stroke()
	l := pango.CairoCreateLayout(cr)
	setupLayout(l, markup(b.cur))
	cr.SetSourceRGB(0.1, 0.1, 0.15)
	cr.MoveTo(float64(b.place.Body.Min.X+bubbles.Padding), float64(b.place.Body.Min.Y+bubbles.Padding))
	pango.CairoShowLayout(cr, l)
	if b.c.app.StateEnabled() {
		b.recordDrawn(l)
	}
	return true
}

// recordDrawn keeps what draw showed and where the message's lines are.
func (b *bubble) recordDrawn(l *pango.Layout) {
	g := statefile.Glyphs{Labels: 1, Unknown: glyphs.Unknown(l), Text: l.GetText()}
	_, nickH := measure("<b>" + glib.MarkupEscapeText(b.cur.From) + "</b>")
	w, h := l.GetSize()
	w, h = w/pango.PANGO_SCALE, h/pango.PANGO_SCALE
	org := b.place.Body.Min.Add(image.Pt(bubbles.Padding, bubbles.Padding))
	r := image.Rect(org.X, org.Y+nickH, org.X+w, org.Y+h)
	if g != b.drawn || r != b.drawnText {
		b.drawn, b.drawnText = g, r
		b.c.writeState()
	}
}

// outline traces the rounded body and the tail as one path (1 px inside
// the window so the stroke is not cut).
func outline(cr *cairo.Context, p bubbles.Placement) {
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

func markup(it bubbles.Item) string {
	return "<b>" + glib.MarkupEscapeText(it.From) + "</b>\n" + glib.MarkupEscapeText(it.Text)
}

func setupLayout(l *pango.Layout, m string) {
	l.SetFontDescription(pango.FontDescriptionFromString(bubbleFont))
	l.SetWidth(bubbles.TextWidth * pango.PANGO_SCALE)
	l.SetWrap(pango.WRAP_WORD_CHAR)
	l.SetMarkup(m, -1)
}

// measure is the text's size in logical pixels.
func measure(m string) (int, int) {
	s := cairo.CreateImageSurface(cairo.FORMAT_ARGB32, 1, 1)
	defer s.Close()
	cr := cairo.Create(s)
	l := pango.CairoCreateLayout(cr)
	setupLayout(l, m)
	w, h := l.GetSize()
	return (w + pango.PANGO_SCALE - 1) / pango.PANGO_SCALE, (h + pango.PANGO_SCALE - 1) / pango.PANGO_SCALE
}
