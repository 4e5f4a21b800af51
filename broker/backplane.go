package broker

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// Backplane carries what route delivers on this node to the other nodes of
// a cluster (package broker/cluster, docs/CLUSTER.md); a single broker has
// none, and route then does nothing more than deliver locally.
type Backplane interface {
	// Forward hands the other nodes a message this node routed; they
	// deliver it to their own sessions through Broker.DeliverForwarded.
	Forward(pk packets.Packet)
	// Interest tells the backplane that user now has a session on this
	// node (on), or no longer has any.
	Interest(user string, on bool)
	// DirectoryChanged tells the other nodes to reload accounts, friends
	// and rooms from the shared store now rather than at their next poll.
	DirectoryChanged()
	// SessionStarted claims clientID's session for this node: another
	// node holding a session of that id ends it (EndSession). A
	// persistent session is one kept while its client is away.
	SessionStarted(clientID string, persistent bool)
	// SessionEnded tells that clientID's session here is gone.
	SessionEnded(clientID string)
	// Presence records user's presence on this node: payload while they
	// have a connection here, nil once the last one closed.
	Presence(user string, payload []byte)
	// OnlineElsewhere reports that user has a connection on another live
	// node.
	OnlineElsewhere(user string) bool
	// Held gives clientID's session, of user, what the cluster holds for
	// it: what a node that gave the session up to this one had not
	// delivered, then the DMs kept while user had no connection on any
	// node, since the session last took them. give returns false for a
	// message the session cannot take yet (no subscription matches it),
	// which is kept; more reports such messages. An error means nothing
	// could be read now (JetStream electing a leader).
	Held(user, clientID string, give func(packets.Packet) bool) (more bool, err error)
	// Status is the cluster's nodes and their health (GET /api/v1/cluster).
	Status(ctx context.Context) (ClusterStatus, error)
}

// takeHeld gives cl, a persistent session, what the cluster holds for it
// (Backplane.Held), except what cl held when it started (a session resumed
// on the node that queued it there too) or was given already. It runs in
// the background and retries while the cluster's streams cannot be read (a
// node just died) and cl is connected.
func (b *Broker) takeHeld(cl *mqtt.Client) {
	if b.backplane == nil || !persistent(cl) {
		return
	}
	b.queueing.Add(1)
	go func() {
		defer b.queueing.Done()
		for try := 0; try < queueTries && !cl.Closed(); try++ {
			if b.takeHeldNow(cl) {
				return
			}
			select {
			case <-b.stop:
				return
			case <-time.After(time.Second):
			}
		}
	}()
}

// persistent reports cl's session kept when its connection ends.
func persistent(cl *mqtt.Client) bool {
	return !cl.Properties.Clean || cl.Properties.Props.SessionExpiryInterval > 0
}

// queueTries bounds takeHeld's retries, a second apart.
const queueTries = 120

// takeHeldNow is one try of takeHeld; false if nothing could be read. One
// at a time, so that two tries never give a message twice.
func (b *Broker) takeHeldNow(cl *mqtt.Client) bool {
	b.queueMu.Lock()
	defer b.queueMu.Unlock()
	given := b.givenTo(cl)
	for _, pk := range cl.State.Inflight.GetAll(false) {
		given.add(keyOf(pk)) // an away session's: delivered here meanwhile
	}
	subs := plainSubscriptions(cl)
	now := time.Now().Unix()
	_, err := b.backplane.Held(string(cl.Properties.Username), cl.ID, func(pk packets.Packet) bool {
		sub, ok := matching(subs, pk.TopicName)
		if !ok {
			return false
		}
		b.endMu.Lock()
		defer b.endMu.Unlock()
		if cur, ok := b.mqtt.Clients.Get(cl.ID); !ok || cur != cl {
			return false // ended meanwhile (EndSession): kept for the session's next owner
		}
		if given.add(keyOf(pk)) {
			f := fanout{b: b, pk: b.outgoing(pk), now: now}
			f.deliver(cl, sub)
		}
		return true
	})
	if err != nil {
		b.log.Debug("held messages not read yet", "client", cl.ID, "error", err)
		return false
	}
	if given.arrived.Load() || !given.awaited.Load() {
		// Later deliveries were routed after the old node gave the
		// session up: no handover holds them.
		b.unwatch(given)
	}
	return true
}

// givenIDs is what a connected session of a cluster held when it started
// (what mochi resent of a session resumed here) or was given from the
// cluster since, and, while it awaits another node's handover, every
// delivery to it: none is given twice.
type givenIDs struct {
	mu       sync.Mutex
	keys     map[givenKey]bool
	watching atomic.Bool // deliveries are noted: a handover may be on its way
	awaited  atomic.Bool // the session took over from a live node (AwaitHandover)
	arrived  atomic.Bool // the handover came, or was waited for long enough
}

