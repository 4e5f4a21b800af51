// Package spriteimportui is the thin GTK layer of petclient/spriteimport:
// an "Import sprites…" dialog with a before/after preview over a
// checkerboard, a tolerance slider and the frame strip of each animation.
// The new pack is chosen at once and appears in the sprite-pack menu.
package spriteimportui

import (
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
	"github.com/tachikoma-pet/tachikoma/petclient/spriteimport"
)

// MenuOrder puts the tray's entry right after the look section.
const MenuOrder = menu.OrderLook + 10

// App is what the dialog needs from the running pet.
type App interface {
	Lang() i18n.Lang
	Menus() *menu.Registry
	UpdateSettings(change func(*settings.Settings))
	OnDrop(f func(uriList string)) // files dragged onto a pet
}

// Options of the import tool.
type Options struct {
	UserDir string // where packs go; default pack.UserDir()
	Logger  *slog.Logger
}

// UI is the import tool attached to a running pet. GTK thread only.
type UI struct {
	app  App
	opts Options
	log  *slog.Logger
	dlg  *dialog
	// noDir is why there is no UserDir; importing says it.
	noDir error
}

// Attach adds "Import sprites…" at the end of the pet menu's sprite-pack
// submenu, where a user looking for characters looks, and to the tray
// (which has no such submenu).
func Attach(app App, opts Options) *UI {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	u := &UI{app: app, opts: opts, log: opts.Logger}
	if u.opts.UserDir == "" {
		u.opts.UserDir, u.noDir = pack.UserDir()
		if u.noDir != nil {
			u.log.Error("sprite import has nowhere to put packs", "err", u.noDir)
		}
	}
	entry := menu.SectionFunc(func(ctx menu.Context) []menu.Item {
		return []menu.Item{{ID: "sprites.import", Label: ctx.Lang.T(i18n.SpritesMenu), Activate: func() { u.Show(nil) }}}
	})
	app.Menus().Extend(menu.PackSubmenu, "sprites", MenuOrder, menu.PetMenu, entry)
	app.Menus().Add("sprites.tray", MenuOrder, menu.TrayMenu, entry)
	app.OnDrop(u.Drop)
	return u
}

// dialog is one open import dialog and its current preview.
type dialog struct {
	u       *UI
	w       *gtk.Dialog
	sources []spriteimport.Source
	plan    *spriteimport.Plan
	seq     int    // previews arrive in order: a stale one is dropped
	refused string // the last drop's refusal, kept above the preview's warnings
	pending glib.SourceHandle

	name    *gtk.Entry
	tol     *gtk.Scale
	states  *gtk.ComboBoxText
	list    *gtk.Label
	status  *gtk.Label
	before  *gtk.DrawingArea
	after   *gtk.DrawingArea
	strip   *gtk.Box
	importB *gtk.Widget
}

// Show opens the dialog (or raises it), optionally with sources already
// chosen.
func (u *UI) Show(paths []string) {
	if !u.open() {
		return
	}
	for _, p := range paths {
		u.dlg.sources = append(u.dlg.sources, spriteimport.ParseSource(p))
	}
	if len(paths) > 0 {
		u.dlg.refresh(0)
	}
	u.dlg.w.Present()
}

// Drop opens the dialog (or raises it) with the files of a dropped
// text/uri-list added.
func (u *UI) Drop(uriList string) {
	if u.open() {
		u.dlg.drop(uriList)
		u.dlg.w.Present()
	}
}

func (u *UI) open() bool {
	if u.dlg == nil {
		if err := u.build(); err != nil {
			u.log.Error("cannot open the import dialog", "err", err)
			return false
		}
	}
	return true
}

// Dialog returns the open dialog window, or nil (tests).
func (u *UI) Dialog() *gtk.Dialog {
	if u.dlg == nil {
		return nil
	}
	return u.dlg.w
}

