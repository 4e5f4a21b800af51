package chatui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

const historyPage = 50

// chatWindow is the chat window: conversations on the left, the open
// conversation's messages and the input on the right. Closing destroys it
// (Controller.win becomes nil); opening again builds a new one.
type chatWindow struct {
	c   *Controller
	win *gtk.Window

	convList  *gtk.ListBox
	filling   bool // rebuilding the list: ignore selection signals
	title     *gtk.Label
	actions   *gtk.Box
	msgBox    *gtk.Box
	scroll    *gtk.ScrolledWindow
	input     *gtk.TextView
	statusBar *gtk.Label

	conv    string
	msgs    map[string][]chat.Message // loaded messages per conversation, oldest first
	loading map[string]bool
	noMore  map[string]bool
	// scroll bookkeeping for after the next layout
	stickBottom bool
	keepFromEnd float64 // >0: keep this distance from the bottom (older page prepended)

	friends *friendsDialog
	rooms   *roomsDialog
}

func newChatWindow(c *Controller) *chatWindow {
	w := &chatWindow{c: c, msgs: map[string][]chat.Message{}, loading: map[string]bool{}, noMore: map[string]bool{}}
	l := c.app.Lang()
	win, _ := gtk.WindowNew(gtk.WINDOW_TOPLEVEL)
	w.win = win
	win.SetTitle(l.T(i18n.ChatWindowTitle))
	win.SetDefaultSize(760, 520)
	win.Connect("destroy", func() {
		if c.win == w {
			c.win = nil
		}
		if w.friends != nil {
			w.friends.dlg.Destroy()
		}
		if w.rooms != nil {
			w.rooms.dlg.Destroy()
		}
		c.writeState()
	})

	paned, _ := gtk.PanedNew(gtk.ORIENTATION_HORIZONTAL)
	win.Add(paned)

	left, _ := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 4)
	left.SetSizeRequest(230, -1)
	sl, _ := gtk.ScrolledWindowNew(nil, nil)
	sl.SetPolicy(gtk.POLICY_NEVER, gtk.POLICY_AUTOMATIC)
	w.convList, _ = gtk.ListBoxNew()
	w.convList.Connect("row-selected", func(_ *gtk.ListBox, row *gtk.ListBoxRow) {
		if w.filling || row == nil {
			return
		}
		if name, err := row.GetName(); err == nil && name != "" && name != w.conv {
			w.open(name)
		}
	})
	sl.Add(w.convList)
	left.PackStart(sl, true, true, 0)
	btns, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
	fb, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatFriends))
	fb.Connect("clicked", func() { w.showFriends() })
	rb, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatRooms))
	rb.Connect("clicked", func() { w.showRooms() })
	btns.PackStart(fb, true, true, 0)
	btns.PackStart(rb, true, true, 0)
	left.PackStart(btns, false, false, 4)
	paned.Pack1(left, false, false)

	right, _ := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 4)
	right.SetBorderWidth(6)
	head, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 6)
	w.title, _ = gtk.LabelNew("")
	w.title.SetHAlign(gtk.ALIGN_START)
	head.PackStart(w.title, true, true, 0)
	w.actions, _ = gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
	head.PackEnd(w.actions, false, false, 0)
	right.PackStart(head, false, false, 0)

	w.scroll, _ = gtk.ScrolledWindowNew(nil, nil)
	w.scroll.SetPolicy(gtk.POLICY_NEVER, gtk.POLICY_AUTOMATIC)
	w.msgBox, _ = gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 6)
	w.msgBox.SetBorderWidth(4)
	w.scroll.Add(w.msgBox)
	adj := w.scroll.GetVAdjustment()
	adj.Connect("changed", func() {
		switch {
		case w.keepFromEnd > 0:
			adj.SetValue(adj.GetUpper() - w.keepFromEnd)
			w.keepFromEnd = 0
		case w.stickBottom:
			adj.SetValue(adj.GetUpper() - adj.GetPageSize())
			w.stickBottom = false
		}
	})
	adj.Connect("value-changed", func() {
		// at the top: fetch the page before the oldest message shown
		if adj.GetValue() <= 0 && adj.GetUpper() > adj.GetPageSize() {
			w.loadOlder()
		}
	})
	right.PackStart(w.scroll, true, true, 0)

	in, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
	si, _ := gtk.ScrolledWindowNew(nil, nil)
	si.SetPolicy(gtk.POLICY_NEVER, gtk.POLICY_AUTOMATIC)
	si.SetSizeRequest(-1, 56)
	w.input, _ = gtk.TextViewNew()
	w.input.SetWrapMode(gtk.WRAP_WORD_CHAR)
	w.input.Connect("key-press-event", func(_ *gtk.TextView, ev *gdk.Event) bool {
		k := gdk.EventKeyNewFromEvent(ev)
		if (k.KeyVal() == gdk.KEY_Return || k.KeyVal() == gdk.KEY_KP_Enter) && k.State()&uint(gdk.SHIFT_MASK) == 0 {
			w.send()
			return true // Shift+Enter falls through: a new line
		}
		return false
	})
	si.Add(w.input)
	in.PackStart(si, true, true, 0)
	send, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatSend))
	send.Connect("clicked", w.send)
	in.PackStart(send, false, false, 0)
	right.PackStart(in, false, false, 0)
	w.statusBar, _ = gtk.LabelNew("")
	w.statusBar.SetHAlign(gtk.ALIGN_START)
	right.PackStart(w.statusBar, false, false, 0)
	paned.Pack2(right, true, false)

	w.fillConversations()
	w.showConversation()
	return w
}

