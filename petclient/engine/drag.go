package engine

import (
	"math"
	"time"
)

// Pointer samples are kept in a small ring: the throw only looks at the
// last dragWindow of motion.
const dragSamples = 32

type sample struct {
	x, y float64
	t    time.Duration
}

type dragState struct {
	offX, offY float64 // anchor minus pointer, kept while dragged
	ring       [dragSamples]sample
	n, head    int           // count, index of the newest
	lastMove   time.Duration // engine clock at the last DragMove
}

func (d *dragState) reset() { d.n, d.head = 0, 0 }

func (d *dragState) add(s sample) {
	if d.n > 0 && s.t < d.ring[d.head].t { // timestamps went back (wrapped): start over
		d.reset()
	}
	if d.n > 0 {
		d.head = (d.head + 1) % dragSamples
	}
	d.ring[d.head] = s
	d.n = min(d.n+1, dragSamples)
}

// velocity is the pointer's mean velocity over the last dragWindow before its
// newest sample, in px/s; zero when the samples span under 5 ms (the pointer
// rested before the release).
func (d *dragState) velocity() (float64, float64) {
	if d.n == 0 {
		return 0, 0
	}
	newest := d.ring[d.head]
	oldest := newest
	for i := 1; i < d.n; i++ {
		s := d.ring[(d.head-i+dragSamples)%dragSamples]
		if newest.t-s.t > dragWindow {
			break
		}
		oldest = s
	}
	span := (newest.t - oldest.t).Seconds()
	if span < 0.005 {
		return 0, 0
	}
	return (newest.x - oldest.x) / span, (newest.y - oldest.y) / span
}

// DragStart grabs the pet with the pointer at (px, py) desktop pixels; t is
// the event's timestamp (any monotonic origin, e.g. the X server time in ms,
// the same clock for the whole drag). The grab point keeps its place on the
// sprite while dragged.
func (p *Pet) DragStart(px, py float64, t time.Duration) {
	if p.hidden {
		return
	}
	p.attention()
	p.state = StateDrag
	p.sup = support{}
	p.vx, p.vy, p.air = 0, 0, false
	p.drag.offX, p.drag.offY = p.x-px, p.y-py
	p.drag.reset()
	p.drag.add(sample{px, py, t})
	p.drag.lastMove = p.clock
	p.tl.restart(AnimDrag, p.cfg.Animations)
}

// DragMove follows the pointer. The pose changes at once; the drag frame
// swings with the pointer's horizontal speed.
func (p *Pet) DragMove(px, py float64, t time.Duration) {
	if p.state != StateDrag {
		return
	}
	p.x, p.y = px+p.drag.offX, py+p.drag.offY
	p.drag.add(sample{px, py, t})
	p.drag.lastMove = p.clock
	p.tl.setFrame(p.dragFrame())
}

// DragEnd releases the pet at (px, py): it is thrown with the pointer's
// velocity over the last 100 ms (capped by Config.MaxThrowSpeed).
func (p *Pet) DragEnd(px, py float64, t time.Duration) {
	if p.state != StateDrag {
		return
	}
	p.x, p.y = px+p.drag.offX, py+p.drag.offY
	p.drag.add(sample{px, py, t})
	vx, vy := p.drag.velocity()
	if sp := math.Hypot(vx, vy); sp > p.cfg.MaxThrowSpeed {
		vx, vy = vx*p.cfg.MaxThrowSpeed/sp, vy*p.cfg.MaxThrowSpeed/sp
	}
	p.attention()
	p.state = StateThrown
	p.sup = support{}
	p.vx, p.vy = vx, vy
	p.outside, p.airTime = 0, 0
	if vx != 0 {
		p.right = vx > 0
	}
	p.tl.restart(AnimFall, p.cfg.Animations)
}

// dragFrame: 0 hanging still, 1 while the pointer moves left, 2 while it
// moves right. No motion event for dragWindow of engine time means still.
func (p *Pet) dragFrame() int {
	if p.clock-p.drag.lastMove > dragWindow {
		return 0
	}
	vx, _ := p.drag.velocity()
	switch {
	case vx < -dragSwingSpeed:
		return 1
	case vx > dragSwingSpeed:
		return 2
	}
	return 0
}
