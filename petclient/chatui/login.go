package chatui

import (
	"context"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
)

// loginDialog asks for server, user and password (and a nickname when
// registering). Connecting runs on a goroutine; closing the dialog cancels
// it and never quits the app.
type loginDialog struct {
	c   *Controller
	dlg *gtk.Dialog

	server, user, pass, nick *gtk.Entry
	nickLabel                *gtk.Label
	invite                   *gtk.Entry
	inviteLabel, note        *gtk.Label
	remember, register       *gtk.CheckButton
	msg                      *gtk.Label
	ok                       *gtk.Button

	info    *chat.ServerInfo // what infoFor's server said (GET /api/v1/server), nil if unknown
	infoFor string
	lastErr error // of the last registration, which may ask for an invite

	cancel context.CancelFunc // the attempt in flight
	text   string
}

func (c *Controller) showLogin(server, user, msg string) {
	if c.login != nil {
		c.login.setMessage(msg)
		c.login.dlg.Present()
		return
	}
	if server == "" {
		server = cmpOr(c.cfg.Server, c.settings().Server)
		if c.host != nil {
			server = "" // hosted: the user picks another server
		}
	}
	user = cmpOr(user, c.settings().User)
	d := &loginDialog{c: c}
	if err := d.build(server, user); err != nil {
		c.log.Error("login dialog", "err", err)
		return
	}
	c.login = d
	d.setMessage(msg)
	d.dlg.ShowAll()
	d.applyForm()
	d.focusFirstEmpty()
	d.dlg.Present()
	c.writeState()
}

func (d *loginDialog) build(server, user string) error {
	l := d.c.app.Lang()
	dlg, err := gtk.DialogNew()
	if err != nil {
		return err
	}
	d.dlg = dlg
	dlg.SetTitle(l.T(i18n.ChatLoginTitle))
	dlg.SetKeepAbove(true)
	dlg.SetPosition(gtk.WIN_POS_CENTER)
	dlg.AddButton(l.T(i18n.ChatCancel), gtk.RESPONSE_CANCEL)
	okw, _ := dlg.AddButton(l.T(i18n.ChatLoginButton), gtk.RESPONSE_OK)
	d.ok = okw
	dlg.SetDefaultResponse(gtk.RESPONSE_OK)

	grid, _ := gtk.GridNew()
	grid.SetRowSpacing(6)
	grid.SetColumnSpacing(8)
	grid.SetBorderWidth(12)
	row := 0
	entry := func(label string, text string) (*gtk.Entry, *gtk.Label) {
		lb, _ := gtk.LabelNew(label)
		lb.SetHAlign(gtk.ALIGN_END)
		e, _ := gtk.EntryNew()
		e.SetText(text)
		e.SetActivatesDefault(true)
		e.SetWidthChars(28)
		grid.Attach(lb, 0, row, 1, 1)
		grid.Attach(e, 1, row, 1, 1)
		row++
		return e, lb
	}
	d.server, _ = entry(l.T(i18n.ChatServer), server)
	d.server.SetPlaceholderText("mqtt://host:1883")
	d.user, _ = entry(l.T(i18n.ChatUser), user)
	d.pass, _ = entry(l.T(i18n.ChatPassword), "")
	d.pass.SetVisibility(false)
	d.nick, d.nickLabel = entry(l.T(i18n.ChatNickname), "")
	d.invite, d.inviteLabel = entry(l.T(i18n.ChatInvite), "")
	d.invite.SetPlaceholderText("XXXX-XXXX-XXXX-XXXX")
	d.register, _ = gtk.CheckButtonNewWithLabel(l.T(i18n.ChatRegisterMode))
	grid.Attach(d.register, 1, row, 1, 1)
	row++
	d.note, _ = gtk.LabelNew("")
	d.note.SetLineWrap(true)
	d.note.SetMaxWidthChars(40)
	d.note.SetXAlign(0)
	grid.Attach(d.note, 1, row, 1, 1)
	row++
	// Register mode's rows stay out of ShowAll, so that the login form is
	// sized without them.
	for _, w := range []gtk.IWidget{d.nick, d.nickLabel, d.invite, d.inviteLabel, d.note} {
		w.ToWidget().SetNoShowAll(true)
	}
	d.remember, _ = gtk.CheckButtonNewWithLabel(l.T(i18n.ChatRemember))
	d.remember.SetActive(d.c.settings().Remember)
	grid.Attach(d.remember, 1, row, 1, 1)
	row++
	d.msg, _ = gtk.LabelNew("")
	d.msg.SetLineWrap(true)
	d.msg.SetMaxWidthChars(40)
	grid.Attach(d.msg, 0, row, 2, 1)
	area, _ := dlg.GetContentArea()
	area.Add(grid)

	// The server is asked how it registers people when register mode is
	// chosen and whenever the address is left edited.
	d.server.Connect("focus-out-event", func() bool {
		if d.register.GetActive() {
			d.askServer()
		}
		return false
	})
	d.register.Connect("toggled", func() {
		on := d.register.GetActive()
		d.applyForm()
		if on {
			d.askServer()
			dlg.SetTitle(l.T(i18n.ChatRegisterTitle))
			d.ok.SetLabel(l.T(i18n.ChatRegisterButton))
		} else {
			dlg.SetTitle(l.T(i18n.ChatLoginTitle))
			d.ok.SetLabel(l.T(i18n.ChatLoginButton))
		}
	})
	dlg.Connect("response", func(_ *gtk.Dialog, r gtk.ResponseType) {
		if r == gtk.RESPONSE_OK {
			d.submit()
			return
		}
		d.close()
	})
	return nil
}

