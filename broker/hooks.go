package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/broker/requests"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// dummyHash is verified against when the user does not exist, so that a
// wrong username takes as long as a wrong password; it is made on first use,
// as hashing at start-up costs every program linking the broker (the pet too).
// codePending refuses the login of an account waiting for approval (MQTT 5
// "not authorized" with its own reason string).
var codePending = packets.Code{Code: packets.ErrNotAuthorized.Code, Reason: errPending.Error()}

var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("tachikoma-dummy-password", password.Default)
	return h
})

// authHook checks CONNECT: password, will topic and client-id ownership. The
// check runs in OnConnect, where a precise CONNACK can still be sent;
// OnConnectAuthenticate then only reads the verdict.
type authHook struct {
	mqtt.HookBase
	b        *Broker
	verified sync.Map // *mqtt.Client -> struct{}
}

func (h *authHook) ID() string { return "tachikoma-auth" }

// Provides is asked by mochi for every hook on every event, deliveries
// included: it must not allocate.
func (h *authHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnDisconnect:
		return true
	}
	return false
}

func remoteHost(cl *mqtt.Client) string {
	host, _, err := net.SplitHostPort(cl.Net.Remote)
	if err != nil {
		return cl.Net.Remote
	}
	return host
}

func (h *authHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	user, pw := string(pk.Connect.Username), string(pk.Connect.Password)
	addr := remoteHost(cl)
	refuse := func(code packets.Code, why string) error {
		h.b.log.Info("login refused", "user", user, "remote", cl.Net.Remote, "client", cl.ID, "reason", why)
		if cl.Properties.ProtocolVersion < 5 {
			// mochi has no 3.1.1 mapping for these codes, and an unknown
			// CONNACK code reads as success to some clients (paho).
			switch code {
			case packets.ErrNotAuthorized:
				code = packets.Err3NotAuthorized
			case codePending:
				// mochi answers a wrong password with 0x05, so the
				// otherwise unused 0x04 tells the pet (docs/PROTOCOL.md).
				code = packets.ErrMalformedUsernameOrPassword
			case packets.ErrServerBusy, packets.ErrQuotaExceeded:
				code = packets.Err3ServerUnavailable
			}
		}
		h.b.metrics.refused("connect", code)
		_ = h.b.mqtt.SendConnack(cl, code, false, nil)
		return code
	}
	name := user
	if !pk.Connect.UsernameFlag || !topics.ValidUsername(user) {
		name = "" // cannot exist: only the address counts
	}
	attempt, lock := h.b.guard.Admit(name, addr)
	switch lock {
	case pairLocked:
		return refuse(packets.ErrNotAuthorized, "too many wrong passwords for this user from this address")
	case otherLocked:
		// Unchecked, so not "wrong password": a client retries later.
		return refuse(packets.ErrServerBusy, "too many failed logins from this address or for this user")
	}
	if name == "" {
		attempt.Failed()
		return refuse(packets.ErrBadUsernameOrPassword, "no or invalid username")
	}
	if err := h.b.checkPassword(user, pw); errors.Is(err, errBusy) || errors.Is(err, errTokenUnchecked) {
		attempt.Abandoned()
		return refuse(packets.ErrServerBusy, err.Error())
	} else if errors.Is(err, errPending) {
		// Not a guess: the password was right. MQTT 5 clients read the
		// reason; 3.1.1 has only "not authorised".
		attempt.Abandoned()
		return refuse(codePending, err.Error())
	} else if err != nil {
		attempt.Failed()
		return refuse(packets.ErrBadUsernameOrPassword, err.Error())
	}
	attempt.Succeeded(user, addr)
	// mochi hands a persistent session (subscriptions and queued messages)
	// to whoever connects with its client id: only its owner may.
	if old, ok := h.b.mqtt.Clients.Get(cl.ID); ok && string(old.Properties.Username) != user {
		return refuse(packets.ErrClientIdentifierNotValid, "client id belongs to another user")
	}
	if !h.b.subs.mayOpenSession(user, cl) {
		h.b.notice(user, fmt.Sprintf("Connection refused: you already have %d sessions (client ids) on this server; end one, or reuse its client id.", h.b.cfg.Limits.MaxSessionsPerUser))
		return refuse(packets.ErrQuotaExceeded, "too many sessions")
	}
	// mochi sends wills without any ACL check: check the topic now.
	if pk.Connect.WillFlag && !h.b.policy.WillAllowed(user, cl.ID, pk.Connect.WillTopic) {
		h.b.subs.unclaim(cl)
		return refuse(packets.ErrNotAuthorized, "will topic not writable: "+pk.Connect.WillTopic)
	}
	h.verified.Store(cl, struct{}{})
	return nil
}

