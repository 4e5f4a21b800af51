package engine

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// layout is a desktop for the soak test; hotplug toggles the last area.
type layout struct {
	name    string
	areas   []Rect
	hotplug bool
}

var soakLayouts = []layout{
	{name: "panels top+bottom+left", areas: []Rect{{64, 32, 1856, 1000}}},
	{name: "heights top-aligned", areas: []Rect{{0, 0, 1920, 1080}, {1920, 0, 1280, 1024}}},
	{name: "heights bottom-aligned", areas: []Rect{{0, 0, 2560, 1440}, {2560, 360, 1920, 1080}}},
	{name: "offset with gap", areas: []Rect{{0, 0, 1920, 1080}, {2000, 300, 1280, 1024}}},
	{name: "vertical stack", areas: []Rect{{0, 0, 1920, 1080}, {320, 1080, 1280, 1024}}},
	{name: "three ragged", areas: []Rect{{0, 0, 1920, 1080}, {1920, 0, 2560, 1400}, {4480, 200, 1080, 1920}}},
	{name: "hotplug", areas: []Rect{{0, 0, 1920, 1080}, {1920, -300, 2560, 1440}}, hotplug: true},
}

// soakResult is what one run observed.
type soakResult struct {
	states    map[string]bool
	rescues   int
	unplugged int // times its own monitor was unplugged under it
	err       error
}

// soak runs one pet for simDur on l with random windows and random user
// input, checking after every step that it is where it may be and that its
// state keeps changing.
func soak(l layout, seed uint64, simDur time.Duration) soakResult {
	rng := rand.New(rand.NewPCG(seed, 99))
	w := &StaticWorld{Areas: append([]Rect(nil), l.areas...)}
	cfg := testConfig()
	cfg.SleepAfter = 8 * time.Minute
	cfg.NapMin, cfg.NapMax = 2*time.Minute, 6*time.Minute
	p := New(cfg, rand.New(rand.NewPCG(seed, 1)), w)
	a0 := l.areas[int(rng.Uint64()%uint64(len(l.areas)))]
	p.Place(a0.X+a0.W*rng.Float64(), a0.Y+a0.H*rng.Float64())

	res := soakResult{states: map[string]bool{}}
	fail := func(el time.Duration, f string, args ...any) soakResult {
		ps := p.Pose()
		res.err = fmt.Errorf("%s seed %d at %v (state %s, anchor %.1f,%.1f): %s",
			l.name, seed, el, ps.State, ps.X, ps.Y, fmt.Sprintf(f, args...))
		return res
	}
	randomWindows := func() {
		w.Tops = w.Tops[:0]
		for i := range 1 + rng.IntN(5) {
			a := w.Areas[rng.IntN(len(w.Areas))]
			ww := 100 + rng.Float64()*a.W*0.6
			w.Tops = append(w.Tops, Surface{ID: uint64(i + 1), X: a.X + rng.Float64()*(a.W-ww), Y: a.Y + rng.Float64()*a.H, W: ww})
		}
	}
	randomWindows()

	nextInput := time.Duration(0)
	nextWindows := time.Duration(0)
	lastState, lastChange := p.Pose().State, time.Duration(0)
	outsideFor := time.Duration(0)
	plugged := true
	for el := time.Duration(0); el < simDur; el += tick {
		if el >= nextWindows {
			randomWindows()
			nextWindows = el + time.Duration(20+rng.IntN(300))*time.Second
		}
		if l.hotplug && el%(20*time.Minute) == 0 && el > 0 {
			plugged = !plugged
			if plugged {
				w.Areas = append([]Rect(nil), l.areas...)
			} else {
				w.Areas = l.areas[:1]
				if !p.g.inArea(p.x, p.y, 0) || p.x > l.areas[0].X+l.areas[0].W {
					res.unplugged++
				}
			}
			randomWindows()
		}
		if el >= nextInput {
			nextInput = el + time.Duration(60+rng.IntN(20*60))*time.Second
			switch rng.IntN(5) {
			case 0, 1: // drag somewhere on a monitor (maybe over a panel) and throw
				ps := p.Pose()
				px, py := ps.X, ps.Y-cfg.Size.H/2
				ms := time.Duration(el.Milliseconds()) * time.Millisecond
				p.DragStart(px, py, ms)
				a := w.Areas[rng.IntN(len(w.Areas))]
				tx, ty := a.X-40+rng.Float64()*(a.W+80), a.Y-40+rng.Float64()*(a.H+80)
				p.DragMove(tx, ty, ms+200*time.Millisecond)
				p.Step(tick)
				res.states[p.Pose().State] = true
				vx, vy := (rng.Float64()-0.5)*6000, (rng.Float64()-0.7)*5000
				p.DragEnd(tx+vx*0.05, ty+vy*0.05, ms+250*time.Millisecond)
			case 2:
				p.Poke()
			case 3:
				p.Joy()
			case 4:
				p.Surprise()
			}
		}

		p.Step(tick)
		ps := p.Pose()
		res.states[ps.State] = true
		if ps.State != lastState {
			lastState, lastChange = ps.State, el
		} else if el-lastChange > cfg.NapMax+2*time.Minute { // a short nap can run into the long one
			return fail(el, "stuck in %s since %v", ps.State, lastChange)
		}
		if ps.State == StateDrag {
			continue
		}
		if !p.g.inArea(ps.X, ps.Y, anchorTol) {
			return fail(el, "anchor outside every work area")
		}
		if p.fits(ps.X, ps.Y) {
			outsideFor = 0
		} else if outsideFor += tick; outsideFor > cfg.RescueAfter+tick {
			return fail(el, "box outside the work areas for %v", outsideFor)
		}
	}
	res.rescues = p.rescues
	return res
}

