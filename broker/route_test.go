package broker_test

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// The pet's one filter, tachikoma/#, brings everything a user may read and
// nothing else; after UNSUBSCRIBE, nothing.
func TestPetFilterGetsWhatTheUserMayRead(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob", "carol")
	alice, bob, carol := connect(t, b, "alice"), connect(t, b, "bob"), connect(t, b, "carol")
	befriend(t, alice, bob)
	carol.mustCall(topics.MethodRoomCreate, topics.Params{Room: "carols"}, nil)
	bob.mustCall(topics.MethodRoomCreate, topics.Params{Room: "den"}, nil)

	alice.sub(topics.PetFilters("alice")...)
	alice.expect(topics.PresenceTopic("bob")) // a friend's current presence
	alice.mustCall(topics.MethodRoomJoin, topics.Params{Room: "den"}, nil)
	alice.expect(topics.RoomEvents("den"))
	bob.pub(topics.Room("den"), 1, `{"text":"in the den"}`)
	if m := alice.expectChat(topics.Room("den")); m.Text != "in the den" || m.From != "bob" {
		t.Fatalf("room message %+v", m)
	}
	bob.pub(topics.DM("alice", "bob"), 1, `{"text":"just you"}`)
	if m := alice.expectChat(topics.DM("alice", "bob")); m.Text != "just you" {
		t.Fatalf("DM %+v", m)
	}
	carol.pub(topics.Room("carols"), 1, `{"text":"not for alice"}`)
	carol.mustCall(topics.MethodFriendRequest, topics.Params{User: "alice"}, nil)
	alice.expect(topics.Events("alice"))
	bob.c.Disconnect(0)
	alice.expect(topics.PresenceTopic("bob"))
	fence(carol, topics.Room(topics.Lobby), alice)
	for _, m := range alice.all() {
		if strings.Contains(m.Topic(), "carol") || strings.Contains(string(m.Payload()), "not for alice") {
			t.Errorf("alice got %s %s", m.Topic(), m.Payload())
		}
	}

	if tok := alice.c.Unsubscribe(topics.PetFilters("alice")...); !tok.WaitTimeout(waitFor) || tok.Error() != nil {
		t.Fatalf("unsubscribe: %v", tok.Error())
	}
	before := len(alice.all())
	carol.pub(topics.Room(topics.Lobby), 1, `{"text":"after unsubscribe"}`)
	carol.mustCall(topics.MethodFriendList, nil, nil) // carol's reply comes after the lobby message
	alice.mustCall(topics.MethodFriendList, nil, nil) // a reply on alice's own subscription still comes
	for _, m := range alice.all()[before:] {
		if m.Topic() != topics.Replies("alice") {
			t.Errorf("after UNSUBSCRIBE alice still got %s %s", m.Topic(), m.Payload())
		}
	}
}

// A room message looks at the room's members only, not at every session
// whose filter matches the topic (every pet's tachikoma/# does).
func TestRoomMessageLooksOnlyAtMembers(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	var names []string
	for i := range 20 {
		names = append(names, fmt.Sprintf("pet%02d", i))
	}
	register(t, b, append(names, "alice", "bob")...)
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "den"}, nil)
	bob.mustCall(topics.MethodRoomJoin, topics.Params{Room: "den"}, nil)
	for _, n := range names {
		connect(t, b, n).sub(topics.PetFilters(n)...)
	}
	alice.sub(topics.All)
	bob.sub(topics.Room("den"), topics.Room("elsewhere"))

	if got := b.Readers(topics.Room("den")); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("a den message would look at %v's sessions, want the members'", got)
	}
	id := func(user string) string { return user + "-" + t.Name() } // connect's client ids
	want := []string{id("alice"), id("bob")}
	if got := b.RouteTargets(topics.Room("den")); !slices.Equal(got, want) {
		t.Fatalf("a den message would go to %v, want %v", got, want)
	}
	if got := b.RouteTargets(topics.DM("alice", "bob")); !slices.Equal(got, []string{id("alice")}) {
		t.Fatalf("a DM to alice would go to %v", got)
	}
	// The lobby is everyone's: every session whose filters match (bob's do not).
	if got := b.RouteTargets(topics.Room(topics.Lobby)); len(got) != len(names)+1 || !slices.Contains(got, id("alice")) || slices.Contains(got, id("bob")) {
		t.Fatalf("a lobby message would go to %v", got)
	}
	if got := b.RouteTargets(topics.Requests("alice")); len(got) != 0 {
		t.Fatalf("alice's requests would go to %v", got)
	}
}

