package broker

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// presenceTracker counts each user's live connections, keeps everyone's last
// presence, and delivers it: the change to current subscribers when the
// first connection opens or the last one closes, and the current state to
// a new subscription, with the retain flag, as a retained message would be.
//
// Not in mochi's retained store, which its event loop copies whole every
// second and which finds a user's friends by scanning every presence; here
// a change looks only at the sessions of the user and their friends
// (route). The measurements are in docs/PERFORMANCE.md.
type presenceTracker struct {
	b *Broker

	// order serialises each user's changes and their delivery (one of
	// these locks per user, by hash), so that subscribers see a quick
	// online/offline pair in order; different users proceed in parallel.
	order [64]sync.Mutex

	mu   sync.Mutex        // guards n and last, held only briefly
	n    map[string]int    // live connections per user
	last map[string][]byte // each user's presence payload

	// Whether each filter of a SUBSCRIBE in progress already existed, from
	// OnSubscribe to OnSubscribed, for MQTT 5 retain handling 1.
	existed sync.Map // *mqtt.Client → []bool
}

func newPresenceTracker(b *Broker) *presenceTracker {
	return &presenceTracker{b: b, n: map[string]int{}, last: map[string][]byte{}}
}

func (p *presenceTracker) Online(user string) bool {
	p.mu.Lock()
	here := p.n[user] > 0
	p.mu.Unlock()
	return here || p.b.backplane != nil && p.b.backplane.OnlineElsewhere(user)
}

// orderOf is the lock that orders user's changes.
func (p *presenceTracker) orderOf(user string) *sync.Mutex {
	return &p.order[shardOf(user, uint32(len(p.order)))]
}

func (p *presenceTracker) connected(user string) {
	o := p.orderOf(user)
	o.Lock()
	defer o.Unlock()
	p.mu.Lock()
	p.n[user]++
	first := p.n[user] == 1
	p.mu.Unlock()
	if first {
		p.set(user, topics.Presence{Status: topics.Online, TS: p.b.now().UnixMilli(), Nick: p.b.dir.Nickname(user)}, true)
		if bp := p.b.backplane; bp != nil {
			bp.Presence(user, p.get(user))
		}
	}
}

// disconnected counts a connection closed.
func (p *presenceTracker) disconnected(user string) {
	o := p.orderOf(user)
	o.Lock()
	p.mu.Lock()
	p.n[user]--
	last := p.n[user] <= 0
	if last {
		delete(p.n, user)
	}
	p.mu.Unlock()
	if !last {
		o.Unlock()
		return
	}
	if bp := p.b.backplane; bp != nil {
		bp.Presence(user, nil)
		if bp.OnlineElsewhere(user) {
			o.Unlock() // still online on another node: friends see no change
			return
		}
	}
	if _, exists := p.b.dir.User(user); !exists {
		// Removed while connected (reloadFromStore disconnects them): no
		// presence, no last seen for an account that is gone.
		p.mu.Lock()
		delete(p.last, user)
		p.mu.Unlock()
		o.Unlock()
		return
	}
	now := p.b.now().UnixMilli()
	p.set(user, topics.Presence{Status: topics.Offline, TS: now, Nick: p.b.dir.Nickname(user)}, true)
	o.Unlock()
	// A database write: outside the lock, which other users share.
	if err := p.b.dir.SetLastSeen(context.Background(), user, now); err != nil {
		p.b.log.Debug("last seen", "user", user, "error", err)
	}
}

// set records user's presence and, when tell, delivers the change; the
// caller holds user's order lock. Deliveries never wait for a peer
// (conn.Conn).
func (p *presenceTracker) set(user string, pr topics.Presence, tell bool) {
	payload, _ := json.Marshal(pr)
	p.mu.Lock()
	p.last[user] = payload
	p.mu.Unlock()
	if tell {
		p.b.route(presencePacket(user, payload)) // to user's and their friends' sessions
	}
}

// Renamed puts user's new nickname into their presence and tells their
// friends, whose clients show the name presence carries.
func (p *presenceTracker) Renamed(user string) {
	o := p.orderOf(user)
	o.Lock()
	defer o.Unlock()
	p.mu.Lock()
	last, here := p.last[user], p.n[user] > 0
	p.mu.Unlock()
	var pr topics.Presence
	if last == nil || json.Unmarshal(last, &pr) != nil {
		return // never seen: the first presence reads the nickname
	}
	pr.Nick = p.b.dir.Nickname(user)
	p.set(user, pr, true)
	if bp := p.b.backplane; bp != nil && here {
		bp.Presence(user, p.get(user))
	}
}

// Befriended tells each of two new friends the other's current presence:
// like a retained message that has just become theirs to read.
func (p *presenceTracker) Befriended(a, b string) {
	for _, pair := range [2][2]string{{a, b}, {b, a}} {
		about, to := pair[0], pair[1]
		o := p.orderOf(about)
		o.Lock()
		if payload := p.get(about); payload != nil {
			pk := presencePacket(about, payload)
			p.b.deliverAll(pk, p.b.targets(nil, []string{to}, pk.TopicName))
		}
		o.Unlock()
	}
}

func (p *presenceTracker) get(user string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last[user]
}

// forget drops the presence of a removed account, so a new account with the
// same name does not inherit it.
func (p *presenceTracker) forget(user string) {
	o := p.orderOf(user)
	o.Lock()
	defer o.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.last, user)
}

