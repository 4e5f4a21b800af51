package chat

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// Client is the pet's chat connection and the model the UI shows. All
// methods are safe for concurrent use and none blocks on the network except
// Connect, Call and the request helpers (which take a context): call those
// from a goroutine, never from the GTK main loop.
type Client struct {
	cfg     Config
	srv     Server
	tlsConf *tls.Config
	mqttID  string
	dir     string // per-account state dir ("" keeps nothing)
	log     *slog.Logger
	inst    string // per-process tag of request ids: replies to an earlier run never match

	hub hub

	connectMu sync.Mutex // serialises Connect/Start

	mu           sync.Mutex
	status       Status
	statusErr    error
	cur          *conn
	token        string
	tokenAt      time.Time
	password     string
	m            model
	out          []*Outgoing
	calls        map[string]chan topics.Reply
	echoes       map[string]chan struct{}
	noticeCh     chan struct{} // closed and replaced on every notice
	lastNotice   string
	started      bool
	synced       bool // friends and rooms loaded at least once
	closed       bool
	stateDirty   bool
	outboxDirty  bool
	lastNoticeAt time.Time

	seq      atomic.Uint64
	inq      msgQueue
	wakeConn chan struct{}
	wakeOut  chan struct{}
	wakeSave chan struct{}
	closing  chan struct{}
	wg       sync.WaitGroup

	hookCatchUp func() // tests: runs after subscribing, before the catch-up
}

// conn is one MQTT connection (a fresh paho client each time, so that no
// state of a dead connection leaks into the next).
type conn struct {
	pc             paho.Client
	sessionPresent bool
	viaToken       bool
	lost           chan struct{}
	once           sync.Once
	err            error
	// lastSeen is each conversation's LastSeen before this connection
	// subscribed: live delivery raises LastSeen above a gap the catch-up fills.
	lastSeen map[string]int64
}

func (cn *conn) markLost(err error) {
	cn.once.Do(func() {
		cn.err = err
		close(cn.lost)
	})
}

func (cn *conn) isLost() bool {
	select {
	case <-cn.lost:
		return true
	default:
		return false
	}
}

// New prepares a client; nothing touches the network until Connect or
// Start. The outgoing queue of an earlier run is loaded, so Send works (and
// queues) at once.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	cfg.withDefaults()
	srv, err := ParseServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	if err := topics.CheckUsername(cfg.User); err != nil {
		return nil, &Error{Kind: ErrAuth, Msg: err.Error()}
	}
	if cfg.Password == "" && cfg.Token == "" {
		return nil, &Error{Kind: ErrAuth, Msg: "no password given"}
	}
	if cfg.ClientID == "" {
		return nil, errors.New("chat: Config.ClientID is required (NewClientID, persisted by the caller)")
	}
	tc, err := tlsConfig(srv, cfg.TLS)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	inst := make([]byte, 4)
	_, _ = crand.Read(inst)
	c := &Client{
		cfg: cfg, srv: srv, tlsConf: tc, mqttID: cfg.ClientID + "-" + cfg.User,
		dir: accountDir(cfg.StateDir, cfg.User, srv), log: log.With("chat", cfg.User+"@"+srv.Addr()),
		inst: hex.EncodeToString(inst), token: cfg.Token, password: cfg.Password, m: newModel(),
		calls: map[string]chan topics.Reply{}, echoes: map[string]chan struct{}{}, noticeCh: make(chan struct{}),
		wakeConn: make(chan struct{}, 1), wakeOut: make(chan struct{}, 1), wakeSave: make(chan struct{}, 1),
		closing: make(chan struct{}),
	}
	c.m.me = topics.Profile{User: cfg.User, Nickname: cfg.User}
	c.inq.wake = make(chan struct{}, 1)
	if err := c.loadState(); err != nil {
		c.log.Warn("chat state unreadable; starting afresh", "error", err)
	}
	if err := c.loadOutbox(); err != nil {
		return nil, fmt.Errorf("chat: outgoing queue: %w", err)
	}
	c.wg.Add(3)
	go c.processInbound()
	go c.runOutbox()
	go c.runSaver()
	return c, nil
}

