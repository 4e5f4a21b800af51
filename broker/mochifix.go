package broker

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// specHook works around two places where mochi breaks the MQTT spec in ways
// a client notices, through its exported client state.
type specHook struct {
	mqtt.HookBase
	b      *Broker
	parked sync.Map // *mqtt.Client -> packets.Packet set aside by parkInflight
}

func (h *specHook) ID() string { return "tachikoma-spec" }

func (h *specHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnPacketEncode, mqtt.OnPacketRead, mqtt.OnPacketProcessed, mqtt.OnDisconnect:
		return true
	}
	return false
}

// maxKeepalive is the longest keepalive mochi keeps: it computes the read
// deadline, one and a half keepalives, in 16 bits, so a longer one would
// cut a compliant client off early (65,535 s after about 9 hours).
const maxKeepalive = 65535 * 2 / 3

// OnConnect gives an MQTT 5 client that asks for no keepalive, or one
// longer than maxKeepalive, a server keepalive of maxKeepalive, so that a
// dead connection is found in the end [MQTT-3.2.2-21] (mochi would keep it
// forever). An MQTT 3.1.1 client cannot be told: the broker waits one and
// a half maxKeepalives, longer than any keepalive it may ask for.
func (h *specHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if cl.Properties.ProtocolVersion >= 5 && cl.State.Keepalive == 0 || cl.State.Keepalive > maxKeepalive {
		cl.State.Keepalive = maxKeepalive
		cl.State.ServerKeepalive = cl.Properties.ProtocolVersion >= 5
	}
	return nil
}

// OnPacketEncode puts a resumed session's queued messages back in the
// order they were queued when its CONNACK is encoded: mochi has copied the
// session into cl and resends it right after, before cl reads a packet
// [MQTT-4.6.0-1]. mochi sorts them by the low 16 bits of their creation
// second, so messages of one second come in any order and those of
// different days by chance.
func (h *specHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Connack && pk.SessionPresent {
		h.dropExpiredQueued(cl, time.Now().Unix())
		orderQueued(cl)
	}
	return pk
}

// dropExpiredQueued removes from a resumed session's queue what expired
// while the client was away, as mochi's once-a-second sweep would: mochi
// resends the queue without looking, so a message could go out up to a
// second past its expiry [MQTT-3.3.2-5].
func (h *specHook) dropExpiredQueued(cl *mqtt.Client, now int64) {
	for _, p := range cl.State.Inflight.GetAll(false) {
		if p.ProtocolVersion == 5 && p.Expiry > 0 && p.Expiry < now && cl.State.Inflight.Delete(p.PacketID) {
			h.drop(cl, p, "expired while the client was away")
		}
	}
}

// connackOnly tells deliveries that specHook's OnPacketEncode leaves a
// PUBLISH alone, so they need not go through mochi's WritePacket for it.
func (h *specHook) connackOnly() {}

func orderQueued(cl *mqtt.Client) {
	queued := cl.State.Inflight.GetAll(false)
	if len(queued) < 2 {
		return
	}
	// Packet ids are given in sequence: they order a second's messages.
	slices.SortStableFunc(queued, func(a, b packets.Packet) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), cmp.Compare(a.PacketID, b.PacketID))
	})
	for i, p := range queued {
		// Deliveries to cl may run already; mochi's expiry sweep may have
		// removed one.
		if cur, ok := cl.State.Inflight.Get(p.PacketID); ok && cur.Created == p.Created {
			p.Created = p.Created&^0xffff | int64(i)
			cl.State.Inflight.Set(p)
		}
	}
}

// OnPacketRead lets a SUBSCRIBE, UNSUBSCRIBE or QoS 1 PUBLISH use a packet
// id that the broker is using for a message to the client: the two sides'
// ids are independent [MQTT-2.2.1-4], but mochi keeps both in one table,
// refuses the subscription with 0x91 (mosquitto_sub re-subscribing to a
// resumed session then exits) and deletes the queued message for the
// PUBLISH. mochi's QoS 2 PUBREC holds the id until PUBREL, past what
// parking covers: broker/README.md has that gap.
func (h *specHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	switch pk.FixedHeader.Type {
	case packets.Puback, packets.Pubrec, packets.Pubcomp:
		orderHeld(cl)
		return pk, nil
	case packets.Publish:
		if pk.FixedHeader.Qos == 2 {
			return repeatedQos2(cl, pk), nil
		}
		if pk.FixedHeader.Qos != 1 {
			return pk, nil
		}
	case packets.Subscribe:
		if pk.SubscribeValidate() != packets.CodeSuccess {
			return pk, nil // mochi ends the connection without reading on
		}
	case packets.Unsubscribe:
		if pk.UnsubscribeValidate() != packets.CodeSuccess {
			return pk, nil
		}
	default:
		return pk, nil
	}
	if out, ok := cl.State.Inflight.Get(pk.PacketID); ok && out.FixedHeader.Type == packets.Publish {
		cl.State.Inflight.Delete(pk.PacketID)
		h.parked.Store(cl, out)
	}
	return pk, nil
}

