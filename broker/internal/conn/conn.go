// Package conn is the connection type every MQTT client of the broker has:
// one wrapper around the accepted connection, with one fixed order.
//
// Reads: a client that has not sent a whole CONNECT within ConnectTimeout is
// cut off; the MQTT 3.1.1 PUBACKs a handler takes (OnPuback) are left out of
// what mochi reads; a busy publisher's reader keeps its stack (WarmStacks);
// and what the peer has sent but nobody has read yet is measurable
// (Backlog). Writes never wait for the peer: the socket is tried at once,
// the rest queued (Write). docs/PERFORMANCE.md has the measurements behind
// each of these.
package conn

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrBacklog is the error of a connection closed because more than its
// limit of bytes waited for a peer that does not read.
var ErrBacklog = errors.New("peer is not reading: send backlog limit reached")

// Options shape a connection.
type Options struct {
	// BacklogLimit is how many bytes may wait for a peer that does not read
	// before the connection is closed with ErrBacklog.
	BacklogLimit int
	// ConnectTimeout cuts off a peer that has not sent a whole first packet
	// (CONNECT) by then; 0: no limit.
	ConnectTimeout time.Duration
	// WarmStacks keeps the stack of a reader whose client keeps publishing.
	WarmStacks bool
}

// Conn is a net.Conn whose writes never wait for the peer. mochi reads it
// and writes acknowledgements to it; the broker's delivery path writes
// messages to it, from any goroutine.
type Conn struct {
	net.Conn
	opt   Options
	raw   syscall.RawConn // the socket when writable directly; nil: queued writes only (TLS, WebSocket)
	probe syscall.RawConn // the socket below any TLS or WebSocket layer, for Backlog; may be nil

	// Only the reading goroutine touches these.
	parser     parser
	connecting bool // the first packet (CONNECT) is not complete yet

	read atomic.Int64 // bytes read from the connection so far

	backlogMu sync.Mutex
	mark      int64 // Backlog: the stream offset where the backlog seen at since ends; 0: none
	since     time.Time

	onAck   atomic.Pointer[func(id uint16)]
	started atomic.Pointer[func()] // OnStart's, until called
	keep    atomic.Int64           // the keepalive window mochi last asked for, in nanoseconds; 0: none
	lastSet atomic.Int64           // unix nanoseconds of the last keepalive deadline set
	warm    warmth

	mu      sync.Mutex
	pending []byte        // accepted, not yet given to the kernel; in order after whatever busy is writing
	busy    bool          // a goroutine is writing; others only append to pending
	err     error         // once set, the connection is closed and every Write fails
	flushed chan struct{} // closed when the running flush goroutine ends; nil: none runs

	relMu   sync.Mutex
	release func() // gives back the not-yet-authenticated slot; nil once given back
}

// Wrap returns c as a Conn. release, if not nil, is called once when the
// client is established (Established) or the connection closes, whichever
// comes first.
func Wrap(c net.Conn, opt Options, release func()) *Conn {
	w := &Conn{Conn: c, opt: opt, connecting: true, release: release}
	if raw := rawOf(c); raw != nil && rawWritable(raw) {
		w.raw = raw
	}
	w.probe = rawOf(below(c))
	w.warm.now = func() int64 { return time.Now().Unix() }
	if opt.ConnectTimeout > 0 {
		_ = c.SetDeadline(time.Now().Add(opt.ConnectTimeout))
	}
	return w
}

