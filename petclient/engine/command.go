package engine

import (
	"math"
	"time"
)

// Actions the menu can ask for (see Do).
const (
	ActionSit   = "sit"
	ActionSleep = "sleep"
	ActionJump  = "jump"
	ActionWalk  = "walk"
	ActionRun   = "run"
	ActionLook  = "look"
	ActionWake  = "wake"
)

// Do performs a menu action. Actions need the pet on a floor (they are
// ignored on a wall, a top edge, in the air, while dragged or hidden); wake
// only applies to a sleeping pet. It reports whether the action was taken.
func (p *Pet) Do(action string) bool {
	if p.hidden || !p.onFloor() {
		return false
	}
	if action == ActionWake {
		if p.state != StateSleep {
			return false
		}
		p.attention()
		p.chooseFloor() // sees the sleep state and picks anything but sleep
		return true
	}
	switch action {
	case ActionSit:
		p.attention()
		p.setState(StateSit, p.dur(8*time.Second, 20*time.Second))
	case ActionSleep:
		p.attention()
		p.setState(StateSleep, p.dur(p.cfg.NapMin, p.cfg.NapMax))
	case ActionJump:
		p.attention()
		p.startJump()
	case ActionWalk, ActionRun:
		p.attention()
		p.turnForWalk(p.adjacentWall())
		if action == ActionWalk {
			p.setState(StateWalk, p.dur(3*time.Second, 8*time.Second))
		} else {
			p.setState(StateRun, p.dur(2*time.Second, 4*time.Second))
		}
	case ActionLook:
		p.attention()
		p.setState(StateLook, p.dur(2*time.Second, 5*time.Second))
	default:
		return false
	}
	return true
}

// WalkTo walks the pet along the floor it stands on towards x and stops
// there to look around (a reminder brings it to the middle of the
// screen). A wall or the end of a window top on the way ends the walk
// early, as any walk. It reports whether the walk started: like Do, it
// needs the pet on a floor.
func (p *Pet) WalkTo(x float64) bool {
	if p.hidden || !p.onFloor() {
		return false
	}
	p.attention()
	dx := x - p.x
	if math.Abs(dx) < 1 {
		p.setState(StateLook, p.dur(2*time.Second, 4*time.Second))
		return true
	}
	p.right = dx > 0
	// Enough time to get there; the goal ends the walk, not the timer.
	p.setState(StateWalk, time.Duration(math.Abs(dx)/p.cfg.WalkSpeed*float64(time.Second))+5*time.Second)
	p.goal, p.hasGoal = x, true
	return true
}
