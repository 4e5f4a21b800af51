package raster

import (
	"image"
	"image/color"
	"testing"
)

func TestPremultiplyAndFlip(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.SetNRGBA(0, 0, color.NRGBA{R: 255, G: 0, B: 0, A: 255})
	img.SetNRGBA(1, 0, color.NRGBA{R: 0, G: 0, B: 255, A: 128})
	// pixel 2 stays fully transparent
	buf := make([]byte, Stride(3))
	ToARGB32(buf, img, false)
	if AlphaAt(buf, 3, 0, 0) != 255 || AlphaAt(buf, 3, 2, 0) != 0 {
		t.Fatal("alpha wrong")
	}
	// premultiplied blue at half alpha is ~128, not 255
	if buf[4] < 126 || buf[4] > 130 {
		t.Fatalf("blue channel not premultiplied: % x", buf[4:8])
	}
	if c := ColorAt(buf, 3, 1, 0); c.B < 250 || c.A != 128 {
		t.Fatalf("round trip %v", c)
	}
	ToARGB32(buf, img, true)
	if AlphaAt(buf, 3, 0, 0) != 0 || AlphaAt(buf, 3, 2, 0) != 255 {
		t.Fatal("flip wrong")
	}
}

func TestSubImageAndOtherTypes(t *testing.T) {
	big := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	big.SetNRGBA(2, 2, color.NRGBA{G: 255, A: 255})
	sub := big.SubImage(image.Rect(2, 2, 4, 4))
	buf := make([]byte, Stride(2)*2)
	ToARGB32(buf, sub, false)
	if AlphaAt(buf, 2, 0, 0) != 255 || AlphaAt(buf, 2, 1, 1) != 0 {
		t.Fatal("sub-image offset ignored")
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgba.Set(0, 0, color.RGBA{R: 255, A: 255})
	one := make([]byte, 4)
	ToARGB32(one, rgba, false)
	if c := ColorAt(one, 1, 0, 0); c.R != 255 || c.A != 255 {
		t.Fatalf("RGBA input: %v", c)
	}
}

func TestToNRGBAFlip(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.SetNRGBA(0, 1, color.NRGBA{R: 9, A: 255})
	if ToNRGBA(img, false) != img {
		t.Fatal("copied without need")
	}
	f := ToNRGBA(img, true)
	if f.NRGBAAt(2, 1).R != 9 || f.NRGBAAt(0, 1).A != 0 {
		t.Fatal("flip wrong")
	}
}

func TestZzzStaysInBand(t *testing.T) {
	for _, s := range []float64{1, 1.5, 2, 3} {
		img := image.NewNRGBA(image.Rect(0, 0, int(80*s), int(64*s)+ZzzHeight(s)))
		DrawZzz(img, s)
		painted := 0
		for y := 0; y < img.Bounds().Dy(); y++ {
			for x := 0; x < img.Bounds().Dx(); x++ {
				if img.NRGBAAt(x, y).A != 0 {
					painted++
					if y >= ZzzHeight(s) {
						t.Fatalf("scale %v: Zzz pixel at y=%d below its band", s, y)
					}
				}
			}
		}
		if painted == 0 {
			t.Fatalf("scale %v: nothing drawn", s)
		}
	}
}
