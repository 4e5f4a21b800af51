package conn

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// On TCP, writes go straight to the socket (write(2) without waiting) on
// Linux; elsewhere, and on connections without a socket (TLS, WebSocket),
// through the background writer.
func TestRawWritesOnTCP(t *testing.T) {
	for name, pair := range map[string]func(*testing.T) (net.Conn, net.Conn){"tcp": tcpPair, "pipe": pipePair} {
		t.Run(name, func(t *testing.T) {
			s, c := pair(t)
			cs := &counted{Conn: s}
			q := Wrap(cs, Options{BacklogLimit: 1 << 20}, nil)
			go io.Copy(io.Discard, c)
			const n, size = 100, 12 + 100
			for i := range n {
				if _, err := q.Write(record(0, i, size-12)); err != nil {
					t.Fatal(err)
				}
			}
			// The background writer is done once it has released busy.
			for deadline := time.Now().Add(waitFor); ; time.Sleep(time.Millisecond) {
				q.mu.Lock()
				busy := q.busy
				q.mu.Unlock()
				if !busy {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the background writer never finished")
				}
			}
			direct := n*size - cs.written.Load()
			wantRaw := name == "tcp" && runtime.GOOS == "linux"
			if wantRaw && direct == 0 {
				t.Fatal("no byte was written straight to the TCP socket")
			}
			if !wantRaw && direct != 0 {
				t.Fatalf("%d bytes written directly without a socket", direct)
			}
		})
	}
}

// writeSchedule runs one schedule drawn from seed: a "mochi" writer
// (acknowledgements, one small packet per Write, as its write loop does)
// and several delivery writers of messages of many sizes, each yielding at
// random, against a peer that reads in random pieces with random pauses,
// so that writes go straight to the socket, queue behind each other and
// drain from the background writer in every mix. Every record must arrive
// whole and in its writer's order.
func writeSchedule(t *testing.T, seed uint64, pair func(*testing.T) (net.Conn, net.Conn)) {
	s, c := pair(t)
	cs := &counted{Conn: s}
	q := Wrap(cs, Options{BacklogLimit: 64 << 20}, nil)
	rng := rand.New(rand.NewPCG(seed, seed>>32|1))
	const writers, each = 5, 300
	sizes := make([][]int, writers)
	yields := make([][]bool, writers)
	for w := range writers {
		for i := range each {
			size := rng.IntN(2000)
			if w == 0 {
				size = rng.IntN(4) // mochi: PUBACKs, PINGRESPs, SUBACKs
			} else if rng.IntN(20) == 0 {
				size = 20000 + rng.IntN(100000)
			}
			sizes[w] = append(sizes[w], size)
			yields[w] = append(yields[w], rng.IntN(3) == 0)
			_ = i
		}
	}
	pieces := make([]int, 64)
	pauses := make([]bool, 64)
	for i := range pieces {
		pieces[i] = 1 + rng.IntN(64<<10)
		pauses[i] = rng.IntN(8) == 0
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		readRecords(t, &choppy{r: c, pieces: pieces, pauses: pauses}, writers, each)
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if yields[w][i] {
					runtime.Gosched()
				}
				if _, err := q.Write(record(w, i, sizes[w][i])); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the peer did not get every record")
	}
	total := int64(0)
	for w := range writers {
		for _, size := range sizes[w] {
			total += int64(12 + size)
		}
	}
	if q.raw != nil && cs.written.Load() == total {
		t.Fatal("a socket was never written straight")
	}
}

// choppy reads in the given piece sizes, pausing now and then, so that the
// writers find the socket full.
type choppy struct {
	r      io.Reader
	pieces []int
	pauses []bool
	i      int
}

func (c *choppy) Read(p []byte) (int, error) {
	k := c.i % len(c.pieces)
	c.i++
	if c.pauses[k] {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	return c.r.Read(p[:min(len(p), c.pieces[k])])
}

func TestConcurrentWritesNeverInterleave(t *testing.T) {
	for name, pair := range map[string]func(*testing.T) (net.Conn, net.Conn){"tcp": tcpPair, "pipe": pipePair} {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(6) {
				writeSchedule(t, seed, pair)
			}
		})
	}
}

