package desktop

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/capture"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
)

// World is the desktop the pets live on: engine.World plus what only the
// display layer acts on.
type World interface {
	engine.World
	// ActiveFullscreen returns the focused window's area when it is
	// fullscreen (the pets on that monitor hide then, if the setting asks).
	ActiveFullscreen() (engine.Rect, bool)
}

// Options configures Run. Settings are already merged with the
// command-line flags; ConfigPath is where the dialog saves them.
type Options struct {
	Settings settings.Settings
	// FileSettings are the settings as loaded from ConfigPath, before the
	// flags; menu changes are saved on top of these so a one-off flag is
	// not persisted. Zero value: same as Settings.
	FileSettings settings.Settings
	ConfigPath   string
	StateFile    string // test hook: JSON snapshot path ("" = off)
	Seed         uint64 // non-zero: reproducible pet behaviour (tests, benchmarks)
	Version      string
	Logger       *slog.Logger
	// NewWorld builds the X11 world for GDK's device scale factor. nil or
	// an error falls back to GDK's work areas. If the world has
	// SetExclude(ids ...uint32) the pets' own window ids are passed to it;
	// if it has Refresh() error, it is refreshed off the GTK thread.
	NewWorld func(scale float64) (World, error)
	// Sections are added to the menu registry before the first menu is
	// built (chat, tools, ...). More can be added later via App.Menus.
	Sections []NamedSection
	// OnStart is called on the GTK thread once the pets are shown (the
	// chat layer attaches here).
	OnStart func(*App)
}

// NamedSection is a menu section with its registry name, order and places.
type NamedSection struct {
	Name    string
	Order   int
	Places  menu.Place
	Section menu.Section
}

// PetInfo is a pet's geometry on screen, for speech bubbles and other
// windows that follow a pet. Coordinates are logical desktop pixels.
type PetInfo struct {
	ID      int
	Rect    image.Rectangle // the pet window
	Anchor  image.Point     // where the robot touches the floor/wall/pointer
	XID     uint32
	Visible bool
	Anim    string
}

// Tick intervals: fast while anything moves, slower while only the
// animation plays, slowest when nothing has changed for a while, so idle
// pets cost almost nothing.
const (
	tickFast   = 40 * time.Millisecond
	tickAnim   = 100 * time.Millisecond
	tickIdle   = 250 * time.Millisecond
	fastLinger = 500 * time.Millisecond // keep fast this long after the last move
	idleAfter  = 3 * time.Second
	maxStep    = 250 * time.Millisecond // cap dt after a stall or suspend
	// frame cache budget, shared by all pets (pixels mostly live in the X
	// server, but they are memory all the same)
	frameCacheBytes = 12 << 20
	fullscreenPoll  = time.Second
)

// App is the running pet client. All fields are used on the GTK main thread.
type App struct {
	opts  Options
	log   *slog.Logger
	set   settings.Settings
	lang  i18n.Lang
	menus *menu.Registry

	src   FrameSource
	cache *frameCache
	world World

	screen     *gdk.Screen
	composited bool

	pets   []*petWindow
	nextID int

	tick       tickSource
	tickEvery  time.Duration
	lastStep   time.Time
	lastMove   time.Time
	lastChange time.Time
	lastFSPoll time.Time

	userHidden bool            // hidden from the tray
	captures   capture.Counter // screenshots the pets are hidden for
	fullArea   engine.Rect     // the active window's area while it is fullscreen
	full       bool

	openMenu *gtk.Menu
	// menuGlyphs: what the last menu's labels showed (test hook only).
	menuGlyphs *statefile.Glyphs
	menuPetID  int
	menuMapped bool // X has mapped openMenu
	tray       tray
	// trayRetrying: a timer looks for a tray host that was missing at start
	trayRetrying bool
	dialog       *gtk.Dialog

	state     *statefile.Writer
	events    int
	listeners []func([]PetInfo)
	onDrop    []func(uriList string)
	lastInfo  []PetInfo

	dragThreshold int
	reportedBad   map[frameKey]bool
	stopWorld     chan struct{}

	stateDirty bool // the test hook has changes to write
	chatState  *statefile.Chat
	// translateState: the translation bubble (test hook only).
	translateState *statefile.Translate
}

