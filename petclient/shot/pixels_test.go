package shot

import (
	"image"
	"image/color"
	"testing"
)

// pattern gives every pixel its own colour so a shifted crop shows.
func pattern(r image.Rectangle) *image.RGBA {
	img := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	return img
}

func TestCrop(t *testing.T) {
	src := pattern(image.Rect(0, 0, 64, 48))
	got := Crop(src, image.Rect(10, 20, 30, 25))
	if got.Bounds() != image.Rect(0, 0, 20, 5) {
		t.Fatalf("bounds %v", got.Bounds())
	}
	for y := 0; y < 5; y++ {
		for x := 0; x < 20; x++ {
			if got.RGBAAt(x, y) != src.RGBAAt(x+10, y+20) {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, got.RGBAAt(x, y), src.RGBAAt(x+10, y+20))
			}
		}
	}
	if b := Crop(src, image.Rect(60, 40, 100, 100)).Bounds(); b != image.Rect(0, 0, 4, 8) {
		t.Errorf("crop past the edge: %v", b)
	}
}

func TestPixelate(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 4))
	// Left 4×4 block: half black, half white; right block: red.
	for y := 0; y < 4; y++ {
		for x := 0; x < 8; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x < 4 {
				c = color.RGBA{0, 0, 0, 255}
				if y < 2 {
					c = color.RGBA{255, 255, 255, 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	outside := image.NewRGBA(image.Rect(0, 0, 1, 1))
	Pixelate(img, image.Rect(0, 0, 8, 4), 4)
	for y := 0; y < 4; y++ {
		for x := 0; x < 8; x++ {
			want := color.RGBA{128, 128, 128, 255}
			if x >= 4 {
				want = color.RGBA{255, 0, 0, 255}
			}
			if got := img.RGBAAt(x, y); got != want {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	Pixelate(outside, image.Rect(5, 5, 9, 9), 4) // outside the image: nothing, no panic
	// Only the rectangle changes.
	p := pattern(image.Rect(0, 0, 16, 16))
	before := p.RGBAAt(12, 12)
	Pixelate(p, image.Rect(0, 0, 8, 8), 4)
	if p.RGBAAt(12, 12) != before {
		t.Error("pixelate changed a pixel outside its rectangle")
	}
}
