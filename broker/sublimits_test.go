package broker_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// subackCodes subscribes to filters in one packet and returns the SUBACK's
// codes.
func (c *rawClient) subackCodes(filters ...string) []byte {
	c.t.Helper()
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 7}
	for _, f := range filters {
		pk.Filters = append(pk.Filters, packets.Subscription{Filter: f, Qos: 1})
	}
	c.send(pk)
	for range 100 {
		if in := c.next(); in.FixedHeader.Type == packets.Suback {
			return in.ReasonCodes
		}
	}
	c.t.Fatal("no SUBACK among 100 packets")
	return nil
}

var deepFilter = "tachikoma/rooms/lobby/" + strings.Repeat("x/", 20) + "x"

func TestSubscriptionLimits(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MaxSubscriptionsPerSession = 3
	cfg.Limits.MaxSubscriptionsPerUser = 4
	b := startBroker(t, cfg)
	register(t, b, "alice")

	// MQTT 3.1.1: a refusal is 0x80.
	alice := connect(t, b, "alice")
	for _, f := range []string{topics.Events("alice"), topics.Replies("alice"), topics.DMInbox("alice")} {
		if code := alice.subResult(f); code != 1 {
			t.Fatalf("subscription %s within the limit: %#x", f, code)
		}
	}
	if code := alice.subResult(topics.Room(topics.Lobby)); code != 0x80 {
		t.Fatalf("fourth filter of a session: %#x, want 0x80", code)
	}
	if code := alice.subResult(topics.Events("alice")); code != 1 {
		t.Fatalf("resubscribing at the limit: %#x", code)
	}
	if ev := alice.expectEvent(topics.EventNotice); !strings.Contains(ev.Text, "Subscriptions refused") {
		t.Fatalf("notice %q", ev.Text)
	}

	// MQTT 5: 0x97 past the user's budget (4, three used above), 0x8F for a
	// filter too deep or too long.
	v5 := dialRaw(t, b, "alice", 5, packets.Properties{})
	codes := v5.subackCodes(topics.Room(topics.Lobby), topics.AllPresence, deepFilter, "tachikoma/rooms/"+strings.Repeat("x", 300))
	want := []byte{1, packets.ErrQuotaExceeded.Code, packets.ErrTopicFilterInvalid.Code, packets.ErrTopicFilterInvalid.Code}
	if string(codes) != string(want) {
		t.Fatalf("MQTT 5 SUBACK %#v, want %#v", codes, want)
	}
	if code := alice.subResult(deepFilter); code != 0x80 {
		t.Fatalf("3.1.1 deep filter: %#x, want 0x80", code)
	}
}

func TestSessionsPerUser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MaxSessionsPerUser = 2
	b := startBroker(t, cfg)
	register(t, b, "alice")
	url := "tcp://" + b.MQTTAddr()
	keep := func(o *paho.ClientOptions) { o.SetCleanSession(false) }
	for _, id := range []string{"alice-1", "alice-2"} {
		c, err := dial(t, url, "alice", "alice-password", id, keep)
		if err != nil {
			t.Fatal(err)
		}
		c.c.Disconnect(0)
	}
	_, err := dial(t, url, "alice", "alice-password", "alice-3", keep)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unavailable") {
		t.Fatalf("third session: %v, want server unavailable", err)
	}
	if _, err := dial(t, url, "alice", "alice-password", "alice-1", keep); err != nil {
		t.Fatalf("resuming a session: %v", err)
	}
	// MQTT 5: 0x97 quota exceeded.
	_, ack := rawConnect(t, b, "alice", "alice-4")
	if ack.FixedHeader.Type != packets.Connack || ack.ReasonCode != packets.ErrQuotaExceeded.Code {
		t.Fatalf("MQTT 5 third session: %+v", ack)
	}
}

