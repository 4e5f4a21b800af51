package broker

import (
	"fmt"
	"testing"
	"time"
)

// A hundred guesses at once get the same tries as one after another: the
// free ones, then one per back-off, and the rest are refused at once.
func TestLoginGuardParallelGuesses(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(5, 20, 8*time.Second, func() time.Time { return now })
	var admitted []*loginAttempt
	for range 100 {
		if a, lock := g.Admit("alice", "6.6.6.6"); lock == notLocked {
			admitted = append(admitted, a)
		}
	}
	if len(admitted) != 5 {
		t.Fatalf("%d of 100 parallel guesses admitted, want 5", len(admitted))
	}
	// Only attempts in progress, no failure yet: not "wrong password".
	if _, lock := g.Admit("alice", "6.6.6.6"); lock != otherLocked {
		t.Fatalf("refused as %v while nothing has failed, want otherLocked", lock)
	}
	for _, a := range admitted {
		a.Failed()
	}
	if _, lock := g.Admit("alice", "6.6.6.6"); lock != pairLocked {
		t.Fatalf("refused as %v after 5 failures, want pairLocked", lock)
	}
	for _, step := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if _, lock := g.Admit("alice", "6.6.6.6"); lock == notLocked {
			t.Fatalf("admitted before the %v back-off", step)
		}
		now = now.Add(step)
		n := 0
		for range 10 {
			if a, lock := g.Admit("alice", "6.6.6.6"); lock == notLocked {
				n++
				a.Failed()
			}
		}
		if n != 1 {
			t.Fatalf("after %v: %d admitted, want 1", step, n)
		}
	}
	now = now.Add(failMemory + 9*time.Second)
	if _, lock := g.Admit("alice", "6.6.6.6"); lock != notLocked {
		t.Fatal("failures not forgotten")
	}
}

// The account's failures do not lock its owner out: a fresh address and an
// address the owner logged in from are let through; an address that already
// failed for the account is not.
func TestLoginGuardOwnerIsNotLockedOut(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(5, 20, 8*time.Second, func() time.Time { return now })
	a, _ := g.Admit("alice", "10.0.0.1") // the owner, at home
	a.Succeeded("alice", "10.0.0.1")
	for i := range 20 { // a botnet, a few guesses per address
		for range 2 {
			if a, lock := g.Admit("alice", fmt.Sprintf("6.6.6.%d", i)); lock == notLocked {
				a.Failed()
			}
		}
	}
	if _, lock := g.Admit("alice", "6.6.6.3"); lock != otherLocked {
		t.Fatalf("an address that failed before got %v under the account's lock", lock)
	}
	a, lock := g.Admit("alice", "10.0.0.1")
	if lock != notLocked {
		t.Fatalf("owner at a known address: %v", lock)
	}
	a.Succeeded("alice", "10.0.0.1")
	a, lock = g.Admit("alice", "10.9.9.9")
	if lock != notLocked {
		t.Fatalf("owner at a fresh address: %v", lock)
	}
	a.Succeeded("alice", "10.9.9.9")
}

// One address is limited over all the users it tries, and logging into
// one's own account does not reset that.
func TestLoginGuardPerAddress(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(5, 20, 8*time.Second, func() time.Time { return now })
	a, _ := g.Admit("carol", "6.6.6.6") // a student on the same campus address
	a.Succeeded("carol", "6.6.6.6")
	for i := range 20 {
		a, lock := g.Admit(fmt.Sprintf("user%d", i), "6.6.6.6")
		if lock != notLocked {
			t.Fatalf("guess %d refused within the address's free failures", i)
		}
		a.Failed()
		if i == 10 {
			a, _ := g.Admit("mallory", "6.6.6.6") // the guesser's own account
			a.Succeeded("mallory", "6.6.6.6")
		}
	}
	if _, lock := g.Admit("dave", "6.6.6.6"); lock != otherLocked {
		t.Fatalf("address past its failures: %v", lock)
	}
	if _, lock := g.Admit("", "6.6.6.6"); lock != otherLocked {
		t.Fatalf("invalid name from a locked address: %v", lock)
	}
	if a, lock := g.Admit("carol", "6.6.6.6"); lock != notLocked {
		t.Fatalf("a user who logged in from the address before: %v", lock)
	} else {
		a.Succeeded("carol", "6.6.6.6")
	}
	if a, lock := g.Admit("dave", "7.7.7.7"); lock != notLocked {
		t.Fatalf("another address: %v", lock)
	} else {
		a.Abandoned()
	}
}

