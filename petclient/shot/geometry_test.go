package shot

import (
	"image"
	"testing"
)

var screen = image.Rect(0, 0, 1920, 1080)

func TestFromDragNormalises(t *testing.T) {
	for _, tc := range []struct {
		a, b image.Point
		want image.Rectangle
	}{
		{image.Pt(10, 20), image.Pt(109, 69), image.Rect(10, 20, 110, 70)},
		{image.Pt(109, 69), image.Pt(10, 20), image.Rect(10, 20, 110, 70)}, // up-left
		{image.Pt(109, 20), image.Pt(10, 69), image.Rect(10, 20, 110, 70)}, // down-left
		{image.Pt(5, 5), image.Pt(5, 5), image.Rect(5, 5, 6, 6)},           // a click is one pixel
		{image.Pt(-50, -50), image.Pt(3000, 2000), screen},                 // clamped
	} {
		if got := FromDrag(tc.a, tc.b, screen).Rect; got != tc.want {
			t.Errorf("FromDrag(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestHitTestHandles(t *testing.T) {
	s := Selection{Rect: image.Rect(100, 100, 201, 301), Bounds: screen} // corners 100..200, 100..300
	for _, tc := range []struct {
		p    image.Point
		want Handle
	}{
		{image.Pt(100, 100), NW}, {image.Pt(150, 100), N}, {image.Pt(200, 100), NE},
		{image.Pt(200, 200), E}, {image.Pt(200, 300), SE}, {image.Pt(150, 300), S},
		{image.Pt(100, 300), SW}, {image.Pt(100, 200), W},
		{image.Pt(97, 103), NW}, // within tolerance outside the edge
		{image.Pt(150, 150), Inside}, {image.Pt(120, 100), Inside},
		{image.Pt(50, 50), None}, {image.Pt(150, 310), None},
	} {
		if got := s.HitTest(tc.p, 4); got != tc.want {
			t.Errorf("HitTest(%v) = %d, want %d", tc.p, got, tc.want)
		}
	}
	if got := (Selection{Bounds: screen}).HitTest(image.Pt(1, 1), 4); got != None {
		t.Errorf("empty selection hit %d", got)
	}
}

func TestDragHandles(t *testing.T) {
	s := Selection{Rect: image.Rect(100, 100, 200, 200), Bounds: screen}
	for _, tc := range []struct {
		h    Handle
		d    image.Point
		want image.Rectangle
	}{
		{SE, image.Pt(10, 20), image.Rect(100, 100, 210, 220)},
		{NW, image.Pt(-10, -20), image.Rect(90, 80, 200, 200)},
		{N, image.Pt(33, 5), image.Rect(100, 105, 200, 200)},  // an edge ignores the other axis
		{E, image.Pt(-150, 0), image.Rect(49, 100, 101, 200)}, // past the left edge: flips, keeping pixel 100
		{Inside, image.Pt(2000, 0), image.Rect(1820, 100, 1920, 200)},
		{W, image.Pt(-500, 0), image.Rect(0, 100, 200, 200)},
	} {
		if got := s.Drag(tc.h, tc.d).Rect; got != tc.want {
			t.Errorf("Drag(%d, %v) = %v, want %v", tc.h, tc.d, got, tc.want)
		}
	}
}

func TestKeyboardMovesAndResizes(t *testing.T) {
	s := Selection{Rect: image.Rect(0, 0, 10, 10), Bounds: screen}
	if got := s.Move(-1, 0).Rect; got != s.Rect {
		t.Errorf("moved past the left edge: %v", got)
	}
	if got := s.Move(1, 1).Rect; got != image.Rect(1, 1, 11, 11) {
		t.Errorf("Move(1,1) = %v", got)
	}
	if got := s.Resize(1, -1).Rect; got != image.Rect(0, 0, 11, 9) {
		t.Errorf("Resize(1,-1) = %v", got)
	}
	if got := s.Resize(-50, -50).Rect; got != image.Rect(0, 0, 1, 1) {
		t.Errorf("shrunk below a pixel: %v", got)
	}
	if got := s.All().Rect; got != screen {
		t.Errorf("All = %v", got)
	}
}

// Two monitors side by side, the right one HiDPI and lower than the left.
func TestMultiMonitorAndScale(t *testing.T) {
	l := Layout{Root: image.Rect(0, 0, 4480, 1440), Monitors: []Monitor{
		{Name: "left", Rect: image.Rect(0, 360, 1920, 1440), Scale: 1},
		{Name: "right", Rect: image.Rect(1920, 0, 4480, 1440), Scale: 2},
	}}
	if b := l.Bounds(); b != image.Rect(0, 0, 4480, 1440) {
		t.Errorf("Bounds = %v", b)
	}
	if i := l.MonitorAt(image.Pt(100, 100)); i != 0 { // above the left monitor: nearest is left
		t.Errorf("MonitorAt(100,100) = %d", i)
	}
	if i := l.MonitorAt(image.Pt(2000, 10)); i != 1 {
		t.Errorf("MonitorAt(2000,10) = %d", i)
	}
	right := l.Monitors[1]
	if got := right.ToDevice(image.Rect(10, 10, 21, 21)); got != image.Rect(1940, 20, 1962, 42) {
		t.Errorf("ToDevice = %v", got)
	}
	if got := right.ToLogical(image.Rect(1941, 21, 1962, 42)); got != image.Rect(10, 10, 21, 21) {
		t.Errorf("ToLogical = %v", got)
	}
	if got := (Monitor{Rect: screen}).ToDevice(image.Rect(1, 2, 3, 4)); got != image.Rect(1, 2, 3, 4) {
		t.Errorf("scale 0 is 1: %v", got)
	}
	if got := (Layout{Root: screen}).MonitorAt(image.Pt(1, 1)); got != -1 {
		t.Errorf("no monitors: %d", got)
	}
}
