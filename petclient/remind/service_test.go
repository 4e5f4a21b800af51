package remind

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/rofs"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

func newTestService(t *testing.T, clock Clock) (*Service, *Store) {
	t.Helper()
	st := &Store{Path: filepath.Join(t.TempDir(), "tachikoma", "reminders.json")}
	s, err := NewService(st, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func mustAdd(t *testing.T, s *Service, spec string) Reminder {
	t.Helper()
	r, err := s.Add(spec)
	if err != nil {
		t.Fatalf("add %q: %v", spec, err)
	}
	return r
}

func texts(evs []Event) []string {
	var out []string
	for _, e := range evs {
		s := e.Reminder.Text
		if e.Missed {
			s = "missed:" + s
		}
		out = append(out, s)
	}
	return out
}

// poll polls and shows what was due, as the pet does.
func poll(t *testing.T, s *Service) []string {
	t.Helper()
	evs, err := s.Poll()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Shown(evs); err != nil {
		t.Fatal(err)
	}
	return texts(evs)
}

func TestDueOnceAndDaily(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local)}
	s, _ := newTestService(t, clock)
	mustAdd(t, s, "20m drink water")
	mustAdd(t, s, "every day 9:00 stand up")
	if got := poll(t, s); got != nil {
		t.Fatalf("nothing due yet, got %v", got)
	}
	clock.Add(20 * time.Minute)
	if got := strings.Join(poll(t, s), ","); got != "drink water" {
		t.Fatalf("at 8:20: %q", got)
	}
	if got := poll(t, s); got != nil {
		t.Fatalf("said twice: %v", got)
	}
	clock.Add(40*time.Minute + time.Second)
	if got := strings.Join(poll(t, s), ","); got != "stand up" {
		t.Fatalf("at 9:00: %q", got)
	}
	d := s.Data()
	if len(d.Reminders) != 1 || !d.Reminders[0].Next.Equal(time.Date(2026, 12, 7, 9, 0, 0, 0, time.Local)) {
		t.Fatalf("daily not moved to tomorrow: %+v", d.Reminders)
	}
}

// Reminders that fell due while the pet was not running are said as missed
// at the next start, in order; nothing is dropped.
func TestMissedOnStart(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 17, 0, 0, 0, time.Local)}
	s, st := newTestService(t, clock)
	mustAdd(t, s, "18:30 call mum")
	mustAdd(t, s, "18:00 cook")
	mustAdd(t, s, "every day 18:15 feed the cat")
	mustAdd(t, s, "23:00 sleep")

	clock.Set(time.Date(2026, 12, 6, 20, 0, 0, 0, time.Local)) // the pet was off
	s.Close()
	s2, err := NewService(st, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s2.Poll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(texts(evs), ","); got != "missed:cook,missed:feed the cat,missed:call mum" {
		t.Fatalf("got %q", got)
	}
	if evs[2].Due.Hour() != 18 || evs[2].Due.Minute() != 30 {
		t.Fatalf("due time lost: %v", evs[2].Due)
	}
	if err := s2.Shown(evs); err != nil {
		t.Fatal(err)
	}
	if got := poll(t, s2); got != nil {
		t.Fatalf("said twice: %v", got)
	}
	if n := len(s2.Data().Reminders); n != 2 {
		t.Fatalf("%d reminders kept, want the daily one and 23:00", n)
	}
}

