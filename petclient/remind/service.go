// Package remind is the toolkit-free core of the pet's reminders and focus
// timer: parsing "20m" / "18:30" / "every day 9:00" (and 20分钟, 每天 9:00),
// the reminders file shared by the pet and `tachikoma remind`, and a
// scheduler driven by an injected clock. Times are wall-clock times and are
// re-checked on every poll, so suspend/resume and clock changes are handled
// where they are noticed; nothing here sleeps until a deadline.
package remind

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Clock is the wall clock; tests inject a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now is time.Now without the monotonic reading (see Service.Poll).
func (SystemClock) Now() time.Time { return time.Now().Round(0) }

// Event is a reminder that came due.
type Event struct {
	Reminder Reminder
	Due      time.Time // when it was due
	// Missed: said late, because the pet was not running or the machine
	// slept through it ("missed at 18:30: …").
	Missed bool
}

// Grace is how late a reminder may be said before it counts as missed.
const Grace = time.Minute

// jumpBack is how far the clock must go back to count as set back.
const jumpBack = 2 * time.Second

// Service keeps the reminders of a running pet: it re-reads the file when
// another process (the command line) changed it and says what is due.
// Safe for concurrent use.
type Service struct {
	store *Store
	clock Clock
	log   *slog.Logger

	mu    sync.Mutex
	data  Data
	stamp stamp
	last  time.Time // wall time of the previous poll
	// handed is what Poll returned and Shown has not confirmed yet: id to
	// the due time, so it is not said twice while it stays in the file.
	handed map[int]time.Time
	// sayLock is held while this service is the one saying reminders.
	sayLock *os.File
}

// NewService reads the file and returns the service; with an unreadable
// file (moved aside, *CorruptError) it still returns a working service.
func NewService(store *Store, clock Clock, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{store: store, clock: clock, log: log, handed: map[int]time.Time{}}
	err := s.reload()
	var ce *CorruptError
	if err != nil && !errors.As(err, &ce) {
		return nil, err
	}
	return s, err
}

// reload reads the file again; an unreadable one leaves empty data and
// returns the *CorruptError (OnCorrupt heard of it too).
func (s *Service) reload() error {
	st := statStamp(s.store.Path)
	d, err := s.store.Load()
	var ce *CorruptError
	if err != nil && !errors.As(err, &ce) {
		return err
	}
	s.data, s.stamp = d, st
	return err
}

// Data is a copy of the current data.
func (s *Service) Data() Data {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.data
	d.Reminders = slices.Clone(d.Reminders)
	return d
}

// Update changes the file (locked, atomic) and the service's copy.
func (s *Service) Update(change func(*Data) error) (Data, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(change)
}

func (s *Service) update(change func(*Data) error) (Data, error) {
	d, err := s.store.Update(change)
	if err != nil {
		return d, err
	}
	s.data, s.stamp = d, statStamp(s.store.Path)
	return d, nil
}

