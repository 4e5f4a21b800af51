// Package remindui is the GTK layer of reminders and the focus timer: a
// menu section, the "Remind me…" dialog, and the pets saying what is due.
// The schedule, the file and the timer are petclient/remind's; everything
// here runs on the GTK main thread except the polling goroutine.
package remindui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/notify"
	"github.com/tachikoma-pet/tachikoma/petclient/remind"
)

// Speaker shows a bubble on a pet that stays until clicked
// (chatui.Controller.Pin).
type Speaker interface {
	Pin(petID int, from, text string) bool
}

// host is what the UI needs of the app (*desktop.App; a fake in tests).
type host interface {
	Pets() []desktop.PetInfo
	PetDo(id int, action string) bool
	WalkTo(id int, x float64) bool
	Lang() i18n.Lang
	Menus() *menu.Registry
}

// Options configure Attach.
type Options struct {
	Path    string  // reminders file; "" = remind.DefaultPath()
	Speaker Speaker // nil (chat off): a message dialog says it instead
	Logger  *slog.Logger
	// Every is how often the file and the clock are checked (default 1 s).
	Every time.Duration
	Clock remind.Clock // nil: the system clock
}

// Section is the menu section's name; Order puts it among the tools.
const (
	Section = "remind"
	Order   = menu.OrderTools + 10
)

// UI is the reminders' GTK side. GTK thread only.
type UI struct {
	app      host
	opts     Options
	workArea func(desktop.PetInfo) image.Rectangle
	log      *slog.Logger
	svc      *remind.Service

	focus      *remind.Focus
	data       remind.Data // the menu's copy
	walkTill   time.Time   // retry walking to the middle until then
	walkPet    int
	lastSit    time.Time
	shownLeft  int // focus minutes left as the menu shows them
	tick       glib.SourceHandle
	dialog     *gtk.Dialog
	alarm      func() // plays the alarm sound; a counter in tests
	saveWarned bool   // the user heard that reminders are not saved

	ctx    context.Context
	cancel context.CancelFunc
}

// Attach starts reminders for app; call it from desktop.Options.OnStart.
func Attach(app *desktop.App, opts Options) *UI {
	u := newUI(app, opts)
	if u.svc == nil {
		return u
	}
	go u.svc.Run(u.ctx, u.opts.Every, func(evs []remind.Event) {
		glib.IdleAdd(func() { u.onDue(evs) })
	})
	u.tick = glib.TimeoutAdd(uint(u.opts.Every/time.Millisecond), func() bool { u.onTick(); return true })
	return u
}

// newUI reads the reminders and adds the menu section; Attach starts the
// polling.
func newUI(app host, opts Options) *UI {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Every <= 0 {
		opts.Every = time.Second
	}
	if opts.Clock == nil {
		opts.Clock = remind.SystemClock{}
	}
	u := &UI{app: app, opts: opts, log: opts.Logger.With("component", "remind"), workArea: desktop.WorkArea}
	u.alarm = func() { notify.Alarm(u.log) }
	u.ctx, u.cancel = context.WithCancel(context.Background())
	if opts.Path == "" {
		p, err := remind.DefaultPath()
		if err != nil {
			u.log.Error("reminders unavailable", "err", err)
			return u
		}
		opts.Path, u.opts.Path = p, p
	}
	store := &remind.Store{Path: opts.Path, OnCorrupt: func(e *remind.CorruptError) {
		u.log.Error("reminders file unreadable; kept aside", "kept", e.Path, "err", e.Err)
		glib.IdleAdd(func() { u.say(u.app.Lang().F(i18n.RemindCorrupt, e.Path), false) })
	}}
	svc, err := remind.NewService(store, opts.Clock, u.log)
	var ce *remind.CorruptError
	if err != nil && !errors.As(err, &ce) {
		u.log.Error("reminders unavailable", "path", opts.Path, "err", err)
		return u
	}
	u.svc = svc
	u.data = svc.Data()
	u.focus = remind.NewFocus(u.data.FocusOrDefault())
	app.Menus().Add(Section, Order, menu.Everywhere, menu.SectionFunc(u.menuItems))
	u.log.Info("reminders", "path", opts.Path, "count", len(u.data.Reminders))
	if err := store.CheckWritable(); err != nil {
		u.cannotSave(err)
	}
	return u
}

