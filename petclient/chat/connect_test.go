package chat

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

func connectErr(t *testing.T, cfg Config) error {
	t.Helper()
	c, err := New(cfg, testLogger(t))
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.Connect(ctxT(t))
	if st, serr := c.Status(); err != nil && (st != StatusOffline || serr == nil) {
		t.Errorf("after a failed connect: status %s, err %v", st, serr)
	}
	return err
}

func TestConnectErrors(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice")

	cfg := clientConfig(b, "alice", "")
	cfg.Password = "wrong-password"
	if err := connectErr(t, cfg); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong password: %v", err)
	}
	cfg = clientConfig(b, "nobody", "")
	if err := connectErr(t, cfg); !errors.Is(err, ErrAuth) {
		t.Fatalf("unknown user: %v", err)
	}

	// A port nobody listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	cfg = clientConfig(b, "alice", "")
	cfg.Server = "mqtt://" + dead
	start := time.Now()
	if err := connectErr(t, cfg); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), dead) {
		t.Fatalf("unreachable: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("refused connection took too long to report")
	}
	// A server that accepts and never answers: the CONNACK wait times out.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg.Server, cfg.ConnectTimeout = "mqtt://"+silent.Addr().String(), 300*time.Millisecond
	if err := connectErr(t, cfg); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("silent server: %v", err)
	}

	for _, bad := range []string{"http://x", "mqtt://", "mqtt://h:0"} {
		cfg.Server = bad
		if _, err := New(cfg, nil); !errors.Is(err, ErrBadURL) {
			t.Errorf("New with %q: %v", bad, err)
		}
	}

	// The right password works, and over WebSocket too. Events reach a
	// listener on its own goroutine, maybe after Connect returned: wait.
	isOnline := func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusOnline }
	_, rec := connected(t, clientConfig(b, "alice", ""))
	rec.wait("online status", isOnline)
	if n := rec.count(isOnline); n != 1 {
		t.Fatalf("online status reported %d times: %s", n, rec.dump())
	}
	ws := clientConfig(b, "alice", "")
	ws.Server, ws.ClientID = "ws://"+b.WSAddr(), "ws-id"
	connected(t, ws)
	ws.Server = "ws://" + b.WSAddr() + "/wrong"
	if err := connectErr(t, ws); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("wrong websocket path: %v", err)
	}
}

func TestTLSErrorsAndTrust(t *testing.T) {
	cfg := brokerConfig(t.TempDir())
	cert, key, _ := brokertest.SelfSigned(t)
	cfg.TLS.CertFile, cfg.TLS.KeyFile = cert, key
	b := startBroker(t, cfg)
	register(t, b, "alice")

	c := clientConfig(b, "alice", "")
	c.Server = "mqtts://" + b.MQTTAddr()
	if err := connectErr(t, c); !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "self-signed") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	// Plain MQTT against the TLS port.
	plain := clientConfig(b, "alice", "")
	if err := connectErr(t, plain); err == nil {
		t.Fatal("plain MQTT accepted by a TLS listener")
	}
	trusted := c
	trusted.TLS.CAFile = cert
	connected(t, trusted)

	insecure := c
	insecure.ClientID, insecure.TLS.InsecureSkipVerify = "other-install", true
	connected(t, insecure)

	wss := trusted
	wss.Server, wss.ClientID = "wss://"+b.WSAddr(), "wss-install"
	connected(t, wss)

	wrongName := trusted
	wrongName.TLS.ServerName = "chat.example"
	if err := connectErr(t, wrongName); !errors.Is(err, ErrTLS) {
		t.Fatalf("certificate for another name: %v", err)
	}
	bad := trusted
	bad.TLS.CAFile = key // not a certificate
	if _, err := New(bad, nil); !errors.Is(err, ErrTLS) {
		t.Fatalf("CA file without certificates: %v", err)
	}
}