func (w *chatWindow) present() {
	w.win.ShowAll()
	w.win.Present()
}

func (w *chatWindow) visible() bool { return w.win.IsVisible() }

func (w *chatWindow) close() { w.win.Destroy() }

// reload after the account changed.
func (w *chatWindow) reload() {
	w.msgs, w.loading, w.noMore = map[string][]chat.Message{}, map[string]bool{}, map[string]bool{}
	w.conv = ""
	w.fillConversations()
	w.showConversation()
}

// do runs a blocking call off the GTK thread, then done (if any) on it; an
// error shows in the status line.
func (w *chatWindow) do(call func(ctx context.Context, cl *chat.Client) error, done func()) {
	cl := w.c.client
	if cl == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(w.c.ctx, 20*time.Second)
		defer cancel()
		err := call(ctx, cl)
		glib.IdleAdd(func() {
			if err != nil {
				w.c.log.Warn("chat request failed", "err", err)
				w.statusBar.SetText(w.c.errorText(err))
			} else {
				w.statusBar.SetText("")
			}
			if done != nil {
				done()
			}
			w.c.writeState()
		})
	}()
}

// open shows conv, loading its latest page the first time.
func (w *chatWindow) open(conv string) {
	w.conv = conv
	if cl := w.c.client; cl != nil {
		cl.MarkRead(conv)
	}
	w.fillConversations()
	w.showConversation()
	w.input.GrabFocus()
	if _, ok := w.msgs[conv]; !ok && !w.loading[conv] {
		w.loading[conv] = true
		var page []chat.Message
		w.do(func(ctx context.Context, cl *chat.Client) (err error) {
			page, err = cl.History(ctx, conv, 0, historyPage)
			return err
		}, func() {
			w.loading[conv] = false
			w.merge(conv, page)
			if len(page) < historyPage {
				w.noMore[conv] = true
			}
			if conv == w.conv {
				w.stickBottom = true
				w.renderMessages()
			}
		})
	}
	w.c.writeState()
}

func (w *chatWindow) loadOlder() {
	conv := w.conv
	have := w.msgs[conv]
	if conv == "" || len(have) == 0 || w.loading[conv] || w.noMore[conv] {
		return
	}
	w.loading[conv] = true
	before := have[0].ID
	var page []chat.Message
	w.do(func(ctx context.Context, cl *chat.Client) (err error) {
		page, err = cl.History(ctx, conv, before, historyPage)
		return err
	}, func() {
		w.loading[conv] = false
		if len(page) < historyPage {
			w.noMore[conv] = true
		}
		if len(page) == 0 || conv != w.conv {
			w.merge(conv, page)
			return
		}
		adj := w.scroll.GetVAdjustment()
		w.keepFromEnd = max(adj.GetUpper()-adj.GetValue(), 1)
		w.merge(conv, page)
		w.renderMessages()
	})
}

