// Package cluster joins brokers into one over NATS: what a node routes is
// published once on a subject per room or per user, and each node delivers
// what it receives to its own sessions through the broker's routing core
// (docs/CLUSTER.md). It is a separate package so that a single broker, and
// the pet that hosts one, link none of it.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// Node is this broker's place in the cluster: the embedded NATS server (or
// a connection to an external one) and the subscriptions that feed the
// broker.
type Node struct {
	cfg broker.ClusterConfig
	log *slog.Logger
	srv *server.Server // nil with an external NATS
	nc  *nats.Conn
	b   *broker.Broker
	// attached is b for the heartbeat, which starts before Attach.
	attached atomic.Pointer[broker.Broker]

	in   chan *nats.Msg // every subscription's messages, in arrival order
	done chan struct{}

	mu    sync.Mutex
	users map[string]*nats.Subscription // users with a session here
	subs  []*nats.Subscription

	dropped atomic.Int64 // messages NATS dropped for this node (slow consumer)

	started   time.Time
	owners    *owners            // who holds each client id's session
	nodes     jetstream.KeyValue // every node's heartbeat
	presence  *presence          // who is online on which node
	js        jetstream.JetStream
	queue     jetstream.Stream   // DMs for users away from every node
	cursors   jetstream.KeyValue // how far each persistent session took the queue
	cursorTTL time.Duration      // how long cursors stays unwritten before it forgets one
	handover  jetstream.Stream   // what sessions taken over held, for their new node
}

// Options are what Start needs besides the configuration.
type Options struct {
	DataDir string // the broker's; JetStream keeps its files below it
	Logger  *slog.Logger
	// SessionExpiry is how long a session's owner is remembered (the
	// broker's sessions.session_expiry).
	SessionExpiry time.Duration
	// MessageExpiry is how long the offline queue and handovers keep a
	// message (sessions.message_expiry; SessionExpiry if 0), and
	// MaxQueued how many the queue keeps per user (limits.max_queued,
	// what one session may hold; 1000 if 0).
	MessageExpiry time.Duration
	MaxQueued     int
}

// readyWait bounds how long Start waits for the embedded server;
// quorumWait how long it waits for enough nodes to keep JetStream's
// replicas (the first node of a cluster waits for the others).
const (
	readyWait  = 30 * time.Second
	quorumWait = 3 * time.Minute
)

// Start runs the embedded NATS server (or connects to cfg.NATSURL) and
// connects; Attach then feeds a broker.
func Start(cfg broker.ClusterConfig, opt Options) (*Node, error) {
	n := &Node{cfg: cfg, log: opt.Logger, users: map[string]*nats.Subscription{},
		in: make(chan *nats.Msg, inQueue), done: make(chan struct{}), started: time.Now()}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.log = n.log.With("node", cfg.NodeID)
	copts := []nats.Option{nats.Name("tachikoma-" + cfg.NodeID), nats.NoEcho(), nats.MaxReconnects(-1),
		nats.ErrorHandler(n.natsError)}
	if cfg.NATSURL != "" {
		nc, err := nats.Connect(cfg.NATSURL, copts...)
		if err != nil {
			return nil, fmt.Errorf("cluster: nats %s: %w", cfg.NATSURL, err)
		}
		n.nc = nc
	} else {
		srv, err := startServer(cfg, opt.DataDir, n.log)
		if err != nil {
			return nil, err
		}
		n.srv = srv
		nc, err := nats.Connect("", append(copts, nats.InProcessServer(srv))...)
		if err != nil {
			srv.Shutdown()
			return nil, fmt.Errorf("cluster: connect to the embedded nats server: %w", err)
		}
		n.nc = nc
	}
	if err := n.startJetStream(opt); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// startJetStream opens the key-value buckets, waiting for enough nodes to
// hold their replicas.
func (n *Node) startJetStream(opt Options) error {
	js, err := jetstream.New(n.nc)
	if err != nil {
		return fmt.Errorf("cluster: jetstream: %w", err)
	}
	replicas := n.replicas()
	deadline := time.Now().Add(quorumWait)
	for _, open := range []func(context.Context) error{
		func(ctx context.Context) error { return n.startOwners(ctx, js, replicas, opt.SessionExpiry) },
		func(ctx context.Context) error { return n.startNodes(ctx, js, replicas) },
		func(ctx context.Context) error { return n.startPresence(ctx, js, replicas) },
		func(ctx context.Context) error { return n.startQueue(ctx, js, replicas, opt) },
	} {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := open(ctx)
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%w (are the other nodes up? JetStream keeps %d copies)", err, replicas)
			}
			n.log.Info("cluster: waiting for the other nodes", "error", err)
			time.Sleep(500 * time.Millisecond)
		}
	}
	go n.refresh(opt.SessionExpiry)
	return nil
}