// givenKey tells messages apart: a chat message by its id, anything else
// (events, replies) by its topic and payload.
type givenKey struct {
	id  int64
	sum uint64
}

func keyOf(pk packets.Packet) givenKey {
	if id := topics.MessageID(pk.Payload); id != 0 {
		return givenKey{id: id}
	}
	h := fnv.New64a()
	h.Write([]byte(pk.TopicName))
	h.Write([]byte{0})
	h.Write(pk.Payload)
	return givenKey{sum: h.Sum64()}
}

// add records k and reports it new.
func (g *givenIDs) add(k givenKey) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.keys[k] {
		return false
	}
	g.keys[k] = true
	return true
}

// noteHeld records what cl holds as its session starts: mochi has resent
// it, and the client cannot acknowledge any of it before this hook
// returns, while the cluster is read later. From here on, deliveries to a
// persistent session are noted until a take finds no handover awaited: it
// is in the session index before its claim tells whether one is coming.
func (b *Broker) noteHeld(cl *mqtt.Client) {
	g := &givenIDs{keys: map[givenKey]bool{}}
	for _, pk := range cl.State.Inflight.GetAll(false) {
		g.add(keyOf(pk))
	}
	if persistent(cl) {
		g.watching.Store(true)
		b.awaiting.Add(1)
	}
	b.given.Store(cl, g)
}

// givenTo is cl's givenIDs (a fresh one once cl is gone: the inflight of
// an away session stands for what it was given).
func (b *Broker) givenTo(cl *mqtt.Client) *givenIDs {
	g, _ := b.given.LoadOrStore(cl, &givenIDs{keys: map[givenKey]bool{}})
	return g.(*givenIDs)
}

// forget drops cl's givenIDs once its connection is gone.
func (b *Broker) forget(cl *mqtt.Client) {
	if g, ok := b.given.LoadAndDelete(cl); ok {
		b.unwatch(g.(*givenIDs))
	}
}

func (b *Broker) unwatch(g *givenIDs) {
	if g.watching.CompareAndSwap(true, false) {
		b.awaiting.Add(-1)
	}
}

// noteDelivery records a delivery to cl while it awaits a handover, which
// may hold the same message: deliver calls it.
func (b *Broker) noteDelivery(cl *mqtt.Client, pk packets.Packet) {
	if g, ok := b.given.Load(cl); ok && g.(*givenIDs).watching.Load() {
		g.(*givenIDs).add(keyOf(pk))
	}
}

// AwaitHandover tells that clientID's session, started here, took over
// from another node, which will hand over what it held: until
// HandedOver, every delivery to it is noted so that none is given twice.
func (b *Broker) AwaitHandover(clientID string) {
	cl, ok := b.mqtt.Clients.Get(clientID)
	if !ok || !persistent(cl) {
		return
	}
	g := b.givenTo(cl)
	g.awaited.Store(true)
	if g.watching.CompareAndSwap(false, true) {
		b.awaiting.Add(1)
	}
}

// HandedOver tells that the handover AwaitHandover waited for is in the
// cluster (or was waited for long enough): the session takes it.
func (b *Broker) HandedOver(clientID string) {
	cl, ok := b.mqtt.Clients.Get(clientID)
	if !ok || cl.Closed() {
		return // taken when the client is back
	}
	b.givenTo(cl).arrived.Store(true)
	b.takeHeld(cl)
}

// ClusterStatus is GET /api/v1/cluster.
type ClusterStatus struct {
	Cluster string        `json:"cluster"`
	Node    string        `json:"node"` // the node that answered
	Nodes   []ClusterNode `json:"nodes"`
}

// ClusterNode is one node in ClusterStatus.
type ClusterNode struct {
	ID       string `json:"id"`
	Healthy  bool   `json:"healthy"`   // a recent heartbeat, and routed to the answering node
	Started  int64  `json:"started"`   // unix ms
	LastSeen int64  `json:"last_seen"` // unix ms of its last heartbeat
	Sessions int    `json:"sessions"`  // MQTT sessions it holds, connected or kept
}

// EndSession ends this node's session of clientID, which a client has
// taken over on another node, as mochi ends one taken over here: the
// connection closed with "session taken over" and the session discarded.
// It returns the messages the session held (sent and not acknowledged, or
// not sent yet), oldest first, for the node that took it over; presence is
// left out (that node sends the current state).
func (b *Broker) EndSession(clientID string) []packets.Packet {
	cl, ok := b.mqtt.Clients.Get(clientID)
	if !ok || cl.Net.Inline {
		return nil
	}
	b.log.Info("session taken over on another node", "client", clientID)
	if !cl.Closed() {
		_ = b.mqtt.DisconnectClient(cl, packets.ErrSessionTakenOver) // [MQTT-3.1.4-2]
	}
	b.mqtt.UnsubscribeClient(cl)
	// A take from the cluster (takeHeldNow) delivers to cl before this or
	// not at all: what it gives is in held, or kept for the new owner.
	b.endMu.Lock()
	defer b.endMu.Unlock()
	b.mqtt.Clients.Delete(cl.ID)
	b.sessions.drop(b, string(cl.Properties.Username), cl)
	b.shared.removeClient(cl.ID)
	var held []packets.Packet
	for _, pk := range cl.State.Inflight.GetAll(false) {
		if pk.FixedHeader.Type == packets.Publish && !strings.HasPrefix(pk.TopicName, topics.PresenceTopic("")) {
			held = append(held, pk)
		}
	}
	slices.SortStableFunc(held, func(x, y packets.Packet) int {
		return cmp.Or(cmp.Compare(x.Created, y.Created), cmp.Compare(x.PacketID, y.PacketID))
	})
	return held
}

