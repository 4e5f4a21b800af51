package broker_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// rawClient speaks MQTT packet by packet, for what paho (3.1.1 only) cannot
// show: MQTT 5 properties, subscription options, flow control, and a client
// that stops reading.
type rawClient struct {
	t       testing.TB
	conn    net.Conn
	r       *bufio.Reader
	version byte
}

func dialRaw(t testing.TB, b *broker.Broker, user string, version byte, props packets.Properties) *rawClient {
	t.Helper()
	return dialRawSession(t, b, user, user+"-raw-"+t.Name(), true, version, props)
}

// dialRawSession connects with a given client id and clean-session flag.
func dialRawSession(t testing.TB, b *broker.Broker, user, id string, clean bool, version byte, props packets.Properties) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", b.MQTTAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn), version: version}
	name := "MQTT"
	if version == 3 {
		name = "MQIsdp"
	}
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, Properties: props,
		Connect: packets.ConnectParams{ProtocolName: []byte(name), Clean: clean, Keepalive: 60,
			ClientIdentifier: id, UsernameFlag: true, Username: []byte(user),
			PasswordFlag: true, Password: []byte(user + "-password")}})
	if ack := c.next(); ack.FixedHeader.Type != packets.Connack || ack.ReasonCode != 0 {
		t.Fatalf("%s: CONNACK %+v", user, ack)
	}
	return c
}

func (c *rawClient) send(pk packets.Packet) {
	c.t.Helper()
	pk.ProtocolVersion = c.version
	b, err := brokertest.EncodePacket(pk)
	if err == nil {
		_, err = c.conn.Write(b)
	}
	if err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next packet, or an error (a timeout included).
func (c *rawClient) read(within time.Duration) (packets.Packet, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(within))
	return brokertest.ReadPacket(c.r, c.version)
}

func (c *rawClient) next() packets.Packet {
	c.t.Helper()
	pk, err := c.read(waitFor)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return pk
}

// nextPublish skips acknowledgements and returns the next PUBLISH.
func (c *rawClient) nextPublish() packets.Packet {
	c.t.Helper()
	for {
		if pk := c.next(); pk.FixedHeader.Type == packets.Publish {
			return pk
		}
	}
}

func (c *rawClient) subscribe(sub packets.Subscription, id int) {
	c.t.Helper()
	c.subscribeSeeing(sub, id)
}

// subscribeSeeing subscribes and returns the PUBLISHes that came before the
// SUBACK: the broker sends retained presence before it acknowledges, so
// these are all of them.
func (c *rawClient) subscribeSeeing(sub packets.Subscription, id int) []packets.Packet {
	c.t.Helper()
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 2,
		Filters: packets.Subscriptions{sub}}
	if id > 0 {
		pk.Properties.SubscriptionIdentifier = []int{id}
	}
	c.send(pk)
	var got []packets.Packet
	for {
		switch in := c.next(); in.FixedHeader.Type {
		case packets.Suback:
			if len(in.ReasonCodes) != 1 || in.ReasonCodes[0] > 2 {
				c.t.Fatalf("SUBACK %v", in.ReasonCodes)
			}
			return got
		case packets.Publish:
			if in.FixedHeader.Qos > 0 {
				c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: in.PacketID})
			}
			got = append(got, in)
		}
	}
}

func chatText(t *testing.T, pk packets.Packet) string {
	t.Helper()
	var m topics.Message
	if err := json.Unmarshal(pk.Payload, &m); err != nil {
		t.Fatalf("payload %q: %v", pk.Payload, err)
	}
	return m.Text
}