// OnEvent registers fn for every event from now on and returns a function
// that unregisters it. fn runs on a goroutine of its own, one event at a
// time and in order; it may block without stalling the client (a GTK UI
// hands the event to glib.IdleAdd).
func (c *Client) OnEvent(fn func(Event)) (remove func()) { return c.hub.add(fn) }

func (c *Client) emit(ev Event) { c.hub.emit(ev) }

// User is the account name.
func (c *Client) User() string { return c.cfg.User }

// Server is the parsed server address.
func (c *Client) Server() Server { return c.srv }

// Token is the current resume token ("" before the first login); keep it
// (EventToken announces each new one) to log in fast next time.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// Connect makes the first connection and returns a precise error when it
// fails (ErrAuth, ErrUnreachable, ErrTLS, ErrClientID, ErrBadURL): nothing
// is retried then. Once connected, the client stays connected: it
// reconnects by itself with backoff until Close. Connect also loads
// friends, rooms and missed messages before returning.
func (c *Client) Connect(ctx context.Context) error {
	c.connectMu.Lock()
	defer c.connectMu.Unlock()
	c.mu.Lock()
	closed, started := c.closed, c.started
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if started {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	cn, err := c.dial(ctx)
	if err != nil {
		if c.isClosed() {
			return ErrClosed
		}
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cn.pc.Disconnect(0)
		return ErrClosed
	}
	c.started = true
	c.wg.Add(1) // under mu, before Close can reach wg.Wait
	c.mu.Unlock()
	c.afterConnect(ctx, cn)
	go c.supervise(cn)
	return nil
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Start connects in the background and keeps reconnecting (for a pet
// starting with remembered credentials, possibly without network). Failures
// show as EventStatus with Err; a refused password stops the retries until
// ReconnectNow.
func (c *Client) Start() {
	c.connectMu.Lock()
	defer c.connectMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.started {
		return
	}
	c.started = true
	c.wg.Add(1)
	go c.supervise(nil)
}

// ReconnectNow skips the wait before the next attempt (the UI's "retry"
// button, or after the network came back). When connected, it drops the
// connection and makes a new one.
func (c *Client) ReconnectNow() {
	select {
	case c.wakeConn <- struct{}{}:
	default:
	}
}

// SetPassword replaces the password used when no token works (after the
// user typed it again following an ErrAuth), then retries.
func (c *Client) SetPassword(pw string) {
	c.mu.Lock()
	c.password, c.token = pw, ""
	c.mu.Unlock()
	c.ReconnectNow()
}

// Close disconnects and stops every goroutine; pending messages stay in the
// queue file for the next run.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cur := c.cur
	c.mu.Unlock()
	close(c.closing)
	if cur != nil {
		cur.pc.Disconnect(250)
		cur.markLost(ErrClosed)
	}
	c.wg.Wait()
	err := c.saveNow()
	c.setStatus(StatusOffline, nil)
	c.hub.closeAll()
	return err
}

func (c *Client) setStatus(s Status, err error) {
	c.mu.Lock()
	same := c.status == s && errors.Is(err, c.statusErr) && errors.Is(c.statusErr, err)
	c.status, c.statusErr = s, err
	c.mu.Unlock()
	if !same {
		c.emit(Event{Type: EventStatus, Status: s, Err: err})
	}
}

// current is the live connection, or nil.
func (c *Client) current() *conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || c.cur.isLost() {
		return nil
	}
	return c.cur
}

// supervise keeps a connection up until Close.
func (c *Client) supervise(cur *conn) {
	defer c.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.closing
		cancel()
	}()
	fails, immediate := 0, false
	var lastErr error
	for {
		if cur != nil {
			select {
			case <-cur.lost:
			case <-c.wakeConn:
				cur.pc.Disconnect(100)
				cur.markLost(errors.New("reconnecting"))
				immediate = true
			case <-c.closing:
				// Close may have run while this connection was being dialled,
				// before it was published as c.cur: end it here too.
				cur.pc.Disconnect(250)
				cur.markLost(ErrClosed)
				return
			}
			c.mu.Lock()
			if c.cur == cur {
				c.cur = nil
			}
			c.m.following = false
			c.mu.Unlock()
			c.log.Info("connection lost", "error", cur.err)
			c.setStatus(StatusOffline, cur.err)
			cur = nil
		}
		switch {
		case errors.Is(lastErr, ErrAuth) || errors.Is(lastErr, ErrClientID):
			// Retrying a refused password only earns slower logins (the
			// broker throttles); wait for the user.
			select {
			case <-c.wakeConn:
			case <-c.closing:
				return
			}
		case immediate:
		default:
			t := time.NewTimer(c.backoff(fails))
			select {
			case <-t.C:
			case <-c.wakeConn:
				t.Stop()
			case <-c.closing:
				t.Stop()
				return
			}
		}
		immediate = false
		cn, err := c.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Info("reconnect failed", "error", err, "attempt", fails+1)
			fails++
			lastErr = err
			continue
		}
		fails, lastErr = 0, nil
		c.afterConnect(ctx, cn)
		cur = cn
	}
}

