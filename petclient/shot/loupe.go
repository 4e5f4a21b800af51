package shot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
)

// Loupe copies the (2r+1)×(2r+1) pixels around p for the magnifier; pixels
// beyond the screen's edge stay transparent so the loupe shows where it ends.
func Loupe(img *image.RGBA, p image.Point, r int) *image.RGBA {
	r = max(0, r)
	out := image.NewRGBA(image.Rect(0, 0, 2*r+1, 2*r+1))
	src := image.Rect(p.X-r, p.Y-r, p.X+r+1, p.Y+r+1)
	in := src.Intersect(img.Bounds())
	draw.Draw(out, in.Sub(src.Min), img, in.Min, draw.Src)
	return out
}

// Hex is a colour as the loupe prints it: #RRGGBB.
func Hex(c color.RGBA) string {
	return fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B)
}

// SizeLabel is the W×H label beside the selection, in device pixels.
func SizeLabel(r image.Rectangle) string {
	return fmt.Sprintf("%d×%d", r.Dx(), r.Dy())
}
