package art

import (
	"image/color"
	"math"

	"github.com/fogleman/gg"
)

// Body-local geometry (origin at Pose.Body, before tilt).
var (
	neck      = Vec{4, -4}  // cabin and pod both hinge here
	podOffset = Vec{12, -7} // pod centre from the neck at Pod = 0
	hips      = [4]Vec{{-3, 7}, {8, 6}, {0, 5}, {11, 4}}
	shoulders = [2]Vec{{-15, 7}, {-12, 6}} // near, far; cabin-local
	eyeSpots  = [3]Vec{{-18, -2}, {-11.2, -6.8}, {-11.8, 3.6}}
	eyeRadii  = [3]float64{4.1, 2.6, 2.3}
	podR      = 13.0
	upperLeg  = 15.0
	lowerLeg  = 21.0
	upperArm  = 5.0
	lowerArm  = 5.0
	grabPoint = Vec{6, -12} // body-local point held by the pointer (Held)
)

type painter struct {
	dc *gg.Context
	k  float64 // render scale: gg does not scale line widths with the matrix
	s  Scheme
	p  Pose
}

// Draw paints pose p onto dc at the given scale; dc's current matrix is
// replaced. Exposed so callers can compose frames (e.g. a contact sheet).
func Draw(dc *gg.Context, p Pose, s Scheme, scale float64) {
	if p.Squash == 0 {
		p.Squash = 1
	}
	pt := &painter{dc: dc, k: scale, s: s, p: p}
	dc.Push()
	defer dc.Pop()
	dc.Identity()
	dc.Scale(scale, scale)
	dc.SetLineJoinRound()
	dc.SetLineCapRound()

	ax, ay := Anchor(p.Orient)
	dc.Push()
	dc.Translate(ax, ay)
	switch p.Orient {
	case Wall:
		dc.Rotate(math.Pi / 2) // nose up, wheels against the wall on the left
	case Ceiling:
		dc.Scale(1, -1) // mirrored, not rotated, so it still faces left
	case Held:
		dc.Rotate(p.Swing)
		g := pt.toModel(grabPoint)
		dc.Translate(-g.X, -g.Y)
	}
	if p.Orient != Held {
		dc.Translate(0, -p.Lift)
		sx := 1 + (1-p.Squash)*0.6
		dc.Scale(sx, p.Squash)
		// Outline widths do not squash, so lift by the spill below the wheels.
		dc.Translate(0, -outlineW/2*(1-p.Squash)/p.Squash)
	}
	pt.robot()
	dc.Pop()
	pt.mark()
}

// toModel maps a body-local point into model space.
func (pt *painter) toModel(v Vec) Vec { return pt.p.Body.add(v.rot(pt.p.Tilt)) }

// cabinToModel maps a cabin-local point (which also turns with Head).
func (pt *painter) cabinToModel(v Vec) Vec {
	return pt.toModel(neck.add(v.sub(neck).rot(pt.p.Head)))
}

func (pt *painter) lw(w float64) { pt.dc.SetLineWidth(w * pt.k) }

func (pt *painter) robot() {
	s := pt.s
	far := func(c color.NRGBA) color.NRGBA { return shade(c, -0.32) }

	// Far side first so the near side overlaps it.
	pt.leg(RearFar, far(s.Body), far(s.Accent), far(s.Wheel))
	pt.leg(FrontFar, far(s.Body), far(s.Accent), far(s.Wheel))
	pt.arm(1, pt.p.ArmFar, far(s.Body), far(s.Accent))
	pt.pod()
	// Near legs come out from under the cabin, so the face stays visible.
	pt.leg(RearNear, s.Body, s.Accent, s.Wheel)
	pt.leg(FrontNear, s.Body, s.Accent, s.Wheel)
	pt.cabin()
	pt.arm(0, pt.p.Arm, s.Body, s.Accent)
}

// knee solves the two-bone leg; the knee always bends upward (spider-like).
func knee(hip, foot Vec, l1, l2 float64) Vec {
	d := foot.sub(hip)
	dist := clamp(d.len(), math.Abs(l1-l2)+1e-3, l1+l2-1e-3)
	if d.len() < 1e-6 {
		d = Vec{0, 1}
	}
	u := d.mul(1 / d.len())
	a := (l1*l1 - l2*l2 + dist*dist) / (2 * dist)
	h := math.Sqrt(math.Max(0, l1*l1-a*a))
	base := hip.add(u.mul(a))
	n := Vec{-u.Y, u.X}
	k1, k2 := base.add(n.mul(h)), base.sub(n.mul(h))
	if k1.Y < k2.Y {
		return k1
	}
	return k2
}

