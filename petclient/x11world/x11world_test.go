package x11world

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/internal/xvfb"
)

// xenv plays the window manager: it creates windows and writes the EWMH
// properties a WM would, on the test's X server.
type xenv struct {
	t    *testing.T
	c    *xgb.Conn
	root xproto.Window
	w, h int
}

func newEnv(t *testing.T) *xenv {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	scr := xproto.Setup(c).DefaultScreen(c)
	e := &xenv{t: t, c: c, root: scr.Root, w: int(scr.WidthInPixels), h: int(scr.HeightInPixels)}
	if e.w < 3200 || e.h < 1200 {
		t.Fatalf("the X server's screen is %dx%d; these tests need 3200x1200 (Xvfb -screen 0 3200x1200x24)", e.w, e.h)
	}
	if err := randr.Init(c); err != nil {
		t.Fatalf("RandR: %v", err)
	}
	// Leave the root as we found it for the next test.
	t.Cleanup(func() {
		for _, p := range []string{"_NET_SUPPORTING_WM_CHECK", "_NET_WORKAREA", "_NET_CURRENT_DESKTOP", "_NET_CLIENT_LIST_STACKING", "_NET_ACTIVE_WINDOW"} {
			xproto.DeleteProperty(c, e.root, e.atom(p))
		}
		e.clearMonitors()
		c.Close()
	})
	return e
}

func (e *xenv) atom(name string) xproto.Atom {
	r, err := xproto.InternAtom(e.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		e.t.Fatalf("intern %s: %v", name, err)
	}
	return r.Atom
}

func (e *xenv) set(win xproto.Window, prop, typ string, vals ...uint32) {
	buf := make([]byte, 4*len(vals))
	for i, v := range vals {
		xgb.Put32(buf[i*4:], v)
	}
	if err := xproto.ChangePropertyChecked(e.c, xproto.PropModeReplace, win, e.atom(prop), e.atom(typ), 32, uint32(len(vals)), buf).Check(); err != nil {
		e.t.Fatalf("set %s: %v", prop, err)
	}
}

func (e *xenv) setAtoms(win xproto.Window, prop string, names ...string) {
	vals := make([]uint32, len(names))
	for i, n := range names {
		vals[i] = uint32(e.atom(n))
	}
	e.set(win, prop, "ATOM", vals...)
}

func (e *xenv) window(x, y, w, h int, mapped bool) xproto.Window {
	id, err := xproto.NewWindowId(e.c)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(e.c, 0, id, e.root, int16(x), int16(y), uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, 0, 0, nil).Check(); err != nil {
		e.t.Fatalf("create window: %v", err)
	}
	if mapped {
		if err := xproto.MapWindowChecked(e.c, id).Check(); err != nil {
			e.t.Fatal(err)
		}
	}
	e.t.Cleanup(func() { xproto.DestroyWindow(e.c, id) })
	return id
}

func (e *xenv) stacking(ids ...xproto.Window) {
	vals := make([]uint32, len(ids))
	for i, id := range ids {
		vals[i] = uint32(id)
	}
	e.set(e.root, "_NET_CLIENT_LIST_STACKING", "WINDOW", vals...)
}

// wmCheck announces a live WM the way EWMH asks.
func (e *xenv) wmCheck() {
	chk := e.window(-10, -10, 1, 1, false)
	e.set(chk, "_NET_SUPPORTING_WM_CHECK", "WINDOW", uint32(chk))
	e.set(e.root, "_NET_SUPPORTING_WM_CHECK", "WINDOW", uint32(chk))
}

// Monitors: A 1920x1080 at the left (taking over the screen's output, so the
// automatic whole-screen monitor goes away), B 1280x1200 to its right.
var monA, monB = engine.Rect{X: 0, Y: 0, W: 1920, H: 1080}, engine.Rect{X: 1920, Y: 0, W: 1280, H: 1200}