// cannotSave tells the user, once, that reminders are not being saved.
func (u *UI) cannotSave(err error) {
	u.log.Error("reminders cannot be saved", "path", u.opts.Path, "err", err)
	if u.saveWarned {
		return
	}
	u.saveWarned = true
	u.say(u.app.Lang().F(i18n.RemindCannotSave, filepath.Dir(u.opts.Path)), false)
}

func (u *UI) now() time.Time { return u.opts.Clock.Now() }

// Close stops polling (after the GTK main loop ended).
func (u *UI) Close() {
	u.cancel()
	if u.svc != nil {
		u.svc.Close()
	}
}

// Command runs "/remind ARGS" typed in the chat window: it adds a reminder
// ("/remind list" lists them) and returns the answer to show.
func (u *UI) Command(args string) string {
	l := u.app.Lang()
	if u.svc == nil {
		return l.F(i18n.RemindDlgError, "no reminders file")
	}
	if args == "list" || args == "列表" {
		var parts []string
		for _, r := range u.svc.Data().Reminders {
			parts = append(parts, fmt.Sprintf("#%d %s %s", r.ID, u.describe(r), shorten(r.Text, 20)))
		}
		if len(parts) == 0 {
			return l.T(i18n.RemindNone)
		}
		return strings.Join(parts, " · ")
	}
	r, err := u.svc.Add(args)
	if err != nil {
		return l.F(i18n.RemindDlgError, err)
	}
	u.refresh()
	return l.F(i18n.RemindAdded, u.describe(r), r.Text)
}

func (u *UI) onTick() {
	u.refresh()
	now := u.now()
	if tr, ok := u.focus.Poll(now); ok {
		u.onFocus(tr)
	}
	ph, ends := u.focus.Phase()
	if ph == remind.Work && now.Sub(u.lastSit) >= 5*time.Second {
		u.lastSit = now
		u.sitAll()
	}
	// The tray's "N min left" is built once; rebuild it as minutes pass.
	if left := int(ends.Sub(u.now()).Minutes()); ph != remind.Idle && left != u.shownLeft {
		u.shownLeft = left
		u.app.Menus().Invalidate()
	}
	if u.walkPet != 0 && now.Before(u.walkTill) && u.walkToMiddle(u.walkPet) {
		u.walkPet = 0
	}
}

// refresh takes the service's data for the menu when it changed (the
// command line or a poll edited the file).
func (u *UI) refresh() {
	d := u.svc.Data()
	if reflect.DeepEqual(d, u.data) {
		return
	}
	u.data = d
	if d.FocusOrDefault() != u.focus.Config() {
		u.focus.SetConfig(d.FocusOrDefault())
	}
	u.app.Menus().Invalidate()
}

// onDue says what came due.
func (u *UI) onDue(evs []remind.Event) {
	l := u.app.Lang()
	for _, ev := range evs {
		text := ev.Reminder.Text
		if ev.Missed {
			due := ev.Due.Local()
			if due.Format(time.DateOnly) == u.now().Format(time.DateOnly) {
				text = l.F(i18n.RemindMissed, due.Format("15:04"), text)
			} else {
				text = l.F(i18n.RemindMissedDay, due.Format("01-02 15:04"), text)
			}
		}
		u.log.Info("reminder due", "id", ev.Reminder.ID, "missed", ev.Missed)
		u.say(text, true)
		if !u.data.NoNotify {
			notify.Send(l.T(i18n.RemindFrom), text, u.log)
		}
	}
	// One sound for the batch: several missed at start-up must not overlap.
	if len(evs) > 0 && !u.data.Quiet {
		u.alarm()
	}
	// Only now may they leave the file: had the pet exited before this,
	// the next start would say them.
	if err := u.svc.Shown(evs); err != nil {
		u.cannotSave(err)
	}
	u.refresh()
}

