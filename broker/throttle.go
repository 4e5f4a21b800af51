package broker

import (
	"sync"
	"time"
)

// loginThrottle slows down repeated login failures, per username and per
// client address: after `free` failures each further attempt waits twice as
// long as the last, up to max. A success clears the user's and address's record.
type loginThrottle struct {
	free int
	max  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	fails map[string]*failRecord
}

type failRecord struct {
	n    int
	last time.Time
}

// failures are forgotten after this long without another.
const failMemory = 15 * time.Minute

func newLoginThrottle(free int, max time.Duration, now func() time.Time) *loginThrottle {
	return &loginThrottle{free: free, max: max, now: now, fails: map[string]*failRecord{}}
}

// Delay is how long to wait before checking a login from user at addr.
func (t *loginThrottle) Delay(user, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.delayLocked("u:"+user), t.delayLocked("a:"+addr))
}

func (t *loginThrottle) delayLocked(key string) time.Duration {
	r := t.fails[key]
	if r == nil || t.now().Sub(r.last) > failMemory {
		return 0
	}
	extra := r.n - t.free
	if extra < 0 {
		return 0
	}
	d := 250 * time.Millisecond << min(extra, 16)
	return min(d, t.max)
}

// Fail records a failed login.
func (t *loginThrottle) Fail(user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	keys := []string{"a:" + addr}
	if user != "" { // "" for names that cannot exist: the address record is enough
		keys = append(keys, "u:"+user)
	}
	if len(t.fails) >= maxFailRecords {
		for k, r := range t.fails {
			if now.Sub(r.last) > failMemory {
				delete(t.fails, k)
			}
		}
	}
	for _, k := range keys {
		r := t.fails[k]
		if r == nil || now.Sub(r.last) > failMemory {
			if len(t.fails) >= maxFailRecords {
				continue // full of recent failures: keep what is there
			}
			r = &failRecord{}
			t.fails[k] = r
		}
		r.n++
		r.last = now
	}
}

// maxFailRecords bounds the throttle's memory under a spray of names and
// addresses.
const maxFailRecords = 100_000

// Succeed clears the records of user and addr.
func (t *loginThrottle) Succeed(user, addr string) {
	t.mu.Lock()
	delete(t.fails, "u:"+user)
	delete(t.fails, "a:"+addr)
	t.mu.Unlock()
}
