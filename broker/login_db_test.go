package broker_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/broker/internal/pgtest"
)

// Logins of unknown names ask the database (pending accounts, a directory
// that lags); with the database stalled they must wait outside the
// password-checking slots, so that accounts in memory still log in.
func TestStalledDatabaseDoesNotBlockKnownLogins(t *testing.T) {
	srv, err := pgtest.Start() // its own server: Pause stops all of it
	if err != nil {
		pg.Need(t) // skips or fails as the shared server would
		t.Fatal(err)
	}
	defer srv.Stop()
	cfg := testConfig(t.TempDir())
	cfg.Store = srv.NewDB(t)
	b := startBroker(t, cfg)
	brokertest.Register(t, b, "alice")

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := sync.OnceFunc(func() { srv.Resume() })
	defer resumed()
	ghosts := b.HashSlots() + 1
	var wg sync.WaitGroup
	defer wg.Wait()
	defer resumed() // before waiting for the ghosts
	for i := range ghosts {
		wg.Go(func() {
			name := fmt.Sprintf("ghost%d", i)
			c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.MQTTAddr()).SetUsername(name).SetPassword("ghost-password").
				SetClientID(name).SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(time.Minute))
			c.Connect().WaitTimeout(time.Minute)
			c.Disconnect(0)
		})
	}
	deadline := time.Now().Add(waitFor)
	for b.LoginsInProgress("127.0.0.1") < ghosts {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d unknown-name logins started", b.LoginsInProgress("127.0.0.1"), ghosts)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rc := connectCode(t, b, "alice", "alice-password"); rc != 0 {
		t.Fatalf("alice's login while unknown names wait for the database: return code %d", rc)
	}
}