func TestSoakLayouts(t *testing.T) {
	seeds := 50
	simDur := 2 * time.Hour
	if testing.Short() {
		seeds, simDur = 2, 30*time.Minute
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	for li, l := range soakLayouts {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			unplugged := 0
			defer func() {
				if l.hotplug && unplugged == 0 {
					t.Error("the pet was never on the monitor when it was unplugged: scenario not exercised")
				}
			}()
			for s := range seeds {
				r := soak(l, uint64(li*1000+s), simDur)
				if r.err != nil {
					t.Fatal(r.err)
				}
				if !l.hotplug && r.rescues > 0 {
					t.Errorf("seed %d: %d rescues on a static layout; the pet got somewhere it should not", s, r.rescues)
				}
				unplugged += r.unplugged
				mu.Lock()
				for k := range r.states {
					seen[k] = true
				}
				mu.Unlock()
			}
		})
	}
	t.Cleanup(func() {
		all := []string{StateStand, StateLook, StateWalk, StateRun, StateSit, StateSleep, StateJump,
			StateFall, StateThrown, StateLand, StateClimb, StateHang, StateCeiling, StateDrag,
			StatePoke, StateJoy, StateSurprise}
		for _, s := range all {
			if !seen[s] {
				t.Errorf("state %q never reached in the soak runs", s)
			}
		}
	})
}

func benchPet(b *testing.B) *Pet {
	w := &StaticWorld{
		Areas: []Rect{{0, 32, 1920, 1048}, {1920, 0, 2560, 1400}, {4480, 200, 1080, 1920}},
		Tops:  []Surface{{1, 100, 600, 700}, {2, 900, 400, 500}, {3, 2000, 800, 900}, {4, 3000, 300, 600}},
	}
	return newTestPet(b, w, 1, nil)
}

func BenchmarkStepWalking(b *testing.B) {
	p := benchPet(b)
	p.Place(960, 1080)
	stepFor(p, 2*time.Second)
	b.ReportAllocs()
	for b.Loop() {
		if p.state != StateWalk {
			p.force(StateWalk, !p.right, time.Hour)
		}
		p.Step(tick)
	}
}

func BenchmarkStepThrown(b *testing.B) {
	p := benchPet(b)
	b.ReportAllocs()
	for b.Loop() {
		if !p.airborne() {
			p.Place(2500, 200)
			p.state = StateThrown
			p.vx, p.vy = 2500, -1500
		}
		p.Step(tick)
	}
}

func BenchmarkStepMixed(b *testing.B) {
	p := benchPet(b)
	b.ReportAllocs()
	for b.Loop() {
		p.Step(tick)
	}
}
