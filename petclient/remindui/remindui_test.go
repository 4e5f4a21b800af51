package remindui

import (
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/internal/rofs"
	"github.com/tachikoma-pet/tachikoma/petclient/remind"
)

// fakeApp is the pets as the UI sees them, recording what it asks of them.
type fakeApp struct {
	menus menu.Registry
	pets  []desktop.PetInfo
	calls []string
}

func (a *fakeApp) Pets() []desktop.PetInfo { return a.pets }
func (a *fakeApp) Lang() i18n.Lang         { return i18n.Chinese }
func (a *fakeApp) Menus() *menu.Registry   { return &a.menus }
func (a *fakeApp) PetDo(id int, action string) bool {
	a.calls = append(a.calls, fmt.Sprintf("%s %d", action, id))
	return true
}
func (a *fakeApp) WalkTo(id int, x float64) bool {
	a.calls = append(a.calls, fmt.Sprintf("walkto %d %.0f", id, x))
	return true
}

type fakeSpeaker struct{ said []string }

func (s *fakeSpeaker) Pin(id int, from, text string) bool {
	s.said = append(s.said, fmt.Sprintf("%d %s: %s", id, from, text))
	return true
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestUI(t *testing.T, prepare func(*remind.Data, time.Time)) (*UI, *fakeApp, *fakeSpeaker, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 6, 18, 33, 0, 0, time.Local)}
	path := filepath.Join(t.TempDir(), "reminders.json")
	if _, err := (&remind.Store{Path: path}).Update(func(d *remind.Data) error {
		d.Quiet, d.NoNotify = true, true // no external tools from tests
		if prepare != nil {
			prepare(d, c.Now())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	u, app, sp := newUIAt(t, path, c)
	return u, app, sp, c
}

// newUIAt starts the UI on the reminders file at path, one pet showing.
func newUIAt(t *testing.T, path string, c *clock) (*UI, *fakeApp, *fakeSpeaker) {
	t.Helper()
	app := &fakeApp{pets: []desktop.PetInfo{{ID: 1, Visible: true, Rect: image.Rect(100, 736, 180, 800), Anim: "stand"}}}
	sp := &fakeSpeaker{}
	u := newUI(app, Options{Path: path, Speaker: sp, Clock: c})
	if u.svc == nil {
		t.Fatal("no service")
	}
	u.workArea = func(desktop.PetInfo) image.Rectangle { return image.Rect(0, 0, 1280, 800) }
	t.Cleanup(u.Close)
	return u, app, sp
}

// A missed reminder: the pet walks to the middle and says it, in Chinese,
// with the time it was due.
func TestSayMissedReminder(t *testing.T) {
	u, app, sp, _ := newTestUI(t, func(d *remind.Data, now time.Time) {
		d.Add(remind.When{At: now.Add(-3 * time.Minute)}, "给妈妈打电话", now.Add(-time.Hour))
	})
	evs, err := u.svc.Poll()
	if err != nil || len(evs) != 1 {
		t.Fatalf("poll: %v %v", evs, err)
	}
	inFile := func() int {
		d, err := (&remind.Store{Path: u.opts.Path}).Load()
		if err != nil {
			t.Fatal(err)
		}
		return len(d.Reminders)
	}
	if n := inFile(); n != 1 {
		t.Fatalf("%d reminders in the file before it was shown, want 1", n)
	}
	u.onDue(evs)
	if got := strings.Join(sp.said, "|"); got != "1 提醒: 错过了 18:30 的提醒：给妈妈打电话" {
		t.Fatalf("said %q", got)
	}
	if n := inFile(); n != 0 || len(u.data.Reminders) != 0 {
		t.Fatalf("shown, yet %d in the file and %d in the menu", n, len(u.data.Reminders))
	}
	if got := strings.Join(app.calls, "|"); got != "walkto 1 640" {
		t.Fatalf("pet asked %q", got)
	}
}

// Several reminders due at once (missed while the pet was off) are all
// said, with one alarm sound for the batch rather than overlapping ones.
func TestOneAlarmPerBatch(t *testing.T) {
	u, _, sp, _ := newTestUI(t, func(d *remind.Data, now time.Time) {
		d.Quiet = false
		for i, text := range []string{"喝水", "交作业", "给妈妈打电话"} {
			d.Add(remind.When{At: now.Add(-time.Duration(i+1) * time.Minute)}, text, now.Add(-time.Hour))
		}
	})
	alarms := 0
	u.alarm = func() { alarms++ }
	evs, err := u.svc.Poll()
	if err != nil || len(evs) != 3 {
		t.Fatalf("poll: %v %v", evs, err)
	}
	u.onDue(evs)
	if len(sp.said) != 3 || alarms != 1 {
		t.Fatalf("said %q with %d alarms, want 3 with 1", sp.said, alarms)
	}
	u.onDue(nil)
	if alarms != 1 {
		t.Fatalf("%d alarms after an empty batch", alarms)
	}
}

// The focus timer: the pets sit while the user works, jump on a break,
// and the finished session is counted in the file and the menu.
func TestFocusActsAndCounts(t *testing.T) {
	u, app, sp, c := newTestUI(t, nil)
	u.startFocus()
	if got := strings.Join(app.calls, "|"); got != "sit 1" || len(sp.said) != 1 || !strings.Contains(sp.said[0], "25 分钟") {
		t.Fatalf("start: calls %q, said %q", got, sp.said)
	}
	app.calls = nil
	c.Add(25 * time.Minute)
	u.onTick()
	if got := strings.Join(app.calls, "|"); !strings.HasPrefix(got, "jump 1") {
		t.Fatalf("break: calls %q", got)
	}
	if last := sp.said[len(sp.said)-1]; !strings.Contains(last, "休息一下") {
		t.Fatalf("break: said %q", last)
	}
	label := func() string {
		items := u.menuItems(menu.Context{Lang: i18n.Chinese, Place: menu.PetMenu})
		it, _ := menu.Find(items, "focus.today")
		return it.Label
	}
	deadline := time.Now().Add(30 * time.Second)
	for label() != "今日专注：1 次" {
		if time.Now().After(deadline) {
			t.Fatalf("today's count in the menu: %q", label())
		}
		time.Sleep(10 * time.Millisecond)
		u.refresh()
	}
	if d, err := (&remind.Store{Path: u.opts.Path}).Load(); err != nil || d.DoneToday(c.Now()) != 1 {
		t.Fatalf("count in the file: %+v %v", d, err)
	}
}

// A read-only data folder: the reminders are still said, and the pet says
// once, in Chinese, that they cannot be saved, instead of only logging.
func TestReadOnlyFolderSaysSo(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 6, 18, 33, 0, 0, time.Local)}
	var path string
	dir := rofs.Dir(t, func(dir string) {
		path = filepath.Join(dir, "reminders.json")
		if _, err := (&remind.Store{Path: path}).Update(func(d *remind.Data) error {
			d.Quiet, d.NoNotify = true, true
			d.Add(remind.When{At: c.Now().Add(time.Minute)}, "背单词", c.Now())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	u, _, sp := newUIAt(t, path, c) // fails if the pet has no reminders
	want := "1 提醒: 提醒无法保存到 " + dir
	if len(sp.said) != 1 || !strings.HasPrefix(sp.said[0], want) {
		t.Fatalf("at start said %q, want %q…", sp.said, want)
	}
	c.Add(time.Minute)
	evs, err := u.svc.Poll()
	if err != nil || len(evs) != 1 {
		t.Fatalf("poll: %v %v", evs, err)
	}
	u.onDue(evs)
	if got := strings.Join(sp.said[1:], "|"); got != "1 提醒: 背单词" {
		t.Fatalf("then said %q, want the reminder and no second warning", got)
	}
}

// The chat's /remind after midnight: 明天 8点 is this morning, and the
// answer says the date in Chinese.
func TestCommandTomorrowAfterMidnight(t *testing.T) {
	u, _, _, c := newTestUI(t, nil)
	c.mu.Lock()
	c.t = time.Date(2026, 12, 7, 0, 30, 0, 0, time.Local)
	c.mu.Unlock()
	if got, want := u.Command("明天 8点 交作业"), "好的！今天 08:00（12月7日 周一）：交作业"; got != want {
		t.Fatalf("Command = %q, want %q", got, want)
	}
	if got, want := u.describeIn(i18n.English, u.svc.Data().Reminders[0]), "today 08:00 (Mon 12-07)"; got != want {
		t.Fatalf("in English: %q, want %q", got, want)
	}
}

// No data folder (no HOME): reminders are off, with the reason logged, and
// nothing is written anywhere.
func TestNoHomeNoReminders(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "")
	t.Chdir(t.TempDir())
	var logged strings.Builder
	app := &fakeApp{}
	u := newUI(app, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	defer u.Close()
	if u.svc != nil || u.opts.Path != "" {
		t.Fatalf("reminders on without a data folder: %q", u.opts.Path)
	}
	if !strings.Contains(logged.String(), "reminders unavailable") || !strings.Contains(logged.String(), "$HOME") {
		t.Errorf("logged %q", logged.String())
	}
	if got := u.Command("20m 喝水"); !strings.Contains(got, "no reminders file") {
		t.Errorf("Command = %q", got)
	}
	if left, _ := os.ReadDir("."); len(left) != 0 {
		t.Errorf("wrote %v into the working directory", left)
	}
}
