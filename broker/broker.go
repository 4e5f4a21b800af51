// Package broker is Tachikoma's MQTT broker: mochi-mqtt extended through
// hooks for login, ACL, sender stamping, rooms, DMs, friends, presence and
// history. It runs standalone (bin/tachikoma-broker) or inside the pet.
package broker

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker/aclfile"
	"github.com/tachikoma-pet/tachikoma/broker/directory"
	"github.com/tachikoma-pet/tachikoma/broker/internal/conn"
	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/broker/requests"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/broker/web"
	"github.com/tachikoma-pet/tachikoma/broker/wslistener"
)

// Broker is a running (or ready to run) Tachikoma broker.
type Broker struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	store    store.Store
	dir      *directory.Directory
	policy   *policy
	mqtt     *mqtt.Server
	requests *requests.Handler
	presence *presenceTracker
	delivery *deliveryHooks // the hooks route's deliveries call
	sessions *sessionIndex
	shared   sharedSubs
	guard    *loginGuard
	subs     *limitsHook
	limits   *keyLimits
	regLimit *keyLimits
	revokes  *keyLimits // auth.revoke per user
	cids     *recentSet
	sent     *sentCIDs

	regGlobal *keyLimits // registrations from everywhere (regLimit: per address)
	version   string     // reported by GET /api/v1/server
	// unstoredChat counts QoS 0 chat whose history write failed.
	unstoredChat atomic.Int64
	http         *http.Server
	httpLn       net.Listener
	tcp          *listeners.TCP
	ws           *wslistener.Listener
	web          *web.Handler // nil when web.enabled is off
	hashCost     password.Params
	hashSlot     chan struct{} // bounds concurrent argon2id work (logins, registrations)
	hashes       atomic.Int64  // argon2id checks made
	tokenKey     []byte
	metrics      *promMetrics
	probeMu      sync.Mutex    // guards probeRun
	probeRun     *writeProbe   // the readiness write probe in flight, or the last one
	certs        *certReloader // nil without TLS from files
	acme         *acmeCerts    // nil without tls.acme
	proxies      trustedProxies

	ready   chan struct{}
	stop    chan struct{}
	stopped sync.WaitGroup
	closeMu sync.Once
	untrim  func()

	tooFast      *keyLimits // notices of dropped messages
	tune         bool       // Options.TuneRuntime
	gate         *conn.Gate // connections not logged in yet
	refusedConns rateLog    // connections turned away at the gate

	backplane Backplane  // the other nodes of a cluster; nil on a single broker
	queueMu   sync.Mutex // one hand-over of a cluster's offline queue at a time
	endMu     sync.Mutex // EndSession against a delivery from the cluster to the session it ends
	queueing  sync.WaitGroup
	given     sync.Map     // *mqtt.Client → *givenIDs, while connected in a cluster
	awaiting  atomic.Int32 // sessions awaiting a handover (AwaitHandover)
	reloadMu  sync.Mutex
}

// maxWritesPending bounds each connection's outbound queue (see New).
const maxWritesPending = 64

// Options are the knobs that are not configuration (tests, embedding).
type Options struct {
	Logger       *slog.Logger
	Now          func() time.Time
	PasswordCost *password.Params // nil: password.Default
	// TuneRuntime lets the broker tune the Go runtime for a process of its
	// own: memory trimmed and limited as connections come and go, and
	// publishers' stacks kept (docs/PERFORMANCE.md, changes 10, 12, 18, 18b). A
	// program hosting a broker beside other work keeps its own settings.
	TuneRuntime bool
	// Hooks are mochi hooks added after the broker's own; the broker's
	// deliveries call the delivery hooks among them as mochi's would
	// (checkAddedHooks says which events are refused).
	Hooks []mqtt.Hook
	// Version is what GET /api/v1/server reports ("dev" if empty).
	Version string
	// Backplane joins the broker to a cluster (package broker/cluster);
	// nil runs a single broker.
	Backplane Backplane
}

