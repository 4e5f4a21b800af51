package desktop

import (
	"fmt"
	"strconv"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
)

// Names of the built-in sections in the registry.
const (
	SectionActions = "core.actions"
	SectionLook    = "core.look"
	SectionPets    = "core.pets"
	SectionTray    = "core.tray"
	SectionApp     = "core.app"
)

// registerCoreSections adds the built-in menu content through the same
// registry plug-ins use, so the core has no special path.
func (a *App) registerCoreSections() {
	a.menus.Add(SectionActions, menu.OrderActions, menu.PetMenu, menu.SectionFunc(a.actionItems))
	a.menus.Add(SectionTray, menu.OrderActions, menu.TrayMenu, menu.SectionFunc(a.trayItems))
	a.menus.Add(SectionLook, menu.OrderLook, menu.PetMenu, menu.SectionFunc(a.lookItems))
	a.menus.Add(SectionPets, menu.OrderPets, menu.PetMenu, menu.SectionFunc(a.petItems))
	a.menus.Add(SectionApp, menu.OrderApp, menu.Everywhere, menu.SectionFunc(a.appItems))
}

func (a *App) actionItems(ctx menu.Context) []menu.Item {
	p := a.petByID(ctx.PetID)
	if p == nil {
		return nil
	}
	l := ctx.Lang
	item := func(key i18n.Key, action string) menu.Item {
		return menu.Item{
			ID: "act." + action, Label: l.T(key), Disabled: !p.model.CanDo(action),
			Activate: func() {
				if !p.model.Do(action) {
					a.log.Info("pet cannot do that now", "pet", p.id, "action", action)
				}
				a.noteInput()
				p.sync(false)
			},
		}
	}
	sleep := item(i18n.ActSleep, ActionSleep)
	if p.pose.Zzz {
		sleep = item(i18n.ActWake, ActionWake)
	}
	// Only what the engine can do is offered; the rest stays out of the
	// menu rather than greyed out.
	var out []menu.Item
	for _, it := range []menu.Item{
		item(i18n.ActSit, ActionSit),
		sleep,
		item(i18n.ActJump, ActionJump),
		item(i18n.ActWalk, ActionWalk),
		item(i18n.ActRun, ActionRun),
		item(i18n.ActLook, ActionLook),
	} {
		if !it.Disabled {
			out = append(out, it)
		}
	}
	return out
}

func scaleLabel(s float64) string {
	return strconv.FormatFloat(s, 'f', -1, 64) + "×"
}

func (a *App) lookItems(ctx menu.Context) []menu.Item {
	l := ctx.Lang
	var sizes []menu.Item
	for _, s := range settings.Scales {
		s := s
		sizes = append(sizes, menu.Item{
			ID: "size." + strconv.FormatFloat(s, 'f', -1, 64), Label: scaleLabel(s), Kind: menu.Radio,
			Checked: s == a.set.Scale,
			Activate: func() {
				a.update(func(st *settings.Settings) { st.Scale = s })
			},
		})
	}
	var packs []menu.Item
	for _, pk := range discoverPacks() {
		pk := pk
		label := pk.Title
		if label == "" {
			label = pk.ID
		}
		if pk.ID == "" {
			label = l.T(i18n.MenuPackDefault)
		}
		it := menu.Item{ID: "pack." + pk.ID, Label: label, Kind: menu.Radio,
			Checked: pk.ID == a.src.Name(),
			Activate: func() {
				a.update(func(st *settings.Settings) { st.Pack = pk.ID })
			}}
		if pk.Err != nil {
			it.Disabled = true
			it.Tooltip = l.F(i18n.MenuPackBroken, pk.Err)
		}
		packs = append(packs, it)
	}
	return []menu.Item{
		{ID: "size", Label: l.T(i18n.MenuSize), Children: sizes},
		{ID: menu.PackSubmenu, Label: l.T(i18n.MenuPack), Children: packs},
	}
}

func (a *App) petItems(ctx menu.Context) []menu.Item {
	l := ctx.Lang
	p := a.petByID(ctx.PetID)
	summon := menu.Item{ID: "pets.summon", Label: l.T(i18n.MenuSummon), Activate: func() { a.summon(p) }}
	if len(a.pets) >= a.set.MaxPets {
		summon.Disabled = true
		summon.Tooltip = l.F(i18n.MenuSummonLimit, a.set.MaxPets)
	}
	items := []menu.Item{summon}
	if p != nil {
		items = append(items,
			menu.Item{ID: "pets.dismiss", Label: l.T(i18n.MenuDismiss), Activate: func() { a.dismiss(p) }},
			menu.Item{ID: "pets.dismiss_others", Label: l.T(i18n.MenuDismissOther),
				Disabled: len(a.pets) < 2, Activate: func() { a.dismissOthers(p) }})
	}
	return items
}

func (a *App) trayItems(ctx menu.Context) []menu.Item {
	if a.userHidden {
		return []menu.Item{{ID: "tray.show", Label: ctx.Lang.T(i18n.TrayShow), Activate: func() { a.setHidden(false) }}}
	}
	return []menu.Item{{ID: "tray.hide", Label: ctx.Lang.T(i18n.TrayHide), Activate: func() { a.setHidden(true) }}}
}

func (a *App) appItems(ctx menu.Context) []menu.Item {
	l := ctx.Lang
	return []menu.Item{
		{ID: "app.settings", Label: l.T(i18n.MenuSettings), Activate: a.showSettings},
		{ID: "app.about", Label: l.T(i18n.MenuAbout), Activate: a.showAbout},
		{ID: "app.quit", Label: l.T(i18n.MenuQuit), Activate: a.Quit},
	}
}

