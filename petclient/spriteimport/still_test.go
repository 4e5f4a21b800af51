package spriteimport

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

func jpegBytes(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// importOne imports one picture file as the walk state.
func importOne(t *testing.T, name string, data []byte) *image.NRGBA {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := Import(Options{Name: "照片 Photo", Matte: DefaultMatte}, Source{State: engine.AnimWalk, Path: p})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return plan.Clips[engine.AnimWalk].Frames[0]
}

// A JPEG of a figure on white: its compression noise around the figure
// must not survive as specks or a grey halo, and the matte must come out
// as the PNG's does.
func TestImportJPEGMattesLikePNG(t *testing.T) {
	src := figure(96, 96, 30)
	// A photographed white: slight grain everywhere, then JPEG at a
	// phone's usual quality.
	grain := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(src.Pix); i += 4 {
		if src.Pix[i] == 255 {
			n := uint8(grain.IntN(7))
			src.Pix[i], src.Pix[i+1], src.Pix[i+2] = 255-n, 255-n, 255-n
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, src, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	fromPNG := importOne(t, "cat.png", pngBytes(t, src))
	fromJPEG := importOne(t, "猫.jpg", jb.Bytes())
	if fromJPEG.Rect != fromPNG.Rect {
		t.Fatalf("JPEG frame %v, PNG frame %v: noise widened the crop", fromJPEG.Rect, fromPNG.Rect)
	}
	differ := 0
	for y := fromPNG.Rect.Min.Y; y < fromPNG.Rect.Max.Y; y++ {
		for x := fromPNG.Rect.Min.X; x < fromPNG.Rect.Max.X; x++ {
			a, b := int(alphaAt(fromPNG, x, y)), int(alphaAt(fromJPEG, x, y))
			if a-b > 96 || b-a > 96 {
				differ++
			}
		}
	}
	// Only the 1-pixel rim may differ, and little of it (it has ~180 pixels).
	if differ > 20 {
		t.Errorf("%d pixels' alpha differs by more than 96 between the PNG and the JPEG import", differ)
	}
	for _, c := range []struct {
		name string
		x, y int
		want uint8
	}{{"body", 10, 40, 255}, {"white eye inside the body", 5, 5, 255}} {
		if got := alphaAt(fromJPEG, c.x, c.y); got != c.want {
			t.Errorf("JPEG %s: alpha %d, want %d", c.name, got, c.want)
		}
	}
}

// WebP (as stickers and many downloaded pictures come) is accepted: a
// lossless one keeps its transparency, a lossy one on white is matted.
// The fixtures are made with ImageMagick (scripts/deps.sh test).
func TestImportWebP(t *testing.T) {
	if _, err := exec.LookPath("convert"); err != nil {
		t.Fatal("this test needs ImageMagick's convert (scripts/deps.sh test)")
	}
	dir := t.TempDir()
	toWebP := func(m image.Image, name string, args ...string) []byte {
		in, out := filepath.Join(dir, name+".png"), filepath.Join(dir, name+".webp")
		if err := os.WriteFile(in, pngBytes(t, m), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("convert", append(append([]string{in}, args...), out)...).CombinedOutput(); err != nil {
			t.Fatalf("convert: %v %s", err, b)
		}
		data, err := os.ReadFile(out)
		if err != nil || !strings.HasPrefix(string(data), "RIFF") {
			t.Fatalf("convert made no WebP: %v", err)
		}
		return data
	}

	clear := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	fill(clear, image.Rect(10, 8, 30, 36), navy)
	got := importOne(t, "贴纸.webp", toWebP(clear, "clear", "-define", "webp:lossless=true"))
	want := importOne(t, "贴纸.png", pngBytes(t, clear))
	if string(got.Pix) != string(want.Pix) || got.Rect != want.Rect {
		t.Fatalf("lossless WebP: frame %v, PNG of it %v, or their pixels differ", got.Rect, want.Rect)
	}

	src := figure(96, 96, 30)
	fromWebP := importOne(t, "figure.webp", toWebP(src, "figure", "-quality", "60"))
	fromPNG := importOne(t, "figure.png", pngBytes(t, src))
	if fromWebP.Rect != fromPNG.Rect || alphaAt(fromWebP, 5, 5) != 255 || alphaAt(fromWebP, 10, 40) != 255 {
		t.Fatalf("lossy WebP on white: frame %v (PNG %v), eye alpha %d, body alpha %d",
			fromWebP.Rect, fromPNG.Rect, alphaAt(fromWebP, 5, 5), alphaAt(fromWebP, 10, 40))
	}

	// Not a WebP inside: a clear error naming the file.
	bad := filepath.Join(dir, "bad.webp")
	os.WriteFile(bad, []byte("RIFF\x10\x00\x00\x00WEBPVP8 junk"), 0o644)
	if _, err := Import(Options{Name: "坏 Bad"}, Source{State: engine.AnimWalk, Path: bad}); err == nil ||
		!strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "WebP") {
		t.Fatalf("damaged WebP: %v", err)
	}
}
