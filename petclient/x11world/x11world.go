// Package x11world implements engine.World on X11 with the pure-Go xgb
// client, on its own connection (GTK keeps its own).
//
// Refresh reads everything in one pipelined burst; WorkAreas, Surfaces and
// ActiveFullscreen return the values of the last Refresh, so the
// engine can call them every tick for free. Drive Refresh from a timer
// (e.g. every 500 ms).
//
// Monitors come from RandR 1.5 (GetMonitors), else Xinerama, else the root
// window. Work areas: each monitor minus the struts (_NET_WM_STRUT_PARTIAL,
// or _NET_WM_STRUT) of the mapped client windows that touch it, which is
// exact per monitor. _NET_WORKAREA is one rectangle for the whole screen and
// over-cuts monitors that do not reach the edge a panel sits on, so only its
// edges that reserve more than the struts explain are applied (to every
// monitor): space taken by a panel that is not a client window, like the
// GNOME Shell top bar.
//
// Surfaces are the top edges of the frames of the windows in
// _NET_CLIENT_LIST_STACKING (client geometry in root coordinates grown by
// _NET_FRAME_EXTENTS, shrunk by _GTK_FRAME_EXTENTS for client-side
// decorations), skipping unmapped and _NET_WM_STATE_HIDDEN windows, docks,
// desktops and the excluded (the pet's own) windows, and cut where a higher
// window in the stacking order covers them.
//
// Without an EWMH window manager (no _NET_* properties on the root, or a
// _NET_SUPPORTING_WM_CHECK window that no longer exists) the work areas are
// the monitors and there are no surfaces.
package x11world

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// Options for Open.
type Options struct {
	Display string   // X display, "" for $DISPLAY
	Scale   float64  // device pixels per logical pixel (the GDK scale factor); 0 means 1
	Exclude []uint32 // X window ids never reported as surfaces (the pet's own windows)
}

// World is an engine.World backed by an X server. Its methods are safe to
// call from several goroutines; Refresh calls are serialised.
type World struct {
	conn     *xgb.Conn
	root     xproto.Window
	scale    float64
	atoms    atoms
	randr15  bool
	xinerama bool

	refreshMu sync.Mutex // one Refresh at a time

	mu         sync.Mutex // guards everything below
	exclude    map[xproto.Window]bool
	monitors   []engine.Rect
	areas      []engine.Rect
	surfaces   []engine.Surface
	fullscreen engine.Rect // the active window's frame when it is fullscreen
	full       bool
	ewmh       bool
}

var _ engine.World = (*World)(nil)

var quietXGB sync.Once

// Open connects to the X server and does a first Refresh.
func Open(opts Options) (*World, error) {
	// xgb prints to stderr ("Could not get authority info" on every start
	// without an Xauthority file): route it to our log at debug level.
	quietXGB.Do(func() { xgb.Logger = slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug) })
	conn, err := xgb.NewConnDisplay(opts.Display)
	if err != nil {
		return nil, fmt.Errorf("x11world: connect to X display %q: %w", opts.Display, err)
	}
	w := &World{
		conn:  conn,
		root:  xproto.Setup(conn).DefaultScreen(conn).Root,
		scale: opts.Scale,
	}
	if !(w.scale > 0) {
		w.scale = 1
	}
	w.SetExclude(opts.Exclude...)
	if err := w.atoms.intern(conn); err != nil {
		conn.Close()
		return nil, err
	}
	if randr.Init(conn) == nil {
		if v, err := randr.QueryVersion(conn, 1, 5).Reply(); err == nil &&
			(v.MajorVersion > 1 || v.MajorVersion == 1 && v.MinorVersion >= 5) {
			w.randr15 = true
		}
	}
	if xinerama.Init(conn) == nil {
		if r, err := xinerama.IsActive(conn).Reply(); err == nil && r.State != 0 {
			w.xinerama = true
		}
	}
	if err := w.Refresh(); err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

