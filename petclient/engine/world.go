package engine

import (
	"math"
	"slices"
)

// World is what the engine knows of the desktop. Both methods are called on
// every Step, so implementations should return cached slices; the engine
// never modifies them.
type World interface {
	// WorkAreas returns the usable area of every monitor (panels already
	// removed), in logical desktop pixels.
	WorkAreas() []Rect
	// Surfaces returns the visible parts of other windows' top edges, which
	// the pet can stand and walk on. One window may yield several segments
	// (cut where higher windows cover it); they share its ID.
	Surfaces() []Surface
}

// Surface is a horizontal ledge from X to X+W at height Y: the visible part
// of a window frame's top edge.
type Surface struct {
	ID      uint64
	X, Y, W float64
}

// StaticWorld is a World with fixed contents, for tests and tools.
type StaticWorld struct {
	Areas []Rect
	Tops  []Surface
}

func (w *StaticWorld) WorkAreas() []Rect   { return w.Areas }
func (w *StaticWorld) Surfaces() []Surface { return w.Tops }

// seg is a horizontal edge of the union of the work areas.
type seg struct{ x0, x1, y float64 }

// geom answers geometric questions about the union U of the work areas.
// Floors are the bottom edges of U (an area's bottom edge minus the parts
// where another area continues below), ceilings the top edges likewise;
// walls are implicit: wherever the sprite box would leave U.
type geom struct {
	areas    []Rect
	floors   []seg
	ceils    []seg
	bufA     []Rect // scratch for covered; reused so Step does not allocate
	bufB     []Rect
	segBuf   []seg
	segBuf2  []seg
	hasAreas bool
}

const edgeProbe = 0.5 // how far past an edge we look for a neighbouring area

// update rebuilds the edges when the areas changed; it is a cheap compare
// when they did not.
func (g *geom) update(areas []Rect) bool {
	if slices.Equal(g.areas, areas) {
		return false
	}
	g.areas = append(g.areas[:0], areas...)
	// Drop degenerate areas: they can't hold the pet and only confuse edges.
	k := 0
	for _, a := range g.areas {
		if a.W > 0 && a.H > 0 && !math.IsNaN(a.X+a.Y+a.W+a.H) && !math.IsInf(a.X+a.Y+a.W+a.H, 0) {
			g.areas[k] = a
			k++
		}
	}
	g.areas = g.areas[:k]
	g.hasAreas = k > 0
	g.floors = g.floors[:0]
	g.ceils = g.ceils[:0]
	for i, a := range g.areas {
		g.floors = g.edges(g.floors, i, a.Y+a.H, edgeProbe)
		g.ceils = g.edges(g.ceils, i, a.Y, -edgeProbe)
	}
	return true
}

// edges appends the parts of area i's horizontal edge at y that have no other
// area on their far side (probe is +down for floors, -up for ceilings).
func (g *geom) edges(out []seg, i int, y, probe float64) []seg {
	a := g.areas[i]
	parts := append(g.segBuf[:0], seg{a.X, a.X + a.W, y})
	py := y + probe
	for j, b := range g.areas {
		if j == i || py < b.Y || py >= b.Y+b.H {
			continue
		}
		next := g.segBuf2[:0]
		for _, s := range parts {
			if b.X >= s.x1 || b.X+b.W <= s.x0 {
				next = append(next, s)
				continue
			}
			if b.X > s.x0 {
				next = append(next, seg{s.x0, b.X, y})
			}
			if b.X+b.W < s.x1 {
				next = append(next, seg{b.X + b.W, s.x1, y})
			}
		}
		g.segBuf2 = parts
		parts = next
	}
	g.segBuf = parts
	return append(out, parts...)
}

// covered reports whether r lies inside the union of the areas, by cutting
// every area out of r and checking nothing is left.
func (g *geom) covered(r Rect) bool {
	a := append(g.bufA[:0], r)
	b := g.bufB[:0]
	for _, area := range g.areas {
		b = b[:0]
		for _, p := range a {
			b = subtract(b, p, area)
		}
		a, b = b, a
		if len(a) == 0 {
			break
		}
	}
	g.bufA, g.bufB = a, b
	return len(a) == 0
}

const tinyPiece = 1e-6

// subtract appends the parts of p outside r (up to four rectangles).
func subtract(out []Rect, p, r Rect) []Rect {
	px1, py1 := p.X+p.W, p.Y+p.H
	rx1, ry1 := r.X+r.W, r.Y+r.H
	if r.X >= px1 || rx1 <= p.X || r.Y >= py1 || ry1 <= p.Y {
		return append(out, p)
	}
	add := func(x0, y0, x1, y1 float64) {
		if x1-x0 > tinyPiece && y1-y0 > tinyPiece {
			out = append(out, Rect{x0, y0, x1 - x0, y1 - y0})
		}
	}
	top := math.Max(p.Y, r.Y)
	bot := math.Min(py1, ry1)
	add(p.X, p.Y, px1, top)                // above r
	add(p.X, bot, px1, py1)                // below r
	add(p.X, top, math.Max(p.X, r.X), bot) // left of r
	add(math.Min(px1, rx1), top, px1, bot) // right of r
	return out
}

// inArea reports whether the point lies in some area, edges included, with
// tolerance tol.
func (g *geom) inArea(x, y, tol float64) bool {
	for _, a := range g.areas {
		if x >= a.X-tol && x <= a.X+a.W+tol && y >= a.Y-tol && y <= a.Y+a.H+tol {
			return true
		}
	}
	return false
}

// floorCross returns the highest floor edge at x with y0 <= fy <= y1.
func (g *geom) floorCross(x, y0, y1 float64) (float64, bool) {
	best, ok := 0.0, false
	for _, s := range g.floors {
		if x < s.x0 || x > s.x1 || s.y < y0 || s.y > y1 {
			continue
		}
		if !ok || s.y < best {
			best, ok = s.y, true
		}
	}
	return best, ok
}

// onEdge reports whether an edge in segs at height y (±eps) spans x.
func onEdge(segs []seg, x, y float64) bool {
	for _, s := range segs {
		if math.Abs(s.y-y) <= supportEps && x >= s.x0 && x <= s.x1 {
			return true
		}
	}
	return false
}

const supportEps = 0.5

// nearestHome returns the anchor (bottom-centre) closest to (x, y) at which a
// box of size w×h lies inside a single area. Areas too small for the box are
// used only if none is big enough (centred then).
func (g *geom) nearestHome(x, y, w, h float64) (float64, float64, bool) {
	bestD := math.Inf(1)
	var bx, by float64
	found := false
	for pass := 0; pass < 2 && !found; pass++ {
		for _, a := range g.areas {
			fits := a.W >= w+2*homeMargin && a.H >= h+homeMargin
			if pass == 0 && !fits {
				continue
			}
			cx := clampRange(x, a.X+w/2+homeMargin, a.X+a.W-w/2-homeMargin, a.X+a.W/2)
			cy := clampRange(y, a.Y+h+homeMargin, a.Y+a.H, a.Y+a.H)
			d := math.Hypot(cx-x, cy-y)
			if d < bestD {
				bestD, bx, by, found = d, cx, cy, true
			}
		}
	}
	return bx, by, found
}

const homeMargin = 1

// clampRange clamps v to [lo, hi], or returns mid when the range is empty.
func clampRange(v, lo, hi, mid float64) float64 {
	if lo > hi {
		return mid
	}
	return math.Min(math.Max(v, lo), hi)
}