func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	_, ok := h.verified.LoadAndDelete(cl)
	return ok
}

func (h *authHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	h.verified.Delete(cl)
}

// aclHook answers mochi's per-subscribe and per-delivery ACL questions.
type aclHook struct {
	mqtt.HookBase
	b *Broker
}

func (h *aclHook) ID() string { return "tachikoma-acl" }

func (h *aclHook) Provides(b byte) bool { return b == mqtt.OnACLCheck }

func (h *aclHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if write {
		// chatHook.OnPublish checks writes: after mochi has resolved a topic
		// alias, and answering as mosquitto does rather than disconnecting.
		return true
	}
	return h.b.mayReceive(cl, topic)
}

// chatHook stamps, validates and stores chat messages, answers requests and
// vets wills.
type chatHook struct {
	mqtt.HookBase
	b       *Broker
	delayed sync.Map // client id -> delayedWill
}

func (h *chatHook) ID() string { return "tachikoma-chat" }

func (h *chatHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnPublish, mqtt.OnPacketRead, mqtt.OnWill, mqtt.OnWillSent, mqtt.OnSessionEstablished, mqtt.OnClientExpired:
		return true
	}
	return false
}

// refusal is what OnPublish returns to drop a publish: a reason code in the
// PUBACK or PUBREC where MQTT 5 has one, otherwise "acknowledge and drop" as
// mosquitto does (a plain error would still deliver the message in mochi;
// ErrRejectPacket would leave a 3.1.1 QoS 1 publisher waiting for its PUBACK
// forever).
func refusal(cl *mqtt.Client, pk packets.Packet, code packets.Code) (packets.Packet, error) {
	if cl.Properties.ProtocolVersion < 5 || pk.FixedHeader.Qos == 0 {
		return pk, packets.CodeSuccessIgnore
	}
	// Not mochi's own answer to a code: it logs an error with the whole
	// packet, and answers a QoS 2 publish with a PUBACK [MQTT-4.3.3-8].
	_ = cl.WritePacket(refusedAck(cl, pk, code))
	return pk, packets.ErrRejectPacket
}

// refusedAck is the PUBACK or PUBREC of a refused publish: with code on MQTT
// 5, a plain acknowledgement on 3.1.1.
func refusedAck(cl *mqtt.Client, pk packets.Packet, code packets.Code) packets.Packet {
	ack := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID}
	if pk.FixedHeader.Qos == 2 {
		ack.FixedHeader.Type = packets.Pubrec
	}
	if cl.Properties.ProtocolVersion >= 5 {
		ack.ReasonCode, ack.Properties.ReasonString = code.Code, code.Reason
	}
	return ack
}

// OnPacketRead answers what mochi would answer wrongly or not at all.
func (h *chatHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	switch pk.FixedHeader.Type {
	case packets.Connect:
		// mochi answers 0x80, which 3.1.1 does not have [MQTT-3.1.3-8].
		if pk.ProtocolVersion < 5 && !pk.Connect.Clean && pk.Connect.ClientIdentifier == "" {
			_ = h.b.mqtt.SendConnack(cl, packets.ErrClientIdentifierNotValid, false, nil)
			return pk, packets.ErrRejectPacket // ends the connection
		}
	case packets.Publish:
		// mochi drops a publish to $SYS before any hook sees it, leaving a
		// QoS 1 or 2 publisher waiting for its acknowledgement: refuse it
		// like any other write, then let mochi drop it as QoS 0.
		if cl.Net.Inline || !isSysTopic(pk.TopicName) || strings.ContainsAny(pk.TopicName, "+#") {
			break
		}
		h.refusedWrite(cl, pk.TopicName)
		if pk.FixedHeader.Qos > 0 {
			_ = cl.WritePacket(refusedAck(cl, pk, packets.ErrNotAuthorized))
			pk.FixedHeader.Qos, pk.PacketID = 0, 0
		}
	}
	return pk, nil
}

