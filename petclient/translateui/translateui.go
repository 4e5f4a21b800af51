// Package translateui is the pet's translation tool in GTK: "Translate
// selection" (PRIMARY, then CLIPBOARD), "Translate screen text" (an area of
// the screen read by tesseract) and a type-in box in the Tools part of the
// menu, the answer in a speech bubble by the pet with Copy, Speak and
// More. The work is petclient/translate and petclient/dict; this layer only
// reads the selection and shows the answer.
package translateui

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/chat/credentials"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/dict"
	"github.com/tachikoma-pet/tachikoma/petclient/hotkey"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/translate"
)

// MenuOrder places the entries in the menu's Tools part.
const MenuOrder = menu.OrderTools + 50

// Options configure Attach.
type Options struct {
	// Keys holds the online providers' credentials; nil opens the keyring
	// (or the 0600 file) when a sentence first needs it.
	Keys   translate.KeyStore
	Logger *slog.Logger
}

// UI is the translation tool attached to a running pet. GTK thread only.
type UI struct {
	app  *desktop.App
	log  *slog.Logger
	opts Options

	ksMu sync.Mutex
	ks   translate.KeyStore // opened on first use
	grab *hotkey.Grab
	svc  translate.Service
	bub  bubble
	last translate.Answer
	busy bool
	seq  int                // answers arrive in order: a stale one is dropped
	hush context.CancelFunc // stops the reading in progress, if any
}

// Attach adds the menu entries; the dictionary opens now (nothing is parsed:
// it costs only the pages lookups touch).
func Attach(app *desktop.App, opts Options) *UI {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	u := &UI{app: app, log: opts.Logger, opts: opts}
	u.bub.init(u)
	d, err := dict.OpenDefault(opts.Logger)
	if err != nil {
		u.log.Error("no dictionary", "err", err)
	}
	u.svc.Dict = d
	if c, err := dict.Core(); err == nil {
		u.svc.Reverse = c
	}
	u.resetTranslator()
	app.Menus().Add("translate", MenuOrder, menu.Everywhere, menu.SectionFunc(u.items))
	if hk := app.Settings().Translate.Hotkey; hk != "" {
		u.listenHotkey(hk)
	}
	app.OnPetsChanged(func([]desktop.PetInfo) { u.bub.petsChanged() })
	return u
}

// listenHotkey grabs the global key that translates the selection.
func (u *UI) listenHotkey(spec string) {
	k, err := hotkey.Parse(spec)
	if err == nil {
		u.grab, err = hotkey.Listen("", k, func() {
			glib.IdleAdd(func() { u.TranslateSelection(0) })
		})
	}
	if err != nil {
		u.log.Warn("translation hotkey not set", "hotkey", spec, "err", err)
		return
	}
	u.log.Info("translation hotkey", "hotkey", spec)
}

// Close releases the global key.
func (u *UI) Close() {
	if u.grab != nil {
		u.grab.Close()
		u.grab = nil
	}
}

// keys opens the key store once (it may probe D-Bus: not on the GTK thread).
func (u *UI) keys() (translate.KeyStore, error) {
	u.ksMu.Lock()
	defer u.ksMu.Unlock()
	if u.ks != nil {
		return u.ks, nil
	}
	if u.opts.Keys != nil {
		u.ks = u.opts.Keys
		return u.ks, nil
	}
	st, err := credentials.Open(credentials.Options{Logger: u.log})
	if err != nil {
		return nil, err
	}
	u.ks = st
	return st, nil
}

// resetTranslator makes the next sentence use the stored settings afresh.
func (u *UI) resetTranslator() { u.svc.Translator = translate.Lazy("", u.keys) }

func (u *UI) items(ctx menu.Context) []menu.Item {
	l := ctx.Lang
	petID := ctx.PetID
	return []menu.Item{
		// Reading the selection runs a nested main loop: not inside the
		// menu's signal emission, whose menu an idle callback destroys.
		{ID: "translate.selection", Label: l.T(i18n.TranslateSelection), Activate: func() {
			glib.IdleAdd(func() { u.TranslateSelection(petID) })
		}},
		{ID: "translate.screen", Label: l.T(i18n.TranslateScreen), Activate: func() { u.TranslateScreen(petID) }},
		{ID: "translate.typein", Label: l.T(i18n.TranslateTypeIn), Activate: func() { u.typeIn(petID) }},
		{ID: "translate.keys", Label: l.T(i18n.TranslateKeys), Activate: u.showKeys},
	}
}

