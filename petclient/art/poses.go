package art

import "math"

// FrameSpec is one frame of an animation: a pose and how long it shows.
type FrameSpec struct {
	Pose       Pose
	DurationMS int
}

// AnimSpec is one named animation of the default pack.
type AnimSpec struct {
	Name   string
	Loop   bool
	Frames []FrameSpec
}

// gait moves the feet for a trot: diagonal pairs step together. phase runs
// 0..2π; stance slides a foot back under the body, swing lifts it forward.
func gait(p *Pose, phase, stride, lift float64) {
	n := Standing().Feet
	for i := range p.Feet {
		ph := phase
		if i == RearNear || i == FrontFar {
			ph += math.Pi
		}
		p.Feet[i] = Vec{
			X: n[i].X - stride*math.Cos(ph),
			Y: n[i].Y - lift*math.Max(0, -math.Sin(ph)),
		}
	}
}

// feetToward pulls all feet toward the body centre by k (0..1) in x.
func feetToward(p *Pose, k float64) {
	for i := range p.Feet {
		p.Feet[i].X += (p.Body.X - p.Feet[i].X) * k
	}
}

// Animations returns the default pack's animations, covering every name in
// engine.RequiredAnimations (checked by tests here and in petclient/pack).
func Animations() []AnimSpec {
	var out []AnimSpec
	add := func(name string, loop bool, fr ...FrameSpec) {
		out = append(out, AnimSpec{Name: name, Loop: loop, Frames: fr})
	}
	f := func(p Pose, ms int) FrameSpec { return FrameSpec{p, ms} }

	// stand: mostly still, with a blink.
	{
		p := Standing()
		half, shut := p, p
		half.Eyes, shut.Eyes = 0.45, 0
		add("stand", true, f(p, 1800), f(half, 60), f(shut, 90), f(half, 60))
	}

	// look: the cabin turns and the eyes look around.
	{
		var fr []FrameSpec
		for _, l := range []struct {
			look       Vec
			head, tilt float64
			ms         int
		}{
			{Vec{-1, 0}, 0, 0, 500},
			{Vec{-1, -0.9}, 0.10, 0.03, 450},
			{Vec{0.2, -1}, 0.14, 0.04, 450},
			{Vec{0.9, 0.2}, -0.04, 0, 600},
			{Vec{-0.3, 0.9}, -0.12, -0.03, 450},
		} {
			p := Standing()
			p.Look, p.Head, p.Tilt = l.look, l.head, l.tilt
			p.Arm = [2]float64{1.0 + l.head*3, 1.2}
			fr = append(fr, f(p, l.ms))
		}
		add("look", true, fr...)
	}

	// walk: 8-frame trot, wheels rolling left.
	{
		var fr []FrameSpec
		const n = 8
		for i := 0; i < n; i++ {
			ph := 2 * math.Pi * float64(i) / n
			p := Standing()
			gait(&p, ph, 3.5, 3.2)
			p.Body.Y += 0.8 * math.Abs(math.Sin(ph))
			p.Pod = 0.05 * math.Sin(2*ph)
			p.Wheel = -ph * 2
			p.Look = Vec{-0.7, 0}
			p.Arm = [2]float64{1.0 + 0.25*math.Sin(ph), 1.2}
			p.ArmFar = [2]float64{0.8 - 0.25*math.Sin(ph), 1.2}
			fr = append(fr, f(p, 95))
		}
		add("walk", true, fr...)
	}

	// run: lower, nose down, longer strides, faster.
	{
		var fr []FrameSpec
		const n = 6
		for i := 0; i < n; i++ {
			ph := 2 * math.Pi * float64(i) / n
			p := Standing()
			p.Body.Y += 4
			p.Tilt = -0.07
			gait(&p, ph, 5, 4)
			for i := range p.Feet {
				p.Feet[i].X -= 2.5 // the long stride must stay on the canvas
			}
			p.Body.Y += 1.2 * math.Abs(math.Sin(ph))
			p.Pod = 0.12 + 0.06*math.Sin(2*ph)
			p.Wheel = -ph * 3
			p.Look = Vec{-1, 0.1}
			p.Arm = [2]float64{-0.5, 1.3}
			p.ArmFar = [2]float64{-0.6, 1.3}
			fr = append(fr, f(p, 60))
		}
		add("run", true, fr...)
	}

	sitting := func() Pose {
		p := Standing()
		p.Body.Y = -17
		p.Body.X = 2
		p.Tilt = 0.12
		p.Pod = -0.38
		feetToward(&p, 0.1)
		p.Arm = [2]float64{0.2, 0.6}
		p.ArmFar = [2]float64{0.1, 0.6}
		return p
	}

	// sit: lower down, pod resting behind, then hold.
	{
		a, b := Standing(), sitting()
		mid := a
		mid.Body = lerp(a.Body, b.Body, 0.5)
		mid.Tilt, mid.Pod = b.Tilt/2, b.Pod/2
		b2 := b
		b2.Look = Vec{-0.6, -0.4}
		add("sit", false, f(mid, 120), f(b, 900), f(b2, 1500))
	}

	// sleep: sitting lower still, eyes shut, slow breathing. No Zzz in the
	// frames: the display draws its own above the pet.
	{
		p := sitting()
		p.Body.Y = -15
		p.Tilt = -0.02
		p.Pod = -0.3
		p.Eyes = 0
		p.Arm = [2]float64{1.0, 1.9} // curled up under the chin
		p.ArmFar = [2]float64{0.9, 1.9}
		q := p
		q.Squash = 0.97
		q.Pod = -0.34
		add("sleep", true, f(p, 1100), f(q, 1100))
	}

	// jump: crouch, push off, rise with legs trailing.
	{
		c := Standing()
		c.Body.Y = -20
		c.Squash = 0.92
		c.Tilt = -0.05
		c.Eyes = 0.6
		feetToward(&c, -0.06)
		e := Standing()
		e.Body.Y = -33
		e.Tilt = 0.12
		e.Pod = -0.1
		e.Look = Vec{-0.6, -0.8}
		e.Arm = [2]float64{1.6, 0.4}
		e.ArmFar = [2]float64{1.4, 0.4}
		feetToward(&e, 0.18)
		r := e
		r.Body.Y = -32
		r.Lift = 3
		r.Tilt = 0.06
		for i := range r.Feet {
			r.Feet[i].Y -= 3
		}
		add("jump", false, f(c, 90), f(e, 110), f(r, 220))
	}

	// fall: legs spread wide, eyes wide, flailing.
	{
		var fr []FrameSpec
		for i := 0; i < 2; i++ {
			p := Standing()
			p.Body.Y = -30
			s := float64(i*2 - 1)
			p.Tilt = -0.08
			p.Feet = [4]Vec{
				FrontNear: {-31, -14 + 1.5*s},
				RearNear:  {30, -16 - 1.5*s},
				FrontFar:  {-24, -20 - s},
				RearFar:   {33, -22 + s},
			}
			p.Wide = 0.25
			p.Look = Vec{0, -1}
			p.Pod = 0.15
			p.Arm = [2]float64{2.2 + 0.3*s, 0.3}
			p.ArmFar = [2]float64{2.0 - 0.3*s, 0.3}
			p.Wheel = float64(i)
			fr = append(fr, f(p, 110))
		}
		add("fall", true, fr...)
	}

	// land: squash and recover.
	{
		a := Standing()
		a.Body.Y = -19
		a.Squash = 0.8
		a.Pod = -0.2
		a.Eyes = 0.3
		feetToward(&a, 0.08) // the squash widens the figure
		b := Standing()
		b.Body.Y = -24
		b.Squash = 0.93
		b.Pod = -0.08
		add("land", false, f(a, 80), f(b, 90), f(Standing(), 120))
	}

	// climb: on a wall to the left, nose up, feet alternate.
	{
		var fr []FrameSpec
		const n = 4
		for i := 0; i < n; i++ {
			ph := 2 * math.Pi * float64(i) / n
			p := Standing()
			p.Orient = Wall
			p.Body = Vec{-2, -25}
			gait(&p, ph, 3.5, 3.5)
			// Tuck the rear in: the body is longer than the canvas is tall.
			p.Feet[RearFar].X -= 8
			p.Feet[RearNear].X -= 5
			p.Feet[FrontNear].X += 4.5
			p.Feet[FrontFar].X -= 1
			p.Pod = 0.5
			p.Look = Vec{-1, -0.4}
			p.Arm = [2]float64{0.4 + 0.3*math.Sin(ph), 0.7}
			p.ArmFar = [2]float64{0.3 - 0.3*math.Sin(ph), 0.7}
			p.Wheel = -ph
			fr = append(fr, f(p, 130))
		}
		add("climb", true, fr...)
	}

	// hang: upside down under a top edge, legs stretched, swaying.
	{
		var fr []FrameSpec
		for i := 0; i < 2; i++ {
			s := float64(i*2 - 1)
			p := Standing()
			p.Orient = Ceiling
			p.Body = Vec{1 + s, -31}
			p.Tilt = 0.05 * s
			feetToward(&p, 0.1)
			p.Look = Vec{-0.5, 1}
			p.Arm = [2]float64{0.2 - 0.2*s, 0.5}
			p.ArmFar = [2]float64{0.2 + 0.2*s, 0.5}
			fr = append(fr, f(p, 500))
		}
		add("hang", true, fr...)
	}

	// ceiling: walking upside down.
	{
		var fr []FrameSpec
		const n = 6
		for i := 0; i < n; i++ {
			ph := 2 * math.Pi * float64(i) / n
			p := Standing()
			p.Orient = Ceiling
			gait(&p, ph, 3.5, 3)
			p.Body.Y += 0.8 * math.Abs(math.Sin(ph))
			p.Wheel = -ph * 2
			p.Look = Vec{-0.8, 0.6}
			fr = append(fr, f(p, 110))
		}
		add("ceiling", true, fr...)
	}

	// drag: dangling from the pointer; 0 centre, 1 swung left, 2 swung right.
	{
		var fr []FrameSpec
		for _, sw := range []float64{0, 0.32, -0.32} {
			p := Standing()
			p.Orient = Held
			p.Swing = sw
			b := p.Body
			p.Feet = [4]Vec{
				FrontNear: b.add(Vec{-13, 22}),
				RearNear:  b.add(Vec{14, 21}),
				FrontFar:  b.add(Vec{-7, 19}),
				RearFar:   b.add(Vec{19, 18}),
			}
			// Legs trail behind the swing.
			for i := range p.Feet {
				p.Feet[i].X += sw * 8
			}
			p.Wide = 0.15
			p.Look = Vec{0.2, -1}
			p.Pod = -0.1
			p.Arm = [2]float64{0.1 + sw, 0.4}
			p.ArmFar = [2]float64{0.0 + sw, 0.4}
			fr = append(fr, f(p, 150))
		}
		add("drag", false, fr...)
	}

	// poke: flinch back, eyes wide, then settle.
	{
		a := Standing()
		a.Body.X += 3
		a.Body.Y += 3
		a.Tilt = 0.14
		a.Squash = 0.92
		a.Wide = 0.3
		a.Pod = 0.15
		a.Look = Vec{-0.2, -0.6}
		a.Mark = Sweat
		a.Arm = [2]float64{1.8, 0.6}
		a.ArmFar = [2]float64{1.6, 0.6}
		b := Standing()
		b.Body.X += 1
		b.Tilt = 0.05
		b.Wide = 0.15
		b.Mark = Sweat
		add("poke", false, f(a, 140), f(b, 260), f(Standing(), 200))
	}

	// joy: hop with arms up, happy eyes.
	{
		crouch := Standing()
		crouch.Body.Y = -22
		crouch.Squash = 0.92
		crouch.Eyes = 0
		crouch.Happy = true
		up := Standing()
		up.Lift = 3
		up.Body.Y = -30
		up.Happy = true
		up.Tilt = 0.08
		up.Pod = 0.2
		up.Arm = [2]float64{1.9, -0.2}
		up.ArmFar = [2]float64{1.6, 0.2}
		for i := range up.Feet {
			up.Feet[i].Y -= 1
		}
		feetToward(&up, 0.1)
		up.Mark = Sparkle
		top := up
		top.Lift = 5
		top.Arm = [2]float64{2.0, -0.5}
		top.ArmFar = [2]float64{1.7, 0.2}
		add("joy", false, f(crouch, 90), f(up, 110), f(top, 160), f(up, 110), f(crouch, 90), f(up, 110), f(top, 160), f(Standing(), 150))
	}

	// surprise: start back with wide eyes and a "!".
	{
		a := Standing()
		a.Lift = 3
		a.Body.X += 2
		a.Tilt = 0.1
		a.Wide = 0.35
		a.Pod = 0.2
		a.Look = Vec{-0.3, -0.3}
		a.Mark = Exclaim
		a.Arm = [2]float64{2.0, 0.5}
		a.ArmFar = [2]float64{1.8, 0.5}
		b := Standing()
		b.Wide = 0.25
		b.Tilt = 0.04
		b.Look = Vec{-0.8, -0.2}
		b.Mark = Exclaim
		add("surprise", false, f(a, 160), f(b, 900))
	}
	return out
}
