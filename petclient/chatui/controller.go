// Package chatui is the chat's GTK layer: the menu section, the pets'
// speech bubbles, the chat window, the login dialog and notifications, on
// top of the toolkit-free petclient/chat client. Everything here runs on
// the GTK main thread; the client's events and every blocking call
// (connecting, requests, the credentials store, the hosted server) go
// through goroutines and come back with glib.IdleAdd.
package chatui

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/chat/credentials"
	"github.com/tachikoma-pet/tachikoma/petclient/chatui/bubbles"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
	"github.com/tachikoma-pet/tachikoma/petclient/hosting"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/notify"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// Options come from the command line; the rest is in the settings.
type Options struct {
	Server   string // overrides chat.server for this run
	User     string // overrides chat.user for this run
	Password string // from $TACHIKOMA_PASSWORD; empty: remembered login or the dialog
	TLS      chat.TLSOptions
	// ControlFile is a test hook: commands appended to it are run (see control.go).
	ControlFile string
	Logger      *slog.Logger
}

// Controller ties the chat client to the pet app. GTK thread only, except
// where noted.
type Controller struct {
	app  *desktop.App
	opts Options
	log  *slog.Logger

	clientID string
	stateDir string
	creds    *credentials.Store // nil until opened (off the GTK thread)

	client   *chat.Client
	cfg      chat.Config
	removeEv func()
	status   chat.Status
	held     int // messages silenced since the pet last spoke freely
	err      error
	loggedIn bool // a client exists (connected or trying)

	host    *hosting.Host
	hosting bool // starting or running the in-process server

	bubbles  map[int]*bubble
	bubbled  int
	commands map[string]func(args string) string
	win      *chatWindow
	login    *loginDialog

	ctx    context.Context // cancelled by Close: ends background work
	cancel context.CancelFunc
}

