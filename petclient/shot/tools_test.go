package shot

import (
	"image"
	"image/color"
	"testing"
)

// The toolbar sits below the selection's right end, above it near the
// bottom, inside it when the selection fills the screen, and never leaves
// the monitor the selection ends on.
func TestPlaceToolbar(t *testing.T) {
	left, right := image.Rect(0, 0, 1000, 800), image.Rect(1000, 0, 2000, 800)
	screens := []image.Rectangle{left, right}
	all := left.Union(right)
	for _, tc := range []struct {
		name string
		sel  image.Rectangle
		ok   func(bar, sel image.Rectangle) bool
	}{
		{"below", image.Rect(600, 100, 900, 300), func(b, s image.Rectangle) bool { return b.Min.Y >= s.Max.Y && b.Max.X == s.Max.X }},
		{"above", image.Rect(600, 500, 900, 790), func(b, s image.Rectangle) bool { return b.Max.Y <= s.Min.Y }},
		{"inside", image.Rect(0, 0, 1000, 800), func(b, s image.Rectangle) bool { return b.In(s) }},
		{"left edge", image.Rect(5, 100, 50, 300), func(b, s image.Rectangle) bool { return b.Min.X == 0 }},
		{"own monitor", image.Rect(900, 100, 1100, 300), func(b, s image.Rectangle) bool { return b.In(right) }},
		{"most of it", image.Rect(880, 100, 1060, 300), func(b, s image.Rectangle) bool { return b.In(left) }},
		{"most of it right", image.Rect(940, 100, 1200, 300), func(b, s image.Rectangle) bool { return b.In(right) }},
	} {
		bar := PlaceToolbar(tc.sel, screens, all, 1)
		if !bar.Rect.In(all) || !tc.ok(bar.Rect, tc.sel) {
			t.Errorf("%s: toolbar at %v for selection %v", tc.name, bar.Rect, tc.sel)
		}
		for _, b := range bar.Buttons {
			if !b.Rect.In(bar.Rect) {
				t.Errorf("%s: button %d at %v outside the bar %v", tc.name, b.ID, b.Rect, bar.Rect)
			}
		}
	}
	one := PlaceToolbar(image.Rect(0, 0, 100, 100), nil, image.Rect(0, 0, 4000, 3000), 1)
	two := PlaceToolbar(image.Rect(0, 0, 100, 100), nil, image.Rect(0, 0, 4000, 3000), 2)
	if two.Rect.Dx() != 2*one.Rect.Dx() || two.Rect.Dy() != 2*one.Rect.Dy() {
		t.Errorf("HiDPI toolbar %v, at scale 1 %v", two.Rect, one.Rect)
	}
	b, ok := one.Hit(one.Buttons[0].Rect.Min)
	if !ok || b.ID != BtnBox {
		t.Errorf("hit on the first button: %v %v", b, ok)
	}
	if _, ok := one.Hit(image.Pt(-1, -1)); ok {
		t.Error("a hit outside the bar")
	}
}

func button(t *testing.T, c *Controller, id ButtonID, arg int) image.Point {
	t.Helper()
	for _, b := range c.Toolbar().Buttons {
		if b.ID == id && b.Arg == arg {
			return b.Rect.Min.Add(image.Pt(2, 2))
		}
	}
	t.Fatalf("no button %d/%d in %v", id, arg, c.Toolbar())
	return image.Point{}
}

