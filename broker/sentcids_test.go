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
	rows  int // cids handed out
	err   error
}

func (f *fakeStored) load(_ context.Context, user string, each func(string) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.loads[user]++
	for _, c := range f.cids[user] {
		f.rows++
		if !each(c) {
			break
		}
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
	if got, want := s.held(), userCharge+52; got != want {
		t.Fatalf("held %d, want %d (alice's charge, 2 loaded, 50 new)", got, want)
	}
	// Another user's cids are their own.
	if maybe, _ := s.add(ctx, "bob", "old-2"); maybe {
		t.Fatal("bob's first cid taken for alice's")
	}
}

// A cid claimed while the load failed is stored later; a load that succeeds
// before that commit must still know it.
func TestSentCIDsClaimDuringFailedLoadIsKept(t *testing.T) {
	db := newFakeStored()
	db.err = errors.New("disk on fire")
	s := newSentCIDs(1000, db.load)
	ctx := context.Background()
	if _, err := s.add(ctx, "alice", "x"); err == nil {
		t.Fatal("no error when the stored cids cannot be read")
	}
	db.err = nil // "x" is not committed yet: the database does not have it
	if maybe, err := s.add(ctx, "alice", "y"); err != nil || maybe {
		t.Fatalf("y: maybe=%v err=%v", maybe, err)
	}
	if maybe, _ := s.add(ctx, "alice", "x"); !maybe {
		t.Fatal("x, claimed while the load failed, was taken for new")
	}
}

func TestSentCIDsCapNeverReloads(t *testing.T) {
	db := newFakeStored()
	for u := range 20 {
		for i := range 10 {
			db.cids[fmt.Sprint("u", u)] = append(db.cids[fmt.Sprint("u", u)], fmt.Sprint("c", i))
		}
	}
	const limit = 100 // room for about 5 users of 10 cids and a charge of 8
	s := newSentCIDs(limit, db.load)
	ctx := context.Background()
	unindexed := map[string]bool{}
	for round := range 5 {
		for u := range 20 {
			user := fmt.Sprint("u", u)
			maybe, err := s.add(ctx, user, fmt.Sprint("r", round))
			if err != nil {
				t.Fatal(err)
			}
			if !maybe && unindexed[user] {
				t.Fatalf("round %d: %s indexed again", round, user)
			}
			unindexed[user] = maybe
			// A stored cid is a maybe whether the user is indexed or not.
			if maybe, _ := s.add(ctx, user, "c3"); !maybe {
				t.Fatalf("%s: a stored cid taken for new", user)
			}
			if s.held() > limit {
				t.Fatalf("held %d, cap %d", s.held(), limit)
			}
		}
	}
	indexed := 0
	for _, out := range unindexed {
		if !out {
			indexed++
		}
	}
	if indexed == 0 || !unindexed["u19"] {
		t.Fatalf("%d users indexed, u19 unindexed %v: want some in and the last out", indexed, unindexed["u19"])
	}
	for u, n := range db.loads {
		if n != 1 {
			t.Fatalf("%s read %d times: sets must not be reloaded", u, n)
		}
	}
}

func TestSentCIDsUserPastTheirShare(t *testing.T) {
	db := newFakeStored()
	for i := range 1000 {
		db.cids["chatty"] = append(db.cids["chatty"], fmt.Sprint("c", i))
	}
	s := newSentCIDs(16, db.load) // at most 2 hashes for one user
	ctx := context.Background()
	for range 3 {
		if maybe, _ := s.add(ctx, "chatty", "fresh"); !maybe {
			t.Fatal("a user past their share was indexed")
		}
	}
	if db.loads["chatty"] != 1 || db.rows > 3 {
		t.Fatalf("chatty read %d times, %d rows: want one read that stops past the share", db.loads["chatty"], db.rows)
	}
	if s.held() != 0 {
		t.Fatalf("held %d for an unindexed user", s.held())
	}
}

// A user who grows past the cap is unindexed and their hashes freed.
func TestSentCIDsGrowingPastTheCap(t *testing.T) {
	s := newSentCIDs(userCharge+3, newFakeStored().load)
	ctx := context.Background()
	for i := range 3 {
		if maybe, _ := s.add(ctx, "alice", fmt.Sprint("c", i)); maybe {
			t.Fatalf("c%d: maybe within the cap", i)
		}
	}
	if maybe, _ := s.add(ctx, "alice", "c3"); !maybe {
		t.Fatal("c3 past the cap: not handed to the database")
	}
	if s.held() != 0 {
		t.Fatalf("held %d after alice was unindexed", s.held())
	}
	if maybe, _ := s.add(ctx, "bob", "b0"); maybe {
		t.Fatal("bob not indexed after alice's set was freed")
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
