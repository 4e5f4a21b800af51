// Package ackconn takes MQTT 3.1.1 PUBACKs off a connection before mochi
// reads them.
//
// Every subscriber of a QoS 1 message answers with a 4-byte PUBACK, and
// mochi handles each one like any other packet: a packet allocated and
// decoded, the keepalive deadline reset, every hook asked, the inflight map
// searched twice, about a sixth of the broker's CPU in a QoS 1 room. A Conn
// follows the packet boundaries in what it reads, hands the packet id of
// each PUBACK it finds whole in one read to a handler, which completes the
// delivery as mochi would, and passes every other byte through unchanged.
// Until a handler is set, and for a PUBACK split between two reads,
// everything goes to mochi as before.
package ackconn

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Conn is a net.Conn whose reads leave out the PUBACKs a handler takes.
type Conn struct {
	net.Conn
	onAck atomic.Pointer[func(id uint16)]
	below publisher // the wrapped connection, if it wants to know of PUBLISHes

	// The parser's place in the byte stream; only the reading goroutine
	// touches these.
	state  parseState
	length int  // inLength: the remaining length so far; inBody: bytes still to pass
	shift  uint // inLength: where the next 7 bits of the length go

	// The keepalive deadline: what the last SetDeadline asked for, relative
	// to when it was asked, so that reads mochi never sees can move it on.
	keep    atomic.Int64 // nanoseconds; 0: no deadline
	lastSet atomic.Int64 // unix nanoseconds of the last SetDeadline
}

type parseState uint8

const (
	atPacket parseState = iota // the next byte starts a packet
	inLength                   // reading a passed packet's remaining length
	inBody                     // passing a packet's body
	lost                       // the stream is not MQTT: pass it all, mochi will refuse it
)

// publisher is told when the client sends a PUBLISH (warmstack.Conn).
type publisher interface{ Published() }

// publishType is a PUBLISH's first byte's high nibble.
const publishType = 3

// pubackV3 is the first two bytes of an MQTT 3.1.1 PUBACK: type 4, no flags,
// remaining length 2 (the packet id).
const pubackV3 = 0x40

// Wrap returns c, passing everything through until OnPuback is called.
// If c wants to know when the client publishes (warmstack.Conn), it is told.
func Wrap(c net.Conn) *Conn {
	w := &Conn{Conn: c}
	w.below, _ = c.(publisher)
	return w
}

// OnPuback makes c hand each PUBACK's packet id to f instead of passing the
// packet on. f runs on the reading goroutine, where mochi would have
// handled the packet. Only for MQTT 3.1.1: a version 5 PUBACK may carry a
// reason and properties, and its receive maximum needs mochi's handling.
func (c *Conn) OnPuback(f func(id uint16)) { c.onAck.Store(&f) }

// SyscallConn is the wrapped connection's, for writes that use the socket
// directly (queuedconn).
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// SetDeadline sets the wrapped connection's deadline and remembers how far
// ahead it was, which is how mochi enforces the keepalive.
func (c *Conn) SetDeadline(t time.Time) error {
	now := time.Now()
	if t.IsZero() || !t.After(now) {
		c.keep.Store(0)
	} else {
		c.keep.Store(int64(t.Sub(now)))
	}
	c.lastSet.Store(now.UnixNano())
	return c.Conn.SetDeadline(t)
}

// Read reads what mochi should see: everything but the PUBACKs taken.
// When a read brought only those, it reads again.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		kept, took, published := c.filter(p[:n])
		if took {
			c.keepAlive()
		}
		if published && c.below != nil {
			c.below.Published()
		}
		if kept > 0 || err != nil || n == 0 {
			return kept, err
		}
	}
}

// filter compacts b to the bytes mochi should see and reports how many
// remain, whether a PUBACK was taken and whether a PUBLISH began.
func (c *Conn) filter(b []byte) (kept int, took, published bool) {
	var ack func(uint16)
	if f := c.onAck.Load(); f != nil {
		ack = *f
	}
	w := 0
	for r := 0; r < len(b); {
		switch c.state {
		case atPacket:
			if ack != nil && b[r] == pubackV3 && r+4 <= len(b) && b[r+1] == 2 {
				ack(uint16(b[r+2])<<8 | uint16(b[r+3]))
				r += 4
				took = true
				continue
			}
			published = published || b[r]>>4 == publishType
			c.state, c.length, c.shift = inLength, 0, 0
			b[w] = b[r]
			w, r = w+1, r+1
		case inLength:
			v := b[r]
			b[w] = v
			w, r = w+1, r+1
			c.length |= int(v&0x7f) << c.shift
			c.shift += 7
			switch {
			case v&0x80 != 0 && c.shift >= 28:
				c.state = lost // more than four length bytes
			case v&0x80 != 0:
			case c.length == 0:
				c.state = atPacket
			default:
				c.state = inBody
			}
		case inBody:
			k := min(c.length, len(b)-r)
			copy(b[w:], b[r:r+k])
			w, r = w+k, r+k
			c.length -= k
			if c.length == 0 {
				c.state = atPacket
			}
		case lost:
			w += copy(b[w:], b[r:])
			r = len(b)
		}
	}
	return w, took, published
}

// keepAlive moves the deadline on for PUBACKs mochi did not see, as it
// would have for each packet it read; at most every eighth of the keepalive
// window, so the deadline is never less than 7/8 of the window away.
func (c *Conn) keepAlive() {
	keep := c.keep.Load()
	if keep == 0 {
		return
	}
	now := time.Now()
	if now.UnixNano()-c.lastSet.Load() < keep/8 {
		return
	}
	c.lastSet.Store(now.UnixNano())
	_ = c.Conn.SetDeadline(now.Add(time.Duration(keep)))
}