func (u *UI) build() error {
	l := u.app.Lang()
	w, err := gtk.DialogNew()
	if err != nil {
		return err
	}
	d := &dialog{u: u, w: w}
	u.dlg = d
	w.SetTitle(l.T(i18n.SpritesTitle))
	w.SetKeepAbove(true) // the pets are kept above; the dialog must not hide behind them
	w.SetDefaultSize(560, -1)
	w.AddButton(l.T(i18n.SpritesCancel), gtk.RESPONSE_CANCEL)
	imp, _ := w.AddButton(l.T(i18n.SpritesImport), gtk.RESPONSE_OK)
	imp.SetName("sprites.import")
	d.importB = &imp.Widget
	d.importB.SetSensitive(false)

	grid, _ := gtk.GridNew()
	grid.SetRowSpacing(8)
	grid.SetColumnSpacing(8)
	grid.SetBorderWidth(12)

	buttons, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 6)
	addFiles, _ := gtk.ButtonNewWithLabel(l.T(i18n.SpritesAddFiles))
	addFiles.Connect("clicked", func() { d.choose(gtk.FILE_CHOOSER_ACTION_OPEN) })
	addFolder, _ := gtk.ButtonNewWithLabel(l.T(i18n.SpritesAddFolder))
	addFolder.Connect("clicked", func() { d.choose(gtk.FILE_CHOOSER_ACTION_SELECT_FOLDER) })
	clear, _ := gtk.ButtonNewWithLabel(l.T(i18n.SpritesClear))
	clear.Connect("clicked", func() { d.sources, d.refused = nil, ""; d.refresh(0) })
	buttons.PackStart(addFiles, false, false, 0)
	buttons.PackStart(addFolder, false, false, 0)
	buttons.PackStart(clear, false, false, 0)
	grid.Attach(buttons, 0, 0, 2, 1)

	d.list, _ = gtk.LabelNew(l.T(i18n.SpritesNone))
	d.list.SetName("sprites.sources")
	d.list.SetXAlign(0)
	d.list.SetLineWrap(true)
	d.list.SetSelectable(true)
	grid.Attach(d.list, 0, 1, 2, 1)

	nameL, _ := gtk.LabelNew(l.T(i18n.SpritesName))
	nameL.SetXAlign(0)
	d.name, _ = gtk.EntryNew()
	d.name.SetName("sprites.name")
	d.name.SetHExpand(true)
	d.name.Connect("changed", func() { d.updateButtons() })
	d.name.SetActivatesDefault(true) // type a name, press Enter: imported
	grid.Attach(nameL, 0, 2, 1, 1)
	grid.Attach(d.name, 1, 2, 1, 1)

	tolL, _ := gtk.LabelNew(l.T(i18n.SpritesTolerance))
	tolL.SetXAlign(0)
	d.tol, _ = gtk.ScaleNewWithRange(gtk.ORIENTATION_HORIZONTAL, 0, 120, 1)
	d.tol.SetName("sprites.tolerance")
	d.tol.SetValue(float64(spriteimport.DefaultMatte.Tolerance))
	d.tol.Connect("value-changed", func() { d.refresh(300 * time.Millisecond) })
	grid.Attach(tolL, 0, 3, 1, 1)
	grid.Attach(d.tol, 1, 3, 1, 1)

	stL, _ := gtk.LabelNew(l.T(i18n.SpritesState))
	stL.SetXAlign(0)
	d.states, _ = gtk.ComboBoxTextNew()
	d.states.SetName("sprites.state")
	d.states.Connect("changed", func() { d.showState() })
	grid.Attach(stL, 0, 4, 1, 1)
	grid.Attach(d.states, 1, 4, 1, 1)

	previews, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 12)
	previews.SetHomogeneous(true)
	for _, p := range []struct {
		key  i18n.Key
		area **gtk.DrawingArea
		pick func(*spriteimport.Clip) *image.NRGBA
	}{
		{i18n.SpritesBefore, &d.before, func(c *spriteimport.Clip) *image.NRGBA { return c.Before }},
		{i18n.SpritesAfter, &d.after, func(c *spriteimport.Clip) *image.NRGBA { return c.Frames[0] }},
	} {
		box, _ := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 4)
		lab, _ := gtk.LabelNew(l.T(p.key))
		area, _ := gtk.DrawingAreaNew()
		area.SetSizeRequest(220, 180)
		pick := p.pick
		area.Connect("draw", func(a *gtk.DrawingArea, cr *cairo.Context) bool {
			var m *image.NRGBA
			if c := d.clip(); c != nil {
				m = pick(c)
			}
			paint(cr, a.GetAllocatedWidth(), a.GetAllocatedHeight(), m)
			return true
		})
		*p.area = area
		box.PackStart(lab, false, false, 0)
		box.PackStart(area, true, true, 0)
		previews.PackStart(box, true, true, 0)
	}
	grid.Attach(previews, 0, 5, 2, 1)

	scroll, _ := gtk.ScrolledWindowNew(nil, nil)
	scroll.SetPolicy(gtk.POLICY_AUTOMATIC, gtk.POLICY_NEVER)
	scroll.SetSizeRequest(-1, 110)
	d.strip, _ = gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 6)
	d.strip.SetName("sprites.strip")
	scroll.Add(d.strip)
	grid.Attach(scroll, 0, 6, 2, 1)

	hint, _ := gtk.LabelNew(l.T(i18n.SpritesHint))
	hint.SetXAlign(0)
	hint.SetLineWrap(true)
	hint.SetSensitive(false)
	grid.Attach(hint, 0, 7, 2, 1)
	d.status, _ = gtk.LabelNew("")
	d.status.SetName("sprites.status")
	d.status.SetXAlign(0)
	d.status.SetLineWrap(true)
	d.status.SetSelectable(true)
	grid.Attach(d.status, 0, 8, 2, 1)

	area, _ := w.GetContentArea()
	area.Add(grid)
	// Pictures, folders and zips dragged from a file manager become sources.
	if uris, err := gtk.TargetEntryNew("text/uri-list", 0, 0); err == nil {
		w.DragDestSet(gtk.DEST_DEFAULT_ALL, []gtk.TargetEntry{*uris}, gdk.ACTION_COPY)
		w.Connect("drag-data-received", func(_, _ any, _, _ int, sel *gtk.SelectionData) {
			d.drop(string(sel.GetData()))
		})
	}
	w.Connect("response", func(_ *gtk.Dialog, resp gtk.ResponseType) {
		if resp == gtk.RESPONSE_OK {
			d.write()
			return
		}
		w.Destroy()
	})
	w.Connect("destroy", func() {
		d.seq++ // drop previews still being computed
		if u.dlg == d {
			u.dlg = nil
		}
	})
	w.SetDefaultResponse(gtk.RESPONSE_OK)
	w.ShowAll()
	d.name.GrabFocus()
	return nil
}

