package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	// node holding a session of that id ends it (EndSession).
	SessionStarted(clientID string)
	// SessionEnded tells that clientID's session here is gone.
	SessionEnded(clientID string)
	// Presence records user's presence on this node: payload while they
	// have a connection here, nil once the last one closed.
	Presence(user string, payload []byte)
	// OnlineElsewhere reports that user has a connection on another live
	// node.
	OnlineElsewhere(user string) bool
	// Queued is what was kept for user while they had no connection on
	// any node; Done tells that a session took a message. An error means
	// the queue could not be read now (JetStream electing a leader).
	Queued(user string) ([]QueuedMessage, error)
	// Status is the cluster's nodes and their health (GET /api/v1/cluster).
	Status(ctx context.Context) (ClusterStatus, error)
}

// QueuedMessage is one message of a user's offline queue.
type QueuedMessage struct {
	Packet packets.Packet
	Done   func()
}

// takeQueued gives cl, a persistent session, what the cluster kept for
// its user while they were away, unless cl held it when it started (a
// session resumed on the node that queued it there too) or was given it
// already; each is then forgotten.
// A message no subscription of cl matches yet stays for later. It runs in
// the background and retries while the queue cannot be read (a node just
// died) and cl is connected.
func (b *Broker) takeQueued(cl *mqtt.Client) {
	if b.backplane == nil || cl.Properties.Clean && cl.Properties.Props.SessionExpiryInterval == 0 {
		return
	}
	b.queueing.Add(1)
	go func() {
		defer b.queueing.Done()
		for try := 0; try < queueTries && !cl.Closed(); try++ {
			if b.takeQueuedNow(cl) {
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

// queueTries bounds takeQueued's retries, a second apart.
const queueTries = 120

// takeQueuedNow is one try of takeQueued; false if the queue could not be
// read. One at a time, so that two tries never hand a message over twice.
func (b *Broker) takeQueuedNow(cl *mqtt.Client) bool {
	b.queueMu.Lock()
	defer b.queueMu.Unlock()
	queued, err := b.backplane.Queued(string(cl.Properties.Username))
	if err != nil {
		b.log.Debug("offline queue not read yet", "client", cl.ID, "error", err)
		return false
	}
	if len(queued) == 0 {
		return true
	}
	given := b.givenTo(cl)
	subs := plainSubscriptions(cl)
	for _, q := range queued {
		sub, ok := matching(subs, q.Packet.TopicName)
		if !ok {
			continue
		}
		if given.add(topics.MessageID(q.Packet.Payload)) {
			f := fanout{b: b, pk: b.outgoing(q.Packet), now: time.Now().Unix()}
			f.deliver(cl, sub)
		}
		q.Done()
	}
	return true
}

// givenIDs is the chat message ids a connected session of a cluster held
// when it started (what mochi resent of a session resumed here) or was
// given from the offline queue since: none is given twice.
type givenIDs struct {
	mu  sync.Mutex
	ids map[int64]bool
}

// add records id and reports it new; 0 (no id) is always new.
func (g *givenIDs) add(id int64) bool {
	if id == 0 {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ids[id] {
		return false
	}
	g.ids[id] = true
	return true
}

// noteHeld records what cl holds as its session starts: mochi has resent
// it, and the client cannot acknowledge any of it before this hook
// returns, while the queue is read later.
func (b *Broker) noteHeld(cl *mqtt.Client) {
	g := &givenIDs{ids: map[int64]bool{}}
	for _, pk := range cl.State.Inflight.GetAll(false) {
		g.add(topics.MessageID(pk.Payload))
	}
	b.given.Store(cl, g)
}

// givenTo is cl's givenIDs (a fresh one if its session started before
// noteHeld could run).
func (b *Broker) givenTo(cl *mqtt.Client) *givenIDs {
	g, _ := b.given.LoadOrStore(cl, &givenIDs{ids: map[int64]bool{}})
	return g.(*givenIDs)
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
func (b *Broker) EndSession(clientID string) {
	cl, ok := b.mqtt.Clients.Get(clientID)
	if !ok || cl.Net.Inline {
		return
	}
	b.log.Info("session taken over on another node", "client", clientID)
	if !cl.Closed() {
		_ = b.mqtt.DisconnectClient(cl, packets.ErrSessionTakenOver) // [MQTT-3.1.4-2]
	}
	b.mqtt.UnsubscribeClient(cl)
	b.mqtt.Clients.Delete(cl.ID)
	b.sessions.drop(b, string(cl.Properties.Username), cl)
	b.shared.removeClient(cl.ID)
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
		topics.MethodProfileGet, topics.MethodAuthToken:
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
