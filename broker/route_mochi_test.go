package broker_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
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

// deliveryRecorder is a mochi hook that logs the delivery hooks mochi calls
// for PUBLISH packets to one client.
type deliveryRecorder struct {
	mqtt.HookBase
	client string
	mu     sync.Mutex
	log    []string
}

func (h *deliveryRecorder) ID() string { return "test-delivery-recorder" }

func (h *deliveryRecorder) Provides(b byte) bool {
	return b == mqtt.OnQosPublish || b == mqtt.OnPacketEncode || b == mqtt.OnPacketSent
}

func (h *deliveryRecorder) note(cl *mqtt.Client, pk packets.Packet, what string) {
	if cl.ID != h.client || pk.FixedHeader.Type != packets.Publish {
		return
	}
	h.mu.Lock()
	h.log = append(h.log, fmt.Sprintf("%s %s qos=%d", what, pk.TopicName, pk.FixedHeader.Qos))
	h.mu.Unlock()
}

func (h *deliveryRecorder) OnQosPublish(cl *mqtt.Client, pk packets.Packet, sent int64, resends int) {
	h.note(cl, pk, fmt.Sprintf("qos-publish resends=%d", resends))
}

func (h *deliveryRecorder) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	h.note(cl, pk, "encode")
	return pk
}

func (h *deliveryRecorder) OnPacketSent(cl *mqtt.Client, pk packets.Packet, b []byte) {
	h.note(cl, pk, fmt.Sprintf("sent %d bytes", len(b)))
}

// take returns the log so far, split by path (each line's topic without its
// first level, so that the two compare equal), and empties it.
func (h *deliveryRecorder) take() (mochi, route []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.log {
		if strings.Contains(l, " "+topics.Root+"/") {
			route = append(route, strings.Replace(l, " "+topics.Root+"/", " ", 1))
		} else {
			mochi = append(mochi, strings.Replace(l, " elsewhere/", " ", 1))
		}
	}
	h.log = nil
	return mochi, route
}

// sent counts the OnPacketSent calls logged.
func (h *deliveryRecorder) sent() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, l := range h.log {
		if strings.HasPrefix(l, "sent ") {
			n++
		}
	}
	return n
}

