package engine

import "time"

// Size is the pet's sprite box in logical pixels.
type Size struct{ W, H float64 }

// Behaviour weight keys for Config.Weights. A missing key takes its value
// from DefaultWeights; zero (or negative) disables that behaviour.
const (
	WeightStand   = "stand"   // stand still on a floor
	WeightLook    = "look"    // idle look-around
	WeightWalk    = "walk"    // walk along the floor or a window top
	WeightRun     = "run"     // run along the floor or a window top
	WeightSit     = "sit"     // sit for a while
	WeightSleep   = "sleep"   // short naps, likelier the longer nobody paid attention; 0 also disables the SleepAfter sleep
	WeightJump    = "jump"    // jump, onto a window top within reach if there is one
	WeightClimb   = "climb"   // climb a wall it stands next to; also how eager it is to keep climbing
	WeightCeiling = "ceiling" // hang from / walk along the top edge after climbing up; 0 makes it let go at the top
)

// DefaultWeights returns the weights used for keys missing from Config.Weights.
func DefaultWeights() map[string]float64 {
	return map[string]float64{
		WeightStand:   10,
		WeightLook:    6,
		WeightWalk:    20,
		WeightRun:     4,
		WeightSit:     6,
		WeightSleep:   2,
		WeightJump:    3,
		WeightClimb:   8,
		WeightCeiling: 8,
	}
}

// Config tunes the engine. Start from DefaultConfig and override fields.
// Distances are logical pixels, speeds pixels per second.
type Config struct {
	Size       Size
	Animations Animations         // timing from the pack; a missing name plays as one still frame
	Weights    map[string]float64 // see the Weight* keys

	Gravity  float64 // px/s²
	AirDrag  float64 // 1/s: share of its velocity a thrown pet loses per second
	Bounce   float64 // 0..1: restitution when a throw hits a floor, wall or ceiling
	Friction float64 // 0..1: share of horizontal speed lost at a floor contact; sliding decelerates at Friction×Gravity

	WalkSpeed    float64
	RunSpeed     float64
	ClimbSpeed   float64
	CeilingSpeed float64
	JumpHeight   float64 // apex of a plain jump (it aims higher for a window top within 2×JumpHeight)

	MaxThrowSpeed float64 // cap on the release velocity of a throw

	SleepAfter     time.Duration // without attention for this long, it goes to sleep; 0 disables
	NapMin, NapMax time.Duration // length of that sleep; waking up counts as attention

	// RescueAfter is how long the sprite box may stay partly outside every
	// work area before the pet is brought home (see Pet.Step).
	RescueAfter time.Duration

	// AvoidFullscreen hides the pet while SetFullscreen(true) is in force.
	AvoidFullscreen bool
}

// DefaultConfig returns sensible values for a ~96 px pet at 1× scale.
func DefaultConfig() Config {
	return Config{
		Size:          Size{W: 96, H: 96},
		Weights:       DefaultWeights(),
		Gravity:       2000,
		AirDrag:       0.6,
		Bounce:        0.35,
		Friction:      0.5,
		WalkSpeed:     60,
		RunSpeed:      180,
		ClimbSpeed:    45,
		CeilingSpeed:  40,
		JumpHeight:    150,
		MaxThrowSpeed: 4000,
		SleepAfter:    10 * time.Minute,
		NapMin:        3 * time.Minute,
		NapMax:        12 * time.Minute,
		RescueAfter:   500 * time.Millisecond,
	}
}

// normalise replaces unusable values (zero sizes, non-positive speeds) by the
// defaults so a half-filled Config cannot freeze or explode the simulation.
func (c Config) normalise() Config {
	d := DefaultConfig()
	pos := func(v *float64, def float64) {
		if !(*v > 0) { // also catches NaN
			*v = def
		}
	}
	pos(&c.Size.W, d.Size.W)
	pos(&c.Size.H, d.Size.H)
	pos(&c.Gravity, d.Gravity)
	pos(&c.WalkSpeed, d.WalkSpeed)
	pos(&c.RunSpeed, d.RunSpeed)
	pos(&c.ClimbSpeed, d.ClimbSpeed)
	pos(&c.CeilingSpeed, d.CeilingSpeed)
	pos(&c.JumpHeight, d.JumpHeight)
	pos(&c.MaxThrowSpeed, d.MaxThrowSpeed)
	c.AirDrag = clamp(c.AirDrag, 0, 50)
	c.Bounce = clamp(c.Bounce, 0, 0.95) // < 1 so bouncing always ends
	c.Friction = clamp(c.Friction, 0, 1)
	if c.NapMin <= 0 {
		c.NapMin = d.NapMin
	}
	if c.NapMax < c.NapMin {
		c.NapMax = c.NapMin
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = d.RescueAfter
	}
	return c
}

// behaviour indexes the resolved weights; a fixed array keeps choices
// independent of map iteration order (determinism).
type behaviour int

const (
	bStand behaviour = iota
	bLook
	bWalk
	bRun
	bSit
	bSleep
	bJump
	bClimb
	bCeiling
	nBehaviours
)

var weightKeys = [nBehaviours]string{
	WeightStand, WeightLook, WeightWalk, WeightRun, WeightSit, WeightSleep,
	WeightJump, WeightClimb, WeightCeiling,
}

func resolveWeights(m map[string]float64) [nBehaviours]float64 {
	def := DefaultWeights()
	var w [nBehaviours]float64
	for i, k := range weightKeys {
		v, ok := m[k]
		if !ok {
			v = def[k]
		}
		if !(v > 0) {
			v = 0
		}
		w[i] = v
	}
	return w
}

func clamp(v, lo, hi float64) float64 {
	if !(v >= lo) { // NaN goes to lo
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
