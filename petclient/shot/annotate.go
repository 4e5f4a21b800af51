package shot

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"github.com/fogleman/gg"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
)

// Annotation is one mark on the shot. Coordinates are the result image's
// device pixels; sizes are logical pixels, multiplied by the scale so a mark
// looks the same on a HiDPI monitor.
type Annotation interface {
	draw(dst *image.RGBA, scale float64, text TextDrawer) error
	moved(d image.Point) Annotation
}

// TextDrawer draws a text annotation onto dst; the GTK layer's draws with
// Pango in the system's fonts so Chinese shows. nil: the bundled Go font.
type TextDrawer func(dst *image.RGBA, t Text, scale float64) error

// Box is a rectangle outline.
type Box struct {
	Rect   image.Rectangle
	Colour color.RGBA
	Width  float64
}

// Arrow points from From to To with a filled head at To.
type Arrow struct {
	From, To image.Point
	Colour   color.RGBA
	Width    float64
}

// Text is text with its top-left corner at At. The bundled Go font covers
// Latin text; a TextDrawer (the GTK layer's) draws Chinese.
type Text struct {
	At     image.Point
	Text   string
	Colour color.RGBA
	Size   float64 // logical pixels
}

// Mosaic pixelates Rect to hide private text; Block is in logical pixels.
type Mosaic struct {
	Rect  image.Rectangle
	Block int
}

// Render draws the annotations in order onto a copy of base.
func Render(base image.Image, anns []Annotation, scale float64) (*image.RGBA, error) {
	return RenderWith(base, anns, scale, nil)
}

// RenderWith is Render with text drawn by text (nil: the bundled font).
func RenderWith(base image.Image, anns []Annotation, scale float64, text TextDrawer) (*image.RGBA, error) {
	if scale <= 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		scale = 1
	}
	out := Crop(base, base.Bounds())
	for i, a := range anns {
		if err := a.draw(out, scale, text); err != nil {
			return nil, fmt.Errorf("annotation %d: %w", i+1, err)
		}
	}
	return out, nil
}

func (b Box) draw(dst *image.RGBA, scale float64, _ TextDrawer) error {
	r := b.Rect.Canon()
	w := max(1, math.Round(b.Width*scale))
	dc := gg.NewContextForRGBA(dst)
	dc.SetColor(b.Colour)
	// A ring filled even-odd covers exactly the edge pixels, corners included.
	dc.SetFillRule(gg.FillRuleEvenOdd)
	dc.DrawRectangle(float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()))
	if float64(r.Dx()) > 2*w && float64(r.Dy()) > 2*w {
		dc.DrawRectangle(float64(r.Min.X)+w, float64(r.Min.Y)+w, float64(r.Dx())-2*w, float64(r.Dy())-2*w)
	}
	dc.Fill()
	return nil
}

func (a Arrow) draw(dst *image.RGBA, scale float64, _ TextDrawer) error {
	w := max(1, a.Width*scale)
	fx, fy := float64(a.From.X)+0.5, float64(a.From.Y)+0.5
	tx, ty := float64(a.To.X)+0.5, float64(a.To.Y)+0.5
	length := math.Hypot(tx-fx, ty-fy)
	if length < 1 {
		return nil
	}
	head := min(length, max(10*scale, 4*w))
	ux, uy := (tx-fx)/length, (ty-fy)/length
	bx, by := tx-ux*head, ty-uy*head // where the head's base meets the shaft
	dc := gg.NewContextForRGBA(dst)
	dc.SetColor(a.Colour)
	dc.SetLineWidth(w)
	dc.SetLineCap(gg.LineCapButt)
	dc.DrawLine(fx, fy, bx+ux, by+uy)
	dc.Stroke()
	half := head * 0.5
	dc.MoveTo(tx, ty)
	dc.LineTo(bx-uy*half, by+ux*half)
	dc.LineTo(bx+uy*half, by-ux*half)
	dc.ClosePath()
	dc.Fill()
	return nil
}

var (
	goFontOnce sync.Once
	goFont     *truetype.Font
	goFontErr  error
)

func (t Text) draw(dst *image.RGBA, scale float64, text TextDrawer) error {
	if t.Text == "" {
		return nil
	}
	if text != nil {
		return text(dst, t, scale)
	}
	goFontOnce.Do(func() { goFont, goFontErr = truetype.Parse(goregular.TTF) })
	if goFontErr != nil {
		return fmt.Errorf("bundled font: %w", goFontErr)
	}
	size := t.Size
	if size <= 0 {
		size = 16
	}
	face := truetype.NewFace(goFont, &truetype.Options{Size: size * scale, DPI: 72, Hinting: font.HintingFull})
	defer face.Close()
	dc := gg.NewContextForRGBA(dst)
	dc.SetFontFace(face)
	dc.SetColor(t.Colour)
	ascent := float64(face.Metrics().Ascent.Round())
	dc.DrawString(t.Text, float64(t.At.X), float64(t.At.Y)+ascent)
	return nil
}

func (m Mosaic) draw(dst *image.RGBA, scale float64, _ TextDrawer) error {
	block := m.Block
	if block <= 0 {
		block = 8
	}
	Pixelate(dst, m.Rect.Canon(), max(2, int(math.Round(float64(block)*scale))))
	return nil
}

func (b Box) moved(d image.Point) Annotation    { b.Rect = b.Rect.Add(d); return b }
func (a Arrow) moved(d image.Point) Annotation  { a.From, a.To = a.From.Add(d), a.To.Add(d); return a }
func (t Text) moved(d image.Point) Annotation   { t.At = t.At.Add(d); return t }
func (m Mosaic) moved(d image.Point) Annotation { m.Rect = m.Rect.Add(d); return m }

// Moved returns the annotations shifted by d, e.g. from root pixels into a
// cropped selection's.
func Moved(anns []Annotation, d image.Point) []Annotation {
	out := make([]Annotation, len(anns))
	for i, a := range anns {
		out[i] = a.moved(d)
	}
	return out
}

// CanUndo and CanRedo tell the toolbar which buttons work.
func (h *History) CanUndo() bool { return len(h.done) > 0 }
func (h *History) CanRedo() bool { return len(h.undone) > 0 }

// History holds the annotations with undo and redo; a new annotation after
// an undo drops what could have been redone.
type History struct {
	done, undone []Annotation
}

// Add appends a.
func (h *History) Add(a Annotation) {
	h.done = append(h.done, a)
	h.undone = h.undone[:0]
}

// Undo removes the last annotation; false when there is none.
func (h *History) Undo() bool {
	if len(h.done) == 0 {
		return false
	}
	last := h.done[len(h.done)-1]
	h.done = h.done[:len(h.done)-1]
	h.undone = append(h.undone, last)
	return true
}

// Redo puts back the last undone annotation; false when there is none.
func (h *History) Redo() bool {
	if len(h.undone) == 0 {
		return false
	}
	a := h.undone[len(h.undone)-1]
	h.undone = h.undone[:len(h.undone)-1]
	h.done = append(h.done, a)
	return true
}

// Annotations returns the current annotations in drawing order.
func (h *History) Annotations() []Annotation {
	return append([]Annotation(nil), h.done...)
}
