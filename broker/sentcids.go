package broker

import (
	"context"
	"hash/maphash"
	"sync"
)

// sentCIDs tells whether a user may already have stored a message with a
// given cid, so that a new cid (nearly every message the pet sends) costs no
// database read on the publisher's goroutine (the DM profile in
// docs/PERFORMANCE.md).
//
// For each user who sends a cid it keeps 64-bit hashes of every cid they
// stored, read from the database once, at their first cid since start, plus
// every cid claimed since. A user's set is complete from then on, so an
// absent hash means the cid was never stored; a present one is only a
// "maybe" (a collision, a message whose store failed, a deleted one) and the
// caller asks the database.
//
// Sets are never dropped and read again: a reload could miss a cid claimed
// but not yet committed. Instead, past a cap (hashes, with a charge per
// user) the user who would pass it is no longer indexed and each of their
// cids goes to the database, as every cid did before; so does a user with
// more than a share of the cap.
type sentCIDs struct {
	load    func(ctx context.Context, user string, each func(cid string) bool) error
	limit   int // hashes held, all users together, per-user charges included
	perUser int // a user with more is not indexed

	seed  maphash.Seed
	mu    sync.Mutex
	users map[string]*userCIDs
	total int
}

type userCIDs struct {
	mu        sync.Mutex // held while loading and adding
	loaded    bool
	unindexed bool                // the database decides for every cid of theirs
	hashes    map[uint64]struct{} // complete once loaded
	pending   []uint64            // claimed while the load failed: merged at the next load
}

// userCharge is what a user's entry costs against the cap, in hashes: a
// map and its header even for a user with one cid.
const userCharge = 8

// sentCIDLimit caps what sentCIDs holds, and so its memory.
const sentCIDLimit = 1 << 20

func newSentCIDs(limit int, load func(ctx context.Context, user string, each func(cid string) bool) error) *sentCIDs {
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

	h := maphash.String(s.seed, cid)
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.loaded {
		// Under the user's lock: their other messages wait for the load,
		// everyone else's go on.
		if err := s.fill(ctx, user, u); err != nil {
			u.pending = append(u.pending, h)
			return false, err
		}
	}
	if u.unindexed {
		return true, nil
	}
	if _, ok := u.hashes[h]; ok {
		return true, nil
	}
	if !s.charge(1) {
		s.unindex(u)
		return true, nil
	}
	u.hashes[h] = struct{}{}
	return false, nil
}

func (s *sentCIDs) fill(ctx context.Context, user string, u *userCIDs) error {
	hashes := map[uint64]struct{}{}
	err := s.load(ctx, user, func(cid string) bool {
		hashes[maphash.String(s.seed, cid)] = struct{}{}
		return len(hashes) <= s.perUser // past it, the rest need not be read
	})
	if err != nil {
		return err
	}
	for _, h := range u.pending {
		hashes[h] = struct{}{}
	}
	u.loaded, u.pending = true, nil
	if len(hashes) > s.perUser || !s.charge(userCharge+len(hashes)) {
		u.unindexed = true
		return nil
	}
	u.hashes = hashes
	return nil
}

// charge counts n more against the cap, or reports that they do not fit.
func (s *sentCIDs) charge(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total+n > s.limit {
		return false
	}
	s.total += n
	return true
}

// unindex hands u's cids to the database from now on and frees its set.
func (s *sentCIDs) unindex(u *userCIDs) {
	s.mu.Lock()
	s.total -= userCharge + len(u.hashes)
	s.mu.Unlock()
	u.unindexed, u.hashes = true, nil
}
