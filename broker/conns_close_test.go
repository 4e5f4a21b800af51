package broker

import (
	"runtime"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// closeListenerClients never waits for a client registering or leaving at
// the same moment (mochi's GetByListener locks twice and can deadlock).
func TestCloseListenerClientsWhileClientsChange(t *testing.T) {
	s := mqtt.New(nil)
	b := &Broker{mqtt: s}
	for i := range 64 {
		cl := s.NewClient(nil, "tcp", string(rune('a'+i%26))+string(rune('a'+i/26)), false)
		s.Clients.Add(cl)
	}
	churn := s.NewClient(nil, "other", "churn", false)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s.Clients.Add(churn)
				s.Clients.Delete(churn.ID)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
			b.closeListenerClients("none")
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("closeListenerClients deadlocked")
	}
	close(stop)
	wg.Wait()
}
