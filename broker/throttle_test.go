package broker

import (
	"testing"
	"time"
)

func TestLoginThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	th := newLoginThrottle(3, 8*time.Second, func() time.Time { return now })
	for range 3 {
		if d := th.Delay("alice", "1.2.3.4"); d != 0 {
			t.Fatalf("delay %v within the free failures", d)
		}
		th.Fail("alice", "1.2.3.4")
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for _, w := range want {
		if d := th.Delay("alice", "9.9.9.9"); d != w { // per user, whatever the address
			t.Fatalf("user delay %v, want %v", d, w)
		}
		if d := th.Delay("bob", "1.2.3.4"); d != w { // per address, whatever the user
			t.Fatalf("address delay %v, want %v", d, w)
		}
		th.Fail("alice", "1.2.3.4")
	}
	if d := th.Delay("carol", "5.5.5.5"); d != 0 {
		t.Fatalf("unrelated login delayed %v", d)
	}
	now = now.Add(failMemory + time.Second)
	if d := th.Delay("alice", "1.2.3.4"); d != 0 {
		t.Fatalf("failures not forgotten: %v", d)
	}
	th.Fail("alice", "1.2.3.4")
	th.Succeed("alice", "1.2.3.4")
	if d := th.Delay("alice", "1.2.3.4"); d != 0 {
		t.Fatalf("success did not clear: %v", d)
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
