package conn

import "fmt"

// maxDirectRounds bounds how many times a writer drains bytes others queued
// before it leaves the rest to a background goroutine: the writer is usually
// a publisher with more subscribers to serve.
const maxDirectRounds = 4

// Buffered returns how many accepted bytes have not reached the kernel yet.
func (c *Conn) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Write accepts all of p or fails; it never waits for the peer. Each call's
// bytes stay together and in call order, so concurrent writers may each
// write whole packets. p may be reused once Write returns.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	if c.busy {
		failed, err := c.queueLocked(p)
		c.mu.Unlock()
		if failed {
			c.closeFailed()
		}
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
			if failed, err := c.queueLocked(rest); err != nil {
				c.mu.Unlock()
				if failed {
					c.closeFailed()
				}
				return 0, err
			}
			flushed := make(chan struct{})
			c.flushed = flushed
			c.mu.Unlock()
			go func() {
				defer close(flushed)
				c.flush()
			}()
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

// queueLocked appends p to pending, or fails the connection when that would
// pass the limit (failed: the caller closes it once unlocked).
func (c *Conn) queueLocked(p []byte) (failed bool, err error) {
	if len(c.pending)+len(p) > c.opt.BacklogLimit {
		failed = c.failLocked(fmt.Errorf("%w (%d bytes)", ErrBacklog, c.opt.BacklogLimit))
		return failed, c.err
	}
	c.pending = append(c.pending, p...)
	return false, nil
}

// flush writes pending with blocking writes until it is empty, then releases
// busy. It runs only while busy is held for it.
func (c *Conn) flush() {
	for {
		c.mu.Lock()
		if c.err != nil || len(c.pending) == 0 {
			c.busy = false
			c.flushed = nil
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
	first := c.failLocked(err)
	c.mu.Unlock()
	if first {
		c.closeFailed()
	}
}

// failLocked marks the connection failed, reporting whether it was the
// first failure; whoever gets true calls closeFailed once unlocked.
func (c *Conn) failLocked(err error) bool {
	if c.err != nil {
		return false
	}
	c.err = err
	c.pending = nil
	c.busy = false
	return true
}

// closeFailed closes a failed connection, without c.mu: a TLS close may
// wait for its close_notify. Closing makes the reader see the end too, so
// the broker cleans up.
func (c *Conn) closeFailed() { _ = c.Conn.Close() }
