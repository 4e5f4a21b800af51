package remind

import (
	"strings"
	"testing"
	"time"
)

func TestFocusCycle(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	f := NewFocus(FocusConfig{Work: 25, Short: 5, Long: 15, LongEvery: 2})
	if _, ok := f.Poll(now); ok {
		t.Fatal("an idle timer moved")
	}
	f.Start(now)
	var got []string
	completed := 0
	for i := 0; i < 6; i++ {
		_, ends := f.Phase()
		if _, ok := f.Poll(ends.Add(-time.Second)); ok {
			t.Fatalf("step %d: moved early", i)
		}
		tr, ok := f.Poll(ends)
		if !ok {
			t.Fatalf("step %d: did not move at the end", i)
		}
		if tr.Completed {
			completed++
		}
		got = append(got, tr.To.String())
	}
	want := "short-break work long-break work short-break work"
	if s := strings.Join(got, " "); s != want || completed != 3 {
		t.Fatalf("phases %q (completed %d), want %q", s, completed, want)
	}
	if tr := f.Stop(); tr.To != Idle {
		t.Fatal("stop")
	}
}

// A focus session the machine slept through ends without counting, and the
// break is timed from the wake-up; a clock set back does not stretch a phase.
func TestFocusClockJumps(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	f := NewFocus(DefaultFocus())
	f.Start(now)
	wake := now.Add(3 * time.Hour)
	tr, ok := f.Poll(wake)
	if !ok || tr.Completed || tr.To != ShortBreak || !tr.Ends.Equal(wake.Add(5*time.Minute)) {
		t.Fatalf("after suspend: %+v %v", tr, ok)
	}
	f.Start(now)
	back := now.Add(-2 * time.Hour)
	if _, ok := f.Poll(back); ok {
		t.Fatal("moved on a clock set back")
	}
	if _, ends := f.Phase(); !ends.Equal(back.Add(25 * time.Minute)) {
		t.Fatalf("phase stretched by the clock set back: ends %v", ends)
	}
}

func TestDoneTodayResetsAtMidnight(t *testing.T) {
	var d Data
	day := time.Date(2026, 12, 6, 23, 50, 0, 0, time.UTC)
	d.CountDone(day)
	d.CountDone(day)
	if d.DoneToday(day) != 2 {
		t.Fatal("count")
	}
	next := day.Add(20 * time.Minute)
	if d.DoneToday(next) != 0 {
		t.Fatal("yesterday's count shown today")
	}
	d.CountDone(next)
	if d.DoneToday(next) != 1 {
		t.Fatal("new day's count")
	}
}
