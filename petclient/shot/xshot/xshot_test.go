package xshot

import (
	"image"
	"os"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot/xshottest"
)

// The grab returns the exact pixels of a window at the right place, with
// and without a compositing manager.
func TestGrabShowsWindow(t *testing.T) {
	for _, composited := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "composited"}[composited], func(t *testing.T) {
			disp := xshottest.StartXvfb(t, "640x480x24")
			if composited {
				xshottest.StartCompositor(t, disp)
			}
			want := xshottest.Pattern(64, 48)
			xshottest.ShowImage(t, disp, want, 100, 50)
			g, err := Open(disp, os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			img, layout, err := g.Grab()
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, 640, 480) || layout.Root != img.Bounds() {
				t.Fatalf("bounds %v, layout %+v", img.Bounds(), layout)
			}
			if len(layout.Monitors) == 0 || layout.Bounds() != img.Bounds() {
				t.Errorf("monitors %+v", layout.Monitors)
			}
			if err := xshottest.Diff(img, image.Pt(100, 50), want); err != nil {
				t.Fatal(err)
			}
			if c := img.RGBAAt(99, 50); c == want.RGBAAt(0, 0) {
				t.Errorf("pixel left of the window is the window's: %v", c)
			}
		})
	}
}

func TestOpenWithoutDisplay(t *testing.T) {
	_, err := Open("", func(string) string { return "" })
	if err != ErrNoDisplay {
		t.Fatalf("err = %v", err)
	}
	_, err = Open(":987", func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "cannot open X display :987") {
		t.Fatalf("err = %v", err)
	}
}

// Pixel layouts other than Xvfb's: 32-bit big-endian, packed 24-bit, 16-bit 565.
func TestConvertFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    pixelFormat
		px   []byte // two pixels: (0x12,0x34,0x56) and white, plus row padding
	}{
		{"32 lsb", pixelFormat{bpp: 32, pad: 32, red: 0xff0000, green: 0xff00, blue: 0xff}, []byte{0x56, 0x34, 0x12, 0, 0xff, 0xff, 0xff, 0}},
		{"32 msb", pixelFormat{bpp: 32, pad: 32, msbFirst: true, red: 0xff0000, green: 0xff00, blue: 0xff}, []byte{0, 0x12, 0x34, 0x56, 0, 0xff, 0xff, 0xff}},
		{"32 bgr", pixelFormat{bpp: 32, pad: 32, red: 0xff, green: 0xff00, blue: 0xff0000}, []byte{0x12, 0x34, 0x56, 0, 0xff, 0xff, 0xff, 0}},
		{"24 lsb", pixelFormat{bpp: 24, pad: 32, red: 0xff0000, green: 0xff00, blue: 0xff}, []byte{0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0, 0}},
		{"24 msb", pixelFormat{bpp: 24, pad: 32, msbFirst: true, red: 0xff0000, green: 0xff00, blue: 0xff}, []byte{0x12, 0x34, 0x56, 0xff, 0xff, 0xff, 0, 0}},
	} {
		dst := make([]byte, 8)
		if err := convert(dst, 8, tc.px, 2, 1, tc.f); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := []byte{0x12, 0x34, 0x56, 0xff, 0xff, 0xff, 0xff, 0xff}; string(dst) != string(want) {
			t.Errorf("%s: % x, want % x", tc.name, dst, want)
		}
	}
	// 565: red 0b10000 (16/31), green all ones, blue 0.
	f := pixelFormat{bpp: 16, pad: 32, red: 0xf800, green: 0x07e0, blue: 0x001f}
	dst := make([]byte, 4)
	if err := convert(dst, 4, []byte{0xe0, 0x87, 0, 0}, 1, 1, f); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x84, 0xff, 0, 0xff}; string(dst) != string(want) {
		t.Errorf("565: % x, want % x", dst, want)
	}
	if err := convert(make([]byte, 8), 8, []byte{1, 2, 3}, 2, 1, f); err == nil {
		t.Error("short data accepted")
	}
}

// BenchmarkGrab1080p grabs a 1920×1080 Xvfb screen; the figure is recorded
// in docs/PERFORMANCE.md.
func BenchmarkGrab1080p(b *testing.B) {
	disp := xshottest.StartXvfb(b, "1920x1080x24")
	g, err := Open(disp, os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := g.Grab(); err != nil {
			b.Fatal(err)
		}
	}
}
