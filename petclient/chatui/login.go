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
	remember, register       *gtk.CheckButton
	msg                      *gtk.Label
	ok                       *gtk.Button

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
	d.nick.SetVisible(false)
	d.nickLabel.SetVisible(false)
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
	d.register, _ = gtk.CheckButtonNewWithLabel(l.T(i18n.ChatRegisterMode))
	grid.Attach(d.register, 1, row, 1, 1)
	row++
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

	d.register.Connect("toggled", func() {
		on := d.register.GetActive()
		d.nick.SetVisible(on)
		d.nickLabel.SetVisible(on)
		if on {
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
		err := func() error {
			if register {
				if err := chat.Register(ctx, cfg, nick); err != nil {
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
			if err != nil {
				d.setMessage(d.c.errorText(err))
				d.focusFirstEmpty()
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