// More schedules: go test -fuzz FuzzWriteSchedules ./broker/internal/conn/
func FuzzWriteSchedules(f *testing.F) {
	f.Add(uint64(7))
	f.Add(uint64(1 << 40))
	f.Fuzz(func(t *testing.T, seed uint64) { writeSchedule(t, seed, tcpPair) })
}

// A peer that has not sent a whole first packet by the deadline is cut
// off; once it has, the deadline is lifted for mochi to set the keepalive.
func TestConnectTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	halfConnect := []byte{0x10, 0x40, 0x00, 0x04, 'M', 'Q'}
	t.Run("silent", func(t *testing.T) {
		s, _ := tcpPair(t)
		q := Wrap(s, Options{BacklogLimit: 1 << 20, ConnectTimeout: timeout}, nil)
		if err := readUntilError(q); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read from a silent peer: %v, want the deadline", err)
		}
	})
	t.Run("half a CONNECT", func(t *testing.T) {
		s, c := tcpPair(t)
		q := Wrap(s, Options{BacklogLimit: 1 << 20, ConnectTimeout: timeout}, nil)
		if _, err := c.Write(halfConnect); err != nil {
			t.Fatal(err)
		}
		if err := readUntilError(q); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read after half a CONNECT: %v, want the deadline", err)
		}
	})
	t.Run("whole CONNECT", func(t *testing.T) {
		s, c := tcpPair(t)
		q := Wrap(s, Options{BacklogLimit: 1 << 20, ConnectTimeout: timeout}, nil)
		connect := append([]byte{0x10, 4}, 0, 2, 'M', 'Q')
		if _, err := c.Write(connect); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		for got := 0; got < len(connect); {
			n, err := q.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
		// The next packet comes after the CONNECT deadline has passed.
		go func() {
			time.Sleep(3 * timeout)
			c.Write([]byte{0xC0, 0})
		}()
		if _, err := q.Read(buf); err != nil {
			t.Fatalf("read after a whole CONNECT: %v", err)
		}
	})
}

// readUntilError reads q until it fails, or gives up after a while (and
// closes q) for a test that would otherwise hang.
func readUntilError(q *Conn) error {
	failed := make(chan error, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := q.Read(buf); err != nil {
				failed <- err
				return
			}
		}
	}()
	select {
	case err := <-failed:
		return err
	case <-time.After(20 * time.Second):
		q.Close()
		return errors.New("still open after 20 s")
	}
}

func TestGateBoundsPendingConnections(t *testing.T) {
	g := NewGate(2, 3)
	r1, ok1 := g.Admit("10.0.0.1")
	_, ok2 := g.Admit("10.0.0.1")
	_, ok3 := g.Admit("10.0.0.1")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("one address: admitted %v %v %v, want the third refused", ok1, ok2, ok3)
	}
	_, ok4 := g.Admit("::1")
	_, ok5 := g.Admit("10.0.0.9")
	if !ok4 || ok5 {
		t.Fatalf("in total: admitted %v %v, want the fourth refused", ok4, ok5)
	}
	r1()
	r1() // twice gives back one slot
	if g.Pending() != 2 {
		t.Fatalf("pending %d after a release, want 2", g.Pending())
	}
	if _, ok := g.Admit("10.0.0.1"); !ok {
		t.Fatal("a released slot was not reused")
	}
	if _, ok := g.Admit("10.0.0.2"); ok {
		t.Fatal("admitted past the total")
	}
}

