package broker_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
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
	os.WriteFile(cfg.ACLFile, []byte("topic read weather/#\nuser alice\ntopic readwrite home/alice/#\ntopic deny home/alice/secret\n"), 0o600)
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	alice.sub("home/#", "weather/#")
	bob.sub("#")
	alice.pub("home/alice/light", 1, "on")
	if m := alice.expect("home/alice/light"); string(m.Payload()) != "on" {
		t.Fatalf("payload %q", m.Payload())
	}
	alice.pub("home/alice/secret", 0, "hidden") // deny wins over the home/alice/# grant
	bob.pub("weather/today", 0, "not yours to write")
	alice.pub("weather/today", 0, "alice cannot write either")
	alice.pub("home/alice/light", 1, "marker")
	m := alice.expect("home/alice/light")
	if string(m.Payload()) != "marker" {
		t.Fatalf("got %q before the marker", m.Payload())
	}
	alice.pub(topics.Room(topics.Lobby), 1, "end") // bob's marker: he may read the lobby
	var seen []paho.Message
	for {
		m := <-bob.in
		if m.Topic() == topics.Room(topics.Lobby) {
			break
		}
		seen = append(seen, m)
	}
	for _, m := range append(append(seen, alice.drain()...), bob.drain()...) {
		if m.Topic() != topics.PresenceTopic("bob") && m.Topic() != topics.Room(topics.Lobby) {
			t.Errorf("unexpected %s %q", m.Topic(), m.Payload())
		}
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
	os.WriteFile(bad.ACLFile, []byte("topic sideways x\n"), 0o600)
	if _, err := brokerNew(bad); err == nil {
		t.Fatal("broken ACL file accepted")
	}
}
