package shot

import (
	"image"
	"testing"
)

// A session as the overlay would feed it: drag out, resize by a handle,
// move by keys, copy.
func TestControllerSession(t *testing.T) {
	c := NewController(screen, 4)
	if a := c.KeyPress(KeyEnter, 0); a != Nothing {
		t.Fatalf("Enter with nothing selected: %d", a)
	}
	c.Press(image.Pt(300, 200), ButtonLeft, false)
	c.Motion(image.Pt(250, 150)) // up-left of the anchor
	if a := c.Release(image.Pt(100, 100)); a != Redraw || c.Sel.Rect != image.Rect(100, 100, 301, 201) {
		t.Fatalf("drag: %d %v", a, c.Sel.Rect)
	}
	// Grab the SE handle and pull it out.
	if c.Cursor(image.Pt(300, 200)) != SE {
		t.Fatal("SE handle not under its corner")
	}
	c.Press(image.Pt(300, 200), ButtonLeft, false)
	c.Release(image.Pt(350, 260))
	if c.Sel.Rect != image.Rect(100, 100, 351, 261) {
		t.Fatalf("resize by handle: %v", c.Sel.Rect)
	}
	// Drag the inside: moves without resizing.
	c.Press(image.Pt(200, 200), ButtonLeft, false)
	c.Release(image.Pt(210, 190))
	if c.Sel.Rect != image.Rect(110, 90, 361, 251) {
		t.Fatalf("move by drag: %v", c.Sel.Rect)
	}
	c.KeyPress(KeyLeft, 0)
	c.KeyPress(KeyDown, Shift)
	if c.Sel.Rect != image.Rect(109, 90, 360, 252) {
		t.Fatalf("keys: %v", c.Sel.Rect)
	}
	for _, tc := range []struct {
		k    Key
		m    Mods
		want Action
	}{
		{KeyC, Ctrl, Copy}, {KeyS, Ctrl, Save}, {KeyS, 0, Nothing}, {KeyEnter, 0, Copy}, {KeyEscape, 0, Cancel},
	} {
		if a := c.KeyPress(tc.k, tc.m); a != tc.want {
			t.Errorf("key %d mods %d: %d, want %d", tc.k, tc.m, a, tc.want)
		}
	}
	if a := c.Press(image.Pt(200, 200), ButtonLeft, true); a != Copy {
		t.Errorf("double click inside: %d", a)
	}
	c.Release(image.Pt(200, 200))
	if a := c.Press(image.Pt(5, 5), ButtonRight, false); a != Cancel {
		t.Errorf("right click: %d", a)
	}
	// A click outside starts over; a click alone selects nothing.
	c.Press(image.Pt(10, 10), ButtonLeft, false)
	c.Release(image.Pt(10, 10))
	if !c.Sel.Rect.Empty() {
		t.Errorf("a click selected %v", c.Sel.Rect)
	}
	if a := c.Motion(image.Pt(40, 40)); a != Nothing || !c.Sel.Rect.Empty() {
		t.Errorf("motion without a button: %d %v", a, c.Sel.Rect)
	}
	c.KeyPress(KeyA, Ctrl)
	if c.Sel.Rect != screen {
		t.Errorf("Ctrl+A: %v", c.Sel.Rect)
	}
}
