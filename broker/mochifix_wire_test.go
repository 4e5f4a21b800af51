package broker_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// texts reads PUBLISHes for up to waitFor, acknowledging each, until every
// chat text in want has arrived; it returns the texts seen in order.
func (c *rawClient) texts(t *testing.T, want ...string) []string {
	t.Helper()
	var got []string
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		missing := slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(got, w) })
		if !missing {
			return got
		}
		pk, err := c.read(time.Until(deadline))
		if err != nil {
			break
		}
		if pk.FixedHeader.Type != packets.Publish {
			continue
		}
		if pk.FixedHeader.Qos > 0 {
			c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
		}
		if pk.TopicName != topics.Replies("amy") {
			got = append(got, chatText(t, pk))
		}
	}
	t.Fatalf("got %q, want all of %q", got, want)
	return nil
}

// oneHeld has ben send two lobby messages to amy, an MQTT 5 client with
// receive maximum 1 subscribed to the lobby, and returns the first, which
// amy has not acknowledged: the second waits under a later packet id.
func oneHeld(t *testing.T, b *broker.Broker, amy *rawClient) packets.Packet {
	t.Helper()
	room := topics.Room(topics.Lobby)
	ben := connect(t, b, "ben")
	ben.pub(room, 1, `{"text":"one"}`)
	ben.pub(room, 1, `{"text":"two"}`)
	ben.mustCall(topics.MethodFriendList, nil, nil) // after both fan-outs
	first := amy.nextPublish()
	if chatText(t, first) != "one" {
		t.Fatalf("first = %q", first.Payload)
	}
	return first
}

// A QoS 1 PUBLISH from the client that uses the packet id of a message
// queued for it does not delete that message: the two directions' ids are
// independent [MQTT-2.2.1-4].
func TestQueuedSurvivesClientPublishWithSameID(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben")
	room := topics.Room(topics.Lobby)
	amy := dialRaw(t, b, "amy", 5, packets.Properties{ReceiveMaximum: 1})
	amy.subscribe(packets.Subscription{Filter: room, Qos: 1, NoLocal: true}, 0)
	first := oneHeld(t, b, amy)
	// "two" waits for the receive maximum under one of the next ids.
	for id := first.PacketID + 1; id < first.PacketID+4; id++ {
		amy.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: id,
			TopicName: room, Payload: []byte(`{"text":"mine"}`)})
		if ack := amy.next(); ack.FixedHeader.Type != packets.Puback || ack.PacketID != id {
			t.Fatalf("PUBACK for %d: %+v", id, ack)
		}
	}
	amy.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: first.PacketID})
	amy.texts(t, "two")
}

// holdPublish stops the reading goroutine of the client that publishes
// payload until release is closed: it is then still handling the packet.
type holdPublish struct {
	mqtt.HookBase
	payload []byte
	held    chan struct{}
	release chan struct{}
}

func (h *holdPublish) ID() string { return "test-hold-publish" }

func (h *holdPublish) Provides(b byte) bool { return b == mqtt.OnPublished }

func (h *holdPublish) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if bytes.Equal(pk.Payload, h.payload) {
		close(h.held)
		<-h.release
	}
}

// A queued message set aside while the client's PUBLISH with its packet id
// is handled goes back to the session when a new connection took the
// session over meanwhile, or is counted as dropped when the new connection
// started clean.
func TestQueuedSurvivesTakeoverDuringClientPublish(t *testing.T) {
	for _, clean := range []bool{false, true} {
		t.Run(fmt.Sprintf("clean=%v", clean), func(t *testing.T) { testTakeoverDuringClientPublish(t, clean) })
	}
}

func testTakeoverDuringClientPublish(t *testing.T, clean bool) {
	hold := &holdPublish{payload: []byte(`{"text":"mine"}`), held: make(chan struct{}), release: make(chan struct{})}
	b := brokertest.StartWith(t, testConfig(t.TempDir()), broker.Options{Logger: brokertest.Logger(t, testLogLevel),
		Hooks: []mqtt.Hook{hold}})
	register(t, b, "amy", "ben")
	room := topics.Room(topics.Lobby)
	session := packets.Properties{ReceiveMaximum: 1, SessionExpiryInterval: 3600, SessionExpiryIntervalFlag: true}
	amy := dialRawSession(t, b, "amy", "amy-pet", true, 5, session)
	amy.subscribe(packets.Subscription{Filter: room, Qos: 1, NoLocal: true}, 0)
	first := oneHeld(t, b, amy)

	// "two" is held under the id after first's; amy's PUBLISH with that id
	// sets it aside, and her pet reconnects while the broker handles it.
	amy.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: first.PacketID + 1,
		TopicName: room, Payload: hold.payload})
	select {
	case <-hold.held:
	case <-time.After(waitFor):
		t.Fatal("amy's PUBLISH was not handled")
	}
	dialRawSession(t, b, "amy", "amy-pet", clean, 5, session)
	close(hold.release)
	if clean {
		waitUntil(t, func() bool { return b.InflightCount() == 0 })
		if q := b.QueuedTopics("amy-pet"); len(q) > 0 {
			t.Fatalf("a clean start kept %q", q)
		}
		return
	}
	waitUntil(t, func() bool { return len(b.QueuedTopics("amy-pet")) == 2 })
}