// The toolbar and the keys draw marks inside the selection; undo and redo
// walk them back and forth; the result holds them at full resolution.
func TestControllerAnnotates(t *testing.T) {
	img := blank(400, 300)
	c := NewController(image.Rect(0, 0, 400, 300), 4)
	c.Press(image.Pt(100, 50), ButtonLeft, false)
	c.Release(image.Pt(299, 149)) // 200×100 from (100,50)

	// The rectangle tool from the toolbar, blue from the swatches.
	if a := c.Press(button(t, c, BtnBox, 0), ButtonLeft, false); a != Redraw || c.Pen.Tool != ToolBox {
		t.Fatalf("box button: %d, tool %d", a, c.Pen.Tool)
	}
	c.Press(button(t, c, BtnColour, 3), ButtonLeft, false)
	c.Press(button(t, c, BtnWidth, 0), ButtonLeft, false)
	c.Press(image.Pt(110, 60), ButtonLeft, false)
	c.Motion(image.Pt(130, 70))
	if _, ok := c.Draft().(Box); !ok {
		t.Fatalf("no draft while dragging: %v", c.Draft())
	}
	c.Release(image.Pt(139, 79)) // 30×20 from (110,60)
	if c.Sel.Rect != image.Rect(100, 50, 300, 150) {
		t.Fatalf("drawing moved the selection to %v", c.Sel.Rect)
	}
	out, err := c.Result(img, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Bounds() != image.Rect(0, 0, 200, 100) {
		t.Fatalf("result %v", out.Bounds())
	}
	want(t, out, 10, 10, Colours[3])
	want(t, out, 39, 29, Colours[3])
	want(t, out, 12, 12, white)
	want(t, out, 40, 30, white)

	// Keys: pixelate over a stripe, then undo it and redo it.
	for y := 100; y < 110; y++ {
		for x := 200; x < 220; x++ {
			if x%2 == 0 {
				img.SetRGBA(x, y, color.RGBA{0, 0, 0, 255})
			}
		}
	}
	if a := c.KeyPress(KeyP, 0); a != Redraw || c.Pen.Tool != ToolMosaic {
		t.Fatalf("P: %d tool %d", a, c.Pen.Tool)
	}
	c.KeyPress(KeyMinus, 0) // already the thinnest: stays
	c.Press(image.Pt(200, 100), ButtonLeft, false)
	c.Release(image.Pt(219, 109))
	out, _ = c.Result(img, nil, false)
	if a, b := out.RGBAAt(100, 50), out.RGBAAt(101, 50); a != b || a == white {
		t.Fatalf("not pixelated: %v %v", a, b)
	}
	c.KeyPress(KeyZ, Ctrl)
	out, _ = c.Result(img, nil, false)
	if out.RGBAAt(100, 50) == out.RGBAAt(101, 50) {
		t.Fatal("undo left the mosaic")
	}
	want(t, out, 10, 10, Colours[3]) // the box stays
	c.KeyPress(KeyY, Ctrl)
	if len(c.Hist.Annotations()) != 2 {
		t.Fatalf("redo: %d marks", len(c.Hist.Annotations()))
	}

	// A click that drew nothing adds nothing; a click outside keeps the marks.
	c.KeyPress(KeyR, 0)
	c.Press(image.Pt(150, 100), ButtonLeft, false)
	c.Release(image.Pt(150, 100))
	if a := c.Press(image.Pt(5, 5), ButtonLeft, false); a != Nothing || len(c.Hist.Annotations()) != 2 || c.Sel.Rect.Empty() {
		t.Fatalf("outside click with a tool: %d, %d marks, selection %v", a, len(c.Hist.Annotations()), c.Sel.Rect)
	}

	// Text: a click asks for it, AddText places it with the pen.
	c.KeyPress(Key1, 0)
	c.KeyPress(KeyT, 0)
	if a := c.Press(image.Pt(120, 120), ButtonLeft, false); a != EditText || c.TextAt != image.Pt(120, 120) {
		t.Fatalf("text click: %d at %v", a, c.TextAt)
	}
	c.AddText("  ")
	c.AddText("你好")
	var got Text
	_, err = c.Result(img, func(dst *image.RGBA, tx Text, scale float64) error { got = tx; return nil }, false)
	if err != nil || got.Text != "你好" || got.At != image.Pt(20, 70) || got.Colour != Colours[0] || got.Size != TextSize(Widths[0]) {
		t.Fatalf("text drawn as %+v (%v)", got, err)
	}
	if a := c.KeyPress(KeyP, Ctrl); a != Pin {
		t.Errorf("Ctrl+P: %d", a)
	}
	if a := c.Press(button(t, c, BtnCustomColour, 0), ButtonLeft, false); a != PickColour {
		t.Errorf("custom colour: %d", a)
	}
	for _, id := range []ButtonID{BtnPin, BtnSave, BtnCopy} {
		if a := c.Press(button(t, c, id, 0), ButtonLeft, false); a != map[ButtonID]Action{BtnPin: Pin, BtnSave: Save, BtnCopy: Copy}[id] {
			t.Errorf("button %d: %d", id, a)
		}
	}
}

// Without a selection the tool keys do nothing; Ctrl+A still selects all.
func TestToolKeysNeedSelection(t *testing.T) {
	c := NewController(image.Rect(0, 0, 100, 100), 4)
	for _, k := range []Key{KeyR, KeyA, KeyT, KeyP, Key3, KeyPlus} {
		if a := c.KeyPress(k, 0); a != Nothing || c.Pen != DefaultPen() {
			t.Errorf("key %d without a selection: %d, pen %+v", k, a, c.Pen)
		}
	}
	if len(c.Toolbar().Buttons) != 0 {
		t.Error("a toolbar without a selection")
	}
	// Picking an area for another tool: no toolbar, no tools.
	c.Plain = true
	c.KeyPress(KeyA, Ctrl)
	if a := c.KeyPress(KeyR, 0); a != Nothing || c.Pen.Tool != ToolNone || len(c.Toolbar().Buttons) != 0 {
		t.Errorf("plain overlay: R gave %d, tool %d, %d buttons", a, c.Pen.Tool, len(c.Toolbar().Buttons))
	}
}

// At scale 2 a mark from the toolbar is twice as wide in device pixels.
func TestControllerHiDPI(t *testing.T) {
	c := NewController(image.Rect(0, 0, 200, 200), 8)
	c.Scale = 2
	c.KeyPress(KeyA, Ctrl)
	c.KeyPress(KeyR, 0)
	c.KeyPress(KeyPlus, 0) // 4 → 8 logical: 16 device pixels
	c.Press(image.Pt(20, 20), ButtonLeft, false)
	c.Release(image.Pt(99, 99))
	out, err := c.Result(blank(200, 200), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	want(t, out, 35, 50, Colours[0])
	want(t, out, 36, 50, white)
}
