package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A session kept past the session expiry keeps its claim and its cursor
// (the node rewrites them); one ended no longer has them rewritten, and
// the buckets forget it.
func TestRefreshKeepsLiveSessions(t *testing.T) {
	const ttl = 3 * time.Second
	// The queue keeps messages longer: its duplicate window is 2 minutes.
	nodes := startTwoWith(t, Options{SessionExpiry: ttl, MessageExpiry: time.Hour})
	n := nodes[0]
	n.SessionStarted("pet-kept", true)
	n.SessionStarted("pet-ended", true)
	n.SessionEnded("pet-ended")
	kept, ended := ownerKey("pet-kept"), ownerKey("pet-ended")

	get := func(kv jetstream.KeyValue, key string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e, err := kv.Get(ctx, key)
		if err != nil {
			return "", err
		}
		return string(e.Value()), nil
	}
	// Read from node1: what the cluster holds, not what node0 remembers.
	other := nodes[1]
	start := time.Now()
	until := start.Add(3 * ttl)
	for polls := 0; time.Now().Before(until) && polls < 1000; polls++ {
		owner, err := get(other.owners.kv, kept)
		if err != nil || owner != "node0" {
			t.Fatalf("after %v the claim of a live session is %q, %v; want node0", time.Since(start).Round(time.Millisecond), owner, err)
		}
		if _, err := get(other.cursors, kept); err != nil {
			t.Fatalf("after %v the cursor of a live persistent session: %v", time.Since(start).Round(time.Millisecond), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if rev := n.owners.revision("pet-kept"); rev == 0 {
		t.Fatal("node0 no longer holds the live session")
	}

	// The ended session's entries go within the TTL; the deadline is
	// generous for a loaded machine.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, errClaim := get(other.owners.kv, ended)
		_, errCursor := get(other.cursors, ended)
		if errors.Is(errClaim, jetstream.ErrKeyNotFound) && errors.Is(errCursor, jetstream.ErrKeyNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an ended session's claim (%v) or cursor (%v) is still kept", errClaim, errCursor)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestRefreshEvery(t *testing.T) {
	for _, c := range []struct{ ttl, want time.Duration }{
		{3 * time.Second, 750 * time.Millisecond},
		{30 * 24 * time.Hour, maxRefresh},
		{100 * time.Millisecond, 100 * time.Millisecond},
	} {
		if got := refreshEvery(c.ttl); got != c.want {
			t.Errorf("refreshEvery(%v) = %v, want %v", c.ttl, got, c.want)
		}
	}
}