// A shared subscription covering a room: each message goes to one member
// of the group who may read it, never to one who may not.
func TestRoomMessageReachesOneSharedSubscriber(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 1e6, 1e6
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob", "carol", "dave")
	raw := map[string]*rawClient{}
	for _, name := range []string{"alice", "bob", "carol"} {
		raw[name] = dialRaw(t, b, name, 5, packets.Properties{})
	}
	dave := connect(t, b, "dave")
	dave.mustCall(topics.MethodRoomCreate, topics.Params{Room: "den"}, nil)
	for _, name := range []string{"alice", "bob"} {
		c := connect(t, b, name)
		c.mustCall(topics.MethodRoomJoin, topics.Params{Room: "den"}, nil)
	}
	group := "$share/workers/" + topics.AllRooms
	for name, c := range raw {
		c.subscribe(packets.Subscription{Filter: group, Qos: 1}, 0)
		c.subscribe(packets.Subscription{Filter: topics.Replies(name), Qos: 0}, 0)
	}
	const n = 20
	for i := range n {
		dave.pub(topics.Room("den"), 1, fmt.Sprintf(`{"text":"job %d"}`, i))
	}
	dave.pub(topics.Room(topics.Lobby), 1, `{"text":"done"}`) // carol may read this one
	// dave's reply comes after his messages' fan-out; each raw client's own
	// reply then comes after every delivery made to it.
	dave.mustCall(topics.MethodFriendList, nil, nil)
	got := map[string]int{}
	for name, c := range raw {
		c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topics.Requests(name),
			Payload: []byte(`{"id":"fence","method":"room.list"}`)})
		for {
			pk := c.nextPublish()
			if pk.TopicName == topics.Replies(name) {
				break
			}
			got[pk.TopicName+" "+name]++
			c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
		}
	}
	den := topics.Room("den")
	if got[den+" carol"] != 0 || got[den+" alice"]+got[den+" bob"] != n {
		t.Fatalf("deliveries %v: want %d den messages between alice and bob, none for carol", got, n)
	}
	if lobby := topics.Room(topics.Lobby); got[lobby+" alice"]+got[lobby+" bob"]+got[lobby+" carol"] != 1 {
		t.Fatalf("deliveries %v: want the lobby message once", got)
	}
}

// A 3.1.1 subscriber's PUBACKs complete its QoS 1 deliveries without going
// through mochi's packet handling (conn.Conn.OnPuback): the queue empties,
// mochi handles none of them, and its $SYS counters still count them.
func TestPubacksCompleteDeliveries(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 1e6, 1e6
	handled := &pubacksRead{}
	b := brokertest.StartWith(t, cfg, broker.Options{Logger: brokertest.Logger(t, testLogLevel), Hooks: []mqtt.Hook{handled}})
	register(t, b, "alice", "bob")
	sub := dialRaw(t, b, "alice", 4, packets.Properties{})
	sub.subscribe(packets.Subscription{Filter: topics.Room(topics.Lobby), Qos: 1}, 0)
	bob := connect(t, b, "bob")
	const n = 50
	for i := range n {
		bob.pub(topics.Room(topics.Lobby), 1, fmt.Sprintf(`{"text":"%d"}`, i))
	}
	var acks []byte
	for range n {
		pk := sub.nextPublish()
		acks = append(acks, 0x40, 2, byte(pk.PacketID>>8), byte(pk.PacketID))
	}
	id := "alice-raw-" + t.Name()
	// mochi counts bob's last publish as inflight until just after its
	// PUBACK is written: wait for that to settle.
	deadline := time.Now().Add(waitFor)
	for b.InflightCount() != n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if q, c := b.QueuedTopics(id), b.InflightCount(); len(q) != n || c != n {
		t.Fatalf("%d deliveries awaiting PUBACK ($SYS says %d), want %d", len(q), c, n)
	}
	read, bytes := b.PacketsRead(), b.BytesRead()
	if _, err := sub.conn.Write(acks); err != nil { // one write: taken unless TCP splits it
		t.Fatal(err)
	}
	deadline = time.Now().Add(waitFor)
	for len(b.QueuedTopics(id)) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if q, c := b.QueuedTopics(id), b.InflightCount(); len(q) != 0 || c != 0 {
		t.Fatalf("%d deliveries still awaiting PUBACK after all were sent ($SYS says %d)", len(q), c)
	}
	if d := handled.n.Load(); d > n/2 {
		t.Fatalf("mochi handled %d of the %d PUBACKs", d, n)
	}
	if d, db := b.PacketsRead()-read, b.BytesRead()-bytes; d < n || db < 4*n {
		t.Fatalf("$SYS counts %d packets and %d bytes received for the %d PUBACKs (%d bytes)", d, db, n, 4*n)
	}
}

// pubacksRead counts the PUBACKs mochi reads.
type pubacksRead struct {
	mqtt.HookBase
	n atomic.Int64
}

func (h *pubacksRead) ID() string { return "test-pubacks-read" }

func (h *pubacksRead) Provides(b byte) bool { return b == mqtt.OnPacketRead }

func (h *pubacksRead) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type == packets.Puback {
		h.n.Add(1)
	}
	return pk, nil
}
