package broker_test

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func from(ip string) connOpt {
	return func(o *paho.ClientOptions) {
		o.SetDialer(&net.Dialer{Timeout: waitFor, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}})
	}
}

// A hundred parallel wrong passwords cost a handful of hash checks, and do
// not hold up the owner logging in from another address.
func TestParallelGuessingIsBounded(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	url := "tcp://" + b.MQTTAddr()
	var wg sync.WaitGroup
	var accepted, guesses atomic.Int64
	stop := make(chan struct{})
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 { // bounded, and stopped once the owner is in
				select {
				case <-stop:
					return
				default:
				}
				c, err := dial(t, url, "alice", "wrong-password", fmt.Sprintf("guess%d", i), from("127.0.0.1"))
				if err == nil {
					accepted.Add(1)
					c.c.Disconnect(0)
				}
				guesses.Add(1)
			}
		}()
	}
	// The owner comes once a hundred guesses have been answered.
	for deadline := time.Now().Add(2 * waitFor); guesses.Load() < 100 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	owner, err := dial(t, url, "alice", "alice-password", "alice-pet", from("127.0.0.2"))
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("owner refused during the guessing: %v", err)
	}
	owner.c.Disconnect(0)
	if n := accepted.Load(); n > 0 {
		t.Fatalf("%d wrong passwords accepted", n)
	}
	// Generous for a loaded machine; an unthrottled owner takes milliseconds,
	// one held up behind the account's back-off took 8 s.
	if took > 3*time.Second {
		t.Errorf("owner's login took %v during the guessing", took)
	}
	// 5 free failures, then one per back-off (a few seconds of guessing at
	// most), plus the owner's own check.
	if n := b.PasswordChecks(); n > 15 {
		t.Errorf("%d parallel guesses cost %d password checks", guesses.Load(), n)
	}
	t.Logf("owner's login took %v; %d guesses cost %d password checks", took, guesses.Load(), b.PasswordChecks())
}
