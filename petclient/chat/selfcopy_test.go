package chat

import (
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// A DM sent from one of alice's devices shows on her other one once, as
// hers, in the conversation with bob, without counting as unread; the
// sending pet shows it once too.
func TestOwnDMFromAnotherDevice(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, arec := connected(t, clientConfig(b, "alice", t.TempDir()))
	tabCfg := clientConfig(b, "alice", t.TempDir())
	tabCfg.ClientID = "test-alice-tab"
	tab, trec := connected(t, tabCfg)
	bob, brec := connected(t, clientConfig(b, "bob", t.TempDir()))
	befriend(t, alice, bob)
	for deadline := time.Now().Add(waitFor); ; time.Sleep(20 * time.Millisecond) {
		if _, ok := tab.Conversation(DMConv("bob")); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second device never listed dm:bob; got %s", trec.dump())
		}
	}

	const text = "今晚一起去图书馆自习吗？"
	cid, err := alice.Send(DMConv("bob"), text)
	if err != nil {
		t.Fatal(err)
	}
	arec.wait("sent", isState(cid, SendSent))
	got := brec.wait("bob's DM", isMsg(text)).Message
	ev := trec.wait("copy on the other device", isMsg(text))
	if m := ev.Message; !m.Own || ev.Conv != DMConv("bob") || m.From != "alice" || m.To != "bob" || m.ID != got.ID || m.CID != cid || ev.Mention {
		t.Fatalf("copy %+v %+v, bob got %+v", ev, m, got)
	}
	// bob's answer comes after the copy: any second copy is in by then.
	if _, err := bob.Send(DMConv("alice"), "好呀"); err != nil {
		t.Fatal(err)
	}
	trec.wait("bob's answer", isMsg("好呀"))
	arec.wait("bob's answer", isMsg("好呀"))
	for _, r := range []*recorder{trec, arec} {
		if n := r.count(isMsg(text)); n != 1 {
			t.Errorf("%s showed the DM %d times; got %s", r.name, n, r.dump())
		}
	}
	tab.MarkRead(DMConv("bob"))
	if _, err := alice.Send(DMConv("bob"), "七点见"); err != nil {
		t.Fatal(err)
	}
	trec.wait("second copy", isMsg("七点见"))
	if conv, _ := tab.Conversation(DMConv("bob")); conv.Unread != 0 || conv.Last == nil || conv.Last.Text != "七点见" || tab.UnreadTotal() != 0 {
		t.Fatalf("other device's dm:bob after alice's own DM: unread %d (total %d), last %+v", conv.Unread, tab.UnreadTotal(), conv.Last)
	}
}

// A room created on one device shows on the other under its title, and
// leaving it there leaves the other device's list too.
func TestRoomLeftFromAnotherDevice(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice")
	alice, _ := connected(t, clientConfig(b, "alice", t.TempDir()))
	tabCfg := clientConfig(b, "alice", t.TempDir())
	tabCfg.ClientID = "test-alice-tab"
	tab, trec := connected(t, tabCfg)
	if _, err := alice.RoomCreate(ctxT(t), "study", "自习室", true); err != nil {
		t.Fatal(err)
	}
	trec.wait("the room on the other device, under its title", func(ev Event) bool {
		cv, ok := tab.Conversation(RoomConv("study"))
		return ok && cv.Title == "自习室"
	})
	if err := alice.RoomLeave(ctxT(t), "study"); err != nil {
		t.Fatal(err)
	}
	trec.wait("the room gone from the other device", func(ev Event) bool {
		_, ok := tab.Conversation(RoomConv("study"))
		return ev.Type == EventConversations && ev.Conv == RoomConv("study") && !ok
	})
}

// A room.joined event (a room joined or created on another device) adds
// the room under its title and drops its invite, without a broker.
func TestRoomJoinedEventAddsRoom(t *testing.T) {
	c, rec := unconnected(t)
	c.handle(topics.Events("alice"), []byte(`{"type":"room.invite","user":"bob","room":"study","text":"自习室","ts":1}`))
	c.handle(topics.Events("alice"), []byte(`{"type":"room.joined","room":"study","text":"自习室","ts":2}`))
	rec.wait("the room listed", func(ev Event) bool { return ev.Type == EventConversations && ev.Conv == RoomConv("study") })
	if cv, ok := c.Conversation(RoomConv("study")); !ok || cv.Title != "自习室" || cv.Kind != ConvRoom {
		t.Fatalf("study after room.joined: %+v %v", cv, ok)
	}
	if inv := c.Invites(); len(inv) != 0 {
		t.Errorf("invites after joining: %+v", inv)
	}
	c.handle(topics.Events("alice"), []byte(`{"type":"room.joined","room":"Bad Name","ts":3}`))
	for _, cv := range c.Conversations() {
		if cv.Name == "Bad Name" {
			t.Errorf("a room from a bad room.joined: %+v", cv)
		}
	}
}
