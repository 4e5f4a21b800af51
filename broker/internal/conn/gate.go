package conn

import "sync"

// Gate bounds the connections that have not logged in yet, per address and
// in total, so that sockets opened and left silent cannot use up the
// process's open files.
type Gate struct {
	perAddr, total int
	mu             sync.Mutex
	byAddr         map[string]int
	n              int
}

// NewGate admits at most perAddr connections from one address and total
// from all; 0 lifts a bound.
func NewGate(perAddr, total int) *Gate {
	return &Gate{perAddr: perAddr, total: total, byAddr: map[string]int{}}
}

// Admit takes a slot for a connection from addr (the address as it is
// counted: the caller decides, say, that an IPv6 network counts as one),
// or reports that there is none; release gives the slot back and may be
// called more than once.
func (g *Gate) Admit(addr string) (release func(), ok bool) {
	host := addr
	g.mu.Lock()
	defer g.mu.Unlock()
	if (g.total > 0 && g.n >= g.total) || (g.perAddr > 0 && g.byAddr[host] >= g.perAddr) {
		return nil, false
	}
	g.n++
	g.byAddr[host]++
	var once sync.Once
	return func() { once.Do(func() { g.give(host) }) }, true
}

func (g *Gate) give(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.byAddr[host]--; g.byAddr[host] <= 0 {
		delete(g.byAddr, host)
	}
}

// Pending returns how many admitted connections have not logged in.
func (g *Gate) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}
