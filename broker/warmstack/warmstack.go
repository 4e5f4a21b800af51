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
// sent a PUBLISH lately waits with 8 KiB more in use, which makes the
// collector leave its stack alone; a connection that only listens still
// shrinks, which is what keeps idle memory low.
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
	published atomic.Int64 // unix seconds of the last read that began with a PUBLISH
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

// Read reads from the wrapped connection, deep in the stack if c has
// published within Window.
func (c *Conn) Read(p []byte) (int, error) {
	if time.Now().Unix()-c.published.Load() < int64(Window/time.Second) {
		return c.readDeep(p)
	}
	return c.read(p)
}

func (c *Conn) read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	// Reads usually begin at a packet: MQTT's PUBLISH is type 3 in the
	// first byte's high nibble. A guess is enough; a wrong one costs only
	// a stack copy or 16 KiB for a minute.
	if n >= 2 && p[0]>>4 == 3 {
		c.published.Store(time.Now().Unix())
	}
	return n, err
}

//go:noinline
func (c *Conn) readDeep(p []byte) (int, error) {
	var hold [pad]byte
	n, err := c.read(p)
	keep(&hold)
	return n, err
}

// keep makes hold live across the read, so the compiler keeps it on the
// stack; it does nothing.
//
//go:noinline
func keep(*[pad]byte) {}