// bone strokes a thick segment with an ink outline.
func (pt *painter) bone(pts []Vec, w float64, c color.NRGBA) {
	dc := pt.dc
	path := func() {
		dc.MoveTo(pts[0].X, pts[0].Y)
		for _, q := range pts[1:] {
			dc.LineTo(q.X, q.Y)
		}
	}
	path()
	dc.SetColor(pt.s.Outline)
	pt.lw(w + 2*outlineW)
	dc.Stroke()
	path()
	dc.SetColor(c)
	pt.lw(w)
	dc.Stroke()
}

func (pt *painter) disc(c Vec, r float64, fill color.NRGBA) {
	dc := pt.dc
	dc.DrawCircle(c.X, c.Y, r)
	dc.SetColor(fill)
	dc.FillPreserve()
	dc.SetColor(pt.s.Outline)
	pt.lw(outlineW)
	dc.Stroke()
}

func (pt *painter) leg(i int, body, accent, tyre color.NRGBA) {
	hip := pt.toModel(hips[i])
	foot := pt.p.Feet[i]
	kn := knee(hip, foot, upperLeg, lowerLeg)
	// Shorten the shin so it ends at the hub, not through the tyre.
	pt.bone([]Vec{hip, kn}, 4.4, body)
	pt.bone([]Vec{kn, foot}, 3.2, body)
	// Re-stroke the thigh fill over the shin's outline at the knee.
	pt.dc.MoveTo(hip.X, hip.Y)
	pt.dc.LineTo(lerp(hip, kn, 0.8).X, lerp(hip, kn, 0.8).Y)
	pt.dc.SetColor(body)
	pt.lw(4.4)
	pt.dc.Stroke()
	// A lighter stripe on the thigh gives the legs some volume.
	hi := shade(body, 0.35)
	a, b := lerp(hip, kn, 0.2), lerp(hip, kn, 0.75)
	off := Vec{0, -0.9}
	pt.dc.MoveTo(a.add(off).X, a.add(off).Y)
	pt.dc.LineTo(b.add(off).X, b.add(off).Y)
	pt.dc.SetColor(hi)
	pt.lw(1.1)
	pt.dc.Stroke()
	pt.disc(kn, 2.3, accent)
	pt.disc(hip, 2.6, accent)
	pt.wheel(foot, tyre, accent)
}

func (pt *painter) wheel(c Vec, tyre, hub color.NRGBA) {
	dc := pt.dc
	pt.disc(c, WheelR, tyre)
	// A light tread mark shows the wheel turning between frames.
	dc.NewSubPath()
	dc.DrawArc(c.X, c.Y, WheelR-1.1, pt.p.Wheel-0.6, pt.p.Wheel+0.6)
	dc.SetColor(shade(tyre, 0.45))
	pt.lw(1.0)
	dc.Stroke()
	pt.disc(c, WheelR*0.45, hub)
	dc.DrawCircle(c.X, c.Y, 0.55)
	dc.SetColor(pt.s.Outline)
	dc.Fill()
}

func (pt *painter) arm(i int, ang [2]float64, body, accent color.NRGBA) {
	sh := pt.cabinToModel(shoulders[i])
	down := Vec{0, 1}.rot(pt.p.Tilt + pt.p.Head)
	d1 := down.rot(ang[0])
	el := sh.add(d1.mul(upperArm))
	d2 := d1.rot(ang[1])
	hand := el.add(d2.mul(lowerArm))
	pt.bone([]Vec{sh, el, hand}, 2.0, body)
	// Two-fingered claw.
	for _, t := range []float64{-0.6, 0.6} {
		f := hand.add(d2.rot(t).mul(2.4))
		pt.bone([]Vec{hand, f}, 0.9, accent)
	}
	pt.disc(el, 1.2, accent)
}

func (pt *painter) pod() {
	dc := pt.dc
	s := pt.s
	c := pt.toModel(neck.add(podOffset.rot(-pt.p.Pod)))
	// Shading: light from the upper left of the screen whatever the
	// orientation, so gradients are set up in device space.
	cx, cy := dc.TransformPoint(c.X, c.Y)
	r := podR * pt.k
	g := gg.NewRadialGradient(cx-0.38*r, cy-0.42*r, 0.1*r, cx-0.1*r, cy-0.1*r, 1.15*r)
	g.AddColorStop(0, shade(s.Pod, 0.45))
	g.AddColorStop(0.45, s.Pod)
	g.AddColorStop(1, shade(s.Pod, -0.35))
	dc.DrawCircle(c.X, c.Y, podR)
	dc.SetFillStyle(g)
	dc.FillPreserve()
	dc.SetColor(s.Outline)
	pt.lw(outlineW)
	dc.Stroke()

	ang := -pt.p.Pod - pt.p.Tilt // pod's own rotation in model space
	// Seam around the pod, a panel line that makes it read as a shell.
	pt.arcIn(c, podR*0.98, podR*0.5, ang+0.35, 1.3, 4.5, withAlpha(s.Outline, 0.55), 0.8)
	// Rear hatch.
	h := c.add(Vec{podR * 0.55, podR * 0.38}.rot(ang))
	pt.disc(h, 2.4, s.Accent)
	dc.DrawCircle(h.X, h.Y, 1.0)
	dc.SetColor(shade(s.Accent, -0.45))
	dc.Fill()
	// Specular highlight, again in device space.
	dc.Push()
	dc.Identity()
	dc.DrawEllipse(cx-0.42*r, cy-0.5*r, 0.28*r, 0.16*r)
	dc.SetColor(color.NRGBA{255, 255, 255, 190})
	dc.Fill()
	dc.DrawCircle(cx-0.1*r, cy-0.68*r, 0.06*r)
	dc.Fill()
	dc.Pop()
}