// Close closes the X connection.
func (w *World) Close() { w.conn.Close() }

// SetExclude replaces the set of windows never reported as surfaces (call it
// again when the pet's windows are re-created).
func (w *World) SetExclude(ids ...uint32) {
	m := make(map[xproto.Window]bool, len(ids))
	for _, id := range ids {
		m[xproto.Window(id)] = true
	}
	w.mu.Lock()
	w.exclude = m
	w.mu.Unlock()
}

// WorkAreas returns the usable area of each monitor, in logical pixels, as
// of the last Refresh. The slice must not be modified.
func (w *World) WorkAreas() []engine.Rect {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.areas
}

// Surfaces returns the visible window top edges as of the last Refresh. The
// slice must not be modified.
func (w *World) Surfaces() []engine.Surface {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.surfaces
}

// Monitors returns the monitor rectangles (logical pixels) of the last Refresh.
func (w *World) Monitors() []engine.Rect {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.monitors
}

// ActiveFullscreen returns the frame of the active window (_NET_ACTIVE_WINDOW)
// when it had _NET_WM_STATE_FULLSCREEN at the last Refresh, in logical pixels:
// the monitor it covers.
func (w *World) ActiveFullscreen() (engine.Rect, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fullscreen, w.full
}

// EWMH reports whether the last Refresh found an EWMH window manager.
func (w *World) EWMH() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ewmh
}

// Refresh re-reads monitors, work areas and windows. On error the previous
// values stay in place; an error means the connection is unusable.
func (w *World) Refresh() error {
	w.refreshMu.Lock()
	defer w.refreshMu.Unlock()
	w.mu.Lock()
	exclude := w.exclude
	w.mu.Unlock()

	rootGeo, err := xproto.GetGeometry(w.conn, xproto.Drawable(w.root)).Reply()
	if err != nil {
		return fmt.Errorf("x11world: root geometry: %w", err)
	}
	rootRect := irect{0, 0, int(rootGeo.Width), int(rootGeo.Height)}
	mons := w.readMonitors(rootRect)

	r := w.readRoot()
	ewmh := r.ewmh()
	var wins []window
	if ewmh && len(r.stacking) > 0 {
		wins = w.readWindows(r.stacking, exclude)
	}

	areas := workAreas(mons, rootRect, r, wins, ewmh)
	var surfaces []engine.Surface
	if ewmh {
		surfaces = topEdges(wins)
	}
	var full bool
	var fullRect irect
	if ewmh && r.active != 0 && !exclude[r.active] {
		fullRect, full = w.fullscreenFrame(r.active, wins)
	}

	s := w.scale
	lmons := make([]engine.Rect, len(mons))
	for i, m := range mons {
		lmons[i] = m.logical(s)
	}
	lareas := make([]engine.Rect, 0, len(areas))
	for _, a := range areas {
		lareas = append(lareas, a.logical(s))
	}
	for i := range surfaces {
		surfaces[i].X /= s
		surfaces[i].Y /= s
		surfaces[i].W /= s
	}
	w.mu.Lock()
	w.monitors, w.areas, w.surfaces, w.fullscreen, w.full, w.ewmh = lmons, lareas, surfaces, fullRect.logical(s), full, ewmh
	w.mu.Unlock()
	return nil
}

// irect is a rectangle in device pixels.
type irect struct{ x, y, w, h int }

func (r irect) empty() bool { return r.w <= 0 || r.h <= 0 }

func (r irect) intersect(o irect) irect {
	x0, y0 := max(r.x, o.x), max(r.y, o.y)
	x1, y1 := min(r.x+r.w, o.x+o.w), min(r.y+r.h, o.y+o.h)
	return irect{x0, y0, x1 - x0, y1 - y0}
}

func (r irect) logical(s float64) engine.Rect {
	return engine.Rect{X: float64(r.x) / s, Y: float64(r.y) / s, W: float64(r.w) / s, H: float64(r.h) / s}
}