// rawOf returns c's socket, if c is one.
func rawOf(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// below returns the connection under c's TLS or WebSocket layers.
func below(c net.Conn) net.Conn {
	for range 4 {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	return c
}

// Established tells c that its client logged in: it no longer counts
// against the limits on connections that have not.
func (c *Conn) Established() { c.giveBack() }

func (c *Conn) giveBack() {
	c.relMu.Lock()
	f := c.release
	c.release = nil
	c.relMu.Unlock()
	if f != nil {
		f()
	}
}

// OnStart sets f to be called once, when c is first read or closed,
// whichever comes first: by then whoever was handed c has taken it in.
func (c *Conn) OnStart(f func()) { c.started.Store(&f) }

func (c *Conn) start() {
	if f := c.started.Swap(nil); f != nil {
		(*f)()
	}
}

// OnPuback makes c hand each MQTT 3.1.1 PUBACK's packet id to f instead of
// passing the packet to mochi. f runs on the reading goroutine, where mochi
// would have handled the packet. A PUBACK split between two reads still
// goes to mochi. Only for 3.1.1: a version 5 PUBACK may carry a reason, and
// its receive maximum needs mochi's handling.
func (c *Conn) OnPuback(f func(id uint16)) { c.onAck.Store(&f) }

// SetDeadline sets the connection's deadline and remembers how far ahead it
// was, which is how mochi enforces the keepalive: PUBACKs mochi never sees
// move it on too.
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

// Read reads what mochi should see: everything but the PUBACKs taken. When
// a read brought only those, it reads again.
func (c *Conn) Read(p []byte) (int, error) {
	if c.started.Load() != nil {
		c.start()
	}
	for {
		var n int
		var err error
		if c.opt.WarmStacks && c.warm.warm() {
			n, err = c.readDeep(p)
		} else {
			n, err = c.Conn.Read(p)
		}
		c.read.Add(int64(n))
		var ack func(uint16)
		if f := c.onAck.Load(); f != nil {
			ack = *f
		}
		kept, ev := c.parser.filter(p[:n], ack)
		if ev.took {
			c.keepAlive()
		}
		if ev.published && c.opt.WarmStacks {
			c.warm.published()
		}
		if ev.ended && c.connecting {
			c.connecting = false
			if c.opt.ConnectTimeout > 0 && c.keep.Load() == 0 && c.lastSet.Load() == 0 {
				_ = c.Conn.SetDeadline(time.Time{}) // the CONNECT is in: mochi sets the keepalive next
			}
		}
		if kept > 0 || err != nil || n == 0 {
			return kept, err
		}
	}
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

// Backlog is what a peer has sent that the broker has not read yet.
type Backlog struct {
	Bytes      int           // waiting in the kernel
	Waited     time.Duration // at least this long for the packet being handled now
	PeerClosed bool          // the peer has closed its side: what is waiting is all it will send
}

// Backlog measures what waits behind the packet being handled (from the
// hooks mochi calls for this client's packets). Where the socket cannot be
// asked, it reports nothing waiting.
func (c *Conn) Backlog() Backlog {
	if c.probe == nil {
		return Backlog{}
	}
	c.backlogMu.Lock()
	defer c.backlogMu.Unlock()
	inq, closed := peek(c.probe)
	now, read := time.Now(), c.read.Load()
	if c.mark == 0 || read >= c.mark {
		// The bytes waiting at since are read: start again from now.
		c.mark, c.since = 0, now
		if inq > 0 {
			c.mark = read + int64(inq)
		}
		return Backlog{Bytes: inq, PeerClosed: closed}
	}
	return Backlog{Bytes: inq, Waited: now.Sub(c.since), PeerClosed: closed}
}

// closeFlushWait bounds how long Close waits for queued bytes to be written.
const closeFlushWait = time.Second

// Close closes the connection. Bytes already queued get up to
// closeFlushWait to reach the peer first: over TLS and WebSocket every write
// is queued, and the last packet (a refusing CONNACK, a DISCONNECT) is the
// one that says why the connection ends.
func (c *Conn) Close() error {
	c.start()
	c.giveBack()
	c.mu.Lock()
	if flushed := c.flushed; flushed != nil && c.err == nil {
		c.mu.Unlock()
		_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushWait))
		<-flushed
		c.mu.Lock()
	}
	if c.err != nil {
		c.mu.Unlock()
		return nil
	}
	c.err = net.ErrClosed
	c.pending = nil
	c.mu.Unlock()
	// Outside the lock: a TLS close waits for its close_notify, and writers
	// must fail meanwhile, not wait.
	return c.Conn.Close()
}
