package broker_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// What an MQTT 3.1.1 client may do on topics outside tachikoma/ once the ACL
// file grants them "#": everything an anonymous mosquitto client may, each
// feature tested with mosquitto's own clients (paho where mosquitto_sub
// cannot express it).

// TestConformanceQoS: every publish QoS reaches every subscription QoS at
// the lower of the two [MQTT-3.8.4-6], with each side's flow completed.
func TestConformanceQoS(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	var subs []*mosq
	for q := range 3 {
		subs = append(subs, sub(t, b, "bob", "-t", "qos/x", "-q", strconv.Itoa(q)))
	}
	for q := range 3 {
		p := pub(t, b, "alice", "-t", "qos/x", "-q", strconv.Itoa(q), "-m", fmt.Sprintf("sent at %d", q))
		want := []string{"sending PUBLISH", "received PUBACK", "received PUBCOMP"}[q]
		if !p.has(want) {
			t.Errorf("QoS %d publish: no %q", q, want)
		}
	}
	for sq, s := range subs {
		for pq := range 3 {
			m := s.waitMessage(fmt.Sprintf("sent at %d", pq))
			if m.QoS != min(sq, pq) {
				t.Errorf("published at %d, subscribed at %d: received at %d", pq, sq, m.QoS)
			}
		}
	}
	if !subs[2].has("received PUBREL") || !subs[1].has("sending PUBACK") {
		t.Error("a subscriber's QoS 1 or 2 flow did not complete")
	}
}

// TestConformanceRetained: a retained message is replaced by the next and
// cleared by an empty one [MQTT-3.3.1-10].
func TestConformanceRetained(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	pub(t, b, "alice", "-t", "ret/x", "-r", "-q", "1", "-m", "one")
	pub(t, b, "alice", "-t", "ret/x", "-r", "-q", "1", "-m", "two")
	s := sub(t, b, "bob", "-t", "ret/x", "-q", "1")
	if m := s.waitMessage("two"); m.Retain != 1 {
		t.Errorf("retained message delivered with retain %d", m.Retain)
	}
	pub(t, b, "alice", "-t", "ret/x", "-r", "-q", "1", "-m", "live")
	if m := s.waitMessage("live"); m.Retain != 0 {
		t.Errorf("live message delivered with retain %d [MQTT-3.3.1-9]", m.Retain)
	}
	if got := s.payloads(); !slices.Equal(got, []string{"two", "live"}) {
		t.Errorf("received %q, want the replacement then the live one", got)
	}
	pub(t, b, "alice", "-t", "ret/x", "-r", "-q", "1", "-n")
	s = sub(t, b, "bob", "-t", "ret/x", "-q", "1")
	pub(t, b, "alice", "-t", "ret/x", "-q", "1", "-m", "marker")
	s.waitMessage("marker")
	if got := s.payloads(); !slices.Equal(got, []string{"marker"}) {
		t.Errorf("after clearing, a new subscriber received %q", got)
	}
}

// TestConformanceOfflineQueue: QoS 1 and 2 messages for a persistent
// session are kept while it is away and delivered, in order, when it comes
// back [MQTT-3.1.2-5] [MQTT-4.6.0-1]; its re-subscription is granted.
func TestConformanceOfflineQueue(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	away := runMosq(t, b, "mosquitto_sub", "bob", "-c", "-i", "bob-away", "-t", "queue/#", "-q", "2", "-E")
	if err := away.exit(); err != nil {
		t.Fatalf("subscribe and leave: %v", err)
	}
	var want []string
	for i := range 21 {
		want = append(want, fmt.Sprintf("queued %d", i))
	}
	pubInput(t, b, strings.Join(want[:20], "\n")+"\n", "alice", "-t", "queue/x", "-q", "1", "-l")
	pub(t, b, "alice", "-t", "queue/x", "-q", "2", "-m", want[20])
	back := sub(t, b, "bob", "-c", "-i", "bob-away", "-t", "queue/#", "-q", "2")
	back.waitMessage(want[20])
	if got := back.payloads(); !slices.Equal(got, want) {
		t.Errorf("after reconnecting: %q, want %q", got, want)
	}
	if !back.has("Subscribed (mid: 1): 2") {
		t.Error("re-subscribing to the resumed session was refused")
	}
}

