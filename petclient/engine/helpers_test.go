package engine

import (
	"math/rand/v2"
	"testing"
	"time"
)

const tick = 40 * time.Millisecond

func testAnims() Animations {
	a := Animations{}
	for _, n := range RequiredAnimations {
		a[n] = Animation{Frames: []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}, Loop: true}
	}
	for _, n := range []string{AnimLand, AnimPoke, AnimJoy, AnimSurprise} {
		a[n] = Animation{Frames: []time.Duration{80 * time.Millisecond, 80 * time.Millisecond, 80 * time.Millisecond}}
	}
	a[AnimDrag] = Animation{Frames: []time.Duration{time.Second, time.Second, time.Second}, Loop: true}
	return a
}

func testConfig() Config {
	c := DefaultConfig()
	c.Animations = testAnims()
	return c
}

func newTestPet(t testing.TB, w World, seed uint64, mod func(*Config)) *Pet {
	t.Helper()
	c := testConfig()
	if mod != nil {
		mod(&c)
	}
	return New(c, rand.New(rand.NewPCG(seed, 0x7ac)), w)
}

func oneMonitor() *StaticWorld {
	return &StaticWorld{Areas: []Rect{{0, 0, 1920, 1080}}}
}

// stepUntil steps until cond holds; it fails the test after limit.
func stepUntil(t testing.TB, p *Pet, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for el := time.Duration(0); el < limit; el += tick {
		if cond() {
			return
		}
		p.Step(tick)
	}
	if !cond() {
		ps := p.Pose()
		t.Fatalf("after %v: never %s (state %s at %.1f,%.1f)", limit, what, ps.State, ps.X, ps.Y)
	}
}

func stepFor(p *Pet, d time.Duration) {
	for el := time.Duration(0); el < d; el += tick {
		p.Step(tick)
	}
}

// settled: standing on something and done with any landing.
func (p *Pet) settled() bool {
	return p.onFloor() && p.state != StateLand && p.state != StatePoke && !p.air
}

// force starts a timed floor state, as next() would.
func (p *Pet) force(st string, right bool, d time.Duration) {
	p.right = right
	p.setState(st, d)
}
