package engine

import (
	"math"
	"testing"
	"time"
)

func TestTimeline(t *testing.T) {
	anims := Animations{
		"loop": {Frames: []time.Duration{100 * time.Millisecond, 50 * time.Millisecond}, Loop: true},
		"once": {Frames: []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}},
		"zero": {Frames: []time.Duration{0, 0}, Loop: true},
	}
	var tl timeline
	tl.restart("loop", anims)
	tl.advance(99 * time.Millisecond)
	if tl.frame != 0 {
		t.Fatalf("frame %d before 100ms, want 0", tl.frame)
	}
	tl.advance(time.Millisecond)
	if tl.frame != 1 {
		t.Fatalf("frame %d at 100ms, want 1", tl.frame)
	}
	tl.advance(50 * time.Millisecond)
	if tl.frame != 0 || tl.done {
		t.Fatalf("loop should wrap to frame 0, got %d done=%v", tl.frame, tl.done)
	}
	tl.advance(time.Hour + 120*time.Millisecond) // a huge gap still lands on the right frame
	if tl.frame != 1 {
		t.Fatalf("after 1h+120ms frame %d, want 1", tl.frame)
	}

	tl.restart("once", anims)
	tl.advance(150 * time.Millisecond)
	if tl.frame != 1 || tl.done {
		t.Fatalf("one-shot mid-way: frame %d done %v", tl.frame, tl.done)
	}
	tl.advance(60 * time.Millisecond)
	if tl.frame != 1 || !tl.done {
		t.Fatalf("one-shot end: frame %d done %v, want last frame held and done", tl.frame, tl.done)
	}

	tl.restart("zero", anims) // must not spin forever
	tl.advance(time.Second)
	tl.restart("missing", anims)
	tl.advance(time.Second)
	if tl.frame != 0 || tl.done {
		t.Fatalf("missing animation should be one looping still frame, got frame %d done %v", tl.frame, tl.done)
	}
	tl.play("missing", anims) // same name: keeps going, no restart
	tl.restart("once", anims)
	tl.advance(100 * time.Millisecond)
	tl.play("once", anims)
	if tl.frame != 1 {
		t.Fatal("play of the current animation must not restart it")
	}
}

func TestGeometryEdges(t *testing.T) {
	// Wide monitor above a narrower one: the top's bottom edge is a floor
	// only where nothing continues below.
	var g geom
	g.update([]Rect{{0, 0, 1920, 1080}, {320, 1080, 1280, 1024}})
	want := map[seg]bool{{0, 320, 1080}: true, {1600, 1920, 1080}: true, {320, 1600, 2104}: true}
	if len(g.floors) != len(want) {
		t.Fatalf("floors %v, want %v", g.floors, want)
	}
	for _, f := range g.floors {
		if !want[f] {
			t.Fatalf("unexpected floor %v (all %v)", f, g.floors)
		}
	}
	if !g.covered(Rect{400, 1000, 100, 100}) {
		t.Fatal("box straddling both monitors should be covered")
	}
	if g.covered(Rect{200, 1000, 200, 100}) {
		t.Fatal("box hanging below the top monitor beside the lower one is not covered")
	}
	x, y, ok := g.nearestHome(5000, 5000, 96, 96)
	if !ok || x != 1600-48-homeMargin || y != 2104 {
		t.Fatalf("nearestHome = %v,%v,%v", x, y, ok)
	}
}

func TestDeterministicTrajectory(t *testing.T) {
	run := func(seed uint64) []Pose {
		p := newTestPet(t, &StaticWorld{
			Areas: []Rect{{0, 0, 1920, 1080}, {1920, 100, 1280, 1024}},
			Tops:  []Surface{{ID: 1, X: 300, Y: 700, W: 600}},
		}, seed, func(c *Config) { c.SleepAfter = 5 * time.Minute })
		p.Place(500, 200)
		var out []Pose
		for i := range 30 * 60 * 25 { // 30 min
			if i == 100 {
				p.DragStart(p.x, p.y-40, 0)
				p.DragMove(p.x+30, p.y-70, 30*time.Millisecond)
				p.DragEnd(p.x+60, p.y-80, 60*time.Millisecond)
			}
			p.Step(tick)
			out = append(out, p.Pose())
		}
		return out
	}
	a, b, c := run(42), run(42), run(43)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed diverged at step %d: %+v vs %+v", i, a[i], b[i])
		}
	}
	same := true
	for i := range a {
		if a[i] != c[i] {
			same = false
			break
		}
	}
	if same {
		t.Fatal("different seeds gave identical 30-minute runs")
	}
}

