package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// chatLoad is QoS 1 lobby chat from alice's paho writers, recording each
// message's cid once the broker acknowledged it; a writer stops at end()
// or when an acknowledgement does not come (the broker is gone).
type chatLoad struct {
	mu    sync.Mutex
	acked []string
	stop  atomic.Bool
	wg    sync.WaitGroup
}

// startChatLoad connects writers clients (each within connect) and starts
// them publishing text plus a counter; ack bounds each acknowledgement.
func startChatLoad(t *testing.T, addr string, writers int, text string, connect, ack time.Duration) *chatLoad {
	t.Helper()
	l := &chatLoad{}
	for w := range writers {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetUsername("alice").SetPassword("alicepass1").
			SetClientID(fmt.Sprintf("writer-%d", w)).SetAutoReconnect(false).SetWriteTimeout(min(ack, 5*time.Second)))
		if tok := c.Connect(); !tok.WaitTimeout(connect) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer c.Disconnect(0)
			for i := 0; i < 100_000 && !l.stop.Load(); i++ {
				cid := fmt.Sprintf("w%d-%d", w, i)
				tok := c.Publish(topics.Room(topics.Lobby), 1, false, fmt.Sprintf(`{"text":"%s %d","cid":%q}`, text, i, cid))
				if !tok.WaitTimeout(ack) || tok.Error() != nil {
					return
				}
				l.mu.Lock()
				l.acked = append(l.acked, cid)
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *chatLoad) count() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.acked) }

// ackedSoFar is a copy of the cids acknowledged until now.
func (l *chatLoad) ackedSoFar() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

// waitFor waits up to a minute for n acknowledged messages.
func (l *chatLoad) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); l.count() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages acknowledged in a minute", l.count())
		}
	}
}

// end stops the writers and waits for them.
func (l *chatLoad) end() {
	l.stop.Store(true)
	l.wg.Wait()
}

// missingFrom counts the cids that stored lacks.
func missingFrom(stored map[string]bool, cids []string) int {
	n := 0
	for _, cid := range cids {
		if !stored[cid] {
			n++
		}
	}
	return n
}
