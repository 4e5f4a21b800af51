package engine

import "time"

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
