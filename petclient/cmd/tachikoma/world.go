package main

import (
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/x11world"
)

// newWorld opens the X11 world (work areas, window tops, fullscreen) on its
// own X connection; scale is GDK's device scale factor.
func newWorld(scale float64) (desktop.World, error) {
	w, err := x11world.Open(x11world.Options{Scale: scale})
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return w, nil
}