// The same subscription, the same message: mochi's delivery (a topic
// outside tachikoma/, which the ACL file opens) and route's (the same topic
// under tachikoma/, of equal length) must give the subscriber the same
// packet, call the same hooks and count the same $SYS messages.
func TestRouteDeliversAsMochiDoes(t *testing.T) {
	const (
		routed = "tachikoma/users/sub/events"
		plain  = "elsewhere/users/sub/events" // as long as routed: the same bytes
	)
	type tc struct {
		name    string
		version byte // the subscriber's
		sub     packets.Subscription
		subID   int
		pub     packets.Packet // Qos, Retain, Properties
		self    bool           // the subscriber publishes
		capQos  bool           // set the server's maximum QoS to maxQos
		maxQos  byte
		offline bool // a persistent session, away while the message is sent
	}
	five := func(qos byte) packets.Packet {
		return packets.Packet{FixedHeader: packets.FixedHeader{Qos: qos}}
	}
	cases := []tc{
		{name: "qos 2 downgraded to the subscription's 1", version: 5, sub: packets.Subscription{Qos: 1}, pub: five(2)},
		{name: "qos 1 downgraded to 0", version: 5, sub: packets.Subscription{Qos: 0}, pub: five(1)},
		{name: "qos 2 to qos 2", version: 5, sub: packets.Subscription{Qos: 2}, pub: five(2)},
		{name: "no-local, own message", version: 5, sub: packets.Subscription{Qos: 1, NoLocal: true}, pub: five(1), self: true},
		{name: "no-local unset, own message", version: 5, sub: packets.Subscription{Qos: 1}, pub: five(1), self: true},
		{name: "retain as published", version: 5, sub: packets.Subscription{Qos: 1, RetainAsPublished: true},
			pub: packets.Packet{FixedHeader: packets.FixedHeader{Qos: 1, Retain: true}}},
		{name: "retain flag cleared", version: 5, sub: packets.Subscription{Qos: 1},
			pub: packets.Packet{FixedHeader: packets.FixedHeader{Qos: 1, Retain: true}}},
		{name: "subscription identifier", version: 5, sub: packets.Subscription{Qos: 1}, subID: 7, pub: five(1)},
		{name: "mqtt 5 properties", version: 5, sub: packets.Subscription{Qos: 1}, pub: packets.Packet{
			FixedHeader: packets.FixedHeader{Qos: 1},
			Properties: packets.Properties{MessageExpiryInterval: 600, ContentType: "text/plain", PayloadFormat: 1, PayloadFormatFlag: true,
				ResponseTopic: "elsewhere/reply", CorrelationData: []byte("c-1"), User: []packets.UserProperty{{Key: "k", Val: "v"}}},
		}},
		{name: "mqtt 3.1.1 subscriber", version: 4, sub: packets.Subscription{Qos: 1}, pub: packets.Packet{
			FixedHeader: packets.FixedHeader{Qos: 2, Retain: true},
			Properties:  packets.Properties{MessageExpiryInterval: 600, User: []packets.UserProperty{{Key: "k", Val: "v"}}},
		}},
		{name: "mqtt 3.1.1 subscriber, qos 0", version: 4, sub: packets.Subscription{Qos: 0}, pub: five(1)},
		{name: "server maximum qos 1", version: 5, sub: packets.Subscription{Qos: 2}, pub: five(2), capQos: true, maxQos: 1},
		{name: "server maximum qos 0", version: 4, sub: packets.Subscription{Qos: 2}, pub: five(1), capQos: true, maxQos: 0},
		{name: "offline persistent session", version: 5, sub: packets.Subscription{Qos: 1}, pub: five(1), offline: true},
		{name: "offline persistent 3.1.1 session", version: 4, sub: packets.Subscription{Qos: 2}, pub: five(2), offline: true},
	}
	for _, c := range cases {
		for _, hooked := range []bool{false, true} {
			name := c.name
			if hooked {
				name += ", with delivery hooks"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				cfg := testConfig(dir)
				cfg.ACLFile = filepath.Join(dir, "acl")
				acl := "user sub\ntopic readwrite elsewhere/#\nuser pub\ntopic write elsewhere/#\n"
				if err := os.WriteFile(cfg.ACLFile, []byte(acl), 0o600); err != nil {
					t.Fatal(err)
				}
				rec := &deliveryRecorder{client: "sub-session"}
				var opt broker.Options
				if hooked {
					opt.Hooks = []mqtt.Hook{rec}
				}
				opt.Logger = brokertest.Logger(t, testLogLevel)
				b := brokertest.StartWith(t, cfg, opt)
				register(t, b, "sub", "pub")
				if c.capQos {
					b.SetMaximumQos(c.maxQos)
				}

				props := packets.Properties{}
				if c.offline && c.version == 5 {
					props.SessionExpiryInterval, props.SessionExpiryIntervalFlag = 300, true
				}
				sub := dialRawSession(t, b, "sub", "sub-session", !c.offline, c.version, props)
				for _, f := range []string{plain, routed} {
					s := c.sub
					s.Filter = f
					sub.subscribe(s, c.subID)
				}
				pubID := "pub-session"
				if c.self {
					pubID = "sub-session"
				} else {
					dialRawSession(t, b, "pub", pubID, true, 5, packets.Properties{})
				}
				if c.offline {
					sub.conn.Close()
					waitUntil(t, func() bool { return !b.ClientConnected("sub-session") })
				}
				rec.take()

				pk := c.pub
				pk.FixedHeader.Type = packets.Publish
				pk.Payload = []byte("same message")
				if pk.FixedHeader.Qos > 0 {
					pk.PacketID = 11
				}
				send := []func(){
					func() {
						pk := pk
						pk.TopicName = plain
						if err := b.InjectPublish(pubID, pk); err != nil {
							t.Fatalf("mochi: %v", err)
						}
					},
					func() {
						pk := pk
						pk.TopicName = routed
						b.RoutePublish(pubID, pk)
					},
				}
				var got [2]*packets.Packet
				var hooks [2][]string
				var counted [2]int64
				if c.offline {
					// Both are queued; they arrive on reconnection.
					for i, f := range send {
						before := b.MessagesSent()
						f()
						counted[i] = b.MessagesSent() - before
					}
					hooks[0], hooks[1] = rec.take()
					sub = dialRawSession(t, b, "sub", "sub-session", false, c.version, props)
					for range 2 {
						pk := sub.nextPublish()
						i := slices.Index([]string{plain, routed}, pk.TopicName)
						if i < 0 || got[i] != nil {
							t.Fatalf("unexpected %+v", pk)
						}
						got[i] = &pk
					}
					waitUntil(t, func() bool { return !hooked || rec.sent() == 2 })
					mochi, route := rec.take()
					hooks[0], hooks[1] = append(hooks[0], mochi...), append(hooks[1], route...)
				} else {
					for i, f := range send {
						before := b.MessagesSent()
						f()
						if pk := sub.publishWithin(time.Second); pk != nil {
							got[i] = pk
							if pk.FixedHeader.Qos == 1 {
								sub.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
							}
							// Counters and OnPacketSent follow the write.
							waitUntil(t, func() bool { return b.MessagesSent() > before && (!hooked || rec.sent() == 1) })
						}
						counted[i] = b.MessagesSent() - before
						mochi, route := rec.take()
						hooks[i] = append(mochi, route...)
					}
				}
				mochi, ours := describe(got[0]), describe(got[1])
				if mochi != ours {
					t.Errorf("subscriber got\nmochi: %s\nroute: %s", mochi, ours)
				}
				if !slices.Equal(hooks[0], hooks[1]) {
					t.Errorf("hooks called\nmochi: %q\nroute: %q", hooks[0], hooks[1])
				}
				if hooked && got[0] != nil && len(hooks[0]) == 0 {
					t.Errorf("no hook saw mochi's delivery: the recorder is broken")
				}
				if counted[0] != counted[1] {
					t.Errorf("$SYS messages sent: mochi %d, route %d", counted[0], counted[1])
				}
			})
		}
	}
}

