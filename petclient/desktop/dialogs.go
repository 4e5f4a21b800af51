package desktop

import (
	"math"
	"os"
	"time"

	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
)

// Licence shown in the About dialog. The project's licence decision lives
// with the repository's LICENSE file; keep the two in step.
var (
	LicenceType = gtk.LICENSE_MIT_X11
	Website     = ""
)

var osGetenv = os.Getenv

// showSettings opens the settings dialog (one at a time). Nothing is
// applied until Save; invalid input keeps the dialog open with the reason.
func (a *App) showSettings() {
	if a.dialog != nil {
		a.dialog.Present()
		return
	}
	l := a.lang
	d, err := gtk.DialogNew()
	if err != nil {
		a.log.Error("cannot open settings", "err", err)
		return
	}
	a.dialog = d
	d.SetTitle(l.T(i18n.SetTitle))
	d.SetName("tachikoma-settings")
	d.SetResizable(false)
	d.SetKeepAbove(true)
	d.SetPosition(gtk.WIN_POS_CENTER)
	_, _ = d.AddButton(l.T(i18n.SetCancel), gtk.RESPONSE_CANCEL)
	_, _ = d.AddButton(l.T(i18n.SetSave), gtk.RESPONSE_OK)
	d.SetDefaultResponse(gtk.RESPONSE_OK)

	grid, _ := gtk.GridNew()
	grid.SetRowSpacing(8)
	grid.SetColumnSpacing(12)
	grid.SetBorderWidth(12)
	row := 0
	add := func(key i18n.Key, w gtk.IWidget) {
		lbl, _ := gtk.LabelNew(l.T(key))
		lbl.SetHAlign(gtk.ALIGN_START)
		grid.Attach(lbl, 0, row, 1, 1)
		grid.Attach(w, 1, row, 1, 1)
		row++
	}

	s := a.set
	scale, _ := gtk.ComboBoxTextNew()
	for i, v := range settings.Scales {
		scale.Append(scaleLabel(v), scaleLabel(v))
		if v == s.Scale {
			scale.SetActive(i)
		}
	}
	add(i18n.SetScale, scale)

	packs, _ := gtk.ComboBoxTextNew()
	for _, pk := range discoverPacks() {
		if pk.Err != nil {
			continue // broken packs are listed, with the reason, in the menu
		}
		label := pk.Title
		if pk.ID == "" {
			label = l.T(i18n.MenuPackDefault)
		}
		packs.Append(pk.ID, label)
	}
	if !packs.SetActiveID(s.Pack) {
		packs.SetActiveID("")
	}
	add(i18n.SetPack, packs)

	lang, _ := gtk.ComboBoxTextNew()
	lang.Append(settings.LangAuto, l.T(i18n.SetLangAuto))
	lang.Append(settings.LangEnglish, "English")
	lang.Append(settings.LangChinese, "中文")
	lang.SetActiveID(s.Language)
	add(i18n.SetLanguage, lang)

	maxPets, _ := gtk.SpinButtonNewWithRange(settings.MinPets, settings.MaxPetsCap, 1)
	maxPets.SetValue(float64(s.MaxPets))
	add(i18n.SetMaxPets, maxPets)

	sleep, _ := gtk.SpinButtonNewWithRange(0, 24*60, 1)
	sleep.SetDigits(1)
	sleep.SetValue(s.SleepAfter.Minutes())
	sleep.SetTooltipText(l.T(i18n.SetSleepAfterHint))
	add(i18n.SetSleepAfter, sleep)

	full, _ := gtk.ComboBoxTextNew()
	full.Append(settings.FullscreenHide, l.T(i18n.SetFullscreenHide))
	full.Append(settings.FullscreenFade, l.T(i18n.SetFullscreenFade))
	full.Append(fullscreenStay, l.T(i18n.SetFullscreenStay))
	switch {
	case !s.AvoidFullscreen:
		full.SetActiveID(fullscreenStay)
	case s.FullscreenStyle == settings.FullscreenFade:
		full.SetActiveID(settings.FullscreenFade)
	default:
		full.SetActiveID(settings.FullscreenHide)
	}
	add(i18n.SetFullscreen, full)
	login, _ := gtk.CheckButtonNewWithLabel(l.T(i18n.SetStartOnLogin))
	autostart, err := settings.AutostartPath()
	login.SetActive(s.StartOnLogin || err == nil && settings.AutostartEnabled(autostart))
	grid.Attach(login, 0, row, 2, 1)
	row++
	problem, _ := gtk.LabelNew("")
	problem.SetLineWrap(true)
	problem.SetMaxWidthChars(48)
	grid.Attach(problem, 0, row, 2, 1)

	area, _ := d.GetContentArea()
	area.Add(grid)

	d.Connect("response", func(_ *gtk.Dialog, resp gtk.ResponseType) {
		if resp != gtk.RESPONSE_OK {
			d.Destroy()
			return
		}
		next := a.set
		for _, v := range settings.Scales {
			if scaleLabel(v) == scale.GetActiveID() {
				next.Scale = v
			}
		}
		next.Pack = packs.GetActiveID()
		next.Language = lang.GetActiveID()
		next.MaxPets = maxPets.GetValueAsInt()
		if next.Pets > next.MaxPets {
			next.Pets = next.MaxPets
		}
		mins := sleep.GetValue()
		next.SleepAfter = time.Duration(math.Round(mins*60)) * time.Second
		next.AvoidFullscreen = full.GetActiveID() != fullscreenStay
		if next.AvoidFullscreen {
			next.FullscreenStyle = full.GetActiveID()
		}
		next.StartOnLogin = login.GetActive()
		if err := next.Validate(); err != nil {
			problem.SetText(err.Error())
			return
		}
		if err := settings.Save(a.opts.ConfigPath, next); err != nil {
			problem.SetText(a.lang.F(i18n.SetSaveFailed, err))
			return
		}
		a.opts.FileSettings = next
		d.Destroy()
		a.apply(next)
	})
	d.Connect("destroy", func() { a.dialog = nil })
	d.ShowAll()
	d.Present()
}

