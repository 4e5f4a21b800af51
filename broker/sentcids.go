package broker

import (
	"context"
	"hash/maphash"
	"sync"
)

// sentCIDs tells whether a user may already have stored a message with a
// given cid, so that a new cid (nearly every message the pet sends) costs no
// database read. Asking SQLite for each one was a quarter of a DM's CPU: a
// statement prepared and a read transaction opened on the publisher's
// goroutine.
//
// For each user who sends a cid it keeps 64-bit hashes of every cid they
// stored, read from the database at their first cid since start, plus those
// claimed since. A cid whose hash is absent was never stored; a present one
// is only a "maybe" (a hash collision, a message whose store failed, a
// deleted one) and the caller asks the database. Memory is about 12 bytes a
// hash, with a cap: past it, every user's hashes are dropped and reloaded
// when next needed, and a single user with more than a share of the cap is
// not indexed at all (each of their cids goes to the database), so one
// chatty account cannot make the index reload on every message.
type sentCIDs struct {
	load    func(ctx context.Context, user string, each func(cid string)) error
	limit   int // hashes held, all users together
	perUser int // a user with more is not indexed

	seed  maphash.Seed
	mu    sync.Mutex
	users map[string]*userCIDs
	total int
}

type userCIDs struct {
	mu      sync.Mutex // held while loading and adding
	loaded  bool
	tooMany bool
	hashes  map[uint64]struct{}

	dropped bool // under sentCIDs.mu: replaced since, so no longer counted
}

func newSentCIDs(limit int, load func(ctx context.Context, user string, each func(cid string)) error) *sentCIDs {
	return &sentCIDs{load: load, limit: limit, perUser: max(limit/8, 1), seed: maphash.MakeSeed(), users: map[string]*userCIDs{}}
}

// add records that user is storing cid and reports whether they may have
// stored it before (false: certainly not). An error means the user's
// stored cids could not be read; the caller then cannot tell.
func (s *sentCIDs) add(ctx context.Context, user, cid string) (maybe bool, err error) {
	s.mu.Lock()
	u := s.users[user]
	if u == nil {
		u = &userCIDs{}
		s.users[user] = u
	}
	s.mu.Unlock()

	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.loaded {
		// Under the user's lock: their other messages wait for the load,
		// everyone else's go on.
		if err := s.fill(ctx, user, u); err != nil {
			return false, err
		}
	}
	if u.tooMany {
		return true, nil
	}
	h := maphash.String(s.seed, cid)
	if _, ok := u.hashes[h]; ok {
		return true, nil
	}
	u.hashes[h] = struct{}{}
	s.grow(u, 1)
	return false, nil
}

func (s *sentCIDs) fill(ctx context.Context, user string, u *userCIDs) error {
	hashes := map[uint64]struct{}{}
	tooMany := false
	err := s.load(ctx, user, func(cid string) {
		if tooMany {
			return
		}
		hashes[maphash.String(s.seed, cid)] = struct{}{}
		if len(hashes) > s.perUser {
			tooMany, hashes = true, nil
		}
	})
	if err != nil {
		return err
	}
	u.loaded, u.tooMany, u.hashes = true, tooMany, hashes
	s.grow(u, len(hashes))
	return nil
}

// grow counts n more hashes of u, and drops every user's when the cap is
// passed. A dropped entry stays correct for whoever still holds it; it just
// is not found again.
func (s *sentCIDs) grow(u *userCIDs, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.dropped {
		return
	}
	s.total += n
	if s.total > s.limit {
		for _, v := range s.users {
			v.dropped = true
		}
		s.users, s.total = map[string]*userCIDs{}, 0
	}
}

// sentCIDLimit caps the hashes held: about 16 MiB.
const sentCIDLimit = 1 << 20