// TranslateSelection translates the PRIMARY selection (what is selected
// anywhere, no Ctrl+C needed), else the clipboard, by pet petID (0: the
// first pet).
func (u *UI) TranslateSelection(petID int) {
	text := ""
	for _, sel := range []gdk.Atom{gdk.SELECTION_PRIMARY, gdk.SELECTION_CLIPBOARD} {
		cb, err := gtk.ClipboardGet(sel)
		if err != nil {
			continue
		}
		// Only text targets are asked for: an image or binary clipboard
		// gives an error here, not bytes.
		if t, err := cb.WaitForText(); err == nil && strings.TrimSpace(t) != "" {
			text = t
			break
		}
	}
	if strings.TrimSpace(text) == "" {
		u.say(petID, "", esc(u.app.Lang().T(i18n.TranslateNothing)), 6*time.Second)
		return
	}
	u.Translate(petID, text)
}

// Translate answers text in the bubble of pet petID.
func (u *UI) Translate(petID int, text string) {
	text = translate.Clip(text, translate.MaxText)
	u.seq++
	seq := u.seq
	if len(strings.Fields(text)) > 5 {
		u.say(petID, text, "<i>"+esc(u.app.Lang().T(i18n.TranslateWorking))+"</i>", translate.Timeout+2*time.Second)
	}
	svc := u.svc
	go func() {
		a := svc.Translate(context.Background(), text)
		glib.IdleAdd(func() {
			if seq != u.seq {
				return // a newer request replaced it
			}
			u.last = a
			u.show(petID, &a)
		})
	}()
}

func (u *UI) show(petID int, a *translate.Answer) {
	l := u.app.Lang()
	if !a.Found() && a.Err == nil {
		u.say(petID, a.Text, esc(l.F(i18n.TranslateNotFound, shorten(a.Text, 40))), 6*time.Second)
		return
	}
	m := Markup(a)
	stay := 15*time.Second + time.Duration(utf8.RuneCountInString(m))*40*time.Millisecond
	u.say(petID, a.Text, m, min(stay, 90*time.Second))
}

func (u *UI) say(petID int, query, markup string, stay time.Duration) {
	if petID == 0 {
		if pets := u.app.Pets(); len(pets) > 0 {
			petID = pets[0].ID
		}
	}
	u.bub.show(petID, query, markup, stay)
}

func (u *UI) pet(id int) (desktop.PetInfo, bool) {
	for _, p := range u.app.Pets() {
		if p.ID == id {
			return p, true
		}
	}
	return desktop.PetInfo{}, false
}

type button struct {
	id, label string
	act       func()
}

func (u *UI) buttons() []button {
	l := u.app.Lang()
	return []button{
		{"translate.copy", l.T(i18n.TranslateCopy), u.copyAnswer},
		{"translate.speak", l.T(i18n.TranslateSpeak), u.speak},
		{"translate.more", l.T(i18n.TranslateMore), u.more},
		{"translate.close", "✕", u.bub.hide},
	}
}

func (u *UI) copyAnswer() {
	if cb, err := gtk.ClipboardGet(gdk.SELECTION_CLIPBOARD); err == nil {
		cb.SetText(strings.TrimSpace(translate.Format(&u.last)))
	}
}

// speak reads the English aloud with espeak-ng when it is installed.
func (u *UI) speak() {
	text := u.last.Text
	if len(u.last.Entries) > 0 && !u.last.Sentence {
		text = u.last.Entries[0].Word
	}
	if text == "" || dict.HasHan(text) {
		return
	}
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		u.say(u.bub.petID, u.bub.query, esc(u.app.Lang().T(i18n.TranslateNoSpeech)), 8*time.Second)
		return
	}
	if u.hush != nil {
		u.hush() // a second click starts over instead of reading on top
	}
	ctx, cancel := context.WithTimeout(context.Background(), speakLimit)
	cmd := exec.CommandContext(ctx, bin, "-v", "en", "--", text)
	if err := cmd.Start(); err != nil {
		cancel()
		u.log.Warn("espeak-ng", "err", err)
		return
	}
	u.hush = cancel
	go func() {
		_ = cmd.Wait()
		cancel()
	}()
}

// speakLimit bounds one reading aloud, so a stuck audio device cannot keep
// espeak-ng around.
const speakLimit = 2 * time.Minute

