package shot

import (
	"image"
	"image/color"
	"image/draw"
)

// Crop copies r out of img into a new image whose origin is (0, 0); r is
// clipped to img first.
func Crop(img image.Image, r image.Rectangle) *image.RGBA {
	r = r.Intersect(img.Bounds())
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// Pixelate replaces r in img with blocks of block×block pixels, each the
// average of the pixels it covers, so text under it cannot be read back.
func Pixelate(img *image.RGBA, r image.Rectangle, block int) {
	r = r.Intersect(img.Bounds())
	if block < 2 || r.Empty() {
		return
	}
	for by := r.Min.Y; by < r.Max.Y; by += block {
		for bx := r.Min.X; bx < r.Max.X; bx += block {
			b := image.Rect(bx, by, bx+block, by+block).Intersect(r)
			var sr, sg, sb, sa, n uint32
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					c := img.RGBAAt(x, y)
					sr, sg, sb, sa, n = sr+uint32(c.R), sg+uint32(c.G), sb+uint32(c.B), sa+uint32(c.A), n+1
				}
			}
			avg := color.RGBA{uint8((sr + n/2) / n), uint8((sg + n/2) / n), uint8((sb + n/2) / n), uint8((sa + n/2) / n)}
			draw.Draw(img, b, image.NewUniform(avg), image.Point{}, draw.Src)
		}
	}
}
