// Package art draws the Tachikoma robot with vector shapes, so the default
// sprite pack can be regenerated (scripts/artgen) and the pet could render
// crisp frames at any scale or colour scheme at runtime. It is toolkit-free.
//
// Model space: one unit is one pixel at scale 1. The robot is drawn facing
// LEFT (the display flips it for right). y grows downward as on screen; the
// ground is y = 0, so the body sits at negative y.
package art

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"strings"

	"github.com/fogleman/gg"
)

// Canvas size of one frame at scale 1. Every frame shares it so the display
// can keep one window size; 1 px stays transparent on every side so that
// nothing is cropped and the anchors sit on that margin's inner edge.
const (
	CanvasW = 80
	CanvasH = 64
)

// Orientation says which surface the robot holds on to; it decides the
// canvas transform and the anchor.
type Orientation int

const (
	Floor   Orientation = iota // wheels on a floor below (also used in the air)
	Wall                       // climbing a wall on its left, nose up
	Ceiling                    // upside down under a top edge
	Held                       // dangling from the pointer
)

// Anchor returns the 1x pixel that sits on the pet's position for an
// orientation (see docs/PACKS.md).
func Anchor(o Orientation) (x, y float64) {
	switch o {
	case Wall:
		return 1, 31 // wall contact line x=1, halfway between the wheels
	case Ceiling:
		return CanvasW / 2, 1 // ceiling contact line y=1
	case Held:
		return heldX, heldY // the grab point on the back of the body
	default:
		return CanvasW / 2, CanvasH - 1 // floor contact line, centre between wheels
	}
}

// Where the pointer holds the robot while dragged, in canvas pixels, and the
// model point that is held (top of the neck between cabin and pod).
const (
	heldX = CanvasW / 2
	heldY = 17
)

// Vec is a point or offset in model units.
type Vec struct{ X, Y float64 }

func (a Vec) add(b Vec) Vec           { return Vec{a.X + b.X, a.Y + b.Y} }
func (a Vec) sub(b Vec) Vec           { return Vec{a.X - b.X, a.Y - b.Y} }
func (a Vec) mul(k float64) Vec       { return Vec{a.X * k, a.Y * k} }
func (a Vec) len() float64            { return math.Hypot(a.X, a.Y) }
func (a Vec) rot(t float64) Vec       { s, c := math.Sincos(t); return Vec{a.X*c - a.Y*s, a.X*s + a.Y*c} }
func lerp(a, b Vec, t float64) Vec    { return a.add(b.sub(a).mul(t)) }
func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Mark is a small symbol drawn above the robot.
type Mark int

const (
	NoMark  Mark = iota
	Exclaim      // "!" for surprise
	Zzz          // sleeping
	Zz           // sleeping, second frame (shifted letters)
	Sweat        // a drop, for the poke flinch
	Sparkle      // little stars, for joy
)

// Legs, in drawing order of Pose.Feet.
const (
	FrontNear = iota
	RearNear
	FrontFar
	RearFar
)

// Pose is everything that varies between frames.
type Pose struct {
	Orient Orientation
	Body   Vec        // body centre
	Tilt   float64    // body rotation in radians; positive raises the nose
	Head   float64    // cabin rotation about the neck; positive raises the front
	Pod    float64    // pod rotation about its joint; positive lifts, negative lowers it
	Squash float64    // vertical scale about the ground (0 means 1); width grows to keep volume
	Feet   [4]Vec     // wheel centres, indexed by FrontNear...RearFar
	Wheel  float64    // wheel spin in radians (negative rolls left)
	Look   Vec        // eye look direction, each axis -1..1
	Eyes   float64    // 1 open, 0 closed; between: half-shut shutters
	Wide   float64    // extra lens size for surprise (0 = normal, 0.3 = big)
	Happy  bool       // eyes drawn as bright upturned arcs (joy)
	Arm    [2]float64 // near arm: shoulder angle from hanging (positive swings forward/up), elbow bend
	ArmFar [2]float64 // far arm, same meaning
	Swing  float64    // Held only: rotation about the grab point; positive swings the legs left
	Lift   float64    // extra rise of the whole figure off its anchor (hops), model units
	Mark   Mark
}

// Neutral body and wheel positions of the standing pose.
const (
	WheelR   = 4.6
	outlineW = 1.15
	groundY  = -(WheelR + outlineW/2) // wheel centres, so the outline just touches y=0
	farLift  = -2.2                   // far wheels sit higher: a hint of a three-quarter view
)

// Standing returns the neutral pose every animation starts from.
func Standing() Pose {
	return Pose{
		Orient: Floor,
		Body:   Vec{1, -28},
		Squash: 1,
		Eyes:   1,
		Feet: [4]Vec{
			FrontNear: {-25, groundY},
			RearNear:  {23, groundY},
			FrontFar:  {-15, groundY + farLift},
			RearFar:   {30, groundY + farLift},
		},
		Arm:    [2]float64{1.0, 1.2},
		ArmFar: [2]float64{0.8, 1.2},
	}
}

// Scheme is a colour scheme; shades are derived from these.
type Scheme struct {
	Body    color.NRGBA // shell of cabin, legs
	Pod     color.NRGBA // the abdomen pod
	Outline color.NRGBA // ink lines
	Eye     color.NRGBA // glow inside the lenses
	Wheel   color.NRGBA // tyres
	Accent  color.NRGBA // joints, lens rims, hubs
}

// DefaultScheme is the blue robot of the default pack.
func DefaultScheme() Scheme {
	return Scheme{
		Body:    color.NRGBA{0x3a, 0x7b, 0xd5, 0xff},
		Pod:     color.NRGBA{0x45, 0x8a, 0xe0, 0xff},
		Outline: color.NRGBA{0x13, 0x1f, 0x3b, 0xff},
		Eye:     color.NRGBA{0x8c, 0xf0, 0xff, 0xff},
		Wheel:   color.NRGBA{0x2a, 0x2e, 0x3a, 0xff},
		Accent:  color.NRGBA{0xe6, 0xec, 0xf5, 0xff},
	}
}

// ParseHex parses "#rgb", "#rrggbb" or "#rrggbbaa" (the # is optional).
func ParseHex(s string) (color.NRGBA, error) {
	h := strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) == 6 {
		h += "ff"
	}
	if len(h) != 8 {
		return color.NRGBA{}, fmt.Errorf("colour %q: want #rgb, #rrggbb or #rrggbbaa", s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("colour %q: not hexadecimal", s)
	}
	return color.NRGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// shade mixes c toward black (k<0) or white (k>0) by |k|.
func shade(c color.NRGBA, k float64) color.NRGBA {
	t := 0.0
	if k > 0 {
		t = 255
	}
	k = math.Abs(k)
	m := func(v uint8) uint8 { return uint8(math.Round(float64(v)*(1-k) + t*k)) }
	return color.NRGBA{m(c.R), m(c.G), m(c.B), c.A}
}

func withAlpha(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(math.Round(float64(c.A) * clamp(a, 0, 1)))
	return c
}

// Size returns the canvas size in pixels at a scale.
func Size(scale float64) (w, h int) {
	return int(math.Round(CanvasW * scale)), int(math.Round(CanvasH * scale))
}

// Render draws one frame at a scale (1 = 80x64) on a transparent canvas.
func Render(p Pose, s Scheme, scale float64) *image.NRGBA {
	w, h := Size(scale)
	dc := gg.NewContext(w, h)
	Draw(dc, p, s, scale)
	src := dc.Image()
	out := image.NewNRGBA(src.Bounds())
	draw.Draw(out, out.Bounds(), src, src.Bounds().Min, draw.Src)
	return out
}