// say makes a pet say text in a bubble that stays until clicked, first
// walking to the middle of its screen if walk; with no pet to show it (or
// no chat bubbles) a dialog says it.
func (u *UI) say(text string, walk bool) {
	id := u.pickPet()
	if id != 0 && u.opts.Speaker != nil && u.opts.Speaker.Pin(id, u.app.Lang().T(i18n.RemindFrom), text) {
		if walk && !u.walkToMiddle(id) {
			// Climbing or falling: try again for a while once it lands.
			u.walkPet, u.walkTill = id, u.now().Add(20*time.Second)
		}
		return
	}
	d := gtk.MessageDialogNew(nil, 0, gtk.MESSAGE_INFO, gtk.BUTTONS_OK, "%s", text)
	d.SetTitle(u.app.Lang().T(i18n.RemindFrom))
	d.SetKeepAbove(true)
	d.Connect("response", func() { d.Destroy() })
	d.ShowAll()
}

func (u *UI) pickPet() int {
	for _, p := range u.app.Pets() {
		if p.Visible {
			return p.ID
		}
	}
	return 0
}

func (u *UI) walkToMiddle(id int) bool {
	for _, p := range u.app.Pets() {
		if p.ID == id {
			wa := u.workArea(p)
			return u.app.WalkTo(id, float64(wa.Min.X+wa.Max.X)/2)
		}
	}
	return true // gone: nothing to retry
}

// --- focus timer ---

func (u *UI) startFocus() {
	u.onFocus(u.focus.Start(u.now()))
}

func (u *UI) stopFocus() {
	u.focus.Stop()
	u.app.Menus().Invalidate()
}

// onFocus makes the pets act out a phase change: sit and "work" while the
// user focuses, jump and walk about on a break.
func (u *UI) onFocus(tr remind.Transition) {
	l := u.app.Lang()
	cfg := u.focus.Config()
	switch tr.To {
	case remind.Work:
		u.sitAll()
		u.lastSit = u.now()
		if tr.From == remind.Idle {
			u.say(l.F(i18n.FocusStartedSay, cfg.Work), false)
		} else {
			u.say(l.F(i18n.FocusBack, cfg.Work), false)
		}
	case remind.ShortBreak, remind.LongBreak:
		if tr.Completed {
			go func() {
				if _, err := u.svc.Update(func(d *remind.Data) error { d.CountDone(u.now()); return nil }); err != nil {
					u.log.Warn("cannot count the focus session", "err", err)
				}
			}()
		}
		if tr.To == remind.LongBreak {
			u.say(l.F(i18n.FocusLongBreak, cfg.Long), false)
		} else {
			u.say(l.F(i18n.FocusBreak, cfg.Short), false)
		}
		u.stretchAll()
		if !u.data.Quiet {
			u.alarm()
		}
	}
	u.app.Menus().Invalidate()
}

func (u *UI) sitAll() {
	for _, p := range u.app.Pets() {
		if p.Visible && p.Anim != "sit" {
			u.app.PetDo(p.ID, desktop.ActionSit)
		}
	}
}

// stretchAll: a jump, then a walk about once it landed.
func (u *UI) stretchAll() {
	for _, p := range u.app.Pets() {
		id := p.ID
		u.app.PetDo(id, desktop.ActionJump)
		glib.TimeoutAdd(1500, func() bool {
			u.app.PetDo(id, desktop.ActionWalk)
			return false
		})
	}
}

// --- menu ---

func (u *UI) menuItems(ctx menu.Context) []menu.Item {
	l := ctx.Lang
	var list []menu.Item
	for _, r := range u.data.Reminders {
		id := r.ID
		list = append(list, menu.Item{
			ID:    fmt.Sprintf("remind.item.%d", id),
			Label: u.describeIn(l, r) + "  " + shorten(r.Text, 40),
			Children: []menu.Item{{ID: fmt.Sprintf("remind.del.%d", id), Label: l.T(i18n.RemindDelete),
				Activate: func() { u.delete(id) }}},
		})
	}
	if len(list) == 0 {
		list = append(list, menu.Item{ID: "remind.none", Label: l.T(i18n.RemindNone), Disabled: true})
	}
	list = append(list, menu.Item{Kind: menu.Separator},
		menu.Item{ID: "remind.sound", Label: l.T(i18n.RemindSound), Kind: menu.Check, Checked: !u.data.Quiet,
			Activate: func() { u.set(func(d *remind.Data) { d.Quiet = !d.Quiet }) }},
		menu.Item{ID: "remind.notify", Label: l.T(i18n.RemindNotify), Kind: menu.Check, Checked: !u.data.NoNotify,
			Activate: func() { u.set(func(d *remind.Data) { d.NoNotify = !d.NoNotify }) }})

	return []menu.Item{
		{ID: "remind.new", Label: l.T(i18n.RemindNew), Activate: u.showDialog},
		{ID: "remind.list", Label: l.T(i18n.RemindMenu), Children: list},
		{ID: "focus", Label: l.T(i18n.FocusMenu), Children: u.focusItems(l)},
	}
}