// New opens the data directory and prepares the broker; Start serves.
func New(cfg Config, opt Options) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkAddedHooks(opt.Hooks); err != nil {
		return nil, err
	}
	b := &Broker{cfg: cfg, log: opt.Logger, now: opt.Now, ready: make(chan struct{}), stop: make(chan struct{}),
		tune: opt.TuneRuntime, backplane: opt.Backplane, gate: conn.NewGate(cfg.Limits.MaxPendingPerAddress, cfg.Limits.MaxPendingConnections)}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.hashCost = password.Default
	// An argon2id check takes much memory and a core's time: a burst of
	// logins waits its turn instead of exhausting memory.
	b.hashSlot = make(chan struct{}, 2*runtime.NumCPU())
	if opt.PasswordCost != nil {
		b.hashCost = *opt.PasswordCost
	}
	// The data dir is made whichever the store: it holds more than SQLite's
	// file (backups, certificates).
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	var err error
	if b.store, err = store.OpenSetting(context.Background(), cfg.Store, cfg.DataDir); err != nil {
		return nil, err
	}
	if b.dir, err = directory.New(context.Background(), b.store); err != nil {
		b.store.Close()
		return nil, err
	}
	if b.tokenKey, err = b.store.TokenKey(context.Background()); err != nil {
		b.store.Close()
		return nil, err
	}
	b.proxies, _ = parseTrustedProxies(cfg.HTTP.TrustedProxies) // checked by Validate
	b.policy = &policy{dir: b.dir}
	if cfg.ACLFile != "" {
		acl, err := aclfile.Load(cfg.ACLFile)
		if err != nil {
			b.store.Close()
			return nil, err
		}
		b.policy.acl.Store(acl)
	}
	b.guard = newLoginGuard(cfg.Limits.LoginFailures, cfg.Limits.LoginFailuresPerAddress, time.Duration(cfg.Limits.LoginMaxDelay), b.now)
	b.limits = newKeyLimits(cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst)
	b.tooFast = newKeyLimits(0.2, 1) // one notice per run of drops
	b.revokes = newKeyLimits(revokesPerDay/86400.0, revokesPerDay)
	b.regLimit = newKeyLimits(float64(cfg.Registration.PerMinute)/60, cfg.Registration.PerMinute)
	b.regGlobal = newKeyLimits(float64(cfg.Registration.GlobalPerMinute)/60, cfg.Registration.GlobalPerMinute)
	b.version = cmp.Or(opt.Version, "dev")
	b.cids = newRecentSet(65536)
	if _, alone := b.store.(*store.SQLite); alone {
		// A store other brokers share takes cids this index never sees.
		b.sent = newSentCIDs(sentCIDLimit, b.store.EachCID)
	}
	b.presence = newPresenceTracker(b)
	b.metrics = newMetrics(b)
	b.store.ObserveCommits(b.metrics.committed)
	b.sessions = newSessionIndex()
	if b.backplane != nil {
		b.sessions.tell(b.backplane.Interest)
	}
	if cfg.Web.Enabled {
		if b.web, err = web.New(); err != nil {
			b.store.Close()
			return nil, fmt.Errorf("web client: %w", err)
		}
	}

	caps := mqtt.NewDefaultServerCapabilities()
	// mochi drops queued and retained messages after 24 h by default; a
	// friend away for a weekend must still get their DMs.
	caps.MaximumMessageExpiryInterval = int64(time.Duration(cfg.Sessions.MessageExpiry) / time.Second)
	caps.MaximumSessionExpiryInterval = uint32(time.Duration(cfg.Sessions.SessionExpiry) / time.Second)
	// mochi allocates every connection's outbound queue at CONNECT, and only
	// acknowledgements, wills and ACL-file topics pass through it (route
	// writes the rest to conn.Conn): a short one saves idle memory; past it
	// mochi drops the delivery and dropHook logs it (docs/PERFORMANCE.md).
	caps.MaximumClientWritesPending = maxWritesPending
	// mochi allocates a packet's declared length before reading it and sets
	// no limit by default, even for an unauthenticated CONNECT.
	caps.MaximumPacketSize = uint32(cfg.Limits.MaxPacketBytes)
	// mochi's CONNACK announces no topic aliases, which tells an MQTT 5
	// client it may set none [MQTT-3.2.2-17], yet it accepts 65,535 per
	// connection, each holding a topic name: hold it to what it announces.
	caps.TopicAliasMaximum = 0
	// Bounds what one sender can make the broker hold for a client that is
	// away (mochi's default is far larger).
	caps.MaximumInflight = uint16(cfg.Limits.MaxQueued)
	b.mqtt = mqtt.New(&mqtt.Options{Capabilities: caps, InlineClient: true, Logger: b.log,
		// Held per connection while idle, so smaller than mochi's default;
		// bufio reads a larger body straight into the packet, so big
		// messages cost no extra reads (docs/PERFORMANCE.md).
		ClientNetReadBufferSize: 512})
	b.requests = &requests.Handler{Dir: b.dir, Pub: b, Presence: b.presence, Log: b.log, Now: b.now, Tokens: b}
	b.subs = newLimitsHook(b)
	// limitsHook first: the hooks after it see its refusals.
	hooks := []mqtt.Hook{&authHook{b: b}, b.subs, &aclHook{b: b}, &chatHook{b: b}, &specHook{b: b}, &sessionHook{b: b}, &presenceHook{b: b}, &dropHook{b: b}}
	hooks = append(hooks, opt.Hooks...)
	// connHook completes deliveries without mochi's processPuback, which is
	// where OnQosComplete hooks are called: only while none wants them.
	acks := !slices.ContainsFunc(hooks, func(h mqtt.Hook) bool { return h.Provides(mqtt.OnQosComplete) })
	hooks = append(hooks, &connHook{b: b, acks: acks})
	for _, h := range hooks {
		if err := b.mqtt.AddHook(h, nil); err != nil {
			b.store.Close()
			return nil, fmt.Errorf("add hook %s: %w", h.ID(), err)
		}
	}
	if b.delivery, err = newDeliveryHooks(hooks); err != nil {
		b.store.Close()
		return nil, err
	}
	return b, nil
}