// Run starts GTK (gtk.Init must not have been called), shows the pets and
// blocks in the GTK main loop until Quit. Call it from the main goroutine
// with the OS thread locked.
func Run(opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	mallocSetup() // before GTK starts its threads
	glib.SetPrgname("tachikoma")
	glib.SetApplicationName("Tachikoma")
	useLanguageBeforeInit(opts.Settings.Language)
	if err := gtk.InitCheck(nil); err != nil {
		return fmt.Errorf("cannot open a display (DISPLAY=%q): %w", os.Getenv("DISPLAY"), err)
	}
	// gotk3 unrefs objects from Go finalizers; GTK objects may only be
	// touched on the main thread, so hand those unrefs to the main loop.
	glib.FinalizerStrategy = func(f glib.Finalizer) { glib.IdleAdd(func() { f() }) }

	a, err := newApp(opts)
	if err != nil {
		return err
	}
	a.start()
	// SIGINT/SIGTERM end the main loop cleanly (tray unregistered,
	// profiles flushed) instead of killing the process mid-frame.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			glib.IdleAdd(a.Quit)
		}
	}()
	gtk.Main()
	signal.Stop(sigs)
	close(sigs)
	a.shutdown()
	return nil
}

func newApp(opts Options) (*App, error) {
	a := &App{
		opts:          opts,
		log:           opts.Logger,
		set:           opts.Settings,
		menus:         &menu.Registry{},
		state:         statefile.New(opts.StateFile),
		dragThreshold: 8,
		reportedBad:   map[frameKey]bool{},
	}
	a.lang = i18n.Resolve(a.set.Language, os.Getenv)
	screen, err := gdk.ScreenGetDefault()
	if err != nil {
		return nil, fmt.Errorf("no default screen: %w", err)
	}
	a.screen = screen
	a.composited = screen.IsComposited()
	screen.Connect("composited-changed", a.onCompositedChanged)
	if s, err := gtk.SettingsGetDefault(); err == nil {
		if v, err := s.GetProperty("gtk-dnd-drag-threshold"); err == nil {
			if n, ok := v.(int); ok && n > 0 {
				a.dragThreshold = n
			}
		}
	}

	a.src = loadSource(a.set.Pack, a.log)
	a.cache = newFrameCache(a.src, frameCacheBytes)
	if pb, err := pixbufFromImage(trayIcon(a.src, 64)); err == nil {
		gtk.WindowSetDefaultIcon(pb) // dialogs and task switchers show the robot
	}

	if opts.NewWorld != nil {
		w, err := opts.NewWorld(float64(screenScale(screen)))
		if err != nil {
			a.log.Warn("X11 world unavailable; pets only see the monitors' work areas", "err", err)
		} else {
			a.world = w
		}
	}
	if a.world == nil {
		d, err := gdk.DisplayGetDefault()
		if err != nil {
			return nil, err
		}
		a.world = newGdkWorld(d)
	}

	a.registerCoreSections()
	for _, s := range opts.Sections {
		a.menus.Add(s.Name, s.Order, s.Places, s.Section)
	}
	a.menus.OnInvalidate(func() { glib.IdleAdd(a.rebuildTray) })
	a.log.Info("pet client starting", "version", opts.Version, "composited", a.composited,
		"scale", a.set.Scale, "pack", a.src.Name(), "lang", a.lang, "pets", a.set.Pets)
	return a, nil
}

func (a *App) start() {
	for i := 0; i < a.set.Pets; i++ {
		a.summon(nil)
	}
	a.tray = newTray(a)
	a.startWorldRefresh()
	a.lastStep = time.Now()
	a.lastMove = a.lastStep
	a.lastChange = a.lastStep
	a.schedule(tickFast)
	a.writeState()
	a.trimMemorySoon()
	if a.opts.OnStart != nil {
		a.opts.OnStart(a)
	}
}

// trimMemorySoon hands the start-up garbage (decoded PNGs, the pack's
// temporary buffers) back to the OS once the first frames are cached, so
// an idle pet's resident size reflects what it really keeps.
func (a *App) trimMemorySoon() {
	glib.TimeoutAdd(2000, func() bool {
		debug.FreeOSMemory()
		mallocTrim()
		return false
	})
}

func (a *App) shutdown() {
	if a.tray != nil {
		a.tray.close()
	}
	if a.stopWorld != nil {
		close(a.stopWorld)
	}
	switch c := a.world.(type) {
	case interface{ Close() error }:
		_ = c.Close()
	case interface{ Close() }:
		c.Close()
	}
}

