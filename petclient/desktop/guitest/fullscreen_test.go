//go:build gui

package guitest

import (
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

// TestFullscreenHides: a fullscreen window made active (as a window manager
// would mark a film) hides the pet; closing it brings the pet back.
func TestFullscreenHides(t *testing.T) {
	s := startX(t, true)
	p := s.startPet(nil, "--pets", "1", "--no-chat")
	c, err := xgb.NewConnDisplay(s.display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	atom := func(name string) xproto.Atom {
		r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
		if err != nil {
			t.Fatal(err)
		}
		return r.Atom
	}
	film, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	if err := xproto.CreateWindowChecked(c, 0, film, root, 0, 0, screen.WidthInPixels, screen.HeightInPixels, 0,
		xproto.WindowClassInputOutput, 0, xproto.CwBackPixel, []uint32{0x202020}).Check(); err != nil {
		t.Fatal(err)
	}
	set32 := func(win xproto.Window, prop, typ xproto.Atom, v uint32) {
		b := make([]byte, 4)
		xgb.Put32(b, v)
		if err := xproto.ChangePropertyChecked(c, xproto.PropModeReplace, win, prop, typ, 32, 1, b).Check(); err != nil {
			t.Fatal(err)
		}
	}
	set32(film, atom("_NET_WM_STATE"), xproto.AtomAtom, uint32(atom("_NET_WM_STATE_FULLSCREEN")))
	if err := xproto.MapWindowChecked(c, film).Check(); err != nil {
		t.Fatal(err)
	}
	set32(root, atom("_NET_ACTIVE_WINDOW"), xproto.AtomWindow, uint32(film))

	p.waitState("the pet to hide under the fullscreen window", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && !st.Pets[0].Visible
	})
	if out := s.run(nil, "sh", "-c", "xdotool search --onlyvisible --name '^Tachikoma$' || true"); out != "" {
		t.Fatalf("the pet's window is still mapped: %s", out)
	}

	if err := xproto.DestroyWindowChecked(c, film).Check(); err != nil {
		t.Fatal(err)
	}
	p.waitState("the pet to come back", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && st.Pets[0].Visible
	})
}
