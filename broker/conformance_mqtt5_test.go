package broker_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// MQTT 5 features a user granted "#" by the ACL file may use outside
// tachikoma/, each tested with mosquitto_pub/sub -V mqttv5.

var v5 = []string{"-V", "mqttv5"}

func args5(a ...string) []string { return append(slices.Clone(v5), a...) }

// TestConformance5SessionExpiry: a session lives for its expiry interval
// after the connection ends, then is gone [MQTT-3.1.2-23].
func TestConformance5SessionExpiry(t *testing.T) {
	t.Parallel()
	b := openBroker(t, "", "alice", "bob")
	if err := runMosq(t, b, "mosquitto_sub", "bob", args5("-c", "-x", "2", "-i", "bob-5", "-t", "se/x", "-q", "1", "-E")...).exit(); err != nil {
		t.Fatal(err)
	}
	pub(t, b, "alice", args5("-t", "se/x", "-q", "1", "-m", "kept")...)
	back := runMosq(t, b, "mosquitto_sub", "bob", args5("-F", "%j", "-c", "-x", "2", "-i", "bob-5", "-t", "se/x", "-q", "1", "-C", "1")...)
	back.waitMessage("kept")
	if err := back.exit(); err != nil {
		t.Fatal(err)
	}
	left := time.Now()
	waitUntil(t, func() bool { return !b.SessionExists("bob-5") })
	if d := time.Since(left); d < time.Second {
		t.Errorf("a 2 s session ended after %v", d)
	}
	pub(t, b, "alice", args5("-t", "se/x", "-q", "1", "-m", "lost")...)
	again := sub(t, b, "bob", args5("-c", "-x", "2", "-i", "bob-5", "-t", "se/x", "-q", "1")...)
	pub(t, b, "alice", args5("-t", "se/x", "-q", "1", "-m", "marker")...)
	again.waitMessage("marker")
	if got := again.payloads(); !slices.Equal(got, []string{"marker"}) {
		t.Errorf("a new session received %q", got)
	}
}

// TestConformance5MessageExpiry: a queued message past its expiry interval
// is not delivered, and one within it comes with the time it has left
// [MQTT-3.3.2-5] [MQTT-3.3.2-6].
func TestConformance5MessageExpiry(t *testing.T) {
	t.Parallel()
	b := openBroker(t, "", "alice", "bob")
	if err := runMosq(t, b, "mosquitto_sub", "bob", args5("-c", "-x", "60", "-i", "bob-5", "-t", "me/x", "-q", "1", "-E")...).exit(); err != nil {
		t.Fatal(err)
	}
	pub(t, b, "alice", args5("-t", "me/x", "-q", "1", "-m", "short", "-D", "publish", "message-expiry-interval", "1")...)
	pub(t, b, "alice", args5("-t", "me/x", "-q", "1", "-m", "long", "-D", "publish", "message-expiry-interval", "60")...)
	time.Sleep(2500 * time.Millisecond) // past the short one's expiry
	back := sub(t, b, "bob", args5("-c", "-x", "60", "-i", "bob-5", "-t", "me/x", "-q", "1")...)
	m := back.waitMessage("long")
	if e := m.props(t).Expiry; e == nil || *e >= 60 || *e < 30 {
		t.Errorf("expiry interval of the queued message: %s, want what is left of 60 s", m.Properties)
	}
	pub(t, b, "alice", args5("-t", "me/x", "-q", "1", "-m", "marker")...)
	back.waitMessage("marker")
	if got := back.payloads(); !slices.Equal(got, []string{"long", "marker"}) {
		t.Errorf("received %q: the expired message must not come", got)
	}
}

// TestConformance5UserProperties: user properties reach the subscriber
// unchanged [MQTT-3.3.2-17].
func TestConformance5UserProperties(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	s := sub(t, b, "bob", args5("-t", "up/x")...)
	pub(t, b, "alice", args5("-t", "up/x", "-m", "props", "-D", "publish", "user-property", "lang", "zh-CN", "-D", "publish", "user-property", "pet", "塔奇克马")...)
	p := s.waitMessage("props").props(t)
	if p.User["lang"] != "zh-CN" || p.User["pet"] != "塔奇克马" {
		t.Errorf("user properties %v", p.User)
	}
}