// chooserLabels are the file chooser's title and buttons in the pet's language.
func chooserLabels(l i18n.Lang, action gtk.FileChooserAction) (title, cancel, accept string) {
	title = l.T(i18n.SpritesAddFiles)
	if action == gtk.FILE_CHOOSER_ACTION_SELECT_FOLDER {
		title = l.T(i18n.SpritesAddFolder)
	}
	return title, l.T(i18n.SpritesCancel), l.T(i18n.SpritesChooserAdd)
}

// choose runs a file chooser and adds what the user picked.
func (d *dialog) choose(action gtk.FileChooserAction) {
	l := d.u.app.Lang()
	title, cancel, accept := chooserLabels(l, action)
	fc, err := gtk.FileChooserDialogNewWith2Buttons(title, &d.w.Window, action,
		cancel, gtk.RESPONSE_CANCEL, accept, gtk.RESPONSE_ACCEPT)
	if err != nil {
		d.u.log.Error("file chooser", "err", err)
		return
	}
	defer fc.Destroy()
	fc.SetSelectMultiple(true)
	if action == gtk.FILE_CHOOSER_ACTION_OPEN {
		f, _ := gtk.FileFilterNew()
		f.SetName(l.T(i18n.SpritesPictures))
		for _, p := range []string{"*.gif", "*.GIF", "*.png", "*.PNG", "*.jpg", "*.JPG", "*.jpeg", "*.JPEG", "*.webp", "*.WEBP", "*.zip", "*.ZIP"} {
			f.AddPattern(p)
		}
		fc.AddFilter(f)
	}
	if fc.Run() != gtk.RESPONSE_ACCEPT {
		return
	}
	names, _ := fc.GetFilenames()
	d.refused = ""
	for _, n := range names {
		d.sources = append(d.sources, spriteimport.ParseSource(n))
	}
	d.refresh(0)
}

