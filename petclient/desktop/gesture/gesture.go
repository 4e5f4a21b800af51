// Package gesture turns raw pointer presses, motions and releases into the
// pet's gestures: click, drag start/move/end with a throw velocity. It is
// toolkit-free so the thresholds and the throw maths are unit tested.
package gesture

import (
	"math"
	"time"
)

// Kind is what a pointer event meant.
type Kind int

// Gesture kinds.
const (
	None Kind = iota
	Click
	DragStart
	DragMove
	DragEnd
)

// Event is a recognised gesture. X, Y are root (desktop) coordinates;
// VX, VY the throw velocity in pixels per second (DragEnd only).
type Event struct {
	Kind   Kind
	X, Y   float64
	VX, VY float64
}

// window of motion used to estimate the throw: long enough to smooth jitter,
// short enough that stopping before release means "put down", not "throw".
const velocityWindow = 80 * time.Millisecond

type sample struct {
	t    time.Time
	x, y float64
}

// Tracker follows one button from press to release.
type Tracker struct {
	// Threshold is how far (px) the pointer must move before a press
	// becomes a drag, so a shaky click still counts as a click.
	Threshold float64

	pressed, dragging bool
	px, py            float64
	samples           []sample
}

// Dragging reports whether a drag is in progress.
func (t *Tracker) Dragging() bool { return t.dragging }

// Pressed reports whether the button is down.
func (t *Tracker) Pressed() bool { return t.pressed }

// Press starts tracking at root position (x, y).
func (t *Tracker) Press(x, y float64, at time.Time) {
	t.pressed, t.dragging = true, false
	t.px, t.py = x, y
	t.samples = append(t.samples[:0], sample{at, x, y})
}

// Motion reports DragStart once the threshold is passed, then DragMove.
func (t *Tracker) Motion(x, y float64, at time.Time) Event {
	if !t.pressed {
		return Event{}
	}
	t.record(x, y, at)
	if !t.dragging {
		if math.Hypot(x-t.px, y-t.py) < t.Threshold {
			return Event{}
		}
		t.dragging = true
		return Event{Kind: DragStart, X: x, Y: y}
	}
	return Event{Kind: DragMove, X: x, Y: y}
}

// Release ends the gesture: Click if the pointer never left the threshold,
// DragEnd with a throw velocity otherwise.
func (t *Tracker) Release(x, y float64, at time.Time) Event {
	if !t.pressed {
		return Event{}
	}
	t.pressed = false
	if !t.dragging {
		return Event{Kind: Click, X: x, Y: y}
	}
	t.dragging = false
	t.record(x, y, at)
	vx, vy := t.velocity(at)
	return Event{Kind: DragEnd, X: x, Y: y, VX: vx, VY: vy}
}

// Cancel forgets the gesture (e.g. the grab was broken by a menu).
func (t *Tracker) Cancel() { t.pressed, t.dragging = false, false }

func (t *Tracker) record(x, y float64, at time.Time) {
	t.samples = append(t.samples, sample{at, x, y})
	// Drop samples older than the window, keeping at least two.
	cut := 0
	for cut < len(t.samples)-2 && at.Sub(t.samples[cut].t) > velocityWindow {
		cut++
	}
	t.samples = append(t.samples[:0], t.samples[cut:]...)
}

func (t *Tracker) velocity(at time.Time) (float64, float64) {
	first := t.samples[0]
	for _, s := range t.samples {
		if at.Sub(s.t) <= velocityWindow {
			first = s
			break
		}
	}
	last := t.samples[len(t.samples)-1]
	dt := last.t.Sub(first.t).Seconds()
	if dt <= 0 || at.Sub(first.t) > velocityWindow {
		return 0, 0 // held still before release: no throw
	}
	return (last.x - first.x) / dt, (last.y - first.y) / dt
}