// replicas is how many copies JetStream keeps of what must survive a node:
// three, or one per node in a smaller cluster.
func (n *Node) replicas() int {
	if n.cfg.NATSURL != "" {
		return 3
	}
	others := 0
	for _, u := range server.RoutesFromStr(n.cfg.NATSRoutes) {
		if u.Host != n.cfg.NATSListen {
			others++
		}
	}
	return min(3, others+1)
}

// bucket names one of the cluster's key-value buckets.
func (n *Node) bucket(kind string) string { return "tachikoma_" + n.cfg.Name + "_" + kind }

// startServer runs the embedded NATS server: the broker connects in
// process, routes to the other nodes, JetStream on
// disk in the data directory.
func startServer(cfg broker.ClusterConfig, dataDir string, log *slog.Logger) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(cfg.NATSListen)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats_listen %q: %w", cfg.NATSListen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats_listen %q: bad port", cfg.NATSListen)
	}
	opts := &server.Options{
		ServerName: cfg.NodeID,
		// A client port on loopback only, picked by the system: NATS
		// starts its routes once the client listener runs.
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		NoSigs:    true,
		Cluster:   server.ClusterOpts{Name: cfg.Name, Host: host, Port: port},
		Routes:    server.RoutesFromStr(cfg.NATSRoutes),
		JetStream: true,
		StoreDir:  filepath.Join(dataDir, "nats", cfg.NodeID),
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats server: %w", err)
	}
	srv.SetLoggerV2(natsLogger{log.With("component", "nats")}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(readyWait) {
		srv.Shutdown()
		return nil, errors.New("cluster: the embedded nats server did not start (is nats_listen free?)")
	}
	return srv, nil
}

// inQueue bounds the messages waiting for this node's broker; past it NATS
// drops and natsError logs it.
const inQueue = 1 << 14

// Attach subscribes to what every node receives (rooms, presence,
// directory changes) and starts delivering to b. Call it after
// broker.New and before b.Start.
func (n *Node) Attach(b *broker.Broker) error {
	n.b = b
	n.attached.Store(b)
	for _, subj := range []string{n.subject("room", "*"), n.subject("presence", "*"), n.subject("dir")} {
		sub, err := n.nc.ChanSubscribe(subj, n.in)
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", subj, err)
		}
		n.setLimits(sub)
		n.subs = append(n.subs, sub)
	}
	if err := n.nc.Flush(); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := n.presence.start(); err != nil {
		return err
	}
	go n.run()
	return nil
}

// setLimits lets a subscription hold what the shared queue holds.
func (n *Node) setLimits(sub *nats.Subscription) {
	_ = sub.SetPendingLimits(inQueue, 64<<20)
}

// run delivers what arrives, one message at a time: one publisher's
// messages reach each subscriber in order.
func (n *Node) run() {
	for {
		select {
		case <-n.done:
			return
		case m := <-n.in:
			n.receive(m)
		}
	}
}

func (n *Node) receive(m *nats.Msg) {
	if m.Subject == n.subject("dir") {
		n.b.ReloadDirectory()
		return
	}
	pk, err := broker.DecodeForwarded(m.Data)
	if err != nil {
		n.log.Warn("cluster message dropped", "subject", m.Subject, "error", err)
		return
	}
	if t, _ := topics.Parse(pk.TopicName); t.Kind == topics.KindEvents || t.Kind == topics.KindRoomEvents {
		// An event may tell of a directory change (a friend request, a
		// membership) its node made: known here before it is delivered.
		n.b.ReloadDirectory()
	}
	pk.Origin = m.Header.Get(hdrOrigin)
	pk.Created, _ = strconv.ParseInt(m.Header.Get(hdrCreated), 10, 64)
	pk.Expiry, _ = strconv.ParseInt(m.Header.Get(hdrExpiry), 10, 64)
	n.b.DeliverForwarded(pk)
}

