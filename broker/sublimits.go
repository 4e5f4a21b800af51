package broker

import (
	"fmt"
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// limitsHook bounds what one user's subscriptions may make the broker hold:
// filters per session and per user, a filter's length and depth, and the
// number of sessions a user keeps (each holds its filters and queue for
// the session expiry).
type limitsHook struct {
	mqtt.HookBase
	b *Broker

	mu       sync.Mutex
	sessions map[string]map[string]struct{} // user -> client ids that have a session
}

func newLimitsHook(b *Broker) *limitsHook {
	return &limitsHook{b: b, sessions: map[string]map[string]struct{}{}}
}

func (h *limitsHook) ID() string { return "tachikoma-limits" }

func (h *limitsHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnSubscribe, mqtt.OnSubscribed, mqtt.OnSessionEstablish, mqtt.OnDisconnect, mqtt.OnClientExpired:
		return true
	}
	return false
}

// Refused filters are replaced by invalid ones, so that mochi neither
// stores them nor asks the ACL about them, and answers them as invalid
// (0x80 on 3.1.1); OnSubscribed turns a quota refusal into 0x97 on MQTT 5.
const (
	quotaFilter   = "#/quota exceeded"
	invalidFilter = "#/filter too long or too deep"
)

func (h *limitsHook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline {
		return pk
	}
	lim := h.b.cfg.Limits
	user := string(cl.Properties.Username)
	perSession := cl.State.Subscriptions.Len()
	perUser := h.userSubscriptions(user, cl)
	filters := make(packets.Subscriptions, len(pk.Filters))
	copy(filters, pk.Filters)
	var shape, quota int
	for i, sub := range filters {
		switch {
		case len(sub.Filter) > lim.MaxTopicBytes || strings.Count(sub.Filter, "/")+1 > lim.MaxTopicLevels:
			filters[i].Filter = invalidFilter
			shape++
		case func() bool { _, ok := cl.State.Subscriptions.Get(sub.Filter); return ok }():
			// a resubscription replaces, it adds nothing
		case perSession >= lim.MaxSubscriptionsPerSession || perUser >= lim.MaxSubscriptionsPerUser:
			filters[i].Filter = quotaFilter
			quota++
		default:
			perSession++
			perUser++
		}
	}
	if shape+quota == 0 {
		return pk
	}
	pk.Filters = filters
	h.b.log.Info("subscriptions refused", "user", user, "client", cl.ID, "over_quota", quota, "too_long_or_deep", shape)
	var why []string
	if quota > 0 {
		why = append(why, fmt.Sprintf("%d over the limit of %d subscriptions per connection and %d in all",
			quota, lim.MaxSubscriptionsPerSession, lim.MaxSubscriptionsPerUser))
	}
	if shape > 0 {
		why = append(why, fmt.Sprintf("%d longer than %d bytes or deeper than %d levels", shape, lim.MaxTopicBytes, lim.MaxTopicLevels))
	}
	h.b.notice(user, "Subscriptions refused: "+strings.Join(why, "; ")+".")
	return pk
}

func (h *limitsHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, codes []byte) {
	if cl.Properties.ProtocolVersion < 5 {
		return
	}
	// codes is the SUBACK mochi is about to send.
	for i, sub := range pk.Filters {
		if i < len(codes) && sub.Filter == quotaFilter {
			codes[i] = packets.ErrQuotaExceeded.Code
		}
	}
}

// userSubscriptions counts the filters of user's sessions, cl's included.
func (h *limitsHook) userSubscriptions(user string, cl *mqtt.Client) int {
	n := cl.State.Subscriptions.Len()
	for _, id := range h.sessionIDs(user) {
		if id == cl.ID {
			continue
		}
		if other, ok := h.b.mqtt.Clients.Get(id); ok {
			n += other.State.Subscriptions.Len()
		}
	}
	return n
}

// sessionIDs lists user's sessions, forgetting those mochi no longer has.
func (h *limitsHook) sessionIDs(user string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for id := range h.sessions[user] {
		if cl, ok := h.b.mqtt.Clients.Get(id); !ok || string(cl.Properties.Username) != user {
			delete(h.sessions[user], id)
			continue
		}
		ids = append(ids, id)
	}
	if len(h.sessions[user]) == 0 {
		delete(h.sessions, user)
	}
	return ids
}

// mayOpenSession reports whether user may connect with client id: a session
// they already have, or a new one within max_sessions_per_user.
func (h *limitsHook) mayOpenSession(user, id string) bool {
	ids := h.sessionIDs(user)
	for _, have := range ids {
		if have == id {
			return true
		}
	}
	return len(ids) < h.b.cfg.Limits.MaxSessionsPerUser
}

// OnSessionEstablish runs before the CONNACK, so that a client's next
// connection already finds its session counted.
func (h *limitsHook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	if cl.Net.Inline {
		return
	}
	user := string(cl.Properties.Username)
	h.mu.Lock()
	if h.sessions[user] == nil {
		h.sessions[user] = map[string]struct{}{}
	}
	h.sessions[user][cl.ID] = struct{}{}
	h.mu.Unlock()
}

func (h *limitsHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if expire && !cl.IsTakenOver() {
		h.ended(cl)
	}
}

func (h *limitsHook) OnClientExpired(cl *mqtt.Client) { h.ended(cl) }

func (h *limitsHook) ended(cl *mqtt.Client) {
	user := string(cl.Properties.Username)
	h.mu.Lock()
	delete(h.sessions[user], cl.ID)
	if len(h.sessions[user]) == 0 {
		delete(h.sessions, user)
	}
	h.mu.Unlock()
}