// backoff is the wait before attempt n+1: exponential, capped, with jitter
// so that many pets do not hammer a restarted broker in step.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.BackoffMin
	for i := 0; i < n && d < c.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.cfg.BackoffMax)
	return d/2 + rand.N(d/2+1)
}

// dial logs in with the resume token when there is one, falling back to the
// password when the token is refused (expired, password changed, other
// server).
func (c *Client) dial(ctx context.Context) (*conn, error) {
	cn, err := c.dialOnce(ctx)
	if err != nil {
		c.setStatus(StatusOffline, err)
	}
	return cn, err
}

func (c *Client) dialOnce(ctx context.Context) (*conn, error) {
	c.mu.Lock()
	tok, pw := c.token, c.password
	c.mu.Unlock()
	if tok != "" {
		cn, err := c.attempt(ctx, tok)
		if err == nil {
			cn.viaToken = true
			return cn, nil
		}
		if !errors.Is(err, ErrAuth) || pw == "" {
			return nil, err
		}
		c.log.Info("resume token refused; logging in with the password")
		c.mu.Lock()
		if c.token == tok {
			c.token = ""
		}
		c.mu.Unlock()
	}
	if pw == "" {
		return nil, &Error{Kind: ErrAuth, Msg: "the saved login expired; enter the password again"}
	}
	return c.attempt(ctx, pw)
}

func (c *Client) filters() map[string]byte {
	out := map[string]byte{}
	for _, f := range topics.PetFilters(c.cfg.User) {
		out[f] = 1
	}
	return out
}