// drop adds the local files of a dropped text/uri-list and names in the
// status line whatever was not a local file.
func (d *dialog) drop(uriList string) {
	paths, refused := spriteimport.DroppedPaths(uriList)
	d.refused = ""
	if len(refused) > 0 {
		d.refused = d.u.app.Lang().F(i18n.SpritesRefused, strings.Join(refused, ", "))
	}
	for _, p := range paths {
		d.sources = append(d.sources, spriteimport.Source{Path: p})
	}
	if len(paths) > 0 {
		d.refresh(0)
		return
	}
	d.say("")
}

// say shows msg in the status line, after a refused drop's message.
func (d *dialog) say(msg string) {
	d.status.SetText(strings.TrimSpace(d.refused + "\n" + msg))
}

// refresh recomputes the preview off the GTK thread after delay (the
// slider fires on every step; only the last position counts).
func (d *dialog) refresh(delay time.Duration) {
	d.seq++
	seq := d.seq
	if d.pending != 0 {
		glib.SourceRemove(d.pending)
		d.pending = 0
	}
	l := d.u.app.Lang()
	var names []string
	for _, s := range d.sources {
		n := filepath.Base(s.Path)
		if s.State != "" {
			n = s.State + "=" + n
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		d.list.SetText(l.T(i18n.SpritesNone))
		d.plan = nil
		d.say("")
		d.redraw()
		return
	}
	d.list.SetText(strings.Join(names, ", "))
	d.say(l.T(i18n.SpritesWorking))
	opts := spriteimport.Options{Name: "preview", Matte: spriteimport.Matte{
		Tolerance: int(d.tol.GetValue()), MinIsland: spriteimport.DefaultMatte.MinIsland}}
	sources := append([]spriteimport.Source(nil), d.sources...)
	start := func() bool {
		d.pending = 0
		go func() {
			plan, err := spriteimport.Import(opts, sources...)
			glib.IdleAdd(func() {
				if seq != d.seq {
					return
				}
				d.plan = plan
				if err != nil {
					d.say(l.F(i18n.SpritesError, err))
				} else {
					d.say(strings.Join(plan.Warnings, "\n"))
					if t, _ := d.name.GetText(); t == "" && plan.Name != "preview" {
						d.name.SetText(plan.Name) // a shared pack brings its own name
					} else if t == "" {
						d.name.SetText(spriteimport.SuggestName(sources...))
					}
				}
				d.redraw()
			})
		}()
		return false
	}
	if delay <= 0 {
		start()
		return
	}
	d.pending = glib.TimeoutAdd(uint(delay.Milliseconds()), start)
}

// redraw refills the state list and the previews from the current plan.
func (d *dialog) redraw() {
	active := d.states.GetActiveID()
	d.states.RemoveAll()
	if d.plan != nil {
		l := d.u.app.Lang()
		sel := 0
		for i, st := range engine.RequiredAnimations {
			c := d.plan.Clips[st]
			d.states.Append(st, l.F(i18n.SpritesStateItem, l.T(i18n.SpritesStateName(st)), st, filepath.Base(c.From), len(c.Frames)))
			if st == active {
				sel = i
			}
		}
		d.states.SetActive(sel)
	}
	d.showState()
	d.updateButtons()
}

func (d *dialog) clip() *spriteimport.Clip {
	if d.plan == nil {
		return nil
	}
	return d.plan.Clips[d.states.GetActiveID()]
}

// showState shows one animation: before/after of its first frame and all
// its frames with their durations.
func (d *dialog) showState() {
	d.before.QueueDraw()
	d.after.QueueDraw()
	d.strip.GetChildren().Foreach(func(item any) { item.(*gtk.Widget).Destroy() })
	c := d.clip()
	if c == nil {
		return
	}
	for i, f := range c.Frames {
		if i == 32 {
			more, _ := gtk.LabelNew(fmt.Sprintf("+%d", len(c.Frames)-i))
			d.strip.PackStart(more, false, false, 0)
			break
		}
		box, _ := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 2)
		area, _ := gtk.DrawingAreaNew()
		area.SetSizeRequest(64, 64)
		f := f
		area.Connect("draw", func(a *gtk.DrawingArea, cr *cairo.Context) bool {
			paint(cr, a.GetAllocatedWidth(), a.GetAllocatedHeight(), f)
			return true
		})
		lab, _ := gtk.LabelNew(fmt.Sprintf("%d ms", c.Delays[i].Milliseconds()))
		box.PackStart(area, false, false, 0)
		box.PackStart(lab, false, false, 0)
		d.strip.PackStart(box, false, false, 0)
	}
	d.strip.ShowAll()
}