// One message reaches MQTT 3.1, 3.1.1 and 5 subscribers, each encoded for
// its protocol and subscription: QoS capped by the subscription, a packet
// id per QoS 1 copy, the subscription identifier, no-local honoured.
func TestFanOutFollowsEachSubscription(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben", "cat", "dan")
	room := topics.Room(topics.Lobby)

	amy := dialRaw(t, b, "amy", 5, packets.Properties{})
	amy.subscribe(packets.Subscription{Filter: room, Qos: 1}, 7)
	ben := dialRaw(t, b, "ben", 4, packets.Properties{})
	ben.subscribe(packets.Subscription{Filter: room, Qos: 0}, 0)
	cat := dialRaw(t, b, "cat", 5, packets.Properties{})
	cat.subscribe(packets.Subscription{Filter: "tachikoma/rooms/+", Qos: 1, NoLocal: true}, 0)
	cat.subscribe(packets.Subscription{Filter: topics.Replies("cat"), Qos: 0}, 0)
	dan := dialRaw(t, b, "dan", 3, packets.Properties{})
	dan.subscribe(packets.Subscription{Filter: room, Qos: 1}, 0)

	cat.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: 9,
		TopicName: room, Payload: []byte(`{"text":"hello all"}`)})
	if ack := cat.next(); ack.FixedHeader.Type != packets.Puback || ack.PacketID != 9 || ack.ReasonCode != 0 {
		t.Fatalf("cat's PUBACK: %+v", ack)
	}

	a := amy.nextPublish()
	if a.FixedHeader.Qos != 1 || a.PacketID == 0 || chatText(t, a) != "hello all" {
		t.Fatalf("amy got qos %d id %d %q", a.FixedHeader.Qos, a.PacketID, a.Payload)
	}
	if got := a.Properties.SubscriptionIdentifier; len(got) != 1 || got[0] != 7 {
		t.Fatalf("amy's subscription identifier = %v, want [7]", got)
	}
	if a.Properties.MessageExpiryInterval == 0 {
		t.Fatal("an MQTT 5 copy must carry the remaining expiry")
	}
	amy.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: a.PacketID})

	bn := ben.nextPublish()
	if bn.FixedHeader.Qos != 0 || chatText(t, bn) != "hello all" {
		t.Fatalf("ben got qos %d %q", bn.FixedHeader.Qos, bn.Payload)
	}
	d := dan.nextPublish()
	if d.FixedHeader.Qos != 1 || d.PacketID == 0 || chatText(t, d) != "hello all" {
		t.Fatalf("dan got qos %d id %d %q", d.FixedHeader.Qos, d.PacketID, d.Payload)
	}
	dan.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: d.PacketID})

	// cat subscribed with no-local: her own message must not come back
	// before the reply to the request she sent after it.
	if pk := cat.untilReply("cat"); len(pk) > 0 {
		t.Fatalf("cat received %+v despite no-local", pk)
	}
}

// untilReply sends user's request and returns the PUBLISHes that arrive
// before its reply: the request is handled after every message the client
// sent before it, and the reply is queued behind what it was sent so far.
// The client must be subscribed to its replies.
func (c *rawClient) untilReply(user string) []packets.Packet {
	c.t.Helper()
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topics.Requests(user),
		Payload: []byte(`{"id":"fence","method":"room.list"}`)})
	var got []packets.Packet
	for {
		pk := c.nextPublish()
		if pk.TopicName == topics.Replies(user) {
			return got
		}
		got = append(got, pk)
	}
}

// An MQTT 5 client's receive maximum holds further QoS 1 messages until it
// acknowledges; none is lost.
func TestFanOutRespectsReceiveMaximum(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben")
	room := topics.Room(topics.Lobby)
	amy := dialRaw(t, b, "amy", 5, packets.Properties{ReceiveMaximum: 1})
	amy.subscribe(packets.Subscription{Filter: room, Qos: 1}, 0)
	amy.subscribe(packets.Subscription{Filter: topics.Replies("amy"), Qos: 0}, 0) // QoS 0: not held
	first := oneHeld(t, b, amy)
	if pk := amy.untilReply("amy"); len(pk) > 0 {
		t.Fatalf("a second message arrived before the first was acknowledged: %+v", pk)
	}
	amy.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: first.PacketID})
	if second := amy.nextPublish(); chatText(t, second) != "two" {
		t.Fatalf("second = %q", second.Payload)
	}
}

