package remindui

import (
	"strings"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// showDialog is "Remind me…": when (in N minutes, at a time, every day at
// a time) and what. A schedule typed in full ("tomorrow 9:00") also works.
func (u *UI) showDialog() {
	if u.dialog != nil {
		u.dialog.Present()
		return
	}
	l := u.app.Lang()
	d, err := gtk.DialogNew()
	if err != nil {
		u.log.Error("cannot open the reminder dialog", "err", err)
		return
	}
	u.dialog = d
	d.SetTitle(l.T(i18n.RemindDlgTitle))
	d.SetKeepAbove(true)
	d.SetDefaultSize(380, -1)
	d.AddButton(l.T(i18n.RemindDlgCancel), gtk.RESPONSE_CANCEL)
	d.AddButton(l.T(i18n.RemindDlgAdd), gtk.RESPONSE_OK)
	d.SetDefaultResponse(gtk.RESPONSE_OK)

	grid, _ := gtk.GridNew()
	grid.SetRowSpacing(8)
	grid.SetColumnSpacing(8)
	grid.SetBorderWidth(12)
	kind, _ := gtk.ComboBoxTextNew()
	kind.SetName("remind.kind")
	for _, k := range []i18n.Key{i18n.RemindDlgIn, i18n.RemindDlgAt, i18n.RemindDlgDaily} {
		kind.AppendText(l.T(k))
	}
	kind.SetActive(0)
	when, _ := gtk.EntryNew()
	when.SetName("remind.when")
	when.SetText("20")
	when.SetActivatesDefault(true)
	kind.Connect("changed", func() {
		when.SetText([]string{"20", "18:30", "9:00"}[max(kind.GetActive(), 0)])
	})
	what, _ := gtk.EntryNew()
	what.SetName("remind.text")
	what.SetActivatesDefault(true)
	what.SetHExpand(true)
	label, _ := gtk.LabelNew(l.T(i18n.RemindDlgText))
	label.SetXAlign(0)
	hint, _ := gtk.LabelNew(l.T(i18n.RemindDlgHint))
	hint.SetXAlign(0)
	hint.SetLineWrap(true)
	hint.SetSensitive(false)
	errLabel, _ := gtk.LabelNew("")
	errLabel.SetName("remind.error")
	errLabel.SetXAlign(0)
	errLabel.SetLineWrap(true)

	grid.Attach(kind, 0, 0, 1, 1)
	grid.Attach(when, 1, 0, 1, 1)
	grid.Attach(label, 0, 1, 2, 1)
	grid.Attach(what, 0, 2, 2, 1)
	grid.Attach(hint, 0, 3, 2, 1)
	grid.Attach(errLabel, 0, 4, 2, 1)
	area, _ := d.GetContentArea()
	area.Add(grid)

	d.Connect("response", func(_ *gtk.Dialog, resp gtk.ResponseType) {
		if resp != gtk.RESPONSE_OK {
			d.Destroy()
			return
		}
		w, _ := when.GetText()
		t, _ := what.GetText()
		if _, err := u.svc.AddParts(schedule(kind.GetActive(), w), t); err != nil {
			errLabel.SetMarkup(`<span foreground="#c01c28">` + glib.MarkupEscapeText(l.F(i18n.RemindDlgError, err)) + `</span>`)
			return
		}
		u.refresh()
		d.Destroy()
	})
	d.Connect("destroy", func() { u.dialog = nil })
	d.ShowAll()
	what.GrabFocus()
}

// schedule turns the dialog's time field into what remind.Parse reads: a
// bare number in the first mode is minutes; anything else is taken as typed.
func schedule(kind int, when string) string {
	when = strings.TrimSpace(when)
	switch {
	case kind == 0 && isDigits(when):
		when += "m"
	case kind == 2:
		when = "every day " + when
	}
	return when
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
