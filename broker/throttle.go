package broker

import (
	"net/netip"
	"sync"
	"time"
)

// loginGuard bounds password guessing by answering at once instead of
// sleeping, so that parallel connections cannot get around it. It keeps
// failure records per (account, address), per address and per account;
// past a record's free failures, one attempt is let through per back-off
// (250 ms, doubling, up to max) and the rest are refused without checking
// the password. Attempts in progress count as failures until they end, so
// a hundred parallel guesses get no more tries than one after another.
//
// The account record alone must not lock its owner out: it only holds back
// addresses that have already failed against the account. A fresh address,
// or one the account logged in from before, is only held back by its own
// address record (a botnet gets at most one guess per address before the
// account record applies to it, and the broker's verification slots bound
// what those cost).
//
// An IPv6 address counts by its /64. When the records are full (a spray
// from very many addresses), attempts that cannot be counted are refused,
// except from an address the user logged in from before.
type loginGuard struct {
	pairFree int // failures per (account, address) and per account
	addrFree int // failures per address, over all accounts
	max      time.Duration
	now      func() time.Time
	limit    int // records per map (maxFailRecords)

	mu        sync.Mutex
	recs      map[string]*failRecord
	good      map[string]time.Time // (account, address) pairs that logged in, and when
	swept     time.Time            // recs' last sweep for forgotten records
	goodSwept time.Time            // good's
}

type failRecord struct {
	n       int       // failures
	pending int       // attempts admitted and not yet ended
	last    time.Time // of the last failure
	next    time.Time // no attempt past the free ones before this
}

// lockKind says which record refused an attempt.
type lockKind int

const (
	notLocked   lockKind = iota
	pairLocked           // this account from this address: the password was wrong too often
	otherLocked          // the address or the account: the password was not checked
)

const (
	failMemory = 15 * time.Minute    // failures are forgotten after this long without another
	goodMemory = 30 * 24 * time.Hour // a successful (account, address) is trusted this long
	// maxFailRecords bounds the guard's memory under a spray of names and
	// addresses (each map).
	maxFailRecords = 100_000
	// sweepEvery spaces out the sweeps of full records, which walk them all
	// under the lock: a spray must not make every attempt pay for one.
	sweepEvery = time.Second
)

func newLoginGuard(pairFree, addrFree int, max time.Duration, now func() time.Time) *loginGuard {
	return &loginGuard{pairFree: pairFree, addrFree: addrFree, max: max, now: now, limit: maxFailRecords,
		recs: map[string]*failRecord{}, good: map[string]time.Time{}}
}

// loginAttempt is an admitted attempt; exactly one of Failed, Succeeded or
// Abandoned ends it.
type loginAttempt struct {
	g    *loginGuard
	keys []string
}

// guardCheck is a record an attempt is counted in, with its free failures.
type guardCheck struct {
	key  string
	free int
}

// Admit decides at once whether user may try a password from addr. user is
// "" for a name that cannot exist (only the address counts then).
func (g *loginGuard) Admit(user, addr string) (*loginAttempt, lockKind) {
	addr = addressKey(addr)
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	byAddr := guardCheck{"a:" + addr, g.addrFree}
	if user == "" {
		if g.locked(byAddr, now) {
			return nil, otherLocked
		}
		return g.admit(g.take(now, byAddr))
	}
	pair, byUser := guardCheck{"p:" + user + "\x00" + addr, g.pairFree}, guardCheck{"u:" + user, g.pairFree}
	if g.locked(pair, now) {
		if g.recs[pair.key].n < pair.free {
			return nil, otherLocked // full of attempts in progress, not of failures
		}
		return nil, pairLocked
	}
	if t, ok := g.good[user+"\x00"+addr]; ok && now.Sub(t) < goodMemory {
		if a := g.take(now, pair); a != nil {
			return a, notLocked
		}
		return &loginAttempt{g: g}, notLocked // untracked, but the owner gets in
	}
	fresh := g.record(pair.key, now) == nil
	if g.locked(byAddr, now) || !fresh && g.locked(byUser, now) {
		return nil, otherLocked
	}
	return g.admit(g.take(now, pair, byAddr, byUser))
}

