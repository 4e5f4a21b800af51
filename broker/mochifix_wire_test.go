package broker_test

import (
	"slices"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

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

// A QoS 1 PUBLISH from the client that uses the packet id of a message
// queued for it does not delete that message: the two directions' ids are
// independent [MQTT-2.2.1-4].
func TestQueuedSurvivesClientPublishWithSameID(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben")
	room := topics.Room(topics.Lobby)
	amy := dialRaw(t, b, "amy", 5, packets.Properties{ReceiveMaximum: 1})
	amy.subscribe(packets.Subscription{Filter: room, Qos: 1, NoLocal: true}, 0)
	ben := connect(t, b, "ben")
	ben.pub(room, 1, `{"text":"one"}`)
	ben.pub(room, 1, `{"text":"two"}`)
	ben.mustCall(topics.MethodFriendList, nil, nil) // after both fan-outs

	first := amy.nextPublish()
	if chatText(t, first) != "one" {
		t.Fatalf("first = %q", first.Payload)
	}
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
