package broker

import (
	"sync/atomic"
	"time"
)

// rateLog counts an event and lets it be logged at most once every 10
// seconds, with the number since the last line, so that a flood of it does
// not flood the log.
type rateLog struct {
	n      atomic.Int64
	logged atomic.Int64 // unix seconds of the last line
}

// note counts one event; when a line is due it returns the events it
// reports (this one included) and true.
func (r *rateLog) note() (n int64, due bool) {
	n = r.n.Add(1)
	now := time.Now().Unix()
	if last := r.logged.Load(); now-last < 10 || !r.logged.CompareAndSwap(last, now) {
		return 0, false
	}
	r.n.Add(-n)
	return n, true
}