// Logins with new client ids in parallel get no more sessions than one
// after another: each is held, once past the broker's own checks, until
// every other has been either held too or refused.
func TestSessionsPerUserInParallel(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MaxSessionsPerUser = 2
	hold := &connectBarrier{release: make(chan struct{})}
	b := brokertest.StartWith(t, cfg, broker.Options{Logger: brokertest.Logger(t, testLogLevel), Hooks: []mqtt.Hook{hold}})
	register(t, b, "alice")
	const n = 4 // fewer than the login guard lets through at once
	var refused atomic.Int32
	codes := make(chan byte, n)
	for i := range n {
		go func() {
			code, err := connackCode(b, "alice", fmt.Sprintf("alice-%d", i))
			if err != nil {
				t.Errorf("connect %d: %v", i, err)
				code = 0xff
			}
			if code != 0 {
				refused.Add(1)
			}
			codes <- code
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for hold.arrived.Load()+refused.Load() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(hold.release)
	ok := 0
	for range n {
		if <-codes == 0 {
			ok++
		}
	}
	if ok != cfg.Limits.MaxSessionsPerUser {
		t.Fatalf("%d of %d parallel logins with new client ids got a session, want %d", ok, n, cfg.Limits.MaxSessionsPerUser)
	}
}

// connectBarrier holds each CONNECT that reaches it until release closes.
type connectBarrier struct {
	mqtt.HookBase
	arrived atomic.Int32
	release chan struct{}
}

func (h *connectBarrier) ID() string { return "test-connect-barrier" }

func (h *connectBarrier) Provides(b byte) bool { return b == mqtt.OnConnect }

func (h *connectBarrier) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	h.arrived.Add(1)
	select {
	case <-h.release:
	case <-time.After(time.Minute): // never hang the broker's Close
	}
	return nil
}

// connackCode logs in over MQTT 5 from any goroutine and returns the
// CONNACK's reason code.
func connackCode(b *broker.Broker, user, id string) (byte, error) {
	conn, err := net.Dial("tcp", b.MQTTAddr())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	wire, err := brokertest.EncodePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 5,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: false, Keepalive: 60,
			ClientIdentifier: id, UsernameFlag: true, Username: []byte(user),
			PasswordFlag: true, Password: []byte(user + "-password")}})
	if err != nil {
		return 0, err
	}
	if _, err := conn.Write(wire); err != nil {
		return 0, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	ack, err := brokertest.ReadPacket(bufio.NewReader(conn), 5)
	if err != nil {
		return 0, err
	}
	if ack.FixedHeader.Type != packets.Connack {
		return 0, fmt.Errorf("got packet type %d, not CONNACK", ack.FixedHeader.Type)
	}
	return ack.ReasonCode, nil
}

// rawConnect sends an MQTT 5 CONNECT and returns the CONNACK, whatever it
// says.
func rawConnect(t *testing.T, b *broker.Broker, user, id string) (*rawClient, packets.Packet) {
	t.Helper()
	conn, err := net.Dial("tcp", b.MQTTAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn), version: 5}
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect},
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60,
			ClientIdentifier: id, UsernameFlag: true, Username: []byte(user),
			PasswordFlag: true, Password: []byte(user + "-password")}})
	return c, c.next()
}

// mochi announces no topic aliases (so none are allowed) but accepted
// 65,535 per connection, each holding a topic name.
func TestTopicAliasesAreRefused(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	c, ack := rawConnect(t, b, "alice", "alice-v5")
	if ack.ReasonCode != 0 || ack.Properties.TopicAliasMaximum != 0 {
		t.Fatalf("CONNACK %#x, topic alias maximum %d", ack.ReasonCode, ack.Properties.TopicAliasMaximum)
	}
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: 3,
		TopicName: topics.Room(topics.Lobby), Payload: []byte("hi"),
		Properties: packets.Properties{TopicAlias: 1, TopicAliasFlag: true}})
	for range 100 {
		pk, err := c.read(waitFor)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("a publish setting a topic alias was neither answered nor refused")
			}
			return // closed
		}
		switch pk.FixedHeader.Type {
		case packets.Puback:
			t.Fatalf("a publish setting a topic alias was acknowledged (%#x)", pk.ReasonCode)
		case packets.Disconnect:
			return
		}
	}
	t.Fatal("a publish setting a topic alias was neither answered nor refused")
}
