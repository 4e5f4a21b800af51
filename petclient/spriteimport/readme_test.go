package spriteimport

import (
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var (
	updateDocs = flag.Bool("update-docs", false, "rewrite docs/images/import.png")
	demoDir    = flag.String("demo-dir", "", "write the README's example pictures (walk.gif, stand.png) here")
)

// blob draws a round orange character with ears and white eyes on a pale,
// slightly noisy background, anti-aliased by 4x4 supersampling; bob moves it.
func blob(bob int) *image.NRGBA {
	const s = 64
	bg := color.NRGBA{246, 242, 230, 255}
	body := color.NRGBA{226, 118, 58, 255}
	ink := color.NRGBA{40, 28, 24, 255}
	m := image.NewNRGBA(image.Rect(0, 0, s, s))
	inside := func(x, y float64) color.NRGBA {
		y -= float64(bob)
		in := func(cx, cy, r float64) bool { return math.Hypot(x-cx, y-cy) < r }
		switch {
		case in(24, 34, 2.2) || in(40, 34, 2.2):
			return ink
		case in(24, 33, 5) || in(40, 33, 5):
			return color.NRGBA{255, 255, 255, 255}
		case in(32, 38, 20) || (y > 12 && y < 26 && (math.Abs(x-17)+(y-12)*0.5 < 7 || math.Abs(x-47)+(y-12)*0.5 < 7)):
			return body
		}
		return bg
	}
	for y := 0; y < s; y++ {
		for x := 0; x < s; x++ {
			var r, g, b int
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					c := inside(float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4)
					r, g, b = r+int(c.R), g+int(c.G), b+int(c.B)
				}
			}
			n := (x*7+y*13)%7 - 3 // paper-like noise, deterministic
			m.SetNRGBA(x, y, color.NRGBA{clamp8(r/16 + n), clamp8(g/16 + n), clamp8(b/16 + n), 255})
		}
	}
	return m
}

func clamp8(v int) uint8 { return uint8(max(0, min(255, v))) }

// TestReadmePicture checks the README's example: the pale background goes,
// the white eyes inside stay, the round edge is soft.
func TestReadmePicture(t *testing.T) {
	before := blob(0)
	after := clone(before)
	DefaultMatte.Apply(after)
	for _, c := range []struct {
		name string
		x, y int
		want uint8
	}{{"corner", 0, 0, 0}, {"between the ears", 32, 14, 0}, {"eye white", 22, 31, 255}, {"pupil", 24, 34, 255}, {"belly", 32, 50, 255}} {
		if a := alphaAt(after, c.x, c.y); a != c.want {
			t.Errorf("%s (%d,%d): alpha %d, want %d", c.name, c.x, c.y, a, c.want)
		}
	}
	soft := 0
	for x := 0; x < 64; x++ {
		if a := alphaAt(after, x, 38); a > 0 && a < 255 {
			soft++
		}
	}
	if soft < 2 {
		t.Errorf("%d soft pixels across the body's edge, want at least 2", soft)
	}
	if *updateDocs {
		// Before | after over a checkerboard, doubled with square pixels.
		out := image.NewNRGBA(image.Rect(0, 0, 2*(2*64+8), 2*64))
		draw.Draw(out, out.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
		board := image.NewNRGBA(image.Rect(0, 0, 64, 64))
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				c := color.NRGBA{204, 204, 204, 255}
				if (x/8+y/8)%2 == 0 {
					c = color.NRGBA{255, 255, 255, 255}
				}
				board.SetNRGBA(x, y, c)
			}
		}
		draw.Draw(board, board.Rect, after, image.Point{}, draw.Over)
		for y := 0; y < 128; y++ {
			for x := 0; x < 128; x++ {
				out.Set(x, y, before.At(x/2, y/2))
				out.Set(x+144, y, board.At(x/2, y/2))
			}
		}
		writeFile(t, filepath.Join("..", "..", "docs", "images", "import.png"), pngBytes(t, out))
	}
	if *demoDir != "" {
		pal := color.Palette{}
		g := &gif.GIF{Config: image.Config{Width: 64, Height: 64}}
		for i, bob := range []int{0, 2, 0, -2} {
			f := blob(bob)
			if pal == nil || len(pal) == 0 {
				pal = paletteOf(f)
				g.Config.ColorModel = pal
			}
			p := image.NewPaletted(f.Rect, pal)
			draw.Draw(p, p.Rect, f, image.Point{}, draw.Src)
			g.Image, g.Delay = append(g.Image, p), append(g.Delay, 12+i%2)
		}
		if err := gif.EncodeAll(mustCreate(t, filepath.Join(*demoDir, "walk.gif")), g); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(*demoDir, "stand.png"), pngBytes(t, blob(0)))
	}
}

func paletteOf(m *image.NRGBA) color.Palette {
	seen := map[color.NRGBA]bool{}
	var p color.Palette
	for i := 0; i < len(m.Pix) && len(p) < 256; i += 4 {
		c := color.NRGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255}
		if !seen[c] {
			seen[c] = true
			p = append(p, c)
		}
	}
	return p
}

func mustCreate(t *testing.T, name string) *os.File {
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