func (e *xenv) twoMonitors() {
	cur, err := randr.GetMonitors(e.c, e.root, true).Reply()
	if err != nil {
		e.t.Fatalf("GetMonitors: %v", err)
	}
	var outs []randr.Output
	for _, m := range cur.Monitors {
		outs = append(outs, m.Outputs...)
	}
	for i, r := range []engine.Rect{monA, monB} {
		m := randr.MonitorInfo{Name: e.atom([]string{"TEST-A", "TEST-B"}[i]), Primary: i == 0,
			X: int16(r.X), Y: int16(r.Y), Width: uint16(r.W), Height: uint16(r.H)}
		if i == 0 {
			m.Outputs, m.NOutput = outs, uint16(len(outs))
		}
		if err := randr.SetMonitorChecked(e.c, e.root, m).Check(); err != nil {
			e.t.Fatalf("SetMonitor: %v", err)
		}
	}
}

func (e *xenv) clearMonitors() {
	for _, n := range []string{"TEST-A", "TEST-B"} {
		randr.DeleteMonitor(e.c, e.root, e.atom(n))
	}
	xproto.GetInputFocus(e.c).Reply() // sync
}

func sortedRects(rs []engine.Rect) []engine.Rect {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b engine.Rect) int { return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y)) })
	return out
}

func sortedSurfaces(ss []engine.Surface) []engine.Surface {
	out := slices.Clone(ss)
	slices.SortFunc(out, func(a, b engine.Surface) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.X, b.X))
	})
	return out
}

func open(t *testing.T, opts Options) *World {
	t.Helper()
	w, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(w.Close)
	return w
}

func TestFallbackWithoutWM(t *testing.T) {
	e := newEnv(t)
	e.twoMonitors()
	e.window(100, 300, 800, 400, true) // windows exist, but nobody lists them
	w := open(t, Options{})
	if got, want := sortedRects(w.WorkAreas()), []engine.Rect{monA, monB}; !slices.Equal(got, want) {
		t.Fatalf("work areas without a WM = %v, want the monitors %v", got, want)
	}
	if _, full := w.ActiveFullscreen(); len(w.Surfaces()) != 0 || w.EWMH() || full {
		t.Fatalf("without a WM: surfaces %v, ewmh %v, fullscreen %v; want none", w.Surfaces(), w.EWMH(), full)
	}

	// A dead WM's leftovers (its check window is gone) are ignored.
	win := e.window(100, 300, 800, 400, true)
	e.stacking(win)
	e.set(e.root, "_NET_WORKAREA", "CARDINAL", 0, 100, 3200, 1000)
	e.set(e.root, "_NET_SUPPORTING_WM_CHECK", "WINDOW", 0x7fffff)
	if err := w.Refresh(); err != nil {
		t.Fatal(err)
	}
	if got := sortedRects(w.WorkAreas()); !slices.Equal(got, []engine.Rect{monA, monB}) || len(w.Surfaces()) != 0 {
		t.Fatalf("stale EWMH props used: areas %v surfaces %v", got, w.Surfaces())
	}
	// With the check window alive they count.
	e.wmCheck()
	if err := w.Refresh(); err != nil {
		t.Fatal(err)
	}
	if !w.EWMH() || len(w.Surfaces()) != 1 {
		t.Fatalf("live WM: ewmh %v surfaces %v", w.EWMH(), w.Surfaces())
	}
}

