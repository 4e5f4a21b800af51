package conn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// tcpPair returns a connected loopback pair: the server side, which the
// tests wrap, and the client side, which they read.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// pipePair is the same over net.Pipe, which has no file descriptor: the path
// TLS and WebSocket connections take.
func pipePair(t *testing.T) (server, client net.Conn) {
	server, client = net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// record is one Write: writer id, sequence number, and filler so records
// have different lengths. Frames let the reader check that each Write's
// bytes arrived whole and in each writer's order.
func record(w, seq, size int) []byte {
	b := make([]byte, 12+size)
	binary.BigEndian.PutUint32(b[0:], uint32(len(b)))
	binary.BigEndian.PutUint32(b[4:], uint32(w))
	binary.BigEndian.PutUint32(b[8:], uint32(seq))
	for i := 12; i < len(b); i++ {
		b[i] = byte(w)
	}
	return b
}

func readRecords(t *testing.T, r io.Reader, writers, each int) {
	t.Helper()
	next := make([]int, writers)
	for total := 0; total < writers*each; total++ {
		var h [12]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			t.Fatalf("after %d records: %v", total, err)
		}
		n := binary.BigEndian.Uint32(h[0:])
		w := int(binary.BigEndian.Uint32(h[4:]))
		seq := int(binary.BigEndian.Uint32(h[8:]))
		if w >= writers || n < 12 {
			t.Fatalf("record %d: corrupt header %v", total, h)
		}
		body := make([]byte, n-12)
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, bytes.Repeat([]byte{byte(w)}, len(body))) {
			t.Fatalf("record %d of writer %d: bytes of another write inside it", seq, w)
		}
		if seq != next[w] {
			t.Fatalf("writer %d: record %d arrived, want %d", w, seq, next[w])
		}
		next[w]++
	}
}

func TestConcurrentWritesArriveWholeAndInOrder(t *testing.T) {
	for name, pair := range map[string]func(*testing.T) (net.Conn, net.Conn){"tcp": tcpPair, "pipe": pipePair} {
		t.Run(name, func(t *testing.T) {
			s, c := pair(t)
			q := Wrap(s, Options{BacklogLimit: 64 << 20}, nil)
			const writers, each = 8, 2000
			done := make(chan struct{})
			go func() {
				defer close(done)
				readRecords(t, c, writers, each)
			}()
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						if _, err := q.Write(record(w, i, (i*7+w)%300)); err != nil {
							t.Errorf("write: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			<-done
		})
	}
}

// A peer that stops reading must not hold the writer: Write returns at once
// while the kernel buffers are full, and everything arrives, in order, once
// the peer reads again.
func TestWriteDoesNotWaitForSlowPeer(t *testing.T) {
	s, c := tcpPair(t)
	q := Wrap(s, Options{BacklogLimit: 64 << 20}, nil)
	if q.raw == nil {
		t.Fatal("a TCP connection must be written directly")
	}
	const each = 4000
	wrote := make(chan error, 1)
	go func() {
		for i := 0; i < each; i++ {
			if _, err := q.Write(record(0, i, 4000)); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	// 16 MB against a peer that has read nothing: far beyond the socket
	// buffers, so this only finishes if Write queues.
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Write blocked on a peer that does not read")
	}
	if q.Buffered() == 0 {
		t.Fatal("nothing queued although the peer read nothing")
	}
	readRecords(t, c, 1, each)
}

func TestBacklogLimitClosesConnection(t *testing.T) {
	s, c := tcpPair(t)
	q := Wrap(s, Options{BacklogLimit: 256 << 10}, nil)
	var err error
	for i := 0; i < 100000 && err == nil; i++ {
		_, err = q.Write(record(0, i, 1000))
	}
	if !errors.Is(err, ErrBacklog) {
		t.Fatalf("err = %v, want ErrBacklog", err)
	}
	if _, err := q.Write([]byte("x")); !errors.Is(err, ErrBacklog) {
		t.Fatalf("write after the limit: %v", err)
	}
	// The peer sees the connection end after what was sent.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
		t.Fatalf("peer: %v", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

func TestWriteAfterCloseFails(t *testing.T) {
	for name, pair := range map[string]func(*testing.T) (net.Conn, net.Conn){"tcp": tcpPair, "pipe": pipePair} {
		t.Run(name, func(t *testing.T) {
			s, _ := pair(t)
			q := Wrap(s, Options{BacklogLimit: 1 << 20}, nil)
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := q.Write([]byte("x")); err == nil {
				t.Fatal("write after close succeeded")
			}
		})
	}
}

// A peer that went away turns the next writes into errors, not a hang.
func TestWriteToVanishedPeerFails(t *testing.T) {
	s, c := tcpPair(t)
	q := Wrap(s, Options{BacklogLimit: 1 << 20}, nil)
	c.Close()
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = q.Write([]byte("ping"))
		if err == nil {
			time.Sleep(time.Millisecond) // the reset arrives asynchronously
		}
	}
	if err == nil {
		t.Fatal("writes to a closed peer kept succeeding")
	}
}

// slowClose is a connection without a socket whose Close blocks until
// released, as a TLS Close does while its close_notify waits for a peer
// that does not read; its writes block the same way.
type slowClose struct {
	net.Conn
	closing chan struct{} // closed when Close is entered
	release chan struct{}
	once    sync.Once
}

func (s *slowClose) Close() error {
	s.once.Do(func() { close(s.closing) })
	<-s.release
	return s.Conn.Close()
}

func (s *slowClose) Write(p []byte) (int, error) {
	<-s.release
	return s.Conn.Write(p)
}

// A connection being closed, by Close or by passing its backlog limit, must
// not hold other writers while the close takes its time: they fail at once.
func TestWriteDoesNotWaitForClose(t *testing.T) {
	for _, how := range []string{"Close", "backlog"} {
		t.Run(how, func(t *testing.T) {
			s, _ := pipePair(t)
			sc := &slowClose{Conn: s, closing: make(chan struct{}), release: make(chan struct{})}
			var releaseOnce sync.Once
			release := func() { releaseOnce.Do(func() { close(sc.release) }) }
			defer release()
			q := Wrap(sc, Options{BacklogLimit: 100}, nil)
			closed := make(chan error, 1)
			if how == "Close" {
				go func() { closed <- q.Close() }()
			} else {
				// The first write waits in the background writer; the second
				// passes the limit and closes.
				if _, err := q.Write(make([]byte, 60)); err != nil {
					t.Fatal(err)
				}
				go func() { _, err := q.Write(make([]byte, 120)); closed <- err }()
			}
			select {
			case <-sc.closing:
			case <-time.After(waitFor):
				t.Fatal("the connection was never closed")
			}
			wrote := make(chan error, 1)
			go func() { _, err := q.Write([]byte("x")); wrote <- err }()
			select {
			case err := <-wrote:
				if err == nil {
					t.Fatal("a write to a closing connection succeeded")
				}
			case <-time.After(waitFor):
				t.Fatal("a write waited for another goroutine's close")
			}
			release()
			<-closed
		})
	}
}
