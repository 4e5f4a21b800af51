package shotui

import (
	"errors"
	"image"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// A selection made after the bus caller stopped waiting is kept as the
// menu's overlay keeps it; it used to be dropped into a channel nobody read.
func TestSelectionAfterTheCallerLeftIsKept(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for _, tc := range []struct {
		act  shot.Action
		want string
	}{{shot.Copy, "copy"}, {shot.Save, "save"}, {shot.Pin, "pin"}, {shot.Cancel, ""}} {
		h := newHandoff()
		if _, ok := h.abandon(); ok {
			t.Fatal("abandon returned a selection nobody gave")
		}
		k := &keptLog{}
		p := picked{img: img, act: tc.act, at: image.Pt(3, 4), dev: 2}
		if h.give(p) {
			t.Fatalf("%v: given to a caller that left", tc.act)
		}
		keep(k, p)
		if k.did != tc.want {
			t.Errorf("%v: kept by %q, want %q", tc.act, k.did, tc.want)
		}
		if tc.act == shot.Pin && (k.at != image.Pt(3, 4) || k.dev != 2) {
			t.Errorf("pinned at %v ×%v", k.at, k.dev)
		}
	}
	// A caller still waiting gets the selection, and nothing is kept twice.
	h := newHandoff()
	if !h.give(picked{img: img, act: shot.Copy}) {
		t.Fatal("a waiting caller was not given the selection")
	}
	if p := <-h.got; p.act != shot.Copy {
		t.Fatalf("got %v", p.act)
	}
	// Given just as the caller gave up: abandon hands it back for keeping.
	h = newHandoff()
	h.give(picked{img: img, act: shot.Save})
	if p, ok := h.abandon(); !ok || p.act != shot.Save {
		t.Fatalf("abandon = %v, %v", p.act, ok)
	}
	// A failed grab keeps nothing.
	k := &keptLog{}
	keep(k, picked{err: errors.New("no display"), act: shot.Save})
	if k.did != "" {
		t.Errorf("a failed grab was kept by %q", k.did)
	}
}

type keptLog struct {
	did string
	at  image.Point
	dev float64
}

func (k *keptLog) copy(*image.RGBA) bool { k.did = "copy"; return true }
func (k *keptLog) Pin(_ *image.RGBA, at image.Point, dev float64) {
	k.did, k.at, k.dev = "pin", at, dev
}
func (k *keptLog) saveOrKeep(*image.RGBA) { k.did = "save" }
