package broker

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyLimits holds one token bucket per key: per user for chat publishes and
// requests, per client address for registrations.
type keyLimits struct {
	perSec float64
	burst  int
	mu     sync.Mutex
	m      map[string]*rate.Limiter
}

func newKeyLimits(perSec float64, burst int) *keyLimits {
	return &keyLimits{perSec: perSec, burst: burst, m: map[string]*rate.Limiter{}}
}

func (u *keyLimits) Allow(user string) bool { return u.limiter(user).Allow() }

// Wait takes a token for key and returns 0, or takes none and returns how
// long until one is free (for a Retry-After).
func (u *keyLimits) Wait(key string) time.Duration {
	r := u.limiter(key).Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return d
	}
	return 0
}

// Ready is how long until key has a token (0: now), taking none.
func (u *keyLimits) Ready(key string) time.Duration {
	t := u.limiter(key).Tokens()
	if t >= 1 {
		return 0
	}
	return time.Duration((1 - t) / u.perSec * float64(time.Second))
}

func (u *keyLimits) limiter(user string) *rate.Limiter {
	u.mu.Lock()
	l := u.m[user]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(u.perSec), u.burst)
		if len(u.m) > 200_000 { // full buckets carry no state worth keeping
			for k, old := range u.m {
				if old.Tokens() >= float64(u.burst) {
					delete(u.m, k)
				}
			}
		}
		u.m[user] = l
	}
	u.mu.Unlock()
	return l
}
