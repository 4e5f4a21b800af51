package spriteimport

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/pack"
)

var (
	white = color.NRGBA{255, 255, 255, 255}
	navy  = color.NRGBA{20, 30, 120, 255}
	edge  = color.NRGBA{137, 142, 187, 255} // half navy, half white: an anti-aliased rim
)

// figure draws a navy body with a white eye enclosed by it and a one-pixel
// anti-aliased rim, on a white background, shifted right by dx.
func figure(w, h, dx int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	fill(m, m.Rect, white)
	body := image.Rect(10+dx, 8, 30+dx, h-4)
	fill(m, body.Inset(-1), edge)
	fill(m, body, navy)
	fill(m, image.Rect(14+dx, 12, 18+dx, 16), white) // the eye
	return m
}

func fill(m *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	r = r.Intersect(m.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.SetNRGBA(x, y, c)
		}
	}
}

func pngBytes(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func zipBytes(t testing.TB, entries map[string][]byte, order ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range order {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(entries[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func alphaAt(m *image.NRGBA, x, y int) uint8 { return m.NRGBAAt(x, y).A }

// writeAndLoad writes the plan as a pack and loads it as the pet would.
func writeAndLoad(t *testing.T, plan *Plan) *pack.Pack {
	t.Helper()
	out := filepath.Join(t.TempDir(), "packs", plan.ID)
	if err := plan.Write(out, false); err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
