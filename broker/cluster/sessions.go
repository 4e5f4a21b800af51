package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// owners is who holds each client id's session, in the cluster's
// "sessions" key-value bucket: key the id's hash, value the node. A node
// that starts a session writes its claim; every node watches the bucket
// and ends its own session of that id when a later claim (a higher
// revision) comes from another node, so a client id has one session in the
// cluster, as on one broker [MQTT-3.1.4-2].
type owners struct {
	n  *Node
	kv jetstream.KeyValue

	mu    sync.Mutex
	local map[string]*claim // by key: the sessions this node holds
}

// claim is this node's session of one client id: when it started, the
// revision it claimed it at (0 while the write is on its way), the
// revisions other nodes claimed it at meanwhile, and the handover it
// awaits.
type claim struct {
	id      string
	started time.Time
	rev     uint64
	foreign []uint64
	awaits  bool // a handover from the node it took the session from
	waited  bool // which came, or was waited for long enough
	failed  bool // not written: any claim from another node ends it
	// persistent: its cursor in the offline queue is kept (refresh.go)
	persistent bool
}

// after is the first claim other nodes wrote after revision rev, 0 if
// none: the one this session is handed over to (a later one takes it
// from that claimant in turn).
func (c *claim) after(rev uint64) uint64 {
	var first uint64
	for _, r := range c.foreign {
		if r > rev && (first == 0 || r < first) {
			first = r
		}
	}
	return first
}

// ownerKey is a client id as a key (ids may hold any character, keys may
// not).
func ownerKey(clientID string) string {
	h := sha256.Sum256([]byte(clientID))
	return hex.EncodeToString(h[:16])
}

func (n *Node) startOwners(ctx context.Context, js jetstream.JetStream, replicas int, expiry time.Duration) error {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.bucket("sessions"), History: 1,
		TTL: expiry, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("cluster: sessions bucket: %w", err)
	}
	o := &owners{n: n, kv: kv, local: map[string]*claim{}}
	w, err := kv.WatchAll(context.Background(), jetstream.UpdatesOnly(), jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("cluster: watch sessions: %w", err)
	}
	n.owners = o
	go o.watch(w)
	return nil
}

// SessionStarted claims clientID's session for this node; another node
// holding it ends its own and hands over what it held, which the session
// here then awaits. A persistent session gets its place in the offline
// queue now, so that what is queued while it is away is its, on any node.
func (n *Node) SessionStarted(clientID string, persistent bool) {
	o := n.owners
	key := ownerKey(clientID)
	c := &claim{id: clientID, started: time.Now(), persistent: persistent}
	o.mu.Lock()
	o.local[key] = c
	o.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), claimWait)
	defer cancel()
	rev, from, err := o.claim(ctx, key)
	if err == nil && persistent {
		if _, err := n.startCursor(ctx, key, c.started); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			n.log.Warn("cluster queue cursor", "client", clientID, "error", err)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		n.log.Error("cluster session claim", "client", clientID, "error", err)
		if o.local[key] != c {
			return
		}
		first := c.after(0)
		if first == 0 {
			c.failed = true
			return
		}
		// Another node claimed the id meanwhile: with no claim of its own
		// this session would be a second one.
		delete(o.local, key)
		go func() { n.handOver(key, first, n.b.EndSession(clientID)) }()
		return
	}
	n.log.Debug("cluster session claimed", "client", clientID, "revision", rev, "from", from)
	c.rev = rev
	if next := c.after(rev); next != 0 && o.local[key] == c {
		delete(o.local, key)
		go func() { n.handOver(key, next, n.b.EndSession(clientID)) }() // a later claim arrived first: it wins
		return
	}
	if from != "" && from != n.cfg.NodeID {
		// Awaited even if from looks dead: a loaded node's heartbeat may
		// be late, and the wait is bounded.
		c.awaits = true
		n.b.AwaitHandover(clientID)
		go n.awaitHandover(clientID, rev)
	}
}

// claimWait bounds how long a session start tries to claim its client id.
const claimWait = 10 * time.Second

// claim writes this node as the owner of key and returns the revision
// written and the node that owned it before ("" if none). A read may come
// from a replica behind the bucket's leader (direct get), so the write
// is conditional on the entry read, and read again when that was stale:
// a previous owner missed would never be waited for, and what its session
// held would be lost.
func (o *owners) claim(ctx context.Context, key string) (uint64, string, error) {
	me := []byte(o.n.cfg.NodeID)
	for {
		var rev uint64
		from := ""
		e, err := o.kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			rev, err = o.kv.Create(ctx, key, me)
		case err == nil:
			from = string(e.Value())
			rev, err = o.kv.Update(ctx, key, me, e.Revision())
		}
		if err == nil {
			return rev, from, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			o.n.log.Warn("cluster session claim, trying again", "key", key, "error", err)
		}
		select {
		case <-ctx.Done():
			return 0, "", fmt.Errorf("claim %s: %w (last: %w)", key, ctx.Err(), err)
		case <-o.n.done:
			return 0, "", errors.New("cluster node closed")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// started is when this node's session of clientID started, the zero time
// if it holds none.
func (o *owners) started(clientID string) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c := o.local[ownerKey(clientID)]; c != nil {
		return c.started
	}
	return time.Time{}
}

// finish records that the wait for the handover to clientID's claim at
// revision rev is over, and reports this node's session still under
// that claim.
func (o *owners) finish(clientID string, rev uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.local[ownerKey(clientID)]
	if c == nil || c.rev != rev {
		return false
	}
	c.waited = true
	return true
}

// waited reports the wait for a handover to this node's claim of
// clientID over, or none awaited.
func (o *owners) waited(clientID string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.local[ownerKey(clientID)]
	return c == nil || !c.awaits || c.waited
}

// revision is the revision of this node's claim of clientID, 0 if none.
func (o *owners) revision(clientID string) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c := o.local[ownerKey(clientID)]; c != nil {
		return c.rev
	}
	return 0
}

// SessionEnded forgets clientID's session here.
func (n *Node) SessionEnded(clientID string) {
	o := n.owners
	o.mu.Lock()
	delete(o.local, ownerKey(clientID))
	o.mu.Unlock()
}

// watch ends this node's sessions that another node claimed later.
func (o *owners) watch(w jetstream.KeyWatcher) {
	defer w.Stop()
	for {
		select {
		case <-o.n.done:
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil || string(e.Value()) == o.n.cfg.NodeID {
				continue
			}
			o.mu.Lock()
			c := o.local[e.Key()]
			end := c != nil && (c.rev != 0 && c.rev < e.Revision() || c.failed)
			if c != nil && c.rev == 0 {
				c.foreign = append(c.foreign, e.Revision())
			}
			if end {
				delete(o.local, e.Key())
			}
			o.mu.Unlock()
			if b := o.n.attached.Load(); end && b != nil {
				// Started before Attach: the broker through the atomic.
				go o.n.handOver(e.Key(), e.Revision(), b.EndSession(c.id))
			}
		}
	}
}
