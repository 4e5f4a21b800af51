package engine

import (
	"log/slog"
	"math"
	"time"
)

// Rand is the randomness the engine needs; *rand.Rand from math/rand/v2
// satisfies it. A seeded source makes a run reproducible.
type Rand interface{ Float64() float64 }

// States reported in Pose.State.
const (
	StateStand    = "stand"
	StateLook     = "look"
	StateWalk     = "walk"
	StateRun      = "run"
	StateSit      = "sit"
	StateSleep    = "sleep"
	StateJump     = "jump"   // rising after a jump (becomes fall at the apex)
	StateFall     = "fall"   // falling without being thrown
	StateThrown   = "thrown" // flying after a drag was released
	StateLand     = "land"   // landing squash, sliding to a stop
	StateClimb    = "climb"  // climbing a wall
	StateHang     = "hang"   // hanging still from a top edge
	StateCeiling  = "ceiling"
	StateDrag     = "drag"
	StatePoke     = "poke"
	StateJoy      = "joy"
	StateSurprise = "surprise"
)

// Pose is what the display layer draws.
type Pose struct {
	State string
	Anim  string // one of the Anim* names
	Frame int    // index into that animation's frames
	// X, Y is the anchor: always the bottom-centre of the sprite box. On a
	// floor it is where the feet touch; when climbing, the box's side touches
	// the wall (on the side it faces); when hanging or walking on a top edge,
	// the box's top touches that edge.
	X, Y float64
	Box  Rect // the sprite box (Size at X-W/2, Y-H): where to put the window
	// FacingRight: it looks or moves towards +X; while climbing, the wall is
	// on that side.
	FacingRight bool
	Zzz         bool // asleep: draw the Zzz
	Hidden      bool // keep the window hidden (SetHidden, or AvoidFullscreen)
}

// WindowPos is the box's top-left corner rounded to whole pixels.
func (p Pose) WindowPos() (x, y int) {
	return int(math.Round(p.Box.X)), int(math.Round(p.Box.Y))
}

// supKind is what holds the pet up.
type supKind uint8

const (
	supNone    supKind = iota
	supFloor           // a bottom edge of the work-area union
	supSurface         // a window top (Surface)
	supLedge           // box resting on a corner it cannot slide past
	supWall            // climbing
	supCeiling         // hanging from a top edge of the work-area union
)

type support struct {
	kind supKind
	id   uint64 // surface ID
}

// Tuning constants that packs have no business changing.
const (
	tickMax        = 10 * time.Millisecond // physics/behaviour sub-step
	maxStep        = time.Second           // longer gaps (suspend) are not simulated in full
	boxTol         = 0.5                   // the box may touch area edges
	anchorTol      = 2                     // the anchor may sit this far outside an area
	maxMove        = 4.0                   // px per airborne sub-step, so nothing is tunnelled through
	minBounceSpeed = 250.0                 // px/s; slower floor hits just land
	maxFallSpeed   = 3000.0
	maxAirTime     = 20 * time.Second // airborne longer than this is a bug: rescue
	dragWindow     = 100 * time.Millisecond
	dragSwingSpeed = 150.0 // px/s of pointer motion that swings the dragged pet
	pushOff        = 40.0  // px/s sideways when letting go of a wall
)

// Pet is one simulated pet. It is not safe for concurrent use: call all
// methods from the same goroutine (the GTK main loop).
type Pet struct {
	cfg      Config
	w        [nBehaviours]float64
	rng      Rand
	world    World
	g        geom
	surfaces []Surface

	x, y, vx, vy float64
	right        bool
	state        string
	sup          support
	wallRight    bool          // side of the wall while climbing
	timer        time.Duration // left in the current timed behaviour
	air          bool          // joy/surprise hop still in the air
	napping      bool          // the SleepAfter sleep (ends by resetting idle)
	goal         float64       // WalkTo's target x, while hasGoal
	hasGoal      bool
	tl           timeline

	clock   time.Duration // sum of Step dt
	idle    time.Duration // since the last attention
	outside time.Duration // box continuously outside the work areas
	airTime time.Duration
	rescues int

	userHidden, fullscreen, hidden bool

	drag dragState
	last visKey
}