// Attach starts the chat for app: called from desktop.Options.OnStart.
func Attach(app *desktop.App, opts Options) *Controller {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Controller{app: app, opts: opts, log: opts.Logger.With("component", "chat"), bubbles: map[int]*bubble{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.stateDir = stateDir(c.log)
	c.clientID = loadClientID(c.stateDir, c.log)
	app.Menus().Add("chat", menu.OrderChat, menu.Everywhere, menu.SectionFunc(c.menuItems))
	app.OnPetsChanged(func(pets []desktop.PetInfo) {
		for id, b := range c.bubbles {
			if !slices.ContainsFunc(pets, func(p desktop.PetInfo) bool { return p.ID == id }) {
				b.destroy() // the pet was dismissed
				delete(c.bubbles, id)
				continue
			}
			b.petsChanged()
		}
		c.writeState()
	})
	if opts.ControlFile != "" {
		go c.watchControl(opts.ControlFile)
	}
	c.writeState()
	go c.boot()
	return c
}

// Close ends the chat (after the GTK main loop stopped): the client
// disconnects, the hosted server stops.
func (c *Controller) Close() {
	c.cancel()
	if c.removeEv != nil {
		c.removeEv()
	}
	if c.client != nil {
		c.client.Close()
	}
	if c.host != nil {
		c.host.Close()
	}
}

func (c *Controller) settings() settings.ChatSettings { return c.app.Settings().Chat }

// boot (goroutine) picks how to log in: the flags' or the settings' server
// with a password from the environment or the remembered login, or the
// in-process server for a fresh install.
func (c *Controller) boot() {
	creds, err := credentials.Open(credentials.Options{Logger: c.log})
	if err != nil {
		c.log.Warn("no credentials store; logins are not remembered", "err", err)
	}
	set := c.onGTK(func() any { return c.settings() }).(settings.ChatSettings)
	glib.IdleAdd(func() { c.creds = creds })
	server, user := c.opts.Server, c.opts.User
	if server == "" {
		server, user = set.Server, cmpOr(user, set.User)
	}
	if server == "" {
		c.startHosting(creds, set.HostOnLAN)
		return
	}
	cfg := c.config(server, user, c.opts.Password)
	if cfg.Password == "" && user != "" && creds != nil {
		if srv, err := chat.ParseServer(server); err == nil {
			cfg.Password, _ = creds.Load(credentials.Account(srv.String(), user))
		}
	}
	if user == "" || cfg.Password == "" {
		glib.IdleAdd(func() { c.showLogin(server, user, "") })
		return
	}
	glib.IdleAdd(func() { c.adopt(cfg, nil) })
}

func (c *Controller) startHosting(creds *credentials.Store, lan bool) {
	glib.IdleAdd(func() { c.hosting = true; c.app.Menus().Invalidate() })
	h, err := hosting.Start(c.ctx, hosting.Options{Credentials: creds, ShareOnLAN: lan, Logger: c.log})
	glib.IdleAdd(func() {
		if err != nil {
			c.hosting = false
			c.log.Error("cannot host a chat server on this computer", "err", err)
			c.showLogin("", "", c.errorText(err))
			return
		}
		if c.ctx.Err() != nil {
			h.Close()
			return
		}
		c.host = h
		cfg := h.ClientConfig(c.clientID)
		cfg.StateDir = c.stateDir
		c.log.Info("hosting chat on this computer", "server", cfg.Server, "user", cfg.User)
		c.adopt(cfg, nil)
	})
}

func (c *Controller) config(server, user, password string) chat.Config {
	return chat.Config{Server: server, User: user, Password: password, ClientID: c.clientID,
		StateDir: c.stateDir, TLS: c.opts.TLS}
}

// adopt makes cl (already connected) or a new client for cfg the current
// one. GTK thread.
func (c *Controller) adopt(cfg chat.Config, cl *chat.Client) {
	c.dropClient()
	if cl == nil {
		var err error
		cl, err = chat.New(cfg, c.log)
		if err != nil {
			c.log.Error("chat client", "err", err)
			c.showLogin(cfg.Server, cfg.User, c.errorText(err))
			return
		}
		defer cl.Start()
	}
	c.client, c.cfg, c.loggedIn = cl, cfg, true
	c.status, c.err = cl.Status()
	c.removeEv = cl.OnEvent(func(ev chat.Event) { glib.IdleAdd(func() { c.onEvent(cl, ev) }) })
	c.log.Info("chat account", "server", cfg.Server, "user", cfg.User)
	c.app.Menus().Invalidate()
	if c.win != nil {
		c.win.reload()
	}
	c.writeState()
}

func (c *Controller) dropClient() {
	if c.removeEv != nil {
		c.removeEv()
		c.removeEv = nil
	}
	if c.client != nil {
		old := c.client
		go old.Close() // waits for its goroutines: not on the GTK thread
	}
	c.client, c.loggedIn, c.status, c.err = nil, false, chat.StatusOffline, nil
}

// logout forgets the login (and the remembered password), and asks the
// server to end the resume token, which would otherwise log in for 30 days.
func (c *Controller) logout() {
	cfg := c.cfg
	if old := c.client; old != nil {
		c.client = nil // dropClient must not close it before the revocation
		log := c.log
		go func() { // waits for the server: not on the GTK thread
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := old.RevokeToken(ctx); err != nil {
				log.Warn("log out: the server did not end the resume token", "err", err)
			}
			old.Close()
		}()
	}
	c.dropClient()
	if c.host == nil { // the hosted account's password belongs to hosting
		c.forget(cfg.Server, cfg.User)
	}
	if c.win != nil {
		c.win.close()
	}
	c.app.Menus().Invalidate()
	c.writeState()
}

func (c *Controller) onEvent(cl *chat.Client, ev chat.Event) {
	if cl != c.client {
		return // a late event from a client already replaced
	}
	switch ev.Type {
	case chat.EventStatus:
		c.status, c.err = ev.Status, ev.Err
		c.log.Debug("chat status", "status", ev.Status, "err", ev.Err)
		c.app.Menus().Invalidate()
		if errors.Is(ev.Err, chat.ErrAuth) && c.host == nil {
			c.showLogin(c.cfg.Server, c.cfg.User, c.errorText(ev.Err))
		}
	case chat.EventMessage:
		c.onMessage(ev)
	case chat.EventFriendRequest:
		c.announce(c.app.Lang().F(i18n.ChatRequestFrom, cmpOr(ev.Nick, ev.User)))
	case chat.EventRoomInvite:
		c.announce(c.app.Lang().F(i18n.ChatRoomInvited, cmpOr(ev.Nick, ev.User), cmpOr(ev.Text, ev.Room)))
	case chat.EventConversations:
		c.app.Menus().Invalidate()
	case chat.EventToken:
		c.remember(c.cfg.Server, c.cfg.User, ev.Text, true)
	}
	if c.win != nil {
		c.win.onEvent(ev)
	}
	c.writeState()
}

func (c *Controller) onMessage(ev chat.Event) {
	m := ev.Message
	if m == nil || m.Own {
		return // own messages never make the pet speak
	}
	set := c.settings()
	if c.win != nil && c.win.visible() && c.win.conv == ev.Conv {
		c.client.MarkRead(ev.Conv)
	}
	if ev.DM && set.Notifications && (c.win == nil || !c.win.visible()) {
		notify.Send(c.app.Lang().F(i18n.ChatNotifyDM, nickOf(m)), m.Text, c.log)
	}
	if set.IsMuted(ev.Conv) {
		return
	}
	if set.Silent(time.Now()) {
		c.hold() // still unread: the chat window keeps it, the pet tells later
		return
	}
	b := c.pickBubble()
	if b == nil {
		return
	}
	if ev.DM || ev.Mention {
		c.app.Surprise(b.petID)
	}
	b.say(bubbles.NewItem(ev.Conv, nickOf(m), m.Text))
}

// announce makes a pet say something the user should answer (a friend
// request, an invitation); clicking it opens the chat window.
func (c *Controller) announce(text string) {
	if c.settings().Silent(time.Now()) {
		return
	}
	if b := c.pickBubble(); b != nil {
		c.app.Surprise(b.petID)
		b.say(bubbles.NewItem("", c.app.Lang().T(i18n.TrayTooltip), text))
	}
}

// Pin makes pet id say text in a bubble that stays until clicked (a
// reminder), after any bubble it is saying now. Do-not-disturb does not
// silence it: the user asked for it. It reports whether the pet exists.
func (c *Controller) Pin(id int, from, text string) bool {
	if _, ok := c.pet(id); !ok {
		return false
	}
	b := c.bubbles[id]
	if b == nil {
		b = newBubble(c, id)
		c.bubbles[id] = b
	}
	it := bubbles.NewItem("", from, text)
	it.Sticky = true
	b.say(it)
	return true
}

// AddCommand lets the user type "/name args" in the chat window to run f
// instead of sending a message (e.g. /remind 20m tea); f's answer shows in
// the window's status line.
func (c *Controller) AddCommand(name string, f func(args string) string) {
	if c.commands == nil {
		c.commands = map[string]func(string) string{}
	}
	c.commands[name] = f
}

// runCommand runs text if it is a registered "/name ..." command.
func (c *Controller) runCommand(text string) (string, bool) {
	name, args, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	f := c.commands[name]
	if !strings.HasPrefix(text, "/") || f == nil {
		return "", false
	}
	return f(strings.TrimSpace(args)), true
}

func nickOf(m *chat.Message) string { return cmpOr(m.Nick, m.From) }

// pickBubble is the visible pet with the fewest bubbles to say, so
// several pets share a busy room.
func (c *Controller) pickBubble() *bubble {
	var best *bubble
	load := 1 << 30
	for _, info := range c.app.Pets() {
		if !info.Visible {
			continue
		}
		b := c.bubbles[info.ID]
		if b == nil {
			b = newBubble(c, info.ID)
			c.bubbles[info.ID] = b
		}
		n := b.q.Waiting()
		if b.w.Showing() {
			n++
		}
		if n < load {
			best, load = b, n
		}
	}
	return best
}

func (c *Controller) pet(id int) (desktop.PetInfo, bool) {
	for _, p := range c.app.Pets() {
		if p.ID == id {
			return p, true
		}
	}
	return desktop.PetInfo{}, false
}

// remember (GTK thread) saves the login off the GTK thread when asked to.
func (c *Controller) remember(server, user, secret string, onlyIfRemembered bool) {
	if c.creds == nil || user == "" || secret == "" || c.host != nil || !c.settings().Remember {
		return
	}
	creds := c.creds
	go func() {
		srv, err := chat.ParseServer(server)
		if err != nil {
			return
		}
		acct := credentials.Account(srv.String(), user)
		if onlyIfRemembered {
			if old, _ := creds.Load(acct); old == "" {
				return
			}
		}
		if err := creds.Save(acct, secret); err != nil {
			c.log.Warn("cannot remember the login", "err", err)
		}
	}()
}

// forget deletes a remembered login, off the GTK thread.
func (c *Controller) forget(server, user string) {
	creds := c.creds
	if creds == nil || user == "" {
		return
	}
	go func() {
		if srv, err := chat.ParseServer(server); err == nil {
			if err := creds.Delete(credentials.Account(srv.String(), user)); err != nil {
				c.log.Debug("forgetting the login", "err", err)
			}
		}
	}()
}

// --- menu ---

func (c *Controller) menuItems(ctx menu.Context) []menu.Item {
	l := ctx.Lang
	set := c.settings()
	var items []menu.Item
	status := l.T(i18n.ChatStatusLoggedOut)
	if c.loggedIn {
		switch c.status {
		case chat.StatusOnline:
			status = l.F(i18n.ChatStatusOnline, c.cfg.User)
		case chat.StatusConnecting:
			status = l.T(i18n.ChatStatusConnecting)
		default:
			status = l.T(i18n.ChatStatusOffline)
			if c.err != nil {
				status += " — " + c.errorText(c.err)
			}
		}
	} else if c.hosting {
		status = l.T(i18n.ChatStatusConnecting)
	}
	items = append(items, menu.Item{ID: "chat.status", Label: status, Disabled: true})
	open := l.T(i18n.ChatOpen)
	if c.client != nil {
		if n := c.client.UnreadTotal(); n > 0 {
			open = l.F(i18n.ChatOpenUnread, n)
		}
	}
	items = append(items, menu.Item{ID: "chat.open", Label: open, Disabled: c.client == nil, Activate: func() { c.openChat("") }})
	if c.loggedIn {
		items = append(items, menu.Item{ID: "chat.logout", Label: l.T(i18n.ChatLogout), Activate: c.logout})
	} else {
		items = append(items, menu.Item{ID: "chat.login", Label: l.T(i18n.ChatLogin), Activate: func() { c.showLogin("", "", "") }})
	}
	items = append(items, menu.Item{ID: "chat.dnd", Label: l.T(i18n.ChatDND), Kind: menu.Check, Checked: set.DoNotDisturb,
		Activate: func() { c.setDND(!c.settings().DoNotDisturb) }})
	// Always there (insensitive unless this pet hosts the server), so the
	// menu keeps its shape while the chat starts.
	sharing := c.host != nil && c.host.Sharing()
	items = append(items, menu.Item{ID: "chat.host", Label: l.T(i18n.ChatHost), Kind: menu.Check, Checked: sharing,
		Disabled: c.host == nil, Activate: func() { c.shareOnLAN(!sharing) }})
	if c.host != nil {
		if sharing {
			addrs := c.host.LANAddresses()
			if len(addrs) == 0 {
				items = append(items, menu.Item{ID: "chat.host.addr", Label: l.T(i18n.ChatHostNoLAN), Disabled: true})
			}
			for i, a := range addrs {
				if i == 2 {
					break
				}
				items = append(items, menu.Item{ID: "chat.host.addr." + itoa(i), Label: l.F(i18n.ChatHostAddr, a), Disabled: true})
			}
			if len(addrs) > 0 {
				addr := addrs[0]
				items = append(items, menu.Item{ID: "chat.host.copy", Label: l.T(i18n.ChatHostCopy), Activate: func() { copyText(addr) }})
			}
		}
	}
	return items
}

func (c *Controller) setDND(on bool) {
	c.app.UpdateSettings(func(s *settings.Settings) { s.Chat.DoNotDisturb = on })
	if on {
		for _, b := range c.bubbles {
			b.clear()
		}
	} else {
		c.tellHeld()
	}
	c.app.Menus().Invalidate()
	c.writeState()
}

// setMuted mutes or unmutes bubbles for conv.
func (c *Controller) setMuted(conv string, on bool) {
	c.app.UpdateSettings(func(s *settings.Settings) {
		m := slices.DeleteFunc(slices.Clone(s.Chat.Muted), func(x string) bool { return x == conv })
		if on {
			m = append(m, conv)
		}
		s.Chat.Muted = m
	})
}

func (c *Controller) shareOnLAN(on bool) {
	h := c.host
	if h == nil {
		return
	}
	go func() {
		err := h.ShareOnLAN(on)
		glib.IdleAdd(func() {
			if err != nil {
				c.log.Error("cannot change LAN sharing", "err", err)
				return
			}
			c.app.UpdateSettings(func(s *settings.Settings) { s.Chat.HostOnLAN = on })
			c.app.Menus().Invalidate()
			c.writeState()
		})
	}()
}

func copyText(s string) {
	if cb, err := gtk.ClipboardGet(gdk.SELECTION_CLIPBOARD); err == nil {
		cb.SetText(s)
	}
}

// openChat shows the chat window, on conv when given.
func (c *Controller) openChat(conv string) {
	if c.client == nil {
		c.showLogin("", "", "")
		return
	}
	if c.win == nil {
		c.win = newChatWindow(c)
	}
	c.win.present()
	if conv != "" {
		c.win.open(conv)
	}
	c.writeState()
}

// errorText words a chat error for people, in the app's language.
func (c *Controller) errorText(err error) string { return errorText(c.app.Lang(), err) }

func errorText(l i18n.Lang, err error) string {
	var ce *chat.Error
	msg := err.Error()
	if errors.As(err, &ce) && ce.Msg != "" {
		msg = ce.Msg
	}
	switch {
	case errors.Is(err, chat.ErrAuth):
		return l.T(i18n.ChatErrAuth)
	case errors.Is(err, chat.ErrNameTaken):
		return l.T(i18n.ChatErrTaken)
	case errors.Is(err, chat.ErrInvalid):
		return l.F(i18n.ChatErrInvalid, msg)
	case errors.Is(err, chat.ErrTooMany):
		return l.T(i18n.ChatErrTooMany)
	case errors.Is(err, chat.ErrRegistrationOff):
		return l.T(i18n.ChatErrRegOff)
	case errors.Is(err, chat.ErrPending):
		return l.T(i18n.ChatErrPending)
	case errors.Is(err, chat.ErrInviteNeeded):
		return l.T(i18n.ChatErrInviteNeeded)
	case errors.Is(err, chat.ErrInviteInvalid):
		return l.T(i18n.ChatErrInviteInvalid)
	case errors.Is(err, chat.ErrInviteExpired):
		return l.T(i18n.ChatErrInviteExpired)
	case errors.Is(err, chat.ErrInviteUsedUp):
		return l.T(i18n.ChatErrInviteUsedUp)
	case errors.Is(err, chat.ErrUnreachable):
		return l.T(i18n.ChatErrUnreachable)
	case errors.Is(err, chat.ErrTLS):
		return l.F(i18n.ChatErrTLS, msg)
	case errors.Is(err, chat.ErrBadURL):
		return l.F(i18n.ChatErrBadURL, msg)
	}
	return l.F(i18n.ChatErrOther, msg)
}

// --- test hook ---

func (c *Controller) writeState() {
	if !c.app.StateEnabled() {
		return
	}
	st := &statefile.Chat{Server: c.cfg.Server, User: c.cfg.User, Hosting: c.host != nil, Bubbled: c.bubbled}
	if c.loggedIn {
		st.Status = c.status.String()
	}
	if c.host != nil && c.host.Sharing() {
		st.Sharing, st.LAN = true, c.host.LANAddresses()
	}
	if cl := c.client; cl != nil {
		st.Unread = cl.UnreadTotal()
		in, _ := cl.FriendRequests()
		for _, p := range in {
			st.Incoming = append(st.Incoming, p.User)
		}
		for _, f := range cl.Friends() {
			st.Friends = append(st.Friends, f.User)
		}
		st.Outbox = len(cl.Outbox())
	}
	ids := make([]int, 0, len(c.bubbles))
	for id := range c.bubbles {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b := c.bubbles[id]
		bs := statefile.Bubble{PetID: id, Conv: b.last.Conv, From: b.last.From, Text: b.last.Text, Sticky: b.last.Sticky,
			Visible: b.w.Visible(), Queue: b.q.Waiting(), XID: b.xid}
		if bs.Visible {
			p := b.w.Place()
			bs.X, bs.Y, bs.W, bs.H = p.Win.Min.X, p.Win.Min.Y, p.Win.Dx(), p.Win.Dy()
		}
		if b.drawn.Labels > 0 {
			bs.Drawn = b.drawn
			bs.TextX, bs.TextY, bs.TextW, bs.TextH = b.drawnText.Min.X, b.drawnText.Min.Y, b.drawnText.Dx(), b.drawnText.Dy()
		}
		st.Bubbles = append(st.Bubbles, bs)
	}
	if c.win != nil {
		st.WindowOpen = c.win.visible()
		st.WindowConv = c.win.conv
		st.WindowMsgs = len(c.win.msgs[c.win.conv])
	}
	if c.login != nil {
		st.LoginOpen = true
		st.LoginMsg = c.login.message()
	}
	c.app.SetChatState(st)
}

// --- helpers ---

// onGTK runs f on the GTK thread and waits for its result (goroutines only).
func (c *Controller) onGTK(f func() any) any {
	ch := make(chan any, 1)
	glib.IdleAdd(func() { ch <- f() })
	return <-ch
}

// stateDir is $XDG_STATE_HOME/tachikoma/chat (outbox, read markers, the
// client id); "" without a home, so nothing is kept, with the reason logged.
func stateDir(log *slog.Logger) string {
	d, err := xdgdir.State.Path("chat")
	if err != nil {
		log.Warn("chat state is not kept across restarts", "err", err)
		return ""
	}
	return d
}

// loadClientID reads this installation's client id, making it once: the
// broker ties persistent sessions (offline messages) to it.
func loadClientID(dir string, log *slog.Logger) string {
	if dir == "" {
		return chat.NewClientID()
	}
	path := filepath.Join(dir, "client-id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id
		}
	}
	id := chat.NewClientID()
	if err := os.MkdirAll(dir, 0o700); err == nil {
		err = os.WriteFile(path, []byte(id+"\n"), 0o600)
		if err != nil {
			log.Warn("cannot keep the client id", "path", path, "err", err)
		}
	}
	return id
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func itoa(n int) string { return strconv.Itoa(n) }

// heldCheck is how often the pet looks whether quiet hours are over.
const heldCheck = time.Minute

// hold counts a message silenced by do-not-disturb or quiet hours.
func (c *Controller) hold() {
	c.held++
	if c.held == 1 {
		glib.TimeoutAdd(uint(heldCheck/time.Millisecond), func() bool {
			c.tellHeld()
			return c.held > 0
		})
	}
}

// tellHeld says how many messages came while silenced, once silence ends.
func (c *Controller) tellHeld() {
	if c.held == 0 || c.settings().Silent(time.Now()) {
		return
	}
	n := c.held
	c.held = 0
	c.announce(c.app.Lang().F(i18n.ChatHeld, n))
}
