package remind

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/renameio/v2"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// Reminder is one thing to say at a time: once, or every day.
type Reminder struct {
	ID    int    `json:"id"`
	Text  string `json:"text"`
	Daily bool   `json:"daily,omitempty"`
	Hour  int    `json:"hour,omitempty"` // daily: local time of day
	Min   int    `json:"min,omitempty"`
	// Next is when it is due, wall clock (a one-off's only time).
	Next    time.Time `json:"next"`
	Created time.Time `json:"created"`
}

// When is the reminder's schedule.
func (r Reminder) When() When {
	return When{Daily: r.Daily, At: r.Next, Hour: r.Hour, Min: r.Min}
}

// Data is the whole file.
type Data struct {
	Version   int         `json:"version"`
	NextID    int         `json:"next_id"`
	Reminders []Reminder  `json:"reminders"`
	Focus     FocusConfig `json:"focus"`
	FocusDay  string      `json:"focus_day,omitempty"` // local date (2006-01-02) FocusDone counts
	FocusDone int         `json:"focus_done,omitempty"`
	Quiet     bool        `json:"quiet,omitempty"`     // no sound when a reminder is said
	NoNotify  bool        `json:"no_notify,omitempty"` // no desktop notification either
}

const fileVersion = 1

func (d *Data) validate() error {
	if d.Version != fileVersion {
		return fmt.Errorf("version %d, this program reads version %d", d.Version, fileVersion)
	}
	seen := map[int]bool{}
	for _, r := range d.Reminders {
		switch {
		case r.ID <= 0 || seen[r.ID]:
			return fmt.Errorf("reminder id %d is missing or repeated", r.ID)
		case r.ID >= d.NextID:
			return fmt.Errorf("reminder id %d is not below next_id %d", r.ID, d.NextID)
		case r.Next.IsZero():
			return fmt.Errorf("reminder %d has no time", r.ID)
		case r.Daily && (r.Hour < 0 || r.Hour > 23 || r.Min < 0 || r.Min > 59):
			return fmt.Errorf("reminder %d: %02d:%02d is no time of day", r.ID, r.Hour, r.Min)
		}
		if err := checkText(r.Text); err != nil {
			return fmt.Errorf("reminder %d: %w", r.ID, err)
		}
		seen[r.ID] = true
	}
	if d.Focus != (FocusConfig{}) {
		if err := d.Focus.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// CorruptError says the file could not be read and where it was kept.
type CorruptError struct {
	Path string // the unreadable file, moved aside
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("reminders file was unreadable (%v); kept as %s, starting empty", e.Err, e.Path)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Store is the reminders file. Writers (the pet, the command line) take an
// advisory lock around read-modify-write, and every write replaces the file
// atomically, so readers never see half a file.
type Store struct {
	Path string
	// OnCorrupt is told when an unreadable file was moved aside (nil: the
	// error is only returned by the call that found it).
	OnCorrupt func(*CorruptError)
}

// DefaultPath is $XDG_DATA_HOME/tachikoma/reminders.json.
func DefaultPath() (string, error) {
	p, err := xdgdir.Data.Path("reminders.json")
	if err != nil {
		return "", fmt.Errorf("reminders: cannot find the data folder: %w", err)
	}
	return p, nil
}

// Load reads the file. A missing file is empty data; an unreadable one is
// moved aside and reported (*CorruptError, also to OnCorrupt) together with
// empty data, so the caller can go on.
//
// In a folder that cannot be written it reads without the lock: writes
// replace the file whole, so a reader never sees half of one.
func (s *Store) Load() (Data, error) {
	unlock, err := s.lock()
	if errors.Is(err, ErrReadOnly) {
		return s.load()
	}
	if err != nil {
		return Data{}, err
	}
	defer unlock()
	return s.load()
}

// Update applies change to the file's data under the lock and writes the
// result. A corrupt file is moved aside first and change sees empty data;
// the *CorruptError is returned only if change or the write fails too, as
// OnCorrupt already heard of it.
func (s *Store) Update(change func(*Data) error) (Data, error) {
	unlock, err := s.lock()
	if err != nil {
		return Data{}, err
	}
	defer unlock()
	d, err := s.load()
	var ce *CorruptError
	if err != nil && !errors.As(err, &ce) {
		return Data{}, err
	}
	if err := change(&d); err != nil {
		return Data{}, err
	}
	if err := s.write(d); err != nil {
		return Data{}, err
	}
	if ce != nil && s.OnCorrupt == nil {
		return d, ce
	}
	return d, nil
}

func (s *Store) load() (Data, error) {
	empty := Data{Version: fileVersion, NextID: 1}
	raw, err := os.ReadFile(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return Data{}, fmt.Errorf("reminders: %w", err)
	}
	var d Data
	err = json.Unmarshal(raw, &d)
	if err == nil {
		err = d.validate()
	}
	if err == nil {
		return d, nil
	}
	bad := fmt.Sprintf("%s.bad-%s", s.Path, time.Now().Format("20060102-150405.000"))
	if rerr := os.Rename(s.Path, bad); rerr != nil {
		return Data{}, fmt.Errorf("reminders file %s is unreadable (%v) and cannot be moved aside: %w", s.Path, err, rerr)
	}
	ce := &CorruptError{Path: bad, Err: err}
	if s.OnCorrupt != nil {
		s.OnCorrupt(ce)
	}
	return empty, ce
}

func (s *Store) write(d Data) error {
	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(s.Path, append(raw, '\n'), 0o600); err != nil {
		return readOnly(err)
	}
	return nil
}

// lock takes the advisory lock beside the file (made with its directory).
func (s *Store) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return nil, readOnly(err)
	}
	f, err := os.OpenFile(s.Path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, readOnly(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("reminders: lock: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// stamp identifies a version of the file cheaply (atomic writes replace
// the inode, so any write changes it).
type stamp struct {
	ino   uint64
	mtime time.Time
	size  int64
}

func statStamp(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	st := stamp{mtime: fi.ModTime(), size: fi.Size()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st
}

// Add stores a new reminder and returns it.
func (d *Data) Add(w When, text string, now time.Time) Reminder {
	r := Reminder{ID: d.NextID, Text: text, Daily: w.Daily, Created: now.Round(0)}
	if w.Daily {
		r.Hour, r.Min = w.Hour, w.Min
		r.Next = nextClock(now.Round(0), w.Hour, w.Min)
	} else {
		r.Next = w.At.Round(0)
	}
	d.NextID++
	d.Reminders = append(d.Reminders, r)
	return r
}

// Delete removes reminder id.
func (d *Data) Delete(id int) error {
	for i, r := range d.Reminders {
		if r.ID == id {
			d.Reminders = append(d.Reminders[:i], d.Reminders[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("%w: %d", ErrNotFound, id)
}

// ErrReadOnly means the reminders cannot be saved: the folder is
// read-only or not ours. They can still be read.
var ErrReadOnly = errors.New("the reminders folder cannot be written")

// CheckWritable reports whether Update can save (ErrReadOnly when not).
func (s *Store) CheckWritable() error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	unlock()
	return nil
}

// readOnly wraps err in ErrReadOnly when it says the folder cannot be
// written.
func readOnly(err error) error {
	if errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("reminders: %w (%w)", ErrReadOnly, err)
	}
	return fmt.Errorf("reminders: %w", err)
}