// TestConformance5PayloadFormat: the payload format indicator and content
// type reach the subscriber [MQTT-3.3.2-4] [MQTT-3.3.2-20].
func TestConformance5PayloadFormat(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	s := sub(t, b, "bob", args5("-t", "pf/x")...)
	pub(t, b, "alice", args5("-t", "pf/x", "-m", "你好", "-D", "publish", "payload-format-indicator", "1", "-D", "publish", "content-type", "text/plain; charset=utf-8")...)
	p := s.waitMessage("你好").props(t)
	if p.PayloadFormat == nil || *p.PayloadFormat != 1 || p.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("payload format %v, content type %q", p.PayloadFormat, p.ContentType)
	}
}

// TestConformance5RequestResponse: mosquitto_rr's request carries its
// response topic and correlation data to the responder, and the response
// with the same correlation data reaches it [MQTT-3.3.2-15] [MQTT-3.3.2-16].
func TestConformance5RequestResponse(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	responder := sub(t, b, "bob", args5("-t", "rr/request")...)
	requester := runMosq(t, b, "mosquitto_rr", "alice", "-t", "rr/request", "-e", "rr/response/alice", "-m", "ping",
		"-D", "publish", "correlation-data", "req-7", "-W", "10")
	req := responder.waitMessage("ping").props(t)
	if req.ResponseTopic != "rr/response/alice" || req.CorrelationData != "req-7" {
		t.Fatalf("request properties: response topic %q, correlation data %q", req.ResponseTopic, req.CorrelationData)
	}
	pub(t, b, "bob", args5("-t", req.ResponseTopic, "-m", "pong", "-D", "publish", "correlation-data", req.CorrelationData)...)
	if err := requester.exit(); err != nil {
		t.Fatalf("mosquitto_rr: %v", err)
	}
	if !requester.has("pong") {
		t.Error("mosquitto_rr got no response")
	}
}

// TestConformance5TopicAliasFromClient: the broker grants no topic
// aliases (mochi's CONNACK cannot announce a maximum, and absent means 0
// [MQTT-3.2.2-17]), so a client that sets one anyway is disconnected with
// 0x94 (topic alias invalid) [MQTT-3.3.2-8] and nothing is delivered.
// mosquitto_pub sets one without reading the CONNACK.
func TestConformance5TopicAliasFromClient(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	s := sub(t, b, "bob", args5("-t", "alias/#", "-q", "1")...)
	p := runMosqInput(t, b, "one\ntwo\n", "mosquitto_pub", "alice", args5("-t", "alias/in", "-q", "1", "-l", "-D", "publish", "topic-alias", "1")...)
	_ = p.exit()
	if !p.has("Received DISCONNECT (148)") {
		t.Error("no DISCONNECT 0x94 for an alias the broker did not grant")
	}
	pub(t, b, "alice", args5("-t", "alias/in", "-q", "1", "-m", "marker")...)
	s.waitMessage("marker")
	if got := s.payloads(); !slices.Equal(got, []string{"marker"}) {
		t.Errorf("received %q", got)
	}
}

// TestConformance5TopicAliasToClient: to a client that accepts topic
// aliases the broker sends each topic once with an alias within the
// client's maximum, then the alias alone for it [MQTT-3.3.2-12]
// [MQTT-3.2.2-17]. paho-mqtt for Python passes aliases through, so the
// test resolves them (libmosquitto 2.0.11 drops the connection on them).
func TestConformance5TopicAliasToClient(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	c := runPahoPyWith(t, b, "bob", 60, 2)
	c.do("SUBACK", "sub", "alias/#", 1, false, 0)
	sent := []string{"alias/a", "alias/b", "alias/a", "alias/c", "alias/a", "alias/b"}
	for i, tp := range sent {
		pub(t, b, "alice", args5("-t", tp, "-q", "1", "-m", fmt.Sprint("n", i))...)
		c.waitLine(fmt.Sprint(" n", i))
	}
	aliases := map[string]string{}
	i := 0
	for _, l := range c.output() {
		f := strings.Split(l, " ") // MSG, topic (empty with an alias alone), retain, payload[, alias=N]
		if f[0] != "MSG" {
			continue
		}
		topic, payload, alias := f[1], f[3], ""
		if len(f) == 5 {
			alias = strings.TrimPrefix(f[4], "alias=")
		}
		switch {
		case alias != "" && alias != "1" && alias != "2":
			t.Errorf("alias %s beyond the maximum of 2", alias)
		case topic != "" && alias != "":
			aliases[alias] = topic
		case topic == "":
			topic = aliases[alias]
		}
		if i >= len(sent) || topic != sent[i] || payload != fmt.Sprint("n", i) {
			t.Errorf("message %d: %q resolves to %q %q", i, l, topic, payload)
		}
		i++
	}
	if len(aliases) == 0 {
		t.Error("no topic alias used")
	}
}

