package desktop

import (
	"math"
	"time"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/gesture"
)

// petWindow is one pet on screen: a borderless, never-focused window exactly
// the size of the current frame, cut to the robot's outline.
type petWindow struct {
	app   *App
	id    int
	model Model
	win   *gtk.Window

	cur        *frame // frame shown (nil before the first sync)
	winX, winY int
	placed     bool // moved at least once
	visible    bool
	fullscreen bool // a fullscreen window covers its monitor: hidden
	faded      bool // ... and the settings fade it instead
	xid        uint32
	pose       Pose

	drag     gesture.Tracker
	dblClick bool // the release after a double click is not a poke
}

func newPetWindow(a *App, id int, m Model) *petWindow {
	p := &petWindow{app: a, id: id, model: m}
	p.drag.Threshold = float64(a.dragThreshold)
	p.build()
	return p
}

// NewOverlayWindow makes a window that floats over the desktop the way the
// pet does (its speech bubbles too): undecorated, above others, on every
// workspace, out of taskbars and pagers, never focused, painted by the app
// and, on a composited screen, with an RGBA visual. UTILITY: managed (so
// "keep above" and "stick" apply) but never in task switchers; WMs do not
// give it focus when focus-on-map is off.
func NewOverlayWindow(title string, composited bool) (*gtk.Window, error) {
	win, err := gtk.WindowNew(gtk.WINDOW_TOPLEVEL)
	if err != nil {
		return nil, err
	}
	win.SetTitle(title)
	win.SetDecorated(false)
	win.SetResizable(false)
	win.SetKeepAbove(true)
	win.SetSkipTaskbarHint(true)
	win.SetSkipPagerHint(true)
	win.Stick()
	win.SetAcceptFocus(false)
	win.SetFocusOnMap(false)
	win.SetTypeHint(gdk.WINDOW_TYPE_HINT_UTILITY)
	win.SetAppPaintable(true)
	if composited {
		if s, err := gdk.ScreenGetDefault(); err == nil {
			if v, err := s.GetRGBAVisual(); err == nil && v != nil {
				win.SetVisual(v)
			}
		}
	}
	return win, nil
}

// build creates the GTK window; also used to recreate it when the
// compositor comes or goes (the visual can only be set before realising).
func (p *petWindow) build() {
	win, err := NewOverlayWindow("Tachikoma", p.app.composited)
	if err != nil {
		p.app.log.Error("cannot create pet window", "err", err)
		return
	}
	p.win = win
	win.AddEvents(int(gdk.BUTTON_PRESS_MASK | gdk.BUTTON_RELEASE_MASK | gdk.BUTTON1_MOTION_MASK))
	win.SetDefaultSize(1, 1)

	connectDraw(&win.Widget)
	// Realise now: frames are built next to this window in the X server,
	// and the window id is known before the first map.
	win.Realize()
	p.xid = xid(&win.Widget)
	win.Connect("button-press-event", p.onPress)
	win.Connect("button-release-event", p.onRelease)
	win.Connect("motion-notify-event", p.onMotion)
	win.Connect("grab-broken-event", func() bool { p.drag.Cancel(); return false })
	win.Connect("delete-event", func() bool { return true }) // only the menu dismisses a pet
	win.Connect("realize", func() {
		p.xid = xid(&p.win.Widget)
		p.app.updateExclude()
	})
	win.Connect("notify::scale-factor", func() { p.cur = nil; p.sync(true) })
	// Files dropped on a pet go to whoever asked (the sprite importer);
	// no highlight: it would frame the transparent window.
	if uris, err := gtk.TargetEntryNew("text/uri-list", 0, 0); err == nil {
		win.DragDestSet(gtk.DEST_DEFAULT_MOTION|gtk.DEST_DEFAULT_DROP, []gtk.TargetEntry{*uris}, gdk.ACTION_COPY)
		win.Connect("drag-data-received", func(_, _ any, _, _ int, sel *gtk.SelectionData) {
			list := string(sel.GetData())
			for _, f := range p.app.onDrop {
				f(list)
			}
		})
	}
}

// destroy closes the window for good.
func (p *petWindow) destroy() {
	if p.win != nil {
		p.win.Destroy()
		p.win = nil
	}
	p.xid = 0
}

// rebuild recreates the window in place (same pet, same pose).
func (p *petWindow) rebuild() {
	p.destroy()
	p.cur, p.placed, p.visible = nil, false, false
	p.build()
	p.app.updateExclude()
	p.sync(true)
}