// merge adds messages (any order) to conv's list, without duplicates.
func (w *chatWindow) merge(conv string, ms []chat.Message) {
	list := w.msgs[conv]
	seen := make(map[int64]bool, len(list))
	for _, m := range list {
		seen[m.ID] = true
	}
	for _, m := range ms {
		if !seen[m.ID] {
			seen[m.ID] = true
			list = append(list, m)
		}
	}
	slices.SortFunc(list, func(a, b chat.Message) int { return int(a.ID - b.ID) })
	w.msgs[conv] = list
}

func (w *chatWindow) send() {
	buf, _ := w.input.GetBuffer()
	start, end := buf.GetBounds()
	text, _ := buf.GetText(start, end, false)
	text = strings.TrimSpace(text)
	if reply, ok := w.c.runCommand(text); ok {
		buf.SetText("")
		w.statusBar.SetText(reply)
		return
	}
	cl := w.c.client
	if text == "" || w.conv == "" || cl == nil {
		return
	}
	if _, err := cl.Send(w.conv, text); err != nil {
		w.statusBar.SetText(err.Error())
		return
	}
	buf.SetText("")
	w.stickBottom = true
	w.renderMessages()
	w.c.writeState()
}

func (w *chatWindow) onEvent(ev chat.Event) {
	switch ev.Type {
	case chat.EventMessage:
		if _, loaded := w.msgs[ev.Conv]; loaded && ev.Message != nil {
			w.merge(ev.Conv, []chat.Message{*ev.Message})
		}
		if ev.Conv == w.conv {
			w.stickBottom = true
			w.renderMessages()
		}
	case chat.EventSendState:
		if ev.Conv == w.conv {
			w.renderMessages()
		}
	case chat.EventStatus:
		if ev.Err != nil {
			w.statusBar.SetText(w.c.errorText(ev.Err))
		} else {
			w.statusBar.SetText("")
		}
	}
	if cl := w.c.client; cl != nil && ev.Type == chat.EventConversations && goneElsewhere(w.conv, ev.Conv, cl.Conversation) {
		// Left on another device: nothing here to read or send to any more.
		w.conv = ""
		w.showConversation()
	}
	switch ev.Type {
	case chat.EventConversations, chat.EventPresence, chat.EventFriendAccepted, chat.EventFriendRemoved, chat.EventMessage:
		w.fillConversations()
	}
	if w.friends != nil {
		w.friends.fill()
	}
	if ev.Type == chat.EventNotice {
		w.statusBar.SetText(ev.Text)
	}
}

// goneElsewhere reports whether the open conversation is the changed one
// (changed "": many were) and the client no longer lists it: a room left
// on another device, or dropped by a list sync.
func goneElsewhere(open, changed string, lookup func(string) (chat.Conversation, bool)) bool {
	if open == "" || (changed != "" && changed != open) {
		return false
	}
	_, ok := lookup(open)
	return !ok
}