// publishWithin returns the next PUBLISH, skipping acknowledgements, or nil
// if none comes within d.
func (c *rawClient) publishWithin(d time.Duration) *packets.Packet {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		pk, err := c.read(time.Until(deadline))
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			c.t.Fatalf("read: %v", err)
		}
		if pk.FixedHeader.Type == packets.Publish {
			return &pk
		}
	}
}

// describe is a received PUBLISH with its topic's first level and packet
// id (which differ by design) left out.
func describe(pk *packets.Packet) string {
	if pk == nil {
		return "nothing"
	}
	p := *pk
	if p.FixedHeader.Qos > 0 && p.PacketID == 0 {
		return "a QoS > 0 PUBLISH without a packet id"
	}
	_, p.TopicName, _ = strings.Cut(p.TopicName, "/")
	p.PacketID = 0
	p.Properties.MessageExpiryInterval /= 10 // the two copies may be a second apart
	return fmt.Sprintf("%+v %+v remaining=%d payload=%q", p.FixedHeader, p.Properties, p.FixedHeader.Remaining, p.Payload)
}

// waitUntil polls cond for up to waitFor.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An MQTT 5 subscriber's receive maximum holds further QoS 1 messages back
// until a PUBACK frees a slot, on route's path as on mochi's. mochi v2.7.9
// sends held messages sent within the same second in any order, and forgets
// one once it sends it, so that its PUBACK frees nothing and the next stays
// held until the client reconnects: route, which leaves held messages to
// mochi, does the same, so the test compares which arrive when, not their
// order.
func TestRouteHoldsPastReceiveMaximumAsMochiDoes(t *testing.T) {
	const (
		routed = "tachikoma/users/sub/events"
		plain  = "elsewhere/users/sub/events"
	)
	var seen [2][]string
	for i, topic := range []string{plain, routed} {
		dir := t.TempDir()
		cfg := testConfig(dir)
		cfg.ACLFile = filepath.Join(dir, "acl")
		if err := os.WriteFile(cfg.ACLFile, []byte("user sub\ntopic read elsewhere/#\nuser pub\ntopic write elsewhere/#\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		b := startBroker(t, cfg)
		register(t, b, "sub", "pub")
		sub := dialRawSession(t, b, "sub", "sub-session", true, 5, packets.Properties{ReceiveMaximum: 1})
		sub.subscribe(packets.Subscription{Filter: topic, Qos: 1}, 0)
		sub.subscribe(packets.Subscription{Filter: topics.Replies("sub"), Qos: 0}, 0) // QoS 0: never held
		dialRawSession(t, b, "pub", "pub-session", true, 5, packets.Properties{})
		for n, text := range []string{"one", "two", "three"} {
			pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, TopicName: topic,
				Payload: []byte(text), PacketID: uint16(n + 1)}
			if i == 0 {
				if err := b.InjectPublish("pub-session", pk); err != nil {
					t.Fatal(err)
				}
			} else {
				b.RoutePublish("pub-session", pk)
			}
		}
		// One at a time: each arrives once the one before is acknowledged.
		for n := range 3 {
			within := waitFor
			if n > 0 {
				within = 3 * time.Second // mochi's path never sends the third
			}
			pk := sub.publishWithin(within)
			if pk == nil {
				seen[i] = append(seen[i], "nothing")
				break
			}
			if more := sub.untilReply("sub"); len(more) > 0 {
				seen[i] = append(seen[i], "one too early")
			}
			if len(seen[i]) == 0 {
				seen[i] = append(seen[i], string(pk.Payload))
			} else {
				seen[i] = append(seen[i], "a held one")
			}
			sub.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
		}
	}
	if !slices.Equal(seen[0], seen[1]) || !slices.Equal(seen[1][:min(2, len(seen[1]))], []string{"one", "a held one"}) {
		t.Errorf("the subscriber saw\nmochi: %q\nroute: %q", seen[0], seen[1])
	}
}

// The broker's own messages get mochi's default expiry, as mochi's delivery
// gives every message: an MQTT 5 client sees the interval on presence sent
// at SUBSCRIBE and on events, and a queued one does not outlive it.
func TestBrokerMessagesCarryMochisDefaultExpiry(t *testing.T) {
	cfg := testConfig(t.TempDir())
	b := startBroker(t, cfg)
	register(t, b, "amy")
	amy := dialRaw(t, b, "amy", 5, packets.Properties{})
	most := uint32(time.Duration(cfg.Sessions.MessageExpiry) / time.Second)
	check := func(what string, pk packets.Packet) {
		t.Helper()
		if got := pk.Properties.MessageExpiryInterval; got == 0 || got > most {
			t.Errorf("%s: message expiry interval %d, want 1..%d", what, got, most)
		}
	}
	seen := amy.subscribeSeeing(packets.Subscription{Filter: topics.PresenceTopic("amy"), Qos: 1}, 0)
	if len(seen) != 1 {
		t.Fatalf("presence at SUBSCRIBE: %d messages", len(seen))
	}
	check("presence at SUBSCRIBE", seen[0])
	amy.subscribe(packets.Subscription{Filter: topics.Events("amy"), Qos: 1}, 0)
	if err := b.Publish(topics.Events("amy"), []byte(`{"type":"notice"}`), false, 1); err != nil {
		t.Fatal(err)
	}
	check("event", amy.nextPublish())
}

// aclWidener would let anyone read anything: route could not obey it.
type aclWidener struct{ mqtt.HookBase }

func (aclWidener) ID() string                                 { return "test-acl-widener" }
func (aclWidener) Provides(b byte) bool                       { return b == mqtt.OnACLCheck }
func (aclWidener) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// A hook that would choose who receives messages is refused at start, not
// obeyed by mochi's deliveries and ignored by route's.
func TestHooksDecidingReadersAreRefused(t *testing.T) {
	b, err := broker.New(testConfig(t.TempDir()), broker.Options{Hooks: []mqtt.Hook{&aclWidener{}}})
	if err == nil {
		b.Close()
		t.Fatal("New accepted a hook providing OnACLCheck")
	}
	if !strings.Contains(err.Error(), "test-acl-widener") {
		t.Errorf("error does not name the hook: %v", err)
	}
}