// TestConformance5MaximumPacketSize: the broker sends a client no packet
// larger than the maximum it asked for, and carries on with the rest
// [MQTT-3.1.2-24].
func TestConformance5MaximumPacketSize(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	s := sub(t, b, "bob", args5("-t", "mps/#", "-q", "1", "-D", "connect", "maximum-packet-size", "200")...)
	pub(t, b, "alice", args5("-t", "mps/x", "-q", "1", "-m", strings.Repeat("big ", 100))...)
	pub(t, b, "alice", args5("-t", "mps/x", "-q", "1", "-m", "small")...)
	s.waitMessage("small")
	if got := s.payloads(); !slices.Equal(got, []string{"small"}) {
		t.Errorf("received %d messages, want only the small one", len(got))
	}
}

// TestConformance5ReceiveMaximum: the broker never has more QoS 1/2
// messages unacknowledged than the client's receive maximum [MQTT-3.3.4-7]
// (libmosquitto drops the connection if it does).
func TestConformance5ReceiveMaximum(t *testing.T) {
	// mochi v2.7.9 races on the send quota: a PUBACK/PUBCOMP that frees a
	// slot sends a held message while a publisher's goroutine, having read
	// the quota before, sends a new one (publishToClient against
	// processPubcomp), and a resumed session's queue is resent whole,
	// ignoring the quota. Neither runs a hook in between; the order of held
	// messages is fixed (orderHeld, TestOrderHeld).
	t.Skip("mochi v2.7.9 can exceed a client's receive maximum (send-quota race); not fixable through its hooks")
	b := openBroker(t, "", "alice", "bob")
	s := sub(t, b, "bob", args5("-t", "rm/#", "-q", "2", "-D", "connect", "receive-maximum", "1")...)
	var want []string
	for i := range 30 {
		want = append(want, fmt.Sprint("m", i))
	}
	pubInput(t, b, strings.Join(want, "\n")+"\n", "alice", args5("-t", "rm/x", "-q", "2", "-l")...)
	s.waitMessage(want[len(want)-1])
	if got := s.payloads(); !slices.Equal(got, want) {
		t.Errorf("received %q", got)
	}
}

// TestConformance5WillDelay: a will is sent after its delay, not at once
// [MQTT-3.1.3-9].
func TestConformance5WillDelay(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	wills := sub(t, b, "bob", args5("-t", "wd/#", "-q", "1")...)
	w := sub(t, b, "alice", args5("-i", "alice-wd", "-c", "-x", "60", "-t", "wd/none",
		"--will-topic", "wd/alice", "--will-payload", "later", "--will-qos", "1", "-D", "will", "will-delay-interval", "2")...)
	w.kill()
	gone := time.Now()
	wills.waitMessage("later")
	if d := time.Since(gone); d < time.Second {
		t.Errorf("a will with a 2 s delay came after %v", d)
	}
}

// TestConformance5SharedSubscriptions: each message on a shared
// subscription goes to one member of the group [MQTT-4.8.2-2], while plain
// subscriptions get every message.
func TestConformance5SharedSubscriptions(t *testing.T) {
	b := openBroker(t, "", "alice", "bob", "carol")
	g1 := sub(t, b, "bob", args5("-t", "$share/workers/jobs/#", "-q", "1")...)
	g2 := sub(t, b, "carol", args5("-t", "$share/workers/jobs/#", "-q", "1")...)
	all := sub(t, b, "carol", args5("-t", "jobs/#", "-q", "1")...)
	var want []string
	for i := range 20 {
		want = append(want, fmt.Sprint("job", i))
	}
	pubInput(t, b, strings.Join(want, "\n")+"\n", "alice", args5("-t", "jobs/x", "-q", "1", "-l")...)
	all.waitMessage(want[len(want)-1])
	waitUntil(t, func() bool { return len(g1.messages())+len(g2.messages()) >= len(want) })
	got := append(g1.payloads(), g2.payloads()...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the group received %q, want each job once", got)
	}
}

// TestConformance5SubscriptionIdentifiers: a message carries the
// identifier of the subscription it matched [MQTT-3.3.4-3].
func TestConformance5SubscriptionIdentifiers(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	s := sub(t, b, "bob", args5("-t", "sid/#", "-D", "subscribe", "subscription-identifier", "42")...)
	pub(t, b, "alice", args5("-t", "sid/x", "-m", "tagged")...)
	if id := s.waitMessage("tagged").props(t).SubID; string(id) != "42" {
		t.Errorf("subscription identifier %s, want 42", id)
	}
}