// refusedWrite logs and tells the sender that a publish to topic was refused.
func (h *chatHook) refusedWrite(cl *mqtt.Client, topic string) {
	user := string(cl.Properties.Username)
	h.b.log.Debug("publish refused", "user", user, "client", cl.ID, "topic", topic)
	// The topic is the sender's to choose, up to a packet's size, and the
	// notice is queued for each of the user's sessions: it is cut short.
	h.b.notice(user, "You may not publish to "+clip(topic, h.b.cfg.Limits.MaxTopicBytes)+"; that message was dropped.")
}

// clip cuts s to at most n bytes at a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// isSysTopic is mochi's test for the topics it keeps to itself.
func isSysTopic(topic string) bool {
	return len(topic) >= len(mqtt.SysPrefix) && strings.EqualFold(topic[:len(mqtt.SysPrefix)], mqtt.SysPrefix)
}

func (h *chatHook) onPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	user := string(cl.Properties.Username)
	if !h.b.policy.Allowed(user, cl.ID, pk.TopicName, true) {
		h.refusedWrite(cl, pk.TopicName)
		return h.refuse(cl, pk, packets.ErrNotAuthorized)
	}
	t, err := topics.Parse(pk.TopicName)
	if err != nil {
		return h.refuse(cl, pk, packets.ErrTopicNameInvalid)
	}
	switch t.Kind {
	case topics.KindRoom, topics.KindDM:
		if !h.b.pace(cl, user) {
			h.b.noticeTooFast(user)
			if pk.FixedHeader.Qos > 0 && cl.Properties.ProtocolVersion < 5 {
				return h.withholdAck(cl, pk, packets.ErrQuotaExceeded)
			}
			return h.refuse(cl, pk, packets.ErrQuotaExceeded)
		}
		msg, err := h.b.acceptChat(user, t, pk.Payload)
		var saving savingChat
		if err == nil {
			saving, err = h.b.storeChat(msg, t, pk.FixedHeader.Qos > 0)
		}
		switch {
		case errors.Is(err, errDuplicate):
			return pk, packets.CodeSuccessIgnore
		case errors.Is(err, errStore):
			h.b.log.Error("storing message failed", "user", user, "error", err)
			return h.withholdAck(cl, pk, packets.ErrServerUnavailable)
		case err != nil:
			h.b.notice(user, fmt.Sprintf("Message to %s refused: %v", pk.TopicName, err))
			return h.refuse(cl, pk, codeFor(err))
		}
		pk.Payload, _ = json.Marshal(msg)
		pk.FixedHeader.Retain = false // history, not retained messages, replays chat
		// Receivers get it now; the sender's PUBACK waits for the commit.
		h.b.routeChat(pk, t)
		if pk.FixedHeader.Qos > 0 {
			if err := saving.committed(); err != nil {
				h.b.log.Error("storing message failed", "user", user, "error", err)
				return h.withholdAck(cl, pk, packets.ErrServerUnavailable)
			}
		}
		return pk, packets.CodeSuccessIgnore // delivered by route, not by mochi
	case topics.KindRequests:
		if !h.b.limits.Allow(user) {
			h.b.reply(user, topics.Reply{ID: requests.PeekID(pk.Payload), Error: topics.Errorf(topics.CodeTooMany, "too many requests: slow down")})
			return pk, packets.CodeSuccessIgnore
		}
		h.b.reply(user, h.b.handleRequest(user, pk.Payload))
		return pk, packets.CodeSuccessIgnore // answered; nobody else reads requests
	}
	return pk, nil
}

// withholdAck drops a publish without acknowledging it, for a message the
// broker could not take: it ends the connection (3.1.1 has no negative
// PUBACK), and the client resends the message after reconnecting rather than
// believing it delivered.
func (h *chatHook) withholdAck(cl *mqtt.Client, pk packets.Packet, code packets.Code) (packets.Packet, error) {
	h.b.metrics.refused("publish", code)
	_ = h.b.mqtt.DisconnectClient(cl, code)
	return pk, packets.ErrRejectPacket
}