// A due reminder stays in the file until it was shown: if the pet exits
// after polling but before showing it, the next start says it as missed.
// Once shown, a one-off is gone and a daily one moves to tomorrow.
func TestKeptUntilShown(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local)}
	s, st := newTestService(t, clock)
	mustAdd(t, s, "20m 喝水")
	mustAdd(t, s, "每天 8:20 站起来")
	clock.Add(20 * time.Minute)
	evs, err := s.Poll()
	if err != nil || len(evs) != 2 {
		t.Fatalf("poll: %v %v", texts(evs), err)
	}
	if got := poll(t, s); got != nil {
		t.Fatalf("said twice before it was shown: %v", got)
	}
	// The pet exits before the bubble showed; it starts again later.
	clock.Add(10 * time.Minute)
	s.Close()
	s2, err := NewService(st, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, err = s2.Poll()
	if got := strings.Join(texts(evs), ","); err != nil || got != "missed:喝水,missed:站起来" {
		t.Fatalf("after a restart: %q %v", got, err)
	}
	if err := s2.Shown(evs); err != nil {
		t.Fatal(err)
	}
	d, err := st.Load()
	if err != nil || len(d.Reminders) != 1 || !d.Reminders[0].Next.Equal(time.Date(2026, 12, 7, 8, 20, 0, 0, time.Local)) {
		t.Fatalf("after showing, the file has %+v %v", d.Reminders, err)
	}
	clock.Add(time.Hour)
	s2.Close()
	s3, err := NewService(st, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := poll(t, s3); got != nil {
		t.Fatalf("said again after it was shown: %v", got)
	}
}

// Suspend or a clock set forward: what was passed is said (late ones as
// missed); a clock set back neither repeats nor loses anything, and a
// daily reminder that is ahead again comes back to today.
func TestClockJumps(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local)}
	s, _ := newTestService(t, clock)
	mustAdd(t, s, "8:30 a")
	mustAdd(t, s, "every day 9:00 b")
	poll(t, s)

	clock.Add(10 * time.Second)
	poll(t, s)
	clock.Set(time.Date(2026, 12, 6, 8, 30, 20, 0, time.Local)) // woke just after
	if got := strings.Join(poll(t, s), ","); got != "a" {
		t.Fatalf("after a short jump: %q", got)
	}
	clock.Set(time.Date(2026, 12, 6, 11, 0, 0, 0, time.Local)) // slept two hours
	if got := strings.Join(poll(t, s), ","); got != "missed:b" {
		t.Fatalf("after a long jump: %q", got)
	}
	// Set back to 8:00: 9:00 today is ahead again and is said at 9:00.
	clock.Set(time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local))
	if got := poll(t, s); got != nil {
		t.Fatalf("set back: %v", got)
	}
	if n := s.NextDue(); !n.Equal(time.Date(2026, 12, 6, 9, 0, 0, 0, time.Local)) {
		t.Fatalf("next due after setting back: %v", n)
	}
	clock.Set(time.Date(2026, 12, 6, 9, 0, 1, 0, time.Local))
	if got := strings.Join(poll(t, s), ","); got != "b" {
		t.Fatalf("at 9:00 after setting back: %q", got)
	}
	// A one-off set for a wall time stays at that wall time.
	mustAdd(t, s, "10:00 c")
	clock.Set(time.Date(2026, 12, 6, 9, 30, 0, 0, time.Local))
	if got := poll(t, s); got != nil {
		t.Fatalf("one-off fired early: %v", got)
	}
	clock.Set(time.Date(2026, 12, 6, 10, 0, 0, 0, time.Local))
	if got := strings.Join(poll(t, s), ","); got != "c" {
		t.Fatalf("one-off after setting back: %q", got)
	}
}

// The command line edits the file; a running pet's service sees it on its
// next poll.
func TestExternalChangeNoticed(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local)}
	s, st := newTestService(t, clock)
	mustAdd(t, s, "1h a")
	cli := &Store{Path: st.Path}
	_, err := cli.Update(func(d *Data) error {
		d.Add(When{At: clock.Now().Add(time.Minute)}, "from the command line", clock.Now())
		return d.Delete(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Minute)
	if got := strings.Join(poll(t, s), ","); got != "from the command line" {
		t.Fatalf("got %q", got)
	}
	clock.Add(time.Hour)
	if got := poll(t, s); got != nil {
		t.Fatalf("a deleted reminder was said: %v", got)
	}
}

func TestRoundTrip(t *testing.T) {
	loc := mustZone(t, "Asia/Shanghai")
	clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, loc)}
	s, st := newTestService(t, clock)
	mustAdd(t, s, "20分钟后 喝水 💧")
	mustAdd(t, s, "每天 9:00 背单词")
	if _, err := s.Update(func(d *Data) error {
		d.Focus = FocusConfig{50, 10, 30, 3}
		d.CountDone(clock.Now())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := s.Data()
	got, err := (&Store{Path: st.Path}).Load()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("round trip:\n%s\n%s", a, b)
	}
	if got.DoneToday(clock.Now()) != 1 || got.DoneToday(clock.Now().AddDate(0, 0, 1)) != 0 {
		t.Fatal("today's count wrong")
	}
	fi, err := os.Stat(st.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v %v", fi.Mode(), err)
	}
	// Ids are never reused, even after a delete.
	if err := s.Delete(2); err != nil {
		t.Fatal(err)
	}
	if r := mustAdd(t, s, "1h x"); r.ID != 3 {
		t.Fatalf("id %d reused", r.ID)
	}
	if err := s.Delete(42); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
}