// worldRefreshEvery paces the X11 world's re-reads (windows moving, panels):
// often enough for the pet to notice a window within half a second.
const worldRefreshEvery = 500 * time.Millisecond

// startWorldRefresh re-reads the world in the background: its X round
// trips must never stall the GTK thread. The world's getters are
// goroutine-safe and return the last values.
func (a *App) startWorldRefresh() {
	r, ok := a.world.(interface{ Refresh() error })
	if !ok {
		return
	}
	a.stopWorld = make(chan struct{})
	stop := a.stopWorld
	go func() {
		t := time.NewTicker(worldRefreshEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := r.Refresh(); err != nil {
					a.log.Error("X11 world lost; pets keep the last known desktop", "err", err)
					return
				}
			}
		}
	}()
}

// updateExclude tells the world which windows are the pets themselves, so
// a pet never stands on another pet's window.
func (a *App) updateExclude() {
	if e, ok := a.world.(interface{ SetExclude(ids ...uint32) }); ok {
		e.SetExclude(a.petXIDs()...)
	}
}

func screenScale(s *gdk.Screen) int {
	d, err := s.GetDisplay()
	if err != nil {
		return 1
	}
	if m, err := d.GetPrimaryMonitor(); err == nil && m != nil {
		return max(1, m.GetScaleFactor())
	}
	if m, err := d.GetMonitor(0); err == nil && m != nil {
		return max(1, m.GetScaleFactor())
	}
	return 1
}

// Quit leaves the main loop.
func (a *App) Quit() {
	a.log.Info("quitting")
	gtk.MainQuit()
}

// Menus is the section registry: the chat and tools features add their
// sections here (menu.Registry.Add) and call Invalidate when they change.
func (a *App) Menus() *menu.Registry { return a.menus }

// Lang is the current UI language.
func (a *App) Lang() i18n.Lang { return a.lang }

// Pets returns every pet's geometry.
func (a *App) Pets() []PetInfo {
	out := make([]PetInfo, 0, len(a.pets))
	for _, p := range a.pets {
		out = append(out, p.info())
	}
	return out
}

// OnPetsChanged calls f (on the GTK thread) whenever a pet moved, changed
// frame size, appeared or disappeared, so a speech bubble can follow.
func (a *App) OnPetsChanged(f func([]PetInfo)) { a.listeners = append(a.listeners, f) }

// OnDrop calls f (on the GTK thread) with the text/uri-list of files
// dragged onto a pet.
func (a *App) OnDrop(f func(uriList string)) { a.onDrop = append(a.onDrop, f) }

func (p *petWindow) info() PetInfo {
	pi := PetInfo{ID: p.id, XID: p.xid, Visible: p.visible, Anim: p.pose.Anim}
	if p.cur != nil {
		pi.Rect = image.Rect(p.winX, p.winY, p.winX+p.cur.w, p.winY+p.cur.h)
		pi.Anchor = image.Pt(int(p.pose.X), int(p.pose.Y))
	}
	return pi
}

func (a *App) petXIDs() []uint32 {
	ids := make([]uint32, 0, len(a.pets))
	for _, p := range a.pets {
		if p.xid != 0 {
			ids = append(ids, p.xid)
		}
	}
	return ids
}

func (a *App) scaleKey() int { return int(a.set.Scale*1000 + 0.5) }

func (a *App) frameError(k frameKey, err error) {
	if !a.reportedBad[k] {
		a.reportedBad[k] = true
		a.log.Error("cannot draw frame", "anim", k.anim, "frame", k.idx, "err", err)
	}
}

// --- pets ---

// summon adds a pet near `near` (nil: somewhere on the primary work area).
func (a *App) summon(near *petWindow) *petWindow {
	if len(a.pets) >= a.set.MaxPets {
		return nil
	}
	a.nextID++
	x, y := a.spawnPoint(near)
	m := a.newModel(x, y)
	m.SetHidden(a.userHidden || a.captures.Active())
	m.SetFullscreen(a.underFullscreen(x, y) && !a.fadeForFullscreen())
	p := newPetWindow(a, a.nextID, m)
	a.pets = append(a.pets, p)
	a.updateExclude()
	p.sync(true)
	a.log.Info("pet summoned", "pet", p.id, "x", x, "y", y)
	a.noteInput()
	return p
}

