package remind

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FocusConfig is the focus timer's rhythm, in minutes.
type FocusConfig struct {
	Work      int `json:"work_min"`
	Short     int `json:"short_break_min"`
	Long      int `json:"long_break_min"`
	LongEvery int `json:"long_every"` // a long break after this many focus sessions
}

// DefaultFocus is the classic 25/5 with a 15-minute break every 4.
func DefaultFocus() FocusConfig { return FocusConfig{Work: 25, Short: 5, Long: 15, LongEvery: 4} }

// Validate checks the lengths are usable.
func (c FocusConfig) Validate() error {
	switch {
	case c.Work < 1 || c.Work > 240:
		return fmt.Errorf("%w: focus of %d minutes (1 to 240)", ErrBadTime, c.Work)
	case c.Short < 1 || c.Short > 120 || c.Long < 1 || c.Long > 120:
		return fmt.Errorf("%w: breaks of %d and %d minutes (1 to 120)", ErrBadTime, c.Short, c.Long)
	case c.LongEvery < 1 || c.LongEvery > 12:
		return fmt.Errorf("%w: a long break every %d sessions (1 to 12)", ErrBadTime, c.LongEvery)
	}
	return nil
}

// String is the form ParseFocus reads: "25/5/15x4".
func (c FocusConfig) String() string {
	return fmt.Sprintf("%d/%d/%dx%d", c.Work, c.Short, c.Long, c.LongEvery)
}

// ParseFocus reads "WORK/SHORT[/LONG][xEVERY]" in minutes: "25/5",
// "50/10/30x3". Missing parts keep their defaults.
func ParseFocus(s string) (FocusConfig, error) {
	c := DefaultFocus()
	body, every, hasEvery := strings.Cut(strings.TrimSpace(strings.ToLower(s)), "x")
	parts := strings.Split(body, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return c, fmt.Errorf("%w: %q (want WORK/BREAK in minutes, e.g. 25/5 or 50/10/30x3)", ErrBadTime, s)
	}
	dst := []*int{&c.Work, &c.Short, &c.Long}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return c, fmt.Errorf("%w: %q in %q is not a number of minutes", ErrBadTime, p, s)
		}
		*dst[i] = n
	}
	if hasEvery {
		n, err := strconv.Atoi(strings.TrimSpace(every))
		if err != nil {
			return c, fmt.Errorf("%w: %q in %q is not a count of sessions", ErrBadTime, every, s)
		}
		c.LongEvery = n
	}
	return c, c.Validate()
}

// Phase is where the focus timer is.
type Phase int

// Phases of the focus timer.
const (
	Idle Phase = iota
	Work
	ShortBreak
	LongBreak
)

func (p Phase) String() string {
	return [...]string{"idle", "work", "short-break", "long-break"}[p]
}

// Transition is a phase change the pet acts on.
type Transition struct {
	From, To Phase
	// Completed: a focus session ran its full length on time (one more
	// for today's count). A session the machine slept through ends
	// without counting.
	Completed bool
	Ends      time.Time // when the new phase ends
}

// Focus is the pomodoro state machine: work, break, work, ..., a long break
// every LongEvery sessions, until stopped. Not safe for concurrent use.
type Focus struct {
	cfg   FocusConfig
	phase Phase
	ends  time.Time
	done  int // sessions completed since Start (picks the long break)
}

// NewFocus makes an idle timer.
func NewFocus(cfg FocusConfig) *Focus { return &Focus{cfg: cfg} }

// Config is the rhythm in use.
func (f *Focus) Config() FocusConfig { return f.cfg }

// SetConfig changes the rhythm from the next phase on.
func (f *Focus) SetConfig(c FocusConfig) { f.cfg = c }

// Phase is the current phase and when it ends.
func (f *Focus) Phase() (Phase, time.Time) { return f.phase, f.ends }

// Start begins a focus session now.
func (f *Focus) Start(now time.Time) Transition {
	from := f.phase
	f.phase, f.done = Work, 0
	f.ends = now.Round(0).Add(f.length(Work))
	return Transition{From: from, To: Work, Ends: f.ends}
}

// Stop ends the timer.
func (f *Focus) Stop() Transition {
	from := f.phase
	f.phase, f.ends = Idle, time.Time{}
	return Transition{From: from, To: Idle}
}

func (f *Focus) length(p Phase) time.Duration {
	switch p {
	case Work:
		return time.Duration(f.cfg.Work) * time.Minute
	case ShortBreak:
		return time.Duration(f.cfg.Short) * time.Minute
	case LongBreak:
		return time.Duration(f.cfg.Long) * time.Minute
	}
	return 0
}

// Poll moves to the next phase when the current one is over (at most one
// step per call; the next phase is timed from now, so waking from a long
// suspend starts a fresh phase rather than racing through missed ones).
// A clock set back never leaves a phase longer than its length.
func (f *Focus) Poll(now time.Time) (Transition, bool) {
	if f.phase == Idle {
		return Transition{}, false
	}
	now = now.Round(0)
	if f.ends.Sub(now) > f.length(f.phase) {
		f.ends = now.Add(f.length(f.phase))
	}
	if now.Before(f.ends) {
		return Transition{}, false
	}
	t := Transition{From: f.phase}
	if f.phase == Work {
		t.Completed = now.Sub(f.ends) <= Grace
		f.done++
		f.phase = ShortBreak
		if f.done%f.cfg.LongEvery == 0 {
			f.phase = LongBreak
		}
	} else {
		f.phase = Work
	}
	f.ends = now.Add(f.length(f.phase))
	t.To, t.Ends = f.phase, f.ends
	return t, true
}

// CountDone adds a completed session to today's count in d.
func (d *Data) CountDone(now time.Time) {
	day := now.Format(time.DateOnly)
	if d.FocusDay != day {
		d.FocusDay, d.FocusDone = day, 0
	}
	d.FocusDone++
}

// DoneToday is today's count of completed focus sessions.
func (d Data) DoneToday(now time.Time) int {
	if d.FocusDay != now.Format(time.DateOnly) {
		return 0
	}
	return d.FocusDone
}

// FocusOrDefault is the stored rhythm, or the default if none is stored.
func (d Data) FocusOrDefault() FocusConfig {
	if d.Focus == (FocusConfig{}) {
		return DefaultFocus()
	}
	return d.Focus
}