// An unreadable file is moved aside intact and reported; the pet goes on
// with no reminders and saves new ones.
func TestCorruptFile(t *testing.T) {
	for name, content := range map[string]string{
		"not json":     "{\"version\":1, \"reminders\": [",
		"bad version":  `{"version":7,"next_id":1}`,
		"no text":      `{"version":1,"next_id":2,"reminders":[{"id":1,"text":"","next":"2026-12-06T08:00:00Z"}]}`,
		"repeated ids": `{"version":1,"next_id":3,"reminders":[{"id":1,"text":"a","next":"2026-12-06T08:00:00Z"},{"id":1,"text":"b","next":"2026-12-06T08:00:00Z"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "reminders.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			var reported []*CorruptError
			st := &Store{Path: path, OnCorrupt: func(e *CorruptError) { reported = append(reported, e) }}
			clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
			s, err := NewService(st, clock, nil)
			var ce *CorruptError
			if !errors.As(err, &ce) || s == nil {
				t.Fatalf("want a CorruptError and a service, got %v", err)
			}
			if len(reported) != 1 || reported[0].Path != ce.Path {
				t.Fatalf("reported %v", reported)
			}
			kept, err := os.ReadFile(ce.Path)
			if err != nil || string(kept) != content {
				t.Fatalf("bad file not kept as it was: %q %v", kept, err)
			}
			if !strings.Contains(ce.Error(), ce.Path) {
				t.Fatalf("error does not say where: %v", ce)
			}
			mustAdd(t, s, "5m works again")
			if d, err := (&Store{Path: path}).Load(); err != nil || len(d.Reminders) != 1 {
				t.Fatalf("after recovery: %+v %v", d, err)
			}
		})
	}
}

// A pet and the command line writing at once lose nothing (the lock).
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reminders.json")
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &Store{Path: path}
			for i := 0; i < 10; i++ {
				if _, err := st.Update(func(d *Data) error {
					d.Add(When{At: now.Add(time.Hour)}, "x", now)
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d, err := (&Store{Path: path}).Load()
	if err != nil || len(d.Reminders) != 40 || d.NextID != 41 {
		t.Fatalf("%d reminders, next id %d, %v", len(d.Reminders), d.NextID, err)
	}
}

// A running pet (Run) says a reminder the command line added, within a
// few of its polls.
func TestRunNoticesCommandLine(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local)}
	s, st := newTestService(t, clock)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan []Event, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, 20*time.Millisecond, func(evs []Event) { got <- evs })
	}()
	defer func() { cancel(); <-done }()
	if _, err := (&Store{Path: st.Path}).Update(func(d *Data) error {
		d.Add(When{At: clock.Now().Add(-time.Second)}, "from the command line", clock.Now())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case evs := <-got:
		if len(evs) != 1 || evs[0].Reminder.Text != "from the command line" || evs[0].Missed {
			t.Fatalf("got %+v", evs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the running service never noticed the new reminder")
	}
}

// Two pets on one reminders file (started twice): only one says each
// reminder, and the other takes over when that one quits.
func TestTwoPetsSayOnce(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local)}
	a, st := newTestService(t, clock)
	b, err := NewService(&Store{Path: st.Path}, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mustAdd(t, a, "1m 喝水 drink water")
	clock.Add(time.Minute)
	said := 0
	for _, s := range []*Service{a, b} {
		evs, err := s.Poll()
		if err != nil {
			t.Fatal(err)
		}
		said += len(evs)
	}
	if said != 1 {
		t.Fatalf("two pets said the reminder %d times, want 1", said)
	}
	a.Close()
	mustAdd(t, b, "1m 起来走走 stretch")
	clock.Add(time.Minute)
	evs, err := b.Poll()
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(evs); len(got) == 0 || !slices.Contains(got, "起来走走 stretch") {
		t.Fatalf("after the first pet quit, the second said %q", got)
	}
}

// A read-only data folder: the reminders are still read and said, and
// saving fails with ErrReadOnly rather than the pet having none.
func TestReadOnlyFolder(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local)}
	var path string
	rofs.Dir(t, func(dir string) {
		path = filepath.Join(dir, "tachikoma", "reminders.json")
		s, err := NewService(&Store{Path: path}, clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustAdd(t, s, "20m 喝水")
		s.Close()
	})
	st := &Store{Path: path}
	if d, err := st.Load(); err != nil || len(d.Reminders) != 1 {
		t.Fatalf("Load on a read-only folder: %+v %v", d.Reminders, err)
	}
	if err := st.CheckWritable(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("CheckWritable: %v, want ErrReadOnly", err)
	}
	s, err := NewService(st, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clock.Add(20 * time.Minute)
	evs, err := s.Poll()
	if got := strings.Join(texts(evs), ","); err != nil || got != "喝水" {
		t.Fatalf("poll: %q %v", got, err)
	}
	if err := s.Shown(evs); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Shown: %v, want ErrReadOnly", err)
	}
}
