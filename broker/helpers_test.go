package broker_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

var fastHash = brokertest.FastHash

const waitFor = 5 * time.Second

func testConfig(dir string) broker.Config { return brokertest.Config(dir) }

func startBroker(t testing.TB, cfg broker.Config) *broker.Broker {
	t.Helper()
	return brokertest.Start(t, cfg, brokertest.Logger(t, testLogLevel))
}

func register(t testing.TB, b *broker.Broker, users ...string) {
	t.Helper()
	brokertest.Register(t, b, users...)
}

// client is a paho client that records what it receives. Messages are
// handed over in the order they arrive (paho's OrderMatters), so a marker
// seen on in proves that everything the broker sent before it is in log.
type client struct {
	t       testing.TB
	user    string
	c       paho.Client
	in      chan paho.Message
	replies chan paho.Message
	seq     atomic.Int64
	mu      sync.Mutex
	subs    map[string]bool
	log     []paho.Message // every message received, replies too, in order (guarded by mu)
	// pending holds what expect and expectEvent read past, for later
	// expectations and for drain (used by the test's goroutine only).
	pending []paho.Message
}

type connOpt func(*paho.ClientOptions)

func dial(t testing.TB, url, user, pw, id string, opts ...connOpt) (*client, error) {
	t.Helper()
	cl := &client{t: t, user: user, in: make(chan paho.Message, 4096), replies: make(chan paho.Message, 100), subs: map[string]bool{}}
	o := paho.NewClientOptions().AddBroker(url).SetUsername(user).SetPassword(pw).SetClientID(id).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(waitFor).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			cl.mu.Lock()
			cl.log = append(cl.log, m)
			cl.mu.Unlock()
			// Replies have their own queue so that waiting for one never
			// swallows a message another expectation is waiting for.
			if m.Topic() == topics.Replies(user) {
				cl.replies <- m
				return
			}
			cl.in <- m
		})
	for _, f := range opts {
		f(o)
	}
	cl.c = paho.NewClient(o)
	tok := cl.c.Connect()
	if !tok.WaitTimeout(waitFor) {
		return nil, fmt.Errorf("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { cl.c.Disconnect(0) })
	return cl, nil
}

func connect(t testing.TB, b *broker.Broker, user string, opts ...connOpt) *client {
	t.Helper()
	cl, err := dial(t, "tcp://"+b.MQTTAddr(), user, user+"-password", user+"-"+t.Name(), opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", user, err)
	}
	return cl
}

func (c *client) sub(filters ...string) {
	c.t.Helper()
	for _, f := range filters {
		tok := c.c.Subscribe(f, 1, nil)
		if !tok.WaitTimeout(waitFor) || tok.Error() != nil {
			c.t.Fatalf("%s subscribe %s: %v", c.user, f, tok.Error())
		}
	}
}

// subResult returns the SUBACK code for filter.
func (c *client) subResult(filter string) byte {
	c.t.Helper()
	tok := c.c.Subscribe(filter, 1, nil)
	if !tok.WaitTimeout(waitFor) {
		c.t.Fatalf("subscribe %s timed out", filter)
	}
	return tok.(*paho.SubscribeToken).Result()[filter]
}

func (c *client) pub(topic string, qos byte, payload any) {
	c.t.Helper()
	tok := c.c.Publish(topic, qos, false, payload)
	if !tok.WaitTimeout(waitFor) || tok.Error() != nil {
		c.t.Fatalf("%s publish %s: %v", c.user, topic, tok.Error())
	}
}

// expect waits for the next message on topic; messages on other topics
// stay pending for later expectations and drain.
func (c *client) expect(topic string) paho.Message {
	c.t.Helper()
	m := c.next(func(m paho.Message) bool { return m.Topic() == topic })
	if m == nil {
		c.t.Fatalf("%s: no message on %s within %v; got %v", c.user, topic, waitFor, c.received())
	}
	return m
}

// next returns the first message, pending or arriving within waitFor, for
// which ok holds, leaving the others pending; nil if none came.
func (c *client) next(ok func(paho.Message) bool) paho.Message {
	for i, m := range c.pending {
		if ok(m) {
			c.pending = slices.Delete(c.pending, i, i+1)
			return m
		}
	}
	deadline := time.After(waitFor)
	for {
		select {
		case m := <-c.in:
			if ok(m) {
				return m
			}
			c.pending = append(c.pending, m)
		case <-deadline:
			return nil
		}
	}
}

func (c *client) expectChat(topic string) topics.Message {
	c.t.Helper()
	var m topics.Message
	raw := c.expect(topic).Payload()
	if err := json.Unmarshal(raw, &m); err != nil {
		c.t.Fatalf("chat payload %q: %v", raw, err)
	}
	return m
}

func (c *client) expectEvent(typ string) topics.Event {
	c.t.Helper()
	var ev topics.Event
	m := c.next(func(m paho.Message) bool {
		if m.Topic() != topics.Events(c.user) {
			return false
		}
		var e topics.Event
		if err := json.Unmarshal(m.Payload(), &e); err != nil {
			c.t.Errorf("event %q: %v", m.Payload(), err)
			return false
		}
		ev = e
		return e.Type == typ
	})
	if m == nil {
		c.t.Fatalf("%s: no %s event; got %v", c.user, typ, c.received())
	}
	return ev
}

// drain returns what expectations read past and what is queued now. For a
// "must not receive" check, fence first: then nothing sent before the
// marker can still be on its way.
func (c *client) drain() []paho.Message {
	out := c.pending
	c.pending = nil
	for {
		select {
		case m := <-c.in:
			out = append(out, m)
		default:
			return out
		}
	}
}

var fenceSeq atomic.Int64

// fence publishes a unique marker from pub on topic and waits until each
// observer has it. The broker delivers a publisher's messages in order and
// paho hands them over in order, so everything pub sent before, and every
// message an observer was sent before the marker, is then in its log.
// Observers must be subscribed to topic; the marker stays out of pending.
func fence(pub *client, topic string, observers ...*client) {
	pub.t.Helper()
	marker := fmt.Sprintf("fence-%d", fenceSeq.Add(1))
	pub.pub(topic, 1, fmt.Sprintf(`{"text":%q}`, marker))
	for _, o := range observers {
		if o.next(func(m paho.Message) bool {
			return m.Topic() == topic && strings.Contains(string(m.Payload()), marker)
		}) == nil {
			pub.t.Fatalf("%s: fence on %s never arrived; got %v", o.user, topic, o.received())
		}
	}
}

// all is every message c has received, replies and fences included.
func (c *client) all() []paho.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.log)
}