// TestConformance5RetainAsPublished: a live message keeps its retain flag
// for a retain-as-published subscription, and loses it otherwise
// [MQTT-3.3.1-12] [MQTT-3.3.1-13].
func TestConformance5RetainAsPublished(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	rap := sub(t, b, "bob", args5("-t", "rap/#", "--retain-as-published")...)
	plain := sub(t, b, "bob", args5("-t", "rap/#")...)
	pub(t, b, "alice", args5("-t", "rap/x", "-r", "-m", "live")...)
	if m := rap.waitMessage("live"); m.Retain != 1 {
		t.Error("retain-as-published subscription got the flag cleared")
	}
	if m := plain.waitMessage("live"); m.Retain != 0 {
		t.Error("plain subscription got a live message flagged retained")
	}
}

// TestConformance5RetainHandling: with retain handling 2 no retained
// message is sent at subscribe time [MQTT-3.3.1-11] (mosquitto_sub -R).
func TestConformance5RetainHandling(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	pub(t, b, "alice", args5("-t", "rh/x", "-r", "-m", "stale")...)
	never := sub(t, b, "bob", args5("-t", "rh/#", "-R")...)
	usual := sub(t, b, "bob", args5("-t", "rh/#")...)
	usual.waitMessage("stale")
	pub(t, b, "alice", args5("-t", "rh/x", "-m", "marker")...)
	never.waitMessage("marker")
	// -R also hides retained messages from the output: count the packets.
	if never.has("r1, m") {
		t.Error("retain handling 2: a retained message was sent at subscribe time")
	}
}

// TestConformance5NoLocal: a no-local subscription does not get the
// client's own messages [MQTT-3.8.3-3]; a plain one does.
func TestConformance5NoLocal(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	c := runPahoPy(t, b, "alice")
	c.do("SUBACK", "sub", "nl/mine", 1, true, 0)
	c.do("SUBACK", "sub", "nl/echo", 1, false, 0)
	c.do("PUBACK", "pub", "nl/mine", "own", false)
	c.do("MSG nl/echo", "pub", "nl/echo", "echo", false)
	pub(t, b, "bob", args5("-t", "nl/mine", "-q", "1", "-m", "from bob")...)
	c.waitLine("MSG nl/mine 0 from bob")
	if c.has("MSG nl/mine 0 own") {
		t.Error("a no-local subscription got the client's own message")
	}
}

// TestConformance5RetainHandlingNewOnly: with retain handling 1 retained
// messages come only when the subscription is new [MQTT-3.3.1-10].
func TestConformance5RetainHandlingNewOnly(t *testing.T) {
	b := openBroker(t, "", "alice", "bob")
	pub(t, b, "alice", args5("-t", "rh1/x", "-r", "-q", "1", "-m", "stale")...)
	c := runPahoPy(t, b, "bob")
	c.do("SUBACK", "sub", "rh1/#", 1, false, 1)
	c.waitLine("MSG rh1/x 1 stale")
	c.do("SUBACK", "sub", "rh1/#", 1, false, 1) // the same subscription again
	pub(t, b, "alice", args5("-t", "rh1/x", "-q", "1", "-m", "marker")...)
	c.waitLine("MSG rh1/x 0 marker")
	if n := c.count("MSG rh1/x 1 stale"); n != 1 {
		t.Errorf("retained message sent %d times, want once", n)
	}
}

// TestConformance5ServerKeepalive: a client asking for no keepalive, or
// one longer than the broker keeps, is told the broker's in CONNACK
// [MQTT-3.2.2-21], as mosquitto does; one asking for a keepalive keeps it.
func TestConformance5ServerKeepalive(t *testing.T) {
	b := openBroker(t, "", "alice")
	none := runPahoPyWith(t, b, "alice", 0, 0)
	if l := none.waitLine("SERVER KEEPALIVE"); l != "SERVER KEEPALIVE 43690" {
		t.Errorf("keepalive 0 answered with %q", l)
	}
	long := runPahoPyWith(t, b, "alice", 65535, 0)
	if l := long.waitLine("SERVER KEEPALIVE"); l != "SERVER KEEPALIVE 43690" {
		t.Errorf("keepalive 65535 answered with %q", l)
	}
	some := runPahoPy(t, b, "alice")
	if some.has("SERVER KEEPALIVE") {
		t.Error("a 60 s keepalive was overridden")
	}
}
