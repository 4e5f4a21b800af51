package desktop

import (
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// A fullscreen window on one monitor hides only the pets on that monitor.
func TestUnderFullscreen(t *testing.T) {
	a := &App{full: true, fullArea: engine.Rect{X: 1920, Y: 0, W: 1280, H: 1024}}
	for _, c := range []struct {
		x, y float64
		want bool
	}{{2500, 1000, true}, {1920, 1024, true}, {3200, 0, true}, {1919, 500, false}, {800, 1000, false}} {
		if got := a.underFullscreen(c.x, c.y); got != c.want {
			t.Errorf("pet at %v,%v: under the fullscreen window %v, want %v", c.x, c.y, got, c.want)
		}
	}
	a.full = false
	if a.underFullscreen(2500, 1000) {
		t.Error("no fullscreen window, yet a pet is under one")
	}
}
