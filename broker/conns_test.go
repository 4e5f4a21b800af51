package broker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// halfConnect is the start of a CONNECT that never finishes.
var halfConnect = []byte{0x10, 0x40, 0x00, 0x04, 'M', 'Q'}

// closedWithin reports whether read ends with the peer closing (not a
// timeout of ours) within d.
func closedWithin(t *testing.T, setDeadline func(time.Time) error, read func() error, d time.Duration) {
	t.Helper()
	_ = setDeadline(time.Now().Add(d))
	for {
		err := read()
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("still open after %v", d)
		}
		return
	}
}

// A connection that never sends a whole CONNECT is closed after
// limits.connect_timeout, on TCP and on WebSocket: mochi reads the CONNECT
// without any deadline.
func TestUnfinishedConnectIsClosed(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.ConnectTimeout = broker.Duration(time.Second)
	b := startBroker(t, cfg)
	for _, send := range [][]byte{nil, halfConnect} {
		name := "silent"
		if send != nil {
			name = "half a CONNECT"
		}
		t.Run("tcp "+name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", b.MQTTAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(send); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			closedWithin(t, c.SetReadDeadline, func() error { _, err := c.Read(buf); return err }, 20*time.Second)
		})
		t.Run("websocket "+name, func(t *testing.T) {
			t.Parallel()
			d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: waitFor}
			ws, _, err := d.Dial("ws://"+b.WSAddr()+"/mqtt", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			if send != nil {
				if err := ws.WriteMessage(websocket.BinaryMessage, send); err != nil {
					t.Fatal(err)
				}
			}
			closedWithin(t, ws.SetReadDeadline, func() error { _, _, err := ws.ReadMessage(); return err }, 20*time.Second)
		})
	}
}

// A socket on the WebSocket port that never finishes its HTTP upgrade is
// closed after limits.connect_timeout too, not the HTTP default.
func TestUnfinishedUpgradeIsClosed(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.ConnectTimeout = broker.Duration(time.Second)
	b := startBroker(t, cfg)
	c, err := net.Dial("tcp", b.WSAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /mqtt HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	// Well before the 10 s that would be left without the setting.
	closedWithin(t, c.SetReadDeadline, func() error { _, err := c.Read(buf); return err }, 6*time.Second)
}

// Nor does a socket on the WebSocket port that never asks for an upgrade
// live on: after an answered request it would wait idle for the next one,
// and a body trickled in was read without a deadline, each holding a slot
// of the pending-connection cap that TCP logins share.
func TestWebSocketPortHoldsNoIdleRequest(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.ConnectTimeout = broker.Duration(time.Second)
	b := startBroker(t, cfg)
	for name, req := range map[string]string{
		"kept alive":    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"trickled body": "POST /mqtt HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n{",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", b.WSAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte(req)); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 512)
			closedWithin(t, c.SetReadDeadline, func() error { _, err := c.Read(buf); return err }, 6*time.Second)
		})
	}
}

// Connections that have not logged in are limited per address and in
// total; past either they are closed at once, and logging in frees a slot.
func TestPendingConnectionsAreCapped(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.ConnectTimeout = broker.Duration(time.Minute)
	cfg.Limits.MaxPendingPerAddress, cfg.Limits.MaxPendingConnections = 2, 3
	b := startBroker(t, cfg)
	register(t, b, "alice")
	from := func(host string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(host)}}
		c, err := d.Dial("tcp", b.MQTTAddr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// refused is one of cs closed by the broker, found within waitFor.
	refused := func(cs ...net.Conn) net.Conn {
		t.Helper()
		closed := make(chan net.Conn, len(cs))
		for _, c := range cs {
			go func() {
				_ = c.SetReadDeadline(time.Now().Add(waitFor))
				if _, err := c.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
					closed <- c
				}
			}()
		}
		select {
		case c := <-closed:
			return c
		case <-time.After(2 * waitFor):
			t.Fatalf("none of %d connections was refused; %d pending", len(cs), b.PendingConnections())
			return nil
		}
	}
	waitPending := func(n int) {
		t.Helper()
		deadline := time.Now().Add(waitFor)
		for b.PendingConnections() != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections pending, want %d", b.PendingConnections(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	a1, a2, a3 := from("127.0.0.1"), from("127.0.0.1"), from("127.0.0.1")
	gone := refused(a1, a2, a3)
	waitPending(2)
	b2 := from("127.0.0.2")
	waitPending(3)
	refused(from("127.0.0.3"))
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "alice-pet"); err == nil {
		t.Fatal("logged in past the limit on connections not logged in yet")
	}
	var left []net.Conn
	for _, c := range []net.Conn{a1, a2, a3} {
		if c != gone {
			left = append(left, c)
		}
	}
	left[0].Close() // frees a slot for the address and one in total
	waitPending(2)
	connect(t, b, "alice")
	waitPending(2) // logged in: no longer counted
	// None left half-way in mochi when the broker closes.
	left[1].Close()
	b2.Close()
	waitPending(0)
}

