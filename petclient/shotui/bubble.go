package shotui

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
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
)

// Pets is where the pet's "Copied!" bubble goes (*desktop.App).
type Pets interface {
	bubbleui.Host
	OnPetsChanged(func([]desktop.PetInfo))
}

// The bubble's thumbnail box and how long it stays, logical pixels.
const (
	thumbW     = 120
	thumbH     = 80
	thumbGap   = 8
	bubbleStay = 4 * time.Second
)

// sayBubble is the pet saying what became of a shot, with a thumbnail.
type sayBubble struct {
	u     *UI
	w     *bubbleui.Window
	text  string
	thumb *gdk.Pixbuf // nil: text alone
}

func newSayBubble(u *UI, pets Pets) *sayBubble {
	b := &sayBubble{u: u}
	b.w = bubbleui.New(pets, bubbleui.Options{Title: "Tachikoma screenshot says", Build: b.build, Draw: b.draw})
	pets.OnPetsChanged(func([]desktop.PetInfo) { b.w.PetsChanged() })
	return b
}

func (b *sayBubble) build(win *gtk.Window) error {
	win.AddEvents(int(gdk.BUTTON_PRESS_MASK))
	win.Connect("button-press-event", func() bool { b.w.Hide(); return true })
	return nil
}

// say shows text and a thumbnail of img (nil: none) by the first pet on
// the screen; false when no pet is shown.
func (b *sayBubble) say(text string, img *image.RGBA, pets []desktop.PetInfo) bool {
	id := -1
	for _, p := range pets {
		if p.Visible && (id < 0 || p.ID < id) {
			id = p.ID
		}
	}
	if id < 0 {
		return false
	}
	b.text, b.thumb = text, nil
	if img != nil && !img.Rect.Empty() {
		b.thumb = thumbnail(img)
	}
	tw, th := bubbleui.Measure(glib.MarkupEscapeText(text))
	body := image.Pt(tw, th)
	if b.thumb != nil {
		body = image.Pt(b.thumb.GetWidth()+thumbGap+tw, max(b.thumb.GetHeight(), th))
	}
	body = body.Add(image.Pt(2*bubbles.Padding, 2*bubbles.Padding))
	body.X = max(body.X, 2*bubbles.Radius+bubbles.TailBase+4)
	if err := b.w.Show(id, body); err != nil {
		b.u.log.Warn("screenshot bubble", "err", err)
		return false
	}
	b.w.HideAfter(bubbleStay, nil)
	return true
}

// thumbnail fits img into the thumbnail box, never enlarging it.
func thumbnail(img *image.RGBA) *gdk.Pixbuf {
	pb, err := pixbufOf(img)
	if err != nil {
		return nil
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	f := min(1, float64(thumbW)/float64(w), float64(thumbH)/float64(h))
	tw, th := max(1, int(float64(w)*f)), max(1, int(float64(h)*f))
	if tw == w && th == h {
		return pb
	}
	small, err := pb.ScaleSimple(tw, th, gdk.INTERP_BILINEAR)
	if err != nil {
		return nil
	}
	return small
}

func (b *sayBubble) draw(cr *cairo.Context) {
	p := b.w.Place()
	x, y := float64(p.Body.Min.X+bubbles.Padding), float64(p.Body.Min.Y+bubbles.Padding)
	inner := p.Body.Dy() - 2*bubbles.Padding
	if b.thumb != nil {
		ty := y + float64(inner-b.thumb.GetHeight())/2
		gtk.GdkCairoSetSourcePixBuf(cr, b.thumb, x, ty)
		cr.Rectangle(x, ty, float64(b.thumb.GetWidth()), float64(b.thumb.GetHeight()))
		cr.Fill()
		cr.SetSourceRGB(0.6, 0.6, 0.65)
		cr.SetLineWidth(1)
		cr.Rectangle(x-0.5, ty-0.5, float64(b.thumb.GetWidth())+1, float64(b.thumb.GetHeight())+1)
		cr.Stroke()
		x += float64(b.thumb.GetWidth() + thumbGap)
	}
	l := pango.CairoCreateLayout(cr)
	bubbleui.SetupLayout(l, glib.MarkupEscapeText(b.text))
	_, th := l.GetSize()
	cr.SetSourceRGB(0.1, 0.1, 0.15)
	cr.MoveTo(x, y+(float64(inner)-float64(th)/pango.PANGO_SCALE)/2)
	pango.CairoShowLayout(cr, l)
	win := p.Win
	b.u.log.Debug("screenshot bubble drawn", "text", b.text, "unknown_glyphs", glyphs.Unknown(l), "thumb", b.thumb != nil,
		"x", win.Min.X, "y", win.Min.Y, "w", win.Dx(), "h", win.Dy())
}
