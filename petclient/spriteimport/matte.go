package spriteimport

import (
	"image"
	"image/color"
	"math"
)

// Matte settings: Tolerance is the colour distance (0-255) still counted as
// background; pixels just inside it get
// alpha from how far their colour is between the background and the figure.
type Matte struct {
	Tolerance int
	MinIsland int // opaque specks smaller than this many pixels are dropped
}

// DefaultMatte suits flat backgrounds with light JPEG-style noise.
var DefaultMatte = Matte{Tolerance: 40, MinIsland: 16}

// HasTransparency reports whether the picture already has its background
// removed: at least half of its border pixels are (nearly) transparent.
func HasTransparency(m *image.NRGBA) bool {
	clear, total := 0, 0
	eachBorder(m.Rect, func(x, y int) {
		total++
		if m.Pix[m.PixOffset(x, y)+3] < 128 {
			clear++
		}
	})
	return total > 0 && 2*clear >= total
}

// BackgroundColour is the most common border colour (in 4-bit buckets),
// averaged over the pixels of that bucket.
func BackgroundColour(m *image.NRGBA) color.NRGBA {
	type acc struct{ n, r, g, b int }
	buckets := map[int]*acc{}
	var best *acc
	eachBorder(m.Rect, func(x, y int) {
		i := m.PixOffset(x, y)
		r, g, b := int(m.Pix[i]), int(m.Pix[i+1]), int(m.Pix[i+2])
		k := r>>4<<8 | g>>4<<4 | b>>4
		a := buckets[k]
		if a == nil {
			a = &acc{}
			buckets[k] = a
		}
		a.n++
		a.r, a.g, a.b = a.r+r, a.g+g, a.b+b
		if best == nil || a.n > best.n {
			best = a
		}
	})
	if best == nil {
		return color.NRGBA{A: 255}
	}
	return color.NRGBA{uint8(best.r / best.n), uint8(best.g / best.n), uint8(best.b / best.n), 255}
}

// Apply removes the background of m in place: a flood fill from every
// border pixel near the background colour, so enclosed areas of the same
// colour (white eyes on a white background) stay. Pixels in the soft band
// reached from the background get partial alpha and their colour freed of
// the background's tint. Already transparent pictures are left as they are.
func (mt Matte) Apply(m *image.NRGBA) {
	if HasTransparency(m) || m.Rect.Empty() {
		mt.dropIslands(m)
		return
	}
	bg := BackgroundColour(m)
	tol := float64(max(0, min(255, mt.Tolerance)))
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dist := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := m.PixOffset(x+m.Rect.Min.X, y+m.Rect.Min.Y)
			dr := float64(m.Pix[i]) - float64(bg.R)
			dg := float64(m.Pix[i+1]) - float64(bg.G)
			db := float64(m.Pix[i+2]) - float64(bg.B)
			dist[y*w+x] = float32(math.Sqrt((dr*dr + dg*dg + db*db) / 3))
		}
	}
	// depth: 0 not reached, 1 background, 2.. steps into the soft rim.
	depth := make([]uint8, w*h)
	stack := make([]int, 0, 2*(w+h))
	eachBorder(image.Rect(0, 0, w, h), func(x, y int) {
		if k := y*w + x; float64(dist[k]) <= tol && depth[k] == 0 {
			depth[k] = 1
			stack = append(stack, k)
		}
	})
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := k%w, k/w
		for _, n := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
			if n[0] < 0 || n[1] < 0 || n[0] >= w || n[1] >= h {
				continue
			}
			nk := n[1]*w + n[0]
			if depth[nk] == 1 {
				continue
			}
			nd := float64(dist[nk])
			switch {
			case nd <= tol:
				depth[nk] = 1 // background spreads freely
			case depth[k] < rimDepth && nd >= float64(dist[k]) && (depth[nk] == 0 || depth[nk] > depth[k]+1):
				depth[nk] = depth[k] + 1 // the rim: a step or two, only uphill, so it cannot leak
			default:
				continue
			}
			stack = append(stack, nk)
		}
	}
	for k, d := range depth {
		if d == 0 {
			continue
		}
		x, y := k%w, k/w
		i := m.PixOffset(x+m.Rect.Min.X, y+m.Rect.Min.Y)
		if d == 1 {
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = 0, 0, 0, 0
			continue
		}
		// The rim pixel is a blend of the background and the nearest inner colour.
		inner := float64(dist[k])
		for yy := max(0, y-2); yy <= min(h-1, y+2); yy++ {
			for xx := max(0, x-2); xx <= min(w-1, x+2); xx++ {
				if depth[yy*w+xx] == 0 {
					inner = max(inner, float64(dist[yy*w+xx]))
				}
			}
		}
		if a := float64(dist[k]) / inner; a < 1 {
			decontaminate(m.Pix[i:i+4], bg, a)
		}
	}
	mt.dropIslands(m)
}

