package shot

import (
	"image"
	"image/color"
	"testing"
)

func TestLoupe(t *testing.T) {
	src := pattern(image.Rect(0, 0, 64, 48))
	l := Loupe(src, image.Pt(30, 20), 7)
	if l.Bounds() != image.Rect(0, 0, 15, 15) {
		t.Fatalf("bounds %v", l.Bounds())
	}
	if l.RGBAAt(7, 7) != src.RGBAAt(30, 20) || l.RGBAAt(0, 0) != src.RGBAAt(23, 13) || l.RGBAAt(14, 14) != src.RGBAAt(37, 27) {
		t.Error("loupe is not centred on the pointer")
	}
	// At the corner the part beyond the screen is transparent.
	l = Loupe(src, image.Pt(0, 0), 7)
	if l.RGBAAt(6, 6).A != 0 || l.RGBAAt(7, 7) != src.RGBAAt(0, 0) || l.RGBAAt(14, 14) != src.RGBAAt(7, 7) {
		t.Error("loupe at the corner")
	}
	if got := Hex(color.RGBA{0x0a, 0xbc, 0xff, 255}); got != "#0ABCFF" {
		t.Errorf("Hex = %s", got)
	}
	if got := SizeLabel(image.Rect(10, 10, 330, 250)); got != "320×240" {
		t.Errorf("SizeLabel = %s", got)
	}
}
