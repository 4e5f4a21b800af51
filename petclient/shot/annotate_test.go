package shot

import (
	"image"
	"image/color"
	"testing"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	red   = color.RGBA{255, 0, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
)

func blank(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	return img
}

func want(t *testing.T, img *image.RGBA, x, y int, c color.RGBA) {
	t.Helper()
	if got := img.RGBAAt(x, y); got != c {
		t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, c)
	}
}

// Golden pixels: a 2 px box at scale 1 covers exactly its two outer rings.
func TestRenderBox(t *testing.T) {
	base := blank(40, 40)
	out, err := Render(base, []Annotation{Box{Rect: image.Rect(10, 10, 30, 30), Colour: red, Width: 2}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{10, 10}, {11, 11}, {29, 29}, {28, 20}, {20, 10}, {10, 29}} {
		want(t, out, p.X, p.Y, red)
	}
	for _, p := range []image.Point{{9, 9}, {12, 12}, {20, 20}, {30, 30}, {27, 20}} {
		want(t, out, p.X, p.Y, white)
	}
	want(t, base, 10, 10, white) // the base is not drawn on
}

// At scale 2 the same logical width covers four device pixels.
func TestRenderBoxHiDPI(t *testing.T) {
	out, err := Render(blank(80, 80), []Annotation{Box{Rect: image.Rect(20, 20, 60, 60), Colour: red, Width: 2}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want(t, out, 23, 40, red)
	want(t, out, 24, 40, white)
}

func TestRenderArrow(t *testing.T) {
	out, err := Render(blank(100, 40), []Annotation{Arrow{From: image.Pt(10, 20), To: image.Pt(90, 20), Colour: blue, Width: 3}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want(t, out, 30, 20, blue) // shaft
	want(t, out, 30, 25, white)
	want(t, out, 85, 20, blue) // head, wider than the shaft
	want(t, out, 82, 23, blue)
	want(t, out, 30, 23, white)
	want(t, out, 5, 20, white) // nothing before the tail
	want(t, out, 95, 20, white)
}

func TestRenderText(t *testing.T) {
	out, err := Render(blank(120, 40), []Annotation{Text{At: image.Pt(4, 4), Text: "Hi", Colour: red, Size: 24}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	inked := 0
	for y := 0; y < 40; y++ {
		for x := 0; x < 120; x++ {
			if c := out.RGBAAt(x, y); c.R > 200 && c.G < 50 {
				inked++
				if x < 4 || y < 4 || x > 40 {
					t.Fatalf("ink outside the text's box at (%d,%d)", x, y)
				}
			}
		}
	}
	if inked < 40 {
		t.Errorf("only %d red pixels: text not drawn", inked)
	}
}

func TestRenderMosaicAndHistory(t *testing.T) {
	base := pattern(image.Rect(0, 0, 32, 32))
	var h History
	h.Add(Mosaic{Rect: image.Rect(0, 0, 16, 16), Block: 8})
	h.Add(Box{Rect: image.Rect(20, 20, 30, 30), Colour: red, Width: 1})
	if !h.Undo() || len(h.Annotations()) != 1 {
		t.Fatal("undo")
	}
	if !h.Redo() || len(h.Annotations()) != 2 {
		t.Fatal("redo")
	}
	h.Undo()
	h.Add(Box{Rect: image.Rect(0, 20, 5, 25), Colour: blue, Width: 1})
	if h.Redo() {
		t.Fatal("redo after a new annotation")
	}
	out, err := Render(base, h.Annotations(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if out.RGBAAt(0, 0) != out.RGBAAt(7, 7) || out.RGBAAt(0, 0) == base.RGBAAt(0, 0) {
		t.Error("mosaic block not uniform")
	}
	want(t, out, 20, 20, base.RGBAAt(20, 20)) // the undone red box is gone
	want(t, out, 0, 20, blue)
	for h.Undo() {
	}
	if h.Undo() || len(h.Annotations()) != 0 {
		t.Error("undo past the start")
	}
}