// rhythms offered in the menu; others come from `tachikoma remind focus`.
var rhythms = []remind.FocusConfig{
	remind.DefaultFocus(),
	{Work: 50, Short: 10, Long: 30, LongEvery: 3},
	{Work: 15, Short: 3, Long: 10, LongEvery: 4},
}

func (u *UI) focusItems(l i18n.Lang) []menu.Item {
	cfg := u.focus.Config()
	ph, ends := u.focus.Phase()
	left := ends.Sub(u.now()).Round(time.Minute)
	var items []menu.Item
	switch ph {
	case remind.Idle:
		items = append(items, menu.Item{ID: "focus.start", Label: l.F(i18n.FocusStart, cfg.Work), Activate: u.startFocus})
	case remind.Work:
		items = append(items, menu.Item{ID: "focus.stop", Label: l.F(i18n.FocusStop, minutes(left)), Activate: u.stopFocus})
	default:
		items = append(items,
			menu.Item{ID: "focus.break", Label: l.F(i18n.FocusOnBreak, minutes(left)), Disabled: true},
			menu.Item{ID: "focus.stop", Label: l.F(i18n.FocusStop, minutes(left)), Activate: u.stopFocus})
	}
	items = append(items, menu.Item{ID: "focus.today", Label: l.F(i18n.FocusToday, u.data.DoneToday(u.now())), Disabled: true})
	var rs []menu.Item
	for _, r := range rhythms {
		r := r
		rs = append(rs, menu.Item{ID: "focus.rhythm." + r.String(), Label: l.F(i18n.FocusRhythmLabel, r.Work, r.Short),
			Kind: menu.Radio, Checked: r == cfg, Activate: func() { u.set(func(d *remind.Data) { d.Focus = r }) }})
	}
	return append(items, menu.Item{ID: "focus.rhythm", Label: l.T(i18n.FocusRhythm), Children: rs})
}

func minutes(d time.Duration) string {
	if d < time.Minute {
		return "<1 min"
	}
	return fmt.Sprintf("%d min", int(d.Minutes()))
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func (u *UI) set(change func(*remind.Data)) {
	if _, err := u.svc.Update(func(d *remind.Data) error { change(d); return nil }); err != nil {
		u.log.Error("cannot save reminders", "err", err)
	}
	u.refresh()
}

func (u *UI) delete(id int) {
	if err := u.svc.Delete(id); err != nil {
		u.log.Warn("cannot delete reminder", "id", id, "err", err)
	}
	u.refresh()
}

func (u *UI) describe(r remind.Reminder) string { return u.describeIn(u.app.Lang(), r) }

// describeIn words when r is due: "every day 09:00", "today 18:30".
func (u *UI) describeIn(l i18n.Lang, r remind.Reminder) string {
	if r.Daily {
		return l.F(i18n.RemindEveryDay, fmt.Sprintf("%02d:%02d", r.Hour, r.Min))
	}
	at, now := r.Next.Local(), u.now()
	var s string
	switch at.Format(time.DateOnly) {
	case now.Format(time.DateOnly):
		s = l.F(i18n.RemindToday, at.Format("15:04"))
	case now.AddDate(0, 0, 1).Format(time.DateOnly):
		s = l.F(i18n.RemindTomorrow, at.Format("15:04"))
	default:
		return at.Format("2006-01-02 15:04")
	}
	if remind.SmallHours(now) { // which "today" is meant is unclear after midnight
		zhDay := []string{"日", "一", "二", "三", "四", "五", "六"}[at.Weekday()]
		s = l.F(i18n.RemindDated, s, l.F(i18n.RemindDate, int(at.Month()), at.Day(), at.Format("Mon"), zhDay))
	}
	return s
}