// fillConversations rebuilds the list on the left.
func (w *chatWindow) fillConversations() {
	cl := w.c.client
	w.filling = true
	defer func() { w.filling = false }()
	clearChildren(w.convList)
	if cl == nil {
		return
	}
	online := map[string]bool{}
	for _, f := range cl.Friends() {
		online[f.User] = f.Online
	}
	for _, cv := range cl.Conversations() {
		row, _ := gtk.ListBoxRowNew()
		row.SetName(cv.ID)
		var sb strings.Builder
		if cv.Kind == chat.ConvDM {
			colour := "#999999"
			if online[cv.Name] {
				colour = "#2eaa44"
			}
			fmt.Fprintf(&sb, `<span foreground="%s">●</span> `, colour)
		} else {
			sb.WriteString("# ")
		}
		sb.WriteString(glib.MarkupEscapeText(cmpOr(cv.Title, cv.Name)))
		if cv.Unread > 0 {
			fmt.Fprintf(&sb, `  <b>(%d)</b>`, cv.Unread)
		}
		if cv.Last != nil {
			last := []rune(strings.ReplaceAll(cv.Last.Text, "\n", " "))
			if len(last) > 40 {
				last = append(last[:40], '…')
			}
			fmt.Fprintf(&sb, "\n<small>%s: %s</small>", glib.MarkupEscapeText(nickOf(cv.Last)), glib.MarkupEscapeText(string(last)))
		}
		lb, _ := gtk.LabelNew("")
		lb.SetMarkup(sb.String())
		lb.SetHAlign(gtk.ALIGN_START)
		lb.SetXAlign(0)
		lb.SetMarginStart(6)
		lb.SetMarginTop(4)
		lb.SetMarginBottom(4)
		row.Add(lb)
		w.convList.Add(row)
		if cv.ID == w.conv {
			w.convList.SelectRow(row)
		}
	}
	w.convList.ShowAll()
}

// showConversation sets the header and actions for w.conv.
func (w *chatWindow) showConversation() {
	l := w.c.app.Lang()
	clearChildren(w.actions)
	kind, name, err := chat.ParseConv(w.conv)
	if err != nil {
		w.title.SetText(l.T(i18n.ChatNoConversation))
		w.renderMessages()
		return
	}
	title := name
	if cl := w.c.client; cl != nil {
		if cv, ok := cl.Conversation(w.conv); ok {
			title = cmpOr(cv.Title, cv.Name)
		}
	}
	w.title.SetMarkup("<b>" + glib.MarkupEscapeText(title) + "</b>")
	button := func(label string, f func()) {
		b, _ := gtk.ButtonNewWithLabel(label)
		b.Connect("clicked", f)
		w.actions.PackStart(b, false, false, 0)
	}
	conv := w.conv
	mute, _ := gtk.CheckButtonNewWithLabel(l.T(i18n.ChatMute))
	mute.SetActive(w.c.settings().IsMuted(conv))
	mute.Connect("toggled", func() { w.c.setMuted(conv, mute.GetActive()) })
	w.actions.PackStart(mute, false, false, 0)
	if kind == chat.ConvRoom {
		button(l.T(i18n.ChatRoomMembers), func() { w.showMembers(name) })
		button(l.T(i18n.ChatRoomInvite), func() {
			ask(w.win, l, l.T(i18n.ChatRoomInvite), l.T(i18n.ChatFriendUser), func(user string) {
				w.do(func(ctx context.Context, cl *chat.Client) error { return cl.RoomInvite(ctx, name, user) }, nil)
			})
		})
		if name != "lobby" {
			button(l.T(i18n.ChatRoomLeave), func() {
				w.do(func(ctx context.Context, cl *chat.Client) error { return cl.RoomLeave(ctx, name) }, func() {
					w.conv = ""
					w.fillConversations()
					w.showConversation()
				})
			})
		}
	} else {
		button(l.T(i18n.ChatFriendRemove), func() {
			w.do(func(ctx context.Context, cl *chat.Client) error { return cl.FriendRemove(ctx, name) }, func() {
				w.conv = ""
				w.fillConversations()
				w.showConversation()
			})
		})
	}
	w.actions.ShowAll()
	w.renderMessages()
}

