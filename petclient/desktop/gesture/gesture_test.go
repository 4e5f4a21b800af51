package gesture

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Unix(1000, 0)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func TestSmallMoveIsClick(t *testing.T) {
	g := Tracker{Threshold: 8}
	g.Press(100, 100, ms(0))
	if e := g.Motion(103, 102, ms(10)); e.Kind != None {
		t.Fatalf("motion inside threshold gave %v", e.Kind)
	}
	if e := g.Release(103, 102, ms(50)); e.Kind != Click {
		t.Fatalf("got %v", e.Kind)
	}
}

func TestDragAndThrow(t *testing.T) {
	g := Tracker{Threshold: 8}
	g.Press(100, 100, ms(0))
	if e := g.Motion(120, 100, ms(16)); e.Kind != DragStart || e.X != 120 {
		t.Fatalf("want DragStart, got %+v", e)
	}
	x := 120.0
	for i := 2; i <= 10; i++ {
		x += 10 // 10 px per 16 ms = 625 px/s
		if e := g.Motion(x, 100, ms(16*i)); e.Kind != DragMove {
			t.Fatalf("want DragMove, got %v", e.Kind)
		}
	}
	e := g.Release(x, 100, ms(160))
	if e.Kind != DragEnd {
		t.Fatalf("got %v", e.Kind)
	}
	if math.Abs(e.VX-625) > 30 || math.Abs(e.VY) > 1 {
		t.Fatalf("velocity %v,%v want ~625,0", e.VX, e.VY)
	}
	if g.Dragging() || g.Pressed() {
		t.Fatal("state not reset")
	}
}

func TestHoldStillBeforeReleaseIsNoThrow(t *testing.T) {
	g := Tracker{Threshold: 8}
	g.Press(0, 0, ms(0))
	g.Motion(50, 0, ms(20))
	g.Motion(100, 0, ms(40))
	e := g.Release(100, 0, ms(600))
	if e.Kind != DragEnd || e.VX != 0 || e.VY != 0 {
		t.Fatalf("got %+v", e)
	}
}

func TestEventsWithoutPressIgnored(t *testing.T) {
	var g Tracker
	if g.Motion(1, 1, ms(0)).Kind != None || g.Release(1, 1, ms(1)).Kind != None {
		t.Fatal("events without press")
	}
	g.Press(0, 0, ms(0))
	g.Cancel()
	if g.Release(0, 0, ms(1)).Kind != None {
		t.Fatal("cancel ignored")
	}
}