// Headers of a forwarded message: what mochi keeps beside the packet.
const (
	hdrOrigin  = "Tk-Origin"  // the publishing client's id (no-local)
	hdrCreated = "Tk-Created" // unix seconds
	hdrExpiry  = "Tk-Expiry"  // unix seconds, 0: none
)

// Forward publishes pk once: on its room's subject, its presence subject,
// or the subject of the user it is addressed to.
func (n *Node) Forward(pk packets.Packet) {
	t, err := topics.Parse(pk.TopicName)
	if err != nil {
		return
	}
	var subj string
	switch t.Kind {
	case topics.KindRoom, topics.KindRoomEvents:
		subj = n.subject("room", t.Room)
	case topics.KindPresence:
		subj = n.subject("presence", t.User)
	case topics.KindDM, topics.KindReplies, topics.KindEvents:
		subj = n.subject("user", t.User)
	default:
		return // requests are answered where they arrive; other topics are mochi's
	}
	data, err := broker.EncodeForwarded(pk)
	if err != nil {
		n.log.Error("cluster forward", "topic", pk.TopicName, "error", err)
		return
	}
	m := &nats.Msg{Subject: subj, Data: data, Header: nats.Header{}}
	m.Header.Set(hdrOrigin, pk.Origin)
	m.Header.Set(hdrCreated, strconv.FormatInt(pk.Created, 10))
	if pk.Expiry > 0 {
		m.Header.Set(hdrExpiry, strconv.FormatInt(pk.Expiry, 10))
	}
	if err := n.nc.PublishMsg(m); err != nil {
		n.log.Error("cluster forward", "topic", pk.TopicName, "error", err)
	}
	if t.Kind == topics.KindDM {
		n.queueIfAway(t.User, pk, data, m.Header)
	}
}

// Interest subscribes to user's subject while user has a session here.
func (n *Node) Interest(user string, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if on {
		if n.users[user] != nil {
			return
		}
		sub, err := n.nc.ChanSubscribe(n.subject("user", user), n.in)
		if err != nil {
			n.log.Error("cluster subscribe", "user", user, "error", err)
			return
		}
		n.setLimits(sub)
		n.users[user] = sub
		return
	}
	if sub := n.users[user]; sub != nil {
		_ = sub.Unsubscribe()
		delete(n.users, user)
	}
}

// DirectoryChanged tells the other nodes to reload the directory.
func (n *Node) DirectoryChanged() {
	if err := n.nc.Publish(n.subject("dir"), nil); err != nil {
		n.log.Warn("cluster directory change", "error", err)
	}
}

// Subjects are tachikoma.{cluster}.{kind}.{name}: several clusters may
// share an external NATS. Room and user names are valid subject tokens
// (topics.ValidRoom, topics.ValidUsername).
func (n *Node) subject(kind string, name ...string) string {
	return strings.Join(append([]string{"tachikoma", n.cfg.Name, kind}, name...), ".")
}

// natsError logs what the NATS client reports asynchronously, such as a
// slow consumer dropping messages for this node.
func (n *Node) natsError(_ *nats.Conn, sub *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrSlowConsumer) {
		n.dropped.Add(1)
	}
	subj := ""
	if sub != nil {
		subj = sub.Subject
	}
	n.log.Error("cluster nats", "subject", subj, "error", err)
}

// Close leaves the cluster: the subscriptions, the connection, then the
// embedded server. Close the broker first.
func (n *Node) Close() {
	select {
	case <-n.done:
		return
	default:
	}
	close(n.done)
	n.nc.Close()
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}

// natsLogger sends the NATS server's log to slog.
type natsLogger struct{ log *slog.Logger }

func (l natsLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l natsLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

// Peers is the other nodes the embedded NATS server has routes to, sorted
// (nil with an external NATS).
func (n *Node) Peers() []string {
	if n.srv == nil {
		return nil
	}
	rz, err := n.srv.Routez(nil)
	if err != nil {
		return nil
	}
	var names []string
	for _, r := range rz.Routes {
		if r.RemoteName != "" && !slices.Contains(names, r.RemoteName) {
			names = append(names, r.RemoteName)
		}
	}
	slices.Sort(names)
	return names
}