func (b *Broker) tlsConfig() (*tls.Config, error) {
	if a := b.cfg.TLS.ACME; a.Domain != "" {
		acme, err := newACMECerts(a, b.cfg.DataDir)
		if err != nil {
			return nil, err
		}
		if err := acme.listenChallenge(a.ChallengeAddr, b.cfg.Limits); err != nil {
			return nil, err
		}
		b.acme = acme
		return acme.tlsConfig(), nil
	}
	if b.cfg.TLS.CertFile == "" {
		return nil, nil
	}
	certs, err := newCertReloader(b.cfg.TLS.CertFile, b.cfg.TLS.KeyFile)
	if err != nil {
		return nil, err
	}
	b.certs = certs
	return &tls.Config{GetCertificate: certs.get, MinVersion: tls.VersionTLS12}, nil
}

// Start binds the listeners and serves in the background. A port that is
// taken is an error here, not a log line later.
func (b *Broker) Start() error {
	tlsConf, err := b.tlsConfig()
	if err != nil {
		return err
	}
	if b.cfg.MQTTAddr != "" {
		b.tcp = listeners.NewTCP(listeners.Config{ID: "tcp", Address: b.cfg.MQTTAddr, TLSConfig: tlsConf})
		if err := b.mqtt.AddListener(b.wrapConns(b.tcp)); err != nil {
			return fmt.Errorf("mqtt listener %s: %w", b.cfg.MQTTAddr, err)
		}
	}
	// Behind a reverse proxy ws_addr may be empty: MQTT over WebSocket is
	// then only the HTTP listener's /mqtt.
	if b.cfg.WSAddr != "" || b.cfg.HTTPAddr != "" {
		b.ws = wslistener.New("ws", b.cfg.WSAddr, "/mqtt", tlsConf)
		b.ws.Admit = b.admitWS // before the upgrade too
		b.ws.ClientAddr = b.wsClientAddr
		b.ws.HandshakeTimeout = time.Duration(b.cfg.Limits.ConnectTimeout)
		if err := b.mqtt.AddListener(b.wrapConns(b.ws)); err != nil {
			return fmt.Errorf("websocket listener %s: %w", b.cfg.WSAddr, err)
		}
	}
	if b.cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", b.cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("http listener: %w", err)
		}
		if tlsConf != nil && !b.cfg.HTTP.Plain {
			// The pet registers with a TLS server over https: a password
			// never travels in clear.
			ln = tls.NewListener(ln, tlsConf)
		}
		b.httpLn = ln
		lim := b.cfg.Limits
		// Without the read timeout a body trickled a byte at a time holds a
		// connection and a goroutine for good.
		b.http = &http.Server{Handler: b.httpHandler(), ReadHeaderTimeout: time.Duration(lim.HTTPReadTimeout),
			ReadTimeout: time.Duration(lim.HTTPReadTimeout), WriteTimeout: time.Duration(lim.HTTPWriteTimeout),
			IdleTimeout: time.Duration(lim.HTTPIdleTimeout), MaxHeaderBytes: 16 << 10}
		go func() {
			if err := b.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				b.log.Error("http server", "error", err)
			}
		}()
	}
	if err := b.mqtt.Serve(); err != nil {
		return err
	}
	b.presence.restore()
	b.stopped.Add(1)
	go b.everySecond(b.reloadFromStore)
	if b.certs != nil {
		b.stopped.Add(1)
		go b.everySecond(b.watchCerts)
	}
	if b.acme != nil {
		b.startACME()
	}
	if b.cfg.Registration.PendingExpiry > 0 {
		b.stopped.Add(1)
		go b.every(pendingSweep, b.expirePending)
	}
	if b.cfg.Backups.Every > 0 {
		b.stopped.Add(1)
		go b.every(time.Duration(b.cfg.Backups.Every), b.scheduledBackup)
	}
	if b.tune {
		trim, untrim := b.trimMemory()
		b.untrim = untrim
		b.stopped.Add(1)
		go b.everySecond(trim)
	}
	close(b.ready)
	b.log.Info("broker ready", "mqtt", b.MQTTAddr(), "ws", b.WSAddr(), "http", b.HTTPAddr(), "data", b.cfg.DataDir)
	return nil
}

