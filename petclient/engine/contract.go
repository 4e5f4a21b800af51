// Package engine is the pet's toolkit-free core: physics, the behaviour state
// machine and the animation timeline. It never touches GTK or X11; the world
// (monitors, windows, pointer), the clock (dt passed to Step) and randomness
// are injected, so everything here is tested without a display.
//
// # Use
//
//	w := x11world... // anything implementing World (WorkAreas, Surfaces)
//	cfg := engine.DefaultConfig()
//	cfg.Size = engine.Size{W: 96, H: 96}
//	cfg.Animations, cfg.Weights = pack.Animations, pack.Weights
//	pet := engine.New(cfg, rand.New(rand.NewPCG(seed, 0)), w)
//	pet.Place(x, y)
//	// every tick (e.g. 40 ms), on the GTK main loop:
//	if pet.Step(40 * time.Millisecond) {
//		pose := pet.Pose() // move the window to pose.WindowPos(), draw pose.Anim/pose.Frame, flip if !pose.FacingRight...
//	}
//
// Input goes through Poke (click), Joy (double click), Surprise (DM or
// @mention), DragStart/DragMove/DragEnd (pointer in desktop pixels and the
// event timestamp), Attention (resets the sleep timer), SetFullscreen and
// SetHidden. All calls must come from one goroutine.
//
// # Model
//
// Coordinates are logical desktop pixels, y down. The pet is a box of
// Config.Size whose anchor (Pose.X, Pose.Y) is always its bottom-centre.
// The space is the union of the work areas: floors are its bottom edges
// (an area's bottom where no other area continues below), ceilings its top
// edges, walls wherever the box would leave it; window tops (Surfaces) are
// extra one-way floors. So the pet walks across monitors whose work areas
// touch, steps down (falls) where a floor ends, climbs over a step up to a
// higher neighbouring floor, and cannot cross a gap between monitors except
// by being dragged.
//
// When a behaviour ends, the next is drawn by Config.Weights among those the
// situation allows (climb only at a wall, ceiling only after climbing to a
// top edge, sleep likelier after long idle; after Config.SleepAfter without
// attention it sleeps for a nap of NapMin..NapMax). Physics runs in sub-steps
// of at most 10 ms and 4 px, so a given seed and dt sequence always produces
// the same trajectory. See Pet.Step for the rescue rule that keeps the pet on
// screen.
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