// attempt makes one connection with secret as the password and subscribes.
// It reports connecting and online; the caller reports a failure (a refused
// token followed by a good password is no failure to show).
func (c *Client) attempt(ctx context.Context, secret string) (*conn, error) {
	c.setStatus(StatusConnecting, nil)
	cn := &conn{lost: make(chan struct{})}
	opts := paho.NewClientOptions().AddBroker(c.srv.pahoURL()).SetClientID(c.mqttID).
		SetUsername(c.cfg.User).SetPassword(secret).
		// A persistent session: the broker queues DMs and events while away.
		SetCleanSession(false).SetResumeSubs(false).
		// Reconnects are ours (backoff, token fallback, status events).
		SetAutoReconnect(false).SetConnectRetry(false).
		// An explicit 3.1.1: paho would otherwise retry a refused login as
		// MQTT 3.1, doubling failures (and the broker's throttle).
		SetProtocolVersion(4).
		SetConnectTimeout(c.cfg.ConnectTimeout).SetWriteTimeout(c.cfg.ConnectTimeout).
		SetKeepAlive(c.cfg.KeepAlive).SetPingTimeout(10 * time.Second).
		SetDialer(&net.Dialer{Timeout: c.cfg.ConnectTimeout}).SetTLSConfig(c.tlsConf).
		// In order; the handler only queues, so paho never stalls.
		SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { c.onMessage(m.Topic(), m.Payload()) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) { cn.markLost(err) })
	cn.pc = paho.NewClient(opts)
	tok := cn.pc.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		go func() { // a connection that still succeeds must not linger
			<-tok.Done()
			cn.pc.Disconnect(0)
		}()
		return nil, ctx.Err()
	}
	if tok.Error() != nil {
		return nil, classifyConnect(c.srv, tok)
	}
	cn.sessionPresent = tok.(*paho.ConnectToken).SessionPresent()
	cn.lastSeen = c.lastSeenNow()
	// Subscriptions are renewed on every connection: a broker restart
	// forgets sessions.
	st := cn.pc.SubscribeMultiple(c.filters(), nil)
	if err := waitToken(ctx, st, cn, c.cfg.ConnectTimeout); err != nil {
		cn.pc.Disconnect(0)
		cn.markLost(err)
		return nil, &Error{Kind: ErrUnreachable, Msg: "subscribing failed", Err: err}
	}
	for f, code := range st.(*paho.SubscribeToken).Result() {
		if code >= 0x80 {
			c.log.Warn("subscription refused", "filter", f, "code", code)
		}
	}
	c.mu.Lock()
	c.cur = cn
	c.mu.Unlock()
	c.log.Info("connected", "session_present", cn.sessionPresent)
	c.setStatus(StatusOnline, nil)
	return cn, nil
}

// waitToken waits for tok, the connection's end, ctx or timeout.
func waitToken(ctx context.Context, tok paho.Token, cn *conn, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-cn.lost:
		return ErrOffline
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ErrTimeout
	}
}

// afterConnect fetches a resume token and the lists, and catches up on
// messages a lost session missed. Failures are logged: the connection is
// usable without them and the next connection tries again.
func (c *Client) afterConnect(ctx context.Context, cn *conn) {
	c.mu.Lock()
	needToken := !cn.viaToken || c.token == "" || time.Since(c.tokenAt) > 24*time.Hour
	c.mu.Unlock()
	if needToken {
		var tok topics.Token
		if err := c.Call(ctx, topics.MethodAuthToken, struct{}{}, &tok); err != nil {
			c.log.Warn("no resume token", "error", err)
		} else if tok.Token != "" {
			c.mu.Lock()
			c.token, c.tokenAt = tok.Token, time.Now()
			c.mu.Unlock()
			c.emit(Event{Type: EventToken, Text: tok.Token})
		}
	}
	if err := c.syncLists(ctx); err != nil && ctx.Err() == nil {
		c.log.Warn("loading friends and rooms", "error", err)
	}
	// The queue goes out once the lists are known, so that a message to a
	// room left meanwhile fails plainly instead of being written where the
	// broker refuses it.
	c.kickOutbox()
	if c.hookCatchUp != nil {
		c.hookCatchUp()
	}
	if err := c.catchUp(ctx, cn.sessionPresent, cn.lastSeen); err != nil && ctx.Err() == nil {
		c.log.Warn("catching up on missed messages", "error", err)
	}
}

func (c *Client) newID(prefix string) string {
	return prefix + c.inst + "-" + strconv.FormatUint(c.seq.Add(1), 36)
}

// msgQueue is an unbounded FIFO between paho's handler and the processing
// goroutine: the handler returns at once whatever the UI does.
type msgQueue struct {
	mu    sync.Mutex
	items []inbound
	wake  chan struct{}
}

type inbound struct {
	topic   string
	payload []byte
}

func (q *msgQueue) push(in inbound) {
	q.mu.Lock()
	q.items = append(q.items, in)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *msgQueue) take() []inbound {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

func itoa(n int) string { return strconv.Itoa(n) }