// An attempt the server had no time to check is no failure.
func TestLoginGuardAbandonedIsNoFailure(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(1, 1, 8*time.Second, func() time.Time { return now })
	for range 3 {
		a, lock := g.Admit("alice", "1.2.3.4")
		if lock != notLocked {
			t.Fatalf("abandoned attempts counted: %v", lock)
		}
		a.Abandoned()
	}
}

func TestRecentSet(t *testing.T) {
	r := newRecentSet(2)
	if !r.claim("a") || !r.claim("b") || r.claim("a") {
		t.Fatal("claim")
	}
	if !r.claim("c") { // evicts the oldest, "a"
		t.Fatal("claim c")
	}
	if !r.claim("a") || r.claim("c") {
		t.Fatal("eviction order")
	}
	r.release("c")
	if !r.claim("c") {
		t.Fatal("release")
	}
}

// Attempts that cannot be counted, because the records are full, are
// refused, except the owner's from an address they logged in from.
func TestLoginGuardFullRecordsRefuse(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(5, 20, 8*time.Second, func() time.Time { return now })
	a, _ := g.Admit("alice", "10.0.0.1")
	a.Succeeded("alice", "10.0.0.1")
	g.limit = len(g.recs) + 6
	for i := range 2 { // three records each
		a, lock := g.Admit(fmt.Sprintf("user%d", i), fmt.Sprintf("6.6.6.%d", i))
		if lock != notLocked {
			t.Fatalf("attempt %d refused with room left", i)
		}
		a.Failed()
	}
	if _, lock := g.Admit("bob", "7.7.7.7"); lock != otherLocked {
		t.Fatalf("an attempt that cannot be counted: %v, want otherLocked", lock)
	}
	if a, lock := g.Admit("alice", "10.0.0.1"); lock != notLocked {
		t.Fatalf("owner at a known address with the records full: %v", lock)
	} else {
		a.Succeeded("alice", "10.0.0.1")
	}
	now = now.Add(failMemory + time.Minute)
	if _, lock := g.Admit("bob", "7.7.7.7"); lock != notLocked {
		t.Fatalf("forgotten records not swept: %v", lock)
	}
}

// One IPv6 subscriber holds a whole /64: its hosts count as one address.
func TestLoginGuardIPv6CountsBy64(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(5, 20, 8*time.Second, func() time.Time { return now })
	for i := range 20 {
		a, lock := g.Admit(fmt.Sprintf("user%d", i), fmt.Sprintf("2001:db8:1:2::%x", i+1))
		if lock != notLocked {
			t.Fatalf("guess %d refused", i)
		}
		a.Failed()
	}
	if _, lock := g.Admit("dave", "2001:db8:1:2:ffff::1"); lock != otherLocked {
		t.Fatalf("another host of the same /64: %v", lock)
	}
	if a, lock := g.Admit("dave", "2001:db8:1:3::1"); lock != notLocked {
		t.Fatalf("another /64: %v", lock)
	} else {
		a.Abandoned()
	}
}

// With every verification slot taken, a login is answered "busy" after a
// bounded wait instead of queueing for its turn.
func TestPasswordCheckWaitIsBounded(t *testing.T) {
	b := &Broker{hashSlot: make(chan struct{}, 1)}
	b.hashSlot <- struct{}{}
	start := time.Now()
	if err := b.checkPassword("alice", "whatever1"); err != errBusy {
		t.Fatalf("err %v, want errBusy", err)
	}
	if took := time.Since(start); took < maxHashWait {
		t.Fatalf("gave up after %v", took)
	}
	if b.hashes.Load() != 0 {
		t.Fatal("a refused check was counted as made")
	}
}
