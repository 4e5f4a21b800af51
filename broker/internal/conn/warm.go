package conn

import (
	"sync/atomic"
	"time"
)

// A connection is warm from Settle after the first PUBLISH of a run of
// them until Window after the last; a run ends after Window without one.
// Only a run keeps the stack: a pet's burst of requests at login must not
// (docs/PERFORMANCE.md, change 18b).
const (
	Window = time.Minute
	Settle = 5 * time.Second
)

// pad is the extra stack a warm read holds, so that the collector never
// finds the reader's stack a quarter used and halves it between messages.
const pad = 8 << 10

// warmth records a client's run of PUBLISHes.
type warmth struct {
	now   func() int64 // unix seconds
	first atomic.Int64 // the current run's first PUBLISH
	last  atomic.Int64 // the last PUBLISH
}

func (w *warmth) published() {
	now := w.now()
	if now-w.last.Load() >= int64(Window/time.Second) {
		w.first.Store(now)
	}
	w.last.Store(now)
}

// warm reports a run of PUBLISHes that has lasted Settle and not ended.
func (w *warmth) warm() bool {
	last := w.last.Load()
	return w.now()-last < int64(Window/time.Second) && last-w.first.Load() >= int64(Settle/time.Second)
}

// readDeep reads from the wrapped connection with pad more stack in use.
//
//go:noinline
func (c *Conn) readDeep(p []byte) (int, error) {
	var hold [pad]byte
	n, err := c.Conn.Read(p)
	keep(&hold)
	return n, err
}

// keep makes hold live across the read, so the compiler keeps it on the
// stack; it does nothing.
//
//go:noinline
func keep(*[pad]byte) {}
