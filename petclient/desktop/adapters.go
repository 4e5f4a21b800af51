package desktop

import (
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
)

// --- sprite packs ---

// PackInfo is one entry of the pack chooser.
type PackInfo struct {
	ID    string // "" = the built-in pack
	Title string
	Err   error // non-nil: shown disabled with the reason
}

// packSource adapts a *pack.Pack to FrameSource.
type packSource struct {
	id string
	p  *pack.Pack
}

func (s packSource) Name() string                  { return s.id }
func (s packSource) Animations() engine.Animations { return s.p.EngineAnimations() }
func (s packSource) Weights() map[string]float64   { return s.p.Weights() }

// Size is the 1x sprite box every frame fits in.
func (s packSource) Size() image.Point { return s.p.FrameSize() }

func (s packSource) Frame(anim string, i int, scale float64) (image.Image, error) {
	frames, err := s.p.Frames(anim, scale)
	if err != nil {
		return nil, err
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("animation %q has no frames", anim)
	}
	return frames[i%len(frames)].Image, nil
}

// loadSource loads the named sprite pack; a missing or broken one is logged
// and replaced by the built-in pack, so the pet always shows.
func loadSource(id string, log *slog.Logger) FrameSource {
	p, err := pack.LoadOrDefault(id)
	if err != nil {
		log.Warn("sprite pack problem", "pack", id, "err", err)
	}
	if p == nil {
		// Only a broken build gets here; keep running with a placeholder.
		return placeholderSource{}
	}
	if err != nil {
		id = ""
	}
	if id == pack.DefaultID {
		id = ""
	}
	return packSource{id: id, p: p}
}

// discoverPacks lists the packs for the chooser.
func discoverPacks() []PackInfo {
	var out []PackInfo
	for _, in := range pack.Discover() {
		pi := PackInfo{ID: in.ID, Title: in.Meta.Name, Err: in.Err}
		if in.Builtin {
			pi.ID = ""
		}
		out = append(out, pi)
	}
	return out
}

// placeholderSource draws a plain blue disc; used only if the embedded pack
// cannot be loaded, which a build test prevents.
type placeholderSource struct{}

func (placeholderSource) Name() string                  { return "" }
func (placeholderSource) Size() image.Point             { return image.Pt(64, 64) }
func (placeholderSource) Weights() map[string]float64   { return nil }
func (placeholderSource) Animations() engine.Animations { return engine.Animations{} }
func (placeholderSource) Frame(string, int, float64) (image.Image, error) {
	return nil, fmt.Errorf("no sprite pack")
}

// --- engine ---

// enginePet adapts *engine.Pet to Model.
type enginePet struct{ p *engine.Pet }

func (e enginePet) Step(dt time.Duration) bool { return e.p.Step(dt) }
func (e enginePet) Poke()                      { e.p.Poke() }
func (e enginePet) Joy()                       { e.p.Joy() }
func (e enginePet) Surprise()                  { e.p.Surprise() }
func (e enginePet) Attention()                 { e.p.Attention() }
func (e enginePet) SetHidden(h bool)           { e.p.SetHidden(h) }
func (e enginePet) SetFullscreen(f bool)       { e.p.SetFullscreen(f) }
func (e enginePet) Place(x, y float64)         { e.p.Place(x, y) }
func (e enginePet) WalkTo(x float64) bool      { return e.p.WalkTo(x) }
func (e enginePet) DragStart(x, y float64, t time.Duration) {
	e.p.DragStart(x, y, t)
}
func (e enginePet) DragMove(x, y float64, t time.Duration) { e.p.DragMove(x, y, t) }
func (e enginePet) DragEnd(x, y float64, t time.Duration)  { e.p.DragEnd(x, y, t) }

func (e enginePet) Pose() Pose {
	ps := e.p.Pose()
	return Pose{X: ps.X, Y: ps.Y, Box: ps.Box, Anim: ps.Anim, Frame: ps.Frame,
		Flip: ps.FacingRight, Zzz: ps.Zzz, Hidden: ps.Hidden}
}

// commander is what the menu's actions need from the engine. It is checked
// at run time so the menu lights up as soon as the engine offers it.
type commander interface{ Do(action string) bool }

func (e enginePet) CanDo(action string) bool {
	if _, ok := any(e.p).(commander); ok {
		return true
	}
	return action == ActionJump // Joy is a jump on the spot
}

func (e enginePet) Do(action string) bool {
	if c, ok := any(e.p).(commander); ok {
		return c.Do(action)
	}
	if action == ActionJump {
		e.p.Joy()
		return true
	}
	return false
}

// engineConfig builds the engine's configuration from the pack and settings.
func (a *App) engineConfig() engine.Config {
	cfg := engine.DefaultConfig()
	sz := a.src.Size()
	cfg.Size = engine.Size{W: float64(sz.X) * a.set.Scale, H: float64(sz.Y) * a.set.Scale}
	cfg.Animations = a.src.Animations()
	if w := a.src.Weights(); w != nil {
		cfg.Weights = w
	}
	// Speeds and jumps are tuned for 1x; a bigger robot moves proportionally.
	cfg.WalkSpeed *= a.set.Scale
	cfg.RunSpeed *= a.set.Scale
	cfg.ClimbSpeed *= a.set.Scale
	cfg.CeilingSpeed *= a.set.Scale
	cfg.JumpHeight *= a.set.Scale
	cfg.SleepAfter = a.set.SleepAfter
	if a.set.SleepAfter == 0 {
		cfg.SleepAfter = 0
	}
	cfg.AvoidFullscreen = a.set.AvoidFullscreen
	return cfg
}

// newModel creates a pet's behaviour with its anchor at (x, y).
func (a *App) newModel(x, y float64) Model {
	seed1, seed2 := rand.Uint64(), rand.Uint64()
	if a.opts.Seed != 0 {
		// Reproducible behaviour for benchmarks and tests: same seed, same
		// pets, one stream per pet.
		seed1, seed2 = a.opts.Seed, uint64(a.nextID)
	}
	p := engine.New(a.engineConfig(), rand.New(rand.NewPCG(seed1, seed2)), a.world)
	p.Place(x, y)
	return enginePet{p}
}

// applyModelSettings rebuilds the models after a change the engine only
// takes at creation (size, speeds, sleep-after), keeping each pet where it
// is and its hidden/fullscreen state.
func (a *App) applyModelSettings() {
	for _, p := range a.pets {
		old := p.model.Pose()
		m := a.newModel(old.X, old.Y)
		m.SetHidden(a.userHidden)
		m.SetFullscreen(p.fullscreen)
		p.model = m
	}
}
