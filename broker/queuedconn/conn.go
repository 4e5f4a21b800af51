// Package queuedconn wraps a network connection so that writing to it never
// waits for the peer.
//
// A broker writes one message to hundreds of subscribers from the goroutine
// that received it. With a plain net.Conn, one subscriber that stops reading
// would stall that goroutine and every other subscriber behind it; handing
// each write to a per-connection goroutine instead (mochi's way) costs a
// goroutine wake per delivery. A Conn does what an event-loop broker does:
// it tries the socket at once without blocking, and only what the kernel
// does not take is queued and written by a goroutine started for it. Bytes
// written while another goroutine is writing are appended and go out in the
// same system call as the next write, so a busy subscriber costs fewer
// syscalls, not more.
package queuedconn

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// ErrBacklog is the error of a connection closed because more than its
// limit of bytes waited for a peer that does not read.
var ErrBacklog = errors.New("peer is not reading: send backlog limit reached")

// maxDirectRounds bounds how many times a writer drains bytes others queued
// before it leaves the rest to a background goroutine: the writer is usually
// a publisher with more subscribers to serve.
const maxDirectRounds = 4

// Conn is a net.Conn whose Write queues instead of blocking. Reads, deadlines
// and addresses are the wrapped connection's.
type Conn struct {
	net.Conn
	raw   syscall.RawConn // nil: every write goes through the background goroutine (TLS, WebSocket)
	limit int

	mu      sync.Mutex
	pending []byte // accepted, not yet given to the kernel; in order after whatever busy is writing
	busy    bool   // a goroutine is writing; others only append to pending
	err     error  // once set, the connection is closed and every Write fails
}

// Wrap returns c with queued writes; at most limit bytes may wait for the
// peer before the connection is closed with ErrBacklog.
func Wrap(c net.Conn, limit int) *Conn {
	q := &Conn{Conn: c, limit: limit}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil && rawWritable(raw) {
			q.raw = raw
		}
	}
	return q
}

// Unwrap returns the wrapped connection.
func (c *Conn) Unwrap() net.Conn { return c.Conn }

// Buffered returns how many accepted bytes have not reached the kernel yet.
func (c *Conn) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Write accepts all of p or fails; it never waits for the peer. Each call's
// bytes stay together and in call order, so concurrent writers may each
// write whole packets.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	if c.busy {
		err := c.queueLocked(p)
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
	c.busy = true
	c.mu.Unlock()

	buf := p
	for round := 0; ; round++ {
		n, err := c.tryWrite(buf)
		if err != nil {
			c.fail(err)
			return 0, err
		}
		c.mu.Lock()
		if n < len(buf) || round == maxDirectRounds {
			// The socket is full (or we have done our share): the rest goes
			// first, ahead of what others queued meanwhile.
			rest := append(buf[n:len(buf):len(buf)], c.pending...)
			c.pending = nil
			if err := c.queueLocked(rest); err != nil {
				c.mu.Unlock()
				return 0, err
			}
			c.mu.Unlock()
			go c.flush()
			return len(p), nil
		}
		if len(c.pending) == 0 {
			c.busy = false
			c.mu.Unlock()
			return len(p), nil
		}
		buf, c.pending = c.pending, nil
		c.mu.Unlock()
	}
}

// queueLocked appends p to pending, or closes the connection when that would
// pass the limit.
func (c *Conn) queueLocked(p []byte) error {
	if len(c.pending)+len(p) > c.limit {
		c.failLocked(fmt.Errorf("%w (%d bytes)", ErrBacklog, c.limit))
		return c.err
	}
	c.pending = append(c.pending, p...)
	return nil
}

// flush writes pending with blocking writes until it is empty, then releases
// busy. It runs only while busy is held for it.
func (c *Conn) flush() {
	for {
		c.mu.Lock()
		if c.err != nil || len(c.pending) == 0 {
			c.busy = false
			c.mu.Unlock()
			return
		}
		buf := c.pending
		c.pending = nil
		c.mu.Unlock()
		if _, err := c.Conn.Write(buf); err != nil {
			c.fail(err)
			return
		}
	}
}

// tryWrite writes what the kernel takes now, without waiting.
func (c *Conn) tryWrite(p []byte) (int, error) {
	if c.raw == nil {
		return 0, nil
	}
	return writeNonblocking(c.raw, p)
}

func (c *Conn) fail(err error) {
	c.mu.Lock()
	c.failLocked(err)
	c.mu.Unlock()
}

func (c *Conn) failLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	c.pending = nil
	c.busy = false
	// Closing makes the reader see the end too, so the broker cleans up.
	_ = c.Conn.Close()
}

// Close closes the connection; bytes not yet written are dropped.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil
	}
	c.err = net.ErrClosed
	c.pending = nil
	return c.Conn.Close()
}
