package chatui

import (
	"context"
	"strings"

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
	d.dlg, _ = gtk.DialogNew()
	d.dlg.SetTitle(l.T(i18n.ChatFriends))
	d.dlg.SetTransientFor(w.win)
	d.dlg.SetDefaultSize(360, 400)
	area, _ := d.dlg.GetContentArea()
	add, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
	e, _ := gtk.EntryNew()
	e.SetPlaceholderText(l.T(i18n.ChatFriendUser))
	ab, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatAddFriend))
	request := func() {
		user, _ := e.GetText()
		user = strings.TrimSpace(user)
		if user == "" {
			return
		}
		w.do(func(ctx context.Context, cl *chat.Client) error {
			_, err := cl.FriendRequest(ctx, user)
			return err
		}, func() {
			e.SetText("")
			w.statusBar.SetText(l.F(i18n.ChatRequested, user))
			d.fill()
		})
	}
	e.Connect("activate", request)
	ab.Connect("clicked", request)
	add.PackStart(e, true, true, 0)
	add.PackStart(ab, false, false, 0)
	area.PackStart(add, false, false, 6)
	sc, _ := gtk.ScrolledWindowNew(nil, nil)
	d.list, _ = gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 4)
	sc.Add(d.list)
	area.PackStart(sc, true, true, 0)
	d.dlg.Connect("response", func() { d.dlg.Destroy() })
	d.dlg.Connect("destroy", func() {
		if w.friends == d {
			w.friends = nil
		}
	})
	w.friends = d
	d.fill()
	d.dlg.ShowAll()
}

func (d *friendsDialog) fill() {
	w, l := d.w, d.w.c.app.Lang()
	d.list.GetChildren().Foreach(func(item any) {
		if wd, ok := item.(*gtk.Widget); ok {
			wd.Destroy()
		}
	})
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
	d.dlg, _ = gtk.DialogNew()
	d.dlg.SetTitle(l.T(i18n.ChatRooms))
	d.dlg.SetTransientFor(w.win)
	d.dlg.SetDefaultSize(360, 400)
	area, _ := d.dlg.GetContentArea()
	add, _ := gtk.BoxNew(gtk.ORIENTATION_HORIZONTAL, 4)
	e, _ := gtk.EntryNew()
	e.SetPlaceholderText(l.T(i18n.ChatRoomName))
	cb, _ := gtk.ButtonNewWithLabel(l.T(i18n.ChatRoomCreate))
	create := func() {
		name, _ := e.GetText()
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return
		}
		w.do(func(ctx context.Context, cl *chat.Client) error {
			_, err := cl.RoomCreate(ctx, name, name, true)
			return err
		}, func() {
			e.SetText("")
			w.open(chat.RoomConv(name))
			d.refresh()
		})
	}
	e.Connect("activate", create)
	cb.Connect("clicked", create)
	add.PackStart(e, true, true, 0)
	add.PackStart(cb, false, false, 0)
	area.PackStart(add, false, false, 6)
	sc, _ := gtk.ScrolledWindowNew(nil, nil)
	d.list, _ = gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 4)
	sc.Add(d.list)
	area.PackStart(sc, true, true, 0)
	d.dlg.Connect("response", func() { d.dlg.Destroy() })
	d.dlg.Connect("destroy", func() {
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
	d.list.GetChildren().Foreach(func(item any) {
		if wd, ok := item.(*gtk.Widget); ok {
			wd.Destroy()
		}
	})
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
