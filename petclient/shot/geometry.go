// Package shot is the screenshot tool without a toolkit: the selection
// rectangle and its handles, monitors and HiDPI scale, pixelate and crop,
// annotations rendered at full resolution with undo/redo, and saving the
// result as a PNG. The GTK overlay and the X11 grabber sit on top of it.
package shot

import (
	"image"
	"math"
)

// Monitor is one output in the root window's pixel space; Scale is its
// HiDPI factor (device pixels per logical pixel, 1 when unknown).
type Monitor struct {
	Name  string
	Rect  image.Rectangle // device pixels, root coordinates
	Scale float64
}

// Layout is the screen as the grabber saw it: the root's size and its monitors.
type Layout struct {
	Root     image.Rectangle
	Monitors []Monitor
}

// Bounds is the area a selection may cover: the root, or the union of the
// monitors when the root is larger than them.
func (l Layout) Bounds() image.Rectangle {
	if len(l.Monitors) == 0 {
		return l.Root
	}
	var u image.Rectangle
	for _, m := range l.Monitors {
		u = u.Union(m.Rect)
	}
	return u.Intersect(l.Root)
}

// MonitorAt returns the index of the monitor holding p, or the nearest one;
// -1 when there are none.
func (l Layout) MonitorAt(p image.Point) int {
	best, bestD := -1, math.MaxInt
	for i, m := range l.Monitors {
		if p.In(m.Rect) {
			return i
		}
		q := clampPoint(p, m.Rect)
		if d := sq(p.X-q.X) + sq(p.Y-q.Y); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// ToDevice converts a rectangle in a monitor's logical (GTK) coordinates,
// relative to the monitor, into root device pixels.
func (m Monitor) ToDevice(r image.Rectangle) image.Rectangle {
	s := scaleOf(m)
	return image.Rect(
		m.Rect.Min.X+int(math.Floor(float64(r.Min.X)*s)), m.Rect.Min.Y+int(math.Floor(float64(r.Min.Y)*s)),
		m.Rect.Min.X+int(math.Ceil(float64(r.Max.X)*s)), m.Rect.Min.Y+int(math.Ceil(float64(r.Max.Y)*s)),
	).Intersect(m.Rect)
}

// ToLogical converts root device pixels into the monitor's logical
// coordinates, rounding outwards so nothing selected is lost.
func (m Monitor) ToLogical(r image.Rectangle) image.Rectangle {
	s := scaleOf(m)
	r = r.Sub(m.Rect.Min)
	return image.Rect(
		int(math.Floor(float64(r.Min.X)/s)), int(math.Floor(float64(r.Min.Y)/s)),
		int(math.Ceil(float64(r.Max.X)/s)), int(math.Ceil(float64(r.Max.Y)/s)),
	)
}

func scaleOf(m Monitor) float64 {
	if m.Scale <= 0 || math.IsNaN(m.Scale) || math.IsInf(m.Scale, 0) {
		return 1
	}
	return m.Scale
}

// Handle is the part of a selection under the pointer.
type Handle int

const (
	None Handle = iota
	Inside
	N
	NE
	E
	SE
	S
	SW
	W
	NW
)

// Selection is the rectangle being chosen on the frozen screen, always
// normalised and inside Bounds.
type Selection struct {
	Rect   image.Rectangle
	Bounds image.Rectangle
}

// FromDrag makes a selection from a drag between two points in any
// direction; both points count as inside (a click selects one pixel).
func FromDrag(a, b image.Point, bounds image.Rectangle) Selection {
	r := image.Rect(a.X, a.Y, b.X, b.Y) // Rect normalises the corners.
	r.Max = r.Max.Add(image.Pt(1, 1))
	return Selection{Rect: r.Intersect(bounds), Bounds: bounds}
}

// All selects the whole of Bounds (Ctrl+A).
func (s Selection) All() Selection {
	s.Rect = s.Bounds
	return s
}

// HitTest tells which handle is at p; tol is the handles' half size in
// pixels. Corners win over edges, edges over the inside.
func (s Selection) HitTest(p image.Point, tol int) Handle {
	r := s.Rect
	if r.Empty() {
		return None
	}
	near := func(a, b int) bool { return abs(a-b) <= tol }
	left, right := near(p.X, r.Min.X), near(p.X, r.Max.X-1)
	top, bottom := near(p.Y, r.Min.Y), near(p.Y, r.Max.Y-1)
	midX := near(p.X, (r.Min.X+r.Max.X-1)/2)
	midY := near(p.Y, (r.Min.Y+r.Max.Y-1)/2)
	switch {
	case top && left:
		return NW
	case top && right:
		return NE
	case bottom && left:
		return SW
	case bottom && right:
		return SE
	case top && midX:
		return N
	case bottom && midX:
		return S
	case left && midY:
		return W
	case right && midY:
		return E
	case p.In(r):
		return Inside
	}
	return None
}

// Drag applies a pointer move of d to the handle h grabbed on the selection
// start; the result is normalised (dragging an edge past the other flips) and
// kept inside Bounds, and Inside moves without changing the size.
func (start Selection) Drag(h Handle, d image.Point) Selection {
	r := start.Rect
	if h == Inside {
		return start.Move(d.X, d.Y)
	}
	// Work on inclusive corners so a flip keeps the grabbed pixel inside.
	x0, y0, x1, y1 := r.Min.X, r.Min.Y, r.Max.X-1, r.Max.Y-1
	switch h {
	case N, NE, NW:
		y0 += d.Y
	}
	switch h {
	case S, SE, SW:
		y1 += d.Y
	}
	switch h {
	case W, NW, SW:
		x0 += d.X
	}
	switch h {
	case E, NE, SE:
		x1 += d.X
	}
	return FromDrag(image.Pt(x0, y0), image.Pt(x1, y1), start.Bounds)
}

// Move shifts the selection by dx, dy (arrow keys), stopping at Bounds'
// edges without shrinking.
func (s Selection) Move(dx, dy int) Selection {
	r := s.Rect.Add(image.Pt(dx, dy))
	b := s.Bounds
	if r.Max.X > b.Max.X {
		r = r.Sub(image.Pt(r.Max.X-b.Max.X, 0))
	}
	if r.Max.Y > b.Max.Y {
		r = r.Sub(image.Pt(0, r.Max.Y-b.Max.Y))
	}
	if r.Min.X < b.Min.X {
		r = r.Add(image.Pt(b.Min.X-r.Min.X, 0))
	}
	if r.Min.Y < b.Min.Y {
		r = r.Add(image.Pt(0, b.Min.Y-r.Min.Y))
	}
	s.Rect = r.Intersect(b)
	return s
}

// Resize grows or shrinks the selection's right and bottom edges by dw, dh
// (Shift+arrows); it never goes below one pixel or outside Bounds.
func (s Selection) Resize(dw, dh int) Selection {
	r := s.Rect
	r.Max.X = max(r.Min.X+1, r.Max.X+dw)
	r.Max.Y = max(r.Min.Y+1, r.Max.Y+dh)
	s.Rect = r.Intersect(s.Bounds)
	return s
}

func clampPoint(p image.Point, r image.Rectangle) image.Point {
	return image.Pt(min(max(p.X, r.Min.X), r.Max.X-1), min(max(p.Y, r.Min.Y), r.Max.Y-1))
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sq(v int) int { return v * v }