// New makes a pet in world, starting at the top of its first work area
// (call Place to choose). rng must not be nil.
func New(cfg Config, rng Rand, world World) *Pet {
	cfg = cfg.normalise()
	p := &Pet{cfg: cfg, w: resolveWeights(cfg.Weights), rng: rng, world: world, right: true}
	p.g.update(world.WorkAreas())
	p.surfaces = world.Surfaces()
	if len(p.g.areas) > 0 {
		a := p.g.areas[0]
		p.x, p.y = a.X+a.W/2, a.Y+cfg.Size.H+homeMargin
	}
	p.fall(0, 0)
	p.last = p.key()
	return p
}

// Place puts the anchor (bottom-centre) at x, y and lets the pet fall from
// there. A spot outside the work areas is corrected on the next Step.
func (p *Pet) Place(x, y float64) {
	p.x, p.y = x, y
	p.outside, p.airTime = 0, 0
	p.fall(0, 0)
}

// Pose returns what to draw now.
func (p *Pet) Pose() Pose {
	s := p.cfg.Size
	return Pose{
		State: p.state, Anim: p.tl.name, Frame: p.tl.frame,
		X: p.x, Y: p.y, Box: Rect{X: p.x - s.W/2, Y: p.y - s.H, W: s.W, H: s.H},
		FacingRight: p.right, Zzz: p.state == StateSleep, Hidden: p.hidden,
	}
}

// visKey is the part of the pose that needs a redraw or a window move.
type visKey struct {
	anim               string
	frame, bx, by      int
	right, zzz, hidden bool
}

func (p *Pet) key() visKey {
	ps := p.Pose()
	bx, by := ps.WindowPos()
	return visKey{ps.Anim, ps.Frame, bx, by, ps.FacingRight, ps.Zzz, ps.Hidden}
}

// changed reports (once) whether the visible pose differs from the last call.
func (p *Pet) changed() bool {
	k := p.key()
	if k == p.last {
		return false
	}
	p.last = k
	return true
}

// Step advances the simulation by dt and reports whether the visible pose
// (animation, frame, flip, Zzz, hidden, or the window position rounded to
// pixels) changed since the previous Step, so the caller redraws only then.
//
// Every Step re-reads the world. Rescue rule: unless dragged, if the anchor
// is outside every work area (e.g. its monitor went away, or a panel now
// covers it) the pet is moved at once to the nearest spot where its box fits
// inside one work area and falls from there; the same happens when the box
// has been partly outside the work areas for longer than Config.RescueAfter
// or the pet has been airborne for 20 s.
func (p *Pet) Step(dt time.Duration) bool {
	if dt <= 0 {
		return false
	}
	p.clock += dt
	if p.g.update(p.world.WorkAreas()) {
		slog.Debug("tachikoma engine: work areas changed", "areas", len(p.g.areas))
	}
	p.surfaces = p.world.Surfaces()
	if p.hidden || !p.g.hasAreas {
		return p.changed()
	}
	p.idle += dt
	for rest := min(dt, maxStep); rest > 0; rest -= tickMax {
		p.tick(min(rest, tickMax))
	}
	p.guard(dt)
	return p.changed()
}

func (p *Pet) tick(h time.Duration) {
	s := h.Seconds()
	if p.state != StateDrag {
		p.tl.advance(h)
	}
	switch p.state {
	case StateStand, StateLook, StateSit, StateSleep:
		if !p.grounded(p.x) {
			p.fall(0, 0)
			return
		}
		p.timer -= h
		if p.timer <= 0 || (p.state == StateLook && p.tl.done) {
			if p.state == StateSleep && p.napping {
				p.napping, p.idle = false, 0
				p.setState(StateLook, p.dur(2*time.Second, 4*time.Second))
				return
			}
			p.next()
		}
	case StateWalk, StateRun:
		p.stepWalk(s, h)
	case StatePoke:
		if !p.grounded(p.x) {
			p.fall(0, 0)
		} else if p.tl.done {
			p.next()
		}
	case StateJoy, StateSurprise:
		if p.air {
			if p.fly(s) {
				p.air = false
			}
		} else if !p.grounded(p.x) {
			p.air, p.sup = true, support{}
		}
		if !p.air && p.tl.done {
			p.next()
		}
	case StateLand:
		p.stepLand(s)
	case StateJump, StateFall, StateThrown:
		if p.fly(s) {
			p.land()
		} else if p.state == StateJump && p.vy >= 0 {
			p.state = StateFall
			p.tl.play(AnimFall, p.cfg.Animations)
		}
	case StateClimb:
		p.stepClimb(s, h)
	case StateHang, StateCeiling:
		p.stepCeiling(s, h)
	case StateDrag:
		p.tl.setFrame(p.dragFrame())
	}
}