// unexpected lists, as "topic payload", every message c received whose
// topic ok refuses: for checks over all a client got, not one topic.
func (c *client) unexpected(ok func(topic string) bool) []string {
	var bad []string
	for _, m := range c.all() {
		if !ok(m.Topic()) {
			bad = append(bad, fmt.Sprintf("%s %s", m.Topic(), m.Payload()))
		}
	}
	return bad
}

// call sends a request and waits for its reply.
func (c *client) call(method string, params any) topics.Reply {
	c.t.Helper()
	c.mu.Lock()
	if !c.subs["replies"] {
		c.subs["replies"] = true
		c.mu.Unlock()
		c.sub(topics.Replies(c.user))
	} else {
		c.mu.Unlock()
	}
	id := fmt.Sprintf("r%d", c.seq.Add(1))
	p, _ := json.Marshal(params)
	req, _ := json.Marshal(topics.Request{ID: id, Method: method, Params: p})
	c.pub(topics.Requests(c.user), 1, req)
	deadline := time.After(waitFor)
	for {
		select {
		case m := <-c.replies:
			var r topics.Reply
			if err := json.Unmarshal(m.Payload(), &r); err != nil {
				c.t.Fatalf("reply %q: %v", m.Payload(), err)
			}
			if r.ID == id {
				return r
			}
		case <-deadline:
			c.t.Fatalf("%s: no reply to %s", c.user, method)
		}
	}
}

func (c *client) mustCall(method string, params any, result any) {
	c.t.Helper()
	r := c.call(method, params)
	if r.Error != nil {
		c.t.Fatalf("%s %s: %v", c.user, method, r.Error)
	}
	if result != nil {
		if err := json.Unmarshal(r.Result, result); err != nil {
			c.t.Fatalf("%s result %s: %v", method, r.Result, err)
		}
	}
}

func befriend(t *testing.T, a, b *client) {
	t.Helper()
	a.mustCall(topics.MethodFriendRequest, topics.Params{User: b.user}, nil)
	b.mustCall(topics.MethodFriendAccept, topics.Params{User: a.user}, nil)
}

var testLogLevel = func() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(os.Getenv("TEST_LOG_LEVEL")))
	if os.Getenv("TEST_LOG_LEVEL") == "" {
		l = slog.LevelWarn
	}
	return l
}()

func brokerNew(cfg broker.Config) (*broker.Broker, error) {
	b, err := broker.New(cfg, broker.Options{PasswordCost: &fastHash})
	if err == nil {
		b.Close()
	}
	return b, err
}

// received is the topic of every message c has received so far, including
// those expect skipped.
func (c *client) received() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.log))
	for i, m := range c.log {
		out[i] = m.Topic()
	}
	return out
}
