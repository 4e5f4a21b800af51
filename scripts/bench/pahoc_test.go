package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// Both clients log in to our broker (accounts made by the bench's own
// setup), receive a DM at QoS 1 and count the PUBACK of the one they send,
// as the room and DM scenarios rely on.
func TestClientsCarryADMAndCountItsPuback(t *testing.T) {
	dir := t.TempDir()
	if _, err := setupData(dir, 2, 0, 0, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	b := brokertest.Start(t, brokertest.Config(dir), brokertest.Logger(t, slog.LevelWarn))
	alice, bob := userName(0), userName(1)
	for _, cl := range []string{clientRaw, clientPaho} {
		t.Run(cl, func(t *testing.T) {
			got := make(chan []byte, 1)
			opts := func(user string) connectOpts {
				return connectOpts{addr: b.MQTTAddr(), clientID: cl + "-" + user, user: user, pass: benchPassword,
					clean: true, keepalive: 60, timeout: 30 * time.Second}
			}
			to, err := dialClient(cl, opts(bob), func(topic string, p []byte) { got <- append([]byte(nil), p...) })
			if err != nil {
				t.Fatal(err)
			}
			defer to.close()
			if err := to.subscribe(1, 30*time.Second, topics.DMInbox(bob)); err != nil {
				t.Fatal(err)
			}
			from, err := dialClient(cl, opts(alice), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer from.close()
			if err := from.publish(topics.DM(bob, alice), 1, makePayload(1, 64, true)); err != nil {
				t.Fatal(err)
			}
			expectOneDelivered(t, got, from, "")
		})
	}
}

// expectOneDelivered waits for one stamped payload on got and for the
// sender's PUBACK; context goes into failure messages (a broker's log).
func expectOneDelivered(t *testing.T, got <-chan []byte, from client, context string) {
	t.Helper()
	select {
	case p := <-got:
		if _, ok := sentAt(p); !ok {
			t.Fatalf("delivered payload has no send time: %q", p)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("nothing delivered\n%s", context)
	}
	deadline := time.Now().Add(30 * time.Second)
	for from.acked() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := from.acked(); n != 1 {
		t.Fatalf("%d PUBACKs counted, want 1\n%s", n, context)
	}
}

func TestDialClientRefusesAnUnknownClient(t *testing.T) {
	if _, err := dialClient("mosquitto_pub", connectOpts{addr: "127.0.0.1:1"}, nil); err == nil {
		t.Fatal("an unknown client name was accepted")
	}
}