func TestRegistrationErrors(t *testing.T) {
	bcfg := brokerConfig(t.TempDir())
	bcfg.Registration.PerMinute = 4
	b := startBroker(t, bcfg)
	base := Config{Server: "mqtt://" + b.MQTTAddr(), RegisterURL: "http://" + b.HTTPAddr()}
	ctx := context.Background()
	reg := func(user, pw string) error {
		c := base
		c.User, c.Password = user, pw
		return Register(ctx, c, "")
	}
	if err := reg("carol", "carol-password"); err != nil {
		t.Fatalf("register: %v", err)
	}
	if err := reg("carol", "other-password"); !errors.Is(err, ErrNameTaken) || !strings.Contains(err.Error(), "carol") {
		t.Fatalf("taken: %v", err)
	}
	if err := reg("dave", "short"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "weak") {
		t.Fatalf("weak password: %v (want the server's reason)", err)
	}
	if err := reg("Dave!", "dave-password"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
	// Three requests reached the server so far; the limit is 4 a minute.
	reg("erin", "erin-password")
	if err := reg("frank", "frank-password"); !errors.Is(err, ErrTooMany) {
		t.Fatalf("rate limit: %v", err)
	}
	// The account works.
	c := clientConfig(b, "carol", "")
	c.Password = "carol-password"
	connected(t, c)

	off := brokerConfig(t.TempDir())
	off.Registration.Mode = broker.RegistrationClosed
	b2 := startBroker(t, off)
	c2 := Config{Server: "mqtt://" + b2.MQTTAddr(), RegisterURL: "http://" + b2.HTTPAddr(), User: "gina", Password: "gina-password"}
	if err := Register(ctx, c2, ""); !errors.Is(err, ErrRegistrationOff) || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("registration off: %v", err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	c2.RegisterURL = "http://" + dead
	if err := Register(ctx, c2, ""); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("unreachable: %v", err)
	}
	// Derived from the server address: host + 8080 (nobody listens there in tests
	// unless something else does; only the URL is checked).
	if u, _ := registerURL(Config{Server: "mqtt://" + dead}); !strings.HasSuffix(u, ":8080") {
		t.Fatalf("derived %s", u)
	}
}

func TestTokenReconnectAndFallback(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice")
	c, rec := connected(t, clientConfig(b, "alice", ""))
	tokEv := rec.wait("token", func(ev Event) bool { return ev.Type == EventToken })
	if !strings.HasPrefix(tokEv.Text, "tk1.alice.") || c.Token() != tokEv.Text {
		t.Fatalf("token %q / %q", tokEv.Text, c.Token())
	}

	// With a wrong password, only the token can log in: reconnecting works.
	c.mu.Lock()
	c.password = "no-longer-right"
	c.mu.Unlock()
	from := rec.len()
	c.ReconnectNow()
	_, i := rec.waitFrom(from, "offline", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusOffline })
	rec.waitFrom(i, "online again", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusOnline })
	if st, err := c.Status(); st != StatusOnline {
		t.Fatalf("status %s %v", st, err)
	}

	// A refused token falls back to the password, and a new token comes.
	c.mu.Lock()
	c.password, c.token = "alice-password", "tk1.alice.1.forged"
	c.mu.Unlock()
	from = rec.len()
	c.ReconnectNow()
	ev, _ := rec.waitFrom(from, "new token", func(ev Event) bool { return ev.Type == EventToken })
	if !strings.HasPrefix(ev.Text, "tk1.alice.") {
		t.Fatalf("token after fallback %q", ev.Text)
	}
	if st, _ := c.Status(); st != StatusOnline {
		t.Fatalf("status %s", st)
	}

	// A token alone logs in (remembered login without the password).
	tc := clientConfig(b, "alice", "")
	tc.Password, tc.Token, tc.ClientID = "", c.Token(), "token-only"
	connected(t, tc)

	// Neither works: the error says so and retries stop.
	c.mu.Lock()
	c.password, c.token = "wrong", "tk1.alice.1.forged"
	c.mu.Unlock()
	from = rec.len()
	c.ReconnectNow()
	ev, _ = rec.waitFrom(from, "auth failure", func(ev Event) bool { return ev.Type == EventStatus && errors.Is(ev.Err, ErrAuth) })
	if ev.Status != StatusOffline {
		t.Fatalf("status with auth error %s", ev.Status)
	}
	c.SetPassword("alice-password")
	rec.waitFrom(from, "online after SetPassword", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusOnline })
	if _, err := c.Profile(ctxT(t), ""); err != nil {
		t.Fatalf("requests after SetPassword: %v", err)
	}
	_ = topics.Lobby
}

// TestRevokeToken: after RevokeToken (the pet's log-out) the token it held
// no longer logs in anywhere, and the client forgets it.
func TestRevokeToken(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice")
	c, rec := connected(t, clientConfig(b, "alice", ""))
	tok := rec.wait("token", func(ev Event) bool { return ev.Type == EventToken }).Text
	if err := c.RevokeToken(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if c.Token() != "" {
		t.Fatalf("token kept after revoking it: %q", c.Token())
	}
	tc := clientConfig(b, "alice", "")
	tc.Password, tc.Token, tc.ClientID = "", tok, "revoked-token"
	other, err := New(tc, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Connect(ctxT(t)); !errors.Is(err, ErrAuth) {
		t.Fatalf("login with a revoked token: %v, want ErrAuth", err)
	}
}
