package broker

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// sessionIndex is every user's sessions, live or kept for later, each with
// the plain (not shared) subscriptions its client had when last looked at:
// route looks up the sessions of a topic's readers here, where mochi's
// subscription tree would give every pet (they all subscribe to tachikoma/#).
type sessionIndex struct {
	shards [64]sessionShard
}

type sessionShard struct {
	mu sync.RWMutex
	m  map[string][]*session // by user; a slice is replaced, never changed in place
	// interest, when set, is told of a user's first session here and of
	// the end of their last, under the lock so that the two stay in order
	// (a cluster's backplane).
	interest func(user string, on bool)
}

// session is one client id's entry; never changed once stored.
type session struct {
	id   string
	cl   *mqtt.Client           // the client subs were read from
	subs []packets.Subscription // cl's plain subscriptions
}

func newSessionIndex() *sessionIndex {
	x := &sessionIndex{}
	for i := range x.shards {
		x.shards[i].m = map[string][]*session{}
	}
	return x
}

// tell sets the interest callback (before any session exists).
func (x *sessionIndex) tell(interest func(user string, on bool)) {
	for i := range x.shards {
		x.shards[i].interest = interest
	}
}

func (x *sessionIndex) shard(user string) *sessionShard {
	return &x.shards[shardOf(user, uint32(len(x.shards)))]
}

// shardOf hashes a user name (FNV-1a) into one of n shards: the session
// index's and the presence tracker's locks.
func shardOf(user string, n uint32) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(user); i++ {
		h = (h ^ uint32(user[i])) * 16777619
	}
	return h % n
}

// subscriptionsOf reads cl's subscriptions: the plain ones, for the index,
// and the shared ones (for sharedSubs).
func subscriptionsOf(cl *mqtt.Client) (plain, shared []packets.Subscription) {
	for filter, sub := range cl.State.Subscriptions.GetAll() {
		sub.Identifiers = nil // Identifier is this filter's; matching merges
		if mqtt.IsSharedFilter(filter) {
			shared = append(shared, sub)
		} else {
			plain = append(plain, sub)
		}
	}
	return plain, shared
}

// plainSubscriptions is cl's plain subscriptions.
func plainSubscriptions(cl *mqtt.Client) []packets.Subscription {
	plain, _ := subscriptionsOf(cl)
	return plain
}

