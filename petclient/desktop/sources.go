package desktop

import (
	"image"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// FrameSource is what the window needs from a sprite pack.
type FrameSource interface {
	Name() string // pack id; "" for the built-in pack
	// Frame returns frame i of anim rendered at scale (device pixels) for a
	// robot facing left.
	Frame(anim string, i int, scale float64) (image.Image, error)
	Animations() engine.Animations
	Weights() map[string]float64
	Size() image.Point // 1x sprite box
}

// Pose is what the display reads from a pet model each tick.
type Pose struct {
	X, Y   float64     // anchor (bottom-centre of Box), logical px
	Box    engine.Rect // sprite box: where the window goes
	Anim   string
	Frame  int
	Flip   bool // facing right: mirror the left-facing art
	Zzz    bool // asleep: draw the Zzz
	Hidden bool // tray hide or a fullscreen window
}

// Model is the behaviour of one pet as the display drives it (an
// *engine.Pet behind an adapter). Times are event timestamps.
type Model interface {
	Step(dt time.Duration) bool
	Pose() Pose
	Place(x, y float64)
	Poke()
	Joy()
	Surprise()
	Attention()
	DragStart(x, y float64, t time.Duration)
	DragMove(x, y float64, t time.Duration)
	DragEnd(x, y float64, t time.Duration)
	SetHidden(bool)
	SetFullscreen(bool)
	// Do asks for a named menu action; CanDo says whether it is offered.
	Do(action string) bool
	CanDo(action string) bool
	// WalkTo walks along the floor to x (false: not on a floor now).
	WalkTo(x float64) bool
}

// Menu actions offered for every pet: the engine's own (engine.Pet.Do).
const (
	ActionSit   = engine.ActionSit
	ActionSleep = engine.ActionSleep
	ActionJump  = engine.ActionJump
	ActionWalk  = engine.ActionWalk
	ActionRun   = engine.ActionRun
	ActionLook  = engine.ActionLook
	ActionWake  = engine.ActionWake
)
