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
		mustFail(t, g, fmt.Sprintf("user%d", i), "6.6.6.6")
		if i == 10 {
			a, _ := g.Admit("mallory", "6.6.6.6") // the guesser's own account
			a.Succeeded("mallory", "6.6.6.6")
		}
	}
	wantLock(t, g, "dave", "6.6.6.6", otherLocked, "address past its failures")
	wantLock(t, g, "", "6.6.6.6", otherLocked, "invalid name from a locked address")
	wantLock(t, g, "carol", "6.6.6.6", notLocked, "a user who logged in from the address before").Succeeded("carol", "6.6.6.6")
	wantLock(t, g, "dave", "7.7.7.7", notLocked, "another address").Abandoned()
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
	claim := func(k string) bool { _, fresh := r.claim(k); return fresh }
	if !claim("a") || !claim("b") || claim("a") {
		t.Fatal("claim")
	}
	if !claim("c") { // evicts the oldest, "a"
		t.Fatal("claim c")
	}
	if !claim("a") || claim("c") {
		t.Fatal("eviction order")
	}
	r.release("c")
	if !claim("c") {
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
		mustFail(t, g, fmt.Sprintf("user%d", i), fmt.Sprintf("6.6.6.%d", i))
	}
	wantLock(t, g, "bob", "7.7.7.7", otherLocked, "an attempt that cannot be counted")
	wantLock(t, g, "alice", "10.0.0.1", notLocked, "owner at a known address with the records full").Succeeded("alice", "10.0.0.1")
	now = now.Add(failMemory + time.Minute)
	wantLock(t, g, "bob", "7.7.7.7", notLocked, "forgotten records not swept")
}

// One IPv6 subscriber holds a whole /64: its hosts count as one address.
func TestLoginGuardIPv6CountsBy64(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(5, 20, 8*time.Second, func() time.Time { return now })
	for i := range 20 {
		mustFail(t, g, fmt.Sprintf("user%d", i), fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	wantLock(t, g, "dave", "2001:db8:1:2:ffff::1", otherLocked, "another host of the same /64")
	wantLock(t, g, "dave", "2001:db8:1:3::1", notLocked, "another /64").Abandoned()
}

// wantLock makes an attempt that must get lock, and returns it if admitted.
func wantLock(t *testing.T, g *loginGuard, user, addr string, want lockKind, what string) *loginAttempt {
	t.Helper()
	a, lock := g.Admit(user, addr)
	if lock != want {
		t.Fatalf("%s: %s from %s got %v, want %v", what, user, addr, lock, want)
	}
	return a
}

// mustFail makes an attempt that must be admitted, and fails it.
func mustFail(t *testing.T, g *loginGuard, user, addr string) {
	t.Helper()
	a, lock := g.Admit(user, addr)
	if lock != notLocked {
		t.Fatalf("%s from %s refused (%v) within the free failures", user, addr, lock)
	}
	a.Failed()
}

// With every verification slot taken, a login is answered "busy" after a
// bounded wait instead of queueing for its turn.
func TestPasswordCheckWaitIsBounded(t *testing.T) {
	b := newListenerlessBroker(t)
	for range cap(b.hashSlot) {
		b.hashSlot <- struct{}{}
	}
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

// With the records full, an attempt sweeps them for forgotten ones at most
// once a second: a spray must not make every attempt walk them all under
// the guard's lock.
func TestLoginGuardSweepsAtMostEverySecond(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newLoginGuard(5, 20, 8*time.Second, func() time.Time { return now })
	g.limit = 6
	for i := range 2 { // three records each
		mustFail(t, g, fmt.Sprintf("user%d", i), fmt.Sprintf("6.6.6.%d", i))
	}
	wantLock(t, g, "bob", "7.7.7.7", otherLocked, "an attempt that cannot be counted") // sweeps
	// A forgotten record, which a sweep would delete.
	stale := &failRecord{n: 1, last: now.Add(-2 * failMemory)}
	g.recs["a:stale"] = stale
	now = now.Add(900 * time.Millisecond)
	wantLock(t, g, "bob", "7.7.7.8", otherLocked, "an attempt that cannot be counted")
	if g.recs["a:stale"] != stale {
		t.Fatal("the records were swept twice within a second")
	}
	now = now.Add(200 * time.Millisecond)
	g.Admit("bob", "7.7.7.9")
	if g.recs["a:stale"] != nil {
		t.Fatal("the records were not swept a second after the last sweep")
	}

	// The same for the logins remembered as good.
	g.limit = 3 // an attempt's three records fit
	g.good = map[string]time.Time{"c1\x00x": now, "c2\x00x": now, "c3\x00x": now}
	ok := func(user, addr string) {
		t.Helper()
		g.recs = map[string]*failRecord{}
		a, lock := g.Admit(user, addr)
		if lock != notLocked {
			t.Fatalf("%s from %s refused (%v)", user, addr, lock)
		}
		a.Succeeded(user, addr)
	}
	ok("dave", "10.0.0.4") // sweeps good: full
	g.good["stale\x00x"] = now.Add(-2 * goodMemory)
	now = now.Add(900 * time.Millisecond)
	ok("erin", "10.0.0.5")
	if _, kept := g.good["stale\x00x"]; !kept {
		t.Fatal("the good logins were swept twice within a second")
	}
	now = now.Add(200 * time.Millisecond)
	ok("frank", "10.0.0.6")
	if _, kept := g.good["stale\x00x"]; kept {
		t.Fatal("the good logins were not swept a second after the last sweep")
	}
}
