package art

import (
	"image"
	"image/color"

	"github.com/fogleman/gg"
)

// ContactSheet lays out every frame of anims, one animation per row with its
// name, on a light checkerboard so transparency and edges are easy to judge.
func ContactSheet(anims []AnimSpec, s Scheme, scale float64) image.Image {
	w, h := Size(scale)
	const label, pad = 70, 6
	cols := 0
	for _, a := range anims {
		cols = max(cols, len(a.Frames))
	}
	W := label + cols*(w+pad) + pad
	H := len(anims)*(h+pad) + pad
	dc := gg.NewContext(W, H)
	dc.SetColor(color.NRGBA{0xf4, 0xf1, 0xea, 0xff})
	dc.Clear()
	for r, a := range anims {
		y := pad + r*(h+pad)
		dc.SetColor(color.NRGBA{0x30, 0x30, 0x30, 0xff})
		dc.DrawString(a.Name, 6, float64(y+h/2+4))
		for c, fr := range a.Frames {
			x := label + pad + c*(w+pad)
			checker(dc, x, y, w, h)
			dc.DrawImage(Render(fr.Pose, s, scale), x, y)
		}
	}
	return dc.Image()
}

func checker(dc *gg.Context, x, y, w, h int) {
	const sq = 8
	for j := 0; j < h; j += sq {
		for i := 0; i < w; i += sq {
			c := color.NRGBA{0xff, 0xff, 0xff, 0xff}
			if (i/sq+j/sq)%2 == 1 {
				c = color.NRGBA{0xe4, 0xe4, 0xe8, 0xff}
			}
			dc.SetColor(c)
			dc.DrawRectangle(float64(x+i), float64(y+j), float64(min(sq, w-i)), float64(min(sq, h-j)))
			dc.Fill()
		}
	}
}
