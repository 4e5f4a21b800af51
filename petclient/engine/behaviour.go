package engine

import (
	"math"
	"time"
)

// next picks the following behaviour when the current one ends, from what
// the pet is holding on to (like Shimeji's behaviors.xml: weights filtered by
// conditions).
func (p *Pet) next() {
	switch p.sup.kind {
	case supFloor, supSurface, supLedge:
		p.chooseFloor()
	case supCeiling:
		p.chooseCeiling()
	case supWall:
		p.startClimb(p.wallSide())
	default:
		p.fall(p.vx, p.vy)
	}
}

// adjacentWall returns +1 or -1 when a wall touches the box on that side
// (the facing side first), 0 when there is none.
func (p *Pet) adjacentWall() float64 {
	d := p.dir()
	if !p.fits(p.x+d*2, p.y) {
		return d
	}
	if !p.fits(p.x-d*2, p.y) {
		return -d
	}
	return 0
}

func (p *Pet) chooseFloor() {
	p.vx, p.vy = 0, 0
	if p.w[bSleep] > 0 && p.cfg.SleepAfter > 0 && p.idle >= p.cfg.SleepAfter {
		p.setState(StateSleep, p.dur(p.cfg.NapMin, p.cfg.NapMax))
		p.napping = true
		return
	}
	wall := p.adjacentWall()
	w := p.w
	// Naps get likelier the longer nobody paid attention.
	sleepiness := 0.3
	if p.cfg.SleepAfter > 0 {
		sleepiness = clamp(float64(p.idle)/float64(p.cfg.SleepAfter), 0.05, 1)
	}
	w[bSleep] *= sleepiness
	if p.state == StateSleep {
		w[bSleep] = 0 // just woke up
	}
	if wall == 0 {
		w[bClimb] = 0
	} else {
		w[bClimb] *= 2 // at a wall, climbing is the interesting thing to do
	}
	w[bCeiling] = 0 // only reachable by climbing
	switch behaviour(p.pick(w[:]...)) {
	case bStand:
		p.setState(StateStand, p.dur(time.Second, 4*time.Second))
	case bLook:
		p.setState(StateLook, p.dur(2*time.Second, 5*time.Second))
	case bWalk:
		p.turnForWalk(wall)
		p.setState(StateWalk, p.dur(2*time.Second, 7*time.Second))
	case bRun:
		p.turnForWalk(wall)
		p.setState(StateRun, p.dur(time.Second, 3*time.Second))
	case bSit:
		p.setState(StateSit, p.dur(4*time.Second, 15*time.Second))
	case bSleep:
		p.setState(StateSleep, p.dur(20*time.Second, 90*time.Second))
	case bJump:
		p.startJump()
	case bClimb:
		p.startClimb(wall)
	default: // every floor weight is zero: stand still, but re-check now and then
		p.setState(StateStand, 5*time.Second)
	}
}

// turnForWalk picks a direction at random, never into an adjacent wall.
func (p *Pet) turnForWalk(wall float64) {
	if p.rng.Float64() < 0.5 {
		p.right = !p.right
	}
	if wall != 0 && wall == p.dir() {
		p.right = !p.right
	}
}

func (p *Pet) chooseCeiling() {
	wc := p.w[bCeiling]
	switch p.pick(wc, wc/2, 3) {
	case 0:
		if p.rng.Float64() < 0.3 {
			p.right = !p.right
		}
		p.setState(StateCeiling, p.dur(3*time.Second, 10*time.Second))
	case 1:
		p.setState(StateHang, p.dur(2*time.Second, 6*time.Second))
	default:
		p.fall(0, 0)
	}
}

// startClimb starts climbing the wall on side d (+1 right, -1 left).
func (p *Pet) startClimb(d float64) {
	if d == 0 {
		p.fall(0, 0)
		return
	}
	p.wallRight = d > 0
	p.right = p.wallRight
	p.x = p.flushX(p.x, p.x+d*3, p.y)
	p.sup = support{kind: supWall}
	p.setState(StateClimb, p.dur(3*time.Second, 12*time.Second))
}

