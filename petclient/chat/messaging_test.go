package chat

import (
	"fmt"
	"testing"

	"github.com/tachikoma-pet/tachikoma/topics"
)

func TestRoomMessageAndMention(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, arec := connected(t, clientConfig(b, "alice", t.TempDir()))
	bob, brec := connected(t, clientConfig(b, "bob", t.TempDir()))
	if _, err := alice.SetNickname(ctxT(t), "阿丽"); err != nil {
		t.Fatal(err)
	}
	if _, ok := alice.Conversation(RoomConv(topics.Lobby)); !ok {
		t.Fatalf("no lobby conversation: %+v", alice.Conversations())
	}

	cid, err := bob.Send(RoomConv(topics.Lobby), "hello everyone")
	if err != nil {
		t.Fatal(err)
	}
	brec.wait("sent", isState(cid, SendSent))
	ev := arec.wait("message", isMsg("hello everyone"))
	if ev.Conv != "room:lobby" || ev.DM || ev.Mention || ev.Message.From != "bob" || ev.Message.ID == 0 || ev.Message.Own {
		t.Fatalf("room message event %+v / %+v", ev, ev.Message)
	}
	// Bob sees his own stamped copy once, matched to his cid.
	own := brec.wait("own echo", isMsg("hello everyone"))
	if !own.Message.Own || own.Message.CID != cid {
		t.Fatalf("own echo %+v", own.Message)
	}
	if len(bob.Outbox()) != 0 {
		t.Fatalf("sent message still queued: %+v", bob.Outbox())
	}

	bob.Send(RoomConv(topics.Lobby), "@alice look")
	bob.Send(RoomConv(topics.Lobby), "@阿丽你好")
	bob.Send(RoomConv(topics.Lobby), "mail me at bob@alice.example")
	if ev := arec.wait("mention by name", isMsg("@alice look")); !ev.Mention {
		t.Fatal("@alice not a mention")
	}
	if ev := arec.wait("mention by nick", isMsg("@阿丽你好")); !ev.Mention {
		t.Fatal("@阿丽 not a mention")
	}
	if ev := arec.wait("not a mention", isMsg("mail me at bob@alice.example")); ev.Mention {
		t.Fatal("an address counted as a mention")
	}
	conv, _ := alice.Conversation(RoomConv(topics.Lobby))
	if conv.Unread != 4 || conv.Last == nil || conv.Last.Text != "mail me at bob@alice.example" {
		t.Fatalf("lobby after 4 messages: unread %d, last %+v", conv.Unread, conv.Last)
	}
	if alice.UnreadTotal() != 4 {
		t.Fatalf("unread total %d", alice.UnreadTotal())
	}
	alice.MarkRead(RoomConv(topics.Lobby))
	if conv, _ := alice.Conversation(RoomConv(topics.Lobby)); conv.Unread != 0 {
		t.Fatalf("unread after MarkRead: %d", conv.Unread)
	}

	// Refused messages fail with the server's reason; unsendable ones are
	// refused at once.
	if _, err := bob.Send(RoomConv(topics.Lobby), "   "); err == nil {
		t.Fatal("empty message accepted")
	}
	if _, err := bob.Send("lobby", "x"); err == nil {
		t.Fatal("bad conversation id accepted")
	}
	cid, _ = bob.Send(RoomConv("nowhere"), "into the void")
	ev = brec.wait("failed", isState(cid, SendFailed))
	if ev.Text == "" {
		t.Fatal("failure without a reason")
	}
	if out := bob.Outbox(); len(out) != 1 || out[0].State != SendFailed {
		t.Fatalf("outbox after failure %+v", out)
	}
	bob.Discard(cid)
	if len(bob.Outbox()) != 0 {
		t.Fatal("Discard left the message")
	}
}

