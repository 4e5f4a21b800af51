package engine

import "time"

// minFrame keeps zero or negative frame durations from a pack from spinning
// the timeline forever.
const minFrame = 10 * time.Millisecond

// stillFrame stands in for an animation the pack lacks, so a broken pack
// shows a frozen pose instead of stopping the engine.
var stillFrame = Animation{Frames: []time.Duration{200 * time.Millisecond}, Loop: true}

// timeline plays one animation: frame advances by the per-frame durations;
// a looped animation wraps, a one-shot one holds its last frame and is done.
type timeline struct {
	name  string
	anim  Animation
	frame int
	t     time.Duration // time spent in the current frame
	done  bool
}

func (tl *timeline) play(name string, anims Animations) {
	if tl.name == name {
		return
	}
	tl.restart(name, anims)
}

func (tl *timeline) restart(name string, anims Animations) {
	a, ok := anims[name]
	if !ok || len(a.Frames) == 0 {
		a = stillFrame
	}
	*tl = timeline{name: name, anim: a}
}

func (tl *timeline) frameDur(i int) time.Duration {
	return max(tl.anim.Frames[i], minFrame)
}

func (tl *timeline) advance(dt time.Duration) {
	if tl.done || dt <= 0 {
		return
	}
	tl.t += dt
	n := len(tl.anim.Frames)
	if tl.anim.Loop {
		// Skip whole loops at once so a huge dt costs O(frames).
		var total time.Duration
		for i := range n {
			total += tl.frameDur(i)
		}
		if tl.t >= total {
			tl.t %= total
		}
	}
	for tl.t >= tl.frameDur(tl.frame) {
		tl.t -= tl.frameDur(tl.frame)
		if tl.frame+1 < n {
			tl.frame++
			continue
		}
		if !tl.anim.Loop {
			tl.done, tl.t = true, 0
			return
		}
		tl.frame = 0
	}
}

// setFrame shows a chosen frame (drag poses) without running the timeline.
func (tl *timeline) setFrame(i int) {
	tl.frame = max(0, min(i, len(tl.anim.Frames)-1))
	tl.t = 0
}