func (d *loginDialog) message() string { return d.text }

// applyForm shows the fields register mode needs on this server. GTK thread.
func (d *loginDialog) applyForm() {
	on := d.register.GetActive()
	d.nick.SetVisible(on)
	d.nickLabel.SetVisible(on)
	f := registerView(d.info, d.lastErr)
	d.invite.SetVisible(on && f.invite)
	d.inviteLabel.SetVisible(on && f.invite)
	text := f.noteText(d.c.app.Lang())
	d.note.SetText(text)
	d.note.SetVisible(on && text != "")
	d.dlg.Resize(1, 1) // shrink to fit when rows went away
}

// askServer fetches GET /api/v1/server for the address typed, once per
// address, and updates the form when it answers. GTK thread.
func (d *loginDialog) askServer() {
	server, _ := d.server.GetText()
	if server == "" || server == d.infoFor {
		return
	}
	d.info, d.infoFor, d.lastErr = nil, server, nil
	d.applyForm()
	cfg := d.c.config(server, "", "")
	ctx := d.c.ctx
	go func() {
		info, err := chat.FetchServerInfo(ctx, cfg)
		glib.IdleAdd(func() {
			if d.c.login != d || d.infoFor != server {
				return // closed, or the address changed meanwhile
			}
			if err != nil {
				d.c.log.Info("server info", "server", server, "err", err)
				return // an older or unreachable server: the form learns from the registration instead
			}
			d.info = &info
			d.applyForm()
		})
	}()
}

// focusFirstEmpty puts the cursor where typing is needed: the server or
// user when missing, else the password (selected, to retype it).
func (d *loginDialog) focusFirstEmpty() {
	for _, e := range []*gtk.Entry{d.server, d.user} {
		if t, _ := e.GetText(); t == "" {
			e.GrabFocus()
			return
		}
	}
	d.pass.GrabFocus() // selects its text, so retyping replaces it
}

func (d *loginDialog) setMessage(s string) {
	d.text = s
	d.msg.SetText(s)
	d.c.writeState()
}

// submit connects (registering first when asked) off the GTK thread.
func (d *loginDialog) submit() {
	l := d.c.app.Lang()
	server, _ := d.server.GetText()
	user, _ := d.user.GetText()
	pass, _ := d.pass.GetText()
	nick, _ := d.nick.GetText()
	invite, _ := d.invite.GetText()
	register, remember := d.register.GetActive(), d.remember.GetActive()
	if d.cancel != nil {
		d.cancel()
	}
	ctx, cancel := context.WithCancel(d.c.ctx)
	d.cancel = cancel
	d.ok.SetSensitive(false)
	d.setMessage(l.T(i18n.ChatWorking))
	cfg := d.c.config(server, user, pass)
	log := d.c.log
	go func() {
		var cl *chat.Client
		var reg chat.Registered
		err := func() error {
			if register {
				var err error
				if reg, err = chat.RegisterWith(ctx, cfg, chat.Signup{Nickname: nick, Invite: invite}); err != nil || reg.Pending {
					return err
				}
			}
			var err error
			cl, err = chat.New(cfg, log)
			if err != nil {
				return err
			}
			if err := cl.Connect(ctx); err != nil {
				go cl.Close()
				cl = nil
				return err
			}
			return nil
		}()
		glib.IdleAdd(func() {
			if d.c.login != d || ctx.Err() != nil { // closed or superseded meanwhile
				if cl != nil {
					go cl.Close()
				}
				return
			}
			d.ok.SetSensitive(true)
			if register {
				d.lastErr = err
				d.applyForm()
			}
			if err != nil {
				d.setMessage(d.c.errorText(err))
				if d.invite.GetVisible() && registerView(nil, err).invite {
					d.invite.GrabFocus() // selects the code, to retype it
				} else {
					d.focusFirstEmpty()
				}
				return
			}
			if reg.Pending { // nothing to log in to yet: say so, and offer the login form
				d.register.SetActive(false)
				d.setMessage(l.F(i18n.ChatRegPending, cfg.User))
				return
			}
			d.c.app.UpdateSettings(func(s *settings.Settings) {
				s.Chat.Server, s.Chat.User, s.Chat.Remember = cfg.Server, cfg.User, remember
			})
			if h := d.c.host; h != nil { // the user chose another server
				d.c.host = nil
				go h.Close()
			}
			d.c.adopt(cfg, cl)
			if remember {
				d.c.remember(cfg.Server, cfg.User, cmpOr(cl.Token(), cfg.Password), false)
			} else {
				d.c.forget(cfg.Server, cfg.User)
			}
			d.close()
		})
	}()
}

func (d *loginDialog) close() {
	if d.cancel != nil {
		d.cancel()
	}
	d.dlg.Destroy()
	if d.c.login == d {
		d.c.login = nil
	}
	d.c.writeState()
}
