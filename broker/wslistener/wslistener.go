// Package wslistener is an MQTT-over-WebSocket listener for mochi that
// serves only one path (/mqtt, what MQTT.js and MQTTX use by default) and
// binds its port in Init, so that a taken port is an error at start-up
// rather than a log line later.
package wslistener

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Listener implements listeners.Listener.
type Listener struct {
	id, addr, path string
	tlsConf        *tls.Config
	ln             net.Listener
	srv            *http.Server
	establish      atomic.Pointer[listeners.EstablishFn] // set by Serve
	log            *slog.Logger
	once           sync.Once
	upgrader       websocket.Upgrader
	mounted        chan struct{} // no own socket: open until Close

	// Admit, if set before Init, is asked for each connection before its
	// upgrade and may refuse it, so that sockets that never finish the
	// handshake count against the same limits; release is called once the
	// connection is upgraded or closed.
	Admit func(remote string) (release func(), ok bool)
	// ClientAddr, if set, names the client of an upgrade request (one
	// behind a reverse proxy); nil from it keeps the connection's address.
	ClientAddr func(r *http.Request) net.Addr
	// HandshakeTimeout bounds the HTTP upgrade request; 0: 10 s.
	HandshakeTimeout time.Duration
	admitted         sync.Map // net.Conn -> release func()
}

// New returns a listener for addr serving path; tlsConf may be nil.
func New(id, addr, path string, tlsConf *tls.Config) *Listener {
	return &Listener{id: id, addr: addr, path: path, tlsConf: tlsConf,
		upgrader: websocket.Upgrader{
			Subprotocols: []string{"mqtt"},
			// Browsers on any page may connect: MQTT login is the access control.
			CheckOrigin: func(*http.Request) bool { return true },
		}}
}

func (l *Listener) ID() string       { return l.id }
func (l *Listener) Protocol() string { return "ws" }

// Address is the bound address (useful with port 0).
func (l *Listener) Address() string {
	if l.ln != nil {
		return l.ln.Addr().String()
	}
	return l.addr
}

// Init binds the port; with no address the listener only serves what
// another HTTP server hands it through ServeHTTP.
func (l *Listener) Init(log *slog.Logger) error {
	l.log = log
	if l.addr == "" {
		l.mounted = make(chan struct{})
		return nil
	}
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return err
	}
	if l.tlsConf != nil {
		ln = tls.NewListener(ln, l.tlsConf)
	}
	l.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc(l.path, l.handle)
	// The whole request, body included, within the handshake timeout, and
	// one request per connection: a socket kept open after a request that
	// was not an upgrade would hold its Admit slot for good. An upgraded
	// connection loses these deadlines when it is hijacked.
	hs := cmp.Or(l.HandshakeTimeout, 10*time.Second)
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: hs, ReadTimeout: hs, WriteTimeout: hs}
	l.srv.SetKeepAlivesEnabled(false)
	if l.Admit != nil {
		l.srv.ConnState = l.connState
	}
	return nil
}

func (l *Listener) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		release, ok := l.Admit(c.RemoteAddr().String())
		if !ok {
			_ = c.Close()
			return
		}
		l.admitted.Store(c, release)
	case http.StateHijacked, http.StateClosed:
		if release, ok := l.admitted.LoadAndDelete(c); ok {
			release.(func())()
		}
	}
}

// Serve accepts connections until Close.
func (l *Listener) Serve(establish listeners.EstablishFn) {
	l.establish.Store(&establish)
	if l.mounted != nil {
		<-l.mounted
		return
	}
	if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		l.log.Error("websocket listener stopped", "error", err, "listener", l.id)
	}
}

// Close stops accepting and closes the listener's clients.
func (l *Listener) Close(closeClients listeners.CloseFn) {
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if l.srv != nil {
			_ = l.srv.Shutdown(ctx)
		}
		if l.mounted != nil {
			close(l.mounted)
		}
	})
	closeClients(l.id)
}

// ServeHTTP upgrades a request to MQTT over WebSocket and serves it as a
// client of this listener, so that another HTTP server (the web client's)
// can offer /mqtt on its own origin.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.handle(w, r) }

func (l *Listener) handle(w http.ResponseWriter, r *http.Request) {
	establish := l.establish.Load()
	if establish == nil {
		http.Error(w, "not serving yet", http.StatusServiceUnavailable)
		return
	}
	c, err := l.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the request
	}
	defer c.Close()
	wc := &conn{Conn: c.NetConn(), ws: c}
	if l.ClientAddr != nil {
		wc.remote = l.ClientAddr(r)
	}
	if err := (*establish)(l.id, wc); err != nil {
		l.log.Debug("websocket client ended", "error", err, "remote", r.RemoteAddr)
	}
}

// conn carries the MQTT byte stream in binary WebSocket messages.
type conn struct {
	net.Conn
	ws     *websocket.Conn
	r      io.Reader
	remote net.Addr // the client behind a proxy; nil: the peer
}

func (c *conn) RemoteAddr() net.Addr {
	if c.remote != nil {
		return c.remote
	}
	return c.Conn.RemoteAddr()
}

// NetConn returns the connection under the WebSocket framing, where the
// broker measures what a client has sent but nobody has read.
func (c *conn) NetConn() net.Conn { return c.Conn }

var errTextFrame = errors.New("websocket: MQTT needs binary messages")

func (c *conn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			op, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if op != websocket.BinaryMessage {
				return 0, errTextFrame
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue // next message
			}
			err = nil
		}
		return n, err
	}
}

func (c *conn) Write(p []byte) (int, error) {
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}