func codeFor(err error) packets.Code {
	if errors.Is(err, errNotFriends) {
		return packets.ErrNotAuthorized
	}
	return packets.ErrPayloadFormatInvalid
}

// sinkTopic is what mochi is left to publish in place of a will, which
// sendWill sends itself: nobody may read it. Outside tachikoma/, so that
// mochi does not check every pet (tachikoma/#) for it; only "#"
// subscribers, which mochi matches against $ topics too.
const sinkTopic = "$" + topics.Root + "/dropped-will"

// delayedWill is a will waiting for its MQTT 5 will delay.
type delayedWill struct {
	cl   *mqtt.Client
	will mqtt.Will
}

// OnWill sends the will itself, so that it is checked and stored when it is
// sent: mochi would publish a delayed will later without asking any hook,
// and nothing checks a will at all in mochi.
func (h *chatHook) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	if cl.Properties.Will.WillDelayInterval > 0 {
		// mochi times the delay and cancels it when the client comes back
		// [MQTT-3.1.3-9]; OnWillSent then sends what is kept here.
		h.delayed.Store(cl.ID, delayedWill{cl: cl, will: will})
	} else {
		h.sendWill(cl, will)
	}
	will.TopicName, will.Retain, will.Payload, will.User = sinkTopic, false, nil, nil
	return will, nil
}

// OnWillSent is called when mochi's will delay has passed.
func (h *chatHook) OnWillSent(cl *mqtt.Client, pk packets.Packet) {
	if pk.Connect.WillProperties.WillDelayInterval == 0 {
		return
	}
	if d, ok := h.delayed.LoadAndDelete(cl.ID); ok {
		h.sendWill(d.(delayedWill).cl, d.(delayedWill).will)
	}
}

// OnSessionEstablished cancels a delayed will: its client is back.
func (h *chatHook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	h.delayed.Delete(cl.ID)
}

// OnClientExpired sends a delayed will whose session ends first
// [MQTT-3.1.3-9] (mochi then has no client left to send it for).
func (h *chatHook) OnClientExpired(cl *mqtt.Client) {
	if d, ok := h.delayed.Load(cl.ID); ok && d.(delayedWill).cl == cl && h.delayed.CompareAndDelete(cl.ID, d) {
		h.sendWill(cl, d.(delayedWill).will)
	}
}

// sendWill publishes a will if its owner may still write its topic
// (friendship or membership may have ended since CONNECT); a will on a chat
// topic is stamped and stored like any message.
func (h *chatHook) sendWill(cl *mqtt.Client, will mqtt.Will) {
	user := string(cl.Properties.Username)
	drop := func(why string) {
		h.b.log.Info("will dropped", "user", user, "topic", will.TopicName, "reason", why)
	}
	if !h.b.policy.WillAllowed(user, cl.ID, will.TopicName) {
		drop("not allowed")
		return
	}
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: will.Qos, Retain: will.Retain},
		TopicName:   will.TopicName,
		Payload:     will.Payload,
		Properties:  packets.Properties{User: will.User},
		Origin:      cl.ID,
		Created:     time.Now().Unix(),
	}
	t, _ := topics.Parse(will.TopicName)
	if t.Kind != topics.KindRoom && t.Kind != topics.KindDM {
		// mochi's delivery and retained store, as for any publish on these
		// topics, from an inline client with the owner's id (no-local).
		pk.PacketID = uint16(pk.FixedHeader.Qos) // mochi's validity check wants one
		if err := h.b.mqtt.InjectPacket(h.b.mqtt.NewClient(nil, mqtt.LocalListener, cl.ID, true), pk); err != nil {
			drop(err.Error())
		}
		return
	}
	msg, err := h.b.acceptChat(user, t, will.Payload)
	if err != nil {
		drop(err.Error())
		return
	}
	saving, err := h.b.storeChat(msg, t, true)
	if err == nil {
		err = saving.committed()
	}
	if err != nil {
		drop(err.Error())
		return
	}
	pk.Payload, _ = json.Marshal(msg)
	pk.FixedHeader.Retain = false
	h.b.routeChat(pk, t)
}