// arcIn draws an elliptical arc of an ellipse centred at c, rotated by rot.
func (pt *painter) arcIn(c Vec, rx, ry, rot, a0, a1 float64, col color.NRGBA, w float64) {
	dc := pt.dc
	const n = 24
	for i := 0; i <= n; i++ {
		t := a0 + (a1-a0)*float64(i)/n
		q := c.add(Vec{rx * math.Cos(t), ry * math.Sin(t)}.rot(rot))
		if i == 0 {
			dc.MoveTo(q.X, q.Y)
		} else {
			dc.LineTo(q.X, q.Y)
		}
	}
	dc.SetColor(col)
	pt.lw(w)
	dc.Stroke()
}

// cabinPath traces the bean-shaped front cabin in cabin-local coordinates.
func (pt *painter) cabinPath() {
	dc := pt.dc
	m := pt.cabinToModel
	mv := func(v Vec) { q := m(v); dc.MoveTo(q.X, q.Y) }
	cu := func(a, b, c Vec) { p, q, r := m(a), m(b), m(c); dc.CubicTo(p.X, p.Y, q.X, q.Y, r.X, r.Y) }
	mv(Vec{7, -7})
	cu(Vec{0, -13}, Vec{-17, -12}, Vec{-22, -3})
	cu(Vec{-25, 3}, Vec{-20, 10}, Vec{-9, 10.5})
	cu(Vec{0, 11}, Vec{8, 8}, Vec{9, 1})
	cu(Vec{9.5, -3}, Vec{9, -5}, Vec{7, -7})
	dc.ClosePath()
}

func (pt *painter) cabin() {
	dc := pt.dc
	s := pt.s
	// Neck joint between cabin and pod.
	pt.disc(pt.toModel(neck), 4.2, shade(s.Accent, -0.15))

	pt.cabinPath()
	c := pt.cabinToModel(Vec{-8, -3})
	cx, cy := dc.TransformPoint(c.X, c.Y)
	r := 15 * pt.k
	g := gg.NewRadialGradient(cx-0.3*r, cy-0.45*r, 0.05*r, cx, cy, 1.2*r)
	g.AddColorStop(0, shade(s.Body, 0.4))
	g.AddColorStop(0.5, s.Body)
	g.AddColorStop(1, shade(s.Body, -0.3))
	dc.SetFillStyle(g)
	dc.FillPreserve()
	dc.SetColor(s.Outline)
	pt.lw(outlineW)
	dc.Stroke()

	// A pale belly plate under the eyes, where the arms attach.
	m := pt.cabinToModel
	a, b, e := m(Vec{-19, 5}), m(Vec{-12, 10}), m(Vec{-3, 10.4})
	dc.MoveTo(a.X, a.Y)
	dc.QuadraticTo(b.X, b.Y, e.X, e.Y)
	dc.SetColor(withAlpha(s.Outline, 0.5))
	pt.lw(0.8)
	dc.Stroke()

	// Lenses, big one last so it overlaps.
	for _, i := range []int{1, 2, 0} {
		pt.eye(m(eyeSpots[i]), eyeRadii[i]*(1+pt.p.Wide))
	}
}