func (p *Pet) guard(dt time.Duration) {
	if p.state == StateDrag {
		p.outside, p.airTime = 0, 0
		return
	}
	if !p.g.inArea(p.x, p.y, anchorTol) {
		p.rescue("anchor outside work areas")
		return
	}
	if p.fits(p.x, p.y) {
		p.outside = 0
	} else if p.outside += dt; p.outside > p.cfg.RescueAfter {
		p.rescue("box outside work areas")
		return
	}
	if p.airborne() {
		if p.airTime += dt; p.airTime > maxAirTime {
			p.rescue("airborne too long")
		}
	} else {
		p.airTime = 0
	}
}

func (p *Pet) rescue(why string) {
	x, y, ok := p.g.nearestHome(p.x, p.y, p.cfg.Size.W, p.cfg.Size.H)
	if !ok {
		return
	}
	slog.Debug("tachikoma engine: rescue", "why", why, "from_x", p.x, "from_y", p.y, "to_x", x, "to_y", y)
	p.rescues++
	p.x, p.y = x, y
	p.outside, p.airTime = 0, 0
	p.fall(0, 0)
}

func (p *Pet) airborne() bool {
	switch p.state {
	case StateJump, StateFall, StateThrown:
		return true
	case StateJoy, StateSurprise:
		return p.air
	}
	return false
}

// fits reports whether the sprite box with anchor (x, y) lies inside the
// union of the work areas.
func (p *Pet) fits(x, y float64) bool {
	s := p.cfg.Size
	return p.g.covered(Rect{X: x - s.W/2 + boxTol, Y: y - s.H + boxTol, W: s.W - 2*boxTol, H: s.H - 2*boxTol})
}

// grounded reports whether the current floor support still holds the pet
// with its anchor at x (the pet's y is the floor height). Window tops are
// re-checked against the world every step: a moved or closed window drops it.
func (p *Pet) grounded(x float64) bool {
	switch p.sup.kind {
	case supFloor:
		return onEdge(p.g.floors, x, p.y)
	case supSurface:
		for _, s := range p.surfaces {
			if s.ID == p.sup.id && math.Abs(s.Y-p.y) <= supportEps && x >= s.X && x <= s.X+s.W {
				return true
			}
		}
		return false
	case supLedge:
		return p.fits(x, p.y) && !p.fits(x, p.y+1)
	}
	return false
}

// landing finds the highest floor or window top crossed when the anchor
// moves down from y0 to y1 at x. A window top counts only where the box fits
// above it.
func (p *Pet) landing(x, y0, y1 float64) (float64, support, bool) {
	fy, ok := p.g.floorCross(x, y0-supportEps, y1)
	sup := support{kind: supFloor}
	for _, s := range p.surfaces {
		if x < s.X || x > s.X+s.W || s.Y < y0-supportEps || s.Y > y1 || (ok && s.Y >= fy) {
			continue
		}
		if p.fits(x, s.Y) {
			fy, ok, sup = s.Y, true, support{kind: supSurface, id: s.ID}
		}
	}
	return fy, sup, ok
}

// flushX returns the furthest x from x0 (valid) towards x1 (invalid) at which
// the box still fits: contact with a wall.
func (p *Pet) flushX(x0, x1, y float64) float64 {
	for range 12 {
		m := (x0 + x1) / 2
		if p.fits(m, y) {
			x0 = m
		} else {
			x1 = m
		}
	}
	return x0
}

func (p *Pet) flushY(x, y0, y1 float64) float64 {
	for range 12 {
		m := (y0 + y1) / 2
		if p.fits(x, m) {
			y0 = m
		} else {
			y1 = m
		}
	}
	return y0
}