func (a *App) spawnPoint(near *petWindow) (float64, float64) {
	areas := a.world.WorkAreas()
	area := engine.Rect{W: 1280, H: 800}
	if len(areas) > 0 {
		area = areas[0]
	}
	if near != nil {
		// Drop in beside the summoner, from a little above, facing away.
		x := near.pose.X + 100*a.set.Scale*(a.rand()*2-1)
		return clampF(x, area.X+60, area.X+area.W-60), near.pose.Y - 40
	}
	margin := 80 * a.set.Scale
	x := area.X + margin + a.rand()*max(area.W-2*margin, 1)
	return x, area.Y + area.H
}

// rand is the spawn randomness; seeded runs place pets reproducibly.
func (a *App) rand() float64 {
	if a.opts.Seed != 0 {
		return rand.New(rand.NewPCG(a.opts.Seed, uint64(a.nextID)+1000)).Float64()
	}
	return rand.Float64()
}

func clampF(v, lo, hi float64) float64 {
	if hi < lo {
		return (lo + hi) / 2
	}
	return min(max(v, lo), hi)
}

func (a *App) dismiss(p *petWindow) {
	for i, q := range a.pets {
		if q == p {
			a.pets = append(a.pets[:i], a.pets[i+1:]...)
			break
		}
	}
	p.destroy()
	a.updateExclude()
	a.log.Info("pet dismissed", "pet", p.id, "left", len(a.pets))
	if len(a.pets) == 0 {
		// The last pet leaving means the user is done with us.
		a.Quit()
	}
	a.noteInput()
	a.writeState()
}

func (a *App) dismissOthers(keep *petWindow) {
	for _, p := range append([]*petWindow(nil), a.pets...) {
		if p != keep {
			a.dismiss(p)
		}
	}
}

func (a *App) petByID(id int) *petWindow {
	for _, p := range a.pets {
		if p.id == id {
			return p
		}
	}
	return nil
}

// setHidden hides or shows every pet (tray Show/Hide). Hidden pets are
// frozen by the engine, so they cost nothing.
func (a *App) setHidden(h bool) {
	a.userHidden = h
	for _, p := range a.pets {
		p.model.SetHidden(h || a.captures.Active())
		p.sync(false)
	}
	a.rebuildTray()
	a.writeState()
}

// --- tick ---

// noteInput switches to the fast tick right away: the user is interacting.
func (a *App) noteInput() {
	a.events++
	a.lastMove = time.Now()
	a.lastChange = a.lastMove
	if a.tickEvery != tickFast {
		a.schedule(tickFast)
	}
}

func (a *App) schedule(every time.Duration) {
	if a.tick != 0 {
		a.tick.stop()
	}
	a.tickEvery = every
	a.tick = startTick(a, every)
}

func (a *App) onTick() bool {
	now := time.Now()
	dt := min(now.Sub(a.lastStep), maxStep)
	a.lastStep = now
	anyMoved, anyChanged := false, false
	for _, p := range a.pets {
		if !p.model.Step(dt) {
			continue // the engine says nothing visible changed
		}
		moved, redrawn := p.sync(false)
		anyMoved = anyMoved || moved
		anyChanged = anyChanged || moved || redrawn
	}
	if now.Sub(a.lastFSPoll) >= fullscreenPoll {
		a.lastFSPoll = now
		a.checkFullscreen()
	}
	if anyMoved {
		a.lastMove = now
	}
	if anyChanged {
		a.lastChange = now
		a.notifyListeners()
		a.stateDirty = true
	}
	if a.stateDirty {
		a.writeState()
	}

	if next := nextTick(now, a.lastMove, a.lastChange); next != a.tickEvery {
		a.tickEvery = next
		a.tick = startTick(a, next) // returning false removes this source
		return false
	}
	return true
}

// nextTick picks the tick interval: fast while anything moved recently,
// slower while only the animation changes, slowest when all is still.
func nextTick(now, lastMove, lastChange time.Time) time.Duration {
	switch {
	case now.Sub(lastMove) < fastLinger:
		return tickFast
	case now.Sub(lastChange) < idleAfter:
		return tickAnim
	default:
		return tickIdle
	}
}