// presenceHook tracks connections for presence and sends the current
// presence to new subscriptions (presenceTracker).
type presenceHook struct {
	mqtt.HookBase
	b *Broker
}

func (h *presenceHook) ID() string { return "tachikoma-presence" }

func (h *presenceHook) Provides(b byte) bool {
	return b == mqtt.OnSessionEstablished || b == mqtt.OnDisconnect || b == mqtt.OnSubscribe || b == mqtt.OnSubscribed
}

func (h *presenceHook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if !cl.Net.Inline {
		h.b.presence.connected(string(cl.Properties.Username))
	}
}

func (h *presenceHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if !cl.Net.Inline {
		h.b.presence.disconnected(string(cl.Properties.Username))
	}
}

func (h *presenceHook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	h.b.presence.noteExisting(cl, pk)
	return pk
}

func (h *presenceHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, codes []byte) {
	h.b.presence.subscribed(cl, pk, codes)
}

// sessionHook keeps the session index and the shared subscriptions that
// route delivers through: it runs before presenceHook, so that the first
// presence a session is sent already finds it.
type sessionHook struct {
	mqtt.HookBase
	b *Broker
}

func (h *sessionHook) ID() string { return "tachikoma-sessions" }

func (h *sessionHook) Provides(b byte) bool {
	return b == mqtt.OnSessionEstablished || b == mqtt.OnDisconnect || b == mqtt.OnClientExpired ||
		b == mqtt.OnSubscribed || b == mqtt.OnUnsubscribed
}

func (h *sessionHook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if cl.Net.Inline {
		return
	}
	// A resumed session's subscriptions, shared ones included, came with it.
	plain, shared := subscriptionsOf(cl)
	h.b.sessions.put(string(cl.Properties.Username), cl, plain)
	for _, sub := range shared {
		h.b.shared.add(cl, sub)
	}
	if h.b.backplane != nil {
		h.b.noteHeld(cl)
		h.b.backplane.SessionStarted(cl.ID, persistent(cl)) // one session per client id in the cluster
		h.b.takeHeld(cl)
	}
}

func (h *sessionHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	h.b.forget(cl)
	if expire {
		h.ended(cl)
	}
}

func (h *sessionHook) OnClientExpired(cl *mqtt.Client) { h.ended(cl) }

func (h *sessionHook) ended(cl *mqtt.Client) {
	h.b.sessions.drop(h.b, string(cl.Properties.Username), cl)
	if cur, ok := h.b.mqtt.Clients.Get(cl.ID); !ok || cur == cl {
		h.b.shared.removeClient(cl.ID)
		if h.b.backplane != nil {
			h.b.backplane.SessionEnded(cl.ID)
		}
	}
}

func (h *sessionHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, codes []byte) {
	if cl.Net.Inline {
		return
	}
	for i, sub := range pk.Filters {
		if i < len(codes) && codes[i] < packets.ErrUnspecifiedError.Code && mqtt.IsSharedFilter(sub.Filter) {
			h.b.shared.add(cl, granted(sub, codes[i]))
		}
	}
	h.b.sessions.refresh(h.b, string(cl.Properties.Username), cl)
	h.b.takeHeld(cl)
}

func (h *sessionHook) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	for _, sub := range pk.Filters {
		h.b.shared.remove(cl.ID, sub.Filter)
	}
	h.b.sessions.refresh(h.b, string(cl.Properties.Username), cl)
}

// dropHook logs what mochi drops because a client's outbound queue is full
// (MaximumClientWritesPending), which mochi itself only counts.
type dropHook struct {
	mqtt.HookBase
	b       *Broker
	dropped rateLog
}

func (h *dropHook) ID() string { return "tachikoma-drops" }

func (h *dropHook) Provides(b byte) bool { return b == mqtt.OnPublishDropped }

func (h *dropHook) OnPublishDropped(cl *mqtt.Client, pk packets.Packet) {
	if n, due := h.dropped.note(); due {
		h.b.log.Warn("deliveries dropped: a client's outbound queue was full", "dropped", n, "client", cl.ID, "topic", pk.TopicName)
	}
}
