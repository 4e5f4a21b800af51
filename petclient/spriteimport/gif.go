package spriteimport

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"time"
)

// Anim is an animation decoded from one source: whole-canvas frames.
type Anim struct {
	Source    string // file it came from, for messages
	Frames    []*image.NRGBA
	Delays    []time.Duration
	LoopCount int // as in image/gif: 0 forever, -1 once, n: n+1 times
}

// GIFDelay converts a GIF delay (1/100 s) the way browsers do: 0 and 1 mean 100 ms.
func GIFDelay(centis int) time.Duration {
	if centis <= 1 {
		return 100 * time.Millisecond
	}
	return time.Duration(centis) * 10 * time.Millisecond
}

// DecodeGIF checks the GIF's size and frame count from its headers, then
// decodes and composites it into whole-canvas frames.
func DecodeGIF(name string, data []byte, budget *Budget) (*Anim, error) {
	frames, area, err := scanGIF(data)
	if err != nil {
		return nil, errf(name, "%v", err)
	}
	cfg, err := gif.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errf(name, "is not a valid GIF: %v", err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, errf(name, "%v", err)
	}
	if area > MaxGIFArea {
		return nil, errf(name, "its frames hold %d pixels, limit %d", area, MaxGIFArea)
	}
	if err := budget.take(name, int64(frames)*int64(cfg.Width)*int64(cfg.Height)); err != nil {
		return nil, err
	}
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return nil, errf(name, "is a damaged GIF: %v", err)
	}
	if len(g.Image) == 0 {
		return nil, errf(name, "has no frames")
	}
	a := Composite(g)
	a.Source = name
	return a, nil
}

// Composite renders every frame of g onto the logical screen, applying each
// frame's disposal before the next: 0 and 1 keep it, 2 clears its rectangle
// to transparent (as browsers do), 3 restores what was there before it.
func Composite(g *gif.GIF) *Anim {
	w, h := g.Config.Width, g.Config.Height
	if w <= 0 || h <= 0 { // a GIF built in memory may leave Config empty
		for _, m := range g.Image {
			w, h = max(w, m.Bounds().Max.X), max(h, m.Bounds().Max.Y)
		}
	}
	screen := image.Rect(0, 0, w, h)
	canvas := image.NewNRGBA(screen)
	a := &Anim{LoopCount: g.LoopCount}
	for i, m := range g.Image {
		r := m.Bounds().Intersect(screen)
		var saved *image.NRGBA
		disposal := byte(0)
		if i < len(g.Disposal) {
			disposal = g.Disposal[i]
		}
		if disposal == gif.DisposalPrevious {
			saved = clone(canvas)
		}
		if !r.Empty() {
			draw.Draw(canvas, r, m, r.Min, draw.Over)
		}
		a.Frames = append(a.Frames, clone(canvas))
		delay := 0
		if i < len(g.Delay) {
			delay = g.Delay[i]
		}
		a.Delays = append(a.Delays, GIFDelay(delay))
		switch disposal {
		case gif.DisposalBackground:
			if !r.Empty() {
				draw.Draw(canvas, r, image.Transparent, image.Point{}, draw.Src)
			}
		case gif.DisposalPrevious:
			canvas = saved
		}
	}
	return a
}

func clone(m *image.NRGBA) *image.NRGBA {
	c := image.NewNRGBA(m.Rect)
	copy(c.Pix, m.Pix)
	return c
}

// toNRGBA copies any decoded image into a fresh NRGBA at origin 0,0.
func toNRGBA(m image.Image) *image.NRGBA {
	b := m.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, m, b.Min, draw.Src)
	return out
}

var _ color.Model = color.NRGBAModel

// scanGIF walks the GIF block structure without decoding pixels, so that a
// file claiming thousands of huge frames is refused before any allocation.
func scanGIF(d []byte) (frames int, area int64, err error) {
	if len(d) < 13 || (string(d[:6]) != "GIF87a" && string(d[:6]) != "GIF89a") {
		return 0, 0, errString("is not a GIF image")
	}
	p := 13
	if d[10]&0x80 != 0 {
		p += 3 << (d[10]&7 + 1)
	}
	skip := func(p int) (int, error) { // data sub-blocks up to the 0 terminator
		for {
			if p >= len(d) {
				return p, errString("is truncated")
			}
			n := int(d[p])
			p++
			if n == 0 {
				return p, nil
			}
			p += n
		}
	}
	for {
		if p >= len(d) {
			if frames == 0 {
				return 0, 0, errString("is truncated before its first frame")
			}
			return frames, area, nil // a missing trailer is left to the decoder
		}
		switch d[p] {
		case 0x21: // extension
			if p, err = skip(p + 2); err != nil {
				return frames, area, err
			}
		case 0x2c: // image descriptor
			if p+10 > len(d) {
				return frames, area, errString("is truncated in a frame header")
			}
			w := int64(d[p+5]) | int64(d[p+6])<<8
			h := int64(d[p+7]) | int64(d[p+8])<<8
			fl := d[p+9]
			p += 10
			if fl&0x80 != 0 {
				p += 3 << (fl&7 + 1)
			}
			if p, err = skip(p + 1); err != nil { // +1: LZW minimum code size
				return frames, area, err
			}
			frames++
			area += w * h
			if frames > MaxGIFFrames {
				return frames, area, errString("has more than %d frames", MaxGIFFrames)
			}
		case 0x3b: // trailer
			return frames, area, nil
		default:
			return frames, area, errString("has an unknown block 0x%02x at byte %d", d[p], p)
		}
	}
}