// startJump jumps onto a window top within reach if there is one, else
// straight-ish up. The aim ignores walls; a missed jump just falls back.
func (p *Pet) startJump() {
	g, sz := p.cfg.Gravity, p.cfg.Size
	type target struct{ x, y float64 }
	var cands [8]target
	n := 0
	for _, s := range p.surfaces {
		rise := p.y - s.Y
		if rise < sz.H/4 || rise > 2*p.cfg.JumpHeight || s.W <= 0 {
			continue
		}
		m := math.Min(sz.W/2, s.W/2)
		tx := clampRange(p.x, s.X+m, s.X+s.W-m, s.X+s.W/2)
		if math.Abs(tx-p.x) > 3*p.cfg.JumpHeight || !p.fits(tx, s.Y) {
			continue
		}
		if n < len(cands) {
			cands[n] = target{tx, s.Y}
			n++
		}
	}
	var vx, vy float64
	if n > 0 {
		t := cands[int(p.rng.Float64()*float64(n))%n]
		over := sz.H / 4 // apex this far above the target
		apex := p.y - t.y + over
		vy = -math.Sqrt(2 * g * apex)
		flight := -vy/g + math.Sqrt(2*over/g)
		vx = (t.x - p.x) / flight
	} else {
		vy = -math.Sqrt(2 * g * p.cfg.JumpHeight * p.uniform(0.6, 1.2))
		vx = p.dir() * p.cfg.WalkSpeed * p.uniform(0, 1.5)
	}
	if vx != 0 {
		p.right = vx > 0
	}
	p.state = StateJump
	p.sup = support{}
	p.vx, p.vy = vx, vy
	p.tl.restart(AnimJump, p.cfg.Animations)
}

// onFloor reports whether the pet is in a state that stands on something.
func (p *Pet) onFloor() bool {
	switch p.state {
	case StateStand, StateLook, StateWalk, StateRun, StateSit, StateSleep, StateLand, StatePoke:
		return true
	case StateJoy, StateSurprise:
		return !p.air
	}
	return false
}

func (p *Pet) clinging() bool {
	return p.state == StateClimb || p.state == StateHang || p.state == StateCeiling
}

// Attention resets the sleep timer without any reaction (e.g. the pointer
// hovers over the pet).
func (p *Pet) Attention() { p.idle = 0 }

func (p *Pet) attention() {
	p.idle = 0
	p.napping = false
}

// Poke is a click on the pet: a short reaction on a floor (waking it up);
// on a wall or top edge it lets go. Ignored in the air and while hidden.
func (p *Pet) Poke() {
	if p.hidden {
		return
	}
	switch {
	case p.onFloor():
		p.attention()
		p.state = StatePoke
		p.vx, p.vy = 0, 0
		p.tl.restart(AnimPoke, p.cfg.Animations)
	case p.clinging():
		p.attention()
		p.letGo()
	}
}

// Joy is a double click: it jumps for joy where it stands.
func (p *Pet) Joy() {
	if p.hidden || !p.onFloor() {
		return
	}
	p.attention()
	p.hop(StateJoy, AnimJoy, 0.6)
}

// Surprise is the "!" reaction (a DM or @mention): a startled hop, or
// letting go of a wall or top edge.
func (p *Pet) Surprise() {
	if p.hidden {
		return
	}
	switch {
	case p.onFloor():
		p.attention()
		p.hop(StateSurprise, AnimSurprise, 0.35)
	case p.clinging():
		p.attention()
		d := 0.0
		if p.state == StateClimb {
			d = -p.wallSide() * pushOff
		}
		p.fall(d, 0)
		p.state = StateSurprise
		p.air = true
		p.tl.restart(AnimSurprise, p.cfg.Animations)
	}
}

// hop jumps straight up by frac of the pet's height playing anim.
func (p *Pet) hop(state, anim string, frac float64) {
	p.state = state
	p.vx = 0
	p.vy = -math.Sqrt(2 * p.cfg.Gravity * p.cfg.Size.H * frac)
	p.air = true
	p.sup = support{}
	p.tl.restart(anim, p.cfg.Animations)
}

func (p *Pet) letGo() {
	d := 0.0
	if p.state == StateClimb {
		d = -p.wallSide() * pushOff
	}
	p.fall(d, 0)
}

// SetHidden hides or shows the pet on request (e.g. a tray toggle). While
// hidden the simulation is frozen and interaction is ignored.
func (p *Pet) SetHidden(h bool) {
	p.userHidden = h
	p.updateHidden()
}

// SetFullscreen tells whether the active window is fullscreen; with
// Config.AvoidFullscreen the pet hides meanwhile.
func (p *Pet) SetFullscreen(active bool) {
	p.fullscreen = active
	p.updateHidden()
}

func (p *Pet) updateHidden() {
	p.hidden = p.userHidden || (p.cfg.AvoidFullscreen && p.fullscreen)
}