// fly integrates one airborne tick and reports whether the pet landed
// (p.sup is then set). Only thrown pets feel air drag and bounce off
// floors; jumps and hops are deliberate and land at once.
func (p *Pet) fly(s float64) bool {
	speed := math.Max(math.Abs(p.vx), math.Abs(p.vy)+p.cfg.Gravity*s)
	n := max(1, int(math.Ceil(speed*s/maxMove)))
	hs := s / float64(n)
	thrown := p.state == StateThrown
	for range n {
		if !p.fits(p.x, p.y) {
			// Released over a panel or the world changed under it: come
			// back inside first, keeping the velocity.
			if x, y, ok := p.g.nearestHome(p.x, p.y, p.cfg.Size.W, p.cfg.Size.H); ok {
				p.x, p.y = x, y
			}
		}
		p.vy += p.cfg.Gravity * hs
		if thrown {
			f := math.Max(0, 1-p.cfg.AirDrag*hs)
			p.vx *= f
			p.vy *= f
		}
		p.vy = math.Min(p.vy, maxFallSpeed)

		if nx := p.x + p.vx*hs; p.fits(nx, p.y) {
			p.x = nx
		} else {
			p.x = p.flushX(p.x, nx, p.y)
			p.vx = -p.vx * p.cfg.Bounce
		}

		ny := p.y + p.vy*hs
		if p.vy > 0 {
			if fy, sup, ok := p.landing(p.x, p.y, ny); ok {
				p.y = fy
				if thrown && p.vy > minBounceSpeed && p.cfg.Bounce > 0 {
					p.vy = -p.vy * p.cfg.Bounce
					p.vx *= 1 - p.cfg.Friction
					continue
				}
				p.vy = 0
				p.vx *= 1 - p.cfg.Friction
				p.sup = sup
				return true
			}
		}
		if p.fits(p.x, ny) {
			p.y = ny
			continue
		}
		if p.vy < 0 { // head hit a top edge
			p.y = p.flushY(p.x, p.y, ny)
			p.vy = -p.vy * p.cfg.Bounce
			continue
		}
		// Going down, the box is blocked though the anchor has no floor:
		// it straddles a step between areas. Slide sideways off the step.
		if dx, ok := p.sideStep(ny); ok {
			p.x += dx
			p.y = ny
			continue
		}
		p.y = p.flushY(p.x, p.y, ny)
		p.vx, p.vy = 0, 0
		p.sup = support{kind: supLedge}
		return true
	}
	return false
}

// sideStep finds the smallest horizontal shift (up to the pet's width) that
// lets the box fit at height y, trying the direction of motion first.
func (p *Pet) sideStep(y float64) (float64, bool) {
	dir := 1.0
	if p.vx < 0 || (p.vx == 0 && !p.right) {
		dir = -1
	}
	for d := 1.0; d <= p.cfg.Size.W; d++ {
		if p.fits(p.x+dir*d, y) {
			return dir * d, true
		}
		if p.fits(p.x-dir*d, y) {
			return -dir * d, true
		}
	}
	return 0, false
}

func (p *Pet) dir() float64 {
	if p.right {
		return 1
	}
	return -1
}

func (p *Pet) stepWalk(s float64, h time.Duration) {
	speed := p.cfg.WalkSpeed
	if p.state == StateRun {
		speed = p.cfg.RunSpeed
	}
	if !p.grounded(p.x) {
		p.fall(p.dir()*speed, 0)
		return
	}
	nx := p.x + p.dir()*speed*s
	if p.hasGoal && (nx-p.goal)*p.dir() >= 0 && p.fits(p.goal, p.y) && p.grounded(p.goal) {
		p.x = p.goal
		p.setState(StateLook, p.dur(2*time.Second, 4*time.Second))
		return
	}
	switch {
	case !p.fits(nx, p.y):
		p.x = p.flushX(p.x, nx, p.y)
		p.next() // at a wall: next() may climb it or turn round
		return
	case !p.grounded(nx):
		// End of a window top: usually turn round, sometimes walk off.
		// The floor of the work areas only ends where a lower area
		// continues, so there it always steps down.
		if p.sup.kind == supSurface && p.rng.Float64() < 0.6 {
			p.right = !p.right
		} else {
			p.x = nx
			p.fall(p.dir()*speed, 0)
			return
		}
	default:
		p.x = nx
	}
	if p.timer -= h; p.timer <= 0 {
		p.next()
	}
}

func (p *Pet) stepLand(s float64) {
	if p.vx != 0 {
		dv := p.cfg.Friction * p.cfg.Gravity * s
		if math.Abs(p.vx) <= dv {
			p.vx = 0
		} else {
			p.vx -= math.Copysign(dv, p.vx)
		}
		nx := p.x + p.vx*s
		switch {
		case !p.fits(nx, p.y):
			p.x = p.flushX(p.x, nx, p.y)
			p.vx = 0
		case !p.grounded(nx):
			p.x = nx
			p.fall(p.vx, 0)
			return
		default:
			p.x = nx
		}
	}
	if !p.grounded(p.x) {
		p.fall(p.vx, 0)
		return
	}
	if p.tl.done && p.vx == 0 {
		p.next()
	}
}

