package translateui

import (
	"image"
	"time"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/bubbleui"
	"github.com/tachikoma-pet/tachikoma/petclient/chatui/bubbles"
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
	w     *bubbleui.Window
	fixed *gtk.Fixed
	box   *gtk.Box
	label *gtk.Label
	sw    *gtk.ScrolledWindow
	btns  []*gtk.Button

	petID int
	query string
	shown int
}

func (b *bubble) init(u *UI) {
	b.ui = u
	// A hidden pet (tray: Hide) still anchors it: the user asked for this answer.
	b.w = bubbleui.New(u.app, bubbleui.Options{Title: "Tachikoma translates", Build: b.build, Placed: b.placed, AnchorHidden: true})
}

func (b *bubble) build(win *gtk.Window) error {
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
	win.Connect("destroy", func() { b.btns = nil })
	b.fixed, b.box, b.label, b.sw = fixed, box, label, sw
	return nil
}

// show puts markup in the bubble by pet petID for a while.
func (b *bubble) show(petID int, query, markup string, stay time.Duration) {
	if _, err := b.w.Ensure(); err != nil {
		b.ui.log.Error("cannot create the translation bubble", "err", err)
		return
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
	b.shown++
	if err := b.w.Show(petID, image.Pt(w+2*bubbles.Padding, h+2*bubbles.Padding)); err != nil {
		b.ui.log.Error("cannot show the translation bubble", "err", err)
		return
	}
	b.w.HideAfter(stay, b.writeState)
	b.writeState()
}

func (b *bubble) hide() {
	b.w.Hide()
	b.writeState()
}

// placed moves the content into the body wherever the tail put it.
func (b *bubble) placed(p bubbles.Placement) {
	b.fixed.Move(b.box, p.Body.Min.X+bubbles.Padding, p.Body.Min.Y+bubbles.Padding)
}

// petsChanged follows the pet as it walks.
func (b *bubble) petsChanged() {
	if !b.w.Showing() {
		return
	}
	b.w.PetsChanged()
	b.writeState()
}

func (b *bubble) writeState() {
	if !b.ui.app.StateEnabled() {
		return
	}
	st := &statefile.Translate{Visible: b.w.Visible(), Query: b.query, Shown: b.shown}
	if b.w.Win() != nil {
		p := b.w.Place()
		g := glyphs.InWidget(b.box)
		st.Drawn = statefile.Glyphs{Labels: g.Labels, Unknown: g.Unknown, Text: g.Text}
		st.X, st.Y, st.W, st.H = p.Win.Min.X, p.Win.Min.Y, p.Win.Dx(), p.Win.Dy()
		for _, btn := range b.btns {
			a := btn.GetAllocation()
			name, _ := btn.GetName()
			st.Buttons = append(st.Buttons, statefile.Button{ID: name, X: a.GetX(), Y: a.GetY(), W: a.GetWidth(), H: a.GetHeight()})
		}
	}
	b.ui.app.SetTranslateState(st)
}
