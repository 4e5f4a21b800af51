package chat

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
)

const waitFor = 10 * time.Second

func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("TEST_LOG_LEVEL") != "" {
		_ = level.UnmarshalText([]byte(os.Getenv("TEST_LOG_LEVEL")))
	}
	return brokertest.Logger(t, level)
}

func brokerConfig(dir string) broker.Config {
	cfg := brokertest.Config(dir)
	cfg.Limits.MessageBurst = 500
	return cfg
}

// startBroker runs a broker until the test ends (or it is closed earlier).
func startBroker(t *testing.T, cfg broker.Config) *broker.Broker {
	t.Helper()
	return brokertest.Start(t, cfg, testLogger(t))
}

func register(t *testing.T, b *broker.Broker, users ...string) {
	t.Helper()
	brokertest.Register(t, b, users...)
}

func clientConfig(b *broker.Broker, user, stateDir string) Config {
	return Config{
		Server: "mqtt://" + b.MQTTAddr(), User: user, Password: user + "-password",
		ClientID: "test-" + user, StateDir: stateDir,
		ConnectTimeout: 3 * time.Second, BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		EchoTimeout: time.Second,
	}
}

// recorder keeps every event a client emits.
type recorder struct {
	t    *testing.T
	name string
	mu   sync.Mutex
	evs  []Event
	more chan struct{}
}

func record(t *testing.T, c *Client, name string) *recorder {
	r := &recorder{t: t, name: name, more: make(chan struct{}, 1)}
	t.Cleanup(c.OnEvent(func(ev Event) {
		r.mu.Lock()
		r.evs = append(r.evs, ev)
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
	}))
	return r
}

// wait returns the first event (from index from on) matching ok, polling
// the record until a deadline.
func (r *recorder) waitFrom(from int, what string, ok func(Event) bool) (Event, int) {
	r.t.Helper()
	deadline := time.After(waitFor)
	for {
		r.mu.Lock()
		for i := from; i < len(r.evs); i++ {
			if ok(r.evs[i]) {
				ev := r.evs[i]
				r.mu.Unlock()
				return ev, i
			}
		}
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-deadline:
			r.t.Fatalf("%s: no %s within %v; got %s", r.name, what, waitFor, r.dump())
		}
	}
}

func (r *recorder) wait(what string, ok func(Event) bool) Event {
	r.t.Helper()
	ev, _ := r.waitFrom(0, what, ok)
	return ev
}

func (r *recorder) count(ok func(Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.evs {
		if ok(ev) {
			n++
		}
	}
	return n
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.evs)
}

func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ""
	for _, ev := range r.evs {
		s += fmt.Sprintf("\n  %s conv=%s user=%s status=%s state=%s text=%q err=%v", ev.Type, ev.Conv, ev.User, ev.Status, ev.SendState, ev.Text, ev.Err)
	}
	return s
}

func isMsg(text string) func(Event) bool {
	return func(ev Event) bool { return ev.Type == EventMessage && ev.Message.Text == text }
}

func isState(cid string, st SendState) func(Event) bool {
	return func(ev Event) bool { return ev.Type == EventSendState && ev.CID == cid && ev.SendState == st }
}

// unconnected makes alice's client for a server nobody listens on,
// records its events and closes it when the test ends.
func unconnected(t *testing.T) (*Client, *recorder) {
	t.Helper()
	return made(t, Config{Server: "mqtt://127.0.0.1:1", User: "alice", Password: "alice-password", ClientID: "test-alice", StateDir: t.TempDir()})
}

func made(t *testing.T, cfg Config) (*Client, *recorder) {
	t.Helper()
	c, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, record(t, c, cfg.User)
}

// connected makes a client, records its events, connects it and closes
// it when the test ends.
func connected(t *testing.T, cfg Config) (*Client, *recorder) {
	t.Helper()
	c, rec := made(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("%s connect: %v", cfg.User, err)
	}
	return c, rec
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

func befriend(t *testing.T, a, b *Client) {
	t.Helper()
	if _, err := a.FriendRequest(ctxT(t), b.User()); err != nil {
		t.Fatal(err)
	}
	if err := b.FriendAccept(ctxT(t), a.User()); err != nil {
		t.Fatal(err)
	}
}
