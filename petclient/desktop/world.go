package desktop

import (
	"github.com/gotk3/gotk3/gdk"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// gdkWorld is the fallback engine.World when no X11 world is available: the
// monitors' work areas from GDK and no window tops. It refreshes on GDK's
// monitor signals only, so each Step reads a cached slice.
type gdkWorld struct {
	display *gdk.Display
	areas   []engine.Rect
}

func newGdkWorld(d *gdk.Display) *gdkWorld {
	w := &gdkWorld{display: d}
	w.refresh()
	d.Connect("monitor-added", func() { w.refresh() })
	d.Connect("monitor-removed", func() { w.refresh() })
	return w
}

func (w *gdkWorld) refresh() {
	w.areas = w.areas[:0]
	for i := 0; i < w.display.GetNMonitors(); i++ {
		m, err := w.display.GetMonitor(i)
		if err != nil || m == nil {
			continue
		}
		x, y, wd, ht := m.GetWorkarea().GetRectangleInt()
		w.areas = append(w.areas, engine.Rect{X: float64(x), Y: float64(y), W: float64(wd), H: float64(ht)})
	}
}

func (w *gdkWorld) WorkAreas() []engine.Rect              { return w.areas }
func (w *gdkWorld) Surfaces() []engine.Surface            { return nil }
func (w *gdkWorld) ActiveFullscreen() (engine.Rect, bool) { return engine.Rect{}, false }
func (w *gdkWorld) SetExclude(func() []uint32)            {}
func (w *gdkWorld) Close()                                {}
