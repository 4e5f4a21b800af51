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
// the session expiry). A user's sessions are the session index's
// (b.sessions) and the logins that claimed one and are not in it yet.
type limitsHook struct {
	mqtt.HookBase
	b *Broker

	mu     sync.Mutex
	claims map[string]map[string]*mqtt.Client // user -> client id -> the login that claimed it
}

func newLimitsHook(b *Broker) *limitsHook {
	return &limitsHook{b: b, claims: map[string]map[string]*mqtt.Client{}}
}

func (h *limitsHook) ID() string { return "tachikoma-limits" }

func (h *limitsHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnSubscribe, mqtt.OnSubscribed, mqtt.OnDisconnect, mqtt.OnClientExpired:
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
	// codes is the SUBACK mochi is about to send.
	for i, sub := range pk.Filters {
		if i >= len(codes) || codes[i] < packets.ErrUnspecifiedError.Code {
			continue
		}
		if !cl.Net.Inline {
			h.b.metrics.refusals.WithLabelValues("subscribe", subscribeRefusal(cl, sub, codes[i])).Inc()
		}
		if sub.Filter == quotaFilter && cl.Properties.ProtocolVersion >= 5 {
			codes[i] = packets.ErrQuotaExceeded.Code
		}
	}
}

// Reasons a subscription is refused, as tachikoma_refusals_total counts them.
var subscribeRefusals = []string{"quota_exceeded", "filter_too_long_or_deep", "invalid_filter", "protocol_violation", "packet_id_in_use", "not_authorized"}

// subscribeRefusal names why mochi refused sub with code, checking in
// mochi's order: MQTT 3.1.1 codes say only 0x80.
func subscribeRefusal(cl *mqtt.Client, sub packets.Subscription, code byte) string {
	switch {
	case sub.Filter == quotaFilter:
		return "quota_exceeded"
	case sub.Filter == invalidFilter:
		return "filter_too_long_or_deep"
	case cl.Properties.ProtocolVersion >= 5 && code == packets.ErrPacketIdentifierInUse.Code:
		return "packet_id_in_use"
	case !mqtt.IsValidFilter(sub.Filter, false):
		return "invalid_filter"
	case sub.NoLocal && mqtt.IsSharedFilter(sub.Filter):
		return "protocol_violation"
	default:
		return "not_authorized"
	}
}

// userSubscriptions counts the filters of user's sessions, cl's included.
func (h *limitsHook) userSubscriptions(user string, cl *mqtt.Client) int {
	h.mu.Lock()
	ids := h.sessionIDsLocked(user)
	h.mu.Unlock()
	n := cl.State.Subscriptions.Len()
	for id := range ids {
		if id == cl.ID {
			continue
		}
		if other, ok := h.b.mqtt.Clients.Get(id); ok {
			n += other.State.Subscriptions.Len()
		}
	}
	return n
}

// sessionIDsLocked is user's sessions: those mochi holds of the session
// index's, and the claims still counted (forgetting the others).
func (h *limitsHook) sessionIDsLocked(user string) map[string]bool {
	ids := map[string]bool{}
	for _, s := range h.b.sessions.sessions(user) {
		if cl, ok := h.b.mqtt.Clients.Get(s.id); ok && string(cl.Properties.Username) == user {
			ids[s.id] = true
		}
	}
	for id, cl := range h.claims[user] {
		// A claim counts while its login goes on, or while mochi holds its
		// session (which may have missed the index: a failed CONNACK).
		if cur, ok := h.b.mqtt.Clients.Get(id); cl.Closed() && (!ok || cur != cl) {
			delete(h.claims[user], id)
			continue
		}
		ids[id] = true
	}
	if len(h.claims[user]) == 0 {
		delete(h.claims, user)
	}
	return ids
}

// mayOpenSession reports whether cl's login as user may have its client
// id's session: one they already have, or a new one within
// max_sessions_per_user. If so the session is claimed, in the same step,
// so that parallel logins cannot all pass the check before any is counted.
func (h *limitsHook) mayOpenSession(user string, cl *mqtt.Client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.sessionIDsLocked(user)
	if !ids[cl.ID] && len(ids) >= h.b.cfg.Limits.MaxSessionsPerUser {
		return false
	}
	if h.claims[user] == nil {
		h.claims[user] = map[string]*mqtt.Client{}
	}
	h.claims[user][cl.ID] = cl
	return true
}

// unclaim forgets cl's claim, if it is still cl's: its login was refused,
// or its session is in the index or ended.
func (h *limitsHook) unclaim(cl *mqtt.Client) {
	user := string(cl.Properties.Username)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.claims[user][cl.ID] == cl {
		delete(h.claims[user], cl.ID)
		if len(h.claims[user]) == 0 {
			delete(h.claims, user)
		}
	}
}

// OnDisconnect runs after OnSessionEstablished put cl's session in the
// index (or after it left it, when the session ends with the connection).
func (h *limitsHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) { h.unclaim(cl) }

func (h *limitsHook) OnClientExpired(cl *mqtt.Client) { h.unclaim(cl) }