// admit turns a failed take (no room for the records) into a refusal: an
// attempt that cannot be counted is not let through.
func (g *loginGuard) admit(a *loginAttempt) (*loginAttempt, lockKind) {
	if a == nil {
		return nil, otherLocked
	}
	return a, notLocked
}

// addressKey is what an address is counted as: an IPv6 host by its /64,
// which one subscriber usually holds whole.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return addr
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

func (g *loginGuard) record(key string, now time.Time) *failRecord {
	r := g.recs[key]
	if r != nil && r.pending == 0 && now.Sub(r.last) > failMemory && !now.Before(r.next) {
		delete(g.recs, key)
		return nil
	}
	return r
}

func (g *loginGuard) locked(c guardCheck, now time.Time) bool {
	r := g.record(c.key, now)
	return r != nil && r.n+r.pending >= c.free && now.Before(r.next)
}

// take counts an admitted attempt in each record, as a failure until it
// ends; nil when the records are full of recent failures.
func (g *loginGuard) take(now time.Time, checks ...guardCheck) *loginAttempt {
	missing := 0
	for _, c := range checks {
		if g.record(c.key, now) == nil {
			missing++
		}
	}
	if missing > 0 && len(g.recs)+missing > g.limit {
		if due(&g.swept, now) {
			g.sweep(now)
		}
		if len(g.recs)+missing > g.limit {
			return nil
		}
	}
	a := &loginAttempt{g: g}
	for _, c := range checks {
		r := g.recs[c.key]
		if r == nil {
			r = &failRecord{last: now}
			g.recs[c.key] = r
		}
		r.pending++
		if used := r.n + r.pending; used >= c.free {
			r.next = now.Add(g.backoff(used - c.free + 1))
		}
		a.keys = append(a.keys, c.key)
	}
	return a
}

func (g *loginGuard) backoff(k int) time.Duration {
	return min(250*time.Millisecond<<min(k-1, 16), g.max)
}

func (g *loginGuard) sweep(now time.Time) {
	for k := range g.recs {
		g.record(k, now)
	}
}

// due reports whether a sweep last done at *last may run again at now, and
// if so records now as the last.
func due(last *time.Time, now time.Time) bool {
	if d := now.Sub(*last); d >= 0 && d < sweepEvery {
		return false
	}
	*last = now
	return true
}

// Failed records a wrong password (or unknown user, or bad token).
func (a *loginAttempt) Failed() { a.end(true) }

// Abandoned ends an attempt whose password was never checked (the server
// was too busy): it is not a failure.
func (a *loginAttempt) Abandoned() { a.end(false) }

func (a *loginAttempt) end(failed bool) {
	g := a.g
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for _, k := range a.keys {
		if r := g.recs[k]; r != nil {
			r.pending--
			if failed {
				r.n++
				r.last = now
			}
		}
	}
}

// Succeeded forgets the (account, address) pair's failures and trusts the
// pair from now on. The address's and the account's records stay: logging
// into one's own account must not reset the guessing budget of another.
func (a *loginAttempt) Succeeded(user, addr string) {
	a.end(false)
	addr = addressKey(addr)
	g := a.g
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	delete(g.recs, "p:"+user+"\x00"+addr)
	key := user + "\x00" + addr
	if _, ok := g.good[key]; !ok && len(g.good) >= g.limit {
		if due(&g.goodSwept, now) {
			for k, t := range g.good {
				if now.Sub(t) >= goodMemory {
					delete(g.good, k)
				}
			}
		}
		if len(g.good) >= g.limit {
			return
		}
	}
	g.good[key] = now
}
