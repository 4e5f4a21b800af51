//go:build gui

package guitest

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// orange is the imported character's colour: nothing else on screen has it.
var orange = color.RGBA{R: 0xe2, G: 0x76, B: 0x3a, A: 0xff}

// TestImportedPack: pictures imported with `tachikoma pack import` (an
// orange figure on a white background) become the pet on the desktop: the
// pack is chosen, its frames animate, and the white background is gone.
func TestImportedPack(t *testing.T) {
	s := startX(t, true)
	s.startBackdrop()
	pal := color.Palette{color.White, orange}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: 60, Height: 70}}
	for i := range 2 {
		m := image.NewPaletted(image.Rect(0, 0, 60, 70), pal)
		for y := 10; y < 64; y++ {
			for x := 12 + 3*i; x < 44+3*i; x++ {
				m.SetColorIndex(x, y, 1)
			}
		}
		g.Image, g.Delay = append(g.Image, m), append(g.Delay, 15)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(s.dir, "walk.gif")
	if err := os.WriteFile(src, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := s.run([]string{"XDG_DATA_HOME=" + filepath.Join(s.dir, "data")},
		bins.pet, "pack", "import", src, "--name", "橘子 Orange", "--id", "orange")
	if !strings.Contains(out, "written to") {
		t.Fatalf("pack import: %s", out)
	}

	p := s.startPet(nil, "--pets", "1", "--pack", "orange")
	p.waitState("the imported pack", 10*time.Second, func(st statefile.State) bool { return st.Pack == "orange" })
	frames := map[int]bool{}
	waitFor(t, 30*time.Second, "the imported pack animating", func() bool {
		frames[p.read().Pets[0].Frame] = true
		return len(frames) > 1
	})
	pe, img := stillShot(t, p)
	win := image.Rect(pe.WinX, pe.WinY, pe.WinX+pe.W, pe.WinY+pe.H)
	var figure, white int
	for y := win.Min.Y; y < win.Max.Y; y++ {
		for x := win.Min.X; x < win.Max.X; x++ {
			switch c := img.RGBAAt(x, y); {
			case c == orange:
				figure++
			case c.R > 0xf0 && c.G > 0xf0 && c.B > 0xf0:
				white++
			}
		}
	}
	if figure < 200 || white > 0 {
		savePNG(t, filepath.Join(s.dir, "imported.png"), crop(img, win))
		t.Fatalf("pet window %v: %d orange pixels (want the figure), %d white (want none: the background was removed)", win, figure, white)
	}
}