// OnStart is told once: at the first read, or at Close if none came.
func TestOnStartToldOnce(t *testing.T) {
	s, c := pipePair(t)
	n := 0
	q := Wrap(s, Options{BacklogLimit: 1 << 10}, nil)
	q.OnStart(func() { n++ })
	go c.Write([]byte{0xC0, 0, 0xC0, 0})
	buf := make([]byte, 2)
	for range 2 {
		if _, err := io.ReadFull(q, buf); err != nil {
			t.Fatal(err)
		}
	}
	q.Close()
	if n != 1 {
		t.Fatalf("told %d times, want once", n)
	}
	s2, _ := pipePair(t)
	q2 := Wrap(s2, Options{BacklogLimit: 1 << 10}, nil)
	n = 0
	q2.OnStart(func() { n++ })
	q2.Close()
	if n != 1 {
		t.Fatalf("closed unread: told %d times, want once", n)
	}
}

// Established and Close each give the slot back, once.
func TestSlotGivenBackOnce(t *testing.T) {
	s, _ := pipePair(t)
	n := 0
	q := Wrap(s, Options{BacklogLimit: 1 << 10}, func() { n++ })
	q.Established()
	q.Close()
	if n != 1 {
		t.Fatalf("released %d times, want once", n)
	}
}

// Backlog sees what waits in the socket, how long the packet being handled
// has waited at least, and a peer that has closed behind what it sent.
func TestBacklog(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the socket's backlog is measured on Linux only")
	}
	for name, layer := range map[string]func(net.Conn) net.Conn{
		"tcp":           func(c net.Conn) net.Conn { return c },
		"under a layer": func(c net.Conn) net.Conn { return layered{c} }, // TLS, WebSocket
	} {
		t.Run(name, func(t *testing.T) { testBacklog(t, layer) })
	}
}

// layered hides the socket as TLS and WebSocket connections do, and
// offers the connection below.
type layered struct{ net.Conn }

func (l layered) NetConn() net.Conn { return l.Conn }

func testBacklog(t *testing.T, layer func(net.Conn) net.Conn) {
	s, c := tcpPair(t)
	q := Wrap(layer(s), Options{BacklogLimit: 1 << 20}, nil)
	const sent = 100 << 10
	if _, err := c.Write(make([]byte, sent)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	if _, err := io.ReadFull(q, buf); err != nil {
		t.Fatal(err)
	}
	first := waitBacklog(t, q, func(b Backlog) bool { return b.Bytes > 0 })
	if first.Bytes > sent-len(buf) || first.PeerClosed {
		t.Fatalf("first look: %+v", first)
	}
	// Still in the same backlog: the wait grows.
	waitBacklog(t, q, func(b Backlog) bool { return b.Waited > 0 })
	c.Close()
	waitBacklog(t, q, func(b Backlog) bool { return b.PeerClosed && b.Bytes > 0 })
	if _, err := io.Copy(io.Discard, q); err != nil {
		t.Fatal(err)
	}
	if b := q.Backlog(); b.Bytes != 0 || b.Waited != 0 || !b.PeerClosed {
		t.Fatalf("all read: %+v", b)
	}
}

func waitBacklog(t *testing.T, q *Conn, ok func(Backlog) bool) Backlog {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b := q.Backlog()
		if ok(b) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog stayed %+v", b)
		}
		time.Sleep(time.Millisecond)
	}
}

// counted counts the bytes written through its Write, which Conn uses only
// from its background writer; writes straight to the socket bypass it.
type counted struct {
	net.Conn
	written atomic.Int64
}

func (c *counted) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// SyscallConn exposes the socket, as the wrapped connection would.
func (c *counted) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// Bytes queued when the connection is closed still reach the peer: over
// TLS and WebSocket every write is queued, and the last one (a refusing
// CONNACK, a DISCONNECT) says why the connection ends.
func TestCloseWritesQueued(t *testing.T) {
	s, c := tcpPair(t)
	q := Wrap(layered{s}, Options{BacklogLimit: 1 << 20}, nil)
	want := []byte("\x20\x02\x00\x05") // CONNACK, not authorized
	if _, err := q.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("peer read %q, %v; want %q", got, err, want)
	}
}