// Sockets on the WebSocket port that never finish the HTTP upgrade count
// against the same limits.
func TestPendingWebSocketsAreCapped(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MaxPendingPerAddress = 2
	b := startBroker(t, cfg)
	var silent []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", b.WSAddr())
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}
	deadline := time.Now().Add(waitFor)
	for b.PendingConnections() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections pending, want the 2 silent sockets", b.PendingConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: waitFor}
	if ws, _, err := d.Dial("ws://"+b.WSAddr()+"/mqtt", nil); err == nil {
		ws.Close()
		t.Fatal("a WebSocket was upgraded past the limit on connections not logged in yet")
	}
	for _, c := range silent {
		c.Close()
	}
	deadline = time.Now().Add(waitFor)
	for b.PendingConnections() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections pending after the silent sockets closed", b.PendingConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}
	ws, _, err := d.Dial("ws://"+b.WSAddr()+"/mqtt", nil)
	if err != nil {
		t.Fatalf("a WebSocket within the limits: %v", err)
	}
	ws.Close()
}

func TestRuntimeTuningIsOptIn(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	if b.TunesRuntime() {
		t.Fatal("a broker tunes the runtime without being asked (the pet hosts one)")
	}
	tuned, err := broker.New(testConfig(t.TempDir()), broker.Options{PasswordCost: &brokertest.FastHash, TuneRuntime: true,
		Logger: brokertest.Logger(t, testLogLevel)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tuned.Start(); err != nil {
		t.Fatal(err)
	}
	defer tuned.Close()
	if !tuned.TunesRuntime() {
		t.Fatal("TuneRuntime did not tune the runtime")
	}
}

// flood writes n QoS 0 chat messages to topic in one go, as a script
// would, from a goroutine (the socket fills while the broker holds the
// sender back); done is closed when all are written.
func flood(t *testing.T, c net.Conn, topic string, n int) (done chan struct{}) {
	var buf bytes.Buffer
	for i := range n {
		pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topic,
			Payload: fmt.Appendf(nil, `{"text":"flood %d"}`, i), ProtocolVersion: 4}
		if err := pk.PublishEncode(&buf); err != nil {
			t.Fatal(err)
		}
	}
	done = make(chan struct{})
	// Bounded: a broker that stops reading fails the test instead of
	// holding it until the test binary's timeout.
	_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	go func() {
		defer close(done)
		if _, err := c.Write(buf.Bytes()); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("the broker read no more of a %d-message flood for 20 s", n)
		}
	}()
	return done
}

// floodAndPing has user send n messages to the lobby and a PINGREQ, which
// mochi answers once it has handled everything before it, and returns how
// many of them reached bob and how many notices of drops user got.
func floodAndPing(t *testing.T, b *broker.Broker, user string, n int, bob, carol *client) (posted, notices int) {
	t.Helper()
	c := dialRaw(t, b, user, 4, packets.Properties{})
	c.subscribe(packets.Subscription{Filter: topics.Events(user)}, 0)
	lobby := topics.Room(topics.Lobby)
	start := floodSeen(bob)
	<-flood(t, c.conn, lobby, n)
	if _, err := c.conn.Write([]byte{0xC0, 0}); err != nil {
		t.Fatal(err)
	}
	for {
		pk, err := c.read(20 * time.Second)
		if err != nil {
			t.Fatalf("no PINGRESP within 20 s of a flood: %v", err)
		}
		if pk.FixedHeader.Type == packets.Pingresp {
			break
		}
		if pk.FixedHeader.Type == packets.Publish && strings.Contains(string(pk.Payload), "too fast") {
			notices++
		}
	}
	fence(carol, lobby, bob)
	return floodSeen(bob) - start, notices
}

// Each bound alone stops a flood.
func TestFloodBoundedByBytesOrTime(t *testing.T) {
	for name, set := range map[string]func(*broker.LimitsConfig){
		"bytes": func(l *broker.LimitsConfig) {
			l.SenderBacklogWait, l.SenderBacklogBytes = broker.Duration(time.Hour), 1024
		},
		"time": func(l *broker.LimitsConfig) { l.SenderBacklogBytes = 1 << 30 },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			set(&cfg.Limits)
			b := startBroker(t, cfg)
			register(t, b, "alice", "bob", "carol")
			bob := connect(t, b, "bob")
			bob.sub(topics.Room(topics.Lobby))
			carol := connect(t, b, "carol")
			if posted, _ := floodAndPing(t, b, "alice", 3000, bob, carol); posted > 200 {
				t.Fatalf("%d of 3000 flood messages posted", posted)
			}
		})
	}
}