func TestFriendsAndDirectMessages(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, arec := connected(t, clientConfig(b, "alice", t.TempDir()))
	bob, brec := connected(t, clientConfig(b, "bob", t.TempDir()))

	// A DM to a stranger fails with the server's reason.
	cid, _ := alice.Send(DMConv("bob"), "psst")
	arec.wait("stranger DM failed", isState(cid, SendFailed))

	if st, err := alice.FriendRequest(ctxT(t), "bob"); err != nil || st != "requested" {
		t.Fatalf("friend request: %q %v", st, err)
	}
	if ev := brec.wait("friend request", func(ev Event) bool { return ev.Type == EventFriendRequest }); ev.User != "alice" {
		t.Fatalf("request event %+v", ev)
	}
	in, _ := bob.FriendRequests()
	if len(in) != 1 || in[0].User != "alice" {
		t.Fatalf("bob's incoming %+v", in)
	}
	if _, out := alice.FriendRequests(); len(out) != 1 || out[0].User != "bob" {
		t.Fatalf("alice's outgoing %+v", out)
	}
	if err := bob.FriendAccept(ctxT(t), "alice"); err != nil {
		t.Fatal(err)
	}
	arec.wait("accepted", func(ev Event) bool { return ev.Type == EventFriendAccepted && ev.User == "bob" })
	if _, ok := alice.Conversation(DMConv("bob")); !ok {
		t.Fatal("no dm:bob conversation after accept")
	}
	if in, _ := bob.FriendRequests(); len(in) != 0 {
		t.Fatalf("request still listed: %+v", in)
	}
	// Presence: bob sees alice online (fetched when the friendship began).
	waitFriend := func(c *Client, rec *recorder, user string, online bool) {
		t.Helper()
		for _, f := range c.Friends() {
			if f.User == user && f.Online == online {
				return
			}
		}
		rec.wait(fmt.Sprintf("%s online=%v", user, online), func(ev Event) bool {
			return ev.Type == EventPresence && ev.User == user && ev.Online == online
		})
	}
	waitFriend(bob, brec, "alice", true)
	waitFriend(alice, arec, "bob", true)

	cid, _ = alice.Send(DMConv("bob"), "now we talk, @bob")
	arec.wait("DM sent", isState(cid, SendSent))
	ev := brec.wait("DM", isMsg("now we talk, @bob"))
	if !ev.DM || ev.Conv != "dm:alice" || !ev.Mention || ev.Message.From != "alice" || ev.Message.To != "bob" {
		t.Fatalf("DM event %+v %+v", ev, ev.Message)
	}
	// Alice's own DM shows in her conversation too (confirmed via history).
	if ev := arec.wait("own DM", isMsg("now we talk, @bob")); !ev.Message.Own || ev.Conv != "dm:bob" {
		t.Fatalf("own DM %+v", ev)
	}
	if conv, _ := bob.Conversation(DMConv("alice")); conv.Unread != 1 || conv.Title != "alice" {
		t.Fatalf("bob's dm:alice %+v", conv)
	}

	// Bob going away shows as presence.
	bob.Close()
	waitFriend(alice, arec, "bob", false)

	if err := alice.FriendRemove(ctxT(t), "bob"); err != nil {
		t.Fatal(err)
	}
	if _, ok := alice.Conversation(DMConv("bob")); ok || len(alice.Friends()) != 0 {
		t.Fatal("friend still listed after removal")
	}
}

func TestRoomsAndInvites(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, _ := connected(t, clientConfig(b, "alice", ""))
	bob, brec := connected(t, clientConfig(b, "bob", ""))

	if _, err := alice.RoomCreate(ctxT(t), "club", "俱乐部", false); err != nil {
		t.Fatal(err)
	}
	if conv, ok := alice.Conversation(RoomConv("club")); !ok || conv.Title != "俱乐部" {
		t.Fatalf("club conversation %+v", conv)
	}
	if err := alice.RoomInvite(ctxT(t), "club", "bob"); err != nil {
		t.Fatal(err)
	}
	inv := brec.wait("invite", func(ev Event) bool { return ev.Type == EventRoomInvite })
	if inv.Room != "club" || inv.User != "alice" || inv.Text != "俱乐部" {
		t.Fatalf("invite %+v", inv)
	}
	if invs := bob.Invites(); len(invs) != 1 || invs[0].Room != "club" {
		t.Fatalf("invites %+v", invs)
	}
	if err := bob.RoomJoin(ctxT(t), "club"); err != nil {
		t.Fatal(err)
	}
	if conv, ok := bob.Conversation(RoomConv("club")); !ok || conv.Title != "俱乐部" || len(bob.Invites()) != 0 {
		t.Fatalf("after join: %+v, invites %+v", conv, bob.Invites())
	}
	members, err := alice.RoomMembers(ctxT(t), "club")
	if err != nil || len(members) != 2 {
		t.Fatalf("members %+v %v", members, err)
	}
	cid, _ := alice.Send(RoomConv("club"), "welcome")
	if ev := brec.wait("club message", isMsg("welcome")); ev.Conv != "room:club" {
		t.Fatalf("%+v", ev)
	}
	_ = cid
	if err := bob.RoomLeave(ctxT(t), "club"); err != nil {
		t.Fatal(err)
	}
	if _, ok := bob.Conversation(RoomConv("club")); ok {
		t.Fatal("left room still listed")
	}
	if err := bob.RoomLeave(ctxT(t), topics.Lobby); !IsCode(err, topics.CodeForbidden) {
		t.Fatalf("leaving the lobby: %v", err)
	}
	rooms, err := bob.RoomList(ctxT(t))
	if err != nil || len(rooms) == 0 {
		t.Fatalf("room list %v %v", rooms, err)
	}
}