func (w *World) readMonitors(root irect) []irect {
	var mons []irect
	if w.randr15 {
		if r, err := randr.GetMonitors(w.conn, w.root, true).Reply(); err == nil {
			for _, m := range r.Monitors {
				mons = append(mons, irect{int(m.X), int(m.Y), int(m.Width), int(m.Height)})
			}
		}
	}
	mons = slices.DeleteFunc(mons, irect.empty)
	if len(mons) == 0 && w.xinerama {
		if r, err := xinerama.QueryScreens(w.conn).Reply(); err == nil {
			for _, s := range r.ScreenInfo {
				mons = append(mons, irect{int(s.XOrg), int(s.YOrg), int(s.Width), int(s.Height)})
			}
		}
	}
	mons = slices.DeleteFunc(mons, irect.empty)
	if len(mons) == 0 {
		mons = []irect{root}
	}
	return mons
}

// rootProps is what the window manager publishes on the root window.
type rootProps struct {
	haveCheck, checkAlive bool
	haveAny               bool // any EWMH property at all
	workarea              []uint32
	desktop               uint32
	stacking              []xproto.Window
	active                xproto.Window
}

// ewmh: some EWMH property is present and the WM check window, if
// announced, still exists (otherwise the properties are a dead WM's leftovers).
func (r rootProps) ewmh() bool { return r.haveAny && (!r.haveCheck || r.checkAlive) }

func (w *World) readRoot() rootProps {
	a := &w.atoms
	get := func(prop xproto.Atom, n uint32) xproto.GetPropertyCookie {
		return xproto.GetProperty(w.conn, false, w.root, prop, xproto.GetPropertyTypeAny, 0, n)
	}
	cCheck := get(a.supportingWMCheck, 1)
	cWork := get(a.workarea, 4*64)
	cDesk := get(a.currentDesktop, 1)
	cStack := get(a.clientListStacking, 4096)
	cActive := get(a.activeWindow, 1)

	var r rootProps
	if v, ok := cards(cCheck); ok && len(v) > 0 {
		r.haveCheck, r.haveAny = true, true
		// The check window must exist and point at itself.
		cc := xproto.GetProperty(w.conn, false, xproto.Window(v[0]), a.supportingWMCheck, xproto.GetPropertyTypeAny, 0, 1)
		if v2, ok := cards(cc); ok && len(v2) > 0 && v2[0] == v[0] {
			r.checkAlive = true
		}
	}
	if v, ok := cards(cWork); ok && len(v) >= 4 {
		r.workarea, r.haveAny = v, true
	}
	if v, ok := cards(cDesk); ok && len(v) > 0 {
		r.desktop = v[0]
	}
	if v, ok := cards(cStack); ok {
		r.haveAny = true
		for _, id := range v {
			r.stacking = append(r.stacking, xproto.Window(id))
		}
	}
	if v, ok := cards(cActive); ok && len(v) > 0 {
		r.active, r.haveAny = xproto.Window(v[0]), true
	}
	return r
}

// netWorkarea returns _NET_WORKAREA for the current desktop.
func (r rootProps) netWorkarea() (irect, bool) {
	if len(r.workarea) < 4 {
		return irect{}, false
	}
	i := int(r.desktop) * 4
	if i+4 > len(r.workarea) {
		i = 0
	}
	v := r.workarea[i : i+4]
	return irect{int(int32(v[0])), int(int32(v[1])), int(v[2]), int(v[3])}, true
}

// cards reads a 32-bit property; ok is false when it is absent or on error.
func cards(c xproto.GetPropertyCookie) ([]uint32, bool) {
	r, err := c.Reply()
	if err != nil || r == nil || r.Format != 32 || r.Type == xproto.AtomNone {
		return nil, false
	}
	n := len(r.Value) / 4
	out := make([]uint32, n)
	for i := range n {
		out[i] = xgb.Get32(r.Value[i*4:])
	}
	return out, true
}