// restore records an offline state for every user who has been seen, so
// friends see "last seen" after a broker restart too.
func (p *presenceTracker) restore() {
	for _, name := range p.b.dir.Members(topics.Lobby) {
		u, _ := p.b.dir.User(name)
		if u.LastSeen == 0 {
			continue
		}
		o := p.orderOf(name)
		o.Lock()
		if !p.Online(name) {
			p.set(name, topics.Presence{Status: topics.Offline, TS: u.LastSeen, Nick: u.Nickname}, false)
		}
		o.Unlock()
	}
}

// remote records a presence another node delivered (DeliverForwarded):
// the state a new subscription here is sent.
func (p *presenceTracker) remote(user string, payload []byte) {
	o := p.orderOf(user)
	o.Lock()
	defer o.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[user] = payload
}

// gone marks user offline after the node that held their sessions
// died, and tells this node's sessions only: every node does the same
// for its own.
func (p *presenceTracker) gone(user string, ts int64) {
	o := p.orderOf(user)
	o.Lock()
	defer o.Unlock()
	p.mu.Lock()
	here := p.n[user] > 0
	p.mu.Unlock()
	if here {
		return
	}
	payload, _ := json.Marshal(topics.Presence{Status: topics.Offline, TS: ts, Nick: p.b.dir.Nickname(user)})
	p.mu.Lock()
	p.last[user] = payload
	p.mu.Unlock()
	pk := presencePacket(user, payload)
	p.b.deliverAll(pk, p.b.routeTargets(pk.TopicName))
}

// presencePacket is user's presence as the broker publishes it: QoS 1 (a
// friend's offline session queues it), retained.
func presencePacket(user string, payload []byte) packets.Packet {
	return packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1, Retain: true},
		TopicName:   topics.PresenceTopic(user),
		Payload:     payload,
		Created:     time.Now().Unix(),
	}
}

// noteExisting remembers which of a SUBSCRIBE's filters the client already
// had, before mochi adds them.
func (p *presenceTracker) noteExisting(cl *mqtt.Client, pk packets.Packet) {
	existed := make([]bool, len(pk.Filters))
	any := false
	for i, sub := range pk.Filters {
		if sub.RetainHandling == 1 {
			_, existed[i] = cl.State.Subscriptions.Get(sub.Filter)
			any = any || existed[i]
		}
	}
	if any {
		p.existed.Store(cl, existed)
	}
}

// subscribed sends the presence each granted filter of a SUBSCRIBE covers,
// as mochi sends retained messages: retain flag set, MQTT 5 retain handling
// honoured, nothing for a shared subscription [MQTT-3.8.4-4]. The
// subscriber's own and their friends' are the only ones they may read.
// This runs just before mochi writes the SUBACK, which MQTT allows.
func (p *presenceTracker) subscribed(cl *mqtt.Client, pk packets.Packet, codes []byte) {
	var existed []bool
	if v, ok := p.existed.LoadAndDelete(cl); ok {
		existed = v.([]bool)
	}
	if cl.Net.Inline {
		return
	}
	user := string(cl.Properties.Username)
	var candidates []string
	for i, sub := range pk.Filters {
		if i >= len(codes) || codes[i] >= packets.ErrUnspecifiedError.Code {
			continue
		}
		if mqtt.IsSharedFilter(sub.Filter) {
			continue // no retained messages for a shared subscription [MQTT-3.8.4-4]
		}
		if sub.RetainHandling == 2 || sub.RetainHandling == 1 && i < len(existed) && existed[i] {
			continue // [MQTT-3.3.1-10] [MQTT-3.3.1-11]
		}
		if !mayCoverPresence(sub.Filter) {
			continue
		}
		if candidates == nil {
			candidates = append(p.b.dir.Friends(user), user)
		}
		sub = granted(sub, codes[i])
		for _, name := range candidates {
			topic := topics.PresenceTopic(name)
			if !topics.Matches(sub.Filter, topic) {
				continue
			}
			// Under name's order lock: a change delivered meanwhile comes
			// after this state, never before it.
			o := p.orderOf(name)
			o.Lock()
			if payload := p.get(name); payload != nil {
				f := fanout{b: p.b, pk: p.b.outgoing(presencePacket(name, payload)), now: time.Now().Unix(), forwardRetained: true}
				f.deliver(cl, sub)
			}
			o.Unlock()
		}
	}
}

// granted is sub as deliveries use it: the QoS the SUBACK granted.
func granted(sub packets.Subscription, code byte) packets.Subscription {
	sub.Qos = min(code, sub.Qos)
	sub.Identifiers = nil
	return sub
}

// unshared is the topic filter of a shared subscription, $share/{group}/{filter}.
func unshared(filter string) string {
	parts := strings.SplitN(filter, "/", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// mayCoverPresence reports whether filter can match some presence topic
// (tachikoma/presence/{user}), before it is matched against each friend's.
func mayCoverPresence(filter string) bool {
	want := [...]string{topics.Root, "presence"}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		switch {
		case l == "#":
			return true
		case i < len(want):
			if l != "+" && l != want[i] {
				return false
			}
		default:
			// tachikoma/presence/{user}, or .../{user}/#, which MQTT has
			// match its parent [MQTT-4.7.1-2]
			return len(levels) == len(want)+1 || len(levels) == len(want)+2 && levels[len(want)+1] == "#"
		}
	}
	return false
}