// queueWatch records each queued message's creation stamp, and whether a
// resumed session's old client had its queue changed before mochi copied
// it.
type queueWatch struct {
	mqtt.HookBase
	b       *broker.Broker
	mu      sync.Mutex
	created map[uint16]int64
	changed []string
}

func (h *queueWatch) ID() string { return "test-queue-watch" }

func (h *queueWatch) Provides(b byte) bool {
	return b == mqtt.OnQosPublish || b == mqtt.OnSessionEstablish
}

func (h *queueWatch) OnQosPublish(cl *mqtt.Client, pk packets.Packet, sent int64, resends int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.created[pk.PacketID]; !ok {
		h.created[pk.PacketID] = pk.Created
	}
}

// OnSessionEstablish runs after the broker's own hooks.
func (h *queueWatch) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	old, ok := h.b.MochiClient(cl.ID)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range old.State.Inflight.GetAll(false) {
		if p.Created != h.created[p.PacketID] {
			h.changed = append(h.changed, fmt.Sprintf("id %d created %d, queued %d", p.PacketID, p.Created, h.created[p.PacketID]))
		}
	}
}

// A resumed session's queue is put in order on the new client, not on the
// old one, whose reading goroutine may still remove what was acknowledged
// (a rewrite would bring that back); the messages still come in order.
func TestResumedQueueOrderedOnTheNewClient(t *testing.T) {
	watch := &queueWatch{created: map[uint16]int64{}}
	b := brokertest.StartWith(t, testConfig(t.TempDir()), broker.Options{Logger: brokertest.Logger(t, testLogLevel),
		Hooks: []mqtt.Hook{watch}})
	watch.b = b
	register(t, b, "amy", "ben")
	room := topics.Room(topics.Lobby)
	amy := dialRawSession(t, b, "amy", "amy-pet", false, 4, packets.Properties{})
	amy.subscribe(packets.Subscription{Filter: room, Qos: 1}, 0)
	ben := connect(t, b, "ben")
	want := []string{"one", "two", "three"}
	for _, text := range want {
		ben.pub(room, 1, fmt.Sprintf(`{"text":%q}`, text))
	}
	for _, text := range want { // read, never acknowledged
		if got := chatText(t, amy.nextPublish()); got != text {
			t.Fatalf("got %q, want %q", got, text)
		}
	}
	again := dialRawSession(t, b, "amy", "amy-pet", false, 4, packets.Properties{})
	for _, text := range want {
		pk := again.nextPublish()
		if got := chatText(t, pk); got != text || !pk.FixedHeader.Dup {
			t.Fatalf("resent %q dup=%v, want %q", got, pk.FixedHeader.Dup, text)
		}
	}
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if len(watch.changed) > 0 {
		t.Fatalf("the old client's queue was rewritten: %q", watch.changed)
	}
}

// A QoS 2 PUBLISH sent again before its PUBREL (a client resending after a
// reconnect, with DUP) is acknowledged with a plain PUBREC and delivered
// once [MQTT-4.3.3-10]; mochi answered MQTT 5 with 0x91, which tells the
// sender that a message its friends already have failed.
func TestRepeatedQos2PublishAcknowledgedOnce(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben")
	ben := connect(t, b, "ben")
	ben.sub(topics.Room(topics.Lobby))
	for _, version := range []byte{4, 5} {
		amy := dialRaw(t, b, "amy", version, packets.Properties{})
		text := fmt.Sprintf("twice on MQTT %d, 两次", version)
		pub := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 2},
			TopicName: topics.Room(topics.Lobby), PacketID: 7, Payload: []byte(`{"text":"` + text + `"}`)}
		amy.send(pub)
		pub.FixedHeader.Dup = true
		for i := range 2 {
			if i == 1 {
				amy.send(pub)
			}
			if ack := amy.next(); ack.FixedHeader.Type != packets.Pubrec || ack.PacketID != 7 || ack.ReasonCode != 0 {
				t.Fatalf("MQTT %d, PUBLISH %d: %+v, want PUBREC 7 with reason 0", version, i+1, ack)
			}
		}
		amy.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrel, Qos: 1}, PacketID: 7})
		if ack := amy.next(); ack.FixedHeader.Type != packets.Pubcomp || ack.PacketID != 7 {
			t.Fatalf("MQTT %d: %+v, want PUBCOMP 7", version, ack)
		}
		if got := ben.expectChat(topics.Room(topics.Lobby)).Text; got != text {
			t.Fatalf("ben got %q, want %q", got, text)
		}
	}
	fence(connect(t, b, "amy"), topics.Room(topics.Lobby), ben)
	for _, m := range ben.drain() {
		if strings.HasPrefix(chatText(t, packets.Packet{Payload: m.Payload()}), "twice") {
			t.Errorf("delivered twice: %s", m.Payload())
		}
	}
}