// more opens a window with the whole answer (every sense, definitions).
func (u *UI) more() {
	l := u.app.Lang()
	win, err := gtk.WindowNew(gtk.WINDOW_TOPLEVEL)
	if err != nil {
		return
	}
	win.SetTitle(l.T(i18n.TranslateTitle) + " — " + shorten(u.last.Text, 40))
	win.SetDefaultSize(460, 420)
	win.SetKeepAbove(true)
	sw, _ := gtk.ScrolledWindowNew(nil, nil)
	tv, _ := gtk.TextViewNew()
	tv.SetEditable(false)
	tv.SetWrapMode(gtk.WRAP_WORD_CHAR)
	tv.SetLeftMargin(8)
	tv.SetRightMargin(8)
	if buf, err := tv.GetBuffer(); err == nil {
		buf.SetText(translate.FormatFull(&u.last))
	}
	sw.Add(tv)
	win.Add(sw)
	win.ShowAll()
}

// typeIn asks for text in a small box.
func (u *UI) typeIn(petID int) {
	l := u.app.Lang()
	win, err := gtk.WindowNew(gtk.WINDOW_TOPLEVEL)
	if err != nil {
		return
	}
	win.SetTitle(l.T(i18n.TranslateTitle))
	win.SetKeepAbove(true)
	win.SetPosition(gtk.WIN_POS_MOUSE)
	box, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 6)
	box.SetBorderWidth(8)
	entry, _ := gtk.EntryNew()
	entry.SetPlaceholderText(l.T(i18n.TranslateHint))
	entry.SetWidthChars(36)
	entry.SetMaxLength(translate.MaxText)
	btn, _ := gtk.ButtonNewWithLabel(l.T(i18n.TranslateGo))
	go1 := func() {
		text, _ := entry.GetText()
		if strings.TrimSpace(text) == "" {
			return
		}
		win.Destroy()
		u.Translate(petID, text)
	}
	entry.Connect("activate", go1)
	btn.Connect("clicked", go1)
	box.PackStart(entry, true, true, 0)
	box.PackStart(btn, false, false, 0)
	win.Add(box)
	win.ShowAll()
	win.Present()
}

func esc(s string) string { return glib.MarkupEscapeText(s) }

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Markup renders an answer for the bubble: the sentence's translation and
// provider, or the entry's headword, phonetic, first senses, exam tags and
// inflections; a failed translation says why and keeps the words.
func Markup(a *translate.Answer) string {
	var b strings.Builder
	if a.Translation != "" {
		fmt.Fprintf(&b, "<big>%s</big>\n<small><span foreground=\"#777\">— %s</span></small>\n", esc(a.Translation), esc(a.Provider))
	} else if a.Err != nil {
		fmt.Fprintf(&b, "<span foreground=\"#b00\">%s</span>\n", esc(translate.Problem(a.Err)))
	}
	n := len(a.Entries)
	if !a.Sentence {
		n = min(n, 2)
	}
	for i := 0; i < n; i++ {
		r := &a.Entries[i]
		if a.Sentence {
			if i == 0 && b.Len() > 0 {
				b.WriteString("\n")
			}
			senses := translate.Senses(&r.Entry, 1)
			fmt.Fprintf(&b, "<b>%s</b>  %s\n", esc(r.Word), esc(strings.Join(senses, "")))
			continue
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "<b><big>%s</big></b>", esc(r.Word))
		if r.Phonetic != "" {
			fmt.Fprintf(&b, "  <span foreground=\"#555\">/%s/</span>", esc(r.Phonetic))
		}
		switch r.Match {
		case dict.MatchLemma:
			fmt.Fprintf(&b, "  <small>← %s（%s）</small>", esc(r.Query), esc(translate.Kind(r.Kind)))
		case dict.MatchFuzzy:
			fmt.Fprintf(&b, "  <small>← %s?</small>", esc(r.Query))
		}
		b.WriteString("\n")
		for _, s := range translate.Senses(&r.Entry, 4) {
			b.WriteString(esc(s) + "\n")
		}
		if t := r.Tags.Names(); len(t) > 0 {
			fmt.Fprintf(&b, "<small><span foreground=\"#2a6bc7\">%s</span></small>\n", esc(strings.Join(t, " · ")))
		}
		if inf := translate.Inflections(&r.Entry); inf != "" {
			fmt.Fprintf(&b, "<small><span foreground=\"#555\">%s</span></small>\n", esc(inf))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