func (a *App) setAutostart(on bool) {
	exe, err := os.Executable()
	if err != nil {
		exe = "tachikoma"
	}
	path, err := settings.AutostartPath()
	if err == nil {
		err = settings.SetAutostart(path, on, exe)
	}
	if err != nil {
		a.log.Error("cannot change the autostart entry", "path", path, "err", err)
		a.errorDialog(a.lang.F(i18n.SetAutostartFailed, err))
		return
	}
	a.log.Info("autostart", "enabled", on, "path", path)
}

func (a *App) errorDialog(msg string) {
	m := gtk.MessageDialogNew(nil, 0, gtk.MESSAGE_ERROR, gtk.BUTTONS_NONE, "%s", msg)
	m.AddButton(a.lang.T(i18n.DialogClose), gtk.RESPONSE_CLOSE)
	m.SetKeepAbove(true)
	m.SetPosition(gtk.WIN_POS_CENTER)
	m.Connect("response", func() { m.Destroy() })
	m.ShowAll()
}

func (a *App) showAbout() {
	d, err := gtk.AboutDialogNew()
	if err != nil {
		return
	}
	d.SetProgramName("Tachikoma")
	d.SetVersion(a.opts.Version)
	d.SetComments(a.lang.T(i18n.AboutComment))
	d.SetLicenseType(LicenceType)
	if Website != "" {
		d.SetWebsite(Website)
	}
	if pb, err := pixbufFromImage(trayIcon(a.src, 96)); err == nil {
		d.SetLogo(pb)
	}
	// ECDICT's MIT licence asks for its notice wherever its data goes.
	d.AddCreditSection(a.lang.T(i18n.AboutDictionary), []string{"ECDICT © 2017 Linwei (skywind3000), MIT licence"})
	d.SetKeepAbove(true)
	d.SetPosition(gtk.WIN_POS_CENTER)
	d.Connect("response", func() { d.Destroy() })
	d.ShowAll()
	d.Present()
}

// Surprise plays the "!" reaction on pet id (0 = every pet): the chat
// issue calls it for a DM or an @mention. GTK thread only.
func (a *App) Surprise(id int) {
	for _, p := range a.pets {
		if id == 0 || p.id == id {
			p.model.Surprise()
		}
	}
	a.noteInput()
}

// fullscreenStay is the dialog's "Stay" choice: avoid_fullscreen off.
const fullscreenStay = "stay"
