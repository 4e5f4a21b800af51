package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The sessions and cursors buckets forget an entry not written within
// their TTL (the session expiry): a node rewrites the claims of the
// sessions it holds, and the cursors of the persistent ones, while they
// live, so that a session older than the TTL is still waited for when
// taken over and still takes the offline queue from where it was.

// maxRefresh bounds the interval between refreshes with a long TTL.
const maxRefresh = 6 * time.Hour

// refreshWait bounds each key-value call of a refresh.
const refreshWait = 5 * time.Second

// refreshEvery is how often a node rewrites what lives ttl: four times
// within it, so a late or failed round is made up in time.
func refreshEvery(ttl time.Duration) time.Duration {
	return max(min(ttl/4, maxRefresh), 100*time.Millisecond)
}

// refresh rewrites this node's claims and cursors every refreshEvery(ttl)
// until the node closes; with no TTL the buckets forget nothing.
func (n *Node) refresh(ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	n.every(refreshEvery(ttl), n.refreshOnce)
}

// refreshItem is one claim to rewrite, copied out of the lock.
type refreshItem struct {
	key        string
	c          *claim
	rev        uint64
	persistent bool
}

// refreshOnce rewrites each local claim conditionally on its revision (a
// mismatch is a later claim from another node, which the watcher ends
// this session for), and the cursor of each persistent one older than
// half the cursors' TTL. A claim whose handover is awaited keeps its revision: the
// handover is matched to it.
func (n *Node) refreshOnce() {
	o := n.owners
	o.mu.Lock()
	items := make([]refreshItem, 0, len(o.local))
	for key, c := range o.local {
		if c.rev == 0 || c.awaits && !c.waited {
			continue
		}
		items = append(items, refreshItem{key: key, c: c, rev: c.rev, persistent: c.persistent})
	}
	o.mu.Unlock()
	me := []byte(n.cfg.NodeID)
	for _, it := range items {
		select {
		case <-n.done:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), refreshWait)
		rev, err := o.kv.Update(ctx, it.key, me, it.rev)
		switch {
		case err == nil:
			o.mu.Lock()
			// A session ended, or started again, meanwhile has a claim of
			// its own.
			if o.local[it.key] == it.c && it.c.rev == it.rev {
				it.c.rev = rev
			}
			o.mu.Unlock()
		case !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			n.log.Warn("cluster session refresh", "client", it.c.id, "error", err)
		}
		if err == nil && it.persistent {
			n.refreshCursor(ctx, it.key)
		}
		cancel()
	}
}

// refreshCursor writes the cursor of key again with its own value if it
// is old (moveCursor), conditionally on the revision read: a mismatch is
// another node moving it, which wrote it too.
func (n *Node) refreshCursor(ctx context.Context, key string) {
	e, err := n.cursors.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return // takeQueue starts it again
	}
	var c storedCursor
	if err == nil {
		c, err = storedFrom(key, e)
	}
	if err != nil {
		n.log.Warn("cluster queue cursor refresh", "key", key, "error", err)
		return
	}
	n.moveCursor(ctx, c, c.cur)
}