// --- GTK rendering of the model ---

func buildGtkMenu(items []menu.Item) (*gtk.Menu, error) {
	m, err := gtk.MenuNew()
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		w, err := gtkMenuItem(it)
		if err != nil {
			return nil, err
		}
		m.Append(w)
	}
	return m, nil
}

func gtkMenuItem(it menu.Item) (gtk.IMenuItem, error) {
	if it.Kind == menu.Separator {
		return gtk.SeparatorMenuItemNew()
	}
	var mi *gtk.MenuItem
	switch {
	case len(it.Children) > 0:
		item, err := gtk.MenuItemNewWithLabel(it.Label)
		if err != nil {
			return nil, err
		}
		sub, err := buildGtkMenu(it.Children)
		if err != nil {
			return nil, err
		}
		item.SetSubmenu(sub)
		mi = item
	case it.Kind == menu.Check || it.Kind == menu.Radio:
		item, err := gtk.CheckMenuItemNewWithLabel(it.Label)
		if err != nil {
			return nil, err
		}
		item.SetDrawAsRadio(it.Kind == menu.Radio)
		item.SetActive(it.Checked) // before connecting, so this does not fire Activate
		mi = &item.MenuItem
	default:
		item, err := gtk.MenuItemNewWithLabel(it.Label)
		if err != nil {
			return nil, err
		}
		mi = item
	}
	if it.ID != "" {
		mi.SetName(it.ID)
	}
	mi.SetSensitive(!it.Disabled)
	if it.Tooltip != "" {
		mi.SetTooltipText(it.Tooltip)
	}
	if it.Activate != nil && len(it.Children) == 0 {
		act := it.Activate
		mi.Connect("activate", func() { act() })
	}
	return mi, nil
}

func (a *App) popupPetMenu(p *petWindow, ev *gdk.Event) {
	if a.openMenu != nil {
		a.openMenu.Cancel()
	}
	items := a.menus.Build(menu.Context{Place: menu.PetMenu, Lang: a.lang, PetID: p.id})
	m, err := buildGtkMenu(items)
	if err != nil {
		a.log.Error("cannot build the pet menu", "err", err)
		return
	}
	m.Connect("deactivate", func() {
		if a.openMenu == m {
			a.openMenu, a.menuPetID, a.menuMapped = nil, 0, false
			a.writeState()
		}
		// Destroy after the chosen item's "activate", which GTK emits
		// after "deactivate".
		glib.IdleAdd(func() { m.Destroy() })
	})
	// The state says the menu is open once X has mapped it: keys and
	// screenshots from then on reach it (its grab came before the map).
	if top, err := m.GetToplevel(); err == nil {
		top.ToWidget().Connect("map-event", func() bool {
			if a.openMenu == m {
				a.menuMapped = true
				a.writeState()
			}
			return false
		})
	}
	m.ShowAll()
	m.PopupAtPointer(ev)
	a.openMenu, a.menuPetID, a.menuMapped = m, p.id, false
	a.log.Debug("pet menu open", "pet", p.id, "items", len(items))
	if a.state != nil {
		g := glyphs.InWidget(m)
		a.menuGlyphs = &statefile.Glyphs{Labels: g.Labels, Unknown: g.Unknown, Text: g.Text}
	}
	a.writeState()
}

// update changes settings from a menu or the dialog: applies them to the
// running app and saves them.
func (a *App) update(change func(*settings.Settings)) {
	next := a.set
	change(&next)
	if err := next.Validate(); err != nil {
		a.log.Error("rejected settings change", "err", err)
		return
	}
	file := a.fileSettings()
	change(&file)
	if err := settings.Save(a.opts.ConfigPath, file); err != nil {
		a.log.Error("cannot save settings", "path", a.opts.ConfigPath, "err", err)
		a.errorDialog(a.lang.F(i18n.SetSaveFailed, err))
	}
	a.opts.FileSettings = file
	a.apply(next)
}

func (a *App) fileSettings() settings.Settings {
	if a.opts.FileSettings.Scale == 0 {
		return a.set
	}
	return a.opts.FileSettings
}

// apply makes the running app match s.
func (a *App) apply(s settings.Settings) {
	old := a.set
	a.set = s
	if s.Pack != old.Pack {
		a.src = loadSource(s.Pack, a.log)
		a.cache.setSource(a.src)
	}
	if l := i18n.Resolve(s.Language, osGetenv); l != a.lang {
		a.lang = l
		useLanguage(l)
		a.rebuildTray()
	}
	if s.StartOnLogin != old.StartOnLogin {
		a.setAutostart(s.StartOnLogin)
	}
	// The engine takes size, speeds and sleep/fullscreen rules at creation.
	if s.Scale != old.Scale || s.Pack != old.Pack || s.SleepAfter != old.SleepAfter || s.AvoidFullscreen != old.AvoidFullscreen {
		a.applyModelSettings()
	}
	for _, p := range a.pets {
		p.sync(s.Scale != old.Scale || s.Pack != old.Pack)
	}
	a.checkFullscreen() // the style may have changed
	if s.Pack != old.Pack || s.Scale != old.Scale {
		a.trimMemorySoon()
	}
	a.log.Info("settings applied", "settings", fmt.Sprintf("%+v", s))
	a.rebuildTray()
	a.noteInput()
	a.writeState()
}
