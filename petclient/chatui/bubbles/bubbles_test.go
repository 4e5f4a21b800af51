package bubbles

import (
	"image"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDuration(t *testing.T) {
	if d := Duration("hi"); d != 3*time.Second+120*time.Millisecond {
		t.Errorf("short: %v", d)
	}
	if Duration(strings.Repeat("x", 50)) <= Duration("x") {
		t.Error("longer text must stay longer")
	}
	if d := Duration(strings.Repeat("字", 1000)); d != maxShow {
		t.Errorf("cap: %v", d)
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("  你好 🤖 \n"); got != "你好 🤖" {
		t.Errorf("short text changed: %q", got)
	}
	long := strings.Repeat("字", MaxRunes+10)
	got := Truncate(long)
	if utf8.RuneCountInString(got) != MaxRunes+1 || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("long: %d runes %q", utf8.RuneCountInString(got), got[len(got)-6:])
	}
	lines := strings.Repeat("line\n", 20)
	if got := Truncate(lines); strings.Count(got, "\n") != MaxLines-1 || !strings.HasSuffix(got, "…") {
		t.Errorf("lines: %q", got)
	}
}

var screen = image.Rect(0, 0, 1280, 800)

func TestPlaceAbove(t *testing.T) {
	pet := image.Rect(600, 700, 664, 764)
	p := Place(image.Pt(200, 60), pet, screen)
	if p.Side != TailDown {
		t.Fatalf("side %v", p.Side)
	}
	if p.Win.Max.Y != pet.Min.Y-Gap || p.Win.Dy() != 60+TailLen {
		t.Errorf("not just above the pet: %v", p.Win)
	}
	if c := (p.Win.Min.X + p.Win.Max.X) / 2; c != 632 {
		t.Errorf("not centred: %d", c)
	}
	if p.Tip.X+p.Win.Min.X != 632 || p.Tip.Y != p.Win.Dy() {
		t.Errorf("tail tip %v not at the pet", p.Tip)
	}
}

func TestPlaceNearEdges(t *testing.T) {
	// at the right edge: clamped inside, tail still points at the pet
	pet := image.Rect(1240, 700, 1280, 764)
	p := Place(image.Pt(200, 60), pet, screen)
	if p.Side != TailDown || p.Win.Max.X != 1280 {
		t.Fatalf("%+v", p)
	}
	if p.Tip.X+p.Win.Min.X != 1260 {
		t.Errorf("tip %d", p.Tip.X+p.Win.Min.X)
	}
	if p.Base > p.Win.Dx()-Radius-TailBase/2 {
		t.Errorf("tail base %d runs into the corner", p.Base)
	}
	// at the top edge, left half: beside, to the right
	pet = image.Rect(100, 10, 164, 74)
	p = Place(image.Pt(200, 60), pet, screen)
	if p.Side != TailLeft || p.Win.Min.X != pet.Max.X+Gap || p.Win.Min.Y < 0 {
		t.Fatalf("top-left: %+v", p)
	}
	// at the top right corner: beside, to the left
	pet = image.Rect(1200, 0, 1264, 64)
	p = Place(image.Pt(200, 60), pet, screen)
	if p.Side != TailRight || p.Win.Max.X != pet.Min.X-Gap || p.Win.Min.Y < 0 {
		t.Fatalf("top-right: %+v", p)
	}
	if !p.Contains(p.Win.Dx()-1, p.Base) {
		t.Error("tail tip row not inside the outline")
	}
}

func TestSpans(t *testing.T) {
	p := Place(image.Pt(100, 50), image.Rect(500, 500, 560, 560), screen)
	spans := p.Spans()
	if len(spans) != p.Win.Dy() {
		t.Fatalf("%d spans for %d rows", len(spans), p.Win.Dy())
	}
	// corners are cut, the middle is full width
	if s := spans[0]; s.X0 < Radius/2 || s.X1 > 100-Radius/2 {
		t.Errorf("top row not rounded: %+v", s)
	}
	if s := spans[25]; s.X0 != 0 || s.X1 != 100 {
		t.Errorf("middle row: %+v", s)
	}
	// the tail narrows towards the tip, which is at the pet's centre
	last := spans[len(spans)-1]
	if last.X1-last.X0 > 3 || last.X0 > p.Tip.X || last.X1 < p.Tip.X {
		t.Errorf("tip row %+v tip %v", last, p.Tip)
	}
	if p.Contains(0, 0) || !p.Contains(50, 25) || p.Contains(0, p.Win.Dy()-1) {
		t.Error("Contains disagrees with the outline")
	}
}

func TestQueue(t *testing.T) {
	var q Queue
	if !q.Push(NewItem("room:lobby", "Bob", "1")) {
		t.Fatal("first push must show at once")
	}
	for i := 2; i <= MaxQueue+3; i++ {
		if q.Push(NewItem("room:lobby", "Bob", string(rune('0'+i)))) {
			t.Fatal("later pushes wait")
		}
	}
	if q.Waiting() != MaxQueue || q.Dropped != 2 {
		t.Fatalf("waiting %d dropped %d", q.Waiting(), q.Dropped)
	}
	cur, _ := q.Current()
	next, ok := q.Next()
	if cur.Text != "1" || !ok || next.Text != "4" {
		t.Fatalf("order: %q then %q", cur.Text, next.Text)
	}
	q.Clear()
	if _, ok := q.Current(); ok || q.Waiting() != 0 {
		t.Fatal("clear")
	}
	if _, ok := q.Next(); ok {
		t.Fatal("next on empty")
	}
}

// A reminder waiting behind a busy room is never dropped and shows once
// the room is quiet; do-not-disturb keeps it too.
func TestQueueKeepsSticky(t *testing.T) {
	var q Queue
	q.Push(NewItem("room:lobby", "Bob", "showing"))
	pin := NewItem("", "Tachikoma", "喝水 drink water")
	pin.Sticky = true
	q.Push(pin)
	for i := 0; i < 2*MaxQueue; i++ {
		q.Push(NewItem("room:lobby", "Bob", "chatter"))
	}
	if q.Dropped != MaxQueue {
		t.Fatalf("dropped %d chat bubbles, want %d", q.Dropped, MaxQueue)
	}
	var last Item
	for i := 0; i <= MaxQueue+1 && !last.Sticky; i++ {
		last, _ = q.Next()
	}
	if !last.Sticky || last.Text != pin.Text {
		t.Fatalf("the reminder was lost; last shown is %+v", last)
	}
	// Do-not-disturb clears the chatter, not the reminder.
	q.Push(NewItem("room:lobby", "Bob", "more chatter"))
	if it, ok := q.Clear(); !ok || it.Text != pin.Text || q.Waiting() != 0 {
		t.Fatalf("clear kept %+v %v, %d waiting", it, ok, q.Waiting())
	}
	q.Next()
	if _, ok := q.Clear(); ok {
		t.Fatal("clear of a queue without reminders left something")
	}
}

// A reminder on show until clicked does not hold up the chat: each chat
// bubble shows at once, nothing is dropped, and the reminder comes back
// after the chat until it is clicked.
func TestQueueChatNotBehindSticky(t *testing.T) {
	var q Queue
	pin := NewItem("", "Tachikoma", "该交作业了 hand in homework")
	pin.Sticky = true
	if !q.Push(pin) {
		t.Fatal("the reminder must show at once")
	}
	for i := 0; i < 3*MaxQueue; i++ {
		msg := NewItem("room:lobby", "小明", "你好 "+string(rune('a'+i)))
		if !q.Push(msg) {
			t.Fatalf("chat bubble %d waits behind the reminder (%d waiting)", i, q.Waiting())
		}
		if cur, _ := q.Current(); cur.Text != msg.Text {
			t.Fatalf("showing %q, want %q", cur.Text, msg.Text)
		}
		// the chat bubble fades: the reminder is back
		if it, ok := q.Next(); !ok || !it.Sticky || it.Text != pin.Text {
			t.Fatalf("after chat %d the reminder is gone: %+v %v", i, it, ok)
		}
	}
	if q.Dropped != 0 || q.Waiting() != 0 {
		t.Fatalf("dropped %d, %d waiting", q.Dropped, q.Waiting())
	}
	// a burst while the reminder shows: all chat first, nothing dropped, then the reminder
	for i := 0; i < MaxQueue; i++ {
		q.Push(NewItem("room:lobby", "小明", "burst"))
	}
	second := pin
	second.Text = "第二个提醒"
	q.Push(second)
	q.Push(NewItem("room:lobby", "小明", "late"))
	if q.Dropped != 0 {
		t.Fatalf("dropped %d of a burst of %d", q.Dropped, MaxQueue+1)
	}
	var got []string
	for it, ok := q.Current(); ok; it, ok = q.Next() {
		got = append(got, it.Text)
	}
	want := []string{"burst", "burst", "burst", "burst", "burst", "late", pin.Text, second.Text}
	if !slices.Equal(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
}