// MQTTAddr, WSAddr and HTTPAddr are the bound addresses ("" when disabled).
func (b *Broker) MQTTAddr() string {
	if b.tcp == nil {
		return ""
	}
	return b.tcp.Address()
}

func (b *Broker) WSAddr() string {
	if b.ws == nil {
		return ""
	}
	return b.ws.Address()
}

func (b *Broker) HTTPAddr() string {
	if b.httpLn == nil {
		return ""
	}
	return b.httpLn.Addr().String()
}

// Directory exposes accounts and rooms (for embedding and tests).
func (b *Broker) Directory() *directory.Directory { return b.dir }

// pendingSweep is how often pending accounts past
// registration.pending_expiry are rejected.
var pendingSweep = time.Hour

// expirePending rejects pending accounts older than
// registration.pending_expiry, giving their invite uses back.
func (b *Broker) expirePending() {
	before := b.now().Add(-time.Duration(b.cfg.Registration.PendingExpiry)).UnixMilli()
	n, err := b.store.ExpirePending(context.Background(), before)
	if err != nil {
		b.log.Warn("expire pending accounts", "error", err)
	} else if n > 0 {
		b.log.Info("pending accounts expired", "count", n, "older_than", time.Duration(b.cfg.Registration.PendingExpiry).String())
	}
}

// everySecond runs fn once a second until Close; Start runs it in a
// goroutine counted in b.stopped.
func (b *Broker) everySecond(fn func()) { b.every(time.Second, fn) }

// every runs fn every d until Close, like everySecond.
func (b *Broker) every(d time.Duration, fn func()) {
	defer b.stopped.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		fn()
	}
}

// reloadFromStore reloads the directory when the admin CLI (another
// process) changes the database, and disconnects removed users and users
// whose password changed.
func (b *Broker) reloadFromStore() {
	// Logins of unknown names reload too: one at a time, so that each
	// change is acted on once.
	b.reloadMu.Lock()
	defer b.reloadMu.Unlock()
	ch, changed, err := b.dir.ReloadIfChanged(context.Background())
	if err != nil {
		b.log.Warn("reload directory", "error", err)
		return
	}
	if changed {
		b.directoryChanged(ch)
	}
}

