package desktop

// #cgo pkg-config: glib-2.0
// #include <glib.h>
// guint tk_tick_start(guint ms);
// void tk_tick_stop(guint id);
import "C"

import "time"

// tickApp is the App whose onTick the C timeout calls (one per process).
var tickApp *App

//export tkTick
func tkTick() C.int {
	if tickApp == nil || !tickApp.onTick() {
		return 0
	}
	return 1
}

// tickSource is a running GLib timeout id (0 = none).
type tickSource uint

func startTick(a *App, every time.Duration) tickSource {
	tickApp = a
	return tickSource(C.tk_tick_start(C.guint(every / time.Millisecond)))
}

func (t tickSource) stop() { C.tk_tick_stop(C.guint(t)) }
