package broker_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

func TestTLSListeners(t *testing.T) {
	cfg := testConfig(t.TempDir())
	var pool *x509.CertPool
	cfg.TLS.CertFile, cfg.TLS.KeyFile, pool = brokertest.SelfSigned(t)
	b := startBroker(t, cfg)
	register(t, b, "alice")
	withTLS := func(o *paho.ClientOptions) { o.SetTLSConfig(&tls.Config{RootCAs: pool}) }
	for _, url := range []string{"ssl://" + b.MQTTAddr(), "wss://" + b.WSAddr() + "/mqtt"} {
		c, err := dial(t, url, "alice", "alice-password", "tls-"+url[:3], withTLS)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		c.sub(topics.Room(topics.Lobby))
		c.pub(topics.Room(topics.Lobby), 1, "over tls")
		if m := c.expectChat(topics.Room(topics.Lobby)); m.Text != "over tls" {
			t.Fatalf("%s: %+v", url, m)
		}
	}
	// Plain MQTT on the TLS port fails.
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "plain"); err == nil {
		t.Fatal("plain connection accepted on the TLS listener")
	}
}

func TestACLFileGrantsExtraTopics(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.ACLFile = filepath.Join(t.TempDir(), "acl")
	acl := "topic read weather/#\nuser alice\ntopic readwrite home/alice/#\ntopic deny home/alice/secret\nuser carol\ntopic read home/#\n"
	if err := os.WriteFile(cfg.ACLFile, []byte(acl), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob", "carol")
	alice, bob, carol := connect(t, b, "alice"), connect(t, b, "bob"), connect(t, b, "carol")
	alice.sub("home/#", "weather/#")
	bob.sub("#")
	carol.sub("#") // carol may read home/alice/secret: she would see a write that got through
	alice.pub("home/alice/light", 1, "on")
	if m := alice.expect("home/alice/light"); string(m.Payload()) != "on" {
		t.Fatalf("payload %q", m.Payload())
	}
	if m := carol.expect("home/alice/light"); string(m.Payload()) != "on" {
		t.Fatalf("carol got %q", m.Payload())
	}
	alice.pub("home/alice/secret", 0, "hidden") // deny wins over the home/alice/# grant
	bob.pub("weather/today", 0, "not yours to write")
	alice.pub("weather/today", 0, "alice cannot write either")
	fence(alice, "home/alice/light", alice, carol)
	fence(alice, topics.Room(topics.Lobby), bob, carol)
	fence(bob, topics.Room(topics.Lobby), bob, carol)
	for _, c := range []*client{alice, bob, carol} {
		for _, m := range c.all() {
			if p := string(m.Payload()); p == "hidden" || strings.Contains(p, "write") {
				t.Errorf("%s received %s %q", c.user, m.Topic(), p)
			}
		}
	}
	if bad := bob.unexpected(func(tp string) bool {
		return tp == topics.PresenceTopic("bob") || tp == topics.Room(topics.Lobby) ||
			tp == topics.Events("bob") // the notice of his refused write
	}); len(bad) > 0 {
		t.Errorf("bob received %v", bad)
	}
	if code := bob.subResult("home/alice/light"); code < 0x80 {
		t.Fatalf("bob subscribed to alice's home: %#x", code)
	}
	if _, err := os.Stat(cfg.ACLFile); err != nil {
		t.Fatal(err)
	}
	bad := cfg
	bad.DataDir = t.TempDir()
	bad.ACLFile = filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad.ACLFile, []byte("topic sideways x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := brokerNew(bad); err == nil {
		t.Fatal("broken ACL file accepted")
	}
}

// TestACLFileReload rewrites the ACL file under a running broker: ReloadACL
// applies the new rules to publishes and to subscriptions made before, and a
// file with an error leaves the rules in force.
func TestACLFileReload(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.ACLFile = filepath.Join(t.TempDir(), "acl")
	write := func(acl string) {
		t.Helper()
		if err := os.WriteFile(cfg.ACLFile, []byte(acl), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("topic read home/#\n")
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob", "carol")
	alice, bob, carol := connect(t, b, "alice"), connect(t, b, "bob"), connect(t, b, "carol")
	bob.sub("home/#")
	carol.sub("home/#")
	got := func(c *client, payload string) bool {
		for _, m := range c.all() {
			if string(m.Payload()) == payload {
				return true
			}
		}
		return false
	}

	alice.pub("home/light", 0, "before")
	if code := alice.subResult("garden/rose"); code < 0x80 {
		t.Fatalf("alice subscribed to garden/rose before the grant: %#x", code)
	}
	write("topic read home/#\nuser alice\ntopic readwrite home/#\ntopic read garden/#\nuser carol\ntopic write home/#\n")
	if err := b.ReloadACL(); err != nil {
		t.Fatal(err)
	}
	alice.pub("home/light", 1, "after")
	if m := bob.expect("home/light"); string(m.Payload()) != "after" {
		t.Fatalf("bob got %q after the reload", m.Payload())
	}
	if code := alice.subResult("garden/rose"); code >= 0x80 {
		t.Fatalf("alice may not subscribe to garden/rose after the grant: %#x", code)
	}

	// Bob's subscription, made under the old rules, stops receiving.
	write("user alice\ntopic readwrite home/#\nuser carol\ntopic readwrite home/#\n")
	if err := b.ReloadACL(); err != nil {
		t.Fatal(err)
	}
	fence(alice, "home/light", carol)
	fence(carol, "home/light", carol)

	// A broken file is refused with its line; the last good rules stay.
	write("user alice\ntopic readwrite home/#\ntopic sideways x\n")
	err := b.ReloadACL()
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("broken ACL file: %v", err)
	}
	alice.pub("home/light", 1, "still")
	if carol.next(func(m paho.Message) bool { return string(m.Payload()) == "still" }) == nil {
		t.Fatalf("carol lost home/light after a failed reload; got %v", carol.received())
	}
	if got(bob, "before") || got(carol, "before") {
		t.Error("alice's write went through before she was granted it")
	}
	for _, m := range bob.all() {
		if strings.Contains(string(m.Payload()), "fence") || string(m.Payload()) == "still" {
			t.Errorf("bob still receives home/# after losing it: %q", m.Payload())
		}
	}
}
