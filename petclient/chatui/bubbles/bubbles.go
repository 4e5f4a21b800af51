// Package bubbles is the toolkit-free part of the pet's speech bubbles:
// how long a bubble stays, how text is cut, where the window goes relative
// to the pet and the screen edges, the outline (for shape masks and hit
// tests) and the per-pet queue. The GTK layer only measures text and draws.
package bubbles

import (
	"image"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Geometry constants, logical pixels.
const (
	MaxRunes   = 200 // longer messages are cut with "…"
	MaxLines   = 8   // more lines are cut too (a pasted log must not cover the screen)
	TextWidth  = 260 // wrap width of the text
	Padding    = 10  // text inset inside the body
	Radius     = 12  // body corner radius
	TailLen    = 14  // how far the tail sticks out of the body
	TailBase   = 18  // tail width where it meets the body
	Gap        = 2   // between the tail's tip and the pet
	MaxQueue   = 5   // waiting bubbles per pet; older ones are dropped
	minShow    = 3 * time.Second
	perRune    = 60 * time.Millisecond
	maxShow    = 12 * time.Second
	FadeOut    = 400 * time.Millisecond
	fadeFrames = 8
)

// Duration is how long a bubble with text stays before fading: long enough
// to read, growing with the length, capped so a wall of text does not stay
// forever.
func Duration(text string) time.Duration {
	d := minShow + time.Duration(utf8.RuneCountInString(text))*perRune
	return min(d, maxShow)
}

// FadeStep is the interval and number of opacity steps of the fade-out.
func FadeStep() (time.Duration, int) { return FadeOut / fadeFrames, fadeFrames }

// Truncate cuts text to MaxRunes runes and MaxLines lines, ending with "…"
// when anything was cut. Trailing whitespace goes too.
func Truncate(text string) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	cut := false
	if lines := strings.Split(text, "\n"); len(lines) > MaxLines {
		text = strings.Join(lines[:MaxLines], "\n")
		cut = true
	}
	if utf8.RuneCountInString(text) > MaxRunes {
		r := []rune(text)
		text = string(r[:MaxRunes])
		cut = true
	}
	if cut {
		text = strings.TrimRight(text, " \t\n") + "…"
	}
	return text
}

// Side is where the tail is, i.e. where the pet is relative to the body.
type Side int

const (
	TailDown  Side = iota // bubble above the pet
	TailLeft              // bubble to the right of the pet
	TailRight             // bubble to the left of the pet
)

// Placement is a bubble window's place on screen and its outline inside
// the window.
type Placement struct {
	Win  image.Rectangle // the window, screen coordinates
	Body image.Rectangle // the rounded body, window coordinates
	Side Side
	Tip  image.Point // the tail's tip, window coordinates
	Base int         // centre of the tail's base along the body edge (x for down/up, y for left/right)
}

// Place puts a body of size body (text plus padding) next to a pet whose
// window is pet, inside screen (the pet's monitor work area): above the pet,
// centred on it, when there is room; otherwise beside it (right, then
// left). The window never leaves screen if it fits at all.
func Place(body image.Point, pet, screen image.Rectangle) Placement {
	cx := (pet.Min.X + pet.Max.X) / 2
	cy := (pet.Min.Y + pet.Max.Y) / 2
	var p Placement
	switch {
	case pet.Min.Y-Gap-TailLen-body.Y >= screen.Min.Y:
		p.Side = TailDown
		w, h := body.X, body.Y+TailLen
		x := clamp(cx-w/2, screen.Min.X, screen.Max.X-w)
		y := pet.Min.Y - Gap - h
		p.Win = image.Rect(x, y, x+w, y+h)
		p.Body = image.Rect(0, 0, body.X, body.Y)
		p.Base = clamp(cx-x, Radius+TailBase/2, w-Radius-TailBase/2)
		p.Tip = image.Pt(clamp(cx-x, 1, w-1), h)
	case pet.Max.X+Gap+TailLen+body.X <= screen.Max.X || pet.Min.X-Gap-TailLen-body.X < screen.Min.X:
		// right of the pet (also the fallback when neither side has room)
		p.Side = TailLeft
		w, h := body.X+TailLen, body.Y
		x := pet.Max.X + Gap
		if x+w > screen.Max.X {
			x = screen.Max.X - w
		}
		y := clamp(cy-h/2, screen.Min.Y, screen.Max.Y-h)
		p.Win = image.Rect(x, y, x+w, y+h)
		p.Body = image.Rect(TailLen, 0, w, h)
		p.Base = clamp(cy-y, Radius+TailBase/2, h-Radius-TailBase/2)
		p.Tip = image.Pt(0, p.Base)
	default:
		p.Side = TailRight
		w, h := body.X+TailLen, body.Y
		x := pet.Min.X - Gap - w
		y := clamp(cy-h/2, screen.Min.Y, screen.Max.Y-h)
		p.Win = image.Rect(x, y, x+w, y+h)
		p.Body = image.Rect(0, 0, body.X, h)
		p.Base = clamp(cy-y, Radius+TailBase/2, h-Radius-TailBase/2)
		p.Tip = image.Pt(w, p.Base)
	}
	return p
}

func clamp(v, lo, hi int) int {
	if hi < lo { // does not fit: keep the start visible
		return lo
	}
	return max(lo, min(v, hi))
}

// Span is the inside of the outline on one row: [X0, X1) at Y.
type Span struct{ Y, X0, X1 int }