// window is one client window as read by Refresh.
type window struct {
	id       xproto.Window
	frame    irect // visible frame in root coordinates
	visible  bool  // mapped and not hidden
	skip     bool  // dock, desktop or excluded: no surface
	cover    bool  // hides what is below it
	full     bool  // _NET_WM_STATE_FULLSCREEN
	strut    [12]uint32
	hasStrut bool
}

type winCookies struct {
	attr                              xproto.GetWindowAttributesCookie
	geo                               xproto.GetGeometryCookie
	tr                                xproto.TranslateCoordinatesCookie
	state, wtype, frame, gtk, sp, str xproto.GetPropertyCookie
}

// readWindows queries all windows in one pipelined burst (requests first,
// then replies) so a refresh costs about one round trip. Windows that vanish
// meanwhile just drop out.
func (w *World) readWindows(ids []xproto.Window, exclude map[xproto.Window]bool) []window {
	a := &w.atoms
	prop := func(id xproto.Window, p xproto.Atom, n uint32) xproto.GetPropertyCookie {
		return xproto.GetProperty(w.conn, false, id, p, xproto.GetPropertyTypeAny, 0, n)
	}
	cs := make([]winCookies, len(ids))
	for i, id := range ids {
		cs[i] = winCookies{
			attr:  xproto.GetWindowAttributes(w.conn, id),
			geo:   xproto.GetGeometry(w.conn, xproto.Drawable(id)),
			tr:    xproto.TranslateCoordinates(w.conn, id, w.root, 0, 0),
			state: prop(id, a.wmState, 32),
			wtype: prop(id, a.wmWindowType, 32),
			frame: prop(id, a.frameExtents, 4),
			gtk:   prop(id, a.gtkFrameExtents, 4),
			sp:    prop(id, a.strutPartial, 12),
			str:   prop(id, a.strut, 4),
		}
	}
	out := make([]window, 0, len(ids))
	for i, id := range ids {
		c := cs[i]
		attr, errA := c.attr.Reply()
		geo, errG := c.geo.Reply()
		tr, errT := c.tr.Reply()
		state, _ := atomsOf(c.state)
		types, _ := atomsOf(c.wtype)
		fe, _ := cards(c.frame)
		ge, _ := cards(c.gtk)
		sp, hasSP := cards(c.sp)
		st, hasST := cards(c.str)
		if errA != nil || errG != nil || errT != nil {
			continue // destroyed since the list was read
		}
		win := window{id: id}
		win.visible = attr.MapState == xproto.MapStateViewable && !slices.Contains(state, a.wmStateHidden)
		win.full = slices.Contains(state, a.wmStateFullscreen)
		dock := slices.Contains(types, a.typeDock)
		desktop := slices.Contains(types, a.typeDesktop)
		win.skip = dock || desktop || exclude[id]
		win.cover = win.visible && !desktop && !exclude[id]
		bw := int(geo.BorderWidth)
		f := irect{int(tr.DstX) - bw, int(tr.DstY) - bw, int(geo.Width) + 2*bw, int(geo.Height) + 2*bw}
		if len(fe) == 4 { // left, right, top, bottom
			f = irect{f.x - int(fe[0]), f.y - int(fe[2]), f.w + int(fe[0]+fe[1]), f.h + int(fe[2]+fe[3])}
		}
		if len(ge) == 4 { // invisible CSD shadow margins
			f = irect{f.x + int(ge[0]), f.y + int(ge[2]), f.w - int(ge[0]+ge[1]), f.h - int(ge[2]+ge[3])}
		}
		win.frame = f
		switch {
		case hasSP && len(sp) == 12:
			win.hasStrut = true
			copy(win.strut[:], sp)
		case hasST && len(st) == 4:
			// Old-style strut: whole edges.
			win.hasStrut = true
			copy(win.strut[:4], st)
			win.strut[5], win.strut[7], win.strut[9], win.strut[11] = 1<<31, 1<<31, 1<<31, 1<<31
		}
		out = append(out, win)
	}
	return out
}

