package chatui

import (
	"context"
	"strings"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// friendsDialog: add a friend by user name, answer incoming requests,
// remove friends. It refills itself on chat events.
type friendsDialog struct {
	w    *chatWindow
	dlg  *gtk.Dialog
	list *gtk.Box
}

func (w *chatWindow) showFriends() {
	if w.friends != nil {
		w.friends.dlg.Present()
		return
	}
	l := w.c.app.Lang()
	d := &friendsDialog{w: w}
	d.dlg, d.list = w.newListDialog(l.T(i18n.ChatFriends), l.T(i18n.ChatFriendUser), l.T(i18n.ChatAddFriend),
		func(e *gtk.Entry, user string) {
			w.do(func(ctx context.Context, cl *chat.Client) error {
				_, err := cl.FriendRequest(ctx, user)
				return err
			}, func() {
				e.SetText("")
				w.statusBar.SetText(l.F(i18n.ChatRequested, user))
				d.fill()
			})
		},
		func() {
			if w.friends == d {
				w.friends = nil
			}
		})
	w.friends = d
	d.fill()
	d.dlg.ShowAll()
}

// newListDialog builds what the friends and rooms dialogs share: an entry
// with a button that submits its trimmed, non-empty text, and a scrolled list
// below. The dialog destroys itself on any response.
func (w *chatWindow) newListDialog(title, placeholder, button string, submit func(e *gtk.Entry, text string), destroyed func()) (*gtk.Dialog, *gtk.Box) {
	dlg, _ := gtk.DialogNew()
	dlg.SetTitle(title)
	dlg.SetTransientFor(w.win)
	dlg.SetDefaultSize(360, 400)
	area, _ := dlg.GetContentArea()
	add, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
	e, _ := gtk.EntryNew()
	e.SetPlaceholderText(placeholder)
	b, _ := gtk.ButtonNewWithLabel(button)
	send := func() {
		text, _ := e.GetText()
		if text = strings.TrimSpace(text); text != "" {
			submit(e, text)
		}
	}
	e.Connect("activate", send)
	b.Connect("clicked", send)
	add.PackStart(e, true, true, 0)
	add.PackStart(b, false, false, 0)
	area.PackStart(add, false, false, 6)
	sc, _ := gtk.ScrolledWindowNew(nil, nil)
	list, _ := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 4)
	sc.Add(list)
	area.PackStart(sc, true, true, 0)
	dlg.Connect("response", func() { dlg.Destroy() })
	dlg.Connect("destroy", destroyed)
	return dlg, list
}

// clearChildren destroys every child of a container (a list, a box).
func clearChildren(c interface{ GetChildren() *glib.List }) {
	c.GetChildren().Foreach(func(item any) {
		if wd, ok := item.(*gtk.Widget); ok {
			wd.Destroy()
		}
	})
}

func (d *friendsDialog) fill() {
	w, l := d.w, d.w.c.app.Lang()
	clearChildren(d.list)
	cl := w.c.client
	if cl == nil {
		return
	}
	row := func(text string, buttons ...*gtk.Button) {
		b, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
		lb, _ := gtk.LabelNew(text)
		lb.SetXAlign(0)
		b.PackStart(lb, true, true, 0)
		for _, bt := range buttons {
			b.PackEnd(bt, false, false, 0)
		}
		d.list.PackStart(b, false, false, 0)
	}
	btn := func(label string, call func(ctx context.Context, cl *chat.Client) error) *gtk.Button {
		b, _ := gtk.ButtonNewWithLabel(label)
		b.Connect("clicked", func() { w.do(call, d.fill) })
		return b
	}
	in, out := cl.FriendRequests()
	for _, p := range in {
		user := p.User
		row(l.F(i18n.ChatRequestFrom, cmpOr(p.Nick, p.User)),
			btn(l.T(i18n.ChatDecline), func(ctx context.Context, cl *chat.Client) error { return cl.FriendDecline(ctx, user) }),
			btn(l.T(i18n.ChatAccept), func(ctx context.Context, cl *chat.Client) error { return cl.FriendAccept(ctx, user) }))
	}
	for _, p := range out {
		row(l.F(i18n.ChatRequested, cmpOr(p.Nick, p.User)))
	}
	for _, f := range cl.Friends() {
		user := f.User
		dot := "○ "
		if f.Online {
			dot = "● "
		}
		open, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatOpen))
		open.Connect("clicked", func() { w.open(chat.DMConv(user)) })
		row(dot+cmpOr(f.Nick, f.User)+" ("+f.User+")", open,
			btn(l.T(i18n.ChatFriendRemove), func(ctx context.Context, cl *chat.Client) error { return cl.FriendRemove(ctx, user) }))
	}
	d.list.ShowAll()
}

// roomsDialog: create a room, join public rooms and invitations.
type roomsDialog struct {
	w    *chatWindow
	dlg  *gtk.Dialog
	list *gtk.Box
}

func (w *chatWindow) showRooms() {
	if w.rooms != nil {
		w.rooms.dlg.Present()
		return
	}
	l := w.c.app.Lang()
	d := &roomsDialog{w: w}
	d.dlg, d.list = w.newListDialog(l.T(i18n.ChatRooms), l.T(i18n.ChatRoomName), l.T(i18n.ChatRoomCreate),
		func(e *gtk.Entry, name string) {
			name = strings.ToLower(name)
			w.do(func(ctx context.Context, cl *chat.Client) error {
				_, err := cl.RoomCreate(ctx, name, name, true)
				return err
			}, func() {
				e.SetText("")
				w.open(chat.RoomConv(name))
				d.refresh()
			})
		},
		func() {
			if w.rooms == d {
				w.rooms = nil
			}
		})
	w.rooms = d
	d.refresh()
	d.dlg.ShowAll()
}

// refresh asks the server for the room list.
func (d *roomsDialog) refresh() {
	var rooms []topics.RoomInfo
	d.w.do(func(ctx context.Context, cl *chat.Client) (err error) {
		rooms, err = cl.RoomList(ctx)
		return err
	}, func() {
		if d.w.rooms != d {
			return // closed meanwhile
		}
		d.fill(rooms)
	})
}

func (d *roomsDialog) fill(rooms []topics.RoomInfo) {
	w, l := d.w, d.w.c.app.Lang()
	clearChildren(d.list)
	for _, r := range rooms {
		room := r.Room
		b, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
		text := "# " + cmpOr(r.Title, r.Room)
		if r.Invited {
			text += " ✉"
		}
		lb, _ := gtk.LabelNew(text)
		lb.SetXAlign(0)
		b.PackStart(lb, true, true, 0)
		if r.Member {
			open, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatOpen))
			open.Connect("clicked", func() { w.open(chat.RoomConv(room)) })
			b.PackEnd(open, false, false, 0)
		} else {
			join, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatRoomJoin))
			join.Connect("clicked", func() {
				w.do(func(ctx context.Context, cl *chat.Client) error { return cl.RoomJoin(ctx, room) }, func() {
					w.open(chat.RoomConv(room))
					d.refresh()
				})
			})
			b.PackEnd(join, false, false, 0)
		}
		d.list.PackStart(b, false, false, 0)
	}
	d.list.ShowAll()
}