func TestThrowGravityBounceRest(t *testing.T) {
	w := oneMonitor()
	p := newTestPet(t, w, 1, func(c *Config) {
		c.AirDrag = 0
		c.Bounce = 0.5
		c.Weights = map[string]float64{WeightClimb: 0, WeightJump: 0, WeightWalk: 0, WeightRun: 0}
	})
	p.Place(960, 1080)
	stepUntil(t, p, 5*time.Second, "settled", p.settled)

	p.DragStart(960, 1000, 0)
	p.DragMove(1000, 950, 20*time.Millisecond)
	p.DragMove(1100, 850, 60*time.Millisecond)
	p.DragEnd(1200, 700, 100*time.Millisecond)
	if p.state != StateThrown {
		t.Fatalf("state %s after release, want thrown", p.state)
	}
	if math.Abs(p.vx-2400) > 1e-6 || math.Abs(p.vy+3000) > 1e-6 {
		t.Fatalf("throw velocity %.1f,%.1f, want 2400,-3000 (pointer over the last 100 ms)", p.vx, p.vy)
	}

	// Free flight: only gravity changes vy, and vx is constant.
	vy0, vx0 := p.vy, p.vx
	p.Step(20 * time.Millisecond)
	if got := p.vy - vy0; math.Abs(got-p.cfg.Gravity*0.02) > 1e-6 {
		t.Fatalf("vy changed by %.3f in 20ms, want %.3f", got, p.cfg.Gravity*0.02)
	}
	if p.vx != vx0 {
		t.Fatalf("vx changed in free flight: %v -> %v", vx0, p.vx)
	}

	sawWall, sawFloorBounce := false, false
	prevVx, prevVy := p.vx, p.vy
	for el := time.Duration(0); el < 15*time.Second && p.airborne(); el += 5 * time.Millisecond {
		p.Step(5 * time.Millisecond)
		if prevVx > 0 && p.vx < 0 {
			sawWall = true
			if r := -p.vx / prevVx; r > 0.51 || r < 0.45 {
				t.Fatalf("wall bounce kept %.2f of vx, want ~Bounce=0.5", r)
			}
			if right := p.x + p.cfg.Size.W/2; math.Abs(right-1920) > 5 {
				t.Fatalf("bounced at box right %.1f, not at the wall 1920", right)
			}
		}
		if prevVy > 0 && p.vy < 0 && p.y > 1070 {
			sawFloorBounce = true
		}
		if !p.fits(p.x, p.y) {
			t.Fatalf("box left the work area mid-flight at %.1f,%.1f", p.x, p.y)
		}
		prevVx, prevVy = p.vx, p.vy
	}
	if !sawWall || !sawFloorBounce {
		t.Fatalf("wall bounce %v, floor bounce %v; want both", sawWall, sawFloorBounce)
	}
	if p.airborne() {
		t.Fatal("still airborne after 15 s")
	}
	stepUntil(t, p, 10*time.Second, "come to rest", p.settled)
	if p.y != 1080 || p.sup.kind != supFloor {
		t.Fatalf("rests at y=%.2f on %v, want the floor at 1080", p.y, p.sup.kind)
	}
}

func TestThrowVelocityWindow(t *testing.T) {
	p := newTestPet(t, oneMonitor(), 1, nil)
	p.Place(960, 1080)
	stepFor(p, 2*time.Second)

	// Old motion falls outside the 100 ms window.
	p.DragStart(100, 500, 0)
	p.DragMove(900, 500, 10*time.Millisecond) // fast, but long ago
	p.DragMove(900, 500, 500*time.Millisecond)
	p.DragMove(950, 520, 550*time.Millisecond)
	p.DragEnd(1000, 540, 600*time.Millisecond)
	if math.Abs(p.vx-1000) > 1e-6 || math.Abs(p.vy-400) > 1e-6 {
		t.Fatalf("velocity %.1f,%.1f, want 1000,400 from the last 100 ms", p.vx, p.vy)
	}

	// Rest before release: dropped, not thrown.
	p.DragStart(500, 500, time.Second)
	p.DragMove(700, 500, 1050*time.Millisecond)
	p.DragEnd(700, 500, 1300*time.Millisecond)
	if p.vx != 0 || p.vy != 0 {
		t.Fatalf("velocity %.1f,%.1f after resting 250ms, want 0", p.vx, p.vy)
	}

	// Capped.
	p.DragStart(500, 500, 2*time.Second)
	p.DragEnd(1500, 500, 2*time.Second+10*time.Millisecond)
	if sp := math.Hypot(p.vx, p.vy); math.Abs(sp-p.cfg.MaxThrowSpeed) > 1e-6 {
		t.Fatalf("speed %.1f, want capped at %.1f", sp, p.cfg.MaxThrowSpeed)
	}
}