// checkFullscreen tells each pet whether a fullscreen window covers its
// monitor; pets on other monitors carry on.
func (a *App) checkFullscreen() {
	area, full := a.world.ActiveFullscreen()
	if full != a.full || area != a.fullArea {
		a.log.Info("fullscreen window", "active", full, "area", area)
	}
	a.full, a.fullArea = full, area
	fade := a.fadeForFullscreen()
	for _, p := range a.pets {
		under := a.underFullscreen(p.pose.X, p.pose.Y)
		if hide := under && !fade; hide != p.fullscreen {
			p.fullscreen = hide
			p.model.SetFullscreen(hide)
			p.sync(false)
		}
		if faded := under && fade; faded != p.faded {
			p.faded = faded
			p.applyFade()
		}
	}
}

// fadeForFullscreen: pets under a fullscreen window go translucent and
// click-through instead of hiding (that needs a compositor).
func (a *App) fadeForFullscreen() bool {
	return a.set.AvoidFullscreen && a.set.FullscreenStyle == settings.FullscreenFade && a.composited
}

// underFullscreen reports whether a pet at x, y (its anchor) is on the
// monitor a fullscreen window covers.
func (a *App) underFullscreen(x, y float64) bool {
	r := a.fullArea
	return a.full && x >= r.X && x <= r.X+r.W && y >= r.Y && y <= r.Y+r.H
}

func (a *App) notifyListeners() {
	if len(a.listeners) == 0 {
		return
	}
	info := a.Pets()
	if slices.Equal(info, a.lastInfo) {
		return
	}
	a.lastInfo = info
	for _, f := range a.listeners {
		f(info)
	}
}

func (a *App) onCompositedChanged() {
	c := a.screen.IsComposited()
	if c == a.composited {
		return
	}
	a.composited = c
	a.log.Info("compositor changed; recreating pet windows", "composited", c)
	for _, p := range a.pets {
		p.rebuild()
	}
	a.writeState()
}

// --- hooks for the chat layer ---

// SetChatState records the chat's part of the test-hook snapshot and
// writes it. GTK thread only.
func (a *App) SetChatState(c *statefile.Chat) {
	a.chatState = c
	a.writeState()
}

// SetTranslateState records the translation bubble's part of the test-hook
// snapshot and writes it. GTK thread only.
func (a *App) SetTranslateState(t *statefile.Translate) {
	a.translateState = t
	a.writeState()
}

// StateEnabled reports whether the test-hook state file is on.
func (a *App) StateEnabled() bool { return a.state != nil }

// Settings returns the running settings. GTK thread only.
func (a *App) Settings() settings.Settings { return a.set }

// UpdateSettings changes, applies and saves settings like the menu does,
// so the chat's settings and the pet's never overwrite each other.
func (a *App) UpdateSettings(change func(*settings.Settings)) { a.update(change) }

// Composited reports whether windows can be translucent (RGBA visual).
func (a *App) Composited() bool { return a.composited }

// --- test hook ---

func (a *App) writeState() {
	if a.state == nil {
		return
	}
	a.stateDirty = false
	s := statefile.State{
		PID: os.Getpid(), MenuOpen: a.openMenu != nil && a.menuMapped, MenuPetID: a.menuPetID,
		Scale: a.set.Scale, Pack: a.src.Name(), Lang: string(a.lang), Composited: a.composited,
		TickMS: int(a.tickEvery / time.Millisecond), Hidden: a.userHidden, Events: a.events,
		Tray: trayKind(a.tray), Chat: a.chatState, Menu: a.menuGlyphs, Translate: a.translateState,
		GtkCancel: gtkText("_Cancel"),
	}
	for _, p := range a.pets {
		ps := statefile.Pet{ID: p.id, X: p.pose.X, Y: p.pose.Y, WinX: p.winX, WinY: p.winY,
			Anim: p.pose.Anim, Frame: p.pose.Frame, Flip: p.pose.Flip, XID: p.xid, Visible: p.visible, Faded: p.faded,
			OpaqueX: -1, OpaqueY: -1, ClearX: -1, ClearY: -1}
		if p.cur != nil {
			ps.W, ps.H = p.cur.w, p.cur.h
			ps.OpaqueX, ps.OpaqueY = p.cur.opaque.X, p.cur.opaque.Y
			ps.ClearX, ps.ClearY = p.cur.clear.X, p.cur.clear.Y
		}
		s.Pets = append(s.Pets, ps)
	}
	if _, err := a.state.Write(s); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Warn("cannot write state file", "err", err)
	}
}
