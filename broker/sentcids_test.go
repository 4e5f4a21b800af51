package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// fakeStored is a database of stored cids that counts its reads.
type fakeStored struct {
	mu    sync.Mutex
	cids  map[string][]string
	loads map[string]int
	err   error
}

func (f *fakeStored) load(_ context.Context, user string, each func(string)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.loads[user]++
	for _, c := range f.cids[user] {
		each(c)
	}
	return nil
}

func newFakeStored() *fakeStored {
	return &fakeStored{cids: map[string][]string{}, loads: map[string]int{}}
}

func TestSentCIDsNewCIDsAreCertain(t *testing.T) {
	db := newFakeStored()
	db.cids["alice"] = []string{"old-1", "old-2"}
	s := newSentCIDs(1000, db.load)
	ctx := context.Background()
	for i := range 50 {
		if maybe, err := s.add(ctx, "alice", fmt.Sprint("new-", i)); err != nil || maybe {
			t.Fatalf("new cid %d: maybe=%v err=%v", i, maybe, err)
		}
	}
	// Stored before start, and sent again since: both are a maybe.
	for _, c := range []string{"old-2", "new-7"} {
		if maybe, _ := s.add(ctx, "alice", c); !maybe {
			t.Fatalf("%s: not seen as possibly stored", c)
		}
	}
	if db.loads["alice"] != 1 {
		t.Fatalf("alice's cids read %d times, want once", db.loads["alice"])
	}
	// Another user's cids are their own.
	if maybe, _ := s.add(ctx, "bob", "old-2"); maybe {
		t.Fatal("bob's first cid taken for alice's")
	}
}

func TestSentCIDsLoadErrorIsReported(t *testing.T) {
	db := newFakeStored()
	db.err = errors.New("disk on fire")
	s := newSentCIDs(1000, db.load)
	if _, err := s.add(context.Background(), "alice", "c1"); err == nil {
		t.Fatal("no error when the stored cids cannot be read")
	}
	db.err = nil
	db.cids["alice"] = []string{"c1"}
	if maybe, err := s.add(context.Background(), "alice", "c1"); err != nil || !maybe {
		t.Fatalf("after the error: maybe=%v err=%v, want a retried load", maybe, err)
	}
}

func TestSentCIDsCap(t *testing.T) {
	db := newFakeStored()
	for i := range 5 {
		db.cids["chatty"] = append(db.cids["chatty"], fmt.Sprint("c", i))
	}
	s := newSentCIDs(16, db.load) // at most 2 hashes for one user
	ctx := context.Background()
	// Too many for the index: every cid of theirs is a maybe, and they are
	// not read again for each one.
	for range 3 {
		if maybe, _ := s.add(ctx, "chatty", "fresh"); !maybe {
			t.Fatal("a user past the per-user share was indexed")
		}
	}
	if db.loads["chatty"] != 1 {
		t.Fatalf("chatty read %d times", db.loads["chatty"])
	}
	// Past the cap everything is dropped and read again when needed.
	for i := range 17 {
		if _, err := s.add(ctx, fmt.Sprint("u", i), "x"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.held(); n > 16 {
		t.Fatalf("%d hashes held, cap 16", n)
	}
	if maybe, _ := s.add(ctx, "u0", "x"); maybe {
		// u0 was dropped and reloaded: "x" was never stored (the fake
		// database does not have it), so it is certain again.
		t.Fatal("a dropped user's cid stayed a maybe")
	}
	if db.loads["u0"] != 2 {
		t.Fatalf("u0 read %d times, want a reload after the drop", db.loads["u0"])
	}
}

func TestSentCIDsConcurrentSameCID(t *testing.T) {
	s := newSentCIDs(1000, newFakeStored().load)
	var wg sync.WaitGroup
	var certain sync.Map
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if maybe, _ := s.add(context.Background(), "alice", "same"); !maybe {
				certain.Store(i, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	certain.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d callers were told the same cid is new, want 1", n)
	}
}

// held is the number of hashes counted against the cap.
func (s *sentCIDs) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}