func (pt *painter) eye(c Vec, r float64) {
	dc := pt.dc
	s := pt.s
	pt.disc(c, r, s.Accent) // rim
	glass := color.NRGBA{0x10, 0x18, 0x2c, 0xff}
	dc.DrawCircle(c.X, c.Y, r*0.74)
	dc.SetColor(glass)
	dc.Fill()
	open := clamp(pt.p.Eyes, 0, 1)
	// Look offsets are in model space, but on the ceiling the figure is
	// mirrored; the eyes should still look where the pose says on screen.
	look := pt.p.Look
	if pt.p.Orient == Ceiling {
		look.Y = -look.Y
	}
	ic := c.add(Vec{clamp(look.X, -1, 1), clamp(look.Y, -1, 1)}.mul(r * 0.22))
	if pt.p.Happy {
		// Happy: a bright "^" arc, the cute cue for joy.
		dc.NewSubPath()
		dc.DrawArc(c.X, c.Y+r*0.3, r*0.45, math.Pi+0.35, 2*math.Pi-0.35)
		dc.SetColor(s.Eye)
		pt.lw(math.Max(0.8, r*0.26))
		dc.Stroke()
		return
	}
	if open < 0.15 {
		// Closed: a dim sleepy curve.
		dc.NewSubPath()
		dc.DrawArc(ic.X, ic.Y-r*0.25, r*0.45, 0.35, math.Pi-0.35)
		dc.SetColor(shade(s.Eye, -0.45))
		pt.lw(math.Max(0.7, r*0.22))
		dc.Stroke()
		return
	}
	dc.DrawEllipse(ic.X, ic.Y, r*0.48, r*0.48*open)
	dc.SetColor(s.Eye)
	dc.Fill()
	dc.DrawEllipse(ic.X, ic.Y, r*0.22, r*0.22*open)
	dc.SetColor(glass)
	dc.Fill()
	// Glint: screen upper-left, so undo the ceiling mirror.
	gy := -0.3
	if pt.p.Orient == Ceiling {
		gy = 0.3
	}
	dc.DrawCircle(c.X-r*0.28, c.Y+r*gy, math.Max(0.45, r*0.17))
	dc.SetColor(color.NRGBA{255, 255, 255, 235})
	dc.Fill()
}

// mark draws screen-aligned symbols; they never rotate with the robot.
func (pt *painter) mark() {
	dc := pt.dc
	s := pt.s
	ink := func(w float64) { dc.SetColor(s.Outline); pt.lw(w) }
	switch pt.p.Mark {
	case Exclaim:
		x := 14.0
		warm := color.NRGBA{0xff, 0xc8, 0x2e, 0xff}
		for pass := 0; pass < 2; pass++ {
			w := 3.6
			if pass == 0 {
				ink(w + 2*outlineW)
			} else {
				dc.SetColor(warm)
				pt.lw(w)
			}
			dc.MoveTo(x+0.8, 5.5)
			dc.LineTo(x, 13.5)
			dc.Stroke()
			if pass == 0 {
				dc.DrawCircle(x-0.4, 18.2, 2.0+outlineW)
				dc.SetColor(s.Outline)
			} else {
				dc.DrawCircle(x-0.4, 18.2, 2.0)
				dc.SetColor(warm)
			}
			dc.Fill()
		}
	case Zzz, Zz:
		type z struct{ x, y, size float64 }
		zs := []z{{50, 18, 4}, {57, 11, 5}, {65, 4, 6}}
		if pt.p.Mark == Zz {
			zs = []z{{51, 16, 4.5}, {58.5, 8.5, 5.5}}
		}
		for _, q := range zs {
			for pass := 0; pass < 2; pass++ {
				if pass == 0 {
					ink(1.3 + 2*outlineW*0.8)
				} else {
					dc.SetColor(s.Accent)
					pt.lw(1.3)
				}
				dc.MoveTo(q.x, q.y)
				dc.LineTo(q.x+q.size, q.y)
				dc.LineTo(q.x, q.y+q.size)
				dc.LineTo(q.x+q.size, q.y+q.size)
				dc.Stroke()
			}
		}
	case Sparkle:
		// Two little four-point stars above the robot.
		for _, st := range [][3]float64{{22, 9, 4.2}, {60, 6, 3.2}} {
			x, y, r := st[0], st[1], st[2]
			dc.MoveTo(x, y-r)
			dc.QuadraticTo(x, y, x+r, y)
			dc.QuadraticTo(x, y, x, y+r)
			dc.QuadraticTo(x, y, x-r, y)
			dc.QuadraticTo(x, y, x, y-r)
			dc.ClosePath()
			dc.SetColor(color.NRGBA{0xff, 0xd8, 0x4a, 0xff})
			dc.FillPreserve()
			ink(0.8)
			dc.Stroke()
		}
	case Sweat:
		// A drop near the top of the cabin.
		x, y := 30.0, 14.0
		dc.MoveTo(x, y-4)
		dc.CubicTo(x+1.5, y-1.5, x+2.6, y, x+2.6, y+1.2)
		dc.CubicTo(x+2.6, y+3.4, x-2.6, y+3.4, x-2.6, y+1.2)
		dc.CubicTo(x-2.6, y, x-1.5, y-1.5, x, y-4)
		dc.ClosePath()
		dc.SetColor(color.NRGBA{0xbf, 0xe9, 0xff, 0xff})
		dc.FillPreserve()
		ink(outlineW)
		dc.Stroke()
	}
}