func TestEWMHWindowsAndWorkAreas(t *testing.T) {
	e := newEnv(t)
	e.twoMonitors()
	e.wmCheck()

	desk := e.window(0, 0, 3200, 1200, true)
	e.setAtoms(desk, "_NET_WM_WINDOW_TYPE", "_NET_WM_WINDOW_TYPE_DESKTOP")
	w1 := e.window(100, 330, 800, 400, true)
	e.set(w1, "_NET_FRAME_EXTENTS", "CARDINAL", 2, 2, 30, 2) // frame (98,300)-(902,732)
	hidden := e.window(1000, 500, 400, 300, true)
	e.setAtoms(hidden, "_NET_WM_STATE", "_NET_WM_STATE_HIDDEN")
	unmapped := e.window(1200, 600, 300, 200, false)
	w2 := e.window(500, 200, 300, 300, true) // covers w1's top edge for x 500..800
	csd := e.window(2000, 100, 600, 500, true)
	e.set(csd, "_GTK_FRAME_EXTENTS", "CARDINAL", 20, 20, 10, 30) // visible (2020,110) 560 wide
	pet := e.window(150, 250, 96, 96, true)                      // over w1's edge, but it is us
	dock := e.window(0, 1040, 1920, 40, true)
	e.setAtoms(dock, "_NET_WM_WINDOW_TYPE", "_NET_WM_WINDOW_TYPE_DOCK")
	// Bottom strut of 160 px from the root's bottom (1200) = 40 px on A only.
	e.set(dock, "_NET_WM_STRUT_PARTIAL", "CARDINAL", 0, 0, 0, 160, 0, 0, 0, 0, 0, 0, 0, 1919)
	const gone = xproto.Window(0x3fffff) // listed but destroyed meanwhile
	e.stacking(desk, w1, hidden, unmapped, w2, csd, gone, pet, dock)
	// Desktop 0: the WM's workarea is what the struts explain; desktop 1
	// also has a 30 px bar the struts don't explain (a shell panel).
	e.set(e.root, "_NET_WORKAREA", "CARDINAL", 0, 0, 3200, 1040, 0, 30, 3200, 1010)
	e.set(e.root, "_NET_CURRENT_DESKTOP", "CARDINAL", 0)

	w := open(t, Options{Exclude: []uint32{uint32(pet)}})
	wantA := engine.Rect{X: 0, Y: 0, W: 1920, H: 1040}
	if got := sortedRects(w.WorkAreas()); !slices.Equal(got, []engine.Rect{wantA, monB}) {
		t.Fatalf("work areas %v, want A above its dock %v and B untouched %v", got, wantA, monB)
	}
	want := []engine.Surface{
		{ID: uint64(w1), X: 98, Y: 300, W: 402},
		{ID: uint64(w1), X: 800, Y: 300, W: 102},
		{ID: uint64(w2), X: 500, Y: 200, W: 300},
		{ID: uint64(csd), X: 2020, Y: 110, W: 560},
	}
	if got := sortedSurfaces(w.Surfaces()); !slices.Equal(got, sortedSurfaces(want)) {
		t.Fatalf("surfaces\n got %v\nwant %v", got, sortedSurfaces(want))
	}

	e.set(e.root, "_NET_CURRENT_DESKTOP", "CARDINAL", 1)
	if err := w.Refresh(); err != nil {
		t.Fatal(err)
	}
	wantA, wantB := engine.Rect{X: 0, Y: 30, W: 1920, H: 1010}, engine.Rect{X: 1920, Y: 30, W: 1280, H: 1170}
	if got := sortedRects(w.WorkAreas()); !slices.Equal(got, []engine.Rect{wantA, wantB}) {
		t.Fatalf("with an unexplained top bar: %v, want %v %v", got, wantA, wantB)
	}

	// Fullscreen follows the active window, with its frame (the monitor it
	// covers); a listed but unmapped one does not count, an unlisted one does.
	e.setAtoms(w2, "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")
	e.setAtoms(pet, "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")
	e.setAtoms(unmapped, "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")
	film := e.window(1920, 0, 1280, 1200, true)
	e.setAtoms(film, "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")
	for _, c := range []struct {
		active xproto.Window
		want   bool
		frame  engine.Rect
	}{{w1, false, engine.Rect{}}, {w2, true, engine.Rect{X: 500, Y: 200, W: 300, H: 300}}, {pet, false, engine.Rect{}},
		{unmapped, false, engine.Rect{}}, {film, true, monB}, {0, false, engine.Rect{}}} {
		e.set(e.root, "_NET_ACTIVE_WINDOW", "WINDOW", uint32(c.active))
		if err := w.Refresh(); err != nil {
			t.Fatal(err)
		}
		if frame, got := w.ActiveFullscreen(); got != c.want || (got && frame != c.frame) {
			t.Fatalf("active %#x: fullscreen %v %v, want %v %v", c.active, got, frame, c.want, c.frame)
		}
	}

	// Minimising w2 uncovers w1's whole edge.
	e.setAtoms(w2, "_NET_WM_STATE", "_NET_WM_STATE_HIDDEN")
	if err := w.Refresh(); err != nil {
		t.Fatal(err)
	}
	var w1Segs []engine.Surface
	for _, s := range w.Surfaces() {
		if s.ID == uint64(w1) {
			w1Segs = append(w1Segs, s)
		}
	}
	if len(w1Segs) != 1 || w1Segs[0] != (engine.Surface{ID: uint64(w1), X: 98, Y: 300, W: 804}) {
		t.Fatalf("w1 after hiding w2: %v", w1Segs)
	}

	// Scale 2: everything in logical pixels.
	w2x := open(t, Options{Scale: 2, Exclude: []uint32{uint32(pet)}})
	if got := sortedRects(w2x.WorkAreas()); got[0] != (engine.Rect{X: 0, Y: 15, W: 960, H: 505}) {
		t.Fatalf("scaled work area %v", got[0])
	}
	for _, s := range w2x.Surfaces() {
		if s.ID == uint64(csd) && s != (engine.Surface{ID: uint64(csd), X: 1010, Y: 55, W: 280}) {
			t.Fatalf("scaled surface %v", s)
		}
	}
}

