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
// sent a PUBLISH lately (whoever parses the stream says so: Published)
// waits with 8 KiB more in use, which makes the collector leave its stack
// alone; a connection that only listens still shrinks, which is what keeps
// idle memory low. The price is zeroing those 8 KiB on each of its reads.
package warmstack

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Window is how long after a PUBLISH a connection's reads stay deep.
const Window = time.Minute

// pad is the extra stack a warm read holds: enough for a quarter of a
// 32 KiB stack whatever the frames above it.
const pad = 8 << 10

// Conn is a net.Conn whose reads keep its reader's stack while it publishes.
type Conn struct {
	net.Conn
	published atomic.Int64 // unix seconds of the last Published
}

// Wrap returns c with warm reads.
func Wrap(c net.Conn) *Conn { return &Conn{Conn: c} }

// SyscallConn is the wrapped connection's, for writes that use the socket
// directly (queuedconn).
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// Published records that the client sent a PUBLISH: for Window, reads go
// deep.
func (c *Conn) Published() { c.published.Store(time.Now().Unix()) }

// Read reads from the wrapped connection, deep in the stack if c has
// published within Window.
func (c *Conn) Read(p []byte) (int, error) {
	if time.Now().Unix()-c.published.Load() < int64(Window/time.Second) {
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