func TestDragFrame(t *testing.T) {
	p := newTestPet(t, oneMonitor(), 1, nil)
	p.Place(960, 1080)
	stepFor(p, time.Second)
	ms := time.Millisecond
	ax, ay := p.x, p.y
	p.DragStart(900, 1000, 0)
	if got := p.Pose(); got.State != StateDrag || got.Anim != AnimDrag || got.Frame != 0 {
		t.Fatalf("grabbed pose %+v, want drag frame 0", got)
	}
	p.DragMove(880, 1000, 16*ms)
	p.DragMove(860, 1000, 32*ms) // 1250 px/s left
	if f := p.Pose().Frame; f != 1 {
		t.Fatalf("moving left: frame %d, want 1", f)
	}
	p.Step(tick) // Step keeps the frame while motion is recent
	if f := p.Pose().Frame; f != 1 {
		t.Fatalf("moving left after Step: frame %d, want 1", f)
	}
	p.DragMove(900, 1010, 48*ms)
	p.DragMove(960, 1000, 64*ms)
	if f := p.Pose().Frame; f != 2 {
		t.Fatalf("moving right: frame %d, want 2", f)
	}
	p.DragMove(962, 1000, 170*ms) // slow drift
	if f := p.Pose().Frame; f != 0 {
		t.Fatalf("slow motion: frame %d, want 0", f)
	}
	p.DragMove(1100, 1000, 190*ms)
	stepFor(p, 200*ms) // no motion events for a while: hangs still
	if f := p.Pose().Frame; f != 0 {
		t.Fatalf("pointer resting: frame %d, want 0", f)
	}
	// The grab point stays on the sprite.
	if ps := p.Pose(); ps.X != 1100+(ax-900) || ps.Y != ay {
		t.Fatalf("dragged anchor at %.0f,%.0f, want the grab offset kept", ps.X, ps.Y)
	}
}

func TestSleepAfterInactivity(t *testing.T) {
	p := newTestPet(t, oneMonitor(), 3, func(c *Config) {
		c.SleepAfter = time.Minute
		c.NapMin, c.NapMax = 2*time.Minute, 2*time.Minute
		c.Weights = map[string]float64{WeightSleep: 1e-9} // only the SleepAfter sleep
	})
	p.Place(960, 1080)
	// Attention keeps it awake.
	for range 3 {
		stepFor(p, 50*time.Second)
		if p.Pose().Zzz {
			t.Fatal("fell asleep while getting attention")
		}
		p.Attention()
	}
	stepUntil(t, p, 90*time.Second, "fall asleep", func() bool { return p.Pose().Zzz })
	if p.Pose().State != StateSleep || p.idle < time.Minute {
		t.Fatalf("asleep in state %s after idle %v", p.Pose().State, p.idle)
	}
	p.Poke()
	if ps := p.Pose(); ps.Zzz || ps.State != StatePoke || p.idle != 0 {
		t.Fatalf("poke should wake it: %+v idle %v", ps, p.idle)
	}
	// Alone, it naps and wakes by itself.
	stepUntil(t, p, 2*time.Minute, "fall asleep again", func() bool { return p.Pose().Zzz })
	stepUntil(t, p, 3*time.Minute, "wake from the nap", func() bool { return !p.Pose().Zzz })

	// sleep weight 0 disables sleeping altogether.
	q := newTestPet(t, oneMonitor(), 3, func(c *Config) {
		c.SleepAfter = time.Minute
		c.Weights = map[string]float64{WeightSleep: 0}
	})
	q.Place(960, 1080)
	for range 10 * 60 * 25 {
		q.Step(tick)
		if q.Pose().Zzz {
			t.Fatal("slept with weight sleep=0")
		}
	}
}

