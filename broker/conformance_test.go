package broker_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
	pahopackets "github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// TestRefusedPublishIsAcknowledged: a publish the ACL refuses is
// acknowledged and dropped, as mosquitto does, on MQTT 3.1.1 (which has no
// negative acknowledgement) and with reason code 0x87 on MQTT 5; the
// connection stays and the sender gets a notice.
func TestRefusedPublishIsAcknowledged(t *testing.T) {
	b := openBroker(t, "topic deny secret/#\n", "alice", "bob")
	spy := sub(t, b, "bob", "-t", "#", "-t", topics.Events("alice"), "-q", "2")
	notices := sub(t, b, "alice", "-t", topics.Events("alice"))
	n := 0
	for _, version := range []string{"mqttv311", "mqttv5"} {
		// The ACL file's deny, built-in rules, and a DM to a stranger
		// (refused by the chat path after the write check).
		for _, topic := range []string{"secret/x", topics.Events("bob"), topics.PresenceTopic("bob"), topics.DM("bob", "alice")} {
			for _, qos := range []string{"0", "1", "2"} {
				t.Run(fmt.Sprintf("%s/%s/qos%s", version, topic, qos), func(t *testing.T) {
					// Two publishes on one connection: the second is only
					// acknowledged if the first left the connection open.
					p := pub(t, b, "alice", "-V", version, "-q", qos, "-t", topic, "-m", "forged", "--repeat", "2")
					wantAck := map[string]string{"1": "received PUBACK (Mid: 2", "2": "received PUBREC (Mid: 2"}[qos]
					if wantAck != "" && !p.has(wantAck) {
						t.Errorf("second publish not acknowledged")
					}
					if version == "mqttv5" && qos != "0" && !p.has("Not authorized") {
						t.Errorf("MQTT 5 acknowledgement without reason code 0x87")
					}
					if version == "mqttv311" && p.has("Not authorized") {
						t.Errorf("MQTT 3.1.1 acknowledgement with a reason code")
					}
					if qos == "2" && version == "mqttv311" && !p.has("received PUBCOMP (Mid: 2") {
						t.Errorf("QoS 2 flow not completed")
					}
					if p.has("received PUBACK") && qos == "2" || p.has("received PUBREC") && qos == "1" {
						t.Errorf("acknowledged with the wrong packet type")
					}
				})
				n += 2
			}
		}
	}
	pub(t, b, "alice", "-t", "marker", "-m", "marker")
	spy.waitMessage("marker")
	for _, m := range spy.messages() {
		if m.Payload == "forged" {
			t.Errorf("bob received the refused publish on %s", m.Topic)
		}
	}
	// Every refused publish got a notice (QoS 0 included).
	for i := 0; ; i++ {
		got := 0
		for _, m := range notices.messages() {
			if strings.Contains(m.Payload, `"notice"`) {
				got++
			}
		}
		if got >= n {
			break
		}
		if i == 100 {
			t.Fatalf("%d notices for %d refused publishes", got, n)
		}
		notices.waitLine(fmt.Sprintf("m%d", got+1)) // the next PUBLISH line
	}
}

// TestSysPublishIsAcknowledged: mochi drops a client's publish to $SYS
// before any hook; the publisher still gets its acknowledgement.
func TestSysPublishIsAcknowledged(t *testing.T) {
	b := openBroker(t, "", "alice")
	for _, version := range []string{"mqttv311", "mqttv5"} {
		for _, qos := range []string{"1", "2"} {
			t.Run(version+"/qos"+qos, func(t *testing.T) {
				p := pub(t, b, "alice", "-V", version, "-q", qos, "-t", "$SYS/broker/uptime", "-m", "0", "--repeat", "2")
				want := map[string]string{"1": "received PUBACK (Mid: 2", "2": "received PUBREC (Mid: 2"}[qos]
				if !p.has(want) {
					t.Errorf("no %q", want)
				}
				if version == "mqttv5" && !p.has("Not authorized") {
					t.Errorf("MQTT 5 acknowledgement without reason code 0x87")
				}
			})
		}
	}
}

// TestEmptyClientIDNeedsCleanSession: MQTT 3.1.1 answers an empty client
// id with clean session 0 with return code 0x02 [MQTT-3.1.3-8]; with clean
// session 1 it is accepted [MQTT-3.1.3-6].
func TestEmptyClientIDNeedsCleanSession(t *testing.T) {
	b := openBroker(t, "", "alice")
	_, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "", func(o *paho.ClientOptions) { o.SetCleanSession(false) })
	if !errors.Is(err, pahopackets.ErrorRefusedIDRejected) {
		t.Fatalf("connect with empty id, clean session 0: %v, want %v", err, pahopackets.ErrorRefusedIDRejected)
	}
	// mosquitto_pub sends an empty id by default, with clean session 1.
	p := pub(t, b, "alice", "-V", "mqttv311", "-q", "1", "-t", "a/b", "-m", "x")
	if !p.has("Client (null) sending CONNECT") || !p.has("received PUBACK") {
		t.Fatal("empty client id with clean session 1 refused")
	}
	// MQTT 5 assigns one [MQTT-3.1.3-7].
	p = pub(t, b, "alice", "-V", "mqttv5", "-q", "1", "-t", "a/b", "-m", "x")
	if p.has("Client (null) received CONNACK") || !p.has("received PUBACK") {
		t.Fatal("no client id assigned to an MQTT 5 client")
	}
}

