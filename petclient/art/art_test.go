package art

import (
	"fmt"
	"image"
	"math"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

func TestAnimationsCoverContract(t *testing.T) {
	got := map[string]AnimSpec{}
	for _, a := range Animations() {
		if _, dup := got[a.Name]; dup {
			t.Errorf("animation %q defined twice", a.Name)
		}
		got[a.Name] = a
	}
	for _, name := range engine.RequiredAnimations {
		a, ok := got[name]
		if !ok {
			t.Errorf("missing required animation %q", name)
			continue
		}
		if len(a.Frames) == 0 {
			t.Errorf("%s: no frames", name)
		}
		for i, f := range a.Frames {
			if f.DurationMS <= 0 {
				t.Errorf("%s[%d]: duration %d", name, i, f.DurationMS)
			}
		}
	}
	if n := len(got[engine.AnimWalk].Frames); n < 6 {
		t.Errorf("walk has %d frames, want >= 6", n)
	}
	if n := len(got[engine.AnimCeiling].Frames); n < 4 {
		t.Errorf("ceiling has %d frames, want >= 4", n)
	}
	if n := len(got[engine.AnimDrag].Frames); n != 3 {
		t.Errorf("drag has %d frames, want 3 (centre, left, right)", n)
	}
}

// Nothing may be cropped: the outermost ring of pixels stays transparent and
// the robot is actually drawn (enough opaque pixels).
func TestFramesFitCanvas(t *testing.T) {
	for _, scale := range []float64{1, 2, 3} {
		for _, a := range Animations() {
			for i, f := range a.Frames {
				img := Render(f.Pose, DefaultScheme(), scale)
				w, h := Size(scale)
				if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
					t.Fatalf("%s[%d]@%v: size %v, want %dx%d", a.Name, i, scale, b, w, h)
				}
				if p, ok := touchesEdge(img); ok {
					t.Errorf("%s[%d]@%vx: drawn pixel on the canvas edge at %v", a.Name, i, scale, p)
				}
				if n := opaque(img); n < w*h/8 {
					t.Errorf("%s[%d]@%vx: only %d opaque pixels", a.Name, i, scale, n)
				}
			}
		}
	}
}

func touchesEdge(img *image.NRGBA) (image.Point, bool) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if x != b.Min.X && x != b.Max.X-1 && y != b.Min.Y && y != b.Max.Y-1 {
				continue
			}
			if img.NRGBAAt(x, y).A != 0 {
				return image.Pt(x, y), true
			}
		}
	}
	return image.Point{}, false
}

func opaque(img *image.NRGBA) int {
	n := 0
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] > 200 {
			n++
		}
	}
	return n
}

// The floor anchor must be where the wheels touch: the row just above the
// anchor has ink near the wheels, and the anchor row itself is empty.
func TestFloorAnchorUnderWheels(t *testing.T) {
	img := Render(Standing(), DefaultScheme(), 1)
	ax, ay := Anchor(Floor)
	rowInk := func(y int) int {
		n := 0
		for x := 0; x < CanvasW; x++ {
			if img.NRGBAAt(x, y).A > 100 {
				n++
			}
		}
		return n
	}
	if n := rowInk(int(ay)); n != 0 {
		t.Errorf("anchor row %v has %d inked pixels; wheels should rest on it", ay, n)
	}
	if n := rowInk(int(ay) - 1); n == 0 {
		t.Errorf("row above the anchor is empty; wheels float above the floor")
	}
	if ax != CanvasW/2 {
		t.Errorf("floor anchor x = %v, want centre", ax)
	}
}

// Walk frames must differ (legs alternate, wheels turn) and differ from stand.
func TestWalkFramesMove(t *testing.T) {
	var walk AnimSpec
	for _, a := range Animations() {
		if a.Name == engine.AnimWalk {
			walk = a
		}
	}
	prev := Render(walk.Frames[len(walk.Frames)-1].Pose, DefaultScheme(), 1)
	for i, f := range walk.Frames {
		cur := Render(f.Pose, DefaultScheme(), 1)
		if d := diff(prev, cur); d < 50 {
			t.Errorf("walk[%d] nearly equals the previous frame (%d px differ)", i, d)
		}
		prev = cur
	}
}

func diff(a, b *image.NRGBA) int {
	n := 0
	for i := range a.Pix {
		if d := int(a.Pix[i]) - int(b.Pix[i]); d > 40 || d < -40 {
			n++
		}
	}
	return n
}

func TestSchemeRecolours(t *testing.T) {
	red := DefaultScheme()
	var err error
	if red.Body, err = ParseHex("#d53a3a"); err != nil {
		t.Fatal(err)
	}
	red.Pod = red.Body
	a := Render(Standing(), DefaultScheme(), 1)
	b := Render(Standing(), red, 1)
	if d := diff(a, b); d < 500 {
		t.Errorf("recoloured robot differs in only %d channels", d)
	}
}

func TestParseHex(t *testing.T) {
	for in, want := range map[string]string{
		"#3a7bd5": "{58 123 213 255}", "3A7BD5": "{58 123 213 255}",
		"#fff": "{255 255 255 255}", "#00000080": "{0 0 0 128}",
	} {
		c, err := ParseHex(in)
		if err != nil || fmt.Sprint(c) != want {
			t.Errorf("ParseHex(%q) = %v, %v; want %s", in, c, err, want)
		}
	}
	for _, bad := range []string{"", "#12", "#ggg", "#12345", "blue"} {
		if _, err := ParseHex(bad); err == nil {
			t.Errorf("ParseHex(%q) accepted", bad)
		}
	}
}

func TestKneeBendsUpAndKeepsLengths(t *testing.T) {
	hip, foot := Vec{0, -20}, Vec{-20, -5}
	k := knee(hip, foot, 15, 21)
	if k.Y > hip.Y {
		t.Errorf("knee %v below hip %v", k, hip)
	}
	if l := k.sub(hip).len(); math.Abs(l-15) > 1e-6 {
		t.Errorf("thigh length %v", l)
	}
	if l := foot.sub(k).len(); math.Abs(l-21) > 1e-6 {
		t.Errorf("shin length %v", l)
	}
	// Out of reach: still finite, no NaN.
	k = knee(hip, Vec{100, 100}, 15, 21)
	if math.IsNaN(k.X) || math.IsNaN(k.Y) {
		t.Errorf("knee NaN when out of reach")
	}
}