func TestWindowTopWalkAndFall(t *testing.T) {
	w := &StaticWorld{Areas: []Rect{{0, 0, 1920, 1080}}, Tops: []Surface{{ID: 7, X: 400, Y: 600, W: 800}}}
	p := newTestPet(t, w, 5, nil)
	p.Place(800, 300)
	stepUntil(t, p, 3*time.Second, "land on the window", p.settled)
	if p.y != 600 || p.sup.kind != supSurface || p.sup.id != 7 {
		t.Fatalf("landed at y=%.1f on %v/%d, want the window top 600", p.y, p.sup.kind, p.sup.id)
	}
	// Walk along it: stays on top, turns or walks off at the ends.
	p.force(StateWalk, true, time.Minute)
	stayed := 0
	for range 500 {
		p.Step(tick)
		if p.state != StateWalk {
			break
		}
		if p.y != 600 || p.x < 400 || p.x > 1200 {
			t.Fatalf("walking on the window but at %.1f,%.1f", p.x, p.y)
		}
		stayed++
	}
	if stayed < 100 {
		t.Fatalf("walked on the window for only %d steps", stayed)
	}

	// Window moves down: it falls (to the window's new top).
	p.Place(800, 300)
	stepUntil(t, p, 3*time.Second, "land on the window", p.settled)
	w.Tops = []Surface{{ID: 7, X: 400, Y: 640, W: 800}}
	p.Step(tick)
	if p.state != StateFall && p.state != StateLand {
		t.Fatalf("state %s after its window moved, want fall", p.state)
	}
	stepUntil(t, p, 3*time.Second, "land again", p.settled)
	if p.y != 640 {
		t.Fatalf("y=%.1f, want the moved window top 640", p.y)
	}
	// Window closed: falls to the floor.
	w.Tops = nil
	p.Step(tick)
	if p.state != StateFall {
		t.Fatalf("state %s after its window closed, want fall", p.state)
	}
	stepUntil(t, p, 3*time.Second, "land on the floor", p.settled)
	if p.y != 1080 {
		t.Fatalf("y=%.1f, want the floor 1080", p.y)
	}
	// A window covered where it stands (segment cut): falls too.
	w.Tops = []Surface{{ID: 9, X: 400, Y: 600, W: 800}}
	p.Place(800, 300)
	stepUntil(t, p, 3*time.Second, "land on the window", p.settled)
	w.Tops = []Surface{{ID: 9, X: 400, Y: 600, W: 300}, {ID: 9, X: 900, Y: 600, W: 300}}
	p.Step(tick)
	if p.state != StateFall {
		t.Fatalf("state %s with its spot covered, want fall", p.state)
	}
}

func TestJumpOntoWindow(t *testing.T) {
	w := &StaticWorld{Areas: []Rect{{0, 0, 1920, 1080}}, Tops: []Surface{{ID: 3, X: 1000, Y: 880, W: 300}}}
	p := newTestPet(t, w, 9, nil)
	p.Place(900, 1080)
	stepUntil(t, p, 3*time.Second, "land", p.settled)
	p.startJump()
	stepUntil(t, p, 5*time.Second, "land after the jump", func() bool { return !p.airborne() })
	if p.sup.kind != supSurface || p.y != 880 {
		t.Fatalf("jump ended at %.1f,%.1f on %v, want the window top at 880", p.x, p.y, p.sup.kind)
	}
}

func TestWalkAcrossMonitors(t *testing.T) {
	w := &StaticWorld{Areas: []Rect{{0, 0, 1920, 1080}, {1920, 0, 1920, 1080}}}
	p := newTestPet(t, w, 2, nil)
	p.Place(1800, 1080)
	stepUntil(t, p, 3*time.Second, "land", p.settled)
	p.force(StateRun, true, time.Minute)
	stepUntil(t, p, 5*time.Second, "cross to the second monitor", func() bool { return p.x > 1920+100 })
	if p.state != StateRun || p.y != 1080 {
		t.Fatalf("crossed in state %s at y=%.1f, want running on the floor", p.state, p.y)
	}
}