// directoryChanged disconnects removed users and users whose password
// changed, after a reload.
func (b *Broker) directoryChanged(ch directory.Change) {
	removed, pwChanged := map[string]bool{}, map[string]bool{}
	for _, u := range ch.RemovedUsers {
		removed[u] = true
		b.presence.forget(u)
	}
	for _, u := range ch.PasswordChange {
		pwChanged[u] = true
	}
	if len(removed)+len(pwChanged) == 0 {
		return
	}
	for _, cl := range b.mqtt.Clients.GetAll() {
		user := string(cl.Properties.Username)
		if cl.Net.Inline || !(removed[user] || pwChanged[user]) {
			continue
		}
		b.log.Info("disconnecting after account change", "user", user, "client", cl.ID)
		if !cl.Closed() {
			_ = b.mqtt.DisconnectClient(cl, packets.ErrNotAuthorized)
		}
		if removed[user] {
			// A deleted account's sessions go too: whoever registers the
			// name next must not inherit their queued messages.
			b.mqtt.UnsubscribeClient(cl)
			b.mqtt.Clients.Delete(cl.ID)
			b.sessions.drop(b, user, cl)
			b.shared.removeClient(cl.ID)
		}
	}
}

// maxHashWait is how long a login or registration waits for a hashing slot
// before it is answered "server busy": a burst of guesses may slow a
// correct login down by this much, no more.
const maxHashWait = time.Second

var errBusy = errors.New("too many passwords being checked")

// errPending is the right password of an account an admin has not approved yet.
var errPending = errors.New("account waiting for the admin's approval")

// hashTurn waits up to maxHashWait for one of the argon2id slots; release
// gives it back.
func (b *Broker) hashTurn() (release func(), err error) {
	t := time.NewTimer(maxHashWait)
	defer t.Stop()
	select {
	case b.hashSlot <- struct{}{}:
		return func() { <-b.hashSlot }, nil
	case <-t.C:
		return nil, errBusy
	}
}

// checkPassword verifies user's password or resume token.
func (b *Broker) checkPassword(user, pw string) (err error) {
	defer func() { b.metrics.login(err) }()
	if strings.HasPrefix(pw, tokenPrefix) {
		return b.checkToken(user, pw)
	}
	// Before taking a hashing slot: a login waiting for the database must
	// not hold one up from the accounts in memory.
	hash, pending := b.loginHash(user)
	release, err := b.hashTurn()
	if err != nil {
		return err
	}
	defer release()
	b.hashes.Add(1)
	switch {
	case hash == "":
		_ = password.Verify(pw, dummyHash())
		return errors.New("no such user")
	case !pending:
		return password.Verify(pw, hash)
	case password.Verify(pw, hash) == nil:
		return errPending
	}
	return errors.New("wrong password for a pending account")
}

// loginHash is the password hash a login of user is checked against, and
// whether the account waits for approval; "" when there is no such user.
func (b *Broker) loginHash(user string) (hash string, pending bool) {
	if u, ok := b.dir.User(user); ok {
		return u.PWHash, false
	}
	// Only logins of unknown names read the database, and the login guard
	// spaces those out.
	if p, err := b.store.GetPendingUser(context.Background(), user); err == nil {
		return p.PWHash, true
	}
	// An account approved or added a moment ago by the admin CLI is in
	// the database before the once-a-second reload: its first login must
	// not read as a wrong password.
	b.reloadFromStore()
	if u, ok := b.dir.User(user); ok {
		return u.PWHash, false
	}
	return "", false
}

// Close stops serving: listeners, clients, then the store.
func (b *Broker) Close() error {
	var err error
	b.closeMu.Do(func() {
		close(b.stop)
		if b.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_ = b.http.Shutdown(ctx)
			cancel()
		}
		err = b.mqtt.Close()
		if b.acme != nil {
			b.acme.close()
		}
		b.stopped.Wait()
		b.queueing.Wait() // what the cluster held for sessions (takeHeld), none new once mochi closed
		if b.untrim != nil {
			b.untrim() // the memory limit is the process's, not this broker's
		}
		if cerr := b.store.Close(); err == nil {
			err = cerr
		}
	})
	return err
}