// SessionCount is the MQTT sessions this node holds, connected or kept.
func (b *Broker) SessionCount() int { return max(b.mqtt.Clients.Len()-1, 0) } // less the inline client

// DeliverForwarded delivers a message another node routed to the sessions
// on this node that may read it, as route delivers its own.
func (b *Broker) DeliverForwarded(pk packets.Packet) {
	if user, ok := strings.CutPrefix(pk.TopicName, topics.PresenceTopic("")); ok {
		b.presence.remote(user, pk.Payload)
	}
	b.deliverAll(pk, b.routeTargets(pk.TopicName))
}

// PresenceGone tells this node's sessions that user went offline at ts
// (unix ms): the node that held their connections died.
func (b *Broker) PresenceGone(user string, ts int64) { b.presence.gone(user, ts) }

// PresenceKnown records user's presence as another node last published it,
// for a node that joins a running cluster.
func (b *Broker) PresenceKnown(user string, payload []byte) { b.presence.remote(user, payload) }

// ReloadDirectory reloads the directory from the store now: another node
// changed it, maybe only friends or memberships, which the store's
// generation does not count.
func (b *Broker) ReloadDirectory() {
	ch, err := b.dir.Reload(context.Background())
	if err != nil {
		b.log.Warn("reload directory", "error", err)
		return
	}
	b.directoryChanged(ch)
}

// handleRequest answers a request. In a cluster, a room or user another
// node has just created may not have reached this node's directory yet:
// not found is answered after reloading it; and a change made here is
// announced to the other nodes.
func (b *Broker) handleRequest(user string, payload []byte) topics.Reply {
	r := b.requests.Handle(context.Background(), user, payload)
	if b.backplane == nil {
		return r
	}
	if r.Error != nil && r.Error.Code == topics.CodeNotFound {
		b.ReloadDirectory()
		r = b.requests.Handle(context.Background(), user, payload)
	}
	if r.Error == nil && changesDirectory(payload) {
		b.backplane.DirectoryChanged()
	}
	return r
}

// changesDirectory reports a request that may change accounts, friends or
// rooms, which the other nodes of a cluster must then reload.
func changesDirectory(payload []byte) bool {
	var r struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(payload, &r) != nil {
		return false
	}
	switch r.Method {
	case topics.MethodFriendList, topics.MethodRoomList, topics.MethodRoomMembers, topics.MethodHistory,
		topics.MethodProfileGet, topics.MethodAuthToken, topics.MethodAuthRevoke:
		return false
	}
	return true
}

// EncodeForwarded is pk on the wire between nodes: an MQTT 5 PUBLISH, which
// keeps every property a subscriber may be sent.
func EncodeForwarded(pk packets.Packet) ([]byte, error) {
	pk.ProtocolVersion = 5
	pk.Mods = packets.Mods{AllowResponseInfo: true}
	if pk.FixedHeader.Qos > 0 {
		pk.PacketID = 1 // a PUBLISH above QoS 0 carries one; nobody acknowledges it
	}
	var buf bytes.Buffer
	if err := pk.PublishEncode(&buf); err != nil {
		return nil, fmt.Errorf("encode forwarded %s: %w", pk.TopicName, err)
	}
	return buf.Bytes(), nil
}

// DecodeForwarded reads what EncodeForwarded wrote.
func DecodeForwarded(wire []byte) (packets.Packet, error) {
	pk := packets.Packet{ProtocolVersion: 5}
	if len(wire) < 2 {
		return pk, errors.New("forwarded message too short")
	}
	if err := pk.FixedHeader.Decode(wire[0]); err != nil {
		return pk, fmt.Errorf("forwarded message: %w", err)
	}
	r := bytes.NewReader(wire[1:])
	n, _, err := packets.DecodeLength(r)
	if err != nil || n != r.Len() {
		return pk, errors.New("forwarded message: bad length")
	}
	pk.FixedHeader.Remaining = n
	if err := pk.PublishDecode(wire[len(wire)-n:]); err != nil {
		return pk, fmt.Errorf("forwarded message: %w", err)
	}
	pk.PacketID = 0
	return pk, nil
}
