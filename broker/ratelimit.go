package broker

import (
	"sync"

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