// Spans is the outline (rounded body plus tail) row by row, in window
// coordinates: the shape mask without a compositor and the click area.
func (p Placement) Spans() []Span {
	h := p.Win.Dy()
	out := make([]Span, 0, h)
	for y := 0; y < h; y++ {
		x0, x1 := p.bodyRow(y)
		if tx0, tx1, ok := p.tailRow(y); ok {
			if x1 <= x0 {
				x0, x1 = tx0, tx1
			} else {
				x0, x1 = min(x0, tx0), max(x1, tx1)
			}
		}
		if x1 > x0 {
			out = append(out, Span{y, x0, x1})
		}
	}
	return out
}

// Contains reports whether window point (x, y) is on the bubble.
func (p Placement) Contains(x, y int) bool {
	for _, s := range p.Spans() {
		if s.Y == y {
			return x >= s.X0 && x < s.X1
		}
	}
	return false
}

// bodyRow is the rounded rectangle's extent on row y (x1 <= x0: none).
func (p Placement) bodyRow(y int) (int, int) {
	b := p.Body
	if y < b.Min.Y || y >= b.Max.Y {
		return 0, 0
	}
	inset := 0
	fy := float64(y) + 0.5
	r := float64(Radius)
	var dy float64
	switch {
	case fy < float64(b.Min.Y)+r:
		dy = float64(b.Min.Y) + r - fy
	case fy > float64(b.Max.Y)-r:
		dy = fy - (float64(b.Max.Y) - r)
	}
	if dy > 0 {
		inset = int(math.Round(r - math.Sqrt(max(0, r*r-dy*dy))))
	}
	return b.Min.X + inset, b.Max.X - inset
}

// tailRow is the tail triangle's extent on row y.
func (p Placement) tailRow(y int) (int, int, bool) {
	half := float64(TailBase) / 2
	fy := float64(y) + 0.5
	switch p.Side {
	case TailDown:
		edge := float64(p.Body.Max.Y)
		t := (fy - edge) / (float64(p.Tip.Y) - edge) // 0 at the base, 1 at the tip
		if t < 0 || t > 1 {
			return 0, 0, false
		}
		// the tail leans from the base centre towards the tip
		c := float64(p.Base) + t*float64(p.Tip.X-p.Base)
		w := half * (1 - t)
		x0, x1 := int(math.Floor(c-w)), int(math.Ceil(c+w))
		return x0, max(x1, x0+1), true
	default:
		d := math.Abs(fy - float64(p.Base) - 0.5) // row centre against the base centre
		if d > half {
			return 0, 0, false
		}
		reach := int(math.Round(float64(TailLen) * (1 - d/half))) // how far out of the body on this row
		if p.Side == TailLeft {
			return p.Body.Min.X - reach, p.Body.Min.X + Radius, true
		}
		return p.Body.Max.X - Radius, p.Body.Max.X + reach, true
	}
}

// Item is one thing a pet says.
type Item struct {
	Conv string // conversation to open when clicked
	From string // nickname shown in bold
	Text string // already Truncated
	Show time.Duration
	// Sticky stays until clicked (a reminder) and is never dropped from
	// a full queue.
	Sticky bool
}

// NewItem makes an Item with its text cut and its time computed.
func NewItem(conv, from, text string) Item {
	t := Truncate(text)
	return Item{Conv: conv, From: from, Text: t, Show: Duration(t)}
}

// Queue holds one pet's bubbles: the one showing and those waiting. Chat
// waits in front of reminders, so a reminder nobody has clicked yet never
// holds up the room; it shows again once the chat is quiet.
type Queue struct {
	cur     *Item
	waiting []Item // chat items first, then sticky ones
	Dropped int    // chat bubbles dropped because the queue was full
}

// Push adds it; it reports whether it became the current bubble at once
// (nothing was showing, or a chat item took over from a reminder, which
// waits to show again). More than MaxQueue waiting chat items drop the
// oldest; sticky items are never dropped and do not count.
func (q *Queue) Push(it Item) bool {
	if q.cur == nil {
		q.cur = &it
		return true
	}
	if it.Sticky {
		q.waiting = append(q.waiting, it)
		return false
	}
	if q.cur.Sticky {
		q.waiting = slices.Insert(q.waiting, 0, *q.cur)
		q.cur = &it
		return true
	}
	chat := slices.IndexFunc(q.waiting, func(w Item) bool { return w.Sticky })
	if chat < 0 {
		chat = len(q.waiting)
	}
	if chat >= MaxQueue {
		q.waiting = slices.Delete(q.waiting, 0, 1)
		q.Dropped++
		chat--
	}
	q.waiting = slices.Insert(q.waiting, chat, it)
	return false
}

// Current is the bubble showing, if any.
func (q *Queue) Current() (Item, bool) {
	if q.cur == nil {
		return Item{}, false
	}
	return *q.cur, true
}

// Next ends the current bubble and makes the next one current.
func (q *Queue) Next() (Item, bool) {
	q.cur = nil
	if len(q.waiting) == 0 {
		return Item{}, false
	}
	it := q.waiting[0]
	q.waiting = q.waiting[1:]
	q.cur = &it
	return it, true
}

// Waiting is how many bubbles wait after the current one.
func (q *Queue) Waiting() int { return len(q.waiting) }

// Clear drops everything but sticky items (do-not-disturb switched on
// silences chat, not the reminders the user asked for). It returns the
// item to show now, if a sticky one is left.
func (q *Queue) Clear() (Item, bool) {
	var keep []Item
	if q.cur != nil && q.cur.Sticky {
		keep = append(keep, *q.cur)
	}
	for _, it := range q.waiting {
		if it.Sticky {
			keep = append(keep, it)
		}
	}
	q.cur, q.waiting = nil, nil
	if len(keep) == 0 {
		return Item{}, false
	}
	q.cur, q.waiting = &keep[0], keep[1:]
	return keep[0], true
}
