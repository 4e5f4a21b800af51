package broker_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
	pahopackets "github.com/eclipse/paho.mqtt.golang/packets"

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