// renderMessages rebuilds the message list from chat.Timeline: loaded
// history, then what is still on its way (pending, or failed with Retry /
// Discard), an echoed own message once.
func (w *chatWindow) renderMessages() {
	l := w.c.app.Lang()
	clearChildren(w.msgBox)
	cl := w.c.client
	if cl == nil || w.conv == "" {
		return
	}
	if !w.noMore[w.conv] && len(w.msgs[w.conv]) > 0 {
		older, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatOlder))
		older.SetRelief(gtk.RELIEF_NONE)
		older.Connect("clicked", w.loadOlder)
		w.msgBox.PackStart(older, false, false, 0)
	}
	for _, line := range chat.Timeline(w.conv, w.msgs[w.conv], cl.Outbox()) {
		own, text := true, ""
		if m := line.Msg; m != nil {
			own = m.Own
			text = fmt.Sprintf("<b>%s</b>  <small>%s</small>\n%s",
				glib.MarkupEscapeText(nickOf(m)), time.UnixMilli(m.TS).Format("15:04"), glib.MarkupEscapeText(m.Text))
		} else {
			text = glib.MarkupEscapeText(line.Out.Text)
		}
		o := line.Out
		if o == nil {
			w.addBubble(own, text, nil)
			continue
		}
		state := l.T(i18n.ChatPending)
		var extra *gtk.Box
		if o.State == chat.SendFailed {
			state = l.F(i18n.ChatFailed, o.Err)
			extra, _ = gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
			cid := o.CID
			retry, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatRetry))
			retry.Connect("clicked", func() { cl.Retry(cid); w.renderMessages() })
			discard, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatDiscard))
			discard.Connect("clicked", func() { cl.Discard(cid); w.renderMessages() })
			extra.PackEnd(discard, false, false, 0)
			extra.PackEnd(retry, false, false, 0)
		}
		w.addBubble(own, fmt.Sprintf("%s\n<small><i>%s</i></small>", text, glib.MarkupEscapeText(state)), extra)
	}
	w.msgBox.ShowAll()
}

func (w *chatWindow) addBubble(own bool, markup string, extra *gtk.Box) {
	lb, _ := gtk.LabelNew("")
	lb.SetMarkup(markup)
	lb.SetLineWrap(true)
	lb.SetLineWrapMode(2) // PANGO_WRAP_WORD_CHAR: long words and CJK wrap too
	lb.SetSelectable(true)
	lb.SetXAlign(0)
	lb.SetMaxWidthChars(60)
	box, _ := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 2)
	box.PackStart(lb, false, false, 0)
	if extra != nil {
		box.PackStart(extra, false, false, 0)
	}
	if own {
		box.SetHAlign(gtk.ALIGN_END) // own messages on the right
		lb.SetMarginEnd(6)
	} else {
		box.SetHAlign(gtk.ALIGN_START)
		lb.SetMarginStart(6)
	}
	w.msgBox.PackStart(box, false, false, 0)
}

func (w *chatWindow) showMembers(room string) {
	var members []string
	w.do(func(ctx context.Context, cl *chat.Client) error {
		ps, err := cl.RoomMembers(ctx, room)
		for _, p := range ps {
			members = append(members, cmpOr(p.Nickname, p.User)+" ("+p.User+")")
		}
		return err
	}, func() {
		m := gtk.MessageDialogNew(w.win, gtk.DIALOG_DESTROY_WITH_PARENT, gtk.MESSAGE_INFO, gtk.BUTTONS_NONE, "%s", strings.Join(members, "\n"))
		m.AddButton(w.c.app.Lang().T(i18n.DialogClose), gtk.RESPONSE_CLOSE)
		m.SetTitle(w.c.app.Lang().T(i18n.ChatRoomMembers))
		m.Connect("response", func() { m.Destroy() })
		m.ShowAll()
	})
}

// ask is a one-entry dialog; ok gets the trimmed text.
func ask(parent *gtk.Window, l i18n.Lang, title, label string, ok func(string)) {
	d, _ := gtk.DialogNew()
	d.SetTitle(title)
	d.SetTransientFor(parent)
	d.AddButton(l.T(i18n.ChatOK), gtk.RESPONSE_OK)
	d.SetDefaultResponse(gtk.RESPONSE_OK)
	area, _ := d.GetContentArea()
	lb, _ := gtk.LabelNew(label)
	e, _ := gtk.EntryNew()
	e.SetActivatesDefault(true)
	area.Add(lb)
	area.Add(e)
	d.Connect("response", func(_ *gtk.Dialog, r gtk.ResponseType) {
		if r == gtk.RESPONSE_OK {
			if s, _ := e.GetText(); strings.TrimSpace(s) != "" {
				ok(strings.TrimSpace(s))
			}
		}
		d.Destroy()
	})
	d.ShowAll()
}