// pahoSubscriber is a paho (MQTT 3.1.1) client collecting what it receives.
func pahoSubscriber(t *testing.T, addr, user, id string) (paho.Client, chan paho.Message) {
	t.Helper()
	in := make(chan paho.Message, 100)
	c, err := dial(t, "tcp://"+addr, user, user+"-password", id)
	if err != nil {
		t.Fatal(err)
	}
	c.c.AddRoute("#", func(_ paho.Client, m paho.Message) { in <- m })
	return c.c, in
}

func nextMessage(t *testing.T, in chan paho.Message) paho.Message {
	t.Helper()
	select {
	case m := <-in:
		return m
	case <-time.After(mosqWait):
		t.Fatal("no message")
		return nil
	}
}

// TestConformanceOverlappingSubscriptions: a message matching two of a
// client's subscriptions comes at the higher of their QoS [MQTT-3.3.5-1].
func TestConformanceOverlappingSubscriptions(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	c, in := pahoSubscriber(t, b.MQTTAddr(), "bob", "bob-overlap")
	tok := c.SubscribeMultiple(map[string]byte{"over/#": 0, "over/+": 2}, nil)
	if !tok.WaitTimeout(mosqWait) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	pub(t, b, "alice", "-t", "over/x", "-q", "2", "-m", "both")
	pub(t, b, "alice", "-t", "marker", "-q", "0", "-m", "unused") // not subscribed
	n, best := 0, byte(0)
	for m := nextMessage(t, in); ; m = nextMessage(t, in) {
		n++
		best = max(best, m.Qos())
		if best == 2 || n == 2 {
			break
		}
	}
	if best != 2 {
		t.Errorf("received at QoS %d, want 2", best)
	}
}

// TestConformanceUnsubscribe: after UNSUBACK nothing more arrives on the
// filter [MQTT-3.10.4-2], while other subscriptions go on.
func TestConformanceUnsubscribe(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	c, in := pahoSubscriber(t, b.MQTTAddr(), "bob", "bob-unsub")
	for _, f := range []string{"unsub/#", "keep/#"} {
		if tok := c.Subscribe(f, 1, nil); !tok.WaitTimeout(mosqWait) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	pub(t, b, "alice", "-t", "unsub/x", "-q", "1", "-m", "before")
	if m := nextMessage(t, in); string(m.Payload()) != "before" {
		t.Fatalf("got %q", m.Payload())
	}
	if tok := c.Unsubscribe("unsub/#"); !tok.WaitTimeout(mosqWait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	pub(t, b, "alice", "-t", "unsub/x", "-q", "1", "-m", "after")
	pub(t, b, "alice", "-t", "keep/x", "-q", "1", "-m", "marker")
	if m := nextMessage(t, in); string(m.Payload()) != "marker" {
		t.Fatalf("after unsubscribing got %s %q", m.Topic(), m.Payload())
	}
}

// TestConformanceDollarTopics: "#" and "+" at the start of a filter do not
// match topics starting with $ [MQTT-4.7.2-1], even where the ACL lets the
// user read them.
func TestConformanceDollarTopics(t *testing.T) {
	b := openBroker(t, "topic read $SYS/#\n", "alice", "bob")
	wild := sub(t, b, "bob", "-t", "#", "-t", "+/broker/uptime", "-t", "+/+/+")
	sys := sub(t, b, "bob", "-t", "$SYS/broker/uptime")
	sys.waitMessage("") // mochi publishes $SYS every second
	pub(t, b, "alice", "-t", "dollar/marker", "-m", "marker")
	wild.waitMessage("marker")
	for _, m := range wild.messages() {
		if m.Topic[0] == '$' {
			t.Errorf("a wildcard subscription received %s", m.Topic)
		}
	}
}

// TestConformanceKeepalive: the broker answers PINGREQ, and closes a
// connection silent for 1.5 times its keepalive [MQTT-3.1.2-24], sending
// its will.
func TestConformanceKeepalive(t *testing.T) {
	t.Parallel()
	b := openBroker(t, "", "alice", "bob")
	wills := sub(t, b, "bob", "-t", "ka/will")
	c := sub(t, b, "alice", "-k", "5", "-t", "ka/x", "--will-topic", "ka/will", "--will-payload", "silent")
	c.waitLine("received PINGRESP")
	stopped := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer c.cmd.Process.Signal(syscall.SIGCONT)
	wills.waitMessage("silent")
	if d := time.Since(stopped); d < 4*time.Second {
		t.Errorf("closed after %v of silence with a 5 s keepalive", d)
	}
}