func atomsOf(c xproto.GetPropertyCookie) ([]xproto.Atom, bool) {
	v, ok := cards(c)
	out := make([]xproto.Atom, len(v))
	for i, x := range v {
		out[i] = xproto.Atom(x)
	}
	return out, ok
}

// workAreas applies the strut/_NET_WORKAREA rule from the package doc.
func workAreas(mons []irect, root irect, r rootProps, wins []window, ewmh bool) []irect {
	areas := slices.Clone(mons)
	if !ewmh {
		return areas
	}
	var left, right, top, bottom int
	for _, win := range wins {
		if !win.visible || !win.hasStrut {
			continue
		}
		s := win.strut
		// Reserved rectangles in root coordinates, per the EWMH spec.
		res := [4]irect{
			{0, int(s[4]), int(s[0]), span(s[4], s[5])},                     // left
			{root.w - int(s[1]), int(s[6]), int(s[1]), span(s[6], s[7])},    // right
			{int(s[8]), 0, span(s[8], s[9]), int(s[2])},                     // top
			{int(s[10]), root.h - int(s[3]), span(s[10], s[11]), int(s[3])}, // bottom
		}
		left, right = max(left, int(s[0])), max(right, int(s[1]))
		top, bottom = max(top, int(s[2])), max(bottom, int(s[3]))
		for i := range areas {
			a := areas[i]
			if !res[0].empty() && !res[0].intersect(a).empty() {
				a = cutLeft(a, res[0].x+res[0].w)
			}
			if !res[1].empty() && !res[1].intersect(a).empty() {
				a = cutRight(a, res[1].x)
			}
			if !res[2].empty() && !res[2].intersect(a).empty() {
				a = cutTop(a, res[2].y+res[2].h)
			}
			if !res[3].empty() && !res[3].intersect(a).empty() {
				a = cutBottom(a, res[3].y)
			}
			areas[i] = a
		}
	}
	// _NET_WORKAREA edges tighter than the struts explain are space taken by
	// something that is not a client window: cut every monitor there.
	if wa, ok := r.netWorkarea(); ok && !wa.empty() {
		for i, a := range areas {
			if wa.x > left {
				a = cutLeft(a, wa.x)
			}
			if wa.y > top {
				a = cutTop(a, wa.y)
			}
			if wa.x+wa.w < root.w-right {
				a = cutRight(a, wa.x+wa.w)
			}
			if wa.y+wa.h < root.h-bottom {
				a = cutBottom(a, wa.y+wa.h)
			}
			if !a.empty() { // a bogus workarea must not erase a monitor
				areas[i] = a
			}
		}
	}
	return slices.DeleteFunc(areas, irect.empty)
}

// span is the length of the inclusive range [a, b], saturated so that a
// "whole edge" end (huge) stays positive.
func span(a, b uint32) int {
	if b < a {
		return 0
	}
	return int(min(uint64(b)-uint64(a)+1, 1<<30))
}

func cutLeft(a irect, x int) irect {
	if x > a.x {
		a.w -= x - a.x
		a.x = x
	}
	return a
}

func cutRight(a irect, x int) irect {
	if x < a.x+a.w {
		a.w = x - a.x
	}
	return a
}

func cutTop(a irect, y int) irect {
	if y > a.y {
		a.h -= y - a.y
		a.y = y
	}
	return a
}

func cutBottom(a irect, y int) irect {
	if y < a.y+a.h {
		a.h = y - a.y
	}
	return a
}

