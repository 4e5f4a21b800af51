package desktop

import (
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/raster"
	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

func TestNextTickSlowsDownWhenStill(t *testing.T) {
	now := time.Unix(100, 0)
	cases := []struct {
		sinceMove, sinceChange time.Duration
		want                   time.Duration
	}{
		{0, 0, tickFast},
		{fastLinger - time.Millisecond, 0, tickFast},
		{fastLinger, 0, tickAnim}, // only the animation plays
		{time.Minute, idleAfter - time.Second, tickAnim},
		{time.Minute, idleAfter, tickIdle}, // nothing changes: idle
	}
	for _, c := range cases {
		if got := nextTick(now, now.Add(-c.sinceMove), now.Add(-c.sinceChange)); got != c.want {
			t.Errorf("moved %v ago, changed %v ago: tick %v, want %v", c.sinceMove, c.sinceChange, got, c.want)
		}
	}
	if !(tickFast <= 40*time.Millisecond && tickIdle > tickAnim && tickAnim > tickFast) {
		t.Fatal("tick tiers out of order")
	}
}

func TestProbePoints(t *testing.T) {
	// A 20x10 frame with an opaque 6x6 block at the bottom middle.
	w, h := 20, 10
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 4; y < 10; y++ {
		for x := 7; x < 13; x++ {
			img.SetNRGBA(x, y, color.NRGBA{B: 255, A: 255})
		}
	}
	buf := make([]byte, raster.Stride(w)*h)
	raster.ToARGB32(buf, img, false)
	opaque, clear := probePoints(buf, w, h, 1)
	if raster.AlphaAt(buf, w, opaque.X, opaque.Y) != 255 {
		t.Fatalf("opaque point %v is not opaque", opaque)
	}
	if clear.X < 0 {
		t.Fatal("no clear point found")
	}
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			x, y := clear.X+dx, clear.Y+dy
			if x >= 0 && y >= 0 && x < w && y < h && raster.AlphaAt(buf, w, x, y) != 0 {
				t.Fatalf("clear point %v is within 2 px of the robot", clear)
			}
		}
	}
	// HiDPI: device pixels are halved into logical ones.
	o2, c2 := probePoints(buf, w, h, 2)
	if o2 != (image.Point{opaque.X / 2, opaque.Y / 2}) || c2 != (image.Point{clear.X / 2, clear.Y / 2}) {
		t.Fatalf("device scale 2: %v %v", o2, c2)
	}
	// A frame with no empty space reports no clear point.
	full := make([]byte, raster.Stride(4)*4)
	for i := range full {
		full[i] = 0xff
	}
	if _, c := probePoints(full, 4, 4, 1); c.X != -1 {
		t.Fatalf("clear point %v in an opaque frame", c)
	}
}

type fakeSource struct{ img image.Image }

func (f fakeSource) Name() string                  { return "fake" }
func (f fakeSource) Animations() engine.Animations { return nil }
func (f fakeSource) Weights() map[string]float64   { return nil }
func (f fakeSource) Size() image.Point             { return image.Pt(80, 64) }
func (f fakeSource) Frame(string, int, float64) (image.Image, error) {
	if f.img == nil {
		return nil, errors.New("no frame")
	}
	return f.img, nil
}

func TestTrayIconIsSquare(t *testing.T) {
	frame := image.NewNRGBA(image.Rect(0, 0, 32, 26))
	frame.SetNRGBA(0, 0, color.NRGBA{R: 255, A: 255})
	icon := trayIcon(fakeSource{frame}, 32)
	if b := icon.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Fatalf("icon is %v", b)
	}
	// Centred vertically: the frame's top-left pixel lands 3 rows down.
	if _, _, _, a := icon.At(0, 3).RGBA(); a == 0 {
		t.Fatal("frame not centred in the icon")
	}
	if b := trayIcon(fakeSource{}, 16).Bounds(); b.Dx() != 16 || b.Dy() != 16 {
		t.Fatalf("fallback icon is %v", b)
	}
}

func TestSessionBusAddressNeverGuesses(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if addr, err := sessionBusAddress(); err == nil {
		t.Fatalf("found a bus %q where there is none (would auto-launch)", addr)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
	if HaveSessionBus() {
		t.Fatal(`"disabled:" taken for a bus`)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x")
	if addr, err := sessionBusAddress(); err != nil || addr != "unix:path=/x" {
		t.Fatalf("got %q %v", addr, err)
	}
	// A plain file named "bus" is not a socket.
	dir := t.TempDir()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if err := os.WriteFile(filepath.Join(dir, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sessionBusAddress(); err == nil {
		t.Fatal("a regular file was taken for the bus socket")
	}
}

func TestScaleLabelAndClamp(t *testing.T) {
	if scaleLabel(1.5) != "1.5×" || scaleLabel(2) != "2×" {
		t.Fatal(scaleLabel(1.5), scaleLabel(2))
	}
	if clampF(5, 0, 3) != 3 || clampF(-1, 0, 3) != 0 || clampF(1, 4, 2) != 3 {
		t.Fatal("clampF wrong")
	}
}
