package broker_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
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

// client is a paho client that records what it receives.
type client struct {
	t       testing.TB
	user    string
	c       paho.Client
	in      chan paho.Message
	replies chan paho.Message
	seq     atomic.Int64
	mu      sync.Mutex
	subs    map[string]bool
	topics  []string // of every message received, in order (guarded by mu)
}

type connOpt func(*paho.ClientOptions)

func dial(t testing.TB, url, user, pw, id string, opts ...connOpt) (*client, error) {
	t.Helper()
	cl := &client{t: t, user: user, in: make(chan paho.Message, 1000), replies: make(chan paho.Message, 100), subs: map[string]bool{}}
	o := paho.NewClientOptions().AddBroker(url).SetUsername(user).SetPassword(pw).SetClientID(id).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(waitFor).SetOrderMatters(false).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			cl.mu.Lock()
			cl.topics = append(cl.topics, m.Topic())
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

// expect waits for the next message on topic, skipping others.
func (c *client) expect(topic string) paho.Message {
	c.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case m := <-c.in:
			if m.Topic() == topic {
				return m
			}
		case <-deadline:
			c.t.Fatalf("%s: no message on %s within %v", c.user, topic, waitFor)
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
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		select {
		case m := <-c.in:
			if m.Topic() != topics.Events(c.user) {
				continue
			}
			var ev topics.Event
			if err := json.Unmarshal(m.Payload(), &ev); err != nil {
				c.t.Fatalf("event %q: %v", m.Payload(), err)
			}
			if ev.Type == typ {
				return ev
			}
		case <-time.After(time.Until(deadline)):
		}
	}
	c.t.Fatalf("%s: no %s event", c.user, typ)
	return topics.Event{}
}

// drain collects whatever arrives within d (for "must not receive" checks,
// after a marker message proved that delivery has caught up).
func (c *client) drain() []paho.Message {
	var out []paho.Message
	for {
		select {
		case m := <-c.in:
			out = append(out, m)
		default:
			return out
		}
	}
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
	return slices.Clone(c.topics)
}
