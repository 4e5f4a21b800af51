package engine

import (
	"testing"
	"time"
)

func TestDoActions(t *testing.T) {
	p := newTestPet(t, oneMonitor(), 1, nil)
	p.Place(500, 1080)
	stepUntil(t, p, 5*time.Second, "settle", p.settled)
	for _, c := range []struct{ action, state string }{
		{ActionSit, StateSit}, {ActionSleep, StateSleep}, {ActionLook, StateLook},
		{ActionWalk, StateWalk}, {ActionRun, StateRun}, {ActionJump, StateJump},
	} {
		stepUntil(t, p, 10*time.Second, "settle before "+c.action, p.settled)
		if !p.Do(c.action) {
			t.Fatalf("Do(%s) refused on the floor", c.action)
		}
		if got := p.Pose().State; got != c.state {
			t.Fatalf("Do(%s): state %s, want %s", c.action, got, c.state)
		}
	}
	stepUntil(t, p, 10*time.Second, "settle", p.settled)
	if p.Do(ActionWake) {
		t.Fatal("woke a pet that was not asleep")
	}
	p.Do(ActionSleep)
	if !p.Do(ActionWake) || p.Pose().State == StateSleep {
		t.Fatalf("wake: state %s", p.Pose().State)
	}
	if p.Do("dance") {
		t.Fatal("unknown action accepted")
	}
	// Not on a floor: actions are refused.
	p.force(StateClimb, true, time.Second)
	p.sup = support{kind: supWall}
	if p.Do(ActionSit) {
		t.Fatal("sat down while climbing")
	}
	p.SetHidden(true)
	if p.Do(ActionJump) {
		t.Fatal("acted while hidden")
	}
}

func TestWalkTo(t *testing.T) {
	for _, c := range []struct{ from, to float64 }{{200, 960}, {1700, 960}, {960, 960.5}} {
		p := newTestPet(t, oneMonitor(), 3, nil)
		p.Place(c.from, 1080)
		stepUntil(t, p, 5*time.Second, "settle", p.settled)
		if !p.WalkTo(c.to) {
			t.Fatalf("WalkTo refused on the floor")
		}
		stepUntil(t, p, 30*time.Second, "arrive", func() bool { return p.state != StateWalk })
		if ps := p.Pose(); ps.State != StateLook || ps.X != c.to && c.from != 960 {
			t.Fatalf("from %v to %v: state %s at x %.1f", c.from, c.to, ps.State, ps.X)
		}
	}
	p := newTestPet(t, oneMonitor(), 3, nil)
	p.force(StateClimb, true, time.Second)
	p.sup = support{kind: supWall}
	if p.WalkTo(500) {
		t.Fatal("walked while climbing")
	}
}