func TestDedupeByMessageID(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice")
	alice, rec := connected(t, clientConfig(b, "alice", ""))
	payload := []byte(`{"id":999999,"from":"bob","nick":"Bob","text":"only once","ts":1,"room":"lobby"}`)
	// As paho would hand a redelivered message, twice, then a marker.
	alice.onMessage(topics.Room(topics.Lobby), payload)
	alice.onMessage(topics.Room(topics.Lobby), payload)
	alice.onMessage(topics.Room(topics.Lobby), []byte(`{"id":1000000,"from":"bob","text":"marker","ts":2}`))
	rec.wait("marker", isMsg("marker"))
	if n := rec.count(isMsg("only once")); n != 1 {
		t.Fatalf("duplicate delivered %d times", n)
	}
	// A history page overlapping what was delivered live adds nothing either.
	alice.ingest([]topics.Message{{ID: 999999, From: "bob", Text: "only once", Room: "lobby"}}, modeLive)
	alice.onMessage(topics.Room(topics.Lobby), []byte(`{"id":1000001,"from":"bob","text":"marker2","ts":3}`))
	rec.wait("marker2", isMsg("marker2"))
	if n := rec.count(isMsg("only once")); n != 1 {
		t.Fatalf("history overlap delivered %d times", n)
	}
	if conv, _ := alice.Conversation(RoomConv(topics.Lobby)); conv.Unread != 3 {
		t.Fatalf("unread %d, want 3", conv.Unread)
	}
	// Events carry no id: a redelivered one (same content and time) is dropped too.
	req := []byte(`{"type":"friend.request","user":"carol","nick":"Carol","ts":12345}`)
	alice.onMessage(topics.Events("alice"), req)
	alice.onMessage(topics.Events("alice"), req)
	alice.onMessage(topics.Events("alice"), []byte(`{"type":"friend.request","user":"dave","ts":12346}`))
	rec.wait("dave's request", func(ev Event) bool { return ev.Type == EventFriendRequest && ev.User == "dave" })
	if n := rec.count(func(ev Event) bool { return ev.Type == EventFriendRequest && ev.User == "carol" }); n != 1 {
		t.Fatalf("redelivered friend request shown %d times", n)
	}
}

func TestHistoryPaging(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, arec := connected(t, clientConfig(b, "alice", ""))
	bob, brec := connected(t, clientConfig(b, "bob", ""))
	var last string
	for i := range 120 {
		last, _ = alice.Send(RoomConv(topics.Lobby), fmt.Sprintf("m%03d", i))
	}
	arec.wait("last sent", isState(last, SendSent))
	brec.wait("last delivered", isMsg("m119"))
	var all []Message
	before := int64(0)
	for {
		page, err := bob.History(ctxT(t), RoomConv(topics.Lobby), before, 50)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 50 {
			break
		}
		before = page[len(page)-1].ID
	}
	if len(all) != 120 {
		t.Fatalf("paged %d messages, want 120", len(all))
	}
	for i, m := range all {
		if want := fmt.Sprintf("m%03d", 119-i); m.Text != want || m.Conv != "room:lobby" || (i > 0 && m.ID >= all[i-1].ID) {
			t.Fatalf("message %d = %+v, want %s newest first", i, m, want)
		}
	}
	// Paging raised no events of its own.
	if n := brec.count(func(ev Event) bool { return ev.Type == EventMessage }); n != 120 {
		t.Fatalf("%d message events, want the 120 live ones", n)
	}
	if _, err := bob.History(ctxT(t), RoomConv(topics.Lobby), 0, 101); !IsCode(err, topics.CodeBadRequest) {
		t.Fatalf("limit 101: %v", err)
	}
}

// The broker answers a write it forbids (MQTT 3.1.1, QoS 1) by closing the
// connection. A stale model must not make the queue resend it forever.
func TestForbiddenWriteFailsInsteadOfLooping(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, arec := connected(t, clientConfig(b, "alice", ""))
	bob, _ := connected(t, clientConfig(b, "bob", ""))
	if _, err := bob.RoomCreate(ctxT(t), "secret", "", false); err != nil {
		t.Fatal(err)
	}
	// Alice's model wrongly believes she is in the room.
	alice.mu.Lock()
	alice.m.conv(RoomConv("secret"))
	alice.mu.Unlock()
	cid, _ := alice.Send(RoomConv("secret"), "let me in")
	ev := arec.wait("failed", isState(cid, SendFailed))
	if ev.Text == "" {
		t.Fatal("no reason")
	}
	if _, ok := alice.Conversation(RoomConv("secret")); ok {
		t.Fatal("the stale room survived the resync")
	}
	// And the connection is fine afterwards.
	cid, _ = alice.Send(RoomConv(topics.Lobby), "still here")
	arec.wait("sent", isState(cid, SendSent))
}
