// Package xshottest starts private X servers and shows known images on them
// for the screenshot tests.
package xshottest

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/xvfb"
)

// StartXvfb starts an Xvfb with the given screen ("1280x800x24") on a free
// display and returns that display; the server stops when the test ends.
func StartXvfb(t testing.TB, screen string) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("this test needs Xvfb (scripts/deps.sh test)")
	}
	disp, stop, err := xvfb.Start("-screen", "0", screen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return disp
}

// ShowImage maps an override-redirect window at (x, y) whose background is
// img (a 24-bit TrueColor screen is assumed) and waits until the screen
// shows it; the returned connection keeps the window alive.
func ShowImage(t testing.TB, display string, img *image.RGBA, x, y int) *xgb.Conn {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	screen := xproto.Setup(c).DefaultScreen(c)
	if screen.RootDepth != 24 {
		t.Fatalf("want a 24-bit screen, got depth %d", screen.RootDepth)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	pix, err := xproto.NewPixmapId(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreatePixmapChecked(c, 24, pix, xproto.Drawable(screen.Root), uint16(w), uint16(h)).Check(); err != nil {
		t.Fatal(err)
	}
	gc, _ := xproto.NewGcontextId(c)
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(pix), 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	// Little-endian xRGB rows, as Xvfb's 24-bit depth stores them; a few rows per request.
	rows := max(1, 60000/(w*4))
	for y0 := 0; y0 < h; y0 += rows {
		n := min(rows, h-y0)
		data := make([]byte, 0, w*n*4)
		for yy := y0; yy < y0+n; yy++ {
			for xx := 0; xx < w; xx++ {
				p := img.RGBAAt(img.Rect.Min.X+xx, img.Rect.Min.Y+yy)
				data = append(data, p.B, p.G, p.R, 0)
			}
		}
		if err := xproto.PutImageChecked(c, xproto.ImageFormatZPixmap, xproto.Drawable(pix), gc,
			uint16(w), uint16(n), 0, int16(y0), 0, 24, data).Check(); err != nil {
			t.Fatal(err)
		}
	}
	win, _ := xproto.NewWindowId(c)
	if err := xproto.CreateWindowChecked(c, 24, win, screen.Root, int16(x), int16(y), uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, screen.RootVisual, xproto.CwBackPixmap|xproto.CwOverrideRedirect,
		[]uint32{uint32(pix), 1}).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.MapWindowChecked(c, win).Check(); err != nil {
		t.Fatal(err)
	}
	// Wait until the window's corner pixels are on the screen.
	want := img.RGBAAt(img.Rect.Min.X+w-1, img.Rect.Min.Y+h-1)
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		r, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(screen.Root),
			int16(x+w-1), int16(y+h-1), 1, 1, ^uint32(0)).Reply()
		if err == nil && len(r.Data) >= 3 && bytes.Equal(r.Data[:3], []byte{want.B, want.G, want.R}) {
			return c
		}
		if time.Now().After(deadline) || i > 2000 {
			t.Fatal("the test image did not appear on the screen")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Pattern is a w×h image with a distinct colour in every pixel.
func Pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x*4+1), uint8(y*5+2), uint8(x^y), 255
		}
	}
	return img
}

// Diff reports the first pixel where got, read at off, differs from want.
func Diff(got image.Image, off image.Point, want *image.RGBA) error {
	for y := 0; y < want.Rect.Dy(); y++ {
		for x := 0; x < want.Rect.Dx(); x++ {
			r, g, b, _ := got.At(off.X+x, off.Y+y).RGBA()
			w := want.RGBAAt(want.Rect.Min.X+x, want.Rect.Min.Y+y)
			if uint8(r>>8) != w.R || uint8(g>>8) != w.G || uint8(b>>8) != w.B {
				return fmt.Errorf("pixel (%d,%d) = #%02x%02x%02x, want #%02x%02x%02x",
					off.X+x, off.Y+y, r>>8, g>>8, b>>8, w.R, w.G, w.B)
			}
		}
	}
	return nil
}

// StartCompositor runs xcompmgr on display and waits until it owns the
// compositing manager selection; it stops when the test ends.
func StartCompositor(t testing.TB, display string) {
	t.Helper()
	cmd := exec.Command("xcompmgr")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if err := cmd.Start(); err != nil {
		t.Fatalf("this test needs xcompmgr (scripts/deps.sh test): %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	atom, err := xproto.InternAtom(c, false, uint16(len("_NET_WM_CM_S0")), "_NET_WM_CM_S0").Reply()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		if o, err := xproto.GetSelectionOwner(c, atom.Atom).Reply(); err == nil && o.Owner != 0 {
			return
		}
		if time.Now().After(deadline) || i > 2000 {
			t.Fatal("xcompmgr did not take the compositing selection")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