func (p *Pet) wallSide() float64 {
	if p.wallRight {
		return 1
	}
	return -1
}

func (p *Pet) stepClimb(s float64, h time.Duration) {
	d := p.wallSide()
	ny := p.y - p.cfg.ClimbSpeed*s
	// Where the wall is a step up to a higher floor, climb over onto it
	// (checked first: near the top of the step the wall is already too
	// short to count as one).
	mx := p.x + d*(p.cfg.Size.W+1)
	if fy, ok := p.g.floorCross(mx, ny, p.y+1); ok && p.fits(mx, fy) {
		p.x, p.y = mx, fy
		p.sup = support{kind: supFloor}
		p.setState(StateStand, p.dur(time.Second, 2*time.Second))
		return
	}
	if p.fits(p.x+d*2, p.y) { // the wall went away (layout change)
		p.fall(-d*pushOff, 0)
		return
	}
	if !p.fits(p.x, ny) {
		p.y = p.flushY(p.x, p.y, ny)
		if p.w[bCeiling] > 0 && onEdge(p.g.ceils, p.x, p.y-p.cfg.Size.H) {
			p.sup = support{kind: supCeiling}
			p.right = !p.wallRight // it will move away from the wall
			p.setState(StateHang, p.dur(time.Second, 3*time.Second))
		} else {
			p.fall(-d*pushOff, 0)
		}
		return
	}
	p.y = ny
	if p.timer -= h; p.timer <= 0 {
		if p.pick(p.w[bClimb], 2) == 0 {
			p.timer = p.dur(2*time.Second, 8*time.Second)
		} else {
			p.fall(-d*pushOff, 0)
		}
	}
}

func (p *Pet) stepCeiling(s float64, h time.Duration) {
	top := p.y - p.cfg.Size.H
	if !onEdge(p.g.ceils, p.x, top) {
		p.fall(0, 0)
		return
	}
	if p.state == StateCeiling {
		nx := p.x + p.dir()*p.cfg.CeilingSpeed*s
		switch {
		case !p.fits(nx, p.y): // reached a corner
			p.x = p.flushX(p.x, nx, p.y)
			p.right = !p.right
		case !onEdge(p.g.ceils, nx, top): // the top edge ends: let go
			p.x = nx
			p.fall(p.dir()*p.cfg.CeilingSpeed, 0)
			return
		default:
			p.x = nx
		}
	}
	if p.timer -= h; p.timer <= 0 {
		p.chooseCeiling()
	}
}

func (p *Pet) land() {
	p.airTime = 0
	p.state = StateLand
	p.tl.restart(AnimLand, p.cfg.Animations)
}

// fall makes the pet drop from where it is with the given velocity.
func (p *Pet) fall(vx, vy float64) {
	p.state = StateFall
	p.sup = support{}
	p.vx, p.vy = vx, vy
	p.air = false
	p.tl.play(AnimFall, p.cfg.Animations)
}

// stateAnim maps timed states to their animation.
var stateAnim = map[string]string{
	StateStand: AnimStand, StateLook: AnimLook, StateWalk: AnimWalk, StateRun: AnimRun,
	StateSit: AnimSit, StateSleep: AnimSleep, StateClimb: AnimClimb, StateHang: AnimHang,
	StateCeiling: AnimCeiling,
}

// setState starts a timed behaviour where the pet is.
func (p *Pet) setState(st string, d time.Duration) {
	if st != StateSleep {
		p.napping = false
	}
	p.hasGoal = false
	p.state = st
	p.timer = d
	p.vx, p.vy = 0, 0
	p.tl.restart(stateAnim[st], p.cfg.Animations)
}

func (p *Pet) uniform(a, b float64) float64 { return a + (b-a)*p.rng.Float64() }

func (p *Pet) dur(a, b time.Duration) time.Duration {
	return a + time.Duration(float64(b-a)*p.rng.Float64())
}

// pick returns an index chosen with probability proportional to its weight,
// or -1 when all weights are zero.
func (p *Pet) pick(w ...float64) int {
	total := 0.0
	for _, v := range w {
		total += v
	}
	if total <= 0 {
		return -1
	}
	r := p.rng.Float64() * total
	for i, v := range w {
		if r < v {
			return i
		}
		r -= v
	}
	for i := len(w) - 1; i >= 0; i-- { // float rounding: last non-zero
		if w[i] > 0 {
			return i
		}
	}
	return -1
}