func (d *dialog) updateButtons() {
	name, _ := d.name.GetText()
	d.importB.SetSensitive(d.plan != nil && strings.TrimSpace(name) != "")
}

// write imports for real with the chosen name, then switches the pet to
// the new pack; errors stay in the dialog.
func (d *dialog) write() {
	if !d.importB.GetSensitive() {
		return // Enter in the name field before there is anything to import
	}
	l := d.u.app.Lang()
	name, _ := d.name.GetText()
	opts := spriteimport.Options{Name: strings.TrimSpace(name), Matte: spriteimport.Matte{
		Tolerance: int(d.tol.GetValue()), MinIsland: spriteimport.DefaultMatte.MinIsland}}
	sources := append([]spriteimport.Source(nil), d.sources...)
	d.importB.SetSensitive(false)
	d.status.SetText(l.T(i18n.SpritesWorking))
	seq := d.seq
	userDir, noDir := d.u.opts.UserDir, d.u.noDir
	go func() {
		plan, err := spriteimport.Import(opts, sources...)
		if err == nil && noDir != nil {
			err = noDir
		} else if err == nil {
			err = plan.Write(filepath.Join(userDir, plan.ID), false)
		}
		glib.IdleAdd(func() {
			if seq != d.seq {
				return
			}
			if err != nil {
				d.status.SetText(l.F(i18n.SpritesError, err))
				d.updateButtons()
				return
			}
			d.u.log.Info("sprite pack imported", "id", plan.ID, "dir", filepath.Join(userDir, plan.ID))
			d.u.app.UpdateSettings(func(s *settings.Settings) { s.Pack = plan.ID })
			d.u.app.Menus().Invalidate()
			d.w.Destroy()
		})
	}()
}

// paint draws m centred and scaled to fit (crisp pixels) over a checkerboard.
func paint(cr *cairo.Context, w, h int, m *image.NRGBA) {
	const sq = 8
	for y := 0; y < h; y += sq {
		for x := 0; x < w; x += sq {
			if (x/sq+y/sq)%2 == 0 {
				cr.SetSourceRGB(1, 1, 1)
			} else {
				cr.SetSourceRGB(0.8, 0.8, 0.8)
			}
			cr.Rectangle(float64(x), float64(y), sq, sq)
			cr.Fill()
		}
	}
	if m == nil || m.Rect.Empty() {
		return
	}
	pb, err := pixbuf(m)
	if err != nil {
		return
	}
	k := min(float64(w)/float64(m.Rect.Dx()), float64(h)/float64(m.Rect.Dy()))
	if k > 1 {
		k = float64(int(k))
	}
	sw, sh := max(1, int(k*float64(m.Rect.Dx()))), max(1, int(k*float64(m.Rect.Dy())))
	interp := gdk.INTERP_NEAREST // whole multiples keep pixel art crisp
	if k < 1 {
		interp = gdk.INTERP_BILINEAR
	}
	if scaled, err := pb.ScaleSimple(sw, sh, interp); err == nil {
		pb = scaled
	}
	gtk.GdkCairoSetSourcePixBuf(cr, pb, float64((w-sw)/2), float64((h-sh)/2))
	cr.Paint()
}

// pixbuf copies an NRGBA picture (the same non-premultiplied layout) into a
// pixbuf that owns its memory.
func pixbuf(m *image.NRGBA) (*gdk.Pixbuf, error) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	pb, err := gdk.PixbufNew(gdk.COLORSPACE_RGB, true, 8, w, h)
	if err != nil {
		return nil, err
	}
	px, stride := pb.GetPixels(), pb.GetRowstride()
	for y := 0; y < h; y++ {
		copy(px[y*stride:y*stride+4*w], m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y+y):][:4*w])
	}
	return pb, nil
}
