package broker

import (
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// ExpireClient cuts a client's connection as a network failure would (so
// its will is sent).
func (b *Broker) ExpireClient(id string) {
	// Closing the socket, not cl.Stop: a client stopped before its read
	// loop starts ends "cleanly" in mochi, and its will is discarded.
	if cl, ok := b.mqtt.Clients.Get(id); ok && cl.Net.Conn != nil {
		cl.Net.Conn.Close()
	}
}

// QueuedExpiry is the earliest expiry among messages queued for an offline
// client id.
func (b *Broker) QueuedExpiry(id string) (time.Time, bool) {
	cl, ok := b.mqtt.Clients.Get(id)
	if !ok {
		return time.Time{}, false
	}
	var first int64
	for _, pk := range cl.State.Inflight.GetAll(false) {
		if first == 0 || pk.Expiry < first {
			first = pk.Expiry
		}
	}
	return time.Unix(first, 0), first != 0
}

// ClientConnected reports whether client id has a live connection.
func (b *Broker) ClientConnected(id string) bool {
	cl, ok := b.mqtt.Clients.Get(id)
	return ok && !cl.Closed()
}

// QueuedTopics lists the topics of messages queued for a client id.
func (b *Broker) QueuedTopics(id string) []string {
	cl, ok := b.mqtt.Clients.Get(id)
	if !ok {
		return nil
	}
	var out []string
	for _, pk := range cl.State.Inflight.GetAll(false) {
		out = append(out, pk.TopicName)
	}
	return out
}

// PresenceOf is user's live connection count and presence payload, read
// under the lock that orders their changes (a consistent pair).
func (b *Broker) PresenceOf(user string) (connections int, payload []byte) {
	p := b.presence
	o := p.orderOf(user)
	o.Lock()
	defer o.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[user], p.last[user]
}

// RouteTargets is the client ids a message on topic would be delivered to.
func (b *Broker) RouteTargets(topic string) []string {
	var ids []string
	for _, t := range b.routeTargets(topic) {
		ids = append(ids, t.cl.ID)
	}
	slices.Sort(ids)
	return ids
}

// Readers is the users whose sessions a message on topic is checked against.
func (b *Broker) Readers(topic string) []string {
	names, everyone := b.policy.Readers(topic)
	if everyone {
		names = b.sessions.users()
	}
	slices.Sort(names)
	return names
}

// IndexedSessions is how many sessions of user deliveries look at.
func (b *Broker) IndexedSessions(user string) int { return len(b.sessions.sessions(user)) }

// PacketsRead is how many packets mochi has read from clients.
func (b *Broker) PacketsRead() int64 { return atomic.LoadInt64(&b.mqtt.Info.PacketsReceived) }

// BytesRead is how many bytes mochi's $SYS counters say were received.
func (b *Broker) BytesRead() int64 { return atomic.LoadInt64(&b.mqtt.Info.BytesReceived) }

// InflightCount is mochi's $SYS count of deliveries awaiting acknowledgement.
func (b *Broker) InflightCount() int64 { return atomic.LoadInt64(&b.mqtt.Info.Inflight) }

// PasswordChecks is how many argon2id verifications the broker has made.
func (b *Broker) PasswordChecks() int64 { return b.hashes.Load() }

// InjectPublish hands pk to mochi as if client id had sent it: mochi's
// whole publish path, its delivery included for a topic outside tachikoma/.
func (b *Broker) InjectPublish(id string, pk packets.Packet) error {
	cl, ok := b.mqtt.Clients.Get(id)
	if !ok {
		return fmt.Errorf("no client %s", id)
	}
	return b.mqtt.InjectPacket(cl, pk)
}

// RoutePublish delivers pk as from client id through route, as the chat
// hook hands over a message it accepted.
func (b *Broker) RoutePublish(id string, pk packets.Packet) {
	pk.Origin = id
	b.route(pk)
}

// SetMaximumQos sets mochi's maximum QoS capability.
func (b *Broker) SetMaximumQos(qos byte) { b.mqtt.Options.Capabilities.MaximumQos = qos }

// MessagesSent is mochi's $SYS count of PUBLISH packets sent.
func (b *Broker) MessagesSent() int64 { return atomic.LoadInt64(&b.mqtt.Info.MessagesSent) }

// SessionExists reports whether mochi holds a session for client id.
func (b *Broker) SessionExists(id string) bool {
	_, ok := b.mqtt.Clients.Get(id)
	return ok
}

// PendingConnections is how many connections have not logged in yet.
func (b *Broker) PendingConnections() int { return b.gate.Pending() }

// TunesRuntime reports whether the broker trims memory and keeps
// publishers' stacks (Options.TuneRuntime).
func (b *Broker) TunesRuntime() bool { return b.untrim != nil }

// MochiClient is mochi's client for id.
func (b *Broker) MochiClient(id string) (*mqtt.Client, bool) { return b.mqtt.Clients.Get(id) }

// LoginsInProgress is how many logins from addr are admitted and not ended.
func (b *Broker) LoginsInProgress(addr string) int {
	b.guard.mu.Lock()
	defer b.guard.mu.Unlock()
	if r := b.guard.recs["a:"+addressKey(addr)]; r != nil {
		return r.pending
	}
	return 0
}

// HashSlots is how many password checks the broker runs at once.
func (b *Broker) HashSlots() int { return cap(b.hashSlot) }

// HTTPHandler is the HTTP API's handler, for a broker whose listener cannot
// be reached (TLS without a certificate yet).
func (b *Broker) HTTPHandler() http.Handler { return b.httpHandler() }

// ExpirePending runs the sweep of pending accounts past
// registration.pending_expiry once.
func (b *Broker) ExpirePending() { b.expirePending() }