// topEdges returns the visible parts of the windows' top edges; wins is in
// stacking order, bottom first.
func topEdges(wins []window) []engine.Surface {
	var out []engine.Surface
	type span struct{ x0, x1 int }
	var parts, next []span
	for i, win := range wins {
		if !win.visible || win.skip || win.frame.empty() {
			continue
		}
		y := win.frame.y
		parts = append(parts[:0], span{win.frame.x, win.frame.x + win.frame.w})
		for _, hi := range wins[i+1:] {
			f := hi.frame
			if !hi.cover || y < f.y || y >= f.y+f.h {
				continue
			}
			next = next[:0]
			for _, p := range parts {
				if f.x >= p.x1 || f.x+f.w <= p.x0 {
					next = append(next, p)
					continue
				}
				if f.x > p.x0 {
					next = append(next, span{p.x0, f.x})
				}
				if f.x+f.w < p.x1 {
					next = append(next, span{f.x + f.w, p.x1})
				}
			}
			parts, next = next, parts
			if len(parts) == 0 {
				break
			}
		}
		for _, p := range parts {
			out = append(out, engine.Surface{ID: uint64(win.id), X: float64(p.x0), Y: float64(y), W: float64(p.x1 - p.x0)})
		}
	}
	return out
}

// fullscreenFrame returns the active window's frame if it is fullscreen.
func (w *World) fullscreenFrame(active xproto.Window, wins []window) (irect, bool) {
	for _, win := range wins {
		if win.id == active {
			return win.frame, win.full && win.visible
		}
	}
	// Not a listed client (or no stacking list): ask directly.
	got := w.readWindows([]xproto.Window{active}, nil)
	if len(got) == 0 {
		return irect{}, false
	}
	return got[0].frame, got[0].full && got[0].visible
}

// atoms are interned once at Open.
type atoms struct {
	supportingWMCheck, workarea, currentDesktop, clientListStacking, activeWindow xproto.Atom
	wmState, wmStateHidden, wmStateFullscreen                                     xproto.Atom
	wmWindowType, typeDock, typeDesktop                                           xproto.Atom
	frameExtents, gtkFrameExtents, strutPartial, strut                            xproto.Atom
}

func (a *atoms) intern(c *xgb.Conn) error {
	list := []struct {
		dst  *xproto.Atom
		name string
	}{
		{&a.supportingWMCheck, "_NET_SUPPORTING_WM_CHECK"},
		{&a.workarea, "_NET_WORKAREA"},
		{&a.currentDesktop, "_NET_CURRENT_DESKTOP"},
		{&a.clientListStacking, "_NET_CLIENT_LIST_STACKING"},
		{&a.activeWindow, "_NET_ACTIVE_WINDOW"},
		{&a.wmState, "_NET_WM_STATE"},
		{&a.wmStateHidden, "_NET_WM_STATE_HIDDEN"},
		{&a.wmStateFullscreen, "_NET_WM_STATE_FULLSCREEN"},
		{&a.wmWindowType, "_NET_WM_WINDOW_TYPE"},
		{&a.typeDock, "_NET_WM_WINDOW_TYPE_DOCK"},
		{&a.typeDesktop, "_NET_WM_WINDOW_TYPE_DESKTOP"},
		{&a.frameExtents, "_NET_FRAME_EXTENTS"},
		{&a.gtkFrameExtents, "_GTK_FRAME_EXTENTS"},
		{&a.strutPartial, "_NET_WM_STRUT_PARTIAL"},
		{&a.strut, "_NET_WM_STRUT"},
	}
	cookies := make([]xproto.InternAtomCookie, len(list))
	for i, l := range list {
		cookies[i] = xproto.InternAtom(c, false, uint16(len(l.name)), l.name)
	}
	var errs []error
	for i, ck := range cookies {
		r, err := ck.Reply()
		if err != nil {
			errs = append(errs, fmt.Errorf("intern %s: %w", list[i].name, err))
			continue
		}
		*list[i].dst = r.Atom
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("x11world: %w", err)
	}
	slog.Debug("x11world: atoms interned")
	return nil
}
