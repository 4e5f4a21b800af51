// Package engine is the pet's toolkit-free core: physics, the behaviour state
// machine and the animation timeline. It never touches GTK or X11; the world
// (monitors, windows, pointer), the clock (dt passed to Step) and randomness
// are injected, so everything here is tested without a display.
package engine

import "time"

// Rect is an axis-aligned rectangle in logical desktop pixels.
type Rect struct{ X, Y, W, H float64 }

// Animation is the timing of one named animation, as the sprite pack gives it.
// The engine only needs durations; images stay with the display layer.
type Animation struct {
	Frames []time.Duration // one duration per frame
	Loop   bool
}

// Animations maps an animation name (see the Anim* constants) to its timing.
type Animations map[string]Animation

// Animation names every pack must provide. They are the contract between
// packs (petclient/pack), the engine and the display layer.
const (
	AnimStand    = "stand"    // standing still on a floor
	AnimLook     = "look"     // idle look-around
	AnimWalk     = "walk"     // walking (>= 6 frames in the default pack)
	AnimRun      = "run"      // running
	AnimSit      = "sit"      // sitting down / sitting
	AnimSleep    = "sleep"    // asleep (the display draws Zzz)
	AnimJump     = "jump"     // take-off and rise
	AnimFall     = "fall"     // falling / thrown through the air
	AnimLand     = "land"     // landing squash
	AnimClimb    = "climb"    // climbing a vertical edge
	AnimHang     = "hang"     // hanging still from a top edge
	AnimCeiling  = "ceiling"  // walking upside down along a top edge
	AnimDrag     = "drag"     // held by the pointer: frame 0 centre, 1 swing left, 2 swing right
	AnimPoke     = "poke"     // reaction to a click
	AnimJoy      = "joy"      // jump for joy (double click)
	AnimSurprise = "surprise" // "!" reaction (DM, @mention)
)

// RequiredAnimations lists the names a pack must define.
var RequiredAnimations = []string{
	AnimStand, AnimLook, AnimWalk, AnimRun, AnimSit, AnimSleep, AnimJump, AnimFall,
	AnimLand, AnimClimb, AnimHang, AnimCeiling, AnimDrag, AnimPoke, AnimJoy, AnimSurprise,
}
