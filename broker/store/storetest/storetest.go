// Package storetest is the conformance suite every store.Store passes:
// the behaviours the broker relies on, run alike against SQLite and
// PostgreSQL so that a cluster answers exactly as one broker does.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// NewDB makes a fresh, empty database for one test and returns how to open
// it; open may be called again after Close to reopen the same database.
type NewDB func(t testing.TB) (open func() (store.Store, error))

// Run runs every behaviour against the implementation behind newDB.
func Run(t *testing.T, newDB NewDB) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			open := newDB(t)
			s, err := open()
			if err != nil {
				t.Fatal(err)
			}
			e := &env{t: t, s: s, open: open, ctx: context.Background()}
			t.Cleanup(func() { e.s.Close() })
			c.run(e)
		})
	}
}

type env struct {
	t    *testing.T
	s    store.Store
	open func() (store.Store, error)
	ctx  context.Context
}

func (e *env) ok(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) user(names ...string) {
	e.t.Helper()
	for _, n := range names {
		e.ok(e.s.CreateUser(e.ctx, store.User{Name: n, Nickname: "昵称" + n, PWHash: "h-" + n}))
	}
}

// asks has src ask dst to be friends and checks what the store did.
func (e *env) asks(src, dst string, want store.Asked) {
	e.t.Helper()
	got, err := e.s.RequestFriend(e.ctx, src, dst)
	e.ok(err)
	if got != want {
		e.t.Fatalf("%s asks %s: %v, want %v", src, dst, got, want)
	}
}

func (e *env) reopen() {
	e.t.Helper()
	e.ok(e.s.Close())
	s, err := e.open()
	e.ok(err)
	e.s = s
}

func (e *env) nextID() int64 {
	e.t.Helper()
	id, err := e.s.NextMessageID(e.ctx)
	e.ok(err)
	return id
}

// send stores one message and waits for its commit.
func (e *env) send(conv, sender, text, cid string) int64 {
	e.t.Helper()
	m := store.Message{ID: e.nextID(), Conv: conv, Sender: sender, Nick: "昵称", Text: text, TS: time.Now().UnixMilli(), CID: cid}
	c, err := e.s.AppendMessage(m)
	e.ok(err)
	e.ok(c.Wait())
	return m.ID
}