func TestStepDownAndClimbOverStep(t *testing.T) {
	// Left monitor's floor is 56 px higher than the right one's.
	w := &StaticWorld{Areas: []Rect{{0, 0, 1920, 1024}, {1920, 0, 1920, 1080}}}
	p := newTestPet(t, w, 2, nil)
	p.Place(1800, 1024)
	stepUntil(t, p, 3*time.Second, "land", p.settled)
	p.w = resolveWeights(map[string]float64{WeightClimb: 1000})
	p.force(StateWalk, true, time.Minute)
	stepUntil(t, p, 10*time.Second, "step down", func() bool { return p.x > 1920 && p.settled() })
	if p.y != 1080 {
		t.Fatalf("after stepping down y=%.1f, want 1080", p.y)
	}
	// Walk back left into the step and climb over it.
	p.x = 1920 + 200
	p.force(StateWalk, false, time.Minute)
	stepUntil(t, p, 10*time.Second, "climb the step", func() bool { return p.state == StateClimb })
	if p.fits(p.x-2, p.y) || p.wallRight {
		t.Fatalf("climbing with wallRight=%v at x=%.1f", p.wallRight, p.x)
	}
	stepUntil(t, p, 10*time.Second, "get over the step", func() bool { return p.x < 1920 && p.settled() })
	if p.y != 1024 {
		t.Fatalf("over the step at y=%.1f, want the higher floor 1024", p.y)
	}
}

func TestClimbToCeilingAndDrop(t *testing.T) {
	w := &StaticWorld{Areas: []Rect{{0, 30, 1920, 1000}}} // top panel 30 px
	p := newTestPet(t, w, 4, func(c *Config) { c.ClimbSpeed = 400 })
	p.Place(1800, 1030)
	stepUntil(t, p, 3*time.Second, "land", p.settled)
	p.w = resolveWeights(map[string]float64{WeightClimb: 1000, WeightCeiling: 1000})
	p.force(StateWalk, true, time.Minute)
	stepUntil(t, p, 10*time.Second, "climb", func() bool { return p.state == StateClimb })
	if !p.wallRight || !p.Pose().FacingRight || math.Abs(p.x+p.cfg.Size.W/2-1920) > 1 {
		t.Fatalf("climbing at x=%.1f wallRight=%v, want box flush with the right edge", p.x, p.wallRight)
	}
	stepUntil(t, p, 30*time.Second, "reach the top edge", func() bool { return p.state == StateHang || p.state == StateCeiling })
	if top := p.y - p.cfg.Size.H; math.Abs(top-30) > 1 {
		t.Fatalf("hanging with box top at %.1f, want the work-area top 30", top)
	}
	stepUntil(t, p, 30*time.Second, "walk along the top edge", func() bool { return p.state == StateCeiling })
	x0 := p.x
	p.Step(time.Second / 2)
	if p.state == StateCeiling && p.x == x0 {
		t.Fatal("ceiling walk does not move")
	}
	p.Poke() // lets go
	if p.state != StateFall {
		t.Fatalf("poke on the ceiling: state %s, want fall", p.state)
	}
	stepUntil(t, p, 5*time.Second, "land on the floor", p.settled)
}

func TestMonitorRemovalBringsHome(t *testing.T) {
	w := &StaticWorld{Areas: []Rect{{0, 0, 1920, 1080}, {1920, -200, 2560, 1440}}}
	p := newTestPet(t, w, 6, nil)
	p.Place(3000, 1240)
	stepUntil(t, p, 3*time.Second, "land on the second monitor", p.settled)
	w.Areas = w.Areas[:1]
	p.Step(tick)
	if !p.g.inArea(p.x, p.y, 0) || !p.fits(p.x, p.y) {
		t.Fatalf("after unplugging its monitor the pet is at %.1f,%.1f, outside the remaining one", p.x, p.y)
	}
	stepUntil(t, p, 5*time.Second, "settle at home", p.settled)
	if p.y != 1080 || p.x > 1920 {
		t.Fatalf("home at %.1f,%.1f, want on the first monitor's floor", p.x, p.y)
	}
	// A bottom panel appearing under it lifts it onto the new floor.
	w.Areas = []Rect{{0, 0, 1920, 1040}}
	p.Step(tick)
	stepUntil(t, p, 5*time.Second, "settle above the panel", p.settled)
	if p.y != 1040 {
		t.Fatalf("y=%.1f with a 40 px bottom panel, want 1040", p.y)
	}
}

func TestReleaseOverPanelComesBack(t *testing.T) {
	w := &StaticWorld{Areas: []Rect{{0, 0, 1920, 1040}}} // 40 px bottom panel
	p := newTestPet(t, w, 6, nil)
	p.Place(960, 1040)
	stepFor(p, time.Second)
	p.DragStart(960, 1000, 0)
	p.DragMove(960, 1070, 200*time.Millisecond) // onto the panel
	p.DragEnd(960, 1070, 400*time.Millisecond)
	p.Step(tick)
	if !p.fits(p.x, p.y) {
		t.Fatalf("released over the panel, still at %.1f,%.1f", p.x, p.y)
	}
	stepUntil(t, p, 5*time.Second, "settle", p.settled)
	if p.y != 1040 {
		t.Fatalf("y=%.1f, want 1040", p.y)
	}
}