// willClient starts an MQTT 5 mosquitto_sub for user with a will on topic
// sent after delay seconds, in a session that outlives the connection.
func willClient(t *testing.T, b *broker.Broker, user, id, topic, payload, delay string) *mosq {
	t.Helper()
	return sub(t, b, user, "-V", "mqttv5", "-i", id, "-c", "-x", "60", "-t", "nothing/here",
		"--will-topic", topic, "--will-payload", payload, "--will-qos", "1", "-D", "will", "will-delay-interval", delay)
}

// historyTexts is the text of every message in a DM or room history.
func historyTexts(c *client, params topics.Params) []string {
	var h topics.History
	c.mustCall(topics.MethodHistory, params, &h)
	var out []string
	for _, m := range h.Messages {
		out = append(out, m.Text)
	}
	return out
}

// TestDelayedWillIsCheckedWhenSent: an MQTT 5 will with a delay reaches
// nobody the sender may no longer write to when the delay ends, and is
// stored only when sent.
func TestDelayedWillIsCheckedWhenSent(t *testing.T) {
	b := openBroker(t, "", "alice", "bob", "carol")
	alice, bob, carol := connect(t, b, "alice"), connect(t, b, "bob"), connect(t, b, "carol")
	befriend(t, alice, bob)
	befriend(t, carol, bob)
	inbox := sub(t, b, "bob", "-V", "mqttv5", "-t", topics.DMInbox("bob"), "-q", "1")
	w := willClient(t, b, "alice", "alice-will", topics.DM("bob", "alice"), "alice left", "1")
	w.kill() // the will waits for its delay
	bob.mustCall(topics.MethodFriendRemove, topics.Params{User: "alice"}, nil)
	// carol's will is due no earlier than alice's: once it is delivered,
	// alice's has been sent or dropped.
	control := willClient(t, b, "carol", "carol-will", topics.DM("bob", "carol"), "carol left", "1")
	control.kill()
	inbox.waitMessage(`"carol left"`)
	for _, m := range inbox.messages() {
		if strings.Contains(m.Payload, "alice left") {
			t.Errorf("an ex-friend got the delayed will: %s", m.Payload)
		}
	}
	if h := historyTexts(alice, topics.Params{Peer: "bob"}); slices.Contains(h, "alice left") {
		t.Errorf("dropped will stored in history: %q", h)
	}
	if h := historyTexts(carol, topics.Params{Peer: "bob"}); !slices.Contains(h, "carol left") {
		t.Errorf("sent will not stored in history: %q", h)
	}
}

// TestCancelledDelayedWillIsNotStored: a client back within its will delay
// cancels the will [MQTT-3.1.3-9]; it never reaches history.
func TestCancelledDelayedWillIsNotStored(t *testing.T) {
	b := openBroker(t, "", "alice", "bob", "carol")
	alice := connect(t, b, "alice")
	befriend(t, connect(t, b, "carol"), connect(t, b, "bob"))
	inbox := sub(t, b, "bob", "-V", "mqttv5", "-t", topics.DMInbox("bob"), "-t", topics.Room(topics.Lobby), "-q", "1")
	w := willClient(t, b, "alice", "alice-will", topics.Room(topics.Lobby), "cancelled", "1")
	w.kill()
	willClient(t, b, "alice", "alice-will", topics.Room(topics.Lobby), "cancelled", "1") // back in time
	// carol's will is due no earlier than alice's would have been.
	control := willClient(t, b, "carol", "carol-will", topics.DM("bob", "carol"), "control", "1")
	control.kill()
	inbox.waitMessage(`"control"`)
	pub(t, b, "bob", "-t", topics.Room(topics.Lobby), "-q", "1", "-m", "marker")
	inbox.waitMessage(`"marker"`) // the room's delivery has caught up
	for _, m := range inbox.messages() {
		if strings.Contains(m.Payload, "cancelled") {
			t.Errorf("cancelled will delivered: %s", m.Payload)
		}
	}
	if h := historyTexts(alice, topics.Params{Room: topics.Lobby}); slices.Contains(h, "cancelled") {
		t.Errorf("cancelled will stored in history: %q", h)
	}
}