// A subscriber that stops reading holds up nobody: the others get every
// message while it lags, and once more than limits.max_backlog_bytes waits
// for it the broker closes its connection.
func TestStalledSubscriberDoesNotHoldUpOthers(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 1e6, 1e6
	cfg.Limits.MaxPacketBytes = 20 << 10
	cfg.Limits.MaxBacklogBytes = 40 << 10
	b := startBroker(t, cfg)
	register(t, b, "amy", "ben", "cat")
	room := topics.Room(topics.Lobby)

	stalled := dialRaw(t, b, "cat", 4, packets.Properties{})
	stalled.subscribe(packets.Subscription{Filter: room, Qos: 0}, 0)
	amyLost := make(chan error, 1)
	amy := connect(t, b, "amy", func(o *paho.ClientOptions) {
		o.SetConnectionLostHandler(func(_ paho.Client, err error) { amyLost <- err })
	})
	amy.sub(room)
	ben := connect(t, b, "ben")

	// 12 MB in 4 KB messages: far more than loopback socket buffers hold.
	// Ben sends a window at a time, so that less than max_backlog_bytes is
	// ever on its way to amy: a healthy reader descheduled on a loaded
	// machine must not be cut off as a stalled one.
	text := strings.Repeat("x", 3990)
	const n, window = 3000, 8
	more := make(chan struct{}, n/window)
	go func() {
		for i := range n {
			if i > 0 && i%window == 0 {
				select {
				case <-more:
				case <-time.After(time.Minute):
					return
				}
			}
			if tok := ben.c.Publish(room, 0, false, fmt.Sprintf(`{"text":"%04d%s"}`, i, text)); !tok.WaitTimeout(waitFor) {
				t.Errorf("ben's publish %d timed out", i)
				return
			}
		}
	}()
	seen := map[string]bool{} // paho hands messages over concurrently: order is not checked here
	for len(seen) < n {
		select {
		case m := <-amy.in:
			var msg topics.Message
			if err := json.Unmarshal(m.Payload(), &msg); err != nil || len(msg.Text) != 4+len(text) {
				t.Fatalf("message %q: %v", m.Payload(), err)
			}
			seen[msg.Text[:4]] = true
			if len(seen)%window == 0 {
				more <- struct{}{}
			}
		case err := <-amyLost:
			t.Fatalf("amy's connection lost after %d of %d messages: %v", len(seen), n, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("amy stuck after %d of %d messages behind a stalled subscriber", len(seen), n)
		}
	}
	// The stalled client now reads: what the kernel held, then the end.
	var err error
	for err == nil {
		_, err = stalled.read(waitFor)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("stalled client: %v, want the connection closed by the broker", err)
	}
}

// A room big enough for the fan-out to be split over the CPUs: every
// member gets every message, each publisher's in order.
func TestBigRoomGetsEverythingInOrder(t *testing.T) {
	if n := runtime.GOMAXPROCS(0); n < 2 {
		runtime.GOMAXPROCS(2) // the split needs two
		t.Cleanup(func() { runtime.GOMAXPROCS(n) })
	}
	cfg := testConfig(t.TempDir())
	cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 1e6, 1e6
	b := startBroker(t, cfg)
	const members, msgs = 80, 30
	var names []string
	for i := range members {
		names = append(names, fmt.Sprintf("member%02d", i))
	}
	register(t, b, append(names, "talker1", "talker2")...)
	room := topics.Room(topics.Lobby)
	subs := make([]*rawClient, members)
	for i, n := range names {
		subs[i] = dialRaw(t, b, n, 4, packets.Properties{})
		subs[i].subscribe(packets.Subscription{Filter: room, Qos: 1}, 0)
	}
	talkers := []*client{connect(t, b, "talker1"), connect(t, b, "talker2")}
	done := make(chan struct{})
	for k, tk := range talkers {
		go func() {
			defer func() { done <- struct{}{} }()
			// Back to back, not waiting for acknowledgements: the next
			// message is read while the last one may still be going out.
			var last paho.Token
			for i := range msgs {
				last = tk.c.Publish(room, 0, false, fmt.Sprintf(`{"text":"%d-%03d"}`, k+1, i))
			}
			last.WaitTimeout(waitFor)
		}()
	}
	for _, sc := range subs {
		next := map[string]int{"1": 0, "2": 0}
		for range 2 * msgs {
			pk := sc.nextPublish()
			from, seq, _ := strings.Cut(chatText(t, pk), "-")
			if want := fmt.Sprintf("%03d", next[from]); seq != want {
				t.Fatalf("talker %s's message %s arrived where %s was due", from, seq, want)
			}
			next[from]++
		}
	}
	<-done
	<-done
}