func (e *env) pairs(f func(context.Context) ([]store.Pair, error)) []store.Pair {
	e.t.Helper()
	p, err := f(e.ctx)
	e.ok(err)
	slices.SortFunc(p, func(x, y store.Pair) int {
		if x.A != y.A {
			return compare(x.A, y.A)
		}
		return compare(x.B, y.B)
	})
	return p
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *env) texts(conv string, before, since int64, limit int) []string {
	e.t.Helper()
	ms, err := e.s.HistorySince(e.ctx, conv, before, since, limit)
	e.ok(err)
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func (e *env) gen() int64 {
	e.t.Helper()
	g, err := e.s.Generation(e.ctx)
	e.ok(err)
	return g
}

var cases = []struct {
	name string
	run  func(e *env)
}{
	{"accounts", func(e *env) {
		e.user("alice")
		u, err := e.s.GetUser(e.ctx, "alice")
		e.ok(err)
		if u.Nickname != "昵称alice" || u.PWHash != "h-alice" || u.Created == 0 || u.LastSeen != 0 {
			e.t.Fatalf("GetUser = %+v", u)
		}
		if err := e.s.CreateUser(e.ctx, store.User{Name: "alice", PWHash: "x"}); !errors.Is(err, store.ErrExists) {
			e.t.Fatalf("duplicate name: %v, want ErrExists", err)
		}
		if _, err := e.s.GetUser(e.ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
			e.t.Fatalf("GetUser(ghost): %v", err)
		}
		for name, f := range map[string]func() error{
			"SetPassword": func() error { return e.s.SetPassword(e.ctx, "ghost", "x") },
			"SetNickname": func() error { return e.s.SetNickname(e.ctx, "ghost", "x") },
			"SetLastSeen": func() error { return e.s.SetLastSeen(e.ctx, "ghost", 1) },
			"DeleteUser":  func() error { return e.s.DeleteUser(e.ctx, "ghost") },
		} {
			if err := f(); !errors.Is(err, store.ErrNotFound) {
				e.t.Errorf("%s(ghost): %v, want ErrNotFound", name, err)
			}
		}
		e.ok(e.s.SetPassword(e.ctx, "alice", "h2"))
		e.ok(e.s.SetNickname(e.ctx, "alice", "小爱"))
		e.ok(e.s.SetLastSeen(e.ctx, "alice", 42))
		u, err = e.s.GetUser(e.ctx, "alice")
		e.ok(err)
		if u.PWHash != "h2" || u.Nickname != "小爱" || u.LastSeen != 42 {
			e.t.Fatalf("after updates %+v", u)
		}
		e.ok(e.s.DeleteUser(e.ctx, "alice"))
		if _, err := e.s.GetUser(e.ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
			e.t.Fatalf("deleted user: %v", err)
		}
		e.user("alice") // the name is free again
	}},
	{"names compare byte for byte", func(e *env) {
		// Case, and composed against decomposed é, make different names;
		// lists come in byte order whatever the database's locale.
		names := []string{"bob", "Bob", "alice", "张三", "caf\u00e9", "cafe\u0301", "_x", "Zed"}
		e.user(names...)
		us, err := e.s.Users(e.ctx)
		e.ok(err)
		var got []string
		for _, u := range us {
			got = append(got, u.Name)
		}
		want := slices.Clone(names)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			e.t.Fatalf("Users order %q, want %q", got, want)
		}
		if err := e.s.CreateUser(e.ctx, store.User{Name: "张三", PWHash: "x"}); !errors.Is(err, store.ErrExists) {
			e.t.Fatalf("duplicate CJK name: %v", err)
		}
		if _, err := e.s.GetUser(e.ctx, "BOB"); !errors.Is(err, store.ErrNotFound) {
			e.t.Fatalf("BOB found: %v", err)
		}
	}},
	{"import is all or none", func(e *env) {
		e.user("taken")
		err := e.s.CreateUsers(e.ctx, []store.User{{Name: "new1", PWHash: "h"}, {Name: "taken", PWHash: "h"}})
		if !errors.Is(err, store.ErrExists) {
			e.t.Fatalf("import over a taken name: %v", err)
		}
		if _, err := e.s.GetUser(e.ctx, "new1"); !errors.Is(err, store.ErrNotFound) {
			e.t.Fatalf("half an import stayed: %v", err)
		}
		e.ok(e.s.CreateUsers(e.ctx, []store.User{{Name: "new1", PWHash: "h"}, {Name: "new2", PWHash: "h"}}))
		us, err := e.s.Users(e.ctx)
		e.ok(err)
		if len(us) != 3 {
			e.t.Fatalf("%d users after import", len(us))
		}
	}},
	{"parallel registrations of one name", func(e *env) {
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = e.s.CreateUser(e.ctx, store.User{Name: "dup", PWHash: fmt.Sprint(i)})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrExists):
				e.t.Fatalf("a loser got %v, want ErrExists", err)
			}
		}
		if won != 1 {
			e.t.Fatalf("%d registrations of one name succeeded", won)
		}
	}},
	{"generation", func(e *env) {
		// Relations and nicknames count in a store several brokers share,
		// whose notices to each other can be lost; either way here.
		const no, yes, either = 0, 1, 2
		steps := []struct {
			what    string
			do      func() error
			changes int
		}{
			{"create user", func() error { return e.s.CreateUser(e.ctx, store.User{Name: "amy", PWHash: "h"}) }, yes},
			{"nickname", func() error { return e.s.SetNickname(e.ctx, "amy", "艾米") }, either},
			{"last seen", func() error { return e.s.SetLastSeen(e.ctx, "amy", 5) }, no},
			{"password", func() error { return e.s.SetPassword(e.ctx, "amy", "h2") }, yes},
			{"missing user's password", func() error { e.s.SetPassword(e.ctx, "ghost", "h2"); return nil }, no},
			{"create room", func() error { return e.s.CreateRoom(e.ctx, store.Room{Name: "club", Public: true}) }, yes},
			{"join", func() error { return e.s.Join(e.ctx, "club", "amy") }, either},
			{"chat", func() error { e.send(store.RoomConv("club"), "amy", "hi", ""); return nil }, no},
			{"delete room", func() error { return e.s.DeleteRoom(e.ctx, "club") }, yes},
			{"delete user", func() error { return e.s.DeleteUser(e.ctx, "amy") }, yes},
		}
		for _, st := range steps {
			before := e.gen()
			e.ok(st.do())
			if changed := e.gen() != before; st.changes != either && changed != (st.changes == yes) {
				e.t.Errorf("%s: generation changed = %v, want %v", st.what, changed, st.changes == yes)
			}
		}
		e.ok(e.s.CheckWritable(e.ctx))
	}},
	{"rooms and membership", func(e *env) {
		e.user("alice", "bob")
		rs, err := e.s.Rooms(e.ctx)
		e.ok(err)
		if len(rs) != 1 || rs[0].Name != "lobby" || !rs[0].Public {
			e.t.Fatalf("a new database's rooms: %+v", rs)
		}
		e.ok(e.s.CreateRoom(e.ctx, store.Room{Name: "读书会", Title: "读书", Owner: "alice", Public: false}))
		e.ok(e.s.CreateRoom(e.ctx, store.Room{Name: "art", Public: true}))
		if err := e.s.CreateRoom(e.ctx, store.Room{Name: "art"}); !errors.Is(err, store.ErrExists) {
			e.t.Fatalf("duplicate room: %v", err)
		}
		rs, err = e.s.Rooms(e.ctx)
		e.ok(err)
		if len(rs) != 3 || rs[0].Name != "art" || rs[2].Name != "读书会" || rs[2].Public || rs[2].Title != "读书" || rs[2].Owner != "alice" {
			e.t.Fatalf("rooms %+v", rs)
		}
		if got := e.pairs(e.s.Members); !slices.Equal(got, []store.Pair{pr("读书会", "alice")}) {
			e.t.Fatalf("owner is not the first member: %v", got)
		}
		e.ok(e.s.Invite(e.ctx, "art", "bob", "alice"))
		e.ok(e.s.Invite(e.ctx, "art", "bob", "alice")) // again: no error
		if got := e.pairs(e.s.Invites); !slices.Equal(got, []store.Pair{pr("art", "bob")}) {
			e.t.Fatalf("invites %v", got)
		}
		e.ok(e.s.Join(e.ctx, "art", "bob"))
		e.ok(e.s.Join(e.ctx, "art", "bob"))
		if got := e.pairs(e.s.Invites); len(got) != 0 {
			e.t.Fatalf("joining kept the invite: %v", got)
		}
		if got := e.pairs(e.s.Members); !slices.Equal(got, []store.Pair{pr("art", "bob"), pr("读书会", "alice")}) {
			e.t.Fatalf("members %v", got)
		}
		if err := e.s.Join(e.ctx, "nowhere", "bob"); err == nil {
			e.t.Fatal("joined a room that does not exist")
		}
		e.ok(e.s.Leave(e.ctx, "art", "bob"))
		e.ok(e.s.Leave(e.ctx, "art", "bob"))
		e.ok(e.s.DeleteRoom(e.ctx, "读书会"))
		if err := e.s.DeleteRoom(e.ctx, "读书会"); !errors.Is(err, store.ErrNotFound) {
			e.t.Fatalf("deleting twice: %v", err)
		}
		if got := e.pairs(e.s.Members); len(got) != 0 {
			e.t.Fatalf("members outlive their room: %v", got)
		}
	}},
	{"friends both ways", func(e *env) {
		e.user("alice", "bob", "Carol", "dave")
		e.asks("alice", "bob", store.Requested)
		e.asks("alice", "bob", store.AlreadyRequested)
		e.asks("dave", "alice", store.Requested)
		e.asks("Carol", "dave", store.Requested)
		if got := e.pairs(e.s.FriendRequests); !slices.Equal(got, []store.Pair{pr("Carol", "dave"), pr("alice", "bob"), pr("dave", "alice")}) {
			e.t.Fatalf("requests %v", got)
		}
		// Asking back is accepting: friends, and no request left either way.
		e.asks("bob", "alice", store.Befriended)
		e.asks("alice", "bob", store.AlreadyFriends)
		e.asks("bob", "alice", store.AlreadyFriends)
		e.ok(e.s.MakeFriends(e.ctx, "alice", "bob"))
		if got := e.pairs(e.s.FriendRequests); !slices.Equal(got, []store.Pair{pr("Carol", "dave"), pr("dave", "alice")}) {
			e.t.Fatalf("requests after asking back: %v", got)
		}
		e.ok(e.s.MakeFriends(e.ctx, "dave", "Carol")) // an accept clears the request, whichever way round
		// "Carol" < "alice" in byte order: the pair is stored that way round.
		e.ok(e.s.MakeFriends(e.ctx, "alice", "Carol"))
		if got := e.pairs(e.s.Friends); !slices.Equal(got, []store.Pair{pr("Carol", "alice"), pr("Carol", "dave"), pr("alice", "bob")}) {
			e.t.Fatalf("friends %v", got)
		}
		if got := e.pairs(e.s.FriendRequests); !slices.Equal(got, []store.Pair{pr("dave", "alice")}) {
			e.t.Fatalf("requests after accepts: %v", got)
		}
		e.ok(e.s.DropFriendRequest(e.ctx, "dave", "alice"))
		e.ok(e.s.Unfriend(e.ctx, "bob", "alice"))
		e.ok(e.s.Unfriend(e.ctx, "bob", "alice"))
		if got := e.pairs(e.s.Friends); !slices.Equal(got, []store.Pair{pr("Carol", "alice"), pr("Carol", "dave")}) {
			e.t.Fatalf("friends after unfriend %v", got)
		}
		if got := e.pairs(e.s.FriendRequests); len(got) != 0 {
			e.t.Fatalf("requests %v", got)
		}
		e.asks("bob", "alice", store.Requested) // after an unfriending, asking starts over
	}},
	// Two nodes of a cluster on one database: a request on each, crossed at
	// the same instant, must end as on one broker, where the second asker
	// accepts the first's request. Each pair's two calls start together.
	{"crossed friend requests end as friends", func(e *env) {
		node2, err := e.open()
		e.ok(err)
		defer node2.Close()
		const pairs = 50
		var us []store.User
		for i := range pairs {
			us = append(us, store.User{Name: fmt.Sprintf("a%02d", i), PWHash: "h"}, store.User{Name: fmt.Sprintf("b%02d", i), PWHash: "h"})
		}
		e.ok(e.s.CreateUsers(e.ctx, us))
		var wrong []string
		for i := range pairs {
			names := [2]string{us[2*i].Name, us[2*i+1].Name}
			var asked [2]store.Asked
			var errs [2]error
			start := make(chan struct{})
			var wg sync.WaitGroup
			for side, s := range []store.Store{e.s, node2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					asked[side], errs[side] = s.RequestFriend(e.ctx, names[side], names[1-side])
				}()
			}
			close(start)
			wg.Wait()
			e.ok(errors.Join(errs[:]...))
			if asked != [2]store.Asked{store.Requested, store.Befriended} && asked != [2]store.Asked{store.Befriended, store.Requested} {
				wrong = append(wrong, fmt.Sprintf("%s and %s: %v", names[0], names[1], asked))
			}
		}
		if len(wrong) > 0 {
			e.t.Errorf("%d of %d pairs that asked each other at once did not get one request and one acceptance; first %s", len(wrong), pairs, wrong[0])
		}
		if got := e.pairs(e.s.Friends); len(got) != pairs {
			e.t.Errorf("%d of %d crossed pairs are friends", len(got), pairs)
		}
		if got := e.pairs(e.s.FriendRequests); len(got) != 0 {
			e.t.Errorf("%d requests left pending, first %v", len(got), got[0])
		}
	}},
	{"deleting a user deletes its relations", func(e *env) {
		e.user("alice", "bob", "carol")
		e.ok(e.s.CreateRoom(e.ctx, store.Room{Name: "club", Owner: "alice"}))
		e.ok(e.s.Invite(e.ctx, "club", "bob", "alice"))
		e.ok(e.s.MakeFriends(e.ctx, "alice", "carol"))
		e.asks("bob", "alice", store.Requested)
		id := e.send(store.DMConv("alice", "carol"), "alice", "再见", "")
		e.ok(e.s.DeleteUser(e.ctx, "alice"))
		for name, f := range map[string]func(context.Context) ([]store.Pair, error){
			"members": e.s.Members, "friends": e.s.Friends, "requests": e.s.FriendRequests,
		} {
			if got := e.pairs(f); len(got) != 0 {
				e.t.Errorf("%s outlive the user: %v", name, got)
			}
		}
		if got := e.pairs(e.s.Invites); !slices.Equal(got, []store.Pair{pr("club", "bob")}) {
			e.t.Errorf("invites %v", got)
		}
		ms, err := e.s.History(e.ctx, store.DMConv("carol", "alice"), 0, 10)
		e.ok(err)
		if len(ms) != 1 || ms[0].ID != id {
			e.t.Fatalf("history lost with the user: %+v", ms)
		}
	}},
	{"history order and paging", func(e *env) {
		conv := store.RoomConv("lobby")
		other := store.DMConv("bob", "alice")
		var ids []int64
		for i := range 10 {
			ids = append(ids, e.send(conv, "alice", fmt.Sprint(i), fmt.Sprint("c", i)))
			e.send(other, "bob", "dm", "")
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				e.t.Fatalf("ids not increasing: %v", ids)
			}
		}
		if got := e.texts(conv, 0, 0, 4); !slices.Equal(got, []string{"9", "8", "7", "6"}) {
			e.t.Fatalf("newest page %q", got)
		}
		if got := e.texts(conv, ids[6], 0, 4); !slices.Equal(got, []string{"5", "4", "3", "2"}) {
			e.t.Fatalf("page before %d: %q", ids[6], got)
		}
		if got := e.texts(conv, ids[2], 0, 4); !slices.Equal(got, []string{"1", "0"}) {
			e.t.Fatalf("last page %q", got)
		}
		if got := e.texts(conv, 0, ids[7], 10); !slices.Equal(got, []string{"9", "8"}) {
			e.t.Fatalf("since %d: %q", ids[7], got)
		}
		if got := e.texts("r/nowhere", 0, 0, 10); len(got) != 0 {
			e.t.Fatalf("empty conversation %q", got)
		}
		ms, err := e.s.History(e.ctx, conv, 0, 1)
		e.ok(err)
		if m := ms[0]; m.Conv != conv || m.Sender != "alice" || m.Nick != "昵称" || m.CID != "c9" || m.TS == 0 || m.ID != ids[9] {
			e.t.Fatalf("stored message %+v", m)
		}
		ms, err = e.s.History(e.ctx, other, 0, 1)
		e.ok(err)
		if ms[0].CID != "" {
			e.t.Fatalf("no cid came back as %q", ms[0].CID)
		}
		// A cid stored once is found, and a second message with it is not stored.
		if id, err := e.s.FindByCID(e.ctx, "alice", "c3"); err != nil || id != ids[3] {
			e.t.Fatalf("FindByCID = %d, %v", id, err)
		}
		if id, err := e.s.FindByCID(e.ctx, "bob", "c3"); err != nil || id != 0 {
			e.t.Fatalf("FindByCID(other sender) = %d, %v", id, err)
		}
		e.send(conv, "alice", "again", "c3")
		if got := e.texts(conv, 0, 0, 1); !slices.Equal(got, []string{"9"}) {
			e.t.Fatalf("a repeated cid was stored: %q", got)
		}
		var cids []string
		e.ok(e.s.EachCID(e.ctx, "alice", func(c string) bool { cids = append(cids, c); return true }))
		slices.Sort(cids)
		if len(cids) != 10 || cids[0] != "c0" {
			e.t.Fatalf("EachCID %q", cids)
		}
		n := 0
		e.ok(e.s.EachCID(e.ctx, "alice", func(string) bool { n++; return n < 3 }))
		if n != 3 {
			e.t.Fatalf("EachCID went on after false: %d calls", n)
		}
	}},
	{"a history limit below one gets no messages", func(e *env) {
		e.send(store.RoomConv("lobby"), "alice", "hi", "")
		for _, limit := range []int{0, -1} {
			ms, err := e.s.HistorySince(e.ctx, store.RoomConv("lobby"), 0, 0, limit)
			if err != nil || len(ms) != 0 {
				e.t.Errorf("limit %d: %d messages, %v", limit, len(ms), err)
			}
		}
	}},
	{"history survives a reopen and ids go on", func(e *env) {
		conv := store.RoomConv("lobby")
		var last int64
		for i := range 5 {
			last = e.send(conv, "alice", fmt.Sprint(i), "")
		}
		e.reopen()
		if got := e.texts(conv, 0, 0, 10); !slices.Equal(got, []string{"4", "3", "2", "1", "0"}) {
			e.t.Fatalf("after reopen %q", got)
		}
		if id := e.nextID(); id <= last {
			e.t.Fatalf("id %d after reopen, last was %d", id, last)
		}
	}},
	{"ids handed out but never stored are not handed out again after a reopen", func(e *env) {
		// A crash loses what the log had not committed, but subscribers
		// already saw those messages and their ids.
		var reserved int64
		for range 3 {
			reserved = e.nextID()
		}
		e.reopen()
		if id := e.nextID(); id <= reserved {
			e.t.Fatalf("id %d after reopen, %d was handed out before", id, reserved)
		}
	}},
	// The admin CLI adds accounts and rooms, and approves registrations,
	// from its own process while the broker runs (and has run before): what
	// the broker sends them afterwards must be in their history.
	{"another process's accounts and rooms read what is sent after them", func(e *env) {
		e.send(store.RoomConv("lobby"), "x", "before any restart", "")
		e.reopen()
		e.user("alice")
		e.send(store.RoomConv("lobby"), "alice", "the broker runs", "")
		e.ok(e.s.Register(e.ctx, store.User{Name: "carol", Nickname: "c", PWHash: "h"}, store.Signup{Pending: true}))
		cli, err := e.open()
		e.ok(err)
		e.ok(cli.CreateUser(e.ctx, store.User{Name: "bob", Nickname: "b", PWHash: "h"}))
		e.ok(cli.CreateUsers(e.ctx, []store.User{{Name: "dan", PWHash: "h"}}))
		e.ok(cli.CreateRoom(e.ctx, store.Room{Name: "club", Owner: "bob", Public: true}))
		e.ok(cli.ApproveUser(e.ctx, "carol"))
		e.ok(cli.Close())
		dm := e.send(store.DMConv("alice", "bob"), "alice", "hi bob", "")
		room := e.send(store.RoomConv("club"), "bob", "hi club", "")
		for _, name := range []string{"bob", "dan", "carol"} {
			u, err := e.s.GetUser(e.ctx, name)
			e.ok(err)
			if u.SinceID >= dm {
				e.t.Errorf("%s, made by another process, reads DMs only after id %d, but message %d was sent after it was made", name, u.SinceID, dm)
			}
		}
		rs, err := e.s.Rooms(e.ctx)
		e.ok(err)
		for _, r := range rs {
			if r.Name == "club" && r.SinceID >= room {
				e.t.Errorf("room club, made by another process, reads history only after id %d, but its first message is %d", r.SinceID, room)
			}
		}
	}},
	{"accounts and rooms start at the watermark", func(e *env) {
		w0, err := e.s.MessageWatermark(e.ctx)
		e.ok(err)
		id := e.send(store.RoomConv("lobby"), "x", "before", "")
		w, err := e.s.MessageWatermark(e.ctx)
		e.ok(err)
		if w < id || w0 >= id {
			e.t.Fatalf("watermark %d then %d around message %d", w0, w, id)
		}
		e.user("late")
		u, err := e.s.GetUser(e.ctx, "late")
		e.ok(err)
		e.ok(e.s.CreateRoom(e.ctx, store.Room{Name: "late", Public: true}))
		e.ok(e.s.CreateUsers(e.ctx, []store.User{{Name: "later", PWHash: "h"}}))
		v, err := e.s.GetUser(e.ctx, "later")
		e.ok(err)
		rs, err := e.s.Rooms(e.ctx)
		e.ok(err)
		if u.SinceID < id || v.SinceID < id || rs[0].SinceID < id {
			e.t.Fatalf("SinceID %d, %d, room %d: before message %d", u.SinceID, v.SinceID, rs[0].SinceID, id)
		}
		e.ok(e.s.CreateUser(e.ctx, store.User{Name: "given", PWHash: "h", SinceID: 3}))
		if g, _ := e.s.GetUser(e.ctx, "given"); g.SinceID != 3 {
			e.t.Fatalf("a given SinceID became %d", g.SinceID)
		}
	}},
	{"parallel senders keep order and unique ids", func(e *env) {
		conv := store.DMConv("alice", "bob")
		const per = 40
		var wg sync.WaitGroup
		for _, who := range []string{"alice", "bob"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var commits []store.Commit
				for i := range per {
					id, err := e.s.NextMessageID(e.ctx)
					if err != nil {
						e.t.Error(err)
						return
					}
					c, err := e.s.AppendMessage(store.Message{ID: id, Conv: conv, Sender: who, Nick: who, Text: fmt.Sprint(who, i), TS: 1})
					if err != nil {
						e.t.Error(err)
						return
					}
					commits = append(commits, c)
				}
				for _, c := range commits {
					if err := c.Wait(); err != nil {
						e.t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		ms, err := e.s.History(e.ctx, conv, 0, 1000)
		e.ok(err)
		if len(ms) != 2*per {
			e.t.Fatalf("%d messages stored, want %d", len(ms), 2*per)
		}
		next := map[string]int{"alice": per - 1, "bob": per - 1}
		for i, m := range ms {
			if i > 0 && m.ID >= ms[i-1].ID {
				e.t.Fatalf("ids not strictly decreasing newest first: %d after %d", m.ID, ms[i-1].ID)
			}
			if want := fmt.Sprint(m.Sender, next[m.Sender]); m.Text != want {
				e.t.Fatalf("%s's messages out of order: %q where %q belongs", m.Sender, m.Text, want)
			}
			next[m.Sender]--
		}
	}},
	{"commit callbacks and close", func(e *env) {
		var mu sync.Mutex
		observed := 0
		e.s.ObserveCommits(func(n int, _ time.Duration, err error) {
			mu.Lock()
			observed += n
			mu.Unlock()
		})
		done := make(chan error, 1)
		e.ok(e.s.AppendMessageThen(store.Message{ID: e.nextID(), Conv: "r/lobby", Sender: "a", Nick: "a", Text: "then", TS: 1}, func(err error) { done <- err }))
		select {
		case err := <-done:
			e.ok(err)
		case <-time.After(time.Minute):
			e.t.Fatal("AppendMessageThen never called back")
		}
		mu.Lock()
		got := observed
		mu.Unlock()
		if got != 1 {
			e.t.Fatalf("observed %d committed messages, want 1", got)
		}
		if e.s.HistoryBacklog() != 0 {
			e.t.Fatalf("backlog %d after the commit", e.s.HistoryBacklog())
		}
		// Close commits what was handed over; appends after it fail.
		c, err := e.s.AppendMessage(store.Message{ID: e.nextID(), Conv: "r/lobby", Sender: "a", Nick: "a", Text: "last", TS: 1})
		e.ok(err)
		e.reopenAfter(func() {
			e.ok(c.Wait())
			if _, err := e.s.AppendMessage(store.Message{ID: 99, Conv: "r/lobby", Text: "late"}); !errors.Is(err, store.ErrClosed) {
				e.t.Fatalf("append after close: %v, want ErrClosed", err)
			}
		})
		if got := e.texts("r/lobby", 0, 0, 10); !slices.Equal(got, []string{"last", "then"}) {
			e.t.Fatalf("history %q", got)
		}
	}},
	{"revoked tokens", func(e *env) {
		revoked := func(id string) bool {
			e.t.Helper()
			r, err := e.s.TokenRevoked(e.ctx, id)
			e.ok(err)
			return r
		}
		future := time.Now().Add(time.Hour).Unix()
		e.ok(e.s.RevokeToken(e.ctx, "past", time.Now().Add(-time.Hour).Unix()))
		e.ok(e.s.RevokeToken(e.ctx, "t1", future))
		e.ok(e.s.RevokeToken(e.ctx, "t1", future)) // twice is no error
		if !revoked("t1") || revoked("t2") {
			e.t.Fatal("t1 must read as revoked, t2 not")
		}
		e.reopen()
		if !revoked("t1") {
			e.t.Fatal("a revocation did not survive a reopen")
		}
		// The next revocation forgets those already expired.
		e.ok(e.s.RevokeToken(e.ctx, "t2", future))
		if !revoked("t2") || revoked("past") {
			e.t.Fatal("t2 must read as revoked, the expired one forgotten")
		}
	}},
	{"one token key per database", func(e *env) {
		// Two stores open on one database at once, as two nodes are: both
		// ask for the key before either has one, and they must agree.
		other, err := e.open()
		e.ok(err)
		defer other.Close()
		keys := make([][]byte, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, s := range []store.Store{e.s, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				keys[i], errs[i] = s.TokenKey(e.ctx)
			}()
		}
		wg.Wait()
		e.ok(errors.Join(errs...))
		if len(keys[0]) != store.TokenKeySize || string(keys[0]) != string(keys[1]) {
			e.t.Fatalf("token keys %x and %x", keys[0], keys[1])
		}
		e.reopen()
		again, err := e.s.TokenKey(e.ctx)
		e.ok(err)
		if string(again) != string(keys[0]) {
			e.t.Fatal("the token key changed on reopen")
		}
	}},
}

// reopenAfter closes the store, runs between, and opens it again.
func (e *env) reopenAfter(between func()) {
	e.t.Helper()
	e.ok(e.s.Close())
	between()
	s, err := e.open()
	e.ok(err)
	e.s = s
}

func pr(a, b string) store.Pair { return store.Pair{A: a, B: b} }
