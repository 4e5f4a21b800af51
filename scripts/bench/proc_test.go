package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The bench's NATS peer comes up from its config with an MQTT listener,
// carries a QoS 1 message between two paho clients, and keeps QoS 1
// messages in JetStream's file store, which is what makes it the durable-DM
// comparison.
func TestNATSPeerCarriesQoS1ThroughJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a NATS server")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "natsd")
	if err := build(root, bin, "./scripts/bench/natsd"); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	conf, err := natsConfig(dir, store, port)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := startServer(kindNATS, []string{bin, "-c", conf}, nil, port, filepath.Join(dir, "nats.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop(30 * time.Second)

	got := make(chan []byte, 1)
	opts := func(id string) connectOpts {
		return connectOpts{addr: srv.addr, clientID: id, clean: true, keepalive: 60, timeout: 30 * time.Second}
	}
	sub, err := dialClient(clientPaho, opts("sub"), func(_ string, p []byte) { got <- append([]byte(nil), p...) })
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(srv.log))
	}
	defer sub.close()
	if err := sub.subscribe(1, 30*time.Second, "tachikoma/users/u00001/dm/+"); err != nil {
		t.Fatalf("%v\n%s", err, tail(srv.log))
	}
	pub, err := dialClient(clientPaho, opts("pub"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.close()
	if err := pub.publish("tachikoma/users/u00001/dm/u00000", 1, makePayload(1, 64, true)); err != nil {
		t.Fatal(err)
	}
	expectOneDelivered(t, got, pub, tail(srv.log))
	// MQTT QoS 1 messages live in this JetStream stream, on disk.
	if _, err := os.Stat(filepath.Join(store, "jetstream", "$G", "streams", "$MQTT_msgs", "msgs")); err != nil {
		t.Fatalf("no file-stored message stream: %v", err)
	}
}
