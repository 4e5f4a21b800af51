package broker

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker/internal/conn"
)

// connListener hands mochi every accepted connection as a conn.Conn, which
// route relies on to write from the publisher's goroutine, and turns away
// connections past the limits on those not logged in yet.
type connListener struct {
	listeners.Listener
	b      *Broker
	opt    conn.Options
	starts *starts
}

func (b *Broker) wrapConns(l listeners.Listener) connListener {
	lim := b.cfg.Limits
	return connListener{Listener: l, b: b, starts: newStarts(), opt: conn.Options{
		BacklogLimit:   lim.MaxBacklogBytes,
		ConnectTimeout: time.Duration(lim.ConnectTimeout),
		WarmStacks:     b.tune,
	}}
}

func (l connListener) Serve(establish listeners.EstablishFn) {
	l.Listener.Serve(func(id string, c net.Conn) error {
		if !l.starts.begin() {
			return c.Close() // the broker is closing
		}
		release, ok := l.b.admitConn(c.RemoteAddr().String())
		if !ok {
			l.starts.end()
			_ = c.Close()
			return nil
		}
		wc := conn.Wrap(c, l.opt, release)
		wc.OnStart(l.starts.end)
		if !l.starts.add(wc) {
			return wc.Close()
		}
		defer l.starts.remove(wc)
		// Returns when mochi is done with the client. The error (EOF, a
		// refused login, logged by its hook) is how connections end; mochi's
		// listener would log it as a warning without a message.
		if err := establish(id, wc); err != nil {
			l.b.log.Debug("client connection ended", "listener", id, "remote", c.RemoteAddr().String(), "error", err)
		}
		return nil
	})
}

// Close stops accepting, closes every connection it handed mochi, then
// waits until mochi has taken in each: its Close must not wait for its
// clients while one is still registering (a WaitGroup Add racing its
// Wait). mochi closes the clients it knows before it stops accepting, so
// one that logs in meanwhile would hold its Close until its keepalive ran
// out. mochi's closeClients is not used: see closeListenerClients.
func (l connListener) Close(listeners.CloseFn) {
	l.starts.stop()
	l.Listener.Close(l.b.closeListenerClients)
	l.starts.closeAll()
	l.starts.drain()
}

// closeListenerClients is mochi's closeListenerClients without its
// Clients.GetByListener, which read-locks the clients twice and deadlocks
// when a client registers or leaves between the two (mochi v2.7.9).
func (b *Broker) closeListenerClients(id string) {
	for _, cl := range b.mqtt.Clients.GetAll() {
		if cl.Net.Listener == id && !cl.Closed() {
			_ = b.mqtt.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
}

// starts counts connections handed to mochi that it has not read yet, and
// keeps those it has not finished with.
type starts struct {
	mu      sync.Mutex
	settled *sync.Cond
	n       int
	closing bool
	live    map[*conn.Conn]struct{}
}

func newStarts() *starts {
	s := &starts{live: map[*conn.Conn]struct{}{}}
	s.settled = sync.NewCond(&s.mu)
	return s
}

// add records c, or reports false when the listener is closing.
func (s *starts) add(c *conn.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.live[c] = struct{}{}
	return true
}

func (s *starts) remove(c *conn.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, c)
}

// stop turns away connections from now on.
func (s *starts) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
}

// closeAll closes every connection mochi has not finished with.
func (s *starts) closeAll() {
	s.mu.Lock()
	live := make([]*conn.Conn, 0, len(s.live))
	for c := range s.live {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		_ = c.Close()
	}
}

func (s *starts) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.n++
	return true
}

func (s *starts) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n--; s.n == 0 {
		s.settled.Broadcast()
	}
}

func (s *starts) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.n > 0 {
		s.settled.Wait()
	}
}

// connOf is cl's connection as the listeners wrapped it: a Write that never
// waits for the peer and keeps each call's bytes together, which deliver
// writes to from the publisher's goroutine. Not for the inline client.
func connOf(cl *mqtt.Client) (*conn.Conn, bool) {
	if cl.Net.Inline {
		return nil, false
	}
	c, ok := cl.Net.Conn.(*conn.Conn)
	return c, ok
}

// admitConn takes a slot for a connection from remote that has not logged
// in yet, or logs that there was none.
func (b *Broker) admitConn(remote string) (release func(), ok bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	if release, ok = b.gate.Admit(addressKey(host)); !ok {
		b.refusedConn(remote)
	}
	return release, ok
}

// refusedConn logs a connection turned away at the gate (through
// refusedConns, so that a flood does not flood the log).
func (b *Broker) refusedConn(remote string) {
	b.metrics.refusals.WithLabelValues("connect", "too_many_pending").Inc()
	if n, due := b.refusedConns.note(); due {
		b.log.Warn("connections refused: too many not logged in yet", "refused", n, "remote", remote,
			"pending", b.gate.Pending())
	}
}

// connHook tells a client's connection that it logged in, and lets an MQTT
// 3.1.1 client's connection complete QoS 1 deliveries itself (acks): its
// PUBACKs no longer go through mochi's packet handling. Version 5 PUBACKs
// may carry reasons and feed the receive maximum, so mochi keeps those.
type connHook struct {
	mqtt.HookBase
	b    *Broker
	acks bool
}

func (h *connHook) ID() string { return "tachikoma-conns" }

func (h *connHook) Provides(b byte) bool { return b == mqtt.OnSessionEstablished }

func (h *connHook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	c, ok := connOf(cl)
	if !ok {
		return
	}
	c.Established()
	if !h.acks || cl.Properties.ProtocolVersion >= 5 {
		return
	}
	info := h.b.mqtt.Info
	c.OnPuback(func(id uint16) {
		// What mochi's ReadPacket counts for the 4 bytes of the PUBACK.
		atomic.AddInt64(&info.BytesReceived, 4)
		atomic.AddInt64(&info.PacketsReceived, 1)
		// mochi's processPuback, which ignores an unknown id (its OnQosComplete
		// hooks: New installs acks only while no hook provides one). mochi
		// reads no packet of a client closed or taken over; the new client
		// has its own connection.
		if cl.Closed() || cl.IsTakenOver() {
			return
		}
		if cl.State.Inflight.Delete(id) {
			cl.State.Inflight.IncreaseSendQuota()
			atomic.AddInt64(&info.Inflight, -1)
		}
	})
}
