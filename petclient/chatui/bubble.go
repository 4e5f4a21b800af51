package chatui

import (
	"image"
	"time"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"
	"github.com/gotk3/gotk3/pango"

	"github.com/tachikoma-pet/tachikoma/petclient/bubbleui"
	"github.com/tachikoma-pet/tachikoma/petclient/chatui/bubbles"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// bubble is one pet's speech bubble window and queue. GTK thread only.
type bubble struct {
	c     *Controller
	petID int
	w     *bubbleui.Window
	xid   uint32

	q    bubbles.Queue
	cur  bubbles.Item
	last bubbles.Item // for the state file once it faded

	// drawn is what the last draw showed, for the test hook.
	drawn     statefile.Glyphs
	drawnText image.Rectangle

	timer   glib.SourceHandle
	fading  int // fade steps done; 0 = not fading
	fadeTmr glib.SourceHandle
}

func newBubble(c *Controller, petID int) *bubble {
	b := &bubble{c: c, petID: petID}
	b.w = bubbleui.New(c.app, bubbleui.Options{Title: "Tachikoma says", Build: b.build, Draw: b.draw})
	return b
}

// say queues it on this pet.
func (b *bubble) say(it bubbles.Item) {
	if b.q.Push(it) {
		b.show(it)
	}
	b.c.writeState()
}

func (b *bubble) build(win *gtk.Window) error {
	win.AddEvents(int(gdk.BUTTON_PRESS_MASK))
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
	win.Connect("destroy", func() { b.xid = 0 })
	win.Realize()
	b.xid = xidOf(&win.Widget)
	return nil
}

// show makes it the visible bubble and starts its timer.
func (b *bubble) show(it bubbles.Item) {
	b.stopTimers()
	b.cur, b.last = it, it
	tw, th := bubbleui.Measure(markup(it))
	body := image.Pt(max(tw+2*bubbles.Padding, 2*bubbles.Radius+bubbles.TailBase+4), th+2*bubbles.Padding)
	if err := b.w.Show(b.petID, body); err != nil {
		b.c.log.Error("cannot create bubble window", "err", err)
		return
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

// petsChanged follows the pet as it moves (or hides with it).
func (b *bubble) petsChanged() {
	if !b.w.Showing() {
		return
	}
	b.w.PetsChanged()
	b.c.writeState()
}

func (b *bubble) fadeOut() {
	if !b.w.Composited() {
		b.next() // no alpha without a compositor: just go
		return
	}
	every, steps := bubbles.FadeStep()
	b.fading = 0
	b.fadeTmr = glib.TimeoutAdd(uint(every/time.Millisecond), func() bool {
		b.fading++
		if b.fading >= steps || b.w.Win() == nil {
			b.fadeTmr = 0
			b.next()
			return false
		}
		b.w.Win().SetOpacity(1 - float64(b.fading)/float64(steps))
		return true
	})
}

// next ends the current bubble and shows the next queued one.
func (b *bubble) next() {
	b.stopTimers()
	b.w.Hide()
	if it, ok := b.q.Next(); ok {
		b.show(it)
	}
	b.c.writeState()
}

// clear drops the queue but reminders (do-not-disturb).
func (b *bubble) clear() {
	b.stopTimers()
	b.w.Hide()
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

func (b *bubble) destroy() {
	b.q = bubbles.Queue{}
	b.stopTimers()
	b.w.Destroy()
}

func (b *bubble) draw(cr *cairo.Context) {
	p := b.w.Place()
	l := pango.CairoCreateLayout(cr)
	bubbleui.SetupLayout(l, markup(b.cur))
	cr.SetSourceRGB(0.1, 0.1, 0.15)
	cr.MoveTo(float64(p.Body.Min.X+bubbles.Padding), float64(p.Body.Min.Y+bubbles.Padding))
	pango.CairoShowLayout(cr, l)
	if b.c.app.StateEnabled() {
		b.recordDrawn(l)
	}
}

// recordDrawn keeps what draw showed and where the message's lines are.
func (b *bubble) recordDrawn(l *pango.Layout) {
	g := statefile.Glyphs{Labels: 1, Unknown: glyphs.Unknown(l), Text: l.GetText()}
	_, nickH := bubbleui.Measure("<b>" + glib.MarkupEscapeText(b.cur.From) + "</b>")
	w, h := l.GetSize()
	w, h = w/pango.PANGO_SCALE, h/pango.PANGO_SCALE
	org := b.w.Place().Body.Min.Add(image.Pt(bubbles.Padding, bubbles.Padding))
	r := image.Rect(org.X, org.Y+nickH, org.X+w, org.Y+h)
	if g != b.drawn || r != b.drawnText {
		b.drawn, b.drawnText = g, r
		b.c.writeState()
	}
}

func markup(it bubbles.Item) string {
	return "<b>" + glib.MarkupEscapeText(it.From) + "</b>\n" + glib.MarkupEscapeText(it.Text)
}