// floodAndLeave has user send n messages to the lobby, DISCONNECT and
// close, waits until the broker has let the client go, and returns how
// many of them reached bob.
func floodAndLeave(t *testing.T, b *broker.Broker, user string, n int, bob, carol *client) int {
	t.Helper()
	c := dialRaw(t, b, user, 4, packets.Properties{})
	id := user + "-raw-" + t.Name()
	lobby := topics.Room(topics.Lobby)
	start := floodSeen(bob)
	<-flood(t, c.conn, lobby, n)
	if _, err := c.conn.Write([]byte{0xE0, 0}); err != nil { // DISCONNECT
		t.Fatal(err)
	}
	c.conn.Close()
	deadline := time.Now().Add(20 * time.Second)
	for b.ClientConnected(id) {
		if time.Now().After(deadline) {
			t.Fatalf("the sender's flood still being posted 20 s after it left (%d so far)", floodSeen(bob)-start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fence(carol, lobby, bob)
	return floodSeen(bob) - start
}

func floodSeen(c *client) int {
	n := 0
	for _, m := range c.all() {
		if strings.Contains(string(m.Payload()), `"flood `) {
			n++
		}
	}
	return n
}

// A sender that floods a room and leaves does not go on posting: what it
// left unread is dropped once it has gone, and while it stays, what it may
// have waiting is bounded.
func TestFloodEndsWithItsSender(t *testing.T) {
	cfg := testConfig(t.TempDir())
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob", "carol", "dave", "erin")
	lobby := topics.Room(topics.Lobby)
	bob := connect(t, b, "bob")
	bob.sub(lobby)
	carol := connect(t, b, "carol")
	const n = 3000
	// Within its rate a sender may post its burst, then its rate for
	// sender_backlog_wait; a little over twice that allows for a slow
	// machine, and is far below the flood.
	most := 2 * (cfg.Limits.MessageBurst + int(cfg.Limits.MessagesPerSecond*time.Duration(cfg.Limits.SenderBacklogWait).Seconds()))

	t.Run("sender stays", func(t *testing.T) {
		posted, notices := floodAndPing(t, b, "alice", n, bob, carol)
		if posted > most {
			t.Fatalf("%d of %d flood messages posted, want at most %d", posted, n, most)
		}
		if notices == 0 || notices > 5 {
			t.Fatalf("%d notices of dropped messages, want one per run of drops", notices)
		}
	})

	t.Run("sender leaves", func(t *testing.T) {
		posted := floodAndLeave(t, b, "dave", n, bob, carol)
		if posted > most {
			t.Fatalf("%d of %d flood messages posted, want at most %d", posted, n, most)
		}
	})

	// Within the bounds too: past its burst, nothing more is posted once
	// the sender has gone.
	t.Run("sender leaves after a short burst", func(t *testing.T) {
		burst := cfg.Limits.MessageBurst
		posted := floodAndLeave(t, b, "erin", burst+30, bob, carol)
		if posted > burst+5 {
			t.Fatalf("%d of %d messages posted after the sender left, want its burst of %d (and a few it may have been handling)", posted, burst+30, burst)
		}
	})
}

// Close ends a connection that was accepted before it and logs in while
// it runs: mochi closes its clients before it stops accepting, and would
// then wait for this one until its keepalive ran out.
func TestCloseEndsAConnectionLoggingInMeanwhile(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy")
	c, err := net.Dial("tcp", b.MQTTAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	waitUntil(t, func() bool { return b.PendingConnections() == 1 })

	closed := make(chan struct{})
	go func() {
		defer close(closed)
		b.Close()
	}()
	waitUntil(t, func() bool {
		d, err := net.DialTimeout("tcp", b.MQTTAddr(), waitFor)
		if err != nil {
			return true
		}
		d.Close()
		return false
	})
	connect, err := brokertest.EncodePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: 4, Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true,
			Keepalive: 60, ClientIdentifier: "amy-late", UsernameFlag: true, Username: []byte("amy"),
			PasswordFlag: true, Password: []byte("amy-password")}})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(waitFor))
	_, _ = c.Write(connect) // the broker may have closed it already
	select {
	case <-closed:
	case <-time.After(2 * waitFor):
		t.Fatal("Close still waits for a client that logged in while it ran")
	}
}

// warnings is a slog handler that keeps the messages of WARN and ERROR
// records.
type warnings struct {
	mu   *sync.Mutex
	msgs *[]string
}

func (w warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	*w.msgs = append(*w.msgs, r.Message)
	w.mu.Unlock()
	return nil
}
func (w warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w warnings) WithGroup(string) slog.Handler      { return w }

// A client that goes without DISCONNECT (a pet on a laptop put to sleep) or
// is refused a login is an everyday event: it used to log a WARN with an
// empty message from mochi's listener, which filled what an operator
// filters for problems (level != INFO) with nothing to read.
func TestEndedConnectionsLogNoEmptyWarning(t *testing.T) {
	w := warnings{mu: new(sync.Mutex), msgs: new([]string)}
	b := brokertest.StartWith(t, testConfig(t.TempDir()), broker.Options{Logger: slog.New(w)})
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "wrong-password", "guess"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	c, err := net.Dial("tcp", b.MQTTAddr())
	if err != nil {
		t.Fatal(err)
	}
	c.Write(halfConnect)
	c.Close()
	alice.c.Disconnect(0)
	// The listener logs once mochi is done with a connection: give it
	// time to, then find no empty message.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		w.mu.Lock()
		empty := slices.Contains(*w.msgs, "")
		got := fmt.Sprintf("%q", *w.msgs)
		w.mu.Unlock()
		if empty {
			t.Fatalf("a warning without a message was logged: %s", got)
		}
	}
}
