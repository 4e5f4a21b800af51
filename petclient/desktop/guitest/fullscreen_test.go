//go:build gui

package guitest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// TestFullscreenHides: a fullscreen window made active (as a window manager
// would mark a film) hides the pet; closing it brings the pet back.
func TestFullscreenHides(t *testing.T) {
	s := startX(t, true)
	p := s.startPet(nil, "--pets", "1", "--no-chat")
	x := dialX(t, s)
	film := x.fullscreenWindow()

	p.waitState("the pet to hide under the fullscreen window", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && !st.Pets[0].Visible
	})
	if out := s.run(nil, "sh", "-c", "xdotool search --onlyvisible --name '^Tachikoma$' || true"); out != "" {
		t.Fatalf("the pet's window is still mapped: %s", out)
	}

	x.destroy(film)
	p.waitState("the pet to come back", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && st.Pets[0].Visible
	})
}

// TestFullscreenFades: with fullscreen_style: fade the pet stays in view,
// translucent, and takes no clicks (an empty input shape) until the
// fullscreen window closes.
func TestFullscreenFades(t *testing.T) {
	s := startX(t, true)
	cfg := filepath.Join(s.dir, "config", "tachikoma")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "settings.yaml"), []byte("fullscreen_style: fade\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := s.startPet(nil, "--pets", "1", "--no-chat")
	x := dialX(t, s)
	pet := xproto.Window(p.read().Pets[0].XID)
	if n := x.inputRects(pet); n == 0 {
		t.Fatal("before any fullscreen window the pet already takes no clicks")
	}
	film := x.fullscreenWindow()
	x.raise(pet) // keep-above, as a window manager would honour it
	st := p.waitState("the pet to fade", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && st.Pets[0].Faded
	})
	if !st.Pets[0].Visible {
		t.Fatal("a faded pet must stay visible")
	}
	if n := x.inputRects(pet); n != 0 {
		t.Errorf("the faded pet still takes clicks: %d input rectangles", n)
	}
	if d := maxFromFilm(t, p); d > 90 {
		t.Errorf("the faded pet is drawn solid: a pixel %d away from the film's colour", d)
	}

	x.destroy(film)
	p.waitState("the pet to be solid again", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && st.Pets[0].Visible && !st.Pets[0].Faded
	})
	waitFor(t, 5*time.Second, "clicks to reach the pet again", func() bool { return x.inputRects(pet) > 0 })
	waitFor(t, 10*time.Second, "the pet drawn solid again", func() bool { return maxFromFilm(t, p) > 120 })
}

// filmColour is the fullscreen window's background.
var filmColour = [3]int{0x20, 0x20, 0x20}

// maxFromFilm is how far the pet's pixels get from the film's colour (the
// largest channel difference): 30% opacity keeps it under 0.3*255.
func maxFromFilm(t *testing.T, p *pet) int {
	t.Helper()
	pe, img := stillShot(t, p)
	most := 0
	for y := pe.WinY; y < pe.WinY+pe.H; y++ {
		for x := pe.WinX; x < pe.WinX+pe.W; x++ {
			c := img.RGBAAt(x, y)
			for i, v := range []int{int(c.R), int(c.G), int(c.B)} {
				most = max(most, abs(v-filmColour[i]))
			}
		}
	}
	return most
}

func abs(v int) int { return max(v, -v) }

// xconn is the test's own X connection, playing the window manager's part.
type xconn struct {
	t    *testing.T
	c    *xgb.Conn
	root xproto.Window
	w, h uint16
}

func dialX(t *testing.T, s *xsession) *xconn {
	t.Helper()
	c, err := xgb.NewConnDisplay(s.display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := shape.Init(c); err != nil {
		t.Fatal(err)
	}
	scr := xproto.Setup(c).DefaultScreen(c)
	return &xconn{t: t, c: c, root: scr.Root, w: scr.WidthInPixels, h: scr.HeightInPixels}
}

func (x *xconn) atom(name string) xproto.Atom {
	r, err := xproto.InternAtom(x.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		x.t.Fatal(err)
	}
	return r.Atom
}

func (x *xconn) set32(win xproto.Window, prop, typ xproto.Atom, v uint32) {
	b := make([]byte, 4)
	xgb.Put32(b, v)
	if err := xproto.ChangePropertyChecked(x.c, xproto.PropModeReplace, win, prop, typ, 32, 1, b).Check(); err != nil {
		x.t.Fatal(err)
	}
}

// fullscreenWindow maps a screen-sized window marked fullscreen and makes
// it the active window.
func (x *xconn) fullscreenWindow() xproto.Window {
	film, err := xproto.NewWindowId(x.c)
	if err != nil {
		x.t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(x.c, 0, film, x.root, 0, 0, x.w, x.h, 0,
		xproto.WindowClassInputOutput, 0, xproto.CwBackPixel, []uint32{0x202020}).Check(); err != nil {
		x.t.Fatal(err)
	}
	x.set32(film, x.atom("_NET_WM_STATE"), xproto.AtomAtom, uint32(x.atom("_NET_WM_STATE_FULLSCREEN")))
	if err := xproto.MapWindowChecked(x.c, film).Check(); err != nil {
		x.t.Fatal(err)
	}
	x.set32(x.root, x.atom("_NET_ACTIVE_WINDOW"), xproto.AtomWindow, uint32(film))
	return film
}

func (x *xconn) destroy(win xproto.Window) {
	if err := xproto.DestroyWindowChecked(x.c, win).Check(); err != nil {
		x.t.Fatal(err)
	}
}

func (x *xconn) raise(win xproto.Window) {
	if err := xproto.ConfigureWindowChecked(x.c, win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove}).Check(); err != nil {
		x.t.Fatal(err)
	}
}

// inputRects counts the rectangles of win's input shape (0: no clicks).
func (x *xconn) inputRects(win xproto.Window) int {
	r, err := shape.GetRectangles(x.c, win, shape.SkInput).Reply()
	if err != nil {
		x.t.Fatal(err)
	}
	return int(r.RectanglesLen)
}
