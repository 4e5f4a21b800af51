package desktop

import (
	"image"

	"github.com/gotk3/gotk3/gdk"
)

// Commands for tools (reminders, the focus timer) that move the pets.
// GTK thread only.

// PetDo performs a menu action (ActionSit, ActionJump, ...) on pet id, as
// the pet menu would; it reports whether the pet could.
func (a *App) PetDo(id int, action string) bool {
	p := a.petByID(id)
	if p == nil || !p.model.Do(action) {
		return false
	}
	a.noteInput()
	p.sync(false)
	return true
}

// WalkTo makes pet id walk along its floor to x (logical desktop pixels);
// false when it is not on a floor now (climbing, falling, dragged).
func (a *App) WalkTo(id int, x float64) bool {
	p := a.petByID(id)
	if p == nil || !p.model.WalkTo(x) {
		return false
	}
	a.noteInput()
	p.sync(false)
	return true
}

// WorkArea is the work area of the monitor showing pet info (the whole
// screen's bounds if GDK cannot tell).
func WorkArea(info PetInfo) image.Rectangle {
	d, err := gdk.DisplayGetDefault()
	if err == nil {
		c := info.Rect.Min.Add(info.Rect.Size().Div(2))
		if m, err := d.GetMonitorAtPoint(c.X, c.Y); err == nil && m != nil {
			wa := m.GetWorkarea()
			return image.Rect(wa.GetX(), wa.GetY(), wa.GetX()+wa.GetWidth(), wa.GetY()+wa.GetHeight())
		}
	}
	return image.Rect(-1<<20, -1<<20, 1<<20, 1<<20)
}

// HideForCapture hides every pet for a screenshot, without touching the
// tray's Show/Hide choice; the returned function shows them as they were
// once every overlapping screenshot has ended.
func (a *App) HideForCapture() (restore func()) {
	return a.captures.Begin(func() { a.showPets(false) }, func() { a.showPets(true) })
}

// showPets hides every pet, or shows them as the tray's choice says.
func (a *App) showPets(show bool) {
	for _, p := range a.pets {
		p.model.SetHidden(!show || a.userHidden)
		p.sync(false)
	}
}

// Present answers a second launch of the pet: the pets come back if the
// tray hid them, and add more join, up to the maximum. It returns how many
// pets there are.
func (a *App) Present(add int) int {
	if a.userHidden {
		a.setHidden(false)
	}
	for range add {
		if a.summon(nil) == nil {
			break
		}
	}
	return len(a.pets)
}
