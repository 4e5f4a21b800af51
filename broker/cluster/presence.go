package cluster

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// presence is who is online on which node, in the cluster's "presence"
// bucket: key {user}.{node}, value the presence payload, written while
// the user has a connection on that node and rewritten every
// presenceRefresh (the bucket forgets keys after presenceTTL). Every node
// watches the bucket into memory, so that "online elsewhere" is a map
// lookup; when a node's heartbeat goes stale (it died), every other node
// tells its own sessions that the users who were online only there went
// offline.
type presence struct {
	n  *Node
	kv jetstream.KeyValue

	mu     sync.Mutex
	local  map[string][]byte          // this node's online users and their payloads
	remote map[string]map[string]bool // user → nodes they are online on
	beats  map[string]time.Time       // node → its last heartbeat
}

const (
	presenceRefresh = 30 * time.Second
	presenceTTL     = 4 * presenceRefresh
)

func (n *Node) startPresence(ctx context.Context, js jetstream.JetStream, replicas int) error {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.bucket("presence"), History: 1,
		TTL: presenceTTL, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("cluster: presence bucket: %w", err)
	}
	n.presence = &presence{n: n, kv: kv, local: map[string][]byte{}, remote: map[string]map[string]bool{}, beats: map[string]time.Time{}}
	return nil
}

// start follows the buckets, once the broker is attached.
func (p *presence) start() error {
	w, err := p.kv.WatchAll(context.Background())
	if err != nil {
		return fmt.Errorf("cluster: watch presence: %w", err)
	}
	nw, err := p.n.nodes.WatchAll(context.Background())
	if err != nil {
		w.Stop()
		return fmt.Errorf("cluster: watch nodes: %w", err)
	}
	go p.watch(w, nw)
	go p.n.every(presenceRefresh, p.refresh)
	return nil
}

// Presence writes (payload) or deletes (nil) user's key for this node.
func (n *Node) Presence(user string, payload []byte) {
	p := n.presence
	key := user + "." + n.cfg.NodeID
	p.mu.Lock()
	if payload == nil {
		delete(p.local, user)
	} else {
		p.local[user] = payload
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	if payload == nil {
		err = p.kv.Delete(ctx, key)
	} else {
		_, err = p.kv.Put(ctx, key, payload)
	}
	if err != nil {
		n.log.Warn("cluster presence", "user", user, "error", err)
	}
}

// OnlineElsewhere reports user online on another node, as far as this
// node has seen.
func (n *Node) OnlineElsewhere(user string) bool {
	p := n.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	for node := range p.remote[user] {
		if node != n.cfg.NodeID {
			return true
		}
	}
	return false
}

// watch follows the presence and nodes buckets, and every second looks
// for nodes whose heartbeat went stale.
func (p *presence) watch(w, nodes jetstream.KeyWatcher) {
	defer w.Stop()
	defer nodes.Stop()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	loaded := false // the watcher sends what the bucket holds, then nil
	for {
		select {
		case <-p.n.done:
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				loaded = true
				continue
			}
			if user, payload := p.seen(e); !loaded && payload != nil {
				// Joining a running cluster: the state others last
				// published. Later ones reach the broker on the
				// presence subject, in order.
				p.n.b.PresenceKnown(user, payload)
			}
		case e, ok := <-nodes.Updates():
			if !ok {
				return
			}
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				p.mu.Lock()
				p.beats[e.Key()] = e.Created()
				p.mu.Unlock()
			}
		case <-t.C:
			p.sweep()
		}
	}
}

// seen records one change of the presence bucket, and returns the user
// and payload of another node's user.
func (p *presence) seen(e jetstream.KeyValueEntry) (string, []byte) {
	user, node, ok := strings.Cut(e.Key(), ".")
	if !ok {
		return "", nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		if nodes := p.remote[user]; nodes != nil {
			delete(nodes, node)
			if len(nodes) == 0 {
				delete(p.remote, user)
			}
		}
		return "", nil
	}
	if p.remote[user] == nil {
		p.remote[user] = map[string]bool{}
	}
	p.remote[user][node] = true
	if node == p.n.cfg.NodeID {
		return "", nil
	}
	return user, e.Value()
}

// sweep tells this node's sessions of the users who were online only on
// nodes whose heartbeat went stale.
func (p *presence) sweep() {
	now := time.Now()
	var gone []string
	p.mu.Lock()
	for user, nodes := range p.remote {
		for node := range nodes {
			if beat, ok := p.beats[node]; node != p.n.cfg.NodeID && ok && now.Sub(beat) > nodeStale {
				delete(nodes, node)
			}
		}
		if len(nodes) == 0 {
			delete(p.remote, user)
			gone = append(gone, user)
		}
	}
	p.mu.Unlock()
	for _, user := range gone {
		p.n.log.Info("cluster: user's node died, now offline", "user", user)
		p.n.b.PresenceGone(user, now.UnixMilli())
	}
}

// refresh rewrites this node's keys before the bucket forgets them.
func (p *presence) refresh() {
	p.mu.Lock()
	local := maps.Clone(p.local)
	p.mu.Unlock()
	for u, v := range local {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := p.kv.Put(ctx, u+"."+p.n.cfg.NodeID, v)
		cancel()
		if err != nil {
			p.n.log.Warn("cluster presence refresh", "user", u, "error", err)
		}
	}
}
