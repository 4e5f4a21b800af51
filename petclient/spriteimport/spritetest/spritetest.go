// Package spritetest makes small animated GIFs for tests of the sprite
// import: a figure of one colour stepping sideways on a white background.
package spritetest

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
)

// Walk describes the figure: the canvas, the figure's box in the first
// frame, how far it moves each frame, and each frame's delay.
type Walk struct {
	Width, Height int
	Figure        image.Rectangle
	Step          int
	Frames        int
	Delay         int // hundredths of a second
	Colour        color.Color
}

// GIF encodes the walk; every frame is whole (disposal "none").
func (w Walk) GIF() ([]byte, error) {
	pal := color.Palette{color.White, w.Colour}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: w.Width, Height: w.Height}}
	for i := range w.Frames {
		m := image.NewPaletted(image.Rect(0, 0, w.Width, w.Height), pal)
		box := w.Figure.Add(image.Pt(w.Step*i, 0)).Intersect(m.Rect)
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				m.SetColorIndex(x, y, 1)
			}
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, w.Delay)
		g.Disposal = append(g.Disposal, gif.DisposalNone)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
