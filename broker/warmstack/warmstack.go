// Package warmstack keeps the goroutine that reads a busy publisher's
// connection from having its stack shrunk between messages.
//
// mochi handles each packet on the connection's reader goroutine, and a chat
// PUBLISH goes more than 16 KiB deep (mochi's frames down to its OnPublish
// hook are 15 KiB), so that goroutine's stack grows to 32 KiB. Waiting for
// the next packet it uses about 5 KiB, less than the quarter of its stack
// below which every garbage collection halves a stack; so each collection
// shrank every publisher's stack and their next message copied it back, a
// tenth of the broker's CPU with 1,000 people chatting. A connection that
// keeps publishing (whoever parses the stream says so: Published) waits
// with 8 KiB more in use, which makes the collector leave its stack alone;
// a connection that only listens still shrinks, which is what keeps idle
// memory low. So does one that published only in a short burst: a pet's
// requests at login take about a second, and keeping every pet's 32 KiB
// stack after they log in measured 44 instead of 24 KiB per idle pet. The
// price is zeroing those 8 KiB on each read of a warm connection.
package warmstack

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// A connection is warm from Settle after the first PUBLISH of a run of
// them until Window after the last; a run ends after Window without one.
const (
	Window = time.Minute
	Settle = 5 * time.Second
)

// pad is the extra stack a warm read holds: enough for a quarter of a
// 32 KiB stack whatever the frames above it.
const pad = 8 << 10

// Conn is a net.Conn whose reads keep its reader's stack while it publishes.
type Conn struct {
	net.Conn
	now   func() int64 // unix seconds
	first atomic.Int64 // the current run's first Published
	last  atomic.Int64 // the last Published
}

// Wrap returns c with warm reads.
func Wrap(c net.Conn) *Conn {
	return &Conn{Conn: c, now: func() int64 { return time.Now().Unix() }}
}

// SyscallConn is the wrapped connection's, for writes that use the socket
// directly (queuedconn).
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// Published records that the client sent a PUBLISH.
func (c *Conn) Published() {
	now := c.now()
	if now-c.last.Load() >= int64(Window/time.Second) {
		c.first.Store(now)
	}
	c.last.Store(now)
}

// warm reports a run of PUBLISHes that has lasted Settle and not ended.
func (c *Conn) warm() bool {
	last := c.last.Load()
	return c.now()-last < int64(Window/time.Second) && last-c.first.Load() >= int64(Settle/time.Second)
}

// Read reads from the wrapped connection, deep in the stack if c is warm.
func (c *Conn) Read(p []byte) (int, error) {
	if c.warm() {
		return c.readDeep(p)
	}
	return c.Conn.Read(p)
}

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
