package translateui

import (
	"strings"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/translate"
)

// providerNames are the services as the dialog shows them.
var providerNames = map[string]string{
	"deepl": "DeepL", "tencent": "腾讯翻译 Tencent TMT", "baidu": "百度翻译 Baidu",
	"youdao": "有道智云 Youdao", "libretranslate": "LibreTranslate",
}

// idLabel names each provider's first credential.
var idLabel = map[string]string{"tencent": "SecretId", "baidu": "APP ID", "youdao": "appKey"}

// showKeys opens the online-translation settings: the service sentences go
// to and its credentials, saved in the keyring (or the 0600 file) from a
// goroutine, since a keyring may ask to be unlocked.
func (u *UI) showKeys() {
	l := u.app.Lang()
	d, err := gtk.DialogNew()
	if err != nil {
		return
	}
	d.SetTitle(l.T(i18n.TranslateKeysTitle))
	d.SetKeepAbove(true)
	d.SetPosition(gtk.WIN_POS_CENTER)
	grid, _ := gtk.GridNew()
	grid.SetRowSpacing(6)
	grid.SetColumnSpacing(8)
	grid.SetBorderWidth(10)
	row := 0
	add := func(label string, w gtk.IWidget) {
		lb, _ := gtk.LabelNew(label)
		lb.SetXAlign(1)
		grid.Attach(lb, 0, row, 1, 1)
		grid.Attach(w, 1, row, 1, 1)
		row++
	}
	combo, _ := gtk.ComboBoxTextNew()
	for _, p := range translate.Providers {
		combo.Append(p, providerNames[p])
	}
	combo.SetActiveID(translate.Providers[0])
	id, _ := gtk.EntryNew()
	secret, _ := gtk.EntryNew()
	secret.SetVisibility(false)
	url, _ := gtk.EntryNew()
	url.SetPlaceholderText("https://libretranslate.example.org")
	for _, e := range []*gtk.Entry{id, secret, url} {
		e.SetWidthChars(36)
	}
	idRow, _ := gtk.LabelNew("")
	add(l.T(i18n.TranslateKeysService), combo)
	idRow.SetXAlign(1)
	grid.Attach(idRow, 0, row, 1, 1)
	grid.Attach(id, 1, row, 1, 1)
	row++
	add(l.T(i18n.TranslateKeysSecret), secret)
	add(l.T(i18n.TranslateKeysURL), url)
	status, _ := gtk.LabelNew(l.T(i18n.TranslateKeysHint))
	status.SetLineWrap(true)
	status.SetMaxWidthChars(50)
	grid.Attach(status, 0, row, 2, 1)

	refresh := func() {
		p := combo.GetActiveID()
		lbl, needID := idLabel[p]
		idRow.SetText(lbl)
		idRow.SetVisible(needID)
		id.SetVisible(needID)
	}
	combo.Connect("changed", refresh)
	area, _ := d.GetContentArea()
	area.Add(grid)
	d.AddButton(l.T(i18n.SetCancel), gtk.RESPONSE_CANCEL)
	d.AddButton(l.T(i18n.SetSave), gtk.RESPONSE_OK)
	d.ShowAll()
	refresh()

	// Fill in what is stored, without blocking the dialog on the keyring.
	go func() {
		ks, err := u.keys()
		if err != nil {
			return
		}
		p := translate.Preferred(ks)
		var c translate.Credentials
		if p != "" {
			c, _ = translate.Load(ks, p)
		}
		glib.IdleAdd(func() {
			if p != "" {
				combo.SetActiveID(p)
				id.SetText(c.ID)
				url.SetText(c.URL)
			}
		})
	}()

	d.Connect("response", func(_ *gtk.Dialog, resp gtk.ResponseType) {
		if resp != gtk.RESPONSE_OK {
			d.Destroy()
			return
		}
		p := combo.GetActiveID()
		c := translate.Credentials{}
		c.ID, _ = id.GetText()
		c.Secret, _ = secret.GetText()
		c.URL, _ = url.GetText()
		c.ID, c.Secret, c.URL = strings.TrimSpace(c.ID), strings.TrimSpace(c.Secret), strings.TrimSpace(c.URL)
		d.SetSensitive(false)
		go func() {
			ks, err := u.keys()
			if err == nil {
				// The dialog never shows a stored secret, and has no region
				// field: keep what is stored unless the user typed a new one.
				if stored, lerr := translate.Load(ks, p); lerr == nil {
					c = c.Over(stored)
				}
				if err = translate.Check(p, c); err == nil {
					err = translate.Save(ks, p, c)
				}
			}
			if err == nil {
				err = translate.SetPreferred(ks, p)
			}
			glib.IdleAdd(func() {
				if err != nil {
					d.SetSensitive(true)
					status.SetText(err.Error())
					return
				}
				u.resetTranslator()
				d.Destroy()
			})
		}()
	})
}
