package broker

import (
	"bytes"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// This file is the broker's delivery of Tachikoma topics, in the order a
// message takes (broker/README.md draws the whole path and says why it is
// not mochi's; the measurements are in docs/PERFORMANCE.md):
//
//	route         a message the chat hook accepted, or one of the broker's own
//	routeTargets  who may read it (policy.Readers) and which of their sessions'
//	              subscriptions match (targets), plus shared subscription picks
//	deliverAll    the deliveries, split over the CPUs for a big room
//	deliver       one subscriber: mochi's publishToClient rules, hooks and
//	              counters, and the write to its connection

// route delivers pk, a message on a Tachikoma topic, in place of mochi's
// publishToSubscribers: the chat hook then tells mochi to ignore it.
func (b *Broker) route(pk packets.Packet) {
	b.deliverAll(pk, b.routeTargets(pk.TopicName))
	if b.backplane != nil {
		b.backplane.Forward(pk) // the other nodes' sessions (backplane.go)
	}
}

// routeChat routes pk, a stamped chat message on t, and a DM once more to
// its sender's own sessions on tachikoma/users/{sender}/dm/{user}, so that
// every device of the sender shows the whole conversation.
func (b *Broker) routeChat(pk packets.Packet, t topics.Topic) {
	b.route(pk)
	if t.Kind == topics.KindDM && t.User != t.Sender {
		pk.TopicName = topics.DM(t.Sender, t.User)
		b.route(pk)
	}
}

// routeTargets is every delivery a message on topic gets.
func (b *Broker) routeTargets(topic string) []target {
	names, all := b.policy.Readers(topic)
	if all {
		names = b.sessions.users()
	}
	return b.withShared(b.targets(nil, names, topic), topic)
}

// target is one delivery: a client and its subscriptions that match the
// topic, merged.
type target struct {
	cl  *mqtt.Client
	sub packets.Subscription
}

// targets appends to dst the sessions of names whose subscriptions match
// topic. A session whose client mochi has since replaced under the same id
// (a reconnect that has not reached OnSessionEstablished yet) is served
// from the new client's subscriptions; one mochi no longer holds is
// skipped.
func (b *Broker) targets(dst []target, names []string, topic string) []target {
	for _, name := range names {
		for _, s := range b.sessions.sessions(name) {
			cl, ok := b.mqtt.Clients.Get(s.id)
			if !ok || cl.Net.Inline {
				continue
			}
			subs := s.subs
			if cl != s.cl {
				if string(cl.Properties.Username) != name {
					continue
				}
				subs = plainSubscriptions(cl)
			}
			if sub, ok := matching(subs, topic); ok {
				dst = append(dst, target{cl, sub})
			}
		}
	}
	return dst
}

// matching merges the subscriptions that match topic as mochi does for a
// delivery: the highest QoS, every identifier, no-local if any asks (mochi's
// rule), and retain-as-published if any asks.
func matching(subs []packets.Subscription, topic string) (packets.Subscription, bool) {
	var merged packets.Subscription
	found := false
	for _, sub := range subs {
		if !topics.Matches(sub.Filter, topic) {
			continue
		}
		if !found {
			merged, found = sub, true
			continue
		}
		rap := merged.RetainAsPublished || sub.RetainAsPublished
		merged = merged.Merge(sub)
		merged.RetainAsPublished = rap
	}
	return merged, found
}

// withShared adds the shared subscription groups' picks to ts.
func (b *Broker) withShared(ts []target, topic string) []target {
	if b.shared.empty() {
		return ts
	}
	got := make(map[*mqtt.Client]bool, len(ts))
	for _, t := range ts {
		got[t.cl] = true
	}
	return append(ts, b.shared.picks(b, topic, func(cl *mqtt.Client) bool { return got[cl] })...)
}

// deliverAll delivers pk to each target.
func (b *Broker) deliverAll(pk packets.Packet, ts []target) {
	b.metrics.out[topicKind(pk.TopicName)].Add(float64(len(ts)))
	pk = b.outgoing(pk)
	now := time.Now().Unix()
	shards := 1
	if len(ts) >= shardMin {
		shards = min(runtime.GOMAXPROCS(0), maxShards)
	}
	// A big room's last member would wait for every write before theirs.
	// The publisher's next message waits for all of them, so each
	// subscriber still gets a publisher's messages in order.
	per := (len(ts) + shards - 1) / max(shards, 1)
	var wg sync.WaitGroup
	for i := 1; i < shards; i++ {
		part := ts[min(i*per, len(ts)):min((i+1)*per, len(ts))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.deliverPart(pk, now, part)
		}()
	}
	b.deliverPart(pk, now, ts[:min(per, len(ts))])
	wg.Wait()
}

// outgoing gives pk what mochi's publishToSubscribers gives a message
// before delivering it: a creation time, and the publisher's expiry capped
// by the server's (the server's if none).
func (b *Broker) outgoing(pk packets.Packet) packets.Packet {
	if pk.Created == 0 {
		pk.Created = time.Now().Unix()
	}
	if pk.Expiry == 0 {
		expiry, most := int64(pk.Properties.MessageExpiryInterval), b.mqtt.Options.Capabilities.MaximumMessageExpiryInterval
		if expiry == 0 || most > 0 && expiry > most {
			expiry = most
		}
		if expiry > 0 {
			pk.Expiry = pk.Created + expiry
		}
	}
	return pk
}

// shardMin is the least number of deliveries worth splitting over CPUs;
// maxShards bounds the goroutines one message starts.
const (
	shardMin  = 64
	maxShards = 8
)

func (b *Broker) deliverPart(pk packets.Packet, now int64, ts []target) {
	f := fanout{b: b, pk: pk, now: now}
	for _, t := range ts {
		f.deliver(t.cl, t.sub)
	}
}

// fanout is one message on its way out.
type fanout struct {
	b   *Broker
	pk  packets.Packet
	now int64
	// forwardRetained marks the delivery of a retained message to a new
	// subscription: it keeps its retain flag [MQTT-3.3.1-8].
	forwardRetained bool
	encoded         map[wireVariant][]byte
	scratch         []byte // a QoS 1 encoding being stamped with each packet id
}

// wireVariant is what makes two subscribers' copies of a message differ,
// packet id aside.
type wireVariant struct {
	v5            bool
	qos           byte
	retain        bool
	noProblemInfo bool
}

// deliver is mochi's publishToClient for one subscriber: the same
// subscription options, caps, quotas, hooks and $SYS counters
// (TestRouteDeliversAsMochiDoes compares the two), with the encoding shared
// between subscribers and no outbound queue.
func (f *fanout) deliver(cl *mqtt.Client, sub packets.Subscription) {
	pk := f.pk
	if sub.NoLocal && pk.Origin == cl.ID {
		return // [MQTT-3.8.3-3]
	}
	// Callers pass readers only (route's targets are, shared picks are
	// checked).
	closed := cl.Closed()
	if notQueued(pk.TopicName, closed) {
		return
	}
	caps := f.b.mqtt.Options.Capabilities
	out := pk // the fields below are values; the payload is shared, never written
	// A live message loses its retain flag unless an MQTT 5 subscriber asked
	// for it as published [MQTT-3.3.1-12] [MQTT-3.3.1-13].
	out.FixedHeader.Retain = f.forwardRetained || pk.FixedHeader.Retain && sub.RetainAsPublished && cl.Properties.ProtocolVersion == 5
	out.FixedHeader.Dup = false
	out.PacketID = 0
	out.ProtocolVersion = cl.Properties.ProtocolVersion
	out.FixedHeader.Qos = min(out.FixedHeader.Qos, sub.Qos, caps.MaximumQos) // [MQTT-3.2.2-9]
	// No topic aliases: mochi's writer may hold a packet that sets one
	// while this goroutine writes, so the client could see the alias used
	// before it is set; a server need not use them [MQTT-3.3.2-12].
	out.Properties.TopicAlias, out.Properties.TopicAliasFlag = 0, false
	out.Properties.SubscriptionIdentifier = nil
	if out.ProtocolVersion == 5 {
		// mochi records an identifier (0: none) for every filter that
		// matched; only real ones go on the wire, and they make the copy
		// unique.
		for _, id := range sub.Identifiers {
			if id > 0 {
				out.Properties.SubscriptionIdentifier = append(out.Properties.SubscriptionIdentifier, id)
			}
		}
		if sub.Identifiers == nil && sub.Identifier > 0 {
			out.Properties.SubscriptionIdentifier = []int{sub.Identifier}
		}
		sort.Ints(out.Properties.SubscriptionIdentifier)
	}
	if out.Expiry > 0 {
		out.Properties.MessageExpiryInterval = uint32(max(out.Expiry-f.now, 1)) // [MQTT-3.3.2-6]
	}
	out.Mods = packets.Mods{
		MaxSize:             cl.Properties.Props.MaximumPacketSize,
		DisallowProblemInfo: cl.Properties.Props.RequestProblemInfoFlag && cl.Properties.Props.RequestProblemInfo == 0,
		AllowResponseInfo:   true,
	}

	// Hooks that see or change the bytes need mochi's own write.
	wc, direct := connOf(cl)
	direct = direct && !f.b.delivery.onWire
	var wire []byte
	if direct {
		var ok bool
		if wire, ok = f.encode(out, len(out.Properties.SubscriptionIdentifier) > 0); !ok {
			return // larger than the client accepts: mochi drops it too [MQTT-3.1.2-24]
		}
	}

	if f.b.awaiting.Load() > 0 {
		f.b.noteDelivery(cl, pk) // a handover on its way may hold it too
	}
	held := false
	if out.FixedHeader.Qos > 0 {
		// Kept until PUBACK; mochi resends it when the client comes back,
		// which is what makes DMs reach a friend who is away.
		if cl.State.Inflight.Len() >= int(caps.MaximumInflight) {
			atomic.AddInt64(&f.b.mqtt.Info.InflightDropped, 1)
			f.b.log.Warn("client queue full, message not queued", "client", cl.ID, "topic", out.TopicName)
			return
		}
		id, err := cl.NextPacketID()
		if err != nil {
			f.b.delivery.OnPacketIDExhausted(cl, pk)
			atomic.AddInt64(&f.b.mqtt.Info.InflightDropped, 1)
			f.b.log.Warn("packet ids exhausted", "client", cl.ID, "error", err)
			return
		}
		out.PacketID = uint16(id)
		// MQTT 5 receive maximum: past it the message waits in the
		// inflight store, and mochi sends it when a PUBACK frees a slot.
		if rm := cl.Properties.Props.ReceiveMaximum; cl.Properties.ProtocolVersion == 5 && rm > 0 && cl.State.Inflight.Len() >= int(rm) {
			out.Expiry, held = -1, true
		}
		if cl.State.Inflight.Set(out) {
			atomic.AddInt64(&f.b.mqtt.Info.Inflight, 1)
			f.b.delivery.OnQosPublish(cl, out, out.Created, 0)
			cl.State.Inflight.DecreaseSendQuota()
		}
		if direct {
			wire = f.stamp(wire, out.PacketID)
		}
	}
	if held || cl.Net.Conn == nil || closed {
		return
	}
	if !direct {
		if err := cl.WritePacket(out); err != nil {
			f.b.log.Debug("delivery failed", "client", cl.ID, "error", err)
		}
		return
	}
	n, err := wc.Write(wire)
	if err != nil {
		f.b.log.Debug("delivery failed", "client", cl.ID, "error", err)
		return
	}
	info := f.b.mqtt.Info // counted as mochi's WritePacket counts, for $SYS
	atomic.AddInt64(&info.BytesSent, int64(n))
	atomic.AddInt64(&info.PacketsSent, 1)
	atomic.AddInt64(&info.MessagesSent, 1)
}

// encode returns out on the wire, or false when it is over the client's
// maximum packet size. Subscription identifiers make a copy unique; every
// other variant is encoded once per message.
func (f *fanout) encode(out packets.Packet, unique bool) ([]byte, bool) {
	v := wireVariant{v5: out.ProtocolVersion == 5, qos: out.FixedHeader.Qos, retain: out.FixedHeader.Retain, noProblemInfo: out.Mods.DisallowProblemInfo}
	var wire []byte
	ok := false
	if !unique {
		wire, ok = f.encoded[v]
	}
	if !ok {
		if out.FixedHeader.Qos > 0 {
			out.PacketID = 1 // a placeholder: stamp writes the real one
		}
		var buf bytes.Buffer
		if err := out.PublishEncode(&buf); err != nil {
			f.b.log.Error("encode publish", "topic", out.TopicName, "error", err)
			return nil, false
		}
		wire = buf.Bytes()
		if !unique {
			if f.encoded == nil {
				f.encoded = map[wireVariant][]byte{}
			}
			f.encoded[v] = wire
		}
	}
	if max := out.Mods.MaxSize; max > 0 && uint32(len(wire)) > max {
		return nil, false
	}
	return wire, true
}

// stamp returns wire (a QoS 1 or 2 PUBLISH) carrying packet id id, in a buffer
// reused for the next subscriber: the connection copies what it keeps.
func (f *fanout) stamp(wire []byte, id uint16) []byte {
	f.scratch = append(f.scratch[:0], wire...)
	at := publishIDOffset(f.scratch)
	f.scratch[at], f.scratch[at+1] = byte(id>>8), byte(id)
	return f.scratch
}

// publishIDOffset is where the packet id sits in an encoded QoS > 0
// PUBLISH: after the fixed header (type byte and a variable-length
// remaining length) and the length-prefixed topic name.
func publishIDOffset(wire []byte) int {
	i := 1
	for wire[i]&0x80 != 0 {
		i++
	}
	i++
	topicLen := int(wire[i])<<8 | int(wire[i+1])
	return i + 2 + topicLen
}

// mayReceive is the ACL for one delivery, for clients not known to be
// readers (mochi's deliveries, shared subscription groups).
func (b *Broker) mayReceive(cl *mqtt.Client, topic string) bool {
	return !notQueued(topic, cl.Closed()) && b.policy.Allowed(string(cl.Properties.Username), cl.ID, topic, false)
}

// notQueued reports a delivery left out because the client is away: room
// chat is not queued (history has it, and one chatty room would otherwise
// fill every offline session's queue). DMs and events are.
func notQueued(topic string, closed bool) bool { return closed && isRoomChat(topic) }

// deliveryHooks runs, through mochi's own Hooks type, the hooks mochi calls
// while it delivers a message or drops a queued one, for deliver and
// specHook to call them too: a storage or metrics hook must see route's
// deliveries as it sees mochi's.
type deliveryHooks struct {
	mqtt.Hooks
	onWire bool // a hook wants OnPacketEncode or OnPacketSent: mochi's WritePacket calls them
}

func newDeliveryHooks(all []mqtt.Hook) (*deliveryHooks, error) {
	d := &deliveryHooks{}
	for _, h := range all {
		_, connackOnly := h.(interface{ connackOnly() })
		if h.Provides(mqtt.OnPacketEncode) && !connackOnly || h.Provides(mqtt.OnPacketSent) {
			d.onWire = true
		}
		if h.Provides(mqtt.OnQosPublish) || h.Provides(mqtt.OnPacketIDExhausted) || h.Provides(mqtt.OnQosDropped) {
			if err := d.Add(initialised{h}, nil); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// checkAddedHooks refuses hooks that would decide who receives a message:
// route asks policy.Readers and picks shared subscription members itself,
// so such a hook would be obeyed by mochi's deliveries and not by route's.
func checkAddedHooks(hooks []mqtt.Hook) error {
	for _, h := range hooks {
		if h.Provides(mqtt.OnACLCheck) || h.Provides(mqtt.OnSelectSubscribers) {
			return fmt.Errorf("hook %s: OnACLCheck and OnSelectSubscribers cannot be added: the broker decides who reads Tachikoma topics (broker/README.md)", h.ID())
		}
	}
	return nil
}

// initialised is a hook mochi's AddHook has already initialised.
type initialised struct{ mqtt.Hook }

func (initialised) Init(any) error { return nil }