// put records cl, whose plain subscriptions are subs, as user's session
// under its id, replacing whatever was there under that id (a session
// taken over).
func (x *sessionIndex) put(user string, cl *mqtt.Client, subs []packets.Subscription) {
	s := &session{id: cl.ID, cl: cl, subs: subs}
	sh := x.shard(user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.setLocked(user, cl.ID, s)
}

// setLocked stores s (nil: nothing) as user's session under id.
func (sh *sessionShard) setLocked(user, id string, s *session) {
	old := sh.m[user]
	i := slices.IndexFunc(old, func(e *session) bool { return e.id == id })
	var next []*session
	switch {
	case s != nil && i < 0:
		next = append(slices.Clone(old), s)
	case s != nil:
		next = slices.Clone(old)
		next[i] = s
	case i < 0:
		return
	default:
		next = slices.Delete(slices.Clone(old), i, i+1)
	}
	if len(next) == 0 {
		delete(sh.m, user)
		if sh.interest != nil && len(old) > 0 {
			sh.interest(user, false)
		}
		return
	}
	if sh.interest != nil && len(old) == 0 {
		sh.interest(user, true)
	}
	sh.m[user] = next
}

// refresh re-reads cl's subscriptions after a SUBSCRIBE or UNSUBSCRIBE, if
// cl is the client mochi holds under its id. The check and the store are
// one step under the lock, so that a client taken over meanwhile cannot
// overwrite its successor.
func (x *sessionIndex) refresh(b *Broker, user string, cl *mqtt.Client) {
	subs := plainSubscriptions(cl)
	sh := x.shard(user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if cur, ok := b.mqtt.Clients.Get(cl.ID); ok && cur == cl {
		sh.setLocked(user, cl.ID, &session{id: cl.ID, cl: cl, subs: subs})
	}
}

// drop forgets cl, whose session has ended. If mochi already holds
// another client of user's under that id (a takeover whose
// OnSessionEstablished has not run yet), that client is stored instead.
func (x *sessionIndex) drop(b *Broker, user string, cl *mqtt.Client) {
	var next *session
	if cur, ok := b.mqtt.Clients.Get(cl.ID); ok && cur != cl && string(cur.Properties.Username) == user {
		next = &session{id: cur.ID, cl: cur, subs: plainSubscriptions(cur)}
	}
	sh := x.shard(user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	i := slices.IndexFunc(sh.m[user], func(e *session) bool { return e.id == cl.ID })
	if i < 0 || sh.m[user][i].cl != cl {
		return // already replaced by a newer client, or never stored
	}
	sh.setLocked(user, cl.ID, next)
}

// sessions is user's sessions; the slice must not be changed.
func (x *sessionIndex) sessions(user string) []*session {
	sh := x.shard(user)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[user]
}

// users is every user with a session.
func (x *sessionIndex) users() []string {
	var names []string
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.RLock()
		for name := range sh.m {
			names = append(names, name)
		}
		sh.mu.RUnlock()
	}
	return names
}

// sharedSubs is the shared subscriptions ($share/{group}/{filter}) that may
// cover Tachikoma topics: filter → client id → subscription. A message goes
// to one member of each group that may read it, as mochi's groups work.
// They are few, so a delivery checks each.
type sharedSubs struct {
	mu      sync.Mutex
	m       map[string]map[string]packets.Subscription
	filters atomic.Int32 // len(m), read without the lock on every delivery
}

func (s *sharedSubs) add(cl *mqtt.Client, sub packets.Subscription) {
	if !mayCoverRouted(unshared(sub.Filter)) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.count()
	if s.m == nil {
		s.m = map[string]map[string]packets.Subscription{}
	}
	if s.m[sub.Filter] == nil {
		s.m[sub.Filter] = map[string]packets.Subscription{}
	}
	s.m[sub.Filter][cl.ID] = sub
}

func (s *sharedSubs) remove(id, filter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.count()
	if members := s.m[filter]; members != nil {
		delete(members, id)
		if len(members) == 0 {
			delete(s.m, filter)
		}
	}
}

// count publishes len(s.m); the caller holds s.mu.
func (s *sharedSubs) count() { s.filters.Store(int32(len(s.m))) }

// removeClient forgets every shared subscription of client id.
func (s *sharedSubs) removeClient(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.count()
	for filter, members := range s.m {
		delete(members, id)
		if len(members) == 0 {
			delete(s.m, filter)
		}
	}
}

// picks chooses, for each group covering topic, a member that may read it
// and is not in got.
func (s *sharedSubs) picks(b *Broker, topic string, got func(*mqtt.Client) bool) []target {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []target
	for filter, members := range s.m {
		if !topics.Matches(unshared(filter), topic) {
			continue
		}
		for id, sub := range members { // map order: a random member, as mochi picks
			cl, ok := b.mqtt.Clients.Get(id)
			if ok {
				_, ok = cl.State.Subscriptions.Get(filter) // a clean session under the same id has not
			}
			if !ok {
				delete(members, id)
				if len(members) == 0 {
					delete(s.m, filter)
					s.count()
				}
				continue
			}
			if got(cl) || !b.mayReceive(cl, topic) {
				continue
			}
			out = append(out, target{cl, sub}) // stored without Identifiers (granted, subscriptionsOf)
			break
		}
	}
	return out
}

// mayCoverRouted reports whether filter can match a Tachikoma topic, which
// the broker delivers itself.
func mayCoverRouted(filter string) bool {
	first, _, _ := strings.Cut(filter, "/")
	return first == topics.Root || first == "+" || first == "#"
}

// empty reports no shared subscription covering Tachikoma topics, the
// usual case, without building anything.
func (s *sharedSubs) empty() bool { return s.filters.Load() == 0 }