// rimDepth bounds how far the soft edge reaches into the figure, in pixels (+1).
const rimDepth = 3

// decontaminate solves c = a*f + (1-a)*bg for the foreground colour f.
func decontaminate(p []uint8, bg color.NRGBA, a float64) {
	un := func(c, b uint8) uint8 {
		f := (float64(c) - (1-a)*float64(b)) / a
		return uint8(math.Round(max(0, min(255, f))))
	}
	p[0], p[1], p[2] = un(p[0], bg.R), un(p[1], bg.G), un(p[2], bg.B)
	p[3] = uint8(math.Round(float64(p[3]) * a))
}

// dropIslands clears 8-connected visible specks smaller than MinIsland
// pixels, but never the largest piece of the picture.
func (mt Matte) dropIslands(m *image.NRGBA) {
	if mt.MinIsland <= 1 {
		return
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	label := make([]int32, w*h)
	visible := func(k int) bool { return m.Pix[m.PixOffset(k%w+m.Rect.Min.X, k/w+m.Rect.Min.Y)+3] > 0 }
	var comps [][]int
	largest := -1
	for k := range label {
		if label[k] != 0 || !visible(k) {
			continue
		}
		id := int32(len(comps) + 1)
		comp := []int{k}
		label[k] = id
		for j := 0; j < len(comp); j++ {
			x, y := comp[j]%w, comp[j]/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					nk := ny*w + nx
					if label[nk] == 0 && visible(nk) {
						label[nk] = id
						comp = append(comp, nk)
					}
				}
			}
		}
		if largest < 0 || len(comp) > len(comps[largest]) {
			largest = len(comps)
		}
		comps = append(comps, comp)
	}
	for c, comp := range comps {
		if c == largest || len(comp) >= mt.MinIsland {
			continue
		}
		for _, k := range comp {
			i := m.PixOffset(k%w+m.Rect.Min.X, k/w+m.Rect.Min.Y)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = 0, 0, 0, 0
		}
	}
}

// VisibleBounds is the smallest rectangle holding every non-transparent pixel.
func VisibleBounds(m *image.NRGBA) image.Rectangle {
	var r image.Rectangle
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		row := m.Pix[m.PixOffset(m.Rect.Min.X, y):]
		for x := 0; x < m.Rect.Dx(); x++ {
			if row[4*x+3] != 0 {
				r = r.Union(image.Rect(x+m.Rect.Min.X, y, x+m.Rect.Min.X+1, y+1))
			}
		}
	}
	return r
}

func eachBorder(r image.Rectangle, f func(x, y int)) {
	if r.Empty() {
		return
	}
	for x := r.Min.X; x < r.Max.X; x++ {
		f(x, r.Min.Y)
		if r.Dy() > 1 {
			f(x, r.Max.Y-1)
		}
	}
	for y := r.Min.Y + 1; y < r.Max.Y-1; y++ {
		f(r.Min.X, y)
		if r.Dx() > 1 {
			f(r.Max.X-1, y)
		}
	}
}
