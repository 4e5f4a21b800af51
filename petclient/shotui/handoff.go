package shotui

import (
	"image"
	"sync"

	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// handoff passes the overlay's result to a bus caller that may have
// stopped waiting (its call timed out while the overlay was open); a
// result nobody takes is kept as the menu's overlay keeps it.
type handoff struct {
	mu        sync.Mutex
	abandoned bool
	got       chan picked
}

func newHandoff() *handoff { return &handoff{got: make(chan picked, 1)} }

// give hands p to the caller; false when the caller is gone. Once only.
func (h *handoff) give(p picked) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.abandoned {
		return false
	}
	h.got <- p
	return true
}

// abandon says the caller is gone; a result given just before is returned
// for keeping, as nobody will deliver it.
func (h *handoff) abandon() (picked, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.abandoned = true
	select {
	case p := <-h.got:
		return p, true
	default:
		return picked{}, false
	}
}

// keeper is what keeping a selection needs of the UI.
type keeper interface {
	copy(img *image.RGBA) bool
	Pin(img *image.RGBA, at image.Point, dev float64)
	saveOrKeep(img *image.RGBA)
}

// keep does what the key that ended the overlay asked, as the menu's
// overlay does: copy, pin or save (to the clipboard if saving fails).
func keep(k keeper, p picked) {
	if p.err != nil || p.img == nil {
		return
	}
	switch p.act {
	case shot.Copy:
		k.copy(p.img)
	case shot.Pin:
		k.Pin(p.img, p.at, max(1, p.dev))
	case shot.Save:
		k.saveOrKeep(p.img)
	}
}