func TestInteractions(t *testing.T) {
	p := newTestPet(t, oneMonitor(), 8, nil)
	p.Place(960, 1080)
	stepUntil(t, p, 3*time.Second, "settle", p.settled)

	p.Joy()
	if ps := p.Pose(); ps.State != StateJoy || ps.Anim != AnimJoy {
		t.Fatalf("joy pose %+v", ps)
	}
	p.Step(100 * time.Millisecond)
	if p.y >= 1080 {
		t.Fatal("joy should jump")
	}
	stepUntil(t, p, 3*time.Second, "finish the joy jump", func() bool { return p.state != StateJoy })
	if p.y != 1080 {
		t.Fatalf("after joy y=%.1f", p.y)
	}

	p.Surprise()
	if ps := p.Pose(); ps.State != StateSurprise || ps.Anim != AnimSurprise {
		t.Fatalf("surprise pose %+v", ps)
	}
	stepUntil(t, p, 3*time.Second, "finish the surprise", func() bool { return p.state != StateSurprise })

	p.Poke()
	if ps := p.Pose(); ps.State != StatePoke || ps.Anim != AnimPoke || ps.Frame != 0 {
		t.Fatalf("poke pose %+v", ps)
	}
	stepUntil(t, p, 2*time.Second, "finish the poke", func() bool { return p.state != StatePoke })

	// Hidden while a fullscreen window is active: frozen, input ignored.
	q := newTestPet(t, oneMonitor(), 8, func(c *Config) { c.AvoidFullscreen = true })
	q.Place(960, 500)
	q.SetFullscreen(true)
	if !q.Step(tick) || !q.Pose().Hidden {
		t.Fatal("SetFullscreen(true) with AvoidFullscreen must hide (and report a change)")
	}
	before := q.Pose()
	stepFor(q, time.Second)
	q.Poke()
	if after := q.Pose(); after != before {
		t.Fatalf("hidden pet changed: %+v -> %+v", before, after)
	}
	q.SetFullscreen(false)
	stepUntil(t, q, 3*time.Second, "fall once shown again", q.settled)
	r := newTestPet(t, oneMonitor(), 8, nil) // without AvoidFullscreen it stays
	r.SetFullscreen(true)
	if r.Pose().Hidden {
		t.Fatal("hidden without AvoidFullscreen")
	}
}

func TestStepReportsChanges(t *testing.T) {
	p := newTestPet(t, oneMonitor(), 8, func(c *Config) {
		c.Animations[AnimStand] = Animation{Frames: []time.Duration{time.Hour}, Loop: true}
	})
	p.Place(960, 1080)
	stepUntil(t, p, 3*time.Second, "settle", p.settled)
	p.force(StateStand, true, time.Hour)
	p.Step(tick)
	if p.Step(tick) {
		t.Fatal("a still pet on a one-frame animation reported a change")
	}
	p.force(StateWalk, true, time.Hour)
	changes := 0
	for range 25 {
		if p.Step(tick) {
			changes++
		}
	}
	if changes < 20 {
		t.Fatalf("walking reported only %d changes in 25 steps", changes)
	}
}

func TestWeightsAndConfigDefaults(t *testing.T) {
	w := resolveWeights(map[string]float64{WeightWalk: 0, WeightRun: -3, WeightJump: 7})
	def := DefaultWeights()
	if w[bWalk] != 0 || w[bRun] != 0 || w[bJump] != 7 || w[bStand] != def[WeightStand] {
		t.Fatalf("resolved weights %v", w)
	}
	c := Config{}.normalise() // all zero: usable defaults, no NaN traps
	if c.Size.W <= 0 || c.Gravity <= 0 || c.WalkSpeed <= 0 || c.NapMax < c.NapMin {
		t.Fatalf("normalised zero config %+v", c)
	}
	// A pet with every weight zero still lives (stands, re-checks).
	p := newTestPet(t, oneMonitor(), 1, func(c *Config) {
		c.Weights = map[string]float64{}
		for _, k := range weightKeys {
			c.Weights[k] = 0
		}
	})
	p.Place(960, 1080)
	stepFor(p, time.Minute)
	if p.state != StateStand {
		t.Fatalf("all weights zero: state %s, want stand", p.state)
	}
}
