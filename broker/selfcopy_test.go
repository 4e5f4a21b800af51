package broker_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// aliceTwice starts a broker where alice and others are registered, with
// alice connected twice: her pet and a browser tab.
func aliceTwice(t *testing.T, others ...string) (b *broker.Broker, alice, tab *client) {
	t.Helper()
	b = startBroker(t, testConfig(t.TempDir()))
	register(t, b, append([]string{"alice"}, others...)...)
	alice = connect(t, b, "alice")
	tab, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "alice-tab")
	if err != nil {
		t.Fatal(err)
	}
	return b, alice, tab
}

// A DM reaches every session of its sender on the sender's side of the
// conversation (the pet and a browser tab show the same chat), once, with
// the addressee's id and sender; nobody else sees it.
func TestDMCopyReachesSendersOtherSessions(t *testing.T) {
	b, alice, tab := aliceTwice(t, "bob", "mallory")
	bob, mallory := connect(t, b, "bob"), connect(t, b, "mallory")
	befriend(t, alice, bob)
	for _, c := range []*client{alice, tab, bob} {
		c.sub("tachikoma/#")
	}
	mallory.sub("#")

	const text = "晚上一起自习吗"
	alice.pub(topics.DM("bob", "alice"), 1, `{"text":"`+text+`","cid":"c-1"}`)
	got := bob.expectChat(topics.DM("bob", "alice"))
	for i, c := range []*client{tab, alice} {
		m := c.expectChat(topics.DM("alice", "bob"))
		if m.ID != got.ID || m.From != "alice" || m.To != "bob" || m.Text != text || m.CID != "c-1" {
			t.Errorf("alice's session %d got %+v, bob got %+v", i, m, got)
		}
	}
	fence(alice, topics.Room(topics.Lobby), alice, tab, bob, mallory)
	count := func(c *client, topic string) (n int) {
		for _, m := range c.all() {
			var msg topics.Message
			if json.Unmarshal(m.Payload(), &msg) == nil && msg.ID == got.ID {
				if m.Topic() != topic {
					t.Errorf("%s got it on %s", c.user, m.Topic())
				}
				n++
			}
		}
		return n
	}
	if n := count(tab, topics.DM("alice", "bob")); n != 1 {
		t.Errorf("alice's other session got %d copies", n)
	}
	if n := count(bob, topics.DM("bob", "alice")); n != 1 {
		t.Errorf("bob got %d copies", n)
	}
	for _, m := range mallory.all() {
		if strings.Contains(string(m.Payload()), text) {
			t.Errorf("mallory received %s %s", m.Topic(), m.Payload())
		}
	}
}

// The leaver's other sessions, which the room's events no longer reach,
// are told by a room.left event of their own.
func TestRoomLeftReachesLeaversOtherSessions(t *testing.T) {
	b, alice, tab := aliceTwice(t, "bob")
	bob := connect(t, b, "bob")
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "study"}, nil)
	bob.mustCall(topics.MethodRoomJoin, topics.Params{Room: "study"}, nil)
	tab.sub("tachikoma/#")
	bob.sub("#")
	alice.mustCall(topics.MethodRoomLeave, topics.Params{Room: "study"}, nil)
	if ev := tab.expectEvent(topics.EventRoomLeft); ev.Room != "study" {
		t.Fatalf("room.left %+v", ev)
	}
	var left topics.Event
	if err := json.Unmarshal(bob.expect(topics.RoomEvents("study")).Payload(), &left); err != nil || left.Type != topics.EventLeft || left.User != "alice" {
		t.Fatalf("bob's room event %+v %v", left, err)
	}
	fence(alice, topics.Room(topics.Lobby), bob)
	for _, m := range bob.all() {
		if strings.Contains(string(m.Payload()), topics.EventRoomLeft) {
			t.Errorf("bob received %s %s", m.Topic(), m.Payload())
		}
	}
}

// A persistent session of the sender that is away (the pet on a suspended
// laptop) has the copy queued like any DM, and gets it on coming back.
func TestDMCopyQueuedForSendersAwaySession(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	befriend(t, alice, bob)
	awaySession(t, b, "alice", "alice-pet", topics.DMInbox("alice"))

	alice.pub(topics.DM("bob", "alice"), 1, "从手机发的")
	alice.mustCall(topics.MethodFriendList, nil, nil) // a round trip after the fan-out
	waitQueued := time.Now().Add(waitFor)
	for q := b.QueuedTopics("alice-pet"); len(q) == 0 && time.Now().Before(waitQueued); q = b.QueuedTopics("alice-pet") {
		time.Sleep(5 * time.Millisecond)
	}
	if q := b.QueuedTopics("alice-pet"); len(q) != 1 || q[0] != topics.DM("alice", "bob") {
		t.Fatalf("queued for alice's away session: %v", q)
	}
	pet, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "alice-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	if m := pet.expectChat(topics.DM("alice", "bob")); m.Text != "从手机发的" || m.From != "alice" || m.To != "bob" {
		t.Fatalf("queued copy %+v", m)
	}
}

// The joiner's other sessions are told by a room.joined event of their
// own, with the room's title, for a room joined or created elsewhere.
func TestRoomJoinedReachesJoinersOtherSessions(t *testing.T) {
	b, alice, tab := aliceTwice(t, "bob")
	bob := connect(t, b, "bob")
	bob.mustCall(topics.MethodRoomCreate, topics.Params{Room: "study", Title: "自习室"}, nil)
	tab.sub("tachikoma/#")
	bob.sub("#")
	alice.mustCall(topics.MethodRoomJoin, topics.Params{Room: "study"}, nil)
	if ev := tab.expectEvent(topics.EventRoomJoined); ev.Room != "study" || ev.Text != "自习室" {
		t.Fatalf("room.joined after a join %+v", ev)
	}
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "den", Title: "书房"}, nil)
	if ev := tab.expectEvent(topics.EventRoomJoined); ev.Room != "den" || ev.Text != "书房" {
		t.Fatalf("room.joined after a create %+v", ev)
	}
	fence(alice, topics.Room(topics.Lobby), bob)
	for _, m := range bob.all() {
		if strings.Contains(string(m.Payload()), topics.EventRoomJoined) {
			t.Errorf("bob received %s %s", m.Topic(), m.Payload())
		}
	}
}