// Poll re-reads the file if it changed and returns the reminders that are
// due at the clock's time, oldest first. They stay in the file until Shown
// confirms the user saw them, so one the pet exits before showing is said
// at the next start. Call it every second or so and after a wake-up; the
// first call after start says what was missed.
//
// Times are compared as wall-clock instants (the monotonic reading is
// dropped): after a suspend the monotonic clock lags the wall clock, and a
// reminder for 18:30 is for 18:30 on the wall.
func (s *Service) Poll() ([]Event, error) {
	now := s.clock.Now().Round(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := statStamp(s.store.Path); st != s.stamp {
		if err := s.reload(); err != nil {
			s.log.Warn("cannot re-read reminders", "path", s.store.Path, "err", err)
		}
	}
	setBack := !s.last.IsZero() && now.Before(s.last.Add(-jumpBack))
	s.last = now
	if setBack && slices.ContainsFunc(s.data.Reminders, func(r Reminder) bool { return r.Daily }) {
		s.log.Info("wall clock went back; daily reminders rescheduled", "now", now)
		// Clock set back (or a time zone change): today's time may be
		// ahead again.
		if _, err := s.update(func(d *Data) error {
			for i, r := range d.Reminders {
				if n := nextClock(now, r.Hour, r.Min); r.Daily && n.Before(r.Next) {
					d.Reminders[i].Next = n
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if !s.sayer() {
		return nil, nil
	}
	var events []Event
	for _, r := range s.data.Reminders {
		if r.Next.After(now) || s.handed[r.ID].Equal(r.Next) {
			continue
		}
		s.handed[r.ID] = r.Next
		events = append(events, Event{Reminder: r, Due: r.Next, Missed: now.Sub(r.Next) > Grace})
	}
	slices.SortStableFunc(events, func(a, b Event) int { return a.Due.Compare(b.Due) })
	return events, nil
}

// Shown records that the user was shown evs (from Poll): one-off reminders
// leave the file and daily ones move to their next day. A reminder changed
// or deleted meanwhile (the command line) is left as it is now.
func (s *Service) Shown(evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	now := s.clock.Now().Round(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.update(func(d *Data) error {
		kept := d.Reminders[:0]
		for _, r := range d.Reminders {
			if slices.ContainsFunc(evs, func(e Event) bool { return e.Reminder.ID == r.ID && e.Due.Equal(r.Next) }) {
				if !r.Daily {
					continue
				}
				r.Next = nextClock(now, r.Hour, r.Min)
			}
			kept = append(kept, r)
		}
		d.Reminders = kept
		return nil
	})
	if err != nil {
		// Still handed: not said again now, but again at the next start.
		return err
	}
	for _, e := range evs {
		if s.handed[e.Reminder.ID].Equal(e.Due) {
			delete(s.handed, e.Reminder.ID)
		}
	}
	return nil
}

// NextDue is the earliest time a reminder is due (zero: none).
func (s *Service) NextDue() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Time
	for _, r := range s.data.Reminders {
		if t.IsZero() || r.Next.Before(t) {
			t = r.Next
		}
	}
	return t
}

// Add parses spec ("20m drink water", "每天 9:00 起床") and stores it.
func (s *Service) Add(spec string) (Reminder, error) {
	return s.add(func(now time.Time) (When, string, error) { return ParseReminder(spec, now) })
}

// AddParts stores a reminder whose schedule and text come apart (see
// ParseParts).
func (s *Service) AddParts(schedule, text string) (Reminder, error) {
	return s.add(func(now time.Time) (When, string, error) { return ParseParts(schedule, text, now) })
}

func (s *Service) add(parse func(now time.Time) (When, string, error)) (Reminder, error) {
	now := s.clock.Now().Round(0)
	w, text, err := parse(now)
	if err != nil {
		return Reminder{}, err
	}
	var r Reminder
	_, err = s.Update(func(d *Data) error {
		r = d.Add(w, text, now)
		return nil
	})
	return r, err
}

// Delete removes reminder id.
func (s *Service) Delete(id int) error {
	_, err := s.Update(func(d *Data) error { return d.Delete(id) })
	return err
}

// Run polls every interval until ctx ends and hands due events to f (on
// Run's goroutine), which calls Shown once the user saw them. The interval bounds how late a reminder, or a change
// made by the command line, is noticed; errors are logged and retried.
func (s *Service) Run(ctx context.Context, every time.Duration, f func([]Event)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		evs, err := s.Poll()
		if err != nil {
			s.log.Warn("reminders", "err", err)
		}
		if len(evs) > 0 {
			f(evs)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sayer reports whether this service says the reminders: the one holding
// the lock beside the file, so two pets on one file never both say one.
// The others keep trying and one takes over when that pet quits. Called
// with mu held.
func (s *Service) sayer() bool {
	if s.sayLock != nil {
		return true
	}
	f, err := os.OpenFile(s.store.Path+".say", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		f, err = os.Open(s.store.Path + ".say") // a read-only folder: flock needs no write access
	}
	if err != nil {
		// No lock can be shared (e.g. a read-only folder): saying twice
		// beats never saying.
		return true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return false
	}
	s.sayLock = f
	return true
}

// Close lets another pet say the reminders.
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sayLock != nil {
		s.sayLock.Close() // closing the file releases the lock
		s.sayLock = nil
	}
}