// TestPetOnRealWindows runs the engine on this World: it lands on a window
// and falls when the window moves away.
func TestPetOnRealWindows(t *testing.T) {
	e := newEnv(t)
	e.twoMonitors()
	e.wmCheck()
	win := e.window(200, 600, 900, 300, true)
	e.stacking(win)
	w := open(t, Options{})
	cfg := engine.DefaultConfig()
	pet := engine.New(cfg, rand.New(rand.NewPCG(1, 2)), w)
	pet.Place(600, 300)
	const tick = 40 * time.Millisecond
	for range 50 {
		pet.Step(tick)
	}
	if ps := pet.Pose(); ps.Y != 600 {
		t.Fatalf("pet at %.1f,%.1f (%s), want standing on the window top at y=600", ps.X, ps.Y, ps.State)
	}
	if err := xproto.ConfigureWindowChecked(e.c, win, xproto.ConfigWindowX|xproto.ConfigWindowY, []uint32{1300, 100}).Check(); err != nil {
		t.Fatal(err)
	}
	if err := w.Refresh(); err != nil {
		t.Fatal(err)
	}
	pet.Step(tick)
	if st := pet.Pose().State; st != engine.StateFall {
		t.Fatalf("state %s after the window moved away, want fall", st)
	}
	for range 100 {
		pet.Step(tick)
	}
	if ps := pet.Pose(); ps.Y != monA.H {
		t.Fatalf("pet at y=%.1f, want the floor of monitor A (%v)", ps.Y, monA.H)
	}
}

// TestXineramaMonitors covers servers without RandR 1.5 monitors.
func TestXineramaMonitors(t *testing.T) {
	needXvfb(t)
	disp, stop, err := xvfb.Start("+xinerama", "-screen", "0", "800x600x24", "-screen", "1", "640x480x24")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	w, err := Open(Options{Display: disp})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.randr15, w.xinerama = false, true // force the Xinerama path even if RandR answers
	if err := w.Refresh(); err != nil {
		t.Fatal(err)
	}
	// Xvfb puts every Xinerama screen at the origin; the sizes tell them apart.
	got := w.WorkAreas()
	if len(got) != 2 || got[0] != (engine.Rect{W: 800, H: 600}) || got[1] != (engine.Rect{W: 640, H: 480}) {
		t.Fatalf("xinerama work areas %v, want the two screens 800x600 and 640x480", got)
	}
}

func BenchmarkRefresh(b *testing.B) {
	c, err := xgb.NewConn()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	var ids []uint32
	for i := range 40 {
		id, _ := xproto.NewWindowId(c)
		xproto.CreateWindow(c, 0, id, root, int16(40*i), int16(20*i), 500, 400, 0, xproto.WindowClassInputOutput, 0, 0, nil)
		xproto.MapWindow(c, id)
		defer xproto.DestroyWindow(c, id)
		ids = append(ids, uint32(id))
	}
	atom := func(n string) xproto.Atom {
		r, _ := xproto.InternAtom(c, false, uint16(len(n)), n).Reply()
		return r.Atom
	}
	buf := make([]byte, 4*len(ids))
	for i, id := range ids {
		xgb.Put32(buf[i*4:], id)
	}
	prop := atom("_NET_CLIENT_LIST_STACKING")
	xproto.ChangeProperty(c, xproto.PropModeReplace, root, prop, atom("WINDOW"), 32, uint32(len(ids)), buf)
	defer xproto.DeleteProperty(c, root, prop)
	w, err := Open(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if len(w.Surfaces()) == 0 {
		b.Fatal("no surfaces: the benchmark would measure nothing")
	}
	for b.Loop() {
		if err := w.Refresh(); err != nil {
			b.Fatal(err)
		}
	}
}