// repeatedQos2 answers a QoS 2 PUBLISH sent again before its PUBREL with a
// plain PUBREC and delivers nothing [MQTT-4.3.3-10]; mochi answers MQTT 5
// with 0x91, which tells the sender that a delivered message failed.
func repeatedQos2(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline || cl.Properties.ProtocolVersion < 5 {
		return pk // mochi's PUBREC carries no reason code before MQTT 5
	}
	if in, ok := cl.State.Inflight.Get(pk.PacketID); !ok || in.FixedHeader.Type != packets.Pubrec {
		return pk
	}
	_ = cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrec}, PacketID: pk.PacketID})
	// mochi drops a QoS 0 publish to $SYS unanswered.
	pk.TopicName, pk.FixedHeader.Qos, pk.FixedHeader.Dup, pk.PacketID = mqtt.SysPrefix+"/repeated", 0, false, 0
	return pk
}

// OnPacketProcessed follows every packet mochi handled, before it sends a
// held message the packet may have made room for.
func (h *specHook) OnPacketProcessed(cl *mqtt.Client, pk packets.Packet, err error) { h.unpark(cl) }

func (h *specHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) { h.unpark(cl) }

// unpark returns the message set aside while mochi handled the packet to
// the client's session, which a new connection may have taken over
// meanwhile; a message it cannot return is dropped as mochi drops one.
func (h *specHook) unpark(cl *mqtt.Client) {
	p, ok := h.parked.LoadAndDelete(cl)
	if !ok {
		return
	}
	pk := p.(packets.Packet)
	to := h.sessionOf(cl)
	switch _, taken := to.State.Inflight.Get(pk.PacketID); {
	case to != cl && (to.Properties.Clean || cl.Properties.Clean && cl.Properties.ProtocolVersion < 5):
		h.drop(cl, pk, "the session was taken over with a clean start") // [MQTT-3.1.2-4]
	case taken:
		h.drop(to, pk, "its packet id was reused meanwhile")
	default:
		to.State.Inflight.Set(pk)
	}
}

// takeoverWait bounds how long unpark waits for mochi to register the
// client that took a session over.
const takeoverWait = time.Second

// sessionOf is the client holding cl's session: cl, or the client that
// took it over, which mochi registers after it marks cl taken over and
// copies cl's queue.
func (h *specHook) sessionOf(cl *mqtt.Client) *mqtt.Client {
	if !cl.IsTakenOver() {
		return cl
	}
	for end := time.Now().Add(takeoverWait); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cur, ok := h.b.mqtt.Clients.Get(cl.ID); ok && cur != cl {
			return cur
		}
	}
	return cl
}

// drop gives up a set-aside message as mochi's ClearInflights does: its
// OnQosDropped hooks and the $SYS inflight count.
func (h *specHook) drop(cl *mqtt.Client, pk packets.Packet, why string) {
	h.b.delivery.OnQosDropped(cl, pk)
	atomic.AddInt64(&h.b.mqtt.Info.Inflight, -1)
	h.b.log.Warn("queued message dropped: "+why, "client", cl.ID, "topic", pk.TopicName)
}

// orderHeld stamps the messages waiting for an MQTT 5 client's receive
// maximum so that mochi, which sends the first by the low 16 bits of their
// creation second when an acknowledgement frees a slot, sends them in the
// order their packet ids were given [MQTT-4.6.0-6].
func orderHeld(cl *mqtt.Client) {
	if cl.Properties.ProtocolVersion < 5 || cl.State.Inflight.Len() < 2 {
		return
	}
	held := cl.State.Inflight.GetAll(true)
	if len(held) < 2 {
		return
	}
	// Ids are given in sequence and wrap at 65535: past a gap of half the
	// range, the low ones came last.
	lo, hi := held[0].PacketID, held[0].PacketID
	for _, p := range held {
		lo, hi = min(lo, p.PacketID), max(hi, p.PacketID)
	}
	wrapped := hi-lo > 1<<15
	key := func(p packets.Packet) int {
		if wrapped && p.PacketID < 1<<15 {
			return int(p.PacketID) + 1<<16
		}
		return int(p.PacketID)
	}
	slices.SortFunc(held, func(a, b packets.Packet) int { return cmp.Compare(key(a), key(b)) })
	for i, p := range held {
		if want := p.Created&^0xffff | int64(i); p.Created != want {
			p.Created = want
			cl.State.Inflight.Set(p)
		}
	}
}