// sync shows the model's pose: a new frame only when frame, flip or scale
// changed, a move only when the position changed. It reports what changed.
func (p *petWindow) sync(force bool) (moved, redrawn bool) {
	if p.win == nil {
		return false, false
	}
	pose := p.model.Pose()
	p.pose = pose
	dev := p.win.GetScaleFactor()
	if dev < 1 {
		dev = 1
	}
	key := frameKey{anim: pose.Anim, idx: pose.Frame, scale: p.app.scaleKey(), dev: dev, flip: pose.Flip, zzz: pose.Zzz}
	if force || p.cur == nil || p.cur.key != key {
		f, err := p.app.cache.get(key, &p.win.Widget)
		if err != nil {
			p.app.frameError(key, err)
		} else {
			p.setFrame(f)
			redrawn = true
		}
	}
	if p.cur == nil {
		return false, redrawn
	}
	// The frame sits bottom-centre in the engine's sprite box, so a
	// smaller frame or one with sleep marks above still stands on the floor.
	x := int(math.Round(pose.Box.X + (pose.Box.W-float64(p.cur.w))/2))
	y := int(math.Round(pose.Box.Y + pose.Box.H - float64(p.cur.h)))
	if force || !p.placed || x != p.winX || y != p.winY {
		p.win.Move(x, y)
		p.winX, p.winY, p.placed = x, y, true
		moved = true
	}
	want := !pose.Hidden
	if want != p.visible {
		p.visible = want
		if want {
			p.win.ShowAll()
			// Mapping re-applies nothing of the shape by itself on every
			// WM; set it again now the window exists on the server.
			p.applyShape()
		} else {
			p.win.Hide()
		}
		redrawn = true
	}
	return moved, redrawn
}

func (p *petWindow) setFrame(f *frame) {
	old := p.cur
	p.cur = f
	if old == nil || old.w != f.w || old.h != f.h {
		p.win.SetSizeRequest(f.w, f.h)
		p.win.Resize(f.w, f.h)
	}
	if old == nil || old.shape != f.shape {
		p.applyShape()
	}
	setFrameSurface(&p.win.Widget, f.surf)
}

// applyShape limits input (always) and, without a compositor, the visible
// window to the robot's pixels, so clicks beside it reach the window below
// and there is never a black box around it.
func (p *petWindow) applyShape() {
	if p.cur == nil || p.win == nil {
		return
	}
	w := &p.win.Widget
	if p.faded {
		setInputShape(w, emptyRegion)
	} else {
		setInputShape(w, p.cur.shape)
	}
	if !p.app.composited {
		setShape(w, p.cur.shape)
	} else {
		setShape(w, region{})
	}
}

// fadedOpacity (%) keeps a faded pet in view without hiding the film.
const fadedOpacity = 30

// applyFade makes the window translucent and lets every click through
// while faded, and undoes both after.
func (p *petWindow) applyFade() {
	if p.win == nil {
		return
	}
	if p.faded {
		setFaded(&p.win.Widget, fadedOpacity)
	} else {
		setFaded(&p.win.Widget, 0)
	}
	p.applyShape()
}

// --- input ---

func (p *petWindow) onPress(_ *gtk.Window, ev *gdk.Event) bool {
	b := gdk.EventButtonNewFromEvent(ev)
	p.app.noteInput()
	switch {
	case b.Button() == gdk.BUTTON_PRIMARY && b.Type() == gdk.EVENT_2BUTTON_PRESS:
		p.dblClick = true
		p.model.Joy()
		p.app.log.Debug("pet double click", "pet", p.id)
	case b.Button() == gdk.BUTTON_PRIMARY && b.Type() == gdk.EVENT_BUTTON_PRESS:
		p.drag.Press(b.XRoot(), b.YRoot(), time.Now())
		p.model.Attention()
	case b.Button() == gdk.BUTTON_SECONDARY && b.Type() == gdk.EVENT_BUTTON_PRESS:
		p.drag.Cancel()
		p.app.popupPetMenu(p, ev)
	}
	return true
}

func (p *petWindow) onMotion(_ *gtk.Window, ev *gdk.Event) bool {
	m := gdk.EventMotionNewFromEvent(ev)
	x, y := m.MotionValRoot()
	e := p.drag.Motion(x, y, time.Now())
	switch e.Kind {
	case gesture.DragStart:
		p.app.noteInput()
		p.model.DragStart(e.X, e.Y, evTime(m.Time()))
	case gesture.DragMove:
		p.app.noteInput()
		p.model.DragMove(e.X, e.Y, evTime(m.Time()))
	default:
		return true
	}
	// Follow the pointer now rather than on the next tick: dragging must
	// feel attached.
	p.sync(false)
	return true
}

func (p *petWindow) onRelease(_ *gtk.Window, ev *gdk.Event) bool {
	b := gdk.EventButtonNewFromEvent(ev)
	if b.Button() != gdk.BUTTON_PRIMARY {
		return true
	}
	p.app.noteInput()
	e := p.drag.Release(b.XRoot(), b.YRoot(), time.Now())
	switch e.Kind {
	case gesture.Click:
		if p.dblClick {
			p.dblClick = false
			return true
		}
		p.model.Poke()
	case gesture.DragEnd:
		p.dblClick = false
		p.model.DragEnd(e.X, e.Y, evTime(b.Time()))
		p.app.log.Debug("pet thrown", "pet", p.id, "vx", e.VX, "vy", e.VY)
	}
	p.sync(false)
	return true
}

// evTime turns an X server timestamp (ms) into the engine's drag clock.
func evTime(ms uint32) time.Duration { return time.Duration(ms) * time.Millisecond }
